"""interfaces.md §1 — one careless user's workbook, through the real import path.

The good data is written with ``forms.template.write_workbook`` (typed values); the file is then
opened with openpyxl and the bad cells/rows are typed in as raw strings and numbers, exactly what a
user would enter in Excel or WPS.  The file is loaded with ``forms.workbook.load_ledger``.

Every expected finding is asserted with its exact code, severity, sheet, Excel row, column
(header text) and — for cell-level findings — the A1 cell reference.  The set of findings must be
*exactly* the expected one: anything valid (row-number codes, Chinese labels, full-width amounts,
a header with a unit suffix…) raises nothing.  Then A107012 is checked against the sum of the valid
lines only: every bad line is out, every good line is in.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import openpyxl
import pytest

import main
from calc import schema as S
from calc.evaluate import evaluate
from calc.money import yuan_to_fen as Y
from forms.workbook import load_ledger
from tests.builders import build, credit_code, line, other_year, profile, project, year_row

ERROR, WARNING, INFO = "error", "warning", "info"
LINES, PROJECTS, YEARS, ADJ, PROFILE = S.SHEET_LINES, S.SHEET_PROJECTS, S.SHEET_YEARS, S.SHEET_ADJUSTMENTS, \
    S.SHEET_PROFILE

# column letters of the template (schema order)
LC = {c.field: openpyxl.utils.get_column_letter(i) for i, c in enumerate(S.LINE_COLUMNS, 1)}
PC = {c.field: openpyxl.utils.get_column_letter(i) for i, c in enumerate(S.PROJECT_COLUMNS, 1)}
AC = {c.field: openpyxl.utils.get_column_letter(i) for i, c in enumerate(S.ADJUSTMENT_COLUMNS, 1)}
YC = {c.field: openpyxl.utils.get_column_letter(i) for i, c in enumerate(S.YEAR_COLUMNS, 1)}
assert LC["amount"] == "G" and LC["date"] == "A" and LC["voucher_no"] == "C" and LC["code"] == "E"

GOOD_CREDIT = credit_code()
BAD_CREDIT = GOOD_CREDIT[:17] + ("0" if GOOD_CREDIT[17] != "0" else "1")   # wrong check character
CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------- the workbook

# 研发项目, written by write_workbook (rows 2…8)
GOOD_PROJECTS = [
    project("RD01"),                                                                      # row 2
    project("RD02", start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30)),                 # row 3
    project("RD03"),                                                                      # row 4: negative net
    project("WT1", form="委托研发", contract_no="2024440100000001"),                        # row 5: no 受托方
    project("WT2", form="委托研发", entrustee="某大学", entrustee_related=False,              # row 6: no contract
            entrustee_location="境内"),
    project("WT3", form="委托研发", entrustee="关联研究院", entrustee_related=True,           # row 7: related
            entrustee_location="境内", contract_no="2024440100000003"),
]
PROJECT_ROW = {p["project_no"]: i for i, p in enumerate(GOOD_PROJECTS, 2)}

# 研发项目, typed in with openpyxl: {row: {field: raw}}
BAD_PROJECTS = {
    8: {"project_no": "RD01", "name": "重复的项目", "form": "自主研发", "ledger_type": "费用化"},
    9: {"project_no": "WT9", "name": "关联方不明", "form": "委托研发", "ledger_type": "费用化",
        "entrustee": "某公司", "entrustee_related": "也许", "entrustee_location": "境内"},
    10: {"project_no": "RD08", "name": "形式写错", "form": "外包研发", "ledger_type": "费用化"},
    11: {"project_no": "RD09", "name": "日期颠倒", "form": "自主研发", "ledger_type": "费用化",
         "start": "2024年6月1日", "end": "2024/1/31"},
    12: {"project_no": "RD10", "form": "自主研发", "ledger_type": "费用化"},              # 项目名称 empty
    13: {"project_no": "RD11", "name": "年限写成汉字", "form": "自主研发", "ledger_type": "资本化",
         "ia_years": "十年"},
}

# 研发支出: (write_workbook kwargs, {field: raw typed over it}, expected effect on 2024)
# effect: (A107012 code, 分) counted in 2024, or None when the line must not count in 2024.
D = "2024-03-05"
GOOD_LINES = [
    (line(D, "RD01", "R04", "100000.00"), {}, ("R04", Y("100000.00"))),                         # 2
    (line(D, "RD01", "R05", "20000.00"), {}, ("R05", Y("20000.00"))),                           # 3
    (line(D, "RD01", "R08", "3000.00"), {"code": 8}, ("R08", Y("3000.00"))),                     # 4 bare row number
    (line(D, "RD01", "1.研发活动直接消耗材料费用", "2000.00"), {}, ("R08", Y("2000.00"))),        # 5 exact label
    (line(D, "RD01", "R08", "1"), {"amount": "１２３４．５６"}, ("R08", Y("1234.56"))),           # 6 full width
    (line(D, "RD01", "R08", "1"), {"amount": "(1,234.56)"}, ("R08", Y("-1234.56"))),           # 7 reversal
    (line(D, "RD01", "R04", "1"), {"amount": "¥1,234.56"}, ("R04", Y("1234.56"))),              # 8
    (line(D, "RD01", "R18", "50000.00"), {"share": "40%"}, ("R18", Y("20000.00"))),              # 9 工时占比
    (line("2024-08-15", "RD02", "R04", "8000.00"), {}, ("R04", Y("8000.00"))),                   # 10 outside period
    (line(D, "RD01", "R08", "9999.00", funding="财政资金（不征税）"), {}, None),                  # 11 I_GRANT
    (line(D, "RD01", "R39", "7000.00"), {}, ("R39", Y("7000.00"))),                              # 12 W_R39
    (line(D, "WT1", "R36", "30000.00"), {}, ("R36", Y("30000.00"))),                             # 13 counterparty
    (line(D, "WT2", "R36", "40000.00"), {}, None),                                               # 14 no contract
    (line(D, "WT3", "R36", "50000.00"), {}, ("R36", Y("50000.00"))),                             # 15 related
    (line("2015-06-01", "RD01", "R04", "1111.00"), {}, None),                                    # 16 before 2016
    (line("2023-05-01", "RD03", "R04", "1000.00"), {}, None),                                    # 17 2023
    (line("2023-06-01", "RD03", "R04", "-3000.00"), {}, None),                                   # 18 2023 negative net
    (line(D, "RD01", "NE06", "500.00"), {}, None),                                               # 19 NE: never deducted
    (line(D, "RD01", "R04", "6000.00", tax_amount=Decimal("5000.00")), {}, ("R04", Y("5000.00"))),  # 20 税法金额
    (line(D, "RD01", "R05", "700.00"), {"code": "5"}, ("R05", Y("700.00"))),                    # 21 "5" as text
    (line(D, "RD01", "R04", "300.00"), {"date": "2024年3月5日"}, ("R04", Y("300.00"))),          # 22 text date
    (line(D, "RD01", "R04", "400.00"), {"date": "20240305", "voucher_no": 88}, ("R04", Y("400.00"))),  # 23
    (line(D, "RD01", "R08", "250.00"), {"date": "2024/3/5", "amount": "-250.00"}, ("R08", Y("-250.00"))),  # 24
]
FIRST_BAD_LINE = len(GOOD_LINES) + 2          # 25

# 研发支出 rows typed in entirely with openpyxl: a base row plus one bad (or missing) cell each.
# Each carries a distinct amount so that a leak would show in the totals.
_BASE = {"date": "2024-04-01", "voucher_kind": "记", "voucher_no": "记-9", "project_no": "RD01", "code": "R04"}
BAD_LINES = [
    # (field overridden, raw value (None = empty cell), code, header)
    ("amount", "12,3a", "E_AMOUNT", "会计金额"),
    ("amount", 1234.567, "E_AMOUNT", "会计金额"),
    ("date", "上周五", "E_DATE", "日期"),
    ("date", "2024-02-30", "E_DATE", "日期"),
    ("code", "R99", "E_CODE_UNKNOWN", "费用代码"),
    ("project_no", "RD99", "E_PROJECT_UNKNOWN", "项目编号"),
    ("amount", None, "E_REQUIRED", "会计金额"),
    ("date", None, "E_REQUIRED", "日期"),
    ("voucher_no", None, "E_REQUIRED", "凭证号"),
    ("share", "150%", "E_RATIO", "研发工时占比"),
    ("funding", "政府补助", "E_CHOICE", "资金来源"),
    ("tax_amount", "abc", "E_AMOUNT", "税法金额"),
]
BAD_LINE_AMOUNTS = [f"{71000 + i}.{i:02d}" for i in range(len(BAD_LINES))]
EXTRA_COLUMN = openpyxl.utils.get_column_letter(len(S.LINE_COLUMNS) + 1)     # K: 备注


def _put_row(ws, row: int, letters: dict, values: dict) -> None:
    for field, raw in values.items():
        ws[f"{letters[field]}{row}"] = raw


def write_careless_workbook(tmp_path):
    """The workbook with every kind of bad cell; returns its path."""
    path = build(
        tmp_path, name="careless.xlsx",
        prof=profile(),
        years=[other_year(2023), year_row(2022, total_income=90_000_000)],
        projects=GOOD_PROJECTS,
        lines=[spec for spec, _, _ in GOOD_LINES],
        adjustments=[{"year": 2024, "kind": "其他", "amount": Decimal("100.00"), "note": "仅记录"}],
    )
    wb = openpyxl.load_workbook(path)

    ws = wb[PROFILE]                                       # rows: 字段 header, then PROFILE_FIELDS from row 2
    assert ws["A3"].value == "统一社会信用代码" and ws["A4"].value == "所属行业代码"
    ws["B3"] = BAD_CREDIT
    ws["B4"] = "C9999"

    ws = wb[YEARS]                                         # 2023 row 2, 2022 row 3
    _put_row(ws, 4, YC, {"year": 2023, "total_income": "1,000,000.00"})       # duplicate year
    _put_row(ws, 5, YC, {"year": "1999", "total_income": "5000"})            # year out of range

    ws = wb[PROJECTS]
    for row, values in BAD_PROJECTS.items():
        _put_row(ws, row, PC, values)

    ws = wb[LINES]
    assert ws["G1"].value == "会计金额"
    ws["G1"] = "会计金额（元）"                             # a unit suffix: must still match
    ws[f"{EXTRA_COLUMN}1"] = "备注"                         # an extra column: info only
    ws[f"{EXTRA_COLUMN}2"] = "随手写的备注"
    for i, (_, patch, _) in enumerate(GOOD_LINES, 2):
        _put_row(ws, i, LC, patch)
    for k, (field, raw, _, _) in enumerate(BAD_LINES):
        values = dict(_BASE, summary=f"坏行{k + 1}", amount=BAD_LINE_AMOUNTS[k])
        values[field] = raw
        _put_row(ws, FIRST_BAD_LINE + k, LC, {f: v for f, v in values.items() if v is not None})

    ws = wb[ADJ]                                           # row 2: the valid 其他 adjustment
    _put_row(ws, 3, AC, {"year": 2024, "kind": "特殊收入", "project_no": "RD01", "amount": "-500"})
    _put_row(ws, 4, AC, {"year": 2024, "kind": "特殊收入", "project_no": "RD77", "amount": "1000"})
    _put_row(ws, 5, AC, {"year": 2024, "kind": "减免", "amount": "1000"})

    extra = wb.create_sheet("备注")                          # an extra sheet: info only
    extra["A1"] = "这是用户自己加的工作表"
    wb.save(path)
    return path


def _f(severity, code, sheet, row=None, column=None, cell=None):
    return (severity, code, sheet, row, column, cell)


def expected_import_findings() -> set[tuple]:
    P = PROJECT_ROW
    exp = {
        # 企业信息
        _f(ERROR, "E_CREDIT_CODE", PROFILE, 3, "值", "B3"),
        _f(ERROR, "E_INDUSTRY_CODE", PROFILE, 4, "值", "B4"),
        # 年度数据
        _f(ERROR, "E_YEAR_DUPLICATE", YEARS, 4, "年度", "A4"),
        _f(ERROR, "E_YEAR", YEARS, 5, "年度", "A5"),
        # 研发项目
        _f(ERROR, "E_PROJECT_DUPLICATE", PROJECTS, 8, "项目编号", "A8"),
        _f(ERROR, "E_YESNO", PROJECTS, 9, "受托方是否关联方", f"{PC['entrustee_related']}9"),
        _f(ERROR, "E_CHOICE", PROJECTS, 10, "研发形式", f"{PC['form']}10"),
        _f(ERROR, "E_PROJECT_DATES", PROJECTS, 11, "结束日期", f"{PC['end']}11"),
        _f(ERROR, "E_REQUIRED", PROJECTS, 12, "项目名称", f"{PC['name']}12"),
        _f(ERROR, "E_INT", PROJECTS, 13, "摊销年限", f"{PC['ia_years']}13"),
        _f(ERROR, "E_NEGATIVE_CATEGORY", PROJECTS, P["RD03"], "项目编号", f"A{P['RD03']}"),
        _f(WARNING, "W_ENTRUST_COUNTERPARTY", PROJECTS, P["WT1"], "受托方名称"),
        _f(WARNING, "W_ENTRUST_CONTRACT", PROJECTS, P["WT2"], "技术合同登记号"),
        _f(WARNING, "W_ENTRUST_RELATED", PROJECTS, P["WT3"], "受托方是否关联方"),
        # 研发支出: valid lines with a note
        _f(INFO, "I_EXTRA_COLUMN", LINES, 1, "备注", f"{EXTRA_COLUMN}1"),
        _f(WARNING, "W_OUTSIDE_PERIOD", LINES, 10, "日期", "A10"),
        _f(INFO, "I_GRANT", LINES, 11, "资金来源", f"{LC['funding']}11"),
        _f(WARNING, "W_R39", LINES, 12, "费用代码", "E12"),
        _f(WARNING, "W_BEFORE_2016", LINES, 16, "日期", "A16"),
        # 调整事项
        _f(INFO, "I_ADJUSTMENT_OTHER", ADJ, 2, "类型", "B2"),
        _f(ERROR, "E_ADJUSTMENT_NEGATIVE", ADJ, 3, "金额", f"{AC['amount']}3"),
        _f(ERROR, "E_PROJECT_UNKNOWN", ADJ, 4, "项目编号", f"{AC['project_no']}4"),
        _f(ERROR, "E_CHOICE", ADJ, 5, "类型", f"{AC['kind']}5"),
        # the extra sheet
        _f(INFO, "I_EXTRA_SHEET", "备注"),
    }
    for k, (field, _, code, header) in enumerate(BAD_LINES):
        row = FIRST_BAD_LINE + k
        exp.add(_f(ERROR, code, LINES, row, header, f"{LC[field]}{row}"))
    return exp


def _key(f):
    return (f.severity, f.code, f.sheet, f.row, f.column, f.cell)


@pytest.fixture(scope="module")
def careless(tmp_path_factory):
    path = write_careless_workbook(tmp_path_factory.mktemp("careless"))
    ledger = load_ledger(path)
    return path, ledger, evaluate(ledger, 2024)


# --------------------------------------------------------------------------- the tests

def test_the_file_really_contains_what_the_user_typed(careless):
    path, _, _ = careless
    wb = openpyxl.load_workbook(path)
    ws = wb[S.SHEET_LINES]
    assert ws["G1"].value == "会计金额（元）"
    assert ws[f"G{FIRST_BAD_LINE}"].value == "12,3a"
    assert ws[f"A{FIRST_BAD_LINE + 3}"].value == "2024-02-30"
    assert ws["E4"].value == 8 and ws["G6"].value == "１２３４．５６"
    assert wb[S.SHEET_PROJECTS][f"{PC['entrustee_related']}9"].value == "也许"
    assert wb[S.SHEET_PROFILE]["B4"].value == "C9999"


@pytest.mark.parametrize("expected", sorted(expected_import_findings(), key=lambda t: (t[2], t[3] or 0, t[1])),
                         ids=lambda t: f"{t[1]}@{t[2]}!{t[5] or t[3]}")
def test_each_expected_finding_is_reported(careless, expected):
    _, ledger, _ = careless
    got = {_key(f) for f in ledger.findings}
    assert expected in got, f"missing {expected}; same code: {[k for k in got if k[1] == expected[1]]}"


def test_no_other_findings(careless):
    """Valid forms (row-number code, Chinese label, full-width / bracketed / ¥ amounts, text dates,
    a header with a unit suffix, a numeric 凭证号) raise nothing, and nothing cascades."""
    _, ledger, _ = careless
    got = [_key(f) for f in ledger.findings]
    assert len(got) == len(set(got)), "a finding is reported twice"
    unexpected = set(got) - expected_import_findings()
    assert not unexpected, f"unexpected findings: {sorted(unexpected, key=str)}"


def test_kinds_covered(careless):
    _, ledger, ev = careless
    codes = {f.code for f in ev.findings}
    assert len(codes) >= 25, sorted(codes)


def test_valid_code_forms_are_accepted_and_count(careless):
    _, ledger, _ = careless
    by_row = {l.src.row: l for l in ledger.lines}
    assert by_row[4].code == "R08"          # 8 typed as a number
    assert by_row[5].code == "R08"          # "1.研发活动直接消耗材料费用"
    assert by_row[21].code == "R05"         # "5" typed as text
    for row in (4, 5, 21):
        assert not [f for f in ledger.findings if f.sheet == LINES and f.row == row]
    assert by_row[6].amount == Y("1234.56")
    assert by_row[7].amount == Y("-1234.56")
    assert by_row[8].amount == Y("1234.56")
    assert by_row[22].date == by_row[23].date == by_row[24].date == dt.date(2024, 3, 5)
    assert by_row[23].voucher_no == "88"
    assert by_row[9].share * 100 == 40


def test_header_with_unit_suffix_matches(careless):
    _, ledger, _ = careless
    assert not [f for f in ledger.findings if f.code in ("E_COLUMN_MISSING", "E_HEADER_MISSING")]
    assert not [f for f in ledger.findings if f.column and "（元）" in f.column]
    assert all(l.amount is not None for l in ledger.lines)


def test_exactly_the_good_lines_are_imported(careless):
    _, ledger, _ = careless
    assert sorted(l.src.row for l in ledger.lines) == list(range(2, FIRST_BAD_LINE))
    bad_rows = set(range(FIRST_BAD_LINE, FIRST_BAD_LINE + len(BAD_LINES)))
    assert not [l for l in ledger.lines if l.src.row in bad_rows]


def test_bad_project_rows(careless):
    _, ledger, _ = careless
    assert ledger.projects["RD01"].src.row == 2 and ledger.projects["RD01"].name == "项目RD01"   # first one kept
    assert "RD08" not in ledger.projects                      # 研发形式 unusable
    assert "RD10" not in ledger.projects                      # 项目名称 missing
    assert ledger.projects["RD09"].end < ledger.projects["RD09"].start


def test_year_rows(careless):
    _, ledger, ev = careless
    assert [(y.year, y.src.row) for y in ledger.years] == [(2023, 2), (2022, 3)]
    missing = [f for f in ev.findings if f.code == "W_YEAR_MISSING"]
    assert len(missing) == 1
    assert (missing[0].severity, missing[0].sheet) == (WARNING, YEARS)
    assert "2024" in missing[0].message


def test_all_valid_lines_still_count(careless):
    _, ledger, ev = careless
    assert ev.sd.eligible, ev.sd.reason if hasattr(ev.sd, "reason") else ev.sd
    sums: dict[str, int] = {}
    for _, _, effect in GOOD_LINES:
        if effect:
            sums[effect[0]] = sums.get(effect[0], 0) + effect[1]
    r = ev.sd.rows
    for n in list(range(4, 7)) + list(range(8, 16)) + [17, 18] + list(range(20, 23)) + list(range(24, 28)) \
            + list(range(29, 34)) + [36, 37, 39]:
        key = f"R{n:02d}"
        assert r[key] == sums.get(key, 0), key
    assert r["R04"] == Y("100000") + Y("1234.56") + Y("8000") + Y("5000") + Y("300") + Y("400")
    assert r["R08"] == Y("3000") + Y("2000") + Y("1234.56") - Y("1234.56") - Y("250")     # no 9999 grant line
    assert r["R03"] == r["R04"] + r["R05"] + r["R06"]
    assert r["R07"] == sum(r[f"R{n:02d}"] for n in range(8, 16))
    assert r["R16"] == Y("20000")
    assert r["R34"] == 0
    assert r["R02"] == r["R03"] + r["R07"] + r["R16"]
    # WT2 has no 技术合同登记号: its 40000 is out of row 36; WT1 and WT3 are in
    assert r["R36"] == Y("80000")
    assert r["R37"] == 0 and r["R38"] == 0
    # R39 is reported in row 39 (and 35) and never reaches row 40
    assert r["R39"] == Y("7000")
    assert r["R35"] == Y("87000")
    assert r["R40"] == r["R02"] + Y("64000")
    assert r["R40"] == sum(v for k, v in sums.items() if k not in ("R36", "R39")) + Y("64000")


def test_error_findings_are_explained(careless):
    _, ledger, ev = careless
    errors = [f for f in ev.findings if f.severity == ERROR]
    assert len(errors) >= 20
    for f in errors:
        assert f.message and CJK.search(f.message), f
        assert f.sheet, f


def test_cli_compute_exits_2_with_cell_errors(careless, capsys):
    path, ledger, _ = careless
    rc = main.main(["compute", str(path), "--year", "2024"])
    captured = capsys.readouterr()
    assert rc == 2
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    err_lines = captured.err.splitlines()
    for k, (field, raw, code, header) in enumerate(BAD_LINES):
        cell = f"{LC[field]}{FIRST_BAD_LINE + k}"
        prefix = f"研发支出!{cell}: "
        hits = [x for x in err_lines if x.startswith(prefix)]
        assert len(hits) == 1, (prefix, captured.err)
        assert len(hits[0]) > len(prefix)
    assert f"研发支出!G{FIRST_BAD_LINE}: " in captured.err and "12,3a" in captured.err
    assert f"{PROFILE}!B3: " in captured.err and f"{PROFILE}!B4: " in captured.err
    assert f"{PROJECTS}!A8: " in captured.err
    # warnings and infos are not printed as errors
    assert "研发支出!A10: " not in captured.err
    for line_ in err_lines:
        if line_.startswith(("研发支出!", "研发项目!", "调整事项!", "年度数据!", "企业信息!")):
            assert re.match(r"^[^!]+!([A-Z]+[0-9]+|第[0-9]+行): \S", line_), line_


# --------------------------------------------------------------------------- structural problems

def _small_book(tmp_path, name):
    return build(tmp_path, name=name, years=[other_year(2024)], projects=[project("RD01")],
                 lines=[line("2024-03-05", "RD01", "R04", "1000.00"), line("2024-03-06", "RD01", "R08", "200.00")])


def test_missing_required_column_imports_no_lines(tmp_path):
    path = _small_book(tmp_path, "nocol.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[LINES]
    assert ws["G1"].value == "会计金额"
    ws.delete_cols(7)
    wb.save(path)
    ledger = load_ledger(path)
    missing = [_key(f) for f in ledger.findings if f.code == "E_COLUMN_MISSING"]
    assert missing == [_f(ERROR, "E_COLUMN_MISSING", LINES, 1, "会计金额", None)]
    assert ledger.lines == ()
    assert "RD01" in ledger.projects
    ev = evaluate(ledger, 2024)
    assert ev.has_errors and ev.sd.rows.get("R04", 0) == 0


def test_missing_projects_sheet(tmp_path):
    path = _small_book(tmp_path, "nosheet.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb[PROJECTS]
    wb.save(path)
    ledger = load_ledger(path)
    missing = [_key(f) for f in ledger.findings if f.code == "E_SHEET_MISSING"]
    assert missing == [_f(ERROR, "E_SHEET_MISSING", PROJECTS, None, None, None)]
    assert ledger.projects == {}
    assert ledger.lines == ()
    assert ledger.has_errors


def test_cli_missing_sheet_exits_2(tmp_path, capsys):
    path = _small_book(tmp_path, "nosheet_cli.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb[PROJECTS]
    wb.save(path)
    rc = main.main(["compute", str(path), "--year", "2024"])
    captured = capsys.readouterr()
    assert rc == 2
    assert "Traceback" not in captured.err
    assert "缺少工作表“研发项目”" in captured.err


# --------------------------------------------------------------------------- net ELIGIBLE amount per category

def test_negative_net_eligible_amount_is_an_error(tmp_path):
    from fractions import Fraction
    path = build(tmp_path, name="neg_eligible.xlsx", years=[other_year(2024)],
                 projects=[project("RD01"), project("RD02")], lines=[
                     line("2024-03-05", "RD01", "R08", "1000.00", funding="财政资金（不征税）"),  # excluded
                     line("2024-04-05", "RD01", "R08", "-500.00"),                              # eligible −500
                     line("2024-03-05", "RD02", "R04", "1000.00", share=Fraction(1, 10)),        # eligible 100
                     line("2024-04-05", "RD02", "R04", "-500.00"),                              # eligible −400
                 ])
    ledger = load_ledger(path)
    got = {_key(f) for f in ledger.findings if f.code == "E_NEGATIVE_CATEGORY"}
    assert got == {_f(ERROR, "E_NEGATIVE_CATEGORY", PROJECTS, 2, "项目编号", "A2"),
                   _f(ERROR, "E_NEGATIVE_CATEGORY", PROJECTS, 3, "项目编号", "A3")}
