"""Spreadsheet habits for the workspace tables (review desktop-app #4–#7, issue 18).

- :class:`SheetView`: Tab / Shift+Tab move along a row (wrapping to the next / previous row), Enter moves
  down, the editor follows the cell even when the edit re-sorts or refreshes the table (the row is tracked by
  its id, not its position); typing on a selected cell starts editing it.
- Block copy and paste with Excel / WPS: a rectangle of cells as tab-separated text; pasted text is validated
  cell by cell with the importer's parsers (amounts with separators, dates as 2025/1/5 or 2025年1月5日 …) and
  written as ONE undoable step — or, on any invalid cell, nothing is written and every problem is listed
  (row and column in the table's own terms).
- :class:`CodeDelegate`: 费用代码 typed or picked; an unknown code is kept as typed, shown red on the cell with
  a message — never replaced by another code.
- :func:`install_wheel_guard`: the mouse wheel over a combo box or spin box that does not have the focus
  scrolls the page around it instead of changing the value.
"""
from __future__ import annotations

import csv
import io

from PySide6.QtCore import QCoreApplication, QEvent, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QAbstractScrollArea, QAbstractSpinBox,
                               QApplication, QComboBox, QCompleter, QStyledItemDelegate, QTableView, QWidget)

from calc import schema as S
from calc.params import load_params
from forms.workspace import InvalidValue, WorkspaceError, to_storage


def _t(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


# ------------------------------------------------------------------------------------------ 费用代码
def known_codes() -> dict:
    return load_params().codes


def code_problem(value) -> str | None:
    """The message for a 费用代码 that is not in the code table (None when it is known or empty)."""
    text = str(value or "").strip()
    if not text or text.upper() in known_codes():
        return None
    return f"费用代码“{text}”不在费用代码表中（如 R01、R08、NE01）：该行不能计入加计扣除，请改为有效代码"


class _TypedText(QObject):
    """Keeps what the user typed in an editable combo box when a key ends the edit (QComboBox resets an
    unmatched text to the current item on Enter)."""

    def __init__(self, box):
        super().__init__(box)
        self.box, self.text = box, None
        box.lineEdit().installEventFilter(self)
        box.lineEdit().textEdited.connect(self._edited)

    def _edited(self, _text):
        self.text = None

    def eventFilter(self, obj, event):
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.FocusOut):
            if event.type() == QEvent.Type.FocusOut or event.key() in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Tab,
                                                                        Qt.Key_Backtab):
                if self.text is None:
                    self.text = obj.text()
        return False


class CodeDelegate(QStyledItemDelegate):
    """费用代码: an editable list (code, official label and category); the typed code is written as typed
    (upper case) — a code that is not in the table is kept, marked on the cell and reported, never swapped."""

    def __init__(self, parent=None):
        super().__init__(parent)
        params = load_params()
        self.items = []
        for code, c in params.codes.items():
            cat = params.categories[c.category].label if c.category else _t("不可加计扣除")
            self.items.append((code, f"{code}  {c.label}（{cat}）"))
        self._by_text = {text: code for code, text in self.items}
        self.problem = None                       # (message) of the last commit, for the window to show

    def createEditor(self, parent, option, index):
        box = QComboBox(parent)
        box.setEditable(True)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for code, text in self.items:
            box.addItem(text, code)
        box.setMaxVisibleItems(20)
        box.completer().setCompletionMode(QCompleter.InlineCompletion)   # R0 → R01…, R07 stays R07
        box.typed = _TypedText(box)
        return box

    def setEditorData(self, editor, index):
        current = str(index.data(Qt.EditRole) or "").strip()
        i = editor.findData(current.upper())
        if i >= 0:
            editor.setCurrentIndex(i)
        else:
            editor.setCurrentIndex(-1)
        editor.setEditText(current)
        editor.lineEdit().selectAll()
        editor.typed.text = None

    def code_of(self, text: str) -> str:
        """The code the user meant: an item's text → its code; else the first word, upper case."""
        text = (text or "").strip()
        if text in self._by_text:
            return self._by_text[text]
        word = text.split()[0] if text.split() else ""
        return word.upper()

    def setModelData(self, editor, model, index):
        typed = getattr(editor, "typed", None)
        code = self.code_of(typed.text if typed is not None and typed.text is not None else editor.currentText())
        model.setData(index, code, Qt.EditRole)
        problem = code_problem(code)
        if problem:
            edit_failed = getattr(model, "edit_failed", None)
            if edit_failed is not None:
                edit_failed.emit(problem)


def cell_problem(table: str, field: str, value) -> str | None:
    """A problem to show on a cell: an unknown 费用代码 (red cell, message as tooltip)."""
    if field == "code" and table in ("lines",):
        return code_problem(value)
    return None


PROBLEM_BRUSH = QBrush(QColor("#FDE2E2"))


# ------------------------------------------------------------------------------------------ clipboard
def parse_clipboard(text: str) -> list[list[str]]:
    """Tab-separated text as Excel / WPS put it on the clipboard (quoted cells may hold line breaks)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    if not text:
        return []
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter="\t", quotechar='"')]
    return [r for r in rows if any(c.strip() for c in r)] if len(rows) > 1 else rows


def to_clipboard_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter="\t", quotechar='"', lineterminator="\r\n")
    for r in rows:
        w.writerow(r)
    return out.getvalue()


class PasteError(ValueError):
    """Pasted cells that cannot be taken: ``problems`` lists every one (Chinese, with row and column)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def paste_into(model, top_row: int, left_col: int, block: list[list[str]]) -> tuple[int, int]:
    """Write ``block`` into the model's workspace table from (top_row, left_col) of the view: cells over
    existing rows are set, rows beyond the last one are added.  A first row made of column headers maps the
    columns by name and adds every row.  All cells are checked first; one undoable step; returns
    (cells set, rows added).  Raises :class:`PasteError` listing every invalid cell (nothing is written)."""
    ws = model.ws
    if ws is None or ws.readonly:
        raise PasteError([_t("未打开可编辑的工作区")])
    columns = model.columns
    headers = {c.header: i for i, c in enumerate(columns)}
    header_row = block and len(block[0]) > 1 and all(c.strip() in headers for c in block[0] if c.strip())
    if header_row:
        col_of = [headers.get(c.strip()) for c in block[0]]
        body = block[1:]
        first_new = len(model.view)              # headed blocks are new rows
        top_row = first_new
    else:
        col_of = [left_col + j for j in range(max((len(r) for r in block), default=0))]
        body = block
    if any(c is not None and c >= len(columns) for c in col_of):
        raise PasteError([f"粘贴的内容有 {len(col_of)} 列，超出了表格（从“{columns[left_col].header}”起只有 "
                          f"{len(columns) - left_col} 列）"])
    existing = len(model.view)
    problems: list[str] = []
    sets: list[tuple[int, str, object]] = []            # row id, field, value as typed (checked)
    new_rows: list[dict] = []
    for i, cells in enumerate(body):
        view_row = top_row + i
        row_values = {}
        for j, text in enumerate(cells):
            c = col_of[j] if j < len(col_of) else None
            if c is None:
                continue
            col = columns[c]
            value = text.strip()
            if col.field == "code" and value:
                value = value.split()[0].upper()
            try:
                stored = to_storage(col, value, model.table)
            except InvalidValue as exc:
                problems.append(f"粘贴的第{i + 1}行（表格第{view_row + 1}行）{exc}")
                continue
            row_values[col.field] = (value, stored)
        if view_row < existing:
            rid = model.row_id(view_row)
            sets.extend((rid, f, v) for f, (v, _s) in row_values.items())
        else:
            new_rows.append({f: v for f, (v, _s) in row_values.items()})
    if problems:
        raise PasteError(problems)
    with ws.batch(f"粘贴到“{_t_title(model.table)}”"):
        for rid, field, value in sets:
            ws.set_value(model.table, rid, field, value)
        if new_rows:
            try:
                ws.insert_rows(model.table, new_rows)
            except (InvalidValue, WorkspaceError) as exc:
                raise PasteError([str(exc)]) from None
    return len(sets), len(new_rows)


def _t_title(table: str) -> str:
    from forms.workspace import TABLE_SHEETS
    return TABLE_SHEETS.get(table, table)


# ------------------------------------------------------------------------------------------ the view
_NEXT = QAbstractItemDelegate.EndEditHint.EditNextItem
_PREV = QAbstractItemDelegate.EndEditHint.EditPreviousItem
_SUBMIT = QAbstractItemDelegate.EndEditHint.SubmitModelCache


class SheetView(QTableView):
    """A QTableView over a :class:`~desktop.table_model.WorkspaceTableModel` that moves like a spreadsheet."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._editing = None                   # (row id, column) of the cell being committed
        self.paste_failed = None               # callable(str) set by the page: where paste problems are shown
        self.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
                             | QAbstractItemView.AnyKeyPressed | QAbstractItemView.SelectedClicked)
        self.setTabKeyNavigation(True)

    # -- where am I, by row id ------------------------------------------------------------------
    def _key(self, index):
        model = self.model()
        if not index.isValid():
            return None
        return model.row_id(index.row()), index.column()

    def _index_of(self, key):
        model = self.model()
        if key is None:
            return None
        row = model.row_of_id(key[0])
        if row is None:
            return None
        return model.index(row, key[1])

    def _step(self, key, hint):
        """The cell after (Tab / Enter) or before (Shift+Tab) the cell ``key``."""
        index = self._index_of(key)
        model = self.model()
        if index is None:
            return None
        row, col = index.row(), index.column()
        last_col, last_row = model.columnCount() - 1, model.rowCount() - 1
        if hint == _NEXT:
            row, col = (row, col + 1) if col < last_col else (row + 1, 0)
        elif hint == _PREV:
            row, col = (row, col - 1) if col > 0 else (row - 1, last_col)
        else:                                           # Enter: the same column, one row down
            row += 1
        if not (0 <= row <= last_row):
            return index
        return model.index(row, col)

    # -- editing ---------------------------------------------------------------------------------
    def commitData(self, editor):
        self._editing = self._key(self.currentIndex())
        model = self.model()
        hold = getattr(model, "hold_order", None)
        if hold is not None:
            model.hold_order = True            # an edit does not re-sort or re-filter under the editor
        try:
            super().commitData(editor)
        finally:
            if hold is not None:
                model.hold_order = hold

    def closeEditor(self, editor, hint):
        key = self._editing or self._key(self.currentIndex())
        self._editing = None
        if hint in (_NEXT, _PREV, _SUBMIT):
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            target = self._step(key, hint)
            if target is not None and target.isValid():
                self.setCurrentIndex(target)
                self.scrollTo(target)
                if hint != _SUBMIT and target.flags() & Qt.ItemIsEditable:
                    self.edit(target)
            return
        super().closeEditor(editor, hint)

    def keyPressEvent(self, event):
        if event.matches(QKeySequence.Copy):
            self.copy_selection()
            return
        if event.matches(QKeySequence.Paste):
            self.paste()
            return
        key = event.key()
        if key in (Qt.Key_Return, Qt.Key_Enter) and self.state() != QAbstractItemView.EditingState:
            target = self._step(self._key(self.currentIndex()), _SUBMIT)
            if target is not None and target.isValid():
                self.setCurrentIndex(target)
            return
        if key in (Qt.Key_Tab, Qt.Key_Backtab) and self.state() != QAbstractItemView.EditingState:
            hint = _PREV if key == Qt.Key_Backtab or event.modifiers() & Qt.ShiftModifier else _NEXT
            target = self._step(self._key(self.currentIndex()), hint)
            if target is not None and target.isValid():
                self.setCurrentIndex(target)
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next_):                # Tab stays in the table (as in Excel)
        if self.tabKeyNavigation() and self.model() is not None and self.model().rowCount():
            return False
        return super().focusNextPrevChild(next_)

    # -- clipboard --------------------------------------------------------------------------------
    def selected_block(self) -> tuple[int, int, int, int] | None:
        """(top, left, bottom, right) of the selection (its bounding rectangle), else the current cell."""
        indexes = self.selectionModel().selectedIndexes() if self.selectionModel() else []
        if not indexes:
            cur = self.currentIndex()
            if not cur.isValid():
                return None
            return cur.row(), cur.column(), cur.row(), cur.column()
        rows = [i.row() for i in indexes]
        cols = [i.column() for i in indexes]
        return min(rows), min(cols), max(rows), max(cols)

    def copy_selection(self) -> str:
        """The selected cells as tab-separated text on the clipboard (as Excel / WPS take it)."""
        block = self.selected_block()
        if block is None:
            return ""
        top, left, bottom, right = block
        model = self.model()
        rows = [[str(model.index(r, c).data(Qt.DisplayRole) or "") for c in range(left, right + 1)]
                for r in range(top, bottom + 1)]
        text = to_clipboard_text(rows)
        QApplication.clipboard().setText(text)
        return text

    def paste(self) -> bool:
        """The clipboard's text into the table from the current cell (see :func:`paste_into`)."""
        model = self.model()
        block = parse_clipboard(QApplication.clipboard().text())
        if not block or model is None:
            return False
        cur = self.selected_block() or (0, 0, 0, 0)
        try:
            n_set, n_new = paste_into(model, cur[0], cur[1], block)
        except PasteError as exc:
            if self.paste_failed is not None:
                self.paste_failed(exc.problems)
            return False
        except (InvalidValue, WorkspaceError) as exc:
            if self.paste_failed is not None:
                self.paste_failed([str(exc)])
            return False
        self.last_paste = (n_set, n_new)
        return True


# ------------------------------------------------------------------------------------------ wheel guard
class WheelGuard(QObject):
    """The wheel over an unfocused combo box / spin box scrolls the surrounding page instead."""

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget):
            box = obj
            while box is not None and not isinstance(box, (QComboBox, QAbstractSpinBox)):
                box = box.parentWidget() if not isinstance(box, QAbstractScrollArea) else None
            if box is not None and not box.hasFocus() and not (QApplication.focusWidget() is not None
                                                                and box.isAncestorOf(QApplication.focusWidget())):
                area = box.parentWidget()
                while area is not None and not isinstance(area, QAbstractScrollArea):
                    area = area.parentWidget()
                if area is not None:
                    QApplication.sendEvent(area.verticalScrollBar(), event)
                event.ignore()
                return True
        return False


_GUARD: WheelGuard | None = None


def install_wheel_guard() -> None:
    """Once per application: see :class:`WheelGuard`; combo and spin boxes take the focus by click or Tab only."""
    global _GUARD
    app = QApplication.instance()
    if app is None or _GUARD is not None:
        return
    _GUARD = WheelGuard(app)
    app.installEventFilter(_GUARD)
