"""The advisor roster (工作区一览): every enterprise workspace (``*.rdw``) of a folder with its key figures.

Each file is read as a read-only snapshot (:meth:`forms.workspace.Workspace.open` with ``readonly=True``: no
lock is taken, so a workspace another window or process is editing is read as last saved).  A file that cannot
be read (corrupt, not a workspace, newer format) becomes a row with an error message — never an exception.

Speed: the main window stores the key figures of its last full-year evaluation in the workspace meta
(:meth:`forms.workspace.Workspace.set_summary`, saved with the file, tagged with the last audit-trail id); when that
tag still matches the file's audit trail (no change since), the row is read from it without computing.  Otherwise
the file is evaluated: for the ``year`` asked for, else the latest year with a 年度数据 row (period 全年), else the
latest year with ledger lines (AI-EVID-06).  Rows are also cached in memory per file (path, size, modification
time, year), so a refresh recomputes only files that changed.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from .workspace import EXTENSION

__all__ = ["RosterRow", "scan_folder", "read_workspace", "roster_files", "clear_cache", "summary_of"]

_CACHE: dict[tuple, "RosterRow"] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class RosterRow:
    path: Path
    name: str = ""                      # 企业名称
    credit_code: str = ""
    year: int | None = None
    rd_expense: int | None = None       # A107012 第40行 (分): R&D expenses allowed for the extra deduction
    extra_deduction: int | None = None  # A107012 第51行 (分)
    hnte: str = ""                      # HNTE verdict (certified / assessment)
    subsidy: int | None = None          # best post-subsidy estimate (分)
    subsidy_title: str = ""
    subsidy_up_to: bool = False
    tax_saved: int | None = None        # 节税合计: the certain tax effect (None: cannot be computed)
    subsidy_kind: str = ""              # 预估 / 附条件 / 最高可得 / 预估区间 of ``subsidy``
    saved: str = ""                     # last saved (meta modified)
    saved_by: str = ""
    findings: int | None = None         # errors + warnings of the evaluation
    errors: int | None = None
    error: str = ""                     # the file could not be read / evaluated
    locked_by: str = ""                 # someone has it open for editing

    @property
    def ok(self) -> bool:
        return not self.error


def roster_files(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """The workspace files of a folder (autosave / lock / temp side files excluded), sorted by name."""
    folder = Path(folder)
    try:
        found = folder.rglob(f"*{EXTENSION}") if recursive else folder.glob(f"*{EXTENSION}")
        return sorted((p for p in found if p.is_file() and p.name.endswith(EXTENSION)), key=lambda p: str(p).lower())
    except OSError:
        return []


def _pick_year(ledger) -> int | None:
    years = [y.year for y in ledger.years if y.period == "year"]
    if years:
        return max(years)
    dates = [l.date.year for l in ledger.lines if l.date is not None]
    return max(dates) if dates else None


def _lock_holder(path: Path) -> str:
    from .workspace import _read_lock, _sidecar
    info = _read_lock(_sidecar(path, "-lock"))
    if not info:
        return ""
    return f"{info.get('user') or '?'}（{info.get('host') or '?'}）"


def read_workspace(path: str | os.PathLike, year: int | None = None, *, use_cache: bool = True) -> RosterRow:
    """The key figures of one workspace file; errors become ``RosterRow.error``."""
    path = Path(os.path.abspath(path))
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns, year)
    except OSError as exc:
        return RosterRow(path, error=f"无法读取文件：{exc.strerror or exc}")
    if use_cache:
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
        if hit is not None:
            return replace(hit, locked_by=_lock_holder(path))
    row = _read(path, year)
    if use_cache and row.ok:
        with _CACHE_LOCK:
            _CACHE[key] = row
    return row


def summary_of(ev) -> dict:
    """The key figures of an evaluation (JSON-safe: amounts int 分), as cached in the workspace meta."""
    from calc.hnte import ASSESSMENT_NAMES
    prof = ev.ledger.profile
    if ev.year in ev.hnte_certified_years:
        hnte = "已认定（证书有效）"
    elif ev.hnte is not None:
        hnte = ASSESSMENT_NAMES.get(ev.hnte.assessment, ev.hnte.assessment)
    else:
        hnte = ""
    best = None
    for e in ev.subsidies:
        if e.eligible and e.total is not None and e.total_kind in ("exact", "provisional", "up_to", "conditional",
                                                                    "range"):
            if best is None or e.total > best.total:
                best = e
    if best is None:
        kind = ""
    elif best.total_kind == "conditional":
        kind = "附条件"
    elif best.up_to or best.total_kind == "up_to":
        kind = "最高可得"
    elif best.total_kind == "range":
        kind = "预估区间"
    else:
        kind = "预估"
    tax_saved = None if ev.tax is None else int(ev.tax.tax_saved + ev.hnte_saving + ev.slp_saving)
    sd = ev.sd
    severities = [f.severity for f in ev.findings]
    return {"name": prof.name or "", "credit_code": prof.credit_code or "", "year": ev.year,
            "rd_expense": int(sd.rows.get("R40", 0)) if sd.eligible else 0, "extra_deduction": int(sd.extra_deduction),
            "hnte": hnte, "subsidy": None if best is None else int(best.total),
            "subsidy_title": best.title if best else "",
            "subsidy_up_to": bool(best and (best.up_to or best.total_kind == "up_to")),
            "tax_saved": tax_saved, "subsidy_kind": kind,
            "findings": sum(1 for s in severities if s in ("error", "warning")),
            "errors": sum(1 for s in severities if s == "error")}


_SUMMARY_KEYS = ("name", "credit_code", "year", "rd_expense", "extra_deduction", "hnte", "subsidy", "subsidy_title",
                 "subsidy_up_to", "tax_saved", "subsidy_kind", "findings", "errors")


def _cached_summary(path: Path, year: int | None) -> tuple[dict, dict | None]:
    """(meta, the summary stored at the last evaluation when it still matches the data, else None).  Raises
    WorkspaceError for a file that is not a workspace."""
    import json
    from .workspace import _connect_ro, _read_meta
    meta = _read_meta(path)
    conn = _connect_ro(path)
    try:
        top = conn.execute("SELECT MAX(id) FROM history").fetchone()[0]
    finally:
        conn.close()
    try:
        summary = json.loads(meta.get("summary") or "null")
    except (TypeError, ValueError):
        summary = None
    if not isinstance(summary, dict) or summary.get("history_id") != top or "subsidy_kind" not in summary or \
            (year is not None and summary.get("year") != year):
        return meta, None
    return meta, summary


def _read(path: Path, year: int | None) -> RosterRow:
    from calc.evaluate import evaluate
    from .workspace import Workspace, WorkspaceError
    locked = _lock_holder(path)
    try:
        meta, summary = _cached_summary(path, year)
        base = dict(path=path, saved=str(meta.get("modified") or "").replace("T", " ")[:19],
                    saved_by=str(meta.get("saved_by") or ""), locked_by=locked)
        if summary is not None:
            return RosterRow(**base, **{k: summary.get(k) for k in _SUMMARY_KEYS})
        with Workspace.open(path, readonly=True) as ws:
            ledger = ws.ledger()
    except WorkspaceError as exc:
        return RosterRow(path, error=str(exc), locked_by=locked)
    except Exception as exc:          # noqa: BLE001 - a roster row, never a crash
        return RosterRow(path, error=f"无法读取：{type(exc).__name__}: {exc}", locked_by=locked)
    prof = ledger.profile
    y = year or _pick_year(ledger)
    if y is None:
        return RosterRow(**base, name=prof.name or str(meta.get("enterprise") or ""),
                         credit_code=prof.credit_code or "", error="工作区中没有可测算的年度数据")
    try:
        ev = evaluate(ledger, y)
    except Exception as exc:          # noqa: BLE001
        return RosterRow(**base, name=prof.name or "", year=y, error=f"测算失败：{type(exc).__name__}: {exc}")
    return RosterRow(**base, **summary_of(ev))


def scan_folder(folder: str | os.PathLike, *, recursive: bool = False, year: int | None = None,
                progress: Callable[[int, int, Path], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> list[RosterRow]:
    """One :class:`RosterRow` per workspace file of ``folder`` (non-recursive unless ``recursive``)."""
    files = roster_files(folder, recursive=recursive)
    out = []
    for i, p in enumerate(files):
        if cancelled is not None and cancelled():
            break
        if progress is not None:
            progress(i, len(files), p)
        out.append(read_workspace(p, year))
    return out


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
