"""Test-wide settings: Qt runs offscreen (no display needed), and the PySide6/CPython 3.11
reference-count workaround of desktop/__init__.py is active before any Qt call."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import desktop  # noqa: E402,F401  (applies the workaround)

import pytest  # noqa: E402


@pytest.fixture
def private_config(tmp_path, monkeypatch):
    """A private user configuration folder for the test (settings, recent files): never the real one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def sample_window(qtbot, private_config):
    """The main window on the sample enterprise with its first evaluation done; every question is answered
    with the second button (“否”, “不保存”, “不恢复”) unless a test says otherwise."""
    from desktop.fonts import ensure_font
    from desktop.main_window import MainWindow

    ensure_font()
    win = MainWindow()
    qtbot.addWidget(win)
    win.ask = lambda title, text, buttons=("是", "否"): 1
    win.show()
    win.open_sample()
    qtbot.waitUntil(lambda: win.doc.evaluation is not None, timeout=60000)
    yield win
    win.doc.detach(discard=True)
