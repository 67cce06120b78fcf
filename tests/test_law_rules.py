"""Missing and wrong rules of issue 16: 企业投入基础研究支出 (2022年第32号), 科技型中小企业 entry conditions
(国科火字〔2022〕67号), the basis of the 120% confirmation (2023年第44号 and the annual lists), the caliber-gap risk rule."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction
import shutil
import subprocess

import pytest

from calc.evaluate import evaluate
from calc.money import yuan_to_fen as Y
from calc.params import load_params
from calc.quick import QuickInput, ledger_from_quick
from forms.report import evaluation_json, text_summary
from forms.statement import write_statement
from forms.workbook import load_ledger
from tests.builders import build, evaluate_workbook, line, other_year, profile, project, year_row

P = load_params()


def _pdf_text(path) -> str:
    """The PDF's text without whitespace (table cells wrap)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


def _br_year(year, amount, **kw):
    row = other_year(year)
    row.update(year_row(year, taxable_income=5_000_000, basic_research=amount, **kw))
    row.update({k: v for k, v in other_year(year).items() if k not in row})
    return row


# ---- 企业投入基础研究支出 ------------------------------------------------------------------------------

def test_basic_research_worked_example(tmp_path):
    # No published worked example was found; derived by hand from 2022年第32号 一 ("按实际发生额在税前扣除，并可按100%
    # 在税前加计扣除"): 2024, R&D staff cost 1,000,000.00 (X = 100%, 2023年第7号) → R&D extra 1,000,000.00; 出资给高等学校
    # 用于基础研究 300,000.00 → extra 300,000.00. Taxable income before both 5,000,000.00 → with both 3,700,000.00,
    # tax at 25%: 1,250,000.00 − 925,000.00 = saving 325,000.00 = (1,000,000 + 300,000) × 25%.
    path = build(tmp_path, prof=profile(industry_code="I6513"), years=[_br_year(2024, 300_000)],
                 projects=[project("P")], lines=[line("2024-03-01", "P", "R04", 1_000_000)])
    ev = evaluate_workbook(path, 2024)
    br = ev.basic_research
    assert br.amount == Y("300000") and br.extra == Y("300000")
    assert ev.sd.extra_deduction == Y("1000000")            # A107012 unchanged: basic research is not on it
    assert ev.tax.with_.taxable_income == Y("3700000")
    assert ev.tax.tax_saved == Y("325000")
    assert "AI-APP-30" in ev.interpretations
    t = br.trace
    assert "2022年第32号" in t.params[0][2] and t.value == Y("300000")
    doc = evaluation_json(ev, P)["basic_research"]
    assert doc["extra_deduction"] == "300000.00" and doc["rate"] == "1.00"
    assert "企业投入基础研究支出加计扣除额" in text_summary(ev, P)


def test_basic_research_odd_amount_rounds_once(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="I6513"), years=[_br_year(2023, "12345.67")],
                 projects=[project("P")], lines=[line("2023-03-01", "P", "R04", 100_000)])
    ev = evaluate_workbook(path, 2023)
    assert ev.basic_research.extra == Y("12345.67")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_basic_research_on_the_statement(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="I6513"), years=[_br_year(2024, 300_000)],
                 projects=[project("P")], lines=[line("2024-03-01", "P", "R04", 1_000_000)])
    ev = evaluate(load_ledger(path), 2024)
    out = tmp_path / "s.pdf"
    write_statement(ev, out, issued=dt.date(2026, 12, 7))
    text = _pdf_text(out)                                  # page 1: the saving of both deductions, with the basis
    assert "企业投入基础研究支出再加计扣除¥300,000.00" in text and "325,000.00" in text and "2022年第32号" in text
    write_statement(ev, out, issued=dt.date(2026, 12, 7), appendix=True)
    text = _pdf_text(out)                                  # appendix: the computation and where it is filed
    assert "企业投入基础研究支出加计扣除" in text and "300,000.00" in text and "不填入A107012" in text
    assert "优惠事项" in text


def test_basic_research_before_2022_prepayment_and_assessed_collection(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="I6513"), years=[_br_year(2021, 300_000)],
                 projects=[project("P")], lines=[line("2021-03-01", "P", "R04", 100_000)])
    ev = evaluate_workbook(path, 2021)
    assert ev.basic_research is None and any(f.code == "W_BASIC_RESEARCH" and "2022年1月1日" in f.message
                                             for f in ev.findings)
    path = build(tmp_path, prof=profile(industry_code="I6513", collection="核定征收"), years=[_br_year(2024, 300_000)],
                 projects=[project("P")], lines=[line("2024-03-01", "P", "R04", 100_000)])
    ev = evaluate_workbook(path, 2024)
    assert ev.basic_research is None and any(f.code == "W_BASIC_RESEARCH" for f in ev.findings)


def test_basic_research_for_a_negative_list_enterprise(tmp_path):
    # 2022年第32号 sets no industry limit: a 批发零售 enterprise gets no R&D deduction but the basic-research one
    row = _br_year(2024, 200_000)
    row["negative_list_revenue"] = row["total_income"]
    path = build(tmp_path, prof=profile(industry_code="F5131"), years=[row],
                 projects=[project("P")], lines=[line("2024-03-01", "P", "R04", 100_000)])
    ev = evaluate_workbook(path, 2024)
    assert not ev.sd.eligible and ev.basic_research.extra == Y("200000")
    assert ev.tax.tax_saved == Y("50000")


def test_basic_research_in_the_quick_estimate():
    q = QuickInput(year=2024, industry_code="I6513", staff=Y("1000000"), taxable_income=Y("5000000"),
                   basic_research=Y("300000"))
    ev = evaluate(ledger_from_quick(q), 2024)
    assert ev.basic_research.extra == Y("300000") and ev.tax.tax_saved == Y("325000")


def test_basic_research_parameter_is_dated_with_its_source():
    e = P.at("basic_research_rate", dt.date(2022, 1, 1))
    assert e.fraction == 1 and e.source.key == "2022年第32号" and e.source.ref == "一"
    assert P.maybe_at("basic_research_rate", dt.date(2021, 12, 31)) is None


# ---- 集成电路 / 工业母机 120%: the confirmation cites its basis ----------------------------------------------

@pytest.mark.parametrize("year, doc", [(2025, "发改高技〔2025〕385号"), (2024, "2023年第44号"), (2026, "2023年第44号")])
def test_120_confirmation_cites_its_basis(tmp_path, year, doc):
    path = build(tmp_path, prof=profile(industry_code="C3973", ic_or_machine_tool=True,
                                        ic_basis="列入2025年度集成电路企业清单（设计企业）"),
                 years=[other_year(year)], projects=[project("P")], lines=[line(f"{year}-03-01", "P", "R04", 100_000)])
    ev = evaluate_workbook(path, year)
    assert ev.sd.rate == Fraction(6, 5) and ev.sd.rows["R51"] == Y("120000")
    text = ev.sd.confirmation
    assert "企业确认" in text and "列入2025年度集成电路企业清单（设计企业）" in text and doc in text
    assert evaluation_json(ev, P)["super_deduction"]["rate_confirmation"] == text
    assert text in text_summary(ev, P)
    assert not any(f.code == "W_IC_BASIS" for f in ev.findings)


def test_120_without_a_basis_is_flagged(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="C3973", ic_or_machine_tool=True),
                 years=[other_year(2025)], projects=[project("P")], lines=[line("2025-03-01", "P", "R04", 100_000)])
    ev = evaluate_workbook(path, 2025)
    assert ev.sd.rate == Fraction(6, 5) and "认定依据：未填写" in ev.sd.confirmation
    assert any(f.code == "W_IC_BASIS" and "发改高技〔2025〕385号" in f.message for f in ev.findings)


def test_no_confirmation_text_at_100(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="I6513"), years=[other_year(2025)], projects=[project("P")],
                 lines=[line("2025-03-01", "P", "R04", 100_000)])
    assert evaluate_workbook(path, 2025).sd.confirmation == ""


# ---- caliber-gap risk rule (heuristic) ------------------------------------------------------------------------

def _gap_ledger(tmp_path, grant):
    # a grant-funded line counts in the HNTE caliber (AI-APP-22) but never in the super-deduction caliber
    return build(tmp_path, prof=profile(industry_code="I6513"), years=[other_year(2024)], projects=[project("P")],
                 lines=[line("2024-03-01", "P", "R04", 1_000_000),
                        line("2024-04-01", "P", "R08", grant, funding="财政资金（不征税）")])


def test_caliber_gap_rule_fires_above_the_threshold(tmp_path):
    ev = evaluate_workbook(_gap_ledger(tmp_path, 600_000), 2024)
    hit = [r for r in ev.risks if r.rule_id == "RISK-26"]
    assert len(hit) == 1
    msg = hit[0].message
    assert "1,600,000.00" in msg and "1,000,000.00" in msg and "60%" in msg and "经验阈值" in msg
    rule = next(r for r in load_params().parsed["risk_rules"] if r.id == "RISK-26")
    assert all(p.source == "风险扫描实务" for p in rule.params.values())          # heuristic, marked as such
    assert "AI-RISK-01" in rule.interpretations


@pytest.mark.parametrize("grant", [250_000, 400_000])
def test_caliber_gap_rule_is_quiet_below(tmp_path, grant):
    # 250,000: 25% ≤ 30%; 400,000: 40% but the gap is under the 500,000 floor
    ev = evaluate_workbook(_gap_ledger(tmp_path, grant), 2024)
    assert not [r for r in ev.risks if r.rule_id == "RISK-26"]
