"""GUI of issue #9 items 3–5: re-import diff dialog, audit trail view, 留存备查 checklist view, advisor roster."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from desktop.fonts import ensure_font  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402
from forms.workbook import load_ledger  # noqa: E402
from forms.workspace import Workspace  # noqa: E402
from tests.builders import build, line, profile, project, year_row  # noqa: E402

SHOTS = Path("/tmp/gui_audit_shots")


def _book(tmp_path, name, amount=1000, extra=False, company="甲企业有限公司"):
    lines = [line("2024-03-01", "P1", "R04", amount, voucher_no="记-1"),
             line("2024-04-01", "P2", "R37", 300, voucher_no="记-2")]
    if extra:
        lines.append(line("2024-05-01", "P1", "R08", 50, voucher_no="记-3"))
    projects = [project("P1", name="传感器研发"),
                project("P2", name="境外委托测试", form="委托研发", entrustee="某境外研究所", entrustee_location="境外",
                        entrustee_related=False)]
    return build(tmp_path, prof=profile(name=company), years=[year_row(2024, taxable_income=5000000)],
                 projects=projects, lines=lines, name=name)


pytestmark = pytest.mark.usefixtures("private_config")


@pytest.fixture
def window(qtbot, tmp_path):
    ensure_font()
    win = MainWindow()
    qtbot.addWidget(win)
    win.ask = lambda title, text, buttons=("是", "否"): 1
    win.show()
    path = tmp_path / "ws" / "甲企业.rdw"
    path.parent.mkdir()
    Workspace.create(path, load_ledger(_book(tmp_path, "a.xlsx")), user="会计甲").close()
    assert win.open_path(path)
    qtbot.waitUntil(lambda: win.doc.evaluation is not None, timeout=60000)
    yield win
    win.doc.detach(discard=True)


def _shot(widget, name):
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / name))


def test_reimport_shows_diff_then_applies_as_one_undo_step(window, qtbot, tmp_path):
    ws = window.doc.ws
    edited = _book(tmp_path, "edited.xlsx", amount=1200, extra=True)
    seen = {}

    def confirm(diff, name):
        from desktop.diff_dialog import DiffDialog
        dlg = DiffDialog(diff, name, window)
        qtbot.addWidget(dlg)
        dlg.show()
        _shot(dlg, "diff_dialog.png")
        seen["counts"] = diff.tables["lines"].counts()
        seen["tabs"] = [dlg.tabs.tabText(i) for i in range(dlg.tabs.count())]
        seen["detail"] = [dlg.details["lines"].item(r, 2).text() for r in range(dlg.details["lines"].rowCount())]
        return seen.setdefault("answer", True)

    window.confirm_import = confirm
    window.import_workbook_path(str(edited))
    qtbot.waitUntil(lambda: window.import_done, timeout=60000)
    assert seen["counts"] == {"added": 1, "changed": 1, "removed": 0, "unchanged": 1}
    assert any("研发支出" in t for t in seen["tabs"])
    assert any("1,000.00 → 1,200.00" in d for d in seen["detail"])
    assert ws.integer_sum("lines", "amount") == 120000 + 30000 + 5000
    entry = ws.history(1)[0]
    assert entry["action"] == "import" and "edited.xlsx" in entry["label"]
    ws.undo()
    assert ws.integer_sum("lines", "amount") == 100000 + 30000


def test_reimport_cancel_changes_nothing(window, qtbot, tmp_path):
    ws = window.doc.ws
    before = ws.integer_sum("lines", "amount")
    window.confirm_import = lambda diff, name: False
    window.import_workbook_path(str(_book(tmp_path, "e2.xlsx", amount=5)))
    qtbot.waitUntil(lambda: window.import_done, timeout=60000)
    assert ws.integer_sum("lines", "amount") == before and not ws.can_undo


def test_audit_view_filters_and_exports(window, qtbot, tmp_path):
    ws = window.doc.ws
    row_id = ws.rows("lines")[0]["id"]
    ws.set_value("lines", row_id, "summary", "=HYPERLINK(\"x\")")
    ws.set_profile("advisor", "王顾问")
    window.act_audit.trigger()
    view = window.audit_view
    qtbot.addWidget(view)
    assert view.model.rowCount() == len(view.all_rows) >= 3
    view.text.setText("王顾问")
    assert view.model.rowCount() == 1
    view.text.setText("")
    view.action.setCurrentIndex(view.action.findData("set"))
    assert all(r.action == "set" for r in view.shown) and len(view.shown) >= 2
    assert {r.field for r in view.shown[:2]} == {"摘要", "科技特派员"}
    view.action.setCurrentIndex(0)
    view.table.setCurrentIndex(view.table.findData("lines"))
    assert view.shown and {r.table for r in view.shown} == {"lines"}
    view.table.setCurrentIndex(0)
    view.user.setCurrentIndex(view.user.findData("会计甲"))
    assert view.shown and all(r.user == "会计甲" for r in view.shown)
    view.use_dates.setChecked(True)
    from PySide6.QtCore import QDate
    view.date_from.setDate(QDate(2000, 1, 1))
    view.date_to.setDate(QDate(2000, 1, 2))
    assert view.model.rowCount() == 0
    view.use_dates.setChecked(False)
    view.user.setCurrentIndex(0)
    view.resize(1200, 500)
    _shot(view, "audit_view.png")
    xlsx = view.export(tmp_path / "audit.xlsx")
    from openpyxl import load_workbook
    sheet = load_workbook(xlsx).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "时间" in values and any(isinstance(v, str) and "HYPERLINK" in v for v in values)
    formula_cells = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formula_cells == []
    out = view.export(tmp_path / "audit.csv")
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][0] == "时间" and len(rows) == len(view.shown) + 1
    assert any(cell.startswith("'=HYPERLINK") for r in rows for cell in r)


def test_checklist_view_marks_attaches_and_undoes(window, qtbot, tmp_path):
    ws = window.doc.ws
    view = window.show_checklist()
    qtbot.addWidget(view)
    ids = [(e.project_no, e.item.id) for e in view.entries]
    assert ("P2", "E08") in ids and ("P1", "E08") not in ids          # overseas entrustee only
    r = ids.index(("P1", "E01"))
    view.set_present(r, True)
    assert view.entries[r].present and ws.evidence_marks(2024)[(2024, "P1", "E01")]["present"] is True
    doc = ws.path.parent / "资料" / "立项决议.pdf"
    doc.parent.mkdir()
    doc.write_bytes(b"%PDF-1.4")
    r2 = ids.index(("P1", "E02"))
    view.attach(r2, [str(doc), str(tmp_path / "外部" / "名单.xlsx")])
    e = view.entries[r2]
    assert [p for p, _ in e.files] == ["资料/立项决议.pdf", "../外部/名单.xlsx"]
    assert e.missing_files == ["../外部/名单.xlsx"] and "附件缺失" in view.summary.text()
    view.table.item(r2, 7).setText("人事部提供")
    assert ws.evidence_marks(2024)[(2024, "P1", "E02")]["note"] == "人事部提供"
    view.resize(1180, 600)
    _shot(view, "checklist_view.png")
    assert ws.history(1)[0]["table"] == "evidence"
    ws.undo()
    view.reload()
    assert view.entries[r2].mark.note == ""


def test_statement_checkbox_adds_the_appendix(window, qtbot):
    st = window.statement
    window.doc.ws.set_evidence(2024, "P1", "E01", present=True)
    st.show_evaluation(window.doc.evaluation)
    qtbot.waitUntil(lambda: not st.busy, timeout=60000)
    pages = st.page_count
    st.checklist_box.setChecked(True)
    qtbot.waitUntil(lambda: not st.busy and st.page_count > pages, timeout=60000)


def test_roster_lists_workspaces_and_opens_one(window, qtbot, tmp_path):
    folder = window.doc.ws.path.parent
    for i, name in enumerate(("乙企业", "丙企业")):
        Workspace.create(folder / f"{name}.rdw", load_ledger(_book(tmp_path, f"r{i}.xlsx", amount=2000 * (i + 1),
                                                                   company=f"{name}有限公司"))).close()
    (folder / "坏文件.rdw").write_bytes(b"not a workspace" * 50)
    window.act_roster.trigger()
    view = window.roster_view
    qtbot.addWidget(view)
    assert view.model.rowCount() == 4
    by = {r.path.name: r for r in view.model.rows}
    assert by["坏文件.rdw"].error and not by["乙企业.rdw"].error
    assert by["甲企业.rdw"].locked_by                      # open in this window: read anyway
    assert by["乙企业.rdw"].name == "乙企业有限公司" and by["乙企业.rdw"].year == 2024
    assert by["丙企业.rdw"].extra_deduction > by["乙企业.rdw"].extra_deduction > 0
    view.view.sortByColumn(5, Qt.DescendingOrder)
    first = view.proxy.index(0, 0)
    assert view.model.rows[view.proxy.mapToSource(first).row()].path.name == "丙企业.rdw"
    view.resize(1280, 300)
    _shot(view, "roster_view.png")
    view._activated(first)
    qtbot.waitUntil(lambda: window.doc.ws is not None and window.doc.ws.path.name == "丙企业.rdw", timeout=30000)
