"""The per-user configuration folder, in one place (settings, recent files, custom rule packs, ERP presets).

- Windows: ``%APPDATA%\\rd-benefit`` (else ``~/AppData/Roaming/rd-benefit``);
- macOS: ``~/Library/Application Support/rd-benefit``;
- Linux and others: ``$XDG_CONFIG_HOME/rd-benefit`` when that is an absolute path (the XDG rule), else
  ``~/.config/rd-benefit``.

Folders are created on demand by the callers.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "rd-benefit"


def config_dir() -> Path:
    if sys.platform.startswith("win"):
        base = os.environ.get("APPDATA")
        root = Path(base) if base else Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME")
        root = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".config"
    return root / APP_DIR_NAME
