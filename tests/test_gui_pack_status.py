"""Issue 16 in the app: the policy picker shows each pack's status for this year's award and does not offer a
programme that ended (unless it is already chosen)."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")


@pytest.fixture(autouse=True)
def _isolated_user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-empty"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata-empty"))


def test_picker_status_and_retired_packs(qtbot):
    from desktop.pack_picker import PackPicker
    picker = PackPicker()
    qtbot.addWidget(picker)
    retired = picker.leaves["guangdong-2015"]
    assert retired.isHidden() and retired.text(1) == "已停止"
    stale = picker.leaves["hubei-2017"]
    assert not stale.isHidden() and stale.text(1) == "暂定"
    assert "核对日期：2026-12-07" in stale.toolTip(0) and "未经核实" in stale.toolTip(0)
    assert not picker.leaves["shandong-2025"].isHidden()
    picker.set_selected(["guangdong-2015"])
    assert not retired.isHidden()
