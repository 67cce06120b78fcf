"""Advisor roster (issue #9 item 5): every workspace of a folder with its key figures; bad files become rows."""
from __future__ import annotations

import sqlite3

import pytest

from calc.evaluate import evaluate
from forms import roster
from forms.roster import read_workspace, roster_files, scan_folder, summary_of
from forms.workbook import load_ledger
from forms.workspace import Workspace
from tests.builders import build, line, profile, project, year_row


@pytest.fixture(autouse=True)
def fresh_cache():
    roster.clear_cache()
    yield
    roster.clear_cache()


def _ledger(tmp_path, name, amount, years=(2023, 2024)):
    lines = [line(f"{y}-03-01", "P1", "R04", amount) for y in years]
    path = build(tmp_path, prof=profile(name=name), years=[year_row(y, taxable_income=3000000) for y in years],
                 projects=[project("P1")], lines=lines)
    return load_ledger(path)


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "客户"
    d.mkdir()
    Workspace.create(d / "甲.rdw", _ledger(tmp_path, "甲公司", 1000)).close()
    Workspace.create(d / "乙.rdw", _ledger(tmp_path, "乙公司", 3000, years=(2022,))).close()
    (d / "坏.rdw").write_bytes(b"\x00garbage" * 100)
    conn = sqlite3.connect(d / "别的.rdw")                       # a SQLite file of another program
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    (d / "说明.txt").write_text("not a workspace")
    sub = d / "2023"
    sub.mkdir()
    Workspace.create(sub / "丙.rdw", _ledger(tmp_path, "丙公司", 500)).close()
    return d


def test_scan_lists_every_workspace_and_never_raises(folder):
    rows = scan_folder(folder)
    by = {r.path.name: r for r in rows}
    assert sorted(by) == sorted(["甲.rdw", "乙.rdw", "坏.rdw", "别的.rdw"])
    assert by["坏.rdw"].error and by["别的.rdw"].error and "不是" in by["别的.rdw"].error
    a = by["甲.rdw"]
    assert a.ok and a.name == "甲公司" and a.year == 2024 and a.credit_code
    assert a.extra_deduction == 100000 and a.rd_expense == 100000      # 2024: 100% of 1,000.00
    assert a.hnte and a.findings is not None and a.saved
    assert by["乙.rdw"].year == 2022                                   # its latest year
    assert {r.path.name for r in scan_folder(folder, recursive=True)} == set(by) | {"丙.rdw"}


def test_a_workspace_open_elsewhere_is_read_without_its_lock(folder):
    with Workspace.open(folder / "甲.rdw") as ws:           # holds the lock, has unsaved edits
        ws.set_profile("name", "改名未保存")
        row = read_workspace(folder / "甲.rdw")
        assert row.ok and row.name == "甲公司" and row.locked_by
        assert (folder / "甲.rdw-lock").exists()
    assert not (folder / "甲.rdw-lock").exists()


def test_summary_cache_is_used_until_the_data_changes(folder, monkeypatch):
    path = folder / "甲.rdw"
    with Workspace.open(path) as ws:
        ev = evaluate(ws.ledger(), 2023)
        summary = summary_of(ev)
        ws.set_summary({**summary, "name": "来自缓存"})
        assert not ws.dirty
        ws.save()
    calls = []
    monkeypatch.setattr("calc.evaluate.evaluate", lambda *a, **k: calls.append(1) or evaluate(*a, **k))
    row = read_workspace(path, use_cache=False)
    assert row.name == "来自缓存" and row.year == 2023 and not calls
    assert read_workspace(path, 2024, use_cache=False).name == "甲公司"      # another year: computed
    with Workspace.open(path) as ws:                                      # a change invalidates the summary
        ws.set_profile("advisor", "王")
        ws.save()
    row = read_workspace(path, use_cache=False)
    assert row.name == "甲公司" and row.year == 2024


def test_memory_cache_follows_file_changes(folder):
    path = folder / "甲.rdw"
    first = read_workspace(path)
    assert read_workspace(path) == first
    with Workspace.open(path) as ws:
        ws.set_profile("name", "甲公司（新）")
        ws.save()
    assert read_workspace(path).name == "甲公司（新）"


def test_roster_files_skips_side_files(folder):
    (folder / "甲.rdw-autosave").write_bytes(b"x")
    (folder / "甲.rdw-lock").write_text("{}")
    assert [p.name for p in roster_files(folder)] == sorted(["乙.rdw", "坏.rdw", "别的.rdw", "甲.rdw"],
                                                            key=str.lower)
    assert roster_files(folder / "nope") == []
