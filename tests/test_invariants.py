"""Invariants of issue 8 not covered by tests/test_properties.py (which proves the A107012 relations, the ⅔
and other-cost caps, 汇总表 = A107012, permutation and splitting invariance):

* the HNTE caliber (calc.hnte.hnte_caliber): never negative, its parts add up, 其他费用 within its 20% cap,
  委托外部 at 80% — on the random ledgers of test_properties, and on ledgers with red reversals that the
  importer accepts without an error;
* post-subsidies (calc.subsidy.estimate): over every shipped rule pack and random facts, no amount is
  negative and no component exceeds the cap its pack states (a status cap, a band's cap, a multiplier's
  cap, or the pack's total cap);
* exports: whatever text the user typed, no exported workbook cell is a formula (A107012, 辅助账, 汇总表 and
  the canonical workbook written back by forms.workbook.save_ledger), and any text renders in the PDF.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zipfile
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from calc import schema as S
from calc.evaluate import evaluate
from calc.hnte import hnte_caliber
from calc.ingest import build_ledger
from calc.money import round_fen
from calc.params import load_params
from calc.rulepack import Val, merge_component, override_patch
from calc.subsidy import FACTS, estimate, facts_from_values, load_packs
from tests.test_fuzz_allocation import check_risks
from tests.test_properties import cases

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- constants of the spec (the oracle, not read back from the parameter files): 195号 三(六)2(7)/(8)
ENTRUSTED = Fraction(8, 10)                 # 委托外部研究开发费用 counted at 80%
OTHER_CAP = Fraction(20, 100) / Fraction(80, 100)   # 其他费用 ≤ 20% of the total ⇔ ≤ categories 1–7 × 1/4
HNTE_CATEGORIES = ("人员人工费用", "直接投入费用", "折旧费用与长期待摊费用", "无形资产摊销费用", "设计费用",
                   "装备调试费用与试验费用", "委托外部研究开发费用", "其他费用")
CAT7, CAT8 = "委托外部研究开发费用", "其他费用"


@pytest.fixture(scope="module")
def params():
    return load_params()


# =============================================================================== HNTE caliber

def _check_caliber(c, *, categories: bool = True) -> None:
    assert c.total is not None and c.total >= 0
    assert c.domestic >= 0 and c.overseas >= 0
    assert c.domestic + c.overseas == c.total
    assert c.total == sum(c.categories.values())
    assert set(c.categories) == set(HNTE_CATEGORIES)
    for a in c.activities:
        assert a.total >= 0, a.project_no
        assert a.sum_1_7 == sum(a.counted[k] for k in HNTE_CATEGORIES if k != CAT8)
        assert a.total == a.sum_1_7 + a.other_allowed
        # 其他费用: what was booked, but never more than categories 1–7 × 1/4 (AI-05, per activity AI-06)
        assert a.other_allowed <= a.other_actual
        assert a.other_allowed <= max(0, round_fen(a.sum_1_7 * OTHER_CAP))
        assert a.counted[CAT8] == a.other_allowed
        # 委托外部: 80% of what was booked, domestic and overseas each rounded to the 分
        assert a.entrusted_domestic == round_fen(a.entrusted_domestic_actual * ENTRUSTED)
        assert a.entrusted_overseas == round_fen(a.entrusted_overseas_actual * ENTRUSTED)
        assert a.counted[CAT7] == a.entrusted_domestic + a.entrusted_overseas
        assert a.overseas == a.entrusted_overseas and a.domestic == a.total - a.overseas
        for k in HNTE_CATEGORIES:
            if k not in (CAT7, CAT8):
                assert a.counted[k] == a.actual[k]
                assert a.actual[k] >= 0 or not categories, (a.project_no, k)


@SETTINGS
@given(data=st.data())
def test_hnte_caliber_relations(data, params):
    """Random enterprises of test_properties (every line positive), some lines moved to another 高企费用类别
    or to “不计入” by the user: the caliber is never negative and its parts add up."""
    case = data.draw(cases(years=st.integers(2018, 2026), periods=st.just("year")))
    choices = st.sampled_from((None, None, None) + HNTE_CATEGORIES + ("不计入",))
    lines = tuple(dataclasses.replace(ln, hnte_category=data.draw(choices)) for ln in case.ledger.lines)
    ledger = dataclasses.replace(case.ledger, lines=lines)
    for year in (case.year - 1, case.year):
        c = hnte_caliber(ledger, year, params)
        if c.source == "ledger":
            _check_caliber(c)
            booked = sum(ln.amount for ln in ledger.lines if ln.date.year == year)
            assert c.accounting_total == booked


# -- through the importer: red reversals (negative lines) are allowed as long as no net goes negative ---------

_CODES = ("R04", "R05", "R06", "R08", "R09", "R10", "R13", "R15", "R17", "R20", "R24", "R29", "R31", "R33",
          "R36", "R37", "NE01")
_PROJECTS = [[c.header for c in S.PROJECT_COLUMNS],
             ["P1", "自主项目", "自主研发", "费用化"],
             ["P2", "委托项目", "委托研发", "费用化", None, None, None, "某大学", "否", "境内", "HT-1", "委托方"],
             ["P3", "境外委托", "委托研发", "费用化", None, None, None, "某研究所", "否", "境外", "HT-2", "双方共有"]]
_PROFILE = [["字段", "值"], ["企业名称", "甲公司"], ["统一社会信用代码", "916401005541738271"], ["所属行业代码", "C3983"]]


@st.composite
def imported_ledgers(draw):
    rows = [[c.header for c in S.LINE_COLUMNS]]
    for i in range(draw(st.integers(1, 12))):
        amount = draw(st.one_of(st.integers(1, 5000), st.integers(1, 10**8)))
        if draw(st.integers(0, 3)) == 0:
            amount = -amount                                # a red reversal
        share = draw(st.sampled_from((None, None, "50%", "33.33%", "100%")))
        rows.append([draw(st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31))), "记", str(i + 1),
                     draw(st.sampled_from(("P1", "P2", "P3"))), draw(st.sampled_from(_CODES)), None,
                     f"{amount / 100:.2f}", None,
                     draw(st.sampled_from(("自有", "自有", "自有", "财政资金（不征税）"))), share,
                     draw(st.sampled_from((None, None, None, None, "人员人工费用", "其他费用", "不计入")))])
    return {S.SHEET_PROFILE: _PROFILE, S.SHEET_PROJECTS: _PROJECTS, S.SHEET_LINES: rows}


@settings(SETTINGS, max_examples=400)
@given(sheets=imported_ledgers())
def test_hnte_caliber_never_negative_for_an_accepted_ledger(sheets, params):
    """The importer refuses a ledger whose net in a (project, year, category) is negative, in the super-deduction
    view (E_NEGATIVE_CATEGORY) or the HNTE view (E_NEGATIVE_HNTE_CATEGORY: all funding, NE codes, the user's
    高企费用类别); every ledger it accepts without an error has a non-negative HNTE caliber."""
    ledger = build_ledger(sheets, params)
    errors = [f for f in ledger.findings if f.severity == "error"]
    assert not [f for f in errors if f.code not in ("E_NEGATIVE_CATEGORY", "E_NEGATIVE_HNTE_CATEGORY")], errors
    event("refused: a negative net" if errors else "accepted")
    if errors:
        return
    note(repr([(ln.project_no, ln.code, ln.amount, ln.share, ln.hnte_category) for ln in ledger.lines]))
    _check_caliber(hnte_caliber(ledger, 2024, params))


@pytest.mark.parametrize("lines", [
    [["2024-03-01", "记", "1", "P1", "NE01", None, "-100"]],                                  # an NE code reversed
    [["2024-03-01", "记", "1", "P1", "R04", None, "100", None, "自有"],                        # a grant-funded
     ["2024-03-02", "记", "2", "P1", "R04", None, "-300", None, "财政资金（不征税）"]],           # reversal
    [["2024-03-01", "记", "1", "P1", "R04", None, "100", "100"],                               # 会计金额 reversed
     ["2024-03-02", "记", "2", "P1", "R04", None, "-300", "-50"]],                             # more than 税法金额
    [["2024-03-01", "记", "1", "P1", "R29", None, "1000"],                                     # a reversal moved
     ["2024-03-02", "记", "2", "P1", "R29", None, "-1000", None, None, None, "人员人工费用"]],   # to another category
], ids=["NE-code", "grant", "accounting-amount", "category-override"])
def test_negative_hnte_caliber_is_refused(lines, params):
    """HN1 (fixed): a ledger whose HNTE view nets negative (NE codes, grant-funded lines, 会计金额 reversals beyond
    the 税法金额, a reversal moved to another 高企费用类别) is refused with E_NEGATIVE_HNTE_CATEGORY, never
    accepted with a negative 研究开发费用总额（高企口径）."""
    sheets = {S.SHEET_PROFILE: _PROFILE, S.SHEET_PROJECTS: _PROJECTS,
              S.SHEET_LINES: [[c.header for c in S.LINE_COLUMNS]] + lines}
    ledger = build_ledger(sheets, params)
    errors = [f for f in ledger.findings if f.severity == "error"]
    assert [f.code for f in errors] == ["E_NEGATIVE_HNTE_CATEGORY"], errors
    assert errors[0].sheet == "研发项目" and errors[0].row == 2 and "高企口径" in errors[0].message


# =============================================================================== post-subsidy caps

PACKS = load_packs(include_user=False)


def _candidates(pack, comp, raw, award_year):
    """The component as it may be computed: itself or any of its variants, with the award year's parameters."""
    raws = [merge_component(raw, v.raw) for v in comp.variants] or [raw]     # as calc.subsidy._component
    patches = [patch for yo in pack.year_overrides if award_year in yo.years
               for cid, patch in yo.components.items() if cid == comp.id]
    out = []
    for r in raws:
        for p in patches:
            r = merge_component(r, override_patch(p))
        out.append(comp if r is raw else pack.parse_component(r))
    return out


def _stated_bound(c) -> Fraction | None:
    """The most this component can pay as its pack states it (分), or None when nothing bounds it.

    A status cap alone bounds nothing (it may not apply); a band / tier without its own cap falls back to the
    component's cap; a multiplier's cap replaces the others when that multiplier applies; a guaranteed minimum
    may lift the amount to itself."""
    static = c.cap.q if isinstance(c.cap, Val) else None
    if static is not None and c.caps:
        static = max([static] + [sc.cap.q for sc in c.caps])
    bands = c.tiers if c.formula in ("F4", "F6") else c.bands if c.formula == "F5" else ()
    if isinstance(bands, tuple) and bands:
        per = [b.cap.q if b.cap is not None else static for b in bands]
        fallback = None if any(p is None for p in per) else max(per)
    else:
        fallback = static
    if fallback is None:
        return None
    bound = max([fallback] + [m.cap.q for m in c.multipliers if m.cap is not None])
    if c.minimum is not None:
        bound = max(bound, c.minimum.amount.q)
    return bound


def _money():                                     # 分: often far above every cap (up to 100亿元)
    return st.one_of(st.integers(0, 10**4), st.integers(0, 10**9), st.integers(10**9, 10**12),
                     st.integers(10**10, 10**12))


@st.composite
def pack_cases(draw):
    """A pack, an award year (mostly inside its period) and random facts for its data years: most facts
    present, most yes/no facts 是 (so that gates pass and amounts are computed), money often huge."""
    pack = draw(st.sampled_from(sorted(PACKS.values(), key=lambda p: p.pack_id)))
    lo = pack.effective_from or 2018
    hi = pack.effective_to or lo + 4
    award = draw(st.one_of(st.integers(lo, hi), st.integers(lo - 1, hi + 1)))
    data_year = award + pack.data_year_offset
    kinds = {name: f.kind for name, f in FACTS.items()}
    kinds.update({name: d.kind for name, d in pack.inputs.items()})
    yes = st.sampled_from((True, True, True, True, True, False))
    values = {"money": _money(), "bool": yes, "rank": st.one_of(st.integers(1, 10), st.integers(1, 300)),
              "count": st.integers(0, 5000), "ratio": st.fractions(0, 2)}
    by_year, ent = {}, {}
    for name, kind in sorted(kinds.items()):
        scope = FACTS[name].scope if name in FACTS else "year"
        if scope == "enterprise":
            if draw(st.integers(0, 7)):
                ent[name] = draw(values.get(kind, yes))
            continue
        growing = kind == "money" and draw(st.integers(0, 3)) > 0     # mostly growing: growth gates pass
        start = draw(_money()) if growing else 0
        for k, y in enumerate(range(data_year - 3, data_year + 1)):
            if draw(st.integers(0, 7)):
                value = start * (k + 2) // 2 if growing else draw(values.get(kind, yes))
                by_year.setdefault(y, {})[name] = value
    return pack, award, facts_from_values(by_year, ent)


@settings(SETTINGS, max_examples=400)
@given(case=pack_cases())
def test_subsidy_amounts_within_stated_caps(case):
    pack, award, facts = case
    est = estimate(pack, facts, award_year=award)
    note(f"{pack.pack_id} {award}: {est.headline()}")
    for comp, raw, r in zip(pack.components, pack.raw_components, est.components):
        assert r.id == comp.id
        if r.amount is None:
            continue
        assert r.amount >= 0 and (r.low is None or 0 <= r.low <= r.amount), r
        bounds = [_stated_bound(c) for c in _candidates(pack, comp, raw, award)]
        if all(b is not None for b in bounds):
            assert r.amount <= round_fen(max(bounds)), (comp.id, r.amount, bounds, r.steps)
    if est.total is not None:
        assert est.total >= 0 and (est.total_low is None or 0 <= est.total_low <= est.total)
        if pack.combination.cap is not None:
            assert est.total <= round_fen(pack.combination.cap.q)
        if pack.combination.mode == "stack":
            assert est.total <= sum(c.amount for c in est.components if c.amount and not c.info_only)


def test_subsidy_caps_are_exercised():
    """The cap test above is not vacuous: most packs state a bound for a component and random facts reach it."""
    bounded = [(p.pack_id, c.id) for p in PACKS.values() for c in p.components if _stated_bound(c) is not None]
    assert len(bounded) >= 15
    pack = PACKS["ningxia-2022"]
    award = pack.effective_from + 1
    y = award + pack.data_year_offset
    huge = {name: 10**12 for name, f in FACTS.items() if f.kind == "money"}
    yes = {name: True for name, f in FACTS.items() if f.kind == "bool"}
    years = {yy: {**huge, **yes} for yy in range(y - 3, y + 1)}
    est = estimate(pack, facts_from_values(years, yes), award_year=award)
    capped = [r for r in est.components if r.amount and r.raw and r.raw > r.amount]
    assert capped, [(r.id, r.amount, r.raw) for r in est.components]


# =============================================================================== exports

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")     # openpyxl refuses these (see the xfail below)
HOSTILE_TEXT = st.one_of(
    st.sampled_from(TRIGGERS).flatmap(lambda t: st.text(max_size=12).map(lambda x: t + x)),
    st.sampled_from(('=HYPERLINK("http://x","点我")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "=1+1",
                     "<b>&amp;</b>", "𠀋字😀", "\t=1", "\r\n=1")),
    st.text(max_size=16),
).map(lambda t: _XML_ILLEGAL.sub("", t))


def _scan_no_formula(path) -> int:
    """Every cell of every sheet: no formula; text starting with a trigger is stored as quoted text."""
    import openpyxl

    n = 0
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path, ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(TRIGGERS):
                    assert cell.data_type == "s" and cell.quotePrefix, (path, ws.title, cell.coordinate, cell.value)
                    n += 1
    with zipfile.ZipFile(path) as zf:             # and none in the XML either (what Excel actually reads)
        for info in zf.infolist():
            if info.filename.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(info) and b"<f " not in zf.read(info), info.filename
    return n


@settings(SETTINGS, max_examples=8, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_no_exported_cell_is_a_formula(data, params, tmp_path_factory):
    from forms.exports import export_all
    from forms.workbook import save_ledger

    case = data.draw(cases(years=st.integers(2018, 2026), periods=st.just("year")))
    text = lambda: data.draw(HOSTILE_TEXT)                                  # noqa: E731
    led = case.ledger
    projects = {no: dataclasses.replace(p, name=text() or "x", entrustee=text(), contract_no=p.contract_no and text(),
                                        results=text()) for no, p in led.projects.items()}
    lines = tuple(dataclasses.replace(ln, summary=text(), voucher_no=text(), voucher_kind=text())
                  for ln in led.lines)
    profile = dataclasses.replace(led.profile, name=text() or "x", prepared_by=text(), advisor=text())
    led = dataclasses.replace(led, profile=profile, projects=projects, lines=lines)
    ev = evaluate(led, case.year, "year", params)
    out = tmp_path_factory.mktemp("exports")
    quoted = sum(_scan_no_formula(p) for p in export_all(ev, out, params))
    save_ledger(led, out / "台账.xlsx")
    quoted += _scan_no_formula(out / "台账.xlsx")
    note(f"{quoted} cells starting with a formula character, all quoted")


def test_export_sheet_names_are_valid_for_excel(params, tmp_path):
    """研发支出辅助账 has one sheet per project: names Excel refuses (same but for case — Excel ignores case —,
    starting with an apostrophe, control or []:*?/\\ characters, too long) are made valid and unique."""
    import openpyxl

    from forms.exports import write_ledgers
    from forms.workbook import load_ledger
    from tests.builders import build, line, other_year, project

    nos = ["rd01", "RD01", "'引号'", "a\x1fb", "[x]:y*?/\\z", "很长的项目编号" * 6]
    path = build(tmp_path, years=[other_year(2024)], projects=[project("P")],
                 lines=[line("2024-03-01", "P", "R04", 1000)])
    ledger = load_ledger(path)
    proj = ledger.projects["P"]
    projects = {no: dataclasses.replace(proj, project_no=no) for no in nos}
    lines = tuple(dataclasses.replace(ledger.lines[0], id=i, project_no=no) for i, no in enumerate(nos))
    ledger = dataclasses.replace(ledger, projects=projects, lines=lines)
    out = tmp_path / "辅助账.xlsx"
    write_ledgers(evaluate(ledger, 2024, "year", params), out, params)
    names = openpyxl.load_workbook(out).sheetnames
    assert len(names) == len(nos)
    assert len({n.casefold() for n in names}) == len(names), names
    for n in names:
        assert len(n) <= 31 and not re.search(r"[\[\]:*?/\\\x00-\x1f]", n) and not n.startswith("'") \
            and not n.endswith("'"), n


@settings(SETTINGS, max_examples=300)
@given(text=st.text(max_size=60))
def test_any_text_renders_in_the_pdf(text):
    """forms.pdftext.TextGuard: any text (markup, control characters, astral hanzi, emoji) becomes Paragraph
    markup that reportlab lays out and draws; characters no font has become 〓 and are reported."""
    import io

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    from forms.pdftext import MAIN, MISSING_MARK, TextGuard

    guard = TextGuard()
    para = Paragraph(guard(text), ParagraphStyle("t", fontName=MAIN, fontSize=9, leading=12))
    canvas = Canvas(io.BytesIO())
    para.wrapOn(canvas, 300, 800)
    para.drawOn(canvas, 10, 10)
    canvas.drawString(10, 10, guard.plain(text))
    canvas.save()
    assert all(ch in text for ch in guard.missing)
    if guard.missing:
        assert MISSING_MARK in guard(text)


# =============================================================================== risk screening

_SUMMARIES = st.one_of(
    st.none(),
    st.sampled_from(("研发领料", "生产车间领料", "量产模具", "试生产材料", "客户订单返修", "2023年材料费", "2024年12月工资",
                     "2019年设备", "售后服务", "非生产性试验", "批量出货检测", "常规检测", "委托开发费", "=1+1", "\x00\x07",
                     "１９９９年", "𠀋😀", "年" * 300)),
    st.text(max_size=16),
)
_VOUCHERS = st.one_of(st.none(), st.sampled_from(("转-0001", "转-0002", "记-1")), st.text(max_size=6))
_HOURS = st.one_of(st.integers(0, 250).map(Fraction), st.fractions(0, 400, max_denominator=100),
                   st.sampled_from((Fraction(0), Fraction(210), Fraction(10**12), Fraction(1, 100))))


@st.composite
def _person_loads(draw, year: int):
    """Loads as calc.allocation.person_month_loads gives them (and odd ones: R&D above the total, zero totals,
    a zero limit, no source row, months of other years)."""
    from calc.allocation import PersonMonthLoad
    from calc.model import Src

    out = []
    for i in range(draw(st.integers(0, 8))):
        total = draw(_HOURS)
        rd = draw(st.one_of(st.just(total), _HOURS, st.just(Fraction(0))))
        limit = draw(st.sampled_from((Fraction(210), Fraction(17436, 100), Fraction(0), Fraction(1))))
        month = f"{draw(st.sampled_from((year, year, year, year - 1)))}-{draw(st.integers(1, 12)):02d}"
        src = draw(st.sampled_from((Src("人员工时", i + 2), Src("人员工时", 99), None)))
        out.append(PersonMonthLoad(draw(st.sampled_from(("E1", "E2", "E3"))), draw(st.sampled_from((None, "张三"))),
                                   month, rd, total, limit, src))
    return out


@st.composite
def _risk_cases(draw):
    """Random ledgers of test_properties with what the risk rules read varied: summaries (production words, other
    years), vouchers shared across projects, round amounts, the industry code, year rows, person-month loads."""
    case = draw(cases(years=st.integers(2016, 2026), periods=st.just("year")))
    led = case.ledger
    lines = tuple(dataclasses.replace(ln, summary=draw(_SUMMARIES), voucher_no=draw(_VOUCHERS),
                                      amount=draw(st.sampled_from((ln.amount, ln.amount, 100000, 500000, 1, -ln.amount))))
                  for ln in led.lines)
    profile = dataclasses.replace(led.profile, industry_code=draw(st.sampled_from(("C3981", "C3983", "F5111", "K7010",
                                                                                  "I6510", "", None))))
    years = led.years
    if draw(st.booleans()):          # revenue, staff counts and grants the ratio / per-head / grant rules read
        years = tuple(dataclasses.replace(y, values={**y.values,
                                                     "main_revenue": draw(st.one_of(st.none(), st.integers(-10, 10**11))),
                                                     "staff_rd": draw(st.one_of(st.none(), st.integers(0, 500))),
                                                     "nontaxable_income": draw(st.one_of(st.none(), st.integers(0, 10**9)))})
                      for y in years)
    if draw(st.integers(0, 5)) == 0:
        years = ()
    led = dataclasses.replace(led, lines=lines, profile=profile, years=years)
    return led, case.year, draw(_person_loads(case.year))


@SETTINGS
@given(case=_risk_cases())
def test_risk_screening_never_raises_and_findings_are_well_formed(case, params):
    """calc.risk.screen on random ledgers (red reversals included), with and without person-month loads: no
    exception; every RiskFinding is a rule of risk_rules.yaml in force that year, with a Chinese message, why and
    evidence, and locations that are (sheet, row ≥ 1)."""
    from calc.risk import screen

    ledger, year, loads = case
    for person_loads in (loads, None):
        risks = screen(ledger, year, params, person_loads=person_loads)
        check_risks(risks, params, year)
        order = [("高风险", "关注", "提示").index(r.severity) for r in risks]
        assert order == sorted(order)
        event(f"{len(risks)} risks" if len(risks) < 3 else "3+ risks")
    if any(ld.src is not None and ld.total_hours > ld.limit_hours and ld.month.startswith(f"{year}-") for ld in loads):
        assert "RISK-02" in {r.rule_id for r in screen(ledger, year, params, person_loads=loads, only=["RISK-02"])}


@settings(SETTINGS, max_examples=100)
@given(sheets=imported_ledgers())
def test_risk_screening_of_imported_ledgers(sheets, params):
    """The same through the importer and the evaluation (Evaluation.risks, screened lazily)."""
    ledger = build_ledger(sheets, params)
    ev = evaluate(ledger, 2024, "year", params)
    check_risks(ev.risks, params, 2024)
