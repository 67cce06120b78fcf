"""The main window: workspace tables, ledger editor, findings, results, statement, tools."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDockWidget, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QMainWindow, QMessageBox, QPushButton, QScrollArea, QSpinBox,
                               QStyledItemDelegate, QTableView, QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from calc import schema as S
from calc.evaluate import year_range
from calc.params import load_params
from forms.workspace import (EXTENSION, InvalidValue, SaveError, Workspace, WorkspaceError, WorkspaceLocked,
                             WorkspaceReadOnly, display_value, recent_files)

from .document import Document
from .ledger_view import CodeDelegate, SheetView, install_wheel_guard
from .table_model import SHEET_TABLES, TABLE_TITLES, WorkspaceTableModel, ledger_filter

APP_TITLE = "研发惠企测算"


def tempfile_root() -> str:
    import tempfile
    return tempfile.gettempdir()


def _t(text: str) -> str:
    """Translate a UI string (Qt translation files in resources/i18n; Chinese is the source language)."""
    return QCoreApplication.translate("MainWindow", text)
SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}
PERIODS = [("year", "年度汇算"), ("H1", "上半年（7月预缴）"), ("Q1-Q3", "前三季度（10月预缴）")]


class ChoiceDelegate(QStyledItemDelegate):
    def __init__(self, choices, parent=None):
        super().__init__(parent)
        self.choices = list(choices)

    def createEditor(self, parent, option, index):
        box = QComboBox(parent)
        box.addItem("", None)
        for c in self.choices:
            box.addItem(c, c)
        return box

    def setEditorData(self, editor, index):
        editor.setCurrentIndex(max(0, editor.findText(str(index.data(Qt.EditRole) or ""))))

    def setModelData(self, editor, model, index):
        model.setData(index, editor.currentData() or "", Qt.EditRole)


class TablePage(QWidget):
    """A workspace table with add/delete buttons (and, for 研发支出, filters and totals)."""

    def __init__(self, window: "MainWindow", table: str):
        super().__init__()
        self.window, self.table = window, table
        self.model = WorkspaceTableModel(None, table, self)
        self.model.edit_failed.connect(window.show_error)
        self.view = SheetView()
        self.view.setModel(self.model)
        self.view.paste_failed = window.show_paste_problems
        self.view.setSortingEnabled(table == "lines")
        if table == "lines":
            self.view.sortByColumn(0, Qt.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectItems)    # blocks of cells, as in Excel
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setStretchLastSection(True)
        for i, col in enumerate(self.model.columns):
            if col.field == "code":
                self.view.setItemDelegateForColumn(i, CodeDelegate(self.view))
            elif col.choices:
                self.view.setItemDelegateForColumn(i, ChoiceDelegate(col.choices, self.view))
            elif col.kind == S.YESNO:
                self.view.setItemDelegateForColumn(i, ChoiceDelegate((_t("是"), _t("否")), self.view))
            width = 110 if col.kind in (S.AMOUNT, S.DATE) else 80 if col.kind in (S.INT, S.YEAR, S.RATIO) else 140
            if col.field in ("summary", "name"):
                width = 260
            self.view.setColumnWidth(i, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        if table == "lines":
            bar = QHBoxLayout()
            self.f_project = QComboBox()
            self.f_code = QComboBox()
            self.f_month = QLineEdit()
            self.f_month.setPlaceholderText(_t("月份 如 2024-03"))
            self.f_text = QLineEdit()
            self.f_text.setPlaceholderText(_t("摘要、凭证号…"))
            for w, label in ((self.f_project, _t("项目")), (self.f_code, _t("费用代码")), (self.f_month, _t("月份")),
                             (self.f_text, _t("搜索"))):
                bar.addWidget(QLabel(label))
                bar.addWidget(w)
            self.f_project.currentIndexChanged.connect(self.apply_filter)
            self.f_code.currentIndexChanged.connect(self.apply_filter)
            self.f_month.textChanged.connect(self.apply_filter)
            self.f_text.textChanged.connect(self.apply_filter)
            layout.addLayout(bar)
        layout.addWidget(self.view)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(_t("新增行"))
        self.del_button = QPushButton(_t("删除所选行"))
        self.add_button.clicked.connect(self.add_row)
        self.del_button.clicked.connect(self.delete_rows)
        self.totals = QLabel()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.del_button)
        buttons.addStretch(1)
        buttons.addWidget(self.totals)
        layout.addLayout(buttons)

    def reload(self, ws: Workspace | None) -> None:
        self.model.set_workspace(ws)
        if self.table == "lines":
            self._fill_filters(ws)
        self.totals.setText(self.model.totals_text())
        writable = ws is not None and not ws.readonly
        self.add_button.setEnabled(writable)
        self.del_button.setEnabled(writable)

    def _fill_filters(self, ws) -> None:
        keep_p, keep_c = self.f_project.currentData(), self.f_code.currentData()
        for box in (self.f_project, self.f_code):
            box.blockSignals(True)
            box.clear()
            box.addItem(_t("全部"), None)
        if ws is not None:
            for r in ws.rows("projects"):
                self.f_project.addItem(f"{r['project_no']} {r.get('name') or ''}", r["project_no"])
            for code in load_params().codes:
                self.f_code.addItem(code, code)
        for box, keep in ((self.f_project, keep_p), (self.f_code, keep_c)):
            i = box.findData(keep)
            box.setCurrentIndex(max(0, i))
            box.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        key = (self.f_project.currentData(), self.f_code.currentData(), self.f_month.text().strip(), self.f_text.text())
        if key != getattr(self, "_filter_key", None):
            # an unchanged empty filter is not re-applied: resetting the table would close the cell editor
            self._filter_key = key
            self.model.set_filter(ledger_filter(*key))
        self.totals.setText(self.model.totals_text())

    def add_row(self) -> None:
        ws = self.window.doc.ws
        if ws is None:
            return
        import datetime as _dt
        cur = self.view.currentIndex()
        prev = ws.rows_by_id("lines", {self.model.row_id(cur.row())}) if (self.table == "lines" and cur.isValid()) else {}
        prev_row = dict(zip([c.field for c in self.model.columns], next(iter(prev.values())))) if prev else {}
        today = _dt.date.today()
        day = prev_row.get("date") or (today.isoformat() if today.year == self.window.doc.year
                                       else f"{self.window.doc.year}-12-31")
        # the previous row's date and project (as Excel users continue a voucher); no placeholder voucher or
        # code: an empty line is reported as incomplete instead of being exported as “待填” (review #21)
        defaults = {"lines": {"date": day, "project_no": prev_row.get("project_no") or
                              (ws.rows("projects") or [{"project_no": ""}])[0]["project_no"],
                              "voucher_kind": prev_row.get("voucher_kind")},
                    "years": {"year": self.window.doc.year}, "projects": {"project_no": f"RD{ws.count('projects') + 1:02d}",
                              "name": "新项目", "form": "自主研发", "ledger_type": "费用化"},
                    "adjustments": {"year": self.window.doc.year, "kind": "其他", "amount": "0"},
                    "facts": {"name": "规模以上企业（纳入统计的规上企业）", "value": "是"}}
        try:
            ids = ws.insert_rows(self.table, [defaults.get(self.table, {})])
        except (InvalidValue, WorkspaceError) as exc:
            self.window.show_error(str(exc))
            return
        self.select_row(ids[0])

    def delete_rows(self) -> None:
        ws = self.window.doc.ws
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()}
                      or ({self.view.currentIndex().row()} if self.view.currentIndex().isValid() else set()))
        if ws is None or not rows:
            return
        ids = [self.model.row_id(r) for r in rows]
        try:
            ws.delete_rows(self.table, ids)
        except WorkspaceError as exc:
            self.window.show_error(str(exc))

    def select_row(self, row_id: int, field: str | None = None) -> bool:
        if self.table == "lines" and self.model.row_of_id(row_id) is None:
            self.f_project.setCurrentIndex(0)
            self.f_code.setCurrentIndex(0)
            self.f_month.clear()
            self.f_text.clear()
        row = self.model.row_of_id(row_id)
        if row is None:
            return False
        col = self.model.column_of(field) if field else 0
        index = self.model.index(row, col or 0)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index, QAbstractItemView.PositionAtCenter)
        self.view.setFocus()
        return True


class ProfilePage(QScrollArea):
    """企业信息: one field per line, saved (validated, undoable) when editing finishes."""

    def __init__(self, window: "MainWindow"):
        super().__init__()
        self.window = window
        self.setWidgetResizable(True)
        inner = QWidget()
        form = QFormLayout(inner)
        self.edits: dict[str, QLineEdit] = {}
        for col in S.PROFILE_FIELDS:
            if col.field == "hnte_cert_history":        # several certificates: a small table (desktop/cert_table.py)
                from .cert_table import CertificateTable
                edit = CertificateTable()
            else:
                edit = QLineEdit()
            edit.setToolTip(col.help or "")
            if col.field == "packs":            # chosen by name from a list, never typed as ids (review #9)
                edit.setReadOnly(True)
                edit.setPlaceholderText(_t("未选择（点击“选择…”按省份选择所在地区的政策）"))
                edit.setToolTip(_t("所在地区后补助政策：点击“选择…”按省、市/区选择"))
                self.pack_button = QPushButton(_t("选择…"))
                self.pack_button.clicked.connect(self.choose_packs)
                host = QWidget()
                row = QHBoxLayout(host)
                row.setContentsMargins(0, 0, 0, 0)
                row.addWidget(edit, 1)
                row.addWidget(self.pack_button)
                form.addRow(col.header, host)
                self.edits[col.field] = edit
                continue
            edit.setPlaceholderText((_t("必填 ") if col.required else "") + (col.help or "/".join(col.choices)))
            edit.editingFinished.connect(lambda f=col.field, e=edit: self.commit(f, e))
            form.addRow(col.header + ("*" if col.required else ""), edit)
            self.edits[col.field] = edit
        self.setWidget(inner)

    def pack_ids(self) -> list[str]:
        ws = self.window.doc.ws
        stored = ws.profile().get("packs") if ws is not None else None
        return [p.strip() for p in re.split(r"[,，、;；\s]+", str(stored or "")) if p.strip()]

    def choose_packs(self, *, answer=None) -> bool:
        """选择…: the province → city/district → policy picker; the choice is stored (undoable).
        ``answer`` (tests): a list of ids to pick instead of showing the dialog."""
        ws = self.window.doc.ws
        if ws is None or ws.readonly:
            return False
        from .pack_picker import PackPickerDialog
        dialog = PackPickerDialog(self.pack_ids(), self)
        self.pack_dialog = dialog
        if answer is not None:
            dialog.picker.set_selected(answer)
            ok = True
        else:
            ok = dialog.exec() == dialog.DialogCode.Accepted
        if not ok:
            return False
        chosen = dialog.selected() + [p for p in dialog.missing]       # ids not installed here are kept
        try:
            ws.set_profile("packs", ",".join(chosen))
        except (InvalidValue, WorkspaceError) as exc:
            self.window.show_error(str(exc))
            return False
        return True

    def reload(self, ws: Workspace | None) -> None:
        values = ws.profile() if ws is not None else {}
        for field, edit in self.edits.items():
            stored = values.get(field)
            edit.blockSignals(True)
            if field == "packs":
                from .pack_picker import pack_names
                ids = [p.strip() for p in re.split(r"[,，、;；\s]+", str(stored or "")) if p.strip()]
                edit.setText("；".join(pack_names(ids)))
                self.pack_button.setEnabled(ws is not None and not ws.readonly)
                edit.blockSignals(False)
                continue
            edit.setText("" if stored is None else display_value("profile", field, stored))
            edit.setReadOnly(ws is None or ws.readonly)
            edit.setStyleSheet("")
            edit.blockSignals(False)

    def commit(self, field: str, edit: QLineEdit) -> None:
        ws = self.window.doc.ws
        if ws is None or ws.readonly:
            return
        stored = ws.profile().get(field)
        shown = "" if stored is None else display_value("profile", field, stored)
        if edit.text() == shown:
            return
        try:
            ws.set_profile(field, edit.text())
            edit.setStyleSheet("")
        except (InvalidValue, WorkspaceError) as exc:
            edit.setStyleSheet("background:#FDE2E2")
            self.window.show_error(str(exc))

    def focus_field(self, field: str | None) -> None:
        edit = self.edits.get(field or "")
        if edit is not None:
            self.ensureWidgetVisible(edit)
            edit.setFocus()


class MainWindow(QMainWindow):
    output_busy = False            # an export (申报报表 / 工作簿) is running in the worker pool
    output_progress = None

    def __init__(self, autosave_ms: int | None = None):
        super().__init__()
        from .settings import load_settings
        self.settings = load_settings()
        self.doc = Document(self, autosave_ms=autosave_ms or self.settings.autosave_ms)
        self.doc.extra_packs = list(self.settings.default_packs)
        install_wheel_guard()
        self.setWindowTitle(_t(APP_TITLE))
        self.fit_to_screen()
        self.tabs = QTabWidget()
        self.profile_page = ProfilePage(self)
        self.pages: dict[str, TablePage] = {t: TablePage(self, t) for t in ("years", "projects", "lines", "adjustments", "facts")}
        self.tabs.addTab(self.profile_page, _t(S.SHEET_PROFILE))
        for t, page in self.pages.items():
            self.tabs.addTab(page, _t(TABLE_TITLES[t]))
        self._allocation_tabs()
        self.results = self._results_widget()
        self.tabs.addTab(self.results, _t("测算结果"))
        self.statement = self._statement_widget()
        self.tabs.addTab(self.statement, _t("报告"))
        from PySide6.QtWidgets import QStackedWidget
        self.start_page = self._start_page()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self._build_findings_dock()
        self._build_actions()
        self._build_toolbar()
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self.doc.changed.connect(self.refresh_tables)
        self.doc.evaluated.connect(self.show_evaluation)
        self.doc.error.connect(self.show_error)
        self.doc.busy.connect(lambda b: self.statusBar().showMessage(_t("正在计算…") if b else _t("计算完成"), 0 if b else 3000))
        self.doc.saved.connect(lambda kind: self.update_status())
        self.ask = self._ask              # tests replace this to answer dialogs
        self.confirm_import = self._confirm_import      # tests replace this (diff → apply?)
        self.update_status()

    # -- fitting the screen (review desktop-app #15) ----------------------------------------
    PREFERRED = (1280, 800)

    def available(self):
        from PySide6.QtGui import QGuiApplication
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else None

    def fit_to_screen(self) -> None:
        """1280×800 where it fits, else the available screen (1280×720, 1366×768 laptops), never larger."""
        avail = self.available()
        w, h = self.PREFERRED
        if avail is not None:
            frame = 40                                       # title bar and borders of the window system
            w, h = min(w, avail.width()), min(h, avail.height() - frame)
            self.setMinimumSize(min(900, w), min(560, h))
        self.resize(w, h)

    def too_big_for_screen(self) -> bool:
        avail = self.available()
        return avail is not None and (avail.width() < self.PREFERRED[0] or avail.height() < self.PREFERRED[1] + 40)

    # -- the start page without a workspace (review desktop-app #19) ---------------------------
    def _start_page(self) -> QWidget:
        from PySide6.QtWidgets import QListWidget, QListWidgetItem
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        title = QLabel(_t(APP_TITLE))
        title.setStyleSheet("font-size: 20pt; font-weight: bold; color: #1F4E79;")
        title.setAlignment(Qt.AlignCenter)
        outer.addWidget(title)
        hint = QLabel(_t("未打开工作区：新建一个企业的工作区，打开已有的，或先看示例。"))
        hint.setAlignment(Qt.AlignCenter)
        outer.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        self.start_buttons = {}
        for key, text, slot in (("new", _t("新建工作区…"), self.new_workspace), ("open", _t("打开…"), self.open_dialog),
                                ("sample", _t("打开示例"), self.open_sample), ("quick", _t("快速测算…"), self.quick_estimate)):
            b = QPushButton(text)
            b.setMinimumSize(150, 44)
            b.clicked.connect(lambda checked=False, f=slot: f())
            row.addWidget(b)
            self.start_buttons[key] = b
        row.addStretch(1)
        outer.addLayout(row)
        outer.addWidget(QLabel(_t("最近打开")), 0, Qt.AlignHCenter)
        self.recent_list = QListWidget()
        self.recent_list.setMaximumWidth(720)
        self.recent_list.itemActivated.connect(lambda item: self.open_path(item.data(Qt.UserRole)))
        self.recent_list.itemDoubleClicked.connect(lambda item: self.open_path(item.data(Qt.UserRole)))
        outer.addWidget(self.recent_list, 0, Qt.AlignHCenter)
        outer.addStretch(2)
        self._recent_item = QListWidgetItem
        return page

    def _fill_start_page(self) -> None:
        self.recent_list.clear()
        for p in recent_files():
            item = self._recent_item(f"{Path(p).name}    {Path(p).parent}")
            item.setData(Qt.UserRole, str(p))
            self.recent_list.addItem(item)
        if not self.recent_list.count():
            self.recent_list.addItem(_t("（暂无）"))

    # -- optional parts written in their own modules ------------------------------------
    def _results_widget(self):
        from .results_view import ResultsView
        view = ResultsView()
        view.line_requested.connect(lambda line_id: self.jump_to_line_index(line_id))
        return view

    def _allocation_tabs(self) -> None:
        """工时分配: the 人员工时/人员薪酬/设备折旧/设备工时 tables and the allocation view (desktop/allocation_view.py)."""
        from forms.workspace import TABLE_SHEETS
        from .allocation_view import AllocationView
        for t in ("timesheets", "payroll", "equipment", "equipment_hours"):
            self.pages[t] = TablePage(self, t)
            self.tabs.addTab(self.pages[t], _t(TABLE_SHEETS[t]))
        self.allocation_view = AllocationView()
        self.allocation_view.source_requested.connect(self.jump_to_finding)
        self.tabs.addTab(self.allocation_view, _t("工时分配"))
        self.doc.evaluated.connect(self.allocation_view.set_evaluation)

    def _statement_widget(self):
        from .statement_view import StatementView
        view = StatementView()
        view.checklist_source = self._checklist_for
        view.folder_source = self.default_folder
        view.regenerate_requested.connect(self.regenerate_statement)
        self.doc.changed.connect(view.mark_stale)          # any edit, import, undo: the statement is out of date
        return view

    def regenerate_statement(self) -> None:
        """A statement of the data as it is now (the computation is brought up to date first)."""
        if self.doc.ws is None:
            return
        self.doc._recompute_timer.stop()                    # recompute_now covers the pending one
        try:
            ev = self.doc.recompute_now()
        except Exception as exc:      # noqa: BLE001 — shown, never a crash
            self.show_error(f"计算失败：{exc}")
            return
        self.tabs.setCurrentWidget(self.statement)
        self.statement.show_evaluation(ev)

    def _checklist_for(self, ev):
        """The 留存备查 checklist of the open workspace for a statement's year (None without a workspace)."""
        ws = self.doc.ws
        if ws is None:
            return None
        from forms.evidence import workspace_checklist
        return workspace_checklist(ws, ev.year, ev.ledger)

    # -- issue #9 views: roster, audit trail, evidence checklist ----------------------------
    def show_roster(self, folder=None):
        from .roster_view import RosterView
        if folder is None:
            folder = str(self.doc.ws.path.parent) if self.doc.ws is not None else self.settings.start_folder()
        self.roster_view = RosterView(folder, self)
        self.roster_view.open_requested.connect(self._open_from_roster)
        self.roster_view.show()
        return self.roster_view

    def show_pipeline(self, source=None):
        """培育库: many enterprises at once (a roster workbook or a folder of workspaces)."""
        from .pipeline_view import PipelineView
        self.pipeline_view = PipelineView(self, source=source)
        self.pipeline_view.open_requested.connect(self.open_path)
        self.pipeline_view.show()
        return self.pipeline_view

    def _open_from_roster(self, path: str) -> None:
        if self.doc.ws is not None and Path(path) == self.doc.ws.path:
            self.raise_()
            return
        if self.open_path(path) and getattr(self, "roster_view", None) is not None:
            self.roster_view.refresh()
            self.raise_()

    def _store_summary(self, ev) -> None:
        """Key figures for the advisor roster, cached in the workspace meta (forms.roster)."""
        ws = self.doc.ws
        if ws is None or ws.readonly or ev is None or ev.period != "year":
            return
        try:
            from forms.roster import summary_of
            ws.set_summary(summary_of(ev))
        except Exception:            # noqa: BLE001 - a cache: never disturb the user for it
            pass

    def show_audit(self):
        if self.doc.ws is None:
            return None
        from .audit_view import AuditView
        self.audit_view = AuditView(self.doc.ws, self)
        self.audit_view.show()
        return self.audit_view

    def show_checklist(self):
        if self.doc.ws is None:
            return None
        from .checklist_view import ChecklistView
        self.checklist_view = ChecklistView(self.doc.ws, self.doc.year, self)
        self.checklist_view.show()
        return self.checklist_view

    # -- layout ---------------------------------------------------------------------------
    def _build_findings_dock(self) -> None:
        self.findings = QTreeWidget()
        self.findings.setHeaderLabels([_t("级别"), _t("位置"), _t("说明")])
        self.findings.setColumnWidth(0, 60)
        self.findings.setColumnWidth(1, 150)
        self.findings.itemActivated.connect(self._finding_activated)
        self.findings.itemDoubleClicked.connect(self._finding_activated)
        dock = QDockWidget(_t("检查结果"), self)
        dock.setObjectName("findings")
        dock.setWidget(self.findings)
        self.addDockWidget(Qt.BottomDockWidgetArea, dock)
        self.findings_dock = dock

    def _action(self, text, slot, shortcut=None) -> QAction:
        act = QAction(text, self)
        act.triggered.connect(slot)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        return act

    def _build_actions(self) -> None:
        m = self.menuBar().addMenu(_t("文件(&F)"))
        self.act_new = self._action(_t("新建工作区…"), self.new_workspace, QKeySequence.New)
        self.act_open = self._action(_t("打开…"), self.open_dialog, QKeySequence.Open)
        self.act_save = self._action(_t("保存"), self.save, QKeySequence.Save)
        self.act_save_as = self._action(_t("另存为…"), self.save_as, QKeySequence.SaveAs)
        self.act_import = self._action(_t("从工作簿导入…"), self.import_workbook)
        self.act_export = self._action(_t("导出为工作簿…"), self.export_workbook)
        self.act_erp = self._action(_t("导入ERP凭证…"), self.import_erp)
        self.act_statement = self._action(_t("生成报告…"), self.save_statement, "Ctrl+P")
        self.act_forms = self._action(_t("导出申报报表（A107012、辅助账、汇总表）…"), self.export_forms)
        for a in (self.act_new, self.act_open):
            m.addAction(a)
        self.recent_menu = m.addMenu(_t("最近打开"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.act_roster = self._action(_t("工作区一览…"), lambda checked=False: self.show_roster())
        m.addAction(self.act_roster)
        self.act_pipeline = self._action(_t("培育库（名册或文件夹）…"), lambda checked=False: self.show_pipeline())
        m.addAction(self.act_pipeline)
        m.addSeparator()
        for a in (self.act_save, self.act_save_as):
            m.addAction(a)
        m.addSeparator()
        for a in (self.act_import, self.act_erp, self.act_export, self.act_statement, self.act_forms):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self._action(_t("退出"), self.close, QKeySequence.Quit))
        e = self.menuBar().addMenu(_t("编辑(&E)"))
        self.act_undo = self._action(_t("撤销"), self.undo, QKeySequence.Undo)
        self.act_redo = self._action(_t("重做"), self.redo, QKeySequence.Redo)
        e.addAction(self.act_undo)
        e.addAction(self.act_redo)
        e.addSeparator()
        self.act_copy = self._action(_t("复制"), self.copy, QKeySequence.Copy)
        self.act_paste = self._action(_t("粘贴"), self.paste, QKeySequence.Paste)
        self.act_delete_rows = self._action(_t("删除行"), self.delete_rows, "Ctrl+-")
        self.act_find = self._action(_t("查找…"), self.find, QKeySequence.Find)
        for a in (self.act_copy, self.act_paste, self.act_delete_rows, self.act_find):
            e.addAction(a)
        t = self.menuBar().addMenu(_t("工具(&T)"))
        self.act_quick = self._action(_t("快速测算…"), self.quick_estimate, "Ctrl+Shift+Q")
        t.addAction(self.act_quick)
        t.addAction(self._action(_t("重新计算"), self.doc.recompute, "F5"))
        t.addAction(self._action(_t("设置…"), self.edit_settings))
        self.act_checklist = self._action(_t("留存备查资料清单…"), self.show_checklist)
        self.act_audit = self._action(_t("审计记录…"), self.show_audit)
        t.addAction(self.act_checklist)
        t.addAction(self.act_audit)
        v = self.menuBar().addMenu(_t("视图(&V)"))
        lang = v.addMenu(_t("语言 / Language"))
        from PySide6.QtGui import QActionGroup
        from .app import current_language
        group = QActionGroup(self)
        self.language_actions = {}
        for code, label in (("zh", "中文"),
                            ("en", "English (menus, buttons and dialogs; forms, results and findings stay Chinese)")):
            act = self._action(label, lambda checked=False, c=code: self.set_language(c))
            act.setCheckable(True)
            act.setChecked(code == current_language())
            group.addAction(act)
            lang.addAction(act)
            self.language_actions[code] = act
        h = self.menuBar().addMenu(_t("帮助(&H)"))
        self.act_manual = self._action(_t("用户手册"), self.show_manual, QKeySequence.HelpContents)
        h.addAction(self.act_manual)
        h.addAction(self._action(_t("关于"), self.about))

    def _build_toolbar(self) -> None:
        bar = self.addToolBar(_t("测算期间"))
        bar.setObjectName("period")
        bar.addWidget(QLabel(_t(" 年度 ")))
        self.year_box = QSpinBox()
        self.year_box.setRange(*year_range())
        self.year_box.setValue(self.doc.year)
        bar.addWidget(self.year_box)
        bar.addWidget(QLabel(_t(" 期间 ")))
        self.period_box = QComboBox()
        for key, label in PERIODS:
            self.period_box.addItem(_t(label), key)
        bar.addWidget(self.period_box)
        self.year_box.valueChanged.connect(self._period_changed)
        self.period_box.currentIndexChanged.connect(self._period_changed)
        bar.addSeparator()
        for a in (self.act_undo, self.act_redo, self.act_save, self.act_statement):
            bar.addAction(a)

    def _period_changed(self) -> None:
        self.statement.mark_stale()
        self.doc.set_period(self.year_box.value(), self.period_box.currentData())

    # -- documents ------------------------------------------------------------------------
    def _ask(self, title: str, text: str, buttons=(_t("是"), _t("否"))) -> int:
        box = QMessageBox(QMessageBox.Question, title, text, parent=self)
        made = [box.addButton(b, QMessageBox.AcceptRole if i == 0 else QMessageBox.RejectRole) for i, b in enumerate(buttons)]
        box.exec()
        return made.index(box.clickedButton()) if box.clickedButton() in made else len(buttons) - 1

    def open_path(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix.lower() in (".xlsx", ".xls", ".xlsm"):
            return self.open_workbook_as_workspace(path)
        if not self.maybe_save():
            return False
        recover = None
        when = Workspace.recovery_available(path)
        if when is not None:
            choice = self.ask(_t("恢复未保存的修改"), f"“{path.name}”有一份 {when:%Y-%m-%d %H:%M} 的自动保存，比文件更新。"
                              + _t("是否恢复？"), (_t("恢复"), _t("不恢复")))
            recover = choice == 0
        try:
            ws = Workspace.open(path, recover=recover)
        except (WorkspaceLocked, WorkspaceReadOnly) as exc:
            foreign = isinstance(exc, WorkspaceLocked) and exc.foreign    # a lock of another computer (M12)
            buttons = (_t("只读打开"),) + ((_t("接管编辑"),) if foreign else ()) + (_t("取消"),)
            choice = self.ask(_t("文件正在使用"), f"{exc}\n\n是否以只读方式打开？", buttons)
            try:
                if foreign and choice == 1:
                    Workspace.take_over_lock(exc)
                    ws = Workspace.open(path, recover=recover)
                elif choice == 0:
                    ws = Workspace.open(path, readonly=True)
                else:
                    return False
            except WorkspaceError as exc2:
                self.show_error(str(exc2))
                return False
        except (WorkspaceError, OSError) as exc:
            self.show_error(f"无法打开“{path.name}”：{exc}")
            return False
        self._attach(ws)
        self._remember(path)
        return True

    def open_workbook_as_workspace(self, path: Path) -> bool:
        """An .xlsx ledger opened directly: imported into a new workspace next to it."""
        from forms.workbook import WorkbookError, load_ledger
        from forms.workspace import workspace_next_to
        try:
            target, beside = workspace_next_to(path, [self.settings.start_folder(), Path.home()])
            if not beside:                # the workbook is on a read-only location (M3)
                choice = self.ask(_t("位置为只读"), f"“{path.parent}”为只读位置，不能在工作簿旁建立工作区。\n\n"
                                  f"是否在“{target.parent}”建立工作区“{target.name}”？原工作簿不会改动。",
                                  (_t("建立"), _t("取消")))
                if choice != 0:
                    return False
            ledger = load_ledger(path)
            ws = Workspace.create(target, ledger)
        except (WorkbookError, WorkspaceError, OSError) as exc:
            self.show_error(str(exc))
            return False
        self._attach(ws)
        self.statusBar().showMessage(f"已从“{path.name}”建立工作区“{target.name}”", 5000)
        return True

    def open_sample(self) -> None:
        self.doc.detach()
        self.doc.open_sample()
        self._after_attach()

    def _attach(self, ws: Workspace) -> None:
        self.doc.detach()
        self.doc.attach(ws)
        self._after_attach()

    def _after_attach(self) -> None:
        self.year_box.blockSignals(True)
        self.year_box.setValue(self.doc.year)
        self.year_box.blockSignals(False)
        self.refresh_tables()
        self.update_status()

    def new_workspace(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, _t("新建工作区"), self.settings.start_folder(), f"研发惠企工作区 (*{EXTENSION})")
        if not path:
            return
        if not path.endswith(EXTENSION):
            path += EXTENSION
        try:
            ws = Workspace.create(path, overwrite=True)
            if self.settings.advisor_name:
                ws.set_profile("advisor", self.settings.advisor_name)
        except (WorkspaceError, InvalidValue) as exc:
            self.show_error(str(exc))
            return
        self._remember(path)
        self._attach(ws)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, _t("打开"), self.settings.start_folder(), f"研发惠企工作区 (*{EXTENSION});;Excel 工作簿 (*.xlsx *.xls)")
        if path:
            self.open_path(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in recent_files():
            self.recent_menu.addAction(self._action(str(p), lambda checked=False, p=p: self.open_path(p)))

    def save(self) -> bool:
        ws = self.doc.ws
        if ws is None:
            return True
        if ws.readonly:
            return self.save_as()
        try:
            ws.save()
        except SaveError as exc:
            self.show_error(str(exc))
            return False
        self.update_status()
        return True

    def save_as(self) -> bool:
        ws = self.doc.ws
        if ws is None:
            return False
        path, _ = QFileDialog.getSaveFileName(self, _t("另存为"), str(ws.path), f"研发惠企工作区 (*{EXTENSION})")
        if not path:
            return False
        try:
            ws.save_as(path if path.endswith(EXTENSION) else path + EXTENSION)
        except (SaveError, WorkspaceError) as exc:
            self.show_error(str(exc))
            return False
        self.update_status()
        return True

    def maybe_save(self) -> bool:
        ws = self.doc.ws
        if ws is None or ws.readonly or not ws.dirty:
            return True
        choice = self.ask(_t("保存修改"), f"“{ws.path.name}”有未保存的修改，是否保存？", (_t("保存"), _t("不保存"), _t("取消")))
        if choice == 0:
            return self.save()
        if choice == 1:
            self.doc.detach(discard=True)
            return True
        return False

    def closeEvent(self, event) -> None:
        if self.maybe_save():
            self.doc.detach()
            event.accept()
        else:
            event.ignore()

    def import_workbook(self) -> None:
        ws = self.doc.ws
        if ws is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, _t("从工作簿导入"), self.default_folder(), _t("Excel 工作簿 (*.xlsx *.xls)"))
        if path:
            self.import_workbook_path(path)

    def import_workbook_path(self, path: str, *, mode: str = "replace") -> None:
        """Load off the UI thread, show what the import changes (:class:`desktop.diff_dialog.DiffDialog`; skipped
        when nothing changes), then import as one undoable step; 取消 during either phase leaves the data as it was."""
        from PySide6.QtWidgets import QProgressDialog
        from .workers import run_in_pool

        ws = self.doc.ws
        if ws is None or ws.readonly:
            return
        name = Path(path).name
        dialog = QProgressDialog(_t("正在导入工作簿…"), _t("取消"), 0, 0, self)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setMinimumDuration(300)
        self._import_cancelled = False
        dialog.canceled.connect(lambda: setattr(self, "_import_cancelled", True))

        def load():
            from forms.workbook import load_ledger
            ledger = load_ledger(path)
            return ledger, ws.import_diff(ledger, mode=mode)

        def applied(findings, error):
            dialog.reset()
            if error:
                self.show_error(error)
            elif self._import_cancelled:
                ws.undo()
                self.statusBar().showMessage(_t("导入已取消"), 5000)
            else:
                errors = [f for f in findings if f.severity == "error"]
                self.statusBar().showMessage(f"已导入（{len(errors)} 项错误未导入，见检查结果）", 5000)
            self.import_done = True

        def loaded(result, error):
            if error or self._import_cancelled:
                dialog.reset()
                if error:
                    self.show_error(error)
                else:
                    self.statusBar().showMessage(_t("导入已取消"), 5000)
                self.import_done = True
                return
            ledger, diff = result
            if not diff.empty:
                dialog.reset()
                if not self.confirm_import(diff, name):
                    self.statusBar().showMessage(_t("导入已取消"), 5000)
                    self.import_done = True
                    return
                self._import_cancelled = False
                dialog.setMinimumDuration(300)
            run_in_pool(self.doc.pool, lambda: ws.import_ledger(ledger, mode=mode, name=name), applied)

        self.import_done = False
        run_in_pool(self.doc.pool, load, loaded)

    def _confirm_import(self, diff, name: str) -> bool:
        from .diff_dialog import DiffDialog
        return DiffDialog(diff, name, self).exec() == DiffDialog.Accepted

    def export_workbook(self) -> None:
        ws = self.doc.ws
        if ws is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, _t("导出为工作簿"), str(ws.path.with_suffix(".xlsx")), _t("Excel 工作簿 (*.xlsx)"))
        if path:
            self.export_workbook_to(path)

    def export_workbook_to(self, path: str) -> None:
        """导出为工作簿 off the UI thread (hostile-input R5).  取消 frees the window at once; the file being written is
        then discarded and an existing file of that name is left as it was."""
        ws = self.doc.ws
        if ws is None:
            return
        from forms.atomic import write_atomic

        def work(progress):
            progress.report(0, 1)

            def write(tmp):
                ws.export_workbook(tmp)
                progress.report(1, 1)                    # 取消 meanwhile: the temporary file is removed

            write_atomic(path, write)
            return Path(path)

        self._run_output(_t("正在导出为工作簿…"), work,
                         lambda p: self.statusBar().showMessage(_t("已导出：") + p.name, 5000))

    def import_erp(self) -> None:
        if self.doc.ws is None or self.doc.ws.readonly:
            return
        from .import_wizard import ImportWizard
        wizard = ImportWizard(self.doc.ws, self)
        wizard.exec()

    def quick_estimate(self) -> None:
        from .quick_estimate import QuickEstimateDialog
        dialog = QuickEstimateDialog(self)
        dialog.advisor_name = self.settings.advisor_name or ""      # printed on its statement (科技特派员)
        dialog.exec()

    def save_statement(self) -> None:
        self.tabs.setCurrentWidget(self.statement)
        if self.doc.evaluation is not None:
            self.regenerate_statement()

    def default_folder(self) -> str:
        """Where file dialogs start: the open workspace's folder, else the last folder used."""
        if self.doc.ws is not None and not str(self.doc.ws.path.parent).startswith(tempfile_root()):
            return str(self.doc.ws.path.parent)
        return self.settings.start_folder()

    def export_forms(self) -> None:
        ev = self.doc.evaluation
        if ev is None:
            return
        folder = QFileDialog.getExistingDirectory(self, _t("导出申报报表到文件夹"), self.default_folder())
        if folder:
            self.export_forms_to(folder)

    def export_forms_to(self, folder: str) -> None:
        """导出申报报表 off the UI thread with progress and 取消 (hostile-input R5); the three files are replaced
        together or not at all (取消 or an error leaves an earlier export as it was)."""
        ev = self.doc.evaluation
        if ev is None:
            return
        from forms.exports import export_all

        def work(progress):
            return export_all(ev, folder, progress=progress.report)

        self._run_output(_t("正在导出申报报表…"), work,
                         lambda paths: self.statusBar().showMessage(_t("已导出：") + "、".join(p.name for p in paths),
                                                                    5000))

    def _run_output(self, label: str, work, on_done) -> None:
        """``work(progress)`` in the worker pool behind a progress dialog with 取消; ``on_done(result)`` on the UI
        thread.  ``output_busy`` is True meanwhile (tests wait on it)."""
        from PySide6.QtWidgets import QProgressDialog
        from .workers import Progress, run_in_pool

        progress = Progress()
        dialog = QProgressDialog(label, _t("取消"), 0, 0, self)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoReset(False)
        dialog.setAutoClose(False)
        dialog.canceled.connect(progress.cancel)
        timer = QTimer(self)
        timer.setInterval(100)

        def tick():
            if progress.total:
                dialog.setMaximum(progress.total)
                dialog.setValue(min(progress.done, progress.total))

        timer.timeout.connect(tick)
        timer.start()
        self.output_busy = True
        self.output_progress = progress

        def finished(result, error):
            timer.stop()
            dialog.canceled.disconnect()
            dialog.reset()
            dialog.deleteLater()
            self.output_busy = False
            if progress.cancelled:
                self.statusBar().showMessage(_t("导出已取消，原有文件未改动"), 8000)
            elif error:
                self.show_error(error)
            else:
                on_done(result)

        run_in_pool(self.doc.pool, lambda: work(progress), finished)

    # -- 编辑 menu: clipboard, rows, find ----------------------------------------------------------
    def current_table_page(self) -> "TablePage | None":
        page = self.tabs.currentWidget()
        return page if isinstance(page, TablePage) else None

    def copy(self) -> None:
        focus = self.focusWidget()
        page = self.current_table_page()
        if page is not None and (focus is None or focus is page.view or page.view.isAncestorOf(focus)):
            page.view.copy_selection()
        elif focus is not None and hasattr(focus, "copy"):
            focus.copy()

    def paste(self) -> None:
        focus = self.focusWidget()
        page = self.current_table_page()
        if page is not None and (focus is None or focus is page.view or page.view.isAncestorOf(focus)):
            page.view.paste()
        elif focus is not None and hasattr(focus, "paste"):
            focus.paste()

    def delete_rows(self) -> None:
        page = self.current_table_page()
        if page is not None:
            page.delete_rows()

    def find(self) -> None:
        page = self.pages["lines"]
        self.tabs.setCurrentWidget(page)
        page.f_text.setFocus()
        page.f_text.selectAll()

    def show_paste_problems(self, problems: list[str]) -> None:
        """Pasted cells that cannot be taken: nothing was written; every problem listed."""
        self.last_paste_problems = list(problems)
        head = _t("粘贴未执行（没有写入任何内容）：")
        self.show_error(head + problems[0] + (f" 等 {len(problems)} 处" if len(problems) > 1 else ""))
        if getattr(self, "quiet_dialogs", False):
            return
        box = QMessageBox(QMessageBox.Warning, _t("粘贴"), head, parent=self)
        box.setInformativeText("\n".join(problems[:20]) + (f"\n… 共 {len(problems)} 处" if len(problems) > 20 else ""))
        box.open()

    def undo(self) -> None:
        if self.doc.ws is not None and self.doc.ws.can_undo:
            label = self.doc.ws.undo()
            self.statusBar().showMessage(f"已撤销：{label or ''}", 3000)

    def redo(self) -> None:
        if self.doc.ws is not None and self.doc.ws.can_redo:
            label = self.doc.ws.redo()
            self.statusBar().showMessage(f"已重做：{label or ''}", 3000)

    def set_language(self, code: str) -> None:
        """Stored in the settings; the translators are installed at start-up, so a dialog offers to restart now
        (review desktop-app #27)."""
        from .app import current_language, save_language
        if code == current_language():
            return
        save_language(code)
        self.statusBar().showMessage(_t("界面语言将在重新启动后生效") + " / The interface language applies after a restart", 8000)
        choice = self.ask(_t("界面语言") + " / Language",
                          _t("界面语言将在重新启动后生效。现在重新启动吗？") + "\nRestart now to switch the language?",
                          (_t("立即重新启动") + " / Restart now", _t("稍后") + " / Later"))
        if choice == 0:
            self.restart_app()

    def restart_app(self) -> bool:
        """Close (asking to save), then start the application again with the same arguments."""
        import sys
        from PySide6.QtCore import QProcess
        if not self.maybe_save():
            return False
        args = list(sys.argv)
        if self.doc.ws is not None and not any(a.endswith(EXTENSION) for a in args[1:]):
            args.append(str(self.doc.ws.path))
        self.doc.detach()
        QProcess.startDetached(sys.executable, args)
        self.close()
        from PySide6.QtWidgets import QApplication
        QApplication.quit()
        return True

    def manual_path(self) -> Path:
        return Path(__file__).resolve().parent.parent / "docs" / "manual" / "README.md"

    def show_manual(self):
        """帮助 → 用户手册: the offline manual (docs/manual/README.md) with its pictures, in a window."""
        from PySide6.QtCore import QUrl
        from PySide6.QtWidgets import QDialog, QTextBrowser
        path = self.manual_path()
        if not path.exists():
            self.show_error(_t("找不到用户手册：") + str(path))
            return None
        dialog = QDialog(self)
        dialog.setWindowTitle(_t("用户手册"))
        lay = QVBoxLayout(dialog)
        browser = QTextBrowser()
        browser.setOpenExternalLinks(False)
        browser.setSearchPaths([str(path.parent)])
        browser.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
        browser.setMarkdown(path.read_text(encoding="utf-8"))
        lay.addWidget(browser)
        avail = self.available()
        dialog.resize(min(1000, avail.width() if avail else 1000), min(760, (avail.height() - 40) if avail else 760))
        dialog.setModal(False)
        dialog.show()
        self.manual_dialog, self.manual_browser = dialog, browser
        return dialog

    def about(self) -> None:
        from calc.version import about_html
        QMessageBox.about(self, _t("关于"), about_html())

    def edit_settings(self) -> None:
        from .settings_dialog import SettingsDialog
        if SettingsDialog(self.settings, self).exec():
            self.doc.autosave_timer.setInterval(self.settings.autosave_ms)
            self.doc.extra_packs = list(self.settings.default_packs)
            self.statement.mark_stale()
            self.doc.recompute()

    def _remember(self, path) -> None:
        from .settings import save_settings
        self.settings.remember(path)
        save_settings(self.settings)

    # -- refresh --------------------------------------------------------------------------
    def refresh_tables(self) -> None:
        ws = self.doc.ws
        self.profile_page.reload(ws)
        for page in self.pages.values():
            page.reload(ws)
        self.update_status()

    def update_status(self) -> None:
        ws = self.doc.ws
        if hasattr(self, "stack"):
            want = self.tabs if ws is not None else self.start_page
            if self.stack.currentWidget() is not want:
                if ws is None:
                    self._fill_start_page()
                self.stack.setCurrentWidget(want)
            self.findings_dock.setVisible(ws is not None) if hasattr(self, "findings_dock") else None
        if ws is None:
            self.setWindowTitle(_t(APP_TITLE))
            self.status.setText(_t("未打开工作区"))
        else:
            mark = "*" if ws.dirty else ""
            ro = _t("（只读）") if ws.readonly else ""
            self.setWindowTitle(f"{ws.path.name}{mark}{ro} — {_t(APP_TITLE)}")
            auto = f"  自动保存 {self.doc.last_autosave:%H:%M:%S}" if self.doc.last_autosave else ""
            self.status.setText(f"{ws.path}{ro}{auto}")
        can = ws is not None and not ws.readonly
        for a in (self.act_save_as, self.act_export, self.act_statement, self.act_forms, self.act_audit,
                  self.act_checklist):
            a.setEnabled(ws is not None)
        for a in (self.act_save, self.act_import, self.act_erp):
            a.setEnabled(can)
        self.act_undo.setEnabled(can and ws.can_undo)
        self.act_redo.setEnabled(can and ws.can_redo)

    def show_evaluation(self, ev) -> None:
        getattr(ev, "risks", ())            # risk screening (calc/risk.py) before the views list interpretations
        self.results.set_evaluation(ev)
        self._store_summary(ev)
        self.findings.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for f in ev.findings:
            if f.severity == "info":
                parent = groups.get(f.code)
                if parent is None:
                    parent = groups[f.code] = QTreeWidgetItem([_t("提示"), "", f.message])
                    self.findings.addTopLevelItem(parent)
                    parent.setData(0, Qt.UserRole, f)
                    parent.setExpanded(False)
                item = QTreeWidgetItem([_t("提示"), self.where_text(f), f.message])
                parent.addChild(item)
                parent.setText(1, f"{parent.childCount()} 处")
            else:
                item = QTreeWidgetItem([_t(SEVERITY[f.severity]), self.where_text(f), f.message])
                self.findings.addTopLevelItem(item)
                if f.severity == "error":
                    item.setForeground(0, Qt.red)
            item.setData(0, Qt.UserRole, f)
        counts = {s: sum(1 for f in ev.findings if f.severity == s) for s in SEVERITY}
        risks = self._show_risks(ev)
        self.findings_dock.setWindowTitle(f"检查结果（错误 {counts['error']}，警告 {counts['warning']}，提示 {counts['info']}"
                                          + (f"，风险 {risks}" if risks else "") + "）")
        self.update_status()

    def where_text(self, f) -> str:
        """A finding's place in the app's own terms — “研发支出 第11行 日期” (the row number the grid shows),
        “企业信息 所在地区后补助政策” — rather than workbook cells (review desktop-app #20)."""
        ws = self.doc.ws
        try:
            place = ws.locate(f) if ws is not None else None
        except Exception:             # noqa: BLE001 — a label only
            place = None
        if place is None:
            return f.where
        table, row_id, field = place
        from forms.workspace import columns_of
        header = ""
        if field:
            header = next((c.header for c in (S.PROFILE_FIELDS if table == "profile" else columns_of(table))
                           if c.field == field), "")
        if table == "profile":
            return f"{_t(S.SHEET_PROFILE)} {header}".strip()
        page = self.pages.get(table)
        if page is None or row_id is None:
            return f.where
        row = page.model.row_of_id(row_id)
        title = _t(TABLE_TITLES.get(table) or table)
        if row is None:
            return f"{title} {header}".strip()
        return f"{title} 第{row + 1}行 {header}".strip()

    def _show_risks(self, ev) -> int:
        """风险提示 (calc/risk.py) as one group of the findings dock: a child per finding (why and evidence in its
        tooltip), its ledger / project rows below it; activating any of them jumps to the row."""
        self.risk_group = None
        risks = getattr(ev, "risks", ())
        if not risks:
            return 0
        group = QTreeWidgetItem([_t("风险"), _t("{n} 项").format(n=len(risks)), _t("税务风险提示（模拟税务机关风险扫描，不影响计算结果）")])
        self.findings.addTopLevelItem(group)
        for r in risks:
            item = QTreeWidgetItem([_t(r.severity), r.where, r.text])
            item.setToolTip(2, f"{r.text}\n为何关注：{r.why}\n留存资料：{r.evidence}\n依据：{r.basis}")
            item.setData(0, Qt.UserRole, r.finding)
            if r.severity == "高风险":
                item.setForeground(0, Qt.red)
            group.addChild(item)
            if len(r.locations) > 1:
                for f in r.location_findings()[:200]:
                    child = QTreeWidgetItem(["", f.where, r.title])
                    child.setData(0, Qt.UserRole, f)
                    item.addChild(child)
        group.setExpanded(True)
        self.risk_group = group
        return len(risks)

    def show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)
        self.last_error = text

    # -- jumping ----------------------------------------------------------------------------
    def _finding_activated(self, item: QTreeWidgetItem, column: int = 0) -> None:
        f = item.data(0, Qt.UserRole)
        if f is not None:
            self.jump_to_finding(f)

    def jump_to_finding(self, finding) -> bool:
        ws = self.doc.ws
        if ws is None:
            return False
        place = ws.locate(finding)
        if place is None:
            return False
        table, row_id, field = place
        if table == "profile":
            self.tabs.setCurrentWidget(self.profile_page)
            self.profile_page.focus_field(field)
            return True
        page = self.pages.get(table)
        if page is None or row_id is None:
            return False
        self.tabs.setCurrentWidget(page)
        return page.select_row(row_id, field)

    def jump_to_line_index(self, line_id: int) -> bool:
        """A ledger line of the current evaluation (Line.id) → its 研发支出 row."""
        ev = self.doc.evaluation
        if ev is None:
            return False
        line = next((l for l in ev.ledger.lines if l.id == line_id), None)
        if line is None or line.src is None:
            return False
        return self.jump_to_finding(line.src)
