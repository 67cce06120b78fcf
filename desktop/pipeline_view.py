"""培育库 (the science bureau's cultivation pipeline): a roster workbook or a folder of workspaces → every enterprise's
tier, 科小 and 高企 position and benefits; filters, sorting (by tier, by distance to the next threshold), charts,
export of the workbook and the brief; double-click opens an enterprise's workspace (folder input).

A thin shell over :func:`forms.pipeline.run_pipeline` and :mod:`forms.pipeline_report`: the evaluation runs off
the UI thread (on all processors), with progress and 取消.
"""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from PySide6.QtCore import (QAbstractTableModel, QCoreApplication, QDate, QModelIndex, QObject, QSortFilterProxyModel,
                            QThreadPool, Qt, Signal)
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (QComboBox, QDateEdit, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QMessageBox, QProgressBar, QPushButton, QSpinBox, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from calc.money import fen_display
from calc.pipeline import HNTE_STATUS_NAMES, summarise, tiers
from forms.pipeline_report import wan_text

from .workers import run_in_pool


def _t(text: str) -> str:
    return QCoreApplication.translate("PipelineView", text)


COLUMNS = ("企业名称", "所在区县", "科技特派员", "培育分层", "科小", "高企", "最早申报", "差距与说明",
           "节税额（确定）", "后补助（预估）", "后补助（附条件/最高）", "待补充")
MONEY = (8, 9, 10)


def _money(v) -> str:
    return "" if v is None else fen_display(v)


class PipelineModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.results: list = []
        self.order = {t.id: i for i, t in enumerate(tiers())}

    def set_results(self, results) -> None:
        self.beginResetModel()
        self.results = list(results)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.results)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def cell(self, r, c):
        h = r.hnte
        if r.error:
            return [r.name or r.key, r.district, r.commissioner, _t("无法测算"), "", "", "", r.error, "", "", "", ""][c]
        sme = r.tech_sme_status + (f"（{r.tech_sme_score}分）" if r.tech_sme_score is not None else "")
        other = "；".join(x for x in ((_t("附条件") + _money(r.conditional)) if r.conditional else "",
                                      (_t("最高") + _money(r.up_to)) if r.up_to else "") if x)
        values = [r.name, r.district, r.commissioner, r.tier_label, sme,
                  HNTE_STATUS_NAMES.get(h.status, h.status) if h else "",
                  str(h.earliest_year) if h and h.earliest_year else "", h.core if h else "",
                  _t("无法计算") if r.certain is None else _money(r.certain), _money(r.estimated) if r.estimated else "",
                  other, "；".join(r.missing)]
        return values[c]

    def sort_key(self, r, c):
        if c == 3:
            return self.order.get(r.tier, 99)
        if c == 6:          # distance to the next threshold: the earliest year, then the R&D still needed
            h = r.hnte          # a text key: the year, then the amount zero-padded (no 64-bit overflow in Qt)
            return f"{(h.earliest_year or 9999) if h else 9999:04d}{(h.rd_needed or 0) if h else 0:020d}"
        if c == 8:
            return -1 if r.certain is None else r.certain
        if c == 9:
            return r.estimated
        if c == 4:
            return r.tech_sme_score if r.tech_sme_score is not None else -1
        return self.cell(r, c)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r = self.results[index.row()]
        c = index.column()
        if role == Qt.DisplayRole:
            return self.cell(r, c)
        if role == Qt.ToolTipRole:
            if c == 7 and r.hnte:
                return r.hnte.text
            if c == 3:
                return r.tier_rule
            return self.cell(r, c)
        if role == Qt.UserRole:
            return self.sort_key(r, c)
        if role == Qt.TextAlignmentRole and c in (*MONEY, 6):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and r.error:
            return QBrush(QColor("#C00000"))
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return _t(COLUMNS[section])
        if orientation == Qt.Horizontal and role == Qt.ToolTipRole and section == 6:
            return _t("按最早可申报年度、再按所需研发费用排序（离门槛最近的在前）")
        return None


class _Filter(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.tier = self.district = self.commissioner = ""
        self.text = ""

    def set(self, **kw) -> None:
        if hasattr(self, "beginFilterChange"):          # Qt ≥ 6.10
            self.beginFilterChange()
            for k, v in kw.items():
                setattr(self, k, v)
            self.endFilterChange()
            return
        for k, v in kw.items():
            setattr(self, k, v)
        self.invalidateFilter()

    def filterAcceptsRow(self, row, parent):
        r = self.sourceModel().results[row]
        if self.tier and r.tier != self.tier:
            return False
        if self.district and (r.district or "（未填）") != self.district:
            return False
        if self.commissioner and (r.commissioner or "（未指定）") != self.commissioner:
            return False
        if self.text and self.text not in (r.name or "") and self.text not in (r.credit_code or ""):
            return False
        return True


class BarChart(QWidget):
    """A small horizontal bar chart drawn with QPainter (title, labels, values)."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title = title
        self.items: list[tuple[str, int, str]] = []     # (label, value, value text)
        self.setMinimumHeight(150)

    def set_items(self, items) -> None:
        self.items = list(items)
        self.update()

    def paintEvent(self, _event):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self.width(), self.height()
        p.drawText(6, 16, self.title)
        if not self.items:
            return
        top, label_w = 24, min(150, w // 3)
        row_h = max(12, min(24, (h - top - 4) // len(self.items)))
        biggest = max(v for _, v, _ in self.items) or 1
        for i, (label, value, text) in enumerate(self.items):
            y = top + i * row_h
            p.setPen(QColor("#000000"))
            p.drawText(4, y, label_w - 8, row_h, Qt.AlignRight | Qt.AlignVCenter, label)
            bar = int((w - label_w - 90) * value / biggest)
            p.fillRect(label_w, y + 3, max(bar, 1), row_h - 6, QColor("#1F4E79"))
            p.drawText(label_w + bar + 4, y, 86, row_h, Qt.AlignLeft | Qt.AlignVCenter, text)


class _Relay(QObject):
    progress = Signal(int, int)


class PipelineView(QDialog):
    """``PipelineView(parent)``; ``open_requested(path)`` when a workspace row is opened (the main window opens it)."""

    open_requested = Signal(str)

    def __init__(self, parent=None, *, source: str | None = None, year: int | None = None,
                 as_of: dt.date | None = None):
        super().__init__(parent)
        self.setWindowTitle(_t("培育库（科小入库 · 高企培育）"))
        self.resize(1240, 680)
        self.pool = QThreadPool(self)
        self.run = None
        self._cancel = threading.Event()
        self._relay = _Relay()
        self._relay.progress.connect(self._progress)
        lay = QVBoxLayout(self)

        top = QHBoxLayout()
        top.addWidget(QLabel(_t("名册或文件夹")))
        self.source_edit = QLineEdit(source or "")
        self.source_edit.setPlaceholderText(_t("培育库名册（.xlsx），或存放工作区、辅助账工作簿的文件夹"))
        top.addWidget(self.source_edit, 1)
        self.file_button = QPushButton(_t("选择名册…"))
        self.file_button.clicked.connect(self.choose_file)
        self.folder_button = QPushButton(_t("选择文件夹…"))
        self.folder_button.clicked.connect(self.choose_folder)
        top.addWidget(self.file_button)
        top.addWidget(self.folder_button)
        top.addWidget(QLabel(_t("数据年度")))
        today = dt.date.today()
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2016, 2100)
        self.year_spin.setValue(year or today.year - 1)
        self.year_spin.setFocusPolicy(Qt.StrongFocus)
        top.addWidget(self.year_spin)
        top.addWidget(QLabel(_t("测算日期")))
        self.date_edit = QDateEdit(QDate((as_of or today).year, (as_of or today).month, (as_of or today).day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setFocusPolicy(Qt.StrongFocus)
        top.addWidget(self.date_edit)
        self.run_button = QPushButton(_t("开始测算"))
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(_t("取消"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        lay.addLayout(top)

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        lay.addWidget(self.progress)

        filters = QHBoxLayout()
        self.tier_box = QComboBox()
        self.district_box = QComboBox()
        self.commissioner_box = QComboBox()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_t("企业名称或信用代码"))
        for label, box in ((_t("分层"), self.tier_box), (_t("区县"), self.district_box),
                           (_t("科技特派员"), self.commissioner_box)):
            filters.addWidget(QLabel(label))
            box.setFocusPolicy(Qt.StrongFocus)
            box.currentIndexChanged.connect(self._apply_filter)
            filters.addWidget(box)
        filters.addWidget(self.search, 1)
        self.search.textChanged.connect(self._apply_filter)
        lay.addLayout(filters)

        split = QSplitter(Qt.Vertical)
        self.model = PipelineModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.UserRole)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QTableView.SelectRows)
        self.view.setEditTriggers(QTableView.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.doubleClicked.connect(self._activated)
        for c, w in enumerate((200, 70, 80, 170, 110, 70, 60, 320, 110, 100, 130)):
            self.view.setColumnWidth(c, w)
        self.view.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        split.addWidget(self.view)
        charts = QWidget()
        cl = QHBoxLayout(charts)
        cl.setContentsMargins(0, 0, 0, 0)
        self.tier_chart = BarChart(_t("培育分层（企业数）"))
        self.district_chart = BarChart(_t("按区县：节税额（确定）"))
        cl.addWidget(self.tier_chart)
        cl.addWidget(self.district_chart)
        split.addWidget(charts)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay.addWidget(split, 1)

        self.summary = QLabel(_t("选择名册或文件夹，然后“开始测算”。金额单位：元"))
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 3 + 6)
        lay.addWidget(self.summary)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.export_button = QPushButton(_t("导出培育库工作簿…"))
        self.export_button.clicked.connect(self.export_workbook)
        self.brief_button = QPushButton(_t("导出简报（PDF）…"))
        self.brief_button.clicked.connect(self.export_brief)
        self.open_button = QPushButton(_t("打开企业"))
        self.open_button.clicked.connect(self.open_selected)
        close = QPushButton(_t("关闭"))
        close.clicked.connect(self.reject)
        for b in (self.export_button, self.brief_button, self.open_button, close):
            bottom.addWidget(b)
        lay.addLayout(bottom)
        self._set_busy(False)

    # -- input
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, _t("选择培育库名册"), self.source_edit.text(),
                                              _t("Excel 工作簿 (*.xlsx *.xlsm *.xls)"))
        if path:
            self.source_edit.setText(path)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _t("选择存放工作区的文件夹"), self.source_edit.text())
        if folder:
            self.source_edit.setText(folder)

    # -- running
    def _set_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        has = self.run is not None and bool(self.run.results)
        self.export_button.setEnabled(has and not busy)
        self.brief_button.setEnabled(has and not busy)

    def start(self) -> None:
        source = self.source_edit.text().strip()
        if not source or not Path(source).exists():
            QMessageBox.information(self, _t("培育库"), _t("请先选择培育库名册（.xlsx）或文件夹"))
            return
        year = self.year_spin.value()
        d = self.date_edit.date()
        as_of = dt.date(d.year(), d.month(), d.day())
        self._cancel.clear()
        self.progress.setRange(0, 0)
        self._set_busy(True)
        self.summary.setText(_t("正在测算…"))
        relay = self._relay
        cancel = self._cancel

        def work():
            from forms.pipeline import run_pipeline
            return run_pipeline(source, year, as_of=as_of, progress=lambda done, n: relay.progress.emit(done, n),
                                cancelled=cancel.is_set, spawn=True)

        run_in_pool(self.pool, work, self._finished)

    def cancel(self) -> None:
        self._cancel.set()
        self.summary.setText(_t("正在取消…"))

    def _progress(self, done: int, n: int) -> None:
        self.progress.setRange(0, max(1, n))
        self.progress.setValue(done)
        self.progress.setFormat(_t("已测算 {done} / {n} 家").format(done=done, n=n))

    def _finished(self, run, error) -> None:
        if error:
            self.run = None
            self._set_busy(False)
            self.summary.setText(_t("测算失败：") + error)
            return
        self.run = run
        self.model.set_results(run.results)
        self._fill_filters()
        self._set_busy(False)
        self.show_summary()

    def show_summary(self) -> None:
        run = self.run
        agg = summarise(run.results)
        a = agg["all"]
        parts = [_t("企业 {n} 家").format(n=a.count)]
        if agg["errors"]:
            parts.append(_t("无法测算 {n} 家").format(n=agg["errors"]))
        if self._cancel.is_set():
            parts.append(_t("已取消（仅显示已测算的企业）"))
        parts += [f"{t.label} {agg['tier'][t.id].count}" for t in tiers()]
        money = _t("节税额（确定）合计 {c} 元").format(c=fen_display(a.certain))
        if a.certain_unknown:
            money += _t("（另有 {n} 家无法计算，未计入）").format(n=a.certain_unknown)
        money += _t("；后补助预估 {e} 元（不与节税额相加）").format(e=fen_display(a.estimated))
        if a.conditional:
            money += _t("；附条件 {c} 元").format(c=fen_display(a.conditional))
        if a.up_to:
            money += _t("；最高可得 {u} 元（不计入合计）").format(u=fen_display(a.up_to))
        self.summary.setText("；".join(parts) + "\n" + money)
        self.tier_chart.set_items([(t.short, agg["tier"][t.id].count, str(agg["tier"][t.id].count)) for t in tiers()])
        districts = sorted(agg["district"].items(), key=lambda kv: -kv[1].certain)[:8]
        self.district_chart.set_items([(name, g.certain, wan_text(g.certain)) for name, g in districts])

    def _fill_filters(self) -> None:
        results = self.run.results if self.run else []
        for box, values in ((self.tier_box, [(t.label, t.id) for t in tiers()]),
                            (self.district_box, [(d, d) for d in sorted({r.district or "（未填）" for r in results})]),
                            (self.commissioner_box, [(c, c) for c in sorted({r.commissioner or "（未指定）" for r in results})])):
            box.blockSignals(True)
            box.clear()
            box.addItem(_t("全部"), "")
            for label, data in values:
                box.addItem(label, data)
            box.blockSignals(False)
        self._apply_filter()

    def _apply_filter(self) -> None:
        self.proxy.set(tier=self.tier_box.currentData() or "", district=self.district_box.currentData() or "",
                       commissioner=self.commissioner_box.currentData() or "", text=self.search.text().strip())

    # -- outputs
    def export_workbook(self, path: str | None = None) -> str | None:
        from forms.pipeline_report import write_pipeline_workbook
        return self._export(write_pipeline_workbook, path, _t("导出培育库工作簿"), "培育库_{year}.xlsx",
                            _t("Excel 工作簿 (*.xlsx)"))

    def export_brief(self, path: str | None = None) -> str | None:
        from forms.pipeline_report import write_pipeline_brief
        return self._export(write_pipeline_brief, path, _t("导出培育库简报"), "培育库简报_{year}.pdf",
                            _t("PDF 文件 (*.pdf)"))

    def _export(self, write, path, title: str, name: str, filters: str) -> str | None:
        if not self.run:
            return None
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, title, name.format(year=self.run.year), filters)
        if not path:
            return None
        try:
            write(self.run, path)
        except OSError as exc:          # forms.atomic.OutputError: the file's name and a Chinese reason
            QMessageBox.warning(self, _t("培育库"), str(exc) if str(exc) else _t("无法写入文件"))
            return None
        return path

    def _result_at(self, proxy_index):
        if not proxy_index.isValid():
            return None
        return self.model.results[self.proxy.mapToSource(proxy_index).row()]

    def _activated(self, index) -> None:
        r = self._result_at(index)
        if r is None:
            return
        if r.path:
            self.open_requested.emit(r.path)
        else:
            QMessageBox.information(self, _t("培育库"), _t("名册中的企业没有工作区；可用“工具 → 快速测算”按名册数据测算，"
                                                        "或为该企业新建工作区录入研发支出辅助账。"))

    def open_selected(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            self._activated(rows[0])
