"""导入ERP凭证 — the import wizard for ERP voucher / 明细账 exports (xlsx, xls, csv/txt in GBK or UTF-8).

A thin shell over :mod:`forms.erp_import` (detection, mapping, classification, conversion) and
:mod:`forms.workspace` (presets, one undoable batch insert).  Usage from the main window::

    wiz = ImportWizard(workspace, parent=self)          # or path=... to start with a file
    wiz.imported.connect(on_imported)                    # list of new line ids
    if wiz.exec() == QDialog.Accepted:
        ids = wiz.imported_ids

Pages: 选择文件 → 表头与格式 → 列对应 → 预览与检查 → 导入.  Opening the file and converting all its rows run on
a worker thread (QThreadPool) behind a cancellable progress dialog; worker errors become messages on the page.
"""
from __future__ import annotations

import importlib
import os
import re
import traceback
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import (QAbstractTableModel, QItemSelectionModel, QModelIndex, QObject, QRunnable,
                            QSortFilterProxyModel, Qt, QThreadPool, Signal, Slot)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox,
                               QProgressDialog, QPushButton, QSpinBox, QSplitter, QStyledItemDelegate, QTableView,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget, QWizard, QWizardPage)

from calc import schema as S
from calc.model import ERROR, INFO, WARNING, Finding
from calc.money import fen_display
from forms import erp_import as E
from forms.workspace import InvalidValue, Workspace, WorkspaceError
from forms.xlsx_reader import WorkbookError, column_letter

__all__ = ["ImportWizard", "PAGE_FILE", "PAGE_HEADER", "PAGE_MAPPING", "PAGE_CHECK", "PAGE_IMPORT",
           "LinesModel"]

PAGE_FILE, PAGE_HEADER, PAGE_MAPPING, PAGE_CHECK, PAGE_IMPORT = range(5)
PRESET_KIND = "erp"
RAW_PREVIEW_ROWS = 30
MAX_FINDINGS_PER_GROUP = 500
CODE_ROLE = Qt.ItemDataRole.UserRole + 1       # a findings group's code (for tests; never shown)


def _norm_code(code) -> str:
    return str(code or "").strip().upper()


def _quoted(message: str) -> str:
    """The project number quoted in “…” in a 未登记 message."""
    m = re.search(r"“(.+?)”", message)
    return _norm_code(m.group(1)) if m else ""


def _where_summary(items) -> str:
    """位置 of several findings in Chinese: ``凭证列表 第6—18行（3处）`` (rows), or the sheet names."""
    sheets = list(dict.fromkeys(f.sheet for f in items if f.sheet))
    rows = sorted({f.row for f in items if f.row})
    if len(items) == 1:
        return items[0].where
    where = "、".join(sheets[:2]) + ("等" if len(sheets) > 2 else "")
    if rows:
        span = f"第{rows[0]}行" if len(rows) == 1 else f"第{rows[0]}—{rows[-1]}行"
        where = f"{where} {span}".strip()
    return f"{where}（{len(items)}处）"

FILE_FILTER = "ERP 导出文件 (*.xlsx *.xlsm *.xls *.csv *.txt *.tsv);;Excel 工作簿 (*.xlsx *.xlsm *.xls);;" \
              "文本文件 (*.csv *.txt *.tsv);;所有文件 (*)"

AMOUNT_MODE_LABELS = {"auto": "自动判断", "debit_credit": "借方 / 贷方两列", "single": "单列金额",
                      "amount_dc": "金额 + 借贷方向"}
ORIGIN_LABELS = {"builtin": "内置", "user": "本机", "workspace": "工作区"}
STATUS_LABELS = {"ok": "正常", "review": "待确认", "error": "错误", "transfer": "结转（不导入）"}
C_TRANSFER = QColor("#E4E4E4")
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告", INFO: "提示"}
SKIP_LABELS = {"total": "合计/累计/余额行", "not_rd": "非研发支出科目", "transfer": "结转分录", "zero": "金额为0",
               "no_amount": "无金额的行", "header": "重复的表头", "internal": "处理出错"}
FINDING_TITLES = {
    "E_ERP_HEADER": "未找到表头", "E_ERP_MAPPING": "列对应有误", "E_ERP_SHEET": "工作表不存在",
    "E_ERP_INTERNAL": "意外错误", "E_ERP_DATE": "日期无法识别", "E_ERP_AMOUNT": "金额无法识别",
    "E_ERP_DC": "借贷方向无法识别", "E_ERP_VALUE": "数值无法识别",
    "W_ERP_DEBIT_AND_CREDIT": "借方贷方同时有金额", "W_ERP_TRANSFER_DEBIT": "借方摘要含结转字样",
    "W_ERP_NO_VOUCHER": "凭证号为空", "W_ERP_CODE_UNKNOWN": "费用代码不存在", "W_ERP_NO_CODE": "没有费用代码建议",
    "W_ERP_CODE_UNSURE": "费用代码建议不够确定", "W_ERP_PROJECT_TEXT": "项目中找不到编号",
    "W_ERP_NO_PROJECT": "未能确定项目", "W_ERP_PROJECT_UNKNOWN": "项目未在项目表中登记",
    "I_ERP_TOTAL_ROW": "合计、累计或余额行（已跳过）", "I_ERP_NOT_RD": "非研发支出科目（已跳过）",
    "I_ERP_TRANSFER": "结转分录（已跳过）", "I_ERP_ZERO": "金额为0（已跳过）", "I_ERP_NO_AMOUNT": "无金额的行（已跳过）",
    "I_ERP_REPEATED_HEADER": "重复的表头（已跳过）", "I_ERP_FILLED_DOWN": "日期或凭证号沿用上一行",
    "I_ERP_YEAR_FROM_TITLE": "年度取自标题", "I_ERP_ACCOUNT_FROM_TITLE": "科目取自标题",
    "I_ERP_ACCOUNT_SECTION": "科目分段", "I_ERP_NO_ACCOUNT": "未指定科目列",
}

C_OK = QColor("#e3f4e1")
C_REVIEW = QColor("#fff6d6")
C_ERROR = QColor("#f9dcdc")
C_NEED = QColor("#f7c77e")
C_HEADER = QColor("#cfe3fb")
C_MUTED = QColor("#8a8a8a")
C_RED = QColor("#b00020")
C_ORANGE = QColor("#a85a00")


def _ensure_font() -> None:
    """Register the shipped CJK font when the helper exists (keeps the current point size)."""
    try:
        from desktop.fonts import ensure_font
    except Exception:  # noqa: BLE001 - the lead handles fonts otherwise
        return
    app = QApplication.instance()
    try:
        size = app.font().pointSize() if app is not None else 10
        ensure_font(app, size if size and size > 0 else 10)
    except Exception:  # noqa: BLE001
        pass


_warmed = False


def _warm_up_imports() -> None:
    """Import on the GUI thread what the workers would otherwise import lazily.

    PySide6 hooks ``import`` (shibokensupport's feature hook) and that hook is not thread-safe: a module first
    imported on a worker thread while the GUI thread runs can kill the interpreter ("none_dealloc")."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    for name in ("csv", "io", "forms.template", "python_calamine", "msoffcrypto", "olefile"):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - optional readers
            pass
    try:
        E._code_table()
        E._vocabulary()
    except Exception:  # noqa: BLE001 - reported when converting
        pass


@lru_cache(maxsize=1)
def _code_labels() -> dict[str, str]:
    """费用代码 → official label, from the parameter files (code table of forms.template as a fallback)."""
    try:
        from calc.params import load_params
        return {c.code: c.label for c in load_params().codes.values()}
    except Exception:  # noqa: BLE001
        from forms.template import load_code_table
        return {c["code"]: c["label"] for c in load_code_table()}


def _short_label(label: str | None) -> str:
    return re.sub(r"^(?:[0-9]+\.|（[一二三四五六七八九十]+）)", "", label or "")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, ".15g")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _split_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[,，、;；\s]+", text or "") if w)


def _checked(value) -> bool:
    try:
        return Qt.CheckState(value) == Qt.CheckState.Checked
    except (TypeError, ValueError):
        return bool(value)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, (WorkbookError, E.PresetError, E.RulesError, WorkspaceError, InvalidValue)):
        return str(exc)
    if isinstance(exc, OSError):
        return f"无法读取文件：{exc.strerror or exc}"
    return f"发生意外错误：{type(exc).__name__}: {exc}"


# =========================================================================== worker

class _TaskSignals(QObject):
    finished = Signal(int, object)
    failed = Signal(int, object)


class _Task(QRunnable):
    """Runs ``fn()`` on the thread pool; the result or the exception goes back through ``signals``."""

    def __init__(self, token: int, fn, signals: _TaskSignals):
        super().__init__()
        self.setAutoDelete(True)
        self.token, self.fn, self.signals = token, fn, signals

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - never let a worker crash the application
            if not isinstance(exc, (WorkbookError, E.PresetError, E.RulesError, OSError)):
                traceback.print_exc()          # unexpected: keep the trace for the log; the page shows a message
            try:
                self.signals.failed.emit(self.token, exc)
            except RuntimeError:       # the wizard was closed meanwhile
                pass
            return
        try:
            self.signals.finished.emit(self.token, result)
        except RuntimeError:
            pass


# =========================================================================== models

class RawRowsModel(QAbstractTableModel):
    """The first raw rows of a sheet, the header row(s) highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[list] = []
        self.width = 0
        self.header_rows: set[int] = set()

    def set_rows(self, rows: list[list], header_rows: set[int]) -> None:
        self.beginResetModel()
        self.rows = [list(r) for r in rows]
        self.width = max((len(r) for r in self.rows), default=0)
        self.header_rows = set(header_rows)
        self.endResetModel()

    def set_header_rows(self, header_rows: set[int]) -> None:
        self.header_rows = set(header_rows)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, max(0, self.width - 1)))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, len(self.rows) - 1)

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else self.width

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            row = self.rows[r]
            return _cell_text(row[c]) if c < len(row) else ""
        if role == Qt.ItemDataRole.BackgroundRole and r in self.header_rows:
            return QBrush(C_HEADER)
        if role == Qt.ItemDataRole.FontRole and r in self.header_rows:
            f = QFont()
            f.setBold(True)
            return f
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            if role == Qt.ItemDataRole.BackgroundRole and orientation == Qt.Orientation.Vertical \
                    and section in self.header_rows:
                return QBrush(C_HEADER)
            return None
        if orientation == Qt.Orientation.Horizontal:
            return column_letter(section)
        return str(section + 1)


COL_KEEP, COL_ROW, COL_DATE, COL_VOUCHER, COL_SUMMARY, COL_ACCOUNT, COL_AMOUNT, COL_SUGGEST, COL_CODE, \
    COL_PROJECT, COL_STATUS = range(11)
LINE_HEADERS = ("导入", "行", "日期", "凭证", "摘要", "科目", "金额", "建议（可信度）", "费用代码", "项目编号", "状态")
FIELD_COLUMN = {"date": COL_DATE, "year": COL_DATE, "month": COL_DATE, "day": COL_DATE,
                "voucher": COL_VOUCHER, "voucher_kind": COL_VOUCHER, "summary": COL_SUMMARY,
                "account_code": COL_ACCOUNT, "account_name": COL_ACCOUNT, "debit": COL_AMOUNT, "credit": COL_AMOUNT,
                "amount": COL_AMOUNT, "dc": COL_AMOUNT, "tax_amount": COL_AMOUNT, "code": COL_CODE,
                "project": COL_PROJECT, "funding": COL_STATUS, "share": COL_STATUS}


def _dup_key(date, voucher, amount, project) -> tuple:
    digits = re.sub(r"\D", "", str(voucher or ""))
    return (str(date or ""), str(int(digits)) if digits else str(voucher or "").strip(), amount,
            str(project or "").strip().upper())


class LinesModel(QAbstractTableModel):
    """The converted lines (``ImportResult.lines``) with the user's choices: ``overrides`` (line index →
    {"code": …, "project_no": …}, passed to :func:`forms.erp_import.to_workbook_rows`) and ``excluded``
    (indices of ok/review lines the user unticked).  费用代码 and 项目编号 of ok/review lines are editable
    (EditRole value = code / project number); the 导入 column is checkable."""

    changed = Signal()

    def __init__(self, project_names, parent=None):
        super().__init__(parent)
        self._project_names = project_names        # callable → {project_no: name or None} (valid choices)
        self.projects: dict[str, str | None] = {}  # its value, refreshed by set_lines() / refresh()
        self.lines: list[dict] = []
        self.overrides: dict[int, dict] = {}
        self.excluded: set[int] = set()
        self.included: set[int] = set()            # 结转 lines the user ticked after all
        self.duplicates: dict[int, list[int]] = {}  # line index → ids of 研发支出 rows already in the workspace
        self.duplicate_mode = "skip"               # skip | replace | keep
        self.codes = _code_labels()
        self._need: set[int] = set()               # kept lines lacking a code or a registered project
        self._kept_count = 0
        self._kept_total = 0

    # ---------------------------------------------------------------- state
    def set_lines(self, lines: list[dict]) -> None:
        self.beginResetModel()
        self.lines = lines
        self.overrides = {}
        self.excluded = set()
        self.included = set()
        self.duplicates = {}
        self._recount()
        self.endResetModel()
        self.changed.emit()

    def _recount(self) -> None:
        self.projects = dict(self._project_names())
        self._need = {i for i in range(len(self.lines)) if self._needs(i)}
        kept = [ln["amount"] or 0 for i, ln in enumerate(self.lines) if self.kept(i)]
        self._kept_count, self._kept_total = len(kept), sum(kept)

    def _needs(self, i: int) -> bool:
        return self.kept(i) and bool(self.missing(i))

    def value(self, i: int, field: str):
        ov = self.overrides.get(i)
        if ov and field in ov:
            return ov[field]
        return self.lines[i].get(field)

    def kept(self, i: int) -> bool:
        status = self.lines[i]["status"]
        if status == "transfer":
            return i in self.included
        if status not in ("ok", "review") or i in self.excluded:
            return False
        return not (self.duplicate_mode == "skip" and i in self.duplicates)

    def set_duplicates(self, duplicates: dict[int, list[int]]) -> None:
        self.duplicates = dict(duplicates)
        self.refresh()

    def set_duplicate_mode(self, mode: str) -> None:
        self.duplicate_mode = mode
        self.refresh()

    def exclude_accounts(self, rows: list[int]) -> int:
        """不导入 every line of the 科目 of these lines; returns how many lines that affects."""
        accounts = {(self.lines[i].get("account_code"), self.lines[i].get("account_name")) for i in rows}
        n = 0
        for i, ln in enumerate(self.lines):
            if (ln.get("account_code"), ln.get("account_name")) in accounts and ln["status"] != "error":
                self.excluded.add(i)
                self.included.discard(i)
                n += 1
        self.refresh()
        return n

    def missing(self, i: int) -> list[str]:
        """What a line still lacks: "code" and/or "project" (a registered or to-be-created project)."""
        out = []
        code = self.value(i, "code")
        if not code or code not in self.codes:
            out.append("code")
        project = self.value(i, "project_no")
        if not project or project not in self.projects:
            out.append("project")
        return out

    def blockers(self) -> list[int]:
        """Indices of the kept lines that still lack a 费用代码 or a project (Next stays disabled)."""
        return sorted(self._need)

    def kept_indices(self) -> list[int]:
        return [i for i in range(len(self.lines)) if self.kept(i)]

    @property
    def kept_count(self) -> int:
        return self._kept_count

    @property
    def kept_total(self) -> int:
        """会计金额 of the kept lines, in 分."""
        return self._kept_total

    def refresh(self) -> None:
        """Re-read the valid projects (after one was created) and repaint."""
        self._recount()
        if self.lines:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.lines) - 1, len(LINE_HEADERS) - 1))
        self.changed.emit()

    # ---------------------------------------------------------------- Qt model
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(LINE_HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return LINE_HEADERS[section] if orientation == Qt.Orientation.Horizontal else str(section + 1)
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        status = self.lines[index.row()]["status"]
        if status != "error":
            if index.column() == COL_KEEP:
                f |= Qt.ItemFlag.ItemIsUserCheckable
            elif index.column() in (COL_CODE, COL_PROJECT):
                f |= Qt.ItemFlag.ItemIsEditable
        return f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        i, c = index.row(), index.column()
        ln = self.lines[i]
        status = ln["status"]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(i, c, ln)
        if role == Qt.ItemDataRole.EditRole:
            if c == COL_CODE:
                return self.value(i, "code")
            if c == COL_PROJECT:
                return self.value(i, "project_no")
            return self._display(i, c, ln)
        if role == Qt.ItemDataRole.CheckStateRole and c == COL_KEEP:
            return Qt.CheckState.Checked if self.kept(i) else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.BackgroundRole:
            if self.kept(i) and ((c == COL_CODE and "code" in self.missing(i))
                                 or (c == COL_PROJECT and "project" in self.missing(i))):
                return QBrush(C_NEED)
            if c == COL_STATUS:
                return QBrush({"ok": C_OK, "review": C_REVIEW, "error": C_ERROR}.get(status, C_TRANSFER))
            if status == "transfer" and not self.kept(i):
                return QBrush(C_TRANSFER)
            if status == "error":
                return QBrush(C_ERROR)
            if status == "review" and self.kept(i):
                return QBrush(C_REVIEW)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if status != "error" and i in self.excluded:
                return QBrush(C_MUTED)
            if c == COL_AMOUNT and isinstance(ln.get("amount"), int) and ln["amount"] < 0:
                return QBrush(C_RED)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and c in (COL_AMOUNT, COL_ROW):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(i, c, ln)
        if role == Qt.ItemDataRole.UserRole:
            return i
        return None

    def _display(self, i, c, ln):
        if c == COL_KEEP:
            return ""
        if c == COL_ROW:
            return str(ln["origin"]["row"])
        if c == COL_DATE:
            return ln["date"].isoformat() if ln.get("date") else ""
        if c == COL_VOUCHER:
            kind, no = ln.get("voucher_kind"), ln.get("voucher_no")
            return f"{kind}-{no}" if kind and no else (no or "")
        if c == COL_SUMMARY:
            return ln.get("summary") or ""
        if c == COL_ACCOUNT:
            return " ".join(x for x in (ln.get("account_code"), ln.get("account_name")) if x)
        if c == COL_AMOUNT:
            return fen_display(ln["amount"]) if isinstance(ln.get("amount"), int) else ""
        if c == COL_SUGGEST:
            code = ln.get("suggested_code")
            return f"{code}（{ln.get('confidence') or 0:.0%}）" if code else "—"
        if c == COL_CODE:
            code = self.value(i, "code")
            return f"{code} {_short_label(self.codes.get(code))}".strip() if code else ""
        if c == COL_PROJECT:
            project = self.value(i, "project_no")
            if project and project not in self.projects:
                return f"{project}（未登记）"
            return project or ""
        if c == COL_STATUS:
            text = STATUS_LABELS.get(ln["status"], ln["status"])
            if i in self.overrides and ln["status"] != "error":
                text += "（已改）"
            if ln["status"] not in ("error", "transfer") and i in self.excluded:
                text += "（不导入）"
            elif ln["status"] == "transfer" and self.kept(i):
                text += "（仍导入）"
            if i in self.duplicates:
                text += {"skip": "；重复：已在账中，跳过", "replace": "；重复：替换账中已有行",
                         "keep": "；重复：两者都保留"}[self.duplicate_mode]
            return text
        return None

    def _tooltip(self, i, c, ln):
        if c == COL_SUGGEST and ln.get("suggested_code"):
            alt = "、".join(ln.get("alternatives") or [])
            tip = f"{ln['suggested_code']} {self.codes.get(ln['suggested_code'], '')}\n规则：{ln.get('rule_id')}" \
                  f"，可信度 {ln.get('confidence') or 0:.2f}"
            return tip + (f"\n其他可能：{alt}" if alt else "")
        if c == COL_CODE:
            code = self.value(i, "code")
            return f"{code} {self.codes.get(code, '')}" if code else "请选择费用代码（双击）"
        if c == COL_PROJECT:
            project = self.value(i, "project_no")
            names = self.projects
            if project and project in names:
                return f"{project} {names[project] or ''}"
            return "请选择项目（双击），或在右侧新建未登记的项目" if project else "请选择项目（双击）"
        if c == COL_STATUS:
            return "、".join(FINDING_TITLES.get(x, x) for x in ln.get("issues") or []) or None
        if c == COL_SUMMARY:
            return ln.get("summary")
        if c == COL_ACCOUNT:
            return self._display(i, c, ln)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if not index.isValid():
            return False
        i, c = index.row(), index.column()
        ln = self.lines[i]
        if ln["status"] == "error":
            return False
        if c == COL_KEEP and role == Qt.ItemDataRole.CheckStateRole:
            was = self.kept(i)
            if ln["status"] == "transfer":
                (self.included.add if _checked(value) else self.included.discard)(i)
            elif _checked(value):
                self.excluded.discard(i)
            else:
                self.excluded.add(i)
            if was != self.kept(i):
                sign = 1 if self.kept(i) else -1
                self._kept_count += sign
                self._kept_total += sign * (ln["amount"] or 0)
        elif c in (COL_CODE, COL_PROJECT) and role == Qt.ItemDataRole.EditRole:
            field = "code" if c == COL_CODE else "project_no"
            value = (str(value).strip() or None) if value is not None else None
            if value is None:
                return False
            if field == "code" and value not in self.codes:
                return False
            if field == "project_no" and value not in self.projects:
                return False
            ov = self.overrides.setdefault(i, {})
            if value == ln.get(field):
                ov.pop(field, None)
            else:
                ov[field] = value
            if not ov:
                self.overrides.pop(i, None)
        else:
            return False
        if self._needs(i):
            self._need.add(i)
        else:
            self._need.discard(i)
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(LINE_HEADERS) - 1))
        self.changed.emit()
        return True


class _NeedsFilter(QSortFilterProxyModel):
    """Shows only the lines that need the user (review / error / missing code or project) when enabled."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.only_needed = False

    def set_only_needed(self, on: bool) -> None:
        self.only_needed = on
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row, source_parent):
        if not self.only_needed:
            return True
        m: LinesModel = self.sourceModel()
        ln = m.lines[source_row]
        return ln["status"] != "ok" or (m.kept(source_row) and bool(m.missing(source_row)))


class _ComboDelegate(QStyledItemDelegate):
    """A combo box editor whose items come from ``items()`` → [(value, text)]."""

    def __init__(self, items, parent=None):
        super().__init__(parent)
        self.items = items

    def createEditor(self, parent, option, index):
        cb = QComboBox(parent)
        cb.setMaxVisibleItems(20)
        for value, text in self.items():
            cb.addItem(text, value)
        cb.activated.connect(lambda _=None, cb=cb: (self.commitData.emit(cb), self.closeEditor.emit(cb)))
        return cb

    def setEditorData(self, editor, index):
        editor.setCurrentIndex(editor.findData(index.data(Qt.ItemDataRole.EditRole)))

    def setModelData(self, editor, model, index):
        value = editor.currentData()
        if value is not None:
            model.setData(index, value, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor, option, index):
        rect = option.rect
        rect.setWidth(max(rect.width(), 320))
        editor.setGeometry(rect)


# =========================================================================== dialogs

class NewProjectDialog(QDialog):
    """Name, 研发形式 and 支出类型 of a project code found in the export but not in the workspace."""

    def __init__(self, code: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("新建研发项目")
        form = QFormLayout(self)
        form.addRow(QLabel(f"导出文件中的项目编号“{code}”未在项目表中登记，导入时将新建该研发项目。"))
        self.code = QLineEdit(code)
        self.code.setReadOnly(True)
        self.name = QLineEdit()
        self.name.setPlaceholderText("请输入项目名称")
        self.form = QComboBox()
        self.form.addItems(list(S.FORMS))
        self.ledger_type = QComboBox()
        self.ledger_type.addItems(list(S.LEDGER_TYPES))
        form.addRow("项目编号", self.code)
        form.addRow("项目名称", self.name)
        form.addRow("研发形式", self.form)
        form.addRow("支出类型", self.ledger_type)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("新建")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.name.textChanged.connect(self._update)
        self._update()

    def _update(self):
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.name.text().strip()))


# =========================================================================== pages

class _Page(QWizardPage):
    def __init__(self, wiz: "ImportWizard", title: str, subtitle: str = ""):
        super().__init__()
        self.wiz = wiz
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        wiz.state_changed.connect(self.completeChanged)

    def validatePage(self) -> bool:           # QWizard.next() does not look at isComplete()
        return self.isComplete()

    def cleanupPage(self) -> None:            # going back keeps the user's choices
        pass


class FilePage(_Page):
    def __init__(self, wiz):
        super().__init__(wiz, "选择文件", "选择从财务软件（用友、金蝶等）导出的凭证列表或明细账：xlsx、xls、csv 或 txt。")
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("文件路径")
        self.browse = QPushButton("浏览…")
        row.addWidget(QLabel("文件："))
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        lay.addLayout(row)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.error)
        self.info = QLabel()
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        srow = QHBoxLayout()
        srow.addWidget(QLabel("工作表："))
        self.sheet = QComboBox()
        self.sheet.setMinimumWidth(280)
        srow.addWidget(self.sheet)
        srow.addStretch(1)
        lay.addLayout(srow)
        lay.addStretch(1)
        self.browse.clicked.connect(self._browse)
        self.path.returnPressed.connect(lambda: self.wiz.load_path(self.path.text()))
        self.path.editingFinished.connect(self._edited)
        self.sheet.currentIndexChanged.connect(self._sheet_changed)

    def _edited(self):
        text = self.path.text().strip()
        if text and text != (self.wiz.path or ""):
            self.wiz.load_path(text)

    def _browse(self):
        start = os.path.dirname(self.path.text().strip() or (self.wiz.path or "")) or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "选择ERP导出文件", start, FILE_FILTER)
        if path:
            self.wiz.load_path(path)

    def _sheet_changed(self, idx):
        name = self.sheet.itemData(idx)
        if name is not None and name != self.wiz.sheet:
            self.wiz.set_sheet(name)

    def refresh(self):
        w = self.wiz
        if self.path.text() != (w.path or ""):
            self.path.setText(w.path or "")
        self.error.setText(w.open_error or "")
        self.sheet.blockSignals(True)
        self.sheet.clear()
        if w.source is not None:
            for name in w.source.sheet_names:
                n = len(w.source.sheet(name).rows)
                self.sheet.addItem(f"{name}（{n}行）", name)
            self.sheet.setCurrentIndex(max(0, self.sheet.findData(w.sheet)))
            kind = {"xlsx": "Excel 工作簿", "xls": "Excel 97-2003 工作簿", "csv": "文本文件"}.get(w.source.kind,
                                                                                          w.source.kind)
            notes = "；".join(w.source.notes)
            self.info.setText(f"已读取：{w.source.name}（{kind}，{len(w.source.sheet_names)}个工作表）"
                              + (f"\n{notes}" if notes else ""))
        elif w.busy:
            self.info.setText("正在读取文件…")
        else:
            self.info.setText("")
        self.sheet.setEnabled(w.source is not None and len(w.source.sheet_names) > 1)
        self.sheet.blockSignals(False)

    def initializePage(self):
        self.refresh()

    def isComplete(self):
        w = self.wiz
        return not w.busy and w.source is not None and w.sheet is not None


class HeaderPage(_Page):
    def __init__(self, wiz):
        super().__init__(wiz, "表头与格式", "确认表头所在行（蓝色），并选择与导出格式对应的方案。")
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("表头所在行："))
        self.row = QSpinBox()
        self.row.setMinimum(0)
        self.row.setSpecialValueText("未找到")
        self.row.setToolTip("Excel 行号；标题、空行等表头以上的行不导入")
        top.addWidget(self.row)
        self.header_info = QLabel()
        self.header_info.setWordWrap(True)
        top.addWidget(self.header_info, 1)
        lay.addLayout(top)
        self.view = QTableView()
        self.raw = RawRowsModel(self)
        self.view.setModel(self.raw)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setDefaultSectionSize(110)
        lay.addWidget(self.view, 1)
        prow = QHBoxLayout()
        prow.addWidget(QLabel("导入方案："))
        self.preset = QComboBox()
        self.preset.setMinimumWidth(380)
        prow.addWidget(self.preset, 1)
        self.score = QLabel()
        prow.addWidget(self.score, 1)
        lay.addLayout(prow)
        self.preset_info = QLabel()
        self.preset_info.setWordWrap(True)
        self.preset_info.setStyleSheet("color: #555;")
        lay.addWidget(self.preset_info)
        self.row.valueChanged.connect(self._row_changed)
        self.preset.currentIndexChanged.connect(self._preset_changed)

    def _row_changed(self, value):
        if value >= 1:
            self.wiz.set_header_row(value - 1)

    def _preset_changed(self, idx):
        if idx >= 0:
            self.wiz.set_preset(self.preset.itemData(idx))

    def initializePage(self):
        self.refresh(reload_rows=True)

    def refresh(self, reload_rows: bool = False):
        w = self.wiz
        h = w.header
        if w.source is None or w.sheet is None:
            return
        rows = w.source.sheet(w.sheet).rows
        header_rows = set(range(h.row, h.row + h.rows)) if h and h.row is not None else set()
        if reload_rows or not self.raw.rows:
            shown = max(RAW_PREVIEW_ROWS, (max(header_rows) + 6) if header_rows else 0)
            self.raw.set_rows(rows[:shown], header_rows)
            self.view.resizeColumnsToContents()
            for c in range(self.raw.columnCount()):
                if self.view.columnWidth(c) > 220:
                    self.view.setColumnWidth(c, 220)
        else:
            self.raw.set_header_rows(header_rows)
        if header_rows:
            self.view.scrollTo(self.raw.index(min(header_rows), 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.row.blockSignals(True)
        self.row.setMaximum(max(1, len(rows)))
        self.row.setValue(h.row + 1 if h and h.row is not None else 0)
        self.row.blockSignals(False)
        if h is None or h.row is None:
            self.header_info.setText("未自动找到表头行（如“日期、凭证号、摘要、借方金额…”），请指定表头所在行。")
            self.header_info.setStyleSheet("color: #b00020;")
        else:
            bits = [f"{'自动检测' if w.header_auto else '指定'}的表头：第{h.excel_row}行"
                    + ("（两行表头）" if h.rows == 2 else ""),
                    f"识别表头{h.matched}个", f"可信度 {h.confidence:.0%}"]
            if h.year:
                bits.append(f"年度 {h.year}")
            if h.account_code or h.account_name:
                bits.append("科目 " + " ".join(x for x in (h.account_code, h.account_name) if x))
            self.header_info.setText("，".join(bits))
            self.header_info.setStyleSheet("")
        self.preset.blockSignals(True)
        self.preset.clear()
        for preset, score in w.preset_choices():
            origin = ORIGIN_LABELS.get(preset.origin, preset.origin)
            text = f"{preset.name}（{origin}）" + (f" — 匹配度 {score:.0%}" if score is not None else "")
            self.preset.addItem(text, preset)
        self.preset.addItem("（不使用方案：按表头文字自动对应）", None)
        idx = self.preset.count() - 1
        for k in range(self.preset.count() - 1):
            if w.preset is not None and self.preset.itemData(k).id == w.preset.id:
                idx = k
                break
        self.preset.setCurrentIndex(idx)
        self.preset.blockSignals(False)
        self._show_score()

    def _show_score(self):
        w = self.wiz
        if w.preset is None:
            self.score.setText("")
            self.preset_info.setText("按各方案的表头别名自动对应列。")
            return
        score = w.scores.get(w.preset.id)
        best = w.match.preset.id if w.match else None
        text = f"匹配度 {score:.0%}" if score is not None else ""
        if best == w.preset.id:
            text += "（自动识别的方案）"
        self.score.setText(text)
        if w.preset_error:
            self.preset_info.setText(f"方案无法使用：{w.preset_error}（已按表头文字自动对应）")
        else:
            self.preset_info.setText(w.preset.description or "")

    def isComplete(self):
        w = self.wiz
        return not w.busy and w.header is not None and w.header.row is not None


class MappingPage(_Page):
    def __init__(self, wiz):
        super().__init__(wiz, "列对应", "为每个目标字段选择导出文件中的列；不需要的字段选“（不使用）”。")
        lay = QVBoxLayout(self)
        box = QGroupBox("目标字段 ← 来源列")
        grid = QGridLayout(box)
        self.combos: dict[str, QComboBox] = {}
        half = (len(E.FIELDS) + 1) // 2
        for k, fld in enumerate(E.FIELDS):
            r, c = (k, 0) if k < half else (k - half, 2)
            label = QLabel(E.FIELD_LABELS[fld])
            combo = QComboBox()
            combo.setMinimumWidth(200)
            combo.currentIndexChanged.connect(self._changed)
            label.setBuddy(combo)
            grid.addWidget(label, r, c)
            grid.addWidget(combo, r, c + 1)
            self.combos[fld] = combo
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        lay.addWidget(box)

        opts = QGroupBox("读取方式")
        form = QGridLayout(opts)
        self.amount_mode = QComboBox()
        for mode in E.AMOUNT_MODES:
            self.amount_mode.addItem(AMOUNT_MODE_LABELS[mode], mode)
        self.year = QSpinBox()
        self.year.setRange(1999, 2100)
        self.year.setSpecialValueText("按日期/标题")
        self.year.setToolTip("只有月、日列时使用的年度")
        self.rd_enabled = QCheckBox("只导入研发支出科目")
        self.rd_names = QLineEdit()
        self.rd_names.setToolTip("科目名称包含这些词语之一的行视为研发支出（以顿号或逗号分隔）")
        self.rd_codes = QLineEdit()
        self.rd_codes.setToolTip("科目编码以这些前缀开头的行视为研发支出")
        form.addWidget(QLabel("金额方式"), 0, 0)
        form.addWidget(self.amount_mode, 0, 1)
        form.addWidget(QLabel("年度"), 0, 2)
        form.addWidget(self.year, 0, 3)
        form.addWidget(self.rd_enabled, 1, 0, 1, 4)
        form.addWidget(QLabel("研发科目名称含"), 2, 0)
        form.addWidget(self.rd_names, 2, 1)
        form.addWidget(QLabel("研发科目编码前缀"), 2, 2)
        form.addWidget(self.rd_codes, 2, 3)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        lay.addWidget(opts)
        for w in (self.amount_mode,):
            w.currentIndexChanged.connect(self._changed)
        self.year.valueChanged.connect(self._changed)
        self.rd_enabled.toggled.connect(self._changed)
        self.rd_names.editingFinished.connect(self._changed)
        self.rd_codes.editingFinished.connect(self._changed)

        brow = QHBoxLayout()
        self.save_btn = QPushButton("保存为方案…")
        self.save_btn.setToolTip("保存到本机的方案文件夹，并随工作区文件保存")
        self.saved = QLabel()
        brow.addWidget(self.save_btn)
        brow.addWidget(self.saved, 1)
        lay.addLayout(brow)
        self.problems = QListWidget()
        self.problems.setMaximumHeight(110)
        lay.addWidget(self.problems)
        self.save_btn.clicked.connect(self._save)
        self._loading = False

    def initializePage(self):
        self.refresh()

    def refresh(self):
        w = self.wiz
        h, m = w.header, w.mapping
        if h is None or m is None:
            return
        self._loading = True
        try:
            headers = [(j, t) for j, t in enumerate(h.headers) if t]
            for fld, combo in self.combos.items():
                combo.blockSignals(True)
                combo.clear()
                combo.addItem("（不使用）", None)
                for j, t in headers:
                    combo.addItem(f"{column_letter(j)}  {t}", t)
                cur = m.columns.get(fld)
                idx = 0
                if cur:
                    idx = combo.findData(cur)
                    if idx < 0:
                        combo.addItem(f"（表中没有）{cur}", cur)
                        idx = combo.count() - 1
                combo.setCurrentIndex(idx)
                combo.blockSignals(False)
            for wdg in (self.amount_mode, self.year, self.rd_enabled):
                wdg.blockSignals(True)
            self.amount_mode.setCurrentIndex(max(0, self.amount_mode.findData(m.amount_mode)))
            self.year.setValue(m.year if m.year else self.year.minimum())
            self.rd_enabled.setChecked(m.rd_filter.enabled)
            self.rd_names.setText("、".join(m.rd_filter.name_contains))
            self.rd_codes.setText("、".join(m.rd_filter.code_prefixes))
            for wdg in (self.amount_mode, self.year, self.rd_enabled):
                wdg.blockSignals(False)
            self.rd_names.setEnabled(m.rd_filter.enabled)
            self.rd_codes.setEnabled(m.rd_filter.enabled)
        finally:
            self._loading = False
        self.show_problems()

    def _changed(self, *_):
        if self._loading or self.wiz.mapping is None:
            return
        m = self.wiz.mapping
        columns = {fld: combo.currentData() for fld, combo in self.combos.items() if combo.currentData()}
        year = self.year.value()
        rd = replace(m.rd_filter, enabled=self.rd_enabled.isChecked(),
                     name_contains=_split_words(self.rd_names.text()),
                     code_prefixes=_split_words(self.rd_codes.text()))
        self.rd_names.setEnabled(rd.enabled)
        self.rd_codes.setEnabled(rd.enabled)
        self.wiz.set_mapping(replace(m, columns=columns, amount_mode=self.amount_mode.currentData(),
                                     year=None if year == self.year.minimum() else year, rd_filter=rd))
        self.show_problems()

    def show_problems(self):
        self.problems.clear()
        probs = self.wiz.mapping_problems
        if not probs:
            item = QListWidgetItem("列对应完整，可以进入下一步。")
            item.setForeground(QBrush(QColor("#2e7d32")))
            self.problems.addItem(item)
        for f in probs:
            item = QListWidgetItem(f"{SEVERITY_LABELS.get(f.severity, f.severity)}：{f.message}")
            item.setForeground(QBrush(C_RED if f.severity == ERROR else C_ORANGE))
            self.problems.addItem(item)

    def _save(self):
        default = self.wiz.preset.name if self.wiz.preset is not None and self.wiz.preset.origin != "builtin" \
            else (Path(self.wiz.path).stem if self.wiz.path else "")
        name, ok = QInputDialog.getText(self, "保存为方案", "方案名称：", QLineEdit.EchoMode.Normal, default)
        if not ok or not name.strip():
            return
        if any(p.name == name.strip() and p.origin != "builtin" for p in self.wiz.presets):
            answer = QMessageBox.question(self, "保存为方案", f"方案“{name.strip()}”已存在，是否覆盖？")
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            self.wiz.save_current_preset(name)
        except Exception as exc:  # noqa: BLE001
            QMessageBox.warning(self, "保存为方案", _error_text(exc))

    def isComplete(self):
        w = self.wiz
        return (not w.busy and w.mapping is not None
                and not any(f.severity == ERROR for f in w.mapping_problems))


class CheckPage(_Page):
    def __init__(self, wiz):
        super().__init__(wiz, "预览与检查",
                         "检查转换结果：黄色为待确认，红色为错误（不导入）。双击“费用代码”“项目编号”可修改；双击下方问题可定位到行。")
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        self.only_needed = QCheckBox("只显示需处理的行")
        top.addWidget(self.only_needed)
        self.rerun = QPushButton("重新检查")
        top.addWidget(self.rerun)
        lay.addLayout(top)
        tools = QHBoxLayout()
        self.exclude_account = QPushButton("不导入所选行科目的全部行")
        self.exclude_account.setToolTip("例如月末结转用的“管理费用-研发费用”科目：一次取消该科目全部行的“导入”")
        tools.addWidget(self.exclude_account)
        self.transfer_note = QLabel()
        self.transfer_note.setWordWrap(True)
        tools.addWidget(self.transfer_note, 1)
        self.duplicate_label = QLabel()
        self.duplicate_label.setStyleSheet("color: #a85a00;")
        tools.addWidget(self.duplicate_label)
        self.duplicate_mode = QComboBox()
        for key, text in (("skip", "跳过重复行（默认）"), ("replace", "替换账中已有的行"), ("keep", "两者都保留")):
            self.duplicate_mode.addItem(text, key)
        tools.addWidget(self.duplicate_mode)
        lay.addLayout(tools)

        split = QSplitter(Qt.Orientation.Vertical)
        self.model = LinesModel(wiz.project_names, self)
        self.proxy = _NeedsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.SelectedClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().hide()
        self.code_delegate = _ComboDelegate(self._code_items, self.view)
        self.project_delegate = _ComboDelegate(self._project_items, self.view)
        self.view.setItemDelegateForColumn(COL_CODE, self.code_delegate)
        self.view.setItemDelegateForColumn(COL_PROJECT, self.project_delegate)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)              # a maximised wizard gives the table its width (review #18e)
        for col, width in ((COL_KEEP, 40), (COL_ROW, 40), (COL_DATE, 88), (COL_VOUCHER, 64), (COL_SUMMARY, 140),
                           (COL_ACCOUNT, 160), (COL_AMOUNT, 96), (COL_SUGGEST, 104), (COL_CODE, 165),
                           (COL_PROJECT, 100), (COL_STATUS, 110)):
            self.view.setColumnWidth(col, width)
        split.addWidget(self.view)

        bottom = QWidget()
        blay = QHBoxLayout(bottom)
        blay.setContentsMargins(0, 0, 0, 0)
        self.findings = QTreeWidget()
        self.findings.setHeaderLabels(["问题（双击定位）", "位置"])
        self.findings.setColumnWidth(0, 520)
        blay.addWidget(self.findings, 3)
        side = QVBoxLayout()
        side.addWidget(QLabel("未登记的项目编号："))
        self.unknown = QComboBox()
        side.addWidget(self.unknown)
        self.new_project = QPushButton("新建为研发项目…")
        side.addWidget(self.new_project)
        self.created = QLabel()
        self.created.setWordWrap(True)
        side.addWidget(self.created)
        side.addStretch(1)
        blay.addLayout(side, 1)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)
        self.note = QLabel()
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self._counts = {"ok": 0, "review": 0, "error": 0, "transfer": 0}

        self.only_needed.toggled.connect(self.proxy.set_only_needed)
        self.rerun.clicked.connect(lambda: self.wiz.start_convert(force=True))
        self.findings.itemDoubleClicked.connect(self._finding_clicked)
        self.new_project.clicked.connect(self._new_project)
        self.model.changed.connect(self._model_changed)
        self.exclude_account.clicked.connect(self._exclude_account)
        self.duplicate_mode.currentIndexChanged.connect(
            lambda _i: self.model.set_duplicate_mode(self.duplicate_mode.currentData()))

    def _exclude_account(self):
        rows = sorted({self.proxy.mapToSource(ix).row() for ix in self.view.selectionModel().selectedIndexes()}
                      | ({self.proxy.mapToSource(self.view.currentIndex()).row()}
                         if self.view.currentIndex().isValid() else set()))
        if rows:
            self.model.exclude_accounts(rows)

    # ---- editors' choices
    def _code_items(self):
        return [(code, f"{code}  {_short_label(label)}") for code, label in _code_labels().items()]

    def _project_items(self):
        out = []
        for code, name in self.wiz.project_names().items():
            suffix = "（新建）" if code in self.wiz.new_projects else ""
            out.append((code, f"{code}  {name or ''}{suffix}"))
        return out

    # ---- page
    def initializePage(self):
        self.wiz.start_convert()
        self.refresh()

    def refresh(self):
        w = self.wiz
        res = w.conversion
        if res is None:
            self.summary.setText("正在转换…" if w.busy else (w.convert_error or "尚未转换。"))
            self.summary.setStyleSheet("color: #b00020;" if w.convert_error else "")
            self._fill_findings([])
            self._fill_unknown()
            self.note.setText("")
            return
        self.summary.setStyleSheet("")
        self._counts = {st: 0 for st in ("ok", "review", "error", "transfer")}
        for ln in res.lines:
            self._counts[ln["status"]] = self._counts.get(ln["status"], 0) + 1
        self._fill_findings(res.findings)
        self._fill_unknown()
        self._update_summary()

    def _update_summary(self):
        w, m = self.wiz, self.model
        res = w.conversion
        if res is None:
            return
        counts = self._counts
        kept, total = m.kept_count, m.kept_total
        skipped = sum(res.stats.get("skipped", {}).values())
        self.summary.setText(
            f"{w.source.name} › {res.sheet}：数据行 {res.stats.get('rows', 0)}，明细 {len(res.lines)} 行"
            f"（正常 {counts['ok']}，待确认 {counts['review']}，错误 {counts['error']}），跳过 {skipped} 行；"
            f"将导入 {kept} 行，合计 {fen_display(total)} 元")
        tn, tf = res.stats.get("transfer_lines", 0), res.stats.get("transfer_fen", 0)
        self.transfer_note.setText(f"已识别月末结转的借方 {tn} 行，合计 {fen_display(tf)} 元，默认不导入（避免重复计算）"
                                   if tn else "")
        dups = m.duplicates
        self.duplicate_label.setText(f"与账中已有凭证重复 {len(dups)} 行（日期、凭证号、金额、项目相同）：" if dups else "")
        self.duplicate_label.setVisible(bool(dups))
        self.duplicate_mode.setVisible(bool(dups))
        blockers = m.blockers()
        if blockers:
            self.note.setText(f"还有 {len(blockers)} 行缺少费用代码或已登记的项目（橙色单元格）：请双击选择，"
                              "新建未登记的项目，或取消勾选“导入”。")
            self.note.setStyleSheet("color: #a85a00;")
        elif not kept:
            self.note.setText("没有可导入的行。")
            self.note.setStyleSheet("color: #b00020;")
        else:
            self.note.setText("所有要导入的行都有费用代码和项目，可以进入下一步。")
            self.note.setStyleSheet("color: #2e7d32;")

    def _fill_findings(self, findings):
        """Findings by kind; identical messages once with a count and their rows (review desktop-app #33); the
        位置 column in Chinese (sheet and rows), never a finding code; a project created here drops its
        “未在项目表中登记” warnings at once."""
        self.findings.clear()
        created = {_norm_code(c) for c in self.wiz.new_projects}
        groups: dict[str, list[Finding]] = {}
        for f in findings:
            if f.code == "W_ERP_PROJECT_UNKNOWN" and _quoted(f.message) in created:
                continue
            groups.setdefault(f.code, []).append(f)
        order = {ERROR: 0, WARNING: 1, INFO: 2}
        for code, items in sorted(groups.items(), key=lambda kv: (order.get(kv[1][0].severity, 3), kv[0])):
            sev = items[0].severity
            title = FINDING_TITLES.get(code) or items[0].message
            top = QTreeWidgetItem([f"{SEVERITY_LABELS.get(sev, sev)}：{title}（{len(items)}）", _where_summary(items)])
            top.setData(0, CODE_ROLE, code)
            color = C_RED if sev == ERROR else (C_ORANGE if sev == WARNING else C_MUTED)
            top.setForeground(0, QBrush(color))
            same: dict[str, list[Finding]] = {}
            for f in items:
                same.setdefault(f.message, []).append(f)
            for message, group in list(same.items())[:MAX_FINDINGS_PER_GROUP]:
                text = message if len(group) == 1 else f"{message} ×{len(group)}"
                child = QTreeWidgetItem([text, group[0].where if len(group) == 1 else _where_summary(group)])
                child.setData(0, Qt.ItemDataRole.UserRole, group[0])        # double-click: the first occurrence
                child.setToolTip(0, message)
                if len(group) > 1:
                    child.setToolTip(1, "、".join(f.where for f in group[:40]) + ("……" if len(group) > 40 else ""))
                top.addChild(child)
            if len(same) > MAX_FINDINGS_PER_GROUP:
                top.addChild(QTreeWidgetItem([f"……另有 {len(same) - MAX_FINDINGS_PER_GROUP} 种", ""]))
            self.findings.addTopLevelItem(top)
            top.setExpanded(sev != INFO)

    def _fill_unknown(self):
        w = self.wiz
        self.unknown.clear()
        pending = [c for c in w.unknown_projects() if c not in w.new_projects]
        m = self.model
        uses = Counter(m.value(i, "project_no") for i in m.kept_indices()) if pending else Counter()
        for code in pending:
            self.unknown.addItem(f"{code}（{uses[code]}行）", code)
        self.unknown.setEnabled(bool(pending))
        self.new_project.setEnabled(bool(pending) and not w.ws.readonly)
        if w.new_projects:
            self.created.setText("将新建：" + "；".join(f"{c} {p['name']}" for c, p in w.new_projects.items()))
        else:
            self.created.setText("" if pending else "（无）")

    def _finding_clicked(self, item, _column):
        f = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(f, Finding):
            self.wiz.jump_to_finding(f)

    def _new_project(self):
        code = self.unknown.currentData()
        if not code:
            return
        dlg = NewProjectDialog(code, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.wiz.add_new_project(code, dlg.name.text(), dlg.form.currentText(), dlg.ledger_type.currentText())

    def _model_changed(self):
        self._update_summary()
        self.completeChanged.emit()

    def isComplete(self):
        w = self.wiz
        return (not w.busy and w.conversion is not None and self.model.kept_count > 0
                and not self.model.blockers())


class ImportPage(_Page):
    def __init__(self, wiz):
        super().__init__(wiz, "导入", "确认后点击“导入”，明细行将加入工作区的研发支出表（可一步撤销）。")
        lay = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.summary)
        lay.addStretch(1)
        self.setFinalPage(True)

    def initializePage(self):
        w = self.wiz
        m = w.check_page.model
        res = w.conversion
        kept, total = m.kept_count, m.kept_total
        skipped = res.stats.get("skipped", {}) if res else {}
        errors = [ln for ln in (res.lines if res else []) if ln["status"] == "error"]
        excluded = len([i for i in m.excluded if m.lines[i]["status"] != "error"])
        projects = w.projects_to_create()
        parts = [f"<p>文件：<b>{w.source.name}</b> › {res.sheet}</p>",
                 f"<p>导入明细：<b>{kept}</b> 行，会计金额合计 <b>{fen_display(total)}</b> 元"
                 + (f"（其中 {len(m.overrides)} 行已修改费用代码或项目）" if m.overrides else "") + "</p>"]
        if skipped:
            parts.append("<p>跳过：" + "，".join(f"{SKIP_LABELS.get(k, k)} {v} 行" for k, v in skipped.items())
                         + "</p>")
        if errors:
            parts.append(f"<p style='color:#b00020'>有错误未导入：{len(errors)} 行（见上一步的问题列表）</p>")
        if excluded:
            parts.append(f"<p>取消勾选未导入：{excluded} 行</p>")
        if res and res.stats.get("transfer_lines"):
            kept_t = sum(1 for i in m.included if m.lines[i]["status"] == "transfer")
            parts.append(f"<p>月末结转的借方 {res.stats['transfer_lines']} 行（{fen_display(res.stats['transfer_fen'])} 元）"
                         + ("未导入" if not kept_t else f"，其中 {kept_t} 行按您的选择仍导入") + "</p>")
        if m.duplicates:
            parts.append(f"<p style='color:#a85a00'>与账中已有凭证重复 {len(m.duplicates)} 行："
                         + {"skip": "跳过，不导入", "replace": f"替换账中已有的 {len(w.replaced_row_ids())} 行",
                            "keep": "两者都保留（将重复计算，请确认）"}[m.duplicate_mode] + "</p>")
        if projects:
            parts.append("<p>新建研发项目：" + "，".join(f"{p['project_no']} {p['name']}" for p in projects)
                         + "</p>")
        if w.ws.readonly:
            parts.append("<p style='color:#b00020'>工作区以只读方式打开，不能导入。</p>")
        else:
            parts.append(f"<p>撤销操作名称：“导入ERP凭证：{w.source.name}”</p>")
        self.summary.setText("".join(parts))

    def isComplete(self):
        w = self.wiz
        return (not w.busy and not w.ws.readonly and w.conversion is not None
                and w.check_page.model.kept_count > 0)

    def validatePage(self):
        return self.isComplete() and self.wiz.do_import()


# =========================================================================== the wizard

class ImportWizard(QWizard):
    """导入ERP凭证.  ``ImportWizard(workspace, parent=None, path=None)``; after it is accepted,
    :attr:`imported_ids` holds the new 研发支出 line ids (also emitted by :attr:`imported`).

    ``preset_dir`` (keyword): the user preset folder (default :func:`forms.erp_import.user_preset_dir`);
    ``rules`` (keyword): a :class:`forms.erp_import.RuleSet` (default: the shipped classification rules)."""

    imported = Signal(list)
    state_changed = Signal()

    def __init__(self, workspace: Workspace, parent=None, path: str | os.PathLike | None = None, *,
                 preset_dir: str | os.PathLike | None = None, rules: E.RuleSet | None = None):
        super().__init__(parent)
        _ensure_font()
        _warm_up_imports()
        self.ws = workspace
        self.preset_dir = preset_dir
        self._rules = rules
        # state
        self.path: str | None = None
        self.source: E.Source | None = None
        self.open_error: str | None = None
        self.ranked: list[E.PresetMatch] = []
        self.sheet: str | None = None
        self.header: E.HeaderGuess | None = None
        self.header_auto = True
        self.match: E.PresetMatch | None = None       # the best preset for the sheet
        self.scores: dict[str, float] = {}
        self.preset: E.Preset | None = None
        self.mapping: E.ColumnMapping | None = None
        self.mapping_problems: list[Finding] = []
        self.conversion: E.ImportResult | None = None    # the full convert() result (QDialog has result())
        self.convert_error: str | None = None
        self._converted_key = None
        self.new_projects: dict[str, dict] = {}
        self.imported_ids: list[int] = []
        self.imported_project_ids: list[int] = []
        self.preset_problems: list[str] = []
        self.preset_error: str | None = None
        self._line_by_row: dict[int, int] = {}
        self.presets: list[E.Preset] = self._load_presets()
        self._known = self._workspace_projects()
        # worker
        self._signals = _TaskSignals()
        self._signals.finished.connect(self._task_finished)
        self._signals.failed.connect(self._task_failed)
        self._token = 0
        self._pending: tuple | None = None           # (token, on_done, on_error)
        self._progress: QProgressDialog | None = None

        self.setWindowTitle("导入ERP凭证")
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.NextButton, "下一步 >")
        self.setButtonText(QWizard.WizardButton.BackButton, "< 上一步")
        self.setButtonText(QWizard.WizardButton.FinishButton, "导入")
        self.setButtonText(QWizard.WizardButton.CancelButton, "取消")
        self.resize(1180, 780)
        self.file_page = FilePage(self)
        self.header_page = HeaderPage(self)
        self.mapping_page = MappingPage(self)
        self.check_page = CheckPage(self)
        self.import_page = ImportPage(self)
        for pid, page in ((PAGE_FILE, self.file_page), (PAGE_HEADER, self.header_page),
                          (PAGE_MAPPING, self.mapping_page), (PAGE_CHECK, self.check_page),
                          (PAGE_IMPORT, self.import_page)):
            self.setPage(pid, page)
        self.setStartId(PAGE_FILE)
        if path:
            self.load_path(path)

    # ---------------------------------------------------------------- presets and projects
    def _load_presets(self) -> list[E.Preset]:
        problems: list[str] = []
        try:
            presets = E.load_presets(self.preset_dir, problems=problems)
        except Exception as exc:  # noqa: BLE001
            problems.append(_error_text(exc))
            presets = []
        by_name = {p.name: k for k, p in enumerate(presets) if p.origin != "builtin"}
        try:
            stored = self.ws.presets(PRESET_KIND)
        except Exception as exc:  # noqa: BLE001
            problems.append(_error_text(exc))
            stored = []
        for d in stored:
            p = self._workspace_preset(d, problems)
            if p is None:
                continue
            if p.name in by_name:              # the same preset saved in the user folder: the workspace's wins
                presets[by_name[p.name]] = p
            else:
                presets.append(p)
        self.preset_problems = problems
        return presets

    @staticmethod
    def _workspace_preset(d: dict, problems: list[str]) -> E.Preset | None:
        name = d.get("name")
        doc = d.get("mapping") or {}
        try:
            columns = {k: tuple([v] if isinstance(v, str) else v) for k, v in (doc.get("columns") or {}).items()}
            options = dict(doc.get("options") or {})
            if not columns or any(k not in E.FIELDS for k in columns):
                raise E.PresetError(f"工作区方案“{name}”的列对应无效")
            E.ColumnMapping.from_options({}, options)
        except Exception as exc:  # noqa: BLE001
            problems.append(_error_text(exc))
            return None
        return E.Preset(id=f"ws-{name}", name=str(name), columns=columns, options=options,
                        signature=tuple(v[0] for v in columns.values() if v), layout="user",
                        origin="workspace")

    def _workspace_projects(self) -> dict[str, str | None]:
        try:
            return {p["project_no"]: p.get("name") for p in self.ws.rows("projects") if p.get("project_no")}
        except Exception:  # noqa: BLE001
            return {}

    def project_names(self) -> dict[str, str | None]:
        """Valid 项目编号 choices: the workspace's projects and the ones to be created."""
        out = dict(self._known)
        for code, p in self.new_projects.items():
            out.setdefault(code, p["name"])
        return out

    def unknown_projects(self) -> list[str]:
        """项目编号 of the export that are not in the workspace's project table (created ones included)."""
        if self.conversion is None:
            return []
        found = list(dict.fromkeys(self.conversion.stats.get("unknown_projects") or []))
        m = self.check_page.model
        for i in m.kept_indices():
            p = m.value(i, "project_no")
            if p and p not in found:
                found.append(p)
        return [c for c in found if c not in self._known]

    def add_new_project(self, code: str, name: str, form: str = "自主研发", ledger_type: str = "费用化") -> None:
        """Create 研发项目 ``code`` on import (lines using it become valid)."""
        name = (name or "").strip()
        if not name:
            raise ValueError("项目名称不能为空")
        self.new_projects[code] = {"project_no": code, "name": name, "form": form, "ledger_type": ledger_type}
        self.check_page._fill_unknown()
        self.check_page.model.refresh()
        if self.conversion is not None:            # the problems list follows at once (review #33)
            self.check_page._fill_findings(self.conversion.findings)

    def projects_to_create(self) -> list[dict]:
        m = self.check_page.model
        used = {m.value(i, "project_no") for i in m.kept_indices()}
        return [dict(p) for code, p in self.new_projects.items() if code in used and code not in self._known]

    def preset_choices(self) -> list[tuple[E.Preset, float | None]]:
        """Presets for the combo, best match first, with their score for the current sheet."""
        scored = [(p, self.scores.get(p.id)) for p in self.presets]
        return sorted(scored, key=lambda ps: -(ps[1] if ps[1] is not None else -1))

    # ---------------------------------------------------------------- worker plumbing
    @property
    def busy(self) -> bool:
        return self._pending is not None

    def _run(self, label: str, fn, on_done, on_error, on_cancel=None) -> None:
        self._cancel_task(notify=False)
        self._token += 1
        token = self._token
        self._pending = (token, on_done, on_error, on_cancel)
        dlg = QProgressDialog(label, "取消", 0, 0, self)
        dlg.setWindowTitle("导入ERP凭证")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(400)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.canceled.connect(lambda t=token: self._on_cancel(t))
        dlg.setValue(0)
        self._progress = dlg
        QThreadPool.globalInstance().start(_Task(token, fn, self._signals))
        self.state_changed.emit()

    def _close_progress(self) -> None:
        dlg, self._progress = self._progress, None
        if dlg is not None:
            try:
                dlg.canceled.disconnect()
            except (RuntimeError, TypeError):
                pass
            dlg.hide()
            dlg.deleteLater()

    def _take(self, token: int):
        if self._pending is None or self._pending[0] != token:
            return None                        # a cancelled or superseded task
        pending, self._pending = self._pending, None
        self._close_progress()
        return pending

    def _task_finished(self, token: int, result) -> None:
        pending = self._take(token)
        if pending is None:
            return
        try:
            pending[1](result)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            pending[2](exc)
        self.state_changed.emit()

    def _task_failed(self, token: int, exc) -> None:
        pending = self._take(token)
        if pending is None:
            return
        try:
            pending[2](exc)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
        self.state_changed.emit()

    def _on_cancel(self, token: int) -> None:
        if self._pending is not None and self._pending[0] == token:
            self._cancel_task(notify=True)

    def _cancel_task(self, notify: bool = True) -> None:
        """Forget the running task (its thread finishes in the background; the result is ignored)."""
        pending, self._pending = self._pending, None
        self._close_progress()
        if pending is not None and notify and pending[3] is not None:
            pending[3]()
        if pending is not None:
            self.state_changed.emit()

    def cancel_work(self) -> None:
        """Cancel the running task (as the progress dialog's 取消 button)."""
        self._cancel_task(notify=True)

    def done(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            self._cancel_task(notify=False)
        super().done(result)

    # ---------------------------------------------------------------- page 1: the file
    def load_path(self, path: str | os.PathLike) -> None:
        """Open ``path`` on the worker thread (errors are shown on the first page)."""
        path = os.fspath(path).strip()
        self.path = path or None
        self.source = None
        self.open_error = None
        self.ranked = []
        self.sheet = None
        self.header = None
        self.match = None
        self.preset = None
        self.mapping = None
        self.mapping_problems = []
        self.conversion = None
        self._converted_key = None
        if not path:
            self.file_page.refresh()
            self.state_changed.emit()
            return
        presets = list(self.presets)

        def work():
            src = E.open_source(path)
            return src, E.rank_presets(src, presets)

        def done(value):
            src, ranked = value
            self.source, self.ranked = src, ranked
            first = ranked[0].sheet if ranked else src.sheet_names[0] if src.sheet_names else None
            if first is None:
                self.source = None
                self.open_error = "文件中没有工作表"
            else:
                self.set_sheet(first)
            self.file_page.refresh()

        def failed(exc):
            self.open_error = _error_text(exc)
            self.file_page.refresh()

        def cancelled():
            self.open_error = "已取消读取文件"
            self.file_page.refresh()

        self._run(f"正在读取“{os.path.basename(path)}”…", work, done, failed, cancelled)
        self.file_page.refresh()

    def set_sheet(self, name: str) -> None:
        self.sheet = name
        sheet = self.source.sheet(name)
        self.header = E.detect_header(sheet)
        self.header_auto = True
        matches = [m for m in self.ranked if m.sheet == name]
        self.scores = {m.preset.id: m.score for m in matches}
        self.match = matches[0] if matches else None
        self._apply_preset(self.match.preset if self.match else None)
        self.state_changed.emit()

    # ---------------------------------------------------------------- page 2: header and preset
    def set_header_row(self, row0: int) -> None:
        """Use 0-based ``row0`` of the sheet as the header row."""
        if self.source is None or self.sheet is None:
            return
        sheet = self.source.sheet(self.sheet)
        try:
            self.header = E.header_at(sheet, row0)
        except IndexError:
            return
        detected = E.detect_header(sheet)
        self.header_auto = detected.row == row0
        self._apply_preset(self.preset)
        self.header_page.refresh()
        self.state_changed.emit()

    def set_preset(self, preset: E.Preset | None) -> None:
        """Choose a preset (``None``: map the columns from the header texts alone)."""
        self._apply_preset(preset)
        self.header_page._show_score()
        self.state_changed.emit()

    def select_preset(self, name_or_id: str) -> E.Preset:
        """Choose a preset by name or id (what the page-2 combo does)."""
        for p in self.presets:
            if name_or_id in (p.id, p.name):
                self.set_preset(p)
                self.header_page.refresh()
                return p
        raise KeyError(name_or_id)

    def _apply_preset(self, preset: E.Preset | None) -> None:
        self.preset = preset
        self.preset_error = None
        h = self.header
        if h is None or h.row is None:
            self.mapping = E.ColumnMapping(preset_id=preset.id if preset else None)
        else:
            try:
                mapping = preset.mapping_for(h) if preset is not None else E.auto_mapping(h)
            except (E.PresetError, ValueError, re.error) as exc:
                self.preset_error = _error_text(exc)
                mapping = E.auto_mapping(h)
            self.mapping = replace(mapping, header_row=h.row)
        self._check_mapping()

    # ---------------------------------------------------------------- page 3: mapping
    def set_mapping(self, mapping: E.ColumnMapping) -> None:
        if self.header is not None and self.header.row is not None:
            mapping = replace(mapping, header_row=self.header.row)
        self.mapping = mapping
        self._check_mapping()
        self.state_changed.emit()

    def _check_mapping(self) -> None:
        if self.mapping is None or self.header is None:
            self.mapping_problems = []
            return
        try:
            self.mapping_problems = E.check_mapping(self.mapping, self.header)
        except Exception as exc:  # noqa: BLE001
            self.mapping_problems = [Finding(ERROR, "E_ERP_MAPPING", _error_text(exc))]

    def save_current_preset(self, name: str) -> E.Preset:
        """Save the current mapping as preset ``name`` in the user folder and in the workspace."""
        name = (name or "").strip()
        preset = E.save_preset(self.mapping, name, user_dir=self.preset_dir,
                               description=f"由“{self.source.name}”保存" if self.source else "")
        note = f"已保存方案“{name}”到本机"
        if not self.ws.readonly:
            self.ws.save_preset(name, PRESET_KIND, self.mapping.to_dict())
            note += "和工作区"
        self.presets = self._load_presets()
        chosen = next((p for p in self.presets if p.name == name and p.origin != "builtin"), preset)
        self.preset = chosen
        self.mapping = replace(self.mapping, preset_id=chosen.id)
        self.mapping_page.saved.setText(note)
        self.header_page.refresh()
        self.state_changed.emit()
        return chosen

    # ---------------------------------------------------------------- page 4: convert and check
    def _convert_key(self):
        return (id(self.source), self.sheet, self.mapping, self.header)

    def start_convert(self, force: bool = False) -> None:
        """Convert every row on the worker thread (kept when nothing changed since the last run)."""
        if self.source is None or self.sheet is None or self.mapping is None:
            return
        key = self._convert_key()
        if not force and self.conversion is not None and self._converted_key == key:
            return
        self.conversion = None
        self.convert_error = None
        self.check_page.model.set_lines([])
        self.check_page.refresh()
        if self._rules is None:                  # read on the GUI thread (see _warm_up_imports)
            try:
                self._rules = E.load_rules()
            except Exception as exc:  # noqa: BLE001
                self.convert_error = "分类规则无法读取：" + _error_text(exc)
                self.check_page.refresh()
                self.state_changed.emit()
                return
        src, sheet, mapping, header = self.source, self.sheet, self.mapping, self.header
        known = dict(self._known)
        rules = self._rules

        def work():
            return E.convert(src, sheet, mapping, rules, known, header=header)

        def done(result):
            self.conversion = result
            self._converted_key = key
            self._line_by_row = {ln["origin"]["row"]: i for i, ln in enumerate(result.lines)}
            self.new_projects = {c: p for c, p in self.new_projects.items()
                                 if c in (result.stats.get("unknown_projects") or [])}
            self.check_page.model.set_lines(result.lines)
            self.check_page.model.set_duplicates(self.find_duplicates(result.lines))
            self.check_page.refresh()

        def failed(exc):
            self.convert_error = "转换失败：" + _error_text(exc)
            self.check_page.refresh()

        def cancelled():
            self.convert_error = "已取消转换。点击“重新检查”再次转换。"
            self.check_page.refresh()

        self._run(f"正在转换“{src.name}”的全部行…", work, done, failed, cancelled)
        self.check_page.refresh()

    def jump_to_finding(self, finding: Finding) -> bool:
        """Select the grid cell of ``finding`` (matched by its sheet row); False when no line has that row."""
        page = self.check_page
        if self.conversion is None or finding.row is None:
            page.note.setText(f"{finding.message}")
            return False
        i = self._line_by_row.get(finding.row)
        if i is None or (finding.sheet and finding.sheet != self.conversion.sheet):
            page.note.setText(f"第{finding.row}行未成为明细行：{finding.message}")
            page.note.setStyleSheet("color: #555;")
            return False
        by_header = {text: fld for fld, text in self.mapping.columns.items()}
        fld = by_header.get(finding.column) if finding.column else None
        col = FIELD_COLUMN.get(fld, COL_STATUS) if fld else COL_STATUS
        if finding.code in ("W_ERP_NO_CODE", "W_ERP_CODE_UNSURE", "W_ERP_CODE_UNKNOWN"):
            col = COL_CODE
        elif finding.code in ("W_ERP_NO_PROJECT", "W_ERP_PROJECT_UNKNOWN", "W_ERP_PROJECT_TEXT"):
            col = COL_PROJECT
        src_index = page.model.index(i, col)
        idx = page.proxy.mapFromSource(src_index)
        if not idx.isValid():
            page.only_needed.setChecked(False)
            idx = page.proxy.mapFromSource(src_index)
        page.view.selectionModel().setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        page.view.scrollTo(idx, QAbstractItemView.ScrollHint.PositionAtCenter)
        page.view.setFocus()
        return True

    def find_duplicates(self, lines: list[dict]) -> dict[int, list[int]]:
        """Lines whose 日期, 凭证号 (digits, padding ignored), 会计金额 and 项目 match a 研发支出 row already in
        the workspace (a re-import, or vouchers typed by hand) → those rows' ids (review desktop-app #3)."""
        existing: dict[tuple, list[int]] = {}
        for r in self.ws.rows("lines"):
            existing.setdefault(_dup_key(r.get("date"), r.get("voucher_no"), r.get("amount"), r.get("project_no")),
                                []).append(r["id"])
        out = {}
        for i, ln in enumerate(lines):
            if ln["status"] == "error":
                continue
            d = ln.get("date")
            key = _dup_key(d.isoformat() if d else None, ln.get("voucher_no"), ln.get("amount"), ln.get("project_no"))
            if key in existing:
                out[i] = existing[key]
        return out

    # ---------------------------------------------------------------- page 5: import
    def import_rows(self) -> list[dict]:
        """The rows to insert into the workspace's 研发支出 table: :func:`forms.erp_import.to_workbook_rows`
        with the user's overrides, less the unticked lines; values as typed (Decimal 元, date, text)."""
        m = self.check_page.model
        res = self.conversion
        statuses = ("ok", "review", "transfer")
        rows = E.to_workbook_rows(res, statuses=statuses, overrides=m.overrides)
        indices = [i for i, ln in enumerate(res.lines) if ln["status"] in statuses]
        if len(rows) != len(indices):           # to_workbook_rows keeps lines in order, filtered by status
            raise RuntimeError("转换结果与明细行数不一致")
        fields = {c.field for c in S.LINE_COLUMNS}
        return [{k: v for k, v in row.items() if k in fields} for i, row in zip(indices, rows) if m.kept(i)]

    def replaced_row_ids(self) -> list[int]:
        """Rows already in the workspace that the import replaces (duplicate mode “替换”)."""
        m = self.check_page.model
        if m.duplicate_mode != "replace":
            return []
        return sorted({rid for i, ids in m.duplicates.items() if m.kept(i) for rid in ids})

    def do_import(self) -> bool:
        """Insert the new projects and the lines in one undoable batch; False (and a message) on error."""
        if self.ws.readonly:
            QMessageBox.warning(self, "导入ERP凭证", "工作区以只读方式打开，不能导入。")
            return False
        try:
            rows = self.import_rows()
            projects = self.projects_to_create()
            if not rows:
                return False
            replaced = self.replaced_row_ids()
            with self.ws.batch(f"导入ERP凭证：{self.source.name}"):
                if replaced:
                    self.ws.delete_rows("lines", replaced)
                project_ids = self.ws.insert_rows("projects", projects) if projects else []
                ids = self.ws.insert_rows("lines", rows)
            self.ws.log_event("import", f"导入ERP凭证“{self.source.name}”（追加）：研发项目 {len(project_ids)} 行，"
                              f"研发支出 {len(ids)} 行", {"kind": "erp", "file": self.source.name, "mode": "append",
                                                       "counts": {"projects": len(project_ids), "lines": len(ids)}},
                              batch_id=getattr(self.ws, "last_batch_id", None))
        except Exception as exc:  # noqa: BLE001 - the batch rolled back: nothing was written
            traceback.print_exc()
            QMessageBox.critical(self, "导入失败", f"导入失败，工作区未作修改。\n{_error_text(exc)}")
            return False
        self.imported_ids = list(ids)
        self.imported_project_ids = list(project_ids)
        self.imported.emit(self.imported_ids)
        return True
