"""科技型中小企业评价 (hnte_sme.md §6; worked examples HS-P3, HS-D15, HS-D16)."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from calc.model import Ledger, Profile, YearData
from calc.params import load_params
from calc.techsme import FAIL, PASS, UNKNOWN, band_table, tech_sme_evaluation

WAN = 1_000_000          # 1 万元 in 分
DAY = dt.date(2024, 12, 31)

GOOD = {"resident": True, "not_prohibited": True, "no_misconduct": True, "rd_accurate": True,
        "national_award": False, "provincial_lab": False, "led_standard": False}


@pytest.fixture(scope="module")
def params():
    return load_params()


def wan(x) -> int:
    f = Fraction(str(x)) * WAN
    assert f.denominator == 1
    return int(f)


def ledger(values: dict | None = None, *, other: dict | None = None, year: int = 2023, cert=None, collection="查账征收",
           industry="C3981", extra_years=(), lines=(), projects=None):
    base = {"main_revenue": wan(900), "other_revenue": wan(100), "staff_total": 80, "staff_rd": 18,
            "total_assets": wan(5000), "total_costs": wan("262.5"), "rd_super": wan(42)}
    if values is not None:
        base.update(values)
    base = {k: v for k, v in base.items() if v is not None}
    prof = Profile(name="测试科技有限公司", industry_code=industry, collection=collection, hnte_cert_date=cert,
                   other={**GOOD, "ip_class1": 0, "ip_class2_sme": 3, **(other or {})})
    years = (YearData(year, "year", base),) + tuple(extra_years)
    return Ledger(prof, years, projects or {}, tuple(lines), ())


def ev_of(*a, **kw):
    on = kw.pop("on", None)
    return tech_sme_evaluation(ledger(*a, **kw), 2024, on=on)


# --------------------------------------------------------------------------- HS-D15

def test_hs_d15_score_60_passes():
    ev = ev_of()
    assert ev.data_year == 2023
    assert ev.staff_score == 12                       # 18 / 80 = 22.5%
    assert ev.indicators["rd_sales"].score == 30      # 42 / 1000 = 4.2%
    assert ev.indicators["rd_cost"].score == 20       # 42 / 262.5 = 16%
    assert ev.rd_score == 30 and ev.rd_option == "sales"
    assert ev.ip_score == 18                          # 3 Class II
    assert ev.score == 60 and ev.score_range == (60, 60)
    assert ev.condition("T5").status == PASS
    assert ev.eligible is True and ev.direct_pass is None
    assert {"AI-22", "AI-24", "AI-25", "AI-26", "AI-APP-08"} <= ev.interpretations


def test_hs_d15_staff_score_zero_fails_even_at_80():
    ev = ev_of({"staff_rd": 7, "rd_super": wan(60)}, other={"ip_class1": 1})
    assert ev.staff_score == 0 and ev.rd_score == 50 and ev.ip_score == 30
    assert ev.score == 80
    assert ev.condition("T5").status == FAIL and "0分" in ev.condition("T5").text
    assert ev.eligible is False


def test_hs_d15_valid_hnte_certificate_direct_confirmation():
    ev = ev_of({"staff_rd": 7}, cert=dt.date(2023, 10, 9))
    assert ev.condition("T5").status == FAIL
    assert ev.direct_pass == "hnte_certificate"
    assert ev.eligible is True
    assert ev.score == 48                             # 0 + 30 + 18, still shown for information
    assert "直接认定" in ev.verdict_text
    assert {"AI-14", "AI-APP-11"} <= ev.interpretations


# --------------------------------------------------------------------------- HS-P3, HS-D16: bands exactly

def test_hs_p3_full_marks():
    ev = ev_of({"staff_rd": 24, "rd_super": wan(60)}, other={"ip_class1": 1})
    assert (ev.staff_score, ev.rd_score, ev.ip_score, ev.score) == (20, 50, 30, 100)
    ev = ev_of({"staff_rd": 24, "rd_super": wan(30), "total_costs": wan(100)}, other={"ip_class1": 1})
    assert ev.indicators["rd_cost"].score == 50 and ev.rd_option == "cost" and ev.score == 100


@pytest.mark.parametrize("staff_rd, score", [(24, 20), (23, 16), (20, 16), (19, 12), (16, 12), (15, 8), (12, 8),
                                             (11, 4), (8, 4), (7, 0), (0, 0)])
def test_staff_bands_of_80(staff_rd, score):
    """HS-D16: exactly 10% → 4, exactly 30% → 20 (80 staff: 8 = 10%, 12 = 15%, 16 = 20%, 20 = 25%, 24 = 30%)."""
    assert ev_of({"staff_rd": staff_rd}).staff_score == score


@pytest.mark.parametrize("pct, score", [("6", 50), ("5", 40), ("4", 30), ("3", 20), ("2", 10), ("0", 0)])
def test_rd_sales_bands_exact_and_one_fen_below(pct, score):
    sales = wan(1000)
    rd = int(Fraction(pct) / 100 * sales)
    assert ev_of({"rd_super": rd, "total_costs": None}).indicators["rd_sales"].score == score
    if rd:
        below = ev_of({"rd_super": rd - 1, "total_costs": None}).indicators["rd_sales"].score
        assert below == {50: 40, 40: 30, 30: 20, 20: 10, 10: 0}[score]


@pytest.mark.parametrize("pct, score", [("30", 50), ("25", 40), ("20", 30), ("15", 20), ("10", 10), ("0", 0)])
def test_rd_cost_bands_exact_and_one_fen_below(pct, score):
    costs = wan(1000)
    rd = int(Fraction(pct) / 100 * costs)
    assert ev_of({"rd_super": rd, "total_costs": costs}).indicators["rd_cost"].score == score
    if rd:
        assert ev_of({"rd_super": rd - 1, "total_costs": costs}).indicators["rd_cost"].score == score - 10


@pytest.mark.parametrize("c1, c2, score", [(1, 0, 30), (2, 9, 30), (0, 4, 24), (0, 5, 24), (0, 3, 18), (0, 2, 12),
                                           (0, 1, 6), (0, 0, 0)])
def test_ip_bands(c1, c2, score):
    """HS-D16: 4 Class II → 24."""
    assert ev_of(other={"ip_class1": c1, "ip_class2_sme": c2}).ip_score == score


def test_bands_come_from_the_parameter_file(params):
    t = band_table(params, "staff_bands", DAY)
    assert [b.score for b in t.bands] == [20, 16, 12, 8, 4, 0]
    assert t.bands[0].min == Fraction(3, 10) and "115号" in t.source
    assert params.value("tech_sme_pass_score", DAY) == 60


# --------------------------------------------------------------------------- T1–T4

@pytest.mark.parametrize("values, ok", [
    ({"staff_total": 500, "staff_rd": 150}, PASS), ({"staff_total": 501, "staff_rd": 150}, FAIL),
    ({"main_revenue": wan(20000), "other_revenue": 0}, PASS), ({"main_revenue": wan(20000), "other_revenue": 1}, FAIL),
    ({"total_assets": wan(20000)}, PASS), ({"total_assets": wan(20000) + 1}, FAIL),
])
def test_t2_limits_inclusive(values, ok):
    ev = ev_of(values)
    assert ev.condition("T2").status == ok
    if ok == FAIL:
        assert ev.eligible is False


def test_t2_uses_the_data_year_only():
    big = YearData(2024, "year", {"main_revenue": wan(90000), "staff_total": 900, "total_assets": wan(90000)})
    ev = tech_sme_evaluation(ledger(extra_years=(big,)), 2024)
    assert ev.condition("T2").status == PASS and ev.eligible is True
    assert "2023年度" in ev.condition("T2").text


@pytest.mark.parametrize("key, cid", [("resident", "T1"), ("not_prohibited", "T3"), ("no_misconduct", "T4")])
def test_declarations(key, cid):
    ev = ev_of(other={key: False})
    assert ev.condition(cid).status == FAIL and ev.eligible is False
    ev = ev_of(other={key: None})
    assert ev.condition(cid).status == UNKNOWN and ev.eligible is None
    assert any(f.code == "W_TECHSME_INPUT" for f in ev.findings)


def test_direct_route_needs_t1_to_t4():
    ev = ev_of({"total_assets": wan(30000)}, other={"national_award": True})
    assert ev.direct_pass == "national_award"
    assert ev.eligible is False
    assert "资产总额" in ev.verdict_text


@pytest.mark.parametrize("route", ["national_award", "provincial_lab", "led_standard"])
def test_each_direct_route(route):
    ev = ev_of({"staff_rd": 0}, other={route: True})
    assert ev.direct_pass == route and ev.eligible is True


def test_hnte_certificate_window():
    cert = dt.date(2021, 11, 15)
    ev = tech_sme_evaluation(ledger({"staff_rd": 0}, cert=cert, year=2022), 2023)
    assert ev.direct_pass == "hnte_certificate"
    ev = ev_of({"staff_rd": 0}, cert=cert)                             # 2024 = I + 3
    assert ev.direct_pass is None and "2024-11-14" in ev.routes[0].text and "到期" in ev.routes[0].text
    assert ev_of({"staff_rd": 0}, cert=cert, on=dt.date(2024, 3, 31)).direct_pass == "hnte_certificate"
    assert ev_of({"staff_rd": 0}, cert=cert, on=dt.date(2024, 11, 14)).direct_pass == "hnte_certificate"
    assert ev_of({"staff_rd": 0}, cert=cert, on=dt.date(2024, 11, 15)).direct_pass is None


# --------------------------------------------------------------------------- missing inputs → unknown

def test_missing_total_costs_uses_option_a():
    ev = ev_of({"total_costs": None})
    assert ev.indicators["rd_cost"].score is None and ev.rd_option == "sales" and ev.rd_score == 30
    assert ev.eligible is True
    assert any("成本费用支出总额未填" in n for n in ev.notes)


def test_missing_staff_is_unknown():
    ev = ev_of({"staff_rd": None})
    assert ev.staff_score is None and ev.score is None
    assert ev.condition("T5").status == UNKNOWN and ev.eligible is None
    assert ev.score_range == (48, 68)


def test_missing_rd_is_unknown():
    ev = ev_of({"rd_super": None})
    assert ev.rd_score is None and ev.rd_amount is None
    assert ev.condition("T5").status == UNKNOWN and ev.eligible is None
    assert any(f.code == "W_TECHSME_RD" for f in ev.findings)


def test_unknown_ip_but_known_part_already_passes():
    ev = ev_of({"staff_rd": 24, "rd_super": wan(60)}, other={"ip_class1": None, "ip_class2_sme": None})
    assert ev.ip_score is None and ev.score is None and ev.score_range == (70, 100)
    assert ev.condition("T5").status == PASS and ev.eligible is True


def test_unknown_cannot_reach_60_is_fail():
    ev = ev_of({"staff_rd": 8, "rd_super": 0, "total_costs": None}, other={"ip_class1": None, "ip_class2_sme": None})
    assert ev.score_range == (4, 34) and ev.condition("T5").status == FAIL and ev.eligible is False


def test_missing_data_year_row():
    lg = ledger()
    lg = Ledger(lg.profile, (), {}, (), ())
    ev = tech_sme_evaluation(lg, 2024)
    assert ev.condition("T2").status == UNKNOWN and ev.eligible is None
    assert any(f.code == "W_TECHSME_YEAR_MISSING" for f in ev.findings)


def test_blank_direct_route_flags_leave_a_failed_score_open():
    ev = ev_of({"staff_rd": 0}, other={"national_award": None})
    assert ev.condition("T5").status == FAIL
    assert ev.eligible is None
    assert any("直接认定条件未填" in n for n in ev.notes)
    assert "直接认定条件未填：近五年内获得过国家级科技奖励" in ev.verdict_text


def test_class2_fallback_flagged():
    ev = ev_of(other={"ip_class2_sme": None, "ip_class2": 2})
    assert ev.ip_score == 12 and "AI-APP-12" in ev.interpretations


# --------------------------------------------------------------------------- advisory checks (AI-23)

def test_67hao_conditions_are_gates():
    # issue 16 / law-currency (a.5): 国科火字〔2022〕67号's conditions 须同时满足 — pass / fail / unknown, never warnings
    ev = ev_of(collection="核定征收")
    assert ev.eligible is False and ev.condition("T6").status == FAIL and "核定征收" in ev.condition("T6").text
    assert ev.condition("T6").source.startswith("67号") and "AI-23" in ev.interpretations
    assert "T6" in ev.verdict_text
    ev = ev_of(industry="F5211")        # retail: negative list by industry code
    assert ev.eligible is False and ev.condition("T7").status == FAIL and "负面清单" in ev.condition("T7").text
    ev = ev_of(other={"rd_accurate": None})          # no ledger lines and nothing declared: unknown
    assert ev.condition("T6").status == UNKNOWN and ev.eligible is None
    assert any(f.code == "W_TECHSME_INPUT" and "能够准确归集研发费用" in f.message for f in ev.findings)
    ev = ev_of(other={"rd_accurate": False})
    assert ev.condition("T6").status == FAIL and ev.eligible is False
    ev = ev_of()
    assert ev.condition("T6").status == PASS and ev.condition("T7").status == PASS and ev.eligible is True


# --------------------------------------------------------------------------- distance to the next band (AI-APP-13)

def _hint(ev, indicator, option=None):
    return next(h for h in ev.next_band if h["indicator"] == indicator and (option is None or h["option"] == option))


def test_staff_hint_exact_and_minimal():
    ev = ev_of({"staff_total": 1000, "staff_rd": 113})
    h = _hint(ev, "staff")
    assert h["persons"] == 44 and h["persons_by_transfer"] == 37 and h["gain"] == 4
    assert h["text"].startswith("科技人员占比11.30%：达到15%档（+4分）需增加44名科技人员") and "转为" not in h["text"]
    assert Fraction(113 + 44, 1044) >= Fraction(15, 100) > Fraction(113 + 43, 1043)
    assert Fraction(113 + 37, 1000) >= Fraction(15, 100) > Fraction(113 + 36, 1000)


def test_rd_hint_exact_and_minimal():
    ev = ev_of({"rd_super": wan(39), "total_costs": None})
    h = _hint(ev, "rd", "sales")
    assert h["amount"] == "10000.00" and h["gain"] == 10
    assert h["text"] == "研发投入占比（研发费用/销售收入）3.90%：达到4%档需增加研发费用¥10,000.00（研发投入指标30分，+10分）"


@pytest.mark.parametrize("staff_total, staff_rd", [(7, 0), (80, 18), (333, 41), (499, 149), (1, 0), (97, 29)])
def test_staff_hint_property(staff_total, staff_rd):
    ev = ev_of({"staff_total": staff_total, "staff_rd": staff_rd})
    h = _hint(ev, "staff")
    t = Fraction(h["target"].rstrip("%")) / 100
    x, y = h["persons"], h["persons_by_transfer"]
    assert Fraction(staff_rd + x, staff_total + x) >= t
    assert x == 1 or Fraction(staff_rd + x - 1, staff_total + x - 1) < t
    assert Fraction(staff_rd + y, staff_total) >= t
    assert y == 1 or Fraction(staff_rd + y - 1, staff_total) < t
    assert h["gain"] == ev_of({"staff_total": staff_total + x, "staff_rd": staff_rd + x}).staff_score - ev.staff_score


@pytest.mark.parametrize("rd, sales, costs", [(wan(39), wan(1000), wan("262.5")), (123_457, 98_765_432, 55_555_555),
                                              (1, 10_000_001, None), (wan(42), wan(1000), wan(150))])
def test_rd_hints_property(rd, sales, costs):
    ev = ev_of({"rd_super": rd, "main_revenue": sales, "other_revenue": 0, "total_costs": costs})
    for h in (h for h in ev.next_band if h["indicator"] == "rd"):
        e = int(h["amount"].replace(".", ""))
        t = Fraction(h["target"].rstrip("%")) / 100
        if h["option"] == "sales":
            assert Fraction(rd + e, sales) >= t and (e == 1 or Fraction(rd + e - 1, sales) < t)
        else:
            assert Fraction(rd + e, costs + e) >= t and (e == 1 or Fraction(rd + e - 1, costs + e - 1) < t)
        # the R&D added also enters 成本费用支出总额 (AI-26, AI-APP-13); the gain is the actual new R&D score
        after = ev_of({"rd_super": rd + e, "main_revenue": sales, "other_revenue": 0,
                       "total_costs": None if costs is None else costs + e})
        assert after.indicators["rd_" + h["option"]].score >= ev.rd_score + 10
        assert after.rd_score == ev.rd_score + h["gain"]


def test_ip_and_score_hints():
    ev = ev_of(other={"ip_class2_sme": 2})
    assert _hint(ev, "ip", "class2")["text"] == "Ⅱ类知识产权2项：达到3项档（+6分）需再获得1项"
    assert _hint(ev, "ip", "class1")["text"] == "获得1项Ⅰ类知识产权可得30分（+18分）"
    assert _hint(ev, "score")["text"] == "综合得分54分，距60分还差6分"
    full = ev_of({"staff_rd": 24, "rd_super": wan(60)}, other={"ip_class1": 1})
    assert full.next_band == []


def test_staff_hint_from_zero_band():
    ev = ev_of({"staff_rd": 7})
    h = _hint(ev, "staff")
    assert h["target"] == "10%" and h["persons"] == 2 and h["gain"] == 4      # 8/81 < 10% ≤ 9/82
    assert h["persons_by_transfer"] == 1                                      # 8/80 = 10%


# --------------------------------------------------------------------------- R&D from the super-deduction view

def test_rd_from_a107012_row_40_through_a_workbook(tmp_path):
    from calc.superdeduction import SuperDeductionEngine
    from forms.workbook import load_ledger
    from tests.builders import build, line, other_year, profile, project, year_row, wan as bwan

    y23 = other_year(2023)
    y23.update(main_revenue=bwan(900), other_revenue=bwan(100), staff_total=80, staff_rd=18, total_assets=bwan(5000),
               total_costs=bwan("262.5"), rd_super=bwan(99))
    prof = profile(resident=True, not_prohibited=True, no_misconduct=True, ip_class1=0, ip_class2_sme=3,
                   national_award=False, provincial_lab=False, led_standard=False)
    path = build(tmp_path, prof=prof, years=[y23, year_row(2024, taxable_income=bwan(500))],
                 projects=[project("RD01"), project("WT01", form="委托研发", entrustee="某大学", entrustee_location="境内",
                                                    ownership="委托方", entrustee_related=False,
                                                    contract_no="2023640100000123")],
                 lines=[line("2023-03-31", "RD01", "R04", bwan(30)), line("2023-06-30", "WT01", "R36", bwan(15))])
    lg = load_ledger(path)
    engine = SuperDeductionEngine(lg)
    r40 = engine.compute(2023).rows["R40"]
    assert r40 == wan(42)                              # 30 + 15 × 80%
    ev = tech_sme_evaluation(lg, 2024, sd_engine=engine)
    assert ev.rd_amount == r40 and "第40行" in ev.rd_basis
    assert ev.score == 60 and ev.eligible is True
    assert any("未使用" in n for n in ev.notes)         # rd_super ignored when the ledger has the year
    assert "AI-APP-08" in ev.interpretations


def test_json_shape():
    d = ev_of().as_dict()
    for key in ("eligible", "score", "staff_score", "rd_score", "rd_option", "ip_score", "direct_pass", "conditions",
                "next_band", "interpretations", "advisories", "direct_routes", "indicators"):
        assert key in d
    assert [c["id"] for c in d["conditions"]] == ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]
    assert d["indicators"]["rd_sales"]["numerator"] == "420000.00"


def test_sample_enterprise_2024():
    from pathlib import Path

    from forms.workbook import load_ledger
    lg = load_ledger(Path(__file__).resolve().parent.parent / "resources" / "sample" / "sample_enterprise.xlsx")
    ev = tech_sme_evaluation(lg, 2024)
    assert ev.eligible is False and ev.condition("T2").status == FAIL      # 资产总额 > 2亿
    assert ev.score == 64 and ev.direct_pass == "provincial_lab"
