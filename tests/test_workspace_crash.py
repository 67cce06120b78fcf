"""Crash and I/O-error safety of the workspace file (forms/workspace.py).

A child process opens a workspace, edits, autosaves and saves in a loop, and is killed with SIGKILL —
at named points inside the save sequence (after the temp file is written, before its fsync, before the
replace, after the replace, after the directory fsync, with a torn temp file) and at random moments.
After every kill the file must open, pass ``PRAGMA integrity_check`` and hold either the old or the new
state (compared by content hash with the states the child announced), and recovery from the autosave
must lose at most the edits after the last autosave.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from forms import workspace as W
from forms.workspace import SaveError, Workspace

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def state_hash(ws: Workspace) -> str:
    """A hash of the ledger content of a workspace (profile and every table with ids, in order)."""
    doc = [sorted(ws.profile().items()), {t: ws.rows(t) for t in W.TABLES}]
    return hashlib.sha256(json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    with Workspace.open(path, readonly=True) as ro:
        return state_hash(ro)


def integrity(path: Path) -> str:
    con = sqlite3.connect(Path(path).as_uri() + "?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


CHILD = r'''
import json, os, random, signal, sys
from forms import workspace as W
from tests.test_workspace_crash import state_hash

path, point, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
current = {"op": None}


def say(ev, h=None):
    os.write(1, (json.dumps({"ev": ev, "h": h}) + "\n").encode())


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def wrap(name, op, before):
    orig = getattr(W, name)

    def patched(*a, **k):
        if before and current["op"] == op:
            die()
        result = orig(*a, **k)
        if not before and current["op"] == op:
            die()
        return result
    setattr(W, name, patched)


if point != "random":
    target, where = point.split(":")
    if where == "after_write":          # the temp file is complete, not yet fsynced
        wrap("_fsync_file", target, True)
    elif where == "before_replace":     # fsynced, not yet renamed over the target
        wrap("_fsync_file", target, False)
    elif where == "after_replace":      # renamed, directory not yet fsynced
        wrap("_fsync_dir", target, True)
    elif where == "after_dirsync":      # durable; the autosave not yet removed, the state not yet updated
        wrap("_fsync_dir", target, False)
    elif where == "torn_tmp":           # the temp file is half written
        orig = W._write_copy

        def torn(conn, tmp):
            orig(conn, tmp)
            if current["op"] == target:
                size = os.path.getsize(tmp)
                with open(tmp, "r+b") as fh:
                    fh.truncate(size // 2)
                die()
        W._write_copy = torn

ws = W.Workspace.open(path)
ids = ws.column_arrays("lines")[0]
added = []
say("opened", state_hash(ws))
say("ready")
for i in range(10**6):
    r = rnd.random()
    if r < 0.8 or not added:
        ws.set_value("lines", rnd.choice(ids), "amount", f"{i + 1}.{rnd.randint(0, 99):02d}")
    if r > 0.9:
        added += ws.insert_rows("lines", [{"date": "2024-02-02", "voucher_no": f"崩溃-{i}", "project_no": "RD01",
                                           "code": "R04", "amount": f"{i}.01"}], at=rnd.randint(0, 50))
    elif r > 0.8 and added:
        ws.delete_rows("lines", [added.pop(rnd.randrange(len(added)))])
    action = "autosave" if i % 2 == 0 else "save"
    h = state_hash(ws)
    current["op"] = action
    say(action + "-begin", h)
    getattr(ws, action)()
    say(action + "-end", h)
    current["op"] = None
'''

NAMED_POINTS = [f"{op}:{where}" for op in ("save", "autosave")
                for where in ("after_write", "before_replace", "after_replace", "after_dirsync", "torn_tmp")]


@pytest.fixture(scope="module")
def child_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("child") / "child.py"
    path.write_text(CHILD, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def crash_file(tmp_path_factory):
    from forms.workbook import load_ledger
    path = tmp_path_factory.mktemp("crash") / "崩溃测试.rdw"
    Workspace.create(path, load_ledger(SAMPLE)).close()
    return path


def run_child(script: Path, path: Path, point: str, seed: int, delay: float | None = None, begins: int = 0):
    """Run the child; with ``delay`` kill it that many seconds after it is ready (``begins`` > 0: after its
    n-th announced save/autosave began, to land inside the save sequence more often)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), str(path), point, str(seed)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        if delay is not None:
            lines, seen = [], 0
            while True:
                line = proc.stdout.readline()
                assert line, proc.stderr.read().decode()
                lines.append(line)
                ev = json.loads(line)["ev"]
                seen += ev.endswith("-begin")
                if ev == "ready" and not begins or begins and seen == begins:
                    break
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=60)
            out = b"".join(lines) + out
        else:
            out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, err.decode()
    return proc.pid, [json.loads(x) for x in out.decode().splitlines() if x.strip()]


def expected_states(events):
    """(states the file may hold, states recovery may give) after a kill, from the child's log."""
    assert events[0]["ev"] == "opened"
    saved = durable = events[0]["h"]
    saving = pending = None
    for e in events[1:]:
        ev, h = e["ev"], e["h"]
        if ev == "save-begin":
            saving = pending = h
        elif ev == "save-end":
            saved = durable = h
            saving = pending = None
        elif ev == "autosave-begin":
            pending = h
        elif ev == "autosave-end":
            durable = h
            pending = None
    return {saved} | ({saving} if saving else set()), {durable} | ({pending} if pending else set())


def check_after_kill(path: Path, pid: int, events) -> str:
    file_ok, recovered_ok = expected_states(events)
    assert integrity(path) == "ok"
    assert file_hash(path) in file_ok                       # the old or the new file, never a mixed one
    auto = path.with_name(path.name + "-autosave")
    if Workspace.recovery_available(path):
        assert integrity(auto) == "ok"
    ws = Workspace.open(path, recover=True)                 # the dead child's lock is stale: taken over
    try:
        got = state_hash(ws)
        assert got in recovered_ok                          # at most the edits after the last autosave lost
        assert not [p for p in path.parent.iterdir() if "-tmp-" in p.name]
        assert not list(Path(tempfile.gettempdir()).glob(f"rdw-{pid}-*"))   # the child's working copy
        ws.save()                                           # start the next round from a clean file
    finally:
        ws.close()
    assert not auto.exists()
    return got


@pytest.mark.parametrize("point", NAMED_POINTS)
def test_kill_at_named_points_of_the_save_sequence(child_script, crash_file, point):
    pid, events = run_child(child_script, crash_file, point, seed=NAMED_POINTS.index(point))
    assert events[-1]["ev"] == point.split(":")[0] + "-begin"        # it died inside that operation
    check_after_kill(crash_file, pid, events)


KILLS = 20


def test_kill_at_random_moments(child_script, crash_file):
    rnd = random.Random(20240601)
    inside = 0
    for k in range(KILLS):
        if k % 2:       # anywhere: while editing, hashing, saving
            pid, events = run_child(child_script, crash_file, "random", seed=k, delay=rnd.uniform(0.02, 0.35))
        else:           # a random moment shortly after a save or autosave began
            pid, events = run_child(child_script, crash_file, "random", seed=k, delay=rnd.uniform(0, 0.01),
                                    begins=rnd.randint(1, 6))
            inside += events[-1]["ev"].endswith("-begin")
        check_after_kill(crash_file, pid, events)
    print(f"\n{inside} of {KILLS // 2} targeted kills inside save/autosave")
    assert inside >= 2, f"only {inside} of {KILLS // 2} targeted kills landed inside save/autosave"


# ------------------------------------------------------------------ I/O errors

@pytest.fixture
def edited(tmp_path, crash_file):
    path = tmp_path / "磁盘.rdw"
    path.write_bytes(crash_file.read_bytes())
    ws = Workspace.open(path)
    row_id = ws.column_arrays("lines")[0][0]
    before = state_hash(ws)
    ws.set_value("lines", row_id, "amount", "4321.00")
    yield path, ws, row_id, before
    ws.close(discard=True)


def _assert_intact(path, ws, row_id, before):
    assert file_hash(path) == before and integrity(path) == "ok"
    assert ws.dirty and ws.row("lines", row_id)["amount"] == 432100
    assert not [p for p in path.parent.iterdir() if "-tmp-" in p.name]


def _raiser(err):
    def fail(*a, **k):
        raise OSError(err, os.strerror(err))
    return fail


@pytest.mark.parametrize("target", ["replace", "fsync"])
def test_disk_full_keeps_file_and_edits(edited, monkeypatch, target):
    path, ws, row_id, before = edited
    monkeypatch.setattr(os, target, _raiser(errno.ENOSPC))
    with pytest.raises(SaveError) as info:
        ws.save()
    assert "磁盘空间不足" in str(info.value) and "原文件未改动" in str(info.value)
    _assert_intact(path, ws, row_id, before)
    with pytest.raises(SaveError, match="自动保存"):
        ws.autosave()
    assert not path.with_name(path.name + "-autosave").exists()
    monkeypatch.undo()
    ws.save()                                   # the edits were kept: saving later works
    assert file_hash(path) == state_hash(ws) != before and not ws.dirty


def test_sqlite_full_during_copy(edited, monkeypatch):
    path, ws, row_id, before = edited

    def full(conn, tmp):
        W._create_exclusive(tmp)
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(W, "_write_copy", full)
    with pytest.raises(SaveError, match="磁盘空间不足"):
        ws.save()
    _assert_intact(path, ws, row_id, before)


def test_read_only_directory(edited, monkeypatch):
    path, ws, row_id, before = edited
    real_open = os.open

    def deny(p, *a, **k):
        if "-tmp-" in str(p):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(p))
        return real_open(p, *a, **k)
    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(SaveError, match="没有写入权限"):
        ws.save()
    _assert_intact(path, ws, row_id, before)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_for_real(edited):
    path, ws, row_id, before = edited
    os.chmod(path.parent, 0o555)
    try:
        with pytest.raises(SaveError, match="没有写入权限"):
            ws.save()
    finally:
        os.chmod(path.parent, 0o755)
    _assert_intact(path, ws, row_id, before)


def test_export_failure_leaves_no_partial_file(edited, tmp_path, monkeypatch):
    path, ws, row_id, before = edited
    monkeypatch.setattr(os, "replace", _raiser(errno.ENOSPC))
    with pytest.raises(SaveError, match="磁盘空间不足"):
        ws.export_workbook(tmp_path / "导出.xlsx")
    assert not (tmp_path / "导出.xlsx").exists()
    assert not [p for p in tmp_path.iterdir() if "-tmp-" in p.name]


def test_failed_autosave_keeps_the_previous_autosave(edited, monkeypatch):
    path, ws, row_id, before = edited
    assert ws.autosave()
    auto = path.with_name(path.name + "-autosave")
    first = auto.read_bytes()
    ws.set_value("lines", row_id, "amount", "1.00")
    monkeypatch.setattr(os, "replace", _raiser(errno.EIO))
    with pytest.raises(SaveError, match="磁盘读写错误"):
        ws.autosave()
    assert auto.read_bytes() == first and integrity(auto) == "ok"
