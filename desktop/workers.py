"""Run a function off the UI thread and get its result back on the UI thread."""
from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Relay(QObject):
    done = Signal(object, object)      # result, error text


class _Task(QRunnable):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.relay = _Relay()

    @Slot()
    def run(self):
        try:
            result = self.fn()
        except Exception as exc:      # noqa: BLE001 — becomes a message, never a crash
            self.relay.done.emit(None, f"{exc}" or traceback.format_exc().splitlines()[-1])
            return
        self.relay.done.emit(result, None)


_alive: set = set()


def run_in_pool(pool: QThreadPool, fn, finished) -> None:
    """``fn()`` in ``pool``; ``finished(result, error)`` on the UI thread."""
    task = _Task(fn)
    task.setAutoDelete(False)
    _alive.add(task)

    def done(result, error):
        _alive.discard(task)
        finished(result, error)

    task.relay.done.connect(done)
    pool.start(task)


class Cancelled(Exception):
    """Raised inside a worker by :meth:`Progress.report` once the user pressed 取消."""


class Progress:
    """Shared between a worker and the UI thread: the worker reports ``(done, total)``; the UI polls it and may
    cancel.  Plain attributes (each assignment is atomic under the GIL); no Qt object crosses threads."""

    def __init__(self):
        self.done = 0
        self.total = 0
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def report(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.cancelled:
            raise Cancelled()
