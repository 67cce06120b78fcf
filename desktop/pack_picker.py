"""所在地区后补助政策, chosen by name (review desktop-app #9): province → city / district → policy version, with
its status (正式 / 暂定) and period.  The same picker serves 企业信息, 快速测算 and 设置; rule-pack ids stay
inside (they are what is stored) and are never shown or typed."""
from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QLineEdit, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout)

ID_ROLE = Qt.ItemDataRole.UserRole
STATUS = {"solid": ("正式", "#1E7B34"), "provisional": ("暂定", "#B26A00")}
# issue 16: the status for this year's award (calc.rulepack.RulePack.freshness) overrides the confidence
FRESH = {"provisional": ("暂定", "#B26A00"), "retired": ("已停止", "#808080"), "outside": ("未到适用期", "#808080")}
_MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")
_CITY_PROVINCE = {"深圳市": "广东省", "广州市": "广东省", "厦门市": "福建省", "宁波市": "浙江省", "青岛市": "山东省",
                  "大连市": "辽宁省"}


def _t(text: str) -> str:
    return QCoreApplication.translate("PackPicker", text)


def split_region(region: str) -> tuple[str, str]:
    """'江苏省苏州市吴中区' → ('江苏省', '苏州市吴中区'); '宁夏回族自治区' → ('宁夏回族自治区', '')."""
    region = (region or "").strip()
    for m in _MUNICIPALITIES:
        if region.startswith(m):
            return m, region[len(m):]
    for city, province in _CITY_PROVINCE.items():
        if region.startswith(city):
            return province, region
    m = re.match(r"^(.+?(?:省|自治区))(.*)$", region)
    if m:
        return m.group(1), m.group(2)
    return region or _t("其他"), ""


def pack_infos(errors: list | None = None):
    from calc.subsidy import list_packs
    try:
        return list_packs(errors=errors)
    except Exception as exc:                     # noqa: BLE001 — a broken pack must not stop the form
        if errors is not None:
            errors.append(str(exc))
        return []


def pack_names(ids) -> list[str]:
    """The Chinese names of rule packs (region · title); an id that is not installed is shown as typed."""
    infos = {i.id: i for i in pack_infos()}
    out = []
    for pid in ids:
        info = infos.get(pid)
        out.append(f"{info.region} · {info.title}" if info else f"{pid}（未收录的政策）")
    return out


class PackPicker(QTreeWidget):
    """Checkable tree: 省 → 政策 (市/区 · 名称, 状态, 适用年度)."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels([_t("地区 · 政策"), _t("状态"), _t("适用")])
        self.setRootIsDecorated(True)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.errors: list = []
        self.leaves: dict[str, QTreeWidgetItem] = {}
        provinces: dict[str, QTreeWidgetItem] = {}
        for info in pack_infos(self.errors):
            province, rest = split_region(info.region)
            parent_item = provinces.get(province)
            if parent_item is None:
                parent_item = provinces[province] = QTreeWidgetItem([province, "", ""])
                parent_item.setFlags(parent_item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                self.addTopLevelItem(parent_item)
            status, color = FRESH.get(getattr(info, "status", ""), None) or STATUS.get(info.confidence,
                                                                                      (info.confidence, "#555"))
            place = rest if rest and not rest.startswith("（") else _t("全省（区、市）") + rest
            item = QTreeWidgetItem([f"{place} · {info.title}", status, info.period])
            item.setData(0, ID_ROLE, info.id)
            doc = f"（{info.doc_number}）" if info.doc_number else ""
            why = getattr(info, "status_text", "")
            item.setToolTip(0, f"{info.region}\n{info.title}{doc}\n适用：{info.period}\n状态：{status}规则"
                               + (f"\n{why}" if why else "")
                               + (f"\n核对日期：{info.reviewed_on}" if getattr(info, "reviewed_on", "") else ""))
            item.setForeground(1, QBrush(QColor(color)))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Unchecked)
            parent_item.addChild(item)
            # a programme that ended is not offered for this year's award; shown again when already chosen
            item.setHidden(getattr(info, "status", "") == "retired")
            self.leaves[info.id] = item
        self.sortItems(0, Qt.SortOrder.AscendingOrder)
        self.itemChanged.connect(lambda *_: self.changed.emit())

    def set_selected(self, ids) -> list[str]:
        """Check these packs (expanding their province); returns the ids that are not installed."""
        wanted = list(ids or ())
        self.blockSignals(True)
        for pid, item in self.leaves.items():
            on = pid in wanted
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if on:
                item.setHidden(False)
            if on and item.parent() is not None:
                item.parent().setExpanded(True)
        self.blockSignals(False)
        self.changed.emit()
        return [p for p in wanted if p not in self.leaves]

    def selected(self) -> list[str]:
        return [pid for pid, item in self.leaves.items() if item.checkState(0) == Qt.CheckState.Checked]

    def item_of(self, pack_id: str) -> QTreeWidgetItem | None:
        return self.leaves.get(pack_id)

    def find_text(self, text: str) -> None:
        """Show only provinces / policies whose name contains ``text`` (empty: all)."""
        text = text.strip()
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            any_shown = False
            for j in range(top.childCount()):
                child = top.child(j)
                show = not text or text in top.text(0) or text in child.text(0) or text in child.toolTip(0)
                child.setHidden(not show)
                any_shown |= show
            top.setHidden(not any_shown)
            if text and any_shown:
                top.setExpanded(True)


class PackPickerDialog(QDialog):
    """选择所在地区后补助政策 (for 企业信息)."""

    def __init__(self, selected, parent=None):
        super().__init__(parent)
        self.setWindowTitle(_t("选择所在地区后补助政策"))
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(_t("按省份展开，勾选企业注册地适用的政策（可多选）。“暂定”表示政策参数尚待核实。")))
        self.search = QLineEdit()
        self.search.setPlaceholderText(_t("搜索地区或政策名称，如 苏州、宁夏"))
        lay.addWidget(self.search)
        self.picker = PackPicker(self)
        self.missing = self.picker.set_selected(selected)
        self.search.textChanged.connect(self.picker.find_text)
        lay.addWidget(self.picker, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(640, 520)

    def selected(self) -> list[str]:
        return self.picker.selected()
