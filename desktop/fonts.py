"""Register the shipped CJK font so Chinese renders with no system font installed."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

FONT_FILE = Path(__file__).resolve().parent.parent / "resources" / "fonts" / "wqy-microhei.ttc"
_family: str | None = None


def ensure_font(app: QApplication | None = None, size: int = 10) -> str:
    """Register WenQuanYi Micro Hei once and make it the application font; returns the family."""
    global _family
    if _family is None:
        fid = QFontDatabase.addApplicationFont(str(FONT_FILE))
        families = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
        _family = families[0] if families else QApplication.font().family()
    app = app or QApplication.instance()
    if app is not None:
        font = QFont(_family, size)
        app.setFont(font)
    return _family
