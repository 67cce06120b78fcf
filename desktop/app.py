"""Start the desktop application."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from .fonts import ensure_font
from .main_window import MainWindow


def run(argv: list[str] | None = None, *, demo: bool = False, path: str | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("研发惠企测算")
    app.setOrganizationName("rd-benefit")
    ensure_font(app)
    window = MainWindow()
    if demo:
        window.open_sample()
    elif path:
        window.open_path(path)
    window.show()
    return app.exec()
