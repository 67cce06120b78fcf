"""高新技术企业: the HNTE caliber, the three-caliber bridge, the conditions H0–H8 and the innovation
score (hnte_sme.md §1–§3 and the worked examples of §8.2)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from fractions import Fraction
from pathlib import Path

import pytest

from calc.hnte import (FAIL, PASS, UNKNOWN, growth_rate, hnte_caliber, hnte_evaluation, innovation_score,
                       rd_bridge, rd_ratio_threshold)
from calc.model import Ledger, Line, Profile, Project, YearData
from calc.params import load_params
from calc.superdeduction import SuperDeductionEngine
from forms.workbook import load_ledger
from tests.builders import build, line as wb_line, profile as wb_profile, project as wb_project, year_row as wb_year

D = dt.date
SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "sample" / "sample_enterprise.xlsx"
_ids = itertools.count(1)


def wan(x) -> int:
    """万元 → 分 (exact)."""
    f = Fraction(str(x)) * 1_000_000
    assert f.denominator == 1
    return int(f)


GOOD = {"ip_class1": 1, "ip_class2": 0, "ip_acquisition": "自主研发", "standards": True, "conversions": 15,
        "management_self": "6/6/4/4", "tech_grade": "A", "core_grade": "A", "resident": True,
        "hnte_field": "电子信息/软件/基础软件", "no_major_incident": True}


def year(y, sales=None, rd=None, dom=None, **kw) -> YearData:
    values = {}
    if sales is not None:
        values.update(main_revenue=wan(sales), other_revenue=0)
    if rd is not None:
        values["rd_hnte"] = wan(rd)
        values["rd_domestic"] = wan(rd if dom is None else dom)
    values.update(kw)
    return YearData(y, "year", values)


def good_year(y, sales=10000, rd=600, **kw) -> YearData:
    """A year that passes every yearly test: staff 20%, high-tech income 80%, growing net assets."""
    base = dict(staff_total=100, staff_rd=20, total_income=wan(sales), nontaxable_income=0,
                hitech_income=wan(sales) * 8 // 10, total_assets=wan(5000 + 1000 * (y - 2020)), total_liabilities=wan(1000))
    base.update(kw)
    return year(y, sales, rd, **base)


def ledger(*, years=(), projects=(), lines=(), founded=D(2010, 1, 1), other=None, cert=None) -> Ledger:
    prof = Profile(name="测试企业有限公司", founded=founded, hnte_cert_date=cert, hnte_cert_no="GR202264000123" if cert else None,
                   other=dict(GOOD if other is None else other))
    return Ledger(prof, tuple(years), {p.project_no: p for p in projects}, tuple(lines), ())


def proj(no, form="自主研发", ledger_type="费用化", **kw) -> Project:
    return Project(no, f"项目{no}", form, ledger_type, **kw)


def ln(date, no, code, amount, **kw) -> Line:
    if isinstance(date, str):
        date = D.fromisoformat(date)
    return Line(next(_ids), date, no, code, amount, **kw)


def add_line(led: Ledger, line: Line) -> Ledger:
    new_id = max((l.id for l in led.lines), default=0) + 1
    return dataclasses.replace(led, lines=led.lines + (dataclasses.replace(line, id=new_id),))


def with_year(led: Ledger, y: int, **changes) -> Ledger:
    years = tuple(YearData(r.year, r.period, {**r.values, **changes}, r.src) if (r.year == y and r.period == "year") else r
                  for r in led.years)
    return dataclasses.replace(led, years=years)


@pytest.fixture(scope="module")
def params():
    return load_params()


@pytest.fixture(scope="module")
def sample():
    return load_ledger(SAMPLE)


# ----------------------------------------------------------------------------- parameters

def test_parameter_file_has_sources_for_every_value(params):
    import yaml
    own = yaml.safe_load((SAMPLE.parent.parent / "params" / "hnte.yaml").read_text(encoding="utf-8"))
    names = list(own["parameters"])
    assert {"hnte_rd_ratio_tiers", "hnte_domestic_rd_ratio", "hnte_hitech_income_ratio", "hnte_staff_ratio",
            "hnte_registration_days", "hnte_entrusted_factor", "hnte_other_cost_ratio", "hnte_score_threshold",
            "hnte_validity_years"} <= set(names)
    for n in names:
        for d in params.scalars[n]:
            assert d.source.key in ("32号", "195号", "172号") and d.source.ref
    for key in ("ip", "conversion", "management", "growth", "fields", "categories"):
        assert params.tables["hnte"][key]["source"] in params.sources
    assert params.at("hnte_entrusted_factor", D(2024, 1, 1)).fraction == Fraction(4, 5)
    assert params.at("hnte_other_cost_ratio", D(2024, 1, 1)).fraction == Fraction(1, 5)
    for flag in [f"AI-{n:02d}" for n in range(1, 14)] + [f"AI-APP-{n}" for n in range(20, 30)]:
        assert params.interpretation(flag).text != flag, flag


# ----------------------------------------------------------------------------- HS-D1 … HS-D4

@pytest.mark.parametrize("apply, days, status", [(D(2024, 5, 9), 365, PASS), (D(2024, 5, 8), 364, FAIL)])
def test_hs_d1_registration_boundary_with_leap_day(apply, days, status):
    led = ledger(founded=D(2023, 5, 10), other={**GOOD, "hnte_apply_date": apply}, years=[good_year(2023)])
    ev = hnte_evaluation(led, 2023)
    c = ev.condition("registered_1y")
    assert ev.application_date == apply and not ev.application_date_assumed
    assert (c.value, c.threshold, c.status) == (days, 365, status)
    if status == FAIL:
        assert c.to_pass_amount == 1 and "2024-05-09" in c.to_pass
        assert ev.assessment == "not_eligible"


def test_application_date_defaults_to_july_first_and_is_flagged():
    ev = hnte_evaluation(ledger(years=[good_year(y) for y in (2022, 2023, 2024)]), 2024)
    assert ev.application_date == D(2025, 7, 1) and ev.application_date_assumed
    assert "AI-APP-24" in ev.interpretations
    assert ev.window == (2022, 2023, 2024)


def _three_years(latest_sales):
    return ledger(years=[good_year(2022, 3000, 150), good_year(2023, 4000, 180), good_year(2024, latest_sales, 230)])


def test_hs_d2_rd_ratio_three_years():
    ev = hnte_evaluation(_three_years(5500), 2024)
    c = ev.condition("rd_ratio")
    assert c.value == Fraction(560, 12500) and c.threshold == Fraction(4, 100)
    assert c.status == PASS and "4.48%" in c.text
    assert "from_yearly_data" in c.flags and all(ev.calibers[y].source == "yearly_data" for y in (2022, 2023, 2024))


def test_hs_d2_variant_latest_sales_5000_is_the_5_percent_tier():
    ev = hnte_evaluation(_three_years(5000), 2024)
    c = ev.condition("rd_ratio")
    assert c.value == Fraction(560, 12000) and c.threshold == Fraction(5, 100)
    assert c.status == FAIL and "4.67% < 5%" in c.text


@pytest.mark.parametrize("sales_yuan, tier", [(50_000_000, "0.05"), (50_000_001, "0.04"), (200_000_000, "0.04"),
                                              (200_000_001, "0.03"), (1, "0.05"), (0, "0.05")])
def test_hs_d3_tier_boundaries(params, sales_yuan, tier):
    ratio, label, _ = rd_ratio_threshold(sales_yuan * 100, D(2025, 7, 1), params)
    assert ratio == Fraction(tier)
    assert label


@pytest.mark.parametrize("latest_fen, tier", [(wan(5000), Fraction(5, 100)), (wan(5000) + 1, Fraction(4, 100)),
                                              (wan(20000), Fraction(4, 100)), (wan(20000) + 1, Fraction(3, 100))])
def test_tier_boundaries_through_the_evaluation(latest_fen, tier):
    led = ledger(years=[good_year(2022, 3000, 150), good_year(2023, 4000, 180),
                        YearData(2024, "year", {**good_year(2024, 5000, 230).values, "main_revenue": latest_fen})])
    ev = hnte_evaluation(led, 2024)
    assert ev.condition("rd_ratio").threshold == tier == ev.threshold


def test_hs_d4_two_operating_years():
    led = ledger(founded=D(2023, 3, 15), years=[good_year(2023, 1500, 80), good_year(2024, 2500, 120)])
    ev = hnte_evaluation(led, 2024)
    c = ev.condition("rd_ratio")
    assert ev.window == (2023, 2024)
    assert c.value == Fraction(5, 100) and c.threshold == Fraction(5, 100) and c.status == PASS
    assert "AI-03" in c.flags and "AI-03" in ev.interpretations
    # growth over two years only (AI-13), conversion averaged over two years (AI-08)
    assert {r.id: r.status for r in ev.score.growth_rates} == {"net_assets": "scored", "sales": "scored"}
    assert "AI-13" in ev.score.flags
    assert ev.score.conversion.extra["years"] == 2


# ----------------------------------------------------------------------------- HS-D5 … HS-D7: the caliber

def test_hs_d5_other_cost_cap():
    # categories 1–7 = 700 + 125 × 80% = 800; other 250 → cap 200 → total 1,000
    led = ledger(projects=[proj("A")], lines=[ln("2024-03-01", "A", "R04", wan(700)), ln("2024-03-02", "A", "R36", wan(125)),
                                              ln("2024-03-03", "A", "R33", wan(250))])
    cal = hnte_caliber(led, 2024)
    a = cal.activities[0]
    assert a.sum_1_7 == wan(800) and a.other_cap == wan(200) and a.other_allowed == wan(200)
    assert cal.total == wan(1000) and Fraction(a.other_allowed, cal.total) == Fraction(1, 5)
    assert {"AI-05", "AI-06"} <= cal.interpretations


def test_hs_d5_variant_other_exactly_at_cap():
    led = ledger(projects=[proj("A")], lines=[ln("2024-03-01", "A", "R04", wan(800)), ln("2024-03-03", "A", "R29", wan(200))])
    cal = hnte_caliber(led, 2024)
    assert cal.other_allowed == wan(200) and cal.total == wan(1000)


def test_hs_d6_cap_per_activity_vs_company_wide():
    led = ledger(projects=[proj("A"), proj("B")], lines=[
        ln("2024-01-10", "A", "R08", wan(100)), ln("2024-01-11", "A", "R33", wan(40)),
        ln("2024-02-10", "B", "R04", wan(300)), ln("2024-02-11", "B", "R30", wan(20))])
    cal = hnte_caliber(led, 2024)
    assert [a.total for a in cal.activities] == [wan(125), wan(320)]
    assert cal.total == wan(445)
    assert cal.company_wide["total"] == wan(460) and cal.company_wide["cap"] == wan(100)
    assert any(f.code == "I_HNTE_OTHER_CAP" for f in cal.findings)


def test_hs_d7_domestic_share_after_the_80_percent_factor():
    led = ledger(projects=[proj("A"), proj("B", "委托研发", entrustee_location="境外", ownership="委托方")],
                 years=[good_year(y, 10000) for y in (2022, 2023)] + [good_year(2024, 10000)],
                 lines=[ln("2024-05-01", "A", "R04", wan(100)), ln("2024-06-01", "B", "R37", wan(80))])
    cal = hnte_caliber(led, 2024)
    assert (cal.total, cal.domestic, cal.overseas) == (wan(164), wan(100), wan(64))
    led = dataclasses.replace(led, years=tuple(YearData(y.year, "year", {k: v for k, v in y.values.items()
                                                                        if k not in ("rd_hnte", "rd_domestic")})
                                               for y in led.years if y.year == 2024))
    ev = hnte_evaluation(dataclasses.replace(led, profile=dataclasses.replace(led.profile, founded=D(2024, 1, 1))), 2024)
    c = ev.condition("domestic_rd_ratio")
    assert c.value == Fraction(100, 164) and c.status == PASS and "60.98%" in c.text and "AI-04" in c.flags


def test_overseas_by_project_location_even_with_a_domestic_code():
    led = ledger(projects=[proj("B", "委托研发", entrustee_location="境外", ownership="委托方")],
                 lines=[ln("2024-06-01", "B", "R36", wan(50))])
    cal = hnte_caliber(led, 2024)
    assert cal.overseas == wan(40) and cal.domestic == 0


# ----------------------------------------------------------------------------- HS-D8 staff

def test_hs_d8_staff_ratio_with_annual_monthly_averages():
    led = ledger(years=[good_year(2024, staff_total=112, staff_rd=12)])
    c = hnte_evaluation(led, 2024).condition("staff_ratio")
    assert c.value == Fraction(12, 112) and c.status == PASS and "10.71%" in c.text


def test_staff_what_would_make_it_pass_is_exactly_enough():
    led = ledger(years=[good_year(2024, staff_total=426, staff_rd=30)])
    c = hnte_evaluation(led, 2024).condition("staff_ratio")
    assert c.status == FAIL
    n = c.to_pass_amount
    assert n == 14 and f"尚差{n}名科技人员" in c.to_pass and "认定为科技人员" not in c.to_pass   # (30 + 14) / (426 + 14) = 10% exactly; 13 → 9.98%
    for extra, status in ((n, PASS), (n - 1, FAIL)):
        led2 = with_year(led, 2024, staff_total=426 + extra, staff_rd=30 + extra)
        assert hnte_evaluation(led2, 2024).condition("staff_ratio").status == status


# ----------------------------------------------------------------------------- HS-D9 … HS-D11 and HS-D16: the score

def _score(other, years=(2022, 2023, 2024), year_rows=()):
    led = ledger(other=other, years=year_rows)
    return innovation_score(led, years)


@pytest.mark.parametrize("count, band, rng, ai09", [(7, "D", [7, 12], False), (15, "A", [25, 30], False),
                                                   (2, "E", [1, 6], True), (0, "F", [0, 0], False),
                                                   (3, "E", [1, 6], False), (12, "B", [19, 24], False)])
def test_hs_d9_conversion_bands(count, band, rng, ai09):
    s = _score({**GOOD, "conversions": count})
    assert (s.conversion.extra["band"], s.conversion.range) == (band, rng)
    assert ("AI-09" in s.conversion.flags) == ai09
    assert "AI-08" in s.conversion.flags


HS_D10 = {"tech_grade": "A", "core_grade": "A", "ip_class1": 1, "ip_class2": 0, "ip_acquisition": "自主研发",
          "standards": False, "conversions": 7, "management_self": "4/4/2/2"}


def test_hs_d10_composite_without_growth_data():
    s = _score(HS_D10)
    assert s.ip.range == [22, 30] and s.conversion.range == [7, 12] and s.management.range == [12, 12]
    assert s.growth.range == [0, 20] and all(r.status == "missing_input" for r in s.growth_rates)
    assert s.composite == [41, 74] and s.verdict == "uncertain"
    assert "missing_input" in s.flags and "AI-07" in s.flags


def test_hs_d10_variant_band_e_is_fail_likely():
    s = _score({**HS_D10, "conversions": 2})
    assert s.composite == [35, 68] and s.verdict == "fail_likely"


def test_hs_d10_variant_pass_likely_unreachable_without_growth():
    s = _score({**HS_D10, "standards": True, "conversions": 15, "management_self": "6/6/4/4"})
    assert s.min == 68 and s.verdict == "uncertain"


def test_hs_d11_ip_total_capped_at_30():
    s = _score({**HS_D10, "standards": True})
    assert s.ip.extra["uncapped"] == [23, 32] and s.ip.range == [23, 30]


@pytest.mark.parametrize("c2, band, rng", [(4, "C", [3, 4]), (5, "B", [5, 6]), (3, "C", [3, 4]), (2, "D", [1, 2]),
                                           (0, "E", [0, 0])])
def test_hs_d16_ip_quantity_bands(c2, band, rng):
    s = _score({**HS_D10, "ip_class1": 0, "ip_class2": c2})
    q = next(i for i in s.ip.items if i.id == "quantity")
    assert (q.band, [q.min, q.max]) == (band, rng)


def test_no_ip_fails_h2_and_scores_zero_acquisition():
    led = ledger(other={**GOOD, "ip_class1": 0, "ip_class2": 0}, years=[good_year(2024)])
    ev = hnte_evaluation(led, 2024)
    assert ev.condition("ip").status == FAIL and ev.assessment == "not_eligible"
    acq = next(i for i in ev.score.ip.items if i.id == "acquisition")
    assert [acq.min, acq.max] == [0, 0]


def test_score_threshold_is_strictly_above_70():
    # IP 7+7+7+1+1 = 23 … 30, conversion A 25–30, management 20, growth both A 18–20 → [86, 100]
    rows = [good_year(2022, 1000, 60, total_assets=wan(1000), total_liabilities=0),
            good_year(2023, 1400, 80, total_assets=wan(1400), total_liabilities=0),
            good_year(2024, 1960, 120, total_assets=wan(1960), total_liabilities=0)]
    s = _score({**GOOD}, year_rows=rows)
    assert s.growth.range == [18, 20] and s.verdict == "pass_likely"
    # maximum exactly 70 → fail_likely (不含70分): IP [1+1+7+1+0, 2+2+8+6+0] + conversion D + 20 + growth A
    s2 = _score({**GOOD, "tech_grade": "D", "core_grade": "D", "standards": False, "conversions": 7}, year_rows=rows)
    assert s2.composite == [55, 70] and s2.verdict == "fail_likely"
    # minimum exactly 70 → not pass_likely; 71 → pass_likely
    s3 = _score({**GOOD, "conversions": 9, "management_self": "6/6/2/2"}, year_rows=rows)
    assert s3.min == 70 and s3.verdict == "uncertain"
    s4 = _score({**GOOD, "conversions": 9, "management_self": "6/6/3/2"}, year_rows=rows)
    assert s4.min == 71 and s4.verdict == "pass_likely"
    ev = hnte_evaluation(ledger(years=rows, other={**GOOD, "conversions": 9, "management_self": "6/6/2/2"}), 2024)
    assert ev.condition("score").status == UNKNOWN and ev.assessment == "uncertain"


def test_management_entries_missing_or_invalid_are_full_ranges():
    s = _score({**GOOD, "management_self": "5/x/9"})
    assert [[i.min, i.max] for i in s.management.items] == [[5, 5], [0, 6], [0, 4], [0, 4]]
    assert "missing_input" in s.management.flags


# ----------------------------------------------------------------------------- growth special cases (§3.5)

def test_growth_full_formula_and_bands(params):
    r = growth_rate([100, 130, 169], params)
    assert r.g == Fraction(3, 10) and r.band == "B" and r.range == [7, 8] and r.status == "scored"
    assert growth_rate([100, 135, Fraction(135 * 135, 100)], params).band == "A"   # exactly 35% → A (≥)
    assert growth_rate([100, 105, Fraction(105 * 105, 100)], params).band == "D"   # exactly 5% → D
    assert growth_rate([100, 101, 102], params).band == "E"


def test_growth_second_year_zero_scores_zero(params):
    r = growth_rate([100, 0, 500], params)
    assert r.status == "zero_rule" and r.range == [0, 0] and r.g is None


def test_growth_first_year_zero_uses_last_two_years(params):
    r = growth_rate([0, 100, 140], params)
    assert r.g == Fraction(2, 5) and r.band == "A" and "AI-11" in r.flags


def test_growth_negative_rate_scores_zero(params):
    r = growth_rate([100, 90, 80], params)
    assert r.g < 0 and r.band == "F" and r.range == [0, 0]


def test_growth_negative_base_is_manual_review(params):
    for vals in ([-100, 50, 80], [100, -50, 80]):
        r = growth_rate(vals, params)
        assert r.status == "manual_review" and r.range == [0, 0] and "AI-12" in r.flags


def test_growth_two_years_and_one_year(params):
    r = growth_rate([100, 120], params)
    assert r.g == Fraction(1, 5) and r.band == "C" and "AI-13" in r.flags
    assert growth_rate([0, 120], params).range == [0, 0]
    assert growth_rate([-5, 120], params).status == "manual_review"
    one = growth_rate([120], params)
    assert one.status == "too_few_years" and one.range == [0, 0] and "AI-13" in one.flags


def test_growth_missing_statement_is_0_to_10(params):
    r = growth_rate([100, None, 120], params)
    assert r.status == "missing_input" and r.range == [0, 10]


def test_negative_net_assets_through_the_evaluation():
    rows = [good_year(2022, total_assets=wan(800), total_liabilities=wan(1000)), good_year(2023), good_year(2024)]
    ev = hnte_evaluation(ledger(years=rows), 2024)
    na = next(r for r in ev.score.growth_rates if r.id == "net_assets")
    assert na.status == "manual_review" and na.range == [0, 0] and na.values[2022] == -wan(200)
    assert "manual_review" in ev.score.flags and "AI-12" in ev.interpretations


def test_growth_with_fewer_than_three_years_through_the_evaluation():
    ev = hnte_evaluation(ledger(founded=D(2024, 2, 1), years=[good_year(2024)]), 2024)
    assert ev.window == (2024,)
    assert all(r.status == "too_few_years" for r in ev.score.growth_rates)
    assert ev.score.growth.range == [0, 0]


# ----------------------------------------------------------------------------- missing inputs → unknown

def test_missing_everything_is_unknown_never_pass():
    led = Ledger(Profile(name="空白企业"), (), {}, (), ())
    ev = hnte_evaluation(led, 2024)
    assert {c.id: c.status for c in ev.conditions} == {k: UNKNOWN for k in (
        "resident", "registered_1y", "ip", "hnte_field", "staff_ratio", "rd_ratio", "domestic_rd_ratio",
        "hitech_income_ratio", "score", "no_major_incident")}
    assert ev.assessment == "uncertain"
    for c in ev.conditions:
        if c.id != "score":
            assert c.to_pass.startswith("需要填写") or "需要填写" in c.text, c.id
    assert ev.score.composite == [0, 100] and ev.score.verdict == "uncertain"
    json.dumps(ev.as_dict(), ensure_ascii=False)


def test_partial_first_year_inside_a_full_window_is_flagged():
    rows = [good_year(y, 3000, 150) for y in (2022, 2023, 2024)]
    ev = hnte_evaluation(ledger(founded=D(2022, 5, 1), years=rows), 2024)
    assert ev.window == (2022, 2023, 2024) and "AI-03" in ev.condition("rd_ratio").flags


def test_bridge_when_the_super_deduction_does_not_apply(params):
    led = ledger(years=[good_year(2024)], projects=[proj("A")], lines=[ln("2024-01-05", "A", "R04", 100_00)])
    led = dataclasses.replace(led, profile=dataclasses.replace(led.profile, collection="核定征收"))
    b = _check_bridge(led, 2024, params)
    assert b.super_total == 0 and not b.super_eligible
    assert [g.reason for g in b.groups("super")] == ["not_eligible"] and b.hnte_total == 100_00


def test_one_missing_year_makes_the_ratio_unknown():
    led = ledger(years=[good_year(2022), YearData(2023, "year", {"rd_hnte": wan(100), "rd_domestic": wan(100)}),
                        good_year(2024)])
    ev = hnte_evaluation(led, 2024)
    c = ev.condition("rd_ratio")
    assert c.status == UNKNOWN and "2023年度主营业务收入" in c.text and c.value is None
    assert ev.assessment == "uncertain"


def test_missing_rd_year_is_unknown_and_blank_other_revenue_is_zero_with_a_note():
    y2022 = YearData(2022, "year", {"main_revenue": wan(3000)})
    ev = hnte_evaluation(ledger(years=[y2022, good_year(2023), good_year(2024)]), 2024)
    c = ev.condition("rd_ratio")
    assert c.status == UNKNOWN and "2022年度研发费用（高企口径）" in c.text
    assert any(f.code == "I_HNTE_BLANK_ZERO" for f in ev.findings) and "AI-APP-26" in ev.interpretations
    assert ev.calibers[2022].source == "missing"


def test_all_pass_gives_eligible_likely():
    rows = [good_year(2022, 1000, 60, total_assets=wan(1000), total_liabilities=0),
            good_year(2023, 1400, 80, total_assets=wan(1400), total_liabilities=0),
            good_year(2024, 1960, 120, total_assets=wan(1960), total_liabilities=0)]
    ev = hnte_evaluation(ledger(years=rows), 2024)
    assert [c.id for c in ev.conditions if c.status != PASS] == []
    assert ev.assessment == "eligible_likely" and ev.score.verdict == "pass_likely"


def test_false_answers_fail():
    ev = hnte_evaluation(ledger(other={**GOOD, "resident": False, "no_major_incident": False},
                                years=[good_year(2024)]), 2024)
    assert ev.condition("resident").status == FAIL and ev.condition("no_major_incident").status == FAIL
    assert ev.assessment == "not_eligible"


def test_unknown_field_is_not_a_pass():
    ev = hnte_evaluation(ledger(other={**GOOD, "hnte_field": "互联网金融"}, years=[good_year(2024)]), 2024)
    assert ev.condition("hnte_field").status == UNKNOWN


# ----------------------------------------------------------------------------- what would make it pass

def test_rd_ratio_extra_amount_is_exactly_enough():
    led = ledger(years=[good_year(2022, 3000, 100), good_year(2023, 4000, 150), good_year(2024, 5500, 200)])
    c = hnte_evaluation(led, 2024).condition("rd_ratio")
    assert c.status == FAIL
    x = c.to_pass_amount
    assert x == -(-(wan(12500) * 4 // 100 - wan(450)))     # 500万 − 450万
    assert "再增加" not in c.to_pass and "2022、2023、2024年度合计距4%尚差高企口径研发费用¥" in c.to_pass   # a gap, never advice on closed years
    latest = led.year_row(2024).values["rd_hnte"]
    for extra, status in ((x, PASS), (x - 1, FAIL)):
        led2 = with_year(led, 2024, rd_hnte=latest + extra, rd_domestic=latest + extra)
        assert hnte_evaluation(led2, 2024).condition("rd_ratio").status == status


def test_rd_ratio_extra_amount_with_an_odd_total_rounds_up():
    led = ledger(years=[good_year(2022, 3000, 100), good_year(2023, 4000, 150),
                        YearData(2024, "year", {**good_year(2024, 5500, 200).values, "main_revenue": wan(5500) + 33})])
    c = hnte_evaluation(led, 2024).condition("rd_ratio")
    x = c.to_pass_amount
    total_sales = wan(12500) + 33
    assert Fraction(wan(450) + x, total_sales) >= Fraction(4, 100) > Fraction(wan(450) + x - 1, total_sales)


def test_domestic_extra_amount_is_exactly_enough():
    rows = [good_year(y, 3000, 200) for y in (2022, 2023)]
    rows.append(YearData(2024, "year", {**good_year(2024, 3000).values, "rd_hnte": wan(200), "rd_domestic": wan(10)}))
    rows[0] = YearData(2022, "year", {**rows[0].values, "rd_domestic": wan(50)})
    rows[1] = YearData(2023, "year", {**rows[1].values, "rd_domestic": wan(50)})
    led = ledger(years=rows)
    c = hnte_evaluation(led, 2024).condition("domestic_rd_ratio")
    assert c.status == FAIL
    x = c.to_pass_amount
    for extra, status in ((x, PASS), (x - 1, FAIL)):
        led2 = with_year(led, 2024, rd_hnte=wan(200) + extra, rd_domestic=wan(10) + extra)
        assert hnte_evaluation(led2, 2024).condition("domestic_rd_ratio").status == status


def test_hitech_extra_income_is_exactly_enough():
    led = ledger(years=[good_year(2024, hitech_income=wan(5000) + 7, total_income=wan(10000) + 3, nontaxable_income=wan(100))])
    c = hnte_evaluation(led, 2024).condition("hitech_income_ratio")
    assert c.status == FAIL and c.value == Fraction(wan(5000) + 7, wan(9900) + 3)
    x = c.to_pass_amount
    for extra, status in ((x, PASS), (x - 1, FAIL)):
        led2 = with_year(led, 2024, hitech_income=wan(5000) + 7 + extra, total_income=wan(10000) + 3 + extra)
        assert hnte_evaluation(led2, 2024).condition("hitech_income_ratio").status == status


# ----------------------------------------------------------------------------- the caliber's line rules

def test_caliber_line_rules_and_findings():
    led = ledger(projects=[proj("A"), proj("C", ledger_type="资本化", ia_date=D(2025, 6, 30)),
                           proj("E", "委托研发", entrustee_location="境内", ownership="受托方")],
                 lines=[ln("2024-01-05", "A", "R18", 100_00, tax_amount=500_00),          # accounting amount counts
                        ln("2024-01-06", "A", "R04", 1000_01, share=Fraction(1, 2)),      # 500.005 → 500.01
                        ln("2024-01-07", "A", "R08", 300_00, funding="财政资金（不征税）"),  # grant counted
                        ln("2024-01-08", "A", "R32", 70_00),                             # null → finding
                        ln("2024-01-09", "A", "R32", 30_00, hnte_category="其他费用"),      # override
                        ln("2024-01-10", "A", "NE01", 40_00),                            # building depreciation
                        ln("2024-01-11", "A", "R29", 20_00, hnte_category="不计入"),
                        ln("2024-02-01", "C", "R04", 800_00),                            # capitalised in progress
                        ln("2024-03-01", "E", "R36", 900_00),                            # results owned by entrustee
                        ln("2023-12-31", "A", "R04", 999_00)])                           # another year
    cal = hnte_caliber(led, 2024)
    assert cal.source == "ledger"
    a, c = cal.activities
    assert a.actual["折旧费用与长期待摊费用"] == 100_00 + 40_00
    assert a.actual["人员人工费用"] == 500_01
    assert a.actual["直接投入费用"] == 300_00
    assert a.actual["其他费用"] == 30_00
    assert c.project_no == "C" and c.total == 800_00
    assert cal.total == 140_00 + 500_01 + 300_00 + 30_00 + 800_00
    assert {"AI-APP-20", "AI-APP-21", "AI-APP-22", "AI-APP-25", "AI-APP-01"} <= cal.interpretations
    warn = [f for f in cal.findings if f.code == "W_HNTE_CATEGORY"]
    assert len(warn) == 1 and "需人工指定高企费用类别" in warn[0].message and "R32" in warn[0].message
    reasons = {r for _, r, _ in cal.excluded}
    assert reasons == {"unassigned", "user_excluded", "ownership"}


def test_year_without_lines_uses_yearly_data_or_is_missing():
    led = ledger(years=[YearData(2021, "year", {"rd_hnte": wan(300)})])
    cal = hnte_caliber(led, 2021)
    assert (cal.source, cal.total, cal.domestic) == ("yearly_data", wan(300), None)
    assert "from_yearly_data" in cal.flags and any(f.code == "W_HNTE_DOMESTIC_MISSING" for f in cal.findings)
    assert hnte_caliber(led, 2020).source == "missing" and hnte_caliber(led, 2020).total is None


def test_ledger_lines_win_over_yearly_totals():
    led = ledger(years=[YearData(2024, "year", {"rd_hnte": wan(1)})], projects=[proj("A")],
                 lines=[ln("2024-01-01", "A", "R04", wan(2))])
    cal = hnte_caliber(led, 2024)
    assert cal.total == wan(2) and any(f.code == "I_HNTE_YEAR_DATA_IGNORED" for f in cal.findings)


# ----------------------------------------------------------------------------- the bridge

def _check_bridge(led, y, params):
    engine = SuperDeductionEngine(led, params)
    b = rd_bridge(led, y, params, engine)
    sd = engine.compute(y)
    assert b.accounting_total == sum(l.amount for l in led.lines if l.date.year == y)
    assert b.super_total == (sd.rows["R40"] if sd.eligible else 0)
    assert b.hnte_total == hnte_caliber(led, y, params).total
    assert b.accounting_total + sum(g.amount for g in b.groups("super")) == b.super_total
    assert b.accounting_total + sum(g.amount for g in b.groups("hnte")) == b.hnte_total
    assert b.reconciled
    ids = {l.id for l in led.lines}
    for i in b.items:
        assert set(i.line_ids) <= ids and i.text
    return b


def test_bridge_on_a_small_ledger(params):
    led = ledger(years=[good_year(2024)], projects=[proj("A"), proj("C", ledger_type="资本化", ia_date=D(2025, 6, 30)),
                                                   proj("O", "委托研发", entrustee_location="境外", ownership="委托方",
                                                        contract_no="2024640100000001")],
                 lines=[ln("2024-01-05", "A", "R18", 100_00, tax_amount=500_00),
                        ln("2024-01-06", "A", "R04", 1000_01, share=Fraction(1, 2)),
                        ln("2024-01-07", "A", "R08", 300_00, funding="财政资金（不征税）"),
                        ln("2024-01-10", "A", "NE01", 40_00),
                        ln("2024-01-11", "A", "R33", 900_00),
                        ln("2024-02-01", "C", "R04", 800_00),
                        ln("2024-03-01", "O", "R37", 1000_00)])
    b = _check_bridge(led, 2024, params)
    sup = {g.reason: g.amount for g in b.groups("super")}
    assert sup["code:NE01"] == -40_00 and sup["grant"] == -300_00 and sup["capitalised_in_progress"] == -800_00
    assert sup["tax_amount"] == 400_00 and sup["share"] == 500_01 - 1000_01
    assert "other_cap" in sup and "overseas_cap" in sup
    ne01 = next(g for g in b.groups("super") if g.reason == "code:NE01")
    assert "计入高企口径，不计入加计扣除口径" in ne01.text
    hn = {g.reason: g.amount for g in b.groups("hnte")}
    assert hn["entrusted_80"] == -200_00 and hn["other_cap"] < 0 and "grant" not in hn


def test_bridge_capitalised_formation_year(params):
    led = ledger(years=[good_year(2023), good_year(2024)],
                 projects=[proj("C", ledger_type="资本化", ia_date=D(2024, 6, 30), status="已结束")],
                 lines=[ln("2023-05-01", "C", "R04", 500_00), ln("2024-05-01", "C", "R04", 700_00)])
    b = _check_bridge(led, 2024, params)
    assert {g.reason: g.amount for g in b.groups("super")} == {"capitalised_formed": 500_00}
    assert b.super_total == 1200_00 and b.hnte_total == 700_00
    b23 = _check_bridge(led, 2023, params)
    assert b23.super_total == 0 and b23.hnte_total == 500_00


@pytest.mark.parametrize("y", [2022, 2023, 2024])
def test_bridge_reconciles_on_the_sample(sample, params, y):
    b = _check_bridge(sample, y, params)
    assert b.for_caliber("super") and b.for_caliber("hnte")


# ----------------------------------------------------------------------------- certificate

def test_certificate_window_and_recheck():
    rows = [good_year(y, 3000, 150) for y in (2022, 2023, 2024)]
    ev = hnte_evaluation(ledger(years=rows, cert=D(2022, 11, 20)), 2024)
    cert = ev.certificate
    assert cert.tax_years == (2022, 2023, 2024) and cert.covers_year and ev.certified
    assert cert.valid_until == D(2025, 11, 19) and "AI-14" in cert.flags
    assert cert.recheck is not None and cert.recheck.id == "rd_ratio_recheck" and cert.recheck.status == PASS
    assert "重新认定" in cert.text
    ev25 = hnte_evaluation(ledger(years=rows + [good_year(2025, 3000, 150)], cert=D(2022, 11, 20)), 2025)
    assert not ev25.certificate.covers_year and ev25.certificate.recheck is None


def test_certificate_issued_on_a_leap_day():
    ev = hnte_evaluation(ledger(years=[good_year(2024)], cert=D(2024, 2, 29)), 2024)
    assert ev.certificate.valid_until == D(2027, 2, 27)


# ----------------------------------------------------------------------------- the sample and the workbook path

def test_sample_is_a_candidate_narrowly_failing_the_rd_ratio(sample, params):
    ev = hnte_evaluation(sample, 2024, params)
    c = ev.condition("rd_ratio")
    assert ev.window == (2022, 2023, 2024) and ev.application_date == D(2025, 7, 1)
    assert c.threshold == Fraction(4, 100) and c.status == FAIL
    assert Fraction(37, 1000) < c.value < Fraction(4, 100)
    for cid in ("resident", "registered_1y", "ip", "hnte_field", "staff_ratio", "domestic_rd_ratio",
                "hitech_income_ratio", "no_major_incident"):
        assert ev.condition(cid).status == PASS, cid
    assert ev.assessment == "not_eligible"
    assert ev.bridge is not None and ev.bridge.reconciled
    # the amount that would make it pass is exactly enough, as an ordinary ledger line of 2024
    x = c.to_pass_amount
    for extra, status in ((x, PASS), (x - 1, FAIL)):
        led = add_line(sample, Line(0, D(2024, 12, 20), "RD12", "R04", extra))
        assert hnte_evaluation(led, 2024, params).condition("rd_ratio").status == status
    doc = json.loads(json.dumps(ev.as_dict(), ensure_ascii=False))
    rd = next(c for c in doc["conditions"] if c["id"] == "rd_ratio")
    assert rd["threshold"] == "0.04" and rd["ok"] is False and rd["value"].startswith("0.03")
    assert {c["id"] for c in doc["conditions"]} >= {"registered_1y", "ip", "staff_ratio", "rd_ratio", "domestic_rd_ratio",
                                                    "hitech_income_ratio", "score"}
    assert doc["score"]["verdict"] == ev.score.verdict


def test_through_a_real_workbook(tmp_path):
    prof = wb_profile(founded=D(2015, 3, 1), **GOOD)
    years = [wb_year(y, main_revenue=s * 10000, other_revenue=0, total_income=s * 10000, nontaxable_income=0,
                     hitech_income=s * 8000, staff_total=100, staff_rd=20, total_assets=(5000 + 1000 * (y - 2020)) * 10000,
                     total_liabilities=10_000_000) for y, s in ((2022, 3000), (2023, 4000), (2024, 5500))]
    projects = [wb_project("RD01"), wb_project("RD02", form="委托研发", entrustee_location="境外", ownership="委托方",
                                                contract_no="2024640100000001")]
    lines = [wb_line("2022-06-30", "RD01", "R04", 1_500_000), wb_line("2023-06-30", "RD01", "R04", 1_800_000),
             wb_line("2024-06-30", "RD01", "R04", 2_000_000), wb_line("2024-07-31", "RD02", "R37", 375_000),
             wb_line("2024-08-31", "RD01", "R32", 10_000)]
    path = build(tmp_path, prof=prof, years=years, projects=projects, lines=lines)
    led = load_ledger(path)
    ev = hnte_evaluation(led, 2024)
    c = ev.condition("rd_ratio")
    # 150 + 180 + (200 + 37.5 × 80%) = 560 万 on 12,500 万 → 4.48% (R32 not counted: needs a category)
    assert c.value == Fraction(560, 12500) and c.status == PASS
    assert ev.calibers[2024].overseas == wan(30)
    assert any(f.code == "W_HNTE_CATEGORY" for f in ev.findings)
    assert ev.bridge.reconciled
