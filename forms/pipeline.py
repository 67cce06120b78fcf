"""The cultivation pipeline's inputs and evaluation: a roster workbook, or a folder of workspaces and ledgers.

- :func:`read_roster` reads the bureau's roster workbook (sheet 培育库名册, or the first sheet with the header
  企业名称) through the hardened reader; every problem is a finding with sheet, row, column and a Chinese message,
  and every valid row is kept.
- :func:`write_roster_template` writes its template (``main.py template --roster``).
- :func:`evaluate_roster` and :func:`evaluate_folder` evaluate every enterprise (quick-estimate engine for roster
  rows, the full engine for ledgers) and place it (:func:`calc.pipeline.assess`). Big inputs are spread over a
  process pool (all processors), in chunks, with progress and cancel; memory holds only the small results.
"""
from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from calc.model import ERROR, WARNING, Finding
from calc.pipeline import EnterpriseResult, assess
from calc.pipeline_input import ROSTER_COLUMNS, ROSTER_SHEET, RosterRow, header_map, parse_row

__all__ = ["RosterInput", "read_roster", "write_roster_template", "evaluate_roster", "evaluate_folder",
           "pipeline_files", "resolve_packs", "PipelineRun", "run_pipeline"]

_POOL_MIN_ROSTER = 400        # fewer rows are evaluated in this process (a pool costs a second to start)
_POOL_MIN_FILES = 8
_ROSTER_CHUNK = 250
_MAX_ROWS = 200_000           # a roster larger than this is refused (a city has a few thousand enterprises)


@dataclass
class RosterInput:
    path: str
    sheet: str
    rows: list            # [RosterRow] (rows with problems have quick=None)
    findings: list        # [Finding]


def _finding(severity: str, code: str, message: str, sheet: str | None = None, row: int | None = None,
             column: str | None = None) -> Finding:
    return Finding(severity, code, message, sheet, row, column)


def read_roster(path: str | os.PathLike, year: int) -> RosterInput:
    """The roster rows of ``path`` for data year ``year``. Raises :class:`forms.xlsx_reader.WorkbookError` for a
    file that is not a readable workbook; everything else is a finding."""
    from .xlsx_reader import read_workbook, column_letter

    wb = read_workbook(path)
    findings: list[Finding] = []
    sheet = wb.sheets.get(ROSTER_SHEET)
    if sheet is None:
        for s in wb.sheets.values():
            if any(_has_name_header(r) for r in s.rows[:10]):
                sheet = s
                break
    if sheet is None:
        findings.append(_finding(ERROR, "E_ROSTER_SHEET", f"找不到名册工作表：应有工作表“{ROSTER_SHEET}”，"
                                 "或第一行为表头（含“企业名称”）的工作表（可用 main.py template --roster 生成模板）"))
        return RosterInput(os.fspath(path), "", [], findings)
    head_i = next((i for i, r in enumerate(sheet.rows[:10]) if _has_name_header(r)), None)
    if head_i is None:
        findings.append(_finding(ERROR, "E_ROSTER_HEADER", "前10行中没有表头行（应含“企业名称”列）", sheet.name, 1))
        return RosterInput(os.fspath(path), sheet.name, [], findings)
    cols, problems = header_map(sheet.rows[head_i])
    for p in problems:
        findings.append(_finding(ERROR if p.startswith("缺少") else WARNING, "E_ROSTER_HEADER", p, sheet.name, head_i + 1))
    if any(f.severity == ERROR for f in findings):
        return RosterInput(os.fspath(path), sheet.name, [], findings)
    letters = {i: column_letter(i) for i in cols}
    by_header = {c.header: i for i, c in cols.items()}
    data = sheet.rows[head_i + 1:]
    if len(data) > _MAX_ROWS:
        findings.append(_finding(ERROR, "E_ROSTER_TOO_LARGE", f"名册有{len(data):,}行，超过{_MAX_ROWS:,}行的上限，请分批处理",
                                 sheet.name))
        return RosterInput(os.fspath(path), sheet.name, [], findings)
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for k, raw in enumerate(data):
        row_no = head_i + 2 + k
        cells = {c: (raw[i] if i < len(raw) else None) for i, c in cols.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        rr = parse_row(row_no, cells, year)
        for header, message in rr.problems:
            col = letters.get(by_header.get(header)) if header else None
            findings.append(_finding(ERROR, "E_ROSTER_VALUE", f"{header}：{message}" if header else message,
                                     sheet.name, row_no, col))
        if rr.quick is not None and rr.quick.credit_code:
            first = seen.setdefault(rr.quick.credit_code, row_no)
            if first != row_no:
                findings.append(_finding(WARNING, "W_ROSTER_DUPLICATE", f"统一社会信用代码与第{first}行相同，可能重复登记",
                                         sheet.name, row_no, letters.get(by_header.get("统一社会信用代码"))))
        rows.append(rr)
    if not rows:
        findings.append(_finding(WARNING, "W_ROSTER_EMPTY", "名册中没有企业行", sheet.name, head_i + 1))
    return RosterInput(os.fspath(path), sheet.name, rows, findings)


def _has_name_header(row) -> bool:
    return any(isinstance(v, str) and v.replace(" ", "").replace("\u3000", "").strip() == "企业名称" for v in row or [])


def write_roster_template(path) -> None:
    """The roster template: the 培育库名册 sheet (headers, one example row), a 填写说明 sheet and the policy list."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation
    from calc.subsidy import load_packs
    from .xlsx_cells import put_text
    from .template import _save

    wb = Workbook()
    ws = wb.active
    ws.title = ROSTER_SHEET
    bold = Font(name="等线", bold=True)
    req = PatternFill("solid", fgColor="FFF2CC")
    for j, c in enumerate(ROSTER_COLUMNS, start=1):
        cell = ws.cell(1, j)
        put_text(cell, c.header)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        if c.required:
            cell.fill = req
        ws.column_dimensions[cell.column_letter].width = max(10, min(24, len(c.header) * 2 + 2))
        if c.example is not None:
            put_text(ws.cell(2, j), c.example)
        if c.kind == "yesno":
            dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
            ws.add_data_validation(dv)
            dv.add(f"{cell.column_letter}2:{cell.column_letter}20000")
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "C2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    help_ws = wb.create_sheet("填写说明")
    lines = [("培育库名册：每行一家企业。", ""),
             ("当年 = 测算年度（命令 --year 或界面所选年度），上年、前年依次前推；金额单位为元。", ""),
             ("黄色表头为必填列；其余空白表示未知，结果中列为“待补充”，不会按0计算。", ""),
             ("研发费用按一个合计数填写，视为可加计扣除口径与高企口径相同、全部为境内研发费用（AI-PIPE-03）。", ""),
             ("", ""), ("列", "说明")]
    lines += [(c.header + ("（必填）" if c.required else ""), c.help) for c in ROSTER_COLUMNS]
    for i, (a, b) in enumerate(lines, start=1):
        put_text(help_ws.cell(i, 1), a)
        put_text(help_ws.cell(i, 2), b)
    help_ws.column_dimensions["A"].width = 36
    help_ws.column_dimensions["B"].width = 70

    pol = wb.create_sheet("可选政策")
    for j, h in enumerate(("政策名称", "地区", "编号"), start=1):
        put_text(pol.cell(1, j), h)
        pol.cell(1, j).font = bold
    for i, p in enumerate(sorted(load_packs(include_user=False).values(), key=lambda p: (p.region_code, p.pack_id)),
                          start=2):
        put_text(pol.cell(i, 1), p.title)
        put_text(pol.cell(i, 2), p.region)
        put_text(pol.cell(i, 3), p.pack_id)
    pol.column_dimensions["A"].width = 60
    pol.column_dimensions["B"].width = 24
    pol.column_dimensions["C"].width = 24
    wb.active = 0
    _save(wb, path)


def resolve_packs(names: Iterable[str], award_year: int) -> tuple[tuple[str, ...], list[str]]:
    """Policy names as typed (title, region or pack id) → pack ids, and the names that match none."""
    from calc.subsidy import load_packs
    packs = load_packs(include_user=True, errors=[])
    ids, unknown = [], []
    for name in names:
        if name in packs:
            ids.append(name)
            continue
        by_title = [p for p in packs.values() if p.title == name]
        if by_title:
            ids.append(by_title[0].pack_id)
            continue
        by_region = [p for p in packs.values() if p.region == name and
                     (p.effective_from is None or p.effective_from <= award_year) and
                     (p.effective_to is None or award_year <= p.effective_to)]
        if by_region:             # the newest policy of each kind (post-subsidy, voucher, loan) of that region
            for cat in sorted({p.category for p in by_region}):
                ids.append(max((p for p in by_region if p.category == cat),
                               key=lambda p: (p.effective_from or 0, p.version)).pack_id)
            continue
        unknown.append(name)
    return tuple(dict.fromkeys(ids)), unknown


# --------------------------------------------------------------------------- evaluation

def _assess_quick(item) -> EnterpriseResult:
    """One roster row → its result (runs in a worker process or here). Never raises."""
    key, q, district, commissioner, year, as_of = item
    from calc.quick import evaluate_quick
    try:
        ev = evaluate_quick(q)
        return assess(ev, key=key, district=district, commissioner=commissioner, as_of=as_of)
    except Exception as exc:            # noqa: BLE001 - one enterprise's failure is a row, never the run's
        return EnterpriseResult(key, q.name or "", q.credit_code or "", district, q.industry_code or "", commissioner,
                                year, error=f"测算失败：{_plain(exc)}")


def _assess_chunk(items: list) -> list:
    return [_assess_quick(it) for it in items]


def _plain(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text and any("\u4e00" <= ch <= "\u9fff" for ch in text) else "内部错误，请将该企业的资料发给开发者"


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _run(items: list, fn_one, fn_chunk, chunk: int, pool_min: int, progress, cancelled, spawn: bool = False) -> list:
    """Evaluate ``items`` in order; a process pool for big inputs. Returns results in input order (cancelled:
    the ones done so far). ``spawn``: start the workers fresh instead of forking (a GUI process has threads)."""
    n = len(items)
    out: list = [None] * n
    done = 0
    if n < pool_min or _workers() == 1:
        for i, it in enumerate(items):
            if cancelled is not None and cancelled():
                break
            out[i] = fn_one(it)
            done += 1
            if progress is not None:
                progress(done, n)
        return [r for r in out if r is not None]
    chunks = [(s, items[s:s + chunk]) for s in range(0, n, chunk)]
    import multiprocessing
    ctx = multiprocessing.get_context("spawn") if spawn else None
    with cf.ProcessPoolExecutor(max_workers=_workers(), mp_context=ctx) as pool:
        futures = {pool.submit(fn_chunk, part): start for start, part in chunks}
        try:
            for fut in cf.as_completed(futures):
                start = futures[fut]
                for k, r in enumerate(fut.result()):
                    out[start + k] = r
                done += len(chunks[start // chunk][1])
                if progress is not None:
                    progress(done, n)
                if cancelled is not None and cancelled():
                    for f in futures:
                        f.cancel()
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return [r for r in out if r is not None]


def evaluate_roster(roster: RosterInput, year: int, *, as_of: dt.date | None = None, packs: Iterable[str] = (),
                    progress: Callable[[int, int], None] | None = None,
                    cancelled: Callable[[], bool] | None = None, spawn: bool = False) -> tuple[list, list]:
    """(results, findings): every valid roster row evaluated; a row with problems becomes an error result."""
    as_of = as_of or dt.date.today()
    findings: list[Finding] = []
    items: list = []
    slots: list = []          # per roster row: an error result, or None (its result comes from ``items``)
    default_ids, unknown = resolve_packs(packs, year + 1)
    for name in unknown:
        findings.append(_finding(WARNING, "W_PIPELINE_PACK", f"后补助政策“{name}”不在可选政策中，未测算"))
    cache: dict[tuple, tuple] = {}
    for rr in roster.rows:
        key = f"{roster.sheet}第{rr.row}行"
        if rr.quick is None:
            slots.append(EnterpriseResult(key, rr.name, "", rr.district, "", rr.commissioner, year,
                                          error="；".join((f"{h}：{m}" if h else m) for h, m in rr.problems)))
            continue
        slots.append(None)
        names = rr.packs
        if names not in cache:
            cache[names] = resolve_packs(names, year + 1)
            for name in cache[names][1]:
                findings.append(_finding(WARNING, "W_PIPELINE_PACK", f"后补助政策“{name}”不在可选政策中，未测算",
                                         roster.sheet, rr.row))
        ids = tuple(dict.fromkeys(cache[names][0] + default_ids))
        q = replace(rr.quick, packs=ids, profile_other={**rr.quick.profile_other,
                                                        **({"advisor": rr.commissioner} if rr.commissioner else {})})
        items.append((key, q, rr.district, rr.commissioner, year, as_of))
    good = _run(items, _assess_quick, _assess_chunk, _ROSTER_CHUNK, _POOL_MIN_ROSTER, progress, cancelled, spawn)
    good_iter = iter(good)
    out = []
    for slot in slots:                # the roster's order; a cancelled run stops at the first result not computed
        r = slot if slot is not None else next(good_iter, None)
        if r is None:
            break
        out.append(r)
    return out, findings


def pipeline_files(folder: str | os.PathLike, *, recursive: bool = True) -> list[Path]:
    """The workspaces (.rdw) and ledger workbooks (.xlsx/.xlsm/.xls) of a folder, sorted; Office lock files and
    hidden files are skipped."""
    root = Path(folder)
    pattern = "**/*" if recursive else "*"
    out = []
    for p in root.glob(pattern):
        name = p.name
        if name.startswith((".", "~$")) or not p.is_file():
            continue
        if p.suffix.lower() in (".rdw", ".xlsx", ".xlsm", ".xls"):
            out.append(p)
    return sorted(out)


def _assess_file(item) -> EnterpriseResult:
    """One workspace or ledger workbook → its result. Never raises."""
    path, year, as_of = item
    p = Path(path)
    try:
        from calc.evaluate import evaluate
        if p.suffix.lower() == ".rdw":
            from .workspace import Workspace
            with Workspace.open(p, readonly=True) as ws:
                ledger = ws.ledger()
        else:
            from .workbook import load_ledger
            ledger = load_ledger(p)
        ev = evaluate(ledger, year)
        prof = ledger.profile
        return assess(ev, key=p.name, district="", commissioner=prof.advisor or "", as_of=as_of, path=str(p))
    except Exception as exc:            # noqa: BLE001 - a row, never a crash
        return EnterpriseResult(p.name, "", "", "", "", "", year, error=f"无法测算：{_plain(exc)}", path=str(p))


def _assess_files(items: list) -> list:
    return [_assess_file(it) for it in items]


def evaluate_folder(folder: str | os.PathLike, year: int, *, as_of: dt.date | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    cancelled: Callable[[], bool] | None = None, recursive: bool = True,
                    spawn: bool = False) -> tuple[list, list]:
    """(results, findings) for every workspace and ledger workbook of ``folder``."""
    as_of = as_of or dt.date.today()
    files = pipeline_files(folder, recursive=recursive)
    findings = []
    if not files:
        findings.append(_finding(WARNING, "W_PIPELINE_EMPTY", "文件夹中没有工作区（.rdw）或研发支出辅助账工作簿（.xlsx）"))
    items = [(str(p), year, as_of) for p in files]
    return _run(items, _assess_file, _assess_files, 4, _POOL_MIN_FILES, progress, cancelled, spawn), findings


@dataclass
class PipelineRun:
    """One pipeline evaluation: what was read, for which year and date, and the results."""
    source: str
    kind: str                 # roster | folder
    year: int
    as_of: dt.date
    results: list
    findings: list = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)


def run_pipeline(source: str | os.PathLike, year: int, *, as_of: dt.date | None = None, packs: Iterable[str] = (),
                 progress=None, cancelled=None, spawn: bool = False) -> PipelineRun:
    """A roster workbook or a folder → :class:`PipelineRun`. Raises WorkbookError for an unreadable roster file."""
    as_of = as_of or dt.date.today()
    src = Path(source)
    if src.is_dir():
        results, findings = evaluate_folder(src, year, as_of=as_of, progress=progress, cancelled=cancelled, spawn=spawn)
        return PipelineRun(str(src), "folder", year, as_of, results, findings)
    roster = read_roster(src, year)
    results, findings = evaluate_roster(roster, year, as_of=as_of, packs=packs, progress=progress, cancelled=cancelled,
                                        spawn=spawn)
    return PipelineRun(str(src), "roster", year, as_of, results, roster.findings + findings)
