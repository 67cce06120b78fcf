"""Corporate income tax of a year and the with/without effect of the R&D extra deduction
(super_deduction.md §10; hnte_sme.md §4.2, §5.6).

The regime is chosen per run: standard 25%; HNTE 15% in the tax years a certificate covers
(AI-14); 小型微利企业 when its tests pass; the lowest tax wins, never combined (AI-21).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from .model import Ledger
from .params import Params, load_params
from .money import fen_display, round_fen


@dataclass
class RegimeChoice:
    regime: str                 # none | standard | hnte | small_low_profit
    rate: Fraction              # the statutory/effective rate shown
    tax: int
    options: dict               # regime → tax (分)
    exact: Fraction = Fraction(0)   # the elected tax before rounding to the 分


@dataclass
class TaxRun:
    taxable_income: int         # TI after losses
    tax: int
    losses_used: int
    new_loss: int
    choice: RegimeChoice


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
    loss_years: int
    standard_tax_without: int   # 25% on A.TI: the tax with no preference at all
    notes: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    interpretations: tuple = ("AI-SD-15", "AI-APP-07")


def hnte_years(ledger: Ledger, params: Params) -> set[int]:
    cert = ledger.profile.hnte_cert_date
    if cert is None:
        return set()
    n = params.value("hnte_certificate_years", dt.date(cert.year, 12, 31))
    return set(range(cert.year, cert.year + n))


def slp_test(year: int, ti: int, staff: int | None, assets: int | None, params: Params) -> tuple[bool | None, str]:
    day = dt.date(year, 12, 31)
    if params.maybe_at("slp_brackets", day) is None:
        return False, f"{year}年度不在本应用的小型微利企业税率范围内"
    ti_max = int(params.at("slp_taxable_income_max", day).fraction * 100)
    if ti > ti_max:
        return False, "应纳税所得额超过300万元"
    if staff is None or assets is None:
        return None, "从业人数或资产总额未填，无法判断"
    if staff > params.value("slp_staff_max", day):
        return False, "从业人数超过300人"
    if assets > int(params.at("slp_assets_max", day).fraction * 100):
        return False, "资产总额超过5000万元"
    return True, "应纳税所得额、从业人数、资产总额均符合条件"


def slp_tax(year: int, ti: int, params: Params) -> int:
    return round_fen(slp_tax_exact(year, ti, params))


def slp_tax_exact(year: int, ti: int, params: Params) -> Fraction:
    brackets = params.value("slp_brackets", dt.date(year, 12, 31))
    tax, lower = Fraction(0), 0
    for upper, rate in brackets:
        top = ti if upper is None else min(ti, int(Fraction(upper) * 100))
        if top > lower:
            tax += (top - lower) * Fraction(rate)
            lower = top
    return tax


def choose_regime(year: int, ti: int, *, hnte: bool, staff: int | None, assets: int | None,
                  params: Params) -> RegimeChoice:
    day = dt.date(year, 12, 31)
    std = params.at("standard_rate", day).fraction
    if ti <= 0:
        return RegimeChoice("none", std, 0, {"standard": 0})
    exact = {"standard": ti * std}
    rates = {"standard": std}
    if hnte:
        hr = params.at("hnte_rate", day).fraction
        exact["hnte"] = ti * hr
        rates["hnte"] = hr
    ok, _ = slp_test(year, ti, staff, assets, params)
    if ok:
        exact["small_low_profit"] = slp_tax_exact(year, ti, params)
        rates["small_low_profit"] = exact["small_low_profit"] / ti
    options = {k: round_fen(v) for k, v in exact.items()}
    order = ["small_low_profit", "hnte", "standard"]
    elected = min((k for k in order if k in options), key=lambda k: (exact[k], order.index(k)))
    return RegimeChoice(elected, rates[elected], options[elected], options, exact[elected])


def tax_effect(ledger: Ledger, year: int, deduction: int, params: Params | None = None,
               period: str = "year") -> TaxEffect | None:
    """The with/without computation of §10.4; ``None`` when 应纳税所得额 is not given."""
    params = params or load_params()
    row = ledger.year_row(year, period) if period != "year" else ledger.year_row(year)
    if row is None or row.get("taxable_income") is None:
        return None
    before = row.get("taxable_income")
    pool = row.get("prior_losses") or 0
    staff, assets = row.get("staff_total"), row.get("total_assets")
    is_hnte = year in hnte_years(ledger, params)

    def run(d: int) -> TaxRun:
        p = before - d
        if p > 0:
            used = min(pool, p)
            ti, new_loss = p - used, 0
        else:
            used, ti, new_loss = 0, 0, -p
        choice = choose_regime(year, ti, hnte=is_hnte, staff=staff, assets=assets, params=params)
        return TaxRun(ti, choice.tax, used, new_loss, choice)

    a, b = run(0), run(deduction)
    day = dt.date(year, 12, 31)
    std = params.at("standard_rate", day)
    loss_years = params.value("loss_carry_years", day)
    qualified = is_hnte or any(n[:4].isdigit() and int(n[:4]) == year for n in ledger.profile.tech_sme_nos)
    ext = params.maybe_at("loss_carry_years_extended", day)
    if qualified and ext is not None:
        loss_years = ext.value
    notes = []
    loss_increase = b.new_loss - a.new_loss
    not_needed = a.losses_used - b.losses_used
    if loss_increase:
        notes.append(f"加计扣除使本年亏损增加 {fen_display(loss_increase)} 元，可在以后{loss_years}个年度内弥补（至{year + loss_years}年）")
    if not_needed:
        notes.append(f"以前年度亏损少弥补 {fen_display(not_needed)} 元，留待以后年度弥补（AI-APP-06）")
    # the saving is a final figure of its own: the exact difference, rounded once (AI-APP-07)
    return TaxEffect(year, before, deduction, pool, a, b, round_fen(a.choice.exact - b.choice.exact), loss_increase, not_needed,
                     deduction - loss_increase - not_needed, pool - b.losses_used + b.new_loss, loss_years,
                     round_fen(a.taxable_income * std.fraction), notes,
                     [str(std.source), str(params.at("loss_carry_years", day).source)])
