"""Risk screening (calc/risk.py, resources/params/risk_rules.yaml): every rule fires and does not fire, the rule
file is validated strictly, thresholds are data, and the report, statement and CLI carry the findings."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest

import main
from calc.evaluate import evaluate
from calc.model import INFO, WARNING, Finding, Ledger, Line, Profile, Project, Src, YearData
from calc.params import PARAMS_DIR, ParamError, load_params
from calc.risk import CHECKS, KINDS, SEVERITIES, RiskFinding, rules_in_force, screen
from forms.report import evaluation_json, text_summary
from forms.statement import write_statement
from forms.workbook import load_ledger

P = load_params()
SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "sample" / "sample_enterprise.xlsx"
AMOUNT_FIELDS = {"main_revenue", "other_revenue", "total_income", "nontaxable_income", "investment_income",
                 "negative_list_revenue", "manufacturing_revenue", "rd_super", "rd_hnte"}


# --------------------------------------------------------------------------- small ledgers

def fen(yuan) -> int:
    return int(Decimal(str(yuan)) * 100)


def proj(no, form="自主研发", ledger_type="费用化", **kw) -> Project:
    return Project(no, kw.pop("name", f"项目{no}"), form, ledger_type, **kw)


def ln(date, project_no, code, yuan, **kw) -> Line:
    return Line(0, dt.date.fromisoformat(date), project_no, code, fen(yuan), **kw)


def yr(year, **values) -> YearData:
    return YearData(year, values={k: fen(v) if k in AMOUNT_FIELDS else v for k, v in values.items()})


def ledger(projects=(), lines=(), years=(), industry="C3981") -> Ledger:
    projects = [replace(p, src=Src("研发项目", i + 2)) for i, p in enumerate(projects)]
    lines = tuple(replace(l, id=i, src=Src("研发支出", i + 2)) for i, l in enumerate(lines))
    years = tuple(replace(y, src=Src("年度数据", i + 2)) for i, y in enumerate(years))
    prof = Profile(name="测试企业有限公司", industry_code=industry, rows={"industry_code": 4})
    return Ledger(prof, years, {p.project_no: p for p in projects}, lines, ())


def run(led: Ledger, rule: str, year: int = 2024, params=None, **kw) -> list[RiskFinding]:
    found = screen(led, year, params or P, only=[rule], **kw)
    assert all(f.rule_id == rule for f in found)
    return list(found)


def fires(led, rule, year=2024, **kw) -> RiskFinding:
    found = run(led, rule, year, **kw)
    assert found, f"{rule} should fire"
    f = found[0]
    assert f.message and f.why and f.evidence and f.title and f.basis
    return f


def quiet(led, rule, year=2024, **kw) -> None:
    assert run(led, rule, year, **kw) == [], f"{rule} should not fire"


RD = proj("RD01")


# --------------------------------------------------------------------------- the rule set

def test_at_least_fifteen_rules_every_kind_implemented():
    rules = rules_in_force(P, 2024)
    assert len(rules) >= 15
    assert set(CHECKS) == set(KINDS)
    assert {r.kind for r in P.parsed["risk_rules"]} == set(KINDS)          # every check is used by a rule
    ids = [r.id for r in rules]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    for r in rules:
        assert r.severity in SEVERITIES and r.why and r.evidence and r.source in P.sources
        for p in r.params.values():
            assert p.source in P.sources and p.why


def test_rules_are_dated():
    ids = lambda y: {r.id for r in rules_in_force(P, y)}                  # noqa: E731
    assert "RISK-15" in ids(2018) and "RISK-15" not in ids(2017)          # 64号 from 2018
    assert "RISK-01" in ids(2016)


# --------------------------------------------------------------------------- each rule: fires / does not fire

def test_risk01_staff_cost_share():
    f = fires(ledger([RD], [ln("2024-03-01", "RD01", "R04", 900000), ln("2024-03-01", "RD01", "R08", 100000)]), "RISK-01")
    assert "90.00%" in f.message and "80.00%" in f.message and f.locations == (Src("研发项目", 2),)
    quiet(ledger([RD], [ln("2024-03-01", "RD01", "R04", 500000), ln("2024-03-01", "RD01", "R08", 500000)]), "RISK-01")
    quiet(ledger([RD], [ln("2024-03-01", "RD01", "R04", 100000)]), "RISK-01")                  # below the base


def load(month="2024-03", rd=180, total=200, limit=176):
    return SimpleNamespace(person_id="E01", name="张三", month=month, rd_hours=Fraction(rd), total_hours=Fraction(total),
                           limit_hours=Fraction(limit), src=Src("工时", 5))


def test_risk02_person_over_100_percent():
    led = ledger([RD], [ln("2024-03-01", "RD01", "R04", 10000)])
    f = fires(led, "RISK-02", person_loads=[load()])
    assert "张三" in f.message and "2024-03" in f.message and f.severity == "高风险" and f.locations == (Src("工时", 5),)
    assert "研发工时" in fires(led, "RISK-02", person_loads=[load(rd=190, total=170)]).message
    quiet(led, "RISK-02", person_loads=[load(rd=150, total=170)])
    quiet(led, "RISK-02", person_loads=[load(month="2023-03")])            # another year
    quiet(led, "RISK-02")                                                   # no timesheets


def test_risk03_line_outside_project_period():
    p = proj("RD01", start=dt.date(2024, 3, 1), end=dt.date(2024, 10, 31))
    f = fires(ledger([p], [ln("2024-11-15", "RD01", "R08", 1000), ln("2024-05-01", "RD01", "R08", 2000)]), "RISK-03")
    assert f.locations == (Src("研发支出", 2),) and f.column == "日期" and "2024-11-15" in f.message
    assert f.finding.row == 2 and f.finding.column == "日期"
    quiet(ledger([p], [ln("2024-05-01", "RD01", "R08", 2000)]), "RISK-03")


def test_risk04_material_share_jump():
    prev = [ln("2023-05-01", "RD01", "R04", 800000), ln("2023-05-01", "RD01", "R08", 200000)]
    f = fires(ledger([RD], prev + [ln("2024-05-01", "RD01", "R04", 400000), ln("2024-05-01", "RD01", "R08", 600000)]),
              "RISK-04")
    assert "20.00%" in f.message and "60.00%" in f.message
    quiet(ledger([RD], prev + [ln("2024-05-01", "RD01", "R04", 750000), ln("2024-05-01", "RD01", "R08", 250000)]), "RISK-04")
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R08", 600000)]), "RISK-04")          # no previous year


def entrusted(no="WT01", related=True, contract="2024640100000001", where="境内", form="委托研发"):
    return proj(no, form=form, entrustee="某研究院", entrustee_related=related, entrustee_location=where,
                contract_no=contract, ownership="委托方")


def test_risk05_related_entrustee_without_contract():
    f = fires(ledger([entrusted(contract=None)], [ln("2024-05-01", "WT01", "R36", 300000)]), "RISK-05")
    assert f.severity == "高风险" and f.column == "技术合同登记号" and f.locations == (Src("研发项目", 2),)
    quiet(ledger([entrusted()], [ln("2024-05-01", "WT01", "R36", 300000)]), "RISK-05")
    quiet(ledger([entrusted(related=False, contract=None)], [ln("2024-05-01", "WT01", "R36", 300000)]), "RISK-05")


def test_risk06_negative_list_industry():
    lines = [ln("2024-05-01", "RD01", "R04", 300000)]
    f = fires(ledger([RD], lines, industry="F5123"), "RISK-06")
    assert "F5123" in f.message and f.locations == (Src("企业信息", 4),)
    near = yr(2024, total_income=10000000, negative_list_revenue=4500000, nontaxable_income=0, investment_income=0)
    f = fires(ledger([RD], lines, [near]), "RISK-06")
    assert "45.00%" in f.message and f.column == "负面清单行业收入"
    far = yr(2024, total_income=10000000, negative_list_revenue=1000000, nontaxable_income=0, investment_income=0)
    quiet(ledger([RD], lines, [far]), "RISK-06")
    quiet(ledger([RD], [], industry="F5123"), "RISK-06")                     # no R&D claimed that year


def test_risk07_capitalised_project_without_formation_date():
    done = proj("ZB01", ledger_type="资本化", status="已结束", start=dt.date(2023, 1, 1), end=dt.date(2024, 6, 30))
    lines = [ln("2024-03-01", "ZB01", "R04", 100000)]
    f = fires(ledger([done], lines), "RISK-07")
    assert f.column == "无形资产形成日期" and "¥100,000.00" in f.message
    quiet(ledger([replace(done, ia_date=dt.date(2024, 6, 30), ia_years=10)], lines), "RISK-07")
    running = replace(done, status="未结束", end=dt.date(2025, 12, 31))
    quiet(ledger([running], lines), "RISK-07")


def test_risk08_other_costs_far_over_the_cap():
    f = fires(ledger([RD], [ln("2024-05-01", "RD01", "R04", 100000), ln("2024-05-01", "RD01", "R29", 50000)]), "RISK-08")
    assert "¥50,000.00" in f.message and "¥11,111.11" in f.message and f.locations == (Src("研发支出", 3),)
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R04", 100000), ln("2024-05-01", "RD01", "R29", 11500)]), "RISK-08")
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R04", 100000), ln("2024-05-01", "RD01", "R29", 5000)]), "RISK-08")


def test_risk09_production_keywords_in_summaries():
    lines = [ln("2024-05-01", "RD01", "R08", 3000, summary="领用批量生产用外壳"),
             ln("2024-05-02", "RD01", "R14", 800, summary="售后返修工时"),
             ln("2024-05-03", "RD01", "R08", 900, summary="领用芯片")]
    f = fires(ledger([RD], lines), "RISK-09")
    assert f.locations == (Src("研发支出", 2), Src("研发支出", 3)) and f.column == "摘要"
    assert "批量" in f.message and "售后" in f.message and "返修" in f.message
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R08", 3000, summary="试生产阶段领用材料"),
                        ln("2024-05-02", "RD01", "R14", 800, summary="研发设备维修费-真空泵")]), "RISK-09")


def test_risk10_project_without_staff_cost():
    f = fires(ledger([RD], [ln("2024-05-01", "RD01", "R08", 100000)]), "RISK-10")
    assert "RD01" in f.message and f.locations == (Src("研发项目", 2),)
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R08", 100000), ln("2024-05-01", "RD01", "R04", 1000)]), "RISK-10")
    quiet(ledger([entrusted()], [ln("2024-05-01", "WT01", "R36", 100000)]), "RISK-10")    # entrusted project
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R08", 10000)]), "RISK-10")                # small


def test_risk11_rd_ratio_jump():
    years = [yr(2023, main_revenue=10000000, other_revenue=0), yr(2024, main_revenue=10000000, other_revenue=0)]
    f = fires(ledger([RD], [ln("2023-05-01", "RD01", "R04", 200000), ln("2024-05-01", "RD01", "R04", 500000)], years),
              "RISK-11")
    assert "2.00%" in f.message and "5.00%" in f.message and f.locations == (Src("年度数据", 3),)
    quiet(ledger([RD], [ln("2023-05-01", "RD01", "R04", 200000), ln("2024-05-01", "RD01", "R04", 250000)], years), "RISK-11")
    # previous year without lines: its 研发费用 of 年度数据 (AI-RISK-04)
    years2 = [yr(2023, main_revenue=10000000, rd_super=450000), years[1]]
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R04", 500000)], years2), "RISK-11")


def test_risk12_duplicate_voucher_across_projects():
    two = [RD, proj("RD02")]
    f = fires(ledger(two, [ln("2024-05-01", "RD01", "R08", 5000, voucher_no="记-0001"),
                           ln("2024-05-01", "RD02", "R08", 5000, voucher_no="记-0001")]), "RISK-12")
    assert "RD01、RD02" in f.message and len(f.locations) == 2
    quiet(ledger(two, [ln("2024-05-01", "RD01", "R08", 5000, voucher_no="记-0001"),
                       ln("2024-05-01", "RD02", "R08", 3000, voucher_no="记-0001")]), "RISK-12")
    quiet(ledger(two, [ln("2024-05-01", "RD01", "R08", 5000, voucher_no="记-0001"),
                       ln("2024-05-01", "RD01", "R08", 5000, voucher_no="记-0001")]), "RISK-12")


def test_risk13_year_end_concentration():
    f = fires(ledger([RD], [ln("2024-05-01", "RD01", "R04", 150000), ln("2024-12-20", "RD01", "R08", 150000)]), "RISK-13")
    assert "50.00%" in f.message and f.locations == (Src("研发支出", 3),)
    quiet(ledger([RD], [ln(f"2024-{m:02d}-15", "RD01", "R04", 25000) for m in range(1, 13)]), "RISK-13")


def test_risk14_round_amounts():
    lines = [ln("2024-05-01", "RD01", "R08", 20000) for _ in range(5)] + \
            [ln("2024-05-01", "RD01", "R08", "1234.56") for _ in range(5)]
    f = fires(ledger([RD], lines), "RISK-14")
    assert "10行中有5行" in f.message and len(f.locations) == 5
    lines = [ln("2024-05-01", "RD01", "R08", 20000) for _ in range(2)] + \
            [ln("2024-05-01", "RD01", "R08", "1234.56") for _ in range(8)]
    quiet(ledger([RD], lines), "RISK-14")
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R04", 20000) for _ in range(10)]), "RISK-14")   # staff not screened


def test_risk15_overseas_over_two_thirds():
    abroad = entrusted("JW01", related=False, where="境外")
    f = fires(ledger([RD, abroad], [ln("2024-05-01", "RD01", "R04", 100000), ln("2024-05-01", "JW01", "R37", 200000)]),
              "RISK-15")
    assert "¥160,000.00" in f.message and "¥66,666.67" in f.message and f.locations == (Src("研发支出", 3),)
    quiet(ledger([RD, abroad], [ln("2024-05-01", "RD01", "R04", 100000), ln("2024-05-01", "JW01", "R37", 50000)]),
          "RISK-15")


def test_risk16_nontaxable_income_without_grant_lines():
    lines = [ln("2024-05-01", "RD01", "R04", 100000)]
    f = fires(ledger([RD], lines, [yr(2024, nontaxable_income=100000)]), "RISK-16")
    assert "¥100,000.00" in f.message and f.column == "不征税收入" and f.locations == (Src("年度数据", 2),)
    grant = lines + [ln("2024-06-01", "RD01", "R08", 50000, funding="财政资金（不征税）")]
    quiet(ledger([RD], grant, [yr(2024, nontaxable_income=100000)]), "RISK-16")
    quiet(ledger([RD], lines, [yr(2024, nontaxable_income=0)]), "RISK-16")


def test_risk17_overseas_individual():
    person = proj("GR01", form="委托研发", entrustee="Dr. X", entrustee_location="境外", contract_no="1")
    f = fires(ledger([person], [ln("2024-05-01", "GR01", "R39", 68500)]), "RISK-17")
    assert "Dr. X" in f.message and "¥68,500.00" in f.message
    quiet(ledger([person], [ln("2024-05-01", "GR01", "R37", 68500)]), "RISK-17")
    quiet(ledger([person], [ln("2017-05-01", "GR01", "R39", 68500)]), "RISK-17", year=2017)      # before 64号


def test_risk18_entrusted_code_does_not_match_location():
    f = fires(ledger([entrusted(where="境外")], [ln("2024-05-01", "WT01", "R36", 100000)]), "RISK-18")
    assert "R36" in f.message and "境外" in f.message
    fires(ledger([entrusted(where="境内")], [ln("2024-05-01", "WT01", "R37", 100000)]), "RISK-18")
    quiet(ledger([entrusted(where="境内")], [ln("2024-05-01", "WT01", "R36", 100000)]), "RISK-18")


def test_risk19_rd_implausible_against_revenue():
    lines = [ln("2024-05-01", "RD01", "R04", 600000)]
    f = fires(ledger([RD], lines, [yr(2024, main_revenue=1000000, other_revenue=0)]), "RISK-19")
    assert "60.00%" in f.message
    fires(ledger([RD], lines, [yr(2024, main_revenue=0, other_revenue=0)]), "RISK-19")
    quiet(ledger([RD], lines, [yr(2024, main_revenue=10000000, other_revenue=0)]), "RISK-19")
    quiet(ledger([RD], lines, [yr(2024, staff_total=10)]), "RISK-19")                         # revenue not given


def test_risk20_staff_cost_per_head():
    lines = [ln("2024-05-01", "RD01", "R04", 1000000)]
    assert "高于" in fires(ledger([RD], lines, [yr(2024, staff_rd=1)]), "RISK-20").message
    assert "低于" in fires(ledger([RD], lines, [yr(2024, staff_rd=100)]), "RISK-20").message
    quiet(ledger([RD], lines, [yr(2024, staff_rd=10)]), "RISK-20")
    quiet(ledger([RD], lines), "RISK-20")                                                     # no headcount


def test_risk21_ia_amortisation_years():
    cap = proj("ZB01", ledger_type="资本化", status="已结束", ia_date=dt.date(2024, 5, 1), ia_years=5)
    f = fires(ledger([cap], [ln("2024-03-01", "ZB01", "R04", 100000)]), "RISK-21")
    assert "5年" in f.message and f.column == "摊销年限"
    quiet(ledger([replace(cap, ia_years=10)], [ln("2024-03-01", "ZB01", "R04", 100000)]), "RISK-21")
    quiet(ledger([replace(cap, ia_date=dt.date(2025, 5, 1))], [ln("2024-03-01", "ZB01", "R04", 100000)]), "RISK-21")


def hnte(value, status="pass", threshold="0.04"):
    cond = SimpleNamespace(status=status, value=Fraction(value), threshold=Fraction(threshold))
    return SimpleNamespace(condition=lambda cid: cond)


def test_risk22_rd_ratio_just_above_the_hnte_threshold():
    led = ledger([RD], [ln("2024-05-01", "RD01", "R04", 100000)], [yr(2024, main_revenue=2500000)])
    f = fires(led, "RISK-22", hnte=hnte("0.041"))
    assert "4.10%" in f.message and "0.100" in f.message
    quiet(led, "RISK-22", hnte=hnte("0.05"))
    quiet(led, "RISK-22", hnte=hnte("0.039", status="fail"))


def test_risk22_with_the_real_hnte_engine():
    # three years at 4.1% of sales (≤ 5,000万元: threshold 5%) fail; at 5.1% … just above 5%
    years = [yr(y, main_revenue=10000000, other_revenue=0, total_income=10000000) for y in (2022, 2023, 2024)]
    lines = [ln(f"{y}-05-01", "RD01", "R04", 510000) for y in (2022, 2023, 2024)]
    f = fires(ledger([RD], lines, years), "RISK-22")
    assert "5.10%" in f.message
    lines = [ln(f"{y}-05-01", "RD01", "R04", 700000) for y in (2022, 2023, 2024)]
    quiet(ledger([RD], lines, years), "RISK-22")


def test_risk23_related_entrustee():
    f = fires(ledger([entrusted()], [ln("2024-05-01", "WT01", "R36", 300000)]), "RISK-23")
    assert "某研究院" in f.message and f.column == "受托方是否关联方"
    quiet(ledger([entrusted(related=False)], [ln("2024-05-01", "WT01", "R36", 300000)]), "RISK-23")
    quiet(ledger([entrusted()], [ln("2023-05-01", "WT01", "R36", 300000)]), "RISK-23")       # nothing this year


def test_risk24_collective_rd():
    f = fires(ledger([proj("JZ01", form="集中研发")], [ln("2024-05-01", "JZ01", "R04", 300000)]), "RISK-24")
    assert "JZ01" in f.message
    quiet(ledger([RD], [ln("2024-05-01", "RD01", "R04", 300000)]), "RISK-24")


def test_risk25_summary_names_another_year():
    lines = [ln("2024-01-10", "RD01", "R04", 30000, summary="补记2023年12月研发人员工资"),
             ln("2024-02-10", "RD01", "R04", 30000, summary="计提2月研发人员工资")]
    f = fires(ledger([RD], lines), "RISK-25")
    assert "2023年" in f.message and f.locations == (Src("研发支出", 2),) and f.column == "摘要"
    quiet(ledger([RD], [ln("2024-01-10", "RD01", "R04", 30000, summary="2024年1月研发人员工资"),
                        ln("2024-02-10", "RD01", "R04", 30000, summary="计提2月研发人员工资")]), "RISK-25")
    quiet(ledger([RD], [ln("2024-01-10", "RD01", "R31", 3000, summary="支付2023年、2024年专利年费")]), "RISK-25")


# --------------------------------------------------------------------------- the finding record

def test_risk_finding_as_finding_and_json():
    f = fires(ledger([RD], [ln("2024-05-01", "RD01", "R08", 3000, summary="量产领料"),
                            ln("2024-05-02", "RD01", "R08", 3000, summary="量产领料")]), "RISK-09")
    g = f.finding
    assert isinstance(g, Finding) and g.code == "RISK-09" and g.severity == WARNING
    assert (g.sheet, g.row, g.column) == ("研发支出", 2, "摘要") and "【关注】" in g.message
    assert [x.row for x in f.location_findings()] == [2, 3]
    assert f.where == "研发支出!第2行 等2处"
    d = f.as_dict()
    assert d["id"] == "RISK-09" and d["level"] == "warning" and d["location_count"] == 2
    assert d["locations"][0] == {"sheet": "研发支出", "row": 2} and d["why"] and d["evidence"]
    assert "119号" in d["basis"] or "研究开发费用" in d["basis"]
    info = fires(ledger([proj("JZ01", form="集中研发")], [ln("2024-05-01", "JZ01", "R04", 1)]), "RISK-24")
    assert info.finding.severity == INFO


def test_screen_orders_by_severity_and_computes_missing_parts():
    led = ledger([entrusted(contract=None), proj("JZ01", form="集中研发")],
                 [ln("2024-05-01", "WT01", "R36", 300000), ln("2024-05-01", "JZ01", "R04", 300000)])
    found = screen(led, 2024, P)                 # no sd / hnte given: computed when needed
    levels = [f.severity for f in found]
    assert levels == sorted(levels, key=["高风险", "关注", "提示"].index)
    assert {"RISK-05", "RISK-24"} <= {f.rule_id for f in found}


# --------------------------------------------------------------------------- the rule file

def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "params"
    d.mkdir()
    for p in PARAMS_DIR.iterdir():
        if p.suffix in (".yaml", ".csv"):
            shutil.copy(p, d / p.name)
    return d


def _edit(tmp_path: Path, old: str, new: str) -> Path:
    d = _copy(tmp_path)
    path = d / "risk_rules.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return d


def _error(d: Path, key_part: str) -> ParamError:
    with pytest.raises(ParamError) as info:
        load_params(d)
    err = info.value
    assert err.file == "risk_rules.yaml" and key_part in err.key, (err.key, str(err))
    assert "risk_rules.yaml" in str(err)
    return err


def test_threshold_change_is_a_data_change(tmp_path):
    led = ledger([RD], [ln("2024-03-01", "RD01", "R04", 900000), ln("2024-03-01", "RD01", "R08", 100000)])
    assert run(led, "RISK-01")
    d = _edit(tmp_path, 'max_share:    {value: "0.80"', 'max_share:    {value: "0.95"')
    assert run(led, "RISK-01", params=load_params(d)) == []


def test_rule_validity_dates_from_the_file(tmp_path):
    d = _edit(tmp_path, "kind: staff_cost_share\n      severity: 关注\n      from: 2016-01-01\n      to: null",
              "kind: staff_cost_share\n      severity: 关注\n      from: 2016-01-01\n      to: 2020-12-31")
    params = load_params(d)
    assert "RISK-01" not in {r.id for r in rules_in_force(params, 2024)}
    assert "RISK-01" in {r.id for r in rules_in_force(params, 2020)}


@pytest.mark.parametrize("old,new,key", [
    ("kind: staff_cost_share", "kind: martian_check", "RISK-01).kind"),
    ("severity: 高风险\n      from: 2016-01-01\n      to: null\n      source: \"40号\"",
     "severity: 严重\n      from: 2016-01-01\n      to: null\n      source: \"40号\"", "RISK-02).severity"),
    ('max_share:    {value: "0.80"', "max_share:    {value: 0.80", "rules[0].params.max_share.value"),   # float
    ('max_share:    {value: "0.80"', 'max_share:    {value: "abc"', "RISK-01).params.max_share.value"),
    ('max_share:    {value: "0.80"', 'max_shares:   {value: "0.80"', "RISK-01).params.max_shares"),
    ('min_base_yuan: {value: "200000", source: "风险扫描实务", why: "研发费用规模过小时比例不具代表性，不作筛查"}', "",
     "RISK-01).params.min_base_yuan"),
    ('min_base_yuan: {value: "200000", source: "风险扫描实务", why: "研发费用规模过小时比例不具代表性，不作筛查"}',
     'min_base_yuan: {value: "200000", source: "风险扫描实务"}', "RISK-01).params.min_base_yuan.why"),
    ('min_base_yuan: {value: "200000", source: "风险扫描实务"', 'min_base_yuan: {value: "200000", source: "拍脑袋"',
     "RISK-01).params.min_base_yuan.source"),
    ("      why: 人员人工费用仅限直接从事研发活动人员；", "      whyy: 人员人工费用仅限直接从事研发活动人员；", "whyy"),
    ("      evidence: 研发人员名单（岗位", "      evidenc: 研发人员名单（岗位", "evidenc"),
    ("      evidence: 研发人员名单（岗位、学历、所属项目）、劳动合同或劳务合同、工资表与个税扣缴明细、研发工时记录及分配计算表、研发部门组织架构。\n", "",
     "RISK-01).evidence"),
    ("interpretations: [AI-RISK-01, AI-RISK-02]\n      params:\n        max_share",
     "interpretations: [AI-NOPE]\n      params:\n        max_share", "RISK-01).interpretations"),
    ("- id: RISK-02", "- id: R2", "tables.rules[1].id"),
    ('source: "40号"\n      ref: "一"\n      interpretations: [AI-RISK-01, AI-RISK-02]',
     'source: "4O号"\n      ref: "一"\n      interpretations: [AI-RISK-01, AI-RISK-02]', "RISK-01).source"),
])
def test_malformed_rule_file_rejected(tmp_path, old, new, key):
    _error(_edit(tmp_path, old, new), key)


def test_heuristic_threshold_needs_an_adopted_interpretation(tmp_path):
    d = _edit(tmp_path, "interpretations: [AI-RISK-01, AI-RISK-02]\n      params:\n        max_share",
              "interpretations: []\n      params:\n        max_share")
    _error(d, "RISK-01).params.max_share.source")


def test_overlapping_versions_of_one_rule_rejected(tmp_path):
    d = _copy(tmp_path)
    path = d / "risk_rules.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    - id: RISK-24")
    path.write_text(text + "\n" + text[start:].replace("from: 2016-01-01", "from: 2020-01-01"), encoding="utf-8")
    _error(d, "RISK-24")


# --------------------------------------------------------------------------- the sample and the outputs

@pytest.fixture(scope="module")
def sample_ev():
    return evaluate(load_ledger(SAMPLE), 2024)


def test_sample_enterprise_shows_several_risks(sample_ev):
    ids = [r.rule_id for r in sample_ev.risks]
    assert len(ids) >= 3
    assert {"RISK-03", "RISK-17", "RISK-23"} <= set(ids)
    assert "AI-RISK-02" in sample_ev.interpretations
    assert sample_ev.has_errors is False


def test_report_json_and_text_carry_the_risks(sample_ev):
    doc = evaluation_json(sample_ev)
    assert [r["id"] for r in doc["risks"]] == [r.rule_id for r in sample_ev.risks]
    assert all(r["why"] and r["evidence"] and r["locations"] for r in doc["risks"])
    assert "findings" in doc and "RISK-03" not in {f["code"] for f in doc["findings"]}     # existing key unchanged
    json.dumps(doc, ensure_ascii=False)
    text = text_summary(sample_ev)
    assert "风险提示" in text and "RISK-17" in text and "留存资料" in text


def test_cli_compute_mentions_the_risks(capsys):
    assert main.main(["compute", str(SAMPLE), "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "风险提示" in out and "RISK-03" in out
    assert main.main(["compute", str(SAMPLE), "--year", "2024", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["risks"] and doc["risks"][0]["id"].startswith("RISK-")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_statement_has_the_risk_section(sample_ev, tmp_path):
    path = tmp_path / "s.pdf"
    write_statement(sample_ev, path, issued=dt.date(2025, 3, 1), appendix=True)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "税务风险提示（详细）" in text and "为何关注" in text and "留存资料" in text and "RISK-17" in text


def test_screen_on_odd_ledgers_does_not_fail():
    odd = [ledger(),
           ledger([RD], [ln("2024-05-01", "XX99", "R04", 1000), ln("2024-05-01", "RD01", "NE99", -500)]),
           ledger([proj("ZB01", ledger_type="资本化", status="已结束")], [ln("2024-05-01", "ZB01", "R04", 0)],
                  [yr(2024, main_revenue=0, staff_rd=0, nontaxable_income=5)]),
           ledger([RD], [ln("2024-05-01", "RD01", "R04", 10 ** 17)])]           # beyond int64 sums: object columns
    for led in odd:
        for year in (2015, 2024):
            found = screen(led, year, P, person_loads=[load(limit=0)])
            assert all(isinstance(f, RiskFinding) for f in found)
