"""Quick estimate from totals (calc.quick): the synthetic ledger gives the figures of a real ledger."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from calc.evaluate import evaluate
from calc.hnte import hnte_caliber
from calc.money import round_fen, yuan_to_fen
from calc.params import load_params
from calc.quick import (CATEGORY_CODES, QUICK_INTERPRETATION, QuickInput, QuickInputError, evaluate_quick,
                        ledger_from_quick, parse_quick, validate)
from forms.workbook import load_ledger, save_ledger
from tests import builders as B


def Y(x) -> int:
    return yuan_to_fen(str(x))


def W(x) -> int:
    """万元 → 分."""
    return yuan_to_fen(B.wan(x))


# super_deduction.md §11 E3 (万元): project A, project B, entrusted project C
E3_A = [("R04", 40), ("R05", 10), ("R08", 15), ("R09", 5), ("R10", 5), ("R18", 5), ("R21", 2.5), ("R24", 2.5),
        ("R33", 10), ("R33", 5)]
E3_B = [("R04", 30), ("R05", 5), ("R08", 2.5), ("R09", 1.5), ("R10", 1), ("R18", 2.5), ("R20", 2.5), ("R25", 2.5),
        ("R29", 2.5)]
E3_C = [("R37", 15), ("R36", 35)]
YEAR_2023 = dict(total_income=100_000_000, manufacturing_revenue=80_000_000, negative_list_revenue=0,
                 main_revenue=95_000_000, taxable_income=10_000_000)

E3_QUICK = QuickInput(year=2023, name="甲公司", credit_code=B.credit_code(), industry_code="C3981",
                      staff=W(85), direct=W(30), depreciation=W(7.5), amortisation=W(5), design=W(5), other=W(17.5),
                      entrusted_domestic=W(35), entrusted_overseas=W(15),
                      **{k: Y(v) for k, v in YEAR_2023.items()})

REPRESENTATIVE = {}
for _cat, (_code, _) in CATEGORY_CODES.items():
    for _c, c in load_params().codes.items():
        if c.category == _cat:
            REPRESENTATIVE[_c] = _code


def _e3_workbook(tmp_path, remap: bool):
    def code(c):
        return REPRESENTATIVE.get(c, c) if remap else c
    projects = [B.project("A"), B.project("B"),
                B.project("C", form="委托研发", entrustee="某研究院", entrustee_location=None, contract_no="2023-TC-001",
                          ownership="委托方")]
    lines = [B.line("2023-03-15", p, code(c), B.wan(a)) for p, items in (("A", E3_A), ("B", E3_B), ("C", E3_C))
             for c, a in items]
    path = B.build(tmp_path, projects=projects, lines=lines, years=[B.year_row(2023, **YEAR_2023)])
    return load_ledger(path)


def test_e3_totals_match_published_row_51():
    ev = evaluate_quick(E3_QUICK)
    rows = ev.sd.rows
    assert rows["R50"] == 1
    assert rows["R51"] == Y("1872222.22")
    assert rows["R02"] == Y("1472222.22") and rows["R34"] == Y("147222.22")
    assert rows["R38"] == Y("120000") and rows["R40"] == Y("1872222.22") and rows["R01"] == 3
    assert QUICK_INTERPRETATION in ev.interpretations
    assert any(f.code == "I_QUICK_ESTIMATE" for f in ev.findings)


def test_e3_identical_to_line_by_line_ledger(tmp_path):
    """Same totals booked line by line (two own projects, one entrusted project, the category codes
    of the quick estimate) → every A107012 row identical; with the original sub-codes every row but the
    item rows inside a category."""
    quick = evaluate_quick(E3_QUICK)
    detailed = evaluate(_e3_workbook(tmp_path, remap=True), 2023)
    assert detailed.sd.rows == quick.sd.rows
    assert detailed.tax.tax_saved == quick.tax.tax_saved
    assert (hnte_caliber(detailed.ledger, 2023).total == hnte_caliber(quick.ledger, 2023).total)

    original = evaluate(_e3_workbook(tmp_path, remap=False), 2023)
    item_rows = {f"R{c.row:02d}" for c in load_params().codes.values()
                 if c.row is not None and c.category in CATEGORY_CODES}
    keys = set(quick.sd.rows) - item_rows
    assert {k: original.sd.rows[k] for k in keys} == {k: quick.sd.rows[k] for k in keys}
    assert original.sd.rows["R51"] == Y("1872222.22")


def test_workbook_round_trip_keeps_figures(tmp_path):
    ledger = ledger_from_quick(E3_QUICK)
    path = tmp_path / "quick.xlsx"
    save_ledger(ledger, path)
    again = load_ledger(path)
    assert not again.has_errors, [f.as_line() for f in again.findings if f.severity == "error"]
    assert evaluate(again, 2023).sd.rows == evaluate(ledger, 2023).sd.rows


def test_other_cost_cap_binding():
    # 指引2.0 E1 totals: first five 172万, other 20万 → cap 19.11万
    ev = evaluate_quick(QuickInput(year=2023, staff=W(100), direct=W(72), other=W(20)))
    assert ev.sd.rows["R28"] == W(20)
    assert ev.sd.rows["R34"] == Y("191111.11")
    assert ev.sd.rows["R51"] == Y("1911111.11")


def test_other_cost_below_cap():
    ev = evaluate_quick(QuickInput(year=2023, staff=W(190), other=W(20)))
    assert ev.sd.rows["R34"] == W(20) and ev.sd.rows["R51"] == W(210)


def test_entrusted_overseas_two_thirds_cap():
    # E5: own R&D 110万, overseas institution 100万 → row 38 = 73.33万 (not 80万)
    ev = evaluate_quick(QuickInput(year=2022, industry_code="C3981", staff=W(110), entrusted_overseas=W(100)))
    assert ev.sd.rows["R37"] == W(100)
    assert ev.sd.rows["R38"] == Y("733333.33")
    assert ev.sd.rows["R40"] == W(110) + Y("733333.33")


def test_entrusted_domestic_80_percent_and_overseas_individual_reported_only():
    ev = evaluate_quick(QuickInput(year=2023, entrusted_domestic=W(100), entrusted_overseas_individual=W(10)))
    assert ev.sd.rows["R36"] == W(100) and ev.sd.rows["R39"] == W(10) and ev.sd.rows["R35"] == W(110)
    assert ev.sd.rows["R40"] == W(80) and ev.sd.rows["R51"] == W(80)
    projects = ev.ledger.projects
    assert {p.ownership for p in projects.values()} == {"委托方"} and all(p.contract_no for p in projects.values())


def test_tax_saving():
    ev = evaluate_quick(E3_QUICK)
    # interfaces.md: 1,872,222.22 × 25% = 468,055.56 (AI-APP-07)
    assert ev.tax is not None and ev.tax.tax_saved == Y("468055.56")
    assert ev.tax.before == Y("10000000")


def test_no_taxable_income_no_saving():
    ev = evaluate_quick(QuickInput(year=2023, staff=W(10)))
    assert ev.tax is None and any(f.code == "W_TAXABLE_INCOME_MISSING" for f in ev.findings)


def test_special_income_and_materials():
    # E7: R&D 500万, special income 100万 → row 47 = 400万
    ev = evaluate_quick(QuickInput(year=2022, industry_code="C3981", staff=W(500), special_income=W(100)))
    assert ev.sd.rows["R46"] == W(100) and ev.sd.rows["R47"] == W(400) and ev.sd.rows["R51"] == W(400)
    ev = evaluate_quick(QuickInput(year=2023, staff=W(100), materials=W(130)))
    assert ev.sd.rows["R48"] == W(130) and ev.sd.rows["R51"] == 0 and ev.sd.rows["R52"] == W(30)


def test_capitalised_part_forms_an_intangible():
    q = QuickInput(year=2023, staff=W(100), direct=W(50), ia_amount=Y("300000.01"), ia_date=dt.date(2023, 7, 1))
    ledger = ledger_from_quick(q)
    cap = [l for l in ledger.lines if l.project_no == "QE05"]
    assert sum(l.amount for l in cap) == Y("300000.01")
    assert sum(l.amount for l in ledger.lines) == W(150)
    ev = evaluate(ledger, 2023)
    assert ev.sd.rows["R42"] == Y("300000.01")
    assert ev.sd.rows["R41"] == W(150) - Y("300000.01")
    # formed in July, 10 years: 6 of 120 months this year
    assert ev.sd.rows["R43"] == round_fen(Fraction(Y("300000.01") * 6, 120))


def test_status_rates_and_hnte_certificate():
    q = QuickInput(year=2022, industry_code="I65", staff=W(100), negative_list_revenue=0, total_income=W(1000),
                   manufacturing_revenue=0, taxable_income=W(500))
    other = evaluate_quick(q).sd
    # 2022, other enterprise: 75% in Q1–Q3, 100% in Q4; every synthetic line is in Q1–Q3, so the
    # proportional method (3 of 12 months) is elected (AI-APP-28)
    assert other.q4 is not None and other.q4["method"] == "B"
    assert other.rows["R51"] == W(25) + W("56.25")
    sme = evaluate_quick(QuickInput(**{**q.__dict__, "tech_sme_no": "202232010500012345"}))
    assert sme.sd.rate == 1 and sme.sd.q4 is None
    hnte = evaluate_quick(QuickInput(**{**q.__dict__, "hnte_cert_date": dt.date(2021, 11, 3)}))
    assert hnte.tax.with_.choice.regime == "hnte"


def test_prior_years_feed_the_hnte_window():
    q = QuickInput(year=2023, staff=W(300), main_revenue=W(5000), other_revenue=0,
                   prior_years={2021: {"main_revenue": W(4000), "rd_hnte": W(200), "rd_domestic": W(200)},
                                2022: {"main_revenue": W(4500), "rd_hnte": W(250), "rd_domestic": W(250)}})
    ledger = ledger_from_quick(q)
    assert [y.year for y in ledger.years] == [2023, 2021, 2022]
    assert hnte_caliber(ledger, 2022).total == W(250)
    ev = evaluate_quick(q)
    assert ev.hnte is not None


def test_pack_estimate_present_when_chosen():
    q = QuickInput(**{**E3_QUICK.__dict__, "packs": ("ningxia-2022",),
                      "facts": {"independent_legal_person": True, "good_credit": True}})
    ev = evaluate_quick(q)
    assert [e.pack_id for e in ev.subsidies] == ["ningxia-2022"]
    est = ev.subsidies[0]
    assert est.data_year == 2023 and est.award_year == 2024
    assert est.item("A").amount == Y("187222.22")          # 10% × row 40 (一般企业)
    assert evaluate_quick(E3_QUICK).subsidies == []
    # the enterprise-level facts carry no year, the others the data year
    facts = {name: year for year, name, _, _ in ledger_from_quick(
        QuickInput(**{**q.__dict__, "facts": {"good_credit": True, "above_scale": False}})).facts}
    assert facts == {"good_credit": None, "above_scale": 2023}


def test_invalid_input_gives_problems_not_a_crash():
    problems = validate(QuickInput(year=None, staff=-1, entrusted_overseas=-5, industry_code="Q9999",
                                   credit_code="91640100MA7X2K3L1X", staff_total=3, staff_rd=5))
    text = "\n".join(problems)
    assert "请填写测算年度" in text
    assert "人员人工费用不能为负数" in text and "委托境外机构研发费用不能为负数" in text
    assert "GB/T 4754-2017" in text and "校验位" in text and "科技人员数不能大于职工总数" in text
    with pytest.raises(QuickInputError) as exc:
        ledger_from_quick(QuickInput(staff=-1))
    assert "请填写测算年度" in exc.value.problems
    assert validate(QuickInput(year=2023, ia_amount=W(10))) == ["填写了资本化金额，请同时填写无形资产形成日期",
                                                                "资本化金额不能大于六类研发费用合计"]
    assert validate(QuickInput(year=2023, prior_years={2024: {"main_revenue": 1}})) == ["以前年度“2024”应早于测算年度"]
    assert validate(QuickInput(year=2023, taxable_income=-W(10))) == []          # a loss is allowed


def test_parse_quick_texts():
    q, errors, rest = parse_quick({"year": "2023", "industry_code": "c3981", "staff": "1,234.56", "direct": "¥1000",
                                   "other": "", "taxable_income": "(500.00)", "prior_losses": "20", "prior1:main_revenue": "100",
                                   "fact:above_scale": True, "profile:resident": "是", "packs": ["ningxia-2022"]})
    assert errors == {} and rest == []
    assert q.year == 2023 and q.industry_code == "C3981" and q.staff == 123456 and q.direct == 100000
    assert q.other == 0 and q.taxable_income == -50000 and q.prior_losses == 2000
    assert q.prior_years == {2022: {"main_revenue": 10000}} and q.facts == {"above_scale": True}
    assert q.profile_other == {"resident": True} and q.packs == ("ningxia-2022",)

    q, errors, _ = parse_quick({"year": "", "staff": "¥12万", "direct": "-5", "credit_code": "123"})
    assert q is None
    assert set(errors) == {"year", "staff", "direct", "credit_code"}
    assert "无法识别" in errors["staff"] and "负数" in errors["direct"] and errors["year"] == "请填写测算年度"

    q, errors, _ = parse_quick({"year": "2023", "staff_total": "3", "staff_rd": "5"})
    assert q is None and errors == {"staff_rd": "科技人员数不能大于职工总数"}
