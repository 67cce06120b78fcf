"""“打开示例” leaves a temporary folder per session: earlier, untouched ones are swept, anything else is kept."""
from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("PySide6")

from desktop.document import DEMO_NAME, DEMO_PREFIX, sweep_demo_folders  # noqa: E402
from forms.workspace import Workspace  # noqa: E402


def _age(folder, days):
    old = time.time() - days * 86400
    for p in [*folder.iterdir(), folder]:
        os.utime(p, (old, old))


def _demo(root, tag, *, edit=False, extra=None, keep_open=False, days=3):
    folder = root / f"{DEMO_PREFIX}{tag}"
    folder.mkdir()
    ws = Workspace.create(folder / DEMO_NAME)
    if edit:
        ws.set_profile("name", "用户改过并保存")
        ws.save()
    if extra:
        (folder / extra).write_text("用户的文件", encoding="utf-8")
    if not keep_open:
        ws.close()
    _age(folder, days)
    return folder, (ws if keep_open else None)


def test_only_old_untouched_closed_demo_folders_are_swept(tmp_path):
    pristine, _ = _demo(tmp_path, "pristine")
    edited, _ = _demo(tmp_path, "edited", edit=True)
    with_file, _ = _demo(tmp_path, "file", extra="笔记.txt")
    young, _ = _demo(tmp_path, "young", days=0)
    opened, ws = _demo(tmp_path, "open", keep_open=True)
    other = tmp_path / "not-a-demo"
    other.mkdir()
    try:
        removed = sweep_demo_folders(tmp_path)
    finally:
        ws.close()
    assert removed == [pristine] and not pristine.exists()
    for kept in (edited, with_file, young, opened, other):
        assert kept.exists(), kept
    assert Workspace.open(edited / DEMO_NAME, readonly=True).profile()["name"] == "用户改过并保存"


def test_sweep_never_raises_on_a_broken_folder(tmp_path):
    folder = tmp_path / f"{DEMO_PREFIX}broken"
    folder.mkdir()
    (folder / DEMO_NAME).write_bytes(b"not a workspace")
    _age(folder, 5)
    assert sweep_demo_folders(tmp_path) == [] and folder.exists()
