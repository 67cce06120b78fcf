"""Official workbooks kept on file (留存备查): A107012, the 2021版 研发支出辅助账 (one sheet per project and
支出类型) and the 研发支出辅助账汇总表 (super_deduction.md §8–§9). ``main.py export``.

What the printouts carry (review statement-and-exports X1–X17): the taxpayer's 纳税人识别号 and the full 属期 on
every form, the project on every page of the 辅助账 (print titles include the project rows), a CJK font on every
cell, wrapped names and 摘要, signature lines, A4/A3 page setups that fit the width.

A capitalised (资本化) project that spans years (X11): each year's 辅助账 holds that year's vouchers only; the costs
capitalised in earlier years appear once, as the brought-forward line “以前年度资本化支出结转”; the sheet then has
“本年合计” (the year's vouchers) and “合计金额” (brought forward + the year).  The project enters the 汇总表 in the year
its intangible asset is formed, with all its costs (国家税务总局公告2021年第28号 三(一): 资本化项目发生的费用在形成
无形资产的年度统一纳入计算); in the years before, the 汇总表 lists it below the table as a project in progress, not
counted, with the same amounts as its 辅助账 sheet.  The rule and what was verified is in docs/manual/README.md.

The three files are written as one set (forms.atomic): all three to temporary files, then renamed; a failure
leaves the previous export intact.  The 辅助账 is streamed (openpyxl write-only), so memory does not grow with
the ledger; the number of project sheets is bounded by :data:`MAX_LEDGER_SHEETS`.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from operator import attrgetter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList

from calc.columns import ledger_memo
from calc.evaluate import Evaluation
from calc.model import Line
from calc.money import rate_percent, ratio_str, round_fen
from calc.params import Params, load_params
from calc.superdeduction import GRANT, SDResult

from .atomic import write_set
from .report import UNVERIFIED_MARK, a107012_notes
from .xlsx_stream import Style as XStyle
from .xlsx_stream import _EPOCH, StreamBook, save_workbook
from .xlsx_cells import FMT_AMOUNT, FMT_DATE, FORMULA_TRIGGERS, put_fen, put_text, put_value
from .xlsx_cells import XML_ILLEGAL as _XML_ILLEGAL

# -- presentation ----------------------------------------------------------------------------
#: The font of every cell.  宋体 (SimSun) is what the official forms use; Excel on Windows has it, and LibreOffice
#: maps the name to an installed CJK font through its substitution table (checked: it printed with the CJK font
#: installed, WenQuanYi Micro Hei, in our LibreOffice runs).
FONT_NAME = "宋体"
BODY = Font(name=FONT_NAME, size=10)
BOLD = Font(name=FONT_NAME, size=10, bold=True)
SMALL = Font(name=FONT_NAME, size=9)
TITLE = Font(name=FONT_NAME, size=14, bold=True)
LIGHT = Side(style="thin", color="A6A6A6")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LIGHT_BOX = Border(left=LIGHT, right=LIGHT, top=LIGHT, bottom=LIGHT)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
SUB_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
LEFT = Alignment(wrap_text=True, vertical="center")
LEFT_TOP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right", vertical="center")
CENTER = Alignment(horizontal="center", vertical="center")
UNIT = "金额单位：元（列至角分）"
CREATOR = "研发惠企测算"

#: Above this many project sheets the 研发支出辅助账 is refused before anything is written (hostile-input R3): a
#: workbook of tens of thousands of sheets cannot be opened usefully in Excel, and writing it takes minutes.
MAX_LEDGER_SHEETS = 3000

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
#: 完成情况 as the official forms word it (the engine says 已结束 / 未结束).
STATUS_TEXT = {"已结束": "已完成", "未结束": "未完成"}
BROUGHT_FORWARD = "以前年度资本化支出结转"
SOURCE_28 = "国家税务总局公告2021年第28号第三条第（一）项"


class ExportError(Exception):
    """The export cannot be made as asked; ``str()`` is the Chinese message for the user."""


def _date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def period_text(sd: SDResult) -> str:
    """The full 属期 as printed: “2024年01月01日至2024年12月31日”."""
    return f"{_date_text(sd.period.start)}至{_date_text(sd.period.end)}"


def _display_width(text: str) -> int:
    """Width in Excel column units, a hanzi counting two: (UTF-8 bytes + characters) / 2 is exact for ASCII (1) and
    for the three-byte CJK characters (2), and close enough for the rest — and fast on 300,000 rows."""
    return (len(text.encode("utf-8", "surrogatepass")) + len(text)) // 2


def _lines_needed(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide (a little pessimistic)."""
    usable = max(1.0, width * 0.95 - 1)
    return max(1, sum(max(1, math.ceil(_display_width(part) / usable)) for part in str(text).split("\n")))


def _new_workbook(write_only: bool = False) -> Workbook:
    wb = Workbook(write_only=write_only)
    wb._fonts = IndexedList([BODY])                  # the default font of every cell: 宋体 10 pt, not Calibri
    props = wb.properties
    props.creator = props.lastModifiedBy = CREATOR
    return wb


def _header_block(ws, ev: Evaluation, title: str, width: int, narrow: bool) -> int:
    """Title, 纳税人识别号, 纳税人名称, 属期 and 金额单位 (each in merged cells wide enough to print in full);
    returns the row of the table header."""
    prof = ev.ledger.profile
    cell = ws.cell(row=1, column=1, value=title)
    cell.font, cell.alignment = TITLE, CENTER
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 24
    fields = [f"纳税人识别号（统一社会信用代码）：{prof.credit_code or ''}", f"纳税人名称：{prof.name or ''}",
              f"属期：{period_text(ev.sd)}", UNIT]
    if narrow:                                          # A107012: one field a row, across the whole width
        for i, text in enumerate(fields):
            r = 2 + i
            put_text(ws.cell(row=r, column=1), text)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            ws.cell(row=r, column=1).alignment = RIGHT if text == UNIT else LEFT
        return 7
    half = width // 2
    for r, (left, right) in ((2, fields[:2]), (3, fields[2:])):
        put_text(ws.cell(row=r, column=1), left)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=half)
        put_text(ws.cell(row=r, column=half + 1), right)
        ws.merge_cells(start_row=r, start_column=half + 1, end_row=r, end_column=width)
        ws.cell(row=r, column=1).alignment = LEFT
        ws.cell(row=r, column=half + 1).alignment = RIGHT if right == UNIT else LEFT
    return 5


def _print_setup(ws, header_rows: str, landscape: bool, paper_a3: bool, footer_left: str = "") -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = 8 if paper_a3 else 9        # A3 / A4 (ECMA-376 paper codes)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.5
    ws.page_margins.bottom = 0.6
    ws.print_title_rows = header_rows
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    ws.oddFooter.center.size = 9
    if footer_left:
        text = _XML_ILLEGAL.sub("", footer_left)
        ws.oddFooter.left.text = (text if len(text) <= 120 else text[:119] + "…").replace("&", "&&")
        ws.oddFooter.left.size = 9


def _style_header(ws, row: int, ncols: int) -> None:
    for c in range(1, ncols + 1):
        cell = ws.cell(row=row, column=c)
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD_FILL, WRAP, BOX


def _signature_row(ws, row: int, width: int, labels: tuple[str, ...]) -> None:
    """A row of signature fields spread over the width (法定代表人（签章）… 日期)."""
    n = len(labels)
    span = max(1, width // n)
    for i, label in enumerate(labels):
        a = 1 + i * span
        b = width if i == n - 1 else a + span - 1
        put_text(ws.cell(row=row, column=a), label)
        ws.cell(row=row, column=a).alignment = Alignment(vertical="bottom")
        if b > a:
            ws.merge_cells(start_row=row, start_column=a, end_row=row, end_column=b)
    ws.row_dimensions[row].height = 30


# -- A107012 ---------------------------------------------------------------------------------

_LEVEL0 = re.compile(r"^[一二三四五六七八九十]+、")
_LEVEL1 = re.compile(r"^（[一二三四五六七八九十]+）")
_LEVEL2 = re.compile(r"^(\d+\.|其中)")


def _row_level(label: str) -> int:
    """Indent level of an A107012 row label as on the official form: 一、 0 (bold) · （一） 1 · 1./其中 2."""
    if _LEVEL0.match(label):
        return 0
    if _LEVEL1.match(label):
        return 1
    if _LEVEL2.match(label):
        return 2
    return 1


def _rate_percent(value) -> Decimal:
    text = ratio_str(Fraction(value) * 100, 2).rstrip("0").rstrip(".")
    return Decimal(text)


def write_a107012(ev: Evaluation, path: str | Path, params: Params | None = None) -> None:
    params = params or load_params()
    sd = ev.sd
    wb = _new_workbook()
    ws = wb.active
    ws.title = "A107012"
    start = _header_block(ws, ev, "A107012　研发费用加计扣除优惠明细表", 3, narrow=True)
    for c, h in enumerate(("行次", "项目", "金额（数量）"), 1):
        ws.cell(row=start, column=c, value=h)
    _style_header(ws, start, 3)
    ws.row_dimensions[start].height = 20
    r = start + 1
    if not sd.eligible:
        put_text(ws.cell(row=r, column=2), f"不适用研发费用加计扣除：{sd.reason}")
        ws.cell(row=r, column=2).alignment = LEFT
        r += 1
    tail = {t["key"]: t for t in sd.layout["tail"]} if sd.layout else {}
    unverified = sd.unverified_rows()                  # rows not verified against the published 填报说明 (law data)
    code = sd.method_code()                            # row 50: the form's method code and its meaning
    for key in sd.row_keys():
        number = str(int(key[1:])) if key not in tail else ("" if tail[key]["number"] is None else str(tail[key]["number"]))
        label = tail[key]["label"] if key in tail else params.row_labels[key]
        level = _row_level(label)
        if key == "R50" and code is not None:
            label = f"{label}：{code['code']} {code['label']}"
        label += UNVERIFIED_MARK if key in unverified else ""
        put_text(ws.cell(row=r, column=1), number)
        put_text(ws.cell(row=r, column=2), label)
        value = sd.rows.get(key)
        cell = ws.cell(row=r, column=3)
        if key == "R01":
            put_value(cell, int(value))
        elif key == "R50":
            if code:
                put_text(cell, str(code["code"]))
            elif sd.q4:
                put_text(cell, f"前三季度{rate_percent(sd.q4['x_q13'])} / 第四季度{rate_percent(sd.q4['x_q4'])}"
                               f"（{sd.q4['method_label']}）")
            elif value is not None:                      # 八、加计扣除比例（%）: the number, e.g. 100
                pct = _rate_percent(value)
                put_value(cell, pct, "0" if pct == pct.to_integral_value() else "0.##")
        elif value is not None:
            put_fen(cell, int(value))
        for c in range(1, 4):
            ws.cell(row=r, column=c).border = BOX
        ws.cell(row=r, column=1).alignment = CENTER
        ws.cell(row=r, column=2).alignment = Alignment(horizontal="left", wrap_text=True, vertical="center", indent=level * 2)
        ws.cell(row=r, column=3).alignment = RIGHT if key != "R50" or not sd.q4 else \
            Alignment(horizontal="right", vertical="center", wrap_text=True)
        if level == 0:
            ws.cell(row=r, column=2).font = BOLD
        lines = _lines_needed(label, 76 - level * 2)
        if lines > 1:
            ws.row_dimensions[r].height = 14 * lines + 2
        r += 1
    for note in a107012_notes(sd, params):            # the version, its announcement, unverified rows, filing
        r += 1
        put_text(ws.cell(row=r, column=2), note)
        ws.cell(row=r, column=2).alignment = LEFT
        ws.cell(row=r, column=2).font = SMALL
        ws.row_dimensions[r].height = 14 * _lines_needed(note, 76) + 2
    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B"].width = 78
    ws.column_dimensions["C"].width = 20
    _print_setup(ws, f"{start}:{start}", landscape=False, paper_a3=False,
                 footer_left=f"{ev.ledger.profile.name or ''} {sd.period.label}")
    save_workbook(wb, path)


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
    notes: list = field(default_factory=list)


@dataclass
class LedgerSheet:
    """What one 辅助账 sheet shows: the period's voucher rows, the brought-forward costs of earlier years (a
    capitalised project), the status and type as of the period, and the explanatory note."""
    project_no: str
    name: str
    ledger_type: str
    status: str                                       # 已完成 / 未完成
    rows: list                                        # _VoucherRow of the period
    brought_forward: _VoucherRow | None = None        # costs of earlier years still capitalised
    counted: bool = True                              # in this period's 汇总表
    note: str = ""

    def year_total(self) -> _VoucherRow:
        return _sum_rows(self.rows)

    def total(self) -> _VoucherRow:
        rows = self.rows + ([self.brought_forward] if self.brought_forward else [])
        return _sum_rows(rows)


def _empty_row(date=None, kind="", number="") -> _VoucherRow:
    return _VoucherRow(date, kind, number, [], 0, 0, {c: 0 for c in DETAIL_COLUMNS})


def _sum_rows(rows) -> _VoucherRow:
    out = _empty_row()
    for row in rows:
        out.accounting += row.accounting
        out.eligible += row.eligible
        for c in DETAIL_COLUMNS:
            out.detail[c] += row.detail[c]
    return out


def _line_note(line: Line, code, amount: int, excluded: dict) -> str | None:
    """Why the 税法 amount of a line differs from its 会计 amount (X15), or None."""
    if line.id in excluded:
        return excluded[line.id]
    if not code.column_2021 or not code.category:
        return f"{code.label}：{code.reason}" if code.reason else code.label
    if line.funding == GRANT:
        return "财政资金（不征税收入）形成的费用不得加计扣除"
    if line.share is not None and amount != line.base_amount:
        return f"按研发工时占比{ratio_str(line.share * 100, 2).rstrip('0').rstrip('.')}%计入"
    if amount != line.amount:
        return "税法金额与会计金额不同（见研发支出表“税法金额”）"
    return None


def _eligible_detail(line: Line, params: Params, excluded) -> tuple[int, str | None]:
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


def _strip_kind(kind: str, number: str) -> str:
    """“付” + “付-0020” → “0020”: the voucher kind is not repeated in 号数 (X16)."""
    if kind and number.startswith(kind):
        rest = number[len(kind):].lstrip(" -－—_·.：:#")
        if rest:
            return rest
    return number


_DATE_ID = attrgetter("date", "id")


def _group(lines, params: Params, excluded: dict, counted: Callable[[Line], bool] | None = None) -> list[_VoucherRow]:
    """One row per voucher (date, kind, number), in date order; ``counted(line)`` False → its 税法 amount is 0."""
    grouped: dict[tuple, _VoucherRow] = {}
    codes = params.codes
    columns = {k: (c.column_2021 if c.column_2021 and c.category else None) for k, c in codes.items()}
    zero = dict.fromkeys(DETAIL_COLUMNS, 0)
    for l in sorted(lines, key=_DATE_ID):
        kind = l.voucher_kind or ""
        number = l.voucher_no or ""
        key = (l.date, kind, number)
        row = grouped.get(key)
        if row is None:
            row = grouped[key] = _VoucherRow(l.date, kind, _strip_kind(kind, number), [], 0, 0, zero.copy())
        summary = l.summary
        if summary and summary not in row.summaries:
            row.summaries.append(summary)
        row.accounting += l.amount
        column = columns[l.code]
        ok = counted is None or counted(l)
        if column and ok and l.id not in excluded and l.funding != GRANT:
            base = l.amount if l.tax_amount is None else l.tax_amount
            amount = base if l.share is None else round_fen(base * l.share)
            row.eligible += amount
            row.detail[column] += amount
        else:
            amount = 0
        if amount != l.amount and ok:
            note = _line_note(l, codes[l.code], amount, excluded)
            if note and note not in row.notes:
                row.notes.append(note)
    return list(grouped.values())


def _summary_rows(sd: SDResult) -> dict:
    out: dict = {}
    for r in sd.summary:
        if r.ledger_type:
            out.setdefault(r.project_no, r)
    return out


def ledger_sheet(ev: Evaluation, project_no: str, params: Params, _pool: dict | None = None) -> LedgerSheet | None:
    """The 辅助账 sheet of one project for the period, or None when the project has nothing in it."""
    sd = ev.sd
    period = sd.period
    excluded = _excluded(sd)
    proj = ev.ledger.projects[project_no]
    summary = (_summary_rows(sd) if _pool is None else _pool).get(project_no)
    lines = _lines_of(ev.ledger).get(project_no, ())
    start, end = period.start, period.end
    current = [l for l in lines if start <= l.date <= end]
    status = STATUS_TEXT.get(summary.status if summary else "", None)
    if not proj.capitalised:
        if not current:
            return None
        if status is None:
            ended = proj.status == "已结束" and (proj.end is None or proj.end <= period.end)
            status = "已完成" if ended else "未完成"
        return LedgerSheet(proj.project_no, proj.name, proj.ledger_type, status,
                           _group(current, params, excluded), counted=summary is not None)
    # 资本化: earlier years' costs are carried forward until the asset is formed (or the project ends without one)
    ia = proj.ia_date
    formed_before = ia is not None and ia < period.start
    earlier = [] if formed_before else [l for l in lines if l.date < period.start]
    if formed_before:                                    # asset formed in an earlier year: later costs are not R&D
        rows = _group(current, params, excluded, lambda l: l.date <= ia)
        if not rows:
            return None
        note = (f"无形资产已于{_date_text(ia)}形成并计入{ia.year}年度汇总表；其后发生的支出不再作为该项目的研发费用"
                "加计扣除（税法规定的归集金额为零）。")
        return LedgerSheet(proj.project_no, proj.name, proj.ledger_type, "已完成", rows, None, False, note)
    if not current and not (summary is not None and earlier):
        return None
    rows = _group(current, params, excluded)
    bf = None
    if earlier:
        bf = _sum_rows(_group(earlier, params, excluded))
        years = sorted({l.date.year for l in earlier})
        span = f"{years[0]}年" if len(years) == 1 else f"{years[0]}—{years[-1]}年"
        bf.summaries = [f"{BROUGHT_FORWARD}（{span}，{len(earlier)}笔支出，明细见{span}辅助账）"]
        bf.kind, bf.number = "", ""
    if summary is not None:
        ltype = summary.ledger_type
        if ltype == "资本化":
            when = f"无形资产于{_date_text(ia)}形成" if ia else "本期形成无形资产"
            note = (f"{when}：以前年度资本化支出结转与本年支出合计计入本年汇总表“资本化”行"
                    f"（资本化项目发生的费用在形成无形资产的年度统一纳入计算，{SOURCE_28}）。")
        else:
            note = "资本化项目结束但未形成无形资产：累计支出按费用化计入本年汇总表（本软件采用的解释口径）。"
        return LedgerSheet(proj.project_no, proj.name, ltype, status or "已完成", rows, bf, True, note)
    if ia is not None and period.contains(ia):          # formed in the period but not in the 汇总表 (not eligible)
        note = f"无形资产于{_date_text(ia)}形成；本期不适用研发费用加计扣除，未计入汇总表。"
        return LedgerSheet(proj.project_no, proj.name, proj.ledger_type, "已完成", rows, bf, False, note)
    note = ("资本化项目，无形资产尚未形成：本年支出不计入本年研发支出辅助账汇总表，"
            f"在形成无形资产的年度与以前年度支出统一纳入计算（{SOURCE_28}）。")
    return LedgerSheet(proj.project_no, proj.name, proj.ledger_type, "未完成", rows, bf, False, note)


def _excluded(sd: SDResult) -> dict:
    def build():
        return dict(sd.excluded)
    if not hasattr(sd, "_excluded_map"):
        try:
            sd._excluded_map = build()
        except AttributeError:                            # a frozen result: no cache
            return build()
    return sd._excluded_map


def ledger_rows(ev: Evaluation, project_no: str, params: Params) -> list[_VoucherRow]:
    """The 辅助账 rows of one project for the period: the brought-forward line (capitalised projects) first, then
    one row per voucher (date, kind, number) of the period."""
    sheet = ledger_sheet(ev, project_no, params)
    if sheet is None:
        return []
    return ([sheet.brought_forward] if sheet.brought_forward else []) + sheet.rows


def ledger_sheets(ev: Evaluation, params: Params) -> list[LedgerSheet]:
    out = []
    pool = _summary_rows(ev.sd)
    for proj in ev.ledger.projects.values():
        sheet = ledger_sheet(ev, proj.project_no, params, pool)
        if sheet is not None:
            out.append(sheet)
    return out


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


_HEAD_BLUE, _SUB_GREY, _LINE, _BOXC = "DDEBF7", "F2F2F2", "A6A6A6", "808080"


class _Styles:
    """The cell styles of the streamed 辅助账 (forms.xlsx_stream)."""

    def __init__(self, book: StreamBook):
        def s(**kw):
            return book.style(XStyle(font=FONT_NAME, **kw))
        self.title = s(size=14, bold=True, horizontal="center")
        self.text = s(wrap=True)
        self.text_q = s(wrap=True, quote=True)
        self.text_right = s(horizontal="right")
        self.note = s(size=9, wrap=True, vertical="top")
        self.head = s(bold=True, fill=_HEAD_BLUE, border=_BOXC, horizontal="center", wrap=True)
        self.date = s(border=_LINE, horizontal="center", vertical="top", numfmt=FMT_DATE)
        self.cell = s(border=_LINE, horizontal="center", vertical="top", wrap=True)
        self.cell_q = s(border=_LINE, horizontal="center", vertical="top", wrap=True, quote=True)
        self.summary = s(border=_LINE, vertical="top", wrap=True)
        self.summary_q = s(border=_LINE, vertical="top", wrap=True, quote=True)
        self.amount = s(border=_LINE, horizontal="right", vertical="top", numfmt=FMT_AMOUNT)
        self.small = s(size=9, border=_LINE, vertical="top", wrap=True)
        self.small_q = s(size=9, border=_LINE, vertical="top", wrap=True, quote=True)
        self.sub_text = s(bold=True, fill=_SUB_GREY, border=_BOXC)
        self.sub_amount = s(bold=True, fill=_SUB_GREY, border=_BOXC, horizontal="right", numfmt=FMT_AMOUNT)
        self.bf_text = s(fill=_SUB_GREY, border=_LINE, vertical="top", wrap=True)
        self.bf_amount = s(fill=_SUB_GREY, border=_LINE, horizontal="right", vertical="top", numfmt=FMT_AMOUNT)
        self.sign = s(vertical="bottom")


def _fen_text(fen: int) -> str:
    """分 → the exact decimal text of 元 (“1234.50”), integer arithmetic only."""
    if fen == 0:
        return "0"
    q, r = divmod(-fen if fen < 0 else fen, 100)
    return f"{'-' if fen < 0 else ''}{q}.{r:02d}"


LEDGER_HEADS = ("日期", "种类", "号数", "摘要", "会计凭证记载金额", "税法规定的归集金额", *DETAIL_COLUMNS,
                "会计与税法差异说明")
LEDGER_WIDTHS = (10.5, 5, 8, 30, 13.5, 13.5, 12.5, 12.5, 11.5, 11.5, 11.5, 11.5, 12.5, 12.5, 20)


def write_ledgers(ev: Evaluation, path: str | Path, params: Params | None = None,
                  sheets: list[LedgerSheet] | None = None, progress: Callable[[int, int], None] | None = None) -> None:
    """研发支出辅助账（2021版）: one sheet per project and 支出类型 with vouchers in the period (streamed)."""
    params = params or load_params()
    sheets = ledger_sheets(ev, params) if sheets is None else sheets
    check_ledger_size(sheets)
    book = StreamBook(path, creator=CREATOR, title="研发支出辅助账")
    try:
        st = _Styles(book)
        used: set = set()
        prof = ev.ledger.profile
        for i, sheet in enumerate(sheets):
            if progress is not None:
                progress(i, len(sheets))
            _write_ledger_sheet(book, st, ev, sheet, _sheet_name(sheet.project_no, sheet.ledger_type, used), prof)
        if not sheets:
            ws = book.sheet("无数据", widths=(40,))
            ws.row([ws.text(f"{ev.sd.period.label}没有研发支出", st.text)])
        book.close()
    except BaseException:
        book.abort()
        raise


def _write_ledger_sheet(book: StreamBook, st: _Styles, ev: Evaluation, sheet: LedgerSheet, title: str, prof) -> None:
    ncols = len(LEDGER_HEADS)
    footer = _XML_ILLEGAL.sub("", f"{prof.name or ''} {ev.sd.period.label} {sheet.project_no}")
    ws = book.sheet(title, widths=LEDGER_WIDTHS, freeze="A7", print_rows="1:6", landscape=True, paper=9,
                    footer_left=footer if len(footer) <= 120 else footer[:119] + "…", footer_center="第 &P 页 / 共 &N 页")
    T = ws.text
    # row 1 title; rows 2–3 project and period; row 4 the note; rows 5–6 headers (rows 1–6 print on every page)
    ws.row([T("研发支出辅助账", st.title)], 24)
    ws.merge(1, 1, 1, ncols)
    name_lines = _lines_needed(f"项目名称：{sheet.name}", sum(LEDGER_WIDTHS[3:10]))
    ws.row([T(f"项目编号：{sheet.project_no}", st.text, st.text_q), None, None,
            T(f"项目名称：{sheet.name}", st.text, st.text_q), *[None] * 6,
            T(f"纳税人名称：{prof.name or ''}", st.text, st.text_q)], max(16, 14 * name_lines + 2))
    ws.merge(2, 1, 2, 3), ws.merge(2, 4, 2, 10), ws.merge(2, 11, 2, ncols)
    ws.row([T(f"完成情况：{sheet.status}", st.text), None, None, T(f"支出类型：{sheet.ledger_type}", st.text), None, None,
            T(f"属期：{period_text(ev.sd)}", st.text), None, None, None, T(UNIT, st.text_right)], 16)
    ws.merge(3, 1, 3, 3), ws.merge(3, 4, 3, 6), ws.merge(3, 7, 3, 10), ws.merge(3, 11, 3, ncols)
    if sheet.note:
        ws.row([T(sheet.note, st.note)], 12 * _lines_needed(sheet.note, sum(LEDGER_WIDTHS) * 1.1) + 4)
        ws.merge(4, 1, 4, ncols)
    else:
        ws.row([])
    groups = {1: "凭证信息", 5: "会计凭证记载金额", 6: "税法规定的归集金额", 7: "费用明细（税法规定）",
              13: "委托研发费用", 15: "会计与税法差异说明"}
    ws.row([T(groups[c], st.head) if c in groups else ws.blank(st.head) for c in range(1, ncols + 1)], 18)
    ws.row([T(h, st.head) if c not in (5, 6, 15) else ws.blank(st.head) for c, h in enumerate(LEDGER_HEADS, 1)], 68)
    for m in ((5, 1, 5, 4), (5, 5, 6, 5), (5, 6, 6, 6), (5, 7, 5, 12), (5, 13, 5, 14), (5, 15, 6, 15)):
        ws.merge(*m)

    N = ws.number
    blank_amount = ws.blank(st.amount)

    def amounts(row: _VoucherRow, amount_style, every: bool = False) -> list:
        cells = [N(_fen_text(row.accounting), amount_style), N(_fen_text(row.eligible), amount_style)]
        detail = row.detail
        for c in DETAIL_COLUMNS:
            v = detail[c]
            cells.append(N(_fen_text(v), amount_style) if (v or every) else
                         (blank_amount if amount_style == st.amount else ws.blank(amount_style)))
        return cells

    w_summary, w_note, w_no = LEDGER_WIDTHS[3], LEDGER_WIDTHS[14], LEDGER_WIDTHS[2]
    if sheet.brought_forward is not None:
        bf = sheet.brought_forward
        text = "；".join(bf.summaries)
        ws.row([ws.blank(st.bf_text), ws.blank(st.bf_text), ws.blank(st.bf_text), T(text, st.bf_text),
                *amounts(bf, st.bf_amount, True), T("以前年度已记入辅助账的资本化支出，本表不重复列示凭证", st.bf_text)],
               13.5 * max(2, _lines_needed(text, w_summary)) + 3)
    date, cell, cell_q, summ, summ_q, small, small_q = st.date, st.cell, st.cell_q, st.summary, st.summary_q, \
        st.small, st.small_q
    blank_small = ws.blank(small)
    # the voucher rows, the bulk of a big ledger: XML text made here directly (forms.xlsx_stream.StreamSheet.raw_row)
    esc = ws.escape_text
    s_date, s_amount = date, st.amount
    letters = [get_column_letter(c) for c in range(1, 16)]
    detail_cols = list(zip(letters[6:14], DETAIL_COLUMNS))
    quoted = FORMULA_TRIGGERS
    for row in sheet.rows:
        text = "；".join(row.summaries)
        note = "；".join(row.notes)
        lines = _lines_needed(text, w_summary) if len(text) > 12 else 1
        if note:
            lines = max(lines, math.ceil(_lines_needed(note, w_note) * 0.9))
        if len(row.number) > 7:
            lines = max(lines, _lines_needed(row.number, w_no))
        r = ws.next_row()
        parts = [f'<row r="{r}" ht="{13.5 * lines + 3:g}" customHeight="1">' if lines > 1 else f'<row r="{r}">']
        if isinstance(row.date, dt.date):
            parts.append(f'<c r="A{r}" s="{s_date}"><v>{(row.date - _EPOCH).days}</v></c>')
        else:
            parts.append(f'<c r="A{r}" s="{s_date}"/>')
        for col, value, plain, q in (("B", row.kind, cell, cell_q), ("C", row.number, cell, cell_q),
                                     ("D", text, summ, summ_q)):
            value = esc(value)
            parts.append(f'<c r="{col}{r}" s="{q if value.startswith(quoted) else plain}" t="inlineStr"><is>'
                         f'<t xml:space="preserve">{value}</t></is></c>')
        parts.append(f'<c r="E{r}" s="{s_amount}"><v>{_fen_text(row.accounting)}</v></c>'
                     f'<c r="F{r}" s="{s_amount}"><v>{_fen_text(row.eligible)}</v></c>')
        detail = row.detail
        for col, name in detail_cols:
            v = detail[name]
            parts.append(f'<c r="{col}{r}" s="{s_amount}"><v>{_fen_text(v)}</v></c>' if v
                         else f'<c r="{col}{r}" s="{s_amount}"/>')
        if note:
            note = esc(note)
            parts.append(f'<c r="O{r}" s="{small_q if note.startswith(quoted) else small}" t="inlineStr"><is>'
                         f'<t xml:space="preserve">{note}</t></is></c></row>')
        else:
            parts.append(f'<c r="O{r}" s="{small}"/></row>')
        ws.raw("".join(parts))
    totals = []
    if sheet.brought_forward is not None:
        totals.append(("本年合计", sheet.year_total()))
    totals.append(("合计金额", sheet.total()))
    for label, row in totals:
        r = ws.current_row + 1
        ws.row([T(label, st.sub_text), ws.blank(st.sub_text), ws.blank(st.sub_text), ws.blank(st.sub_text),
                *amounts(row, st.sub_amount, True), ws.blank(st.sub_text)], 18)
        ws.merge(r, 1, r, 4)
    ws.row([])
    ws.row([T("会计主管：", st.sign), *[None] * 5, T("录入人：", st.sign), *[None] * 3, T("日期：", st.sign)], 30)
    ws.close()


def check_ledger_size(sheets) -> None:
    if len(sheets) > MAX_LEDGER_SHEETS:
        raise ExportError(
            f"本期有{len(sheets):,}个研发项目账页，超过研发支出辅助账工作簿的上限（{MAX_LEDGER_SHEETS:,}个）："
            "这么多工作表在 Excel 中无法正常使用。请核对研发项目表（是否把每笔凭证登记成了一个项目），"
            "或按项目分批导出。未写入任何文件。")


# -- 研发支出辅助账汇总表 ------------------------------------------------------------------------

def write_summary(ev: Evaluation, path: str | Path, sheets: list[LedgerSheet] | None = None,
                  params: Params | None = None) -> None:
    sd = ev.sd
    if sheets is None:
        sheets = ledger_sheets(ev, params or load_params())
    if len(sd.summary) > 2000:
        _summary_streamed(path, ev)
        return
    wb = _new_workbook()
    ws = wb.active
    ws.title = "汇总表"
    _summary_sheet(ws, ev, sheets)
    save_workbook(wb, path)


def _summary_widths():
    return [10, 26, 7, 7, 14] + [12.5] * 12


def _summary_sheet(ws, ev: Evaluation, sheets: list[LedgerSheet]) -> None:
    sd = ev.sd
    ncols = len(SUMMARY_HEADERS)
    start = _header_block(ws, ev, "研发支出辅助账汇总表", ncols, narrow=False)
    for c, (h, _) in enumerate(SUMMARY_HEADERS, 1):
        ws.cell(row=start, column=c, value=h)
    _style_header(ws, start, ncols)
    ws.row_dimensions[start].height = 96
    widths = _summary_widths()
    r = start + 1
    if not sd.eligible:
        put_text(ws.cell(row=r, column=1), f"不适用研发费用加计扣除：{sd.reason}")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        ws.cell(row=r, column=1).alignment = LEFT
        r += 1
    for row in sd.summary:
        subtotal = not row.ledger_type
        put_text(ws.cell(row=r, column=1), row.project_no)
        put_text(ws.cell(row=r, column=2), row.name)
        put_text(ws.cell(row=r, column=3), STATUS_TEXT.get(row.status, row.status))
        put_text(ws.cell(row=r, column=4), row.ledger_type)
        if subtotal:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        for c, (_, key) in enumerate(SUMMARY_HEADERS, 1):
            if key is not None:
                put_fen(ws.cell(row=r, column=c), row.cols.get(key, 0))
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = BOX
            cell.font = BOLD if subtotal else BODY
            if subtotal:
                cell.fill = SUB_FILL
            cell.alignment = RIGHT if c > 4 else (LEFT if c in (1, 2) else CENTER)
        lines = _lines_needed(row.name or "", widths[1]) if not subtotal else 1
        ws.row_dimensions[r].height = max(18, 13.5 * lines + 3)
        r += 1
    waiting = [s for s in sheets if s.ledger_type == "资本化" and not s.counted and s.status == "未完成"]
    if waiting:
        r += 1
        text = ("在研的资本化项目（无形资产尚未形成，不计入本表，在形成无形资产的年度统一纳入计算，"
                f"{SOURCE_28}；明细见研发支出辅助账）：")
        put_text(ws.cell(row=r, column=1), text)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        ws.cell(row=r, column=1).alignment = LEFT
        ws.cell(row=r, column=1).font = BOLD
        ws.row_dimensions[r].height = 18
        r += 1
        heads = ("项目编号", "项目名称", "完成情况", "支出类型", "本年税法规定的归集金额", "累计税法规定的归集金额",
                 "本年会计凭证记载金额", "累计会计凭证记载金额")
        for c, h in enumerate(heads, 1):
            ws.cell(row=r, column=c, value=h)
        _style_header(ws, r, len(heads))
        ws.row_dimensions[r].height = 44
        r += 1
        for s in waiting:
            year, total = s.year_total(), s.total()
            values = (s.project_no, s.name, s.status, s.ledger_type)
            for c, v in enumerate(values, 1):
                put_text(ws.cell(row=r, column=c), v)
            for c, fen in enumerate((year.eligible, total.eligible, year.accounting, total.accounting), 5):
                put_fen(ws.cell(row=r, column=c), fen)
            for c in range(1, len(heads) + 1):
                cell = ws.cell(row=r, column=c)
                cell.border = BOX
                cell.alignment = RIGHT if c > 4 else (LEFT if c in (1, 2) else CENTER)
            ws.row_dimensions[r].height = max(18, 13.5 * _lines_needed(s.name, widths[1]) + 3)
            r += 1
    r += 1
    _signature_row(ws, r, ncols, ("法定代表人（签章）：", "财务负责人：", "填表人：", "填表日期：　　年　　月　　日"))
    for c, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = ws.cell(row=start + 1, column=5)
    _print_setup(ws, f"{start}:{start}", landscape=True, paper_a3=True,
                 footer_left=f"{ev.ledger.profile.name or ''} {sd.period.label}")


def _summary_streamed(path, ev: Evaluation) -> None:
    """Very many projects: the same table, streamed (forms.xlsx_stream), without the in-progress list."""
    sd = ev.sd
    prof = ev.ledger.profile
    book = StreamBook(path, creator=CREATOR, title="研发支出辅助账汇总表")
    try:
        st = _Styles(book)
        ncols = len(SUMMARY_HEADERS)
        ws = book.sheet("汇总表", widths=_summary_widths(), freeze="E6", print_rows="5:5", landscape=True, paper=8,
                        footer_left=_XML_ILLEGAL.sub("", f"{prof.name or ''} {sd.period.label}")[:120],
                        footer_center="第 &P 页 / 共 &N 页")
        T = ws.text
        ws.row([T("研发支出辅助账汇总表", st.title)], 24)
        ws.merge(1, 1, 1, ncols)
        ws.row([T(f"纳税人识别号（统一社会信用代码）：{prof.credit_code or ''}", st.text, st.text_q), *[None] * 7,
                T(f"纳税人名称：{prof.name or ''}", st.text, st.text_q)])
        ws.row([T(f"属期：{period_text(sd)}", st.text), *[None] * 7, T(UNIT, st.text_right)])
        ws.merge(2, 1, 2, 8), ws.merge(2, 9, 2, ncols), ws.merge(3, 1, 3, 8), ws.merge(3, 9, 3, ncols)
        ws.row([])
        ws.row([T(h, st.head) for h, _ in SUMMARY_HEADERS], 96)
        for row in sd.summary:
            sub = not row.ledger_type
            text, text_q, amount = (st.sub_text, st.sub_text, st.sub_amount) if sub else (st.summary, st.summary_q,
                                                                                           st.amount)
            ws.row([T(row.project_no, text, text_q), T(row.name, text, text_q),
                    T(STATUS_TEXT.get(row.status, row.status), text), T(row.ledger_type, text),
                    *[ws.number(_fen_text(row.cols.get(key, 0)), amount) for _, key in SUMMARY_HEADERS
                      if key is not None]])
        ws.row([])
        ws.row([T("法定代表人（签章）：", st.sign), *[None] * 3, T("财务负责人：", st.sign), *[None] * 3,
                T("填表人：", st.sign), *[None] * 3, T("填表日期：　　年　　月　　日", st.sign)], 30)
        book.close()
    except BaseException:
        book.abort()
        raise


# -- the set -----------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_name_part(text: str, limit: int = 40) -> str:
    """A piece of a file name every file system accepts: no \\/:*?"<>| or control characters, no leading or
    trailing dots and spaces, at most ``limit`` characters."""
    text = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", text or "")).strip(" .")
    return text[:limit].strip(" .")


FORM_NAMES = ("A107012", "研发支出辅助账", "研发支出辅助账汇总表")
EXPORT_FILES = tuple(f"{n}.xlsx" for n in FORM_NAMES)       # the form part of each file name


def export_names(ev: Evaluation) -> list[str]:
    """File names of the set: period, company and form, e.g. “2024年度_宁夏…有限公司_A107012.xlsx” (X6), so that
    exporting another year or company into the same folder does not overwrite."""
    parts = [safe_name_part(ev.sd.period.label, 20)]
    company = safe_name_part(ev.ledger.profile.name or "")
    if company:
        parts.append(company)
    prefix = "_".join(parts)
    return [f"{prefix}_{name}" for name in EXPORT_FILES]


def export_all(ev: Evaluation, out_dir: str | Path, params: Params | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write the three workbooks into ``out_dir`` as one set (all or none replaced); returns their paths.
    ``progress(done, total)`` is called as the 辅助账 sheets are written (the worker of the GUI shows it; raising
    from it cancels the export, and nothing is replaced)."""
    params = params or load_params()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sheets = ledger_sheets(ev, params)
    check_ledger_size(sheets)
    names = export_names(ev)
    total = len(sheets) + 2

    def step(done):
        if progress is not None:
            progress(done, total)

    def a107012(tmp):
        step(0)
        write_a107012(ev, tmp, params)

    def ledgers(tmp):
        step(1)
        write_ledgers(ev, tmp, params, sheets, (lambda i, n: step(1 + i)) if progress else None)

    def summary(tmp):
        step(total - 1)
        write_summary(ev, tmp, sheets)
        step(total)

    return write_set([(out / names[0], a107012), (out / names[1], ledgers), (out / names[2], summary)])
