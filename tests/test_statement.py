"""The benefit statement PDF: text extracts as Chinese, key figures present, pages not blank, font embedded."""
from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess

import pytest

import main
from calc.evaluate import evaluate
from calc.money import fen_display, rmb_upper
from forms.statement import write_statement
from forms.workbook import load_ledger
from tests.builders import build, line, other_year, profile, project

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_fonts(path) -> str:
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def assert_pages_not_blank(path, tmp_path):
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(path), str(tmp_path / "pg")], check=True)
    pages = sorted(tmp_path.glob("pg-*.pgm"))
    assert pages
    for page in pages:
        data = page.read_bytes()
        # PGM: header then one byte per pixel; a blank page is (almost) all white
        pixels = data[data.index(b"255\n") + 4:]
        dark = sum(1 for b in pixels if b < 200)
        assert dark > len(pixels) // 500, f"{page.name} looks blank"
    return len(pages)


def flat(text: str) -> str:
    return text.replace(" ", "").replace("\n", "").replace("\u00a0", "")


def page_count(path) -> int:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def toc_titles(path) -> list[str]:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [b.get_title() for b in pdf.get_toc() if b.level == 0]
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def sample_ev():
    return evaluate(load_ledger(main.SAMPLE), 2024)


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory, sample_ev):
    out = tmp_path_factory.mktemp("pdf") / "statement.pdf"
    facts = write_statement(sample_ev, out, issued=dt.date(2025, 5, 20))
    return sample_ev, out, facts


@pytest.fixture(scope="module")
def sample_full_pdf(tmp_path_factory, sample_ev):
    out = tmp_path_factory.mktemp("pdf") / "statement_full.pdf"
    facts = write_statement(sample_ev, out, issued=dt.date(2025, 5, 20), appendix=True)
    return sample_ev, out, facts


@needs_poppler
def test_headline_is_the_tax_effect_only_to_the_fen(sample_pdf):
    """S1: the headline and its 大写 are the tax saving; the subsidy estimate is listed apart, never summed."""
    ev, out, facts = sample_pdf
    text = pdf_text(out)
    saving = ev.tax.tax_saved
    assert fen_display(saving) == "1,781,905.75"
    assert "¥" + fen_display(saving) in text and rmb_upper(saving) in flat(text)
    assert ev.subsidy_total == 70263350                    # the sample's estimate: shown, not added
    assert "702,633.50" in text
    assert fen_display(ev.total_benefit) not in text and rmb_upper(ev.total_benefit) not in flat(text)
    assert rmb_upper(ev.subsidy_total) not in flat(text)
    assert "不计入上方金额" in text and "预估" in text
    for needle in ("研发惠企测算结果报告", "宁夏银川精工传感科技有限公司", "916401005541738271", "测算结论",
                   "需关注事项", "主要条件与依据", "报告编号", "2025年5月20日"):
        assert needle in text, needle
    assert facts["missing_characters"] == {}
    assert "第1/" in flat(text)


@needs_poppler
def test_owner_version_is_two_pages_with_signature_block(sample_pdf):
    """Two depths: the owner's version of the sample is ≤ 2 pages; S2/S3/S34 signature, disclaimer, page count."""
    ev, out, facts = sample_pdf
    assert page_count(out) <= 2 and facts["pages"] == page_count(out)
    text = pdf_text(out)
    f = flat(text)
    for needle in ("签字与盖章", "编制人", "复核人", "签发人（企业负责人）", "企业公章", "执业证号", "出具机构（盖章）"):
        assert needle in text, needle
    assert f.count("年月日") >= 4                                  # a date per signature
    assert f"本报告共{page_count(out)}页（签署页为第1页）" in f
    assert "自行判别、申报享受、相关资料留存备查" in f and "国家税务总局公告2018年第23号" in f
    assert "不构成鉴证意见" in f and "企业对所提供资料及申报的真实性、合法性负责" in f
    assert f.index("不构成鉴证意见") < f.index("复核人")               # the disclaimer stands above the signatures
    assert "审核为准" not in f                                       # no pre-approval wording (S3)
    assert "AI-SD-15" not in text.split("二、")[0]                   # no internal codes on page 1 (S6)


def test_signature_cells_are_tall_enough_and_seal_area_is_free(sample_ev):
    """S2: signature cells ≥ 12 mm; a free area for a Ø 42 mm 公章."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Table
    from forms.statement import Statement, _SealArea
    st = Statement(sample_ev)
    st.signature()
    block = next(x for x in st.story if isinstance(x, KeepTogether))
    tables = [x for x in block._content if isinstance(x, Table)]
    sign = tables[0]
    assert min(sign._rowHeights[1:]) >= 12 * mm
    seal = next(c for row in sign._cellvalues for c in row if isinstance(c, _SealArea))
    assert seal.size >= 42 * mm and sum(sign._rowHeights) >= 42 * mm
    assert min(tables[1]._rowHeights) >= 12 * mm                   # the advisor block


@needs_poppler
def test_income_tax_rows_carry_a100000_lines_and_small_low_profit(sample_pdf):
    """S5: the income-tax rows are labelled with the A100000 lines; the 小型微利 comparison is shown."""
    ev, out, _ = sample_pdf
    f = flat(pdf_text(out))
    # the sample year is 2024: A107010 is abolished (国家税务总局公告2025年第1号), the deduction goes through the 主表's
    # 优惠事项, and the revised 主表's row numbers are not verified, so none is printed (issue 16)
    for needle in ("申报表主表A100000，修订后行次未核对", "研发费用加计扣除（优惠事项）", "税率从优（不得叠加）", "小型微利企业：不适用"):
        assert needle in f, needle
    assert "A107010" not in f and "第17行" not in f


@needs_poppler
def test_appendix_is_optional_and_bookmarked(sample_full_pdf, sample_pdf):
    ev, out, facts = sample_full_pdf
    text = pdf_text(out)
    for needle in ("技术附录", "A107012", "分项目汇总（摘要）", "检查结果", "采用的解释口径", "引用的法律依据",
                   "计算过程追溯", "明细账行汇总", "项目小计", "税务风险提示（详细）", "三种口径衔接",
                   fen_display(ev.sd.rows["R51"]), fen_display(ev.sd.rows["R40"]), "2023年第7号", "第1行"):
        assert needle in text, needle
    assert "第01行" not in text                                       # S31
    assert "Adopted" not in text                                      # S30
    assert page_count(out) > page_count(sample_pdf[1])
    titles = toc_titles(out)
    assert "一、测算结论" in titles and any(t.startswith("附录") for t in titles)      # S34 bookmarks
    assert f"本报告共{page_count(out)}页" in flat(text)
    base = pdf_text(sample_pdf[1])
    assert "计算过程追溯" not in base.split("技术附录")[-1] or "未附本报告" in base


@needs_poppler
def test_hnte_certified_variant_keeps_the_at_risk_15_percent_out(tmp_path):
    """V11/V12: a certified enterprise failing a condition: the 15% saving is not in the headline; 追缴 risk named;
    the "up to" subsidy ceiling is never summed."""
    ledger = load_ledger(main.SAMPLE)
    prof = dataclasses.replace(ledger.profile, hnte_cert_no="GR202364000123", hnte_cert_date=dt.date(2023, 11, 30))
    ev = evaluate(dataclasses.replace(ledger, profile=prof), 2024)
    assert ev.hnte_saving == 153362956 and ev.tax.tax_saved == 106914345
    out = tmp_path / "hnte.pdf"
    write_statement(ev, out, issued=dt.date(2026, 12, 7))
    text = pdf_text(out)
    f = flat(text)
    assert "¥1,069,143.45" in text and rmb_upper(ev.tax.tax_saved) in f
    assert rmb_upper(ev.tax.tax_saved + ev.hnte_saving) not in f
    assert "1,533,629.56（未计入）" in f and "追缴" in f and "32号第十六条" in f
    assert "最高1,405,267.01" in f and rmb_upper(140526701) not in f
    assert page_count(out) <= 2


@needs_poppler
def test_uncomputable_saving_is_not_zero(tmp_path):
    """V10: no 应纳税所得额 → "无法计算（缺应纳税所得额）" and the deduction itself; never ¥0.00 / 零元整."""
    ev = evaluate(load_ledger(main.SAMPLE), 2022, "Q1-Q3")
    assert ev.tax is None and ev.sd.extra_deduction == 268660258
    out = tmp_path / "q.pdf"
    write_statement(ev, out, appendix=True)
    f = flat(pdf_text(out))
    assert "无法计算（缺应纳税所得额）" in f and "2,686,602.58" in f
    page1 = f.split("二、主要条件与依据")[0]
    assert "¥0.00" not in page1 and "零元整" not in f
    assert "国家税务总局公告2021年第28号" in f                         # 2022: the October prepayment rule


@needs_poppler
def test_prepayment_runs_the_risk_screening_on_the_period(tmp_path):
    """V5/V7/V8/V6: the H1 statement screens the period's lines, lists the year-only checks as not run,
    cites 2023年第11号, leaves out findings outside the period; sections numbered without gaps."""
    ev = evaluate(load_ledger(main.SAMPLE), 2024, "H1")
    ids = {r.rule_id for r in ev.risks}
    assert {"RISK-03", "RISK-17", "RISK-23"} <= ids                   # RD11 2024-04-03, 境外个人 06-20, 关联方 01-16
    assert "RISK-02" not in ids                                       # 马建军's overload is in 2024-12
    assert ev.risks_not_run and all(not r.startswith("RISK-03") for r in ev.risks_not_run)
    out = tmp_path / "h1.pdf"
    write_statement(ev, out, appendix=True)
    text = pdf_text(out)
    f = flat(text)
    assert "未发现需要提示的风险事项" not in f and "risk_rules.yaml" not in f
    assert "本期明细行" in f and "未执行的检查" in f
    assert "国家税务总局财政部公告2023年第11号" in f and "汇算清缴" in f and "留存备查" in f
    assert "马建军" not in f and "2022-07-27" not in f and "2023-11-06" not in f      # outside H1
    assert "2024-04-03" in f
    titles = toc_titles(out)
    numbered = [t.split("、")[0] for t in titles if "、" in t[:3]]
    assert numbered == list("一二三四五六七八九"[:len(numbered)]) and len(numbered) >= 2
    appendices = [t[2] for t in titles if t.startswith("附录")]
    assert appendices == list("一二三四五六七八九"[:len(appendices)])


@needs_poppler
def test_subsidy_components_shown_when_one_is_conditional(tmp_path):
    """V1: 2023 — components A and B are ordinary estimates, only C is conditional: all three are listed."""
    ev = evaluate(load_ledger(main.SAMPLE), 2023)
    out = tmp_path / "y2023.pdf"
    write_statement(ev, out)
    f = flat(pdf_text(out))
    for amount in ("817,189.04", "405,119.30", "810,238.60"):
        assert amount in f, amount
    assert "附条件" in f and "补助类别" in f and "预估额（元）" in f                       # S24 table
    assert "万元" not in f.split("财政后补助（预估）")[1].split("税务风险扫描")[0]          # S26: 元


@needs_poppler
def test_S17_verdict_with_pending_classification(sample_pdf):
    ev, out, _ = sample_pdf
    pend = ev.hnte_pending()
    assert pend["amount"] == 87890422 and not pend["would_pass"]
    f = flat(pdf_text(out))
    assert "暂不符合（待分类¥878,904.22，分类后可能为3.97%，仍低于4%）" in f


@needs_poppler
def test_quick_estimate_statement(tmp_path):
    from calc.quick import QuickInput, evaluate_quick
    q = QuickInput(year=2024, name="快速测算企业", staff=300000000, direct=100000000, entrusted_domestic=50000000)
    ev = evaluate_quick(q)
    out = tmp_path / "quick.pdf"
    write_statement(ev, out, appendix=True, advisor="王特派")
    f = flat(pdf_text(out))
    assert "快速测算" in f and "不是依据研发支出辅助账" in f and "王特派" in f
    assert "QE01" not in f and "QE02" not in f and "汇总数）" not in f.split("快速测算：")[0]


def test_C1_long_text_in_any_field_never_crashes(tmp_path):
    """C1: long text (hanzi and latin) in enterprise name, credit code, industry code, 编制人, project number and
    name: the statement (with the appendix) is written, the text clipped."""
    long_h, long_l = "高温高压复杂工况" * 250, "x" * 5000
    path = build(tmp_path, prof=profile(name=long_h, prepared_by=long_l, advisor=long_h), years=[other_year(2024)],
                 projects=[project("P" + "号" * 300, name=long_h), project("P2", name=long_l + "<br/>" * 400)],
                 lines=[line("2024-03-01", "P" + "号" * 300, "R04", 100000),
                        line("2024-03-02", "P2", "R08", 5000)])
    ev = evaluate(load_ledger(path), 2024)
    out = tmp_path / "long.pdf"
    facts = write_statement(ev, out, appendix=True)
    assert out.read_bytes().startswith(b"%PDF") and facts["pages"] >= 3
    if shutil.which("pdftotext"):
        assert "已截断" in flat(pdf_text(out))


def test_C2_700_projects_statement_succeeds(tmp_path):
    """C2: 700 projects (the A107012 table grew too tall before): the statement with appendix is written."""
    n = 700
    path = build(tmp_path, years=[other_year(2024)], projects=[project(f"P{i:06d}") for i in range(n)],
                 lines=[line("2024-03-01", f"P{i:06d}", "R04", 1000 + i) for i in range(n)])
    ev = evaluate(load_ledger(path), 2024)
    out = tmp_path / "many.pdf"
    facts = write_statement(ev, out, appendix=True)
    assert out.read_bytes().startswith(b"%PDF")
    assert facts["pages"] < 60                                          # bounded: long lists are capped
    small = tmp_path / "owner.pdf"
    assert write_statement(ev, small)["pages"] <= 3


def test_C6_blob_profile_name(tmp_path, sample_ev):
    """C6: a tampered workspace can hand a 1 MB bytes object as the name: printed as unreadable, quickly."""
    prof = dataclasses.replace(sample_ev.ledger.profile, name=b"v\x11\x92" * 350000)
    ev = dataclasses.replace(sample_ev, ledger=dataclasses.replace(sample_ev.ledger, profile=prof))
    out = tmp_path / "blob.pdf"
    write_statement(ev, out)
    assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        f = flat(pdf_text(out))
        assert "内容无法识别" in f and "b'v" not in f


def test_M2_layout_message_names_the_field(sample_ev):
    from forms.statement import _layout_message
    prof = dataclasses.replace(sample_ev.ledger.profile, name="企" * 3000)
    ev = dataclasses.replace(sample_ev, ledger=dataclasses.replace(sample_ev.ledger, profile=prof))
    msg = _layout_message(ev, Exception("x"))
    assert msg.startswith("报告无法排版：企业名称过长（3000字）") and "LayoutError" not in msg


@needs_poppler
def test_font_embedded_as_subset(sample_pdf):
    _, out, _ = sample_pdf
    fonts = pdf_fonts(out)
    rows = [r for r in fonts.splitlines() if "WenQuanYi" in r]
    assert rows and all(" yes yes " in r for r in rows)


@needs_poppler
def test_every_page_renders(sample_full_pdf, sample_pdf, tmp_path):
    _, out, _ = sample_full_pdf
    assert assert_pages_not_blank(out, tmp_path) >= 4
    (tmp_path / "owner").mkdir()
    assert assert_pages_not_blank(sample_pdf[1], tmp_path / "owner") == 2


@needs_poppler
def test_hostile_names_and_rare_characters(tmp_path):
    long_name = "高温高压复杂工况" * 37 + "项目"          # 300 characters
    path = build(tmp_path, prof=profile(name='<b>&"测试"</b>'), years=[other_year(2024)],
                 projects=[project("P1", name=long_name), project("P2", name="𠀋字😀项目 <i>x</i> & y")],
                 lines=[line("2024-03-01", "P1", "R04", 100000, summary="<script>&"),
                        line("2024-03-02", "P2", "R08", 5000)])
    ev = evaluate(load_ledger(path), 2024)
    out = tmp_path / "hostile.pdf"
    facts = write_statement(ev, out, appendix=True)
    text = pdf_text(out)
    assert '<b>&"测试"</b>' in text
    assert "高温高压复杂工况" in text
    assert "𠀋" in facts["missing_characters"]          # no font has it: replaced by 〓 and reported
    assert "〓" in text and "字体提示" in text
    assert_pages_not_blank(out, tmp_path)


def test_cli_statement(tmp_path, capsys):
    out = tmp_path / "s.pdf"
    assert main.main(["statement", str(main.SAMPLE), "--year", "2024", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and page_count(out) <= 2
    full = tmp_path / "full.pdf"
    assert main.main(["statement", str(main.SAMPLE), "--year", "2024", "-o", str(full), "--appendix"]) == 0
    assert page_count(full) > page_count(out)
    assert "页）" in capsys.readouterr().out


def test_C6_tampered_workspace_blob_name(tmp_path):
    """C6: a workspace whose profile name is a 1 MB BLOB (and industry code a REAL) gives a statement at once,
    the name shown as damaged, never as b'…'."""
    import os
    import sqlite3
    from forms.workspace import DAMAGED_VALUE, Workspace
    rdw = tmp_path / "t.rdw"
    with Workspace.create(rdw, load_ledger(main.SAMPLE)) as ws:
        ws.save()
    c = sqlite3.connect(rdw)
    c.execute("INSERT OR REPLACE INTO profile(field, value) VALUES ('name', ?)", (os.urandom(1 << 20),))
    c.execute("INSERT OR REPLACE INTO profile(field, value) VALUES ('industry_code', 3.5)")
    c.commit()
    c.close()
    out = tmp_path / "t.pdf"
    status = main.main(["statement", str(rdw), "--year", "2024", "-o", str(out)])
    assert status in (0, 2) and out.read_bytes().startswith(b"%PDF")
    with Workspace.open(rdw, readonly=True) as ws:
        assert ws.profile()["name"] == DAMAGED_VALUE
    if shutil.which("pdftotext"):
        f = flat(pdf_text(out))
        assert DAMAGED_VALUE in f and "b'" not in f
