"""留存备查资料清单: per project the documents to keep on file, marked present, with attached files (stored relative
to the workspace folder) and notes.  Every change is an undoable workspace edit recorded in the audit trail."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from calc.evaluate import year_range
from forms.evidence import workspace_checklist
from forms.workspace import WorkspaceError

COLUMNS = ("项目", "序号", "资料", "依据", "已备齐", "状态", "附件", "备注")
C_PRESENT, C_STATUS, C_FILES, C_NOTE = 4, 5, 6, 7


def _t(text: str) -> str:
    return QCoreApplication.translate("ChecklistView", text)


STATUS_COLOR = {"已备齐": "#E2F0D9", "缺": "#FBE5D6", "已备齐（附件缺失）": "#FFF2CC"}


class ChecklistView(QDialog):
    """``ChecklistView(workspace, year)``."""

    def __init__(self, ws, year: int, parent=None):
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle(_t("留存备查资料清单") + f" — {ws.path.name}")
        self.resize(1180, 660)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(_t("年度")))
        self.year_box = QSpinBox()
        self.year_box.setRange(*year_range())
        self.year_box.setValue(year)
        self.year_box.valueChanged.connect(lambda _v: self.reload())
        top.addWidget(self.year_box)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        lay.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([_t(c) for c in COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setWordWrap(True)
        h = self.table.horizontalHeader()
        for c, w in enumerate((150, 40, 380, 90, 55, 110, 200)):
            self.table.setColumnWidth(c, w)
        h.setSectionResizeMode(C_NOTE, QHeaderView.Stretch)
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.attach_button = QPushButton(_t("附加文件…"))
        self.remove_button = QPushButton(_t("移除附件"))
        self.open_button = QPushButton(_t("打开附件"))
        close = QPushButton(_t("关闭"))
        for b in (self.attach_button, self.remove_button, self.open_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        lay.addLayout(buttons)
        self.attach_button.clicked.connect(self.attach_dialog)
        self.remove_button.clicked.connect(self.remove_files)
        self.open_button.clicked.connect(self.open_files)
        close.clicked.connect(self.accept)
        self.table.itemChanged.connect(self._item_changed)
        self.entries: list = []
        self.error = ""
        for b in (self.attach_button, self.remove_button):
            b.setEnabled(not ws.readonly)
        self.reload()

    @property
    def year(self) -> int:
        return self.year_box.value()

    def reload(self) -> None:
        cl = workspace_checklist(self.ws, self.year)
        self.checklist = cl
        self.entries = list(cl.entries)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.entries))
        last = None
        for r, e in enumerate(self.entries):
            who = (f"{e.project_no} {e.project_name}" if e.project_no else _t("企业（整体）")) if e.project_no != last else ""
            last = e.project_no
            files = "\n".join(p + ("" if ok else _t("（文件缺失）")) for p, ok in e.files)
            values = [who, e.item.id, e.item.title, e.item.citation, "", _t(e.status), files, e.mark.note]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
                if c == C_PRESENT:
                    flags |= Qt.ItemIsUserCheckable
                    item.setCheckState(Qt.Checked if e.present else Qt.Unchecked)
                if c == C_NOTE and not self.ws.readonly:
                    flags |= Qt.ItemIsEditable
                item.setFlags(flags)
                if c in (2, 6):
                    item.setToolTip(v)
                if c == C_STATUS and e.status in STATUS_COLOR:
                    item.setBackground(QBrush(QColor(STATUS_COLOR[e.status])))
                if c == C_FILES and e.missing_files:
                    item.setForeground(QBrush(QColor("#C00000")))
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.table.resizeRowsToContents()
        missing = cl.missing_files
        self.summary.setText(
            _t("应留存 {required} 项，已备齐 {done} 项，尚缺或未标记 {missing} 项").format(
                required=len(cl.required), done=cl.done, missing=len(cl.missing))
            + (_t("；附件缺失 {n} 个").format(n=len(missing)) if missing else "")
            + _t("。保存期限至 {end}（自{year}年度汇算清缴期结束次日起{years}年）。").format(
                end=cl.retention_end.isoformat(), year=cl.year, years=cl.retention_years)
            + _t("附件按相对于工作区文件所在文件夹的路径保存。"))

    def _selected(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectedIndexes()})

    def _set(self, r: int, **kw) -> bool:
        e = self.entries[r]
        try:
            self.ws.set_evidence(self.year, e.project_no, e.item.id, **kw)
        except WorkspaceError as exc:
            self.error = str(exc)
            QMessageBox.warning(self, _t("留存备查"), str(exc))
            return False
        owner = self.parent()
        if owner is not None and hasattr(owner, "update_status"):     # the main window's title shows “*” (unsaved)
            owner.update_status()
        return True

    def _item_changed(self, item: QTableWidgetItem) -> None:
        r, c = item.row(), item.column()
        if c == C_PRESENT:
            self._set(r, present=item.checkState() == Qt.Checked)
        elif c == C_NOTE:
            self._set(r, note=item.text())
        else:
            return
        self.reload()

    def set_present(self, row: int, present: bool) -> None:
        self.table.item(row, C_PRESENT).setCheckState(Qt.Checked if present else Qt.Unchecked)

    def attach(self, row: int, paths) -> None:
        """Attach files to an entry (stored relative to the workspace folder); marks the entry present."""
        e = self.entries[row]
        stored = [self.ws.evidence_relpath(p) for p in paths]
        if stored and self._set(row, files=[*e.mark.files, *stored], present=True):
            self.reload()

    def attach_dialog(self) -> None:
        rows = self._selected()
        if len(rows) != 1:
            QMessageBox.information(self, _t("附加文件"), _t("请先选中一行资料"))
            return
        paths, _ = QFileDialog.getOpenFileNames(self, _t("附加留存备查资料"), str(self.ws.path.parent))
        if paths:
            self.attach(rows[0], paths)

    def remove_files(self) -> None:
        changed = False
        for r in self._selected():
            if self.entries[r].mark.files:
                changed |= self._set(r, files=[])
        if changed:
            self.reload()

    def open_files(self) -> None:
        for r in self._selected():
            for p, ok in self.entries[r].files:
                if ok:
                    QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ws.evidence_abspath(p))))
