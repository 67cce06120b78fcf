"""企业信息 → 高新技术企业历次证书: a small table (证书编号 | 发证日期) instead of one line of text.

It reads and writes the same text the workbook holds (“编号 日期；编号 日期”, calc.identifiers.parse_hnte_certificates),
so the workspace, the workbook and the quick estimate keep one format.  It offers the QLineEdit calls ProfilePage
uses (text, setText, setReadOnly, setStyleSheet, editingFinished)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from calc.identifiers import parse_hnte_certificates


class CertificateTable(QWidget):
    editingFinished = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["证书编号", "发证日期"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setEditTriggers(QAbstractItemView.AllEditTriggers)
        self.table.setFixedHeight(26 + 24 * 4)        # header + four certificates
        self.table.setToolTip("重新认定、先后取得多张证书时逐张填写；日期如 2019-12-02。各证书分别适用于其覆盖的纳税年度")
        self.add = QPushButton("添加证书")
        self.remove = QPushButton("删除所选")
        self.add.clicked.connect(self._add_row)
        self.remove.clicked.connect(self._remove_rows)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table)
        lay.addLayout(buttons)
        self._loading = False
        self.table.itemChanged.connect(self._changed)

    # -- the QLineEdit-like interface ProfilePage uses
    def text(self) -> str:
        parts = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c).text().strip() if self.table.item(r, c) else "" for c in (0, 1)]
            if any(cells):
                parts.append(" ".join(c for c in cells if c))
        return "；".join(parts)

    def setText(self, text: str) -> None:
        self._loading = True
        try:
            certs, problems = parse_hnte_certificates(text or None)
            rows = [(no or "", day.isoformat()) for no, day in certs]
            if problems:                    # keep what cannot be read as typed, in the number column
                rows += [(p.split("”")[0].lstrip("“"), "") for p in problems]
            self.table.setRowCount(len(rows))
            for r, (no, day) in enumerate(rows):
                self.table.setItem(r, 0, QTableWidgetItem(no))
                self.table.setItem(r, 1, QTableWidgetItem(day))
        finally:
            self._loading = False

    def setReadOnly(self, readonly: bool) -> None:
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers if readonly else QAbstractItemView.AllEditTriggers)
        self.add.setEnabled(not readonly)
        self.remove.setEnabled(not readonly)

    def setPlaceholderText(self, text: str) -> None:
        self.table.setToolTip(text)

    # -- edits
    def _add_row(self) -> None:
        self.table.insertRow(self.table.rowCount())
        self.table.setCurrentCell(self.table.rowCount() - 1, 0)

    def _remove_rows(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows:
            self.table.removeRow(r)
        if rows:
            self.editingFinished.emit()

    def _changed(self, _item) -> None:
        if not self._loading:
            self.editingFinished.emit()
