"""super_deduction.md §11: every published worked example, through the workbook import path."""
from __future__ import annotations

from fractions import Fraction

import pytest

from calc.money import yuan_to_fen as Y
from tests.builders import (build, evaluate_workbook, line, manufacturer_year, other_year, profile, project, wan,
                            year_row)


def rows(ev):
    return ev.sd.rows


def test_e1_other_cost_cap_two_projects(tmp_path):
    # 指引2.0 四(二)3: A first five 88, other 12; B first five 84, other 8; 2023, X = 100%
    path = build(tmp_path, years=[other_year(2023)], projects=[project("A"), project("B")], lines=[
        line("2023-03-01", "A", "R04", wan(88)), line("2023-03-02", "A", "R33", wan(12)),
        line("2023-04-01", "B", "R08", wan(84)), line("2023-04-02", "B", "R29", wan(8)),
    ])
    ev = evaluate_workbook(path, 2023)
    r = rows(ev)
    assert r["R34"] == Y("191111.11")
    assert r["R02"] == r["R40"] == Y("1911111.11")
    assert r["R51"] == Y("1911111.11")
    assert ev.sd.rate == 1


def test_e2_other_costs_below_cap(tmp_path):
    # 广东指引 §3.1.1.1.2: 2021 manufacturer, 100%
    path = build(tmp_path, years=[manufacturer_year(2021)], projects=[project("a"), project("b")], lines=[
        line("2021-05-01", "a", "R04", wan(90)), line("2021-05-01", "a", "R33", wan(12)),
        line("2021-06-01", "b", "R08", wan(100)), line("2021-06-01", "b", "R30", wan(8)),
    ])
    ev = evaluate_workbook(path, 2021)
    assert rows(ev)["R34"] == Y("200000.00")
    assert rows(ev)["R51"] == Y("2100000.00")
    assert ev.sd.rate == 1


E3_TABLE = {
    1: 3, 2: "1472222.22", 3: "850000", 4: "700000", 5: "150000", 6: "0", 7: "300000", 8: "175000", 9: "65000",
    10: "60000", 11: "0", 12: "0", 13: "0", 14: "0", 15: "0", 16: "75000", 17: "0", 18: "75000", 19: "50000",
    20: "25000", 21: "25000", 22: "0", 23: "50000", 24: "25000", 25: "25000", 26: "0", 27: "0", 28: "175000",
    29: "25000", 30: "0", 31: "0", 32: "0", 33: "150000", 34: "147222.22", 35: "500000", 36: "350000",
    37: "150000", 38: "120000", 39: "0", 40: "1872222.22", 41: "1872222.22", 42: "0", 43: "0", 44: "0",
    45: "1872222.22", 46: "0", 47: "1872222.22", 48: "0", 49: "0", 52: "0",
}


def e3_workbook(tmp_path, manufacturer: bool):
    d = "2022-05-10"
    lines = [
        # A (own R&D)
        line(d, "A", "R04", wan(40)), line(d, "A", "R05", wan(10)), line(d, "A", "R08", wan(15)),
        line(d, "A", "R09", wan(5)), line(d, "A", "R10", wan(5)), line(d, "A", "R18", wan(5)),
        line(d, "A", "R21", wan(2.5)), line(d, "A", "R24", wan(2.5)), line(d, "A", "R33", wan(10)),
        line(d, "A", "R33", wan(5), summary="会议费"),
        # B (own R&D)
        line(d, "B", "R04", wan(30)), line(d, "B", "R05", wan(5)), line(d, "B", "R08", wan(2.5)),
        line(d, "B", "R09", wan(1.5)), line(d, "B", "R10", wan(1)), line(d, "B", "R18", wan(2.5)),
        line(d, "B", "R20", wan(2.5)), line(d, "B", "R25", wan(2.5)), line(d, "B", "R29", wan(2.5)),
        # C (entrusted): 15 overseas institution, 35 domestic
        line(d, "C", "R37", wan(15)), line(d, "C", "R36", wan(35)),
    ]
    projects = [project("A"), project("B"),
                project("C", form="委托研发", entrustee="受托方（境内外）", contract_no="2022440100000123", ownership="委托方")]
    year_fn = manufacturer_year if manufacturer else other_year
    return build(tmp_path, prof=profile(industry_code="C3981" if manufacturer else "I6513"),
                 years=[year_fn(2022), year_fn(2022, "Q1-Q3")], projects=projects, lines=lines)


@pytest.mark.parametrize("manufacturer,rate,extra", [(True, 1, "1872222.22"), (False, Fraction(3, 4), "1404166.67")])
def test_e3_prepayment_full_a107012(tmp_path, manufacturer, rate, extra):
    ev = evaluate_workbook(e3_workbook(tmp_path, manufacturer), 2022, "Q1-Q3")
    r = rows(ev)
    for row, expected in E3_TABLE.items():
        key = f"R{row:02d}"
        assert r[key] == (expected if row == 1 else Y(expected)), key
    assert ev.sd.rate == rate
    assert r["R51"] == Y(extra)
    assert ev.sd.layout["id"] == "classic"
    # the 汇总表 金额合计 equals row 40, its 8.2 is E36
    total = next(s for s in ev.sd.summary if s.project_no == "金额合计")
    assert total.cols["total"] == r["R40"] and total.cols["8.2"] == Y("280000")


def test_e5_overseas_two_thirds_cap(tmp_path):
    path = build(tmp_path, years=[manufacturer_year(2022)], projects=[
        project("P1"), project("P2", form="委托研发", entrustee="Overseas GmbH", entrustee_location="境外",
                               contract_no="2022440100000777", ownership="委托方")],
        lines=[line("2022-06-01", "P1", "R04", wan(110)), line("2022-06-01", "P2", "R37", wan(100))])
    ev = evaluate_workbook(path, 2022)
    assert rows(ev)["R02"] == Y("1100000")
    assert rows(ev)["R38"] == Y("733333.33")


def test_e6_related_party_entrusted(tmp_path):
    path = build(tmp_path, years=[other_year(2023)], projects=[
        project("P", form="委托研发", entrustee="B公司", entrustee_related=True, entrustee_location="境内",
                contract_no="2023440100000001", ownership="委托方")],
        lines=[line("2023-08-01", "P", "R36", wan(100))])
    ev = evaluate_workbook(path, 2023)
    assert rows(ev)["R36"] == Y("1000000")
    assert rows(ev)["R40"] == Y("800000")
    assert rows(ev)["R51"] == Y("800000")
    assert any(f.code == "W_ENTRUST_RELATED" for f in ev.findings)


def test_e7_special_income(tmp_path):
    path = build(tmp_path, years=[manufacturer_year(2022)], projects=[project("P")],
                 lines=[line("2022-03-01", "P", "R04", wan(500))],
                 adjustments=[{"year": 2022, "kind": "特殊收入", "amount": wan(100), "note": "以前年度研发下脚料"}])
    r = rows(evaluate_workbook(path, 2022))
    assert (r["R45"], r["R46"], r["R47"], r["R51"]) == (Y("5000000"), Y("1000000"), Y("4000000"), Y("4000000"))


@pytest.mark.parametrize("case,expected", [("a", 150), ("b", 200), ("c", 150)])
def test_e9_government_subsidy(tmp_path, case, expected):
    if case == "a":
        lines = [line("2022-04-01", "P", "R08", wan(150)),
                 line("2022-04-01", "P", "R08", wan(50), funding="财政资金（不征税）")]
    elif case == "b":
        lines = [line("2022-04-01", "P", "R08", wan(150)),
                 line("2022-04-01", "P", "R08", wan(50), funding="财政资金（征税）")]
    else:
        lines = [line("2022-04-01", "P", "R08", wan(150), summary="净额法：研发支出200减补助50")]
    path = build(tmp_path, years=[manufacturer_year(2022)], projects=[project("P")], lines=lines)
    assert rows(evaluate_workbook(path, 2022))["R51"] == Y(wan(expected))


def test_e10_accelerated_depreciation(tmp_path):
    path = build(tmp_path, years=[other_year(2023)], projects=[project("P")],
                 lines=[line("2023-12-31", "P", "R18", wan(150), tax_amount=wan(200))])
    r = rows(evaluate_workbook(path, 2023))
    assert r["R18"] == Y("2000000") and r["R51"] == Y("2000000")


def test_e11_building_depreciation_excluded(tmp_path):
    path = build(tmp_path, prof=profile(tech_sme_no="202244010600123"), years=[other_year(2022)],
                 projects=[project("P1"), project("P2")], lines=[
                     line("2022-02-01", "P1", "R04", wan(100)), line("2022-02-01", "P1", "NE01", wan(25)),
                     line("2022-02-01", "P2", "R04", wan(80)), line("2022-02-01", "P2", "NE01", wan(15))])
    ev = evaluate_workbook(path, 2022)
    assert ev.sd.flags.tech_sme and ev.sd.rate == 1
    assert rows(ev)["R51"] == Y("1800000")


def test_e12a_negative_list_retail(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="F5211"), years=[
        year_row(2021, total_income=wan(3500), negative_list_revenue=wan(2000), investment_income=wan(800),
                 nontaxable_income=wan(200))], projects=[project("P")], lines=[line("2021-05-01", "P", "R04", 1000)])
    ev = evaluate_workbook(path, 2021)
    assert ev.sd.flags.negative_share == Fraction(4, 5)
    assert not ev.sd.eligible and ev.sd.extra_deduction == 0


def test_e12b_negative_list_wholesale(tmp_path):
    total = wan(15000) + wan(5000) + wan(5000) + wan(300) + wan(200)
    path = build(tmp_path, prof=profile(industry_code="F5121"), years=[
        year_row(2022, total_income=total, negative_list_revenue=wan(15000), investment_income=wan(300),
                 nontaxable_income=wan(200))], projects=[project("P")], lines=[line("2022-05-01", "P", "R04", 1000)])
    ev = evaluate_workbook(path, 2022)
    assert ev.sd.flags.negative_share == Fraction(3, 5)
    assert not ev.sd.eligible


@pytest.mark.parametrize("mfg,total,share,manufacturer", [
    (2000, 3200, Fraction(5, 8), True),         # (a) 62.5%
    (800, 2000, Fraction(2, 5), False),         # (b) 40%
    (2000, 5500, Fraction(4, 11), False),       # (c) 36.36%
])
def test_e13_manufacturing_test(tmp_path, mfg, total, share, manufacturer):
    path = build(tmp_path, years=[year_row(2022, total_income=wan(total), manufacturing_revenue=wan(mfg),
                                           negative_list_revenue=0)],
                 projects=[project("P")], lines=[line("2022-05-01", "P", "R04", wan(10))])
    ev = evaluate_workbook(path, 2022)
    assert ev.sd.flags.manufacturing_share == share
    assert ev.sd.flags.manufacturing is manufacturer
    if manufacturer:
        assert ev.sd.rate == 1 and ev.sd.q4 is None
    else:
        assert [s[2] for s in ev.sd.segments] == [Fraction(3, 4), Fraction(1)]
        assert ev.sd.q4 is not None


def test_e14_shared_equipment_by_hours(tmp_path):
    path = build(tmp_path, years=[manufacturer_year(2021)], projects=[project("P")], lines=[
        line("2021-12-31", "P", "R18", wan(30)),
        line("2021-12-31", "P", "R18", wan(50), share="40%", summary="共用设备折旧，研发工时100/250"),
    ])
    r = rows(evaluate_workbook(path, 2021))
    assert r["R16"] == Y("500000") and r["R51"] == Y("500000")


def test_e17_tech_sme_full_year_100(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="I6513", tech_sme_no="202244010600456"),
                 years=[other_year(2022)], projects=[project("P")], lines=[line("2022-07-01", "P", "R04", wan(100))])
    ev = evaluate_workbook(path, 2022)
    assert ev.sd.q4 is None and rows(ev)["R51"] == Y("1000000")


def test_q4_2022_split_illustration(tmp_path):
    # §1.5 illustration: L1 = 1,200,000, operating all year → method B: L1_Q4 = 300,000, R51 = 975,000
    path = build(tmp_path, prof=profile(industry_code="I6513"), years=[other_year(2022)], projects=[project("P")],
                 lines=[line("2022-03-01", "P", "R04", 1_000_000), line("2022-11-01", "P", "R04", 200_000)])
    ev = evaluate_workbook(path, 2022)
    q4 = ev.sd.q4
    assert q4["methods"]["B"]["L1_Q4"] == Y("300000") and q4["methods"]["B"]["R51"] == Y("975000")
    assert q4["methods"]["A"]["L1_Q4"] == Y("200000") and q4["methods"]["A"]["R51"] == Y("950000")
    assert q4["method"] == "B" and rows(ev)["R51"] == Y("975000")
    assert ev.sd.layout["id"] == "annual_2022"
    forced = evaluate_workbook(path, 2022, q4_method="A")
    assert rows(forced)["R51"] == Y("950000")


def test_e3_tax_saving_matches_interfaces_example(tmp_path):
    # interfaces.md: extra 1,872,222.22 → tax_saving 468,055.56 at 25%
    path = e3_workbook(tmp_path, True)
    from forms.workbook import load_ledger
    from calc.evaluate import evaluate
    ledger = load_ledger(path)
    ev = evaluate(ledger, 2022, "Q1-Q3")
    assert ev.tax is None      # no taxable income given
    import dataclasses
    years = tuple(dataclasses.replace(y, values={**y.values, "taxable_income": Y("50000000")}) for y in ledger.years)
    ev = evaluate(dataclasses.replace(ledger, years=years), 2022, "Q1-Q3")
    assert ev.tax.tax_saved == Y("468055.56")
