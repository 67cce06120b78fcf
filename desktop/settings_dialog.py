"""工具 → 设置…: edit the user settings (desktop/settings.py) — language, advisor, default rule packs, autosave."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QSpinBox, QVBoxLayout, QWidget)

from .settings import AUTOSAVE_MAX, AUTOSAVE_MIN, LANGUAGES, Settings, save_settings

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


class SettingsDialog(QDialog):
    """Shows ``settings``; on OK the edited values are written back into it and saved (``saved`` is then True)."""

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("设置")
        self.settings = settings
        self.saved = False
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.language = QComboBox()
        for code in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        form.addRow("界面语言", self.language)
        self.advisor = QLineEdit(settings.advisor_name)
        self.advisor.setPlaceholderText("新建工作区时填入“科技特派员”")
        form.addRow("科技特派员 / 顾问", self.advisor)
        self.autosave = QSpinBox()
        self.autosave.setRange(AUTOSAVE_MIN, AUTOSAVE_MAX)
        self.autosave.setSuffix(" 秒")
        self.autosave.setValue(settings.autosave_seconds)
        form.addRow("自动保存间隔", self.autosave)
        self.folder = QLabel(settings.last_folder or "（无）")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("上次使用的文件夹", self.folder)
        lay.addLayout(form)
        lay.addWidget(QLabel("默认后补助规则包（每次测算都加上；企业信息中填写的规则包照常使用）："))
        self.packs = QListWidget()
        self._fill_packs()
        lay.addWidget(self.packs, 1)
        self.note = QLabel("界面语言在重新启动后生效。")
        self.note.setStyleSheet("color: #666;")
        lay.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(560, 520)

    def _fill_packs(self) -> None:
        try:
            from calc.subsidy import list_packs
            infos = list_packs(errors=[])
        except Exception:  # noqa: BLE001 — the dialog must open even if the packs cannot be read
            infos = []
        known = set()
        for info in infos:
            known.add(info.id)
            item = QListWidgetItem(f"{info.region} · {info.title}［{ {'solid': '正式', 'provisional': '暂定'}.get(info.confidence, '')}］")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if info.id in self.settings.default_packs
                               else Qt.CheckState.Unchecked)
            self.packs.addItem(item)
        for pid in self.settings.default_packs:          # kept even if the pack is not installed here
            if pid not in known:
                item = QListWidgetItem(f"{pid}  （未找到此规则包）")
                item.setData(Qt.ItemDataRole.UserRole, pid)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                self.packs.addItem(item)

    def values(self) -> dict:
        packs = [self.packs.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.packs.count())
                 if self.packs.item(i).checkState() == Qt.CheckState.Checked]
        return {"language": self.language.currentData(), "advisor_name": self.advisor.text().strip(),
                "autosave_seconds": self.autosave.value(), "default_packs": packs}

    def accept(self) -> None:
        for name, value in self.values().items():
            setattr(self.settings, name, value)
        self.saved = save_settings(self.settings)
        super().accept()
