"""Audit trail (issue #9 item 4): every edit and import is recorded (who, when, what), shown, filtered, exported."""
from __future__ import annotations

import csv
import datetime as dt
import json

from openpyxl import load_workbook

from forms.audit import audit_rows, export_audit_csv, export_audit_xlsx, filter_rows
from forms.workbook import load_ledger
from forms.workspace import Workspace
from tests.builders import build, line, profile, project, year_row


def _ws(tmp_path, user="会计甲"):
    book = build(tmp_path, prof=profile(), years=[year_row(2024)], projects=[project("P1")],
                 lines=[line("2024-03-01", "P1", "R04", 1000, voucher_no="记-1")], name="a.xlsx")
    return Workspace.create(tmp_path / "a.rdw", load_ledger(book), user=user), book


def test_every_kind_of_change_is_recorded_with_user_and_time(tmp_path):
    ws, book = _ws(tmp_path)
    rid = ws.rows("lines")[0]["id"]
    ws.set_value("lines", rid, "amount", "1,500.00")
    ws.set_profile("advisor", "王顾问")
    [new_id] = ws.insert_rows("lines", [{"date": "2024-04-01", "project_no": "P1", "code": "R08", "amount": "20"}])
    ws.delete_rows("lines", [new_id])
    ws.set_evidence(2024, "P1", "E01", present=True)
    ws.import_workbook(book, mode="merge")
    ws.undo()
    h = ws.history(limit=None)
    actions = [e["action"] for e in h]
    for a in ("set", "insert", "delete", "import", "create"):
        assert a in actions
    assert all(e["user"] == "会计甲" for e in h)
    assert all(dt.datetime.fromisoformat(e["ts"]) for e in h)
    amount = next(e for e in h if e["field"] == "amount" and e["label"].startswith("修改"))
    assert (amount["old"], amount["new"], amount["row_id"]) == (100000, 150000, rid)
    imp = next(e for e in h if e["action"] == "import")
    assert imp["new"]["file"] == "a.xlsx" and imp["new"]["mode"] == "merge" and imp["new"]["counts"]["lines"] == 1
    assert "合并" in imp["label"] and "a.xlsx" in imp["label"]
    assert h[0]["label"].startswith("撤销：")                       # the undo of the import is recorded too
    ev = next(e for e in h if e["table"] == "evidence")
    assert json.loads(ev["new"])["present"] is True
    ws.save()
    ws.close()
    with Workspace.open(tmp_path / "a.rdw", readonly=True) as again:       # the trail is saved with the file
        assert len(again.history(limit=None)) >= len(h)


def test_audit_rows_show_headers_and_values(tmp_path):
    ws, _ = _ws(tmp_path)
    rid = ws.rows("lines")[0]["id"]
    ws.set_value("lines", rid, "amount", "1500")
    ws.set_evidence(2024, "P1", "E02", present=False, note="待补")
    rows = audit_rows(ws.history(limit=None))
    ev, amount = rows[0], rows[1]
    assert (ev.table, ev.field, ev.new) == ("evidence", "2024年度 P1 E02", "缺；备注：待补")
    assert amount.cells()[2:8] == ["修改", "研发支出", rid, "会计金额", "1,000.00", "1,500.00"]
    ins = next(r for r in rows if r.action == "insert" and r.table == "projects")
    assert "项目编号=P1" in ins.new
    ws.close(discard=True)


def test_filters(tmp_path):
    ws, _ = _ws(tmp_path)
    ws.set_profile("advisor", "王顾问")
    rows = audit_rows(ws.history(limit=None))
    assert [r.field for r in filter_rows(rows, text="王顾问")] == ["科技特派员"]
    assert filter_rows(rows, text="王顾问 不存在") == []
    assert {r.action for r in filter_rows(rows, action="insert")} == {"insert"}
    assert {r.table for r in filter_rows(rows, table="projects")} == {"projects"}
    assert filter_rows(rows, user="别人") == []
    today = rows[0].date
    assert len(filter_rows(rows, date_from=today, date_to=today)) == len(rows)
    assert filter_rows(rows, date_to=today - dt.timedelta(days=1)) == []
    ws.close(discard=True)


def test_exports_are_formula_safe(tmp_path):
    ws, _ = _ws(tmp_path)
    rid = ws.rows("lines")[0]["id"]
    ws.set_value("lines", rid, "summary", "=cmd|' /C calc'!A0")
    ws.set_value("lines", rid, "summary", "@SUM(1)")
    rows = audit_rows(ws.history(limit=None))
    x = export_audit_xlsx(rows, tmp_path / "a.xlsx", title="审计记录")
    sheet = load_workbook(x).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == "=cmd|' /C calc'!A0" and c.quotePrefix for c in cells)
    assert sheet.cell(3, 1).value == "时间" and sheet.max_row == len(rows) + 3
    c = export_audit_csv(rows, tmp_path / "a.csv")
    data = list(csv.reader(c.open(encoding="utf-8-sig")))
    assert len(data) == len(rows) + 1
    flat = [v for r in data for v in r]
    assert "'=cmd|' /C calc'!A0" in flat and "'@SUM(1)" in flat
    assert not any(v.startswith(("=", "@", "+")) for v in flat)
    ws.close(discard=True)
