"""The desktop review (docs: ../shared/reviews/desktop-app.md, issue 18) replayed through the real widgets:
keys, wheel, clipboard and wizard steps, the way the reviewer drove the window (pytest-qt, offscreen)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

pytestmark = pytest.mark.usefixtures("private_config")


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


# -- #1 a stale statement is never saved or printed ------------------------------------------------------
def test_statement_goes_stale_on_edit_and_saved_pdf_has_the_new_figure(sample_window, qtbot, tmp_path):
    win = sample_window
    view = win.statement
    win.save_statement()
    qtbot.waitUntil(lambda: view.pdf_path is not None and not view.busy, timeout=120000)
    assert view.save_button.isEnabled() and not view.stale_bar.isVisible()
    old_sd = win.doc.evaluation.sd.extra_deduction
    assert _yuan(old_sd) in _pdf_text(view.pdf_path)
    # edit an amount in the ledger the way a user does: the statement says at once it is out of date
    page = win.pages["lines"]
    model = page.model
    col = model.column_of("amount")
    row = next(r for r in range(model.rowCount()) if model.data_cols["code"][model.view[r]] == "R04"
               and str(model.data_cols["date"][model.view[r]]).startswith("2024"))
    old = model.data_cols["amount"][model.view[row]]
    assert model.setData(model.index(row, col), _yuan(old + 100_000_00))
    assert view.stale and view.stale_bar.isVisible()
    assert not view.save_button.isEnabled() and not view.print_button.isEnabled()
    with pytest.raises(RuntimeError, match="过期"):
        view.save_pdf(tmp_path / "old.pdf")
    assert view.save_pdf_dialog() is None
    # 重新生成 → the statement of the current data, saved
    QTest.mouseClick(view.regenerate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.pdf_path is not None and not view.busy and not view.stale, timeout=120000)
    assert view.save_button.isEnabled()
    ev = win.doc.evaluation
    saved = view.save_pdf(tmp_path / "new.pdf")
    text = _pdf_text(saved)
    assert view.ev.sd.extra_deduction == ev.sd.extra_deduction != old_sd
    (tmp_path / "text.txt").write_text(text)
    assert _yuan(ev.sd.extra_deduction) in text
    assert _yuan(old_sd) not in text
