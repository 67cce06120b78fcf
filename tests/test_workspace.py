"""The workspace file (forms/workspace.py): storage, ledger, edits with undo/redo, history, lock, recovery."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

import main
from calc import schema as S
from calc.evaluate import evaluate
from forms import workspace as W
from forms.report import evaluation_json
from forms.workbook import load_ledger
from forms.workspace import (InvalidValue, Workspace, WorkspaceError, WorkspaceLocked, WorkspaceReadOnly, add_recent,
                             recent_files)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = main.SAMPLE


def figures(ledger, year=2024, period="year"):
    doc = evaluation_json(evaluate(ledger, year, period))
    doc.pop("findings")
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def a107012(ledger, year=2024):
    return evaluation_json(evaluate(ledger, year))["super_deduction"]["a107012"]


@pytest.fixture(scope="module")
def sample_ledger():
    return load_ledger(SAMPLE)


@pytest.fixture(scope="module")
def sample_figures(sample_ledger):
    return {(y, p): figures(sample_ledger, y, p) for y, p in [(2023, "year"), (2024, "year"), (2024, "H1")]}


@pytest.fixture(scope="module")
def base_file(tmp_path_factory, sample_ledger):
    path = tmp_path_factory.mktemp("base") / "样例企业.rdw"
    Workspace.create(path, sample_ledger).close()
    return path


@pytest.fixture
def ws_path(tmp_path, base_file):
    path = tmp_path / "企业.rdw"
    path.write_bytes(base_file.read_bytes())
    return path


@pytest.fixture
def ws(ws_path):
    w = Workspace.open(ws_path, user="测试会计")
    yield w
    w.close(discard=True)


def eligible_2024_line(ws):
    """The row id of a 2024 own-funded R-code line (its amount counts in A107012)."""
    ledger = ws.ledger()
    for line in ledger.lines:
        if line.date.year == 2024 and line.funding == "自有" and line.code in ("R04", "R05", "R07", "R10"):
            table, row_id, _ = ws.locate(line.src)
            assert table == "lines"
            return row_id, line
    raise AssertionError("no eligible line in the sample")


# ------------------------------------------------------------------ storage and the ledger

def test_create_reopen_gives_identical_figures_and_findings(ws_path, sample_ledger, sample_figures):
    with Workspace.open(ws_path) as ws:
        ledger = ws.ledger()
        assert len(ledger.lines) == len(sample_ledger.lines) == ws.count("lines") + len(ledger.allocation.lines)
        assert list(ledger.projects) == list(sample_ledger.projects)
        for (year, period), expected in sample_figures.items():
            assert figures(ledger, year, period) == expected
        assert [f.code for f in ledger.findings] == [f.code for f in sample_ledger.findings]
        assert not ws.dirty and not ws.can_undo
        meta = ws.meta()
        assert meta["app"] == "研发惠企测算" and int(meta["schema_version"]) == W.SCHEMA_VERSION
        assert meta["enterprise"] == sample_ledger.profile.name and meta["created"] and meta["modified"]


def test_values_are_stored_exactly(ws_path):
    import sqlite3
    con = sqlite3.connect(ws_path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == W.SCHEMA_VERSION
        assert con.execute("PRAGMA application_id").fetchone()[0] == W.APPLICATION_ID
        amount, date, share = con.execute(
            "SELECT amount, date, share FROM lines ORDER BY position LIMIT 1").fetchone()
        assert isinstance(amount, int) and date == "2022-01-04"
        types = {r[0] for r in con.execute("SELECT DISTINCT typeof(amount) FROM lines")}
        assert types == {"integer"}
        assert {r[0] for r in con.execute("SELECT DISTINCT typeof(share) FROM lines")} <= {"text", "null"}
        prof = dict(con.execute("SELECT field, value FROM profile"))
        assert prof["founded"] == "2012-05-18" and prof["standards"] == 1 and prof["ip_class1"] == 3
        cols = {r[1] for r in con.execute("PRAGMA table_info(lines)")}
        assert {c.field for c in S.LINE_COLUMNS} | {"id", "position"} == cols
    finally:
        con.close()


def test_ratio_and_value_parsing(ws):
    row_id, _ = eligible_2024_line(ws)
    assert ws.set_value("lines", row_id, "share", "40%") == "40%"
    assert ws.set_value("lines", row_id, "share", "0.125") == "12.5%"
    assert ws.set_value("lines", row_id, "share", "1/3") == "1/3"
    assert ws.set_value("lines", row_id, "amount", "¥1,234.56") == 123456
    assert ws.set_value("lines", row_id, "amount", "（１,０００）") == -100000
    assert ws.set_value("lines", row_id, "date", "2024年3月5日") == "2024-03-05"
    assert ws.set_value("lines", row_id, "funding", "自有") == "自有"
    assert ws.set_value("lines", row_id, "会计金额", "10") == 1000          # header text works as field name
    assert ws.row("lines", row_id)["amount"] == 1000
    assert W.display_value("lines", "amount", 123456) == "1,234.56"


# ------------------------------------------------------------------ edits, undo, redo

def test_set_value_changes_a107012_and_undo_redo(ws):
    before_ledger = ws.ledger()
    before = figures(before_ledger)
    before_rows = a107012(before_ledger)
    row_id, line = eligible_2024_line(ws)
    new_amount = line.amount + 10_000_000          # +100,000.00 元
    assert ws.set_value("lines", row_id, "amount", f"{Decimal(new_amount) / 100:,.2f}") == new_amount
    assert ws.dirty and ws.can_undo and not ws.can_redo
    after = ws.ledger()
    assert a107012(after) != before_rows
    assert Decimal(a107012(after)["51"]) > Decimal(before_rows["51"])
    changed = figures(after)

    assert ws.undo() == ws.redo_label
    assert figures(ws.ledger()) == before                         # exactly restored
    assert ws.row("lines", row_id)["amount"] == line.amount
    assert not ws.dirty and ws.can_redo
    ws.redo()
    assert figures(ws.ledger()) == changed
    assert ws.dirty


def test_invalid_input_raises_chinese_error_and_writes_nothing(ws):
    row_id, line = eligible_2024_line(ws)
    version, hist = ws.version, len(ws.history(None))
    with pytest.raises(InvalidValue) as info:
        ws.set_value("lines", row_id, "amount", "12,3a")
    assert isinstance(info.value, ValueError)
    assert "会计金额" in str(info.value) and "12,3a" in str(info.value) and "无法识别" in str(info.value)
    for field, bad in [("date", "2024-13-45"), ("share", "150%"), ("funding", "借款"), ("tax_amount", "1.234")]:
        with pytest.raises(ValueError):
            ws.set_value("lines", row_id, field, bad)
    with pytest.raises(InvalidValue, match="是/否"):
        ws.set_profile("standards", "也许")
    with pytest.raises(InvalidValue, match="第2行"):
        ws.insert_rows("lines", [{"date": "2024-01-02", "amount": "1"}, {"date": "2024-01-02", "amount": "x"}])
    assert ws.row("lines", row_id)["amount"] == line.amount
    assert ws.version == version and len(ws.history(None)) == hist
    assert not ws.can_undo and not ws.dirty


def test_batch_is_one_undo_step_and_rolls_back_on_error(ws):
    before = figures(ws.ledger())
    ids = ws.column_arrays("lines")[0][:3]
    n = ws.count("lines")
    with ws.batch("导入凭证"):
        for i in ids:
            ws.set_value("lines", i, "amount", "1.00")
        ws.insert_rows("lines", [{"date": "2024-05-01", "voucher_no": "记-9001", "project_no": "RD01",
                                  "code": "R04", "amount": "500"}])
        ws.set_profile("advisor", "张三")
    assert ws.undo_label == "导入凭证" and ws.count("lines") == n + 1
    batch_ids = {h["batch_id"] for h in ws.history(5)}
    assert len(batch_ids) == 1
    ws.undo()
    assert figures(ws.ledger()) == before and ws.count("lines") == n and not ws.can_undo
    ws.redo()
    assert ws.count("lines") == n + 1 and ws.profile()["advisor"] == "张三"
    ws.undo()

    with pytest.raises(InvalidValue):
        with ws.batch("半途出错"):
            ws.set_value("lines", ids[0], "amount", "2.00")
            ws.insert_rows("lines", [{"voucher_no": "x"}])
            ws.set_value("lines", ids[1], "amount", "bad")
    assert figures(ws.ledger()) == before and ws.count("lines") == n
    assert ws.undo_label is None and ws.redo_label == "导入凭证"


def test_insert_and_delete_rows_undo_keep_ids_and_order(ws):
    ids0 = ws.column_arrays("lines")[0]
    new = ws.insert_rows("lines", [{"日期": "2024-06-01", "凭证号": "记-1", "项目编号": "RD01", "费用代码": "R04",
                                    "会计金额": "100"},
                                   {"date": "2024-06-02", "voucher_no": "记-2", "project_no": "RD01", "code": "R04",
                                    "amount": "200"}], at=1)
    assert min(new) > max(ids0)
    ids1 = ws.column_arrays("lines")[0]
    assert ids1 == [ids0[0], *new, *ids0[1:]]
    ws.undo()
    assert ws.column_arrays("lines")[0] == ids0
    ws.redo()
    assert ws.column_arrays("lines")[0] == ids1

    doomed = [ids1[0], ids1[2], ids1[5]]
    assert ws.delete_rows("lines", doomed) == 3
    assert ws.column_arrays("lines")[0] == [i for i in ids1 if i not in doomed]
    ws.undo()
    assert ws.column_arrays("lines")[0] == ids1
    assert ws.row("lines", new[1])["amount"] == 20000
    ws.redo()
    assert ws.row("lines", ids1[0]) is None
    # a fresh insert never reuses a deleted id
    again = ws.insert_rows("lines", [{"voucher_no": "记-3"}])
    assert again[0] > max(new)
    with pytest.raises(WorkspaceError):
        ws.delete_rows("lines", [10**9])


def test_history_records_who_what_old_new(ws):
    row_id, line = eligible_2024_line(ws)
    ws.set_value("lines", row_id, "summary", "改过的摘要")
    h = ws.history(1)[0]
    assert h["user"] == "测试会计" and h["action"] == "set" and h["table"] == "lines"
    assert h["row_id"] == row_id and h["field"] == "summary"
    assert h["old"] == line.summary and h["new"] == "改过的摘要"
    assert h["ts"] and h["batch_id"] and "摘要" in h["label"]
    ws.undo()
    u = ws.history(1)[0]
    assert u["label"].startswith("撤销：") and u["old"] == "改过的摘要" and u["new"] == line.summary
    ws.delete_rows("lines", [row_id])
    d = ws.history(1)[0]
    assert d["action"] == "delete" and d["row_id"] == row_id and d["old"]["summary"] == line.summary
    ws.set_profile("企业名称", "新名称有限公司")
    p = ws.history(1)[0]
    assert (p["table"], p["field"], p["new"]) == ("profile", "name", "新名称有限公司")
    ws.save()
    with Workspace.open(ws.path, readonly=True) as again:      # the trail is in the file
        assert again.history(1)[0]["new"] == "新名称有限公司"


def test_listeners_hear_committed_changes(ws):
    heard = []
    unsubscribe = ws.subscribe(lambda *ev: heard.append(ev))
    row_id, _ = eligible_2024_line(ws)
    ws.set_value("lines", row_id, "amount", "1")
    ws.undo()
    assert heard == [("lines", "set", (row_id,), "amount")] * 2
    unsubscribe()
    ws.set_value("lines", row_id, "amount", "2")
    assert len(heard) == 2


# ------------------------------------------------------------------ locate

def test_locate_maps_findings_back_to_rows(ws):
    good = ws.insert_rows("lines", [{"date": "2024-03-01", "voucher_no": "记-7", "project_no": "RD01",
                                     "code": "R04", "amount": "10"}])[0]
    bad_project, no_amount = ws.insert_rows("lines", [
        {"date": "2024-03-02", "voucher_no": "记-8", "project_no": "RD99", "code": "R04", "amount": "10"},
        {"date": "2024-03-03", "voucher_no": "记-9", "project_no": "RD01", "code": "R04"}], at=5)
    bad_code = ws.insert_rows("lines", [{"date": "2024-03-04", "voucher_no": "记-10", "project_no": "RD01",
                                         "code": "R99", "amount": "10"}])[0]
    ws.set_profile("credit_code", "91640100554173827X")
    ledger = ws.ledger()
    by_code = {}
    for f in ledger.findings:
        by_code.setdefault(f.code, []).append(f)
    assert ws.locate(by_code["E_PROJECT_UNKNOWN"][0]) == ("lines", bad_project, "project_no")
    assert ws.locate(by_code["E_REQUIRED"][0]) == ("lines", no_amount, "amount")
    assert ws.locate(by_code["E_CODE_UNKNOWN"][0]) == ("lines", bad_code, "code")
    assert ws.locate(by_code["E_CREDIT_CODE"][0]) == ("profile", None, "credit_code")
    assert ws.locate(by_code["I_ADJUSTMENT_OTHER"][0])[0] == "adjustments"
    kept = [ws.locate(l.src)[1] for l in ledger.lines]
    assert good in kept and bad_project not in kept and no_amount not in kept
    assert ws.excel_row("lines", bad_project) == by_code["E_PROJECT_UNKNOWN"][0].row
    # the same findings as the same rows in a workbook: the importer did the validation
    assert by_code["E_PROJECT_UNKNOWN"][0].message.startswith("项目编号“RD99”")


# ------------------------------------------------------------------ workbook import / export

def test_export_then_import_round_trip(ws, tmp_path, sample_figures):
    row_id, _ = eligible_2024_line(ws)
    ws.set_value("lines", row_id, "share", "40%")
    ws.set_value("lines", row_id, "tax_amount", "123.45")
    expected = figures(ws.ledger())
    out = tmp_path / "导出.xlsx"
    ws.export_workbook(out)
    assert figures(load_ledger(out)) == expected
    assert [p.name for p in tmp_path.iterdir() if "-tmp-" in p.name] == []

    with Workspace.create(tmp_path / "新.rdw") as fresh:
        assert fresh.count("lines") == 0
        findings = fresh.import_workbook(out)
        assert not [f for f in findings if f.severity == "error"]
        assert figures(fresh.ledger()) == expected
        assert fresh.undo_label.startswith("导入") and fresh.dirty
        n = fresh.count("lines")
        fresh.import_workbook(SAMPLE, mode="merge")                   # lines appended, projects updated
        assert fresh.count("lines") == 2 * n and fresh.count("projects") == ws.count("projects")
        fresh.undo()
        assert fresh.count("lines") == n
        fresh.import_workbook(SAMPLE)                                 # replace
        assert figures(fresh.ledger()) == sample_figures[(2024, "year")]
        fresh.undo()
        fresh.undo()
        assert fresh.count("lines") == 0


def test_exported_workbook_keeps_rows_with_errors(ws, tmp_path):
    ws.insert_rows("lines", [{"date": "2024-03-02", "voucher_no": "记-8", "project_no": "RD99", "code": "R04",
                              "amount": "10"}])
    out = tmp_path / "带错误.xlsx"
    ws.export_workbook(out)
    assert "E_PROJECT_UNKNOWN" in {f.code for f in load_ledger(out).findings}


# ------------------------------------------------------------------ saving, autosave, recovery

def test_save_autosave_and_recovery(ws_path):
    ws = Workspace.open(ws_path)
    row_id, line = eligible_2024_line(ws)
    ws.set_value("lines", row_id, "amount", "777.77")
    assert ws.autosave() is True and ws.autosave() is False          # nothing new to write
    auto = ws_path.with_name(ws_path.name + "-autosave")
    assert auto.exists()
    ws.close()                                                        # dirty: the autosave is kept
    assert Workspace.recovery_available(ws_path)
    with Workspace.open(ws_path) as plain:                            # recover=None: file state, autosave kept
        assert plain.row("lines", row_id)["amount"] == line.amount
        assert not plain.dirty
    assert Workspace.recovery_available(ws_path)
    rec = Workspace.open(ws_path, recover=True)
    assert rec.row("lines", row_id)["amount"] == 77777 and rec.dirty
    assert rec.history(1)[0]["action"] == "recover"
    rec.save()
    assert not auto.exists() and Workspace.recovery_available(ws_path) is None
    rec.set_value("lines", row_id, "amount", "1")
    rec.autosave()
    rec.close(discard=True)                                           # the user chose 不保存
    assert not auto.exists()
    with Workspace.open(ws_path) as again:
        assert again.row("lines", row_id)["amount"] == 77777


def test_declined_recovery_discards_the_autosave(ws_path):
    ws = Workspace.open(ws_path)
    row_id, _ = eligible_2024_line(ws)
    ws.set_value("lines", row_id, "amount", "5")
    ws.close()
    assert Workspace.recovery_available(ws_path)
    Workspace.open(ws_path, recover=False).close()
    assert Workspace.recovery_available(ws_path) is None


def test_save_as_and_readonly_save_as(ws, tmp_path):
    row_id, _ = eligible_2024_line(ws)
    ws.set_value("lines", row_id, "amount", "3")
    old = ws.path
    ws.save_as(tmp_path / "副本.rdw")
    assert ws.path.name == "副本.rdw" and not ws.dirty
    assert not old.with_name(old.name + "-lock").exists()
    with Workspace.open(old) as original:
        assert original.row("lines", row_id)["amount"] != 300
    ro = Workspace.open(ws.path, readonly=True)
    try:
        ro.save_as(tmp_path / "第二份.rdw")              # a read-only view can be saved as a new, editable file
        assert not ro.readonly
        ro.set_value("lines", row_id, "amount", "4")
        ro.save()
    finally:
        ro.close()
    with Workspace.open(tmp_path / "第二份.rdw") as second:
        assert second.row("lines", row_id)["amount"] == 400


def test_presets_are_saved_in_the_file(ws):
    mapping = {"sheet": "凭证", "header_row": 3, "columns": {"日期": "date", "借方金额": "amount"}}
    ws.save_preset("用友凭证", "voucher", mapping)
    assert ws.dirty
    ws.save()
    with Workspace.open(ws.path, readonly=True) as again:
        assert again.presets("voucher") == [{"name": "用友凭证", "kind": "voucher", "mapping": mapping,
                                             "modified": again.presets()[0]["modified"]}]


def test_not_a_workspace(tmp_path):
    bad = tmp_path / "坏.rdw"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(WorkspaceError, match="不是研发惠企工作区文件"):
        Workspace.open(bad)
    assert not bad.with_name(bad.name + "-lock").exists()
    with pytest.raises(WorkspaceError, match="不存在"):
        Workspace.open(tmp_path / "无.rdw")
    with pytest.raises(WorkspaceError, match="已存在"):
        Workspace.create(bad)


def test_newer_schema_is_refused(ws_path):
    import sqlite3
    con = sqlite3.connect(ws_path)
    con.execute(f"PRAGMA user_version = {W.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(WorkspaceError, match="更新版本"):
        Workspace.open(ws_path)


# ------------------------------------------------------------------ the lock

def test_second_open_is_locked_and_readonly_works(ws_path):
    first = Workspace.open(ws_path)
    try:
        with pytest.raises(WorkspaceLocked) as info:
            Workspace.open(ws_path)
        err = info.value
        assert err.pid == os.getpid() and err.host == socket.gethostname() and err.user and err.since
        assert "只读" in str(err)
        ro = Workspace.open(ws_path, readonly=True)
        try:
            assert ro.readonly and len(ro.ledger().lines) == ro.count("lines") + len(ro.ledger().allocation.lines)
            row_id = ro.column_arrays("lines")[0][0]
            for attempt in (lambda: ro.set_value("lines", row_id, "amount", "1"),
                            lambda: ro.insert_rows("lines", [{}]), lambda: ro.delete_rows("lines", [row_id]),
                            lambda: ro.set_profile("name", "x"), ro.save, ro.undo):
                with pytest.raises(WorkspaceReadOnly):
                    attempt()
            assert ro.autosave() is False
        finally:
            ro.close()
    finally:
        first.close()
    Workspace.open(ws_path).close()                       # released on close


def test_lock_held_by_another_process(ws_path):
    code = ("import sys, time; from forms.workspace import Workspace; "
            "ws = Workspace.open(sys.argv[1]); print('ready', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code, str(ws_path)], cwd=ROOT, stdout=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline().strip() == b"ready"
        with pytest.raises(WorkspaceLocked) as info:
            Workspace.open(ws_path)
        assert info.value.pid == child.pid
    finally:
        child.kill()
        child.wait()
    with Workspace.open(ws_path) as ws:                    # the dead process's lock is stale: taken over
        assert not ws.readonly


def test_stale_and_foreign_locks(ws_path):
    lock = ws_path.with_name(ws_path.name + "-lock")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "user": "someone",
                                "time": "2024-01-01T08:00:00", "token": "x"}), encoding="utf-8")
    with Workspace.open(ws_path) as ws:
        assert json.loads(lock.read_text(encoding="utf-8"))["pid"] == os.getpid()
        assert ws.count("lines") > 0
    assert not lock.exists()
    lock.write_text(json.dumps({"pid": 1, "host": "another-computer", "user": "王会计",
                                "time": "2024-01-01T08:00:00", "token": "y"}), encoding="utf-8")
    with pytest.raises(WorkspaceLocked, match="王会计"):
        Workspace.open(ws_path)
    lock.write_text("", encoding="utf-8")                  # a half-written lock of a live writer: respected
    with pytest.raises(WorkspaceLocked):
        Workspace.open(ws_path)
    old = time.time() - 3600
    os.utime(lock, (old, old))                             # ... unless it is old
    Workspace.open(ws_path).close()


# ------------------------------------------------------------------ recent files

def test_recent_files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "cfg"))
    monkeypatch.setattr(Path, "home", staticmethod(lambda: tmp_path / "home"))
    assert recent_files() == []
    for i in range(12):
        add_recent(tmp_path / f"企业{i}.rdw")
    add_recent(tmp_path / "企业3.rdw")
    items = recent_files()
    assert len(items) == W.MAX_RECENT and items[0].name == "企业3.rdw" and items[1].name == "企业11.rdw"
    assert len({str(p) for p in items}) == len(items)
    stored = W.config_dir() / "recent.json"
    assert stored.exists() and json.loads(stored.read_text(encoding="utf-8"))["recent"][0].endswith("企业3.rdw")
    assert recent_files(existing_only=True) == []
    W.remove_recent(tmp_path / "企业3.rdw")
    assert recent_files()[0].name == "企业11.rdw"
    stored.write_text("{broken", encoding="utf-8")
    assert recent_files() == []


# ------------------------------------------------------------------ performance

def test_100k_lines_insert_and_ledger(ws):
    base = ws.rows("lines")[:50]
    cols = S.LINE_COLUMNS
    rows = [{c.field: W.cell_value(c, base[i % 50][c.field]) for c in cols} for i in range(100_000)]
    n = ws.count("lines")
    t = time.perf_counter()
    ids = ws.insert_rows("lines", rows)
    insert_s = time.perf_counter() - t
    assert len(ids) == 100_000 and ws.count("lines") == n + 100_000
    t = time.perf_counter()
    ledger = ws.ledger()
    ledger_s = time.perf_counter() - t
    assert len(ledger.lines) == n + 100_000 + len(ledger.allocation.lines)
    t = time.perf_counter()
    ws.undo()
    undo_s = time.perf_counter() - t
    assert ws.count("lines") == n
    print(f"\n100k insert {insert_s:.2f}s, ledger() {ledger_s:.2f}s, undo {undo_s:.2f}s")
    assert insert_s < 15 and ledger_s < 30 and undo_s < 15


def test_unwritable_folder_offers_read_only(ws_path, monkeypatch):
    import errno
    real_open = os.open

    def deny(p, *a, **k):
        if str(p).endswith("-lock"):
            raise PermissionError(errno.EACCES, "denied", str(p))
        return real_open(p, *a, **k)
    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(WorkspaceReadOnly, match="只读"):
        Workspace.open(ws_path)
    monkeypatch.undo()
    with Workspace.open(ws_path, readonly=True) as ro:
        assert ro.readonly


def test_leftovers_of_a_crashed_save_are_cleaned(tmp_path, base_file):
    path = tmp_path / "企业[1].rdw"
    path.write_bytes(base_file.read_bytes())
    junk = [path.with_name(path.name + "-tmp-99999-abcd"), path.with_name(path.name + "-autosave-tmp-1-ef")]
    for j in junk:
        j.write_bytes(b"half a file")
    other = tmp_path / "别的文件.rdw-tmp-1-aa"
    other.write_bytes(b"not ours")
    with Workspace.open(path):
        assert not any(j.exists() for j in junk) and other.exists()


def test_older_file_gains_new_tables_and_columns(ws_path, sample_figures):
    import sqlite3
    con = sqlite3.connect(ws_path)
    saved = con.execute("SELECT COUNT(*) FROM facts").fetchone()[0] if "facts" in W.TABLES else 0
    for table in [t for t in W.TABLES if t not in ("years", "projects", "lines", "adjustments")]:
        con.execute(f"DROP TABLE {table}")
    con.execute("ALTER TABLE lines DROP COLUMN hnte_category")
    con.commit()
    con.close()
    with Workspace.open(ws_path) as ws:                 # migrated in the working copy
        assert all(ws.count(t) >= 0 for t in W.TABLES)
        assert "hnte_category" in ws.rows("lines")[0]
        ws.ledger()
        if not saved:
            assert figures(ws.ledger()) == sample_figures[(2024, "year")]
