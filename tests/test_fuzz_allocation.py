"""Fuzzing 工时分配 (issue 8 hardening of issue 9's allocation sheets): no exception escapes, every problem is a
finding, and the allocation stays exact.

Hypothesis writes the four optional sheets 人员工时 / 人员薪酬 / 设备折旧 / 设备工时 of a small canonical workbook
(three projects, one of them only valid for a quarter, and a fourth rejected by its own row) from small pools of persons,
devices and months — so that timesheets, payroll and depreciation meet — with hostile and edge values mixed in:
NaN / ±inf floats, "inf", "1e99999999", 5,000-digit numbers, negative and zero hours, hours with many decimals,
months such as 2024-13, 2024-00, 9999-12, 1900-01, dates, datetimes, 202403, Excel serials, unknown, blank and
rejected projects, 非研发 spellings, duplicate person-months, payroll without hours and hours without payroll,
unknown staff types and equipment kinds, control characters, formula triggers and huge text; columns are
sometimes reordered, optional columns dropped or an extra column added.  Each case goes through
:func:`calc.ingest.build_ledger` → :func:`calc.evaluate.evaluate` → ``Evaluation.risks`` →
:func:`forms.report.evaluation_json` / ``text_summary``, and :func:`check_allocation` proves:

* every finding is well formed and names its sheet (and a valid cell when it names one); every non-blank data
  row of an allocation sheet whose header was found is either a record or has a finding on its row;
* for every payroll component and depreciation row, the parts (R&D projects + 非研发) add up exactly to its amount
  in 分, and are the largest-remainder split of the person's (device's) hours that month — the oracle here is an
  independent implementation of super_deduction.md §0.2 (floor, then +1 分 by largest remainder, ties to the
  lower project number, 非研发 last; a negative amount splits as the negation of its negation's split);
* the generated ledger lines are exactly the non-zero R&D parts (amount, project, code, row, a date inside the
  month) and nothing else in the ledger carries an allocation basis;
* ``person_month_loads`` (and the result's loads) agree with the hours: R&D and total hours, per-project hours,
  the monthly limit in force, the first row; the person-years add up to the parts and the 183-day flag follows
  from the R&D days;
* every risk finding (:func:`check_risks`, also used by the canonical fuzzer and the risk property test of
  tests/test_invariants.py) names a rule of risk_rules.yaml in force, has a Chinese message, why and evidence,
  and locations with a sheet and a row ≥ 1.

The bugs the fuzzer found (AL1, AL2) are fixed; their regression tests are at the end of this file.
``RD_FUZZ_EXAMPLES`` sets the case count (default 300 here, about 15 s).  With ``RD_FUZZ_ALLOC_REPORT=path`` the
counts of the run are written there as JSON.
"""
from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re
import time
from decimal import Decimal
from fractions import Fraction
from math import floor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from calc import schema as S
from calc.allocation import limits, person_month_loads
from calc.evaluate import evaluate, year_range
from calc.ingest import _row_blank, build_ledger
from calc.model import Ledger, Src
from calc.params import load_params
from forms.report import evaluation_json, text_summary
from tests.test_fuzz_import import A1, CJK, check_findings

EXAMPLES = int(os.environ.get("RD_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
STATS: collections.Counter = collections.Counter()
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def params():
    return load_params()


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    started = time.perf_counter()
    yield
    target = os.environ.get("RD_FUZZ_ALLOC_REPORT")
    if target:
        report = {"examples": EXAMPLES, "seconds": round(time.perf_counter() - started, 1),
                  "counts": dict(sorted(STATS.items()))}
        Path(target).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


# =============================================================================== the invariants

def _split_oracle(total: int, weights: list[Fraction]) -> list[int]:
    """super_deduction.md §0.2, written out: floor of each exact share, then +1 分 to the largest remainders;
    ties to the earlier part; a negative amount is the negation of its negation's split."""
    if total < 0:
        return [-x for x in _split_oracle(-total, weights)]
    whole = sum(weights, Fraction(0))
    exact = [total * w / whole for w in weights]
    parts = [floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def _month_ok(month: str) -> tuple[int, int]:
    m = MONTH.match(month)
    assert m, month
    y, mth = int(m.group(1)), int(m.group(2))
    assert 1900 <= y <= 2100 and 1 <= mth <= 12, month
    return y, mth


def _ordered(by: dict) -> list:
    """Destinations as §0.2 orders ties: project numbers ascending, 非研发 (None) last."""
    return sorted(by, key=lambda d: (d is None, d or ""))


def check_allocation(ledger: Ledger, params, sheets=None) -> None:
    """The allocation invariants (module docstring); ``sheets``: the raw sheets, for the row accounting."""
    a = ledger.allocation
    generated = [ln for ln in ledger.lines if ln.basis is not None]
    if a is None:
        assert not generated
        return
    check_findings(a.findings, sheets=set(S.ALLOCATION_SHEETS))
    assert generated == list(a.lines)
    ids = [ln.id for ln in ledger.lines]
    assert len(set(ids)) == len(ids), "ledger line ids are not unique"

    # records: valid months, hours ≥ 0, projects known
    hours: dict = collections.defaultdict(lambda: collections.defaultdict(Fraction))
    first: dict = {}
    for t in a.timesheets:
        _month_ok(t.month)
        assert isinstance(t.hours, Fraction) and t.hours >= 0, t
        assert t.project_no is None or t.project_no in ledger.projects, t
        assert t.src.sheet == S.SHEET_TIMESHEETS
        hours[(t.person_id, t.month)][t.project_no] += t.hours
        first.setdefault((t.person_id, t.month), t.src)
    usage: dict = collections.defaultdict(lambda: collections.defaultdict(Fraction))
    for e in a.equipment_hours:
        _month_ok(e.month)
        assert isinstance(e.hours, Fraction) and e.hours >= 0, e
        assert e.project_no is None or e.project_no in ledger.projects, e
        usage[(e.asset_id, e.month)][e.project_no] += e.hours
    for pr in a.payroll:
        _month_ok(pr.month)
        assert type(pr.wages) is int and type(pr.insurance) is int
        assert pr.staff_type in S.STAFF_TYPES
    for e in a.equipment:
        _month_ok(e.month)
        assert type(e.depreciation) is int and e.kind in S.EQUIPMENT_KINDS

    # every part belongs to one payroll component or depreciation row and is its exact split
    parts = collections.defaultdict(list)
    for p in a.parts:
        parts[(p.src, p.component)].append(p)
    checked = 0

    def check_split(src, component, total, by, subject, month, code):
        nonlocal checked
        got = parts.get((src, component), [])
        if not by or not sum(by.values(), Fraction(0)):
            assert not got, (src, component, got)
            return
        if not total:           # a zero payroll component is skipped; a zero depreciation splits into zeros
            assert all(p.amount == 0 for p in got), (src, component, got)
            checked += len(got)
            return
        dests = _ordered(by)
        weights = [by[d] for d in dests]
        assert [(p.destination, p.hours) for p in got] == [(d or S.NON_RD, by[d]) for d in dests], (src, component)
        amounts = [p.amount for p in got]
        assert sum(amounts) == total, (src, component, amounts, total)
        assert amounts == _split_oracle(total, weights), (src, component, amounts, weights)
        for p in got:
            assert p.total == total and p.total_hours == sum(weights, Fraction(0))
            assert p.subject == subject and p.month == month
            assert p.code == (code if p.rd else None)
            assert abs(p.amount - Fraction(total) * p.hours / p.total_hours) < 1
        checked += len(got)

    for pr in a.payroll:
        by = hours.get((pr.person_id, pr.month), {})
        dispatched = pr.staff_type in ("临时聘用", "劳务派遣")
        check_split(pr.src, "工资薪金", pr.wages, by, pr.person_id, pr.month, "R06" if dispatched else "R04")
        check_split(pr.src, "五险一金", pr.insurance, by, pr.person_id, pr.month, "R06" if dispatched else "R05")
    for e in a.equipment:
        check_split(e.src, "折旧额", e.depreciation, usage.get((e.asset_id, e.month), {}), e.asset_id, e.month,
                    "R17" if e.kind == "仪器" else "R18")
    assert checked == len(a.parts), "parts without a payroll / depreciation row"

    # the generated lines are exactly the non-zero R&D parts
    by_id = {ln.id: ln for ln in a.lines}
    linked = 0
    for p in a.parts:
        if p.rd and p.amount:
            ln = by_id[p.line_id]
            linked += 1
            assert (ln.amount, ln.project_no, ln.code, ln.src) == (p.amount, p.destination, p.code, p.src)
            y, m = _month_ok(p.month)
            assert (ln.date.year, ln.date.month) == (y, m), (ln.date, p.month)
            assert type(ln.amount) is int and ln.project_no in ledger.projects
        else:
            assert p.line_id is None, p
    assert linked == len(a.lines)

    # person-month loads agree with the hours
    loads = person_month_loads(ledger, params)
    assert [(x.person_id, x.month) for x in loads] == sorted(hours)
    assert [(x.person_id, x.month) for x in a.loads] == sorted(hours)
    for x, y in zip(loads, a.loads):
        by = hours[(x.person_id, x.month)]
        rd = sum((h for d, h in by.items() if d is not None), Fraction(0))
        total = sum(by.values(), Fraction(0))
        assert (x.rd_hours, x.total_hours) == (rd, total) == (y.rd_hours, y.total_hours)
        assert x.by_project == y.by_project == tuple((d or S.NON_RD, by[d]) for d in _ordered(by))
        yy, mm = _month_ok(x.month)
        assert x.limit_hours == y.limit_hours == limits(params, dt.date(yy, mm, 1))[1]
        assert x.src == y.src == first[(x.person_id, x.month)]
        assert x.over_limit == (total > x.limit_hours)
        assert x.share is None if not total else x.share == rd / total

    # person-years: hours and money add up, the 183-day flag follows from the R&D days
    for py in a.persons:
        mine = [x for x in a.loads if x.person_id == py.person_id and int(x.month[:4]) == py.year]
        assert py.months == len(mine)
        assert py.rd_hours == sum((x.rd_hours for x in mine), Fraction(0))
        assert py.total_hours == sum((x.total_hours for x in mine), Fraction(0))
        assert py.rd_days == py.rd_hours / a.hours_per_day
        assert py.meets_183 == (py.rd_days >= limits(params, dt.date(py.year, 12, 31))[2])
        rd_parts = [p for p in a.parts if p.component != "折旧额" and p.rd and p.subject == py.person_id
                    and int(p.month[:4]) == py.year]
        assert py.wages_rd == sum(p.amount for p in rd_parts if p.component == "工资薪金")
        assert py.insurance_rd == sum(p.amount for p in rd_parts if p.component == "五险一金")
        pays = [pr for pr in a.payroll if pr.person_id == py.person_id and int(pr.month[:4]) == py.year]
        assert (py.wages, py.insurance) == (sum(pr.wages for pr in pays), sum(pr.insurance for pr in pays))

    # row accounting: each non-blank data row is a record or has a finding on its row
    if sheets is not None:
        recorded = {r.src for r in (*a.timesheets, *a.payroll, *a.equipment, *a.equipment_hours)}
        flagged = {(f.sheet, f.row) for f in ledger.findings}
        for name in S.ALLOCATION_SHEETS:
            rows = sheets.get(name)
            if not rows:
                continue
            if any(f.sheet == name and f.code in ("E_HEADER_MISSING", "E_COLUMN_MISSING") for f in ledger.findings):
                continue
            header_at = next(i for i, row in enumerate(rows[:30])
                             if sum(1 for v in row if isinstance(v, str) and v.strip() in _HEADERS[name]) >= 2)
            for i in range(header_at + 1, len(rows)):
                if rows[i] and not _row_blank(rows[i]):
                    src = Src(name, i + 1)
                    assert src in recorded or (name, i + 1) in flagged, f"{name} row {i + 1} silently dropped"


_HEADERS = {name: {c.header for c in S.TABLE_COLUMNS[name]} for name in S.ALLOCATION_SHEETS}


def check_risks(risks, params, year: int | None = None) -> None:
    """Every RiskFinding: a rule of risk_rules.yaml (in force that year), Chinese message, why, evidence,
    and locations that are (sheet, row ≥ 1)."""
    from calc.risk import RiskFinding, rules_in_force

    ids = {r.id for r in rules_in_force(params, year)} if year is not None else _rule_ids()
    for r in risks:
        assert isinstance(r, RiskFinding), r
        assert r.rule_id in ids, r.rule_id
        assert r.severity in ("提示", "关注", "高风险")
        for text in (r.title, r.message, r.why, r.evidence):
            assert isinstance(text, str) and text.strip() and CJK.search(text), r
        for s in r.locations:
            assert isinstance(s, Src) and isinstance(s.sheet, str) and s.sheet, r
            assert type(s.row) is int and s.row >= 1, r
        f = r.finding
        assert f.code == r.rule_id and f.message
        assert f.cell is None or A1.match(f.cell)
        r.location_findings()
        json.dumps(r.as_dict(), ensure_ascii=False)
        assert r.where is not None and r.text


def _rule_ids() -> set:
    import yaml

    doc = yaml.safe_load((ROOT / "resources" / "params" / "risk_rules.yaml").read_text(encoding="utf-8"))
    return {r["id"] for r in doc["tables"]["rules"]}


# =============================================================================== the sheets

HOSTILE_TEXT = (
    "", " ", "\u3000", "\t", "\x00", "\x07\x1b[31m", "\u200b", "\u202e", "\ufeff", "=1+1", "=cmd|' /C calc'!A0",
    "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r\n", "<b>x</b>", "&amp;", "𠀋", "😀", "'", '"', "\\", "项目" * 40,
    "NaN", "inf", "-Infinity", "1e99999999", "1" * 5000,
)
HUGE = st.sampled_from(("x" * 100_000, "研" * 100_000, "1" * 100_000, "\n" * 10_000 + "E1"))
TEXT = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=12), HUGE)


def _w(*pairs):
    """one_of with weights: (weight, strategy) pairs."""
    return st.one_of(*[s for w, s in pairs for _ in range(w)])


# Each field has a clean strategy (valid values, including the edges a real file has: spellings of months and of
# 非研发, hours with two decimals or zero, negative corrections) and a hostile one; a row is mostly clean, or has
# one or two hostile cells, or is hostile throughout — so that rows meet and allocate, and every cell is attacked.
CLEAN_PERSONS = st.sampled_from(("E1", "E1", "E2", "E2", "E3"))
PERSONS = st.one_of(CLEAN_PERSONS, st.sampled_from(("e1", " E1", "E1\n", "Ｅ1", 1, 1.0)), TEXT, st.none())
CLEAN_ASSETS = st.sampled_from(("SB-1", "SB-1", "SB-2"))
ASSETS = st.one_of(CLEAN_ASSETS, TEXT, st.none())
CLEAN_NAMES = st.sampled_from((None, None, "张三", "李四", "王五"))
NAMES = st.one_of(CLEAN_NAMES, TEXT)
CLEAN_MONTHS = _w(
    (6, st.sampled_from(("2024-03", "2024-04"))),
    (3, st.sampled_from(("2024-01", "2024-06", "2024-07", "2024-12", "2023-12", "2025-01", "1900-01", "2100-12"))),
    (2, st.sampled_from(("2024/3", "2024年3月", "2024.03", "202403", 202403, 202403.0, "２０２４－０３", "2024-3",
                         "2024-03-15", "2024/03/31", "2024年3月5日", "20240305", "2024-03-01 08:00", "2024-03-01T00:00:00",
                         dt.date(2024, 3, 15), dt.datetime(2024, 3, 1, 12, 30), dt.date(2024, 4, 30)))),
)
MONTHS = st.one_of(
    st.sampled_from(("2024-13", "2024-00", "9999-12", "0000-01", "1899-12", "2101-01", "2024-02-30", "2024", "三月",
                     "2024-3月", "24-03", "2024-003", "45000", 45000, 45352.5, 20240305, 2024, 0, -1, dt.date(9999, 12, 31),
                     dt.date(1, 1, 1), dt.date(1900, 1, 1), dt.datetime(9999, 12, 31, 23, 59), dt.time(12, 30), True,
                     float("nan"), float("inf"), Decimal("NaN"), 1e300)),
    st.dates(), st.datetimes(), TEXT, st.none(),
)
CLEAN_PROJECTS = _w(
    (8, st.sampled_from(("P1", "P2", "P3"))),
    (4, st.sampled_from((None, "", "非研发", " 非研发 ", "非研发工作", "生产", "非研发活动", "非 研 发"))),
)
PROJECTS = st.one_of(st.sampled_from(("BAD", "PX", "p1", "Ｐ1", "P 1", 1, 1.5, "NON_RD", "ＰＲ")), TEXT)
CLEAN_HOURS = _w(
    (8, st.integers(0, 200)),
    (3, st.decimals(0, 300, places=2)),
    (3, st.integers(0, 30000).map(lambda k: k / 100)),                # floats with two decimals
    (2, st.sampled_from((0, 0.0, "0", 0.01, "0.01", "7.5", "７.５", "1,000", "168", 168.0, 0.1 + 0.2, 10**6, 10**15))),
)
HOURS = st.one_of(
    st.sampled_from((-1, -0.01, "-5", "(8)", Decimal("-0"), -0.0, 1e-9, 7.123456789, "7.123456789", 1 / 3, "1/3",
                     10**18, 10**19, 10**300, 1e300, 1e16, "1e5", "1E-5", "12%", "8小时", "8h", float("nan"),
                     float("inf"), float("-inf"), "inf", "-inf", "NaN", "1e99999999", "1" * 5000, "9" * 19,
                     Decimal("Infinity"), Decimal("sNaN"), True, False, dt.date(2024, 3, 1))),
    st.floats(), st.decimals(places=6), TEXT, st.none(),
)
CLEAN_AMOUNTS = _w(
    (8, st.integers(0, 10**6)),
    (4, st.integers(-10**5, 10**9).map(lambda k: Decimal(k) / 100)),
    (3, st.integers(-10**7, 10**9).map(lambda k: k / 100)),
    (2, st.sampled_from((0, "0", -1, "-100", "(100)", 0.01, 1, "1,234.56", "¥9,800.00元", "１２３４．５６", 10**15,
                         "1" * 18, 0.1 + 0.2))),
)
AMOUNTS = st.one_of(
    st.sampled_from(("1" * 19, 10**18, 10**300, 1e300, 1.005, "1.005", 9800.123, float("nan"), float("inf"),
                     float("-inf"), "inf", "NaN", "1e99999999", "1" * 5000, Decimal("NaN"), Decimal("-Infinity"),
                     True, dt.date(2024, 3, 1))),
    st.floats(), TEXT,
)
CLEAN_STAFF = st.sampled_from(S.STAFF_TYPES + (None,))
STAFF = st.one_of(st.sampled_from(("实习", "劳务 派遣", "正式", "1")), TEXT)
CLEAN_KINDS = st.sampled_from(S.EQUIPMENT_KINDS + (None,))
KINDS = st.one_of(st.sampled_from(("机器", "仪 器", "Equipment")), TEXT)
CLEAN_VOUCHERS = st.sampled_from((None, None, "转-0001", "转-0002", "记-9"))
VOUCHERS = st.one_of(CLEAN_VOUCHERS, TEXT)

_F = {"person_id": (CLEAN_PERSONS, PERSONS), "name": (CLEAN_NAMES, NAMES), "month": (CLEAN_MONTHS, MONTHS),
      "project_no": (CLEAN_PROJECTS, PROJECTS), "hours": (CLEAN_HOURS, HOURS), "staff_type": (CLEAN_STAFF, STAFF),
      "wages": (st.one_of(CLEAN_AMOUNTS, st.none()), AMOUNTS), "insurance": (st.one_of(CLEAN_AMOUNTS, st.none()), AMOUNTS), "voucher_no": (CLEAN_VOUCHERS, VOUCHERS),
      "asset_id": (CLEAN_ASSETS, ASSETS), "kind": (CLEAN_KINDS, KINDS), "depreciation": (CLEAN_AMOUNTS, AMOUNTS)}
FIELDS = {name: {c.field: _F[c.field] for c in S.TABLE_COLUMNS[name]} for name in S.ALLOCATION_SHEETS}

_PROFILE = [["字段", "值"], ["企业名称", "甲公司"], ["统一社会信用代码", "916401005541738271"], ["所属行业代码", "C3983"]]
_PROJECT_ROWS = [[c.header for c in S.PROJECT_COLUMNS],
                 ["P1", "全年项目", "自主研发", "费用化", dt.date(2023, 1, 1), dt.date(2025, 12, 31)],
                 ["P2", "二季度项目", "合作研发", "费用化", dt.date(2024, 4, 1), dt.date(2024, 6, 30)],
                 ["P3", "资本化项目", "自主研发", "资本化"],
                 ["BAD", "有错误的项目", "不知道", "费用化"]]
def _year_rows():
    heads = [c.header for c in S.YEAR_COLUMNS]
    wanted = {"年度": None, "收入总额": "100000000", "主营业务收入": "95000000", "应纳税所得额": "5000000",
              "科技人员数": "10", "职工总数": "50"}
    cols = [h for h in heads if h in wanted]
    return [cols] + [[str(y) if h == "年度" else wanted[h] for h in cols] for y in (2023, 2024, 2025)]


@st.composite
def allocation_sheet(draw, name: str, hostility=(0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 9)) -> list[list]:
    fields = FIELDS[name]
    columns = [c for c in S.TABLE_COLUMNS[name] if c.field in fields]
    shape = draw(st.sampled_from(("plain",) * 6 + ("shuffled", "dropped", "extra", "above")), label=f"{name} shape")
    if shape == "shuffled":
        columns = draw(st.permutations(columns))
    elif shape == "dropped":                                  # optional columns left out
        columns = [c for c in columns if c.required or draw(st.booleans())]
    rows = []
    for _ in range(draw(st.integers(0, 12), label=f"{name} rows")):
        kind = draw(st.sampled_from(("row",) * 12 + (("blank", "short", "junk") if 9 in hostility else ("blank",))))
        if kind == "blank":
            rows.append(draw(st.sampled_from(([], [None, None], ["", " "]))))
        elif kind == "junk":
            rows.append(draw(st.lists(st.one_of(TEXT, AMOUNTS, MONTHS, HOURS), max_size=8)))
        else:
            hostile = draw(st.sampled_from(hostility), label="hostile cells")
            bad = set(draw(st.permutations(range(len(columns))))[:hostile])
            row = [draw(fields[c.field][j in bad], label=c.field) for j, c in enumerate(columns)]
            if kind == "short":
                row = row[:draw(st.integers(0, len(row)))]
            rows.append(row)
    if rows and draw(st.integers(0, 4)) == 0:                 # a duplicated row (the same person-month twice)
        rows.append(list(draw(st.sampled_from(rows))))
    head = [c.header for c in columns]
    if shape == "extra":
        at = draw(st.integers(0, len(head)))
        head.insert(at, draw(st.sampled_from(("备注", "部门", "月份（备注）", ""))))
        rows = [r[:at] + [draw(TEXT)] + r[at:] for r in rows]
    sheet = [head] + rows
    if shape == "above":
        sheet[0:0] = [["人员工时表"], []]
    return sheet


@st.composite
def allocation_workbooks(draw) -> dict[str, list[list]]:
    sheets = {S.SHEET_PROFILE: [list(r) for r in _PROFILE], S.SHEET_PROJECTS: [list(r) for r in _PROJECT_ROWS],
              S.SHEET_YEARS: _year_rows(),
              S.SHEET_LINES: [[c.header for c in S.LINE_COLUMNS],
                              ["2024-03-01", "记", "1", "P1", draw(st.sampled_from(("R04", "R08", "R18"))), None, "100"]]}
    # a third of the workbooks are nearly clean, so that most of their rows meet and allocate
    hostility = draw(st.sampled_from(((0,) * 30 + (1,), None, None)), label="hostility")
    for name in S.ALLOCATION_SHEETS:
        if draw(st.integers(0, 7)):                           # mostly present, sometimes missing
            sheets[name] = draw(allocation_sheet(name, *([hostility] if hostility else [])))
    return sheets


def _years_of(ledger) -> list[int]:
    a = ledger.allocation
    years = sorted({int(t.month[:4]) for t in a.timesheets} | {int(p.month[:4]) for p in a.payroll}
                   | {int(e.month[:4]) for e in a.equipment}) if a is not None else []
    first, last = year_range()
    return [y for y in years if first <= y <= last] or [2024]      # the years the app evaluates (calc.evaluate.year_range)


# =============================================================================== the fuzzer

def test_allocation_base_is_clean(params):
    """The generators' plain rows import without errors and allocate (the fuzz is not all rejected input)."""
    ts = [[c.header for c in S.TIMESHEET_COLUMNS], ["E1", "张三", "2024-03", "P1", 100], ["E1", "张三", "2024-03", None, 68.5],
          ["E2", None, "2024-04", "P2", "7.25"]]
    pay = [[c.header for c in S.PAYROLL_COLUMNS], ["E1", "张三", "在职", "2024-03", "9800.00", 2940.5, "转-0001"],
           ["E2", None, "劳务派遣", "2024-04", 5000, None, "转-0002"]]
    dep = [[c.header for c in S.EQUIPMENT_COLUMNS], ["SB-1", "试验箱", "仪器", "2024-03", "6491.54", "转-0003"]]
    use = [[c.header for c in S.EQUIPMENT_HOURS_COLUMNS], ["SB-1", "2024-03", "P1", 130], ["SB-1", "2024-03", "非研发", 70]]
    sheets = {S.SHEET_PROFILE: _PROFILE, S.SHEET_PROJECTS: _PROJECT_ROWS[:4], S.SHEET_YEARS: _year_rows(),
              S.SHEET_LINES: [[c.header for c in S.LINE_COLUMNS], ["2024-03-01", "记", "1", "P1", "R08", None, "100"]],
              S.SHEET_TIMESHEETS: ts, S.SHEET_PAYROLL: pay, S.SHEET_EQUIPMENT: dep, S.SHEET_EQUIPMENT_HOURS: use}
    ledger = build_ledger(sheets, params)
    assert not [f for f in ledger.findings if f.severity == "error"], ledger.findings
    check_allocation(ledger, params, sheets)
    assert [(ln.project_no, ln.code) for ln in ledger.allocation.lines] == [("P1", "R04"), ("P1", "R05"), ("P2", "R06"),
                                                                         ("P1", "R17")]
    ev = evaluate(ledger, 2024, "year", params)
    check_risks(ev.risks, params, 2024)
    doc = evaluation_json(ev, params)
    # 980000×100/168.5 = 581602.37… → 581602, 294050×100/168.5 = 174510.38… → 174510, 500000, 649154×130/200 = 421950.1
    assert doc["allocation"]["rd_total"] == "16780.62"


@FUZZ
@given(data=st.data())
def test_fuzz_allocation_sheets(data, params):
    sheets = data.draw(allocation_workbooks(), label="sheets")
    try:
        ledger = build_ledger(sheets, params)
    except Exception as exc:  # noqa: BLE001 - that is the point
        raise AssertionError(f"build_ledger: exception escaped: {type(exc).__name__}: {exc}") from exc
    STATS["cases"] += 1
    assert isinstance(ledger, Ledger)
    check_findings(ledger.findings)
    for ln in ledger.lines:
        assert type(ln.amount) is int and isinstance(ln.date, dt.date) and ln.project_no in ledger.projects
        assert ln.src is not None and ln.src.sheet in (S.SHEET_LINES, S.SHEET_PAYROLL, S.SHEET_EQUIPMENT)
    check_allocation(ledger, params, sheets)
    a = ledger.allocation
    if a is not None:
        STATS["parts"] += len(a.parts)
        STATS["generated lines"] += len(a.lines)
        STATS["over-limit months"] += sum(x.over_limit for x in a.loads)
        event(f"{len(a.lines) and 'lines generated' or 'no lines'}")
    errors = sum(f.severity == "error" and f.sheet in S.ALLOCATION_SHEETS for f in ledger.findings)
    event("allocation sheets with errors" if errors else "allocation sheets clean")
    year = data.draw(st.sampled_from(_years_of(ledger) + [2024]), label="year")
    period = data.draw(st.sampled_from(("year", "year", "year", "H1")), label="period")
    note(f"evaluate({year}, {period})")
    try:
        ev = evaluate(ledger, year, period, params)
        risks = ev.risks
        doc = evaluation_json(ev, params)
        json.dumps(doc, ensure_ascii=False)
        text_summary(ev, params)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"evaluate/report {year} {period}: exception escaped: {type(exc).__name__}: {exc}") from exc
    check_findings([f for f in ev.findings if f.sheet])
    check_risks(risks, params, year)
    STATS["risks"] += len(risks)
    STATS["evaluated"] += 1
    if ev.allocation is not None:
        assert doc["allocation"] is not None
        rd = sum(p.amount for p in a.parts if p.rd and int(p.month[:4]) == year)
        assert ev.allocation["rd_total"] == rd
        assert ev.allocation["non_rd_total"] == sum(p.amount for p in a.parts if not p.rd and int(p.month[:4]) == year)
        assert [ld.month for ld in ev.allocation["over_limit"]] == [x.month for x in a.loads
                                                                    if x.over_limit and int(x.month[:4]) == year]


# =============================================================================== bugs found: regressions

def _workbook(**allocation_sheets) -> dict:
    sheets = {S.SHEET_PROFILE: _PROFILE, S.SHEET_PROJECTS: _PROJECT_ROWS[:4], S.SHEET_YEARS: _year_rows(),
              S.SHEET_LINES: [[c.header for c in S.LINE_COLUMNS], ["2024-03-01", "记", "1", "P1", "R08", None, "100"]]}
    names = {"ts": S.SHEET_TIMESHEETS, "pay": S.SHEET_PAYROLL, "dep": S.SHEET_EQUIPMENT, "use": S.SHEET_EQUIPMENT_HOURS}
    for key, rows in allocation_sheets.items():
        name = names[key]
        sheets[name] = [[c.header for c in S.TABLE_COLUMNS[name]], *rows]
    return sheets


def test_regression_hours_text_of_huge_fractional_hours(params):
    """AL1 (fixed): hours with decimals beyond 28 significant digits (1e26 h + 0.01 h, a float cell the amount parser
    accepts) raised decimal.InvalidOperation in calc.allocation.hours_text (the default Decimal precision) out of
    build_ledger; they are shown exactly to 0.01 h and the over-limit month is a finding."""
    from calc.allocation import hours_text

    assert hours_text(Fraction(10**28 + 1, 100)) == "100000000000000000000000000.01"
    assert hours_text(Fraction(10**40 + 1, 8)) == "1250000000000000000000000000000000000000.12"
    assert hours_text(Fraction(15, 2)) == "7.5" and hours_text(Fraction(1, 3)) == "0.33"
    sheets = _workbook(ts=[["E1", None, "2024-03", "P1", 1e26], ["E1", None, "2024-03", None, "0.01"]],
                       pay=[["E1", None, "在职", "2024-03", 9800, 2940]],
                       dep=[["SB-1", None, "仪器", "2024-03", 100]],
                       use=[["SB-1", "2024-03", "P1", 1e26], ["SB-1", "2024-03", None, Decimal("0.01")]])
    ledger = build_ledger(sheets, params)
    over = [f for f in ledger.findings if f.code == "W_HOURS_OVER_LIMIT"]
    assert over and "100000000000000000000000000.01小时" in over[0].message
    check_allocation(ledger, params, sheets)
    assert len(ledger.allocation.lines) == 3
    check_risks(evaluate(ledger, 2024, "year", params).risks, params, 2024)


def test_regression_duplicate_payroll_and_depreciation_rows_are_flagged(params):
    """AL2 (fixed): a second 人员薪酬 row of the same person and month (or 设备折旧 row of the same device and month)
    was allocated again without a word — a repeated row doubled the person's (device's) R&D cost silently.  Both rows
    are still allocated (a bonus may be booked apart), and the later one carries a warning."""
    sheets = _workbook(ts=[["E1", None, "2024-03", "P1", 100], ["E1", None, "2024-04", "P1", 100]],
                       pay=[["E1", "张三", "在职", "2024-03", 9800, 2940], ["E1", "张三", "在职", "2024-04", 9800, 2940],
                            ["E1", "张三", "在职", "2024-03", 9800, 2940]],
                       dep=[["SB-1", None, "仪器", "2024-03", 100], ["SB-1", None, "仪器", "2024-03", 100]],
                       use=[["SB-1", "2024-03", "P1", 10]])
    ledger = build_ledger(sheets, params)
    found = [(f.code, f.sheet, f.row, f.column) for f in ledger.findings if f.code.endswith("_DUPLICATE")]
    assert found == [("W_PAYROLL_DUPLICATE", S.SHEET_PAYROLL, 4, "人员编号"),
                     ("W_EQUIPMENT_DUPLICATE", S.SHEET_EQUIPMENT, 3, "设备编号")]
    assert "第2行" in next(f.message for f in ledger.findings if f.code == "W_PAYROLL_DUPLICATE")
    check_allocation(ledger, params, sheets)
    assert sum(ln.amount for ln in ledger.allocation.lines) == 3 * (980000 + 294000) + 2 * 10000


# =============================================================================== regressions

def test_regression_ev1_tax_year_before_2016_is_one_line(capsys, monkeypatch, tmp_path):
    """EV1 (fixed: calc.evaluate.check_year).  Found by this fuzzer when it evaluated the year of a 1900-01 month:
    ``main.py compute WORKBOOK --year 2015`` printed “内部错误：LookupError …”.  Now one Chinese line, exit 2."""
    import main

    monkeypatch.setenv("HOME", str(tmp_path))             # main.py writes its error log to ~
    rc = main.main(["compute", str(ROOT / "resources" / "sample" / "sample_enterprise.xlsx"), "--year", "2015"])
    err = capsys.readouterr().err
    assert "内部错误" not in err and rc == 2 and "不在本应用可计算的范围内" in err, err
