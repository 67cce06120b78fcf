"""A ledger with no lines (issue 17 “An empty ledger crashes”; hostile-input review C3: E10, E18, L17 and the blank-only
rows of the differential fuzzer).

A 研发支出 sheet with its header and no lines is valid (interfaces.md §1: an enterprise computing only its 小型微利
tax or its 高企 growth score).  The import path that parses 研发支出 while the file is read (``LinesIntake``) kept no
line columns when no data row came, and ``LineColumns`` then failed with ``KeyError: 'date'``: every command ended in
``内部错误``.  These tests go through that path (a real .xlsx file) for every way a sheet can have no line.
"""
from __future__ import annotations

import json
from decimal import Decimal

import openpyxl
import pytest

import main
from calc.evaluate import evaluate
from calc.ingest import build_ledger
from forms.workbook import load_ledger
from tests.builders import build, line, other_year, project, year_row


def _year(**kw):
    return year_row(2024, total_income=Decimal(5_000_000), taxable_income=Decimal(800_000), staff_total=40,
                    staff_quarterly_avg=40, assets_quarterly_avg=Decimal(10_000_000), **kw)


def _blank_rows(path, rows: list[list]):
    """Append raw rows (whitespace, empty strings) under the 研发支出 header, as a user's Excel may save them."""
    wb = openpyxl.load_workbook(path)
    ws = wb["研发支出"]
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _cases(tmp_path):
    """(name, workbook) for every shape of “no line” the review and the issue name."""
    yield "header only", build(tmp_path, years=[_year()], projects=[project("RD01")])
    yield "E10 whitespace-only rows", _blank_rows(build(tmp_path, years=[_year()], projects=[project("RD01")]),
                                                  [[" ", "\u3000", "\t", " ", " ", " ", " "] for _ in range(50)])
    yield "blank-only rows", _blank_rows(build(tmp_path, years=[_year()], projects=[project("RD01")]),
                                         [["", None, "", None, "", "", ""] for _ in range(5)])
    yield "E18 year row only", build(tmp_path, years=[_year(rd_super=Decimal(300_000), rd_hnte=Decimal(320_000),
                                                                rd_domestic=Decimal(320_000))])
    yield "L17 adjustments only", build(tmp_path, years=[_year()], projects=[project("RD01")],
                                        adjustments=[{"year": 2024, "kind": "特殊收入", "amount": Decimal(10**12)}])
    yield "lines only in another year", build(tmp_path, years=[_year(), other_year(2023)], projects=[project("RD01")],
                                              lines=[line("2023-05-01", "RD01", "R04", 1000)])


def test_every_no_line_shape_imports_and_evaluates(tmp_path):
    for name, path in _cases(tmp_path):
        ledger = load_ledger(path)
        assert not [f for f in ledger.findings if f.severity == "error"], (name, ledger.findings)
        assert all(ln.date.year != 2024 for ln in ledger.lines), name
        ev = evaluate(ledger, 2024)
        assert ev.sd.rows.get("R40", 0) == 0, name
        # the income tax is still computed from the year row: 800,000 小型微利 → 5% × 800,000 = 40,000.00 (2024)
        assert ev.tax is not None and ev.tax.with_.tax == 4_000_000, name


def test_intake_and_row_parse_agree_on_an_empty_sheet(tmp_path):
    """The product path (LinesIntake while reading) and build_ledger on the raw rows give the same empty ledger."""
    from forms.xlsx_reader import read_workbook
    path = build(tmp_path, years=[_year()], projects=[project("RD01")])
    raw = read_workbook(path)
    direct = build_ledger({n: s.rows for n, s in raw.sheets.items()})
    assert load_ledger(path).lines == direct.lines == ()


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_compute_on_an_empty_ledger(tmp_path, capsys, as_json):
    path = build(tmp_path, years=[_year()], projects=[project("RD01")])
    code = main.main(["compute", str(path), "--year", "2024", *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "内部错误" not in err and "Traceback" not in err
    if as_json:
        doc = json.loads(out)
        assert doc["super_deduction"]["a107012"]["40"] == "0.00"
        assert doc["income_tax"]["tax_payable"] == "40000.00"


def test_cli_export_and_statement_on_an_empty_ledger(tmp_path, capsys):
    path = build(tmp_path, years=[_year()], projects=[project("RD01")])
    assert main.main(["export", str(path), "--year", "2024", "--out", str(tmp_path / "out")]) == 0
    pdf = tmp_path / "s.pdf"
    assert main.main(["statement", str(path), "--year", "2024", "-o", str(pdf)]) == 0
    _, err = capsys.readouterr()
    assert "内部错误" not in err
    assert pdf.read_bytes().startswith(b"%PDF")


def test_quick_estimate_with_no_r_and_d(tmp_path):
    """The quick estimate with every R&D amount zero: a ledger with no line, evaluated."""
    from calc.quick import QuickInput, evaluate_quick
    ev = evaluate_quick(QuickInput(year=2024, industry_code="C3981", taxable_income=80_000_000, staff_total=40,
                                   total_assets=1_000_000_000))
    assert ev.sd.rows.get("R40", 0) == 0 and ev.tax.with_.tax == 4_000_000


def test_gui_opens_an_empty_ledger_workbook(qtbot, tmp_path, private_config):
    """打开 of the workbook (the GUI path: an .xlsx becomes a workspace) shows the window with no line."""
    from desktop.main_window import MainWindow
    path = build(tmp_path, years=[_year(rd_super=Decimal(300_000))])
    win = MainWindow()
    qtbot.addWidget(win)
    win.ask = lambda *a, **k: 1
    errors = []
    win.show_error = errors.append
    assert win.open_path(path) is True, errors
    qtbot.waitUntil(lambda: win.doc.evaluation is not None, timeout=60000)
    assert not errors
    assert win.doc.evaluation.tax.with_.tax == 4_000_000
    win.doc.detach(discard=True)


def test_main_open_on_an_empty_ledger_starts(tmp_path):
    """``main.py --open`` of an E18-like workbook starts the app (smoke: the window opens and closes)."""
    import os
    import subprocess
    import sys
    path = build(tmp_path, years=[_year(rd_super=Decimal(300_000))])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"), HOME=str(tmp_path))
    probe = ("import sys, main\n"
             "from PySide6.QtCore import QTimer\n"
             "from PySide6.QtWidgets import QApplication\n"
             "app = QApplication([sys.argv[0]])\n"
             "QTimer.singleShot(4000, app.quit)\n"
             f"sys.exit(main.main(['--open', {str(path)!r}]))\n")
    r = subprocess.run([sys.executable, "-c", probe], cwd=os.path.dirname(main.__file__), env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "内部错误" not in r.stderr and "Traceback" not in r.stderr
