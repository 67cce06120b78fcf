"""Results of one evaluation: A107012, income tax, HNTE, 科技型中小企业, post-subsidies and checks, with a trace panel.

A thin shell over :class:`calc.evaluate.Evaluation`: every figure shown here was computed by ``calc``;
this module only lays it out and formats it (thousands separators, percentages, 大写).  Clicking a figure
(an A107012 amount, a condition, an indicator, a 汇总表 project, a bridge adjustment or a subsidy item)
shows how it was obtained in the trace panel, with a link to the contributing ledger lines.

Signals
    figure_selected(str)   key of the figure whose trace is shown: "R34", "L1", "hnte:rd_ratio",
                           "techsme:T2", "techsme.indicator:staff", "summary:RD04", "bridge:super:3",
                           "subsidy:ningxia-2022:A", "subsidy:ningxia-2022" …
    line_requested(int)    the user asked to see a ledger line (``Line.id``) in the ledger table.
"""
from __future__ import annotations

import ctypes
import html
import re
import sys
from collections import defaultdict
from fractions import Fraction

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QSplitter, QTableView,
                               QTabWidget, QTextBrowser, QToolButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from calc.money import fen_display, rate_percent, ratio_str, round_fen, rmb_upper, yuan_to_fen
from calc.params import Params, load_params
from forms.report import REGIME_NAMES, SEVERITY_NAMES, a107012_lines, a107012_notes, loss_lines
from desktop.figures import certain_total, subsidy_mark

KEY_ROLE = Qt.ItemDataRole.UserRole + 1          # the figure key of a row (str)

TAB_SD, TAB_TAX, TAB_HNTE, TAB_SME, TAB_SUBSIDY, TAB_CHECKS = range(6)
TAB_TITLES = ("加计扣除", "所得税", "高新技术企业", "科技型中小企业", "后补助", "检查结果")

STATUS_MARK = {"pass": "✓ 符合", "fail": "✗ 不符合", "unknown": "? 待补充",
               True: "✓ 符合", False: "✗ 不符合", None: "? 待补充"}
STATUS_FG = {"pass": "#1E7B34", "fail": "#B3261E", "unknown": "#8A6D00"}
STATUS_BG = {"pass": "#E6F4EA", "fail": "#FDECEA", "unknown": "#FFF4D6"}
VERDICTS = {"pass_likely": "很可能通过", "fail_likely": "很可能不通过", "uncertain": "不确定"}
BOLD_ROWS = ("2", "40", "45", "47", "51")
CONFIDENCE = {"solid": ("可靠", "#1E7B34", "正式规则"), "provisional": ("暂定", "#B26A00", "暂定规则")}


# -- PySide6 6.12 on Python 3.11: SignalInstance.emit() returns True without a new reference ------------------
# Every emit() from Python then takes one reference from ``True``; after a few hundred emits the interpreter
# aborts ("bool_dealloc: deallocating True or False").  Python ≥ 3.12 has immortal bools and is unaffected.
# ``emit`` gives the missing reference back when (and only when) a probe shows the leak.

class _Probe(QObject):
    ping = Signal()


def _t(text: str) -> str:
    """English through Qt translation (context ResultsView; only the risk table so far)."""
    return QCoreApplication.translate("ResultsView", text)


def _emit_leaks() -> bool:
    """Probe once, at import (normally the main thread, before any worker runs)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(3):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))          # give back what the probe took
    del probe
    return lost >= 3


_EMIT_LEAKS = _emit_leaks()


def emit(signal, *args) -> None:
    """``signal.emit(*args)``, safe from the PySide6 6.12 reference leak on the returned bool."""
    result = signal.emit(*args)
    if _EMIT_LEAKS and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))


# -- formatting only ---------------------------------------------------------------------------------

def money(fen) -> str:
    return fen_display(int(fen))


def pct(x) -> str:
    return f"{ratio_str(Fraction(x) * 100, 2)}%"


def rate_pct(x) -> str:
    """A rate such as 100% or 75% (no trailing zeros, exact): 1 → "100%", 7/40 → "17.5%", 1/40 → "2.5%"."""
    return rate_percent(Fraction(x))


def show_value(v, *, money_ints: bool = True) -> str:
    """A value for display: 分 → 1,234.56; ratios → 12.34%; bools → 是/否; ranges → [a, b]."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Fraction):
        return pct(v) if abs(v) <= 1 else ratio_str(v, 2)
    if isinstance(v, int):
        return money(v) if money_ints else str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


def show_margin(margin, value) -> str:
    if margin is None:
        return ""
    if isinstance(margin, Fraction) and isinstance(value, Fraction) and abs(value) <= 1:
        sign = "+" if margin >= 0 else "−"
        return f"{sign}{ratio_str(abs(margin) * 100, 2)}个百分点"
    if isinstance(margin, (int, Fraction)) and not isinstance(margin, bool):
        return ("+" if margin >= 0 else "−") + ratio_str(abs(Fraction(margin)), 0 if Fraction(margin).denominator == 1 else 2)
    return str(margin)


def e(text) -> str:
    return html.escape(str(text), quote=True)


class _Table(QTableView):
    """A results table; ``floor_column`` (if set) takes the free width but never less than ``floor`` px, so a
    long 说明 stays readable in a narrow pane (a horizontal scroll bar appears instead of vertical text)."""

    floor_column: int | None = None
    floor = 260
    max_lines = 6          # a very long 说明 / 达标所需 is cut to this many lines (full text: tooltip, trace panel)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.fit_floor()

    def viewportEvent(self, event):
        res = super().viewportEvent(event)
        if event.type() == QEvent.Type.Resize:          # e.g. the vertical scroll bar appeared
            self.fit_floor()
        return res

    def fit_floor(self) -> None:
        c = self.floor_column
        if c is None or self.model() is None or c >= self.model().columnCount():
            return
        h = self.horizontalHeader()
        others = sum(h.sectionSize(i) for i in range(self.model().columnCount()) if i != c)
        want = max(self.floor, self.viewport().width() - others)
        if h.sectionSize(c) != want:
            h.resizeSection(c, want)
        self.resizeRowsToContents()
        cap = self.max_lines * self.fontMetrics().lineSpacing() + 8
        for r in range(self.model().rowCount()):
            if self.rowHeight(r) > cap:
                self.setRowHeight(r, cap)


def _table_view() -> QTableView:
    v = _Table()
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    v.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    v.setAlternatingRowColors(True)
    v.setWordWrap(True)
    v.verticalHeader().setVisible(False)
    v.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)   # wrapped rows fit their text
    v.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    v.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    return v


def _item(text, *, key: str | None = None, align_right: bool = False, bold: bool = False,
          fg: str | None = None, bg: str | None = None, tip: str | None = None) -> QStandardItem:
    it = QStandardItem(str(text))
    it.setEditable(False)
    if key is not None:
        it.setData(key, KEY_ROLE)
    if align_right:
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if bold:
        f = QFont()
        f.setBold(True)
        it.setFont(f)
    if fg:
        it.setForeground(QBrush(QColor(fg)))
    if bg:
        it.setBackground(QBrush(QColor(bg)))
    it.setToolTip(tip if tip is not None else str(text))
    return it


def _fit_columns(view: QTableView, stretch: tuple[int, ...], fixed: dict | None = None) -> None:
    """Columns in ``stretch`` share the free width, ``fixed`` {column: width} keep theirs, the rest fit contents."""
    h = view.horizontalHeader()
    fixed = fixed or {}
    for c in range(view.model().columnCount()):
        if c in fixed:
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            h.resizeSection(c, fixed[c])
        else:
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch if c in stretch
                                   else QHeaderView.ResizeMode.ResizeToContents)
    view.resizeRowsToContents()


def _fit_floor(view: QTableView, column: int, fixed: dict | None = None, floor: int = 260) -> None:
    """Like :func:`_fit_columns` with ``column`` stretching, but at least ``floor`` px wide (review #13)."""
    _fit_columns(view, (), fixed)
    view.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    view.floor_column, view.floor = column, floor
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)   # rows fitted, then capped
    view.fit_floor()


def _cap_height(view: QTableView) -> None:
    """No taller than its rows: a short table does not leave an empty area below its last row."""
    rows = sum(view.rowHeight(r) for r in range(view.model().rowCount()))
    head = view.horizontalHeader().height() if view.horizontalHeader().isVisible() else 0
    view.setMaximumHeight((head or view.horizontalHeader().sizeHint().height()) + rows + 2 * view.frameWidth())


def _wrap_label(text: str = "", *, rich: bool = False) -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lab


class ResultsView(QWidget):
    """The results of one :class:`~calc.evaluate.Evaluation` in tabs, with a trace panel on the right."""

    figure_selected = Signal(str)
    line_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None, params: Params | None = None):
        super().__init__(parent)
        self.params = params or load_params()
        self.ev = None
        self._lines_by_id: dict | None = None
        self._figures: dict[str, tuple] = {}          # key → (kind, object…) for the trace panel
        self.current_key: str | None = None
        self._build()
        self.set_evaluation(None)

    # -- construction ----------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)

        self.header = QFrame()
        self.header.setObjectName("resultsHeader")
        self.header.setStyleSheet("#resultsHeader { background: #EEF4FA; border: 1px solid #C9D9EA; border-radius: 4px; }")
        hl = QHBoxLayout(self.header)
        hl.setContentsMargins(10, 6, 10, 6)
        left = QVBoxLayout()
        self.title_label = _wrap_label()
        self.title_label.setStyleSheet("color: #1F4E79; font-weight: bold;")
        self.total_label = QLabel()
        self.total_label.setStyleSheet("color: #1F4E79; font-size: 20pt; font-weight: bold;")
        self.total_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.upper_label = _wrap_label()
        left.addWidget(self.title_label)
        left.addWidget(self.total_label)
        left.addWidget(self.upper_label)
        hl.addLayout(left, 3)
        self.breakdown_label = _wrap_label(rich=True)
        hl.addWidget(self.breakdown_label, 4)
        outer.addWidget(self.header)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        self.splitter.addWidget(self.tabs)
        trace_box = QWidget()
        tl = QVBoxLayout(trace_box)
        tl.setContentsMargins(0, 0, 0, 0)
        cap = QLabel("计算追溯")
        cap.setStyleSheet("font-weight: bold; color: #1F4E79;")
        caprow = QHBoxLayout()
        caprow.addWidget(cap)
        caprow.addStretch(1)
        self.trace_close = QToolButton()
        self.trace_close.setText("收起 ▸")
        self.trace_close.setToolTip("收起计算追溯面板；点击任一金额、条件或补助条目时再次展开")
        self.trace_close.setAutoRaise(True)
        self.trace_close.clicked.connect(self.collapse_trace)
        caprow.addWidget(self.trace_close)
        tl.addLayout(caprow)
        self.trace_panel = QTextBrowser()
        self.trace_panel.setOpenLinks(False)
        self.trace_panel.setOpenExternalLinks(False)
        self.trace_panel.anchorClicked.connect(self._on_anchor)
        tl.addWidget(self.trace_panel)
        self.splitter.addWidget(trace_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, True)
        self.splitter.setSizes([1060, 0])      # the trace panel opens when a figure is clicked (review #32)
        outer.addWidget(self.splitter, 1)

        self._build_sd_tab()
        self._build_tax_tab()
        self._build_hnte_tab()
        self._build_sme_tab()
        self._build_subsidy_tab()
        self._build_checks_tab()

    def _build_sd_tab(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        self.sd_info = _wrap_label()
        lay.addWidget(self.sd_info)
        split = QSplitter(Qt.Orientation.Vertical)
        self.a107012_model = QStandardItemModel(0, 3, self)
        self.a107012_model.setHorizontalHeaderLabels(["行次", "项目", "金额（元）"])
        self.a107012_view = _table_view()
        self.a107012_view.setModel(self.a107012_model)
        self._connect_view(self.a107012_view)
        split.addWidget(self.a107012_view)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(QLabel("研发支出辅助账汇总表（按项目，允许加计扣除金额）"))
        self.summary_model = QStandardItemModel(0, 8, self)
        self.summary_model.setHorizontalHeaderLabels(["项目编号", "项目名称", "类型", "前五项", "其他(调整后)",
                                                      "委托境内×80%", "委托境外(调整后)", "允许加计扣除合计"])
        self.summary_view = _table_view()
        self.summary_view.setModel(self.summary_model)
        self._connect_view(self.summary_view)
        bl.addWidget(self.summary_view)
        split.addWidget(box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([460, 240])
        lay.addWidget(split, 1)
        self.tabs.addTab(page, TAB_TITLES[TAB_SD])

    def _build_tax_tab(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        self.tax_info = _wrap_label()
        lay.addWidget(self.tax_info)
        lay.addWidget(QLabel("有 / 无加计扣除两次计算"))
        self.tax_model = QStandardItemModel(0, 3, self)
        self.tax_view = _table_view()
        self.tax_view.setModel(self.tax_model)
        self._connect_view(self.tax_view)
        lay.addWidget(self.tax_view)
        lay.addSpacing(8)
        lay.addWidget(QLabel("税率方案比较（不得叠加，从优选择）"))
        self.regime_model = QStandardItemModel(0, 3, self)
        self.regime_view = _table_view()
        self.regime_view.setModel(self.regime_model)
        self._connect_view(self.regime_view)
        lay.addWidget(self.regime_view)
        lay.addSpacing(8)
        self.tax_notes = _wrap_label()
        lay.addWidget(self.tax_notes)
        lay.addStretch(1)
        self.tabs.addTab(page, TAB_TITLES[TAB_TAX])

    def _build_hnte_tab(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        self.hnte_info = _wrap_label()
        lay.addWidget(self.hnte_info)
        split = QSplitter(Qt.Orientation.Vertical)
        self.hnte_model = QStandardItemModel(0, 5, self)
        self.hnte_model.setHorizontalHeaderLabels(["结论", "条件", "说明", "差距", "达标所需"])
        self.hnte_view = _table_view()
        self.hnte_view.setModel(self.hnte_model)
        self._connect_view(self.hnte_view)
        split.addWidget(self.hnte_view)
        score_box = QWidget()
        sl = QVBoxLayout(score_box)
        sl.setContentsMargins(0, 0, 0, 0)
        self.score_label = _wrap_label()
        sl.addWidget(self.score_label)
        self.score_tree = QTreeWidget()
        self.score_tree.setHeaderLabels(["指标", "最低", "最高", "依据"])
        self.score_tree.setAlternatingRowColors(True)
        self.score_tree.setWordWrap(True)
        sl.addWidget(self.score_tree)
        split.addWidget(score_box)
        bridge_box = QWidget()
        bl2 = QVBoxLayout(bridge_box)
        bl2.setContentsMargins(0, 0, 0, 0)
        self.bridge_label = QLabel("研发费用三种口径衔接")
        bl2.addWidget(self.bridge_label)
        self.bridge_tree = QTreeWidget()
        self.bridge_tree.setHeaderLabels(["口径与调整", "行数", "金额（元）"])
        self.bridge_tree.setAlternatingRowColors(True)
        self.bridge_tree.itemClicked.connect(self._on_tree_item)
        self.bridge_tree.currentItemChanged.connect(lambda cur, _prev: self._on_tree_item(cur))
        bl2.addWidget(self.bridge_tree)
        split.addWidget(bridge_box)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 2)
        split.setSizes([480, 180, 180])
        self.hnte_view.setMinimumHeight(150)      # header + several conditions, not 1.5 rows (review #32)
        lay.addWidget(split, 1)
        self.tabs.addTab(page, TAB_TITLES[TAB_HNTE])

    def _build_sme_tab(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        self.sme_info = _wrap_label()
        lay.addWidget(self.sme_info)
        split = QSplitter(Qt.Orientation.Vertical)
        self.sme_model = QStandardItemModel(0, 3, self)
        self.sme_model.setHorizontalHeaderLabels(["结论", "条件", "说明"])
        self.sme_view = _table_view()
        self.sme_view.setModel(self.sme_model)
        self._connect_view(self.sme_view)
        split.addWidget(self.sme_view)
        self.indicator_model = QStandardItemModel(0, 4, self)
        self.indicator_model.setHorizontalHeaderLabels(["评价指标", "得分", "可能范围", "说明"])
        self.indicator_view = _table_view()
        self.indicator_view.setModel(self.indicator_model)
        self._connect_view(self.indicator_view)
        split.addWidget(self.indicator_view)
        hint_box = QWidget()
        hl = QVBoxLayout(hint_box)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(QLabel("提档提示"))
        self.sme_hints = QTextBrowser()
        hl.addWidget(self.sme_hints)
        split.addWidget(hint_box)
        lay.addWidget(split, 1)
        self.tabs.addTab(page, TAB_TITLES[TAB_SME])

    def _build_subsidy_tab(self) -> None:
        self.subsidy_browser = QTextBrowser()
        self.subsidy_browser.setOpenLinks(False)
        self.subsidy_browser.anchorClicked.connect(self._on_anchor)
        self.tabs.addTab(self.subsidy_browser, TAB_TITLES[TAB_SUBSIDY])

    def _build_checks_tab(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        self.checks_label = _wrap_label(rich=True)
        lay.addWidget(self.checks_label)
        self.checks_model = QStandardItemModel(0, 5, self)
        self.checks_model.setHorizontalHeaderLabels(["级别", "代码", "处数", "首处位置", "说明"])
        self.checks_view = _table_view()
        self.checks_view.setModel(self.checks_model)
        lay.addWidget(self.checks_view, 1)
        self.risks_model = QStandardItemModel(0, 5, self)          # 税务风险提示 (calc/risk.py)
        self.risks_model.setHorizontalHeaderLabels([_t(h) for h in ("风险级别", "规则", "处数", "首处位置",
                                                                    "风险事项（悬停查看为何关注与留存资料）")])
        self.risks_view = _table_view()
        self.risks_view.setModel(self.risks_model)
        lay.addWidget(self.risks_view, 1)
        self.tabs.addTab(page, TAB_TITLES[TAB_CHECKS])

    def _connect_view(self, view: QTableView) -> None:
        view.clicked.connect(self._on_index)
        view.horizontalHeader().sectionResized.connect(
            lambda *_: _cap_height(view) if view.property("capHeight") else None)
        view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._on_index(cur))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        QTimer.singleShot(0, self._recap)

    def showEvent(self, event):
        super().showEvent(event)
        QTimer.singleShot(0, self._recap)

    def _recap(self) -> None:
        if shiboken6.isValid(self):
            for v in (self.tax_view, self.regime_view):
                if v.property("capHeight"):
                    _cap_height(v)

    # -- public ----------------------------------------------------------------------------------
    def set_evaluation(self, ev) -> None:
        """Show ``ev`` (a :class:`calc.evaluate.Evaluation`), or clear the view with ``None``."""
        self.ev = ev
        self._lines_by_id = None
        self._figures = {}
        self.current_key = None
        self.trace_panel.setHtml(self._placeholder())
        self.collapse_trace()
        for m in (self.a107012_model, self.summary_model, self.tax_model, self.regime_model, self.hnte_model,
                  self.sme_model, self.indicator_model, self.checks_model, self.risks_model):
            m.removeRows(0, m.rowCount())
        self.score_tree.clear()
        self.bridge_tree.clear()
        self.subsidy_browser.clear()
        self.sme_hints.clear()
        if ev is None:
            self.title_label.setText("尚未计算")
            self.total_label.setText("")
            self.upper_label.setText("")
            self.breakdown_label.setText("")
            for lab in (self.sd_info, self.tax_info, self.tax_notes, self.hnte_info, self.score_label, self.sme_info,
                        self.checks_label):
                lab.setText("")
            return
        self._fill_header()
        self._fill_sd()
        self._fill_tax()
        self._fill_hnte()
        self._fill_sme()
        self._fill_subsidies()
        self._fill_checks()

    def show_tab(self, index_or_title) -> None:
        idx = TAB_TITLES.index(index_or_title) if isinstance(index_or_title, str) else int(index_or_title)
        self.tabs.setCurrentIndex(idx)

    def select_figure(self, key: str) -> bool:
        """Show the trace of figure ``key`` (as clicking it would); False if there is no such figure."""
        if key not in self._figures:
            return False
        self._show(key)
        return True

    def figure_keys(self) -> list[str]:
        return list(self._figures)

    def a107012_row(self, number: str | int) -> tuple[str, str] | None:
        """(项目, 金额) as displayed for A107012 行次 ``number``."""
        for r in range(self.a107012_model.rowCount()):
            if self.a107012_model.item(r, 0).text() == str(number):
                return self.a107012_model.item(r, 1).text(), self.a107012_model.item(r, 2).text()
        return None

    def a107012_index(self, number: str | int, column: int = 2) -> QModelIndex:
        for r in range(self.a107012_model.rowCount()):
            if self.a107012_model.item(r, 0).text() == str(number):
                return self.a107012_model.index(r, column)
        return QModelIndex()

    def row_texts(self, model: QStandardItemModel, key: str) -> list[str] | None:
        """The cell texts of the row of ``model`` whose figure key is ``key``."""
        for r in range(model.rowCount()):
            if model.item(r, 0).data(KEY_ROLE) == key:
                return [model.item(r, c).text() for c in range(model.columnCount())]
        return None

    def trace_text(self) -> str:
        return self.trace_panel.toPlainText()

    # -- header ----------------------------------------------------------------------------------
    def _fill_header(self) -> None:
        ev = self.ev
        prof = ev.ledger.profile
        self.title_label.setText(f"{prof.name or '（未填企业名称）'} · {ev.sd.period.label} · {ev.law_as_of_text}")
        total = certain_total(ev)
        if total is None:
            self.total_label.setText("节税额：无法计算")
            self.upper_label.setText("未填应纳税所得额（或亏损）：节税额无法计算；加计扣除额见下表。后补助另列，不计入合计。")
        else:
            self.total_label.setText(f"合计节税（税收优惠） ¥{money(total)}")
            self.upper_label.setText(rmb_upper(total) + "。仅含确定的税收效应；后补助另列（预估 / 附条件 / 最高可得），不计入合计。")
        parts = []
        if ev.tax is not None:
            parts.append(("研发费用加计扣除节税", ev.tax.tax_saved, ""))
        elif ev.sd.eligible:
            parts.append(("研发费用加计扣除节税", None, ""))
        if ev.hnte_saving:
            parts.append(("高新技术企业15%税率节税", ev.hnte_saving, ""))
        if ev.slp_saving:
            parts.append(("小型微利企业优惠节税", ev.slp_saving, ""))
        for est in ev.subsidies:
            if est.eligible and est.total is not None:
                parts.append((f"后补助（{subsidy_mark(est)}，不计入合计）：{est.region}", est.total,
                              "最高 " if (est.up_to or est.total_kind == "up_to") else ""))
        rows = "".join(
            f"<tr><td>{e(label)}</td><td align='right'>"
            f"{'未能计算' if amount is None else up_to + '¥' + money(amount)}</td></tr>"
            for label, amount, up_to in parts)
        counts = self._counts()
        rows += (f"<tr><td>检查结果</td><td align='right'><span style='color:#B3261E'>错误 {counts['error']}</span>"
                 f" · <span style='color:#8A6D00'>警告 {counts['warning']}</span> · 提示 {counts['info']}</td></tr>")
        self.breakdown_label.setText(f"<table cellspacing='0' cellpadding='2' width='100%'>{rows}</table>")

    def _counts(self) -> dict:
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in self.ev.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        return counts

    # -- 加计扣除 ---------------------------------------------------------------------------------
    def _fill_sd(self) -> None:
        sd = self.ev.sd
        if not sd.eligible:
            self.sd_info.setText(f"本期不适用研发费用加计扣除：{sd.reason}")
            self.a107012_view.setVisible(False)
            self.summary_view.parentWidget().setVisible(False)
            return
        self.a107012_view.setVisible(True)
        self.summary_view.parentWidget().setVisible(True)
        src = sd.rate_entry.source if sd.rate_entry else None
        if sd.q4:
            rate = (f"前三季度 {rate_pct(sd.q4['x_q13'])}、第四季度 {rate_pct(sd.q4['x_q4'])}（{sd.q4['method_label']}）")
        else:
            rate = rate_pct(sd.rate)
        notes = "\n".join(a107012_notes(sd, self.params))     # version, unverified rows (※), where it is filed
        extra = f"\n{sd.confirmation}。" if sd.confirmation else ""
        self.sd_info.setText(f"加计扣除比例 {rate}；依据：{(src.citation + ' ' + src.ref) if src else '—'}。"
                             f"点击任一行查看计算过程。{extra}\n{notes}")
        keys = sd.row_keys()
        for key, (number, label, value) in zip(keys, a107012_lines(sd, self.params)):
            bold = number in BOLD_ROWS
            fig = f"{key}"
            self._figures[fig] = ("sd", key)
            self.a107012_model.appendRow([_item(number, key=fig, bold=bold), _item(label, key=fig, bold=bold),
                                          _item(value, key=fig, align_right=True, bold=bold)])
        for r in sd.summary:
            fig = f"summary:{r.project_no}"
            self._figures[fig] = ("summary", r)
            sub = not r.ledger_type
            cols = [r.project_no, r.name, r.ledger_type or ""] + [money(r.cols.get(c, 0))
                                                                  for c in ("6", "7.2", "8.2", "8.4", "total")]
            self.summary_model.appendRow([_item(v, key=fig, bold=sub, align_right=i >= 3) for i, v in enumerate(cols)])
        _fit_columns(self.a107012_view, (1,))
        _fit_columns(self.summary_view, (1,))

    # -- 所得税 -----------------------------------------------------------------------------------
    def _fill_tax(self) -> None:
        te = self.ev.tax
        self.tax_model.setHorizontalHeaderLabels(["项目", "未享受加计扣除", "享受加计扣除"])
        self.regime_model.setHorizontalHeaderLabels(["方案", "应纳税额（元）", "状态 / 原因"])
        if te is None:
            self.tax_info.setText("未填“应纳税所得额”：无法计算企业所得税和节税额。")
            self.tax_notes.setText("")
            return
        a, b = te.without, te.with_
        self.tax_info.setText(f"加计扣除前应纳税所得额 ¥{money(te.before)}；加计扣除额 ¥{money(te.deduction)}；"
                              f"本年节税额 ¥{money(te.tax_saved)}（有/无加计扣除两次计算之差，AI-SD-15）。")
        rows = [("应纳税所得额", money(a.taxable_income), money(b.taxable_income)),
                ("弥补以前年度亏损", money(a.losses_used), money(b.losses_used)),
                ("本年新增亏损", money(a.new_loss), money(b.new_loss)),
                ("适用税率 / 优惠", REGIME_NAMES.get(a.choice.regime, a.choice.regime),
                 REGIME_NAMES.get(b.choice.regime, b.choice.regime)),
                ("应纳税额", money(a.tax), money(b.tax))]
        self._figures["tax"] = ("tax", te, None)
        for i, (label, x, y) in enumerate(rows):
            last = i == len(rows) - 1
            self.tax_model.appendRow([_item(label, key="tax", bold=last), _item(x, key="tax", align_right=True, bold=last),
                                      _item(y, key="tax", align_right=True, bold=last)])
        for opt in b.choice.comparison():
            if opt["available"]:
                amount = money(yuan_to_fen(opt["tax"]))
                state = "选用（税负最低）" if opt["elected"] else "可选"
                fg, bg = ("#1E7B34", "#E6F4EA") if opt["elected"] else (None, None)
            else:
                amount, state, fg, bg = "—", f"不适用：{opt['reason']}", "#606060", None
            fig = f"tax:{opt['regime']}"
            self._figures[fig] = ("tax", te, opt)
            self.regime_model.appendRow([_item(opt["label"], key=fig, bold=opt["elected"], bg=bg),
                                         _item(amount, align_right=True, bold=opt["elected"], bg=bg),
                                         _item(state, fg=fg, bg=bg)])
        notes = [*loss_lines(te), *te.notes]
        if te.cliff_warning:
            notes.append("注意：" + te.cliff_warning)
        notes.append(f"以前年度可弥补亏损 ¥{money(te.prior_losses)}；结转以后年度的亏损 ¥{money(te.loss_carried_forward)}"
                     + (f"（可结转{te.loss_years}年，至{te.loss_last_year}年）" if te.loss_carried_forward else ""))
        for c in te.carried:
            text = c.get("text") if isinstance(c, dict) else str(c)
            if text:
                notes.append(text)
        self.tax_notes.setText("\n".join(notes))
        _fit_columns(self.tax_view, (1, 2), {0: 220})
        _fit_columns(self.regime_view, (2,), {0: 220, 1: 150})
        for v in (self.tax_view, self.regime_view):
            v.setProperty("capHeight", True)
            _cap_height(v)

    # -- 高新技术企业 ------------------------------------------------------------------------------
    def _fill_hnte(self) -> None:
        hn = self.ev.hnte
        if hn is None:
            self.hnte_info.setText("高新技术企业评估只在年度计算中进行。")
            self.score_label.setText("")
            return
        lines = [f"{hn.assessment_text}"]
        if hn.certificate is not None:
            lines.insert(0, hn.certificate.text)
        lines.append(f"规则：{hn.rules}；申请日期 {hn.application_date}{'（假定）' if hn.application_date_assumed else ''}；"
                     f"近三个会计年度 {hn.window[0]}—{hn.window[-1]}。")
        self.hnte_info.setText("\n".join(lines))
        for c in hn.conditions:
            fig = f"hnte:{c.id}"
            self._figures[fig] = ("hnte", c)
            fg, bg = STATUS_FG.get(c.status), STATUS_BG.get(c.status)
            to_pass = c.to_pass if c.status != "pass" else ""
            self.hnte_model.appendRow([
                _item(STATUS_MARK.get(c.status, c.status), key=fig, fg=fg, bg=bg, bold=True),
                _item(f"{c.gate} {c.name}", key=fig, tip=f"{c.name}\n依据：{c.basis}"),
                _item(c.text, key=fig),
                _item(show_margin(c.margin, c.value), key=fig, align_right=True),
                _item(to_pass, key=fig, fg="#B3261E" if to_pass else None)])
        _fit_floor(self.hnte_view, 2, {1: 150, 4: 160})
        sc = hn.score
        self.score_label.setText(f"创新能力评价：综合得分 [{sc.composite[0]}, {sc.composite[1]}] 分（须超过70分），"
                                 f"结论：{VERDICTS.get(sc.verdict, sc.verdict)}")
        for part in (sc.ip, sc.conversion, sc.management, sc.growth):
            top = QTreeWidgetItem([part.label, str(part.min), str(part.max), ""])
            f = top.font(0)
            f.setBold(True)
            for c in range(4):
                top.setFont(c, f)
            for item in part.items:
                child = QTreeWidgetItem([item.label, str(item.min), str(item.max), item.basis])
                child.setToolTip(0, item.label)
                child.setToolTip(3, item.basis)
                for c in (1, 2):
                    child.setTextAlignment(c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                top.addChild(child)
            for c in (1, 2):
                top.setTextAlignment(c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.score_tree.addTopLevelItem(top)
        self.score_tree.expandAll()
        self.score_tree.setColumnWidth(0, 330)
        for c in (1, 2):
            self.score_tree.resizeColumnToContents(c)
        self._fill_bridge(hn.bridge)

    def _fill_bridge(self, b) -> None:
        if b is None:
            self.bridge_label.setText("研发费用三种口径衔接：无数据")
            return
        self.bridge_label.setText(f"{b.year}年度研发费用三种口径衔接（点击调整项查看所涉明细行）")

        def row(text, n, amount, key=None, bold=False):
            it = QTreeWidgetItem([text, "" if n is None else str(n), "" if amount is None else money(amount)])
            it.setToolTip(0, text)
            it.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            it.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if key:
                it.setData(0, KEY_ROLE, key)
            if bold:
                f = it.font(0)
                f.setBold(True)
                for c in range(3):
                    it.setFont(c, f)
            return it

        self.bridge_tree.addTopLevelItem(row("会计口径研发支出", None, b.accounting_total, bold=True))
        for caliber, head, label, total in (("super", "加计扣除口径调整", "加计扣除口径（A107012第40行）", b.super_total),
                                            ("hnte", "高新技术企业口径调整", "高新技术企业口径", b.hnte_total)):
            groups = b.groups(caliber)
            parent = row(head, sum(len(g.line_ids) for g in groups), None)
            for i, g in enumerate(groups):
                fig = f"bridge:{caliber}:{i}"
                self._figures[fig] = ("bridge", g, caliber)
                parent.addChild(row(g.text, len(g.line_ids) or None, g.amount, key=fig))
            self.bridge_tree.addTopLevelItem(parent)
            self.bridge_tree.addTopLevelItem(row(label, None, total, bold=True))
        self.bridge_tree.expandAll()
        self.bridge_tree.setColumnWidth(0, 430)
        for c in (1, 2):
            self.bridge_tree.resizeColumnToContents(c)

    # -- 科技型中小企业 -----------------------------------------------------------------------------
    def _fill_sme(self) -> None:
        t = self.ev.tech_sme
        if t is None:
            self.sme_info.setText("科技型中小企业评价只在年度计算中进行。")
            return
        score = t.score if t.score is not None else f"[{t.score_range[0]}, {t.score_range[1]}]"
        self.sme_info.setText(f"{t.year}年评价（数据年度{t.data_year}）：{t.verdict_text}\n"
                              f"综合得分 {score}：科技人员 {show_value(t.staff_score, money_ints=False)}、"
                              f"研发投入 {show_value(t.rd_score, money_ints=False)}"
                              f"（{'销售收入' if t.rd_option == 'sales' else '成本费用'}口径）、"
                              f"科技成果 {show_value(t.ip_score, money_ints=False)}")
        for c in t.conditions:
            fig = f"techsme:{c.id}"
            self._figures[fig] = ("sme", c)
            self.sme_model.appendRow([
                _item(STATUS_MARK.get(c.status, c.status), key=fig, fg=STATUS_FG.get(c.status),
                      bg=STATUS_BG.get(c.status), bold=True),
                _item(f"{c.id} {c.name}", key=fig, tip=f"{c.name}\n依据：{c.source}"),
                _item(c.text, key=fig)])
        for ind in t.indicators.values():
            fig = f"techsme.indicator:{ind.id}"
            self._figures[fig] = ("indicator", ind)
            self.indicator_model.appendRow([
                _item(ind.name, key=fig), _item("—" if ind.score is None else ind.score, key=fig, align_right=True),
                _item(f"{ind.range[0]}–{ind.range[1]}", key=fig, align_right=True), _item(ind.text, key=fig)])
        _fit_columns(self.sme_view, (2,))
        _fit_columns(self.indicator_view, (3,))
        hints = []
        for h in t.next_band:
            hints.append(h if isinstance(h, str) else h.get("text", str(h)))
        hints += [f"提示：{a}" for a in t.advisories]
        self.sme_hints.setHtml("<ul>" + "".join(f"<li>{e(h)}</li>" for h in hints) + "</ul>" if hints
                               else "<p>无</p>")

    # -- 后补助 -----------------------------------------------------------------------------------
    def _fill_subsidies(self) -> None:
        subs = self.ev.subsidies
        if not subs:
            self.subsidy_browser.setHtml("<p>未选用地区后补助规则包（在企业信息“所在地区后补助政策”中选择）。</p>")
            return
        out = ["<style>p { margin-top: 1px; margin-bottom: 1px; }</style>",
               "<p style='color:#606060'>后补助属于财政资金，最终金额由主管部门按预算、核查和排序确定，可能低于本预估；"
               "点击带下划线的条目查看其计算过程。</p>",
               f"<p style='color:#606060'>{e(self.ev.law_as_of_text)}；各规则包的核对日期和状态见下。</p>"]
        for est in subs:
            fig = f"subsidy:{est.pack_id}"
            self._figures[fig] = ("subsidy", est, None)
            badge, colour, conf_long = CONFIDENCE.get(est.confidence, (est.confidence, "#606060", est.confidence))
            if getattr(est, "status", "") == "verified":
                conf_long = f"{conf_long}，已核实，核对日期 {est.reviewed_on}"
            lines = est.explain()
            out.append("<table width='100%' cellspacing='0' cellpadding='6' "
                       "style='border:1px solid #C9D9EA; margin-bottom:10px; background:#FAFCFE'><tr><td>")
            out.append(f"<p><span style='background-color:{colour}; color:white; font-weight:bold'>&nbsp;{e(badge)}&nbsp;</span>"
                       f"&nbsp;<a href='fig:{e(fig)}' style='font-weight:bold; font-size:12pt; color:#1F4E79'>"
                       f"{e(est.headline())}</a></p>")
            out.append(f"<p style='color:#404040'>{e(est.region)} · 规则包 {e(est.pack_id)}（{e(conf_long)}）· "
                       f"政策期间 {e(est.period_text)} · 奖补年度{est.award_year}年，数据年度{est.data_year}年</p>")
            comp_heads = {f"  {c.id} {c.label}：": c for c in est.components}
            current = None
            for line in lines[1:]:
                if line.startswith("奖补年度"):               # already in the line above
                    continue
                head = next((h for h in comp_heads if line.startswith(h)), None)
                indent = len(line) - len(line.lstrip(" "))
                if head is not None:
                    current = comp_heads[head]
                    cfig = f"subsidy:{est.pack_id}:{current.id}"
                    self._figures[cfig] = ("subsidy", est, current)
                    out.append(f"<p style='margin-left:12px; margin-top:6px'><a href='fig:{e(cfig)}'><b>{e(line.strip())}</b></a></p>")
                elif indent >= 6 and current is not None:
                    out.append(f"<p style='margin-left:32px; color:#303030'>{e(line.strip())}</p>")
                else:
                    current = None if indent < 6 else current
                    style = "color:#606060; font-size:9pt" if line.strip().startswith(("来源", "AI-", "PS-")) else ""
                    out.append(f"<p style='margin-left:12px; {style}'>{e(line.strip())}</p>")
            out.append("</td></tr></table>")
        self.subsidy_browser.setHtml("".join(out))

    # -- 检查结果 ---------------------------------------------------------------------------------
    def _fill_checks(self) -> None:
        c = self._counts()
        self.checks_label.setText(
            f"<span style='font-size:13pt'><b style='color:#B3261E'>错误 {c['error']} 项</b>　"
            f"<b style='color:#8A6D00'>警告 {c['warning']} 项</b>　<b>提示 {c['info']} 项</b></span><br>"
            "错误所在的明细行未计入；警告需核实；提示为说明。逐项查看与定位见“检查结果”面板。"
            + (f"<br>税务风险提示 {len(getattr(self.ev, 'risks', ()))} 项（见下方风险表）：模拟税务机关风险扫描，不影响计算结果。"
               if getattr(self.ev, "risks", ()) else ""))
        groups: dict = {}
        for f in self.ev.findings:
            g = groups.setdefault((f.severity, f.code), [0, f])
            g[0] += 1
        order = {"error": 0, "warning": 1, "info": 2}
        for (sev, code), (n, first) in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 3), kv[0][1])):
            fg = {"error": "#B3261E", "warning": "#8A6D00"}.get(sev)
            self.checks_model.appendRow([_item(SEVERITY_NAMES.get(sev, sev), fg=fg, bold=sev != "info"), _item(code),
                                         _item(n, align_right=True), _item(first.where), _item(first.message)])
        self.risks_model.removeRows(0, self.risks_model.rowCount())
        risks = getattr(self.ev, "risks", ())
        self.risks_view.setVisible(bool(risks))
        for r in risks:       # 税务风险提示 (calc/risk.py)
            self.risks_model.appendRow([_item(_t(r.severity), fg="#B3261E" if r.severity == "高风险" else "#8A6D00"),
                                         _item(r.rule_id), _item(len(r.locations), align_right=True), _item(r.where),
                                         _item(r.text, tip=f"{r.text}\n为何关注：{r.why}\n留存资料：{r.evidence}")])
        _fit_columns(self.checks_view, (4,))
        if risks:
            _fit_columns(self.risks_view, (4,))

    # -- trace panel -----------------------------------------------------------------------------
    def _on_index(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        key = index.siblingAtColumn(0).data(KEY_ROLE)
        if key:
            self._show(key)

    def _on_tree_item(self, item) -> None:
        if item is None:
            return
        key = item.data(0, KEY_ROLE)
        if key:
            self._show(key)

    def _on_anchor(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("line:"):
            try:
                emit(self.line_requested, int(target[5:]))
            except ValueError:
                pass
        elif target.startswith("fig:"):
            key = target[4:]
            if key in self._figures:
                self._show(key)

    def _show(self, key: str) -> None:
        kind, *obj = self._figures[key]
        render = {"sd": self._html_sd, "summary": self._html_summary, "hnte": self._html_hnte,
                  "sme": self._html_sme, "indicator": self._html_indicator, "bridge": self._html_bridge,
                  "subsidy": self._html_subsidy, "tax": self._html_tax}[kind]
        self.current_key = key
        self.trace_panel.setHtml(_PAGE_STYLE + render(*obj))
        self.open_trace()
        emit(self.figure_selected, key)

    def trace_open(self) -> bool:
        return self.splitter.sizes()[1] > 0

    def open_trace(self) -> None:
        """Show the 计算追溯 panel (about 38 % of the width) if it is collapsed."""
        if not self.trace_open():
            total = max(sum(self.splitter.sizes()), self.splitter.width(), 600)
            side = max(300, total * 38 // 100)
            self.splitter.setSizes([total - side, side])

    def collapse_trace(self) -> None:
        total = max(sum(self.splitter.sizes()), self.splitter.width())
        self.splitter.setSizes([total, 0])

    @staticmethod
    def _placeholder() -> str:
        return (_PAGE_STYLE + "<p style='color:#808080'>点击任一金额、条件或补助条目，"
                "在此查看其公式、输入、参数与法律依据、采用的解释口径和所依据的明细账行。</p>")

    # pieces
    def _sources(self, text) -> list[str]:
        """A source reference such as "119号 一(一)6; 2021年第28号 三" with each document's full title."""
        if hasattr(text, "citation"):
            return [f"{text.key} {getattr(text, 'ref', '')} — {text.citation}".strip()]
        out = []
        for piece in re.split(r"[;；]", str(text or "")):
            piece = piece.strip()
            if not piece:
                continue
            key = max((k for k in self.params.sources if piece.startswith(k)), key=len, default=None) or \
                max((k for k in self.params.sources if k in piece), key=len, default=None)
            out.append(f"{piece} — {self.params.sources[key]}" if key else piece)
        return out

    def _html_interpretations(self, ids, extra: dict | None = None) -> str:
        ids = [i for i in ids if i]
        if not ids:
            return ""
        rows = []
        for i in ids:
            text = (extra or {}).get(i) or self.params.interpretation(i).text
            rows.append(f"<li><b>{e(i)}</b>：{e(text)}</li>")
        return "<h4>采用的解释口径</h4><ul>" + "".join(rows) + "</ul>"

    def _html_trace(self, t, *, caliber: str = "tax") -> str:
        out = []
        if t.formula:
            out.append(f"<h4>公式</h4><p class='formula'>{e(t.formula)}</p>")
        if t.inputs:
            rows = []
            for name, v in t.inputs:
                shown = money(v) if isinstance(v, int) and not isinstance(v, bool) else str(v)
                m = re.search(r"第(\d+)行", str(name))
                label = e(name)
                if m and f"R{int(m.group(1)):02d}" in self._figures:
                    label = f"<a href='fig:R{int(m.group(1)):02d}'>{e(name)}</a>"
                elif str(name).startswith("L1") and "L1" in self._figures:
                    label = f"<a href='fig:L1'>{e(name)}</a>"
                rows.append(f"<tr><td>{label}</td><td align='right'>{e(shown)}</td></tr>")
            out.append("<h4>输入</h4><table class='grid' cellspacing='0' cellpadding='3'>" + "".join(rows) + "</table>")
        if t.params:
            rows = []
            for name, value, src in t.params:
                srcs = "<br>".join(e(s) for s in self._sources(src)) or "—"
                rows.append(f"<tr><td>{e(name)}</td><td>{e(value)}</td><td>{srcs}</td></tr>")
            out.append("<h4>参数与法律依据</h4><table class='grid' cellspacing='0' cellpadding='3'>"
                       "<tr><th>参数</th><th>取值</th><th>依据</th></tr>" + "".join(rows) + "</table>")
        out.append(self._html_interpretations(t.interpretations))
        out.append(self._html_lines(t.lines, caliber=caliber))
        return "".join(out)

    def _line(self, i: int):
        lines = self.ev.ledger.lines
        if 0 <= i < len(lines) and lines[i].id == i:
            return lines[i]
        if self._lines_by_id is None:
            self._lines_by_id = {l.id: l for l in lines}
        return self._lines_by_id.get(i)

    def _html_lines(self, ids, *, caliber: str = "tax", limit: int = 200) -> str:
        """The contributing ledger lines as counts and totals per project and code, with links to the ledger."""
        ids = list(ids or ())
        if not ids:
            return ""
        groups: dict = defaultdict(lambda: [0, 0, None])
        for i in ids:
            l = self._line(i)
            if l is None:
                continue
            base = l.base_amount if caliber == "tax" else l.amount
            amount = base if l.share is None else round_fen(base * l.share)      # as the statement's appendix
            g = groups[(l.project_no, l.code)]
            g[0] += 1
            g[1] += amount
            if g[2] is None:
                g[2] = l
        first = self._line(ids[0])
        where = ""
        if first is not None and first.src is not None:
            where = f"（{first.src.sheet}!第{first.src.row}行）"
        col = "税法金额" if caliber == "tax" else "会计金额"
        rows = []
        for (no, code), (n, amount, l0) in sorted(groups.items())[:limit]:
            c = self.params.codes.get(code)
            label = f"{code} {c.label}" if c else code
            rows.append(f"<tr><td>{e(no)}</td><td>{e(label)}</td><td align='right'>{n}</td>"
                        f"<td align='right'>{money(amount)}</td><td><a href='line:{l0.id}'>显示</a></td></tr>")
        more = f"<p>（另有 {len(groups) - limit} 组未列出）</p>" if len(groups) > limit else ""
        return (f"<h4>所依据的明细账行（{len(ids)}行）</h4>"
                f"<p><a href='line:{ids[0]}'>在明细账中显示</a>{e(where)}</p>"
                f"<table class='grid' cellspacing='0' cellpadding='3'><tr><th>项目</th><th>费用代码</th><th>行数</th>"
                f"<th>{col}合计</th><th></th></tr>" + "".join(rows) + "</table>" + more
                + ("<p class='note'>有研发工时占比的行按占比计入（逐行四舍五入至分）。</p>"))

    def _html_tax(self, te, opt) -> str:
        b, a = te.with_, te.without
        out = ["<h3>企业所得税（有 / 无加计扣除两次计算）</h3>", f"<p class='value'>节税额 ¥{money(te.tax_saved)}</p>"]
        rows = [("加计扣除前应纳税所得额", money(te.before)), ("加计扣除额（A107012第51行）", money(te.deduction)),
                ("以前年度可弥补亏损", money(te.prior_losses)),
                ("未享受加计扣除：应纳税所得额 / 应纳税额", f"{money(a.taxable_income)} / {money(a.tax)}"),
                ("享受加计扣除：应纳税所得额 / 应纳税额", f"{money(b.taxable_income)} / {money(b.tax)}"),
                ("节税额 = 两次应纳税额之差", money(te.tax_saved))]
        out.append("<table class='grid' cellspacing='0' cellpadding='3'>"
                   + "".join(f"<tr><td>{e(x)}</td><td align='right'>{e(y)}</td></tr>" for x, y in rows) + "</table>")
        if opt is not None:
            out.append(f"<h4>方案：{e(opt['label'])}</h4>")
            if opt["available"]:
                out.append(f"<p>应纳税额 ¥{money(yuan_to_fen(opt['tax']))}（税率 {e(opt.get('rate_percent') or opt['rate'])}）"
                           f"{'，税负最低，选用' if opt['elected'] else ''}</p>")
            else:
                out.append(f"<p>不适用：{e(opt['reason'])}</p>")
            slp = b.choice.slp
            if opt["regime"] == "small_low_profit" and slp is not None:
                out.append("<table class='grid' cellspacing='0' cellpadding='3'>" + "".join(
                    f"<tr><td>{'✓' if c.get('ok') else ('✗' if c.get('ok') is False else '?')}</td>"
                    f"<td>{e(c.get('text', ''))}</td><td>{e(c.get('source', ''))}</td></tr>" for c in slp.checks) + "</table>")
        for note in loss_lines(te) + te.notes + ([te.cliff_warning] if te.cliff_warning else []):
            out.append(f"<p>{e(note)}</p>")
        if te.sources:
            out.append("<h4>依据</h4><p>" + "<br>".join(e(x) for s in te.sources for x in self._sources(s)) + "</p>")
        out.append(self._html_interpretations(te.interpretations))
        return "".join(out)

    def _html_sd(self, key: str) -> str:
        sd = self.ev.sd
        t = sd.traces.get(key)
        number = str(int(key[1:])) if key.startswith("R") and key[1:].isdigit() else key
        value = sd.rows.get(key)
        if key == "R01":
            shown = str(value)
        elif isinstance(value, Fraction) or key == "R50":
            shown = rate_pct(value) if value is not None else "—"
        else:
            shown = "—" if value is None else "¥" + money(value)
        label = t.label if t else ""
        head = (f"<h3>A107012 第{e(number)}行{('：' + e(label)) if label else ''}</h3>" if key.startswith("R")
                else f"<h3>{e(key)}：{e(label)}</h3>")
        head += f"<p class='value'>{e(shown)}</p>"
        if t is None:
            return head + "<p>本行没有计算过程（未填或不适用）。</p>"
        body = self._html_trace(t)
        if not t.lines and not t.inputs and not t.params:
            body += "<p>本行无明细账行，也无其他输入。</p>"
        return head + body

    def _html_summary(self, r) -> str:
        rows = "".join(f"<tr><td>{e(label)}</td><td align='right'>{money(r.cols.get(col, 0))}</td></tr>"
                       for col, label in (("1", "1.人员人工费用"), ("2", "2.直接投入费用"), ("3", "3.折旧费用"),
                                          ("4", "4.无形资产摊销"), ("5", "5.新产品设计费等"), ("6", "6.前五项小计"),
                                          ("7.1", "7.1其他相关费用合计"), ("7.2", "7.2经限额调整后的其他相关费用"),
                                          ("8.1", "8.1委托境内研发费用"), ("8.2", "8.2允许加计扣除的委托境内研发费用"),
                                          ("8.3", "8.3委托境外机构研发费用"), ("8.4", "8.4经限额调整后的委托境外研发费用"),
                                          ("total", "允许加计扣除金额合计")))
        head = f"<h3>汇总表：{e(r.project_no)} {e(r.name)}</h3>"
        if r.ledger_type:
            head += f"<p>{e(r.status)} · {e(r.ledger_type)}</p>"
        return (head + "<table class='grid' cellspacing='0' cellpadding='3'>" + rows + "</table>"
                + "<p class='note'>其他相关费用限额和委托境外2/3限额按全部项目合并计算后分摊到各项目（AI-APP-02）。</p>"
                + self._html_lines(r.line_ids))

    def _html_hnte(self, c) -> str:
        colour = STATUS_FG.get(c.status, "#000")
        out = [f"<h3>高新技术企业 {e(c.gate)}：{e(c.name)}</h3>",
               f"<p class='value' style='color:{colour}'>{e(STATUS_MARK.get(c.status, c.status))}</p>",
               f"<p>{e(c.text)}</p>"]
        facts = []
        if c.value is not None:
            facts.append(("实际", show_value(c.value, money_ints=False)))
        if c.threshold is not None and not isinstance(c.threshold, bool):
            sym = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}.get(c.comparison, c.comparison)
            facts.append(("要求", f"{sym} {show_value(c.threshold, money_ints=False)}"
                          if c.comparison not in ("bool", None) else show_value(c.threshold, money_ints=False)))
        if c.margin is not None:
            facts.append(("差距", show_margin(c.margin, c.value)))
        if c.status != "pass" and c.to_pass:
            facts.append(("达标所需", c.to_pass))
        if c.to_pass_amount is not None:
            facts.append(("达标所需金额", "¥" + money(c.to_pass_amount)))
        if c.missing:
            facts.append(("缺少数据", "、".join(str(m) for m in c.missing)))
        if facts:
            out.append("<table class='grid' cellspacing='0' cellpadding='3'>"
                       + "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td></tr>" for a, b in facts) + "</table>")
        if c.basis:
            out.append("<h4>依据</h4><p>" + "<br>".join(e(s) for s in self._sources(c.basis)) + "</p>")
        for t in c.traces:
            out.append(f"<h4 class='sub'>计算：{e(t.label)}</h4>")
            out.append(self._html_trace(t, caliber="accounting"))
        out.append(self._html_interpretations(c.flags))
        return "".join(out)

    def _html_sme(self, c) -> str:
        out = [f"<h3>科技型中小企业 {e(c.id)}：{e(c.name)}</h3>",
               f"<p class='value' style='color:{STATUS_FG.get(c.status, '#000')}'>{e(STATUS_MARK.get(c.status, c.status))}</p>",
               f"<p>{e(c.text)}</p>"]
        if c.parts:
            out.append("<table class='grid' cellspacing='0' cellpadding='3'>")
            for p in c.parts:
                ok = p.get("ok")
                mark = "✓" if ok else ("✗" if ok is False else "?")
                out.append(f"<tr><td>{mark}</td><td>{e(p.get('text', ''))}</td><td>{e(p.get('source', ''))}</td></tr>")
            out.append("</table>")
        if c.source:
            out.append("<h4>依据</h4><p>" + "<br>".join(e(s) for s in self._sources(c.source)) + "</p>")
        out.append(self._html_interpretations(c.interpretations))
        return "".join(out)

    def _html_indicator(self, ind) -> str:
        out = [f"<h3>科技型中小企业评价指标：{e(ind.name)}</h3>",
               f"<p class='value'>{'—' if ind.score is None else ind.score} 分（可能范围 {ind.range[0]}–{ind.range[1]}）</p>",
               f"<p>{e(ind.text)}</p>"]
        if ind.numerator is not None and ind.denominator is not None:
            num = money(ind.numerator) if ind.money else str(ind.numerator)
            den = money(ind.denominator) if ind.money else str(ind.denominator)
            out.append(f"<table class='grid' cellspacing='0' cellpadding='3'><tr><td>分子</td><td align='right'>{e(num)}</td></tr>"
                       f"<tr><td>分母</td><td align='right'>{e(den)}</td></tr>"
                       f"<tr><td>比例</td><td align='right'>{e(show_value(ind.value, money_ints=False))}</td></tr></table>")
        if ind.source:
            out.append("<h4>依据</h4><p>" + "<br>".join(e(s) for s in self._sources(ind.source)) + "</p>")
        out.append(self._html_interpretations(ind.interpretations))
        return "".join(out)

    def _html_bridge(self, g, caliber: str) -> str:
        name = "加计扣除口径" if caliber == "super" else "高新技术企业口径"
        out = [f"<h3>口径衔接（{name}）</h3>", f"<p class='value'>¥{money(g.amount)}</p>", f"<p>{e(g.text)}</p>"]
        out.append(self._html_lines(g.line_ids, caliber="accounting"))
        return "".join(out)

    def _html_subsidy(self, est, comp) -> str:
        flags = dict(est.flags)
        badge, colour, conf_long = CONFIDENCE.get(est.confidence, (est.confidence, "#606060", est.confidence))
        out = [f"<h3>{e(est.title)}</h3>",
               f"<p><span style='background-color:{colour}; color:white'>&nbsp;{e(badge)}&nbsp;</span> {e(conf_long)}"
               f" · 政策期间 {e(est.period_text)}</p>"]
        if comp is None:
            out.append(f"<p class='value'>{e(est.headline())}</p>")
            for g in est.gates:
                out.append(f"<p>条件［{e({'pass': '满足', 'fail': '不满足'}.get(g.status, '待确认'))}］{e(g.label)}：{e(g.detail)}</p>")
            if est.needs:
                out.append("<h4>需补充的数据</h4><ul>" + "".join(f"<li>{e(n)}</li>" for n in est.needs) + "</ul>")
            out.append("<h4>假定</h4><ul>" + "".join(f"<li>{e(a)}</li>" for a in est.assumptions) + "</ul>"
                       if est.assumptions else "")
            out.append(self._html_interpretations([i for i, _ in est.flags], flags))
            out.append("<h4>来源</h4><ul>" + "".join(f"<li>{e(s)}</li>" for s in est.sources) + "</ul>" if est.sources else "")
            return "".join(out)
        if comp.amount is None:
            value = f"无法计算（{comp.reason or '；'.join(comp.needs)}）"
        elif not comp.eligible:
            value = f"不予补助（{comp.reason}）"
        else:
            value = ("最高 " if comp.up_to else "") + "¥" + money(comp.amount)
            if comp.kind == "range" and comp.low is not None:
                value = f"¥{money(comp.low)} ～ ¥{money(comp.amount)}"
        out.append(f"<h4>{e(comp.id)} {e(comp.label)}</h4><p class='value'>{e(value)}</p>")
        facts = []
        if comp.base_detail:
            facts.append(("基数", comp.base_detail))
        if comp.formula:
            facts.append(("公式", comp.formula))
        if comp.rate_text:
            facts.append(("比例", comp.rate_text))
        if facts:
            out.append("<table class='grid' cellspacing='0' cellpadding='3'>"
                       + "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td></tr>" for a, b in facts) + "</table>")
        if comp.gates:
            out.append("<h4>条件</h4><ul>" + "".join(
                f"<li>［{e({'pass': '满足', 'fail': '不满足'}.get(g.status, '待确认'))}］{e(g.label)}：{e(g.detail)}</li>"
                for g in comp.gates) + "</ul>")
        if comp.steps:
            out.append("<h4>计算步骤</h4><ol>" + "".join(f"<li>{e(s)}</li>" for s in comp.steps) + "</ol>")
        for title, items in (("附条件", comp.conditions), ("提示", comp.warnings), ("假定", comp.assumptions),
                             ("需补充的数据", comp.needs)):
            if items:
                out.append(f"<h4>{title}</h4><ul>" + "".join(f"<li>{e(x)}</li>" for x in items) + "</ul>")
        out.append(self._html_interpretations(comp.flags, flags))
        if comp.sources:
            out.append("<h4>来源</h4><ul>" + "".join(f"<li>{e(s)}</li>" for s in comp.sources) + "</ul>")
        return "".join(out)


_PAGE_STYLE = """<style>
h3 { color: #1F4E79; margin-bottom: 2px; }
h4 { color: #1F4E79; margin-top: 10px; margin-bottom: 2px; }
.value { font-size: 14pt; font-weight: bold; color: #1F4E79; }
.formula { font-family: monospace; background-color: #F4F6F8; }
.note { color: #707070; font-size: 9pt; }
table.grid { border-collapse: collapse; border-color: #B0B8C0; }
table.grid td, table.grid th { border: 1px solid #B0B8C0; }
th { background-color: #DDEBF7; }
</style>"""
