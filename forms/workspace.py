"""The workspace file (``.rdw``, 研发惠企工作区): one enterprise per SQLite database.

Layout of a workspace file (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`,
``PRAGMA application_id`` = :data:`APPLICATION_ID`):

* ``meta(key, value)``            app, schema_version, uuid, created, modified, enterprise, revision, kind
* ``profile(field, value)``       one row per filled 企业信息 field
* ``years`` / ``projects`` / ``lines`` / ``adjustments`` / ``facts`` (one per table sheet of
  ``calc.schema.TABLE_COLUMNS``)  ``id`` (stable, never reused), ``position`` (order) and one column per
                                  :mod:`calc.schema` field; values stored exactly: amounts INTEGER 分,
                                  dates ISO text, ratios text (``40%`` or ``1/3``), yes/no 0/1
* ``import_presets(name, kind, mapping, modified)``   column mappings of the import wizard (JSON)
* ``history(id, ts, user, action, tbl, row_id, field, old, new, batch_id, label)``   the audit trail
* ``evidence(field, value)``      留存备查 marks: key ``year|project_no|item_id`` → JSON {present, note, files}
                                  (files relative to the workspace folder); edits are undoable ``set`` ops

Safety model: the file on disk is never edited in place.  :meth:`Workspace.open` copies it (sqlite
backup API) into a private working database in the temp directory; every edit goes there.
:meth:`Workspace.save` and :meth:`Workspace.autosave` write a complete new database next to the
target (``<file>-tmp-…``), fsync it, ``os.replace`` it over the target and fsync the directory, so a
crash or a full disk leaves either the old or the new file, never a mixed one.  ``<file>-autosave``
(``x.rdw-autosave``) holds the unsaved state for crash recovery; ``<file>-lock`` (``x.rdw-lock``) tells
other windows and processes the file is being edited.

The ledger is always computed through :func:`calc.ingest.build_ledger` from the stored rows laid
out as the canonical workbook, so every validation and finding is the one an imported workbook
gets; :meth:`Workspace.locate` maps a finding's sheet/row back to the table, row id and field.

This module must not import Qt: the GUI (``desktop/``) calls it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import getpass
import glob
import hashlib
import inspect
import json
import os
import secrets
import socket
import sqlite3
import tempfile
import threading
import traceback
import uuid
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from calc import schema as S
from calc.ingest import build_ledger, patch_lines
from calc.model import Ledger
from calc.money import AmountError, fen_display, parse_amount, parse_ratio, percent_text
from calc.params import Params
from calc.values import (ValueProblem, clean_text, parse_choice, parse_date, parse_int, parse_year,
                         parse_yesno)

__all__ = [
    "Workspace", "WorkspaceError", "WorkspaceLocked", "WorkspaceReadOnly", "SaveError", "InvalidValue",
    "EXTENSION", "SCHEMA_VERSION", "APPLICATION_ID", "TABLES", "TABLE_SHEETS", "SHEET_TABLES",
    "recent_files", "add_recent", "remove_recent", "config_dir", "display_value", "columns_of",
    "WorkCopyError", "workspace_next_to",
]

EXTENSION = ".rdw"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x52445731          # "RDW1"
APP_NAME = "研发惠企测算"
MAX_RECENT = 10

PROFILE = "profile"
DAMAGED_VALUE = "（内容已损坏，无法识别）"


def _profile_value(value):
    """A stored 企业信息 value as the app reads it: a BLOB (only a damaged or tampered file has one) is read as
    UTF-8 text when it is that, else shown as damaged — never as b'…' and never megabytes of escapes (C6)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return DAMAGED_VALUE
    return value
EVIDENCE = "evidence"                 # key-value table of 留存备查 marks (same layout as profile)
_KV_TABLES = (PROFILE, EVIDENCE)
_PRIVATE_UNSET = object()             # "argument not given" of set_evidence
# one table per table sheet of calc.schema (a sheet added there gets a table, and a column per field)
_TABLE_NAMES = {S.SHEET_YEARS: "years", S.SHEET_PROJECTS: "projects", S.SHEET_LINES: "lines",
                S.SHEET_ADJUSTMENTS: "adjustments", getattr(S, "SHEET_FACTS", "补助测算信息"): "facts",
                "人员工时": "timesheets", "人员薪酬": "payroll", "设备折旧": "equipment", "设备工时": "equipment_hours"}
TABLES: dict[str, tuple[S.Column, ...]] = {
    _TABLE_NAMES.get(sheet, f"sheet{i}"): cols for i, (sheet, cols) in enumerate(S.TABLE_COLUMNS.items())}
TABLE_SHEETS = {PROFILE: S.SHEET_PROFILE,
                **{_TABLE_NAMES.get(sheet, f"sheet{i}"): sheet for i, sheet in enumerate(S.TABLE_COLUMNS)}}
SHEET_TABLES = {v: k for k, v in TABLE_SHEETS.items()}
_PROFILE_COLS = {c.field: c for c in S.PROFILE_FIELDS}
_COLS = {t: {c.field: c for c in cols} for t, cols in TABLES.items()}
_HEADERS = {t: {c.header: c.field for c in cols} for t, cols in TABLES.items()}
_PROFILE_HEADERS = {c.header: c.field for c in S.PROFILE_FIELDS}
_INTEGER_KINDS = (S.AMOUNT, S.INT, S.YEAR, S.YESNO)
_CHUNK = 500                          # SQL parameters per IN (...) query


# =========================================================================== errors

class WorkspaceError(Exception):
    """A workspace operation failed; ``str(e)`` is one Chinese sentence for the user."""


class WorkspaceLocked(WorkspaceError):
    """Another window or process is editing the file.  ``user``, ``host``, ``pid``, ``since`` say who/when;
    the GUI offers :meth:`Workspace.open` with ``readonly=True``."""

    def __init__(self, path: Path, holder: dict | None):
        holder = holder or {}
        self.path = Path(path)
        self.holder = dict(holder)
        self.user = holder.get("user") or "未知用户"
        self.host = holder.get("host") or "未知计算机"
        self.pid = holder.get("pid")
        self.since = holder.get("time") or ""
        #: the lock was written on another computer: this one cannot tell whether that program still runs, so
        #: the user may take the lock over (:meth:`Workspace.take_over_lock`) once sure nobody edits there (M12)
        self.foreign = bool(holder) and holder.get("host") != socket.gethostname()
        when = self.since.replace("T", " ")[:19] if self.since else "未知时间"
        text = (f"工作区“{self.path.name}”正在被 {self.user}（计算机 {self.host}，进程 {self.pid}）"
                f"自 {when} 起编辑，只能以只读方式打开")
        if self.foreign:
            text += (f"。如确认对方已不再编辑（例如对方电脑上的程序已异常退出），可选择“接管编辑”，"
                     f"或删除同一文件夹中的“{_sidecar(self.path, '-lock').name}”后重新打开")
        super().__init__(text)


class WorkspaceReadOnly(WorkspaceError):
    """An edit or save on a workspace opened read-only; also raised by :meth:`Workspace.open` when the
    folder does not allow the lock file (the GUI then offers read-only, as for :class:`WorkspaceLocked`)."""


class SaveError(WorkspaceError):
    """Writing the file failed.  The file on disk is unchanged and the edits are still in the workspace."""


class WorkCopyError(WorkspaceError, sqlite3.OperationalError):
    """The working copy in the temp folder could not be written (full disk, I/O error): the change was rolled back
    and not made.  Also an ``sqlite3.OperationalError``, so code that tolerated the raw error still does."""


def _work_copy_message(exc: BaseException) -> str:
    reason = _reason(exc)
    where = tempfile.gettempdir()
    if reason == "磁盘空间不足":
        return (f"临时文件夹“{where}”所在磁盘空间已满，本次修改未能记录，已撤回：请清理磁盘空间后重试"
                "（已有的修改仍在，可先“另存为”到其他磁盘）")
    return f"工作副本（临时文件夹“{where}”）读写失败（{reason}），本次修改未能记录，已撤回"


class InvalidValue(ValueError):
    """A value the user typed cannot be stored; ``str(e)`` is a Chinese message. Nothing was written."""

    def __init__(self, message: str, table: str | None = None, field: str | None = None, value: object = None):
        super().__init__(message)
        self.table, self.field, self.value = table, field, value


# =========================================================================== values

def columns_of(table: str) -> tuple[S.Column, ...]:
    """The :mod:`calc.schema` columns of a table (``profile`` gives the 企业信息 fields)."""
    if table == PROFILE:
        return S.PROFILE_FIELDS
    try:
        return TABLES[table]
    except KeyError:
        raise WorkspaceError(f"没有名为“{table}”的表") from None


def _column(table: str, field: str) -> S.Column:
    cols = _PROFILE_COLS if table == PROFILE else _COLS.get(table)
    if cols is None:
        raise WorkspaceError(f"没有名为“{table}”的表")
    col = cols.get(field)
    if col is None:
        headers = _PROFILE_HEADERS if table == PROFILE else _HEADERS[table]
        if field in headers:
            return cols[headers[field]]
        raise InvalidValue(f"“{TABLE_SHEETS[table]}”没有字段“{field}”", table, field)
    return col


def _parser(col: S.Column) -> Callable[[object], object]:
    """The importer's parser for a column, with the result in stored form (fast paths for common types)."""
    kind = col.kind
    if kind == S.AMOUNT:
        def amount(value):
            if type(value) is Decimal and value.is_finite():
                q = value.scaleb(2)
                if q == q.to_integral_value():
                    return int(q)
            return parse_amount(value)
        return amount
    if kind == S.DATE:
        def date(value):
            if type(value) is dt.date:
                return value.isoformat()
            d = parse_date(value)
            return None if d is None else d.isoformat()
        return date
    if kind == S.YESNO:
        def yesno(value):
            b = parse_yesno(value)
            return None if b is None else int(b)
        return yesno
    if kind == S.INT:
        return parse_int
    if kind == S.YEAR:
        return parse_year
    if kind == S.RATIO:
        def ratio(value):
            r = parse_ratio(value)
            return None if r is None else percent_text(r)
        return ratio
    if col.choices:
        exact = frozenset(col.choices)
        choices = col.choices

        def choice(value):
            if type(value) is str and value in exact:
                return value
            return parse_choice(value, choices)
        return choice

    def text(value):
        if type(value) is str:
            return value.strip() or None
        return clean_text(value)
    return text


_PARSERS: dict[int, Callable] = {}


def _parser_of(col: S.Column) -> Callable[[object], object]:
    fn = _PARSERS.get(id(col))
    if fn is None:
        fn = _PARSERS[id(col)] = _parser(col)
    return fn


def to_storage(col: S.Column, value: object, table: str | None = None):
    """A value as typed (or a cell value) → the stored form, validated with the importer's parsers
    (:func:`calc.money.parse_amount`, :mod:`calc.values`).  Raises :class:`InvalidValue` (a ``ValueError``)
    with a Chinese message such as ``会计金额：金额“12,3a”无法识别``."""
    if value is None or (type(value) is str and not value.strip()):
        return None
    try:
        return _parser_of(col)(value)
    except (AmountError, ValueProblem) as exc:
        raise InvalidValue(f"{col.header}：{exc}", table, col.field, value) from None


def cell_value(col: S.Column, stored):
    """A stored value → the raw cell value of the canonical workbook (Decimal 元, date, bool, int, text)."""
    if stored is None:
        return None
    kind = col.kind
    try:
        if kind == S.AMOUNT and isinstance(stored, int):
            return Decimal(stored).scaleb(-2)
        if kind == S.DATE and isinstance(stored, str):
            return dt.date.fromisoformat(stored)
        if kind == S.YESNO and isinstance(stored, int):
            return bool(stored)
    except ValueError:
        pass
    return stored          # anything unexpected goes to the importer as is, which reports it


def display_value(table: str, field: str, stored) -> str:
    """The text a table cell shows for a stored value (``1,234.56``, ``2024-03-05``, 是/否, ``40%``)."""
    if stored is None:
        return ""
    kind = _column(table, field).kind
    if kind == S.AMOUNT and isinstance(stored, int):
        return fen_display(stored)
    if kind == S.YESNO and isinstance(stored, int):
        return "是" if stored else "否"
    return str(stored)


# =========================================================================== small file helpers

def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:       # no login name (service, odd Windows setups)
        return os.environ.get("USERNAME") or os.environ.get("USER") or "未知用户"


_NAME_MAX = 255            # bytes of one file name (Linux, macOS; Windows counts UTF-16 units, never more)
_SIDE_RESERVE = 48         # the longest suffix of a sibling: "-autosave-tmp-<pid>-<8 hex>-journal"
_TMP_RESERVE = 41          # "-tmp-<pid up to 10 digits>-<8 hex>-journal"


def _name_bytes(name: str) -> int:
    return len(name.encode("utf-8", "surrogatepass"))


def _side_base(path: Path) -> str:
    """The stem of the sibling files of a workspace (``-lock``, ``-autosave``, temp files): its name, or for a
    long name (review D4: 74 hanzi and more) its start and a hash, so every sibling name fits in 255 bytes."""
    name = path.name
    if _name_bytes(name) + _SIDE_RESERVE <= _NAME_MAX:
        return name
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    keep = name.encode("utf-8", "surrogatepass")[:_NAME_MAX - _SIDE_RESERVE - 9].decode("utf-8", "ignore")
    return f"{keep}~{digest}"


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(_side_base(path) + suffix)


def _real_target(path: Path) -> Path:
    """Where a workspace really is: a symbolic link (for example into a synced folder) is followed, so saving
    replaces the file it points to and the link stays (review D3)."""
    if os.path.islink(path):
        return Path(os.path.realpath(path))
    return path


def _check_name_length(path: Path) -> None:
    n = _name_bytes(path.name)
    if n > _NAME_MAX:
        raise WorkspaceError(f"文件名“{path.name[:20]}…”过长（{n} 字节，系统上限 {_NAME_MAX} 字节）：请用较短的文件名")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":       # directories cannot be opened for fsync on Windows; NTFS journals the rename
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:    # some file systems refuse fsync on a directory
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _unlink_quiet(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _tmp_name(target: Path) -> Path:
    base = target.name if _name_bytes(target.name) + _TMP_RESERVE <= _NAME_MAX else _side_base(target)
    return target.with_name(f"{base}-tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _create_exclusive(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    os.close(fd)


def _write_copy(conn: sqlite3.Connection, tmp: Path) -> None:
    """A complete copy of the working database as a new file (sqlite backup API)."""
    _create_exclusive(tmp)
    dst = sqlite3.connect(str(tmp))
    try:
        conn.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.commit()
    finally:
        dst.close()


def _atomic_sqlite_copy(conn: sqlite3.Connection, target: Path) -> None:
    """write tmp → fsync tmp → replace → fsync directory.  The target is the old or the new file, always."""
    tmp = _tmp_name(target)
    try:
        _write_copy(conn, tmp)
        with contextlib.suppress(OSError):
            os.chmod(tmp, os.stat(target).st_mode & 0o777)    # keep the permissions of the file replaced
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        _unlink_quiet(tmp)
        raise


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    tmp = _tmp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        _unlink_quiet(tmp)
        raise


_REASONS = {errno.ENOSPC: "磁盘空间不足", errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限",
            errno.EROFS: "所在位置为只读", errno.ENOENT: "文件夹不存在", errno.EIO: "磁盘读写错误",
            getattr(errno, "EDQUOT", -1): "超出磁盘配额", errno.ENAMETOOLONG: "文件名过长"}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return _REASONS.get(exc.errno, exc.strerror or str(exc))
    text = str(exc).lower()
    if "full" in text:
        return "磁盘空间不足"
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return "无法在该位置创建文件（没有写入权限或位置为只读）"
    if "disk i/o" in text:
        return "磁盘读写错误"
    return str(exc)


def workspace_next_to(source: str | os.PathLike, folders: Sequence[str | os.PathLike] = ()) -> tuple[Path, bool]:
    """Where to create the workspace of a workbook opened in the app: ``(path, beside)``.  Next to the
    workbook when that folder is writable (``beside`` True); else, for a workbook on a read-only location (a
    USB stick, a share, review M3), in the first writable folder of ``folders`` (the caller's last folder, the
    home folder).  The name never replaces an existing file (``台账(2).rdw`` …)."""
    source = Path(os.path.abspath(source))
    candidates = [source.parent] + [Path(f) for f in folders]
    for i, folder in enumerate(candidates):
        if not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
            continue
        target = folder / (source.stem + EXTENSION)
        n = 2
        while target.exists() or os.path.lexists(target):
            target = folder / f"{source.stem}({n}){EXTENSION}"
            n += 1
        return target, i == 0
    raise WorkspaceError(f"“{source.parent}”为只读位置，且找不到可写的文件夹来建立工作区：请把“{source.name}”"
                         "复制到可写的文件夹（如“文档”）后再打开")


# =========================================================================== the lock

_HELD_LOCKS: set[str] = set()          # tokens of the locks this process holds


def _boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return None


def _proc_start(pid: int) -> str | None:
    """The start time of a process (Linux), to tell a reused pid from the original process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)    # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5              # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259                         # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _read_lock(lock: Path) -> dict | None:
    try:
        with open(lock, "rb") as fh:
            data = fh.read(4096)
        info = json.loads(data.decode("utf-8"))
        return info if isinstance(info, dict) else None
    except (OSError, ValueError):
        return None


def _lock_is_stale(info: dict | None, lock: Path) -> bool:
    if info is None:      # empty or garbled: a writer that died between create and write, or is writing now
        try:
            return dt.datetime.now().timestamp() - os.stat(lock).st_mtime > 30
        except OSError:
            return True
    if info.get("host") != socket.gethostname():
        return False      # cannot check a process on another computer
    boot = _boot_id()
    if boot and info.get("boot") and info["boot"] != boot:
        return True       # written before the last reboot
    pid = info.get("pid")
    if not isinstance(pid, int):
        return False
    if pid == os.getpid():
        return info.get("token") not in _HELD_LOCKS
    if not _pid_alive(pid):
        return True
    start = info.get("start")
    return bool(start) and _proc_start(pid) not in (None, start)


def _acquire_lock(path: Path) -> dict:
    lock = _sidecar(path, "-lock")
    info = {"app": APP_NAME, "pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
            "time": _now(), "token": uuid.uuid4().hex, "boot": _boot_id(), "start": _proc_start(os.getpid())}
    data = json.dumps(info, ensure_ascii=False).encode("utf-8")
    holder = None
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        except FileExistsError:
            holder = _read_lock(lock)
            if not _lock_is_stale(holder, lock):
                raise WorkspaceLocked(path, holder) from None
            _break_stale_lock(lock, holder, path)
            continue
        except OSError as exc:
            raise WorkspaceReadOnly(f"无法在“{path.parent}”创建锁文件（{_reason(exc)}），只能以只读方式打开") from None
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        _HELD_LOCKS.add(info["token"])
        return info
    raise WorkspaceLocked(path, holder)


def _break_stale_lock(lock: Path, seen: dict | None, path: Path) -> None:
    """Move a stale lock aside, making sure it is the one we judged stale and not a fresh one."""
    aside = lock.with_name(f"{lock.name}-stale-{os.getpid()}-{secrets.token_hex(4)}")   # fits: _SIDE_RESERVE
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WorkspaceError(f"无法解除过期的锁文件“{lock.name}”（{_reason(exc)}）") from None
    moved = _read_lock(aside)
    if seen is not None and moved != seen:       # someone took the lock between our read and the rename
        with contextlib.suppress(OSError):
            os.link(aside, lock)
        _unlink_quiet(aside)
        raise WorkspaceLocked(path, moved)
    _unlink_quiet(aside)


def _release_lock(path: Path, info: dict | None) -> None:
    if not info:
        return
    lock = _sidecar(path, "-lock")
    current = _read_lock(lock)
    if current and current.get("token") == info["token"]:
        _unlink_quiet(lock)
    _HELD_LOCKS.discard(info["token"])


# =========================================================================== file validation

def _connect_ro(path: Path) -> sqlite3.Connection:
    uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _read_meta(path: Path, *, check: bool = False) -> dict:
    """Meta of a workspace file; raises WorkspaceError for anything that is not an intact workspace."""
    name = Path(path).name
    try:
        conn = _connect_ro(path)
    except sqlite3.Error:
        raise WorkspaceError(f"无法打开文件“{name}”") from None
    try:
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if check:
                result = conn.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":       # one line for the user, not the PRAGMA's page-by-page report (M1)
                    raise WorkspaceError(_DAMAGED.format(name=name, what="数据库结构校验未通过"))
                have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                missing = [t for t in _CORE_TABLES if t not in have]
                if missing:              # a table every workspace has had since format 1 (D5)
                    what = "、".join(f"“{TABLE_SHEETS.get(t, t)}”" for t in missing)
                    raise WorkspaceError(_DAMAGED.format(name=name, what=f"缺少数据表 {what}"))
        except (sqlite3.DatabaseError, UnicodeDecodeError):     # (damaged text bytes fail to decode)
            raise WorkspaceError(f"文件“{name}”不是研发惠企工作区文件，或已损坏") from None
    finally:
        conn.close()
    if app_id != APPLICATION_ID or meta.get("app") != APP_NAME:
        raise WorkspaceError(f"文件“{name}”不是研发惠企工作区文件")
    if version > SCHEMA_VERSION:
        raise WorkspaceError(f"工作区“{name}”由更新版本的程序创建（格式版本 {version}），请升级程序后再打开")
    meta["_user_version"] = version
    return meta


_DAMAGED = ("工作区文件“{name}”已损坏（{what}），未打开：请改用备份，或同一文件夹中的“-autosave”自动保存副本"
            "（复制一份并把扩展名改为 .rdw 后打开）")
# tables of every workspace since format 1: one missing means the file was damaged or tampered with, not an
# older format (tables added to calc.schema later are created by _migrate)
_CORE_TABLES = ("meta", "profile", "history", "import_presets", "years", "projects", "lines", "adjustments")


def _revision(meta: dict) -> int:
    try:
        return int(meta.get("revision") or 0)
    except (TypeError, ValueError):
        return 0


def _cleanup_orphan_work_files() -> None:
    """Working copies left in the temp directory by processes that died."""
    tmpdir = Path(tempfile.gettempdir())
    try:
        candidates = list(tmpdir.glob("rdw-*-*.rdw-work"))
    except OSError:
        return
    for f in candidates:
        try:
            pid = int(f.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            _unlink_quiet(f)
            for extra in ("-journal", "-wal", "-shm"):
                _unlink_quiet(_sidecar(f, extra))


# =========================================================================== schema

def _sql_type(col: S.Column) -> str:
    return "INTEGER" if col.kind in _INTEGER_KINDS else "TEXT"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create_table(conn: sqlite3.Connection, table: str) -> None:
    body = ", ".join(f"{_q(c.field)} {_sql_type(c)}" for c in TABLES[table])
    conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, position INTEGER NOT NULL, {body})")
    conn.execute(f"CREATE INDEX {table}_position ON {table}(position)")


def _create_schema(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
    conn.execute("CREATE TABLE profile (field TEXT PRIMARY KEY, value)")
    for table in TABLES:
        _create_table(conn, table)
    conn.execute("CREATE TABLE import_presets (name TEXT PRIMARY KEY, kind TEXT NOT NULL, mapping TEXT NOT NULL,"
                 " modified TEXT)")
    conn.execute("CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, user TEXT,"
                 " action TEXT NOT NULL, tbl TEXT, row_id INTEGER, field TEXT, old, new, batch_id INTEGER,"
                 " label TEXT)")
    conn.execute("CREATE INDEX history_batch ON history(batch_id)")
    _migrate_evidence(conn)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _migrate_evidence(conn: sqlite3.Connection) -> None:
    """Migration step “evidence” (issue #9 item 3): the 留存备查 marks table.  Additive and idempotent, so it
    needs no schema version of its own: files written before it simply get the empty table, and an older
    program opening a newer file ignores the table."""
    conn.execute("CREATE TABLE IF NOT EXISTS evidence (field TEXT PRIMARY KEY, value)")


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring an older (or same-version, fewer-column) workspace up to the current schema."""
    _migrate_evidence(conn)
    for table, cols in TABLES.items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if not have:                      # a table sheet added to calc.schema after the file was written
            _create_table(conn, table)
            continue
        for c in cols:
            if c.field not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {_q(c.field)} {_sql_type(c)}")
    if version < SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))


# =========================================================================== commands

class _Op:
    """One primitive change.  ``set``: a cell (or a profile field, row_id None); ``insert`` / ``delete``:
    whole rows with their ids and positions; ``shift`` = (position, n) when an insert moved later rows."""
    __slots__ = ("kind", "table", "row_id", "field", "old", "new", "rows", "shift")

    def __init__(self, kind, table, row_id=None, field=None, old=None, new=None, rows=None, shift=None):
        self.kind, self.table, self.row_id, self.field = kind, table, row_id, field
        self.old, self.new, self.rows, self.shift = old, new, rows, shift


class _Command:
    __slots__ = ("label", "ops", "serial", "batch_id")

    def __init__(self, label: str, serial: int):
        self.label, self.ops, self.serial, self.batch_id = label, [], serial, None


# =========================================================================== the workspace

class Workspace:
    """An open workspace.  Create with :meth:`create` or :meth:`open`; close with :meth:`close`
    (or use it as a context manager).  Thread-safe: every method takes an internal lock."""

    # ---------------------------------------------------------------- construction

    def __init__(self, *, _token=None):
        if _token is not _PRIVATE:
            raise TypeError("use Workspace.create() or Workspace.open()")
        self._mutex = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._work: Path | None = None
        self._path: Path | None = None
        self._lock_info: dict | None = None
        self._readonly = False
        self._user = _user()
        self._undo: list[_Command] = []
        self._redo: list[_Command] = []
        self._serial = 0
        self._saved_token = 0
        self._extra_dirty = False
        self._version = 0                 # bumps on every change of the working database
        self._autosaved_version = 0
        self._revision = 0
        self._disk_mark: tuple | None = None    # (uuid, revision) of the file as last opened or saved
        self._batch: _Command | None = None
        self._depth = 0
        self._events: list = []
        self._listeners: list[Callable] = []
        self._ledger_cache: tuple | None = None
        self._journal: list[tuple] = []   # (version, table, kind, row ids, field) of recent changes
        self._ledger_index: tuple = (None, {})   # (rowmap, row id → position in its 研发支出)
        self._rowmap: dict[str, list[int]] = {}
        self._next_batch_id = 1
        self._closed = False
        self._owns_autosave = True        # False while an autosave of an earlier session is left alone

    @classmethod
    def create(cls, path: str | os.PathLike, ledger: Ledger | None = None, *, overwrite: bool = False,
               user: str | None = None) -> "Workspace":
        """A new workspace file at ``path`` (optionally filled from a ledger), saved at once and left open."""
        path = _real_target(Path(os.path.abspath(path)))
        _check_name_length(path)
        if path.exists() and not overwrite:
            raise WorkspaceError(f"文件“{path.name}”已存在")
        ws = cls(_token=_PRIVATE)
        if user:
            ws._user = user
        ws._path = path
        ws._lock_info = _acquire_lock(path)
        try:
            ws._new_work_db()
            with ws._txn():
                _create_schema(ws._conn)
                now = _now()
                ws._conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", [
                    ("app", APP_NAME), ("schema_version", SCHEMA_VERSION), ("uuid", uuid.uuid4().hex),
                    ("created", now), ("modified", now), ("enterprise", None), ("revision", 0),
                    ("kind", "file")])
            if ledger is not None:
                ws._fill_from_rows(_ledger_rows(ledger), replace=True, label="新建工作区")
                ws._undo.clear()
            ws._log_plain("create", label="新建工作区")
            _unlink_quiet(_sidecar(path, "-autosave"))
            ws.save()
        except BaseException:
            ws._teardown()
            raise
        return ws

    @classmethod
    def open(cls, path: str | os.PathLike, *, readonly: bool = False, recover: bool | None = None,
             user: str | None = None) -> "Workspace":
        """Open a workspace file.

        ``readonly``: no lock is taken and edits are refused (the GUI's answer to :class:`WorkspaceLocked`).
        ``recover``: ``True`` opens the state of ``<file>-autosave`` when :meth:`recovery_available`;
        ``False`` discards that autosave (the user declined); ``None`` leaves it alone.
        Raises :class:`WorkspaceLocked` when another window or process holds the lock.
        A symbolic link is followed: the workspace is the file it points to (saving keeps the link)."""
        path = _real_target(Path(os.path.abspath(path)))
        _check_name_length(path)
        if not path.exists():
            raise WorkspaceError(f"文件“{path.name}”不存在")
        ws = cls(_token=_PRIVATE)
        if user:
            ws._user = user
        ws._path = path
        try:
            if not readonly:
                ws._lock_info = _acquire_lock(path)
                ws._cleanup_tmp(path)
                _cleanup_orphan_work_files()
            meta = _read_meta(path, check=True)
            source = path
            ws._revision = _revision(meta)
            ws._disk_mark = (meta.get("uuid"), ws._revision)
            ws._owns_autosave = recover is not None
            if not readonly and recover is not None:
                auto = _sidecar(path, "-autosave")
                if recover and cls._valid_autosave(path, meta):
                    auto_meta = _read_meta(auto, check=True)
                    source, ws._revision = auto, max(ws._revision, _revision(auto_meta))
                    ws._extra_dirty = True
                elif not recover:
                    _unlink_quiet(auto)
            ws._readonly = readonly
            ws._new_work_db(source)
            with ws._txn():
                _migrate(ws._conn, meta["_user_version"])
                ws._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('kind', 'file')")
            ws._next_batch_id = (ws._conn.execute("SELECT MAX(batch_id) FROM history").fetchone()[0] or 0) + 1
            if source != path:
                ws._log_plain("recover", label="从自动保存恢复")
        except BaseException:
            ws._teardown()
            raise
        ws._autosaved_version = ws._version
        return ws

    @staticmethod
    def take_over_lock(locked: "WorkspaceLocked") -> None:
        """Remove the lock another computer left (its program crashed) after the user confirmed that nobody
        edits the file there; only the very lock shown to the user is removed (a newer one raises
        :class:`WorkspaceLocked` again).  Then :meth:`open` as usual."""
        path = _real_target(Path(os.path.abspath(locked.path)))
        lock = _sidecar(path, "-lock")
        current = _read_lock(lock)
        if current is None:
            if lock.exists() and not _lock_is_stale(None, lock):
                raise WorkspaceLocked(path, None)
        elif current != locked.holder:
            raise WorkspaceLocked(path, current)
        _break_stale_lock(lock, current, path)

    @staticmethod
    def recovery_available(path: str | os.PathLike) -> dt.datetime | None:
        """When ``<file>-autosave`` holds unsaved work newer than the file: the time of that autosave."""
        path = _real_target(Path(os.path.abspath(path)))
        try:
            meta = _read_meta(path) if path.exists() else {}
        except WorkspaceError:
            meta = {}
        if not Workspace._valid_autosave(path, meta):
            return None
        auto = _read_meta(_sidecar(path, "-autosave"))
        try:
            return dt.datetime.fromisoformat(auto.get("modified"))
        except (TypeError, ValueError):
            return dt.datetime.fromtimestamp(os.stat(_sidecar(path, "-autosave")).st_mtime).astimezone()

    @staticmethod
    def _valid_autosave(path: Path, meta: dict) -> bool:
        auto = _sidecar(path, "-autosave")
        if not auto.exists():
            return False
        try:
            auto_meta = _read_meta(auto)
        except WorkspaceError:
            return False
        if meta.get("uuid") and auto_meta.get("uuid") != meta.get("uuid"):
            return False
        return _revision(auto_meta) > _revision(meta)

    def _new_work_db(self, source: Path | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix=f"rdw-{os.getpid()}-", suffix=".rdw-work")
        os.close(fd)
        self._work = Path(name)
        conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
        self._conn = conn
        if source is not None:
            src = _connect_ro(source)
            try:
                src.backup(conn)
            except sqlite3.DatabaseError:
                raise WorkspaceError(f"文件“{source.name}”不是研发惠企工作区文件，或已损坏") from None
            finally:
                src.close()
        conn.execute("PRAGMA journal_mode=MEMORY")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")

    def _cleanup_tmp(self, path: Path) -> None:
        """Half-written temp files of a save or autosave that crashed (we hold the lock: nobody writes them)."""
        name, base = glob.escape(path.name), glob.escape(_side_base(path))
        for pattern in (f"{name}-tmp-*", f"{base}-tmp-*", f"{base}-autosave-tmp-*", f"{base}-lock-stale-*"):
            with contextlib.suppress(OSError):
                for f in path.parent.glob(pattern):
                    _unlink_quiet(f)

    def _teardown(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        if self._work is not None:
            _unlink_quiet(self._work)
            _unlink_quiet(_sidecar(self._work, "-journal"))
            self._work = None
        if self._lock_info is not None and self._path is not None:
            _release_lock(self._path, self._lock_info)
        elif self._lock_info is not None:
            _HELD_LOCKS.discard(self._lock_info["token"])
        self._lock_info = None
        self._closed = True

    def close(self, *, discard: bool = False) -> None:
        """Close the workspace and release the lock.  With unsaved changes a final autosave is kept for
        recovery, unless ``discard=True`` (the user chose “不保存”).  Otherwise the autosave is removed — except
        an earlier session's autosave that this one, opened with ``recover=None``, never touched."""
        with self._mutex:
            if self._closed:
                return
            try:
                if not self._readonly and self._path is not None and self._conn is not None:
                    if self.dirty and not discard:
                        with contextlib.suppress(WorkspaceError):
                            self.autosave()
                    elif self._owns_autosave:
                        _unlink_quiet(_sidecar(self._path, "-autosave"))
            finally:
                self._teardown()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- state

    @property
    def path(self) -> Path:
        return self._path

    @property
    def readonly(self) -> bool:
        return self._readonly

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def dirty(self) -> bool:
        """Unsaved changes (undoing back to the saved state makes it clean again)."""
        return self._extra_dirty or self._token() != self._saved_token

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) and not self._readonly

    @property
    def can_redo(self) -> bool:
        return bool(self._redo) and not self._readonly

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    @property
    def last_batch_id(self) -> int | None:
        """The audit-trail batch id of the last undoable command (to link a :meth:`log_event` to it)."""
        return self._undo[-1].batch_id if self._undo else None

    @property
    def version(self) -> int:
        """Bumps on every change of the data (views and caches compare it)."""
        return self._version

    def meta(self) -> dict:
        with self._mutex:
            self._check_open()
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    def _token(self) -> int:
        return self._undo[-1].serial if self._undo else 0

    def _check_open(self) -> None:
        if self._closed or self._conn is None:
            raise WorkspaceError("工作区已关闭")

    def _check_writable(self) -> None:
        self._check_open()
        if self._readonly:
            raise WorkspaceReadOnly(f"工作区“{self._path.name}”以只读方式打开，不能修改")

    def subscribe(self, listener: Callable[[str, str, tuple, str | None], None]) -> Callable[[], None]:
        """``listener(table, kind, row_ids, field)`` after every committed change (kind: set / insert / delete /
        reset); returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---------------------------------------------------------------- reading

    def profile(self) -> dict:
        """field → stored value of every filled 企业信息 field."""
        with self._mutex:
            self._check_open()
            return {field: _profile_value(value)
                    for field, value in self._conn.execute("SELECT field, value FROM profile").fetchall()}

    def count(self, table: str) -> int:
        columns_of(table)
        with self._mutex:
            self._check_open()
            if table == PROFILE:
                return self._conn.execute("SELECT COUNT(*) FROM profile").fetchone()[0]
            return self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def _fields(self, table: str) -> list[str]:
        return [c.field for c in TABLES[table]]

    def rows(self, table: str) -> list[dict]:
        """Every row of a table in order, as dicts of stored values with ``id``."""
        ids, cols = self.column_arrays(table)
        names = list(cols)
        return [dict(zip(["id", *names], vals)) for vals in zip(ids, *(cols[n] for n in names))]

    def row(self, table: str, row_id: int) -> dict | None:
        if table not in TABLES:
            raise WorkspaceError(f"没有名为“{table}”的表")
        with self._mutex:
            self._check_open()
            fields = self._fields(table)
            r = self._conn.execute(f"SELECT id, {', '.join(map(_q, fields))} FROM {table} WHERE id = ?",
                                   (row_id,)).fetchone()
            return None if r is None else dict(zip(["id", *fields], r))

    def column_arrays(self, table: str, fields: Sequence[str] | None = None) -> tuple[list[int], dict[str, list]]:
        """``(ids, {field: values})`` in table order: what a model/view over column arrays needs (``fields``:
        only these columns)."""
        if table not in TABLES:
            raise WorkspaceError(f"没有名为“{table}”的表")
        fields = self._fields(table) if fields is None else [_column(table, f).field for f in fields]
        with self._mutex:
            self._check_open()
            data = self._conn.execute(
                f"SELECT {', '.join(['id', *map(_q, fields)])} FROM {table} ORDER BY position, id").fetchall()
        if not data:
            return [], {f: [] for f in fields}
        return [r[0] for r in data], {f: [r[i] for r in data] for i, f in enumerate(fields, start=1)}

    def read_rows(self, table: str, fields: Sequence[str], after: tuple[int, int] | None = None,
                  limit: int = 20_000) -> list[tuple]:
        """Up to ``limit`` rows in table order after the row at ``after`` = (position, id), as
        ``(position, id, *values of fields)`` — a table read in slices."""
        if table not in TABLES:
            raise WorkspaceError(f"没有名为“{table}”的表")
        names = ", ".join(["position", "id", *(_q(_column(table, f).field) for f in fields)])
        with self._mutex:
            self._check_open()
            if after is None:
                return self._conn.execute(f"SELECT {names} FROM {table} ORDER BY position, id LIMIT ?",
                                          (limit,)).fetchall()
            return self._conn.execute(f"SELECT {names} FROM {table} WHERE (position, id) > (?, ?) "
                                      f"ORDER BY position, id LIMIT ?", (*after, limit)).fetchall()

    def rows_by_id(self, table: str, ids: Sequence[int]) -> dict[int, tuple]:
        """``{id: (stored values in field order)}`` of the given rows (those that exist)."""
        if table not in TABLES:
            raise WorkspaceError(f"没有名为“{table}”的表")
        fields = ", ".join(map(_q, self._fields(table)))
        out: dict[int, tuple] = {}
        with self._mutex:
            self._check_open()
            ids = list(ids)
            for k in range(0, len(ids), _CHUNK):
                chunk = ids[k:k + _CHUNK]
                for r in self._conn.execute(f"SELECT id, {fields} FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})",
                                            chunk):
                    out[r[0]] = r[1:]
        return out

    def integer_sum(self, table: str, field: str) -> int:
        """Σ of the integer values of a column (amounts in 分), exact."""
        col = _column(table, field)
        with self._mutex:
            self._check_open()
            try:
                return self._conn.execute(
                    f"SELECT SUM({_q(col.field)}) FROM {table} WHERE typeof({_q(col.field)}) = 'integer'").fetchone()[0] or 0
            except sqlite3.OperationalError:          # beyond 64 bits: add them up here
                return sum(r[0] for r in self._conn.execute(
                    f"SELECT {_q(col.field)} FROM {table} WHERE typeof({_q(col.field)}) = 'integer'"))

    def history(self, limit: int | None = 200) -> list[dict]:
        """The audit trail, newest first."""
        with self._mutex:
            self._check_open()
            sql = ("SELECT id, ts, user, action, tbl, row_id, field, old, new, batch_id, label FROM history "
                   "ORDER BY id DESC")
            cur = self._conn.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
            keys = ("id", "ts", "user", "action", "table", "row_id", "field", "old", "new", "batch_id", "label")
            out = []
            for r in cur.fetchall():
                d = dict(zip(keys, r))
                if d["action"] in ("insert", "delete", "import"):
                    d["old"], d["new"] = _unpack(d["old"]), _unpack(d["new"])
                out.append(d)
            return out

    # ---------------------------------------------------------------- the ledger

    def sheets(self) -> tuple[dict[str, list[list]], dict[str, list[int]]]:
        """The stored rows laid out as the raw cells of the canonical workbook (header in row 1), and the
        row ids in sheet order (Excel row ``r`` of a table is ``ids[r - 2]``)."""
        with self._mutex:
            self._check_open()
            prof = self.profile()
            sheets: dict[str, list[list]] = {S.SHEET_PROFILE: [["字段", "值"]] + [
                [c.header, cell_value(c, prof.get(c.field))] for c in S.PROFILE_FIELDS]}
            rowmap: dict[str, list[int]] = {}
            for table, cols in TABLES.items():
                fields = [c.field for c in cols]
                data = self._conn.execute(
                    f"SELECT id, {', '.join(map(_q, fields))} FROM {table} ORDER BY position, id").fetchall()
                rowmap[table] = [r[0] for r in data]
                out = [[c.header for c in cols]]
                cells = _cells_of(table)
                out.extend(cells(r) for r in data)
                sheets[TABLE_SHEETS[table]] = out
            return sheets, rowmap

    def ledger(self, params: Params | None = None) -> Ledger:
        """The ledger, built through :func:`calc.ingest.build_ledger` (same validation and findings as an
        imported workbook).  Findings carry the synthetic sheet/row; :meth:`locate` maps them back."""
        with self._mutex:
            self._check_open()
            version = self._version
            if self._ledger_cache and self._ledger_cache[0] == version and params is None:
                self._rowmap = self._ledger_cache[2]
                return self._ledger_cache[1]
            if self._ledger_cache and params is None:
                ledger = self._patched_ledger()
                if ledger is not None:
                    self._ledger_cache = (version, ledger, self._ledger_cache[2])
                    self._rowmap = self._ledger_cache[2]
                    return ledger
            sheets, rowmap = self.sheets()
        ledger = build_ledger(sheets, params)
        with self._mutex:
            self._rowmap = rowmap
            if params is None:
                self._ledger_cache = (version, ledger, rowmap)
        return ledger

    def _patched_ledger(self) -> Ledger | None:
        """The cached ledger with the 研发支出 cells edited since it was built (:func:`calc.ingest.patch_lines`);
        None when anything else changed."""
        cached_version, ledger, rowmap = self._ledger_cache
        changes = self.changes_since(cached_version)
        if changes:
            changes = [c for c in changes if c[1] not in (EVIDENCE, "history")]   # not ledger data
            if not changes:
                return ledger
        if not changes or any(c[1] != "lines" or c[2] != "set" for c in changes):
            return None
        ids = list(dict.fromkeys(i for c in changes for i in c[3]))
        if len(ids) > _PATCH_MAX:
            return None
        if self._ledger_index[0] is not rowmap:
            self._ledger_index = (rowmap, {row_id: p for p, row_id in enumerate(rowmap["lines"])})
        where = self._ledger_index[1]
        fields = self._fields("lines")
        cells = _cells_of("lines")
        edits = {}
        for k in range(0, len(ids), _CHUNK):
            chunk = ids[k:k + _CHUNK]
            for r in self._conn.execute(f"SELECT id, {', '.join(map(_q, fields))} FROM lines "
                                        f"WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
                if r[0] not in where:
                    return None
                edits[where[r[0]] + 1] = cells(r)          # sheet row: the header is row 0
        if len(edits) != len(ids):
            return None
        return patch_lines(ledger, edits)

    def locate(self, finding) -> tuple[str, int | None, str | None] | None:
        """``(table, row_id, field)`` of a finding (or anything with ``sheet``/``row``/``column``, e.g. a
        ``Src``) from the last :meth:`ledger`.  ``row_id`` is None for profile fields and sheet-level
        findings; the whole result is None for a sheet that is not a workspace table."""
        sheet = getattr(finding, "sheet", None)
        row = getattr(finding, "row", None)
        column = getattr(finding, "column", None)
        table = SHEET_TABLES.get(sheet)
        if table is None:
            return None
        if table == PROFILE:
            field = None
            if row and 2 <= row < 2 + len(S.PROFILE_FIELDS):
                field = S.PROFILE_FIELDS[row - 2].field
            elif column in _PROFILE_HEADERS:
                field = _PROFILE_HEADERS[column]
            return PROFILE, None, field
        field = _HEADERS[table].get(column) if column else None
        ids = self._rowmap.get(table) or []
        row_id = ids[row - 2] if row and 0 <= row - 2 < len(ids) else None
        return table, row_id, field

    def excel_row(self, table: str, row_id: int) -> int | None:
        """The synthetic workbook row of a row id in the last :meth:`ledger` (to match ``Line.src.row``)."""
        ids = self._rowmap.get(table) or []
        try:
            return ids.index(row_id) + 2
        except ValueError:
            return None

    # ---------------------------------------------------------------- transactions and commands

    @contextlib.contextmanager
    def _txn(self):
        """A savepoint; nested ones roll back alone."""
        self._depth += 1
        name = f"sp{self._depth}"
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute(f"ROLLBACK TO {name}")
                self._conn.execute(f"RELEASE {name}")
            if isinstance(exc, sqlite3.OperationalError) and not isinstance(exc, WorkspaceError):
                raise WorkCopyError(_work_copy_message(exc)) from exc    # e.g. the temp folder is full (C5)
            raise
        else:
            try:
                self._conn.execute(f"RELEASE {name}")
            except sqlite3.OperationalError as exc:          # the commit of the outermost savepoint failed
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute(f"ROLLBACK TO {name}")
                    self._conn.execute(f"RELEASE {name}")
                raise WorkCopyError(_work_copy_message(exc)) from exc
        finally:
            self._depth -= 1

    @contextlib.contextmanager
    def batch(self, label: str):
        """Group edits into one undoable command: ``with ws.batch("导入凭证"): ...``.  An exception inside
        undoes everything the block did.  Nested batches join the outer one."""
        with self._mutex:
            self._check_writable()
            outer = self._batch is None
            if outer:
                self._serial += 1
                self._batch = _Command(label, self._serial)
                self._events = []
            cmd = self._batch
            mark = len(cmd.ops)
            try:
                with self._txn():
                    yield self
                    if outer and cmd.ops:
                        cmd.batch_id = self._take_batch_id()
                        self._write_history(cmd.ops, cmd.batch_id, cmd.label)
            except BaseException:
                undone = cmd.ops[mark:]
                del cmd.ops[mark:]
                if undone:
                    self._changed(None, "unknown")   # the savepoint rolled the database back; caches must not trust it
                if outer:
                    self._batch = None
                    self._events = []
                raise
            if outer:
                self._batch = None
                if cmd.ops:
                    self._undo.append(cmd)
                    self._redo.clear()
                self._emit()

    def _take_batch_id(self) -> int:
        bid = self._next_batch_id
        self._next_batch_id += 1
        return bid

    def _record(self, op: _Op) -> None:
        """Apply a new op inside the current batch."""
        self._apply(op, reverse=False)
        self._batch.ops.append(op)

    def _changed(self, table: str | None, kind: str, ids: tuple = (), field: str | None = None) -> None:
        """Bump the version and journal what changed (``kind`` "unknown": anything may have)."""
        self._version += 1
        self._journal.append((self._version, table, kind, ids, field))
        if len(self._journal) > _JOURNAL_MAX:
            del self._journal[:len(self._journal) - _JOURNAL_MAX // 2]

    def changes_since(self, version: int) -> list[tuple] | None:
        """The changes after ``version`` as ``(version, table, kind, row ids, field)`` — kind set / insert /
        delete / unknown — or None when they are no longer all known (look at everything again)."""
        with self._mutex:
            if version == self._version:
                return []
            journal = self._journal
            if not journal or journal[0][0] > version + 1:
                return None
            return [c for c in journal if c[0] > version]

    def _apply(self, op: _Op, reverse: bool) -> None:
        conn = self._conn
        if op.kind == "set":
            self._changed(op.table, "set", (op.row_id,), op.field)
            value = op.old if reverse else op.new
            if op.table in _KV_TABLES:
                if value is None:
                    conn.execute(f"DELETE FROM {op.table} WHERE field = ?", (op.field,))
                else:
                    conn.execute(f"INSERT INTO {op.table}(field, value) VALUES (?, ?) "
                                 "ON CONFLICT(field) DO UPDATE SET value = excluded.value", (op.field, value))
            else:
                conn.execute(f"UPDATE {op.table} SET {_q(op.field)} = ? WHERE id = ?", (value, op.row_id))
            self._events.append((op.table, "set", (op.row_id,), op.field))
            return
        inserting = (op.kind == "insert") != reverse
        ids = tuple(r["id"] for r in op.rows)
        self._changed(op.table, "insert" if inserting else "delete", ids)
        if inserting:
            if op.shift and op.kind == "insert":
                p, n = op.shift
                conn.execute(f"UPDATE {op.table} SET position = position + ? WHERE position >= ?", (n, p))
            fields = ["id", "position", *self._fields(op.table)]
            sql = f"INSERT INTO {op.table} ({', '.join(map(_q, fields))}) VALUES ({', '.join('?' * len(fields))})"
            conn.executemany(sql, [tuple(map(r.get, fields)) for r in op.rows])
            self._events.append((op.table, "insert", ids, None))
        else:
            conn.executemany(f"DELETE FROM {op.table} WHERE id = ?", [(i,) for i in ids])
            if op.shift and op.kind == "insert":
                p, n = op.shift
                conn.execute(f"UPDATE {op.table} SET position = position - ? WHERE position >= ?", (n, p + n))
            self._events.append((op.table, "delete", ids, None))

    def _history_rows(self, op: _Op, reverse: bool, ts: str, batch_id: int, label: str) -> Iterable[tuple]:
        """History rows of one op: one per cell for ``set``; one per row (the row as JSON: ``new`` for an
        insert, ``old`` for a delete) for up to :data:`_HISTORY_ROWS` rows; above that one summary row
        (row_id NULL, field ``rows``) whose JSON holds the count and id ranges, and for a delete every
        deleted row (zlib-compressed when large)."""
        user = self._user
        if op.kind == "set":
            old, new = (op.new, op.old) if reverse else (op.old, op.new)
            yield (ts, user, "set", op.table, op.row_id, op.field, old, new, batch_id, label)
            return
        inserting = (op.kind == "insert") != reverse
        action = "insert" if inserting else "delete"
        if len(op.rows) <= _HISTORY_ROWS:
            for r in op.rows:
                text = json.dumps(r, ensure_ascii=False, separators=(",", ":"))
                yield (ts, user, action, op.table, r["id"], None, None if inserting else text,
                       text if inserting else None, batch_id, label)
            return
        doc = {"count": len(op.rows), "ids": _ranges(r["id"] for r in op.rows)}
        if not inserting:
            doc["rows"] = op.rows
        blob = _pack(doc)
        yield (ts, user, action, op.table, None, "rows", None if inserting else blob,
               blob if inserting else None, batch_id, label)

    def _write_history(self, ops: Sequence[_Op], batch_id: int, label: str, reverse: bool = False) -> None:
        ts = _now()
        seq = reversed(ops) if reverse else ops
        rows = (h for op in seq for h in self._history_rows(op, reverse, ts, batch_id, label))
        self._conn.executemany(
            "INSERT INTO history (ts, user, action, tbl, row_id, field, old, new, batch_id, label) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _log_plain(self, action: str, *, label: str) -> None:
        with self._txn():
            self._conn.execute("INSERT INTO history (ts, user, action, batch_id, label) VALUES (?, ?, ?, ?, ?)",
                               (_now(), self._user, action, self._take_batch_id(), label))

    def _emit(self) -> None:
        events, self._events = self._events, []
        if not self._listeners or not events:
            return
        merged: list = []
        for ev in events:              # fold consecutive events of one kind/table/field
            if merged and merged[-1][0] == ev[0] and merged[-1][1] == ev[1] and merged[-1][3] == ev[3]:
                last = merged[-1]
                merged[-1] = (last[0], last[1], last[2] + ev[2], last[3])
            else:
                merged.append(ev)
        for ev in merged:
            for fn in list(self._listeners):
                try:
                    fn(*ev)
                except Exception:          # a broken view must not undo a committed edit
                    traceback.print_exc()

    def undo(self) -> str | None:
        """Undo the last command; returns its label (None when there is nothing to undo)."""
        return self._step(self._undo, self._redo, reverse=True, prefix="撤销：")

    def redo(self) -> str | None:
        """Redo the last undone command; returns its label."""
        return self._step(self._redo, self._undo, reverse=False, prefix="重做：")

    def _step(self, source: list, target: list, *, reverse: bool, prefix: str) -> str | None:
        with self._mutex:
            self._check_writable()
            if self._batch is not None:
                raise WorkspaceError("批量修改进行中，不能撤销或重做")
            if not source:
                return None
            cmd = source[-1]
            self._events = []
            try:
                with self._txn():
                    for op in (reversed(cmd.ops) if reverse else cmd.ops):
                        self._apply(op, reverse)
                    self._write_history(cmd.ops, cmd.batch_id, prefix + cmd.label, reverse)
            except BaseException:
                self._changed(None, "unknown")
                self._events = []
                raise
            target.append(source.pop())
            self._emit()
            return cmd.label

    # ---------------------------------------------------------------- edits

    def set_value(self, table: str, row_id: int | None, field: str, value) -> object:
        """Set one cell from the text the user typed (or a cell value).  Validated with the importer's
        parsers; raises :class:`InvalidValue` (a ``ValueError``, Chinese message) and writes nothing on error.
        Returns the stored value.  ``table="profile"`` sets a 企业信息 field (row_id ignored)."""
        if table == PROFILE:
            return self.set_profile(field, value)
        with self._mutex:
            self._check_writable()
            col = _column(table, field)
            new = to_storage(col, value, table)
            r = self._conn.execute(f"SELECT {_q(col.field)} FROM {table} WHERE id = ?", (row_id,)).fetchone()
            if r is None:
                raise WorkspaceError(f"“{TABLE_SHEETS[table]}”中没有编号为 {row_id} 的行")
            old = r[0]
            if old == new and type(old) is type(new):
                return new
            with self.batch(f"修改“{TABLE_SHEETS[table]}”{col.header}"):
                self._record(_Op("set", table, row_id, col.field, old, new))
            return new

    def set_profile(self, field: str, value) -> object:
        """Set one 企业信息 field (field name or header text) from the text the user typed."""
        with self._mutex:
            self._check_writable()
            col = _column(PROFILE, field)
            new = to_storage(col, value, PROFILE)
            r = self._conn.execute("SELECT value FROM profile WHERE field = ?", (col.field,)).fetchone()
            old = None if r is None else r[0]
            if old == new and type(old) is type(new):
                return new
            with self.batch(f"修改企业信息“{col.header}”"):
                self._record(_Op("set", PROFILE, None, col.field, old, new))
            return new

    def _convert_rows(self, table: str, rows: Iterable[Mapping]) -> list[dict]:
        """Rows of values as typed → stored rows; raises InvalidValue naming the row (1-based) and column."""
        cols = _COLS[table]
        headers = _HEADERS[table]
        parsers = {f: _parser_of(c) for f, c in cols.items()}
        out = []
        for i, row in enumerate(rows, start=1):
            stored = {}
            for key, value in row.items():
                field = key if key in cols else headers.get(key)
                if field is None:
                    if key in ("id", "position"):
                        continue
                    raise InvalidValue(f"第{i}行：“{TABLE_SHEETS[table]}”没有字段“{key}”", table, key)
                if value is None or (type(value) is str and not value.strip()):
                    stored[field] = None
                    continue
                try:
                    stored[field] = parsers[field](value)
                except (AmountError, ValueProblem) as exc:
                    raise InvalidValue(f"第{i}行 {cols[field].header}：{exc}", table, field, value) from None
            out.append(stored)
        return out

    def insert_rows(self, table: str, rows: Sequence[Mapping], at: int | None = None) -> list[int]:
        """Insert rows (dicts of field name or header → value as typed) before the row at index ``at`` in
        table order (None: append).  Every value is validated first; nothing is written on error.
        Returns the new row ids."""
        if table not in TABLES:
            raise WorkspaceError(f"不能向“{table}”插入行")
        with self._mutex:
            self._check_writable()
            stored = self._convert_rows(table, rows)
            if not stored:
                return []
            with self.batch(f"插入“{TABLE_SHEETS[table]}”{len(stored)}行"):
                return self._insert_stored_rows(table, stored, at)

    def _insert_stored_rows(self, table: str, stored: list[dict], at: int | None) -> list[int]:
        conn = self._conn
        n = len(stored)
        shift = None
        start = None
        if at is not None and at >= 0:
            r = conn.execute(f"SELECT position FROM {table} ORDER BY position, id LIMIT 1 OFFSET ?",
                             (at,)).fetchone()
            if r is not None:
                start = r[0]
                shift = (start, n)
        if start is None:
            start = (conn.execute(f"SELECT MAX(position) FROM {table}").fetchone()[0] or 0) + 1
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        top = max(seq[0] if seq else 0, conn.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0] or 0)
        ids = list(range(top + 1, top + 1 + n))
        for i, (rid, row) in enumerate(zip(ids, stored)):
            row["id"] = rid
            row["position"] = start + i
        self._record(_Op("insert", table, rows=stored, shift=shift))
        return ids

    def delete_rows(self, table: str, row_ids: Iterable[int]) -> int:
        """Delete rows by id (one undoable command); returns how many were deleted."""
        if table not in TABLES:
            raise WorkspaceError(f"不能从“{table}”删除行")
        with self._mutex:
            self._check_writable()
            wanted = list(dict.fromkeys(row_ids))
            if not wanted:
                return 0
            fields = ["id", "position", *self._fields(table)]
            found = []
            for k in range(0, len(wanted), _CHUNK):
                chunk = wanted[k:k + _CHUNK]
                found += self._conn.execute(
                    f"SELECT {', '.join(map(_q, fields))} FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})",
                    chunk).fetchall()
            if len(found) != len(wanted):
                missing = sorted(set(wanted) - {r[0] for r in found})
                raise WorkspaceError(f"“{TABLE_SHEETS[table]}”中没有编号为 {missing[:5]} 的行")
            rows = sorted((dict(zip(fields, r)) for r in found), key=lambda d: (d["position"], d["id"]))
            with self.batch(f"删除“{TABLE_SHEETS[table]}”{len(rows)}行"):
                self._record(_Op("delete", table, rows=rows))
            return len(rows)

    # ---------------------------------------------------------------- presets

    def presets(self, kind: str | None = None) -> list[dict]:
        with self._mutex:
            self._check_open()
            sql = "SELECT name, kind, mapping, modified FROM import_presets"
            cur = self._conn.execute(sql + (" WHERE kind = ? ORDER BY name" if kind else " ORDER BY name"),
                                     (kind,) if kind else ())
            return [{"name": n, "kind": k, "mapping": json.loads(m), "modified": t} for n, k, m, t in cur]

    def save_preset(self, name: str, kind: str, mapping: Mapping) -> None:
        """Store an import-wizard preset (not undoable; saved with the file)."""
        with self._mutex:
            self._check_writable()
            text = json.dumps(mapping, ensure_ascii=False, sort_keys=True)
            with self._txn():
                self._conn.execute("INSERT OR REPLACE INTO import_presets(name, kind, mapping, modified) "
                                   "VALUES (?, ?, ?, ?)", (name, kind, text, _now()))
            self._changed("import_presets", "set")
            self._extra_dirty = True

    def delete_preset(self, name: str) -> None:
        with self._mutex:
            self._check_writable()
            with self._txn():
                self._conn.execute("DELETE FROM import_presets WHERE name = ?", (name,))
            self._changed("import_presets", "set")
            self._extra_dirty = True

    # ---------------------------------------------------------------- workbook import / export

    def import_workbook(self, path: str | os.PathLike, *, mode: str = "replace") -> list:
        """Import the canonical workbook (interfaces.md §1) via :func:`forms.workbook.load_ledger`.

        ``mode="replace"``: the workspace becomes the workbook.  ``mode="merge"``: profile fields, year rows
        (same year and period) and projects (same 项目编号) are updated with the workbook's non-empty values,
        new ones appended; lines and adjustments are appended.  One undoable command.  Returns the
        workbook's findings (rows with errors are not imported: they refer to the workbook's cells).
        Raises :class:`forms.xlsx_reader.WorkbookError` for a file that is not a readable workbook."""
        if mode not in ("replace", "merge"):
            raise ValueError("mode must be 'replace' or 'merge'")
        from .workbook import load_ledger
        with self._mutex:
            self._check_writable()
        ledger = load_ledger(path)
        return self.import_ledger(ledger, mode=mode, name=Path(path).name)

    def import_ledger(self, ledger: Ledger, *, mode: str = "replace", name: str = "") -> list:
        """:meth:`import_workbook` of a workbook already loaded (:func:`forms.workbook.load_ledger`), e.g. after
        the GUI showed :meth:`import_diff`.  One undoable command; an ``import`` audit entry records the file
        name, mode and counts.  Returns the workbook's findings."""
        if mode not in ("replace", "merge"):
            raise ValueError("mode must be 'replace' or 'merge'")
        with self._mutex:
            self._check_writable()
            data = _ledger_rows(ledger)
            before = len(self._undo)
            self._fill_from_rows(data, replace=(mode == "replace"),
                                 label=f"{'导入' if mode == 'replace' else '合并导入'}“{name or '工作簿'}”")
            counts = {t: len(data.get(t) or ()) for t in TABLES}
            errors = sum(1 for f in ledger.findings if f.severity == "error")
            batch_id = self._undo[-1].batch_id if len(self._undo) > before else None
            what = "，".join(f"{TABLE_SHEETS[t]} {n} 行" for t, n in counts.items() if n)
            self.log_event("import", f"导入工作簿“{name or '工作簿'}”（{'替换' if mode == 'replace' else '合并'}）：{what or '无数据'}"
                           + (f"；{errors} 项错误未导入" if errors else ""),
                           {"kind": "workbook", "file": name, "mode": mode, "counts": counts, "errors": errors},
                           batch_id=batch_id)
        return list(ledger.findings)

    def import_diff(self, ledger: Ledger, *, mode: str = "replace"):
        """What :meth:`import_ledger` would change (:func:`calc.diff.diff_import` on stored values)."""
        from calc.diff import diff_import
        data = _ledger_rows(ledger)
        incoming_profile = {f: to_storage(_PROFILE_COLS[f], v, PROFILE)
                            for f, v in (data.get("profile") or {}).items() if f in _PROFILE_COLS}
        incoming = {t: self._convert_rows(t, data.get(t) or ()) for t in TABLES}
        with self._mutex:
            self._check_open()
            current = {t: self.rows(t) for t in TABLES}
            profile = self.profile()
        return diff_import(current, incoming, mode=mode, profile_current=profile, profile_incoming=incoming_profile,
                           fields={t: self._fields(t) for t in TABLES},
                           profile_fields=[c.field for c in S.PROFILE_FIELDS])

    def log_event(self, action: str, label: str, detail: Mapping | None = None, *,
                  batch_id: int | None = None) -> None:
        """An audit-trail entry that is not a data change (an import's summary, an export…): ``action``,
        a Chinese ``label`` and a JSON ``detail`` (in the ``new`` column); ``batch_id`` links it to the command
        it summarises.  Not undoable; only on a writable workspace (the history is part of the file)."""
        with self._mutex:
            self._check_writable()
            with self._txn():
                self._conn.execute(
                    "INSERT INTO history (ts, user, action, batch_id, label, new) VALUES (?, ?, ?, ?, ?, ?)",
                    (_now(), self._user, action, batch_id if batch_id is not None else self._take_batch_id(), label,
                     None if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True)))
            self._changed("history", "set")
            self._extra_dirty = True

    def set_summary(self, summary: Mapping | None) -> None:
        """Cache the key figures of an evaluation in the meta (``summary``, JSON) for the advisor roster
        (:mod:`forms.roster`), tagged with the last audit-trail id so a reader can tell whether the data changed
        since.  Not an edit: not undoable, does not make the workspace dirty; saved with the next save."""
        with self._mutex:
            if self._closed or self._conn is None or self._readonly:
                return
            top = self._conn.execute("SELECT MAX(id) FROM history").fetchone()[0]
            value = None if summary is None else json.dumps({**summary, "history_id": top}, ensure_ascii=False)
            with self._txn():
                self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('summary', ?)", (value,))

    # ---------------------------------------------------------------- 留存备查 (evidence checklist marks)

    def evidence_marks(self, year: int | None = None) -> dict:
        """``{(year, project_no, item_id): {"present", "note", "files"}}`` (``year``: only that year)."""
        from calc.evidence import parse_mark_key
        with self._mutex:
            self._check_open()
            out = {}
            for key, value in self._conn.execute("SELECT field, value FROM evidence ORDER BY field"):
                k = parse_mark_key(key)
                if k is None or (year is not None and k[0] != year):
                    continue
                try:
                    d = json.loads(value) if isinstance(value, str) else {}
                except ValueError:
                    d = {}
                out[k] = d if isinstance(d, dict) else {}
            return out

    def set_evidence(self, year: int, project_no: str, item_id: str, *, present: bool | None | object = _PRIVATE_UNSET,
                     note: str | object = _PRIVATE_UNSET, files: Sequence[str] | object = _PRIVATE_UNSET,
                     label: str | None = None) -> dict:
        """Set a 留存备查 mark (one undoable command, recorded in the audit trail).  Only the arguments given
        change.  ``files`` are stored paths (see :meth:`evidence_relpath`).  Returns the new mark."""
        from calc.evidence import mark_key
        key = mark_key(year, project_no, item_id)
        with self._mutex:
            self._check_writable()
            r = self._conn.execute("SELECT value FROM evidence WHERE field = ?", (key,)).fetchone()
            old = None if r is None else r[0]
            try:
                cur = json.loads(old) if isinstance(old, str) else {}
            except ValueError:
                cur = {}
            mark = {"present": cur.get("present"), "note": cur.get("note") or "", "files": list(cur.get("files") or [])}
            if present is not _PRIVATE_UNSET:
                mark["present"] = None if present is None else bool(present)
            if note is not _PRIVATE_UNSET:
                mark["note"] = str(note or "").strip()
            if files is not _PRIVATE_UNSET:
                mark["files"] = list(dict.fromkeys(str(f) for f in files if f))
            empty = mark["present"] is None and not mark["note"] and not mark["files"]
            new = None if empty else json.dumps(mark, ensure_ascii=False, sort_keys=True)
            if new != old:
                where = f"项目{project_no}" if project_no else "企业"
                with self.batch(label or f"留存备查：{year}年度 {where} {item_id}"):
                    self._record(_Op("set", EVIDENCE, None, key, old, new))
            return mark

    def evidence_relpath(self, file: str | os.PathLike) -> str:
        """How an attachment is stored (AI-EVID-04): relative to the workspace file's folder, with ``/`` and
        ``..`` when the file lies outside it; absolute only when no relative path exists (another drive)."""
        target = Path(os.path.abspath(file))
        try:
            rel = os.path.relpath(target, self._path.parent)
        except ValueError:              # Windows: another drive
            return target.as_posix()
        return Path(rel).as_posix()

    def evidence_abspath(self, stored: str) -> Path:
        """The file an attachment's stored path refers to."""
        p = Path(stored)
        return p if p.is_absolute() else (self._path.parent / p).resolve()

    def evidence_file_exists(self, stored: str) -> bool:
        try:
            return self.evidence_abspath(stored).is_file()
        except OSError:
            return False

    def _fill_from_rows(self, data: dict, *, replace: bool, label: str) -> None:
        with self.batch(label):
            conn = self._conn
            profile = {f: to_storage(_PROFILE_COLS[f], v, PROFILE)
                       for f, v in (data.get("profile") or {}).items() if f in _PROFILE_COLS}
            converted = {t: self._convert_rows(t, data.get(t) or ()) for t in TABLES}
            current = self.profile()
            for col in S.PROFILE_FIELDS:
                new = profile.get(col.field)
                old = current.get(col.field)
                if (new is None and not replace) or (new == old and type(new) is type(old)):
                    continue
                self._record(_Op("set", PROFILE, None, col.field, old, new))
            if replace:
                for table in TABLES:
                    ids = [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY position, id")]
                    if ids:
                        fields = ["id", "position", *self._fields(table)]
                        rows = [dict(zip(fields, r)) for r in conn.execute(
                            f"SELECT {', '.join(map(_q, fields))} FROM {table} ORDER BY position, id")]
                        self._record(_Op("delete", table, rows=rows))
                for table in TABLES:
                    if converted[table]:
                        self._insert_stored_rows(table, converted[table], None)
                return
            self._merge_keyed("years", converted["years"], ("year", "period"))
            self._merge_keyed("projects", converted["projects"], ("project_no",))
            for table in ("lines", "adjustments", "timesheets", "payroll", "equipment", "equipment_hours"):
                if converted.get(table):
                    self._insert_stored_rows(table, converted[table], None)

    def _merge_keyed(self, table: str, rows: list[dict], key: tuple[str, ...]) -> None:
        fields = self._fields(table)
        existing = {}
        for r in self._conn.execute(f"SELECT id, {', '.join(map(_q, fields))} FROM {table}"):
            d = dict(zip(["id", *fields], r))
            existing.setdefault(tuple(d.get(k) for k in key), d)
        new_rows = []
        for row in rows:
            match = existing.get(tuple(row.get(k) for k in key))
            if match is None:
                new_rows.append(row)
                continue
            for f, v in row.items():
                if v is not None and not (match.get(f) == v and type(match.get(f)) is type(v)):
                    self._record(_Op("set", table, match["id"], f, match.get(f), v))
        if new_rows:
            self._insert_stored_rows(table, new_rows, None)

    def export_workbook(self, path: str | os.PathLike) -> None:
        """Write every stored row (rows with errors too, so they can be fixed in Excel) as the canonical
        workbook, atomically.  Importing it again gives the same ledger."""
        from .template import write_workbook
        target = Path(os.path.abspath(path))
        with self._mutex:
            self._check_open()
            prof = self.profile()
            profile = {c.field: cell_value(c, prof.get(c.field)) for c in S.PROFILE_FIELDS}
            tables = {}
            for table, cols in TABLES.items():
                out = []
                for r in self.rows(table):
                    out.append({c.field: cell_value(c, r.get(c.field)) for c in cols})
                tables[table] = out
        accepted = inspect.signature(write_workbook).parameters
        tmp = target.with_name(f"{target.stem}-tmp-{os.getpid()}-{secrets.token_hex(4)}{target.suffix}")
        try:
            write_workbook(tmp, profile=profile, **{t: rows for t, rows in tables.items() if t in accepted})
            _fsync_file(tmp)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            _unlink_quiet(tmp)
            raise SaveError(f"导出“{target.name}”失败：{_reason(exc)}") from exc
        except BaseException:
            _unlink_quiet(tmp)
            raise

    # ---------------------------------------------------------------- saving

    def _stamp(self, kind: str) -> None:
        """Meta written into the working database right before a copy (not an edit, not undoable)."""
        self._revision += 1
        name = self._conn.execute("SELECT value FROM profile WHERE field = 'name'").fetchone()
        with self._txn():
            self._conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [
                ("modified", _now()), ("enterprise", name[0] if name else None), ("revision", self._revision),
                ("kind", kind), ("saved_by", self._user)])

    def _check_lock_ours(self) -> None:
        lock = _sidecar(self._path, "-lock")
        current = _read_lock(lock)
        if current is None and not lock.exists():      # removed behind our back: take it again
            with contextlib.suppress(OSError):
                fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
                try:
                    os.write(fd, json.dumps(self._lock_info, ensure_ascii=False).encode("utf-8"))
                finally:
                    os.close(fd)
            current = _read_lock(lock)
        if not current or current.get("token") != self._lock_info["token"]:
            who = f"{current.get('user')}（{current.get('host')}）" if current else "其他程序"
            raise SaveError(f"工作区“{self._path.name}”的锁已被{who}取得，为免覆盖他人的修改，未保存。"
                            "请用“另存为”保存到新文件")

    def _own_mark(self) -> tuple:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'uuid'").fetchone()
        return (row[0] if row else None, self._revision)

    def _check_file_ours(self) -> None:
        """Refuse to save over a file that is no longer the one this window opened or last saved: another program
        (a sync client restoring a version, a copy over it, another copy of the app without our lock) replaced or
        rewrote it.  Its content would be lost silently; the user is told and keeps the edits ("另存为")."""
        if self._disk_mark is None or not self._path.exists():
            return
        try:
            meta = _read_meta(self._path)
            now = (meta.get("uuid"), _revision(meta))
        except WorkspaceError:
            now = None
        if now != self._disk_mark:
            raise SaveError(f"工作区文件“{self._path.name}”在打开后已被其他程序替换或修改，为免覆盖其中的内容，未保存。"
                            "当前修改仍保留在本窗口中，请用“另存为”保存到新文件，再核对两个文件")

    def save(self) -> None:
        """Write the workspace to its file atomically (old or new file, never a mixed one).  Raises
        :class:`SaveError` with a Chinese message on failure: the file is unchanged, the edits are kept."""
        with self._mutex:
            self._check_writable()
            if self._batch is not None:
                raise WorkspaceError("批量修改进行中，不能保存")
            self._check_lock_ours()
            self._check_file_ours()
            self._save_to(self._path)
            self._disk_mark = self._own_mark()
            self._saved_token = self._token()
            self._extra_dirty = False
            self._autosaved_version = self._version
            _unlink_quiet(_sidecar(self._path, "-autosave"))
            self._owns_autosave = True

    def _save_to(self, target: Path, kind: str = "file") -> None:
        try:
            self._stamp(kind)
            _atomic_sqlite_copy(self._conn, target)
        except (OSError, sqlite3.Error) as exc:
            what = "自动保存" if kind == "autosave" else "保存"
            raise SaveError(f"{what}“{target.name}”失败：{_reason(exc)}。原文件未改动，当前修改仍保留在工作区中"
                            + ("" if kind == "autosave" else "，可稍后重试或“另存为”到其他位置")) from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                with self._txn():
                    self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('kind', 'file')")

    def save_as(self, path: str | os.PathLike, *, overwrite: bool = True) -> None:
        """Save to a new file and continue there (takes its lock, releases the old one).  Works on a
        read-only workspace too: the copy becomes the editable workspace."""
        target = _real_target(Path(os.path.abspath(path)))
        _check_name_length(target)
        with self._mutex:
            self._check_open()
            if self._batch is not None:
                raise WorkspaceError("批量修改进行中，不能保存")
            if target == self._path and not self._readonly:
                return self.save()
            if target.exists() and not overwrite:
                raise WorkspaceError(f"文件“{target.name}”已存在")
            new_lock = _acquire_lock(target)
            old_uuid = self._conn.execute("SELECT value FROM meta WHERE key = 'uuid'").fetchone()
            try:
                with self._txn():
                    self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('uuid', ?)",
                                       (uuid.uuid4().hex,))
                self._save_to(target)
            except BaseException:
                with contextlib.suppress(sqlite3.Error), self._txn():
                    self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('uuid', ?)",
                                       (old_uuid[0] if old_uuid else None,))
                _release_lock(target, new_lock)
                raise
            old_path, old_lock = self._path, self._lock_info
            if old_lock:
                _unlink_quiet(_sidecar(old_path, "-autosave"))
                _release_lock(old_path, old_lock)
            _unlink_quiet(_sidecar(target, "-autosave"))
            self._path, self._lock_info, self._readonly = target, new_lock, False
            self._disk_mark = self._own_mark()
            self._saved_token = self._token()
            self._extra_dirty = False
            self._autosaved_version = self._version

    def autosave(self) -> bool:
        """Write the unsaved state to ``<file>-autosave`` atomically (the GUI calls this on a timer).
        Returns False when there was nothing to write.  Raises :class:`SaveError` on failure."""
        with self._mutex:
            if self._readonly or self._closed or self._batch is not None:
                return False
            if not self.dirty or self._version == self._autosaved_version:
                return False
            self._save_to(_sidecar(self._path, "-autosave"), kind="autosave")
            self._autosaved_version = self._version
            self._owns_autosave = True
            return True


_PRIVATE = object()
_HISTORY_ROWS = 100
_JOURNAL_MAX = 20_000
_PATCH_MAX = 2_000                    # edited lines above which the ledger is built again rather than patched


def _ranges(ids: Iterable[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for i in sorted(ids):
        if out and out[-1][1] + 1 == i:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _pack(doc) -> str | bytes:
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if len(text) < 65536:
        return text
    import zlib
    return zlib.compress(text.encode("utf-8"), 6)


def _unpack(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        import zlib
        value = zlib.decompress(value).decode("utf-8")
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _cells_of(table: str) -> Callable[[tuple], list]:
    """``(id, *stored values)`` of a row → its raw cells in the canonical workbook."""
    converters = []
    for c in TABLES[table]:
        if c.kind == S.AMOUNT:
            converters.append(_amount_cell)
        elif c.kind == S.DATE:
            converters.append(_date_cell)
        elif c.kind == S.YESNO:
            converters.append(_yesno_cell)
        else:
            converters.append(None)
    idx = list(enumerate(converters, start=1))
    return lambda r: [r[i] if conv is None or r[i] is None else conv(r[i]) for i, conv in idx]


def _amount_cell(v):
    return Decimal(v).scaleb(-2) if isinstance(v, int) else v


def _date_cell(v):
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return v
    return v


def _yesno_cell(v):
    return bool(v) if isinstance(v, int) else v


def _ledger_rows(ledger: Ledger) -> dict:
    from .workbook import ledger_to_rows
    return ledger_to_rows(ledger)


# =========================================================================== recent files

def config_dir() -> Path:
    """The per-user configuration folder (one definition: :func:`calc.userdirs.config_dir`)."""
    from calc.userdirs import config_dir as _config_dir
    return _config_dir()


def _recent_path() -> Path:
    return config_dir() / "recent.json"


def _same_path(a: str, b: str) -> bool:
    return os.path.normcase(a) == os.path.normcase(b)


def recent_files(*, existing_only: bool = False) -> list[Path]:
    """The recently opened workspace files, most recent first."""
    try:
        with open(_recent_path(), encoding="utf-8") as fh:
            data = json.load(fh)
        items = [Path(p) for p in data.get("recent", []) if isinstance(p, str)]
    except (OSError, ValueError, AttributeError):
        return []
    return [p for p in items if p.exists()] if existing_only else items


def _write_recent(items: list[Path]) -> None:
    path = _recent_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"recent": [str(p) for p in items[:MAX_RECENT]]}, ensure_ascii=False, indent=1)
        _atomic_write_bytes(path, data.encode("utf-8"))
    except OSError:
        pass            # a recent-files list is a convenience: never fail the user's action for it


def add_recent(path: str | os.PathLike) -> list[Path]:
    p = str(Path(os.path.abspath(path)))
    items = [x for x in recent_files() if not _same_path(str(x), p)]
    items.insert(0, Path(p))
    _write_recent(items)
    return items[:MAX_RECENT]


def remove_recent(path: str | os.PathLike) -> list[Path]:
    p = str(Path(os.path.abspath(path)))
    items = [x for x in recent_files() if not _same_path(str(x), p)]
    _write_recent(items)
    return items
