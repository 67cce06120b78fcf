"""Open a ledger workbook file (xlsx/xls) and build the ledger from it."""
from __future__ import annotations

from pathlib import Path

from calc.ingest import build_ledger
from calc.model import Ledger
from calc.params import Params

from .xlsx_reader import WorkbookError, read_workbook

__all__ = ["load_ledger", "WorkbookError"]


def load_ledger(path: str | Path, params: Params | None = None) -> Ledger:
    """Read a canonical workbook. Raises :class:`WorkbookError` for a file that is not a readable workbook."""
    raw = read_workbook(path)
    return build_ledger({name: sheet.rows for name, sheet in raw.sheets.items()}, params)
