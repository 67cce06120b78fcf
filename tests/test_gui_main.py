"""The desktop application driven through its real windows (pytest-qt, offscreen)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from desktop.main_window import MainWindow  # noqa: E402
from forms.workspace import Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("private_config")


@pytest.fixture
def window(sample_window):
    return sample_window


def first_row(model, **match):
    for r in range(model.rowCount()):
        i = model.view[r]
        if all(model.data_cols[k][i] == v for k, v in match.items()):
            return r
    raise AssertionError(f"no row {match}")


def test_open_sample_shows_results(window):
    ev = window.doc.evaluation
    assert ev.year == 2024 and ev.sd.eligible
    assert window.pages["lines"].model.rowCount() == sum(1 for l in ev.ledger.lines if l.basis is None)
    assert "宁夏银川" in window.profile_page.edits["name"].text()
    assert window.findings.topLevelItemCount() > 0


def test_edit_a_line_changes_the_result_and_undo_restores_it(window, qtbot):
    doc = window.doc
    before = doc.evaluation.sd.rows["R08"]
    page = window.pages["lines"]
    model = page.model
    row = first_row(model, code="R08", date="2024-03-05") if any(
        d == "2024-03-05" and c == "R08" for d, c in zip(model.data_cols["date"], model.data_cols["code"])) else None
    if row is None:
        row = next(r for r in range(model.rowCount())
                   if model.data_cols["code"][model.view[r]] == "R08" and str(model.data_cols["date"][model.view[r]]).startswith("2024")
                   and not model.data_cols["funding"][model.view[r]].startswith("财政"))
    col = model.column_of("amount")
    old = model.data_cols["amount"][model.view[row]]
    assert model.setData(model.index(row, col), f"{(old + 10000) // 100}.{(old + 10000) % 100:02d}")
    qtbot.waitUntil(lambda: doc.evaluation.sd.rows["R08"] != before, timeout=60000)
    assert doc.evaluation.sd.rows["R08"] == before + 10000
    assert doc.ws.dirty and "*" in window.windowTitle()
    window.undo()
    qtbot.waitUntil(lambda: doc.evaluation.sd.rows["R08"] == before, timeout=60000)
    # a bad amount is refused with a Chinese message, nothing written
    assert not model.setData(model.index(row, col), "12,3a")
    assert "无法识别" in window.last_error


def test_jump_from_a_finding_to_its_line_and_fix_it(window, qtbot):
    item = None
    for i in range(window.findings.topLevelItemCount()):
        it = window.findings.topLevelItem(i)
        f = it.data(0, Qt.UserRole)
        if f is not None and f.code == "W_OUTSIDE_PERIOD" and f.row:
            item = it
            break
    assert item is not None
    finding = item.data(0, Qt.UserRole)
    window._finding_activated(item)
    page = window.pages["lines"]
    assert window.tabs.currentWidget() is page
    index = page.view.currentIndex()
    row_id = page.model.row_id(index.row())
    assert window.doc.ws.excel_row("lines", row_id) == finding.row
    # fix: move the line into its project's period
    project = page.model.data_cols["project_no"][page.model.view[index.row()]]
    start = next(r for r in window.doc.ws.rows("projects") if r["project_no"] == project)["start"]
    assert page.model.setData(page.model.index(index.row(), page.model.column_of("date")), start)
    qtbot.waitUntil(lambda: not any(f.code == "W_OUTSIDE_PERIOD" and f.row == finding.row
                                    for f in window.doc.evaluation.findings), timeout=60000)


def test_filters_and_totals(window):
    page = window.pages["lines"]
    total_rows = page.model.rowCount()
    page.f_project.setCurrentIndex(page.f_project.findData("RD01"))
    assert 0 < page.model.rowCount() < total_rows
    page.f_month.setText("2022-03")
    assert all(str(page.model.data_cols["date"][i]).startswith("2022-03") for i in page.model.view)
    assert "会计金额合计" in page.totals.text()
    page.f_project.setCurrentIndex(0)
    page.f_month.clear()
    assert page.model.rowCount() == total_rows
    page.model.sort(page.model.column_of("amount"), Qt.DescendingOrder)
    amounts = [page.model.data_cols["amount"][i] for i in page.model.view[:50]]
    assert amounts == sorted(amounts, reverse=True)


def test_statement_from_the_window(window, qtbot, tmp_path):
    window.save_statement()
    view = window.statement
    qtbot.waitUntil(lambda: getattr(view, "page_count", 0) >= 2, timeout=90000)
    assert Path(view.pdf_path).read_bytes().startswith(b"%PDF")


def test_second_window_gets_read_only(window, qtbot, tmp_path):
    path = window.doc.ws.path
    other = MainWindow()
    qtbot.addWidget(other)
    other.ask = lambda title, text, buttons=("是", "否"): 0 if "只读" in buttons[0] else 1
    assert other.open_path(path)
    assert other.doc.ws.readonly
    assert "只读" in other.windowTitle()
    other.doc.detach()


def test_screenshot_main_screens(window, qtbot):
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    window.resize(1400, 860)
    for name, widget in (("ledger", window.pages["lines"]), ("results", window.results),
                         ("profile", window.profile_page)):
        window.tabs.setCurrentWidget(widget)
        qtbot.wait(50)
        assert not window.grab().isNull()
        if os.environ.get("RD_SCREENSHOTS"):
            window.grab().save(str(out / f"main_{name}.png"))


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    sys.path.insert(0, {root!r})
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from desktop.main_window import MainWindow
    win = MainWindow(autosave_ms=100)
    win.ask = lambda *a, **k: 1
    assert win.open_path({path!r})
    ws = win.doc.ws
    page = win.pages["projects"]
    row = page.model.row_of_id(page.model.ids[0])
    page.model.setData(page.model.index(row, page.model.column_of("name")), "自动保存之前的修改")
    deadline = time.time() + 10
    while win.doc.last_autosave is None and time.time() < deadline:
        app.processEvents(); time.sleep(0.02)
    page.model.setData(page.model.index(row, page.model.column_of("results")), "未自动保存的修改")
    print("EDITED", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_killed_application_loses_at_most_the_last_autosave_interval(tmp_path):
    import main
    from forms.workbook import load_ledger
    path = tmp_path / "kill.rdw"
    Workspace.create(path, load_ledger(main.SAMPLE)).close()
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT.format(root=str(ROOT), path=str(path))],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "EDITED" in proc.stdout
    assert Workspace.recovery_available(path) is not None
    ws = Workspace.open(path, recover=True)
    try:
        first = ws.rows("projects")[0]
        assert first["name"] == "自动保存之前的修改"          # the autosaved edit survived
        assert first.get("results") != "未自动保存的修改"       # at most the last interval is lost
        ws.ledger()                                              # and the file is whole
    finally:
        ws.close(discard=True)
    plain = Workspace.open(path, recover=False)                  # the file itself is the old state, intact
    try:
        assert plain.rows("projects")[0]["name"] != "自动保存之前的修改"
    finally:
        plain.close(discard=True)


def test_english_interface(qtbot):
    from PySide6.QtWidgets import QApplication
    from desktop.app import install_translator
    app = QApplication.instance()
    translator = install_translator(app, "en")
    assert translator is not None
    try:
        win = MainWindow()
        qtbot.addWidget(win)
        menus = [a.text() for a in win.menuBar().actions()]
        assert "&File" in menus and "&Edit" in menus and "&Help" in menus
        tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
        assert "Ledger" in tabs and "Results" in tabs
        header = win.pages["lines"].model.headerData(0, Qt.Horizontal)
        assert header.startswith("Date")
        win.doc.detach()
    finally:
        app.removeTranslator(translator)


def test_import_workbook_off_the_ui_thread(window, qtbot, tmp_path):
    import main
    from forms.workbook import load_ledger, save_ledger
    ledger = load_ledger(main.SAMPLE)
    src = tmp_path / "again.xlsx"
    save_ledger(ledger, src)
    before = window.doc.ws.count("lines")
    window.import_workbook_path(str(src), mode="replace")
    qtbot.waitUntil(lambda: getattr(window, "import_done", False), timeout=120000)
    assert window.doc.ws.count("lines") == before
    assert window.doc.ws.can_undo
