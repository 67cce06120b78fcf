"""Writing output files so that a failure never destroys what was there before (hostile-input review D1, C4, M10).

Every file the product writes for the user — the exported workbooks, the statement PDF, the import template — is
first written completely to a temporary file in the same folder, flushed to disk, and only then renamed over the
target (``os.replace``, atomic on one file system).  A set of files (the three export workbooks) is replaced only
after every member has been written: when one fails, none of the old files is touched and the temporary files are
removed.  Errors become :class:`OutputError` with the file's name and a Chinese reason — never a traceback, never
empty parentheses.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path
from typing import Callable, Iterable

_REASONS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "所在位置为只读",
    errno.ENOENT: "文件夹不存在",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EISDIR: "同名的文件夹已存在",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.EFBIG: "文件过大",
    errno.EIO: "磁盘读写错误",
    errno.EBUSY: "文件正被其他程序使用",
    errno.ETXTBSY: "文件正被其他程序使用",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENFILE: "同时打开的文件过多",
    errno.EINVAL: "文件名不被该位置的文件系统接受",
    errno.EXDEV: "临时文件与目标不在同一磁盘",
}


class OutputError(OSError):
    """An output file could not be written; ``str()`` is the complete Chinese message."""

    def __init__(self, message: str, path: Path | None = None, cause: BaseException | None = None):
        super().__init__(getattr(cause, "errno", None), message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


def reason(exc: BaseException) -> str:
    """A short Chinese reason for an OS error (or the error's own text when it has none)."""
    if isinstance(exc, OutputError):
        return exc.message
    if isinstance(exc, OSError):
        if exc.errno in _REASONS:
            return _REASONS[exc.errno]
        if getattr(exc, "winerror", None) in (32, 33):          # sharing / lock violation (file open in Excel)
            return "文件正被其他程序（如 Excel）打开，请先关闭"
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__


def message(exc: BaseException, path: str | os.PathLike | None) -> str:
    """“写入“name”失败：reason” — what a user reads when writing ``path`` failed."""
    if isinstance(exc, OutputError):
        return exc.message
    name = Path(path).name if path else ""
    return f"写入“{name}”失败：{reason(exc)}" if name else f"写入文件失败：{reason(exc)}"


def tmp_path(target: Path) -> Path:
    """A fresh temporary name next to ``target`` (same folder, so the final rename stays on one file system).
    Kept short: a long target name must not make the temporary one exceed the file system's name limit."""
    stem = target.stem[:40]
    return target.with_name(f".{stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}{target.suffix}")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)


def _unlink_quiet(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _final_target(path: str | os.PathLike) -> Path:
    """The file to replace: a symbolic link is followed (the link stays a link and its file is replaced)."""
    p = Path(os.path.abspath(path))
    if p.is_symlink():
        p = Path(os.path.realpath(p))
    return p


def write_set(jobs: Iterable[tuple[str | os.PathLike, Callable[[Path], object]]]) -> list[Path]:
    """Write several files as one set: each ``writer(tmp)`` writes a temporary file next to its target; when all
    have succeeded they are renamed over their targets.  On any failure nothing of the old set is touched, the
    temporary files are removed and :class:`OutputError` names the file that failed."""
    jobs = [(_final_target(t), w) for t, w in jobs]
    written: list[tuple[Path, Path]] = []
    current: Path | None = None
    try:
        for target, writer in jobs:
            current = target
            if target.is_dir():
                raise IsADirectoryError(errno.EISDIR, "Is a directory", str(target))
            if target.exists() and not target.is_file():      # a device or pipe (/dev/full, a FIFO): write into it
                writer(target)
                continue
            tmp = tmp_path(target)
            written.append((tmp, target))
            writer(tmp)
            _fsync_file(tmp)
        for tmp, target in written:
            current = target
            os.replace(tmp, target)
        for d in {t.parent for _, t in written}:
            _fsync_dir(d)
    except OSError as exc:
        for tmp, _ in written:
            _unlink_quiet(tmp)
        raise OutputError(message(exc, current), current, exc) from exc
    except BaseException:
        for tmp, _ in written:
            _unlink_quiet(tmp)
        raise
    return [t for t, _ in jobs]


def write_atomic(target: str | os.PathLike, writer: Callable[[Path], object]):
    """Write one file atomically: ``writer(tmp)`` then rename.  Returns what ``writer`` returned."""
    result = []
    write_set([(target, lambda tmp: result.append(writer(tmp)))])
    return result[0] if result else None
