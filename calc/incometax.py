"""Corporate income tax of a year and the with/without effect of the R&D extra deduction
(super_deduction.md §10; hnte_sme.md §4, §5).

The regime is chosen per run: standard 25%; HNTE 15% in the tax years a certificate covers
(AI-14); 小型微利企业 when its tests pass (§5.1, quarterly averages); the lowest tax wins, never
combined (AI-21; tie-break small_low_profit, hnte, standard).  Losses carry forward 5 years, or
10 years for the losses of the 5 years before an HNTE / 科技型中小企业 qualification year
(76号, 45号; AI-17, AI-18): :func:`loss_schedule`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from .identifiers import tech_sme_year
from .model import Ledger
from .money import fen_display, fen_str, rate_percent, rate_str, ratio_str, round_fen
from .params import Params, load_params

# the order in which equal taxes are elected (hnte_sme.md §5.6)
REGIME_ORDER = ("small_low_profit", "hnte", "standard")
REGIME_LABELS = {"standard": "一般企业（25%）", "hnte": "高新技术企业（15%）", "small_low_profit": "小型微利企业",
                 "none": "无应纳税所得额"}
RETURN_LINES = {"small_low_profit": "符合条件的小型微利企业减免企业所得税",
                "hnte": "国家需要重点扶持的高新技术企业减按15%的税率征收企业所得税"}


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def _fen(p: Params, name: str, day: dt.date) -> int:
    """A 元 parameter as whole 分."""
    return round_fen(p.at(name, day).fraction * 100)


# --------------------------------------------------------------------------- 小型微利企业 (§5.1)

@dataclass
class SlpResult:
    """The 小型微利企业 tests of one year (or prepayment period) on one taxable income."""
    year: int
    eligible: bool | None           # None: an input is missing
    reason: str
    taxable_income: int
    staff: Fraction | None          # 从业人数, annual average of quarterly averages
    assets: Fraction | None         # 资产总额 (分), annual average of quarterly averages
    staff_basis: str | None = None  # "季度平均" | "按年末数近似" | None (missing)
    assets_basis: str | None = None
    checks: list = field(default_factory=list)      # [{id, ok, value, threshold, text}]
    notes: list = field(default_factory=list)
    interpretations: tuple = ()
    sources: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"eligible": self.eligible, "reason": self.reason, "taxable_income": fen_str(self.taxable_income),
                "staff": None if self.staff is None else ratio_str(Fraction(self.staff), 2),
                "assets": None if self.assets is None else fen_str(round_fen(self.assets)),
                "staff_basis": self.staff_basis, "assets_basis": self.assets_basis,
                "checks": self.checks, "notes": self.notes, "interpretations": list(self.interpretations)}


def quarterly_average(quarters: list[tuple[int | Fraction, int | Fraction]]) -> Fraction:
    """2023年第6号: Σ (start + end) / 2 over the quarters of operation, divided by their number
    (AI-19: a partial quarter counts as one quarter; its start value is the opening-date value)."""
    if not quarters:
        raise ValueError("no quarter")
    return sum((Fraction(a) + Fraction(b)) / 2 for a, b in quarters) / len(quarters)


def _slp_core(year: int, ti: int, staff, assets, params: Params) -> tuple[bool | None, str, list, list]:
    """(eligible, first reason, checks, sources). Three-valued: a known failing test decides even when
    another input is missing; a missing input gives None, never a pass."""
    day = _year_end(year)
    if params.maybe_at("slp_brackets", day) is None:
        return False, f"{year}年度不在本应用的小型微利企业税率范围内（2019—2027年）", [], []
    ti_e, st_e, as_e = params.at("slp_taxable_income_max", day), params.at("slp_staff_max", day), params.at("slp_assets_max", day)
    ti_max, staff_max, assets_max = _fen(params, "slp_taxable_income_max", day), Fraction(st_e.value), _fen(params, "slp_assets_max", day)
    checks = []
    ti_ok = ti <= ti_max
    checks.append({"id": "taxable_income", "ok": ti_ok, "value": fen_str(ti), "threshold": fen_str(ti_max),
                   "text": f"年度应纳税所得额 {fen_display(ti)} 元 {'≤' if ti_ok else '>'} {fen_display(ti_max)} 元",
                   "source": str(ti_e.source)})
    if staff is None:
        checks.append({"id": "staff", "ok": None, "value": None, "threshold": str(st_e.value),
                       "text": "从业人数未填，无法判断", "source": str(st_e.source)})
    else:
        ok = Fraction(staff) <= staff_max
        checks.append({"id": "staff", "ok": ok, "value": ratio_str(Fraction(staff), 2), "threshold": str(st_e.value),
                       "text": f"从业人数 {ratio_str(Fraction(staff), 2)} 人 {'≤' if ok else '>'} {st_e.value} 人",
                       "source": str(st_e.source)})
    if assets is None:
        checks.append({"id": "assets", "ok": None, "value": None, "threshold": fen_str(assets_max),
                       "text": "资产总额未填，无法判断", "source": str(as_e.source)})
    else:
        ok = Fraction(assets) <= assets_max
        checks.append({"id": "assets", "ok": ok, "value": fen_str(round_fen(Fraction(assets))), "threshold": fen_str(assets_max),
                       "text": f"资产总额 {fen_display(round_fen(Fraction(assets)))} 元 {'≤' if ok else '>'} {fen_display(assets_max)} 元",
                       "source": str(as_e.source)})
    sources = [str(ti_e.source), str(params.at("slp_brackets", day).source)]
    failed = [c for c in checks if c["ok"] is False]
    if failed:
        reason = {"taxable_income": "应纳税所得额超过300万元", "staff": "从业人数超过300人",
                  "assets": "资产总额超过5000万元"}[failed[0]["id"]]
        return False, reason, checks, sources
    if any(c["ok"] is None for c in checks):
        return None, "从业人数或资产总额未填，无法判断", checks, sources
    return True, "应纳税所得额、从业人数、资产总额均符合条件", checks, sources


def slp_test(year: int, ti: int, staff: int | Fraction | None, assets: int | Fraction | None,
             params: Params) -> tuple[bool | None, str]:
    """The three 小型微利企业 tests on given figures: (True/False/None, reason)."""
    ok, reason, _, _ = _slp_core(year, ti, staff, assets, params)
    return ok, reason


def slp_evaluation(year: int, ti: int, values: Mapping | None, params: Params | None = None) -> SlpResult:
    """§5.1 on a 年度数据 row: the quarterly averages (从业人数 incl. dispatch workers, 资产总额); when
    missing, the year-end 职工总数 / 资产总额 flagged as an approximation (AI-APP-09); the industry
    condition assumed with an advisory note (AI-APP-10)."""
    params = params or load_params()
    values = values or {}
    ais: list[str] = []
    notes = []
    staff, staff_basis = values.get("staff_quarterly_avg"), "季度平均"
    if staff is None and values.get("staff_total") is not None:
        staff, staff_basis = values.get("staff_total"), "按年末数近似"
    elif staff is None:
        staff_basis = None
    assets, assets_basis = values.get("assets_quarterly_avg"), "季度平均"
    if assets is None and values.get("total_assets") is not None:
        assets, assets_basis = values.get("total_assets"), "按年末数近似"
    elif assets is None:
        assets_basis = None
    ok, reason, checks, sources = _slp_core(year, ti, staff, assets, params)
    # the approximation and the industry assumption are shown where they can matter: a pass or an
    # open result, or a failure that rests on an approximated figure
    approx = [n for n, key, b in (("从业人数", "staff", staff_basis), ("资产总额", "assets", assets_basis)) if b == "按年末数近似"
              and (ok is not False or any(c["id"] == key and c["ok"] is False for c in checks))]
    if approx:
        ais.append("AI-APP-09")
        notes.append(f"未填季度平均值：{'、'.join(approx)}按年末数近似（AI-APP-09）")
    if checks and ok is not False:
        ais.append("AI-APP-10")
        notes.append("“从事国家非限制和禁止行业”由企业自行确认，本测算按符合处理（AI-APP-10）")
    entry = params.maybe_at("slp_brackets", _year_end(year))
    if entry is not None:
        ais += list(entry.interpretations)
    return SlpResult(year, ok, reason, ti, None if staff is None else Fraction(staff),
                     None if assets is None else Fraction(assets), staff_basis, assets_basis, checks, notes,
                     tuple(ais), sources)


def slp_tax(year: int, ti: int, params: Params) -> int:
    return round_fen(slp_tax_exact(year, ti, params))


def slp_tax_exact(year: int, ti: int, params: Params) -> Fraction:
    """§5.5: the portions of TI (分) at the year's effective rates."""
    brackets = params.value("slp_brackets", _year_end(year))
    tax, lower = Fraction(0), 0
    for upper, rate in brackets:
        top = ti if upper is None else min(ti, int(Fraction(upper) * 100))
        if top > lower:
            tax += (top - lower) * Fraction(rate)
            lower = top
    return tax


# --------------------------------------------------------------------------- regime choice (§5.6)

@dataclass
class RegimeChoice:
    regime: str                 # none | standard | hnte | small_low_profit
    rate: Fraction              # the statutory/effective rate shown
    tax: int
    options: dict               # regime → tax (分), the available options
    exact: Fraction = Fraction(0)   # the elected tax before rounding to the 分
    unavailable: dict = field(default_factory=dict)    # regime → reason it is not available
    rates: dict = field(default_factory=dict)          # regime → (effective) rate
    slp: SlpResult | None = None

    def comparison(self) -> list[dict]:
        """Every regime: its tax (if available), whether elected, and why not available (AI-21)."""
        out = []
        for key in ("standard", "hnte", "small_low_profit"):
            row = {"regime": key, "label": REGIME_LABELS[key], "available": key in self.options,
                   "tax": fen_str(self.options[key]) if key in self.options else None,
                   "rate": rate_str(self.rates[key]) if key in self.rates else None,
                   "rate_percent": rate_percent(self.rates[key]) if key in self.rates else None,
                   "elected": key == self.regime, "reason": self.unavailable.get(key)}
            out.append(row)
        return out

    def as_dict(self) -> dict:
        return {"elected": self.regime, "rate": rate_str(self.rate), "rate_percent": rate_percent(self.rate),
                "tax": fen_str(self.tax),
                "options": self.comparison(), "return_line": RETURN_LINES.get(self.regime),
                "small_low_profit": self.slp.as_dict() if self.slp else None}


def choose_regime(year: int, ti: int, *, hnte: bool, staff: int | Fraction | None = None,
                  assets: int | Fraction | None = None, params: Params, slp: SlpResult | None = None) -> RegimeChoice:
    """Every available regime's tax on TI and the elected one: the lowest tax, ties broken in the
    order small_low_profit, hnte, standard; never combined (AI-21). TI ≤ 0: no tax, no preference."""
    day = _year_end(year)
    std = params.at("standard_rate", day).fraction
    unavailable = {}
    if not hnte:
        unavailable["hnte"] = f"{year}年度不在高新技术企业证书覆盖的纳税年度内（证书自发证年度起覆盖三个纳税年度）"
    if slp is None:
        ok, reason, checks, sources = _slp_core(year, ti, staff, assets, params)
        slp = SlpResult(year, ok, reason, ti, None if staff is None else Fraction(staff),
                        None if assets is None else Fraction(assets), checks=checks, sources=sources)
    if slp.eligible is not True:
        unavailable["small_low_profit"] = slp.reason
    if ti <= 0:
        return RegimeChoice("none", std, 0, {"standard": 0}, Fraction(0),
                            {**unavailable, "hnte": "无应纳税所得额，不适用税率优惠", "small_low_profit": "无应纳税所得额，不适用税率优惠"},
                            {"standard": std}, slp)
    exact = {"standard": ti * std}
    rates = {"standard": std}
    if hnte:
        hr = params.at("hnte_rate", day).fraction
        exact["hnte"] = ti * hr
        rates["hnte"] = hr
    if slp.eligible is True:
        exact["small_low_profit"] = slp_tax_exact(year, ti, params)
        rates["small_low_profit"] = exact["small_low_profit"] / ti
    options = {k: round_fen(v) for k, v in exact.items()}
    elected = min((k for k in REGIME_ORDER if k in options), key=lambda k: (exact[k], REGIME_ORDER.index(k)))
    return RegimeChoice(elected, rates[elected], options[elected], options, exact[elected], unavailable, rates, slp)


# --------------------------------------------------------------------------- qualification and losses (§4.3)

def hnte_years(ledger: Ledger, params: Params) -> set[int]:
    """AI-14: a certificate issued in year I covers the tax years I … I+n−1 (n = 3); every certificate of the
    history (a re-certified enterprise) covers its own years."""
    years: set[int] = set()
    for _, cert in ledger.profile.hnte_certificates():
        entry = params.maybe_at("hnte_certificate_years", _year_end(cert.year))
        if entry is None:               # a date no dated rule covers: refused at import (E_HNTE_CERT_DATE)
            continue
        years |= set(range(cert.year, cert.year + entry.value))
    return years


def tech_sme_years(ledger: Ledger) -> set[int]:
    """The registration years printed on the 入库登记编号 (first four digits; 45号)."""
    return {y for y in (tech_sme_year(n) for n in ledger.profile.tech_sme_nos) if y is not None}


def qualification_years(ledger: Ledger, params: Params) -> set[int]:
    """Loss carry-forward qualification years: HNTE tax years (AI-14) ∪ tech-SME registration years.
    Status-based: it counts whatever rate is elected (AI-17)."""
    return hnte_years(ledger, params) | tech_sme_years(ledger)


@dataclass
class LossOffset:
    loss_year: int
    income_year: int
    amount: int


@dataclass
class LossLine:
    year: int
    amount: int
    last_year: int
    extended_by: int | None         # the qualification year that extends it (None: ordinary 5 years)
    used: int = 0
    remaining: int = 0
    expired: int = 0

    @property
    def text(self) -> str:
        base = f"{self.year}年亏损 {fen_display(self.amount)} 元可弥补至{self.last_year}年"
        if self.extended_by is not None:
            return base + f"（{self.extended_by}年具备高新技术企业或科技型中小企业资格，结转年限延长至10年，财税〔2018〕76号）"
        return base + "（企业所得税法第十八条，5年）"

    def as_dict(self) -> dict:
        return {"year": self.year, "amount": fen_str(self.amount), "last_year": self.last_year,
                "extended_by": self.extended_by, "used": fen_str(self.used), "remaining": fen_str(self.remaining),
                "expired": fen_str(self.expired), "text": self.text}


@dataclass
class LossSchedule:
    lines: dict                     # loss year → LossLine
    offsets: list                   # [LossOffset], in the order applied (FIFO)
    taxable_income: dict            # income year → income after the offsets
    interpretations: tuple = ("AI-17", "AI-18")
    sources: list = field(default_factory=list)

    def last_year(self, loss_year: int) -> int:
        return self.lines[loss_year].last_year

    def as_dict(self) -> dict:
        return {"losses": [l.as_dict() for l in self.lines.values()],
                "offsets": [{"loss_year": o.loss_year, "income_year": o.income_year, "amount": fen_str(o.amount)}
                            for o in self.offsets],
                "interpretations": list(self.interpretations)}


def loss_last_year(loss_year: int, qualified_years: set[int], params: Params) -> tuple[int, int | None]:
    """(last usable year, extending qualification year or None) — hnte_sme.md §4.3:
    extended iff some qualification year Q has L < Q ≤ L + 5 and the extension is in force in Q
    (76号, from 2018); the loss of a qualification year itself needs a later one (AI-18(a));
    once extended it stays extended (AI-18(b))."""
    ordinary = params.value("loss_carry_years", _year_end(loss_year))
    for q in sorted(qualified_years):
        if loss_year < q <= loss_year + ordinary:
            ext = params.maybe_at("loss_carry_years_extended", _year_end(q))
            if ext is not None:
                return loss_year + ext.value, q
    return loss_year + ordinary, None


def loss_schedule(losses: dict[int, int], qualified_years: set[int], incomes: dict[int, int],
                  params: Params | None = None, *, as_of: int | None = None) -> LossSchedule:
    """The §4.3 algorithm as a pure function.

    ``losses``: loss year → loss (positive 分); ``incomes``: year → positive taxable income before
    loss offset (分; values ≤ 0 absorb nothing); ``qualified_years``: HNTE tax years (AI-14) ∪ tech-SME
    registration years.  Oldest loss first; a loss of year L absorbs income of L+1 … last_year(L);
    what is left after last_year(L) expires — counted as ``expired`` once ``as_of`` (default: the last
    income year) is past last_year(L).
    """
    params = params or load_params()
    lines: dict[int, LossLine] = {}
    for year in sorted(losses):
        amount = losses[year]
        if amount <= 0:
            continue
        last, by = loss_last_year(year, qualified_years, params)
        lines[year] = LossLine(year, amount, last, by, 0, amount, 0)
    offsets, after = [], {}
    for year in sorted(incomes):
        available = max(incomes[year], 0)
        for line in lines.values():                          # sorted by loss year: FIFO
            if available <= 0:
                break
            if line.year < year <= line.last_year and line.remaining > 0:
                use = min(line.remaining, available)
                line.remaining -= use
                line.used += use
                available -= use
                offsets.append(LossOffset(line.year, year, use))
        after[year] = available
    horizon = as_of if as_of is not None else (max(incomes) if incomes else None)
    if horizon is not None:
        for line in lines.values():
            if line.last_year < horizon and line.remaining > 0:
                line.expired, line.remaining = line.remaining, 0
    sources = [str(params.at("loss_carry_years", _year_end(min(lines) if lines else 2018)).source)]
    ext = next((params.maybe_at("loss_carry_years_extended", _year_end(l.extended_by)) for l in lines.values()
                if l.extended_by is not None), None)
    if ext is not None:
        sources.append(str(ext.source))
    return LossSchedule(lines, offsets, after, ("AI-17", "AI-18"), sources)


# --------------------------------------------------------------------------- the with/without effect (§10.4)

@dataclass
class TaxRun:
    taxable_income: int         # TI after losses
    tax: int                    # the tax payable: the elected regime's tax less the credit (never below 0)
    losses_used: int
    new_loss: int
    choice: RegimeChoice
    credit_used: int = 0        # 抵免所得税额 applied (A100000 row 27), at most the regime's tax
    loss_offsets: list = field(default_factory=list)     # [(loss year | "以前年度", amount)] applied FIFO


def prior_year_losses(ledger: Ledger, year: int, qualified: set[int], params: Params,
                      deduction_of=None) -> tuple[LossSchedule | None, list[str]]:
    """The loss carry-forward into ``year`` built from the yearly 年度数据 rows (hnte_sme.md §4.3; A106000):
    each earlier year's 应纳税所得额 (before that year's extra deduction, which ``deduction_of(y)`` gives when the
    ledger has that year) — a negative figure is that year's loss, a positive one absorbs the oldest usable losses
    first; 5 years, 10 for the losses of the 5 years before a 高企 / 科技型中小企业 qualification year (财税〔2018〕76号,
    国家税务总局公告2018年第45号).  None when no earlier row has a loss.  Also the notes on the years not given."""
    rows = {y.year: y.get("taxable_income") for y in ledger.years
            if y.period == "year" and y.year < year and y.get("taxable_income") is not None}
    positive = getattr(deduction_of, "certainly_positive", None)
    if positive is not None and all(positive(y, ti) for y, ti in rows.items()):
        return None, []                 # no year can be a loss: nothing to compute
    deductions = {y: (deduction_of(y) or 0) if deduction_of is not None else 0 for y in rows}
    figures = {y: ti - deductions[y] for y, ti in sorted(rows.items())}
    losses = {y: -p for y, p in figures.items() if p < 0}
    if not losses:
        return None, []
    incomes = {y: max(p, 0) for y, p in figures.items() if y > min(losses)}
    sched = loss_schedule(losses, qualified, incomes, params, as_of=year)
    notes = []
    missing = [y for y in range(min(losses) + 1, year) if y not in rows]
    if missing and any(l.remaining for l in sched.lines.values()):
        notes.append(f"{'、'.join(str(y) for y in missing)}年度未填应纳税所得额：按当年无所得（未弥补亏损）计算，请补填")
    for y in sorted(figures):
        d = deductions[y]
        if d and y in losses:
            notes.append(f"{y}年亏损 = 应纳税所得额 {fen_display(rows[y])} 元 − 当年加计扣除 {fen_display(d)} 元"
                         f" = {fen_display(figures[y])} 元")
    return sched, notes


@dataclass
class TaxEffect:
    year: int
    before: int                 # 纳税调整后所得 before the extra deduction (P)
    deduction: int              # D = row 51
    prior_losses: int
    without: TaxRun
    with_: TaxRun
    tax_saved: int              # A.tax − B.tax (AI-SD-15)
    loss_increase: int
    prior_losses_not_needed: int
    absorbed: int
    loss_carried_forward: int
    loss_years: int             # years a loss of this year may be carried forward (5 or 10)
    standard_tax_without: int   # 25% on A.TI: the tax with no preference at all
    notes: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    interpretations: tuple = ("AI-SD-15", "AI-APP-07")
    loss_last_year: int | None = None        # the last year a loss of this year is usable
    loss_extended_by: int | None = None      # the qualification year extending it
    qualified_years: tuple = ()
    carried: list = field(default_factory=list)      # [{origin, amount, last_year, text}]
    cliff_warning: str | None = None
    period: str = "year"
    tax_credit: int = 0                      # 抵免所得税额 given (A100000 row 27)
    loss_schedule: LossSchedule | None = None    # the losses of earlier years, from the yearly rows (A106000)
    prior_losses_typed: int | None = None    # 以前年度可弥补亏损 as typed (None: not typed)
    loss_mismatch: str | None = None         # the typed total and the yearly rows disagree

    @property
    def regime_comparison(self) -> list[dict]:
        return self.with_.choice.comparison()

    def as_dict(self) -> dict:
        b = self.with_
        return {"taxable_income_before": fen_str(self.before), "taxable_income_after": fen_str(b.taxable_income),
                "regime": b.choice.regime, "rate": rate_str(b.choice.rate), "rate_percent": rate_percent(b.choice.rate),
                "tax_without_benefits": fen_str(self.standard_tax_without), "tax_payable": fen_str(b.tax),
                "saving": fen_str(self.standard_tax_without - b.choice.tax),
                "tax_saved_by_deduction": fen_str(self.tax_saved),
                "loss_carried_forward": fen_str(self.loss_carried_forward),
                "loss_increase": fen_str(self.loss_increase),
                "prior_losses_not_needed": fen_str(self.prior_losses_not_needed),
                "loss_carry_years": self.loss_years, "loss_usable_until": self.loss_last_year,
                "losses_carried": self.carried,
                "regime_comparison": b.choice.as_dict(), "regime_comparison_without": self.without.choice.as_dict(),
                "cliff_warning": self.cliff_warning, "qualified_years": list(self.qualified_years),
                "tax_before_credit": fen_str(b.choice.tax), "tax_credit": fen_str(self.tax_credit),
                "tax_credit_used": fen_str(b.credit_used),
                "prior_losses": fen_str(self.prior_losses),
                "prior_losses_typed": None if self.prior_losses_typed is None else fen_str(self.prior_losses_typed),
                "prior_losses_basis": "yearly" if self.loss_schedule is not None else ("typed" if self.prior_losses else None),
                "loss_schedule": self.loss_trace(), "loss_mismatch": self.loss_mismatch,
                "notes": self.notes, "interpretations": list(self.interpretations)}

    def loss_trace(self) -> list[dict] | None:
        """A106000-style: each earlier year's loss, what the earlier years and this year used, what is left and
        until when; None when the losses were not given year by year."""
        if self.loss_schedule is None:
            return None
        used_now = dict(self.with_.loss_offsets)
        out = []
        for l in self.loss_schedule.lines.values():
            earlier = [{"year": o.income_year, "amount": fen_str(o.amount)} for o in self.loss_schedule.offsets
                       if o.loss_year == l.year]
            now = used_now.get(l.year, 0)
            out.append({"year": l.year, "loss": fen_str(l.amount), "used_before": earlier,
                        "used_this_year": fen_str(now), "expired": fen_str(l.expired),
                        "remaining": fen_str(l.remaining - now), "last_year": l.last_year,
                        "extended_by": l.extended_by, "text": l.text})
        return out


def cliff_warning(year: int, choice: RegimeChoice, ti: int, params: Params, margin: int | None = None) -> str | None:
    """§5.6: TI within ``margin`` (分; default the parameter) above the 3,000,000 cliff while the other
    tests do not fail — the whole income leaves the 小型微利 treatment."""
    day = _year_end(year)
    if params.maybe_at("slp_brackets", day) is None:
        return None
    ti_max = _fen(params, "slp_taxable_income_max", day)
    if margin is None:
        margin = _fen(params, "slp_cliff_warning_margin", day)
    if not (ti_max < ti <= ti_max + margin):
        return None
    slp = choice.slp
    if slp is not None and any(c["ok"] is False for c in slp.checks if c["id"] != "taxable_income"):
        return None
    at_cliff = slp_tax(year, ti_max, params)
    return (f"应纳税所得额 {fen_display(ti)} 元，超过小型微利企业300万元临界点 {fen_display(ti - ti_max)} 元：全部所得不得享受小型微利企业优惠，"
            f"按{REGIME_LABELS.get(choice.regime, choice.regime)}计税 {fen_display(choice.tax)} 元；"
            f"若不超过300万元，可按小型微利企业计税 {fen_display(at_cliff)} 元（相差 {fen_display(choice.tax - at_cliff)} 元）")


def tax_effect(ledger: Ledger, year: int, deduction: int, params: Params | None = None,
               period: str = "year", *, cliff_margin: int | None = None, deduction_of=None) -> TaxEffect | None:
    """The with/without computation of super_deduction.md §10.4; ``None`` when 应纳税所得额 is not given.

    ``period`` = "year" or a prepayment period ("H1", "Q1-Q3": the period's 年度数据 row, cumulative
    figures, §5.3).  The workbook gives one pool of prior-year losses (AI-APP-06)."""
    params = params or load_params()
    row = ledger.year_row(year, period) if period != "year" else ledger.year_row(year)
    if row is None or row.get("taxable_income") is None:
        return None
    before = row.get("taxable_income")
    typed = row.get("prior_losses")
    credit = max(row.get("tax_credit") or 0, 0)
    is_hnte = year in hnte_years(ledger, params)
    qualified = qualification_years(ledger, params)
    schedule, loss_notes = prior_year_losses(ledger, year, qualified, params, deduction_of)
    mismatch = None
    if schedule is not None:
        # the losses still usable in this year, oldest first (FIFO, as the law applies them)
        buckets = [(l.year, l.remaining) for l in schedule.lines.values() if l.remaining > 0 and l.last_year >= year]
        pool = sum(a for _, a in buckets)
        if typed is not None and typed != pool:
            mismatch = (f"“以前年度可弥补亏损”填写 {fen_display(typed)} 元，按年度数据逐年计算为 {fen_display(pool)} 元，两者不一致："
                        f"本测算按逐年计算数（见亏损弥补明细）；如有本表未列年度的亏损，请补填该年度的应纳税所得额")
    else:
        pool = typed or 0
        buckets = [("以前年度", pool)] if pool else []

    def run(d: int) -> TaxRun:
        p = before - d
        offsets = []
        if p > 0:
            used = min(pool, p)
            ti, new_loss = p - used, 0
            left = used
            for origin, amount in buckets:
                if left <= 0:
                    break
                take = min(amount, left)
                offsets.append((origin, take))
                left -= take
        else:
            used, ti, new_loss = 0, 0, -p
        slp = slp_evaluation(year, ti, row.values, params)
        choice = choose_regime(year, ti, hnte=is_hnte, params=params, slp=slp)
        applied = min(credit, choice.tax)
        return TaxRun(ti, choice.tax - applied, used, new_loss, choice, applied, offsets)

    a, b = run(0), run(deduction)
    day = _year_end(year)
    std = params.at("standard_rate", day)
    last, by = loss_last_year(year, qualified, params)
    loss_years = last - year
    ordinary = params.value("loss_carry_years", day)
    ais = ["AI-SD-15", "AI-APP-07", "AI-21"]
    if qualified or a.new_loss or b.new_loss:
        ais += ["AI-17", "AI-18"]
    if ledger.profile.hnte_certificates():
        ais.append("AI-14")
    if is_hnte and deduction:
        ais.append("AI-16")
    for r in (a, b):
        if r.choice.slp is not None:
            ais += [i for i in r.choice.slp.interpretations if i not in ais]
    if pool and schedule is None:
        ais.append("AI-APP-06")
    if schedule is not None:
        ais.append("AI-APP-41")
        if mismatch:
            ais.append("AI-APP-42")
    notes = list(loss_notes)
    if mismatch:
        notes.append(mismatch)
    loss_increase = b.new_loss - a.new_loss
    not_needed = a.losses_used - b.losses_used
    extend_hint = "" if by is not None else \
        f"；若{year + 1}—{year + ordinary}年取得高新技术企业或科技型中小企业资格，可延长至{year + 10}年（财税〔2018〕76号，AI-18）"
    why = f"（{by}年具备高新技术企业或科技型中小企业资格，财税〔2018〕76号）" if by is not None else ""
    if loss_increase:
        notes.append(f"加计扣除使本年亏损增加 {fen_display(loss_increase)} 元，可在以后{loss_years}个年度内弥补（至{last}年）{why}{extend_hint}")
    if not_needed:
        notes.append(f"以前年度亏损少弥补 {fen_display(not_needed)} 元，留待以后年度弥补（AI-APP-06）")
    carried = []
    pool_left = pool - b.losses_used
    if schedule is not None:
        used_now = dict(b.loss_offsets)
        for l in schedule.lines.values():
            left = l.remaining - used_now.get(l.year, 0)
            if left > 0 and l.last_year > year:
                carried.append({"origin": str(l.year), "amount": fen_str(left), "last_year": l.last_year,
                                "text": f"{l.year}年亏损余额 {fen_display(left)} 元可弥补至{l.last_year}年"
                                        + ("（财税〔2018〕76号，10年）" if l.extended_by is not None else "（5年）")})
            elif left > 0:
                notes.append(f"{l.year}年亏损余额 {fen_display(left)} 元本年后到期，不得再弥补（已于{l.last_year}年期满）")
        expired = [l for l in schedule.lines.values() if l.expired]
        for l in expired:
            notes.append(f"{l.year}年亏损 {fen_display(l.expired)} 元已超过弥补期限（至{l.last_year}年），不得弥补")
    elif pool_left:
        carried.append({"origin": "以前年度", "amount": fen_str(pool_left), "last_year": None,
                        "text": f"以前年度可弥补亏损余额 {fen_display(pool_left)} 元（按一笔处理，弥补期限以各亏损年度为准，AI-APP-06）"})
    if b.new_loss:
        carried.append({"origin": str(year), "amount": fen_str(b.new_loss), "last_year": last,
                        "text": f"{year}年亏损 {fen_display(b.new_loss)} 元可弥补至{last}年{why}"})
    warning = cliff_warning(year, b.choice, b.taxable_income, params, cliff_margin)
    if warning:
        notes.append(warning)
    for n in b.choice.slp.notes if b.choice.slp else ():
        if n not in notes and b.taxable_income > 0:
            notes.append(n)
    sources = [str(std.source), str(params.at("loss_carry_years", day).source)]
    if by is not None:
        sources.append(str(params.at("loss_carry_years_extended", _year_end(by)).source))
    if credit:
        notes.append(f"抵免所得税额 {fen_display(credit)} 元（A100000第27行）：享受加计扣除后抵免 {fen_display(b.credit_used)} 元"
                     + (f"，未抵免完的 {fen_display(credit - b.credit_used)} 元按规定结转以后年度（专用设备投资抵免最长5年，财税〔2008〕48号）"
                        if credit > b.credit_used else ""))
    # the saving is a final figure of its own: the exact difference, rounded once (AI-APP-07); with a credit the
    # difference of the two taxes after the credit (neither below 0)
    saved = a.choice.exact - b.choice.exact if not credit else \
        max(a.choice.exact - credit, 0) - max(b.choice.exact - credit, 0)
    return TaxEffect(year, before, deduction, pool, a, b, round_fen(saved), loss_increase,
                     not_needed, deduction - loss_increase - not_needed, pool - b.losses_used + b.new_loss, loss_years,
                     round_fen(a.taxable_income * std.fraction), notes, sources, tuple(ais),
                     loss_last_year=last, loss_extended_by=by, qualified_years=tuple(sorted(qualified)),
                     carried=carried, cliff_warning=warning, period=period, tax_credit=credit,
                     loss_schedule=schedule, prior_losses_typed=typed, loss_mismatch=mismatch)
