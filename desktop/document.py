"""The open enterprise: its workspace file and the current evaluation, recomputed off the UI thread."""
from __future__ import annotations

import datetime as dt
import tempfile
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from calc.evaluate import Evaluation, evaluate
from calc.ingest import gc_paused
from forms.workbook import load_ledger
from forms.workspace import SaveError, Workspace, WorkspaceError, add_recent

AUTOSAVE_MS = 60_000



DEMO_PREFIX = "rd-benefit-demo-"
DEMO_NAME = "示例企业.rdw"


def sweep_demo_folders(root: Path | None = None, *, max_age_days: int = 2, now: float | None = None) -> list[Path]:
    """Remove the temporary folders of earlier “打开示例” sessions — only those that hold nothing but the demo
    workspace (and its sidecars), are older than ``max_age_days``, are not open anywhere (no lock) and were never
    saved after their creation (revision ≤ 1).  Anything else, e.g. a demo the user edited and saved there, is
    left alone.  Returns the folders removed; never raises."""
    import shutil
    import time

    root = Path(root or tempfile.gettempdir())
    limit = (time.time() if now is None else now) - max_age_days * 86400
    removed = []
    try:
        candidates = sorted(root.glob(DEMO_PREFIX + "*"))
    except OSError:
        return removed
    for folder in candidates:
        try:
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_mtime > limit:
                continue
            files = list(folder.iterdir())
            if any(not f.name.startswith(DEMO_NAME) or f.is_dir() for f in files):
                continue
            if any(f.name.endswith("-lock") for f in files) or not (folder / DEMO_NAME).exists():
                continue
            if any(f.stat().st_mtime > limit for f in files):
                continue
            ws = Workspace.open(folder / DEMO_NAME, readonly=True)
            try:
                revision = int(ws.meta().get("revision") or 0)
            finally:
                ws.close()
            if revision > 1:
                continue
            shutil.rmtree(folder)
            removed.append(folder)
        except (OSError, WorkspaceError, ValueError):
            continue
    return removed

class _Signals(QObject):
    done = Signal(int, object, object)          # generation, evaluation or None, error text or None


class _EvalTask(QRunnable):
    def __init__(self, generation: int, ws: Workspace, year: int, period: str, packs: list):
        super().__init__()
        self.generation, self.ws, self.year, self.period, self.packs = generation, ws, year, period, packs
        self.signals = _Signals()

    @Slot()
    def run(self):
        try:
            with gc_paused():   # reading a big workspace's rows makes millions of objects and no cycles
                ledger = self.ws.ledger()
            ev = evaluate(ledger, self.year, self.period, packs=self.packs)
            self.signals.done.emit(self.generation, ev, None)
        except Exception as exc:  # reported in the window, never a crash
            self.signals.done.emit(self.generation, None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")


class Document(QObject):
    """Holds the :class:`Workspace`, the selected year/period and the latest :class:`Evaluation`."""

    changed = Signal()                 # workspace content changed (tables must refresh)
    evaluated = Signal(object)         # a new Evaluation
    busy = Signal(bool)
    error = Signal(str)
    saved = Signal(str)

    def __init__(self, parent=None, autosave_ms: int = AUTOSAVE_MS):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.year = dt.date.today().year - 1
        self.period = "year"
        self.extra_packs: list[str] = []
        self.evaluation: Evaluation | None = None
        self._generation = 0
        self._pending = False
        self._unsubscribe = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_ms)
        self.autosave_timer.timeout.connect(self.autosave)
        self._recompute_timer = QTimer(self)
        self._recompute_timer.setSingleShot(True)
        self._recompute_timer.setInterval(250)
        self._recompute_timer.timeout.connect(self.recompute)
        self.last_autosave: dt.datetime | None = None

    # -- files -----------------------------------------------------------------------------
    def attach(self, ws: Workspace) -> None:
        self.detach()
        self.ws = ws
        self._unsubscribe = ws.subscribe(self._on_change)
        years = [r.get("year") for r in ws.rows("years") if r.get("year")]
        if years:
            self.year = max(years)
        if not ws.readonly:
            self.autosave_timer.start()
            add_recent(ws.path)
        self.changed.emit()
        self.recompute()

    def detach(self, *, discard: bool = False) -> None:
        self.autosave_timer.stop()
        self.pool.waitForDone()
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        if self.ws is not None and not self.ws.closed:
            self.ws.close(discard=discard)
        self.ws = None
        self.evaluation = None

    def open_sample(self) -> Path:
        """The bundled sample enterprise, as a fresh workspace in a temporary folder (earlier, untouched demo
        folders are swept first: :func:`sweep_demo_folders`)."""
        from forms.resources import SAMPLE_WORKBOOK
        sweep_demo_folders()
        folder = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX))
        path = folder / "示例企业.rdw"
        ws = Workspace.create(path, load_ledger(SAMPLE_WORKBOOK))
        self.attach(ws)
        return path

    def autosave(self) -> bool:
        if self.ws is None or self.ws.readonly or self.ws.closed:
            return False
        try:
            done = self.ws.autosave()
        except SaveError as exc:
            self.error.emit(str(exc))
            return False
        if done:
            self.last_autosave = dt.datetime.now()
            self.saved.emit("autosave")
        return done

    # -- computation -------------------------------------------------------------------------
    def _on_change(self, table, kind, row_ids, field) -> None:
        if table == "evidence":            # 留存备查 marks: not ledger data (the checklist view refreshes itself)
            return
        self.changed.emit()
        self._recompute_timer.start()

    def set_period(self, year: int, period: str) -> None:
        self.year, self.period = year, period
        self.recompute()

    def recompute(self) -> None:
        if self.ws is None:
            return
        self._generation += 1
        task = _EvalTask(self._generation, self.ws, self.year, self.period, list(self.extra_packs))
        task.signals.done.connect(self._done)
        self.busy.emit(True)
        self.pool.start(task)

    def recompute_now(self) -> Evaluation | None:
        """Synchronous recompute (tests, printing)."""
        if self.ws is None:
            return None
        self._generation += 1
        with gc_paused():
            ledger = self.ws.ledger()
        self.evaluation = evaluate(ledger, self.year, self.period, packs=list(self.extra_packs))
        self.evaluated.emit(self.evaluation)
        return self.evaluation

    def _done(self, generation: int, ev, err) -> None:
        if generation != self._generation:
            return                      # a newer computation is under way
        self.busy.emit(False)
        if err:
            self.error.emit(f"计算失败：{err.splitlines()[0]}")
            return
        self.evaluation = ev
        self.evaluated.emit(ev)

    def wait(self) -> None:
        self.pool.waitForDone()
