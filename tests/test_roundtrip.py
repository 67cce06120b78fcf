"""Round trips: the template filled with the sample's data, and export → import, give identical figures."""
from __future__ import annotations

import json

import openpyxl
import pytest

import main
from calc.evaluate import evaluate
from calc.schema import SHEET_FACTS, SHEETS
from forms.report import evaluation_json
from forms.workbook import load_ledger, save_ledger

SAMPLE = main.SAMPLE
CASES = [(2022, "year"), (2023, "year"), (2024, "year"), (2024, "H1"), (2024, "Q1-Q3")]


def figures(ledger):
    out = {}
    for year, period in CASES:
        doc = evaluation_json(evaluate(ledger, year, period))
        doc.pop("findings")
        out[(year, period)] = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    return out


@pytest.fixture(scope="module")
def sample_figures():
    return figures(load_ledger(SAMPLE))


def test_template_filled_with_sample_data_imports_identically(tmp_path, sample_figures):
    template = tmp_path / "模板.xlsx"
    assert main.main(["template", "-o", str(template)]) == 0
    src = openpyxl.load_workbook(SAMPLE)
    dst = openpyxl.load_workbook(template)
    from calc.schema import ALLOCATION_SHEETS
    for name in (*SHEETS, SHEET_FACTS, *ALLOCATION_SHEETS):
        s, d = src[name], dst[name]
        for row in s.iter_rows():
            for cell in row:
                if cell.value is not None:
                    d.cell(row=cell.row, column=cell.column).value = cell.value
    filled = tmp_path / "filled.xlsx"
    dst.save(filled)
    assert figures(load_ledger(filled)) == sample_figures


def test_export_then_import_gives_the_same_figures(tmp_path, sample_figures):
    ledger = load_ledger(SAMPLE)
    out = tmp_path / "exported.xlsx"
    save_ledger(ledger, out)
    again = load_ledger(out)
    assert len(again.lines) == len(ledger.lines) and again.projects.keys() == ledger.projects.keys()
    assert figures(again) == sample_figures
    assert [f.code for f in again.findings] == [f.code for f in ledger.findings]
