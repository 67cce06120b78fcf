"""Re-import diff (issue #9 item 4): pure multiset diff by line identity, and the workspace preview."""
from __future__ import annotations

from calc.diff import diff_import, diff_rows
from forms.workbook import load_ledger
from forms.workspace import Workspace
from tests.builders import build, line, profile, project, year_row


def L(no, date, code, amount, vno="记-1", **kw):
    return {"project_no": no, "date": date, "voucher_kind": "记", "voucher_no": vno, "code": code, "amount": amount, **kw}


def test_identical_tables_are_unchanged():
    rows = [L("P1", "2024-01-01", "R04", 100), L("P1", "2024-01-01", "R04", 100)]
    d = diff_rows("lines", rows, [dict(r) for r in rows])
    assert d.empty and d.unchanged == 2


def test_added_removed_changed_by_identity():
    old = [L("P1", "2024-01-01", "R04", 100), L("P1", "2024-02-01", "R08", 50), L("P2", "2024-03-01", "R04", 7)]
    new = [L("P1", "2024-01-01", "R04", 120), L("P2", "2024-03-01", "R04", 7), L("P3", "2024-04-01", "R04", 9)]
    d = diff_rows("lines", old, new)
    assert d.counts() == {"added": 1, "changed": 1, "removed": 1, "unchanged": 1}
    assert d.changed[0].fields == ("amount",) and d.changed[0].old["amount"] == 100 and d.changed[0].new["amount"] == 120
    assert d.removed[0].old["code"] == "R08" and d.added[0].new["project_no"] == "P3"


def test_multiset_duplicates_pair_identical_first():
    a, b = L("P1", "2024-01-01", "R04", 100), L("P1", "2024-01-01", "R04", 200)
    # same identity three times in the current data, twice in the workbook; one of them edited
    d = diff_rows("lines", [a, b, dict(a)], [dict(b, summary="改"), dict(a)])
    assert d.unchanged == 1
    assert len(d.changed) == 1 and d.changed[0].fields in (("amount", "summary"), ("summary", "amount"), ("summary",))
    assert len(d.removed) == 1 and not d.added


def test_key_change_is_removed_plus_added_and_types_matter():
    d = diff_rows("lines", [L("P1", "2024-01-01", "R04", 100)], [L("P1", "2024-01-01", "R05", 100)])
    assert d.counts()["added"] == 1 and d.counts()["removed"] == 1
    d = diff_rows("years", [{"year": 2024, "period": None, "staff_total": 10}],
                  [{"year": 2024, "period": None, "staff_total": "10"}])
    assert len(d.changed) == 1


def test_profile_and_merge_mode():
    cur = {"lines": [L("P1", "2024-01-01", "R04", 100)], "projects": [{"project_no": "P1", "name": "甲", "form": "自主研发"}]}
    inc = {"lines": [L("P1", "2024-01-01", "R04", 100)],
           "projects": [{"project_no": "P1", "name": "甲改", "form": None}, {"project_no": "P2", "name": "乙", "form": "自主研发"}]}
    d = diff_import(cur, inc, mode="replace", profile_current={"name": "A", "advisor": "张"},
                    profile_incoming={"name": "B", "credit_code": "X"})
    p = d.tables["profile"]
    assert [c.key for c in p.changed] == [("name",)] and [c.key for c in p.added] == [("credit_code",)]
    assert [c.key for c in p.removed] == [("advisor",)]
    assert d.tables["projects"].changed[0].fields == ("name", "form")
    m = diff_import(cur, inc, mode="merge", profile_current={"name": "A", "advisor": "张"}, profile_incoming={"name": "B"})
    assert not m.tables["profile"].removed                       # merge never clears a field
    assert m.tables["projects"].changed[0].fields == ("name",)   # empty incoming values are kept
    assert m.tables["lines"].counts()["added"] == 1              # merge appends lines


def _book(tmp_path, amount=1000, extra=False, name="x.xlsx"):
    lines = [line("2024-03-01", "P1", "R04", amount, voucher_no="记-1"), line("2024-04-01", "P1", "R08", 300, voucher_no="记-2")]
    if extra:
        lines.append(line("2024-05-01", "P1", "R08", 50, voucher_no="记-3"))
    return build(tmp_path, prof=profile(), years=[year_row(2024)], projects=[project("P1")], lines=lines, name=name)


def test_workspace_import_diff_then_apply_is_one_undo_step(tmp_path):
    ws = Workspace.create(tmp_path / "a.rdw", load_ledger(_book(tmp_path, name="a.xlsx")))
    edited = load_ledger(_book(tmp_path, amount=1200, extra=True, name="b.xlsx"))
    d = ws.import_diff(edited)
    assert d.tables["lines"].counts() == {"added": 1, "changed": 1, "removed": 0, "unchanged": 1}
    assert d.tables["lines"].changed[0].new["amount"] == 120000
    assert d.tables["projects"].empty and d.tables["profile"].empty
    before = ws.integer_sum("lines", "amount")
    ws.import_ledger(edited, name="b.xlsx")
    assert ws.integer_sum("lines", "amount") == 120000 + 30000 + 5000
    assert ws.import_diff(edited).empty
    top = ws.history(1)[0]
    assert top["action"] == "import" and "b.xlsx" in top["label"] and top["new"]["counts"]["lines"] == 3
    assert top["batch_id"] == ws.last_batch_id
    ws.undo()
    assert ws.integer_sum("lines", "amount") == before
    ws.close(discard=True)
