"""Table models over workspace column arrays: fast for large ledgers, editable through the workspace."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt, Signal

from calc import schema as S
from calc.money import fen_display
from forms.workspace import InvalidValue, Workspace, WorkspaceError, columns_of, display_value

TABLE_TITLES = {"years": S.SHEET_YEARS, "projects": S.SHEET_PROJECTS, "lines": S.SHEET_LINES,
                "adjustments": S.SHEET_ADJUSTMENTS, "facts": S.SHEET_FACTS}
SHEET_TABLES = {v: k for k, v in TABLE_TITLES.items()}


class WorkspaceTableModel(QAbstractTableModel):
    """One workspace table as a Qt model: rows in a view order (sort/filter keep a permutation of the
    column arrays), cells shown as the user typed them, edits validated by the workspace (undoable)."""

    edit_failed = Signal(str)

    def __init__(self, ws: Workspace | None, table: str, parent=None):
        super().__init__(parent)
        self.table = table
        self.columns = columns_of(table)
        self.ws: Workspace | None = None
        self.ids: list[int] = []
        self.data_cols: dict[str, list] = {}
        self.view: list[int] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._filter = None
        self.set_workspace(ws)

    # -- loading -------------------------------------------------------------------------
    def set_workspace(self, ws: Workspace | None) -> None:
        self.ws = ws
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        if self.ws is None or self.ws.closed:
            self.ids, self.data_cols = [], {c.field: [] for c in self.columns}
        else:
            self.ids, self.data_cols = self.ws.column_arrays(self.table)
        self._rebuild_view()
        self.endResetModel()

    def _rebuild_view(self) -> None:
        order = list(range(len(self.ids)))
        if self._filter is not None:
            order = [i for i in order if self._filter(self, i)]
        if self._sort is not None:
            col, how = self._sort
            values = self.data_cols.get(self.columns[col].field, [])
            order.sort(key=lambda i: _sort_key(values[i]), reverse=how == Qt.DescendingOrder)
        self.view = order

    def set_filter(self, predicate) -> None:
        """``predicate(model, array_index) -> bool``; ``None`` shows every row."""
        self.beginResetModel()
        self._filter = predicate
        self._rebuild_view()
        self.endResetModel()

    # -- Qt model API ----------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.view)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            col = self.columns[section]
            return QCoreApplication.translate("schema", col.header) + ("*" if col.required else "")
        return str(section + 1)

    def stored(self, row: int, col: int):
        return self.data_cols[self.columns[col].field][self.view[row]]

    def row_id(self, row: int) -> int:
        return self.ids[self.view[row]]

    def row_of_id(self, row_id: int) -> int | None:
        try:
            index = self.ids.index(row_id)
        except ValueError:
            return None
        try:
            return self.view.index(index)
        except ValueError:
            return None

    def column_of(self, field: str) -> int | None:
        for i, c in enumerate(self.columns):
            if c.field == field:
                return i
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        col = self.columns[index.column()]
        value = self.stored(index.row(), index.column())
        if role in (Qt.DisplayRole, Qt.EditRole):
            return "" if value is None else display_value(self.table, col.field, value)
        if role == Qt.TextAlignmentRole and col.kind in (S.AMOUNT, S.INT, S.YEAR, S.RATIO):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ToolTipRole:
            return col.help or None
        return None

    def flags(self, index):
        base = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        if self.ws is not None and not self.ws.readonly:
            base |= Qt.ItemIsEditable
        return base

    def setData(self, index, value, role=Qt.EditRole):
        if role != Qt.EditRole or not index.isValid() or self.ws is None:
            return False
        col = self.columns[index.column()]
        try:
            self.ws.set_value(self.table, self.row_id(index.row()), col.field, value)
        except (InvalidValue, WorkspaceError) as exc:
            self.edit_failed.emit(str(exc))
            return False
        return True

    def sort(self, column, order=Qt.AscendingOrder):
        self.beginResetModel()
        self._sort = (column, order)
        self._rebuild_view()
        self.endResetModel()

    # -- totals of the visible rows ---------------------------------------------------------
    def total(self, field: str) -> int:
        values = self.data_cols.get(field, [])
        return sum(values[i] or 0 for i in self.view if isinstance(values[i], int))

    def totals_text(self) -> str:
        if self.table != "lines":
            return f"共 {len(self.view)} 行"
        return (f"显示 {len(self.view):,} / {len(self.ids):,} 行    会计金额合计 ¥{fen_display(self.total('amount'))}"
                f"    税法金额（填写的）合计 ¥{fen_display(self.total('tax_amount'))}")


def _sort_key(value):
    if value is None:
        return (1, "")
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, (dt.date, dt.datetime)):
        return (0, value.isoformat())
    return (0, str(value))


def ledger_filter(project: str | None, code: str | None, month: str | None, text: str | None):
    """A predicate for the 研发支出 table: project, code, month (YYYY-MM) and free text."""
    text = (text or "").strip().lower()

    def accept(model: WorkspaceTableModel, i: int) -> bool:
        d = model.data_cols
        if project and d["project_no"][i] != project:
            return False
        if code and str(d["code"][i] or "").upper() != code.upper():
            return False
        if month:
            day = d["date"][i]
            if not day or not str(day).startswith(month):
                return False
        if text:
            hay = " ".join(str(d[f][i] or "") for f in ("summary", "voucher_no", "voucher_kind", "project_no", "code"))
            if text not in hay.lower():
                return False
        return True

    if not (project or code or month or text):
        return None
    return accept
