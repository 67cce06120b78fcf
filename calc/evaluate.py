"""Everything computed for one enterprise, year and period, from one ledger."""
from __future__ import annotations

from dataclasses import dataclass, field

from .basic_research import BasicResearch, basic_research
from .hnte import HnteEvaluation, hnte_evaluation
from .incometax import TaxEffect, hnte_years, tax_effect
from .ingest import gc_paused
from .techsme import TechSmeEvaluation, tech_sme_evaluation
from .model import ERROR, WARNING, Finding, Ledger
from .params import Params, load_params
from .superdeduction import SDResult, SuperDeductionEngine


@dataclass
class Evaluation:
    ledger: Ledger
    year: int
    period: str
    sd: SDResult
    tax: TaxEffect | None
    hnte_certified_years: set
    findings: list = field(default_factory=list)
    interpretations: set = field(default_factory=set)
    hnte: HnteEvaluation | None = None           # the HNTE position (candidate applying in year+1, or certified)
    tech_sme: TechSmeEvaluation | None = None    # 科技型中小企业 evaluation for year+1 on data year = year
    subsidies: list = field(default_factory=list)     # calc.subsidy.SubsidyEstimate, data year = year
    support: list = field(default_factory=list)       # 创新券 / 科创贷 estimates (pack category voucher/loan), apart
    risk_inputs: tuple | None = field(default=None, repr=False)    # (params, engine): the year's risk screening
    risks_screened: tuple | None = field(default=None, repr=False)
    risk_scope: str = "year"          # "year" | "period": a prepayment period screens only its own lines
    allocation: dict | None = None    # 工时分配 of the year (calc.allocation.summary), None without those sheets
    basic_research: BasicResearch | None = None   # 企业投入基础研究支出加计扣除 (2022年第32号), annual only
    law_as_of: str = ""               # 「法规数据截至」 (calc.subsidy.law_data_as_of): "" = something used was never reviewed

    @property
    def law_as_of_text(self) -> str:
        """The line every statement and the app show (issue 16)."""
        return f"法规数据截至 {self.law_as_of}" if self.law_as_of else "法规数据截至：部分规则未注明核对日期"

    @property
    def risks(self) -> tuple:
        """calc.risk.RiskFinding of the year (tax-bureau style screening, calc/risk.py), screened on first use:
        they change no figure, and the engines' hot paths (recompute after an edit) do not pay for them."""
        if self.risks_screened is None:
            self.risks_screened = _risks(self) if self.risk_inputs is not None else ()
        return self.risks_screened

    @property
    def risks_not_run(self) -> list:
        """Titles of the risk rules in force that were NOT run: in a prepayment period the rules that judge the
        whole year (ratios, year-on-year changes, year-end concentration) — the statement lists them as such."""
        if self.risk_inputs is None:
            return []
        if self.risk_scope != "period":
            return []
        from .risk import rules_in_force
        params = self.risk_inputs[0]
        return [f"{r.id} {r.title}" for r in rules_in_force(params, self.year) if r.kind not in PERIOD_RISK_KINDS]

    def hnte_pending(self) -> dict | None:
        """The R&D-ratio test (H5) with the lines still waiting for a 高企费用类别 (S17): the pending amount of
        the window years and the ratio if all of it were counted.  None when nothing is pending or H5 has no
        figures.  ``would_pass``: whether counting all of it reaches the threshold."""
        hn = self.hnte
        if hn is None:
            return None
        try:
            cond = hn.condition("rd_ratio_recheck" if hn.certified else "rd_ratio")
        except StopIteration:
            try:
                cond = hn.condition("rd_ratio")
            except StopIteration:
                return None
        by_id = None
        pending = 0
        for y in hn.window:
            cal = hn.calibers.get(y)
            if cal is None:
                continue
            ids = [i for i, reason, _ in cal.excluded if reason == "unassigned"]
            if ids:
                if by_id is None:
                    by_id = {l.id: l for l in self.ledger.lines}
                pending += sum(by_id[i].amount for i in ids if i in by_id)
        if not pending or cond.value is None or cond.threshold is None:
            return None
        rd = sum((hn.calibers[y].total or 0) for y in hn.window if y in hn.calibers)
        if not rd or not cond.value:
            return None
        from fractions import Fraction
        sales = Fraction(rd) / Fraction(cond.value)
        after = Fraction(rd + pending) / sales
        return {"amount": pending, "ratio_now": Fraction(cond.value), "ratio_after": after,
                "threshold": Fraction(cond.threshold), "would_pass": after >= Fraction(cond.threshold),
                "status": cond.status, "condition": cond}

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    @property
    def hnte_saving(self) -> int:
        """The 15% rate's saving against 25% on the same taxable income (0 unless HNTE elected)."""
        if self.tax is None:
            return 0
        b = self.tax.with_
        if b.choice.regime == "hnte":
            return b.choice.options["standard"] - b.choice.options["hnte"]
        return 0

    @property
    def slp_saving(self) -> int:
        if self.tax is None:
            return 0
        b = self.tax.with_
        if b.choice.regime == "small_low_profit":
            return b.choice.options["standard"] - b.choice.options["small_low_profit"]
        return 0

    @property
    def subsidy_total(self) -> int:
        """Post-subsidies that have an amount: exact estimates and "up to" ceilings (marked as such)."""
        return sum(e.total for e in self.subsidies if e.eligible and e.total is not None
                   and e.total_kind in ("exact", "provisional", "up_to"))

    @property
    def subsidy_up_to(self) -> bool:
        return any(e.up_to or e.total_kind == "up_to" for e in self.subsidies if e.total is not None and e.eligible)

    @property
    def total_benefit(self) -> int:
        sd_saving = self.tax.tax_saved if self.tax else 0
        return sd_saving + self.hnte_saving + self.slp_saving + self.subsidy_total


class UnsupportedYear(ValueError):
    """A tax year outside the years the parameter files cover (Chinese message)."""


def year_range(params: Params | None = None) -> tuple[int, int]:
    """The tax years this application can compute: from the first year of the dated super-deduction rates (2016;
    every other rule the evaluation needs starts then or has an earlier entry) to the last year a date may have."""
    from .values import DATE_MAX

    params = params or load_params()
    return min(r.start for r in params.extra_rates).year, DATE_MAX.year


def check_year(year: int, params: Params | None = None) -> None:
    first, last = year_range(params)
    if not first <= year <= last:
        raise UnsupportedYear(f"年度{year}不在本应用可计算的范围内（{first}—{last}年度：参数文件自{first}年起有适用的规定）")


def evaluate(ledger: Ledger, year: int, period: str = "year", params: Params | None = None,
             q4_method: str | None = None, engine: SuperDeductionEngine | None = None,
             packs: tuple[str, ...] | list[str] | None = None) -> Evaluation:
    """Everything for one year/period. ``packs``: post-subsidy rule-pack ids in addition to the
    workbook's 所在地区后补助政策 (data year = ``year``)."""
    params = params or load_params()
    check_year(year, params)
    with gc_paused():               # many short-lived objects, no cycles: no collector passes over the ledger
        return _evaluate(ledger, year, period, params, q4_method, engine, packs)


def _deduction_of(ledger: Ledger, engine: SuperDeductionEngine, params: Params):
    """An earlier year's extra deduction (A107012 row 51) from the ledger, for the yearly loss carry-forward: 0 for
    a year the ledger has no line in or the parameters do not cover (its 应纳税所得额 is then taken as given)."""
    from .columns import line_columns
    cols = line_columns(ledger)
    years = set(cols.years)
    amortising = any(p.capitalised and p.ia_date is not None for p in ledger.projects.values())

    def certainly_positive(y: int, ti: int) -> bool:
        """The year's income stays positive whatever its deduction: it cannot exceed 3 × the year's positive
        amounts (rates ≤ 200%) when no intangible asset is amortised.  Lets a ledger without losses skip the
        earlier years' computations."""
        if ti <= 0:
            return False
        if y not in years:
            return True
        if amortising:
            return False
        gross = sum(int(v) for v in cols.base[cols.year == y] if v > 0)
        return ti > 3 * gross

    def of(y: int) -> int:
        if y not in years:
            return 0
        try:
            check_year(y, params)
        except UnsupportedYear:
            return 0
        sd = engine.compute(y, "year")
        return sd.extra_deduction if sd.eligible else 0
    of.certainly_positive = certainly_positive
    return of


def _evaluate(ledger: Ledger, year: int, period: str, params: Params, q4_method: str | None,
              engine: SuperDeductionEngine | None, packs) -> Evaluation:
    engine = engine or SuperDeductionEngine(ledger, params)
    sd = engine.compute(year, period, q4_method)
    findings = list(ledger.findings)
    if ledger.year_row(year) is None and (period == "year" or ledger.year_row(year, period) is None):
        findings.append(Finding(WARNING, "W_YEAR_MISSING",
                                f"“年度数据”中没有{year}年度的行：负面清单、制造业测试按行业代码判定，节税额无法计算", "年度数据"))
    findings += sd.findings
    br, br_findings = basic_research(ledger, year, period, params)
    findings += br_findings
    deduction = sd.extra_deduction + (br.extra if br is not None else 0)     # both reduce taxable income (AI-APP-30)
    te = tax_effect(ledger, year, deduction, params, period, deduction_of=_deduction_of(ledger, engine, params))
    if te is not None and te.loss_mismatch:
        src = (ledger.year_row(year, period) if period != "year" else ledger.year_row(year)).src
        findings.append(Finding(WARNING, "W_PRIOR_LOSSES_MISMATCH", te.loss_mismatch, "年度数据", src.row if src else None,
                                "以前年度可弥补亏损"))
    if te is None and sd.eligible:
        findings.append(Finding(WARNING, "W_TAXABLE_INCOME_MISSING",
                                f"{year}年度未填“应纳税所得额”：无法计算加计扣除的节税额", "年度数据", None, "应纳税所得额"))
    ev = Evaluation(ledger, year, period, sd, te, hnte_years(ledger, params), findings, set(sd.interpretations))
    if br is not None:
        ev.basic_research = br
        ev.interpretations |= set(br.entry.interpretations)
    if ledger.allocation is not None:
        from .allocation import INTERPRETATIONS, summary
        ev.allocation = summary(ledger.allocation, year)
        if ledger.allocation.parts:
            ev.interpretations |= set(INTERPRETATIONS)
    if period == "year":
        ev.hnte = hnte_evaluation(ledger, year, params, sd_engine=engine)
        ev.tech_sme = tech_sme_evaluation(ledger, year + 1, params, sd_engine=engine)
        seen = {(f.code, f.sheet, f.row, f.column) for f in ev.findings}
        for part in (ev.hnte, ev.tech_sme):
            ev.interpretations |= set(part.interpretations)
            new = [f for f in part.findings if (f.code, f.sheet, f.row, f.column) not in seen]
            ev.findings += new
            seen.update((f.code, f.sheet, f.row, f.column) for f in new)
        _subsidies(ev, params, engine, packs)
        ev.risk_inputs = (params, engine)
    else:
        ev.risk_inputs, ev.risk_scope = (params, None), "period"
    from .subsidy import law_data_as_of
    ev.law_as_of = law_data_as_of(params, ev.subsidies)
    if te is not None:
        ev.interpretations |= set(te.interpretations)
        if ledger.profile.hnte_certificates():
            ev.interpretations.add("AI-14")
        if te.prior_losses and te.loss_schedule is None:
            ev.interpretations.add("AI-APP-06")
    return ev


# the risk rules that judge single lines, vouchers, contracts or person-months: they run on a prepayment period's
# own lines; the others judge the whole year (ratios, changes against the prior year, year-end concentration)
PERIOD_RISK_KINDS = frozenset({
    "person_overload", "outside_project_period", "related_entrustee_no_contract", "capitalised_no_formation_date",
    "production_keywords", "duplicate_voucher", "round_amounts", "overseas_individual", "entrusted_code_mismatch",
    "related_entrustee", "collective_rd"})


def _risks(ev: Evaluation) -> tuple:
    """Risk screening (calc/risk.py) on the results already computed; adds the rules' interpretations.
    A prepayment period screens only the lines and person-months dated in the period, with the rules of
    :data:`PERIOD_RISK_KINDS` (the others are reported by :attr:`Evaluation.risks_not_run`)."""
    import dataclasses

    from .allocation import person_month_loads              # timesheets (when present)
    from .risk import rules_in_force, screen
    params, engine = ev.risk_inputs
    with gc_paused():
        loads = person_month_loads(ev.ledger, params)
        if ev.risk_scope == "period":
            start, end = ev.sd.period.start, ev.sd.period.end
            lines = tuple(l for l in ev.ledger.lines if start <= l.date <= end)
            ledger = dataclasses.replace(ev.ledger, lines=lines)
            months = (f"{start.year:04d}-{start.month:02d}", f"{end.year:04d}-{end.month:02d}")
            loads = tuple(ld for ld in loads if months[0] <= ld.month <= months[1])
            only = [r.id for r in rules_in_force(params, ev.year) if r.kind in PERIOD_RISK_KINDS]
            risks = screen(ledger, ev.year, params, person_loads=loads, only=only)
        else:
            risks = screen(ev.ledger, ev.year, params, sd=ev.sd, hnte=ev.hnte, person_loads=loads, sd_engine=engine)
    for r in risks:
        ev.interpretations |= set(r.interpretations)
    return risks


def slp_status(ev: Evaluation) -> dict:
    """The 小型微利企业 test as used by the tax computation (with the extra deduction)."""
    if ev.tax is None or ev.tax.with_.choice.slp is None:
        return {"eligible": None, "reason": "缺少年度数据（应纳税所得额）"}
    return ev.tax.with_.choice.slp.as_dict()


def _subsidies(ev: Evaluation, params: Params, engine: SuperDeductionEngine, extra: tuple | list | None) -> None:
    from .rulepack import RulePackError
    from .subsidy import get_pack, estimate
    from .subsidy_facts import ledger_facts

    ids = list(dict.fromkeys(list(ev.ledger.profile.packs) + list(extra or ())))
    if not ids:
        return
    packs = []
    for pid in ids:
        try:
            packs.append(get_pack(pid))
        except (KeyError, LookupError, RulePackError) as exc:
            row = ev.ledger.profile.rows.get("packs")
            why = ("不是本应用收录的政策，请在企业信息中点“选择…”按省、市/区选择" if isinstance(exc, LookupError)
                   else str(exc))           # never a list of internal ids (review desktop-app #9)
            ev.findings.append(Finding(WARNING, "W_PACK_UNKNOWN", f"所在地区后补助政策“{pid}”无法使用：{why}",
                                       "企业信息" if row else None, row, "值" if row else None))
    facts = ledger_facts(ev.ledger, ev.year, params, engine, packs=tuple(packs))
    for pack in packs:
        est = estimate(pack, facts, award_year=ev.year - pack.data_year_offset)
        est.category = pack.category
        # its flags (PS-AI…, AI-APP-PS…) travel with the estimate; vouchers and loan-cost subsidies stay apart
        (ev.subsidies if pack.category == "subsidy" else ev.support).append(est)
