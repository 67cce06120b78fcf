"""Fuzzing the importers (issue 8, item 2): no exception escapes, every problem becomes a finding.

Two cell-level fuzzers run ``RD_FUZZ_EXAMPLES`` cases each and the whole-file fuzzer a fifth of that (default
1,200, about a minute in all; the full run documented in docs/reliability.md uses 10,000).  With
``RD_FUZZ_REPORT=path`` the case counts and known-bug hits of the run are written there as JSON.

1. **Canonical workbook** — the bundled sample read once through :func:`forms.xlsx_reader.read_workbook`
   (研发支出 cut to 41 rows and the 工时分配 sheets 人员工时 / 人员薪酬 / 设备折旧 / 设备工时 to the rows of three
   months, so that one case costs milliseconds), then mutated in memory: cells set to
   random text, numbers, NaN/inf, dates, booleans, huge text, control characters, formula-like text;
   rows inserted / deleted / duplicated / padded; columns deleted / swapped / inserted; headers renamed or
   duplicated; sheets renamed, deleted, added or emptied.  The raw sheets go straight into
   :func:`calc.ingest.build_ledger` (no file I/O; the allocation invariants of tests/test_fuzz_allocation.py are
   checked on the result), then :func:`calc.evaluate.evaluate` for a random year and period, the risk screening
   (``Evaluation.risks``, every RiskFinding well formed), then the CLI's JSON document (with its ``risks`` and
   ``allocation`` sections) and text summary.  The dedicated 工时分配 fuzzer is tests/test_fuzz_allocation.py.
2. **ERP exports** — the messy 用友 / 金蝶 exports of tests/test_erp_import.py (xlsx, GBK CSV, tab-separated
   UTF-8 text, two-row-header 明细账, legacy .xls), opened once, mutated the same way, then
   :func:`forms.erp_import.guess_preset` / ``detect_header`` / ``convert`` / ``preview`` /
   ``to_workbook_rows``, and the converted lines fed into ``build_ledger``.
3. **Whole files** — byte flips, truncations, insertions and XML-level edits (re-zipped with valid CRCs) of a
   small valid xlsx, each loaded with :func:`forms.workbook.load_ledger` in a separate worker process (a
   native abort would be a failure, not a dead test run): only a Ledger or a WorkbookError, within a time
   limit.

Open bugs the fuzzers find are listed in :data:`KNOWN_BUGS` (an exception matching a signature is counted, not
failed, so the fuzzers keep looking for new problems) with a strict-xfail reproduction at the end of this file.
There are none: the six found so far (KB1–KB5: non-finite and huge numeric text, years before 2016, dates near
9999; ERP1: a “*” cell below an ERP header row) are fixed and kept as regression tests.  No value class is kept out of the
generators.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import io
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
import zipfile
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from calc import schema as S
from calc.evaluate import evaluate
from calc.hnte import hnte_caliber
from calc.incometax import hnte_years
from calc.ingest import build_ledger
from calc.model import Finding, Ledger
from calc.params import load_params
from forms import erp_import as E
from forms import xlsx_reader
from forms.report import evaluation_json, text_summary
from forms.xlsx_reader import RawSheet, WorkbookError, read_workbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"
EXAMPLES = int(os.environ.get("RD_FUZZ_EXAMPLES", "1200"))
FILE_EXAMPLES = max(20, EXAMPLES // 5)         # whole-file cases cost a file write and a worker round trip
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
FILE_FUZZ = settings(FUZZ, max_examples=FILE_EXAMPLES)

FINDING_CODE = re.compile(r"^[EWI]_[A-Z0-9_]+$")
A1 = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")
CJK = re.compile(r"[\u4e00-\u9fff]")
EVAL_YEARS = tuple(range(2016, 2028))
STATS: collections.Counter = collections.Counter()


# =============================================================================== known open bugs

def _project_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(exc.__traceback__)
            if "/calc/" in f.filename.replace("\\", "/") or "/forms/" in f.filename.replace("\\", "/")]


#: id → (what, signature(exc, project frames) → bool).  Empty: KB1–KB5 and ERP1 are fixed (their regression tests
#: are at the end of this file).  A new open bug found by the fuzzers goes here with a strict-xfail reproduction.
KNOWN_BUGS: dict = {}


def known_bug(exc: BaseException) -> str | None:
    frames = _project_frames(exc)
    for bug_id, (_, signature) in KNOWN_BUGS.items():
        if signature(exc, frames):
            return bug_id
    return None


def run_guarded(stage: str, fn, *args, **kwargs):
    """Call fn; an exception is a test failure unless it is a known open bug (then counted, None returned)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - that is the point
        bug = known_bug(exc)
        if bug is None:
            raise AssertionError(f"{stage}: exception escaped: {type(exc).__name__}: {exc}") from exc
        STATS[f"known:{bug}"] += 1
        event(f"known bug {bug}")
        return None


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    """With RD_FUZZ_REPORT=path, write the case counts and known-bug hits of this run (docs/reliability.md)."""
    started = time.perf_counter()
    yield
    target = os.environ.get("RD_FUZZ_REPORT")
    if target:
        report = {"examples_per_fuzzer": EXAMPLES, "file_examples": FILE_EXAMPLES,
                  "seconds": round(time.perf_counter() - started, 1), "counts": dict(sorted(STATS.items()))}
        Path(target).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


# =============================================================================== checks

def check_findings(findings, *, sheets=None) -> None:
    """Every problem is a well-formed Finding that names its sheet (and a valid cell when it names one)."""
    for f in findings:
        assert isinstance(f, Finding), f
        assert f.severity in ("error", "warning", "info"), f
        assert isinstance(f.code, str) and FINDING_CODE.match(f.code), f
        assert isinstance(f.message, str) and f.message.strip(), f
        assert isinstance(f.sheet, str) and f.sheet, f"finding without a sheet: {f}"
        if sheets is not None:
            assert f.sheet in sheets, f
        assert f.row is None or (type(f.row) is int and f.row >= 1), f
        assert f.cell is None or (isinstance(f.cell, str) and A1.match(f.cell)), f
        f.as_line()
        f.as_dict()


def check_ledger(ledger: Ledger, sheets) -> None:
    assert isinstance(ledger, Ledger)
    check_findings(ledger.findings, sheets=set(sheets) | set(S.SHEETS) | {S.SHEET_FACTS})
    for line in ledger.lines:      # only valid lines are kept: every one is complete and points at a project
        assert type(line.amount) is int
        assert isinstance(line.date, dt.date)
        assert line.project_no in ledger.projects
        assert line.code
        # a 研发支出 row, or a line generated by 工时分配 from a payroll / depreciation row (it carries its basis)
        sheet = S.SHEET_LINES if line.basis is None else (S.SHEET_PAYROLL, S.SHEET_EQUIPMENT)
        assert line.src is not None and line.src.sheet in sheet and line.src.row >= 2


# =============================================================================== cell values

# Text an importer must survive: formula-like, control characters, numbers in every spelling, dates that do
# not exist, choices almost right, bidi / zero-width characters, astral hanzi and emoji, markup.
NASTY_TEXT = (
    "", " ", "\u3000", "\t", "\r\n", "\n\n", "\x00", "\x07\x1b[31m", "\x0b\x0c", "\u200b", "\u202e", "\ufeff",
    "=1+1", '=HYPERLINK("http://x","点我")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
    "NaN", "nan", "-nan", "sNaN", "inf", "-Infinity", "1,234.56", "1，234.56", "(1,234.56)", "（1,234.56）", "(-1)", "--1", "+-1",
    "１２３４．５６", "¥1,234.56元", "RMB 100", "1 000", "1.005", "0.001", "-0.00", "1e5", "1E-5", "1e309", "0x10",
    "12%", "120%", "-5%", "0.5%%", "%", "1/3", "0/0", "1/0", "一百元", "壹佰元整",
    "2024/13/45", "2024-02-30", "2023-02-29", "2024-2-29", "2024年3月5日", "2024.3.5", "20240305", "2024-03-05 25:61",
    "0000-00-00", "0024-03-05", "2100-12-31", "9999-12-31", "45000", "2958465",
    "是", "否", "Y", "n", "TRUE", "√", "×", "是否", "1", "0", "2",
    "R04", "r04", "R 04", "Ｒ０４", "04", "4", "R99", "NE01", "ne99", "NE100", "R39", "X99",
    "RD01", "rd01", " RD01 ", "RD01\n", "RD99", "自主研发", "委托研发", "费用化", "资本化", "已结束", "未结束", "受托方",
    "双方共有", "境内", "境外", "自有", "财政资金（不征税）", "财政资金（征税）", "H1", "Q1-Q3", "Q4", "特殊收入", "其他",
    "人员人工费用", "其他费用", "不计入", "ningxia-2022", "ningxia-2022,foshan-nanhai", "no-such-pack",
    "916401005541738271", "91640100554173827X", "C3983", "C", "Z9999", "GR202164000123", "2024310100123",
    "2024-13", "2024-00", "9999-12", "2024年3月", "202403", "非研发", " 非研发 ", "生产", "在职", "劳务派遣", "临时聘用",
    "仪器", "设备", "E0031", "SB-2019-017", "168.5", "-8",
    "𠀋", "😀", "<b>x</b>", "&amp;", "]]>", "<?xml", "\\", "'", '"', "项目" * 40,
    # issue 17 (hostile-input review): padded 凭证号 (R1), disguised identifiers and bidi (M6, M13, M14), bad times (M5)
    "记" + " " * 600 + "x", "记" + "\u3000" * 300 + "12号", "RD\u200b01", "\ufeffRD01", "R\u200d04", "ＲＤ01", "RDe\u0301",
    "研发项目---RD\u200b01---x", "\u202e司公限有\u202c", "abc\u2067x\u2069", "2024-3-5 25:61", "2024-03-05 23:59:59",
)
HEADERS = tuple(c.header for cols in (S.PROFILE_FIELDS, S.YEAR_COLUMNS, S.PROJECT_COLUMNS, S.LINE_COLUMNS,
                                      S.ADJUSTMENT_COLUMNS, S.FACT_COLUMNS, S.TIMESHEET_COLUMNS, S.PAYROLL_COLUMNS,
                                      S.EQUIPMENT_COLUMNS, S.EQUIPMENT_HOURS_COLUMNS) for c in cols)
HEADER_TEXT = st.one_of(
    st.sampled_from(HEADERS),
    st.sampled_from(HEADERS).map(lambda h: h + "（元）"),
    st.sampled_from(HEADERS).map(lambda h: " " + h + "\n"),
    st.sampled_from(HEADERS).map(lambda h: unicodedata.normalize("NFKD", h)),
    st.sampled_from(("字段", "值", "说明", "备注", "金额", "项目", "")),
)
HUGE_TEXT = st.sampled_from((10_000, 100_000, 1_000_000)).flatmap(
    lambda n: st.sampled_from(("x" * n, "研" * n, "1" * min(n, 4_000), "1" * min(n, 5_000), "1" * n, "1e99999999", "9" * n + "%",
                               " " * n + "RD01",
                               "\n" * n)))
CELL = st.one_of(
    st.none(),
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=24),
    st.text(st.characters(max_codepoint=0x7f), max_size=12),
    st.integers(-10**15, 10**15),
    st.integers(-10**300, 10**300),
    st.floats(),                                                          # NaN, ±inf, ±0.0, subnormals
    st.floats(-1e13, 1e13).map(lambda x: round(x, 2)),
    st.decimals(-10**15, 10**15, places=3),
    st.sampled_from((Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0"),
                     Decimal("1E+30"), Decimal("1E-30"))),
    st.booleans(),
    st.dates(),                                                           # 0001-01-01 … 9999-12-31
    st.dates(dt.date(2014, 1, 1), dt.date(2027, 12, 31)),
    st.datetimes(),
    st.times(),
    st.sampled_from((2015, 2016, 2020, 2024, 2026, 2101, 1999, 45000, 45000.5, 20240305, 0, 1, -1, 10, 100)),
    HUGE_TEXT,
)


# =============================================================================== mutations

def _pick_sheet(data, sheets) -> str | None:
    return data.draw(st.sampled_from(sorted(sheets)), label="sheet") if sheets else None


def _width(rows) -> int:
    return max((len(r) for r in rows), default=0)


def m_set_cell(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None:
        return
    rows = sheets[name]
    i = data.draw(st.integers(0, len(rows) + 2), label="row")
    j = data.draw(st.integers(0, _width(rows) + 2), label="col")
    while len(rows) <= i:
        rows.append([])
    row = rows[i]
    while len(row) <= j:
        row.append(None)
    row[j] = data.draw(CELL, label="value")


def m_set_header(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None or not sheets[name]:
        return
    rows = sheets[name]
    # the header of a table is row 1; of 企业信息 the field names are column A
    if name == S.SHEET_PROFILE:
        i = data.draw(st.integers(0, len(rows) - 1), label="row")
        row = rows[i]
        if not row:
            row.append(None)
        row[0] = data.draw(st.one_of(HEADER_TEXT, CELL), label="field")
        return
    head = rows[0]
    j = data.draw(st.integers(0, len(head)), label="col")
    while len(head) <= j:
        head.append(None)
    if head and data.draw(st.booleans(), label="duplicate"):
        head[j] = data.draw(st.sampled_from(head), label="copy")
    else:
        head[j] = data.draw(st.one_of(HEADER_TEXT, CELL), label="header")


def m_insert_row(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None:
        return
    rows = sheets[name]
    i = data.draw(st.integers(0, len(rows)), label="at")
    if rows and data.draw(st.booleans(), label="copy"):
        new = list(data.draw(st.sampled_from(rows), label="src"))
        if new:
            new[data.draw(st.integers(0, len(new) - 1))] = data.draw(CELL)
    else:
        new = data.draw(st.lists(CELL, max_size=24), label="cells")
    rows.insert(i, new)


def m_delete_rows(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None or not sheets[name]:
        return
    rows = sheets[name]
    i = data.draw(st.integers(0, len(rows) - 1))
    k = data.draw(st.integers(1, 5))
    del rows[i:i + k]


def m_shuffle_rows(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None or len(sheets[name]) < 3:
        return
    rows = sheets[name]
    body = rows[1:]
    order = data.draw(st.permutations(range(len(body))))
    rows[1:] = [body[k] for k in order]


def m_delete_column(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None:
        return
    j = data.draw(st.integers(0, max(0, _width(sheets[name]) - 1)))
    for row in sheets[name]:
        if len(row) > j:
            del row[j]


def m_insert_column(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None:
        return
    j = data.draw(st.integers(0, _width(sheets[name])))
    value = data.draw(CELL)
    for row in sheets[name]:
        if len(row) >= j:
            row.insert(j, value)


def m_swap_columns(data, sheets):
    name = _pick_sheet(data, sheets)
    if name is None:
        return
    w = _width(sheets[name])
    if w < 2:
        return
    a, b = data.draw(st.integers(0, w - 1)), data.draw(st.integers(0, w - 1))
    for row in sheets[name]:
        while len(row) <= max(a, b):
            row.append(None)
        row[a], row[b] = row[b], row[a]


def m_pad(data, sheets):
    """Blank rows above the header (past the 30-row scan), or a very wide row."""
    name = _pick_sheet(data, sheets)
    if name is None:
        return
    rows = sheets[name]
    if data.draw(st.booleans(), label="top"):
        rows[0:0] = [[] for _ in range(data.draw(st.integers(1, 40)))]
    elif rows:
        row = rows[data.draw(st.integers(0, len(rows) - 1))]
        row.extend([None] * data.draw(st.integers(0, 2000)) + [data.draw(CELL)])


def m_sheet(data, sheets):
    """Rename, delete, add, empty or duplicate a sheet."""
    name = _pick_sheet(data, sheets)
    what = data.draw(st.sampled_from(("rename", "delete", "add", "empty", "copy")), label="sheet op")
    new_name = data.draw(st.one_of(st.sampled_from(S.SHEETS + S.ALLOCATION_SHEETS + (S.SHEET_FACTS, S.SHEET_HELP, "代码表",
                                                                                     "Sheet1")),
                                   st.sampled_from(S.SHEETS).map(lambda s: s + " "), st.text(min_size=1, max_size=31)),
                         label="name")
    if what == "add" or name is None:
        sheets[new_name] = data.draw(st.lists(st.lists(CELL, max_size=8), max_size=6))
    elif what == "rename":
        sheets[new_name] = sheets.pop(name)
    elif what == "delete":
        del sheets[name]
    elif what == "empty":
        sheets[name] = []
    else:
        sheets[new_name] = [list(r) for r in sheets[name]]


MUTATIONS = (m_set_cell, m_set_cell, m_set_cell, m_set_cell, m_set_header, m_set_header, m_insert_row,
             m_delete_rows, m_shuffle_rows, m_delete_column, m_insert_column, m_swap_columns, m_pad, m_sheet)


def mutate(data, sheets, max_ops: int = 8):
    for _ in range(data.draw(st.integers(1, max_ops), label="mutations")):
        op = data.draw(st.sampled_from(MUTATIONS), label="op")
        op(data, sheets)
        STATS[f"op:{op.__name__}"] += 1
    return sheets


# =============================================================================== 1. canonical workbook

CANONICAL_MONTHS = ("2023-12", "2024-03", "2024-12")


@lru_cache(maxsize=1)
def canonical_sheets() -> dict[str, tuple[tuple, ...]]:
    raw = read_workbook(SAMPLE)
    sheets = {name: tuple(tuple(r) for r in sheet.rows) for name, sheet in raw.sheets.items()}
    lines = sheets[S.SHEET_LINES]
    sheets[S.SHEET_LINES] = (lines[0],) + lines[1::70]           # 41 lines spread over every year and project
    for name in S.ALLOCATION_SHEETS:        # 工时分配: the rows of three months (timesheets and payroll still meet)
        rows = sheets[name]
        j = list(rows[0]).index("月份")
        sheets[name] = (rows[0],) + tuple(r for r in rows[1:] if len(r) > j and str(r[j])[:7] in CANONICAL_MONTHS)
    return sheets


def fresh_canonical() -> dict[str, list[list]]:
    return {name: [list(r) for r in rows] for name, rows in canonical_sheets().items()}


@pytest.fixture(scope="module")
def params():
    return load_params()


@pytest.fixture(scope="module")
def allocation_checks():
    """check_allocation / check_risks of tests/test_fuzz_allocation.py (imported here: that module imports this one)."""
    from tests.test_fuzz_allocation import check_allocation, check_risks
    return check_allocation, check_risks


def test_canonical_base_is_clean(params, allocation_checks):
    """The fuzz starts from a workbook that imports and evaluates without errors."""
    sheets = fresh_canonical()
    ledger = build_ledger(sheets, params)
    assert not [f for f in ledger.findings if f.severity == "error"]
    manual = [ln for ln in ledger.lines if ln.basis is None]
    assert len(manual) == len(sheets[S.SHEET_LINES]) - 1 >= 40 and len(ledger.projects) >= 10
    check_ledger(ledger, sheets)
    ev = evaluate(ledger, 2024, "year", params)
    assert ev.sd.rows["R40"] > 0
    # the 工时分配 sheets are kept (a sample of months) and allocate
    check_allocation, check_risks = allocation_checks
    a = ledger.allocation
    assert a is not None and len(a.timesheets) >= 30 and len(a.payroll) >= 20 and a.equipment and a.lines
    check_allocation(ledger, params, sheets)
    assert ev.allocation is not None and ev.allocation["rd_total"] > 0
    check_risks(ev.risks, params, 2024)
    assert {"RISK-02"} <= {r.rule_id for r in ev.risks}          # 马建军 2024-12: 216 h of 210 h


@FUZZ
@given(data=st.data())
def test_fuzz_canonical_workbook(data, params, allocation_checks):
    check_allocation, check_risks = allocation_checks
    sheets = mutate(data, fresh_canonical())
    ledger = run_guarded("build_ledger", build_ledger, sheets, params)
    STATS["canonical:cases"] += 1
    if ledger is None:
        return
    check_ledger(ledger, sheets)
    check_allocation(ledger, params)      # parts add up to the 分, lines = R&D parts, loads = hours (below)
    if ledger.allocation is not None:
        STATS["canonical:allocation parts"] += len(ledger.allocation.parts)
    errors = sum(f.severity == "error" for f in ledger.findings)
    event("import errors" if errors else "imports cleanly")
    year = data.draw(st.sampled_from(EVAL_YEARS), label="year")
    period = data.draw(st.sampled_from(("year", "year", "H1", "Q1-Q3")), label="period")
    note(f"evaluate({year}, {period})")
    ev = run_guarded("evaluate", evaluate, ledger, year, period, params)
    if ev is None:
        return
    check_findings([f for f in ev.findings if f.sheet])
    assert ev.has_errors == any(f.severity == "error" for f in ev.findings)
    risks = run_guarded("risks", getattr, ev, "risks")           # the risk screening (evaluation_json shows it)
    if risks is not None:
        check_risks(risks, params, year if period == "year" else None)
        STATS["canonical:risks"] += len(risks)
    doc = run_guarded("evaluation_json", evaluation_json, ev, params)
    if doc is not None:
        json.dumps(doc, ensure_ascii=False)
        assert (doc["allocation"] is None) == (not ev.allocation)
    run_guarded("text_summary", text_summary, ev, params)
    STATS["canonical:evaluated"] += 1


# =============================================================================== 1b. ledger shapes (issue 17, C3)

def build_via_intake(sheets, params):
    """build_ledger as forms.workbook.load_ledger does it: 研发支出 fed to its LinesIntake in blocks while “read”
    (the product path; an empty sheet crashed only here, review C3)."""
    from calc.ingest import line_intakes
    intakes = line_intakes(params)
    for name, intake in intakes.items():
        rows = sheets.get(name)
        if rows is None:
            continue
        for k in range(0, max(len(rows), 1), 7):            # odd block size: blocks end anywhere
            intake.feed(rows[k:k + 7])
    return build_ledger(sheets, params, intakes={k: v for k, v in intakes.items() if k in sheets})


_BLANKISH = st.sampled_from((None, "", " ", "\u3000", "\t", "\u00a0", " \n "))
SHAPES = ("empty", "blank rows", "single line", "other years only", "adjustments only", "year rows only",
          "all non-deductible")
_NOT_DEDUCTIBLE = st.sampled_from(("NE01", "NE02", "NE99", "R39", "grant"))


def shape_sheets(data, sheets) -> str:
    """Give the canonical workbook one of the shapes the sample-based fuzz never made: a 研发支出 sheet with its
    header and no line (or only blank / whitespace rows), a single line, lines only in years other than the one
    evaluated, adjustments only, year rows only (研发费用 given in 年度数据); with or without the 工时分配 sheets."""
    shape = data.draw(st.sampled_from(SHAPES), label="shape")
    lines = sheets[S.SHEET_LINES]
    header, body = lines[0], lines[1:]
    if shape in ("empty", "adjustments only", "year rows only"):
        sheets[S.SHEET_LINES] = [header]
    elif shape == "blank rows":
        width = len(header)
        sheets[S.SHEET_LINES] = [header] + [[data.draw(_BLANKISH) for _ in range(width)]
                                            for _ in range(data.draw(st.integers(1, 60), label="blank rows"))]
    elif shape == "single line":
        sheets[S.SHEET_LINES] = [header, body[data.draw(st.integers(0, len(body) - 1), label="line")]]
    elif shape == "all non-deductible":         # every line NE / R39 / grant-funded: nothing to deduct (issue 17)
        jc, jf = list(header).index("费用代码"), list(header).index("资金来源")
        for row in body:
            row.extend([None] * (max(jc, jf) + 1 - len(row)))
            how = data.draw(_NOT_DEDUCTIBLE, label="not deductible")
            if how == "grant":
                row[jf] = "财政资金（不征税）"
            else:
                row[jc] = how
    if shape == "adjustments only" and S.SHEET_ADJUSTMENTS in sheets:
        rows = sheets[S.SHEET_ADJUSTMENTS]
        if rows:
            rows.append([data.draw(st.sampled_from(EVAL_YEARS)), "特殊收入", None, "1000000000000", None, None])
    if shape == "year rows only":
        sheets.pop(S.SHEET_ADJUSTMENTS, None)
    if data.draw(st.booleans(), label="drop 工时分配"):
        for name in S.ALLOCATION_SHEETS:
            sheets.pop(name, None)
    return shape


@FUZZ
@given(data=st.data())
def test_fuzz_ledger_shapes(data, params, allocation_checks):
    """Empty, blank-row, single-line, other-years-only, adjustments-only and year-rows-only ledgers, built both ways
    (rows and the intake of the product path): the same lines, and every computation and print runs."""
    _, check_risks = allocation_checks
    sheets = fresh_canonical()
    shape = shape_sheets(data, sheets)
    if data.draw(st.booleans(), label="mutate too"):
        mutate(data, sheets, max_ops=3)
    STATS[f"shape:{shape}"] += 1
    event(f"shape {shape}")
    ledger = run_guarded("build_ledger (intake)", build_via_intake, sheets, params)
    direct = run_guarded("build_ledger (rows)", build_ledger, sheets, params)
    if ledger is None or direct is None:
        return
    assert ledger.lines == direct.lines
    assert [f.as_line() for f in ledger.findings] == [f.as_line() for f in direct.findings]
    check_ledger(ledger, sheets)
    year = data.draw(st.sampled_from(EVAL_YEARS), label="year")
    if shape == "other years only":
        ledger = dataclasses.replace(ledger, lines=tuple(ln for ln in ledger.lines if ln.date.year != year))
    if not ledger.lines:
        STATS["shape:no line"] += 1
    if shape == "all non-deductible" and not any(f.severity == "error" for f in ledger.findings):
        ev0 = run_guarded("evaluate", evaluate, ledger, year, "year", params)
        bare = run_guarded("evaluate", evaluate, dataclasses.replace(ledger, lines=tuple(ln for ln in ledger.lines if ln.basis is not None)), year, "year", params)
        if ev0 is not None and bare is not None:      # the lines add nothing to the deduction (row 40)
            assert ev0.sd.rows.get("R40") == bare.sd.rows.get("R40"), "non-deductible lines changed row 40"
    ev = run_guarded("evaluate", evaluate, ledger, year, "year", params)
    if ev is None:
        return
    risks = run_guarded("risks", getattr, ev, "risks")
    if risks is not None:
        check_risks(risks, params, year)
    doc = run_guarded("evaluation_json", evaluation_json, ev, params)
    if doc is not None:
        json.dumps(doc, ensure_ascii=False)
    run_guarded("text_summary", text_summary, ev, params)
    STATS["shape:evaluated"] += 1


# =============================================================================== 1c. odd Unicode (issue 17, review M6, M7, M13, U03)

_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad")
_BIDI_MARKS = ("\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
               "\u200f", "\u061c")
_SPACES = (" ", "\u3000", "  ", " \u3000")
UNICODE_TRICKS = ("invisible in identifiers", "bidi in texts", "sheet name spaces", "look-alike project")


def _sprinkle(data, text: str, marks, label: str) -> str:
    """``text`` with one to three of ``marks`` put at drawn places (before, inside or after)."""
    for _ in range(data.draw(st.integers(1, 3), label=f"{label} n")):
        i = data.draw(st.integers(0, len(text)), label=f"{label} at")
        text = text[:i] + data.draw(st.sampled_from(marks), label=label) + text[i:]
    return text


def _column(rows, header: str) -> int | None:
    return list(rows[0]).index(header) if rows and header in rows[0] else None


def unicode_trick(data, sheets) -> str:
    """One disguise a user's file can carry without changing what it means: zero-width characters and BOMs in
    project numbers and codes (the same in both sheets), bidi controls in names and summaries, spaces after a
    sheet name — or a look-alike project number (case, full width, NFD) registered as a second project."""
    trick = data.draw(st.sampled_from(UNICODE_TRICKS), label="trick")
    projects, lines = sheets[S.SHEET_PROJECTS], sheets[S.SHEET_LINES]
    if trick == "invisible in identifiers":
        nos = sorted({str(r[0]) for r in projects[1:] if r and r[0]})
        disguise = {no: _sprinkle(data, no, _INVISIBLE, "zw") for no in nos}
        for rows, header in ((projects, "项目编号"), (lines, "项目编号")):
            j = _column(rows, header)
            for r in rows[1:]:
                if j is not None and j < len(r) and r[j] in disguise:
                    r[j] = disguise[r[j]]
        j = _column(lines, "费用代码")
        for r in lines[1:]:
            if j is not None and j < len(r) and isinstance(r[j], str) and data.draw(st.booleans(), label="zw code"):
                r[j] = _sprinkle(data, r[j], _INVISIBLE, "zw code")
    elif trick == "bidi in texts":
        for rows, header in ((projects, "项目名称"), (lines, "摘要")):
            j = _column(rows, header)
            for r in rows[1:]:
                if j is not None and j < len(r) and isinstance(r[j], str) and data.draw(st.booleans(), label="bidi"):
                    r[j] = _sprinkle(data, r[j], _BIDI_MARKS, "bidi")
        for r in sheets[S.SHEET_PROFILE]:
            if r and r[0] == "企业名称" and len(r) > 1 and isinstance(r[1], str):
                r[1] = _sprinkle(data, r[1], _BIDI_MARKS, "bidi name")
    elif trick == "sheet name spaces":
        for name in data.draw(st.lists(st.sampled_from(sorted(sheets)), min_size=1, max_size=3, unique=True),
                              label="sheets"):
            sheets[name + data.draw(st.sampled_from(_SPACES), label="space")] = sheets.pop(name)
    else:
        row = list(data.draw(st.sampled_from(projects[1:]), label="project row"))
        no = str(row[0])
        variant = data.draw(st.sampled_from(("lower", "full width", "NFD", "swapcase")), label="variant")
        row[0] = {"lower": no.lower() if no.lower() != no else no.swapcase(),
                  "full width": "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in no),
                  "NFD": unicodedata.normalize("NFD", no + "é"), "swapcase": no.swapcase()}[variant]
        if variant == "NFD":
            first = list(row)
            first[0] = unicodedata.normalize("NFC", row[0])
            projects.append(first)
        projects.append(row)
    return trick


@FUZZ
@given(data=st.data())
def test_fuzz_odd_unicode(data, params):
    """Disguised but unchanged workbooks give the ledger of the plain one (same lines, built both ways), and a
    look-alike project number is warned about; every computation runs."""
    base = build_ledger(fresh_canonical(), params)
    sheets = fresh_canonical()
    trick = unicode_trick(data, sheets)
    STATS[f"unicode:{trick}"] += 1
    event(f"unicode {trick}")
    ledger = run_guarded("build_ledger (intake)", build_via_intake, sheets, params)
    direct = run_guarded("build_ledger (rows)", build_ledger, sheets, params)
    assert ledger.lines == direct.lines
    assert [f.as_line() for f in ledger.findings] == [f.as_line() for f in direct.findings]
    check_ledger(ledger, {*sheets, *(name.strip() for name in sheets)})     # findings name the template sheet
    if trick == "look-alike project":
        codes = {f.code for f in ledger.findings}
        assert "W_PROJECT_LOOKALIKE" in codes or "E_PROJECT_DUPLICATE" in codes
        assert ledger.lines == base.lines
    else:
        assert ledger.lines == base.lines, trick
        assert list(ledger.projects) == list(base.projects)
        assert [p.name for p in ledger.projects.values()] == [p.name for p in base.projects.values()]
        assert ledger.profile.name == base.profile.name
        extra = {f.code for f in ledger.findings} - {f.code for f in base.findings}
        assert extra <= {"W_TEXT_DIRECTION", "I_SHEET_NAME_TRIMMED"}, extra
        assert not [f for f in ledger.findings if f.severity == "error"]
    ev = run_guarded("evaluate", evaluate, ledger, 2024, "year", params)
    if ev is not None:
        run_guarded("text_summary", text_summary, ev, params)
        if trick != "look-alike project":
            assert ev.sd.rows == evaluate(base, 2024, "year", params).sd.rows
    STATS["unicode:evaluated"] += 1


# =============================================================================== 2. ERP exports

KNOWN_PROJECTS = {"RD01": "智能控制器研发", "RD02": "新材料工艺研发"}
_XLS_CELLS = [(0, 0, "研发费用明细"),
              (2, 0, "日期"), (2, 1, "凭证号"), (2, 2, "项目编号"), (2, 3, "费用代码"), (2, 4, "摘要"), (2, 5, "金额（元）"),
              (3, 0, 45322.0), (3, 1, "记-7"), (3, 2, "RD01"), (3, 3, "R08"), (3, 4, "材料"), (3, 5, 1000.5),
              (4, 0, "2024年3月5日"), (4, 1, "记-8"), (4, 2, "rd02"), (4, 3, "8"), (4, 4, "材料"), (4, 5, "(1,000.00)"),
              (5, 0, "20240306"), (5, 1, "记-9"), (5, 2, "RD01"), (5, 3, "X99"), (5, 4, "差旅费"), (5, 5, "¥88.00")]


@pytest.fixture(scope="module")
def erp_sources(tmp_path_factory):
    from tests.test_erp_import import make_cloud_csv, make_k3_csv, make_u8_ledger, make_u8_voucher, make_xls

    d = tmp_path_factory.mktemp("erp")
    made = [make_u8_voucher(d / "u8凭证.xlsx"), make_k3_csv(d / "k3凭证.csv"), make_cloud_csv(d / "星空凭证.txt"),
            make_u8_ledger(d / "明细账.xlsx"), make_xls(d / "旧版.xls", _XLS_CELLS)]
    sources = [E.open_source(p) for p in made]
    assert [s.kind for s in sources] == ["xlsx", "csv", "csv", "xlsx", "xls"]
    return sources


@pytest.fixture(scope="module")
def erp_rules():
    return E.load_rules()


def _erp_ledger_sheets(rows: list[dict]) -> dict[str, list[list]]:
    """The converted lines as the 研发支出 sheet of the canonical workbook (the wizard's next step)."""
    sheets = fresh_canonical()
    for name in S.ALLOCATION_SHEETS:          # this fuzzer is about the lines (工时分配: the canonical fuzzer)
        del sheets[name]
    head = [c.header for c in S.LINE_COLUMNS]
    sheets[S.SHEET_LINES] = [head] + [[r.get(c.field) for c in S.LINE_COLUMNS] for r in rows]
    return sheets


@FUZZ
@given(data=st.data())
def test_fuzz_erp_exports(data, erp_sources, erp_rules, params):
    base = data.draw(st.sampled_from(erp_sources), label="source")
    sheets = {name: [list(r) for r in sh.rows] for name, sh in base.sheets.items()}
    sheets = mutate(data, sheets, max_ops=6)
    src = E.Source(base.path, base.kind, {name: RawSheet(name=name, rows=rows) for name, rows in sheets.items()})
    STATS["erp:cases"] += 1
    try:
        match = E.guess_preset(src)
        names = src.sheet_names
        if match is not None:
            sheet, mapping = match.sheet, match.mapping
            check_findings(match.problems)
            STATS["erp:preset:" + match.preset.id] += 1
        elif names:
            sheet = data.draw(st.sampled_from(names), label="sheet")
            mapping = E.auto_mapping(E.detect_header(src.sheet(sheet)))
        else:
            sheet, mapping = "Sheet1", E.ColumnMapping()
        known = data.draw(st.sampled_from((KNOWN_PROJECTS, None, ["RD01"])), label="known")
        result = E.convert(src, sheet, mapping, erp_rules, known)
        pv = E.preview(src, sheet, mapping, erp_rules, known, max_rows=data.draw(st.sampled_from((1, 5, 200))))
        rows = E.to_workbook_rows(result)
    except Exception as exc:  # noqa: BLE001
        bug = known_bug(exc)
        if bug is None:
            raise AssertionError(f"ERP import: exception escaped: {type(exc).__name__}: {exc}") from exc
        STATS[f"known:{bug}"] += 1
        event(f"known bug {bug}")
        return
    for res in (result, pv):
        check_findings(res.findings, sheets={sheet})
        internal = [f for f in res.findings if f.code == "E_ERP_INTERNAL"]
        assert not internal, internal          # an unexpected exception, caught and reported: still a bug
        for ln in res.lines:
            assert ln["status"] in ("ok", "review", "error")
            assert ln["amount"] is None or type(ln["amount"]) is int
            assert ln["origin"]["sheet"] == sheet and ln["origin"]["row"] >= 1
            assert ln["date"] is None or isinstance(ln["date"], dt.date)
    STATS["erp:lines"] += len(result.lines)
    if rows:                                       # the lines the wizard would write, imported again
        ledger_sheets = _erp_ledger_sheets(rows)
        ledger = run_guarded("build_ledger(erp rows)", build_ledger, ledger_sheets, params)
        if ledger is not None:
            check_ledger(ledger, ledger_sheets)
            STATS["erp:ledgers"] += 1


# =============================================================================== 3. whole files

_WORKER = r"""
import json, sys, time, traceback
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))
except Exception:
    pass
sys.path.insert(0, sys.argv[1])
from forms.workbook import load_ledger, WorkbookError
from forms.xlsx_reader import CODES
from calc.model import Ledger
print("ready", flush=True)
for line in sys.stdin:
    path = line.rstrip("\n")
    t = time.perf_counter()
    try:
        ledger = load_ledger(path)
        out = {"ok": isinstance(ledger, Ledger), "lines": len(ledger.lines),
               "findings": [[f.severity, f.code, f.sheet, f.row, f.cell] for f in ledger.findings]}
    except WorkbookError as e:
        out = {"error": e.code, "message": str(e), "known_code": e.code in CODES}
    except BaseException as e:
        out = {"exception": type(e).__name__ + ": " + str(e), "tb": traceback.format_exc()[-3000:]}
    out["seconds"] = time.perf_counter() - t
    print(json.dumps(out, ensure_ascii=False), flush=True)
"""
FILE_TIMEOUT = 20.0      # seconds per file, generous for a slow CI machine; typical is 10–50 ms


class Worker:
    """One child process that loads files on request, so that a native abort or a hang fails one case."""

    def __init__(self):
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, str(ROOT)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                     cwd=ROOT)
        assert self._readline(120) == "ready"

    def _readline(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return line.rstrip("\n") if line else None

    def load(self, path: Path) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        self.proc.stdin.write(str(path) + "\n")
        self.proc.stdin.flush()
        line = self._readline(FILE_TIMEOUT)
        if line is None:
            rc = self.proc.poll()
            self.stop()
            return {"dead": rc, "timeout": rc is None}
        return json.loads(line)

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                stream.close()
            self.proc = None


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    w.start()
    yield w
    w.stop()


@lru_cache(maxsize=1)
def seed_members() -> tuple[tuple[str, bytes], ...]:
    """A small valid canonical workbook (written by the app's own writer from a few sample rows)."""
    from forms.template import write_workbook
    from tests.builders import line, other_year, profile, project

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "seed.xlsx"
        write_workbook(path, profile=profile(), years=[other_year(2024)],
                       projects=[project("P1"), project("P2", form="委托研发", contract_no="HT-1", entrustee="某大学",
                                                         entrustee_location="境内")],
                       lines=[line("2024-03-01", "P1", "R04", 1000), line("2024-04-01", "P1", "R08", "250.50"),
                              line("2024-05-01", "P2", "R36", 5000, summary="委托开发")],
                       adjustments=[{"year": 2024, "kind": "特殊收入", "amount": Decimal("10")}])
        with zipfile.ZipFile(path) as zf:
            return tuple((i.filename, zf.read(i)) for i in zf.infolist())


def _zip(members) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


XML_SNIPPETS = (b'<c r="XFD1048576"><v>1</v></c>', b'<c r="A1048577"><v>1</v></c>', b"<c><v>1</v></c>" * 50,
                b'<!DOCTYPE x [<!ENTITY a "b">]>', b"&#0;", b"&#xD800;", b"<![CDATA[", b"\x00", b"\xff\xfe",
                b'<dimension ref="A1:XFD1048576"/>', b'<row r="99999999">', b"</sheetData>", b"<v>1e999</v>",
                b'<c r="A1" t="s"><v>99999</v></c>', b'<c r="A1" t="e"><v>#REF!</v></c>', b'<c r="A1" t="d"><v>x</v></c>',
                b'<c r="A1" t="n"><v>NaN</v></c>', '<sheet name="研发支出" sheetId="9" r:id="rId99"/>'.encode())


@st.composite
def mutated_file(draw) -> bytes:
    members = list(seed_members())
    mode = draw(st.sampled_from(("bytes", "bytes", "member", "member", "member", "members")), label="mode")
    if mode == "bytes":                                  # the zip container itself
        data = bytearray(_zip(members))
        for _ in range(draw(st.integers(1, 8))):
            kind = draw(st.sampled_from(("flip", "set", "insert", "delete", "truncate")))
            at = draw(st.integers(0, max(0, len(data) - 1)))
            if kind == "flip" and data:
                data[at] ^= 1 << draw(st.integers(0, 7))
            elif kind == "set" and data:
                data[at] = draw(st.integers(0, 255))
            elif kind == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=64))
            elif kind == "delete":
                del data[at:at + draw(st.integers(1, 256))]
            elif kind == "truncate":
                del data[at:]
        return bytes(data)
    if mode == "members":                                # drop / duplicate / rename members
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(members) - 1))
            what = draw(st.sampled_from(("drop", "rename", "empty")))
            name, body = members[i]
            if what == "drop":
                del members[i]
            elif what == "rename":
                members[i] = (draw(st.sampled_from(("xl/worksheets/sheet99.xml", "xl/vbaProject.bin",
                                                    "xl/sharedStrings.xml", name.upper(), name + ".bak"))), body)
            else:
                members[i] = (name, b"")
            if not members:
                break
        seen, unique = set(), []
        for name, body in members:
            if name not in seen:
                seen.add(name)
                unique.append((name, body))
        return _zip(unique)
    # one XML member edited at the byte level, re-zipped with valid sizes and CRCs
    xml = [i for i, (n, _) in enumerate(members) if n.endswith((".xml", ".rels"))]
    i = draw(st.sampled_from(xml), label="member")
    name, body = members[i]
    body = bytearray(body)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(("flip", "delete", "duplicate", "snippet", "digit")))
        at = draw(st.integers(0, max(0, len(body) - 1)))
        if kind == "flip" and body:
            body[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del body[at:at + draw(st.integers(1, 200))]
        elif kind == "duplicate":
            body[at:at] = body[at:at + draw(st.integers(1, 400))]
        elif kind == "snippet":
            body[at:at] = draw(st.sampled_from(XML_SNIPPETS))
        else:                                            # change a digit: cell references, sizes, indices
            digits = [k for k, b in enumerate(body) if 48 <= b <= 57]
            if digits:
                body[draw(st.sampled_from(digits))] = draw(st.integers(48, 57))
    members[i] = (name, bytes(body))
    return _zip(members)


POSIX = pytest.mark.skipif(os.name != "posix", reason="the worker protocol uses select() on pipes (POSIX)")


@POSIX
def test_seed_file_loads(worker, tmp_path):
    path = tmp_path / "seed.xlsx"
    path.write_bytes(_zip(seed_members()))
    out = worker.load(path)
    assert out.get("ok") and out["lines"] == 3, out
    assert not [f for f in out["findings"] if f[0] == "error"], out


@POSIX
@FILE_FUZZ
@given(blob=mutated_file(), suffix=st.sampled_from((".xlsx", ".xlsx", ".xlsm", ".xls", ".csv")))
def test_fuzz_whole_files(blob, suffix, worker):
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="fuzz-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        out = worker.load(Path(name))
        if "dead" in out:
            keep = Path(tempfile.gettempdir()) / f"rd-fuzz-crash{suffix}"
            keep.write_bytes(blob)
            raise AssertionError(f"worker {'timed out' if out['timeout'] else 'died'} on a fuzzed file "
                                 f"(kept as {keep})")
        STATS["file:cases"] += 1
        if "exception" in out:
            raise AssertionError(f"load_ledger raised {out['exception']}\n{out['tb']}")
        if "error" in out:
            STATS["file:error:" + out["error"]] += 1
            assert out["known_code"], out
            msg = out["message"]
            assert "\n" not in msg and CJK.search(msg) and os.path.basename(name) in msg, msg
        else:
            STATS["file:ledger"] += 1
            assert out["ok"]
            check_findings([Finding(sev, code, "x", sheet, row, None, cell)
                            for sev, code, sheet, row, cell in out["findings"]])
        assert out["seconds"] < FILE_TIMEOUT
    finally:
        os.unlink(name)


def test_fuzz_stats_are_recorded():
    """Runs last in this file (pytest keeps definition order): the fuzzers above really ran their cases."""
    if STATS["canonical:cases"] == 0:
        pytest.skip("fuzzers not selected in this run")
    assert STATS["canonical:cases"] >= EXAMPLES
    assert STATS["erp:cases"] >= EXAMPLES
    assert STATS["file:cases"] >= FILE_EXAMPLES or os.name != "posix"


# =============================================================================== open bugs: reproductions

def _minimal_sheets(lines=(), profile_rows=(), year_rows=()):
    prof = [["字段", "值"], ["企业名称", "甲公司"], ["统一社会信用代码", "916401005541738271"], ["所属行业代码", "C3983"],
            *profile_rows]
    projects = [[c.header for c in S.PROJECT_COLUMNS], ["P1", "项目一", "自主研发", "费用化"]]
    head = [c.header for c in S.LINE_COLUMNS]
    sheets = {S.SHEET_PROFILE: prof, S.SHEET_PROJECTS: projects,
              S.SHEET_LINES: [head] + [list(r) for r in (lines or [["2024-03-01", "记", "1", "P1", "R04", None, "100"]])]}
    if year_rows:
        sheets[S.SHEET_YEARS] = [[c.header for c in S.YEAR_COLUMNS], *year_rows]
    return sheets


@pytest.mark.parametrize("text", ["inf", "Infinity", "-inf"])
def test_regression_inf_text_in_ratio_or_year_cell(text):
    """KB1 (fixed): “inf” in a ratio or year cell is a finding, not an OverflowError."""
    sheets = _minimal_sheets(lines=[["2024-03-01", "记", "1", "P1", "R04", None, "100", None, None, text]])
    ledger = build_ledger(sheets)
    assert any(f.code == "E_RATIO" for f in ledger.findings)
    sheets = _minimal_sheets(year_rows=[[text]])
    assert any(f.code == "E_YEAR" for f in build_ledger(sheets).findings)


def test_regression_amount_text_with_5000_digits():
    """KB2 (fixed): an amount text beyond Python's 4,300-digit limit is an E_AMOUNT finding with a short message."""
    ledger = build_ledger(_minimal_sheets(lines=[["2024-03-01", "记", "1", "P1", "R04", None, "1" * 5000]]))
    found = [f for f in ledger.findings if f.code == "E_AMOUNT"]
    assert found and all(len(f.message) < 200 for f in found)


def test_regression_huge_numeric_text_hangs():
    """KB3 (fixed): numeric text is bounded in length and exponent before its exact value is built."""
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from calc.values import parse_year, ValueProblem\n"
            "for text in ('1e99999999', '1' * 1_000_000):\n"
            "    try:\n        parse_year(text)\n    except ValueProblem:\n        pass\n")
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, timeout=3, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail("parse_year of “1e99999999” and of a million-digit text did not finish within 3 s")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("year", [2016, 2017])
def test_regression_evaluate_2016_2017(year):
    """KB4 (fixed): window years before 2016 are measured by the 2016 rules (AI-APP-29)."""
    ledger = build_ledger(_minimal_sheets(lines=[[f"{year}-03-01", "记", "1", "P1", "R04", None, "100"]]))
    ev = evaluate(ledger, year)
    assert ev.sd is not None
    assert "AI-APP-29" in hnte_caliber(ledger, 2015, load_params()).interpretations


def test_regression_hnte_certificate_before_2016():
    """KB4 (fixed): a certificate issued under the 2008 办法 has dated parameters (国科发火〔2008〕172号)."""
    ledger = build_ledger(_minimal_sheets(profile_rows=[["高新技术企业证书编号", "GR201564000001"],
                                                        ["高新技术企业证书发证日期", "2015-10-10"]]))
    assert not [f for f in ledger.findings if f.severity == "error"]
    assert sorted(hnte_years(ledger, load_params())) == [2015, 2016, 2017]     # 172号 第十二条: three years too
    evaluate(ledger, 2024)
    evaluate(ledger, 2016)


@pytest.mark.parametrize("field", ["成立日期", "高新技术企业证书发证日期"])
def test_regression_far_future_dates(field):
    """KB5 (fixed): dates outside 1900–2100 are E_DATE findings, so no date arithmetic can leave its range."""
    ledger = build_ledger(_minimal_sheets(profile_rows=[["高新技术企业证书编号", "GR202464000001"],
                                                        [field, "9999-12-31"]]))
    assert any(f.code == "E_DATE" and f.sheet == "企业信息" and "超出可处理的范围" in f.message for f in ledger.findings)
    evaluate(ledger, 2024)


@pytest.mark.parametrize("issued", ["1954-06-30", "2007-12-31"])
def test_regression_hnte_certificate_before_any_dated_rule(issued):
    """A certificate date no dated rule covers (found by the fuzzer: 1954) is an E_HNTE_CERT_DATE error, and the
    evaluation still runs (no LookupError from hnte_years / the certificate / the 科技型中小企业 route)."""
    ledger = build_ledger(_minimal_sheets(profile_rows=[["高新技术企业证书编号", "GR195464000001"],
                                                        ["高新技术企业证书发证日期", issued]]))
    errors = [f for f in ledger.findings if f.code == "E_HNTE_CERT_DATE"]
    assert len(errors) == 1 and errors[0].sheet == "企业信息" and errors[0].cell
    assert hnte_years(ledger, load_params()) == set()
    ev = evaluate(ledger, 2024)
    evaluation_json(ev, load_params())


def test_regression_erp1_star_cell_below_a_header_row():
    """ERP1 (fixed). Found by test_fuzz_erp_exports (one column inserted into the U8 voucher export, filled with “*”): the
    two-row-header test takes the first header key of every text cell of the next row, and “*” has none, so
    ``_header_keys("*")[0]`` raises IndexError out of ``detect_header`` (and ``guess_preset``, the wizard's first
    step).  Expected: the header is detected (a cell without a header key is not a sub-header)."""
    sheet = RawSheet(name="凭证列表", rows=[["*", "制单日期", "凭证编号", "摘要", "借方金额"],
                                             ["*", dt.date(2024, 1, 31), "记-0001", "工资", 50000.0]])
    E.detect_header(sheet)
    E.guess_preset(E.Source(Path("x.xlsx"), "xlsx", {"凭证列表": sheet}))
