"""Official workbooks kept on file (留存备查): A107012, the 2021版 研发支出辅助账 (one sheet per project and
支出类型) and the 研发支出辅助账汇总表 (super_deduction.md §8–§9). ``main.py export``."""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from calc.columns import ledger_memo
from calc.evaluate import Evaluation
from calc.model import Line
from calc.money import rate_percent, round_fen
from calc.params import Params, load_params
from calc.superdeduction import GRANT, SUMMARY_COLS, SDResult

from .report import UNVERIFIED_MARK, a107012_lines, a107012_notes
from .xlsx_cells import FMT_AMOUNT, put_fen, put_text, put_value
from .xlsx_cells import XML_ILLEGAL as _XML_ILLEGAL

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
LEFT = Alignment(wrap_text=True, vertical="center")

DETAIL_COLUMNS = ("人员人工费用", "直接投入费用", "折旧费用", "无形资产摊销", "新产品设计费等", "其他相关费用",
                  "委托境内机构或个人进行研发活动所发生的费用", "委托境外机构进行研发活动所发生的费用")
SUMMARY_HEADERS = (
    ("项目编号", None), ("项目名称", None), ("完成情况", None), ("支出类型", None), ("允许加计扣除金额合计", "total"),
    ("1.人员人工费用", "1"), ("2.直接投入费用", "2"), ("3.折旧费用", "3"), ("4.无形资产摊销", "4"),
    ("5.新产品设计费等", "5"), ("6.前五项小计", "6"), ("7.1其他相关费用合计", "7.1"),
    ("7.2经限额调整后的其他相关费用", "7.2"), ("8.1委托境内机构或个人进行研发活动所发生的费用", "8.1"),
    ("8.2允许加计扣除的委托境内机构或个人进行研发活动所发生的费用", "8.2"),
    ("8.3委托境外机构进行研发活动所发生的费用", "8.3"), ("8.4经限额调整后的委托境外机构进行研发活动所发生的费用", "8.4"),
)


def _header_block(ws, ev: Evaluation, title: str, width: int) -> int:
    prof = ev.ledger.profile
    ws.cell(row=1, column=1, value=title).font = TITLE
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    put_text(ws.cell(row=2, column=1), f"纳税人识别号（统一社会信用代码）：{prof.credit_code or ''}")
    put_text(ws.cell(row=2, column=max(2, width // 2)), f"纳税人名称：{prof.name or ''}")
    put_text(ws.cell(row=3, column=1), f"属期：{ev.sd.period.start.isoformat()} 至 {ev.sd.period.end.isoformat()}")
    put_text(ws.cell(row=3, column=max(2, width // 2)), "金额单位：元（列至角分）")
    return 5


def _print_setup(ws, header_rows: str, landscape: bool, paper_a3: bool) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper_a3 else ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = header_rows
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"


def _style_header(ws, row: int, ncols: int) -> None:
    for c in range(1, ncols + 1):
        cell = ws.cell(row=row, column=c)
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD_FILL, WRAP, BOX


# -- A107012 ---------------------------------------------------------------------------------

def write_a107012(ev: Evaluation, path: str | Path, params: Params | None = None) -> None:
    params = params or load_params()
    sd = ev.sd
    wb = Workbook()
    ws = wb.active
    ws.title = "A107012"
    start = _header_block(ws, ev, "A107012 研发费用加计扣除优惠明细表", 3)
    for c, h in enumerate(("行次", "项目", "金额"), 1):
        ws.cell(row=start, column=c, value=h)
    _style_header(ws, start, 3)
    r = start + 1
    if not sd.eligible:
        put_text(ws.cell(row=r, column=2), f"不适用研发费用加计扣除：{sd.reason}")
    tail = {t["key"]: t for t in sd.layout["tail"]} if sd.layout else {}
    unverified = sd.unverified_rows()
    code = sd.method_code()
    for key in sd.row_keys():
        number = str(int(key[1:])) if key not in tail else ("" if tail[key]["number"] is None else str(tail[key]["number"]))
        label = tail[key]["label"] if key in tail else params.row_labels[key]
        if key == "R50" and code is not None:
            label = f"{label}：{code['code']} {code['label']}"
        put_text(ws.cell(row=r, column=1), number)
        put_text(ws.cell(row=r, column=2), label + (UNVERIFIED_MARK if key in unverified else ""))
        value = sd.rows.get(key)
        cell = ws.cell(row=r, column=3)
        if key == "R01":
            put_value(cell, int(value))
        elif key == "R50":
            pct = f"{rate_percent(Fraction(value))}"
            if sd.q4:
                pct = f"前三季度{rate_percent(sd.q4['x_q13'])} / 第四季度{rate_percent(sd.q4['x_q4'])}（{sd.q4['method_label']}）"
            put_text(cell, str(code["code"]) if code else pct)
        elif value is not None:
            put_fen(cell, int(value))
        for c in range(1, 4):
            ws.cell(row=r, column=c).border = BOX
        ws.cell(row=r, column=2).alignment = LEFT
        r += 1
    for note in a107012_notes(sd, params):
        r += 1
        put_text(ws.cell(row=r, column=2), note)
        ws.cell(row=r, column=2).alignment = LEFT
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 20
    _print_setup(ws, f"{start}:{start}", landscape=False, paper_a3=False)
    wb.save(path)


# -- 研发支出辅助账 ------------------------------------------------------------------------------

@dataclass
class _VoucherRow:
    date: object
    kind: str
    number: str
    summaries: list
    accounting: int
    eligible: int
    detail: dict


def _eligible_detail(line: Line, params: Params, excluded: set[int]) -> tuple[int, str | None]:
    """(eligible amount, 2021版 detail column) of one line; 0/None for NE, R39, grants, excluded lines."""
    code = params.codes[line.code]
    if not code.column_2021 or not code.category or line.id in excluded or line.funding == GRANT:
        return 0, None
    amount = line.base_amount if line.share is None else round_fen(line.base_amount * line.share)
    return amount, code.column_2021


def _lines_of(ledger) -> dict[str, list[Line]]:
    """project → its lines in ledger order (once per ledger)."""
    def build():
        out: dict[str, list[Line]] = {}
        for line in ledger.lines:
            out.setdefault(line.project_no, []).append(line)
        return out
    return ledger_memo(ledger, "lines_by_project", build)


def ledger_rows(ev: Evaluation, project_no: str, params: Params) -> list[_VoucherRow]:
    """The 辅助账 rows of one project for the period: one row per voucher (date, kind, number)."""
    sd = ev.sd
    excluded = {i for i, _ in sd.excluded}
    proj = ev.ledger.projects[project_no]
    period = sd.period
    in_pool = next((r for r in sd.summary if r.project_no == project_no), None)
    lines = [l for l in _lines_of(ev.ledger).get(project_no, ())
             if period.contains(l.date) or (in_pool is not None and proj.capitalised and l.date <= period.end)]
    grouped: "OrderedDict[tuple, _VoucherRow]" = OrderedDict()
    for l in sorted(lines, key=lambda x: (x.date, x.id)):
        key = (l.date, l.voucher_kind or "", l.voucher_no or "")
        row = grouped.get(key)
        if row is None:
            row = grouped[key] = _VoucherRow(l.date, l.voucher_kind or "", l.voucher_no or "", [], 0, 0,
                                             {c: 0 for c in DETAIL_COLUMNS})
        if l.summary and l.summary not in row.summaries:
            row.summaries.append(l.summary)
        amount, column = _eligible_detail(l, params, excluded)
        row.accounting += l.amount
        if column:
            row.eligible += amount
            row.detail[column] += amount
    return list(grouped.values())


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(no: str, ltype: str, used: set) -> str:
    """A sheet name Excel accepts: no []:*?/\\ or control characters, not starting or ending with an
    apostrophe, at most 31 characters, unique ignoring case (Excel treats "rd01" and "RD01" as the same)."""
    base = _BAD_SHEET_CHARS.sub("_", _XML_ILLEGAL.sub("", f"{no}{ltype}"))[:31]
    base = re.sub(r"^'|'$", "_", base) or "项目"
    name, n = base, 2
    while name.casefold() in used:
        suffix = f"({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.casefold())
    return name


def write_ledgers(ev: Evaluation, path: str | Path, params: Params | None = None) -> None:
    """研发支出辅助账（2021版）: one sheet per project and 支出类型 with lines in the period."""
    params = params or load_params()
    wb = Workbook()
    wb.remove(wb.active)
    used: set = set()
    heads = ["日期", "种类", "号数", "摘要", "会计凭证记载金额", "税法规定的归集金额", *DETAIL_COLUMNS]
    ncols = len(heads)
    for proj in ev.ledger.projects.values():
        rows = ledger_rows(ev, proj.project_no, params)
        if not rows:
            continue
        ws = wb.create_sheet(_sheet_name(proj.project_no, proj.ledger_type, used))
        ws.cell(row=1, column=1, value="研发支出辅助账（2021版）").font = TITLE
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        summary_row = next((r for r in ev.sd.summary if r.project_no == proj.project_no), None)
        status = summary_row.status if summary_row else proj.status
        put_text(ws.cell(row=2, column=1), f"项目编号：{proj.project_no}")
        put_text(ws.cell(row=2, column=4), f"项目名称：{proj.name}")
        put_text(ws.cell(row=3, column=1), f"完成情况：{status}")
        put_text(ws.cell(row=3, column=4), f"支出类型：{proj.ledger_type}")
        put_text(ws.cell(row=3, column=7), "金额单位：元")
        # two header rows: groups, then columns
        groups = [("凭证信息", 1, 4), ("会计凭证记载金额", 5, 5), ("税法规定的归集金额", 6, 6),
                  ("费用明细（税法规定）", 7, 12), ("委托研发费用", 13, 14)]
        for text, a, b in groups:
            ws.cell(row=5, column=a, value=text)
            if b > a:
                ws.merge_cells(start_row=5, start_column=a, end_row=5, end_column=b)
        for c, h in enumerate(heads, 1):
            ws.cell(row=6, column=c, value=h if c not in (5, 6) else "")
        ws.merge_cells(start_row=5, start_column=5, end_row=6, end_column=5)
        ws.merge_cells(start_row=5, start_column=6, end_row=6, end_column=6)
        _style_header(ws, 5, ncols)
        _style_header(ws, 6, ncols)
        r = 7
        totals = {"acc": 0, "elig": 0, **{c: 0 for c in DETAIL_COLUMNS}}
        for row in rows:
            put_value(ws.cell(row=r, column=1), row.date)
            put_text(ws.cell(row=r, column=2), row.kind)
            put_text(ws.cell(row=r, column=3), row.number)
            put_text(ws.cell(row=r, column=4), "；".join(row.summaries))
            put_fen(ws.cell(row=r, column=5), row.accounting)
            put_fen(ws.cell(row=r, column=6), row.eligible)
            for c, name in enumerate(DETAIL_COLUMNS, 7):
                if row.detail[name]:
                    put_fen(ws.cell(row=r, column=c), row.detail[name])
                totals[name] += row.detail[name]
            totals["acc"] += row.accounting
            totals["elig"] += row.eligible
            r += 1
        put_text(ws.cell(row=r, column=1), "合计金额")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        put_fen(ws.cell(row=r, column=5), totals["acc"])
        put_fen(ws.cell(row=r, column=6), totals["elig"])
        for c, name in enumerate(DETAIL_COLUMNS, 7):
            put_fen(ws.cell(row=r, column=c), totals[name])
        for c in range(1, ncols + 1):
            ws.cell(row=r, column=c).font = BOLD
            ws.cell(row=r, column=c).border = BOX
        put_text(ws.cell(row=r + 2, column=1), "会计主管：")
        put_text(ws.cell(row=r + 2, column=7), "录入人：")
        widths = [11, 6, 10, 36, 16, 16] + [15] * 8
        for c, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(c)].width = w
        ws.freeze_panes = "A7"
        _print_setup(ws, "5:6", landscape=True, paper_a3=True)
    if not wb.sheetnames:
        ws = wb.create_sheet("无数据")
        put_text(ws.cell(row=1, column=1), f"{ev.sd.period.label}没有研发支出")
    wb.save(path)


# -- 研发支出辅助账汇总表 ------------------------------------------------------------------------

def write_summary(ev: Evaluation, path: str | Path) -> None:
    sd = ev.sd
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
    ncols = len(SUMMARY_HEADERS)
    start = _header_block(ws, ev, "研发支出辅助账汇总表（2021版）", ncols)
    for c, (h, _) in enumerate(SUMMARY_HEADERS, 1):
        ws.cell(row=start, column=c, value=h)
    _style_header(ws, start, ncols)
    r = start + 1
    if not sd.eligible:
        put_text(ws.cell(row=r, column=1), f"不适用研发费用加计扣除：{sd.reason}")
        r += 1
    for row in sd.summary:
        put_text(ws.cell(row=r, column=1), row.project_no)
        put_text(ws.cell(row=r, column=2), row.name)
        put_text(ws.cell(row=r, column=3), row.status)
        put_text(ws.cell(row=r, column=4), row.ledger_type)
        for c, (_, key) in enumerate(SUMMARY_HEADERS, 1):
            if key is not None:
                put_fen(ws.cell(row=r, column=c), row.cols.get(key, 0))
        bold = not row.ledger_type
        for c in range(1, ncols + 1):
            ws.cell(row=r, column=c).border = BOX
            if bold:
                ws.cell(row=r, column=c).font = BOLD
        r += 1
    for c in range(1, ncols + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12 if c > 4 else (10, 30, 8, 8)[c - 1]
    ws.column_dimensions["E"].width = 16
    ws.row_dimensions[start].height = 60
    ws.freeze_panes = ws.cell(row=start + 1, column=5)
    _print_setup(ws, f"{start}:{start}", landscape=True, paper_a3=True)
    wb.save(path)


EXPORT_FILES = ("A107012.xlsx", "研发支出辅助账.xlsx", "研发支出辅助账汇总表.xlsx")


def export_all(ev: Evaluation, out_dir: str | Path, params: Params | None = None) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in EXPORT_FILES]
    write_a107012(ev, paths[0], params)
    write_ledgers(ev, paths[1], params)
    write_summary(ev, paths[2])
    return paths
