"""English interface of the issue-#9 views (工时分配, 风险, 留存备查, 审计记录, 导入前比较, 工作区一览): the strings
go through Qt translation (resources/i18n/rd_benefit_en.qm, written by scripts/make_translations.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from desktop.fonts import ensure_font  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("private_config")


@pytest.fixture
def english():
    from PySide6.QtWidgets import QApplication

    from desktop.app import install_translator
    app = QApplication.instance()
    translator = install_translator(app, "en")
    assert translator is not None
    yield
    app.removeTranslator(translator)


def test_every_new_view_string_has_english():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_translations as M
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert M.untranslated() == {}
    ts = (ROOT / "resources" / "i18n" / "rd_benefit_en.ts").read_text(encoding="utf-8")
    assert ts == M.ts_text(), "resources/i18n is out of date: run .venv/bin/python scripts/make_translations.py"


def test_new_views_in_english(english, qtbot, tmp_path):
    ensure_font()
    win = MainWindow()
    qtbot.addWidget(win)
    win.ask = lambda *a, **k: 1
    win.show()
    try:
        tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
        for text in ("Timesheets", "Payroll", "Equipment depreciation", "Equipment hours", "Time allocation"):
            assert text in tabs, (text, tabs)
        actions = [a.text() for m in win.menuBar().actions() if m.menu() for a in m.menu().actions()]
        for text in ("Workspace roster…", "Evidence checklist…", "Audit trail…"):
            assert text in actions, text
        assert win.pages["timesheets"].model.headerData(0, Qt.Horizontal).startswith("Person no.")
        assert win.statement.checklist_box.text() == "Append the evidence checklist"

        win.open_sample()
        qtbot.waitUntil(lambda: win.doc.evaluation is not None, timeout=90000)
        view = win.allocation_view
        assert view.persons.horizontalHeaderItem(0).text() == "Person no."
        assert view.persons.horizontalHeaderItem(8).text() == "≥183 days"
        assert view.summary.text().startswith("2024: ") and "below 183 R&D days" in view.summary.text()
        assert win.results.risks_model.headerData(0, Qt.Horizontal) == "Risk level"
        assert win.risk_group is not None and win.risk_group.text(0) == "Risk"

        audit = win.show_audit()
        qtbot.addWidget(audit)
        assert audit.windowTitle().startswith("Audit trail")
        assert audit.model.headerData(0, Qt.Horizontal) == "Time" and audit.xlsx_button.text() == "Export Excel…"
        assert audit.count.text().startswith("Showing ")

        checklist = win.show_checklist()
        qtbot.addWidget(checklist)
        assert checklist.table.horizontalHeaderItem(2).text() == "Document"
        assert "Keep until" in checklist.summary.text()

        from desktop.roster_view import RosterView
        roster = RosterView(win.doc.ws.path.parent, win)
        qtbot.addWidget(roster)
        assert roster.windowTitle() == "Workspace roster"
        assert roster.model.headerData(1, Qt.Horizontal) == "Enterprise"
        assert roster.count.text().endswith("Double-click to open; amounts in yuan")

        from desktop.diff_dialog import DiffDialog
        from forms.workbook import load_ledger
        ledger = load_ledger(ROOT / "resources" / "sample" / "sample_enterprise.xlsx")
        dlg = DiffDialog(win.doc.ws.import_diff(ledger, mode="replace"), "sample.xlsx", win)
        qtbot.addWidget(dlg)
        assert dlg.windowTitle().startswith("Before importing")
        assert dlg.counts.horizontalHeaderItem(1).text() == "Added" and dlg.apply_button.text() == "Apply import"
        assert dlg.summary.text().startswith("Replace")
    finally:
        win.doc.detach(discard=True)
