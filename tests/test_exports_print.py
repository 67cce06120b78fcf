"""The exported workbooks as printed documents (review statement-and-exports §4–§7, items X1–X17): what a 税务师
and a bureau see on paper — page setup, header fields, fonts, wording — checked through openpyxl; and the
capitalised project that spans years (X11) carried once, year by year, in agreement with the 汇总表."""
from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

import main
from calc.evaluate import evaluate
from calc.money import yuan_to_fen
from forms.exports import (BROUGHT_FORWARD, EXPORT_FILES, FONT_NAME, MAX_LEDGER_SHEETS, ExportError, export_all,
                           export_names, safe_name_part)
from forms.workbook import load_ledger


def fen(value) -> int:
    return 0 if value in (None, "") else yuan_to_fen(Decimal(str(value)))


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The sample's exports of 2022, 2023 and 2024: {year: (evaluation, {form file: workbook})}."""
    ledger = load_ledger(main.SAMPLE)
    out = {}
    for year in (2022, 2023, 2024):
        ev = evaluate(ledger, year)
        paths = export_all(ev, tmp_path_factory.mktemp(f"x{year}"))
        out[year] = (ev, {form: openpyxl.load_workbook(p) for form, p in zip(EXPORT_FILES, paths)}, paths)
    return out


def _rows(ws):
    return list(ws.iter_rows(values_only=True))


def _ledger_sheet(wb, project_no):
    return next((wb[n] for n in wb.sheetnames if n.startswith(project_no)), None)


def _totals(ws) -> dict:
    return {r[0]: r for r in _rows(ws) if r and r[0] in ("本年合计", "合计金额")}


def _vouchers(ws) -> set:
    rows = _rows(ws)
    end = next(i for i, r in enumerate(rows) if r and r[0] in ("本年合计", "合计金额"))
    return {(r[0], r[1], r[2]) for r in rows[6:end] if r[0] is not None}


# --------------------------------------------------------------------------- X11: a capitalised project over years

def test_X11_capitalised_project_vouchers_appear_once_year_by_year(books):
    """RD03 (资本化, intangible formed 2023-07-10, costs since 2022): its 2022 vouchers are in the 2022 辅助账 only;
    the 2023 辅助账 carries them as one brought-forward line and lists only 2023 vouchers."""
    led22 = _ledger_sheet(books[2022][1]["研发支出辅助账.xlsx"], "RD03")
    led23 = _ledger_sheet(books[2023][1]["研发支出辅助账.xlsx"], "RD03")
    assert led22 is not None and led23 is not None
    v22, v23 = _vouchers(led22), _vouchers(led23)
    assert v22 and v23 and not (v22 & v23)
    assert all(d.year == 2022 for d, _, _ in v22) and all(d.year == 2023 for d, _, _ in v23)
    assert not any(r and r[3] and BROUGHT_FORWARD in str(r[3]) for r in _rows(led22))
    bf = next(r for r in _rows(led23) if r and r[3] and str(r[3]).startswith(BROUGHT_FORWARD))
    t22, t23 = _totals(led22)["合计金额"], _totals(led23)
    assert [fen(v) for v in bf[4:14]] == [fen(v) for v in t22[4:14]]          # 2022's totals, column by column
    year = t23["本年合计"]
    assert [fen(a) + fen(b) for a, b in zip(bf[4:14], year[4:14])] == [fen(v) for v in t23["合计金额"][4:14]]
    # 完成情况 reflects the year: in progress in 2022, completed (asset formed) in 2023
    text22 = " ".join(str(v) for r in _rows(led22)[:4] for v in r if v)
    text23 = " ".join(str(v) for r in _rows(led23)[:4] for v in r if v)
    assert "完成情况：未完成" in text22 and "完成情况：已完成" in text23
    assert "2021年第28号" in text22 and "2023年07月10日" in text23


def test_X11_summary_agrees_with_the_ledger_each_year(books):
    """2023: the 汇总表's RD03 资本化 row = the 辅助账's 合计金额 (brought forward + 2023) and row 42.  2022: RD03
    is not in the 资本化 subtotal (the asset is not formed) but is listed under the table as in progress, with the
    amounts of its 2022 辅助账 sheet — no 资本化 0 beside a ledger sheet that the 汇总表 does not account for."""
    ev23, b23, _ = books[2023]
    rows = _rows(b23["研发支出辅助账汇总表.xlsx"].active)
    heads = next(r for r in rows if r and r[0] == "项目编号")
    col = {h: i for i, h in enumerate(heads)}
    rd03 = next(r for r in rows if r[0] == "RD03" and r[3] == "资本化")
    total = _totals(_ledger_sheet(b23["研发支出辅助账.xlsx"], "RD03"))["合计金额"]
    for head, j in (("1.人员人工费用", 6), ("2.直接投入费用", 7), ("3.折旧费用", 8), ("4.无形资产摊销", 9),
                    ("5.新产品设计费等", 10), ("7.1其他相关费用合计", 11)):
        assert fen(rd03[col[head]]) == fen(total[j]), head
    cap = next(r for r in rows if r[0] == "资本化金额小计")
    assert fen(cap[col["允许加计扣除金额合计"]]) == ev23.sd.rows["R42"] > 0

    ev22, b22, _ = books[2022]
    rows22 = _rows(b22["研发支出辅助账汇总表.xlsx"].active)
    assert not any(r[0] == "RD03" and r[3] == "资本化" and r[4] is not None and r[5] is not None
                   and fen(r[5]) and rows22.index(r) < [x[0] for x in rows22].index("金额合计") for r in rows22)
    i = next(i for i, r in enumerate(rows22) if r[0] and str(r[0]).startswith("在研的资本化项目"))
    assert "2021年第28号" in rows22[i][0]
    waiting = next(r for r in rows22[i:] if r[0] == "RD03")
    t22 = _totals(_ledger_sheet(b22["研发支出辅助账.xlsx"], "RD03"))["合计金额"]
    assert waiting[2] == "未完成"
    assert (fen(waiting[4]), fen(waiting[5]), fen(waiting[6]), fen(waiting[7])) == \
        (fen(t22[5]), fen(t22[5]), fen(t22[4]), fen(t22[4]))
    assert ev22.sd.rows["R42"] == 0


def test_X11_accounting_total_of_the_year_is_the_years_ledger(books):
    """The review's check: Σ 会计 of the 2023 辅助账 vouchers equals the 2023 会计口径 (no 2022 voucher counted
    again); with the brought-forward line the sheet's 合计金额 is the capitalised cost of the asset."""
    ev, b, _ = books[2023]
    wb = b["研发支出辅助账.xlsx"]
    year_acc = 0
    for ws in wb.worksheets:
        t = _totals(ws)
        year_acc += fen((t.get("本年合计") or t["合计金额"])[4])
    expected = sum(l.amount for l in ev.ledger.lines if l.date.year == 2023 and
                   ev.ledger.projects[l.project_no].ownership != "受托方")
    assert year_acc == expected


# --------------------------------------------------------------------------- A107012.xlsx (X1–X6)

def test_X1_a107012_prints_taxpayer_id_and_full_period(books):
    ev, b, _ = books[2024]
    ws = b["A107012.xlsx"].active
    merged = {str(m) for m in ws.merged_cells.ranges}
    texts = {ws.cell(row=r, column=1).value: r for r in range(2, 6)}
    code = ev.ledger.profile.credit_code
    r = next(r for t, r in texts.items() if t and code in t)
    assert f"A{r}:C{r}" in merged                                    # the whole width: prints in full
    r = next(r for t, r in texts.items() if t and t.startswith("属期"))
    assert ws.cell(row=r, column=1).value == "属期：2024年01月01日至2024年12月31日" and f"A{r}:C{r}" in merged
    assert any(t and t.startswith("纳税人名称：宁夏银川精工传感科技有限公司") for t in texts)


def test_X2_X4_X5_a107012_header_row50_fonts_and_hierarchy(books):
    ws = books[2024][1]["A107012.xlsx"].active
    head = next(r for r in range(1, 12) if ws.cell(row=r, column=1).value == "行次")
    assert ws.cell(row=head, column=3).value == "金额（数量）"
    for row in ws.iter_rows():
        for cell in row:
            if cell.value not in (None, ""):
                assert cell.font.name == FONT_NAME, cell.coordinate
    by_no = {ws.cell(row=r, column=1).value: r for r in range(head + 1, ws.max_row + 1)}
    assert ws.cell(row=by_no["2"], column=1).alignment.horizontal == "center"
    assert ws.cell(row=by_no["2"], column=2).font.bold                       # 一、…
    assert not ws.cell(row=by_no["3"], column=2).font.bold                   # （一）…
    assert ws.cell(row=by_no["4"], column=2).alignment.indent > ws.cell(row=by_no["3"], column=2).alignment.indent
    assert ws.cell(row=by_no["50"], column=3).alignment.horizontal == "right"
    ws22 = books[2022][1]["A107012.xlsx"].active
    r50 = next(r for r in range(1, ws22.max_row + 1) if ws22.cell(row=r, column=1).value == "50")
    cell = ws22.cell(row=r50, column=3)
    assert cell.alignment.horizontal == "right"
    if cell.data_type == "n":                       # 八、加计扣除比例（%） as the number 100, not the text "100%"
        assert cell.value == 100


def test_X6_file_names_carry_period_and_company_and_creator_is_the_product(books, tmp_path):
    ev, b, paths = books[2024]
    assert [p.name for p in paths] == [f"2024年度_宁夏银川精工传感科技有限公司_{n}" for n in EXPORT_FILES]
    for wb in b.values():
        assert wb.properties.creator == "研发惠企测算"
    assert safe_name_part('a/b\\c:d*e?"f<g>h|i\x01. ') == "a_b_c_d_e__f_g_h_i_"
    assert len(safe_name_part("长" * 200)) == 40
    for p in export_all(evaluate(load_ledger(main.SAMPLE), 2024, "H1"), tmp_path):
        assert p.name.startswith("2024年上半年")
    assert export_names(ev)[0].endswith("A107012.xlsx")


# --------------------------------------------------------------------------- 汇总表 (X7–X10)

def test_X7_to_X10_summary_wording_wrap_signature_header(books):
    ws = books[2024][1]["研发支出辅助账汇总表.xlsx"].active
    rows = _rows(ws)
    head = next(i for i, r in enumerate(rows) if r and r[0] == "项目编号") + 1
    statuses = {r[2] for r in rows[head:] if r and r[3] in ("费用化", "资本化")}
    assert statuses and statuses <= {"已完成", "未完成"}
    for r in range(head + 1, head + 5):
        assert ws.cell(row=r, column=2).alignment.wrap_text
    sign = [v for r in rows for v in r if isinstance(v, str) and ("法定代表人" in v or "财务负责人" in v or "填表人" in v)]
    assert any(v.startswith("法定代表人（签章）") for v in sign) and len(sign) >= 3
    assert ws.row_dimensions[head].height >= 90
    for c in range(1, 18):
        assert ws.cell(row=head, column=c).font.name == FONT_NAME and ws.cell(row=head, column=c).font.bold
    assert any(isinstance(v, str) and v == "金额单位：元（列至角分）" for r in rows[:5] for v in r)


# --------------------------------------------------------------------------- 辅助账 (X12–X17)

def test_X12_to_X17_ledger_pages(books):
    ev, b, _ = books[2024]
    wb = b["研发支出辅助账.xlsx"]
    for ws in wb.worksheets:
        assert ws.print_title_rows in ("$1:$6", "1:6")                      # X12: project rows on every page
        assert str(ws.cell(row=2, column=1).value).startswith("项目编号：")
        assert str(ws.cell(row=2, column=4).value).startswith("项目名称：")
        assert ws.row_dimensions[6].height >= 60                            # X13: wrapped headers fit
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9    # X16: A4
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.cell(row=7, column=4).alignment.wrap_text                 # X14
        assert ws.cell(row=7, column=5).border.bottom.style == "thin"       # X16: light borders
        assert ws.cell(row=3, column=11).value == "金额单位：元（列至角分）"    # X17
        for row in ws.iter_rows(min_row=7):
            kind, number = row[1].value, row[2].value
            if kind and number:
                assert not str(number).startswith(str(kind)), (ws.title, number)   # X16: 付 / 0020, not 付-0020
    # X15: where 会计 ≠ 税法 the row says why
    rd10 = _ledger_sheet(wb, "RD10")
    for row in rd10.iter_rows(min_row=7, values_only=True):
        if row[0] is not None and not isinstance(row[0], str) and fen(row[4]) != fen(row[5]):
            assert row[14], row
    notes = [r[14] for ws in wb.worksheets for r in ws.iter_rows(min_row=7, values_only=True) if len(r) > 14 and r[14]]
    assert any("境外个人" in n for n in notes) and any("工时" in n for n in notes)


def test_R3_too_many_project_sheets_are_refused_before_writing(tmp_path, monkeypatch):
    """hostile-input R3: more project sheets than MAX_LEDGER_SHEETS → a clear refusal, nothing written."""
    import forms.exports as ex
    monkeypatch.setattr(ex, "MAX_LEDGER_SHEETS", 3)
    ev = evaluate(load_ledger(main.SAMPLE), 2024)
    with pytest.raises(ExportError, match="超过研发支出辅助账工作簿的上限"):
        export_all(ev, tmp_path / "out")
    assert not list((tmp_path / "out").iterdir())
    assert MAX_LEDGER_SHEETS >= 1000
