"""工时分配 (calc/allocation.py): payroll and shared-equipment depreciation allocated by hours to the 分,
R&D days for the HNTE 183-day test, over-limit months, findings with locations, the new sheets' round trips."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from calc import schema as S
from calc.allocation import (AllocationPart, PersonMonthLoad, allocate, parse_month, person_month_loads, summary)
from calc.evaluate import evaluate
from calc.model import HNTE_BELOW_183, Project, Src
from calc.params import load_params
from calc.values import ValueProblem
from forms.report import evaluation_json
from forms.template import write_template, write_workbook
from forms.workbook import load_ledger, save_ledger
from forms.xlsx_reader import read_workbook
from tests.builders import line, profile, project

from calc.allocation import EquipmentHoursRow, EquipmentRow, PayRow, TimeRow

D = dt.date
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"
PROJECTS = {no: Project(no, f"项目{no}", "自主研发", "费用化", D(2024, 1, 1), D(2024, 12, 31))
            for no in ("P1", "P2", "P3")}


def ts(pid, month, project, hours, row=2):
    return TimeRow(pid, None, month, project, Fraction(hours), Src(S.SHEET_TIMESHEETS, row))


def pay(pid, month, wages, insurance=0, row=2, kind="在职"):
    return PayRow(pid, None, kind, month, wages, insurance, "转-0001", Src(S.SHEET_PAYROLL, row))


# --------------------------------------------------------------------------- the split

@pytest.mark.parametrize("wages, hours", [
    (1000001, {"P1": 100, "P2": 20, None: 48}),               # awkward remainders
    (1, {"P1": 1, "P2": 1, "P3": 1}),                         # one 分 over three equal parts
    (2, {"P1": 1, "P2": 1, "P3": 1}),
    (999999, {"P1": Fraction(15, 2), "P2": Fraction(1, 4), None: Fraction(331, 100)}),
    (1234567, {"P1": 7, "P2": 11, "P3": 13, None: 17}),
    (-50001, {"P1": 1, None: 2}),                             # a negative correction splits as its negation
])
def test_parts_add_up_to_the_payroll_to_the_fen(wages, hours):
    rows = [ts("E1", "2024-03", p, h, 2 + i) for i, (p, h) in enumerate(hours.items())]
    r = allocate(rows, [pay("E1", "2024-03", wages, 300000)], projects=PROJECTS)
    for component, total in (("工资薪金", wages), ("五险一金", 300000)):
        parts = [p for p in r.parts if p.component == component]
        assert sum(p.amount for p in parts) == total
        assert len(parts) == len(hours)
        for p in parts:                               # each part within one 分 of the exact share
            exact = Fraction(total) * p.hours / p.total_hours
            assert abs(p.amount - exact) < 1
    rd = sum(p.amount for p in r.parts if p.rd)
    assert sum(l.amount for l in r.lines) == rd


def test_largest_remainder_ties_go_to_the_lower_project_number():
    r = allocate([ts("E1", "2024-03", "P2", 1), ts("E1", "2024-03", "P1", 1), ts("E1", "2024-03", None, 1)],
                 [pay("E1", "2024-03", 100)], projects=PROJECTS)
    got = {p.destination: p.amount for p in r.parts}
    assert got == {"P1": 34, "P2": 33, S.NON_RD: 33}


def test_lines_codes_dates_and_basis():
    r = allocate([ts("E1", "2024-03", "P1", 120), ts("E1", "2024-03", None, 48, 3)],
                 [pay("E1", "2024-03", 1680000, 504000), pay("E2", "2024-03", 500000, 0, 3, "劳务派遣")],
                 projects=PROJECTS)
    codes = [(l.code, l.amount, l.date, l.project_no) for l in r.lines]
    assert codes == [("R04", 1200000, D(2024, 3, 31), "P1"), ("R05", 360000, D(2024, 3, 31), "P1")]
    l0 = r.lines[0]
    assert l0.src == Src(S.SHEET_PAYROLL, 2) and l0.voucher_no == "转-0001"
    assert "按工时分配 120/168小时" in l0.summary and "2024-03" in l0.summary
    assert "人员薪酬第2行" in l0.basis and "120/168" in l0.basis
    non = [p for p in r.parts if not p.rd]
    assert [(p.component, p.amount, p.code, p.line_id) for p in non] == [("工资薪金", 480000, None, None),
                                                                         ("五险一金", 144000, None, None)]
    # E2 (劳务派遣) has no hours: not allocated, a finding on its payroll row
    f = [f for f in r.findings if f.code == "W_PAYROLL_NO_HOURS"]
    assert len(f) == 1 and (f[0].sheet, f[0].row) == (S.SHEET_PAYROLL, 3)


def test_dispatched_staff_go_to_r06_and_project_end_dates_the_line():
    projects = dict(PROJECTS, P9=Project("P9", "x", "自主研发", "费用化", D(2024, 1, 1), D(2024, 3, 20)))
    r = allocate([ts("E1", "2024-03", "P9", 100)], [pay("E1", "2024-03", 300000, 10000, kind="临时聘用")],
                 projects=projects)
    assert [(l.code, l.amount, l.date) for l in r.lines] == [("R06", 300000, D(2024, 3, 20)), ("R06", 10000, D(2024, 3, 20))]


def test_zero_hours_and_only_non_rd():
    r = allocate([ts("E1", "2024-03", "P1", 0)], [pay("E1", "2024-03", 100000)], projects=PROJECTS)
    assert not r.lines and any(f.code == "W_PAYROLL_NO_HOURS" for f in r.findings)
    r = allocate([ts("E1", "2024-03", None, 168)], [pay("E1", "2024-03", 100000, 30000)], projects=PROJECTS)
    assert not r.lines
    assert sum(p.amount for p in r.parts) == 130000 and all(not p.rd for p in r.parts)
    # a zero-hour project next to worked ones gets a zero part, no line
    r = allocate([ts("E1", "2024-03", "P1", 0), ts("E1", "2024-03", "P2", 10, 3)], [pay("E1", "2024-03", 777)],
                 projects=PROJECTS)
    assert [(l.project_no, l.amount) for l in r.lines] == [("P2", 777)]


def test_equipment_depreciation_by_usage_hours():
    eq = [EquipmentRow("A1", "试验箱", "仪器", "2024-03", 649154, None, Src(S.SHEET_EQUIPMENT, 2)),
          EquipmentRow("A2", "加工中心", "设备", "2024-03", 10001, None, Src(S.SHEET_EQUIPMENT, 3))]
    hours = [EquipmentHoursRow("A1", "2024-03", "P1", Fraction(130), Src(S.SHEET_EQUIPMENT_HOURS, 2)),
             EquipmentHoursRow("A1", "2024-03", None, Fraction(70), Src(S.SHEET_EQUIPMENT_HOURS, 3))]
    r = allocate((), (), eq, hours, projects=PROJECTS)
    assert [(l.code, l.amount) for l in r.lines] == [("R17", 421950)]       # E14-style split, to the 分
    assert sum(p.amount for p in r.parts) == 649154
    assert [f.code for f in r.findings] == ["W_EQUIPMENT_NO_HOURS"]
    assert r.findings[0].row == 3


# --------------------------------------------------------------------------- days, loads, findings

def test_rd_days_and_the_183_day_test():
    rows = []
    for m in range(1, 13):
        rows.append(ts("E1", f"2024-{m:02d}", "P1", 122, m))        # 12 × 122 = 1464 h = 183 days exactly
        rows.append(ts("E2", f"2024-{m:02d}", "P1", 121, 20 + m))   # 1452 h = 181.5 days
        rows.append(ts("E2", f"2024-{m:02d}", None, 47, 40 + m))    # non-R&D hours do not count
    payroll = [pay("E1", "2024-01", 100000), pay("E2", "2024-01", 100000, 0, 3)]
    r = allocate(rows, payroll, projects=PROJECTS, params=load_params())
    e1, e2 = r.persons_of(2024)
    assert (e1.rd_days, e1.meets_183) == (Fraction(183), True)
    assert (e2.rd_days, e2.meets_183, e2.total_hours) == (Fraction(363, 2), False, 168 * 12)
    # the HNTE view leaves out generated staff cost of a person below 183 days (AI-ALLOC-05)
    cats = {l.src.row: l.hnte_category for l in r.lines}
    assert cats == {2: None, 3: HNTE_BELOW_183}
    below = [f for f in r.findings if f.code == "I_RD_DAYS_BELOW_183"]
    assert len(below) == 1 and "E2" in below[0].message and below[0].sheet == S.SHEET_TIMESHEETS


def test_over_limit_month_and_person_month_loads():
    params = load_params()
    rows = [ts("E1", "2024-03", "P1", 180, 2), ts("E1", "2024-03", None, 30, 3),      # 210 h: at the limit
            ts("E1", "2024-04", "P1", 200, 4), ts("E1", "2024-04", "P2", Fraction(2001, 100), 5)]   # 220.01 h
    r = allocate(rows, [pay("E1", "2024-03", 1000), pay("E1", "2024-04", 1000, row=3)], projects=PROJECTS,
                 params=params)
    over = [f for f in r.findings if f.code == "W_HOURS_OVER_LIMIT"]
    assert len(over) == 1 and (over[0].sheet, over[0].row, over[0].column) == (S.SHEET_TIMESHEETS, 4, "工时")
    assert "超过100%工时" in over[0].message
    loads = {ld.month: ld for ld in r.loads}
    assert loads["2024-03"].limit_hours == 210 and not loads["2024-03"].over_limit
    assert loads["2024-04"].rd_hours == Fraction(22001, 100) and loads["2024-04"].over_limit
    assert loads["2024-03"].share == Fraction(180, 210)


def test_hours_without_payroll_unknown_project_and_outside_period(tmp_path):
    path = tmp_path / "a.xlsx"
    write_workbook(path, profile=profile(), projects=[project("P1", start=D(2024, 3, 1), end=D(2024, 6, 30))],
                   timesheets=[{"person_id": "E1", "month": "2024-04", "project_no": "P1", "hours": Decimal(100)},
                               {"person_id": "E1", "month": "2024-04", "project_no": "PX", "hours": Decimal(8)},
                               {"person_id": "E1", "month": "2024-08", "project_no": "P1", "hours": Decimal(8)},
                               {"person_id": "E2", "month": "2024年13月", "project_no": "P1", "hours": Decimal(8)},
                               {"person_id": "E3", "month": "2024-05", "project_no": "P1", "hours": Decimal(-8)}],
                   payroll=[{"person_id": "E1", "month": "2024-08", "wages": Decimal("100.00")},
                            {"person_id": "E4", "month": "2024-05"}])
    ledger = load_ledger(path)
    found = {(f.code, f.row, f.column) for f in ledger.findings if f.sheet in S.ALLOCATION_SHEETS}
    assert ("E_PROJECT_UNKNOWN", 3, "项目编号") in found
    assert ("W_HOURS_OUTSIDE_PERIOD", 4, "月份") in found
    assert ("E_MONTH", 5, "月份") in found
    assert ("E_HOURS_NEGATIVE", 6, "工时") in found
    assert ("W_HOURS_NO_PAYROLL", 2, "人员编号") in found         # 2024-04 has hours, no payroll
    assert ("W_PAYROLL_EMPTY", 3, "工资薪金") in found
    cells = {f.code: f.cell for f in ledger.findings if f.sheet == S.SHEET_TIMESHEETS}
    assert cells["E_PROJECT_UNKNOWN"] == "D3" and cells["E_HOURS_NEGATIVE"] == "E6"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in f.message) for f in ledger.findings)   # Chinese messages
    # valid rows are kept: 2024-04 and 2024-08 of E1
    assert {t.month for t in ledger.allocation.timesheets} == {"2024-04", "2024-08"}


@pytest.mark.parametrize("raw, month", [("2024-03", "2024-03"), ("2024/3", "2024-03"), ("2024年3月", "2024-03"),
                                        ("202403", "2024-03"), (D(2024, 3, 17), "2024-03"),
                                        (dt.datetime(2024, 3, 1, 0, 0), "2024-03"), ("2024-03-31", "2024-03"),
                                        (202412, "2024-12")])
def test_parse_month(raw, month):
    assert parse_month(raw) == month


@pytest.mark.parametrize("raw", ["2024-13", "三月", "", None, "2024"])
def test_parse_month_rejects(raw):
    with pytest.raises(ValueProblem):
        parse_month(raw)


# --------------------------------------------------------------------------- through the ledger

def _workbook(tmp_path, manual=()):
    path = tmp_path / "alloc.xlsx"
    write_workbook(path, profile=profile(), projects=[project("P1"), project("P2")], lines=list(manual),
                   years=[{"year": 2024, "main_revenue": Decimal("100000000"), "total_income": Decimal("100000000"),
                           "taxable_income": Decimal("10000000")}],
                   timesheets=[{"person_id": "E1", "name": "张三", "month": "2024-03", "project_no": "P1", "hours": Decimal(120)},
                               {"person_id": "E1", "name": "张三", "month": "2024-03", "project_no": "P2", "hours": Decimal(20)},
                               {"person_id": "E1", "name": "张三", "month": "2024-03", "project_no": "非研发", "hours": Decimal(28)}],
                   payroll=[{"person_id": "E1", "name": "张三", "staff_type": "在职", "month": "2024-03",
                             "wages": Decimal("16800.01"), "insurance": Decimal("5040.00"), "voucher_no": "转-0012"}],
                   equipment=[{"asset_id": "SB1", "name": "示波器", "kind": "仪器", "month": "2024-03",
                               "depreciation": Decimal("1000.00")}],
                   equipment_hours=[{"asset_id": "SB1", "month": "2024-03", "project_no": "P2", "hours": Decimal(30)},
                                    {"asset_id": "SB1", "month": "2024-03", "project_no": "非研发", "hours": Decimal(10)}])
    return path


def test_generated_lines_reach_a107012(tmp_path):
    ledger = load_ledger(_workbook(tmp_path, [line("2024-03-10", "P1", "R08", "1000.00")]))
    assert not ledger.has_errors
    gen = [l for l in ledger.lines if l.basis]
    assert [l.id for l in ledger.lines] == list(range(len(ledger.lines)))
    assert ledger.lines[0].basis is None and len(gen) == 5
    r04 = sum(l.amount for l in gen if l.code == "R04")
    r05 = sum(l.amount for l in gen if l.code == "R05")
    r17 = sum(l.amount for l in gen if l.code == "R17")
    assert r04 == 1680001 * 140 // 168 or abs(r04 - Fraction(1680001 * 140, 168)) < 2
    assert (r05, r17) == (420000, 75000)
    ev = evaluate(ledger, 2024)
    rows = ev.sd.rows
    assert rows["R04"] == r04 and rows["R05"] == r05 and rows["R17"] == r17
    assert ev.allocation is not None and ev.allocation["lines"] == 5
    assert {"AI-ALLOC-01", "AI-ALLOC-05"} <= ev.interpretations
    doc = evaluation_json(ev)
    a = doc["allocation"]
    assert a["persons"][0]["rd_days"] == "17.50" and a["persons"][0]["meets_183"] is False
    assert a["projects"][0]["project_no"] == "P1" and a["projects"][-1]["project_no"] == S.NON_RD
    assert a["limit_hours"] == "210.00"
    assert Fraction(a["rd_total"]) * 100 + Fraction(a["non_rd_total"]) * 100 == 1680001 + 504000 + 100000
    # a trace can name the basis: every generated line's source is its payroll / depreciation row
    assert {l.src.sheet for l in gen} == {S.SHEET_PAYROLL, S.SHEET_EQUIPMENT}


def test_double_count_warning_on_manual_staff_lines(tmp_path):
    ledger = load_ledger(_workbook(tmp_path, [line("2024-03-31", "P1", "R04", "5000.00"),
                                              line("2024-04-30", "P1", "R04", "5000.00"),
                                              line("2024-03-31", "P1", "R05", "100.00")]))
    dup = [f for f in ledger.findings if f.code == "W_ALLOC_DOUBLE"]
    assert [(f.sheet, f.row) for f in dup] == [(S.SHEET_LINES, 2), (S.SHEET_LINES, 4)]


def test_no_allocation_sheets_no_change(tmp_path):
    path = tmp_path / "plain.xlsx"
    write_workbook(path, profile=profile(), projects=[project("P1")], lines=[line("2024-03-10", "P1", "R04", "1.00")])
    raw = read_workbook(path)
    sheets = {n: s.rows for n, s in raw.sheets.items() if n not in S.ALLOCATION_SHEETS}
    from calc.ingest import build_ledger
    ledger = build_ledger(sheets)
    assert ledger.allocation is None and person_month_loads(ledger, None) == ()
    assert summary(None, 2024) is None


def test_workbook_round_trip_of_the_new_sheets(tmp_path):
    ledger = load_ledger(_workbook(tmp_path))
    out = tmp_path / "again.xlsx"
    save_ledger(ledger, out)
    again = load_ledger(out)
    assert again.allocation.timesheets == tuple(
        type(t)(t.person_id, t.name, t.month, t.project_no, t.hours, t.src) for t in ledger.allocation.timesheets)
    assert again.allocation.payroll == ledger.allocation.payroll
    assert again.allocation.equipment == ledger.allocation.equipment
    assert [(l.code, l.amount, l.project_no) for l in again.lines] == [(l.code, l.amount, l.project_no) for l in ledger.lines]


def test_template_has_the_new_sheets(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path)
    raw = read_workbook(path)
    for name, cols in ((S.SHEET_TIMESHEETS, S.TIMESHEET_COLUMNS), (S.SHEET_PAYROLL, S.PAYROLL_COLUMNS),
                       (S.SHEET_EQUIPMENT, S.EQUIPMENT_COLUMNS), (S.SHEET_EQUIPMENT_HOURS, S.EQUIPMENT_HOURS_COLUMNS)):
        assert [c for c in raw.sheets[name].rows[0] if c] == [c.header for c in cols]
    ledger = load_ledger(path)
    assert ledger.allocation is not None and ledger.allocation.empty
    assert not [f for f in ledger.findings if f.sheet in S.ALLOCATION_SHEETS]


def test_workspace_round_trip_and_older_file_migration(tmp_path):
    import sqlite3

    from forms.workspace import Workspace
    ledger = load_ledger(_workbook(tmp_path))
    path = tmp_path / "w.rdw"
    with Workspace.create(path, ledger) as ws:
        assert ws.count("timesheets") == 3 and ws.count("payroll") == 1 and ws.count("equipment_hours") == 2
        got = ws.ledger()
        assert [(l.code, l.amount) for l in got.lines] == [(l.code, l.amount) for l in ledger.lines]
        # an edit of the hours re-allocates
        rid = ws.rows("timesheets")[0]["id"]
        ws.set_value("timesheets", rid, "hours", "140")
        edited = ws.ledger()
        assert sum(l.amount for l in edited.lines if l.code == "R04") != sum(
            l.amount for l in got.lines if l.code == "R04")
        assert ws.locate(edited.lines[-1].src)[0] == "equipment"
        ws.undo()
        ws.save()
    # an older file without the new tables opens and gains them
    conn = sqlite3.connect(path)
    for t in ("timesheets", "payroll", "equipment", "equipment_hours"):
        conn.execute(f"DROP TABLE {t}")
    conn.commit()
    conn.close()
    with Workspace.open(path) as ws:
        assert ws.count("payroll") == 0
        assert ws.ledger().allocation.empty
        ws.import_workbook(_workbook(tmp_path), mode="merge")
        assert ws.count("payroll") == 1


# --------------------------------------------------------------------------- the sample enterprise

@pytest.fixture(scope="module")
def sample():
    return load_ledger(SAMPLE)


def test_sample_allocation(sample):
    a = sample.allocation
    assert a is not None and a.payroll and a.timesheets and a.equipment
    for pr in a.payroll:                       # every payroll row is split to the 分
        for comp, total in (("工资薪金", pr.wages), ("五险一金", pr.insurance)):
            parts = [p for p in a.parts if p.src == pr.src and p.component == comp]
            assert not parts or sum(p.amount for p in parts) == total
    persons = a.persons_of(2024)
    assert any(not p.meets_183 and p.rd_hours for p in persons)          # someone under 183 R&D days
    assert any(p.over_limit_months for p in persons)                     # and an over-limit month
    assert any(p.total_hours > p.rd_hours for p in persons)              # non-R&D (production) hours
    loads = person_month_loads(sample, load_params())
    assert loads and all(isinstance(ld, PersonMonthLoad) and len(ld.month) == 7 for ld in loads)
    assert [ld for ld in loads if ld.over_limit] == [ld for ld in a.loads if ld.over_limit]
    assert not [f for f in sample.findings if f.code == "W_ALLOC_DOUBLE"]
    assert isinstance(a.parts[0], AllocationPart)


def test_sample_headline_figures_unchanged(sample):
    ev = evaluate(sample, 2024)
    assert ev.sd.rows["R51"] == 712762300
    assert ev.subsidy_total == 70263350
    rd = ev.hnte.condition("rd_ratio")
    assert rd.status == "fail" or str(rd.status).lower().endswith("fail")
    assert Fraction(3795, 100000) <= rd.value < Fraction(4, 100)       # shown as 3.80%


def test_hnte_bridge_names_the_183_day_rule_for_the_sample():
    """AI-ALLOC-05: the generated pay of a person below 183 R&D days leaves the HNTE view with its own reason,
    not as a user's “不计入”."""
    from calc.hnte import hnte_caliber
    from forms.workbook import load_ledger

    ledger = load_ledger(SAMPLE)
    cal = hnte_caliber(ledger, 2024, load_params())
    below = [e for e in cal.excluded if e[1] == "below_183"]
    assert below and all("183" in e[2] for e in below)
    assert {ledger.lines[i].hnte_category for i, *_ in below} == {HNTE_BELOW_183}
    assert not [e for e in cal.excluded if e[1] == "user_excluded" and ledger.lines[e[0]].basis]
