"""The 工时分配 view and the allocation tables of the main window (pytest-qt, offscreen) on the sample enterprise."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from desktop.allocation_view import AllocationView  # noqa: E402


pytestmark = pytest.mark.usefixtures("private_config")


@pytest.fixture
def window(sample_window):
    return sample_window


def _row_of(table, column, text):
    for r in range(table.rowCount()):
        if table.item(r, column) and table.item(r, column).text() == text:
            return r
    raise AssertionError(text)


def test_view_shows_register_months_and_projects(window, qtbot, tmp_path):
    view = window.allocation_view
    window.tabs.setCurrentWidget(view)
    ev = window.doc.evaluation
    persons = ev.ledger.allocation.persons_of(ev.year)
    assert view.persons.rowCount() == len(persons) > 0
    assert "2024年度" in view.summary.text() and "不足183天 1 人" in view.summary.text()
    # the person under 183 R&D days and the over-limit month are marked
    r = _row_of(view.persons, 1, "白文博")
    assert view.persons.item(r, 8).text() == "否" and view.persons.item(r, 7).text() == "30"
    r = _row_of(view.persons, 1, "马建军")
    assert view.persons.item(r, 9).text() == "12月"
    view.persons.selectRow(r)
    assert view.months.rowCount() == 12
    dec = _row_of(view.months, 0, "2024-12")
    assert view.months.item(dec, 2).text() == "216" and view.months.item(dec, 6).text() == "是"
    # per-project totals add up to the R&D total of the parts
    last = view.projects.rowCount() - 1
    assert view.projects.item(last, 0).text() == "研发合计"
    rd = sum(p.amount for p in ev.ledger.allocation.parts if p.rd and p.month.startswith("2024-"))
    from calc.money import fen_display
    assert view.projects.item(last, 6).text() == fen_display(rd)
    window.resize(1400, 900)
    window.grab().save(str(tmp_path / "allocation.png"))


def test_month_double_click_jumps_to_the_timesheet_row(window, qtbot):
    view = window.allocation_view
    window.tabs.setCurrentWidget(view)
    view.persons.selectRow(_row_of(view.persons, 1, "马建军"))
    item = view.months.item(_row_of(view.months, 0, "2024-12"), 0)
    view.months.itemDoubleClicked.emit(item)
    assert window.tabs.currentWidget() is window.pages["timesheets"]


def test_editing_payroll_reallocates(window, qtbot):
    page = window.pages["payroll"]
    model = page.model
    assert model.rowCount() == len(window.doc.evaluation.ledger.allocation.payroll)
    before = window.doc.evaluation.sd.rows["R04"]
    col = [c.field for c in model.columns].index("wages")
    index = model.index(0, col)                    # 马建军 2023-01: all non-R&D → no change in 2024
    row = _row_of_model(model, "person_id", "E0701")
    index = model.index(row, col)
    old = model.data(index, Qt.EditRole)
    assert model.setData(index, "99999.99", Qt.EditRole)
    qtbot.waitUntil(lambda: window.doc.evaluation is not None and window.doc.evaluation.sd.rows["R04"] != before,
                    timeout=60000)
    window.undo()
    qtbot.waitUntil(lambda: window.doc.evaluation is not None and window.doc.evaluation.sd.rows["R04"] == before,
                    timeout=60000)
    assert old is not None


def _row_of_model(model, field, value):
    for r in range(model.rowCount()):
        if str(model.data(model.index(r, [c.field for c in model.columns].index(field)), Qt.DisplayRole)) == value:
            return r
    raise AssertionError(value)


def test_empty_view(qtbot):
    view = AllocationView()
    qtbot.addWidget(view)
    view.set_result(None, 2024)
    assert view.persons.rowCount() == 0 and "未导入" in view.summary.text()
