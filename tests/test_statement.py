"""The benefit statement PDF: text extracts as Chinese, key figures present, pages not blank, font embedded."""
from __future__ import annotations

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


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "statement.pdf"
    ev = evaluate(load_ledger(main.SAMPLE), 2024)
    facts = write_statement(ev, out, issued=dt.date(2025, 5, 20))
    return ev, out, facts


@needs_poppler
def test_key_figures_headings_and_upper_total(sample_pdf):
    ev, out, facts = sample_pdf
    text = pdf_text(out)
    total = ev.total_benefit
    for needle in ("研发惠企测算结果报告", "宁夏银川精工传感科技有限公司", "916401005541738271", "惠企金额汇总",
                   "A107012", "研发支出辅助账汇总表", "检查结果", "采用的解释口径", "引用的法律依据", "计算过程追溯",
                   "签字与盖章", fen_display(ev.sd.rows["R51"]), fen_display(ev.sd.rows["R40"]),
                   fen_display(ev.tax.tax_saved), fen_display(total), "2023年第7号"):
        assert needle in text, needle
    assert rmb_upper(total) in text.replace(" ", "").replace("\n", "")
    assert "第1/" in text.replace(" ", "") and "页" in text
    assert facts["missing_characters"] == {}


@needs_poppler
def test_font_embedded_as_subset(sample_pdf):
    _, out, _ = sample_pdf
    fonts = pdf_fonts(out)
    rows = [r for r in fonts.splitlines() if "WenQuanYi" in r]
    assert rows and all(" yes yes " in r for r in rows)


@needs_poppler
def test_every_page_renders(sample_pdf, tmp_path):
    _, out, _ = sample_pdf
    assert assert_pages_not_blank(out, tmp_path) >= 4


@needs_poppler
def test_hostile_names_and_rare_characters(tmp_path):
    long_name = "高温高压复杂工况" * 37 + "项目"          # 300 characters
    path = build(tmp_path, prof=profile(name='<b>&"测试"</b>'), years=[other_year(2024)],
                 projects=[project("P1", name=long_name), project("P2", name="𠀋字😀项目 <i>x</i> & y")],
                 lines=[line("2024-03-01", "P1", "R04", 100000, summary="<script>&"),
                        line("2024-03-02", "P2", "R08", 5000)])
    ev = evaluate(load_ledger(path), 2024)
    out = tmp_path / "hostile.pdf"
    facts = write_statement(ev, out)
    text = pdf_text(out)
    assert '<b>&"测试"</b>' in text
    assert "高温高压复杂工况" in text
    assert "𠀋" in facts["missing_characters"]          # no font has it: replaced by 〓 and reported
    assert "〓" in text and "字体提示" in text
    assert_pages_not_blank(out, tmp_path)


def test_cli_statement(tmp_path, capsys):
    out = tmp_path / "s.pdf"
    assert main.main(["statement", str(main.SAMPLE), "--year", "2024", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
