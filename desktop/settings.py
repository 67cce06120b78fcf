"""User settings of the desktop application, kept as JSON in the platform's configuration folder.

    %APPDATA%\\rd-benefit\\settings.json                      (Windows)
    ~/Library/Application Support/rd-benefit/settings.json    (macOS)
    $XDG_CONFIG_HOME/rd-benefit/settings.json  (~/.config/…)   (Linux)

The file is written atomically (a temporary file in the same folder, then ``os.replace``), so a crash
never leaves half a file.  Reading is forgiving: a missing, unreadable, corrupt or foreign file gives
the defaults, a wrong value gives that field's default, and keys written by a newer version are kept
when saving.  Nothing here raises to the caller, and nothing needs Qt.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from forms.workspace import config_dir

FILE_NAME = "settings.json"
LANGUAGES = ("zh", "en")
AUTOSAVE_MIN, AUTOSAVE_MAX = 15, 3600          # seconds
_PACK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


@dataclass
class Settings:
    last_folder: str = ""                 # the folder of the last file opened or saved ("" = the user's home)
    language: str = "zh"                  # interface language: "zh" (source) or "en"
    advisor_name: str = ""                # 科技特派员 / advisor, proposed for new workspaces and the quick estimate
    default_packs: list[str] = field(default_factory=list)   # post-subsidy rule packs added to every evaluation
    autosave_seconds: int = 60            # autosave interval of an open workspace
    extra: dict[str, Any] = field(default_factory=dict, repr=False)   # unknown keys (a newer version's), kept

    @property
    def autosave_ms(self) -> int:
        return self.autosave_seconds * 1000

    def start_folder(self) -> str:
        """The folder to open file dialogs in: the last one if it still exists, else the home folder."""
        if self.last_folder and Path(self.last_folder).is_dir():
            return self.last_folder
        return str(Path.home())

    def remember(self, path: str | Path) -> None:
        """Note the folder of ``path`` (a file, or a folder) as the last folder."""
        p = Path(path)
        folder = p if p.is_dir() else p.parent
        self.last_folder = str(folder.resolve())

    def to_json(self) -> dict:
        data = dict(self.extra)
        data.update({k: v for k, v in asdict(self).items() if k != "extra"})
        return data


_FIELDS = [f.name for f in fields(Settings) if f.name != "extra"]


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def _clean(name: str, value: Any, default: Any) -> Any:
    """``value`` if it is a valid value of field ``name``, else ``default``."""
    if name in ("last_folder", "advisor_name"):
        return value.strip()[:500] if isinstance(value, str) and "\x00" not in value else default
    if name == "language":
        return value if value in LANGUAGES else default
    if name == "default_packs":
        if not isinstance(value, list):
            return default
        return list(dict.fromkeys(v for v in value if isinstance(v, str) and _PACK_ID.match(v)))
    if name == "autosave_seconds":
        if isinstance(value, bool) or not isinstance(value, int):
            return default
        return min(max(value, AUTOSAVE_MIN), AUTOSAVE_MAX)
    return default


def from_json(data: Any) -> Settings:
    """Settings from a decoded JSON document; anything unusable falls back to the default."""
    s = Settings()
    if not isinstance(data, dict):
        return s
    for name in _FIELDS:
        if name in data:
            setattr(s, name, _clean(name, data[name], getattr(s, name)))
    s.extra = {k: v for k, v in data.items() if k not in _FIELDS and isinstance(k, str)}
    return s


def load_settings(path: str | Path | None = None) -> Settings:
    """The saved settings, or the defaults if there are none or the file cannot be used (never raises)."""
    path = Path(path) if path else settings_path()
    try:
        if path.stat().st_size > 1_000_000:        # not ours
            return Settings()
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError, RecursionError):
        return Settings()
    return from_json(data)


def save_settings(s: Settings, path: str | Path | None = None) -> bool:
    """Write ``s`` atomically; ``False`` (and the old file untouched) if it could not be written."""
    path = Path(path) if path else settings_path()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(from_json(s.to_json()).to_json(), ensure_ascii=False, indent=2)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        for attempt in range(5):                    # Windows: a reader (antivirus, backup) may hold the file
            try:
                os.replace(tmp, path)
                tmp = None
                return True
            except PermissionError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
    except (OSError, TypeError, ValueError):
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return False


def update_settings(**changes) -> Settings:
    """Load, change the given fields (validated), save and return the settings."""
    s = load_settings()
    for name, value in changes.items():
        if name not in _FIELDS:
            raise TypeError(f"unknown setting {name!r}")
        setattr(s, name, _clean(name, value, getattr(s, name)))
    save_settings(s)
    return s
