"""工作区一览 (advisor roster): the enterprise workspaces of a folder with their key figures; double-click opens one."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QCheckBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableView, QVBoxLayout)

from calc.money import fen_display
from forms.roster import RosterRow, scan_folder

COLUMNS = ("文件", "企业名称", "统一社会信用代码", "年度", "研发费用(第40行)", "加计扣除额(第51行)",
           "节税合计", "高企认定", "后补助(最高项，不计入合计)", "问题数", "最后保存", "状态")
HEADER_TIPS = {4: "A107012 第40行：本年允许加计扣除的研发费用合计", 5: "A107012 第51行：本年研发费用加计扣除额",
               6: "确定的税收效应：加计扣除节税＋高企15%税率节税＋小型微利优惠；不含后补助",
               7: "高新技术企业：证书有效或认定条件测算结论",
               8: "可测算的后补助中金额最高的一项，注明预估／附条件／最高可得；不计入节税合计", 9: "错误与警告的条数"}
MONEY_COLS = (4, 5, 6, 8)


def _t(text: str) -> str:
    return QCoreApplication.translate("RosterView", text)


def _money(v) -> str:
    return "" if v is None else fen_display(v)


def row_cells(r: RosterRow) -> list:
    """Display texts of a roster row (file name relative to nothing: its name)."""
    status = r.error or (_t("正在被 {user} 编辑").format(user=r.locked_by) if r.locked_by else "")
    kind = r.subsidy_kind or ("最高可得" if r.subsidy_up_to else "")
    subsidy = _money(r.subsidy) + (f"（{_t(kind)}）" if r.subsidy is not None and kind else "")
    saved = "" if r.error else (_t("无法计算") if r.tax_saved is None and r.year is not None else _money(r.tax_saved))
    return [r.path.name, r.name, r.credit_code, "" if r.year is None else str(r.year), _money(r.rd_expense),
            _money(r.extra_deduction), saved, _t(r.hnte) if r.hnte else "", subsidy,
            "" if r.findings is None else (_t("{n}（错误 {errors}）").format(n=r.findings, errors=r.errors) if r.errors else str(r.findings)),
            r.saved, status]


class RosterModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[RosterRow] = []
        self.cells: list[list] = []

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.cells = [row_cells(r) for r in self.rows]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        row = self.rows[r]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            if role == Qt.ToolTipRole and c == 0:
                return str(row.path)
            return self.cells[r][c]
        if role == Qt.UserRole:              # sort key: amounts numerically
            v = {4: row.rd_expense, 5: row.extra_deduction, 6: row.tax_saved, 8: row.subsidy, 9: row.findings,
                 3: row.year}.get(c)
            if c in (3, 4, 5, 6, 8, 9):
                return -1 if v is None else v
            return self.cells[r][c]
        if role == Qt.TextAlignmentRole and c in (*MONEY_COLS, 3, 9):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and c == len(COLUMNS) - 1 and row.error:
            return QBrush(QColor("#C00000"))
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal:
            if role == Qt.DisplayRole:
                return _t(COLUMNS[section])
            if role == Qt.ToolTipRole:
                tip = HEADER_TIPS.get(section)
                return _t(tip) if tip else None
        return None


class RosterView(QDialog):
    """``RosterView(folder, parent)``; ``open_requested(path)`` on double-click (the main window opens it)."""

    open_requested = Signal(str)

    def __init__(self, folder: str | Path | None = None, parent=None, *, recursive: bool = False):
        super().__init__(parent)
        self.setWindowTitle(_t("工作区一览"))
        self.resize(1280, 560)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(_t("文件夹")))
        self.folder_edit = QLineEdit(str(folder or ""))
        self.folder_edit.returnPressed.connect(self.refresh)
        top.addWidget(self.folder_edit, 1)
        self.choose_button = QPushButton(_t("选择…"))
        self.choose_button.clicked.connect(self.choose_folder)
        top.addWidget(self.choose_button)
        self.recursive_box = QCheckBox(_t("包括子文件夹"))
        self.recursive_box.setChecked(recursive)
        self.recursive_box.toggled.connect(lambda _on: self.refresh())
        top.addWidget(self.recursive_box)
        self.refresh_button = QPushButton(_t("刷新"))
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        lay.addLayout(top)
        self.model = RosterModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.UserRole)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QTableView.SelectRows)
        self.view.setEditTriggers(QTableView.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.doubleClicked.connect(self._activated)
        h = self.view.horizontalHeader()
        for c, w in enumerate((110, 170, 150, 45, 115, 130, 90, 100, 55, 130)):
            self.view.setColumnWidth(c, w)
        h.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        lay.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        self.count = QLabel()
        bottom.addWidget(self.count, 1)
        self.open_button = QPushButton(_t("打开"))
        self.open_button.clicked.connect(self.open_selected)
        close = QPushButton(_t("关闭"))
        close.clicked.connect(self.reject)
        bottom.addWidget(self.open_button)
        bottom.addWidget(close)
        lay.addLayout(bottom)
        if folder:
            self.refresh()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _t("选择存放工作区的文件夹"), self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)
            self.refresh()

    def refresh(self) -> None:
        """Scan the folder (figures are cached per file, so unchanged files are quick)."""
        folder = self.folder_edit.text().strip()
        if not folder or not Path(folder).is_dir():
            self.model.set_rows([])
            self.count.setText(_t("请选择存放工作区（.rdw）的文件夹"))
            return
        self.count.setText(_t("正在读取…"))
        self.setCursor(Qt.WaitCursor)
        try:
            rows = scan_folder(folder, recursive=self.recursive_box.isChecked())
        finally:
            self.unsetCursor()
        self.model.set_rows(rows)
        bad = sum(1 for r in rows if r.error)
        self.count.setText(_t("共 {n} 个工作区").format(n=len(rows)) + (_t("，{n} 个无法读取").format(n=bad) if bad else "")
                           + _t("。双击打开；金额单位：元"))

    def _path_at(self, proxy_index) -> Path | None:
        if not proxy_index.isValid():
            return None
        return self.model.rows[self.proxy.mapToSource(proxy_index).row()].path

    def _activated(self, index) -> None:
        path = self._path_at(index)
        if path is not None:
            self.open_requested.emit(str(path))

    def open_selected(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            self._activated(rows[0])
