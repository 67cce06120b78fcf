"""高新技术企业 (HNTE): the R&D caliber of 195号, the three-caliber bridge, the recognition
conditions H0–H8 and the innovation score as ranges (hnte_sme.md §1–§3, rule pack hnte-2016).

Amounts are integer 分; ratios and growth rates are exact ``Fraction``s compared with their
thresholds unrounded (§0.2).  Every threshold, band and cap comes from
``resources/params/hnte.yaml``; every result carries the adopted interpretations it depends on.

Public API (the lead codes against these names):

* :func:`hnte_caliber` — one year on the HNTE caliber (§2), per R&D activity;
* :func:`rd_bridge` — accounting R&D → super-deduction caliber (A107012 row 40) and → HNTE caliber,
  line by line with a reason per difference, reconciled to the 分;
* :func:`hnte_evaluation` — the conditions of an application in year Y+1 (window Y−2…Y), the
  innovation score with its verdict, the overall assessment and, for a certified enterprise, the
  certificate window and the validity-year re-check.
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .columns import LineIds, ids_array, ledger_memo, line_columns, project_order
from .model import HNTE_BELOW_183, INFO, WARNING, Finding, Ledger, Line, YearData
from .money import fen_display, fen_str, ratio_str, round_fen, round_ratio
from .params import Dated, Params, load_params
from .superdeduction import GRANT, SDResult, SuperDeductionEngine, Trace

__all__ = [
    "ActivityRow", "HnteCaliber", "BridgeItem", "BridgeGroup", "Bridge", "Condition", "ScoreItem", "ScorePart",
    "GrowthRate", "InnovationScore", "CertificateStatus", "HnteEvaluation",
    "hnte_caliber", "rd_bridge", "hnte_evaluation", "innovation_score", "growth_rate", "rd_ratio_threshold",
    "PASS", "FAIL", "UNKNOWN",
]

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
STATUS_NAMES = {PASS: "符合", FAIL: "不符合", UNKNOWN: "待补充"}
VERDICT_NAMES = {"pass_likely": "很可能超过70分", "fail_likely": "很可能不超过70分", "uncertain": "不确定"}
ASSESSMENT_NAMES = {"not_eligible": "不符合认定条件", "eligible_likely": "很可能符合认定条件", "uncertain": "尚不确定"}
ENTRUSTEE_OWNED = "受托方"
OVERSEAS = "境外"
OVERSEAS_CODES = ("R37", "R39")
UNASSIGNED_MESSAGE = "需人工指定高企费用类别"
PACK = "hnte-2016"


def _p(params: Params | None) -> Params:
    return params or load_params()


def _tables(params: Params) -> dict:
    return params.tables["hnte"]


def _src(d: Dated) -> str:
    """A dated parameter's source as a bureau cites it (国科发火〔2016〕195号第三条第（六）项第2目)."""
    return d.source.cite


def _pct(x: Fraction, against: Fraction | None = None) -> str:
    """A ratio as a percentage (0.01%); more places when rounding would hide the comparison."""
    text = ratio_str(x * 100, 2)
    if against is not None and x != against and Fraction(text) == against * 100:
        text = ratio_str(x * 100, 4)
    return f"{text}%"


def _pct_t(t: Fraction) -> str:
    """A threshold as a short percentage: 0.04 → 4%, 0.6 → 60%."""
    text = ratio_str(t * 100, 4).rstrip("0").rstrip(".")
    return f"{text}%"


def _yuan(fen: int) -> str:
    return f"¥{fen_display(fen)}"


def _ceil(x: Fraction) -> int:
    return math.ceil(x)


def _ratio_json(x) -> str | None:
    if x is None:
        return None
    if isinstance(x, Fraction):
        return ratio_str(x, 4)
    return str(x)


def _threshold_json(x):
    """A threshold in its shortest exact form with at least two decimals: 0.04 → "0.04", 70 → 70."""
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return int(x)
        text = ratio_str(x, 8).rstrip("0")
        whole, _, dec = text.partition(".")
        return f"{whole}.{dec:0<2}"
    return x


# =====================================================================================
# 1. The HNTE caliber of one year (§2)
# =====================================================================================

@dataclass
class ActivityRow:
    """One R&D activity (= project, AI-06) on the HNTE caliber: the eight categories of the
    研究开发费用结构明细表, with category 7 at 80% and category 8 capped (AI-05)."""
    project_no: str
    name: str
    ledger_type: str
    actual: dict = field(default_factory=dict)       # category → 分 as booked (× 研发工时占比)
    counted: dict = field(default_factory=dict)      # category → 分 as counted (7 at 80%, 8 allowed)
    entrusted_domestic_actual: int = 0
    entrusted_overseas_actual: int = 0
    entrusted_domestic: int = 0                      # counted (80%)
    entrusted_overseas: int = 0                      # counted (80%)
    sum_1_7: int = 0                                 # categories 1–7 as counted
    other_actual: int = 0
    other_cap: Fraction = Fraction(0)                # 0.25 × sum_1_7 (AI-05)
    other_allowed: int = 0
    total: int = 0
    domestic: int = 0
    overseas: int = 0
    line_ids: tuple = ()

    def as_dict(self) -> dict:
        return {"project_no": self.project_no, "name": self.name, "ledger_type": self.ledger_type,
                "actual": {k: fen_str(v) for k, v in self.actual.items()},
                "counted": {k: fen_str(v) for k, v in self.counted.items()},
                "entrusted_domestic": fen_str(self.entrusted_domestic),
                "entrusted_overseas": fen_str(self.entrusted_overseas),
                "sum_1_7": fen_str(self.sum_1_7), "other_actual": fen_str(self.other_actual),
                "other_allowed": fen_str(self.other_allowed), "total": fen_str(self.total),
                "domestic": fen_str(self.domestic), "line_count": len(self.line_ids)}


@dataclass
class HnteCaliber:
    """R&D of one year on the HNTE caliber (hnte_sme.md §2)."""
    year: int
    source: str                                       # ledger | yearly_data | missing
    total: int | None                                 # RD_hnte (分)
    domestic: int | None                              # internal + domestic commissioned at 80% (AI-04)
    overseas: int | None = None
    activities: list = field(default_factory=list)    # [ActivityRow] (ledger source only)
    categories: dict = field(default_factory=dict)    # category → 分 counted, company total (Σ activities)
    other_actual: int = 0
    other_allowed: int = 0
    company_wide: dict = field(default_factory=dict)  # information only (AI-06): sum_1_7, other, cap, allowed, total
    accounting_total: int = 0                         # Σ 会计金额 of the year's ledger lines
    excluded: list = field(default_factory=list)      # [(line id, reason code, Chinese text)]
    findings: list = field(default_factory=list)
    traces: dict = field(default_factory=dict)
    interpretations: set = field(default_factory=set)
    flags: tuple = ()                                 # e.g. ("from_yearly_data",)

    @property
    def known(self) -> bool:
        return self.total is not None

    def as_dict(self) -> dict:
        return {"year": self.year, "source": self.source,
                "total": None if self.total is None else fen_str(self.total),
                "domestic": None if self.domestic is None else fen_str(self.domestic),
                "overseas": None if self.overseas is None else fen_str(self.overseas),
                "categories": {k: fen_str(v) for k, v in self.categories.items()},
                "activities": [a.as_dict() for a in self.activities],
                "company_wide": {k: fen_str(v if isinstance(v, int) else round_fen(v)) for k, v in self.company_wide.items()},
                "flags": list(self.flags), "interpretations": sorted(self.interpretations)}


def _code_label(code: str, params: Params) -> str:
    c = params.codes.get(code)
    return f"{code} {c.label}" if c else code


def hnte_caliber(ledger: Ledger, year: int, params: Params | None = None) -> HnteCaliber:
    """One year on the HNTE caliber (hnte_sme.md §2).

    Per R&D activity (project, AI-06) the eight 195号 categories from the ledger lines dated in
    ``year`` — every project, capitalised ones in progress included (AI-APP-20) — at their
    accounting amounts × 研发工时占比 (AI-APP-21), grant-funded lines included (AI-APP-22);
    委托外部 at 80% with the domestic/overseas split kept; 其他费用 capped at 0.25 × categories 1–7
    per activity (AI-05, AI-06), rounded per activity (AI-APP-23).  A year without ledger lines
    uses the 年度数据 totals 研发费用（高企口径）/ 境内研发费用.
    """
    params = _p(params)
    return ledger_memo(ledger, ("hnte_caliber", year), lambda: _hnte_caliber(ledger, year, params), check=params)


def _hnte_status(ledger: Ledger, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Per line: (status, category index into the 195号 categories), see :func:`hnte_line_status`."""
    cols = line_columns(ledger)
    return cols.memo("hnte_status", lambda: hnte_line_status(cols, ledger.projects, params), check=params)


def hnte_line_status(cols, projects: dict, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Per line: (status, category index into the 195号 categories).  Status 0 counted; 1 the project is
    委托研发 with results owned by the 受托方; 2 the line's 高企费用类别 is “不计入”; 3 no category — the override
    is not a category, or there is none and the code has no HNTE category; 4 a generated staff-cost line of a
    person below 183 R&D days (AI-ALLOC-05).  Amounts are 会计金额 × 研发工时占比
    rounded per line (AI-APP-21): ``LineColumns.hnte_amount``."""
    cats = list(_tables(params)["categories"]["items"])
    index = {c: i for i, c in enumerate(cats)}
    code_cat = np.array([index[c.hnte] if (c := params.codes.get(k)) is not None and c.hnte is not None else -1
                         for k in cols.code_keys] or [-1], dtype=np.int64)
    # override: -2 不计入, -3 not a category, -4 a person below 183 R&D days (generated staff cost, AI-ALLOC-05)
    special = {"不计入": -2, HNTE_BELOW_183: -4}
    over = np.array([special.get(h, index.get(h, -3)) for h in cols.hcat_keys] + [0], dtype=np.int64)
    has_over = cols.hcat >= 0
    cat = np.where(has_over, over[cols.hcat], code_cat[cols.code]) if cols.n else np.zeros(0, dtype=np.int64)
    status = np.zeros(cols.n, dtype=np.int64)
    status[cat < 0] = 3
    status[cat == -2] = 2
    status[cat == -4] = 4
    owned = cols.proj_values({no: p.form == "委托研发" and p.ownership == ENTRUSTEE_OWNED
                              for no, p in projects.items()}, False, bool)
    status[owned] = 1
    return status, cat


def hnte_negative_nets(cols, projects: dict, params: Params) -> list[tuple[str, int, str, int]]:
    """(project, year, 195号 category, net) for every activity-year-category whose net HNTE amount (会计金额 ×
    研发工时占比, all funding, the user's 高企费用类别) is negative: red reversals exceeding what they reverse
    would make the 高企口径 negative. In the order the lines first use them."""
    if not cols.n:
        return []
    status, cat = cols.memo("hnte_status", lambda: hnte_line_status(cols, projects, params), check=params)
    counted = np.flatnonzero(status == 0)
    cats = list(_tables(params)["categories"]["items"])
    return [(no, year, cats[c], total) for no, year, c, total
            in cols.negative_nets(counted, cat[counted], len(cats), cols.hnte_amount[counted])]


def _caliber_rules_day(params: Params, year: int) -> dt.date:
    """The day whose HNTE caliber rules measure year ``year``: its year end, or — for a window year before the
    first dated rules (2015 in an application of 2016–2017) — the day those rules start: an application is judged
    by the rules in force when it is made, for every year of its window (AI-APP-29)."""
    day = dt.date(year, 12, 31)
    if params.maybe_at("hnte_entrusted_factor", day) is not None:
        return day
    starts = [e.start for e in params.scalars["hnte_entrusted_factor"] if e.start > day]
    return min(starts) if starts else day


def _hnte_caliber(ledger: Ledger, year: int, params: Params) -> HnteCaliber:
    t = _tables(params)
    cats = t["categories"]["items"]
    cat7, cat8 = t["categories"]["entrusted"], t["categories"]["other"]
    day = _caliber_rules_day(params, year)
    ef = params.at("hnte_entrusted_factor", day)
    oc = params.at("hnte_other_cost_ratio", day)
    cap_factor = oc.fraction / (1 - oc.fraction)
    findings: list[Finding] = []
    ais: set[str] = {"AI-01"} | ({"AI-APP-29"} if day.year != year else set())
    cols = line_columns(ledger)
    in_year = np.flatnonzero(cols.year == year)
    row = ledger.year_row(year)

    if not len(in_year):
        return _caliber_from_year_data(ledger, year, row, findings, ais)

    ais |= {"AI-04", "AI-05", "AI-06", "AI-APP-20", "AI-APP-21", "AI-APP-23"}
    status_all, cat_all = _hnte_status(ledger, params)
    status = status_all[in_year]
    out_rows = in_year[status != 0]
    excluded: list[tuple[int, str, str]] = []
    if len(out_rows):
        # (reason, text) per line: one per code for the unassigned, then ownership, then 不计入
        reasons = np.array([("unassigned", f"{_code_label(k, params)}：{UNASSIGNED_MESSAGE}，暂不计入")
                            for k in cols.code_keys] + [("ownership", "委托研发成果归受托方所有，不计入高企口径"),
                                                        ("user_excluded", "用户指定“不计入”高企口径"),
                                                        ("unassigned", UNASSIGNED_MESSAGE),       # (status 3: per code)
                                                        ("below_183", "人员全年研发天数未满183天，不属于高企科技人员："
                                                         "其按工时分配的人员人工不计入高企口径（AI-ALLOC-05）")] + [None],
                           dtype=object)[:-1]
        st = status_all[out_rows]
        which = np.where(st == 3, cols.code[out_rows], len(cols.code_keys) + st - 1)
        excluded = [(i, *r) for i, r in zip(cols.ids[out_rows].tolist(), reasons[which].tolist())]
        if (status == 1).any():
            ais.add("AI-APP-25")
        loose = out_rows[st == 3]                                   # unassigned: per code, first seen
        codes_of, first_at, counts = np.unique(cols.code[loose], return_index=True, return_counts=True)
        for u in np.argsort(first_at, kind="stable").tolist():
            c = int(codes_of[u])
            code = cols.code_keys[c]
            total = cols.total(cols.amount, loose[cols.code[loose] == c])
            first = ledger.lines[int(loose[first_at[u]])]
            findings.append(Finding(WARNING, "W_HNTE_CATEGORY", f"{year}年度{_code_label(code, params)}共{int(counts[u])}行、"
                                    f"{_yuan(total)}：{UNASSIGNED_MESSAGE}（在“研发支出”表的“高企费用类别”列填写），暂不计入高企口径研发费用",
                                    "研发支出", first.src.row if first.src else None, "高企费用类别"))
    counted = in_year[status == 0]
    if cols.grant[counted].any():
        ais.add("AI-APP-22")
    if cols.has_share[counted].any():
        ais.add("AI-APP-01")
    if cols.proj_values({no: p.form == "委托研发" and p.ownership == "双方共有" for no, p in ledger.projects.items()},
                        False, bool, counted).any():
        ais.add("AI-APP-25")

    # Σ per activity (project) × category, with category 7 split domestic / overseas; line ids per activity
    order, rank, n_ranks = project_order(ledger)
    mask = np.zeros(cols.n, dtype=bool)
    mask[counted] = True
    counted = order[mask[order]]                          # activity order, ledger order within
    nc = len(cats)
    crank = rank[counted]
    amounts = cols.hnte_amount[counted]
    ccat = cat_all[counted]
    sums = cols.group_sums(crank * nc + ccat, amounts, n_ranks * nc)
    c7 = cats.index(cat7)
    overseas_code = np.array([k in OVERSEAS_CODES for k in cols.code_keys] or [False], dtype=bool)
    overseas_proj = cols.proj_values({no: p.entrustee_location == OVERSEAS for no, p in ledger.projects.items()},
                                     False, bool, counted)
    is7 = ccat == c7
    abroad = overseas_code[cols.code[counted]] | overseas_proj
    over7 = cols.group_sums(crank[is7 & abroad], amounts[is7 & abroad], n_ranks)
    dom7 = cols.group_sums(crank[is7 & ~abroad], amounts[is7 & ~abroad], n_ranks)
    bounds = np.searchsorted(crank, np.arange(n_ranks + 1)).tolist()
    id_array = cols.ids[counted]
    by_category = (cols.ids[counted], ccat, np.asarray(bounds))     # for the bridge: ids per activity and category
    ef_fraction, zero = ef.fraction, Fraction(0)
    names = list(ledger.projects) + sorted(k for k in cols.proj_keys if k not in ledger.projects)
    activities: list[ActivityRow] = []
    ef_n, ef_d = ef.fraction.numerator, ef.fraction.denominator
    cap_n, cap_d = cap_factor.numerator, cap_factor.denominator
    i7, i8 = cats.index(cat7), cats.index(cat8)
    for r in np.flatnonzero(np.diff(bounds)).tolist():              # the activities with counted lines
        no = names[r]
        proj = ledger.projects.get(no)
        actual = sums[r * nc:(r + 1) * nc]
        dom_actual, over_actual = dom7[r], over7[r]
        dom, over = round_ratio(dom_actual * ef_n, ef_d), round_ratio(over_actual * ef_n, ef_d)   # × 80%
        counted = dict(zip(cats, actual))
        counted[cat7] = dom + over
        sum_1_7 = sum(actual) - actual[i7] - actual[i8] + dom + over
        other_actual = actual[i8]
        cap = max(sum_1_7 * cap_n, 0)                    # the cap is cap / cap_d, never below zero
        allowed = other_actual if other_actual * cap_d <= cap else round_ratio(cap, cap_d)
        counted[cat8] = allowed
        total_a = sum_1_7 + allowed
        activities.append(ActivityRow(
            no, proj.name if proj else no, proj.ledger_type if proj else "", dict(zip(cats, actual)), counted,
            dom_actual, over_actual, dom, over, sum_1_7, other_actual, Fraction(cap, cap_d) if cap else zero,
            allowed, total_a, total_a - over, over, LineIds(id_array[bounds[r]:bounds[r + 1]])))

    total = sum(a.total for a in activities)
    domestic = sum(a.domestic for a in activities)
    categories = {c: sum(a.counted[c] for a in activities) for c in cats}
    other_actual = sum(a.other_actual for a in activities)
    other_allowed = sum(a.other_allowed for a in activities)
    cw_sum = sum(a.sum_1_7 for a in activities)
    cw_cap = max(Fraction(0), cw_sum * cap_factor)
    cw_allowed = other_actual if other_actual <= cw_cap else round_fen(cw_cap)
    company_wide = {"sum_1_7": cw_sum, "other_actual": other_actual, "cap": cw_cap, "other_allowed": cw_allowed,
                    "total": cw_sum + cw_allowed}
    if company_wide["total"] != total:
        findings.append(Finding(INFO, "I_HNTE_OTHER_CAP", f"{year}年度其他费用按研发活动分别限额（AI-06）后高企口径研发费用为"
                                f"{_yuan(total)}；如按企业整体限额则为{_yuan(company_wide['total'])}（仅供参考）"))
    if row is not None and row.get("rd_hnte") is not None and row.get("rd_hnte") != total:
        findings.append(Finding(INFO, "I_HNTE_YEAR_DATA_IGNORED", f"{year}年度有研发支出明细，高企口径研发费用按明细计算为{_yuan(total)}；"
                                f"“年度数据”填写的{_yuan(row.get('rd_hnte'))}未采用", "年度数据",
                                row.src.row if row.src else None, "研发费用（高企口径）"))

    all_ids = LineIds(id_array)              # the activities' line ids, in activity order
    traces = {
        "total": Trace("hnte_total", f"{year}年度研究开发费用总额（高企口径）", total,
                       params.text("hnte_total"),
                       [(f"{a.project_no} {a.name}", a.total) for a in activities],
                       [("委托外部研究开发费用计入比例", ef.value, _src(ef)), ("其他费用比例上限", oc.value, _src(oc))],
                       all_ids, tuple(sorted(ais & {"AI-04", "AI-05", "AI-06", "AI-APP-20", "AI-APP-21", "AI-APP-22",
                                                    "AI-APP-23", "AI-APP-25"}))),
        "domestic": Trace("hnte_domestic", f"{year}年度境内研究开发费用（高企口径）", domestic,
                          params.text("hnte_domestic"),
                          [("研发费用总额", total), ("委托境外×80%", total - domestic)],
                          [("委托外部研究开发费用计入比例", ef.value, _src(ef))], all_ids, ("AI-04",)),
        "other_cap": Trace("hnte_other_cap", f"{year}年度其他费用限额（按研发活动）", other_allowed,
                           params.text("hnte_other_cap"),
                           [(f"{a.project_no} 其他费用 {fen_display(a.other_actual)} / 限额 "
                             f"{fen_display(round_fen(a.other_cap))}", a.other_allowed) for a in activities if a.other_actual],
                           [("其他费用比例上限", oc.value, _src(oc))], (), ("AI-05", "AI-06", "AI-APP-23")),
    }
    caliber = HnteCaliber(year, "ledger", total, domestic, total - domestic, activities, categories, other_actual,
                          other_allowed, company_wide, cols.total(cols.amount, in_year), excluded, findings, traces, ais)
    caliber._by_category = by_category
    return caliber



def _caliber_from_year_data(ledger: Ledger, year: int, row: YearData | None, findings: list, ais: set) -> HnteCaliber:
    rd = row.get("rd_hnte") if row else None
    dom = row.get("rd_domestic") if row else None
    if rd is None:
        return HnteCaliber(year, "missing", None, None, findings=findings, interpretations=ais)
    if dom is None:
        findings.append(Finding(WARNING, "W_HNTE_DOMESTIC_MISSING", f"{year}年度无研发支出明细，且“年度数据”未填写境内研发费用："
                                "境内研发费用占比无法计算", "年度数据", row.src.row if row.src else None, "境内研发费用"))
    ais.add("AI-04")
    trace = Trace("hnte_total", f"{year}年度研究开发费用总额（高企口径）", rd, "“年度数据”填写的研发费用（高企口径）（该年度无研发支出明细）",
                  [("研发费用（高企口径）", rd)] + ([("境内研发费用", dom)] if dom is not None else []))
    return HnteCaliber(year, "yearly_data", rd, dom, None if dom is None else rd - dom, findings=findings,
                       traces={"total": trace}, interpretations=ais, flags=("from_yearly_data",))


# =====================================================================================
# 2. The bridge: accounting → super-deduction caliber, accounting → HNTE caliber
# =====================================================================================

@dataclass
class BridgeItem:
    caliber: str            # super | hnte
    reason: str             # stable reason code
    text: str               # Chinese
    amount: int             # 分, signed: accounting + Σ items = caliber total
    line_ids: tuple = ()


@dataclass
class BridgeGroup:
    caliber: str
    reason: str
    text: str
    amount: int
    line_ids: tuple = ()
    count: int = 0

    def as_dict(self) -> dict:
        return {"reason": self.reason, "text": self.text, "amount": fen_str(self.amount), "line_count": len(self.line_ids)}


@dataclass
class Bridge:
    year: int
    accounting_total: int                    # Σ 会计金额 of the year's ledger lines
    super_total: int                         # A107012 row 40 (0 when the super-deduction does not apply)
    hnte_total: int | None
    items: list = field(default_factory=list)          # [BridgeItem], both calibers
    super_eligible: bool = True
    super_reason: str = ""
    findings: list = field(default_factory=list)
    interpretations: set = field(default_factory=set)

    def for_caliber(self, caliber: str) -> list:
        return [i for i in self.items if i.caliber == caliber]

    def groups(self, caliber: str) -> list:
        """Items grouped by (reason, text), in first-seen order, with totals."""
        out: dict[tuple, BridgeGroup] = {}
        ids: dict[tuple, list] = {}
        for i in self.for_caliber(caliber):
            key = (i.reason, i.text)
            g = out.get(key)
            if g is None:
                g = out[key] = BridgeGroup(caliber, i.reason, i.text, 0, (), 0)
                ids[key] = []
            g.amount += i.amount
            ids[key].extend(i.line_ids)
            g.count += 1
        for key, g in out.items():
            g.line_ids = tuple(ids[key])
        return [g for g in out.values() if g.amount != 0 or g.line_ids]

    def adjustments(self, caliber: str) -> int:
        return sum(i.amount for i in self.for_caliber(caliber))

    @property
    def reconciled_super(self) -> bool:
        return self.accounting_total + self.adjustments("super") == self.super_total

    @property
    def reconciled_hnte(self) -> bool:
        return self.hnte_total is not None and self.accounting_total + self.adjustments("hnte") == self.hnte_total

    @property
    def reconciled(self) -> bool:
        return self.reconciled_super and self.reconciled_hnte

    def as_dict(self) -> dict:
        return {"year": self.year, "accounting_total": fen_str(self.accounting_total),
                "super_deduction_total": fen_str(self.super_total),
                "hnte_total": None if self.hnte_total is None else fen_str(self.hnte_total),
                "super_deduction": [g.as_dict() for g in self.groups("super")],
                "hnte": [g.as_dict() for g in self.groups("hnte")],
                "reconciled": self.reconciled}


@functools.lru_cache(maxsize=256)
def _sd_code_text(code: str, params: Params, hnte_counted: bool) -> str:
    c = params.codes.get(code)
    label = _code_label(code, params)
    why = f"（{c.reason}）" if c and c.reason else ""
    side = "计入高企口径" if hnte_counted else "高企口径亦未计入（需人工指定类别或已指定不计入）"
    return f"{label}：{side}，不计入加计扣除口径{why}"


def rd_bridge(ledger: Ledger, year: int, params: Params | None = None,
              sd_engine: SuperDeductionEngine | None = None) -> Bridge:
    """Accounting R&D of ``year`` → super-deduction caliber (A107012 row 40) and → HNTE caliber,
    line by line with a reason per difference; reconciles to the 分 in both calibers."""
    params = _p(params)
    engine = sd_engine or SuperDeductionEngine(ledger, params)
    sd = engine.compute(year)
    cal = hnte_caliber(ledger, year, params)
    cols = line_columns(ledger)
    year_rows = np.flatnonzero(cols.year == year)
    accounting = cols.total(cols.amount, year_rows)
    bridge = Bridge(year, accounting, 0, cal.total, [], sd.eligible, sd.reason, list(cal.findings),
                    set(cal.interpretations) | set(sd.interpretations))

    # -- super-deduction caliber --------------------------------------------------------------
    if not sd.eligible or "R40" not in sd.rows:
        bridge.super_total = 0
        bridge.items.append(BridgeItem("super", "not_eligible", f"不适用研发费用加计扣除：{sd.reason or '无加计扣除计算'}",
                                       -accounting, tuple(cols.ids[year_rows].tolist())))
    else:
        _bridge_super(bridge, ledger, year, sd, params, year_rows, {i for i, _, _ in cal.excluded})

    # -- HNTE caliber ---------------------------------------------------------------------------
    if cal.source == "ledger":
        _bridge_hnte(bridge, ledger, cal, params, year_rows)
    elif len(year_rows):                                 # cannot happen: a year with lines is on the ledger
        bridge.hnte_total = None
    if not bridge.reconciled_super:
        bridge.findings.append(Finding(WARNING, "W_BRIDGE_SUPER", f"{year}年度研发费用差异调节表（加计扣除口径）未能逐分衔接："
                                       f"差额{_yuan(bridge.super_total - accounting - bridge.adjustments('super'))}"))
    if cal.source == "ledger" and not bridge.reconciled_hnte:
        bridge.findings.append(Finding(WARNING, "W_BRIDGE_HNTE", f"{year}年度研发费用差异调节表（高企口径）未能逐分衔接"))
    return bridge


class _Ids:
    """Line ids ↔ rows of the columns (``by_id``: the last line of an id, as a dict of lines would keep)."""

    def __init__(self, cols):
        self.cols = cols
        self.identity = cols.ids_identity
        self._rows = None if self.identity else cols.memo("row_of_id", lambda: dict(zip(cols.ids.tolist(),
                                                                                        range(cols.n))))

    def rows(self, ids: np.ndarray) -> np.ndarray:
        if self.identity:
            return ids
        get = self._rows.__getitem__
        return np.fromiter((get(i) for i in ids.tolist()), dtype=np.int64, count=len(ids))

    def member(self, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Whether the id of each row is one of ``ids``."""
        if self.identity:
            mask = np.zeros(self.cols.n, dtype=bool)
            mask[ids] = True
            return mask[rows]
        return np.isin(self.cols.ids[rows], ids)

    def union(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The ids in ``a`` or ``b``, sorted, each once."""
        if self.identity:
            mask = np.zeros(self.cols.n, dtype=bool)
            mask[a] = True
            mask[b] = True
            return np.flatnonzero(mask)
        return np.unique(np.concatenate([a, b]))


def _bridge_super(bridge: Bridge, ledger: Ledger, year: int, sd: SDResult, params: Params, year_rows: np.ndarray,
                  hnte_excluded: set) -> None:
    rows = sd.rows
    bridge.super_total = rows["R40"]
    ef = params.at("entrusted_factor", dt.date(year, 12, 31)).fraction
    cols = line_columns(ledger)
    lines = ledger.lines
    ids_map = _Ids(cols)
    excluded = {i: why for i, why in sd.excluded}
    excluded_ids = np.fromiter(excluded, dtype=np.int64, count=len(excluded))
    counted_ids = np.concatenate([ids_array(r.line_ids) for r in sd.summary] or [np.zeros(0, np.int64)])
    pool = ids_map.union(counted_ids, excluded_ids)                                 # sorted(pool)
    pool_rows = ids_map.rows(pool)
    add = bridge.items.append

    # lines of the year outside the pool, and earlier lines brought into it
    for r in year_rows[~ids_map.member(year_rows, pool)].tolist():
        l = lines[r]
        proj = ledger.projects.get(l.project_no)
        if proj is not None and proj.capitalised and proj.ia_date and l.date > proj.ia_date:
            add(BridgeItem("super", "after_ia", f"资本化项目{proj.project_no}形成无形资产后的支出：不计入加计扣除口径", -l.amount, (l.id,)))
        elif proj is not None and proj.capitalised:
            text = (f"资本化项目{proj.project_no}本年未形成无形资产：本年支出在形成无形资产年度计入加计扣除口径；"
                    f"高企口径按发生年度计入（AI-APP-20）")
            add(BridgeItem("super", "capitalised_in_progress", text, -l.amount, (l.id,)))
        else:
            add(BridgeItem("super", "not_in_pool", "不在本年加计扣除范围内的支出", -l.amount, (l.id,)))
    for r in pool_rows[cols.year[pool_rows] != year].tolist():
        l = lines[r]
        proj = ledger.projects.get(l.project_no)
        formed = proj is not None and proj.ia_date is not None and proj.ia_date.year == year
        text = (f"资本化项目{l.project_no}本年形成无形资产：以前年度支出于本年计入加计扣除口径（高企口径已在发生年度计入）"
                if formed else f"资本化项目{l.project_no}本年结束未形成无形资产：以前年度支出于本年计入加计扣除口径（AI-SD-10）")
        add(BridgeItem("super", "capitalised_formed" if formed else "capitalised_abandoned", text, l.amount, (l.id,)))

    # line-level differences: only the pool lines that make one are visited
    code_of = [params.codes.get(k) for k in cols.code_keys]
    not_eligible = np.array([c is not None and not c.eligible for c in code_of] or [False], dtype=bool)
    category = np.array([c.category if c is not None else None for c in code_of] or [None], dtype=object)
    is_excluded = ids_map.member(pool_rows, excluded_ids)
    pc = cols.code[pool_rows]
    plain = ~is_excluded & ~not_eligible[pc]
    taxed = plain & cols.has_tax[pool_rows] & (cols.base[pool_rows] != cols.amount[pool_rows])
    shared = plain & cols.has_share[pool_rows]
    sel = np.flatnonzero(is_excluded | ~plain | taxed | shared)
    for i, row, out, normal, tax, share, eligible in zip(
            pool[sel].tolist(), pool_rows[sel].tolist(), is_excluded[sel].tolist(), plain[sel].tolist(),
            taxed[sel].tolist(), shared[sel].tolist(), cols.elig[pool_rows[sel]].tolist()):
        l = lines[row]
        code = params.codes.get(l.code)
        hnte_counted = i not in hnte_excluded
        if out:
            why = excluded[i]
            if code is not None and not code.category:
                add(BridgeItem("super", f"code:{l.code}", _sd_code_text(l.code, params, hnte_counted), -l.amount, (i,)))
            elif l.funding == GRANT and why.startswith("财政资金"):
                add(BridgeItem("super", "grant", "财政资金（不征税收入）形成的费用：不计入加计扣除口径；计入高企口径（AI-APP-22）",
                               -l.amount, (i,)))
            elif why == "技术合同未登记":
                add(BridgeItem("super", "no_contract", "委托研发技术合同未登记：不计入加计扣除口径；高企口径按80%计入", -l.amount, (i,)))
            elif why == "研发成果归受托方所有":
                add(BridgeItem("super", "ownership", "委托研发成果归受托方所有：两种口径均不计入", -l.amount, (i,)))
            else:
                add(BridgeItem("super", "excluded", f"不计入加计扣除口径：{why}", -l.amount, (i,)))
            continue
        if not normal:                                         # R39: in the 汇总表 but never in row 40
            add(BridgeItem("super", f"code:{l.code}", _sd_code_text(l.code, params, hnte_counted), -l.amount, (i,)))
            continue
        if tax:
            add(BridgeItem("super", "tax_amount", "税法金额与会计金额的差异：加计扣除口径按税法金额，高企口径按会计金额（AI-APP-21）",
                           l.tax_amount - l.amount, (i,)))
        if share:
            add(BridgeItem("super", "share", "研发工时占比：按占比计入（逐行四舍五入至分，AI-APP-01）",
                           eligible - l.base_amount, (i,)))
    pcat = category[pc]
    other_ids = tuple(pool[plain & (pcat == "other")].tolist())
    r36_ids = tuple(pool[plain & (pcat == "entrusted_domestic")].tolist())
    r37_ids = tuple(pool[plain & (pcat == "entrusted_overseas")].tolist())

    # aggregate differences (A107012 rows 34, 36→8.2, 38)
    r28, r34 = rows["R28"], rows["R34"]
    if r34 != r28:
        add(BridgeItem("super", "other_cap", "其他相关费用限额：前五项 × 10% ÷ (1 − 10%)（A107012第34行），超出部分不计入加计扣除口径",
                       r34 - r28, other_ids))
    e36 = rows["R40"] - rows["R02"] - rows["R38"]
    if e36 != rows["R36"]:
        add(BridgeItem("super", "entrusted_80", "委托境内研发按实际发生额的80%计入", e36 - rows["R36"], r36_ids))
    r37_80 = round_fen(rows["R37"] * ef)
    if r37_80 != rows["R37"]:
        add(BridgeItem("super", "entrusted_overseas_80", "委托境外机构研发按实际发生额的80%计入", r37_80 - rows["R37"], r37_ids))
    if rows["R38"] != r37_80:
        add(BridgeItem("super", "overseas_cap", "委托境外研发费用不超过境内符合条件研发费用的2/3（A107012第38行）；高企口径无此限额",
                       rows["R38"] - r37_80, r37_ids))


def _bridge_hnte(bridge: Bridge, ledger: Ledger, cal: HnteCaliber, params: Params, year_rows: np.ndarray) -> None:
    add = bridge.items.append
    t = _tables(params)
    cat7, cat8 = t["categories"]["entrusted"], t["categories"]["other"]
    cols = line_columns(ledger)
    lines = ledger.lines
    excluded = {i: (reason, text) for i, reason, text in cal.excluded}
    ids = cols.ids[year_rows]
    out = np.isin(ids, np.array(list(excluded), dtype=np.int64)) if excluded else np.zeros(len(ids), bool)
    sel = np.flatnonzero(out | cols.has_share[year_rows])
    for row, left_out, counted in zip(year_rows[sel].tolist(), out[sel].tolist(),
                                      cols.hnte_amount[year_rows[sel]].tolist()):
        l = lines[row]
        if left_out:
            reason, text = excluded[l.id]
            if reason == "unassigned":
                add(BridgeItem("hnte", f"unassigned:{l.code}", text, -l.amount, (l.id,)))
            else:
                add(BridgeItem("hnte", reason, text, -l.amount, (l.id,)))
            continue
        add(BridgeItem("hnte", "share", "研发工时占比：按占比计入（逐行四舍五入至分，AI-APP-21）", counted - l.amount, (l.id,)))
    cats = list(_tables(params)["categories"]["items"])
    c7, c8 = cats.index(cat7), cats.index(cat8)
    ids, cat, bounds = cal.__dict__.get("_by_category") or (np.zeros(0, np.int64),) * 3
    e_ids, o_ids = _split(ids, cat == c7, bounds), _split(ids, cat == c8, bounds)
    ids_map = _Ids(cols)
    unique_ids = ids_map.identity or cols.memo("ids_unique", lambda: len(np.unique(cols.ids)) == cols.n)
    for n, a in enumerate(cal.activities):
        e, o = e_ids[n], o_ids[n]
        if not unique_ids:                                 # each id once, where first seen
            e, o = tuple(dict.fromkeys(e)), tuple(dict.fromkeys(o))
        diff7 = (a.entrusted_domestic + a.entrusted_overseas) - (a.entrusted_domestic_actual + a.entrusted_overseas_actual)
        if diff7:
            add(BridgeItem("hnte", "entrusted_80", "委托外部研究开发费用按实际发生额的80%计入（境内、境外相同，按研发活动计算）", diff7, e))
        if a.other_allowed != a.other_actual:
            add(BridgeItem("hnte", "other_cap", "其他费用限额：按研发活动不超过研发总费用的20%（第1–7类 × 0.25，AI-05、AI-06）",
                           a.other_allowed - a.other_actual, o))


def _split(ids: np.ndarray, chosen: np.ndarray, bounds: np.ndarray) -> list[tuple]:
    """The chosen ids of each activity (activities = the non-empty ranges of ``bounds``), as tuples."""
    active = np.flatnonzero(np.diff(bounds))
    if not len(active):
        return []
    cum = np.concatenate([[0], np.cumsum(chosen)])
    starts, ends = cum[bounds[active]].tolist(), cum[bounds[active + 1]].tolist()
    picked = ids[chosen].tolist()
    return [tuple(picked[a:b]) for a, b in zip(starts, ends)]


# =====================================================================================
# 3. The conditions (§1)
# =====================================================================================

@dataclass
class Condition:
    id: str                         # registered_1y | ip | staff_ratio | rd_ratio | domestic_rd_ratio | …
    gate: str                       # H0 … H8
    name: str
    status: str                     # pass | fail | unknown
    value: object = None            # exact Fraction, int (days / count) or bool
    threshold: object = None
    comparison: str = ">="
    margin: object = None           # value − threshold (same unit)
    text: str = ""
    to_pass: str = ""               # what would make it pass (Chinese), empty when passing
    to_pass_amount: int | None = None   # 分 (money) or a count (people / days)
    missing: tuple = ()
    flags: tuple = ()
    traces: list = field(default_factory=list)
    basis: str = ""                 # legal source

    @property
    def ok(self) -> bool | None:
        return None if self.status == UNKNOWN else self.status == PASS

    def as_dict(self) -> dict:
        def show(v):
            if v is None or isinstance(v, bool):
                return v
            if isinstance(v, Fraction):
                return _ratio_json(v)
            return v
        return {"id": self.id, "gate": self.gate, "name": self.name, "status": self.status, "ok": self.ok,
                "value": show(self.value), "threshold": _threshold_json(self.threshold), "comparison": self.comparison,
                "margin": show(self.margin), "text": self.text, "to_pass": self.to_pass or None,
                "to_pass_amount": self.to_pass_amount, "missing": list(self.missing), "flags": list(self.flags),
                "basis": self.basis}


def _bool_condition(cid: str, gate: str, name: str, value, yes: str, no: str, field_name: str, basis: str,
                    fix: str) -> Condition:
    if value is None:
        return Condition(cid, gate, name, UNKNOWN, None, True, "bool", None, f"{name}：未填写，需要填写“{field_name}”",
                         f"需要填写“{field_name}”", None, (field_name,), basis=basis)
    if value:
        return Condition(cid, gate, name, PASS, True, True, "bool", None, f"{name}：{yes}", basis=basis)
    return Condition(cid, gate, name, FAIL, False, True, "bool", None, f"{name}：{no}", fix, basis=basis)


def rd_ratio_threshold(latest_sales: int, day: dt.date, params: Params | None = None) -> tuple[Fraction, str, Dated]:
    """The R&D-ratio tier set by the latest year's sales (分): (ratio, Chinese tier label, parameter)."""
    params = _p(params)
    tiers = params.at("hnte_rd_ratio_tiers", day)
    lower = None
    for bound, ratio in tiers.value:
        if bound is None or latest_sales <= Fraction(bound) * 100:
            r = Fraction(ratio)
            if bound is None:
                label = f"最近一年销售收入{_wan_text(lower)}以上（超过{_wan_text(lower)}）"
            elif lower is None:
                label = f"最近一年销售收入{_wan_text(bound)}以下（含）"
            else:
                label = f"最近一年销售收入{_wan_text(lower)}至{_wan_text(bound)}（含）"
            return r, label, tiers
        lower = bound
    raise LookupError("hnte_rd_ratio_tiers 没有覆盖全部销售收入的档次")


def _wan_text(yuan: str | None) -> str:
    if yuan is None:
        return ""
    y = Fraction(yuan)
    if y >= 100_000_000 and y % 100_000_000 == 0:
        return f"{y // 100_000_000}亿元"
    if y % 10_000 == 0:
        return f"{int(y // 10_000):,}万元"
    return f"{fen_display(int(y * 100))}元"


class _Inputs:
    """Reads 年度数据 with explicit missing-input reporting."""

    def __init__(self, ledger: Ledger, findings: list, ais: set):
        self.ledger, self.findings, self.ais = ledger, findings, ais
        self._noted: set = set()

    def row(self, year: int) -> YearData | None:
        return self.ledger.year_row(year)

    def _zero_note(self, year: int, header: str, key: str, used_for: str) -> None:
        if (year, key) in self._noted:
            return
        self._noted.add((year, key))
        self.ais.add("AI-APP-26")
        row = self.row(year)
        self.findings.append(Finding(INFO, "I_HNTE_BLANK_ZERO", f"{year}年度“{header}”未填写，{used_for}按0计算（AI-APP-26）",
                                     "年度数据", row.src.row if row and row.src else None, header))

    def sales(self, year: int, missing: list) -> int | None:
        row = self.row(year)
        main = row.get("main_revenue") if row else None
        if main is None:
            missing.append(f"{year}年度主营业务收入")
            return None
        other = row.get("other_revenue")
        if other is None:
            self._zero_note(year, "其他业务收入", "other_revenue", "销售收入")
            other = 0
        return main + other

    def total_income(self, year: int, missing: list) -> int | None:
        row = self.row(year)
        total = row.get("total_income") if row else None
        if total is None:
            missing.append(f"{year}年度收入总额")
            return None
        nontax = row.get("nontaxable_income")
        if nontax is None:
            self._zero_note(year, "不征税收入", "nontaxable_income", "总收入")
            nontax = 0
        return total - nontax

    def value(self, year: int, key: str, header: str, missing: list):
        row = self.row(year)
        v = row.get(key) if row else None
        if v is None:
            missing.append(f"{year}年度{header}")
        return v

    def net_assets(self, year: int, missing: list) -> int | None:
        a = self.value(year, "total_assets", "资产总额", missing)
        b = self.value(year, "total_liabilities", "负债总额", missing)
        return None if a is None or b is None else a - b


def _missing_text(missing) -> str:
    return "需要填写" + "、".join(f"“{m}”" if not m.startswith("“") else m for m in missing)


def _window(ledger: Ledger, year: int, params: Params, day: dt.date) -> tuple[tuple[int, ...], list[str], set]:
    """The 近三个会计年度 ending in ``year``; fewer when the enterprise operated for less (AI-03)."""
    n = params.value("hnte_window_years", day)
    first = year - n + 1
    notes, ais = [], set()
    founded = ledger.profile.founded
    if founded is not None and founded > dt.date(first, 1, 1):
        first = max(first, founded.year)
        ais.add("AI-03")
        partial = founded != dt.date(founded.year, 1, 1)
        notes.append(f"实际经营期不满三年（{founded.isoformat()}成立），按实际经营的{year - first + 1}个会计年度计算"
                     + ("，含不足一年的首个年度" if partial else "") + "，请复核（AI-03）")
    return tuple(range(first, year + 1)), notes, ais


def _rd_ratio_condition(ledger, year, window, calibers, inputs: _Inputs, params, day, window_notes, recheck=False):
    cid = "rd_ratio_recheck" if recheck else "rd_ratio"
    name = "研究开发费用占销售收入比例" + ("（有效期内复核）" if recheck else "")
    basis = "国科发火〔2016〕32号第十一条第（五）项；国科发火〔2016〕195号第三条第（六）项" + ("；国科发火〔2016〕195号第五条第（三）项" if recheck else "")
    flags = {"AI-01"} | ({"AI-03"} if any("AI-03" in n for n in window_notes) else set())
    missing: list[str] = []
    sales = {y: inputs.sales(y, missing) for y in window}
    rd = {}
    for y in window:
        c = calibers[y]
        if c.total is None:
            missing.append(f"{y}年度研发费用（高企口径）（研发支出明细或年度数据）")
        rd[y] = c.total
        if c.source == "yearly_data":
            flags.add("from_yearly_data")
        flags |= c.interpretations & {"AI-04", "AI-05", "AI-06", "AI-APP-20", "AI-APP-21", "AI-APP-22", "AI-APP-23"}
    latest = sales.get(year)
    if latest is None:
        text = f"{name}：{_missing_text(missing)}"
        return Condition(cid, "H5", name, UNKNOWN, None, None, ">=", None, text, _missing_text(missing), None,
                         tuple(missing), tuple(sorted(flags)), basis=basis)
    threshold, tier_label, tiers = rd_ratio_threshold(latest, day, params)
    if missing:
        text = f"{name}：适用{_pct_t(threshold)}档（{tier_label}）；{_missing_text(missing)}"
        return Condition(cid, "H5", name, UNKNOWN, None, threshold, ">=", None, text, _missing_text(missing), None,
                         tuple(missing), tuple(sorted(flags)), basis=basis)
    s_sum, r_sum = sum(sales.values()), sum(rd.values())
    years_text = "、".join(str(y) for y in window)
    trace = Trace(cid, f"{name}（{years_text}年度）", None, params.text("hnte_rd_ratio"),
                  [(f"{y}年度研发费用（高企口径）", rd[y]) for y in window] + [(f"{y}年度销售收入", sales[y]) for y in window],
                  [("比例档次", f"{_pct_t(threshold)}（{tier_label}）", _src(tiers))], interpretations=tuple(sorted(flags)))
    if s_sum <= 0:
        text = f"{name}：{years_text}年度销售收入合计不大于0，无法计算比例，请人工判断"
        return Condition(cid, "H5", name, UNKNOWN, None, threshold, ">=", None, text, "需要核对销售收入", None,
                         ("销售收入",), tuple(sorted(flags)), [trace], basis=basis)
    ratio = Fraction(r_sum, s_sum)
    trace.value = ratio
    ok = ratio >= threshold
    head = (f"{name}{_pct(ratio, threshold)} {'≥' if ok else '<'} {_pct_t(threshold)}（{years_text}年度合计：研发费用"
            f"{_yuan(r_sum)} ÷ 销售收入{_yuan(s_sum)}；{tier_label}，适用{_pct_t(threshold)}）")
    if window_notes:
        head += "；" + "；".join(window_notes)
    if ok:
        return Condition(cid, "H5", name, PASS, ratio, threshold, ">=", ratio - threshold, head, "", None, (),
                         tuple(sorted(flags)), [trace], basis=basis)
    need = _ceil(threshold * s_sum - r_sum)
    fix = f"{years_text}年度合计距{_pct_t(threshold)}尚差高企口径研发费用{_yuan(need)}（已结束年度不得追溯调整）"
    return Condition(cid, "H5", name, FAIL, ratio, threshold, ">=", ratio - threshold, f"{head}：{fix}", fix, need, (),
                     tuple(sorted(flags)), [trace], basis=basis)


def _domestic_condition(window, calibers, params, day) -> Condition:
    name = "境内研究开发费用占全部研究开发费用比例"
    basis = "国科发火〔2016〕32号第十一条第（五）项；国科发火〔2016〕195号第三条第（六）项第3目"
    th = params.at("hnte_domestic_rd_ratio", day)
    t = th.fraction
    flags = {"AI-04"}
    missing = []
    for y in window:
        c = calibers[y]
        if c.total is None:
            missing.append(f"{y}年度研发费用（高企口径）")
        elif c.domestic is None:
            missing.append(f"{y}年度境内研发费用")
        if c.source == "yearly_data":
            flags.add("from_yearly_data")
    if missing:
        return Condition("domestic_rd_ratio", "H5b", name, UNKNOWN, None, t, ">=", None, f"{name}：{_missing_text(missing)}",
                         _missing_text(missing), None, tuple(missing), tuple(sorted(flags)), basis=basis)
    total = sum(calibers[y].total for y in window)
    dom = sum(calibers[y].domestic for y in window)
    trace = Trace("domestic_rd_ratio", name, None, params.text("hnte_domestic_ratio"),
                  [(f"{y}年度境内研发费用", calibers[y].domestic) for y in window]
                  + [(f"{y}年度研发费用总额", calibers[y].total) for y in window],
                  [("境内研发费用比例", th.value, _src(th))], interpretations=tuple(sorted(flags)))
    if total <= 0:
        return Condition("domestic_rd_ratio", "H5b", name, UNKNOWN, None, t, ">=", None, f"{name}：研发费用合计为0，无法计算",
                         "需要有研发费用", None, ("研发费用",), tuple(sorted(flags)), [trace], basis=basis)
    ratio = Fraction(dom, total)
    trace.value = ratio
    head = f"{name}{_pct(ratio, t)} {'≥' if ratio >= t else '<'} {_pct_t(t)}（境内{_yuan(dom)} ÷ 全部{_yuan(total)}；委托外部按80%计入后计算，AI-04）"
    if ratio >= t:
        return Condition("domestic_rd_ratio", "H5b", name, PASS, ratio, t, ">=", ratio - t, head, "", None, (),
                         tuple(sorted(flags)), [trace], basis=basis)
    need = _ceil((t * total - dom) / (1 - t))
    fix = f"计算期合计距{_pct_t(t)}尚差境内研发费用{_yuan(need)}（新增费用同时计入研发费用总额）"
    return Condition("domestic_rd_ratio", "H5b", name, FAIL, ratio, t, ">=", ratio - t, f"{head}：{fix}", fix, need, (),
                     tuple(sorted(flags)), [trace], basis=basis)


def _staff_condition(year, inputs: _Inputs, params, day) -> Condition:
    name = "科技人员占职工总数比例"
    basis = "国科发火〔2016〕32号第十一条第（四）项；国科发火〔2016〕195号第三条第（五）项"
    th = params.at("hnte_staff_ratio", day)
    t = th.fraction
    missing: list[str] = []
    rd = inputs.value(year, "staff_rd", "科技人员数", missing)
    total = inputs.value(year, "staff_total", "职工总数", missing)
    if missing:
        return Condition("staff_ratio", "H4", name, UNKNOWN, None, t, ">=", None, f"{name}：{_missing_text(missing)}",
                         _missing_text(missing), None, tuple(missing), basis=basis)
    if total <= 0:
        return Condition("staff_ratio", "H4", name, UNKNOWN, None, t, ">=", None, f"{name}：{year}年度职工总数为0，无法计算",
                         "需要填写职工总数", None, (f"{year}年度职工总数",), basis=basis)
    ratio = Fraction(rd, total)
    trace = Trace("staff_ratio", name, ratio, params.text("hnte_staff_ratio"),
                  [(f"{year}年度科技人员数", str(rd)), (f"{year}年度职工总数", str(total))], [("科技人员比例", th.value, _src(th))])
    head = f"{name}{_pct(ratio, t)} {'≥' if ratio >= t else '<'} {_pct_t(t)}（{year}年度：{rd} ÷ {total}，全年月平均数）"
    if ratio >= t:
        return Condition("staff_ratio", "H4", name, PASS, ratio, t, ">=", ratio - t, head, "", None, traces=[trace], basis=basis)
    new = _ceil((t * total - rd) / (1 - t))
    fix = f"{year}年度距{_pct_t(t)}尚差{new}名科技人员（新增人员同时计入职工总数）"
    return Condition("staff_ratio", "H4", name, FAIL, ratio, t, ">=", ratio - t, f"{head}：{fix}", fix, new,
                     traces=[trace], basis=basis)


def _hitech_condition(year, inputs: _Inputs, params, day) -> Condition:
    name = "高新技术产品（服务）收入占同期总收入比例"
    basis = "国科发火〔2016〕32号第十一条第（六）项；国科发火〔2016〕195号第三条第（三）、（四）项"
    th = params.at("hnte_hitech_income_ratio", day)
    t = th.fraction
    missing: list[str] = []
    hitech = inputs.value(year, "hitech_income", "高新技术产品（服务）收入", missing)
    total = inputs.total_income(year, missing)
    if missing:
        return Condition("hitech_income_ratio", "H6", name, UNKNOWN, None, t, ">=", None, f"{name}：{_missing_text(missing)}",
                         _missing_text(missing), None, tuple(missing), basis=basis)
    if total <= 0:
        return Condition("hitech_income_ratio", "H6", name, UNKNOWN, None, t, ">=", None,
                         f"{name}：{year}年度总收入（收入总额 − 不征税收入）不大于0，无法计算", "需要核对收入总额", None,
                         (f"{year}年度收入总额",), basis=basis)
    ratio = Fraction(hitech, total)
    trace = Trace("hitech_income_ratio", name, ratio, params.text("hnte_hitech_ratio"),
                  [(f"{year}年度高新技术产品（服务）收入", hitech), (f"{year}年度总收入", total)],
                  [("高新技术产品收入比例", th.value, _src(th))])
    head = (f"{name}{_pct(ratio, t)} {'≥' if ratio >= t else '<'} {_pct_t(t)}（{year}年度：{_yuan(hitech)} ÷ {_yuan(total)}）")
    if ratio >= t:
        return Condition("hitech_income_ratio", "H6", name, PASS, ratio, t, ">=", ratio - t, head, "", None,
                         traces=[trace], basis=basis)
    new = _ceil((t * total - hitech) / (1 - t))
    fix = f"{year}年度距{_pct_t(t)}尚差高新技术产品（服务）收入{_yuan(new)}（新增收入同时计入总收入）"
    return Condition("hitech_income_ratio", "H6", name, FAIL, ratio, t, ">=", ratio - t, f"{head}：{fix}", fix, new,
                     traces=[trace], basis=basis)


def _registered_condition(ledger: Ledger, app: dt.date, params) -> Condition:
    name = "注册成立一年以上"
    basis = "国科发火〔2016〕32号第十一条第（一）项；国科发火〔2016〕195号第三条第（一）项"
    d = params.at("hnte_registration_days", app)
    need = int(d.value)
    founded = ledger.profile.founded
    if founded is None:
        return Condition("registered_1y", "H1", name, UNKNOWN, None, need, ">=", None, f"{name}：需要填写“成立日期”",
                         "需要填写“成立日期”", None, ("成立日期",), basis=basis)
    days = (app - founded).days
    trace = Trace("registered_1y", name, days, params.text("hnte_registered"),
                  [("成立日期", founded.isoformat()), ("申请日期", app.isoformat())], [("注册天数", str(need), _src(d))])
    head = f"注册成立{days}天 {'≥' if days >= need else '<'} {need}天（{founded.isoformat()}成立，{app.isoformat()}申请）"
    if days >= need:
        return Condition("registered_1y", "H1", name, PASS, days, need, ">=", days - need, head, "", None,
                         traces=[trace], basis=basis)
    earliest = founded + dt.timedelta(days=need)
    fix = f"申请日期不早于{earliest.isoformat()}即可达标（再等{need - days}天）"
    return Condition("registered_1y", "H1", name, FAIL, days, need, ">=", days - need, f"{head}：{fix}", fix, need - days,
                     traces=[trace], basis=basis)


def _ip_counts(other: dict) -> tuple[int | None, int | None]:
    c1, c2 = other.get("ip_class1"), other.get("ip_class2")
    return (None if c1 is None else int(c1)), (None if c2 is None else int(c2))


def _ip_condition(ledger: Ledger) -> Condition:
    name = "拥有对主要产品（服务）发挥核心支持作用的知识产权"
    basis = "国科发火〔2016〕32号第十一条第（二）项；国科发火〔2016〕195号第三条第（二）项"
    c1, c2 = _ip_counts(ledger.profile.other)
    flags = ("AI-APP-27",)
    count = (c1 or 0) + (c2 or 0)
    if count >= 1:
        return Condition("ip", "H2", name, PASS, count, 1, ">=", count - 1,
                         f"{name}：有效知识产权{count}项（Ⅰ类{c1 if c1 is not None else '未填'}项，"
                         f"未用于以往申请的Ⅱ类{c2 if c2 is not None else '未填'}项；按企业信息填写的数量判断，AI-APP-27）",
                         flags=flags, basis=basis)
    if c1 is None or c2 is None:
        missing = tuple(x for x, v in (("Ⅰ类知识产权数量", c1), ("Ⅱ类知识产权数量", c2)) if v is None)
        return Condition("ip", "H2", name, UNKNOWN, None, 1, ">=", None, f"{name}：{_missing_text(missing)}",
                         _missing_text(missing), None, missing, flags, basis=basis)
    fix = "取得至少1项在中国境内授权、在有效期内、权属归企业的Ⅰ类知识产权或未用于以往申请的Ⅱ类知识产权"
    return Condition("ip", "H2", name, FAIL, 0, 1, ">=", -1,
                     f"{name}：没有有效知识产权，不具备知识产权的企业不能认定为高新技术企业：{fix}", fix, 1, (), flags,
                     basis=basis)


def _field_condition(ledger: Ledger, params: Params) -> Condition:
    name = "核心技术属于《国家重点支持的高新技术领域》"
    basis = "国科发火〔2016〕32号第十一条第（三）项及附件"
    value = ledger.profile.other.get("hnte_field")
    fields = _tables(params)["fields"]["items"]
    if not value or not str(value).strip():
        return Condition("hnte_field", "H3", name, UNKNOWN, None, None, "bool", None, f"{name}：需要填写“高新技术领域”",
                         "需要填写“高新技术领域”", None, ("高新技术领域",), basis=basis)
    text = str(value).strip()
    first = text.replace("／", "/").split("/")[0].strip()
    if first not in fields:
        return Condition("hnte_field", "H3", name, UNKNOWN, text, None, "bool", None,
                         f"{name}：所填领域“{text}”的一级领域不在八大领域（{'、'.join(fields)}）中，请核对",
                         "按《国家重点支持的高新技术领域》填写一级领域至三级领域", None, ("高新技术领域",), basis=basis)
    return Condition("hnte_field", "H3", name, PASS, text, None, "bool", None, f"{name}：{text}（企业自行判断）", basis=basis)


# =====================================================================================
# 4. The innovation score (§3)
# =====================================================================================

@dataclass
class ScoreItem:
    id: str
    label: str
    min: int
    max: int
    band: str | None = None
    basis: str = ""
    flags: tuple = ()

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "range": [self.min, self.max], "band": self.band,
                "basis": self.basis, "flags": list(self.flags)}


@dataclass
class ScorePart:
    id: str
    label: str
    items: list
    min: int
    max: int
    flags: tuple = ()
    extra: dict = field(default_factory=dict)

    @property
    def range(self) -> list:
        return [self.min, self.max]

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "range": self.range, "items": [i.as_dict() for i in self.items],
                "flags": list(self.flags), **{k: (_ratio_json(v) if isinstance(v, Fraction) else v) for k, v in self.extra.items()}}


@dataclass
class GrowthRate:
    id: str                   # net_assets | sales
    label: str
    g: Fraction | None
    band: str | None
    min: int
    max: int
    status: str               # scored | zero_rule | manual_review | missing_input | too_few_years
    basis: str
    values: dict = field(default_factory=dict)       # year → 分
    flags: tuple = ()

    @property
    def range(self) -> list:
        return [self.min, self.max]


@dataclass
class InnovationScore:
    ip: ScorePart
    conversion: ScorePart
    management: ScorePart
    growth: ScorePart
    growth_rates: list        # [GrowthRate] net assets, sales
    min: int
    max: int
    verdict: str
    threshold: Fraction
    flags: tuple = ()
    text: str = ""

    @property
    def composite(self) -> list:
        return [self.min, self.max]

    def as_dict(self) -> dict:
        def n(x):
            return int(x) if Fraction(x).denominator == 1 else ratio_str(Fraction(x), 2)
        return {"ip": self.ip.range, "conversion": self.conversion.range, "management": self.management.range,
                "growth": self.growth.range, "total": [n(self.min), n(self.max)], "verdict": self.verdict,
                "flags": list(self.flags),
                "growth_rates": [{"id": r.id, "g": _ratio_json(r.g), "band": r.band, "range": r.range,
                                  "status": r.status, "basis": r.basis} for r in self.growth_rates],
                "parts": [p.as_dict() for p in (self.ip, self.conversion, self.management, self.growth)]}


def _band_range(item: dict, band: str) -> tuple[int, int]:
    lo, hi = item["bands"][band]
    return int(lo), int(hi)


def _ip_part(other: dict, params: Params) -> ScorePart:
    tab = _tables(params)["ip"]
    items_cfg = {i["id"]: i for i in tab["items"]}
    items: list[ScoreItem] = []
    flags: set[str] = set()
    for iid, key, field_name in (("tech_advancement", "tech_grade", "技术先进程度自评"),
                                 ("core_support", "core_grade", "核心支持作用自评")):
        cfg = items_cfg[iid]
        grade = (other.get(key) or "").strip().upper() if isinstance(other.get(key), str) else None
        if grade in cfg["bands"]:
            lo, hi = _band_range(cfg, grade)
            items.append(ScoreItem(iid, cfg["label"], lo, hi, grade, f"{field_name}：{grade}（{cfg['band_labels'][grade]}）"))
        else:
            items.append(ScoreItem(iid, cfg["label"], 0, int(cfg["max"]), None, f"未填写“{field_name}”，按[0, {cfg['max']}]计",
                                   ("missing_input",)))
            flags.add("missing_input")
    # quantity
    cfg = items_cfg["quantity"]
    c1, c2 = _ip_counts(other)
    mins = cfg["class2_min"]

    def class2_band(n: int) -> str:
        for b in ("B", "C", "D"):
            if n >= int(mins[b]):
                return b
        return "E"
    if c1 is not None and c1 >= int(cfg["class1_min"]):
        lo, hi = _band_range(cfg, "A")
        items.append(ScoreItem("quantity", cfg["label"], lo, hi, "A", f"Ⅰ类知识产权{c1}项"))
    elif c1 is not None and c2 is not None:
        b = class2_band(c2)
        lo, hi = _band_range(cfg, b)
        items.append(ScoreItem("quantity", cfg["label"], lo, hi, b, f"无Ⅰ类知识产权，未用于以往申请的Ⅱ类知识产权{c2}项"))
    else:
        lo = _band_range(cfg, class2_band(c2))[0] if c2 is not None else 0
        hi = int(cfg["max"]) if c1 is None else _band_range(cfg, "B")[1]
        items.append(ScoreItem("quantity", cfg["label"], lo, hi, None,
                               f"未填写“{'Ⅰ类知识产权数量' if c1 is None else 'Ⅱ类知识产权数量'}”，按[{lo}, {hi}]计", ("missing_input",)))
        flags.add("missing_input")
    # acquisition
    cfg = items_cfg["acquisition"]
    acq = other.get("ip_acquisition")
    no_ip = c1 is not None and c2 is not None and c1 + c2 == 0
    if no_ip:
        items.append(ScoreItem("acquisition", cfg["label"], 0, 0, None, "没有知识产权"))
    elif acq == "自主研发":
        lo, hi = _band_range(cfg, "A")
        items.append(ScoreItem("acquisition", cfg["label"], lo, hi, "A", "有自主研发的知识产权"))
    elif acq in ("仅受让受赠并购", "仅受让、受赠和并购"):
        lo, hi = _band_range(cfg, "B")
        items.append(ScoreItem("acquisition", cfg["label"], lo, hi, "B", "仅有受让、受赠和并购等取得的知识产权"))
    else:
        items.append(ScoreItem("acquisition", cfg["label"], 0, int(cfg["max"]), None, "未填写“知识产权获得方式”，按[0, 6]计",
                               ("missing_input",)))
        flags.add("missing_input")
    # bonus
    cfg = items_cfg["standards_bonus"]
    std = other.get("standards")
    if std is None:
        items.append(ScoreItem("standards_bonus", cfg["label"], 0, int(cfg["max"]), None, "未填写“参与标准制定”，按[0, 2]计",
                               ("missing_input",)))
        flags.add("missing_input")
    else:
        b = "A" if std else "B"
        lo, hi = _band_range(cfg, b)
        items.append(ScoreItem("standards_bonus", cfg["label"], lo, hi, b, "参与标准制定：" + ("是" if std else "否")))
    cap = int(tab["max_total"])
    lo = min(cap, sum(i.min for i in items))
    hi = min(cap, sum(i.max for i in items))
    return ScorePart("ip", "知识产权", items, lo, hi, tuple(sorted(flags)),
                     {"uncapped": [sum(i.min for i in items), sum(i.max for i in items)], "cap": cap})


def _conversion_part(other: dict, n_years: int, params: Params, window_short: bool) -> ScorePart:
    tab = _tables(params)["conversion"]
    count = other.get("conversions")
    flags = {"AI-08"} | ({"AI-03"} if window_short else set())
    if count is None:
        item = ScoreItem("conversion", "科技成果转化能力", 0, int(tab["max"]), None, "未填写“近三年科技成果转化数”，按[0, 30]计",
                         ("missing_input",))
        return ScorePart("conversion", "科技成果转化能力", [item], 0, int(tab["max"]), tuple(sorted(flags | {"missing_input"})),
                         {"average": None, "band": None, "years": n_years})
    average = Fraction(int(count), n_years)
    band, rng, label = None, None, None
    for b in tab["bands"]:
        if average >= Fraction(b["min_average"]):
            band, rng, label = b["band"], b["range"], b["label"]
            break
    if band is None:
        if average > 0:
            e = next(b for b in tab["bands"] if b["band"] == tab["below_one_band"])
            band, rng, label = e["band"], e["range"], e["label"]
            flags.add("AI-09")
        else:
            band, rng, label = tab["none"]["band"], tab["none"]["range"], tab["none"]["label"]
    basis = f"{count}项 ÷ {n_years}年 = 年均{ratio_str(average, 2)}项 → {band}（{label}）"
    item = ScoreItem("conversion", "科技成果转化能力", int(rng[0]), int(rng[1]), band, basis, tuple(sorted(flags)))
    return ScorePart("conversion", "科技成果转化能力", [item], int(rng[0]), int(rng[1]), tuple(sorted(flags)),
                     {"average": average, "band": band, "years": n_years, "count": int(count)})


def _management_part(other: dict, params: Params) -> ScorePart:
    tab = _tables(params)["management"]
    raw = other.get("management_self")
    parts = [p.strip() for p in str(raw).replace("／", "/").split("/")] if raw not in (None, "") else []
    items, flags = [], {"AI-10"}
    for k, cfg in enumerate(tab["items"]):
        mx = int(cfg["max"])
        v = parts[k] if k < len(parts) else ""
        if v.isdigit() and 0 <= int(v) <= mx:
            items.append(ScoreItem(cfg["id"], cfg["label"], int(v), int(v), None, f"自评{v}分（满分{mx}）", ("AI-10",)))
        else:
            why = "未填写" if not v else f"“{v}”不是0～{mx}的整数"
            items.append(ScoreItem(cfg["id"], cfg["label"], 0, mx, None, f"{why}，按[0, {mx}]计", ("AI-10", "missing_input")))
            flags.add("missing_input")
    return ScorePart("management", "研究开发组织管理水平", items, sum(i.min for i in items), sum(i.max for i in items),
                     tuple(sorted(flags)))


def growth_rate(values: list, params: Params | None = None, *, rid: str = "sales", label: str = "销售收入增长率") -> GrowthRate:
    """Score one growth rate from the year-end values of the window in order (oldest first); a
    ``None`` value means the statement was not supplied (§3.5, special cases in the spec's order)."""
    params = _p(params)
    tab = _tables(params)["growth"]
    rate_max = int(tab["rate_max"])
    vals = list(values)
    shown = {i + 1: v for i, v in enumerate(vals)}
    if len(vals) <= 1:
        return GrowthRate(rid, label, None, None, 0, 0, "too_few_years", "实际经营不足两个会计年度，无法计算增长率，按0分计（AI-13）",
                          shown, ("AI-13",))
    if any(v is None for v in vals):
        return GrowthRate(rid, label, None, None, 0, rate_max, "missing_input",
                          f"财务数据未填写，按[0, {rate_max}]计", shown, ("missing_input",))
    flags: tuple = ()
    if len(vals) >= 3:
        x1, x2, x3 = vals[-3:]
        if x2 == 0:
            return GrowthRate(rid, label, None, "F", 0, 0, "zero_rule", "第二年末数为0，按0分计算（195号）", shown)
        if x1 < 0 or x2 < 0:
            return GrowthRate(rid, label, None, None, 0, 0, "manual_review",
                              "第一年或第二年末数为负数，不自动评分，需人工复核（AI-12）", shown, ("AI-12", "manual_review"))
        if x1 == 0:
            g = Fraction(x3, x2) - 1
            basis = f"第一年末数为0，按后两年计算：{label} = X3/X2 − 1（AI-11）"
            flags = ("AI-11",)
        else:
            g = (Fraction(x2, x1) + Fraction(x3, x2)) / 2 - 1
            basis = f"{label} = (X2/X1 + X3/X2)/2 − 1"
    else:
        x1, x2 = vals
        flags = ("AI-13",)
        if x1 < 0 or x2 < 0:
            return GrowthRate(rid, label, None, None, 0, 0, "manual_review",
                              "实际经营两个会计年度且有负数，不自动评分，需人工复核（AI-12、AI-13）", shown,
                              ("AI-12", "AI-13", "manual_review"))
        if x1 == 0:
            return GrowthRate(rid, label, None, "F", 0, 0, "zero_rule", "实际经营两个会计年度，第一年末数为0，按0分计（AI-13）",
                              shown, flags)
        g = Fraction(x2, x1) - 1
        basis = f"实际经营两个会计年度：{label} = X2/X1 − 1（AI-13）"
    band, rng = None, None
    for b in tab["bands"]:
        if g >= Fraction(b["min_rate"]):
            band, rng = b["band"], b["range"]
            break
    if band is None:
        b = tab["positive_band"] if g > 0 else tab["non_positive_band"]
        band, rng = b["band"], b["range"]
    return GrowthRate(rid, label, g, band, int(rng[0]), int(rng[1]), "scored",
                      f"{basis} = {_pct(g)} → {band}", shown, flags)


def _growth_part(window, inputs: _Inputs, params: Params) -> tuple[ScorePart, list]:
    rates = []
    for rid, label, getter in (("net_assets", "净资产增长率", inputs.net_assets), ("sales", "销售收入增长率", inputs.sales)):
        missing: list[str] = []
        vals = [getter(y, missing) for y in window]
        r = growth_rate(vals, params, rid=rid, label=label)
        r.values = {y: v for y, v in zip(window, vals)}
        if r.status == "missing_input":
            r.basis = f"{_missing_text(missing)}；按[0, {r.max}]计"
        elif r.status == "scored":          # the three years' figures, so the rate can be traced (review S20)
            what = "年末净资产" if rid == "net_assets" else "年度销售收入"
            xs = "，".join(f"X{i}＝{y}{what}{_yuan(v)}" for i, (y, v) in enumerate(zip(window[-len(vals):], vals), 1)
                          if v is not None)
            r.basis = f"{r.basis}（{xs}）"
        rates.append(r)
    items = [ScoreItem(r.id, r.label, r.min, r.max, r.band, r.basis, r.flags) for r in rates]
    flags = tuple(sorted({f for r in rates for f in r.flags}))
    return ScorePart("growth", "企业成长性", items, sum(i.min for i in items), sum(i.max for i in items), flags), rates


def innovation_score(ledger: Ledger, window, params: Params | None = None, *, day: dt.date | None = None,
                     inputs: _Inputs | None = None) -> InnovationScore:
    """The four indicators as [min, max] ranges, the composite and the verdict (§3)."""
    params = _p(params)
    day = day or dt.date(window[-1] + 1, 7, 1)
    other = ledger.profile.other
    inputs = inputs or _Inputs(ledger, [], set())
    n = params.value("hnte_window_years", day)
    ip = _ip_part(other, params)
    conv = _conversion_part(other, len(window), params, len(window) < n)
    mgmt = _management_part(other, params)
    growth, rates = _growth_part(window, inputs, params)
    th = params.at("hnte_score_threshold", day)
    t = th.fraction
    lo = ip.min + conv.min + mgmt.min + growth.min         # integers: every band is in whole points (AI-07: no rounding)
    hi = ip.max + conv.max + mgmt.max + growth.max
    verdict = "pass_likely" if lo > t else ("fail_likely" if hi <= t else "uncertain")
    flags = {"AI-07"} | set(ip.flags) | set(conv.flags) | set(mgmt.flags) | set(growth.flags)
    text = (f"创新能力评价综合得分[{lo}, {hi}]分（知识产权[{ip.min}, {ip.max}]、科技成果转化[{conv.min}, {conv.max}]、"
            f"研发组织管理[{mgmt.min}, {mgmt.max}]、企业成长性[{growth.min}, {growth.max}]），须超过{t}分（不含{t}分）："
            f"{VERDICT_NAMES[verdict]}")
    return InnovationScore(ip, conv, mgmt, growth, rates, lo, hi, verdict, t, tuple(sorted(flags)), text)


def _score_condition(score: InnovationScore) -> Condition:
    name = "创新能力评价综合得分"
    status = {"pass_likely": PASS, "fail_likely": FAIL}.get(score.verdict, UNKNOWN)
    fix = ""
    if score.verdict == "fail_likely":
        fix = f"综合得分上限{score.max}分不超过{score.threshold}分：各项评分合计至少还需提高{score.threshold + 1 - score.max}分才可能超过{score.threshold}分"
    elif score.verdict == "uncertain":
        missing = [i.label for p in (score.ip, score.conversion, score.management, score.growth) for i in p.items
                   if "missing_input" in i.flags]
        fix = (f"综合得分下限{score.min}分：" + ("补充" + "、".join(missing) + "后重新测算；" if missing else "")
               + f"下限需超过{score.threshold}分才能判断为很可能通过")
    return Condition("score", "H7", name, status, [score.min, score.max], score.threshold, ">", None,
                     score.text + (f"：{fix}" if fix and status != PASS else ""), fix, None, (), score.flags,
                     basis="国科发火〔2016〕195号第三条第（七）项")


# =====================================================================================
# 5. The evaluation
# =====================================================================================

@dataclass
class CertificateStatus:
    cert_no: str | None
    issue_date: dt.date
    valid_until: dt.date
    tax_years: tuple
    covers_year: bool
    text: str
    recheck: Condition | None = None
    flags: tuple = ("AI-14",)

    def as_dict(self) -> dict:
        return {"certificate_no": self.cert_no, "issue_date": self.issue_date.isoformat(),
                "valid_until": self.valid_until.isoformat(), "tax_years": list(self.tax_years),
                "covers_year": self.covers_year, "text": self.text,
                "recheck": self.recheck.as_dict() if self.recheck else None, "flags": list(self.flags)}


@dataclass
class HnteEvaluation:
    year: int                         # the computed year Y = latest year of the window
    application_date: dt.date
    application_date_assumed: bool
    window: tuple                     # accounting years, oldest first
    latest_year: int
    conditions: list                  # [Condition] in gate order H0 … H8
    score: InnovationScore
    assessment: str                   # not_eligible | eligible_likely | uncertain
    assessment_text: str
    unknown: list                     # ids of unknown conditions
    failed: list                      # ids of failed conditions
    calibers: dict                    # year → HnteCaliber
    threshold: Fraction | None        # R&D-ratio tier of the latest year
    tier_label: str
    certificate: CertificateStatus | None
    bridge: Bridge | None
    findings: list = field(default_factory=list)
    interpretations: set = field(default_factory=set)
    pack: str = PACK
    rules: str = "依据国科发火〔2016〕32号、国科发火〔2016〕195号"

    def condition(self, cid: str) -> Condition:
        return next(c for c in self.conditions if c.id == cid)

    @property
    def certified(self) -> bool:
        return self.certificate is not None and self.certificate.covers_year

    def as_dict(self) -> dict:
        return {"pack": self.pack, "rules": self.rules, "certified": self.certified,
                "application_date": self.application_date.isoformat(), "application_date_assumed": self.application_date_assumed,
                "window": list(self.window), "assessment": self.assessment, "assessment_text": self.assessment_text,
                "conditions": [c.as_dict() for c in self.conditions], "score": self.score.as_dict(),
                "rd_by_year": {str(y): c.as_dict() for y, c in self.calibers.items()},
                "certificate": self.certificate.as_dict() if self.certificate else None,
                "bridge": self.bridge.as_dict() if self.bridge else None,
                "unknown": list(self.unknown), "failed": list(self.failed),
                "interpretations": sorted(self.interpretations)}


def _add_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:                                    # 29 February → 28 February
        return d.replace(year=d.year + n, day=28)


def _application_date(ledger: Ledger, year: int, findings: list) -> tuple[dt.date, bool]:
    given = ledger.profile.other.get("hnte_apply_date")
    if isinstance(given, dt.date) and given.year == year + 1:
        return given, False
    if isinstance(given, dt.date):
        findings.append(Finding(INFO, "I_HNTE_APPLY_DATE", f"申请认定日期{given.isoformat()}不在{year + 1}年：按{year}年度测算时"
                                f"申请日期按{year + 1}-07-01计算（AI-APP-24）", "企业信息",
                                ledger.profile.rows.get("hnte_apply_date"), "值"))
    return dt.date(year + 1, 7, 1), True


def _certificate(ledger: Ledger, year: int, params: Params, recheck: Condition) -> CertificateStatus | None:
    prof = ledger.profile
    chosen = prof.hnte_certificate_for(year)
    if chosen is None:
        return None
    cert_no, issue = chosen
    others = [c for c in prof.hnte_certificates() if c != chosen]
    vy = params.maybe_at("hnte_validity_years", issue)
    ny = params.maybe_at("hnte_certificate_years", dt.date(issue.year, 12, 31))
    if vy is None or ny is None:        # a date no dated rule covers: refused at import (E_HNTE_CERT_DATE)
        return None
    n = ny.value
    tax_years = tuple(range(issue.year, issue.year + n))
    valid_until = _add_years(issue, int(vy.value)) - dt.timedelta(days=1)
    covers = year in tax_years
    text = (f"高新技术企业证书{cert_no or ''}于{issue.isoformat()}颁发，有效期至{valid_until.isoformat()}；"
            f"可享受15%税率的纳税年度为{'、'.join(str(y) for y in tax_years)}年度（发证年度起三个纳税年度）；"
            f"{year}年度{'在' if covers else '不在'}证书覆盖范围内")
    if covers and year == tax_years[-1]:
        text += f"；证书将于{valid_until.year}年期满，{tax_years[-1] + 1}年度需重新认定（期满当年须在汇算清缴前取得新证书）"
    elif year > tax_years[-1]:
        text += "；证书已期满，需重新认定"
    if others:
        text += "；另有证书" + "、".join(f"{n or ''}（{d.isoformat()}颁发）" for n, d in others) + "，各自适用于其覆盖的纳税年度"
    return CertificateStatus(cert_no, issue, valid_until, tax_years, covers, text,
                             recheck if covers else None)


def hnte_evaluation(ledger: Ledger, year: int, params: Params | None = None,
                    sd_engine: SuperDeductionEngine | None = None) -> HnteEvaluation:
    """The HNTE position for ``compute --year Y``: an application in Y+1 with the window Y−2…Y."""
    params = _p(params)
    findings: list[Finding] = []
    ais: set[str] = {"AI-01"}
    app, assumed = _application_date(ledger, year, findings)
    if assumed:
        ais.add("AI-APP-24")
    window, window_notes, wais = _window(ledger, year, params, app)
    ais |= wais
    inputs = _Inputs(ledger, findings, ais)
    other = ledger.profile.other
    if not window:
        window = (year,)
    calibers = {y: hnte_caliber(ledger, y, params) for y in window}
    for c in calibers.values():
        findings += c.findings
        ais |= c.interpretations
        if c.source == "yearly_data":
            row = ledger.year_row(c.year)
            findings.append(Finding(INFO, "I_HNTE_FROM_YEAR_DATA", f"{c.year}年度无研发支出明细：高企口径研发费用采用“年度数据”填写的"
                                    f"{_yuan(c.total)}", "年度数据", row.src.row if row and row.src else None, "研发费用（高企口径）"))

    conds: list[Condition] = []
    conds.append(_bool_condition("resident", "H0", "在中国境内（不含港、澳、台地区）注册的居民企业", other.get("resident"),
                                 "是", "否：非居民企业不能认定为高新技术企业", "居民企业", "国科发火〔2016〕32号第二条",
                                 "仅在中国境内（不含港澳台）注册的居民企业可以申请"))
    conds.append(_registered_condition(ledger, app, params))
    conds.append(_ip_condition(ledger))
    conds.append(_field_condition(ledger, params))
    conds.append(_staff_condition(year, inputs, params, app))
    rd = _rd_ratio_condition(ledger, year, window, calibers, inputs, params, app, window_notes)
    conds.append(rd)
    conds.append(_domestic_condition(window, calibers, params, app))
    conds.append(_hitech_condition(year, inputs, params, app))
    score = innovation_score(ledger, window, params, day=app, inputs=inputs)
    conds.append(_score_condition(score))
    conds.append(_bool_condition("no_major_incident", "H8", "申请认定前一年内未发生重大安全、重大质量事故或严重环境违法行为",
                                 other.get("no_major_incident"), "未发生", "发生过：申请认定前一年内不得申请",
                                 "近一年无重大安全质量事故和严重环境违法", "国科发火〔2016〕32号第十一条第（八）项",
                                 "自事故或违法行为发生之日起满一年后申请"))
    for c in conds:
        ais |= {f for f in c.flags if f.startswith("AI-")}
    ais |= {f for f in score.flags if f.startswith("AI-")}
    if conds[2].status == PASS:
        findings.append(Finding(INFO, "I_HNTE_MAIN_PRODUCTS", "未提供主要产品（服务）收入明细：未检查“拥有核心知识产权的主要产品（服务）收入"
                                "占高新技术产品（服务）收入50%以上”，请人工核对（AI-APP-27）"))

    failed = [c.id for c in conds if c.status == FAIL]
    unknown = [c.id for c in conds if c.status == UNKNOWN and c.id != "score"]
    gates_ok = all(c.status == PASS for c in conds if c.id != "score")
    if failed or score.verdict == "fail_likely":
        assessment = "not_eligible"
    elif gates_ok and score.verdict == "pass_likely":
        assessment = "eligible_likely"
    else:
        assessment = "uncertain"
    names = {c.id: c.name for c in conds}
    text = f"高新技术企业认定（{app.year}年申请，{window[0]}—{window[-1]}年度数据）：{ASSESSMENT_NAMES[assessment]}"
    if failed:
        text += "；不符合：" + "、".join(names[i] for i in failed)
    if unknown:
        text += "；待补充：" + "、".join(names[i] for i in unknown)
    text += f"；创新能力评价[{score.min}, {score.max}]分（{VERDICT_NAMES[score.verdict]}）"

    recheck = _rd_ratio_condition(ledger, year, window, calibers, inputs, params, app, window_notes, recheck=True) \
        if ledger.profile.hnte_certificates() else None
    cert = _certificate(ledger, year, params, recheck)
    if cert is not None:
        ais.add("AI-14")

    bridge = None
    if year in line_columns(ledger).years:
        bridge = rd_bridge(ledger, year, params, sd_engine)
        findings += [f for f in bridge.findings if f.code.startswith("W_BRIDGE")]
    threshold = rd.threshold if isinstance(rd.threshold, Fraction) else None
    tier_label = ""
    if threshold is not None:
        s = inputs.sales(year, [])
        if s is not None:
            tier_label = rd_ratio_threshold(s, app, params)[1]
    return HnteEvaluation(year, app, assumed, tuple(window), year, conds, score, assessment, text, unknown, failed,
                          calibers, threshold, tier_label, cert, bridge, findings, ais)
