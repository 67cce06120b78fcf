"""The 培育库 view (issue 19), driven like a bureau user: choose the sample roster, run, filter by tier, sort by
distance to the threshold, export, open a workspace row."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "sample_roster.xlsx"
SHOTS = ROOT / "docs" / "manual" / "images"


@pytest.fixture
def view(qtbot, private_config):
    from desktop.fonts import ensure_font
    from desktop.pipeline_view import PipelineView
    ensure_font()
    v = PipelineView(source=str(SAMPLE), year=2025, as_of=dt.date(2026, 12, 7))
    qtbot.addWidget(v)
    v.show()
    return v


def _run(view, qtbot):
    view.run_button.click()
    qtbot.waitUntil(lambda: view.run is not None and view.run_button.isEnabled(), timeout=120000)


def test_runs_filters_sorts_and_exports(view, qtbot, tmp_path):
    _run(view, qtbot)
    assert view.proxy.rowCount() == 50
    assert "企业 50 家" in view.summary.text() and "不与节税额相加" in view.summary.text()
    # filter by tier through the combo box
    i = view.tier_box.findText("高企培育")
    view.tier_box.setCurrentIndex(i)
    assert view.proxy.rowCount() == 20
    # sort by 最早申报: the nearest first (2027 before 2028)
    view.view.sortByColumn(6, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.AscendingOrder)
    first = view.proxy.index(0, 6).data()
    last = view.proxy.index(view.proxy.rowCount() - 1, 6).data()
    assert (first, last) == ("2027", "2028")
    view.tier_box.setCurrentIndex(0)
    view.search.setText("云图数据3号")
    assert view.proxy.rowCount() == 1 and view.proxy.index(0, 3).data() == "可入库科小"
    view.search.setText("")
    out = view.export_workbook(str(tmp_path / "培育库.xlsx"))
    brief = view.export_brief(str(tmp_path / "简报.pdf"))
    assert Path(out).exists() and Path(brief).exists()
    if os.environ.get("RD_SCREENSHOTS"):
        view.resize(1240, 680)
        SHOTS.mkdir(exist_ok=True)
        view.grab().save(str(SHOTS / "pipeline.png"))


def test_cancel_keeps_what_was_done(view, qtbot, monkeypatch):
    import forms.pipeline as fp
    real = fp._assess_quick

    def slow(item):
        view._cancel.set()          # the user presses 取消 while the first enterprise is evaluated
        return real(item)
    monkeypatch.setattr(fp, "_assess_quick", slow)
    _run(view, qtbot)
    assert 0 < len(view.run.results) < 50
    assert "已取消" in view.summary.text()


def test_folder_row_opens_its_workspace(qtbot, private_config, tmp_path):
    from desktop.fonts import ensure_font
    from desktop.pipeline_view import PipelineView
    from forms.workbook import load_ledger
    from forms.workspace import Workspace
    ensure_font()
    ws = Workspace.create(tmp_path / "示例企业.rdw", load_ledger(ROOT / "resources" / "sample" / "sample_enterprise.xlsx"))
    ws.close()
    v = PipelineView(source=str(tmp_path), year=2024, as_of=dt.date(2026, 12, 7))
    qtbot.addWidget(v)
    _run(v, qtbot)
    opened = []
    v.open_requested.connect(opened.append)
    v.view.selectRow(0)
    v.open_selected()
    assert opened == [str(tmp_path / "示例企业.rdw")]


def test_main_window_menu_opens_the_view(sample_window):
    sample_window.act_pipeline.trigger()
    assert sample_window.pipeline_view.isVisible()
