"""The fast paths of issue 7 give what the plain definitions give (no timings here: see bench/).

- a workspace edit patches the cached ledger (calc.ingest.patch_lines) instead of rebuilding it: the patched
  ledger and its evaluation equal a full rebuild, whatever the edit;
- the engines' integer columns stay exact beyond int64;
- the ledger table sorts by _sort_key (stable; descending as list.sort(reverse=True)) and filters with masks
  equal to the row-by-row predicate.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import pytest

import main
from calc.columns import line_columns
from calc.evaluate import evaluate
from calc.ingest import build_ledger, patch_lines
from forms.report import evaluation_json
from forms.workbook import load_ledger
from forms.workspace import InvalidValue, Workspace


def _figures(ledger, year):
    return json.dumps(evaluation_json(evaluate(ledger, year)), ensure_ascii=False, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def sample():
    return load_ledger(main.SAMPLE)


def test_workspace_edits_patch_the_ledger_exactly(tmp_path, sample):
    ws = Workspace.create(tmp_path / "p.rdw", sample)
    try:
        ids, _ = ws.column_arrays("lines", ["amount"])
        evaluate(ws.ledger(), 2024)                    # results cached with the ledger, to be carried over
        rng = random.Random(7)
        values = {"amount": ["123.45", "-99999", "0"], "date": ["2024-03-05", "2023-02-01", "2022-12-31", "2015-06-01"],
                  "code": ["R04", "R36", "R37", "R39", "NE01", "XX"], "project_no": ["RD01", "RD03", "RD06", "RD99"],
                  "share": ["", "50%", "0%"], "funding": ["", "财政资金（不征税）"], "hnte_category": ["", "不计入"],
                  "tax_amount": ["", "10"]}
        patched = 0
        for step in range(30):
            field = rng.choice(sorted(values))
            try:
                ws.set_value("lines", rng.choice(ids), field, rng.choice(values[field]))
            except InvalidValue:
                continue
            if step % 7 == 6:
                ws.undo()
            before = ws._ledger_cache[1] if ws._ledger_cache else None
            ledger = ws.ledger()
            patched += ledger is not before and "_build" in ledger.__dict__ and bool(ledger.__dict__.get("_memo"))
            full = build_ledger(ws.sheets()[0])
            assert ledger.lines == full.lines
            assert ledger.findings == full.findings
            year = rng.choice([2022, 2023, 2024])
            assert _figures(ledger, year) == _figures(full, year)
        assert patched                                 # the in-place path was taken, with results carried over
    finally:
        ws.close(discard=True)


def test_patch_declines_what_it_cannot_redo(sample):
    sheets = {k: [list(r) for r in v] for k, v in _sheets(sample).items()}
    ledger = build_ledger(sheets)
    row = list(sheets["研发支出"][1])
    bad = list(row)
    bad[3] = "RD99"                                    # the line leaves the ledger: ids after it move
    assert patch_lines(ledger, {1: bad}) is None
    assert patch_lines(ledger, {1: []}) is None        # a blank row is not a data row
    good = list(row)
    good[6] = 1.25
    sheets["研发支出"][1] = good
    assert patch_lines(ledger, {1: good}).findings == build_ledger(sheets).findings


def _sheets(ledger):
    from forms.workbook import ledger_to_rows
    from forms.template import write_workbook
    from forms.xlsx_reader import read_workbook
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.xlsx"
        write_workbook(path, **ledger_to_rows(ledger))
        return {k: s.rows for k, s in read_workbook(path).sheets.items()}


def test_columns_keep_python_integers_beyond_int64(sample):
    huge = 2 ** 62
    lines = tuple(dataclasses.replace(l, amount=l.amount + huge if i == 0 else l.amount)
                  for i, l in enumerate(sample.lines))
    ledger = dataclasses.replace(sample, lines=lines)
    cols = line_columns(ledger)
    assert not cols.exact_int64
    assert cols.total(cols.amount) == sum(l.amount for l in lines)
    year = lines[0].date.year
    ev = evaluate(ledger, year)
    assert ev.hnte.calibers[year].accounting_total == sum(l.amount for l in lines if l.date.year == year)


@pytest.fixture
def model(qapp):
    from desktop.table_model import WorkspaceTableModel, _Columns
    m = WorkspaceTableModel(None, "lines")
    return m, _Columns


def test_table_sort_and_filter_match_the_row_by_row_definitions(model):
    from PySide6.QtCore import Qt

    from desktop.table_model import _sort_key, ledger_filter
    m, columns = model
    rng = random.Random(3)
    pool = {"date": ["2024-03-05", "2024-03-15", "2023-12-31", None], "voucher_kind": ["记", None],
            "voucher_no": ["记-1", "记-10", "a b", None], "project_no": ["RD01", "RD02", None],
            "code": ["R04", "r04", None], "summary": ["工资", "差旅费 北京", None, "ΑΣ"],
            "amount": [100, -5, 0, None, 10 ** 12], "tax_amount": [None, 3], "funding": ["自有", None],
            "share": ["40%", None], "hnte_category": [None, "不计入"]}
    fields = [c.field for c in m.columns]
    for _ in range(200):
        n = rng.randint(0, 40)
        m.ids = list(range(100, 100 + n))
        m.data_cols = columns(m, fields, {f: [rng.choice(pool[f]) for _ in range(n)] for f in fields})
        m._cache = {}
        args = (rng.choice([None, "RD01"]), rng.choice([None, "r04"]), rng.choice(["", "2024-03"]),
                rng.choice(["", "工", "费 北", "σ"]))
        predicate = ledger_filter(*args)
        col, how = rng.randrange(len(fields)), rng.choice([Qt.AscendingOrder, Qt.DescendingOrder])
        m._filter, m._sort = predicate, (col, how)
        m._rebuild_view()
        expected = [i for i in range(n) if predicate is None or predicate(m, i)]
        values = m.data_cols[fields[col]]
        expected.sort(key=lambda i: _sort_key(values[i]), reverse=how == Qt.DescendingOrder)
        assert m.view == expected
        assert m.total("amount") == sum(m.data_cols["amount"][i] or 0 for i in expected)
