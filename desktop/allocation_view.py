"""工时分配 view: the per-person register (R&D hours and days, the 183-day test, over-limit months, allocated
pay) and the per-project totals of the evaluated year, from ``Evaluation.ledger.allocation`` (calc.allocation).

A thin shell: every figure comes from calc.allocation; nothing is computed here but display text."""
from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from calc import schema as S
from calc.allocation import hours_text
from calc.money import fen_display, fen_str, round_fen

PERSON_HEADERS = ("人员编号", "姓名", "人员类型", "月数", "研发工时", "总工时", "研发工时占比", "研发天数", "≥183天",
                  "超工时月份", "工资薪金", "五险一金", "分配至研发（工资）", "分配至研发（五险一金）")
MONTH_HEADERS = ("月份", "研发工时", "总工时", "上限", "研发占比", "各项目工时", "超过100%工时")
PROJECT_CODES = ("R04", "R05", "R06", "R17", "R18")
PROJECT_HEADERS = ("项目", "工资薪金 R04", "五险一金 R05", "外聘劳务 R06", "仪器折旧 R17", "设备折旧 R18", "合计")
_WARN = QBrush(QColor("#fde2e1"))
_NOTE = QBrush(QColor("#fff4d6"))


def _t(text: str) -> str:
    return QCoreApplication.translate("AllocationView", text)


def _item(text, *, right: bool = False, data=None) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(Qt.ItemIsSelectable | Qt.ItemIsEnabled)
    if right:
        item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
    if data is not None:
        item.setData(Qt.UserRole, data)
    return item


def _table(headers) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels([_t(h) for h in headers])
    t.setEditTriggers(QAbstractItemView.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectRows)
    t.setAlternatingRowColors(True)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(22)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class AllocationView(QWidget):
    """Per-person register, the selected person's months and per-project totals of the evaluated year."""

    source_requested = Signal(object)      # a calc.model.Src (or Finding-like) to show in its table

    def __init__(self, parent=None):
        super().__init__(parent)
        self.result = None
        self.year: int | None = None
        self.summary = QLabel(_t("未导入人员工时、人员薪酬或设备折旧：在对应表中填写后，按工时分配的研发支出和研发天数显示在这里。"))
        self.summary.setWordWrap(True)
        self.persons = _table(PERSON_HEADERS)
        self.months = _table(MONTH_HEADERS)
        self.projects = _table(PROJECT_HEADERS)
        self.persons.itemSelectionChanged.connect(self._person_selected)
        self.months.itemDoubleClicked.connect(self._month_activated)
        split = QSplitter(Qt.Vertical)
        for title, table in ((_t("人员登记（研发天数 = 研发工时 ÷ 8；高企科技人员须 ≥ 183天）"), self.persons),
                             (_t("所选人员各月工时"), self.months),
                             (_t("各项目按工时分配的金额"), self.projects)):
            box = QWidget()
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            label = QLabel(f"<b>{title}</b>")
            lay.addWidget(label)
            lay.addWidget(table)
            split.addWidget(box)
        split.setSizes([360, 200, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

    # -- data ----------------------------------------------------------------------------------
    def set_evaluation(self, ev) -> None:
        result = getattr(ev.ledger, "allocation", None) if ev is not None else None
        self.set_result(result, ev.year if ev is not None else None)

    def set_result(self, result, year: int | None) -> None:
        self.result, self.year = result, year
        self.persons.setRowCount(0)
        self.months.setRowCount(0)
        self.projects.setRowCount(0)
        if result is None or result.empty or year is None:
            self.summary.setText(_t("未导入人员工时、人员薪酬或设备折旧：在对应表中填写后，按工时分配的研发支出和研发天数显示在这里。"))
            return
        persons = result.persons_of(year)
        below = [p for p in persons if p.rd_hours and not p.meets_183]
        over = [ld for ld in result.loads if ld.month.startswith(f"{year:04d}-") and ld.over_limit]
        rd = sum(p.amount for p in result.parts if p.rd and p.month.startswith(f"{year:04d}-"))
        non = sum(p.amount for p in result.parts if not p.rd and p.month.startswith(f"{year:04d}-"))
        self.summary.setText(
            _t("{year}年度：{persons} 人；研发天数不足{days}天 {below} 人；超过100%工时（每月 {limit} 小时）{over} 人月；"
               "按工时分配至研发项目 ¥{rd}，非研发 ¥{non}（不计入研发支出）").format(
                year=year, persons=len(persons), days=hours_text(result.rd_days_threshold), below=len(below),
                limit=hours_text(result.limit_hours), over=len(over), rd=fen_display(rd), non=fen_display(non)))
        self.persons.setRowCount(len(persons))
        for r, p in enumerate(persons):
            share = _pct(p.rd_hours / p.total_hours) if p.total_hours else ""
            cells = (p.person_id, p.name, p.staff_type, p.months, hours_text(p.rd_hours), hours_text(p.total_hours),
                     share, hours_text(_round2(p.rd_days)), _t("是") if p.meets_183 else _t("否"),
                     _t("、").join(_t("{m}月").format(m=m[5:]) for m in p.over_limit_months), fen_display(p.wages),
                     fen_display(p.insurance), fen_display(p.wages_rd), fen_display(p.insurance_rd))
            for c, text in enumerate(cells):
                item = _item(text, right=c >= 3 and c not in (8, 9), data=(p.person_id, p.year) if c == 0 else None)
                if c == 8 and not p.meets_183:
                    item.setBackground(_NOTE)
                if c == 9 and p.over_limit_months:
                    item.setBackground(_WARN)
                self.persons.setItem(r, c, item)
        totals = result.project_totals(year)
        self.projects.setRowCount(len(totals) + 1)
        grand = [0] * (len(PROJECT_CODES) + 1)
        for r, (dest, amounts) in enumerate(totals.items()):
            if dest == S.NON_RD:
                values = [sum(amounts.values())]
                cells = [_t(S.NON_RD) + _t("（不计入）"), "", "", "", "", "", fen_display(values[0])]
            else:
                values = [amounts.get(c, 0) for c in PROJECT_CODES]
                total = sum(values)
                for i, v in enumerate(values):
                    grand[i] += v
                grand[-1] += total
                cells = [dest, *(fen_display(v) if v else "" for v in values), fen_display(total)]
            for c, text in enumerate(cells):
                self.projects.setItem(r, c, _item(text, right=c > 0))
        last = len(totals)
        for c, text in enumerate([_t("研发合计"), *(fen_display(v) for v in grand)]):
            item = _item(text, right=c > 0)
            f = item.font()
            f.setBold(True)
            item.setFont(f)
            self.projects.setItem(last, c, item)
        if persons:
            self.persons.selectRow(0)

    def _person_selected(self) -> None:
        self.months.setRowCount(0)
        rows = self.persons.selectionModel().selectedRows() if self.persons.selectionModel() else []
        if not rows or self.result is None:
            return
        pid, year = self.persons.item(rows[0].row(), 0).data(Qt.UserRole)
        loads = [ld for ld in self.result.loads if ld.person_id == pid and ld.month.startswith(f"{year:04d}-")]
        self.months.setRowCount(len(loads))
        for r, ld in enumerate(loads):
            by = "，".join(f"{d} {hours_text(h)}h" for d, h in ld.by_project)
            cells = (ld.month, hours_text(ld.rd_hours), hours_text(ld.total_hours), hours_text(ld.limit_hours),
                     _pct(ld.share) if ld.share is not None else "", by, _t("是") if ld.over_limit else "")
            for c, text in enumerate(cells):
                item = _item(text, right=c in (1, 2, 3, 4), data=ld.src if c == 0 else None)
                if ld.over_limit and c in (2, 6):
                    item.setBackground(_WARN)
                self.months.setItem(r, c, item)

    def _month_activated(self, item) -> None:
        src = self.months.item(item.row(), 0).data(Qt.UserRole)
        if src is not None:
            self.source_requested.emit(src)


def _round2(x: Fraction) -> Fraction:
    """Days to 0.01 for display (half up)."""
    return Fraction(round_fen(Fraction(x) * 100), 100)


def _pct(x: Fraction) -> str:
    """0.8095… → '80.95%' (half up)."""
    return fen_str(round_fen(Fraction(x) * 10000)) + "%"
