"""The quick-estimate dialog driven through its widgets (pytest-qt, offscreen)."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QFont, QFontDatabase  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog  # noqa: E402

from calc.evaluate import evaluate  # noqa: E402
from calc.money import fen_display, yuan_to_fen  # noqa: E402
from calc.quick import QUICK_INTERPRETATION  # noqa: E402
from forms.workbook import load_ledger  # noqa: E402
from tests import builders as B  # noqa: E402

FONT = Path(__file__).resolve().parent.parent / "resources" / "fonts" / "wqy-microhei.ttc"

# super_deduction.md §11 E3 totals, typed as an advisor would
TYPED = {
    "name": "甲公司",
    "credit_code": B.credit_code(),
    "industry_code": "C3981",
    "year": "2023",
    "staff": "850,000.00",
    "direct": "¥300000",
    "depreciation": "75000",
    "amortisation": "50,000",
    "design": "50000",
    "other": "175,000",
    "entrusted_domestic": "350,000",
    "entrusted_overseas": "150000.00",
    "main_revenue": "95,000,000",
    "total_income": "100,000,000",
    "manufacturing_revenue": "80000000",
    "negative_list_revenue": "0",
    "taxable_income": "10,000,000.00",
    "staff_total": "120",
    "staff_rd": "30",
}


@pytest.fixture(scope="module")
def cjk_app():
    app = QApplication.instance() or QApplication([])
    fid = QFontDatabase.addApplicationFont(str(FONT))
    assert fid >= 0
    family = QFontDatabase.applicationFontFamilies(fid)[0]
    app.setFont(QFont(family, 10))
    return app


@pytest.fixture
def dialog(qtbot, cjk_app):
    from desktop.quick_estimate import QuickEstimateDialog
    dlg = QuickEstimateDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def _type(qtbot, dlg, values: dict) -> None:
    """Type into the fields: key clicks for ASCII text (QTest can only click ASCII keys), the text
    inserted at the cursor as an input method would for Chinese and ¥."""
    for key, text in values.items():
        edit = dlg.edits[key]
        edit.clear()
        edit.setFocus()
        if text.isascii():
            qtbot.keyClicks(edit, text)
        else:
            edit.insert(text)
        assert edit.text() == text


def test_fill_compute_report_and_workbook(qtbot, dialog, tmp_path, monkeypatch):
    _type(qtbot, dialog, TYPED)
    dialog.combos["fact:independent_legal_person"].setCurrentIndex(1)
    dialog.combos["fact:good_credit"].setCurrentIndex(1)
    item = dialog.pack_list.item_of("ningxia-2022")           # 宁夏回族自治区 → 全省 · …（2022年修订）
    assert item.parent().text(0) == "宁夏回族自治区" and "ningxia" not in item.text(0)
    item.setCheckState(0, Qt.CheckState.Checked)
    qtbot.mouseClick(dialog.compute_button, Qt.MouseButton.LeftButton)

    ev = dialog.evaluation
    assert ev is not None and QUICK_INTERPRETATION in ev.interpretations
    assert ev.sd.extra_deduction == yuan_to_fen("1872222.22")
    assert fen_display(ev.sd.extra_deduction) in dialog.extra_label.text()
    assert fen_display(ev.tax.tax_saved) in dialog.saving_label.text()
    assert [e.pack_id for e in ev.subsidies] == ["ningxia-2022"]
    if dialog.results_view is not None:
        assert dialog.results_view.a107012_row(51)[1] == fen_display(ev.sd.extra_deduction)
    else:
        assert fen_display(ev.sd.extra_deduction) in dialog.text_view.toPlainText()
    assert dialog.report_button.isEnabled() and dialog.workbook_button.isEnabled()

    pdf = tmp_path / "报告.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(pdf), "")))
    qtbot.mouseClick(dialog.report_button, Qt.MouseButton.LeftButton)
    assert pdf.read_bytes()[:4] == b"%PDF"

    book = tmp_path / "快速测算"          # the dialog adds the .xlsx suffix
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(book), "")))
    with qtbot.waitSignal(dialog.workbook_saved, timeout=5000) as blocker:
        qtbot.mouseClick(dialog.workbook_button, Qt.MouseButton.LeftButton)
    saved = Path(blocker.args[0])
    assert saved.suffix == ".xlsx" and saved.exists()
    ledger = load_ledger(saved)
    assert not ledger.has_errors, [f.as_line() for f in ledger.findings if f.severity == "error"]
    again = evaluate(ledger, 2023)
    assert again.sd.rows == ev.sd.rows
    assert again.tax.tax_saved == ev.tax.tax_saved
    assert [(e.pack_id, e.total) for e in again.subsidies] == [(e.pack_id, e.total) for e in ev.subsidies]

    dialog.resize(1280, 900)
    qtbot.wait(50)
    assert dialog.grab().save("/tmp/quick.png")


def test_live_validation_in_chinese(qtbot, dialog):
    _type(qtbot, dialog, {"staff": "¥12万"})
    err = dialog.errors["staff"]
    assert not err.isHidden() and "无法识别" in err.text()
    dialog.edits["staff"].clear()
    qtbot.keyClicks(dialog.edits["staff"], "12,000")
    assert err.isHidden()
    _type(qtbot, dialog, {"direct": "-5"})
    assert "负数" in dialog.errors["direct"].text()
    _type(qtbot, dialog, {"industry_code": "Q9999"})
    assert "GB/T 4754-2017" in dialog.errors["industry_code"].text()
    dialog.edits["year"].clear()
    qtbot.mouseClick(dialog.compute_button, Qt.MouseButton.LeftButton)
    assert dialog.evaluation is None and dialog.compute() is None
    assert dialog.errors["year"].text() == "请填写测算年度"
    assert "请先改正" in dialog.problems_label.text()
    assert not dialog.report_button.isEnabled()


def test_set_values_and_compute_api(qtbot, dialog):
    dialog.set_values({"year": "2023", "industry_code": "C", "staff": "1000000", "other": "200000",
                       "fact:above_scale": True, "packs": ["ningxia-2022"]})
    values = dialog.values()
    assert values["staff"] == "1000000" and values["fact:above_scale"] is True and values["packs"] == ["ningxia-2022"]
    ev = dialog.compute()
    assert ev is dialog.evaluation
    assert ev.sd.rows["R34"] == yuan_to_fen("111111.11")        # 其他相关费用 cap binds
    assert dialog.prior_headers[1].text() == "2022年" and dialog.prior_headers[2].text() == "2021年"
    dialog.set_values({"prior1:main_revenue": "abc"})
    assert not dialog.prior_error.isHidden() and "2022年" in dialog.prior_error.text()


def test_plain_text_results_without_results_view(qtbot, cjk_app, monkeypatch):
    import sys
    from desktop.quick_estimate import QuickEstimateDialog
    monkeypatch.setitem(sys.modules, "desktop.results_view", None)      # as if the module did not exist
    dlg = QuickEstimateDialog()
    qtbot.addWidget(dlg)
    assert dlg.results_view is None and dlg.text_view is not None
    dlg.set_values({"year": "2023", "staff": "1000000"})
    qtbot.mouseClick(dlg.compute_button, Qt.MouseButton.LeftButton)
    assert "1,000,000.00" in dlg.text_view.toPlainText() and "1,000,000.00" in dlg.extra_label.text()


def test_hnte_condition_table_readable(qtbot, dialog):
    """Review #13: in the 高新技术企业 tab the 说明 column is wide enough to read and rows fit their text."""
    if dialog.results_view is None:
        pytest.skip("results view unavailable")
    dialog.resize(1280, 800)
    _type(qtbot, dialog, TYPED)
    qtbot.mouseClick(dialog.compute_button, Qt.MouseButton.LeftButton)
    rv = dialog.results_view
    rv.show_tab(2)
    qtbot.wait(50)
    view = rv.hnte_view
    assert not rv.trace_open()                        # trace panel collapsed until a figure is clicked (#32)
    assert view.columnWidth(2) >= 260
    fm = view.fontMetrics()
    for r in range(view.model().rowCount()):           # no row taller than six lines; the full text in the tooltip
        assert fm.lineSpacing() <= view.rowHeight(r) <= 6 * fm.lineSpacing() + 8, r
        assert view.model().item(r, 2).toolTip() == view.model().item(r, 2).text()
    dialog.grab().save("/tmp/desktop2_qe_hnte.png")
