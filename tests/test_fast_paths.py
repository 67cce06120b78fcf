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
from hypothesis import given, settings
from hypothesis import strategies as st

import main
from calc import schema as S
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


# -- line ids kept as arrays until read (calc.columns.LineIds) ----------------------------------------------

def test_line_ids_behave_as_the_tuple():
    import copy
    import pickle

    import numpy as np

    from calc.columns import LineIds, ids_array

    t = (5, 3, 9, 3)
    ids = LineIds(np.array(t, dtype=np.int64))
    assert len(ids) == 4 and bool(ids) and not LineIds(np.zeros(0, np.int64))
    assert ids == t and t == ids and ids != (5, 3) and ids == LineIds(np.array(t, dtype=np.int64))
    assert hash(ids) == hash(t) and repr(ids) == repr(t)
    assert list(ids) == list(t) and tuple(ids) == t and set(ids) == set(t)
    assert ids[1] == 3 and ids[-1] == 3 and ids[1:3] == (3, 9) and list(reversed(ids)) == list(reversed(t))
    assert 9 in ids and 4 not in ids and ids.index(3) == 1 and ids.count(3) == 2
    assert ids + (1,) == t + (1,) and (1,) + ids == (1,) + t
    assert all(type(i) is int for i in ids)
    assert pickle.loads(pickle.dumps(ids)) == t and copy.deepcopy(ids) == t
    assert dataclasses.asdict(_Holder(ids))["ids"] == t
    assert ids_array(ids).tolist() == list(t) and ids_array(t).tolist() == list(t)


@dataclasses.dataclass
class _Holder:
    ids: object


def test_summary_and_activity_line_ids_are_the_lines_counted(sample):
    from calc.hnte import hnte_caliber

    sd = evaluate(sample, 2024).sd
    counted = [i for r in sd.summary for i in r.line_ids]
    assert counted and len(counted) == len(set(counted)) and all(type(i) is int for i in counted)
    for trace in sd.traces.values():
        assert set(trace.lines) <= set(counted) | {i for i, _ in sd.excluded}
    cal = hnte_caliber(sample, 2024)
    in_activities = tuple(i for a in cal.activities for i in a.line_ids)
    assert in_activities and cal.traces["total"].lines == in_activities


# -- the reader's fast paths -----------------------------------------------------------------------------

def test_reader_rows_are_the_same_with_and_without_shared_values(tmp_path, monkeypatch):
    import openpyxl

    from forms import xlsx_reader

    path = tmp_path / "w.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws["C3"] = "甲"
    ws["D3"] = ""
    ws["E3"] = dt.date(2024, 3, 5)
    ws["F3"] = 12.5
    ws["C4"] = "甲"
    ws["E4"] = dt.date(2024, 3, 5)
    ws["G4"] = dt.timedelta(hours=30)
    ws["G4"].number_format = "[h]:mm:ss"
    ws["H4"] = dt.timedelta(minutes=90)
    ws["H4"].number_format = "[h]:mm:ss"
    ws["C6"] = True
    wb.create_sheet("空")
    wb.save(path)
    plain = xlsx_reader.read_workbook(path)
    monkeypatch.setattr(xlsx_reader, "_SHARE_CELLS", 0)
    shared = xlsx_reader.read_workbook(path)

    def typed(book):
        return {k: [[(type(v), v) for v in r] for r in s.rows] for k, s in book.sheets.items()}

    assert typed(plain) == typed(shared)
    rows = shared.sheets["数据"].rows
    assert rows[0] == [] and rows[1] == [] and rows[2][:2] == [None, None] and rows[2][3] is None
    assert rows[2][2] is rows[3][2] == "甲" and rows[2][4] is rows[3][4]        # equal values shared
    assert rows[4] == [] and rows[5] == [None, None, True] and shared.sheets["空"].rows == []
    assert all(not r or r[-1] is not None for r in rows)


def test_dtd_scan_finds_every_marker_and_nothing_else():
    from forms.xlsx_reader import _has_dtd

    body = b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>' * 100
    assert not _has_dtd(body)
    assert not _has_dtd(body + b"<!-- comment --><![CDATA[x]]>")
    for marker in ("<!DOCTYPE", "<!ENTITY"):
        assert _has_dtd(body + marker.encode("ascii") + body)
        assert _has_dtd(body + marker.encode("utf-16-le") + body)
        assert _has_dtd(body + marker.encode("utf-16-be") + body)


def test_gc_paused_restores_the_collector():
    import gc

    from calc.ingest import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        junk = [[i] for i in range(10_000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0 and len(junk) == 10_000
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# ---- the column-wise parse of an import (calc.ingest._parse_column): the fast paths for columns of strings and
#      blanks give what the cell-by-cell loop gives, for every kind of column

_cells = st.one_of(st.none(), st.sampled_from(["", "  ", "R04", " R04 ", "04", "3", "自有", "财政资金（不征税）", "其他",
                                                "付", "记", "2024-03-05", "2024/3/5", "1,234.56", "-7.5", "50%", "0.5",
                                                "是", "否", "x", "研发 支出", "\t"]),
                   st.text(max_size=6))


@settings(max_examples=150, deadline=None)
@given(st.lists(_cells, min_size=65, max_size=120), st.sampled_from(range(len(S.LINE_COLUMNS + S.PROJECT_COLUMNS))))
def test_column_fast_paths_equal_the_cell_by_cell_parse(cells, which):
    from calc import ingest

    col = (S.LINE_COLUMNS + S.PROJECT_COLUMNS)[which]
    fast = ingest._parse_column(col, cells)
    slow = ingest._parse_column(col, cells[:64]), ingest._parse_column(col, cells[64:])   # each below the threshold
    assert fast[0] == slow[0][0] + slow[1][0]
    assert [type(v) for v in fast[0]] == [type(v) for v in slow[0][0] + slow[1][0]]
    assert fast[1] == slow[0][1] + [64 + k for k in slow[1][1]]
    assert fast[2] == {**slow[0][2], **{64 + k: m for k, m in slow[1][2].items()}}


def test_quiet_rows_are_exactly_the_rows_check_has_nothing_to_say_about(monkeypatch):
    """calc.ingest._LineRows.quiet decides from the columns which 研发支出 rows skip ``check``: the ledger (lines,
    findings, columns) is the same when every row goes through ``check``."""
    from calc import ingest

    plain = load_ledger(main.SAMPLE)
    seen = []
    real = ingest._LineRows.quiet

    def spy(self, problems):
        quiet = real(self, problems)
        seen.append(quiet)
        for k, q in enumerate(quiet):           # a quiet row is valid and check() says nothing about it
            if q:
                said = []
                assert self.check(k, 1, True, 0, lambda *a: said.append(a)) is not None and not said, k
        return [False] * len(quiet)

    monkeypatch.setattr(ingest._LineRows, "quiet", spy)
    slow = load_ledger(main.SAMPLE)
    assert slow == plain and seen and sum(seen[0]) > 2000
    assert slow.findings == plain.findings
    np = pytest.importorskip("numpy")
    a, b = line_columns(slow), line_columns(plain)
    for name in ("ids", "ordinal", "proj", "code", "amount", "base", "elig", "hnte_amount", "grant", "hcat"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_line_columns_from_the_import_columns_equal_those_from_the_lines():
    from calc.columns import LineColumns
    from forms.xlsx_reader import read_workbook
    np = pytest.importorskip("numpy")

    raw = read_workbook(main.SAMPLE)
    sheets = {k: s.rows for k, s in raw.sheets.items() if k not in S.ALLOCATION_SHEETS}
    ledger = build_ledger(sheets)
    assert ledger.allocation is None and len(ledger.lines) > 2000
    a, b = line_columns(ledger), LineColumns(ledger.lines)
    for name in ("ids", "ordinal", "year", "proj", "code", "amount", "base", "elig", "hnte_amount", "has_tax",
                 "has_share", "grant", "hcat"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.proj_keys, a.code_keys, a.hcat_keys, a.years, a.exact_int64, a.ids_identity) == \
        (b.proj_keys, b.code_keys, b.hcat_keys, b.years, b.exact_int64, b.ids_identity)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.floats(-1e13, 1e13).map(lambda x: round(x, 2)),
                          st.integers(-10**9, 10**9).map(lambda k: k / 100),
                          st.sampled_from([0.0, -0.0, 0.005, 0.015, 1e12 - 0.01, 1e12, -1e12, 2.675, 1.005])),
                min_size=65, max_size=120),
       st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), min_size=65, max_size=80))
def test_float_and_date_columns_equal_the_cell_by_cell_parse(floats, dates):
    from calc import ingest

    for col, cells in ((next(c for c in S.LINE_COLUMNS if c.field == "amount"), floats),
                       (next(c for c in S.LINE_COLUMNS if c.field == "date"), dates)):
        fast = ingest._parse_column(col, cells)
        slow = ingest._parse_column(col, cells[:64]), ingest._parse_column(col, cells[64:])
        assert fast[0] == slow[0][0] + slow[1][0]
        assert [type(v) for v in fast[0]] == [type(v) for v in slow[0][0] + slow[1][0]]
        assert fast[1] == slow[0][1] + [64 + k for k in slow[1][1]]
        assert fast[2] == {**slow[0][2], **{64 + k: m for k, m in slow[1][2].items()}}


def _sample_sheets():
    from forms.xlsx_reader import read_workbook
    return {k: [list(r) for r in s.rows] for k, s in read_workbook(main.SAMPLE).sheets.items()}


_SAMPLE_SHEETS = None


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=30), st.sets(st.sampled_from(
    ["unknown project", "unknown code", "bad amount", "blank rows", "header lower", "grant", "R39", "early date"]),
    max_size=4), st.randoms(use_true_random=False))
def test_a_ledger_fed_block_by_block_equals_the_ledger_of_the_rows(blocks, mutations, rnd):
    """calc.ingest.LinesIntake (what load_ledger feeds while the file is read): any split of 研发支出 into blocks,
    with rows that lose their line only once the projects are known (the intake's lines are then made again)."""
    from calc import ingest

    global _SAMPLE_SHEETS
    if _SAMPLE_SHEETS is None:
        _SAMPLE_SHEETS = _sample_sheets()
    sheets = {k: [list(r) for r in v] for k, v in _SAMPLE_SHEETS.items()}
    rows = sheets[S.SHEET_LINES]
    picks = [rnd.randrange(1, len(rows)) for _ in range(6)]
    for m in mutations:
        for i in picks[:3]:
            row = rows[i] + [None] * (11 - len(rows[i]))
            if m == "unknown project":
                row[3] = "不存在的项目"
            elif m == "unknown code":
                row[4] = "R99"
            elif m == "bad amount":
                row[6] = "十二元"
            elif m == "grant":
                row[8] = "财政资金（不征税）"
            elif m == "R39":
                row[4] = "R39"
            elif m == "early date":
                row[0] = dt.date(2015, 6, 1)
            rows[i] = row
        if m == "blank rows":
            for i in picks[3:]:
                rows[i] = []
        if m == "header lower":
            rows[0:0] = [[], ["说明"]]
    expected = build_ledger(sheets)
    intakes = ingest.line_intakes()
    intake = intakes[S.SHEET_LINES]
    at = 0
    for size in blocks * (len(rows) // max(1, sum(blocks)) + 1):
        if at >= len(rows):
            break
        intake.feed(rows[at:at + size])
        at += size
    intake.feed(rows[at:])
    got = build_ledger(sheets, intakes=intakes)
    assert got == expected
    assert got.findings == expected.findings
    assert [l.src for l in got.lines] == [l.src for l in expected.lines]
