"""The results view and the statement preview, driven offscreen with pytest-qt on the sample enterprise."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QFont, QFontDatabase  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import main  # noqa: E402
from calc.evaluate import evaluate  # noqa: E402
from calc.money import fen_display, rmb_upper  # noqa: E402
from desktop.results_view import TAB_CHECKS, TAB_HNTE, TAB_SME, TAB_SUBSIDY, TAB_TAX, TAB_TITLES, ResultsView  # noqa: E402
from desktop.statement_view import StatementView  # noqa: E402
from forms.workbook import load_ledger  # noqa: E402

FONT = Path(main.__file__).resolve().parent / "resources" / "fonts" / "wqy-microhei.ttc"
SHOTS = os.environ.get("RD_SCREENSHOTS", "/tmp")


@pytest.fixture(scope="module")
def ev():
    return evaluate(load_ledger(main.SAMPLE), 2024)


@pytest.fixture(autouse=True)
def cjk_font(qapp):
    fid = QFontDatabase.addApplicationFont(str(FONT))
    assert fid >= 0
    family = QFontDatabase.applicationFontFamilies(fid)[0]
    QApplication.setFont(QFont(family, 10))
    return family


@pytest.fixture
def view(qtbot, ev):
    w = ResultsView()
    qtbot.addWidget(w)
    w.resize(1400, 860)
    w.set_evaluation(ev)
    w.show()
    qtbot.waitExposed(w)
    return w


def shot(widget, name):
    QApplication.processEvents()
    widget.grab().save(f"{SHOTS}/results_{name}.png")


def click_index(qtbot, table, index):
    table.scrollTo(index)
    rect = table.visualRect(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# -- ResultsView ---------------------------------------------------------------------------------

def test_header_and_a107012_in_filing_layout(view, ev):
    certain = ev.tax.tax_saved + ev.hnte_saving + ev.slp_saving        # the certain tax effect only (issue 15/18)
    assert fen_display(certain) in view.total_label.text()
    assert view.upper_label.text().startswith(rmb_upper(certain))
    assert ev.ledger.profile.name in view.title_label.text()
    label, amount = view.a107012_row(51)
    assert amount == fen_display(ev.sd.rows["R51"])
    assert label.startswith("九、本年研发费用加计扣除总额")
    assert view.a107012_row(40)[1] == fen_display(ev.sd.rows["R40"])
    label50, value50 = view.a107012_row(50)          # row 50 carries the form's method code and its meaning
    assert value50 == ev.sd.method_code()["code"] and "100%" in label50
    assert view.summary_model.rowCount() == len(ev.sd.summary)
    shot(view, "a107012")


def test_clicking_row_34_shows_its_trace(view, qtbot, ev):
    with qtbot.waitSignal(view.figure_selected, timeout=2000) as sig:
        click_index(qtbot, view.a107012_view, view.a107012_index(34))
    assert sig.args == ["R34"]
    text = view.trace_text()
    assert ev.sd.traces["R34"].formula in text
    assert "119号" in text                                    # parameter source, with the document's full title
    assert "关于完善研究开发费用税前加计扣除政策的通知" in text
    assert fen_display(ev.sd.rows["R34"]) in text
    shot(view, "trace_r34")


def test_line_link_emits_a_contributing_line(view, qtbot, ev):
    click_index(qtbot, view.a107012_view, view.a107012_index(36))
    trace = ev.sd.traces["R36"]
    assert trace.lines
    text = view.trace_text()
    assert "在明细账中显示" in text and f"{len(trace.lines)}行" in text
    with qtbot.waitSignal(view.line_requested, timeout=2000) as sig:
        view.trace_panel.anchorClicked.emit(_first_line_anchor(view))
    assert sig.args[0] in trace.lines
    assert sig.args[0] == trace.lines[0]


def _first_line_anchor(view):
    from PySide6.QtCore import QUrl
    import re
    html = view.trace_panel.toHtml()
    m = re.search(r'href="(line:\d+)"', html)
    assert m, "no ledger link in the trace panel"
    return QUrl(m.group(1))


def test_line_link_by_mouse(view, qtbot, ev):
    """A real click on the “在明细账中显示” link in the trace panel."""
    view.select_figure("R04")
    browser = view.trace_panel
    doc = browser.document()
    cursor = doc.find("在明细账中显示")
    assert not cursor.isNull()
    cursor.setPosition(cursor.selectionStart() + 2)
    rect = browser.cursorRect(cursor)
    with qtbot.waitSignal(view.line_requested, timeout=2000) as sig:
        qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args[0] in ev.sd.traces["R04"].lines
    shot(view, "trace_lines")


def test_tax_tab(view, ev):
    view.show_tab(TAB_TAX)
    texts = [view.tax_model.item(r, c).text() for r in range(view.tax_model.rowCount()) for c in range(3)]
    assert fen_display(ev.tax.with_.tax) in texts and fen_display(ev.tax.without.tax) in texts
    assert fen_display(ev.tax.tax_saved) in view.tax_info.text()
    regimes = [view.regime_model.item(r, 0).text() for r in range(view.regime_model.rowCount())]
    assert any("高新技术企业" in r for r in regimes)
    assert view.select_figure("tax:small_low_profit")
    assert "应纳税所得额超过300万元" in view.trace_text() and "财税〔2019〕13号" in view.trace_text()
    shot(view, "tax")


def test_hnte_tab_conditions_score_bridge(view, qtbot, ev):
    view.show_tab(TAB_HNTE)
    assert view.tabs.tabText(view.tabs.currentIndex()) == TAB_TITLES[TAB_HNTE]
    row = view.row_texts(view.hnte_model, "hnte:rd_ratio")
    cond = next(c for c in ev.hnte.conditions if c.id == "rd_ratio")
    assert "不符合" in row[0] and "✗" in row[0]
    assert fen_display(cond.to_pass_amount) in row[4]
    assert "个百分点" in row[3]
    assert "✓" in view.row_texts(view.hnte_model, "hnte:staff_ratio")[0]
    assert view.score_tree.topLevelItemCount() == 4
    assert str(ev.hnte.score.composite[0]) in view.score_label.text()
    assert view.bridge_tree.topLevelItemCount() == 5
    # clicking the condition shows its trace with the to-pass amount and the 32号 source
    r = next(i for i in range(view.hnte_model.rowCount()) if view.hnte_model.item(i, 0).data(Qt.ItemDataRole.UserRole + 1) == "hnte:rd_ratio")
    with qtbot.waitSignal(view.figure_selected, timeout=2000) as sig:
        click_index(qtbot, view.hnte_view, view.hnte_model.index(r, 1))
    assert sig.args == ["hnte:rd_ratio"]
    text = view.trace_text()
    assert fen_display(cond.to_pass_amount) in text and "高新技术企业认定管理办法" in text
    shot(view, "hnte")


def test_bridge_adjustment_lists_its_lines(view, ev, qtbot):
    view.show_tab(TAB_HNTE)
    parent = view.bridge_tree.topLevelItem(1)
    child = parent.child(0)
    view.bridge_tree.setCurrentItem(child)
    assert view.current_key == "bridge:super:0"
    g = ev.hnte.bridge.groups("super")[0]
    assert f"{len(g.line_ids)}行" in view.trace_text()


def test_tech_sme_tab(view, ev):
    view.show_tab(TAB_SME)
    t2 = view.row_texts(view.sme_model, "techsme:T2")
    assert "不符合" in t2[0]
    assert view.indicator_model.rowCount() == len(ev.tech_sme.indicators)
    hint = ev.tech_sme.next_band[0]["text"]
    assert hint in view.sme_hints.toPlainText()
    shot(view, "techsme")


def test_subsidy_tab_headline_and_confidence(view, ev, qtbot):
    view.show_tab(TAB_SUBSIDY)
    est = next(s for s in ev.subsidies if s.pack_id.startswith("ningxia"))
    text = view.subsidy_browser.toPlainText()
    assert est.headline() in text
    block = text[text.index(est.headline()) - 10:text.index(est.headline())]
    assert "暂定" in block          # issue 16: no 文号 for the 宁夏 办法 → provisional, with the reason
    assert est.status_reason in text
    assert est.period_text in text
    assert view.select_figure(f"subsidy:{est.pack_id}:A")
    assert "F2" in view.trace_text() or "按类别" in view.trace_text()
    shot(view, "subsidy")


def test_checks_tab_counts(view, ev):
    view.show_tab(TAB_CHECKS)
    n_warn = sum(1 for f in ev.findings if f.severity == "warning")
    assert f"警告 {n_warn} 项" in view.checks_label.text()
    total = sum(int(view.checks_model.item(r, 2).text()) for r in range(view.checks_model.rowCount()))
    assert total == len(ev.findings)
    shot(view, "checks")


def test_clear(view):
    view.set_evaluation(None)
    assert view.a107012_model.rowCount() == 0 and view.figure_keys() == []


# -- StatementView ---------------------------------------------------------------------------------

@pytest.fixture
def statement(qtbot, ev):
    w = StatementView(version="test")
    qtbot.addWidget(w)
    w.appendix_box.setChecked(True)             # the technical appendix: a multi-page statement to page through
    w.resize(900, 1000)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.ready, timeout=60000):
        w.show_evaluation(ev)
    return w


def test_statement_preview_save_and_print(statement, qtbot, tmp_path, ev):
    w = statement
    qtbot.waitUntil(lambda: w.page_count >= 4 and not w.busy, timeout=60000)
    assert w.pdf_path is not None and w.pdf_path.exists()
    assert w.page_spin.maximum() == w.page_count
    assert w.default_file_name() == f"{ev.ledger.profile.name}_2024_研发惠企测算报告.pdf"
    # the preview pages are scaled to the view width and are not blank
    pm = w._labels[0].pixmap()
    assert abs(pm.width() - w.page_width()) <= 1
    img = w.page_image(0)
    dark = sum(1 for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)
               if img.pixelColor(x, y).lightness() < 200)
    assert dark > 50
    w.go_to_page(3)
    QApplication.processEvents()
    w.grab().save("/tmp/results_statement.png")

    saved = w.save_pdf(tmp_path / w.default_file_name())
    assert saved.exists() and saved.read_bytes() == w.pdf_path.read_bytes()

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(150)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    with qtbot.waitSignal(w.printed, timeout=60000) as sig:
        n = w.print_to(printer)
    assert n == w.page_count == sig.args[0]
    assert out.exists() and out.stat().st_size > 50_000
    from desktop.statement_view import pdf_page_count
    assert pdf_page_count(out) == w.page_count


def test_statement_owner_version_and_appendix_checkbox(qtbot, ev):
    """Two depths: the owner's version (1–2 pages) by default; 附技术附录 adds the appendix."""
    w = StatementView(version="test")
    qtbot.addWidget(w)
    assert not w.appendix_box.isChecked()
    with qtbot.waitSignal(w.ready, timeout=60000) as sig:
        w.show_evaluation(ev)
    assert 1 <= sig.args[0] <= 2
    with qtbot.waitSignal(w.ready, timeout=60000) as sig:
        w.appendix_box.setChecked(True)
    assert sig.args[0] > 2


def test_M2_statement_failure_message_is_chinese_and_names_the_field(qtbot, ev, monkeypatch):
    """M2: a statement that cannot be laid out shows a Chinese message naming the field, no class names."""
    import forms.statement as fs
    w = StatementView(version="test")
    qtbot.addWidget(w)

    def boom(*a, **k):
        raise fs.StatementError("报告无法排版：企业名称过长（3000字），请缩短后重试。")
    monkeypatch.setattr(fs, "write_statement", boom)
    with qtbot.waitSignal(w.failed, timeout=60000) as sig:
        w.show_evaluation(ev)
    assert sig.args[0].startswith("报告无法排版：企业名称过长")
    assert "Error" not in w.error_label.text() and "企业名称" in w.error_label.text()


def test_statement_print_page_range(statement, tmp_path):
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "range.pdf"))
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 3)
    assert statement.print_to(printer) == 2


def test_statement_print_in_worker(statement, qtbot, tmp_path):
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)     # 1200 dpi, rendered at MAX_PRINT_DPI
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "async.pdf"
    printer.setOutputFileName(str(out))
    with qtbot.waitSignal(statement.printed, timeout=120000) as sig:
        statement.print_async(printer)
    assert sig.args == [statement.page_count]
    assert out.stat().st_size > 50_000 and statement.print_button.isEnabled()


def test_statement_export(statement, qtbot, tmp_path):
    with qtbot.waitSignal(statement.exported, timeout=60000) as sig:
        statement.export_reports(tmp_path / "out")
    files = [Path(p) for p in sig.args[0]]
    assert files and all(p.exists() and p.suffix == ".xlsx" for p in files)


def test_statement_error_is_shown(qtbot):
    w = StatementView()
    qtbot.addWidget(w)

    class Broken:
        year = 2024
        ledger = None

    with qtbot.waitSignal(w.failed, timeout=30000):
        w.show_evaluation(Broken())
    assert not w.error_label.isHidden() and "生成报告失败" in w.error_label.text()
    assert w.pdf_path is None and not w.save_button.isEnabled()


def test_trace_panel_collapsed_until_a_figure_is_clicked_and_tables_tall_enough(qtbot, ev):
    """Review #32: at 1280×800 the 计算追溯 panel starts collapsed, opens on a click, closes with 收起; the 高企
    conditions table shows several rows including the failing 研发费用占比."""
    w = ResultsView()
    qtbot.addWidget(w)
    w.resize(1280, 700)
    w.set_evaluation(ev)
    w.show()
    qtbot.waitExposed(w)
    assert not w.trace_open() and w.splitter.sizes()[1] == 0
    assert w.tabs.width() > 1200                      # the tables get the whole width
    w.show_tab(TAB_HNTE)
    qtbot.wait(50)
    view = w.hnte_view
    rows = view.model().rowCount()
    visible = [r for r in range(rows) if 0 <= view.rowViewportPosition(r) < view.viewport().height()]
    assert len(visible) >= 4, visible
    assert view.columnWidth(2) >= 260                  # 说明 readable, never ~20 px (review #13)
    r = next(i for i in range(rows) if view.model().item(i, 0).data(Qt.ItemDataRole.UserRole + 1) == "hnte:rd_ratio")
    click_index(qtbot, view, view.model().index(r, 1))
    assert w.trace_open() and w.splitter.sizes()[1] >= 300
    assert "研发" in w.trace_text()
    w.grab().save(f"{SHOTS}/results_trace_open.png")
    qtbot.mouseClick(w.trace_close, Qt.MouseButton.LeftButton)
    assert not w.trace_open()
    w.set_evaluation(ev)
    assert not w.trace_open()
