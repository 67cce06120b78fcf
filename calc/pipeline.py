"""The science bureau's cultivation pipeline (科小入库 · 高企培育库): one enterprise's evaluation → its place.

For every enterprise the bureau follows, :func:`assess` turns the one engine's evaluation (a ledger, or the quick
estimate of a roster row) into what a bureau reports: the 科技型中小企业 position (eligible / score / what it
lacks), the 高新技术企业 position (certified and until when / ready / in cultivation / not yet) with every
condition's margin and the earliest application year it could realistically meet — forward-looking only, from
the as-of date — the super-deduction benefit, the post-subsidy estimates with their status, the benefits split
into certain and estimated, and the tier (``resources/params/pipeline.yaml``: the first tier whose rule holds).

Forward-looking application year (AI-PIPE-01/02): applications of year A look at the accounting years A−3…A−1.
The data year Y is the latest closed year; years after Y are "open" (they can still change). The next realistic
application is the first year A ≥ Y+1 whose application round has not closed on the as-of date. A failed
condition is met in a later A according to its kind (``hnte_fixable`` in the parameter file): a window ratio when
the open years, with R&D growing at most ``pipeline_rd_growth_max`` a year and sales flat, lift the window's ratio
to the threshold; a latest-year figure once the latest year is open; a fact that can change by a year after the
as-of date; never for what a programme does not change.

Pure computation: amounts are int 分, ratios Fractions; the tiers and assumptions are data.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from .money import fen_display
from .params import Params, load_params

__all__ = ["EnterpriseResult", "HntePath", "TierRule", "assess", "tiers", "next_application_year", "FACTS",
           "PIPELINE_INTERPRETATIONS", "summarise", "Aggregate"]

PIPELINE_INTERPRETATIONS = ("AI-PIPE-01", "AI-PIPE-02")

# the facts a tier rule may name (calc/pipeline.py computes each for every enterprise)
FACTS = {
    "hnte_certified": "高企证书覆盖测算年度",
    "hnte_status": "高企状态（certified 已认定 / ready 可申报 / cultivate 培育 / far 差距较大 / not_applicable 不适用）",
    "hnte_offset": "最早可申报年度距最近一次申报年度的年数",
    "hnte_failed": "未达到的认定条件个数",
    "tech_sme_registered": "已取得评价年度入库登记编号",
    "tech_sme_eligible": "符合科技型中小企业评价条件",
    "tech_sme_score": "科技型中小企业综合评分",
}
HNTE_STATUS_NAMES = {"certified": "已认定", "ready": "可申报", "cultivate": "培育中", "far": "差距较大",
                     "not_applicable": "不适用", "unknown": "资料不全"}


@dataclass(frozen=True)
class TierRule:
    id: str
    label: str
    rule: str
    source: str
    when: tuple          # ((fact, op, value), …)
    short: str = ""      # a column head (≤ 5 characters)

    def holds(self, facts: dict) -> bool:
        for name, op, value in self.when:
            v = facts.get(name)
            if op == "==":
                if v != value:
                    return False
            elif v is None:
                return False
            elif op == "<=" and not v <= value:
                return False
            elif op == ">=" and not v >= value:
                return False
            elif op == "in" and v not in value:
                return False
        return True


def tiers(params: Params | None = None) -> tuple[TierRule, ...]:
    """The tier rules of ``pipeline.yaml``, in order. Raises ValueError (Chinese) for a malformed rule."""
    params = params or load_params()
    table = params.tables.get("pipeline", {}).get("tiers")
    if not isinstance(table, list) or not table:
        raise ValueError("培育分层参数缺失（pipeline.yaml 的 tiers）")
    out = []
    for i, t in enumerate(table):
        if not isinstance(t, dict) or not t.get("id") or not t.get("label"):
            raise ValueError(f"培育分层第{i + 1}条缺少编号或名称")
        when = []
        for name, cond in (t.get("when") or {}).items():
            if name not in FACTS:
                raise ValueError(f"培育分层“{t['label']}”引用了未知的事实“{name}”")
            if isinstance(cond, dict):
                if len(cond) != 1 or next(iter(cond)) not in ("<=", ">=", "in"):
                    raise ValueError(f"培育分层“{t['label']}”的条件“{name}”无法识别")
                op, value = next(iter(cond.items()))
                when.append((name, op, tuple(value) if op == "in" else value))
            else:
                when.append((name, "==", cond))
        out.append(TierRule(str(t["id"]), str(t["label"]), str(t.get("rule", "")), str(t.get("source", "")),
                            tuple(when), str(t.get("short") or t["label"])[:6]))
    if out[-1].when:
        raise ValueError("培育分层的最后一条应无条件（兜底分层）")
    return tuple(out)


def _fixable(params: Params) -> dict:
    return dict(params.tables.get("pipeline", {}).get("hnte_fixable") or {})


def next_application_year(data_year: int, as_of: dt.date, params: Params | None = None) -> int:
    """The first HNTE application year A ≥ data_year + 1 whose round has not closed on ``as_of`` (AI-PIPE-01)."""
    params = params or load_params()
    month, day = (int(x) for x in str(params.value("pipeline_hnte_application_deadline", as_of)).split("-"))
    a = data_year + 1
    while dt.date(a, month, day) < as_of:
        a += 1
    return a


@dataclass
class Gap:
    condition: str           # condition id
    name: str
    status: str              # fail | unknown
    text: str                # Chinese: what is missing or how far
    from_year: int | None    # the earliest application year it can be met (None: never / unknown)


@dataclass
class HntePath:
    status: str                              # certified | ready | cultivate | far | not_applicable | unknown
    next_year: int                           # the next realistic application year
    earliest_year: int | None                # the earliest year all fixable failures can be met
    window: tuple = ()                       # the accounting years of that application
    gaps: list = field(default_factory=list)     # [Gap]
    pending: list = field(default_factory=list)  # names of conditions not yet known (待核实)
    certificate_until: dt.date | None = None
    recertify_year: int | None = None        # the year the certificate expires: a new one must be obtained then
    rd_needed: int | None = None             # 分: R&D the open years of the earliest window need in total
    text: str = ""                           # the whole position in Chinese (with what is still to be confirmed)
    core: str = ""                           # the same without the list of conditions to be confirmed

    @property
    def offset(self) -> int | None:
        return None if self.earliest_year is None else self.earliest_year - self.next_year


@dataclass
class EnterpriseResult:
    key: str                       # where it comes from: 名册第N行 or a file name
    name: str
    credit_code: str
    district: str
    industry: str
    commissioner: str
    year: int
    tier: str = ""                 # tier id
    tier_label: str = ""
    tier_rule: str = ""
    hnte: HntePath | None = None
    hnte_conditions: list = field(default_factory=list)    # [(name, status, value text, margin text)]
    tech_sme_status: str = ""      # 已入库 / 符合 / 不符合 / 资料不全
    tech_sme_score: int | None = None
    tech_sme_lacks: str = ""
    sd_deduction: int | None = None          # 分: the extra deduction (A107012 第51行)
    sd_saving: int | None = None             # 分: its tax effect; None when it cannot be computed
    hnte_saving: int | None = None           # 分: 15% against 25%, counted as certain only when not in doubt
    hnte_saving_at_risk: int | None = None   # 分: a certified enterprise failing a condition (追缴 risk)
    subsidies: list = field(default_factory=list)   # [(title, amount 分 or None, kind, status text)]
    certain: int | None = None               # 分: certain benefit (tax effect)
    estimated: int = 0                       # 分: post-subsidy estimates (exact kind only)
    conditional: int = 0                     # 分: estimates that depend on facts not yet confirmed (附条件)
    up_to: int = 0                           # 分: "最高可得" ceilings, never added to anything
    support: list = field(default_factory=list)     # 创新券 / 科创贷: [(title, amount 分 or None, kind, status)]
    support_up_to: int = 0                   # 分: their "up to" amounts (a planned purchase or loan), apart from all
    missing: list = field(default_factory=list)     # what the bureau should collect
    error: str = ""
    path: str = ""                           # a workspace or workbook file (folder input)

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict:
        h = self.hnte
        return {
            "key": self.key, "name": self.name, "credit_code": self.credit_code, "district": self.district,
            "industry": self.industry, "commissioner": self.commissioner, "year": self.year, "tier": self.tier,
            "tier_label": self.tier_label, "error": self.error or None, "path": self.path or None,
            "hnte": None if h is None else {
                "status": h.status, "status_text": HNTE_STATUS_NAMES.get(h.status, h.status), "next_year": h.next_year,
                "earliest_year": h.earliest_year, "window": list(h.window), "text": h.text,
                "certificate_until": h.certificate_until.isoformat() if h.certificate_until else None,
                "recertify_year": h.recertify_year, "rd_needed": _fen(h.rd_needed),
                "gaps": [{"condition": g.condition, "name": g.name, "status": g.status, "text": g.text,
                          "from_year": g.from_year} for g in h.gaps],
                "pending": list(h.pending)},
            "hnte_conditions": [{"name": n, "status": s, "value": v, "margin": m} for n, s, v, m in self.hnte_conditions],
            "tech_sme": {"status": self.tech_sme_status, "score": self.tech_sme_score, "lacks": self.tech_sme_lacks},
            "super_deduction": {"extra_deduction": _fen(self.sd_deduction), "tax_saving": _fen(self.sd_saving)},
            "hnte_saving": _fen(self.hnte_saving), "hnte_saving_at_risk": _fen(self.hnte_saving_at_risk),
            "subsidies": [{"title": t, "amount": _fen(a), "kind": k, "status": s} for t, a, k, s in self.subsidies],
            "benefit": {"certain": _fen(self.certain), "estimated": _fen(self.estimated),
                        "conditional": _fen(self.conditional), "up_to": _fen(self.up_to)},
            "support": {"items": [{"title": t, "amount": _fen(a), "kind": k, "status": s} for t, a, k, s in self.support],
                        "up_to": _fen(self.support_up_to)},
            "missing": list(self.missing),
        }


def _fen(v: int | None) -> str | None:
    """Amounts in JSON as exact decimal text of 元 (interfaces.md: money is a string)."""
    if v is None:
        return None
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}{v // 100}.{v % 100:02d}"


def _yuan(v: int) -> str:
    return f"¥{fen_display(v)}"


def _pct(x: Fraction) -> str:
    """A ratio as a percentage, exact to two decimals (rounded half up), without trailing zeros."""
    q = (x * 10000 * 2 + 1) // 2          # hundredths of a percent, half up
    whole, frac = divmod(int(q), 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".") + "%"


# --------------------------------------------------------------------------- HNTE path

def _window_years(app_year: int, n: int) -> tuple[int, ...]:
    return tuple(range(app_year - n, app_year))


def _rd_sales(ev, years) -> tuple[dict, dict]:
    """R&D (HNTE caliber) and sales per year from the evaluation's ledger (None where not known)."""
    hnte = ev.hnte
    rd, sales = {}, {}
    for y in years:
        c = hnte.calibers.get(y) if hnte else None
        rd[y] = c.total if c is not None else None
        if rd[y] is None:
            row = ev.ledger.year_row(y)
            rd[y] = row.get("rd_hnte") if row else None
        row = ev.ledger.year_row(y)
        main = row.get("main_revenue") if row else None
        sales[y] = None if main is None else main + (row.get("other_revenue") or 0)
    return rd, sales


def _window_need(ev, cond, data_year: int, a: int, growth: Fraction) -> tuple[str, int | None, Fraction | None]:
    """For application year ``a``: ("ok" | "possible" | "short" | "unknown", R&D the open years need in total (分),
    the largest the open years can reach with ``growth`` a year). Sales of open years stay at the data year's."""
    win = _window_years(a, 3)
    rd, sales = _rd_sales(ev, range(min(win[0], data_year - 2), data_year + 1))
    thr = cond.threshold if isinstance(cond.threshold, Fraction) else None
    if thr is None or rd.get(data_year) is None or not sales.get(data_year):
        return "unknown", None, None
    closed = [y for y in win if y <= data_year]
    open_ = [y for y in win if y > data_year]
    if any(rd.get(y) is None or sales.get(y) is None for y in closed):
        return "unknown", None, None
    s_sum = sum(sales[y] for y in closed) + sales[data_year] * len(open_)
    need = thr * s_sum - sum(rd[y] for y in closed)
    reach = sum((rd[data_year] * growth ** (y - data_year) for y in open_), Fraction(0))
    need_fen = max(0, -(-need.numerator // need.denominator))
    if not open_:
        return ("ok" if need <= 0 else "short"), need_fen, reach
    return ("possible" if need <= reach else "short"), need_fen, reach


def _need_text(a: int, data_year: int, need_fen: int) -> str:
    """What the open years of application ``a``'s window need (no application-year prefix)."""
    win = _window_years(a, 3)
    open_ = [y for y in win if y > data_year]
    if not open_:
        return "已达到"
    span = f"{open_[0]}年度" if len(open_) == 1 else f"{open_[0]}—{open_[-1]}年度合计"
    per = f"年均{_yuan(-(-need_fen // len(open_)))}；" if len(open_) > 1 else ""
    return f"{span}研发费用需不低于{_yuan(need_fen)}（{per}按销售收入保持{data_year}年度水平测算）"


def _window_ratio_year(ev, cond, data_year: int, next_year: int, horizon: int, params: Params,
                       as_of: dt.date) -> tuple[int | None, str, int | None]:
    """The earliest application year whose window ratio can reach the threshold with R&D growing at most the
    growth factor a year in the open years, sales flat at the data year's level: (year, Chinese text, R&D the
    open years need in total)."""
    growth = Fraction(str(params.value("pipeline_rd_growth_max", as_of)))
    if cond.id == "domestic_rd_ratio":
        # the open years' R&D can be wholly domestic: met once a window has an open year
        a = max(next_year, data_year + 2)
        return a, f"{a - 1}年度起提高境内研发费用占比", None
    for a in range(next_year, next_year + horizon + 1):
        state, need, _ = _window_need(ev, cond, data_year, a, growth)
        if state == "unknown":
            return None, "资料不全，无法推算", None
        if state in ("ok", "possible"):
            return a, _need_text(a, data_year, need or 0), need
    return None, f"按研发费用年增长不超过{_pct(growth - 1)}测算，{next_year + horizon}年及以前难以达到", None


def hnte_path(ev, data_year: int, as_of: dt.date, params: Params | None = None) -> HntePath:
    """The forward-looking HNTE position of one evaluated enterprise (see the module docstring)."""
    params = params or load_params()
    nxt = next_application_year(data_year, as_of, params)
    horizon = int(params.value("pipeline_horizon_years", as_of))
    fixable = _fixable(params)
    hnte = ev.hnte
    prof = ev.ledger.profile
    cert = hnte.certificate if hnte is not None else None
    if cert is not None and (cert.covers_year or data_year + 1 in cert.tax_years):
        failed = [c for c in hnte.conditions if c.status == "fail"] if hnte else []
        until = cert.valid_until
        renew = until.year                 # a new certificate is needed for the tax year the old one expires in
        text = f"证书有效期至{until.year}年{until.month}月{until.day}日，需在{renew}年重新认定"
        if failed:
            text += "；有效期内复核存在未达标条件：" + "、".join(c.name for c in failed) + "（15%税率有被追缴的风险）"
        return HntePath("certified", nxt, None, (), [], [], until, renew, None, text, text)
    if hnte is None:
        return HntePath("unknown", nxt, None, text="没有可用于高企测算的数据", core="没有可用于高企测算的数据")
    gaps, pending = [], []
    earliest = nxt
    blocked = False
    unknown_blocking = False
    rd_needed: int | None = None
    for c in hnte.conditions:
        if c.status == "pass":
            if c.id == "rd_ratio" and nxt > data_year + 1:
                # met on the data year's window; the next application's window has open years: met if R&D and
                # sales stay at the data year's level, else the open years need more
                state, need, _ = _window_need(ev, c, data_year, nxt, Fraction(1))
                if state == "short":
                    year, text, need2 = _window_ratio_year(ev, c, data_year, nxt, horizon, params, as_of)
                    rd_needed = need2
                    if year is None:
                        gaps.append(Gap(c.id, c.name, "fail", text, None))
                        blocked = True
                    else:
                        gaps.append(Gap(c.id, c.name, "fail", text, year))
                        earliest = max(earliest, year)
                elif state == "possible":
                    rd_needed = need
            continue
        if c.status == "unknown":
            pending.append(c.name)
            if c.id in ("rd_ratio", "staff_ratio", "hitech_income_ratio", "ip", "domestic_rd_ratio"):
                unknown_blocking = True
            continue
        kind = fixable.get(c.id, "next_year")
        if kind == "never":
            gaps.append(Gap(c.id, c.name, "fail", c.text, None))
            blocked = True
            continue
        if kind == "window":
            year, text, need = _window_ratio_year(ev, c, data_year, nxt, horizon, params, as_of)
            if c.id == "rd_ratio":
                rd_needed = need
        elif kind == "latest_open":
            year = max(nxt, data_year + 2)
            text = f"以{year - 1}年度数据达到{_threshold_text(c)}"
        elif kind == "founded":
            founded = prof.founded
            year = max(nxt, founded.year + 1 + (1 if (founded.month, founded.day) > (9, 30) else 0)) if founded else None
            text = "成立满一年后申请" if founded else "需填写成立日期"
        else:   # next_year
            year = max(nxt, as_of.year + 1)
            text = f"申请前{c.to_pass or '达到' + c.name}"
        if year is None or year > nxt + horizon:
            blocked = True
            gaps.append(Gap(c.id, c.name, "fail", text, None))
            continue
        gaps.append(Gap(c.id, c.name, "fail", text, year))
        earliest = max(earliest, year)
    if blocked:
        never = any(fixable.get(g.condition) == "never" for g in gaps if g.from_year is None)
        status = "not_applicable" if never else "far"
        text = ("不具备申请条件：" if never else "差距较大：") + "；".join(f"{g.name}（{g.text}）" for g in gaps if g.from_year is None)
        return HntePath(status, nxt, None, (), gaps, pending, None, None, rd_needed, text, text)
    if unknown_blocking and not gaps:
        text = "资料不全：" + "、".join(pending)
        return HntePath("unknown", nxt, None, (), gaps, pending, None, None, None, text, text)
    window = _window_years(earliest, 3)
    status = "ready" if not gaps else "cultivate"
    ready_need = ""
    if status == "ready" and rd_needed and earliest > data_year + 1:
        ready_need = "：" + _need_text(earliest, data_year, rd_needed)
    text = (f"可于{earliest}年申请（看{window[0]}—{window[-1]}年度）{ready_need}" if status == "ready"
            else f"最早{earliest}年申请（看{window[0]}—{window[-1]}年度）：" + "；".join(g.text for g in gaps))
    core = text
    if pending:
        text += "；待核实：" + "、".join(pending)
    return HntePath(status, nxt, earliest, window, gaps, pending, None, None, rd_needed, text, core)


def _threshold_text(c) -> str:
    t = c.threshold
    if isinstance(t, Fraction):
        return f"{c.name}不低于{_pct(t)}"
    return c.name


# --------------------------------------------------------------------------- one enterprise

_UNITS = {"registered_1y": "天", "ip": "项"}


def _condition_rows(ev) -> list:
    """(name, 达到/未达到/待核实, value, margin) of every HNTE condition, in plain Chinese."""
    out = []
    for c in (ev.hnte.conditions if ev.hnte else []):
        unit = _UNITS.get(c.id, "")
        v = c.value
        if isinstance(v, Fraction):
            value = _pct(v)
        elif isinstance(v, (tuple, list)) and len(v) == 2:
            value = f"{v[0]}—{v[1]}分（可能范围）"
        elif v is None or isinstance(v, bool):
            value = ""
        else:
            value = f"{v}{unit or ('分' if c.id == 'score' else '')}"
        margin = ""
        if isinstance(c.margin, Fraction):
            margin = ("+" if c.margin >= 0 else "−") + _pct(abs(c.margin))[:-1] + "个百分点"
        elif isinstance(c.margin, int) and not isinstance(c.margin, bool):
            margin = f"{c.margin:+d}{unit}"
        out.append((c.name, {"pass": "达到", "fail": "未达到", "unknown": "待核实"}.get(c.status, c.status), value, margin))
    return out


def _tech_sme(ev) -> tuple[str, int | None, str]:
    """(已入库 / 符合 / 符合（待核实） / 不符合 / 资料不全, score, what it lacks or what is to be confirmed)."""
    t = ev.tech_sme
    if t is None:
        return "资料不全", None, ""
    if t.registered:
        return "已入库", t.score, ""
    failed = [c.name for c in t.conditions if c.status == "fail"]
    pending = [c.name for c in t.conditions if c.status == "unknown"]
    if t.eligible is True:
        return "符合", t.score, ""
    if t.eligible is False:
        lacks = failed or [f"综合评分{t.score}分（需不低于60分且科技人员指标不为0）"]
        return "不符合", t.score, "；".join(lacks)
    # unknown: only declarations missing while the figures pass → eligible once they are confirmed
    score_ok = t.score is not None and t.score >= 60 and (t.staff_score or 0) > 0
    figures_unknown = [c for c in t.conditions if c.status == "unknown" and c.id in ("T2", "T5")]
    if score_ok and not failed and not figures_unknown:
        return "符合（待核实）", t.score, "待核实：" + "、".join(pending)
    return "资料不全", t.score, "待补充：" + "、".join(pending) if pending else ""


def assess(ev, *, key: str, district: str = "", commissioner: str = "", as_of: dt.date | None = None,
           params: Params | None = None, path: str = "") -> EnterpriseResult:
    """Everything the bureau's pipeline shows for one evaluated enterprise (``ev``: calc.evaluate.Evaluation of the
    data year, period 全年)."""
    params = params or load_params()
    as_of = as_of or dt.date.today()
    prof = ev.ledger.profile
    r = EnterpriseResult(key, prof.name or "", prof.credit_code or "", district, prof.industry_code or "", commissioner,
                         ev.year, path=path)
    r.hnte = hnte_path(ev, ev.year, as_of, params)
    r.hnte_conditions = _condition_rows(ev)
    r.tech_sme_status, r.tech_sme_score, r.tech_sme_lacks = _tech_sme(ev)
    # benefits: the tax effect is certain (when computable); subsidies are estimates; an "up to" is never summed
    sd = ev.sd
    r.sd_deduction = int(sd.extra_deduction) if sd.eligible else 0
    r.sd_saving = int(ev.tax.tax_saved) if ev.tax is not None else None
    hs = ev.hnte_saving if ev.tax is not None and r.hnte.status == "certified" else None
    if hs and r.hnte.status == "certified" and ev.hnte and any(c.status == "fail" for c in ev.hnte.conditions):
        r.hnte_saving_at_risk = hs
        hs = 0
    r.hnte_saving = hs
    if r.sd_saving is not None:
        r.certain = r.sd_saving + (hs or 0)
    for e in ev.subsidies:
        status = _subsidy_status(e)
        amount = e.total if e.eligible else None
        r.subsidies.append((e.title, amount, e.total_kind if e.eligible else "not_eligible", status))
        if e.eligible and e.total is not None:
            if e.total_kind in ("exact", "provisional") and not e.up_to:
                r.estimated += e.total
            elif e.total_kind == "up_to" or e.up_to:
                r.up_to += e.total
            elif e.total_kind in ("conditional", "range"):
                r.conditional += e.total
    for e in getattr(ev, "support", ()):
        amount = e.total if e.eligible else None
        r.support.append((e.title, amount, e.total_kind if e.eligible else "not_eligible", _subsidy_status(e)))
        if e.eligible and e.total is not None and e.total_kind in ("exact", "up_to"):
            r.support_up_to += e.total
    if r.sd_saving is None:
        r.missing.append("应纳税所得额（计算节税额）")
    for g in r.hnte.pending:
        r.missing.append(f"高企：{g}")
    facts = {"hnte_certified": r.hnte.status == "certified", "hnte_status": r.hnte.status,
             "hnte_offset": r.hnte.offset, "hnte_failed": sum(1 for g in r.hnte.gaps),
             "tech_sme_registered": r.tech_sme_status == "已入库", "tech_sme_eligible": r.tech_sme_status in ("符合", "符合（待核实）"),
             "tech_sme_score": r.tech_sme_score}
    for t in tiers(params):
        if t.holds(facts):
            r.tier, r.tier_label, r.tier_rule = t.id, t.label, t.rule
            break
    if r.tier == "hnte_certified" and r.hnte.recertify_year is not None and \
            r.hnte.recertify_year <= max(ev.year + 1, as_of.year):
        r.tier_label = f"{r.tier_label}（{r.hnte.recertify_year}年期满需重新认定）"
    elif r.tier == "hnte_cultivate" and r.hnte.earliest_year:
        r.tier_label = f"{r.tier_label}（最早{r.hnte.earliest_year}年申报）"
    return r


def _subsidy_status(e) -> str:
    """The estimate's status in plain Chinese (预估 / 附条件 / 最高可得 / 暂定 / 无法计算 / 不符合)."""
    if not e.eligible:
        return "不符合：" + (e.reason or "条件未满足")
    kind = {"exact": "预估", "provisional": "预估", "up_to": "最高可得", "range": "区间预估", "conditional": "附条件",
            "not_computable": "无法计算"}.get(e.total_kind, "预估")
    if e.up_to and kind == "预估":
        kind = "最高可得"
    status = getattr(e, "status", "") or ""
    provisional = status in ("provisional", "stale") or e.confidence not in ("solid", "exact", "")
    if provisional:
        kind += "（暂定：规则未经核实或已超出核实期）"
    if e.total_kind == "not_computable" and e.reason:
        kind += f"：{e.reason}"
    return kind


# --------------------------------------------------------------------------- aggregates

@dataclass
class Aggregate:
    """Counts and sums of a group of results (amounts 分; certain sums only over computable figures)."""
    count: int = 0
    certain: int = 0
    certain_unknown: int = 0        # enterprises whose certain benefit could not be computed
    estimated: int = 0
    conditional: int = 0
    up_to: int = 0
    support_up_to: int = 0
    tiers: dict = field(default_factory=dict)

    def add(self, r: EnterpriseResult) -> None:
        self.count += 1
        if r.certain is None:
            self.certain_unknown += 1
        else:
            self.certain += r.certain
        self.estimated += r.estimated
        self.conditional += r.conditional
        self.up_to += r.up_to
        self.support_up_to += r.support_up_to
        self.tiers[r.tier] = self.tiers.get(r.tier, 0) + 1


def summarise(results, params: Params | None = None) -> dict:
    """{"all": Aggregate, "tier": {id: Aggregate}, "district": {...}, "industry": {...}, "commissioner": {...},
    "errors": n} over the results that could be evaluated (rows with an error are counted apart)."""
    out = {"all": Aggregate(), "tier": {}, "district": {}, "industry": {}, "commissioner": {}, "errors": 0}
    for t in tiers(params):
        out["tier"][t.id] = Aggregate()
    for r in results:
        if not r.ok:
            out["errors"] += 1
            continue
        out["all"].add(r)
        out["tier"].setdefault(r.tier, Aggregate()).add(r)
        out["district"].setdefault(r.district or "（未填）", Aggregate()).add(r)
        out["industry"].setdefault((r.industry or "")[:1] or "（未填）", Aggregate()).add(r)
        out["commissioner"].setdefault(r.commissioner or "（未指定）", Aggregate()).add(r)
    return out
