"""Work done in a child process, so its time and peak memory are its own (``python -m bench.child TASK FILE``).

Prints one JSON line: {"seconds": …, "lines": …}.  The parent reads the peak resident set size of the
child with ``resource.getrusage(RUSAGE_CHILDREN)`` (see :func:`bench.run.in_child`).
"""
from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    task, path = argv[0], argv[1]
    if task == "import":
        from calc.params import load_params
        from forms.workbook import load_ledger

        load_params()
        t = time.perf_counter()
        ledger = load_ledger(path)
        seconds = time.perf_counter() - t
        print(json.dumps({"seconds": seconds, "lines": len(ledger.lines), "findings": len(ledger.findings)}))
    elif task == "calamine":
        from python_calamine import CalamineWorkbook

        t = time.perf_counter()
        wb = CalamineWorkbook.from_path(path)
        cells = sum(len(r) for name in wb.sheet_names for r in wb.get_sheet_by_name(name).to_python())
        seconds = time.perf_counter() - t
        print(json.dumps({"seconds": seconds, "cells": cells}))
    elif task in ("pipeline", "pipeline_serial"):
        # the whole run as a user starts it: read the roster (or folder), evaluate every enterprise, place it
        import datetime as dt
        import forms.pipeline as fp
        if task == "pipeline_serial":
            fp._workers = lambda: 1
        t = time.perf_counter()
        run = fp.run_pipeline(path, 2025, as_of=dt.date(2026, 12, 7))
        seconds = time.perf_counter() - t
        print(json.dumps({"seconds": seconds, "enterprises": len(run.results),
                          "errors": sum(1 for r in run.results if not r.ok)}))
    else:
        raise SystemExit(f"unknown task {task}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
