"""Start the desktop application."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication

from .fonts import ensure_font
from .main_window import MainWindow

I18N = Path(__file__).resolve().parent.parent / "resources" / "i18n"


def current_language() -> str:
    """RD_BENEFIT_LANG wins (zh | en), else the saved setting, else Chinese."""
    env = os.environ.get("RD_BENEFIT_LANG")
    if env in ("zh", "en"):
        return env
    try:
        from .settings import load_settings
        return load_settings().language or "zh"
    except Exception:             # noqa: BLE001 — settings are optional; never block start-up
        return "zh"


def save_language(code: str) -> None:
    from .settings import load_settings, save_settings
    s = load_settings()
    s.language = code
    save_settings(s)


def install_qt_translator(app: QApplication, language: str) -> QTranslator | None:
    """Qt's own dialogs and buttons (file dialogs, OK/Cancel, context menus) in the chosen language: Qt's
    qtbase_*.qm from PySide6's translations folder (review desktop-app #17)."""
    from PySide6.QtCore import QLibraryInfo
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    name = {"zh": "qtbase_zh_CN.qm", "en": "qtbase_en.qm"}.get(language)
    if not name:
        return None
    translator = QTranslator(app)
    if translator.load(str(Path(folder) / name)):
        app.installTranslator(translator)
        return translator
    return None


def install_translator(app: QApplication, language: str) -> QTranslator | None:
    """English: load resources/i18n/rd_benefit_en.qm (Chinese is the source language); Qt's own strings follow
    the chosen language in both cases (:func:`install_qt_translator`)."""
    app._qt_translator = install_qt_translator(app, language)
    if language != "en":
        return None
    translator = QTranslator(app)
    if translator.load(str(I18N / "rd_benefit_en.qm")):
        app.installTranslator(translator)
        return translator
    return None


def run(argv: list[str] | None = None, *, demo: bool = False, path: str | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("研发惠企测算")
    app.setOrganizationName("rd-benefit")
    ensure_font(app)
    install_translator(app, current_language())
    window = MainWindow()
    if demo:
        window.open_sample()
    elif path:
        window.open_path(path)
    if window.too_big_for_screen():
        window.showMaximized()
    else:
        window.show()
    return app.exec()
