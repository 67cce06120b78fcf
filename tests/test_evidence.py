"""留存备查 checklist (issue #9 item 3): document list as data, applicability, marks in the workspace, appendix."""
from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from calc.evidence import Mark, build_checklist, items, retention_end
from calc.params import load_params
from forms.evidence import workspace_checklist
from forms.workbook import load_ledger
from forms.workspace import Workspace
from tests.builders import build, line, profile, project, year_row

ROOT = Path(__file__).resolve().parents[1]


def _ledger(tmp_path, **kw):
    projects = [project("P1"), project("P2", form="委托研发", entrustee="甲大学", entrustee_location="境外",
                                       entrustee_related=False),
                project("P3", form="集中研发"), project("P4", form="合作研发")]
    lines = [line("2024-03-01", "P1", "R04", 1000), line("2024-04-01", "P2", "R37", 500),
             line("2024-05-01", "P3", "R08", 300), line("2024-06-01", "P4", "R08", 200),
             line("2023-06-01", "P1", "R04", 100)]
    path = build(tmp_path, prof=profile(**kw), years=[year_row(2024), year_row(2024, period="H1")],
                 projects=projects, lines=lines)
    return path, load_ledger(path)


def test_items_are_the_ten_documents_of_9_3():
    its = items()
    assert [i.id for i in its] == [f"E{n:02d}" for n in range(1, 13)]      # E11/E12: review V13
    params = load_params()
    for i in its:
        assert i.source in params.sources
    assert {i.source for i in its} >= {"97号", "2018年第23号", "指引2.0", "64号"}
    assert its[0].citation == "国家税务总局公告2015年第97号第六条第（一）项"           # 文号 + 条款, never "97号 六(一)"


def test_sample_checklist_items_follow_what_is_claimed():
    """Review V13: RD03 (its intangible amortised in 2024, row 44) gets the capitalisation basis and nothing else;
    the related overseas entrustee RD06 gets the 受托方研发项目费用支出明细; RD10 (委托境外个人, not claimed) gets
    no claim-support set."""
    import main
    cl = build_checklist(load_ledger(main.SAMPLE), 2024)
    by = {}
    for e in cl.entries:
        by.setdefault(e.project_no, []).append(e.item.id)
    assert by["RD03"] == ["E11"]
    assert "E12" in by["RD06"] and "E08" in by["RD06"]
    assert "RD10" not in by
    assert all("E11" not in v and "E12" not in v for k, v in by.items() if k not in ("RD03", "RD06"))


def test_retention_is_ten_years_after_settlement():
    years, end = retention_end(2024)
    assert years == 10 and end == dt.date(2035, 5, 31)
    assert retention_end(2016)[1] == dt.date(2027, 5, 31)


def test_applicability_by_form_location_sme_and_prepayment(tmp_path):
    _, ledger = _ledger(tmp_path, tech_sme_no="202464010100001234")
    cl = build_checklist(ledger, 2024)
    by = {(e.project_no, e.item.id) for e in cl.entries}
    assert ("P1", "E01") in by and ("P1", "E03") not in by and ("P1", "E08") not in by
    assert ("P2", "E03") in by and ("P2", "E08") in by
    assert ("P3", "E05") in by and ("P4", "E05") not in by and ("P4", "E03") in by
    assert ("", "E06") in by and ("", "E09") in by and ("", "E10") in by
    e07 = next(e for e in cl.entries if e.item.id == "E07")
    assert e07.optional and e07 not in cl.required and e07.status == "如有"
    assert cl.done == 0 and len(cl.missing) == len(cl.required)


def test_no_sme_number_no_prepayment_no_items(tmp_path):
    path = build(tmp_path, years=[year_row(2024)], projects=[project("P1")], lines=[line("2024-03-01", "P1", "R04", 1)])
    cl = build_checklist(load_ledger(path), 2024)
    ids = {e.item.id for e in cl.entries}
    assert "E09" not in ids and "E10" not in ids


def test_marks_and_missing_files(tmp_path):
    _, ledger = _ledger(tmp_path)
    marks = {("P1", "E01"): Mark(True, "董事会决议", ("docs/a.pdf", "docs/gone.pdf")), ("P1", "E02"): {"present": False}}
    cl = build_checklist(ledger, 2024, marks, exists=lambda p: p == "docs/a.pdf")
    e = next(x for x in cl.entries if (x.project_no, x.item.id) == ("P1", "E01"))
    assert e.present and e.status == "已备齐（附件缺失）" and e.missing_files == ["docs/gone.pdf"]
    assert next(x for x in cl.entries if (x.project_no, x.item.id) == ("P1", "E02")).status == "缺"
    assert cl.done == 1 and [p for _, p in cl.missing_files] == ["docs/gone.pdf"]


def test_workspace_marks_undo_history_relative_paths(tmp_path):
    path, ledger = _ledger(tmp_path)
    (tmp_path / "w").mkdir()
    ws = Workspace.create(tmp_path / "w" / "企业.rdw", ledger, user="会计甲")
    docs = tmp_path / "w" / "资料"
    docs.mkdir()
    (docs / "立项.pdf").write_bytes(b"%PDF")
    inside = ws.evidence_relpath(docs / "立项.pdf")
    outside = ws.evidence_relpath(tmp_path / "外部.pdf")
    assert inside == "资料/立项.pdf" and outside == "../外部.pdf"
    ws.set_evidence(2024, "P1", "E01", present=True, files=[inside, outside], note="决议")
    cl = workspace_checklist(ws, 2024)
    e = next(x for x in cl.entries if (x.project_no, x.item.id) == ("P1", "E01"))
    assert e.present and e.missing_files == ["../外部.pdf"]
    h = ws.history(1)[0]
    assert (h["action"], h["table"], h["field"], h["user"]) == ("set", "evidence", "2024|P1|E01", "会计甲")
    assert ws.undo() and ws.evidence_marks(2024) == {}
    ws.redo()
    ws.set_evidence(2024, "P1", "E01", note="决议（修订）")           # only the note changes
    assert ws.evidence_marks(2024)[(2024, "P1", "E01")]["present"] is True
    ws.save()
    ws.close()
    with Workspace.open(tmp_path / "w" / "企业.rdw", readonly=True) as again:
        assert again.evidence_marks()[(2024, "P1", "E01")]["note"] == "决议（修订）"


def test_older_file_without_evidence_table_opens(tmp_path):
    _, ledger = _ledger(tmp_path)
    p = tmp_path / "old.rdw"
    Workspace.create(p, ledger).close()
    conn = sqlite3.connect(p)
    conn.execute("DROP TABLE evidence")
    conn.commit()
    conn.close()
    with Workspace.open(p) as ws:
        assert ws.evidence_marks() == {}
        ws.set_evidence(2024, "P1", "E02", present=True)
        ws.save()
    with Workspace.open(p, readonly=True) as ws:
        assert ws.evidence_marks()


def test_statement_checklist_appendix_cli(tmp_path):
    path, ledger = _ledger(tmp_path)
    rdw = tmp_path / "e.rdw"
    with Workspace.create(rdw, ledger) as ws:
        ws.set_evidence(2024, "P1", "E01", present=True, files=["资料/立项决议.pdf"])
        ws.save()
    out = tmp_path / "s.pdf"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "statement", str(rdw), "--year", "2024", "-o", str(out),
                        "--checklist"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode in (0, 2), r.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    flat = text.replace("\n", "")
    assert "留存期限" in flat and "留存备查资料清单" in flat and "立项决议.pdf" in flat
    plain = tmp_path / "plain.pdf"
    subprocess.run([sys.executable, str(ROOT / "main.py"), "statement", str(path), "--year", "2024", "-o", str(plain)],
                   capture_output=True, text=True, cwd=ROOT)
    assert "留存期限" not in subprocess.run(["pdftotext", str(plain), "-"], capture_output=True, text=True).stdout


def test_marks_do_not_rebuild_the_ledger(tmp_path):
    _, ledger = _ledger(tmp_path)
    with Workspace.create(tmp_path / "c.rdw", ledger) as ws:
        built = ws.ledger()
        ws.set_evidence(2024, "P1", "E01", present=True)
        ws.undo()
        ws.log_event("export", "导出测试")
        assert ws.ledger() is built
