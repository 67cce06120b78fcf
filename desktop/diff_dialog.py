"""The re-import preview: what importing a workbook into the open workspace changes (calc.diff), Apply / Cancel."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QTabWidget, QVBoxLayout)

from forms.workspace import InvalidValue, TABLE_SHEETS, WorkspaceError, columns_of, display_value


def _t(text: str) -> str:
    return QCoreApplication.translate("DiffDialog", text)


KIND_TEXT = {"added": "新增", "changed": "修改", "removed": "删除"}
KIND_COLOR = {"added": "#E2F0D9", "changed": "#FFF2CC", "removed": "#FBE5D6"}
MAX_SHOWN = 5000                      # rows per tab; the counts always cover everything


def _headers(table: str) -> dict[str, str]:
    try:
        return {c.field: c.header for c in columns_of(table)}
    except WorkspaceError:
        return {}


def _show(table: str, field: str, value) -> str:
    try:
        return display_value(table, field, value)
    except (WorkspaceError, InvalidValue, KeyError):
        return "" if value is None else str(value)


def summary_text(diff) -> str:
    t = diff.totals()
    mode = _t("替换导入（工作区将与工作簿一致）") if diff.mode == "replace" else _t("合并导入")
    return mode + _t("：新增 {added}，修改 {changed}，删除 {removed}，未变 {unchanged}").format(**t)


def change_rows(diff, table: str) -> list[tuple[str, str, str]]:
    """(变化, 标识, 明细) of one table, for the detail list and tests."""
    td = diff.tables[table]
    heads = _headers(table)
    out = []
    for ch in td.changes:
        if table == "profile":
            field = ch.key[0]
            ident = heads.get(field, field)
        else:
            ident = " / ".join(_show(table, f, v) for f, v in zip(_key_fields(table), ch.key) if v is not None)
        if ch.kind == "changed":
            detail = "；".join(f"{heads.get(f, f)}：{_show(table, f, ch.old.get(f)) or '（空）'} → "
                              f"{_show(table, f, ch.new.get(f)) or '（空）'}" for f in ch.fields)
        else:
            row = ch.new if ch.kind == "added" else ch.old
            detail = "；".join(f"{heads.get(f, f)}：{_show(table, f, v)}" for f, v in row.items()
                              if v is not None and f not in ("id", "position"))
        out.append((_t(KIND_TEXT[ch.kind]), ident, detail))
    return out


def _key_fields(table: str) -> tuple[str, ...]:
    from calc.diff import KEYS
    return KEYS.get(table, ())


class DiffDialog(QDialog):
    """Counts per table and a detail list per table with changes; ``exec()`` is Accepted when the user applies."""

    def __init__(self, diff, name: str = "", parent=None):
        super().__init__(parent)
        self.diff = diff
        self.setWindowTitle(_t("导入前比较") + (f"：{name}" if name else ""))
        self.resize(980, 620)
        lay = QVBoxLayout(self)
        self.summary = QLabel(summary_text(diff))
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.counts = QTableWidget(0, 5)
        self.counts.setHorizontalHeaderLabels([_t(h) for h in ("表", "新增", "修改", "删除", "未变")])
        self.counts.verticalHeader().setVisible(False)
        self.counts.setEditTriggers(QTableWidget.NoEditTriggers)
        for table, td in diff.tables.items():
            r = self.counts.rowCount()
            self.counts.insertRow(r)
            c = td.counts()
            for col, v in enumerate([_t(TABLE_SHEETS.get(table, table)), c["added"], c["changed"], c["removed"],
                                     c["unchanged"]]):
                item = QTableWidgetItem(str(v))
                if col:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.counts.setItem(r, col, item)
        self.counts.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.counts.resizeRowsToContents()
        height = self.counts.horizontalHeader().height() + sum(self.counts.rowHeight(r) for r in range(self.counts.rowCount()))
        self.counts.setFixedHeight(height + 4)
        lay.addWidget(self.counts)
        self.tabs = QTabWidget()
        self.details: dict[str, QTableWidget] = {}
        for table, td in diff.tables.items():
            if td.empty:
                continue
            rows = change_rows(diff, table)
            view = QTableWidget(min(len(rows), MAX_SHOWN), 3)
            view.setHorizontalHeaderLabels([_t(h) for h in ("变化", "标识", "明细")])
            view.setEditTriggers(QTableWidget.NoEditTriggers)
            view.verticalHeader().setVisible(False)
            kinds = [ch.kind for ch in td.changes]
            for r, (row, kind) in enumerate(zip(rows[:MAX_SHOWN], kinds)):
                for c, text in enumerate(row):
                    item = QTableWidgetItem(text)
                    item.setToolTip(text)
                    item.setBackground(QBrush(QColor(KIND_COLOR[kind])))
                    view.setItem(r, c, item)
            view.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
            view.resizeColumnToContents(0)
            view.setColumnWidth(1, 300)
            self.details[table] = view
            c = td.counts()
            title = f"{_t(TABLE_SHEETS.get(table, table))}（+{c['added']} ~{c['changed']} −{c['removed']}）"
            self.tabs.addTab(view, title)
        if not self.details:
            lay.addWidget(QLabel(_t("工作簿与当前数据一致，导入不会改变数据。")))
        lay.addWidget(self.tabs, 1)
        if any(len(td.changes) > MAX_SHOWN for td in diff.tables.values()):
            lay.addWidget(QLabel(_t("（每张表最多列出 {n} 处变化，上方计数为全部）").format(n=MAX_SHOWN)))
        buttons = QDialogButtonBox()
        self.apply_button = buttons.addButton(_t("应用导入"), QDialogButtonBox.AcceptRole)
        self.cancel_button = buttons.addButton(_t("取消"), QDialogButtonBox.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
