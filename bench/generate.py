"""Realistic canonical ledger workbooks of any size for the benchmarks (cached under ``bench/.cache/``).

The bundled sample enterprise (resources/sample/sample_enterprise.xlsx: 12 projects, 3,089 lines over
2022–2024, every kind of line the importer and the engine know — 研发工时占比 as text and as numbers,
税法金额, grant-funded lines, reversals, capitalised and entrusted projects, NE codes, R39) is cloned into
as many 项目组 as the size needs.  Each clone ``k`` gets its own project numbers (``RD01-007``), voucher
numbers, a varied 摘要 and its own amount scale (exact: integer 分 × a factor, rounded half-up, so a reversal
still cancels its line and no category's net turns negative).  Every clone adds the codes the sample lacks
(R26, R27, NE02, NE04, NE09, NE11, NE99), a few codes written as row numbers or labels and a few amounts as
text (``1,234.56``), as hand-kept ledgers have.  The yearly figures are scaled with the ledger, so the
ratios (R&D / revenue, …) stay those of the sample.  The size is exact: after the whole clones, positive
lines drawn from the sample fill the rest.

Written with openpyxl's streaming (write-only) writer: dates are date cells, amounts numbers — what Excel
itself stores.  Deterministic: the same size gives the same file.

    python -m bench.generate 100000            # prints the cached path
"""
from __future__ import annotations

import datetime as dt
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
SAMPLE = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"
GENERATOR_VERSION = 1          # bump when the output changes: cached files are keyed on it
SEED = 7_000_001

LINE_HEADERS = ("日期", "凭证种类", "凭证号", "项目编号", "费用代码", "摘要", "会计金额", "税法金额", "资金来源",
                "研发工时占比", "高企费用类别")
EXTRA_CODES = (  # codes the sample does not use: (code, 摘要, min 元, max 元)
    ("R26", "新药研制临床试验费（委托CRO）", 2000, 60000),
    ("R27", "勘探开发技术现场试验费", 1000, 30000),
    ("NE02", "研发楼装修改造费摊销", 500, 20000),
    ("NE04", "研发楼维修费", 300, 8000),
    ("NE09", "田间试验费", 300, 6000),
    ("NE11", "税收滞纳金", 100, 2000),
    ("NE99", "其他不可加计费用", 100, 3000),
)
_VARIANTS = ("", "（补记）", "（第二批）", "（按工时分摊）", "（银川基地）", "（西安分部）", "（试制车间）", "（实验室）")


def cached_path(n_lines: int) -> Path:
    return CACHE / f"ledger_{n_lines}_v{GENERATOR_VERSION}.xlsx"


def ensure(n_lines: int, *, quiet: bool = False) -> Path:
    """The path of the cached workbook with ``n_lines`` 研发支出 lines, generated first when missing."""
    path = cached_path(n_lines)
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        if not quiet:
            print(f"  generating {path.name} ({n_lines:,} lines; one-off, cached) …", flush=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        try:
            write_ledger(tmp, n_lines)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
    return path


def workspace_path(n_lines: int) -> Path:
    return CACHE / f"ledger_{n_lines}_v{GENERATOR_VERSION}.rdw"


def ensure_workspace(n_lines: int, *, quiet: bool = False) -> Path:
    """The cached workspace file (.rdw) holding the generated workbook of ``n_lines`` lines."""
    path = workspace_path(n_lines)
    if not path.exists():
        from forms.workbook import load_ledger
        from forms.workspace import Workspace

        source = ensure(n_lines, quiet=quiet)
        if not quiet:
            print(f"  creating {path.name} (one-off, cached) …", flush=True)
        tmp = path.with_name(f"tmp{os.getpid()}-{path.name}")
        ws = Workspace.create(tmp, load_ledger(source), overwrite=True)
        ws.close()
        os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- sample as raw rows

def _sample_sheets() -> dict[str, list[list]]:
    from forms.xlsx_reader import read_workbook
    return {name: sheet.rows for name, sheet in read_workbook(SAMPLE).sheets.items()}


def _fen(value) -> int | None:
    """A raw sample amount cell (float from the reader, or text like ``8,214,530.00``) → 分."""
    from calc.money import parse_amount
    return parse_amount(value)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _scale(fen: int, num: int, den: int) -> int:
    """round_half_up(fen × num / den), symmetric in sign (a reversal still cancels its line)."""
    q, r = divmod(abs(fen) * num, den)
    if 2 * r >= den:
        q += 1
    return q if fen >= 0 else -q


def _cell(value):
    """Sample raw values → what the writer stores: floats (numbers from the reader) as exact Decimals."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


# --------------------------------------------------------------------------- the workbook

def write_ledger(path: str | os.PathLike, n_lines: int) -> None:
    from openpyxl import Workbook

    from calc import schema as S
    from calc.params import load_params

    sheets = _sample_sheets()
    rng = random.Random(SEED + n_lines)
    lines = [r for r in sheets[S.SHEET_LINES][1:] if r]
    per_clone = len(lines) + len(EXTRA_CODES) + 4
    clones = max(1, n_lines // per_clone)
    projects = [r for r in sheets[S.SHEET_PROJECTS][1:] if r]
    params = load_params()
    labels = {code: c.label for code, c in params.codes.items()}
    rows_by_code = {code: c.row for code, c in params.codes.items()}

    wb = Workbook(write_only=True)

    # 企业信息: the sample's fields
    ws = wb.create_sheet(S.SHEET_PROFILE)
    for r in sheets[S.SHEET_PROFILE]:
        ws.append([_cell(v) for v in r[:2]])

    # 年度数据: amounts and head counts × clones (ratios kept)
    ws = wb.create_sheet(S.SHEET_YEARS)
    header = sheets[S.SHEET_YEARS][0]
    ws.append(header)
    kinds = {c.header: c.kind for c in S.YEAR_COLUMNS}
    for r in sheets[S.SHEET_YEARS][1:]:
        out = []
        for h, v in zip(header, r):
            kind = kinds.get(h)
            if v is None or kind in (S.YEAR, S.TEXT):
                out.append(_cell(int(v) if isinstance(v, float) and kind == S.YEAR else v))
            elif kind == S.AMOUNT:
                out.append(_yuan(_fen(v) * clones))
            else:                                               # head counts
                out.append(int(v) * clones)
        ws.append(out)

    # 研发项目: one copy of the 12 projects per clone
    ws = wb.create_sheet(S.SHEET_PROJECTS)
    ws.append(sheets[S.SHEET_PROJECTS][0])
    pcols = {c.header: c for c in S.PROJECT_COLUMNS}
    pheader = sheets[S.SHEET_PROJECTS][0]
    for k in range(clones):
        for r in projects:
            out = []
            for h, v in zip(pheader, r):
                if h == "项目编号":
                    v = f"{v}-{k:03d}"
                elif h == "项目名称" and k:
                    v = f"{v}（第{k + 1}组）"
                elif h == "技术合同登记号" and v:
                    v = f"{v[:-3]}{(int(v[-3:]) + k) % 1000:03d}"
                elif pcols.get(h) is not None and pcols[h].kind == S.INT and isinstance(v, float):
                    v = int(v)
                out.append(_cell(v))
            ws.append(out)

    # 研发支出
    ws = wb.create_sheet(S.SHEET_LINES)
    ws.append(list(LINE_HEADERS))
    written = 0
    for k in range(clones):
        num = rng.randint(60, 160)                              # this clone's amount scale, in %
        voucher_base = (k + 1) * 10_000
        for i, r in enumerate(lines):
            r = list(r) + [None] * (len(LINE_HEADERS) - len(r))
            d, kind, vno, no, code, summary, amount, tax = r[:8]
            fen = _scale(_fen(amount), num, 100)
            a_cell: object = _yuan(fen)
            if i % 211 == 17:
                a_cell = f"{fen // 100:,}.{abs(fen) % 100:02d}" if fen >= 0 else a_cell   # text amount
            t_cell = None if tax is None else _yuan(_scale(_fen(tax), num, 100))
            if i % 157 == 3 and rows_by_code.get(code):
                code = str(rows_by_code[code])                  # the bare A107012 row number
            elif i % 173 == 5 and code in labels:
                code = labels[code]                             # the official row label
            vno = f"{vno.split('-')[0]}-{voucher_base + int(vno.split('-')[1])}" if vno and "-" in vno else vno
            summary = f"{summary}{_VARIANTS[(i + k) % len(_VARIANTS)]}" if summary else summary
            ws.append([d, kind, vno, f"{no}-{k:03d}", code, summary, a_cell, t_cell, r[8], _cell(r[9]), r[10]])
        for j, (code, text, lo, hi) in enumerate(EXTRA_CODES):
            d = dt.date(2024, 1 + (k + j) % 12, 1 + (k * 7 + j) % 28)
            no = f"RD09-{k:03d}"                                # 2024-02-01 … 2025-12-31: dates fit
            d = max(d, dt.date(2024, 2, 1))
            ws.append([d, "记", f"记-{voucher_base + 9000 + j}", no, code, text,
                       _yuan(rng.randint(lo * 100, hi * 100)), None, None, None, None])
        for j in range(4):                                      # R32 with the HNTE category chosen
            d = dt.date(2024, 3 + j * 2, 15)
            ws.append([d, "转", f"转-{voucher_base + 9100 + j}", f"RD09-{k:03d}", "R32", "研发人员补充医疗保险",
                       _yuan(rng.randint(50_000, 400_000)), None, None, None, "人员人工费用"])
        written += per_clone
    positives = [r for r in lines if isinstance(r[6], float) and r[6] > 0 and r[4] not in ("R36", "R37", "R39")]
    while written < n_lines:                                    # exact size: positive lines of clone 0
        r = list(rng.choice(positives)) + [None] * len(LINE_HEADERS)
        d, kind, vno, no, code, summary, amount, tax = r[:8]
        ws.append([d, kind, f"{kind}-{rng.randint(1, 99_999)}", f"{no}-000", code, summary,
                   _yuan(_fen(amount)), None if tax is None else _yuan(_fen(tax)), r[8], _cell(r[9]), r[10]])
        written += 1

    # 调整事项: one copy per clone, scaled like the clone's lines would be (by clone count only)
    ws = wb.create_sheet(S.SHEET_ADJUSTMENTS)
    ws.append(sheets[S.SHEET_ADJUSTMENTS][0])
    for k in range(clones):
        for r in sheets[S.SHEET_ADJUSTMENTS][1:]:
            year, kind, no, amount, d, note = (list(r) + [None] * 6)[:6]
            ws.append([int(year), kind, f"{no}-{k:03d}" if no else None, _yuan(_fen(amount)), d, note])

    # 补助测算信息: money facts scaled
    ws = wb.create_sheet(S.SHEET_FACTS)
    for i, r in enumerate(sheets.get(S.SHEET_FACTS, [])):
        r = list(r)
        if i and len(r) > 2 and isinstance(r[2], str) and r[2][:1].isdigit() and "," in r[2]:
            fen = _fen(r[2]) * clones
            r[2] = f"{fen // 100:,}.{fen % 100:02d}"
        if i and r and isinstance(r[0], float):
            r[0] = int(r[0])
        ws.append(r)
    wb.save(path)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    for arg in argv or ["10000"]:
        print(ensure(int(arg.replace("_", "").replace(",", ""))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
