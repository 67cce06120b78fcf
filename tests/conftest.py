"""Test-wide settings: Qt runs offscreen (no display needed), and the PySide6/CPython 3.11
reference-count workaround of desktop/__init__.py is active before any Qt call."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import desktop  # noqa: E402,F401  (applies the workaround)
