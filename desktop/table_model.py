"""Table models over workspace column arrays: fast for large ledgers, editable through the workspace.

Sorting and filtering work on numpy arrays derived from the columns and cached until the data change:
a sort key is a dense rank per row (the order of :func:`_sort_key`), a filter is a boolean mask computed
once per distinct value (a ledger repeats its dates, codes and projects), so a 1,000,000-row ledger sorts
and filters in a fraction of a second.  Results are those of the row-by-row definitions: a stable sort by
``_sort_key`` (descending keeps equal rows in their order, as ``list.sort(reverse=True)`` does) and the
predicate of :func:`ledger_filter`.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt, QTimer, Signal

from calc import schema as S
from calc.ingest import gc_paused
from calc.money import fen_display
from forms.workspace import InvalidValue, Workspace, WorkspaceError, columns_of, display_value

TABLE_TITLES = {"years": S.SHEET_YEARS, "projects": S.SHEET_PROJECTS, "lines": S.SHEET_LINES,
                "adjustments": S.SHEET_ADJUSTMENTS, "facts": S.SHEET_FACTS}
SHEET_TABLES = {v: k for k, v in TABLE_TITLES.items()}



def _fact_display(name, value) -> str:
    """A 补助测算信息 value as shown: a money fact (e.g. 研发经费支出) as ``8,214,530.00`` like every other
    amount (review desktop-app #28); the edit role keeps the stored text exactly."""
    import unicodedata

    from calc.money import AmountError, parse_amount
    from calc.subsidy import FACTS

    text = str(value)
    key = unicodedata.normalize("NFKC", str(name or "")).replace(" ", "")
    fact = FACTS.get(str(name or "")) or next(
        (f for f in FACTS.values() if unicodedata.normalize("NFKC", f.label).replace(" ", "") == key), None)
    if fact is None or fact.kind != "money":
        return text
    try:
        fen = parse_amount(text)
    except AmountError:
        return text                       # not an amount: shown as typed (ingest reports it)
    return text if fen is None else fen_display(fen)

class WorkspaceTableModel(QAbstractTableModel):
    """One workspace table as a Qt model: rows in a view order (sort/filter keep a permutation of the
    column arrays), cells shown as the user typed them, edits validated by the workspace (undoable)."""

    edit_failed = Signal(str)
    loaded = Signal()              # every column is in memory

    def __init__(self, ws: Workspace | None, table: str, parent=None):
        super().__init__(parent)
        self.table = table
        self.columns = columns_of(table)
        self._fields = [c.field for c in self.columns]
        self._field_pos = {f: i for i, f in enumerate(self._fields)}
        self.ws: Workspace | None = None
        self.ids: list[int] = []
        self.data_cols: dict[str, list] = _Columns(self, self._fields, {})
        self.view: list[int] = []
        self._view = np.zeros(0, dtype=np.int64)       # the view as an array
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._filter = None
        self._cache: dict = {}                          # derived arrays: sort ranks, factorised columns, totals
        self._rows: dict[int, tuple] = {}               # rows read for display while their columns are not loaded
        self._loaded: tuple | None = None               # (workspace, version) of the data
        self._preload: dict | None = None               # the columns being read in slices
        self.hold_order = False     # True while a cell editor commits: rows stay in place (as in Excel) until
                                    # the next sort or filter, so the editor can move on to the next cell
        self.set_workspace(ws)

    # -- loading -------------------------------------------------------------------------
    def set_workspace(self, ws: Workspace | None) -> None:
        self.ws = ws
        self.reload()

    def reload(self) -> None:
        """Take the workspace's current data.  Cells edited since the last load are refreshed in place; any
        other change reads the table again — its row ids and the sort column at once, other columns when first
        needed, the visible rows for display in pages."""
        if self._refresh_edited():
            return
        self.beginResetModel()
        ws = self.ws
        self._preload = None
        if ws is None or ws.closed:
            self.ids, loaded, self._loaded = [], {f: [] for f in self._fields}, None
        else:
            version = ws.version
            if ws.count(self.table) < _LAZY_ROWS:
                with gc_paused():                 # a million row tuples and no cycles: no collector passes
                    self.ids, loaded = ws.column_arrays(self.table)
            else:
                need = [self.columns[self._sort[0]].field] if self._sort and 0 <= self._sort[0] < len(self.columns) else []
                with gc_paused():
                    self.ids, loaded = ws.column_arrays(self.table, need)
                self._preload = {"version": version, "after": None, "ids": [],
                                 "parts": {f: [] for f in self._fields if f not in loaded}}
                QTimer.singleShot(0, self, self._preload_step)
            self._loaded = (ws, version)
        self.data_cols = _Columns(self, self._fields, loaded)
        self._cache, self._rows = {}, {}
        self._rebuild_view()
        self.endResetModel()
        if self._preload is None:
            self.loaded.emit()

    @property
    def fully_loaded(self) -> bool:
        """Every column is in memory (a large table reads its columns in slices after it is shown)."""
        return self._preload is None

    def _preload_step(self) -> None:
        """Read the next slice of the columns not yet loaded; install them when the table is read through."""
        p, ws = self._preload, self.ws
        if p is None or ws is None or ws.closed or self._loaded is None or self._loaded[0] is not ws:
            return
        changes = ws.changes_since(p["version"])
        if changes is None or any(c[2] != "set" for c in changes):
            self._preload = None                       # the table changed shape: reload() starts again
            return
        fields = [f for f in p["parts"] if not self.data_cols.loaded(f)]
        with gc_paused():
            rows = ws.read_rows(self.table, fields, p["after"], _SLICE)
        p["ids"].extend(r[1] for r in rows)
        for k, f in enumerate(fields, start=2):
            p["parts"][f].extend(r[k] for r in rows)
        if len(rows) == _SLICE:
            p["after"] = rows[-1][:2]
            QTimer.singleShot(0, self, self._preload_step)
            return
        self._preload = None
        if p["ids"] != self.ids:
            return
        for f in fields:
            if not self.data_cols.loaded(f):
                dict.__setitem__(self.data_cols, f, p["parts"][f])
        edited = [c for c in changes if c[1] == self.table]      # cells edited while the slices were read
        if edited:
            position = self._cached("position", lambda: {row_id: i for i, row_id in enumerate(self.ids)})
            for row_id, values in ws.rows_by_id(self.table, {i for c in edited for i in c[3]}).items():
                i = position.get(row_id)
                if i is not None:
                    for f in fields:
                        p["parts"][f][i] = values[self._field_pos[f]]
        self._rows = {}
        self.loaded.emit()

    def _refresh_edited(self) -> bool:
        """When only cell values changed since the data were read: update them in place (True)."""
        ws = self.ws
        if ws is None or ws.closed or self._loaded is None or self._loaded[0] is not ws:
            return False
        changes = ws.changes_since(self._loaded[1])
        if changes is None or any(c[2] != "set" for c in changes):
            return False
        self._loaded = (ws, ws.version)
        mine = [c for c in changes if c[1] == self.table]
        if not mine:
            return True
        position = self._cached("position", lambda: {row_id: i for i, row_id in enumerate(self.ids)})
        fresh = ws.rows_by_id(self.table, {i for c in mine for i in c[3]})
        fields = {c[4] for c in mine}
        for row_id, values in fresh.items():
            i = position.get(row_id)
            if i is None:
                continue
            self._rows.pop(i, None)
            for f in fields:
                if self.data_cols.loaded(f):
                    self.data_cols[f][i] = values[self._field_pos[f]]
        for f in fields:
            for kind in ("rank", "codes", "int", "ints"):
                self._cache.pop((kind, f), None)
        sort_field = self.columns[self._sort[0]].field if self._sort and 0 <= self._sort[0] < len(self.columns) else None
        if (self._filter is not None or sort_field in fields) and not self.hold_order:
            self.beginResetModel()
            self._rebuild_view()
            self.endResetModel()
        elif self.view:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.view) - 1, len(self.columns) - 1))
        return True

    def _load_column(self, field: str) -> list:
        """One column of the loaded rows, read now."""
        if self.ws is None or self.ws.closed or self._loaded is None:
            return [None] * len(self.ids)
        ids, cols = self.ws.column_arrays(self.table, [field])
        values = cols[field]
        if ids != self.ids:                     # rows changed since: align on the ids that are shown
            by_id = dict(zip(ids, values))
            values = [by_id.get(i) for i in self.ids]
        return values

    def _rebuild_view(self) -> None:
        n = len(self.ids)
        if self._filter is None:
            order = np.arange(n, dtype=np.int64)
        elif hasattr(self._filter, "mask"):
            order = np.flatnonzero(self._filter.mask(self))
        else:                                            # any predicate(model, index) still works, row by row
            order = np.flatnonzero(np.fromiter((bool(self._filter(self, i)) for i in range(n)), dtype=bool, count=n))
        if self._sort is not None:
            col, how = self._sort
            field = self.columns[col].field if 0 <= col < len(self.columns) else None
            if field in self.data_cols:
                order = self._sorted(order, field, how == Qt.DescendingOrder)
        self._view = order
        self.view = order.tolist()

    def _sorted(self, order: np.ndarray, field: str, descending: bool) -> np.ndarray:
        """``order`` stably sorted by :func:`_sort_key` of ``field`` (descending as ``list.sort(reverse=True)``:
        equal values keep their order, empty cells first)."""
        ints = self._cached(("ints", field), lambda: _int_keys(self.data_cols[field]))
        if ints is not _TOO_BIG:                 # integers: sort the values themselves, empty cells apart
            keys, nulls = ints
            empty, filled = order[nulls[order]], order[~nulls[order]]
            if descending:
                return np.concatenate([empty, filled[np.argsort(-keys[filled], kind="stable")]])
            return np.concatenate([filled[np.argsort(keys[filled], kind="stable")], empty])
        rank = self.sort_ranks(field)
        top = int(rank.max()) if len(rank) else 0
        key = rank[order]
        if descending:
            key = top - key
        if top < 65536:
            key = key.astype(np.uint16)          # a stable sort of 16-bit keys is a radix sort
        return order[np.argsort(key, kind="stable")]

    # -- arrays derived from the columns (cached until the data change) -----------------------
    def _cached(self, key, build):
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = build()
        return value

    def sort_ranks(self, field: str) -> np.ndarray:
        """Per row, the dense rank of its value in the order of :func:`_sort_key` (equal values, equal ranks)."""
        return self._cached(("rank", field), lambda: _ranks(self.data_cols[field]))

    def factorised(self, field: str) -> tuple[np.ndarray, list]:
        """``(codes, values)``: per row the index of its value in ``values`` (each distinct value once)."""
        return self._cached(("codes", field), lambda: _factorise(self.data_cols[field]))

    def value_mask(self, field: str, test) -> np.ndarray:
        """Per row, ``test(value)`` — evaluated once per distinct value."""
        codes, values = self.factorised(field)
        table = np.fromiter((bool(test(v)) for v in values), dtype=bool, count=len(values))
        return table[codes] if len(values) else np.zeros(len(codes), dtype=bool)

    def set_filter(self, predicate) -> None:
        """``predicate(model, array_index) -> bool``; ``None`` shows every row.  A predicate with a
        ``mask(model)`` method (as :func:`ledger_filter` gives) is evaluated for all rows at once."""
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
        if role == Qt.ToolTipRole and orientation == Qt.Horizontal and 0 <= section < len(self.columns):
            col = self.columns[section]            # the full name (cut-off headers) and its help (review #23)
            return col.header + ("（必填）" if col.required else "") + (f"\n{col.help}" if col.help else "")
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            col = self.columns[section]
            return QCoreApplication.translate("schema", col.header) + ("*" if col.required else "")
        return str(section + 1)

    def stored(self, row: int, col: int):
        field = self.columns[col].field
        i = self.view[row]
        if self.data_cols.loaded(field):
            return self.data_cols[field][i]
        values = self._rows.get(i)
        if values is None:
            values = self._read_page(row).get(i)
        return None if values is None else values[self._field_pos[field]]

    def _read_page(self, row: int) -> dict[int, tuple]:
        """Read the rows around view row ``row`` (for display) into the row cache."""
        if len(self._rows) > _ROW_CACHE:
            self._rows = {}
        if self.ws is None or self.ws.closed:
            return self._rows
        chosen = self.view[max(0, row - _PAGE // 4):row + _PAGE]
        got = self.ws.rows_by_id(self.table, [self.ids[i] for i in chosen])
        for i in chosen:
            values = got.get(self.ids[i])
            if values is not None:
                self._rows[i] = values
        return self._rows

    def row_id(self, row: int) -> int:
        return self.ids[self.view[row]]

    def row_of_id(self, row_id: int) -> int | None:
        ids = self._cached("ids", lambda: np.array(self.ids, dtype=np.int64))
        where = np.flatnonzero(ids == row_id)
        if not len(where):
            return None
        rows = np.flatnonzero(self._view == where[0])
        return int(rows[0]) if len(rows) else None

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
            if value is None:
                return ""
            if role == Qt.DisplayRole and self.table == "facts" and col.field == "value":
                return _fact_display(self.stored(index.row(), self.column_of("name")), value)
            return display_value(self.table, col.field, value)
        if role == Qt.TextAlignmentRole and col.kind in (S.AMOUNT, S.INT, S.YEAR, S.RATIO):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role in (Qt.BackgroundRole, Qt.ToolTipRole) and col.field == "code":
            from .ledger_view import PROBLEM_BRUSH, cell_problem
            problem = cell_problem(self.table, col.field, value)
            if problem:
                return PROBLEM_BRUSH if role == Qt.BackgroundRole else problem
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
        except Exception as exc:  # noqa: BLE001 — a slot must not raise: the edit would vanish without a word (C5)
            self.edit_failed.emit(f"修改未能记录，单元格保持原值（{type(exc).__name__}：{exc}）")
            return False
        return True

    def sort(self, column, order=Qt.AscendingOrder):
        self.beginResetModel()
        self._sort = (column, order)
        self._rebuild_view()
        self.endResetModel()

    # -- totals of the visible rows ---------------------------------------------------------
    def total(self, field: str) -> int:
        """Σ of the integer values (分) of a column over the visible rows, exact."""
        if (self._filter is None and field in self.data_cols and not self.data_cols.loaded(field)
                and self._loaded is not None and self._loaded[0].version == self._loaded[1]):
            return self.ws.integer_sum(self.table, field)          # every row shown: the database adds up
        values = self.data_cols.get(field, [])
        amounts = self._cached(("int", field), lambda: _integers(values))
        if amounts is _TOO_BIG:
            return sum(values[i] or 0 for i in self.view if isinstance(values[i], int))
        return int(amounts[self._view].sum()) if len(self._view) else 0

    def totals_text(self) -> str:
        if self.table != "lines":
            return f"共 {len(self.view)} 行"
        return (f"显示 {len(self.view):,} / {len(self.ids):,} 行    会计金额合计 ¥{fen_display(self.total('amount'))}"
                f"    税法金额（填写的）合计 ¥{fen_display(self.total('tax_amount'))}")


_LAZY_ROWS = 100_000        # from this many rows a table is shown before all its columns are read
_SLICE = 20_000             # rows read per event-loop turn while the columns load
_PAGE = 256                 # rows read at once for display
_ROW_CACHE = 20_000         # rows kept for display


class _Columns(dict):
    """``field → values`` in table order; a column is read from the workspace when first used."""

    def __init__(self, model: WorkspaceTableModel, fields: list[str], loaded: dict):
        super().__init__(loaded)
        self._model, self._fields = model, tuple(fields)

    def __missing__(self, field):
        if field not in self._fields:
            raise KeyError(field)
        values = self._model._load_column(field)
        dict.__setitem__(self, field, values)
        return values

    def loaded(self, field: str) -> bool:
        return dict.__contains__(self, field)

    def get(self, field, default=None):
        return self[field] if field in self._fields else default

    def __contains__(self, field) -> bool:
        return field in self._fields

    def __iter__(self):
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def keys(self):
        return list(self._fields)

    def values(self):
        return [self[f] for f in self._fields]

    def items(self):
        return [(f, self[f]) for f in self._fields]


def _sort_key(value):
    if value is None:
        return (1, "")
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, (dt.date, dt.datetime)):
        return (0, value.isoformat())
    return (0, str(value))


_TOO_BIG = object()
_INT64_SAFE = 2 ** 62


def _integers(values: list):
    """The int values of a column as int64 (others 0), or ``_TOO_BIG`` when a sum could leave int64."""
    ints = [v if isinstance(v, int) else 0 for v in values]
    if ints and max(max(ints), -min(ints)) * len(ints) >= _INT64_SAFE:
        return _TOO_BIG
    return np.array(ints, dtype=np.int64)


def _int_keys(values: list):
    """``(int64 values, empty mask)`` of a column of integers and empty cells, else ``_TOO_BIG``."""
    if not values or not set(map(type, values)) <= {int, type(None)}:
        return _TOO_BIG
    ints = [0 if v is None else v for v in values]
    if max(ints) >= 2 ** 63 or min(ints) <= -2 ** 63:       # -min must fit too (descending sorts on -value)
        return _TOO_BIG
    return np.array(ints, dtype=np.int64), np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def _factorise(values: list) -> tuple[np.ndarray, list]:
    """Per value the index of its distinct value, and the distinct values in first-seen order."""
    if set(map(type, values)) <= {str, type(None)}:
        distinct = list(dict.fromkeys(values))
        index = {v: i for i, v in enumerate(distinct)}
        return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values)), distinct
    index = {}                              # 1, 1.0 and True are equal keys: keep their types apart
    codes = np.fromiter((index.setdefault((type(v), v), len(index)) for v in values), dtype=np.int64,
                        count=len(values))
    return codes, [v for _, v in index]


def _ranks(values: list) -> np.ndarray:
    """Dense ranks of the values under :func:`_sort_key` (equal keys, equal ranks)."""
    n = len(values)
    types = set(map(type, values))
    codes, uniques = _factorise(values)
    if types <= {str, type(None)}:
        keyed = [((0, v) if v is not None else (1, ""), i) for i, v in enumerate(uniques)]
        keyed.sort()                          # (0, text) keys: the plain string order
    else:
        try:
            keyed = sorted(((_sort_key(v), i) for i, v in enumerate(uniques)), key=lambda p: p[0])
        except TypeError:                     # numbers and text in one column: group them by type
            keyed = sorted(((_sort_key(v), i) for i, v in enumerate(uniques)),
                           key=lambda p: (p[0][0], type(p[0][1]).__name__, p[0][1]))
    table = np.zeros(max(len(uniques), 1), dtype=np.int64)
    rank, last = -1, None
    for key, i in keyed:
        if rank < 0 or key != last:
            rank, last = rank + 1, key
        table[i] = rank
    return table[codes] if n else np.zeros(0, dtype=np.int64)


_TEXT_FIELDS = ("summary", "voucher_no", "voucher_kind", "project_no", "code")


class _LedgerFilter:
    """The 研发支出 filter: project, code, month (YYYY-MM) and free text.  Callable row by row
    (``accept(model, i)``); ``mask(model)`` gives the same answer for every row at once."""

    def __init__(self, project, code, month, text):
        self.project, self.code, self.month, self.text = project, code, month, text

    def __call__(self, model: WorkspaceTableModel, i: int) -> bool:
        d = model.data_cols
        if self.project and d["project_no"][i] != self.project:
            return False
        if self.code and str(d["code"][i] or "").upper() != self.code.upper():
            return False
        if self.month:
            day = d["date"][i]
            if not day or not str(day).startswith(self.month):
                return False
        if self.text:
            hay = " ".join(str(d[f][i] or "") for f in _TEXT_FIELDS)
            if self.text not in hay.lower():
                return False
        return True

    def mask(self, model: WorkspaceTableModel) -> np.ndarray:
        keep = np.ones(len(model.ids), dtype=bool)
        if self.project:
            project = self.project
            keep &= model.value_mask("project_no", lambda v: not v != project)
        if self.code:
            code = self.code.upper()
            keep &= model.value_mask("code", lambda v: str(v or "").upper() == code)
        if self.month:
            month = self.month
            keep &= model.value_mask("date", lambda v: bool(v) and str(v).startswith(month))
        if self.text:
            text = self.text
            if " " in text:                     # may span two fields of the joined text: row by row
                rows = np.flatnonzero(keep)
                ok = np.fromiter((self(model, int(i)) for i in rows), dtype=bool, count=len(rows))
                keep[rows[~ok]] = False
            elif keep.sum() * 8 < len(keep):      # few rows left: look at those only (each value once)
                rows = np.flatnonzero(keep)
                found = np.zeros(len(rows), dtype=bool)
                for f in _TEXT_FIELDS:
                    column, seen = model.data_cols[f], {}
                    for n, i in enumerate(rows.tolist()):
                        v = column[i]
                        hit = seen.get((type(v), v))
                        if hit is None:
                            hit = seen[(type(v), v)] = text in str(v or "").lower()
                        if hit:
                            found[n] = True
                keep[rows[~found]] = False
            else:                               # in the joined text ⟺ in one of its fields
                found = np.zeros(len(keep), dtype=bool)
                for f in _TEXT_FIELDS:
                    found |= model.value_mask(f, lambda v: text in str(v or "").lower())
                keep &= found
        return keep


def ledger_filter(project: str | None, code: str | None, month: str | None, text: str | None):
    """A predicate for the 研发支出 table: project, code, month (YYYY-MM) and free text."""
    text = (text or "").strip().lower()
    if not (project or code or month or text):
        return None
    return _LedgerFilter(project, code, month, text)
