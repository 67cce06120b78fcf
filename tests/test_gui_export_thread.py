"""GUI exports run off the UI thread (hostile-input R5): 导出申报报表 and 导出为工作簿 keep the window responsive,
show progress, and 取消 leaves an earlier export as it was."""
from __future__ import annotations

import threading
import time

import openpyxl

import forms.exports
import forms.workspace


def _responsive_while(qtbot, win, started: threading.Event, release: threading.Event) -> int:
    """Count UI-thread timer ticks while the worker is held inside the export."""
    from PySide6.QtCore import QTimer
    ticks = []
    timer = QTimer(win)
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    qtbot.waitUntil(started.is_set, timeout=30000)
    qtbot.wait(300)                                   # the UI thread keeps running while the export is held
    release.set()
    timer.stop()
    return len(ticks)


def test_R5_export_forms_runs_off_the_ui_thread(sample_window, qtbot, tmp_path, monkeypatch):
    win = sample_window
    seen, started, release = {}, threading.Event(), threading.Event()
    real = forms.exports.export_all

    def slow_export(ev, folder, params=None, progress=None):
        seen["thread"] = threading.current_thread()
        seen["progress"] = progress
        started.set()
        release.wait(30)
        return real(ev, folder, params, progress=progress)

    monkeypatch.setattr(forms.exports, "export_all", slow_export)
    win.export_forms_to(str(tmp_path / "导出"))
    assert win.output_busy
    assert _responsive_while(qtbot, win, started, release) >= 5
    qtbot.waitUntil(lambda: not win.output_busy, timeout=60000)
    assert seen["thread"] is not threading.main_thread() and seen["progress"] is not None
    files = sorted((tmp_path / "导出").iterdir())
    assert len(files) == 3 and all(openpyxl.load_workbook(p) for p in files)
    assert win.output_progress.total > 0 and win.output_progress.done == win.output_progress.total
    assert "已导出" in win.statusBar().currentMessage()


def test_R5_cancel_keeps_the_previous_export(sample_window, qtbot, tmp_path, monkeypatch):
    win = sample_window
    folder = tmp_path / "导出"
    win.export_forms_to(str(folder))
    qtbot.waitUntil(lambda: not win.output_busy, timeout=60000)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real = forms.exports.export_all

    def cancel_midway(ev, out, params=None, progress=None):
        def report(done, total):
            if done >= 2:
                win.output_progress.cancel()          # the user presses 取消 while the 辅助账 is written
            progress(done, total)
        return real(ev, out, params, progress=report)

    monkeypatch.setattr(forms.exports, "export_all", cancel_midway)
    time.sleep(1.1)                                    # a replaced file would have a newer mtime
    win.export_forms_to(str(folder))
    qtbot.waitUntil(lambda: not win.output_busy, timeout=60000)
    assert "已取消" in win.statusBar().currentMessage()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_R5_export_workbook_runs_off_the_ui_thread(sample_window, qtbot, tmp_path, monkeypatch):
    win = sample_window
    seen, started, release = {}, threading.Event(), threading.Event()
    real = forms.workspace.Workspace.export_workbook

    def slow(self, path):
        seen["thread"] = threading.current_thread()
        started.set()
        release.wait(30)
        return real(self, path)

    monkeypatch.setattr(forms.workspace.Workspace, "export_workbook", slow)
    target = tmp_path / "out" / "台账.xlsx"
    target.parent.mkdir()
    win.export_workbook_to(str(target))
    assert _responsive_while(qtbot, win, started, release) >= 5
    qtbot.waitUntil(lambda: not win.output_busy, timeout=60000)
    assert seen["thread"] is not threading.main_thread()
    assert openpyxl.load_workbook(target).sheetnames
    assert sorted(p.name for p in target.parent.iterdir()) == ["台账.xlsx"]     # no temporary file left
