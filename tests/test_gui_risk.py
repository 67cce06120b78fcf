"""The risk findings (calc/risk.py) in the desktop: a 风险 group in the findings dock, rows in the 检查结果 tab,
activating a finding jumps to its row."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402



pytestmark = pytest.mark.usefixtures("private_config")


@pytest.fixture
def window(sample_window):
    return sample_window


def test_risk_group_in_the_findings_dock_and_jump(window):
    ev = window.doc.evaluation
    assert len(ev.risks) >= 3
    group = window.risk_group
    assert group is not None and group.text(0) == "风险"
    assert group.childCount() == len(ev.risks)
    assert f"风险 {len(ev.risks)}" in window.findings_dock.windowTitle()
    ids = [group.child(i).data(0, Qt.UserRole).code for i in range(group.childCount())]
    assert ids == [r.rule_id for r in ev.risks]
    # the line outside its project's period (RISK-03) jumps to its 研发支出 row
    item = next(group.child(i) for i in range(group.childCount())
                if group.child(i).data(0, Qt.UserRole).code == "RISK-03")
    finding = item.data(0, Qt.UserRole)
    assert "留存资料" in item.toolTip(2) and "为何关注" in item.toolTip(2)
    window._finding_activated(item)
    page = window.pages["lines"]
    assert window.tabs.currentWidget() is page
    row_id = page.model.row_id(page.view.currentIndex().row())
    assert window.doc.ws.excel_row("lines", row_id) == finding.row
    # a project-level risk jumps to the 研发项目 row
    item = next(group.child(i) for i in range(group.childCount())
                if group.child(i).data(0, Qt.UserRole).sheet == "研发项目")
    window._finding_activated(item)
    assert window.tabs.currentWidget() is window.pages["projects"]
    window.findings_dock.widget().grab().save("/tmp/risk_dock.png")


def test_risks_in_the_checks_tab(window):
    ev = window.doc.evaluation
    model = window.results.risks_model
    rows = [[model.item(r, c).text() for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert [r[1] for r in rows] == [r.rule_id for r in ev.risks]
    assert [r[0] for r in rows] == [r.severity for r in ev.risks]
    assert "留存资料" in model.item(0, 4).toolTip()
    assert f"税务风险提示 {len(ev.risks)} 项" in window.results.checks_label.text()
    # the findings table is unchanged: its counts still add up to the findings
    checks = window.results.checks_model
    assert sum(int(checks.item(r, 2).text()) for r in range(checks.rowCount())) == len(ev.findings)
