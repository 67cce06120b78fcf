"""审计记录: the workspace's audit trail (who, when, what) with filters and export to xlsx / CSV."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QDate, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout)

from forms.audit import ACTION_NAMES, HEADERS, TABLE_NAMES, audit_rows, export_audit_csv, export_audit_xlsx, filter_rows


def _t(text: str) -> str:
    return QCoreApplication.translate("AuditView", text)


class AuditModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._cells = [r.cells() for r in self.rows]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        v = self._cells[index.row()][index.column()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            return "" if v is None else str(v)
        if role == Qt.UserRole:                       # sort key
            return v if isinstance(v, int) else str(v)
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return _t(HEADERS[section])
        return None


class AuditView(QDialog):
    """``AuditView(workspace)``: every entry newest first; filters narrow the list; 导出 writes what is shown."""

    def __init__(self, ws, parent=None):
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle(_t("审计记录") + f" — {ws.path.name}")
        self.resize(1200, 640)
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText(_t("搜索（说明、字段、数值…）"))
        self.user = QComboBox()
        self.action = QComboBox()
        self.table = QComboBox()
        self.use_dates = QCheckBox(_t("日期"))
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setDate(QDate.currentDate())
        bar.addWidget(self.text, 2)
        for label, w in ((_t("用户"), self.user), (_t("操作"), self.action), (_t("表"), self.table)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addWidget(self.use_dates)
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel(_t("至")))
        bar.addWidget(self.date_to)
        lay.addLayout(bar)
        self.model = AuditModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.UserRole)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QTableView.SelectRows)
        self.view.setEditTriggers(QTableView.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(len(HEADERS) - 1, QHeaderView.Stretch)
        for c, w in enumerate((140, 80, 60, 80, 50, 120, 180, 180, 45)):
            self.view.setColumnWidth(c, w)
        lay.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        self.count = QLabel()
        bottom.addWidget(self.count, 1)
        self.refresh_button = QPushButton(_t("刷新"))
        self.xlsx_button = QPushButton(_t("导出 Excel…"))
        self.csv_button = QPushButton(_t("导出 CSV…"))
        close = QPushButton(_t("关闭"))
        for b in (self.refresh_button, self.xlsx_button, self.csv_button, close):
            bottom.addWidget(b)
        lay.addLayout(bottom)
        self.refresh_button.clicked.connect(self.reload)
        self.xlsx_button.clicked.connect(lambda: self.export_dialog("xlsx"))
        self.csv_button.clicked.connect(lambda: self.export_dialog("csv"))
        close.clicked.connect(self.accept)
        self.text.textChanged.connect(self.apply_filter)
        for w in (self.user, self.action, self.table):
            w.currentIndexChanged.connect(self.apply_filter)
        self.use_dates.toggled.connect(self.apply_filter)
        self.date_from.dateChanged.connect(self.apply_filter)
        self.date_to.dateChanged.connect(self.apply_filter)
        self.all_rows: list = []
        self.shown: list = []
        self.reload()

    def reload(self) -> None:
        self.all_rows = audit_rows(self.ws.history(limit=None))
        for box, values, names in ((self.user, {r.user for r in self.all_rows}, {}),
                                   (self.action, {r.action for r in self.all_rows}, ACTION_NAMES),
                                   (self.table, {r.table for r in self.all_rows if r.table}, TABLE_NAMES)):
            current = box.currentData()
            box.blockSignals(True)
            box.clear()
            box.addItem(_t("全部"), None)
            for v in sorted(values):
                box.addItem(_t(names.get(v, v)), v)
            i = box.findData(current)
            box.setCurrentIndex(max(i, 0))
            box.blockSignals(False)
        if self.all_rows:
            dates = [r.date for r in self.all_rows if r.date]
            if dates and not self.use_dates.isChecked():
                self.date_from.setDate(QDate(min(dates).year, min(dates).month, min(dates).day))
                self.date_to.setDate(QDate(max(dates).year, max(dates).month, max(dates).day))
        self.apply_filter()

    def _dates(self) -> tuple[dt.date | None, dt.date | None]:
        if not self.use_dates.isChecked():
            return None, None
        f, t = self.date_from.date(), self.date_to.date()
        return dt.date(f.year(), f.month(), f.day()), dt.date(t.year(), t.month(), t.day())

    def apply_filter(self) -> None:
        date_from, date_to = self._dates()
        self.shown = filter_rows(self.all_rows, text=self.text.text(), user=self.user.currentData(),
                                 action=self.action.currentData(), table=self.table.currentData(),
                                 date_from=date_from, date_to=date_to)
        self.model.set_rows(self.shown)
        self.count.setText(_t("显示 {shown} / 共 {total} 条记录").format(shown=len(self.shown), total=len(self.all_rows)))

    def export(self, path: str | Path) -> Path:
        """Write the rows shown (filters applied) to ``path`` (.xlsx or .csv)."""
        path = Path(path)
        if path.suffix.lower() == ".csv":
            return export_audit_csv(self.shown, path)
        return export_audit_xlsx(self.shown, path, title=f"审计记录：{self.ws.path.name}")

    def export_dialog(self, kind: str) -> None:
        suggested = str(self.ws.path.with_name(f"{self.ws.path.stem}-审计记录.{kind}"))
        filt = "Excel 工作簿 (*.xlsx)" if kind == "xlsx" else "CSV 文件 (*.csv)"
        path, _ = QFileDialog.getSaveFileName(self, _t("导出审计记录"), suggested, filt)
        if path:
            try:
                self.export(path)
            except OSError as exc:
                self.count.setText(_t("导出失败：") + str(exc))
                return
            self.count.setText(_t("已导出 {n} 条记录到 {path}").format(n=len(self.shown), path=path))
