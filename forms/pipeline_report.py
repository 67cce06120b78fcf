"""The cultivation pipeline's outputs: the Excel workbook (培育库) and the PDF brief for the bureau's leadership.

Both follow the statement's honesty rules: certain benefits (the tax effect) and estimates (post-subsidies) are
never summed into one figure; an "up to" amount is shown apart and summed into nothing; a figure that could not be
computed is "无法计算" with what is missing, never 0; every tier names the rule that puts an enterprise there.
Files are written through :func:`forms.atomic.write_atomic`, so a failure never leaves half a file where a good
one was.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from calc.money import fen_display, fen_to_decimal
from calc.params import load_params
from calc.pipeline import HNTE_STATUS_NAMES, PIPELINE_INTERPRETATIONS, summarise, tiers
from calc.pipeline_input import ROSTER_INTERPRETATION

from .atomic import write_atomic

__all__ = ["write_pipeline_workbook", "write_pipeline_brief", "pipeline_json", "SHEET_SUMMARY", "SHEET_ALL"]

SHEET_SUMMARY = "汇总"
SHEET_ALL = "全部企业"
SHEET_PROBLEMS = "名册问题"
_FONT = "等线"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _yuan(fen: int | None, unknown: str = "无法计算") -> str:
    return unknown if fen is None else f"¥{fen_display(fen)}"


def wan_text(fen: int | None) -> str:
    """万元 with two decimals (the unit a bureau's report uses), rounded half up."""
    if fen is None:
        return "无法计算"
    # fen → 万元 hundredths: fen / 1,000,000 × 100 = fen / 10,000
    h, r = divmod(abs(fen), 10_000)
    if r * 2 >= 10_000:
        h += 1
    sign = "-" if fen < 0 else ""
    return f"{sign}{h // 100:,}.{h % 100:02d}万元"


def interpretations_text(params=None) -> list[tuple[str, str]]:
    params = params or load_params()
    out = []
    for flag in PIPELINE_INTERPRETATIONS + (ROSTER_INTERPRETATION,):
        it = params.interpretation(flag)
        out.append((flag, it.text))
    return out


def _text_width(text: str) -> int:
    """Display width in Excel character units (a CJK character counts about 1.7)."""
    return sum(17 if ord(ch) > 0x2E80 else 10 for ch in text) // 10


def fit_row_height(ws, row: int, min_height: float = 15) -> None:
    """Set the height of a row of wrapped cells so LibreOffice and Excel print every line (neither grows rows
    written by openpyxl on its own)."""
    from openpyxl.utils import get_column_letter
    lines = 1
    for cell in ws[row]:
        if cell.value is None or not isinstance(cell.value, str):
            continue
        width = ws.column_dimensions[cell.column_letter].width or 8.43
        for merged in ws.merged_cells.ranges:
            if cell.coordinate in merged:
                width = sum((ws.column_dimensions[get_column_letter(c)].width or 8.43)
                            for c in range(merged.min_col, merged.max_col + 1))
        per_line = max(1, int(width * 0.95))
        n = sum(max(1, -(-_text_width(part) // per_line)) for part in cell.value.split("\n"))
        lines = max(lines, n)
    ws.row_dimensions[row].height = max(min_height, 14 * lines + 3)


# --------------------------------------------------------------------------- rows

COLUMNS = (
    ("序号", 6), ("企业名称", 28), ("统一社会信用代码", 21), ("所在区县", 12), ("行业代码", 9), ("科技特派员", 11),
    ("培育分层", 22), ("科小状态", 12), ("科小评分", 8), ("科小：缺少或待核实", 28), ("高企状态", 10),
    ("最早可申报年度", 10), ("申报看的年度", 12), ("高企：差距与说明", 48), ("研发费用加计扣除额（元）", 16),
    ("加计扣除节税额（确定，元）", 16), ("高企15%税率节税（元）", 16), ("后补助（预估，元）", 16),
    ("后补助（附条件，元）", 16), ("后补助（最高可得，元）", 16), ("创新券、科创贷（最高可得，元）", 16), ("后补助政策与状态", 40), ("待补充资料", 30), ("来源", 18),
)
MONEY_COLS = {"研发费用加计扣除额（元）", "加计扣除节税额（确定，元）", "高企15%税率节税（元）", "后补助（预估，元）",
              "后补助（附条件，元）", "后补助（最高可得，元）", "创新券、科创贷（最高可得，元）"}


COMPACT = (("序号", 5), ("企业名称", 22), ("所在区县", 8), ("科技特派员", 8), ("科小", 11), ("高企", 7),
           ("最早申报", 7), ("高企：差距与说明", 42), ("节税额（确定，元）", 14), ("后补助（元）", 20), ("待补充资料", 18))
COMPACT_MONEY = {"节税额（确定，元）"}


def compact_row(i: int, r) -> list:
    """The printed lists' row: the figures a bureau reads on paper (the full set is on 全部企业)."""
    if r.error:
        return [i, r.name, r.district, r.commissioner, "", "", None, r.error, None, "", ""]
    h = r.hnte
    sme = r.tech_sme_status + (f"（{r.tech_sme_score}分）" if r.tech_sme_score is not None else "")
    subs = []
    if r.estimated:
        subs.append(f"预估{_yuan(r.estimated)}")
    if r.conditional:
        subs.append(f"附条件{_yuan(r.conditional)}")
    if r.up_to:
        subs.append(f"最高可得{_yuan(r.up_to)}")
    if r.support_up_to:
        subs.append(f"另：创新券、科创贷最高{_yuan(r.support_up_to)}")
    pend = f"；另有{len(h.pending)}项定性条件待核实" if h and h.pending else ""
    return [i, r.name, r.district, r.commissioner, sme, HNTE_STATUS_NAMES.get(h.status, h.status) if h else "",
            h.earliest_year if h else None, (h.core if h else "") + pend, r.certain, "；".join(subs),
            "；".join(r.missing)]


def result_row(i: int, r) -> list:
    """One result as the workbook's row (amounts as int 分 or None; text otherwise)."""
    h = r.hnte
    if r.error:
        return [i, r.name, r.credit_code, r.district, r.industry, r.commissioner, "无法测算", "", None, "", "", None, "",
                r.error, None, None, None, None, None, None, None, "", "", r.key]
    window = f"{h.window[0]}—{h.window[-1]}" if h and h.window else ""
    subs = "；".join(f"{t}：{'' if a is None else _yuan(a) + '，'}{s}" for t, a, k, s in r.subsidies + r.support)
    hnte_saving = r.hnte_saving if r.hnte_saving else None
    at_risk = f"（复核未达标，{_yuan(r.hnte_saving_at_risk)}有追缴风险）" if r.hnte_saving_at_risk else ""
    return [i, r.name, r.credit_code, r.district, r.industry, r.commissioner, r.tier_label, r.tech_sme_status,
            r.tech_sme_score, r.tech_sme_lacks, HNTE_STATUS_NAMES.get(h.status, h.status) if h else "",
            h.earliest_year if h else None, window, (h.text if h else "") + at_risk,
            r.sd_deduction, r.sd_saving, hnte_saving, r.estimated or None, r.conditional or None, r.up_to or None,
            r.support_up_to or None, subs,
            "；".join(r.missing), r.key]


# --------------------------------------------------------------------------- Excel

def write_pipeline_workbook(run, path) -> Path:
    """The 培育库 workbook: 汇总 (counts, sums, charts), 全部企业, one sheet per tier, one per commissioner, and the
    roster's problems. Print-ready (A4 landscape, fit to width, titles repeated), formula-safe."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.pagebreak import Break
    from .template import _save
    from .xlsx_cells import put_fen, put_text, put_value

    params = load_params()
    rules = tiers(params)
    agg = summarise(run.results, params)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_SUMMARY
    bold = Font(name=_FONT, bold=True)
    normal = Font(name=_FONT)
    title_font = Font(name=_FONT, bold=True, size=14)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    def head_row(sheet, row: int, heads, horizontal: str | None = None) -> None:
        """A table's header row: bold, shaded, wrapped, bordered."""
        for j, h in enumerate(heads, start=1):
            c = sheet.cell(row, j)
            put_text(c, h)
            c.font = bold
            c.fill = head_fill
            c.alignment = Alignment(wrap_text=True, vertical="center", horizontal=horizontal)
            c.border = border

    def setup(sheet, title_rows: str, landscape=True):
        sheet.print_title_rows = title_rows
        sheet.page_setup.orientation = "landscape" if landscape else "portrait"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
        sheet.oddHeader.left.text = "&A"
        sheet.page_margins.left = sheet.page_margins.right = 0.4

    # -- 汇总
    r = 1
    put_text(ws.cell(r, 1), f"科技型企业培育库测算汇总（{run.year}年度数据）")
    ws.cell(r, 1).font = title_font
    r += 1
    put_text(ws.cell(r, 1), f"测算日期：{run.as_of.year}年{run.as_of.month}月{run.as_of.day}日；来源："
             f"{'名册工作簿' if run.kind == 'roster' else '工作区文件夹'} {Path(run.source).name}；"
             f"企业{len(run.results)}家，其中无法测算{agg['errors']}家")
    r += 2
    put_text(ws.cell(r, 1), "一、分层统计（每家企业按下列顺序归入第一个符合的分层）")
    ws.cell(r, 1).font = bold
    r += 1
    heads = ("分层", "归入规则", "企业数", "加计扣除节税额合计（确定，元）", "其中无法计算节税额的企业数",
             "后补助预估合计（元）", "后补助附条件合计（元）", "后补助最高可得合计（元，不计入任何合计）")
    head_row(ws, r, heads)
    tier_first = r + 1

    def sums(row: int, label: str, rule: str, a, font) -> None:
        put_text(ws.cell(row, 1), label)
        put_text(ws.cell(row, 2), rule)
        put_value(ws.cell(row, 3), a.count)
        put_fen(ws.cell(row, 4), a.certain)
        put_value(ws.cell(row, 5), a.certain_unknown)
        put_fen(ws.cell(row, 6), a.estimated)
        put_fen(ws.cell(row, 7), a.conditional)
        put_fen(ws.cell(row, 8), a.up_to)
        for j in range(1, 9):
            ws.cell(row, j).border = border
            ws.cell(row, j).alignment = wrap
            ws.cell(row, j).font = font

    for t in rules:
        r += 1
        sums(r, t.label, t.rule, agg["tier"][t.id], normal)
    tier_last = r
    r += 1
    sums(r, "合计", "", agg["all"], bold)
    r += 1
    put_text(ws.cell(r, 1), "说明：节税额为加计扣除（及证书有效且条件无疑问时的高企15%税率）的确定性税收效果；后补助为预估，"
             "取决于申报、评审和年度预算，不与节税额相加；“附条件”须待企业确认相关条件；“最高可得”为政策上限，不计入任何合计。")
    ws.cell(r, 1).alignment = wrap
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
    ws.row_dimensions[r].height = 45
    chart = BarChart()
    chart.type = "bar"
    chart.title = "培育分层（企业数）"
    chart.y_axis.title = "企业数"
    chart.add_data(Reference(ws, min_col=3, min_row=tier_first - 1, max_row=tier_last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=tier_first, max_row=tier_last))
    chart.legend = None
    chart.height, chart.width = 7, 16
    charts = [chart]

    for dim, title in (("district", "二、按区县"), ("industry", "三、按行业门类"), ("commissioner", "四、按科技特派员")):
        r += 2
        put_text(ws.cell(r, 1), title)
        ws.cell(r, 1).font = bold
        r += 1
        cols = [title[2:].replace("按", ""), "企业数"] + [t.label for t in rules] + ["节税额合计（确定，元）", "后补助预估合计（元）"]
        head_row(ws, r, cols)
        first = r + 1
        for name, g in sorted(agg[dim].items(), key=lambda kv: (-kv[1].count, kv[0])):
            r += 1
            put_text(ws.cell(r, 1), name)
            put_value(ws.cell(r, 2), g.count)
            for k, t in enumerate(rules):
                put_value(ws.cell(r, 3 + k), g.tiers.get(t.id, 0))
            put_fen(ws.cell(r, 3 + len(rules)), g.certain)
            put_fen(ws.cell(r, 4 + len(rules)), g.estimated)
            for j in range(1, len(cols) + 1):
                ws.cell(r, j).border = border
        if dim == "district" and r >= first:
            ch = BarChart()
            ch.type = "col"
            ch.title = "按区县：节税额（确定）与后补助（预估）"
            ch.add_data(Reference(ws, min_col=3 + len(rules), max_col=4 + len(rules), min_row=first - 1, max_row=r),
                        titles_from_data=True)
            ch.set_categories(Reference(ws, min_col=1, min_row=first, max_row=r))
            ch.height, ch.width = 7, 16
            charts.append(ch)
    r += 2
    put_text(ws.cell(r, 1), "五、采用的口径")
    ws.cell(r, 1).font = bold
    for flag, text in interpretations_text(params):
        r += 1
        put_text(ws.cell(r, 1), "口径")
        put_text(ws.cell(r, 2), text)
        ws.cell(r, 2).alignment = wrap
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=8)
        ws.row_dimensions[r].height = 30
    for col, w in zip("ABCDEFGHIJ", (22, 50, 8, 18, 12, 16, 16, 20, 16, 16)):
        ws.column_dimensions[col].width = w
    for row in range(3, r + 1):
        fit_row_height(ws, row)
    r += 2
    for ch in charts:             # below the tables, inside the printed width
        ws.add_chart(ch, f"A{r}")
        ws.row_breaks.append(Break(id=r - 1))
        r += 16
    ws.print_area = f"A1:J{r}"
    for col, w in zip("ABCDEFGHIJ", (22, 50, 8, 18, 12, 16, 16, 20, 16, 16)):
        ws.column_dimensions[col].width = w
    setup(ws, "1:2")

    # -- the lists
    def table(sheet, results, heading: str, compact: bool):
        cols, money, make = (COMPACT, COMPACT_MONEY, compact_row) if compact else (COLUMNS, MONEY_COLS, result_row)
        put_text(sheet.cell(1, 1), heading)
        sheet.cell(1, 1).font = title_font
        head_row(sheet, 2, [h for h, _ in cols], "center")
        for j, (_, w) in enumerate(cols, start=1):
            sheet.column_dimensions[sheet.cell(2, j).column_letter].width = w
        for i, res in enumerate(results, start=1):
            for j, ((h, _), v) in enumerate(zip(cols, make(i, res)), start=1):
                c = sheet.cell(2 + i, j)
                if h in money:
                    if v is None and not res.error and h in ("加计扣除节税额（确定，元）", "节税额（确定，元）"):
                        put_text(c, "无法计算（缺应纳税所得额）")
                    else:
                        put_fen(c, v)
                else:
                    put_value(c, v)
                c.alignment = wrap
                c.border = border
                c.font = normal
        for row in range(2, 3 + len(results)):
            fit_row_height(sheet, row)
        sheet.freeze_panes = "C3"
        if results:
            sheet.auto_filter.ref = f"A2:{sheet.cell(2, len(cols)).column_letter}{2 + len(results)}"
        setup(sheet, "1:2")
        if not compact:
            sheet.page_setup.paperSize = sheet.PAPERSIZE_A3

    used = {SHEET_SUMMARY}

    def sheet_name(base: str) -> str:
        name = _SHEET_BAD.sub("_", base).strip("'")[:31] or "表"
        k = 2
        while name in used:
            suffix = f"({k})"
            name = _SHEET_BAD.sub("_", base)[:31 - len(suffix)] + suffix
            k += 1
        used.add(name)
        return name

    table(wb.create_sheet(sheet_name(SHEET_ALL)), run.results, f"全部企业（{len(run.results)}家，A3横向打印）", False)
    for t in rules:
        members = [x for x in run.results if x.ok and x.tier == t.id]
        table(wb.create_sheet(sheet_name(t.label)), members, f"{t.label}（{len(members)}家）——{t.rule}", True)
    by_comm: dict[str, list] = {}
    for x in run.results:
        by_comm.setdefault(x.commissioner or "未指定", []).append(x)
    for name in sorted(by_comm):
        table(wb.create_sheet(sheet_name(f"特派员-{name}")), by_comm[name],
              f"科技特派员 {name} 结对企业（{len(by_comm[name])}家）", True)
    if run.findings:
        ps = wb.create_sheet(sheet_name(SHEET_PROBLEMS))
        for j, h in enumerate(("工作表", "行", "列", "级别", "说明"), start=1):
            put_text(ps.cell(1, j), h)
            ps.cell(1, j).font = bold
        for i, f in enumerate(run.findings, start=2):
            put_value(ps.cell(i, 1), f.sheet or "")
            put_value(ps.cell(i, 2), f.row)
            put_value(ps.cell(i, 3), f.column or "")
            put_text(ps.cell(i, 4), {"error": "错误", "warning": "警告"}.get(f.severity, "提示"))
            put_text(ps.cell(i, 5), f.message)
        ps.column_dimensions["E"].width = 80
        setup(ps, "1:1")
    wb.properties.title = "科技型企业培育库"
    write_atomic(path, lambda tmp: _save(wb, tmp))
    return Path(path)


# --------------------------------------------------------------------------- JSON

def pipeline_json(run) -> dict:
    """The run for scripts: amounts as exact decimal text of 元 (interfaces.md)."""
    from calc.pipeline import _fen
    agg = summarise(run.results)

    def g(a):
        return {"count": a.count, "certain": _fen(a.certain), "certain_unknown": a.certain_unknown,
                "estimated": _fen(a.estimated), "up_to": _fen(a.up_to), "tiers": dict(a.tiers)}
    return {"year": run.year, "as_of": run.as_of.isoformat(), "source": run.source, "kind": run.kind,
            "tiers": [{"id": t.id, "label": t.label, "rule": t.rule} for t in tiers()],
            "summary": {"all": g(agg["all"]), "errors": agg["errors"],
                        **{k: {n: g(a) for n, a in agg[k].items()} for k in ("tier", "district", "industry", "commissioner")}},
            "enterprises": [r.as_dict() for r in run.results],
            "findings": [{"severity": f.severity, "code": f.code, "message": f.message, "sheet": f.sheet, "row": f.row,
                          "column": f.column} for f in run.findings]}


# --------------------------------------------------------------------------- PDF brief

def write_pipeline_brief(run, path, *, issuer: str = "") -> Path:
    """The brief for the bureau's leadership: key figures, the tier funnel, benefits by district, the enterprises
    closest to each threshold, per-commissioner counts and the assumptions — A4 portrait, Chinese."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from .pdftext import MAIN, TextGuard, register_fonts

    register_fonts()
    guard = TextGuard()
    blue = colors.HexColor("#1F4E79")
    base = ParagraphStyle("b", fontName=MAIN, fontSize=9, leading=13, wordWrap="CJK")
    st = {"base": base, "title": ParagraphStyle("t", parent=base, fontSize=17, leading=24, alignment=TA_CENTER, textColor=blue),
          "h1": ParagraphStyle("h", parent=base, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4, textColor=blue),
          "cell": ParagraphStyle("c", parent=base, fontSize=8, leading=10.5),
          "num": ParagraphStyle("n", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
          "small": ParagraphStyle("s", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#404040"))}

    def p(text, style="base"):
        return Paragraph(guard(text), st[style])

    def tbl(rows, widths, num_cols=()):
        data = [[p(c, "num" if j in num_cols and i else "cell") for j, c in enumerate(row)] for i, row in enumerate(rows)]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#A6A6A6")),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    params = load_params()
    rules = tiers(params)
    agg = summarise(run.results, params)
    a = agg["all"]
    story = [p(f"科技型企业培育库测算简报", "title"),
             p(f"{run.year}年度数据 · 测算日期{run.as_of.year}年{run.as_of.month}月{run.as_of.day}日"
               + (f" · {issuer}" if issuer else ""), "base"), Spacer(1, 4 * mm)]
    story.append(p("一、总体情况", "h1"))
    certain_note = f"（另有{a.certain_unknown}家缺应纳税所得额，节税额无法计算，未计入）" if a.certain_unknown else ""
    lines = [f"纳入测算企业{a.count}家" + (f"，另有{agg['errors']}家资料有误无法测算（见工作簿“全部企业”表）" if agg["errors"] else "") + "。",
             f"研发费用加计扣除的确定性节税额合计{wan_text(a.certain)}{certain_note}。",
             f"研发费用后补助预估合计{wan_text(a.estimated)}（预估，取决于申报、评审与年度预算，不与节税额相加）。"]
    if a.conditional:
        lines.append(f"另有附条件的后补助{wan_text(a.conditional)}，须待企业确认相关条件（如研发准备金备案），不计入上述预估。")
    if a.support_up_to:
        lines.append(f"按企业计划的科技服务采购和贷款，创新券、科创贷融资成本补助最高可得{wan_text(a.support_up_to)}，"
                     "单独列示，不计入节税额和后补助。")
    if a.up_to:
        lines.append(f"另有按政策上限计算的“最高可得”后补助{wan_text(a.up_to)}，仅供参考，不计入任何合计。")
    for line in lines:
        story.append(p(line))
    story.append(p("二、培育分层", "h1"))
    rows = [["分层", "企业数", "归入规则"]]
    for t in rules:
        rows.append([t.label, str(agg["tier"][t.id].count), t.rule])
    story.append(tbl(rows, [42 * mm, 16 * mm, 112 * mm], num_cols=(1,)))
    # funnel chart
    d = Drawing(170 * mm, 10 * mm + 9 * mm * len(rules))
    ch = HorizontalBarChart()
    ch.x, ch.y = 45 * mm, 5 * mm
    ch.width, ch.height = 110 * mm, 9 * mm * len(rules)
    ch.data = [[agg["tier"][t.id].count for t in reversed(rules)]]
    ch.categoryAxis.categoryNames = [t.label[:14] for t in reversed(rules)]
    ch.categoryAxis.labels.fontName = MAIN
    ch.categoryAxis.labels.fontSize = 7.5
    ch.valueAxis.labels.fontName = MAIN
    ch.valueAxis.valueMin = 0
    ch.valueAxis.labels.fontSize = 7
    ch.bars[0].fillColor = blue
    ch.barLabelFormat = "%d"
    ch.barLabels.fontName = MAIN
    ch.barLabels.fontSize = 7
    ch.barLabels.boxAnchor = "w"
    ch.barLabels.dx = 3
    d.add(ch)
    story.append(d)
    # by district
    districts = sorted(agg["district"].items(), key=lambda kv: -kv[1].count)[:12]
    if districts:
        story.append(p("三、按区县", "h1"))
        rows = [["区县", "企业数"] + [t.short for t in rules[:-1]] + ["节税额（确定）", "后补助（预估）"]]
        for name, g in districts:
            rows.append([name, str(g.count)] + [str(g.tiers.get(t.id, 0)) for t in rules[:-1]]
                        + [wan_text(g.certain), wan_text(g.estimated)])
        n = len(rules) - 1
        story.append(tbl(rows, [26 * mm, 12 * mm] + [14 * mm] * n + [26 * mm, 26 * mm],
                         num_cols=tuple(range(1, n + 4))))
        dd = Drawing(170 * mm, 62 * mm)
        vc = VerticalBarChart()
        vc.x, vc.y, vc.width, vc.height = 18 * mm, 14 * mm, 145 * mm, 42 * mm
        # 万元 as whole numbers for the chart only (the table above carries the exact figures)
        vc.data = [[g.certain // 1_000_000 for _, g in districts], [g.estimated // 1_000_000 for _, g in districts]]
        vc.categoryAxis.categoryNames = [n_[:6] for n_, _ in districts]
        vc.categoryAxis.labels.fontName = MAIN
        vc.categoryAxis.labels.fontSize = 7
        vc.valueAxis.labels.fontName = MAIN
        vc.valueAxis.labels.fontSize = 7
        vc.valueAxis.valueMin = 0
        vc.bars[0].fillColor = blue
        vc.bars[1].fillColor = colors.HexColor("#A9C4E4")
        dd.add(vc)
        dd.add(String(18 * mm, 58 * mm, "按区县：节税额（确定，深色）与后补助（预估，浅色），单位：万元（取整）", fontName=MAIN,
                      fontSize=7.5))
        story.append(dd)
    # closest to the thresholds
    reserve = [r for r in run.results if r.ok and r.tier == "hnte_reserve"]
    cultivate = sorted((r for r in run.results if r.ok and r.tier == "hnte_cultivate"),
                       key=lambda r: (r.hnte.earliest_year or 9999, r.hnte.rd_needed or 0))
    for title, group in (("四、高企后备（可于最近一次申报）", reserve), ("五、高企培育（按最早可申报年度排序，前20家）", cultivate[:20])):
        if not group:
            continue
        story.append(p(title, "h1"))
        rows = [["企业", "区县", "特派员", "最早申报", "说明"]]
        for r in group[:20]:
            pend = f"；另有{len(r.hnte.pending)}项定性条件待核实" if r.hnte.pending else ""
            rows.append([r.name, r.district, r.commissioner, str(r.hnte.earliest_year or ""), r.hnte.core + pend])
        story.append(tbl(rows, [40 * mm, 18 * mm, 16 * mm, 14 * mm, 82 * mm]))
    comm = sorted(agg["commissioner"].items(), key=lambda kv: -kv[1].count)
    if comm:
        story.append(p("六、科技特派员结对情况", "h1"))
        rows = [["科技特派员", "结对企业数"] + [t.short for t in rules[:-1]]]
        for name, g in comm[:30]:
            rows.append([name, str(g.count)] + [str(g.tiers.get(t.id, 0)) for t in rules[:-1]])
        n = len(rules) - 1
        story.append(tbl(rows, [34 * mm, 20 * mm] + [19 * mm] * n, num_cols=tuple(range(1, n + 2))))
    story.append(p("七、口径与说明", "h1"))
    notes = ["节税额是按企业填报数测算的研发费用加计扣除税收效果；高企15%税率的节税仅在证书覆盖年度且认定条件无疑问时计入。",
             "后补助为按各地政策规则测算的预估数，是否获得及金额以主管部门审核和年度预算为准；规则未经核实或超出核实期的政策标为“暂定”。",
             "“无法计算”表示缺少所需数据（如应纳税所得额），不按0计入。分层与前瞻申报年度为测算口径，不是认定结论。"]
    notes += [text for _, text in interpretations_text(params)]
    for n_ in notes:
        story.append(p(n_, "small"))

    def write(tmp):
        doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                bottomMargin=16 * mm, title="科技型企业培育库测算简报", author="研发惠企测算")

        def footer(canvas, doc_):
            canvas.setFont(MAIN, 7.5)
            canvas.drawRightString(A4[0] - 18 * mm, 9 * mm, f"第 {doc_.page} 页")
            canvas.drawString(18 * mm, 9 * mm, "科技型企业培育库测算简报（测算，非认定结论）")
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    write_atomic(path, write)
    return Path(path)
