"""Income tax: 小型微利企业 (§5), the regime choice (§5.6, AI-21), loss carry-forward (§4.3, AI-17/18),
and the with/without effect of the extra deduction (super_deduction.md §10.4, AI-SD-15).
Worked examples of hnte_sme.md §8 (HS-P1, HS-D12, HS-D13, HS-D14)."""
from __future__ import annotations

import datetime as dt
import shutil
from fractions import Fraction

import pytest

from calc.incometax import (choose_regime, cliff_warning, hnte_years, loss_last_year, loss_schedule,
                            qualification_years, quarterly_average, slp_evaluation, slp_tax, slp_test, tax_effect)
from calc.model import Ledger, Profile, YearData
from calc.params import PARAMS_DIR, load_params

WAN = 1_000_000          # 1 万元 in 分
YUAN = 100


@pytest.fixture(scope="module")
def params():
    return load_params()


def wan(x) -> int:
    f = Fraction(str(x)) * WAN
    assert f.denominator == 1
    return int(f)


def ledger(years=(), cert=None, sme=()):
    return Ledger(Profile(name="测试", hnte_cert_date=cert, tech_sme_nos=tuple(sme)), tuple(years), {}, (), ())


def yr(year, period="year", **values):
    return YearData(year, period, values)


# --------------------------------------------------------------------------- losses (§4.3)

def test_hs_p1_ten_year_carry_forward(params):
    """HS-P1: HNTE from 2019; 2014 loss 300 partly offset by 2018 income 200 and 2019 income 50."""
    s = loss_schedule({2014: wan(300), 2015: wan(200), 2016: wan(100)}, {2019}, {2018: wan(200), 2019: wan(50)}, params)
    assert s.last_year(2014) == 2024
    assert s.last_year(2015) == 2025
    assert s.last_year(2016) == 2026
    assert [(o.loss_year, o.income_year, o.amount) for o in s.offsets] == [(2014, 2018, wan(200)), (2014, 2019, wan(50))]
    assert s.lines[2014].remaining == wan(50) and s.lines[2014].extended_by == 2019
    assert s.lines[2015].remaining == wan(200)
    assert "2024" in s.lines[2014].text and "76号" in s.lines[2014].text
    assert set(s.interpretations) == {"AI-17", "AI-18"}


def test_hs_p1_fifo_in_later_years(params):
    """The rest of 2014 first, then 2015, then 2016 — each within its own horizon."""
    incomes = {2018: wan(200), 2019: wan(50), 2020: wan(60), 2025: wan(500), 2026: wan(500)}
    s = loss_schedule({2014: wan(300), 2015: wan(200), 2016: wan(100)}, {2019}, incomes, params)
    assert [(o.loss_year, o.income_year, o.amount) for o in s.offsets][2:] == [
        (2014, 2020, wan(50)), (2015, 2020, wan(10)), (2015, 2025, wan(190)), (2016, 2025, wan(100))]
    assert s.taxable_income[2025] == wan(210) and s.taxable_income[2026] == wan(500)
    assert all(l.remaining == 0 and l.expired == 0 for l in s.lines.values())


def test_hs_p1_qualified_2018_covers_2013_to_2017(params):
    assert [loss_last_year(y, {2018}, params)[0] for y in range(2012, 2019)] == [2017, 2023, 2024, 2025, 2026, 2027, 2023]


def test_hs_d14_ordinary_five_years_then_expiry(params):
    s = loss_schedule({2014: wan(100)}, set(), {2019: wan(30), 2020: wan(500)}, params)
    assert s.last_year(2014) == 2019
    assert s.lines[2014].used == wan(30)
    assert s.lines[2014].expired == wan(70) and s.lines[2014].remaining == 0
    assert s.taxable_income[2020] == wan(500)          # nothing offset after 2019
    assert "5年" in s.lines[2014].text


def test_ai18a_own_qualification_year_needs_a_later_one(params):
    assert loss_last_year(2020, {2020}, params) == (2025, None)
    assert loss_last_year(2020, {2020, 2021}, params) == (2030, 2021)
    assert loss_last_year(2020, {2025}, params) == (2030, 2025)
    assert loss_last_year(2020, {2026}, params) == (2025, None)


def test_ai18b_extension_persists_after_qualification_lapses(params):
    s = loss_schedule({2016: wan(100)}, {2019}, {2025: wan(40), 2026: wan(40), 2027: wan(40)}, params)
    assert s.last_year(2016) == 2026
    assert [(o.income_year, o.amount) for o in s.offsets] == [(2025, wan(40)), (2026, wan(40))]
    assert s.lines[2016].expired == wan(20)


def test_extension_only_from_2018(params):
    """76号 applies from 2018-01-01: a 2017 qualification year extends nothing."""
    assert loss_last_year(2014, {2017}, params) == (2019, None)


def test_qualification_years_hnte_and_tech_sme(params):
    lg = ledger(cert=dt.date(2021, 11, 15), sme=("202164010400012", "2024640104A0003"))
    assert hnte_years(lg, params) == {2021, 2022, 2023}
    assert qualification_years(lg, params) == {2021, 2022, 2023, 2024}


# --------------------------------------------------------------------------- 小型微利企业 (§5)

def test_hs_d13_quarterly_average():
    avg = quarterly_average([(100, 140), (140, 160), (160, 200), (200, 240)])
    assert avg == Fraction(335, 2)          # 167.5


def test_quarterly_average_over_operating_quarters():
    """AI-19: only the quarters of operation."""
    assert quarterly_average([(0, 40), (40, 60)]) == 35


@pytest.mark.parametrize("ti, ok", [(300_000_000, True), (300_000_001, False), (299_999_999, True)])
def test_cliff_3_000_000_00_vs_01(params, ti, ok):
    res = slp_evaluation(2024, ti, {"staff_quarterly_avg": 100, "assets_quarterly_avg": 1_000_000_000}, params)
    assert res.eligible is ok
    assert slp_test(2024, ti, 100, 1_000_000_000, params)[0] is ok


def test_staff_and_assets_boundaries(params):
    assert slp_test(2024, wan(100), 300, wan(5000), params)[0] is True
    assert slp_test(2024, wan(100), 301, wan(5000), params) == (False, "从业人数超过300人")
    assert slp_test(2024, wan(100), 300, wan(5000) + 1, params) == (False, "资产总额超过5000万元")
    assert slp_test(2024, wan(100), Fraction(6001, 20), wan(5000), params)[0] is False     # 300.05


def test_quarterly_average_preferred_year_end_fallback_flagged(params):
    res = slp_evaluation(2024, wan(100), {"staff_quarterly_avg": 250, "staff_total": 320,
                                          "assets_quarterly_avg": wan(4000), "total_assets": wan(6000)}, params)
    assert res.eligible is True and res.staff_basis == "季度平均" and "AI-APP-09" not in res.interpretations
    res = slp_evaluation(2024, wan(100), {"staff_total": 120, "total_assets": wan(3000)}, params)
    assert res.eligible is True
    assert res.staff_basis == res.assets_basis == "按年末数近似"
    assert "AI-APP-09" in res.interpretations and any("按年末数近似" in n for n in res.notes)
    assert "AI-APP-10" in res.interpretations and any("非限制和禁止行业" in n for n in res.notes)


def test_missing_inputs_are_unknown_not_pass(params):
    res = slp_evaluation(2024, wan(100), {}, params)
    assert res.eligible is None and "无法判断" in res.reason
    res = slp_evaluation(2024, wan(100), {"staff_quarterly_avg": 100}, params)
    assert res.eligible is None
    # a known failure decides even with a missing input
    assert slp_evaluation(2024, wan(301), {}, params).eligible is False
    assert slp_evaluation(2024, wan(100), {"staff_quarterly_avg": 400}, params).eligible is False
    ch = choose_regime(2024, wan(100), hnte=False, params=params, slp=slp_evaluation(2024, wan(100), {}, params))
    assert ch.regime == "standard" and "small_low_profit" not in ch.options


@pytest.mark.parametrize("year, ti, tax", [
    (2019, wan(200), wan(15)),          # 100 × 5% + 100 × 10%
    (2020, wan(80), wan(4)),
    (2021, wan(200), wan("12.5")),      # 100 × 2.5% + 100 × 10%
    (2022, wan(200), wan("7.5")),       # 100 × 2.5% + 100 × 5%
    (2023, wan(200), wan(10)),          # 5% on all
    (2027, wan(300), wan(15)),
])
def test_historical_rates(params, year, ti, tax):
    assert slp_tax(year, ti, params) == tax


def test_historical_rates_ai20_flagged(params):
    assert "AI-20" in slp_evaluation(2021, wan(100), {"staff_quarterly_avg": 10, "assets_quarterly_avg": wan(10)}, params).interpretations
    assert "AI-20" not in slp_evaluation(2023, wan(100), {"staff_quarterly_avg": 10, "assets_quarterly_avg": wan(10)}, params).interpretations


@pytest.mark.parametrize("year", [2018, 2028])
def test_years_outside_the_slp_range(params, year):
    ok, reason = slp_test(year, wan(100), 10, wan(100), params)
    assert ok is False and "范围" in reason


# --------------------------------------------------------------------------- regime choice (§5.6)

HS_D12 = [  # TI 万元, staff, assets 万元, slp?, standard, hnte, slp tax, elected, saving vs 25%
    ("280", 120, 3000, True, "70", "42", "14", "small_low_profit", "56"),
    ("300", 120, 3000, True, "75", "45", "15", "small_low_profit", "60"),
    ("300.01", 120, 3000, False, "75.0025", "45.0015", None, "hnte", "30.001"),
    ("280", 320, 3000, False, "70", "42", None, "hnte", "28"),
    ("280", 120, 5200, False, "70", "42", None, "hnte", "28"),
]


@pytest.mark.parametrize("ti, staff, assets, slp_ok, std, hnte, slp, elected, saving", HS_D12)
def test_hs_d12_hnte_vs_small_low_profit_2025(params, ti, staff, assets, slp_ok, std, hnte, slp, elected, saving):
    res = slp_evaluation(2025, wan(ti), {"staff_quarterly_avg": staff, "assets_quarterly_avg": wan(assets)}, params)
    assert res.eligible is slp_ok
    ch = choose_regime(2025, wan(ti), hnte=True, params=params, slp=res)
    assert ch.options["standard"] == wan(std)
    assert ch.options["hnte"] == wan(hnte)
    assert ch.options.get("small_low_profit") == (wan(slp) if slp else None)
    assert ch.regime == elected
    assert ch.options["standard"] - ch.tax == wan(saving)
    rows = {r["regime"]: r for r in ch.comparison()}
    assert rows[elected]["elected"] and sum(r["elected"] for r in rows.values()) == 1
    assert rows["small_low_profit"]["available"] is slp_ok
    if not slp_ok:
        assert rows["small_low_profit"]["reason"]


@pytest.mark.parametrize("year", range(2023, 2028))
def test_hnte_that_is_also_slp_elects_slp_never_combined(params, year):
    res = slp_evaluation(year, wan(250), {"staff_quarterly_avg": 50, "assets_quarterly_avg": wan(2000)}, params)
    ch = choose_regime(year, wan(250), hnte=True, params=params, slp=res)
    assert ch.regime == "small_low_profit"
    assert ch.tax == wan("12.5")                          # 5%, not 15% × 25% = 3.75%
    assert set(ch.options) == {"standard", "hnte", "small_low_profit"}
    assert ch.as_dict()["return_line"] == "符合条件的小型微利企业减免企业所得税"


def test_ti_zero_or_negative_no_preference(params):
    for ti in (0, -5):
        ch = choose_regime(2024, ti, hnte=True, staff=10, assets=wan(10), params=params)
        assert ch.regime == "none" and ch.tax == 0


def _tweaked_params(tmp_path, old: str, new: str):
    d = tmp_path / "params"
    shutil.copytree(PARAMS_DIR, d)
    path = d / "income_tax.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_params(d)


def test_tie_break_small_low_profit_before_hnte(tmp_path):
    p = _tweaked_params(tmp_path, 'value: "0.15", source: "EIT Law"', 'value: "0.05", source: "EIT Law"')
    ch = choose_regime(2024, wan(100), hnte=True, staff=10, assets=wan(10), params=p)
    assert ch.options["hnte"] == ch.options["small_low_profit"] == wan(5)
    assert ch.regime == "small_low_profit"


def test_tie_break_hnte_before_standard(tmp_path):
    p = _tweaked_params(tmp_path, 'value: "0.15", source: "EIT Law"', 'value: "0.25", source: "EIT Law"')
    ch = choose_regime(2024, wan(500), hnte=True, staff=10, assets=wan(10), params=p)
    assert ch.options["hnte"] == ch.options["standard"]
    assert ch.regime == "hnte"


# --------------------------------------------------------------------------- the cliff warning

def test_cliff_warning_margin_boundaries(params):
    margin = int(Fraction(params.value("slp_cliff_warning_margin", dt.date(2024, 12, 31))) * 100)
    values = {"staff_quarterly_avg": 100, "assets_quarterly_avg": wan(1000)}
    for ti, warns in ((300_000_000, False), (300_000_001, True), (300_000_000 + margin, True), (300_000_001 + margin, False)):
        ch = choose_regime(2024, ti, hnte=False, params=params, slp=slp_evaluation(2024, ti, values, params))
        w = cliff_warning(2024, ch, ti, params)
        assert (w is not None) is warns, ti
    ch = choose_regime(2024, wan(310), hnte=False, params=params, slp=slp_evaluation(2024, wan(310), values, params))
    w = cliff_warning(2024, ch, wan(310), params)
    assert "超过小型微利企业300万元临界点 100,000.00 元" in w
    assert "775,000.00" in w and "150,000.00" in w and "625,000.00" in w
    assert cliff_warning(2024, ch, wan(310), params, margin=wan(5)) is None


def test_no_cliff_warning_when_staff_fails_anyway(params):
    res = slp_evaluation(2024, wan(310), {"staff_quarterly_avg": 400, "assets_quarterly_avg": wan(1000)}, params)
    ch = choose_regime(2024, wan(310), hnte=False, params=params, slp=res)
    assert cliff_warning(2024, ch, wan(310), params) is None


# --------------------------------------------------------------------------- the with/without effect (§10.4)

def test_hnte_saving_is_15_percent_of_d_while_income_absorbs_it(params):
    lg = ledger([yr(2024, taxable_income=wan(2000), staff_quarterly_avg=500, assets_quarterly_avg=wan(9000))],
                cert=dt.date(2023, 3, 1))
    te = tax_effect(lg, 2024, wan(100), params)
    assert te.with_.choice.regime == "hnte"
    assert te.tax_saved == wan(15)
    assert te.loss_increase == 0 and te.absorbed == wan(100)
    assert "AI-16" in te.interpretations and "AI-14" in te.interpretations


def test_deduction_creates_a_loss_five_years(params):
    lg = ledger([yr(2024, taxable_income=wan(100), staff_quarterly_avg=500, assets_quarterly_avg=wan(9000))])
    te = tax_effect(lg, 2024, wan(150), params)
    assert te.without.tax == wan(25) and te.with_.tax == 0
    assert te.tax_saved == wan(25)                 # only the tax of the income absorbed
    assert te.loss_increase == wan(50) and te.absorbed == wan(100)
    assert te.loss_carried_forward == wan(50)
    assert te.loss_years == 5 and te.loss_last_year == 2029
    assert any("至2029年" in n and "2025—2029" in n for n in te.notes)
    assert te.carried == [{"origin": "2024", "amount": "500000.00", "last_year": 2029,
                           "text": "2024年亏损 500,000.00 元可弥补至2029年"}]


def test_deduction_deepens_an_existing_loss_no_saving(params):
    lg = ledger([yr(2024, taxable_income=-wan(20))])
    te = tax_effect(lg, 2024, wan(30), params)
    assert te.tax_saved == 0 and te.with_.tax == te.without.tax == 0
    assert te.loss_increase == wan(30) and te.absorbed == 0
    assert te.loss_carried_forward == wan(50)


def test_deduction_loss_ten_years_with_a_later_qualification_year(params):
    """Certificate issued 2024 covers 2025 (AI-14): the 2024 loss is extended (AI-18(a))."""
    lg = ledger([yr(2024, taxable_income=wan(100), staff_quarterly_avg=500, assets_quarterly_avg=wan(9000))],
                cert=dt.date(2024, 6, 1))
    te = tax_effect(lg, 2024, wan(150), params)
    assert te.loss_years == 10 and te.loss_last_year == 2034 and te.loss_extended_by == 2025
    assert te.tax_saved == wan(15)                 # 15% of the 100 absorbed
    assert {"AI-17", "AI-18"} <= set(te.interpretations)


def test_tech_sme_registration_year_extends_the_previous_years_loss(params):
    lg = ledger([yr(2023, taxable_income=wan(10))], sme=("2024640104A0003",))
    te = tax_effect(lg, 2023, wan(40), params)
    assert te.loss_last_year == 2033 and te.loss_extended_by == 2024
    # the registration year's own loss is not extended unless a later year qualifies too
    lg = ledger([yr(2024, taxable_income=wan(10))], sme=("2024640104A0003",))
    assert tax_effect(lg, 2024, wan(40), params).loss_last_year == 2029


def test_prior_loss_pool_not_needed(params):
    """AI-APP-06: one pool usable this year."""
    lg = ledger([yr(2024, taxable_income=wan(100), prior_losses=wan(30), staff_quarterly_avg=500, assets_quarterly_avg=wan(9000))])
    te = tax_effect(lg, 2024, wan(80), params)
    assert te.without.losses_used == wan(30) and te.without.taxable_income == wan(70)
    assert te.with_.losses_used == wan(20) and te.with_.taxable_income == 0
    assert te.prior_losses_not_needed == wan(10) and te.loss_increase == 0
    assert te.absorbed == wan(70)
    assert te.loss_carried_forward == wan(10)
    assert "AI-APP-06" in te.interpretations
    assert te.carried[0]["origin"] == "以前年度" and te.carried[0]["last_year"] is None


def test_small_low_profit_tax_effect_across_the_cliff(params):
    """Each side elects its own regime: D moves TI below the cliff → saving is not D × rate (AI-SD-15)."""
    lg = ledger([yr(2024, taxable_income=wan(320), staff_quarterly_avg=100, assets_quarterly_avg=wan(2000))])
    te = tax_effect(lg, 2024, wan(20), params)
    assert te.without.choice.regime == "standard" and te.without.tax == wan(80)
    assert te.with_.choice.regime == "small_low_profit" and te.with_.tax == wan(15)
    assert te.tax_saved == wan(65)
    assert te.cliff_warning is None              # TI after the deduction is at the cliff, not above
    te = tax_effect(lg, 2024, wan(10), params)
    assert te.with_.choice.regime == "standard" and te.cliff_warning is not None
    assert te.cliff_warning in te.notes


def test_tax_effect_year_end_fallback_is_flagged(params):
    lg = ledger([yr(2024, taxable_income=wan(200), staff_total=50, total_assets=wan(1000))])
    te = tax_effect(lg, 2024, wan(10), params)
    assert te.with_.choice.regime == "small_low_profit"
    assert te.with_.choice.slp.staff_basis == "按年末数近似"
    assert "AI-APP-09" in te.interpretations and any("按年末数近似" in n for n in te.notes)


def test_tax_effect_missing_taxable_income_is_none(params):
    assert tax_effect(ledger([yr(2024, staff_total=5)]), 2024, wan(1), params) is None
    assert tax_effect(ledger([]), 2024, wan(1), params) is None


def test_prepayment_period_rows(params):
    lg = ledger([yr(2024, taxable_income=wan(400)),
                 yr(2024, "H1", taxable_income=wan(150), staff_quarterly_avg=90, assets_quarterly_avg=wan(2000))])
    te = tax_effect(lg, 2024, wan(50), params, "H1")
    assert te.period == "H1" and te.before == wan(150)
    assert te.with_.choice.regime == "small_low_profit" and te.with_.tax == wan(5)
    assert te.tax_saved == wan("2.5")
    assert tax_effect(lg, 2024, wan(50), params, "Q1-Q3") is None


def test_as_dict_keeps_the_interface_keys(params):
    lg = ledger([yr(2024, taxable_income=wan(100), staff_quarterly_avg=100, assets_quarterly_avg=wan(1000))],
                cert=dt.date(2023, 1, 1))
    d = tax_effect(lg, 2024, wan(10), params).as_dict()
    for key in ("taxable_income_before", "taxable_income_after", "regime", "rate", "tax_without_benefits",
                "tax_payable", "saving", "loss_carried_forward", "regime_comparison", "loss_usable_until"):
        assert key in d
    opts = {o["regime"]: o for o in d["regime_comparison"]["options"]}
    assert opts["small_low_profit"]["elected"] and opts["hnte"]["available"] and opts["hnte"]["tax"] == "135000.00"
    assert d["regime"] == "small_low_profit" and d["tax_payable"] == "45000.00"


# --------------------------------------------------------------------------- through a real workbook

def test_through_a_workbook(tmp_path, params):
    from forms.workbook import load_ledger
    from tests.builders import build, other_year, profile

    y = other_year(2024)
    y.update(taxable_income=wan_decimal(280), staff_quarterly_avg=120, assets_quarterly_avg=wan_decimal(3000))
    path = build(tmp_path, prof=profile(hnte_cert_date=dt.date(2023, 10, 9), hnte_cert_no="GR202364000123"), years=[y])
    lg = load_ledger(path)
    te = tax_effect(lg, 2024, 0, params)
    assert te.with_.choice.regime == "small_low_profit"
    assert te.with_.choice.options == {"standard": wan(70), "hnte": wan(42), "small_low_profit": wan(14)}
    assert te.with_.choice.slp.staff_basis == "季度平均"


def wan_decimal(x):
    from decimal import Decimal
    return Decimal(str(x)) * 10000
