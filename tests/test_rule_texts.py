"""Rule texts as data, bureau-style citations, a complete source list, forward-looking advice and the three-caliber
bridge (issue 15: "No developer text", "Sources a bureau accepts", "Advice that looks forward"; review S9, S15, S16,
S18–S21, S27–S31, V13)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
from fractions import Fraction

import pytest

import main
from calc.advice import hnte_forward, next_hnte_application, next_sme_evaluation, sme_forward
from calc.citation import article, cite, document_number
from calc.evaluate import evaluate
from calc.params import load_params
from forms.statement import Statement, write_statement
from forms.workbook import load_ledger

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def ledger():
    return load_ledger(main.SAMPLE)


@pytest.fixture(scope="module")
def ev2024(ledger):
    return evaluate(ledger, 2024)


def _text(path) -> str:
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", raw)


# -- the figures do not move ------------------------------------------------------------------------------------
def test_sample_figures_unchanged_to_the_fen(ev2024):
    rows = ev2024.sd.rows
    assert (rows["R01"], rows["R34"], rows["R38"], rows["R40"], rows["R44"], rows["R51"]) == (
        8, 61_860_950, 56_824_000, 702_633_504, 22_128_796, 712_762_300)
    assert ev2024.tax.tax_saved == 178_190_575
    assert ev2024.hnte.bridge.accounting_total == 810_744_748 and ev2024.hnte.bridge.hnte_total == 745_125_275


# -- citations ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key, ref, expected", [
    ("119号", "二.1", "财税〔2015〕119号第二条第1项"),
    ("119号", "一(一)6", "财税〔2015〕119号第一条第（一）项第6目"),
    ("40号", "一(三)、三(一)", "国家税务总局公告2017年第40号第一条第（三）项、第三条第（一）项"),
    ("32号", "第十一条(五)", "国科发火〔2016〕32号第十一条第（五）项"),
    ("2023年第7号", "一", "财政部 税务总局公告2023年第7号第一条"),
    ("实施条例", "第九十五条", "《中华人民共和国企业所得税法实施条例》第九十五条"),
    ("115号", "第七条", "国科发政〔2017〕115号第七条"),
    ("劳社部发〔2008〕3号", "", "劳社部发〔2008〕3号"),
])
def test_bureau_citation_style(key, ref, expected):
    assert load_params().cite(key, ref) == expected


def test_citation_helpers():
    assert article("二.1") == "第二条第1项" and article("五.4") == "第五条第4项"
    assert document_number("国家税务总局公告2018年第23号《关于发布修订后的〈企业所得税优惠政策事项办理办法〉的公告》") \
        == "国家税务总局公告2018年第23号"
    params = load_params()
    assert cite(params.sources["119号"], "一(一)6; 40号 六", params.sources.get) == \
        "财税〔2015〕119号第一条第（一）项第6目；国家税务总局公告2017年第40号第六条"


def test_trace_formulas_and_values_are_the_rules_words(ev2024):
    """Every A107012 formula is the Chinese text kept with the rule (super_deduction.yaml ``texts``), the JSON says
    the same words, and parameter values read as words (全部项目合并计算, 形成当月), never ids."""
    from forms.report import evaluation_json
    params = load_params()
    t = ev2024.sd.traces
    assert t["R47"].formula == params.text("sd_r47") == "第45行减第46行，不小于零"
    assert t["R34"].formula == params.text("sd_r34_pooled") and "取较小者" in t["R34"].formula
    assert "四舍五入至分" in t["R38"].formula and "四舍五入至分" in t["R51"].formula
    assert ("计算口径", "全部项目合并计算", "国家税务总局公告2021年第28号第三条") in t["R34"].params
    assert t["R44"].params == [("起摊月份", "形成当月", "《中华人民共和国企业所得税法实施条例》第六十七条")]
    assert ("加计扣除比例", "除负面清单行业外的企业100%", "财政部 税务总局公告2023年第7号第一条") in t["R51"].params
    doc = evaluation_json(ev2024)
    assert doc["super_deduction"]["trace"]["47"]["formula"] == "第45行减第46行，不小于零"
    assert doc["super_deduction"]["rate_source_cite"] == "财政部 税务总局公告2023年第7号第一条"
    assert doc["super_deduction"]["layout_title"] == ev2024.sd.layout["title"]
    assert re.search(r"[\u4e00-\u9fff]", doc["super_deduction"]["layout_title"])


def test_every_a107012_layout_has_a_chinese_title():
    assert all(re.search(r"[\u4e00-\u9fff]", lay.get("title") or "") for lay in load_params().layouts.values())


def test_every_parameter_file_has_a_chinese_title():
    """Users read the parameter files' titles (versions line), never their file names."""
    params = load_params()
    assert set(params.versions) == set(params.titles)
    assert all(re.search(r"[\u4e00-\u9fff]", t) for t in params.titles.values())


def test_every_text_key_used_exists():
    """The formula words the code asks for are all in the parameter files (and non-empty)."""
    import pathlib
    src = (pathlib.Path(__file__).resolve().parent.parent / "calc" / "superdeduction.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'p\.text\("([a-z0-9_]+)"', src))
    assert keys and keys <= set(load_params().texts)


# -- sources ------------------------------------------------------------------------------------------------------
def test_source_list_is_complete_national_first_and_marks_provincial_guidance(ev2024):
    st = Statement(ev2024, issued=dt.date(2026, 12, 7))
    keys = st.cited_sources()
    for needed in ("119号", "97号", "40号", "2018年第23号", "EIT Law", "实施条例", "64号", "2021年第28号", "2023年第7号",
                   "32号", "195号", "115号", "劳社部发〔2008〕3号"):
        assert needed in keys, needed
    assert "广东指引" in keys and keys[-1] == "广东指引"          # cited (in interpretations) only as a reference
    assert "参考（非本地规定）" in st.source_line("广东指引")
    assert st.source_line("32号") == "科技部 财政部 国家税务总局《高新技术企业认定管理办法》国科发火〔2016〕32号"
    # for an enterprise of 广东省 (credit code region 44) the guide is local
    prof = dataclasses.replace(ev2024.ledger.profile, credit_code="914400000000000000")
    ev_gd = dataclasses.replace(ev2024, ledger=dataclasses.replace(ev2024.ledger, profile=prof))
    assert "参考" not in Statement(ev_gd).source_line("广东指引")


def test_provincial_guidance_is_no_figures_basis():
    """No dated parameter of a figure rests on provincial guidance alone (the amortisation start month now cites
    实施条例第六十七条; 广东指引 appears only as a reference in interpretations)."""
    params = load_params()
    for name, entries in params.scalars.items():
        for e in entries:
            assert e.source.key not in params.reference_sources, name
    assert all(r.source.key not in params.reference_sources for r in params.extra_rates)


# -- advice looks forward ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("issued, app, window, sme_year", [
    (dt.date(2026, 12, 7), 2027, "2024—2026", 2027),
    (dt.date(2025, 3, 1), 2026, "2023—2025", 2026),
])
def test_hints_are_for_the_next_application_after_the_statement_date(ev2024, issued, app, window, sme_year):
    assert next_hnte_application(issued) == app and next_sme_evaluation(issued) == sme_year
    lines = hnte_forward(ev2024.hnte, issued)
    assert lines[0].startswith(f"若{app}年申请认定，近三个会计年度为{window}年度")
    assert any(line.startswith("研究开发费用占比：") for line in lines)
    sme = sme_forward(ev2024.tech_sme, issued)
    assert sme[0].startswith(f"若{sme_year}年评价（数据年度{sme_year - 1}年）")
    for line in lines + sme:
        assert "再增加" not in line or "年度" not in line.split("再增加")[0][-6:]
        assert "转为科技人员" not in line and "认定为科技人员" not in line


def test_forward_rd_amount_is_exact(ev2024):
    """2027 application: 2024 known (研发费用7,451,252.75 ÷ 销售收入187,350,453.07); with 2025–2026 sales flat, the
    two years need 4% × 3 × 187,350,453.07 − 7,451,252.75 = 15,030,801.62 (rounded up to the 分)."""
    lines = hnte_forward(ev2024.hnte, dt.date(2026, 12, 7))
    rd = next(line for line in lines if line.startswith("研究开发费用占比"))
    need = Fraction(4, 100) * 3 * 18_735_045_307 - 745_125_275
    assert need == Fraction(1_503_080_161_84, 100)
    assert "2025、2026年度研发费用（高企口径）合计须不低于¥15,030,801.62" in rd
    assert "2025年度已结束，请以其实际数核对" in rd


def test_condition_gaps_never_invite_rewriting_a_closed_year(ev2024):
    for c in ev2024.hnte.conditions:
        assert not re.search(r"20\d\d年再增加", c.to_pass or ""), c.to_pass
        assert "认定为" not in (c.to_pass or "")
    for h in ev2024.tech_sme.next_band:
        assert "转为科技人员" not in h["text"]


@needs_poppler
def test_statement_prints_forward_hints_bridge_and_plain_formulas(ev2024, tmp_path):
    out = tmp_path / "s.pdf"
    write_statement(ev2024, out, issued=dt.date(2026, 12, 7), appendix=True)
    text = _text(out)
    assert "面向下次申请：若2027年申请认定，近三个会计年度为2024—2026年度" in text
    assert "面向下次评价：若2027年评价（数据年度2026年）" in text
    assert "2024年再增加" not in text and "转为科技人员" not in text
    # S19: the bridge restates the start for each caliber, so each block adds down as printed
    assert text.count("会计口径研发支出（起点）8,107,447.48") == 2
    assert "加计扣除口径（A107012第40行）7,026,335.04" in text and "高新技术企业口径7,451,252.75" in text
    # S20: the growth formula in plain notation with the three years' figures
    assert "净资产增长率=(X2/X1+X3/X2)/2−1" in text and "X1＝2022年末净资产¥155,968,457.27" in text
    # S9, S15, S16, S21, S29, S31
    assert "金额（数量）" in text and "无形资产成本（资本化金额）" in text and "第1行按本期汇总表" in text
    assert "高新技术企业（依据国科发火〔2016〕32号" in text and "rulesper" not in text
    assert "财税〔2015〕119号第二条第1项" in text and "119号二.1" not in text
    assert "第1行" in text and "第01行" not in text
    assert "采用的解释口径（" not in text


@needs_poppler
@pytest.mark.parametrize("issued, app", [(dt.date(2026, 12, 7), 2027), (dt.date(2025, 3, 1), 2026)])
def test_owners_version_gives_the_forward_hint(ev2024, tmp_path, issued, app):
    out = tmp_path / "o.pdf"
    write_statement(ev2024, out, issued=issued)
    text = _text(out)
    assert f"面向下次申请：若{app}年申请认定，须{app - 3}—{app - 1}年度达到研究开发费用占比的要求" in text
    assert f"面向下次评价：若{app}年评价，按数据年度{app - 1}年的数据评价，综合得分须达到60分（2024年度为54分）" in text
    assert "再增加高企口径研发费用" not in text and "转为科技人员" not in text


def test_bridge_blocks_add_down(ev2024):
    b = ev2024.hnte.bridge
    for caliber, total in (("super", b.super_total), ("hnte", b.hnte_total)):
        assert b.accounting_total + sum(g.amount for g in b.groups(caliber)) == total
