"""Synthetic 培育库 inputs for the benchmarks (cached under ``bench/.cache/``).

- :func:`ensure_roster` (n rows): the ten groups of the sample roster (resources/sample/make_roster.py) repeated
  with deterministic variation of every amount (±30 %), staff counts, districts (20), industries and
  commissioners (60), so the tiers, the HNTE projections and the 科小 scores all vary.
- :func:`ensure_folder` (n workspaces): one small ledger workspace (300 lines of the benchmark generator) copied
  n times under distinct names — what a commissioner's folder of enterprises looks like to the pipeline.

    python -m bench.roster 10000          # prints the cached roster path
"""
from __future__ import annotations

import os
import random
import shutil
import sys
from pathlib import Path

from .generate import CACHE, ROOT

ROSTER_VERSION = 1
SEED = 19_000_019
_DISTRICTS = tuple(f"{n}区" for n in ("高新", "经开", "城东", "城西", "城南", "城北", "滨江", "临港", "空港", "科学城",
                                     "东湖", "西湖", "南湖", "北湖", "新城", "老城", "港口", "山前", "河谷", "湖滨"))
_MONEY = ("研发费用（前年）", "研发费用（上年）", "研发费用（当年）", "销售收入（前年）", "销售收入（上年）",
          "销售收入（当年）", "收入总额（当年）", "高新技术产品（服务）收入（当年）", "资产总额（当年）", "负债总额（当年）",
          "成本费用支出总额（当年）", "应纳税所得额（当年，加计扣除前）")


def roster_path(n: int) -> Path:
    return CACHE / f"roster_{n}_v{ROSTER_VERSION}.xlsx"


def write_roster(path: Path, n: int) -> None:
    from openpyxl import Workbook
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "resources" / "sample"))
    import make_roster                                   # noqa: E402  (the sample's ten groups)
    from calc.identifiers import credit_code_check_char
    from calc.pipeline_input import ROSTER_COLUMNS, ROSTER_SHEET

    base = make_roster.groups()
    rnd = random.Random(SEED)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(ROSTER_SHEET)
    headers = [c.header for c in ROSTER_COLUMNS]
    ws.append(headers)
    for i in range(n):
        row = dict(base[i % len(base)])
        f = rnd.randint(70, 130)
        for k in _MONEY:
            v = row.get(k)
            if isinstance(v, int):
                row[k] = v * f // 100
        if isinstance(row.get("职工总数"), int):
            row["职工总数"] = max(5, row["职工总数"] * rnd.randint(80, 120) // 100)
            row["科技人员数"] = min(row["职工总数"], max(0, row["科技人员数"] * rnd.randint(70, 140) // 100))
        first17 = f"91{rnd.randint(110000, 659999):06d}MA{i:07d}"[:17]
        row["统一社会信用代码"] = first17 + credit_code_check_char(first17)
        row["企业名称"] = f"{row['企业名称'].split('号')[0].rstrip('0123456789')}{i + 1}号有限公司"
        row["所在区县"] = _DISTRICTS[rnd.randrange(len(_DISTRICTS))]
        row["科技特派员"] = f"特派员{rnd.randrange(60) + 1:02d}"
        ws.append([row.get(h) for h in headers])
    wb.save(path)


def ensure_roster(n: int, *, quiet: bool = False) -> Path:
    path = roster_path(n)
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        if not quiet:
            print(f"  generating {path.name} ({n:,} enterprises; one-off, cached) …", flush=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.xlsx")
        write_roster(tmp, n)
        os.replace(tmp, path)
    return path


def folder_path(n: int) -> Path:
    return CACHE / f"workspaces_{n}_v{ROSTER_VERSION}"


def ensure_folder(n: int, *, lines: int = 300, quiet: bool = False) -> Path:
    """A folder of ``n`` workspaces (copies of one ``lines``-line workspace)."""
    from .generate import ensure
    folder = folder_path(n)
    done = folder / ".complete"
    if done.exists():
        return folder
    if not quiet:
        print(f"  generating {folder.name} ({n:,} workspaces; one-off, cached) …", flush=True)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from forms.workbook import load_ledger
    from forms.workspace import Workspace
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    first = folder / "企业0001.rdw"
    ws = Workspace.create(first, load_ledger(ensure(lines, quiet=quiet)))
    ws.close()
    for i in range(2, n + 1):
        shutil.copyfile(first, folder / f"企业{i:04d}.rdw")
    done.write_text("ok")
    return folder


if __name__ == "__main__":
    print(ensure_roster(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
