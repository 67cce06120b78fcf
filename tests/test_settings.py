"""desktop/settings.py: JSON in the platform's config folder, atomic writes, forgiving reads."""
from __future__ import annotations

import json
import os
import sys

import pytest

from desktop.settings import (AUTOSAVE_MAX, AUTOSAVE_MIN, Settings, load_settings, save_settings, settings_path,
                              update_settings)


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))     # never the real user folder
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    return tmp_path / "config" / "rd-benefit"


def test_defaults_without_a_file(private_config):
    s = load_settings()
    assert s == Settings()
    assert (s.language, s.autosave_seconds, s.default_packs, s.advisor_name, s.last_folder) == ("zh", 60, [], "", "")
    assert not settings_path().exists()


def test_in_the_platform_config_folder(private_config):
    if sys.platform.startswith("linux"):
        assert settings_path() == private_config / "settings.json"
    assert settings_path().parent.name == "rd-benefit"


def test_round_trip(private_config, tmp_path):
    s = Settings(last_folder=str(tmp_path), language="en", advisor_name="杨志刚（自治区科技特派员）",
                 default_packs=["ningxia-2022", "hunan-2024"], autosave_seconds=120)
    assert save_settings(s)
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["advisor_name"] == "杨志刚（自治区科技特派员）"          # readable UTF-8, not \\u escapes
    assert "杨志刚" in settings_path().read_text(encoding="utf-8")
    assert load_settings() == s
    assert load_settings().autosave_ms == 120_000


@pytest.mark.parametrize("content", [b"", b"{", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b"null", b'"text"',
                                     b"[" * 100_000 + b"]" * 100_000, b'{"language": "en"' + b" " * 10])
def test_corrupt_file_gives_defaults(private_config, content):
    private_config.mkdir(parents=True)
    settings_path().write_bytes(content)
    assert load_settings() == Settings()
    s = load_settings()
    s.advisor_name = "张三"
    assert save_settings(s)                                   # and a corrupt file is simply replaced
    assert load_settings().advisor_name == "张三"


def test_wrong_values_fall_back_field_by_field(private_config):
    private_config.mkdir(parents=True)
    settings_path().write_text(json.dumps({
        "language": "fr", "advisor_name": 42, "default_packs": ["ningxia-2022", 7, "../../etc", "ningxia-2022"],
        "autosave_seconds": True, "last_folder": ["x"]}), encoding="utf-8")
    s = load_settings()
    assert s.language == "zh" and s.advisor_name == "" and s.last_folder == ""
    assert s.default_packs == ["ningxia-2022"]
    assert s.autosave_seconds == 60


def test_autosave_interval_is_clamped(private_config):
    private_config.mkdir(parents=True)
    for given, expected in ((1, AUTOSAVE_MIN), (10**9, AUTOSAVE_MAX), (300, 300)):
        settings_path().write_text(json.dumps({"autosave_seconds": given}), encoding="utf-8")
        assert load_settings().autosave_seconds == expected


def test_unknown_keys_of_a_newer_version_are_kept(private_config):
    private_config.mkdir(parents=True)
    settings_path().write_text(json.dumps({"language": "en", "window_geometry": "abc", "future": {"x": 1}}),
                               encoding="utf-8")
    s = load_settings()
    s.advisor_name = "李四"
    assert save_settings(s)
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["window_geometry"] == "abc" and data["future"] == {"x": 1}
    assert data["language"] == "en" and data["advisor_name"] == "李四"


def test_atomic_write_leaves_no_temporary_files_and_keeps_old_file_on_failure(private_config, monkeypatch):
    assert save_settings(Settings(advisor_name="甲"))
    assert [p.name for p in private_config.iterdir()] == ["settings.json"]

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")
    with monkeypatch.context() as m:
        m.setattr(os, "replace", broken_replace)
        assert save_settings(Settings(advisor_name="乙")) is False     # reported, not raised
    assert load_settings().advisor_name == "甲"                       # the old file is intact
    assert [p.name for p in private_config.iterdir()] == ["settings.json"]


def test_unwritable_folder_does_not_raise(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    monkeypatch.setenv("APPDATA", str(blocker))
    assert save_settings(Settings()) is False
    assert load_settings() == Settings()


def test_update_and_remember_folder(private_config, tmp_path):
    doc = tmp_path / "企业" / "甲.rdw"
    doc.parent.mkdir()
    doc.write_text("")
    s = load_settings()
    s.remember(doc)
    assert s.last_folder == str(doc.parent.resolve()) and s.start_folder() == s.last_folder
    save_settings(s)
    assert update_settings(language="en", default_packs=["ningxia-2022"]).language == "en"
    again = load_settings()
    assert (again.language, again.default_packs, again.last_folder) == ("en", ["ningxia-2022"], str(doc.parent.resolve()))
    with pytest.raises(TypeError):
        update_settings(colour="red")
    from pathlib import Path
    assert Settings(last_folder=str(tmp_path / "deleted")).start_folder() == str(Path.home())


def test_settings_dialog_edits_and_saves(qtbot, private_config):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import Qt

    from desktop.settings_dialog import SettingsDialog
    s = Settings(default_packs=["ningxia-2022", "gone-pack"], advisor_name="甲")
    dlg = SettingsDialog(s)
    qtbot.addWidget(dlg)
    dlg.show()
    ids = [dlg.packs.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dlg.packs.count())]
    assert "ningxia-2022" in ids and "gone-pack" in ids and "hunan-2024" in ids
    assert dlg.values()["default_packs"] == [i for i in ids if i in ("ningxia-2022", "gone-pack")]
    dlg.language.setCurrentIndex(dlg.language.findData("en"))
    dlg.advisor.setText("  杨志刚 ")
    dlg.autosave.setValue(120)
    item = dlg.packs.item(ids.index("gone-pack"))
    item.setCheckState(Qt.CheckState.Unchecked)
    dlg.accept()
    assert dlg.saved
    again = load_settings()
    assert (again.language, again.advisor_name, again.autosave_seconds, again.default_packs) == \
        ("en", "杨志刚", 120, ["ningxia-2022"])
    assert s == again
