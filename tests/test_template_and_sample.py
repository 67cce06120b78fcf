"""The import template (forms/template.py) and the bundled sample enterprise generator."""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from calc import schema
from forms import template
from forms.template import SHEET_CODES, write_template, write_workbook

ROOT = Path(__file__).resolve().parents[1]
CODES_YAML = ROOT / "resources" / "params" / "expense_codes.yaml"
MAKE_SAMPLE = ROOT / "resources" / "sample" / "make_sample.py"
ORDER = [schema.SHEET_HELP, schema.SHEET_PROFILE, schema.SHEET_YEARS, schema.SHEET_PROJECTS, schema.SHEET_LINES,
         schema.SHEET_ADJUSTMENTS]


def _load_make_sample():
    spec = importlib.util.spec_from_file_location("make_sample", MAKE_SAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_sample():
    return _load_make_sample()


@pytest.fixture(scope="module")
def template_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    write_template(path)
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory, make_sample):
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    make_sample.main([str(path)])
    return path


@pytest.fixture(scope="module")
def sample_book(sample_path):
    return openpyxl.load_workbook(sample_path)


def _validations(ws):
    """{column letter: [formula1, …]} for the sheet's data validations."""
    out = defaultdict(list)
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[openpyxl.utils.get_column_letter(rng.min_col)].append(dv)
    return out


# --------------------------------------------------------------------------- template

def test_template_sheets_in_order(template_book):
    assert template_book.sheetnames[:6] == ORDER
    assert template_book.sheetnames[6:] == ["补助测算信息", *schema.ALLOCATION_SHEETS, SHEET_CODES]
    assert template_book[SHEET_CODES].sheet_state == "hidden"
    for name in ORDER:
        assert template_book[name].sheet_state == "visible"


def test_template_table_headers_match_schema(template_book):
    for name, columns in schema.TABLE_COLUMNS.items():
        ws = template_book[name]
        headers = [c.value for c in ws[1]]
        assert headers == [c.header for c in columns], name
        assert ws.freeze_panes == "A2"
        assert ws.max_row == 1                       # empty template: header only
        for j, column in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j)
            assert cell.font.bold
            if column.required:
                assert cell.font.color.rgb.endswith("C00000")


def test_template_profile_sheet(template_book):
    ws = template_book[schema.SHEET_PROFILE]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("字段", "值", "说明")
    assert [r[0] for r in rows[1:]] == [c.header for c in schema.PROFILE_FIELDS]
    assert all(r[1] is None for r in rows[1:])
    for column, row in zip(schema.PROFILE_FIELDS, rows[1:]):
        if column.required:
            assert row[2].endswith("（必填）")
        if column.help:
            assert row[2].startswith(column.help)


def test_template_data_validations(template_book):
    for name, columns in schema.TABLE_COLUMNS.items():
        ws = template_book[name]
        dvs = _validations(ws)
        for j, column in enumerate(columns, start=1):
            letter = openpyxl.utils.get_column_letter(j)
            expected = column.choices or (("是", "否") if column.kind == schema.YESNO else ())
            if expected:
                assert dvs[letter], (name, column.header)
                dv = dvs[letter][0]
                assert dv.type == "list" and dv.allow_blank and dv.errorStyle == "warning"
                assert dv.formula1 == '"' + ",".join(expected) + '"'
    lines = template_book[schema.SHEET_LINES]
    dvs = _validations(lines)
    letters = {c.field: openpyxl.utils.get_column_letter(j) for j, c in enumerate(schema.LINE_COLUMNS, start=1)}
    code_dv = dvs[letters["code"]][0]
    assert code_dv.formula1.startswith(f"'{SHEET_CODES}'!$A$2:$A$")
    assert code_dv.errorStyle == "warning" and code_dv.allow_blank
    project_dv = dvs[letters["project_no"]][0]
    assert project_dv.formula1 == f"'{schema.SHEET_PROJECTS}'!$A$2:$A$2000"
    # profile: choice / yes-no fields have a drop-down on their value cell
    prof = template_book[schema.SHEET_PROFILE]
    cells = {str(r) for dv in prof.data_validations.dataValidation for r in dv.sqref.ranges}
    for i, column in enumerate(schema.PROFILE_FIELDS, start=2):
        if column.choices or column.kind == schema.YESNO:
            assert f"B{i}" in cells, column.header


def test_code_sheet_lists_every_code(template_book):
    codes = [c["code"] for c in yaml.safe_load(CODES_YAML.read_text(encoding="utf-8"))["codes"]]
    ws = template_book[SHEET_CODES]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == template.CODE_TABLE_HEADERS
    assert [r[0] for r in rows[1:]] == codes
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["R04"][3] == "是" and by_code["R39"][3] == "否" and by_code["NE01"][3] == "否"
    assert by_code["R04"][2] == "人员人工费用"
    # the code validation covers exactly the listed codes
    lines = template_book[schema.SHEET_LINES]
    formulas = [dv.formula1 for dv in lines.data_validations.dataValidation]
    assert f"'{SHEET_CODES}'!$A$2:$A${len(codes) + 1}" in formulas


def test_help_sheet_content(template_book):
    text = "\n".join(str(v) for row in template_book[schema.SHEET_HELP].iter_rows(values_only=True)
                     for v in row if v is not None)
    for needle in ("红字冲销", "1,234.56", "¥1234.56", "(1,234.56)", "2024年3月5日", "20240305", "2024/3/5",
                   "是/否", "NE", "忽略", "研发工时占比"):
        assert needle in text, needle
    for name in schema.SHEETS:
        assert name in text
    for column in schema.LINE_COLUMNS + schema.PROJECT_COLUMNS + schema.YEAR_COLUMNS:
        assert column.header in text
    for c in yaml.safe_load(CODES_YAML.read_text(encoding="utf-8"))["codes"]:
        assert c["label"] in text


def test_template_is_reproducible(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_template(a)
    write_template(b)
    assert a.read_bytes() == b.read_bytes()


# --------------------------------------------------------------------------- values

def test_decimal_amount_is_exact(tmp_path):
    path = tmp_path / "d.xlsx"
    write_workbook(path, lines=[{"date": dt.date(2024, 3, 5), "voucher_kind": "记", "voucher_no": "记-0001",
                                 "project_no": "RD01", "code": "R08", "amount": Decimal("0.30"),
                                 "tax_amount": Decimal("-1234567890123.45"), "share": Decimal("0.40")},
                                {"date": dt.date(2024, 3, 6), "voucher_no": "记-0002", "project_no": "RD01",
                                 "code": "R04", "amount": Decimal("12.00"), "share": "40%",
                                 "summary": "=SUM(A1)"}])
    ws = openpyxl.load_workbook(path)[schema.SHEET_LINES]
    letters = {c.field: openpyxl.utils.get_column_letter(j) for j, c in enumerate(schema.LINE_COLUMNS, start=1)}
    amount = ws[f"{letters['amount']}2"]
    assert amount.value == 0.3 and amount.number_format == "#,##0.00"
    assert ws[f"{letters['tax_amount']}2"].value == -1234567890123.45
    share = ws[f"{letters['share']}2"]
    assert share.value == 0.4 and share.number_format == "0.00%"
    assert ws[f"{letters['share']}3"].value == "40%"
    assert ws[f"{letters['summary']}3"].value == "=SUM(A1)" and ws[f"{letters['summary']}3"].data_type == "s"
    date = ws[f"{letters['date']}2"]
    assert date.is_date and date.value.date() == dt.date(2024, 3, 5) and date.number_format == "yyyy-mm-dd"
    # the stored XML carries the exact decimal text, not a float rendering
    with zipfile.ZipFile(path) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet5"))
        xml = z.read(sheet).decode()
    assert "<v>0.30</v>" in xml and "<v>-1234567890123.45</v>" in xml


def test_float_is_refused(tmp_path):
    with pytest.raises(TypeError):
        write_workbook(tmp_path / "f.xlsx", lines=[{"date": dt.date(2024, 1, 1), "amount": 0.3}])


def test_profile_values_and_bools(tmp_path):
    path = tmp_path / "p.xlsx"
    write_workbook(path, profile={"name": "测试公司", "founded": dt.date(2012, 5, 18), "standards": True,
                                  "ic_or_machine_tool": False, "ip_class1": 3, "unknown_key": "ignored"})
    ws = openpyxl.load_workbook(path)[schema.SHEET_PROFILE]
    values = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert values["企业名称"] == "测试公司"
    assert values["成立日期"].date() == dt.date(2012, 5, 18)
    assert values["参与标准制定"] == "是" and values["集成电路或工业母机企业"] == "否"
    assert values["Ⅰ类知识产权数量"] == 3


# --------------------------------------------------------------------------- sample

def _rows(ws):
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, r)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_credit_code_helper(make_sample):
    assert make_sample.credit_code_check_char("91350100M000100Y4") == "3"   # GB 32100 published example
    code = make_sample.make_credit_code()
    assert code.startswith("91640100") and make_sample.credit_code_valid(code)
    try:
        from calc.identifiers import check_credit_code
    except ImportError:                                  # pragma: no cover - engine not there yet
        return
    assert check_credit_code(code) is None


def test_sample_workbook(sample_book, make_sample):
    assert sample_book.sheetnames[:6] == ORDER
    for name, columns in schema.TABLE_COLUMNS.items():
        assert [c.value for c in sample_book[name][1]] == [c.header for c in columns]
    profile = {r[0]: r[1] for r in sample_book[schema.SHEET_PROFILE].iter_rows(min_row=2, values_only=True)}
    assert make_sample.credit_code_valid(profile["统一社会信用代码"])
    assert profile["所属行业代码"].startswith("C")
    assert profile["高新技术企业证书编号"] is None

    projects = _rows(sample_book[schema.SHEET_PROJECTS])
    assert len(projects) >= 8
    by_no = {p["项目编号"]: p for p in projects}
    forms = {p["研发形式"] for p in projects}
    assert {"自主研发", "委托研发", "合作研发"} <= forms
    capitalised = [p for p in projects if p["支出类型"] == "资本化"]
    assert capitalised and capitalised[0]["无形资产形成日期"].date() == dt.date(2023, 7, 10)
    assert capitalised[0]["摊销年限"] == 10
    entrusted = [p for p in projects if p["研发形式"] == "委托研发"]
    assert any(p["受托方所在地"] == "境内" and p["受托方是否关联方"] == "否" for p in entrusted)
    assert any(p["受托方所在地"] == "境外" and p["受托方是否关联方"] == "是" for p in entrusted)

    lines = _rows(sample_book[schema.SHEET_LINES])
    assert len(lines) >= 2000
    codes = yaml.safe_load(CODES_YAML.read_text(encoding="utf-8"))["codes"]
    known = {c["code"] for c in codes}
    used = [ln["费用代码"] for ln in lines]
    assert set(used) <= known
    assert used.count("R39") == 1
    for c in ("R04", "R05", "R06", "R08", "R18", "R29", "R31", "R33", "R36", "R37", "NE01", "NE03", "NE05",
              "NE06", "NE07", "NE08", "NE10"):
        assert c in used, c
    assert all(ln["项目编号"] in by_no for ln in lines)
    assert all(dt.date(2022, 1, 1) <= ln["日期"].date() <= dt.date(2024, 12, 31) for ln in lines)
    assert any(ln["会计金额"] < 0 for ln in lines)
    assert any(ln["资金来源"] == "财政资金（不征税）" for ln in lines)
    assert any(ln["研发工时占比"] is not None for ln in lines)
    assert any(ln["税法金额"] is not None and ln["税法金额"] > ln["会计金额"] for ln in lines)
    # the capitalised project's lines stop before its intangible asset is formed
    rd_cap = [ln["日期"].date() for ln in lines if ln["项目编号"] == capitalised[0]["项目编号"]]
    assert max(rd_cap) < dt.date(2023, 7, 1)
    # exactly three deliberate lines outside their project's period
    outside = [ln for ln in lines
               if not by_no[ln["项目编号"]]["开始日期"] <= ln["日期"] <= by_no[ln["项目编号"]]["结束日期"]]
    assert 2 <= len(outside) <= 3

    adjustments = _rows(sample_book[schema.SHEET_ADJUSTMENTS])
    kinds = {a["类型"] for a in adjustments}
    assert {"特殊收入", "当年销售研发产品对应材料", "其他"} <= kinds

    years = _rows(sample_book[schema.SHEET_YEARS])
    full = {y["年度"]: y for y in years if not y["季度"]}
    assert sorted(full) == [2021, 2022, 2023, 2024]
    assert {y["季度"] for y in years if y["季度"]} == {"H1", "Q1-Q3"}
    assert full[2021]["研发费用（加计扣除口径）"] is not None


def test_sample_money_properties(make_sample):
    sample = make_sample.build_sample()
    # amounts are Decimal with exactly two places, never float
    for ln in sample["lines"]:
        assert isinstance(ln["amount"], Decimal) and ln["amount"].as_tuple().exponent == -2
        if ln["tax_amount"] is not None:
            assert ln["tax_amount"].as_tuple().exponent == -2
    # reversals never make a project's net in a code (and so in a category) negative within a year
    net = defaultdict(Decimal)
    for ln in sample["lines"]:
        net[(ln["date"].year, ln["project_no"], ln["code"], ln["funding"])] += ln["amount"]
    assert all(v >= 0 for v in net.values())
    summary = make_sample.summarise(sample)
    # 其他相关费用 exceed 前五项 / 9 in at least one year (the 10% cap binds)
    assert any(s["cap_binds"] for s in summary.values())
    # the broad HNTE-caliber ratio sits just under the 4% threshold of the 5,000万–2亿 tier
    ratio = summary[2024]["hnte_ratio_3y"]
    assert 0.036 < ratio < 0.040
    for year, s in summary.items():
        assert 150_000_000_00 <= s["sales"] <= 190_000_000_00
        eligible = sum(s["by_category"].values())
        assert 5_000_000_00 <= eligible <= 7_000_000_00, year


def _cell_values(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def test_sample_is_deterministic(tmp_path, make_sample, sample_path):
    again = tmp_path / "again.xlsx"
    make_sample.main([str(again)])
    assert _cell_values(again) == _cell_values(sample_path)
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(sample_path.read_bytes()).digest()


def test_committed_sample_is_current(sample_path):
    committed = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"
    if not committed.exists():
        pytest.skip("sample_enterprise.xlsx not generated yet")
    # values, not bytes: a different openpyxl version may lay the XML out differently
    assert _cell_values(committed) == _cell_values(sample_path), "run: python resources/sample/make_sample.py"
