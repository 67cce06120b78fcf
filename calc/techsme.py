"""科技型中小企业评价 (hnte_sme.md §6; 国科发政〔2017〕115号).

``tech_sme_evaluation(ledger, year)`` evaluates the enterprise for evaluation year ``year`` on the
figures of the data year ``year − 1`` (AI-24): the basic conditions T1–T4, the score (T5: staff,
R&D — both measures, the better taken — and IP), the direct routes of art. 8, the 67号 entry conditions (T6, T7)
of AI-23, and for each indicator the exact, minimal distance to its next band (AI-APP-13).

Every condition is three-valued (pass / fail / unknown): a missing input is never a pass.
Thresholds, bands and routes are read from ``resources/params/tech_sme.yaml``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from .columns import line_columns
from .identifiers import tech_sme_covers
from .incometax import hnte_years
from .model import INFO, WARNING, Finding, Ledger
from .money import fen_display, fen_str, ratio_str, round_fen
from .params import Params, ParamError, load_params
from .superdeduction import SuperDeductionEngine

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
FILE = "tech_sme"
STAFF_MAX_SCORE, RD_MAX_SCORE = 20, 50
ROUTE_NAMES = {"hnte_certificate": "高新技术企业证书", "national_award": "国家级科技奖励",
               "provincial_lab": "省部级以上研发机构", "led_standard": "主导制定标准"}


def _status(ok: bool | None) -> str:
    return UNKNOWN if ok is None else (PASS if ok else FAIL)


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _pct(x: Fraction) -> str:
    """A ratio as a percentage: whole percentages without decimals (15%), others to 0.01% (11.30%)."""
    scaled = Fraction(x) * 100
    if scaled.denominator == 1:
        return f"{scaled.numerator}%"
    return f"{ratio_str(scaled, 2)}%"


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Band:
    min: Fraction
    score: int


@dataclass(frozen=True)
class BandTable:
    name: str
    bands: tuple            # Band, highest first; the last has min 0
    source: str
    interpretations: tuple = ()

    def score(self, x: Fraction) -> int:
        for b in self.bands:
            if x >= b.min:
                return b.score
        return 0

    def next_above(self, score: int) -> Band | None:
        """The lowest band scoring more than ``score``."""
        above = [b for b in self.bands if b.score > score]
        return min(above, key=lambda b: b.score) if above else None

    @property
    def max_score(self) -> int:
        return max(b.score for b in self.bands)


def _version(params: Params, name: str, day: dt.date) -> dict:
    versions = params.tables.get(FILE, {}).get(name)
    if not isinstance(versions, list):
        raise ParamError(f"{FILE}.yaml", f"tables.{name}", "缺少此表或格式错误（应为带日期的版本列表）")
    for i, v in enumerate(versions):
        start = v.get("from")
        end = v.get("to")
        if not isinstance(start, dt.date) or (end is not None and not isinstance(end, dt.date)):
            raise ParamError(f"{FILE}.yaml", f"tables.{name}[{i}]", "from/to 应为日期")
        if start <= day and (end is None or day <= end):
            if v.get("source") not in params.sources:
                raise ParamError(f"{FILE}.yaml", f"tables.{name}[{i}].source", f"来源“{v.get('source')}”未在 sources 中登记")
            return v
    raise LookupError(f"{FILE}.yaml 表 {name} 在 {day.isoformat()} 没有适用版本")


def _maybe_version(params: Params, name: str, day: dt.date) -> dict | None:
    try:
        return _version(params, name, day)
    except LookupError:
        return None


def _src(v: dict) -> str:
    return f"{v['source']} {v.get('ref', '')}".strip()


def band_table(params: Params, name: str, day: dt.date, key: str = "bands") -> BandTable:
    v = _version(params, name, day)
    bands = []
    for i, b in enumerate(v.get(key) or []):
        if not isinstance(b, dict) or "min" not in b or "score" not in b or not isinstance(b["score"], int):
            raise ParamError(f"{FILE}.yaml", f"tables.{name}.{key}[{i}]", "应为 {min, score}")
        bands.append(Band(Fraction(str(b["min"])), b["score"]))
    if not bands or bands[-1].min != 0 or any(a.min <= b.min or a.score < b.score for a, b in zip(bands, bands[1:])):
        raise ParamError(f"{FILE}.yaml", f"tables.{name}.{key}", "档次应自高至低排列，最后一档 min 为 0")
    return BandTable(name, tuple(bands), _src(v), tuple(v.get("interpretations", ()) or ()))


# --------------------------------------------------------------------------- results

@dataclass
class Condition:
    id: str
    name: str
    status: str                     # pass | fail | unknown
    value: object = None
    threshold: object = None
    text: str = ""
    source: str = ""
    interpretations: tuple = ()
    parts: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "status": self.status,
                "ok": None if self.status == UNKNOWN else self.status == PASS,
                "value": self.value, "threshold": self.threshold, "text": self.text, "source": self.source,
                "interpretations": list(self.interpretations), "parts": self.parts}


@dataclass
class Indicator:
    id: str                         # staff | rd_sales | rd_cost | ip
    name: str
    score: int | None               # None: unknown
    value: object = None            # ratio (Fraction) or count
    numerator: int | None = None    # persons, or 分 when ``money``
    denominator: int | None = None
    text: str = ""
    source: str = ""
    interpretations: tuple = ()
    range: tuple = (0, 0)           # (min, max) possible score
    money: bool = False             # numerator / denominator are amounts in 分

    def as_dict(self) -> dict:
        val = self.value
        if isinstance(val, Fraction):
            val = ratio_str(val, 6)

        def show(x):
            return fen_str(x) if self.money and x is not None else x
        return {"id": self.id, "name": self.name, "score": self.score, "value": val,
                "numerator": show(self.numerator), "denominator": show(self.denominator), "text": self.text,
                "source": self.source, "interpretations": list(self.interpretations), "range": list(self.range)}


@dataclass
class Route:
    id: str
    label: str
    status: bool | None
    text: str
    source: str

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "ok": self.status, "text": self.text, "source": self.source}


@dataclass
class TechSmeEvaluation:
    year: int                       # evaluation year
    data_year: int                  # year − 1 (AI-24)
    eligible: bool | None
    score: int | None               # None while an indicator is unknown (see score_range)
    score_range: tuple
    staff_score: int | None
    rd_score: int | None
    rd_option: str | None           # "sales" (研发费用/销售收入) | "cost" (研发费用/成本费用支出总额)
    ip_score: int | None
    direct_pass: str | None         # route id or None
    conditions: list                # [Condition] T1 … T5
    indicators: dict                # id → Indicator
    routes: list                    # [Route]
    next_band: list                 # [dict] hints
    advisories: list                # [str] AI-23
    notes: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    interpretations: set = field(default_factory=set)
    sources: list = field(default_factory=list)
    registered: bool = False        # a 入库登记编号 of this year is on file
    rd_amount: int | None = None    # 分
    rd_basis: str = ""

    def condition(self, cid: str) -> Condition:
        return next(c for c in self.conditions if c.id == cid)

    @property
    def verdict_text(self) -> str:
        if self.eligible is True:
            if self.direct_pass:
                return f"符合科技型中小企业条件（直接认定：{ROUTE_NAMES.get(self.direct_pass, self.direct_pass)}）"
            return f"符合科技型中小企业条件（综合评分{self.score}分）" if self.score is not None else "符合科技型中小企业条件"
        if self.eligible is False:
            failed = [c for c in self.conditions if c.status == FAIL]
            return "不符合科技型中小企业条件：" + "；".join(
                f"{c.id} " + ("；".join(p["text"] for p in c.parts if p["ok"] is False) if c.parts else c.text) for c in failed)
        unknown = [f"{c.id} {c.text}" for c in self.conditions if c.status == UNKNOWN]
        if not unknown:
            unknown = ["T5 " + self.condition("T5").text,
                       "直接认定条件未填：" + "、".join(r.label for r in self.routes if r.status is None)]
        return "无法判断（资料不全）：" + "；".join(unknown)

    def as_dict(self) -> dict:
        return {"eligible": self.eligible, "verdict": self.verdict_text, "year": self.year, "data_year": self.data_year,
                "registered": self.registered, "score": self.score, "score_range": list(self.score_range),
                "staff_score": self.staff_score, "rd_score": self.rd_score, "rd_option": self.rd_option,
                "rd_sales_score": self.indicators["rd_sales"].score, "rd_cost_score": self.indicators["rd_cost"].score,
                "ip_score": self.ip_score, "direct_pass": self.direct_pass,
                "rd_amount": None if self.rd_amount is None else fen_str(self.rd_amount), "rd_basis": self.rd_basis,
                "conditions": [c.as_dict() for c in self.conditions],
                "indicators": {k: v.as_dict() for k, v in self.indicators.items()},
                "direct_routes": [r.as_dict() for r in self.routes],
                "next_band": self.next_band, "advisories": self.advisories, "notes": self.notes,
                "interpretations": sorted(self.interpretations)}


# --------------------------------------------------------------------------- the evaluation

def _anniversary(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:                       # 29 February
        return dt.date(day.year + years, 3, 1)


def _rd_figure(ledger: Ledger, data_year: int, engine: SuperDeductionEngine, notes: list, ais: set):
    """(R&D 分 | None, basis text, SDResult | None) — the super-deduction view (国科发政〔2017〕115号第九条第（三）项; AI-APP-08)."""
    row = ledger.year_row(data_year)
    rd_super = row.get("rd_super") if row else None
    has_lines = data_year in line_columns(ledger).years
    sd = engine.compute(data_year) if has_lines else None
    ais.add("AI-APP-08")
    if sd is not None and sd.eligible:
        if rd_super is not None and rd_super != sd.rows.get("R40", 0):
            notes.append(f"{data_year}年度有研发支出明细，研发费用按A107012第40行计算，年度数据“研发费用（加计扣除口径）”{fen_display(rd_super)}元未使用")
        return sd.rows.get("R40", 0), f"{data_year}年度A107012第40行“年度研发费用小计”", sd
    if rd_super is not None:
        if sd is not None:
            notes.append(f"{data_year}年度不适用加计扣除（{sd.reason}），研发费用取年度数据“研发费用（加计扣除口径）”")
        return rd_super, f"{data_year}年度数据“研发费用（加计扣除口径）”", sd
    if sd is not None:
        return None, f"{data_year}年度不适用加计扣除（{sd.reason}），无法按加计扣除口径取得研发费用，请填写年度数据“研发费用（加计扣除口径）”", sd
    return None, f"{data_year}年度既无研发支出明细，也未填“研发费用（加计扣除口径）”", None


def tech_sme_evaluation(ledger: Ledger, year: int, params: Params | None = None,
                        sd_engine: SuperDeductionEngine | None = None, *, on: dt.date | None = None) -> TechSmeEvaluation:
    """Evaluate the enterprise as a 科技型中小企业 for evaluation year ``year`` (data year ``year − 1``).

    ``on``: the evaluation (submission) date, used only for the HNTE-certificate route; without it
    the certificate counts in its AI-14 tax years (AI-APP-11)."""
    params = params or load_params()
    engine = sd_engine or SuperDeductionEngine(ledger, params)
    day = dt.date(year, 12, 31)
    dy = year - 1
    prof, other = ledger.profile, ledger.profile.other
    row = ledger.year_row(dy)
    vals = row.values if row else {}
    ais: set[str] = {"AI-22", "AI-24"}
    notes: list[str] = []
    findings: list[Finding] = []
    srow = row.src.row if row and row.src else None

    def prow(name: str):
        return prof.rows.get(name)

    if row is None:
        findings.append(Finding(WARNING, "W_TECHSME_YEAR_MISSING",
                                f"科技型中小企业{year}年评价使用{dy}年度数据，“年度数据”中没有{dy}年度的行", "年度数据"))

    # ---- T1, T3, T4: the user's declarations
    def declared(cid: str, key: str, name: str, yes: str, no: str, ref: str) -> Condition:
        v = other.get(key)
        text = yes if v is True else no if v is False else f"未填“{name}”，无法判断"
        if v is None:
            findings.append(Finding(WARNING, "W_TECHSME_INPUT", f"科技型中小企业{cid}：未填“{name}”", "企业信息", prow(key), name))
        return Condition(cid, name, _status(v), v, True, text, f"115号 {ref}")

    t1 = declared("T1", "resident", "居民企业", "在中国境内（不含港澳台）注册的居民企业", "不是在中国境内（不含港澳台）注册的居民企业", "第六条(一)")
    t3 = declared("T3", "not_prohibited", "产品不属于禁止限制淘汰类", "产品和服务不属于国家规定的禁止、限制和淘汰类",
                  "产品或服务属于国家规定的禁止、限制和淘汰类", "第六条(三)")
    t4 = declared("T4", "no_misconduct", "无严重失信和经营异常记录",
                  "填报上一年及当年内未发生重大安全、重大质量事故和严重环境违法、科研严重失信行为，且未列入经营异常名录和严重违法失信企业名单",
                  "上一年或当年内有重大事故、严重环境违法、科研严重失信行为，或被列入经营异常名录、严重违法失信企业名单", "第六条(四)")

    # ---- T2: size (data year)
    staff_max = params.at("tech_sme_staff_max", day)
    sales_max = params.at("tech_sme_sales_max", day)
    assets_max = params.at("tech_sme_assets_max", day)
    main, oth = vals.get("main_revenue"), vals.get("other_revenue")
    sales = None if main is None else main + (oth or 0)
    if main is not None and oth is None:
        notes.append(f"{dy}年度未填其他业务收入，销售收入按主营业务收入计算")
    staff_total, staff_rd, assets = vals.get("staff_total"), vals.get("staff_rd"), vals.get("total_assets")
    parts = []

    def part(pid: str, label: str, v, limit, display, unit: str, src) -> None:
        ok = None if v is None else v <= limit
        text = f"{label}未填，无法判断" if v is None else f"{label} {display(v)}{unit} {'≤' if ok else '>'} {display(limit)}{unit}"
        parts.append({"id": pid, "ok": ok, "value": None if v is None else (fen_str(v) if unit == "元" else v),
                      "threshold": fen_str(limit) if unit == "元" else limit, "text": text, "source": str(src)})

    part("staff_total", "职工总数", staff_total, staff_max.value, str, "人", staff_max.source)
    part("sales", "年销售收入", sales, round_fen(sales_max.fraction * 100), fen_display, "元", sales_max.source)
    part("total_assets", "资产总额", assets, round_fen(assets_max.fraction * 100), fen_display, "元", assets_max.source)
    for p in parts:
        if p["ok"] is None:
            col = {"staff_total": "职工总数", "sales": "主营业务收入", "total_assets": "资产总额"}[p["id"]]
            findings.append(Finding(WARNING, "W_TECHSME_INPUT", f"科技型中小企业T2：{dy}年度未填“{col}”", "年度数据", srow, col))
    t2_ok = False if any(p["ok"] is False for p in parts) else (None if any(p["ok"] is None for p in parts) else True)
    t2 = Condition("T2", "职工总数、年销售收入、资产总额", _status(t2_ok), None, None,
                   "；".join(p["text"] for p in parts) + f"（{dy}年度数据）", f"{staff_max.source}", ("AI-24",), parts)

    # ---- indicators (国科发政〔2017〕115号第七条)
    staff_t, sales_t, cost_t = band_table(params, "staff_bands", day), band_table(params, "rd_sales_bands", day), band_table(params, "rd_cost_bands", day)
    ais.add("AI-25")
    if staff_total is None or staff_rd is None or staff_total <= 0:
        why = "职工总数为0" if staff_total is not None and staff_total <= 0 else "职工总数或科技人员数未填"
        staff_ind = Indicator("staff", "科技人员指标", None, None, staff_rd, staff_total, f"{why}，无法计算科技人员占比",
                              staff_t.source, ("AI-25",), (0, staff_t.max_score))
        if staff_rd is None:
            findings.append(Finding(WARNING, "W_TECHSME_INPUT", f"科技型中小企业：{dy}年度未填“科技人员数”", "年度数据", srow, "科技人员数"))
    else:
        r = Fraction(staff_rd) / Fraction(staff_total)
        s = staff_t.score(r)
        staff_ind = Indicator("staff", "科技人员指标", s, r, staff_rd, staff_total,
                              f"科技人员 {staff_rd} / 职工总数 {staff_total} = {_pct(r)} → {s}分", staff_t.source, ("AI-25",), (s, s))

    rd, rd_basis, sd = _rd_figure(ledger, dy, engine, notes, ais)
    if rd is None:
        findings.append(Finding(WARNING, "W_TECHSME_RD", f"科技型中小企业：{rd_basis}", "年度数据", srow, "研发费用（加计扣除口径）"))

    def rd_indicator(iid: str, name: str, table: BandTable, denom, denom_name: str, extra_ai: tuple) -> Indicator:
        if rd is None:
            return Indicator(iid, name, None, None, None, None, f"研发费用无法取得：{rd_basis}", table.source, extra_ai,
                             (0, table.max_score), True)
        if denom is None or denom <= 0:
            why = f"{denom_name}未填" if denom is None else f"{denom_name}不大于0"
            return Indicator(iid, name, None, None, rd, denom, f"{why}，无法计算", table.source, extra_ai, (0, table.max_score), True)
        r = Fraction(rd) / Fraction(denom)
        s = table.score(r)
        return Indicator(iid, name, s, r, rd, denom,
                         f"研发费用 {fen_display(rd)} 元 / {denom_name} {fen_display(denom)} 元 = {_pct(r)} → {s}分", table.source,
                         extra_ai, (s, s), True)

    costs = vals.get("total_costs")
    ind_a = rd_indicator("rd_sales", "研发投入指标（一）研发费用/销售收入", sales_t, sales, "销售收入", ("AI-APP-08",))
    ind_b = rd_indicator("rd_cost", "研发投入指标（二）研发费用/成本费用支出总额", cost_t, costs, "成本费用支出总额", ("AI-26", "AI-APP-08"))
    if costs is not None:
        ais.add("AI-26")
    known = [i for i in (ind_a, ind_b) if i.score is not None]
    if known:
        best = max(known, key=lambda i: (i.score, i.id == "rd_sales"))
        rd_score, rd_option = best.score, ("sales" if best.id == "rd_sales" else "cost")
        rd_range = (rd_score, rd_score)
        if ind_b.score is None and rd is not None:
            notes.append("成本费用支出总额未填或不大于0：研发投入指标按（一）研发费用/销售收入计算；填写后可比较（二）（AI-26）")
        if ind_a.score is None and rd is not None:
            notes.append("销售收入未填或不大于0：研发投入指标按（二）研发费用/成本费用支出总额计算")
    else:
        rd_score, rd_option, rd_range = None, None, (0, RD_MAX_SCORE)

    ipv = _version(params, "ip_bands", day)
    ip_t = band_table(params, "ip_bands", day, "class2_bands")
    c1_min, c1_score = int(ipv["class1_min"]), int(ipv["class1_score"])
    c1 = other.get("ip_class1")
    c2 = other.get("ip_class2_sme")
    c2_basis = "Ⅱ类知识产权数量（科技型中小企业口径）"
    if c2 is None and other.get("ip_class2") is not None:
        c2, c2_basis = other.get("ip_class2"), "Ⅱ类知识产权数量（高企口径，AI-APP-12）"
        ais.add("AI-APP-12")
        notes.append("未填科技型中小企业口径的Ⅱ类知识产权数量，按“Ⅱ类知识产权数量”计算，可能偏低（AI-APP-12）")
    ip_src = _src(ipv)
    if c1 is not None and c1 >= c1_min:
        ip_ind = Indicator("ip", "科技成果指标", c1_score, c1, None, None, f"Ⅰ类知识产权 {c1} 项 → {c1_score}分", ip_src, (), (c1_score, c1_score))
    elif c1 is not None and c2 is not None:
        s = ip_t.score(Fraction(c2))
        ip_ind = Indicator("ip", "科技成果指标", s, c2, None, None, f"无Ⅰ类知识产权，{c2_basis} {c2} 项 → {s}分", ip_src,
                           ("AI-APP-12",) if "AI-APP-12" in c2_basis else (), (s, s))
    else:
        lo = ip_t.score(Fraction(c2)) if c2 is not None else 0
        hi = c1_score if c1 is None else ip_t.max_score
        missing = "、".join(n for n, v in (("Ⅰ类知识产权数量", c1), ("Ⅱ类知识产权数量", c2)) if v is None)
        ip_ind = Indicator("ip", "科技成果指标", None, None, None, None, f"{missing}未填，无法计算", ip_src, (), (lo, hi))
        findings.append(Finding(WARNING, "W_TECHSME_INPUT", f"科技型中小企业：未填“{missing}”", "企业信息",
                                prow("ip_class1" if c1 is None else "ip_class2_sme"), missing))

    indicators = {"staff": staff_ind, "rd_sales": ind_a, "rd_cost": ind_b, "ip": ip_ind}
    lo = staff_ind.range[0] + rd_range[0] + ip_ind.range[0]
    hi = staff_ind.range[1] + rd_range[1] + ip_ind.range[1]
    all_known = staff_ind.score is not None and rd_score is not None and ip_ind.score is not None
    score = lo if all_known else None
    pass_e = params.at("tech_sme_pass_score", day)
    need = int(pass_e.value)
    if staff_ind.score == 0:
        t5_ok, t5_text = False, f"科技人员指标得0分（科技人员占比{_pct(staff_ind.value)}，低于10%），不得通过评价"
    elif all_known:
        t5_ok = score >= need
        t5_text = f"综合得分 {score}分 = 科技人员 {staff_ind.score} + 研发投入 {rd_score} + 科技成果 {ip_ind.score}，{'≥' if t5_ok else '<'} {need}分" \
            + ("，科技人员指标不为0分" if t5_ok else "")
    elif hi < need:
        t5_ok, t5_text = False, f"综合得分最高 {hi}分 < {need}分（部分指标未知）"
    elif lo >= need and staff_ind.score is not None and staff_ind.score > 0:
        t5_ok, t5_text = True, f"综合得分至少 {lo}分 ≥ {need}分（部分指标未知）"
    else:
        t5_ok, t5_text = None, f"综合得分 {lo}—{hi}分，部分指标未知，无法判断"
    t5 = Condition("T5", "综合评价得分", _status(t5_ok), score if all_known else [lo, hi], need,
                   t5_text, str(pass_e.source), ())

    # ---- direct routes (国科发政〔2017〕115号第八条)
    rv = _version(params, "direct_routes", day)
    routes: list[Route] = []
    chosen = prof.hnte_certificate_for(on.year if on is not None else year)
    cert = chosen[1] if chosen else None
    for r in rv.get("routes") or []:
        rid, label, src = r["id"], r["label"], f"{rv['source']} {r.get('ref', '')}".strip()
        if rid == "hnte_certificate":
            if cert is None:
                routes.append(Route(rid, label, False, "未填高新技术企业证书", src))
                continue
            years = params.maybe_at("hnte_certificate_years", dt.date(cert.year, 12, 31))
            if years is None:           # a date no dated rule covers: refused at import (E_HNTE_CERT_DATE)
                routes.append(Route(rid, label, False, f"高新技术企业证书发证日期{cert.isoformat()}无法核对", src))
                continue
            ais.add("AI-APP-11")
            expiry = _anniversary(cert, years.value)
            if on is not None:
                ok = cert <= on < expiry
                routes.append(Route(rid, label, ok, f"高新技术企业证书发证日期{cert.isoformat()}，有效期至{(expiry - dt.timedelta(days=1)).isoformat()}；"
                                    f"评价日期{on.isoformat()}{'在' if ok else '不在'}有效期内", src))
            else:
                ais.add("AI-14")
                ok = year in hnte_years(ledger, params)
                text = f"高新技术企业证书发证日期{cert.isoformat()}，覆盖{cert.year}—{cert.year + 2}纳税年度（AI-14）"
                if ok:
                    text += f"，{year}年在有效期内（AI-APP-11）"
                elif cert.year <= year < expiry.year + 1:
                    text += f"；证书于{(expiry - dt.timedelta(days=1)).isoformat()}到期，到期前提交评价可直接认定（AI-APP-11）"
                else:
                    text += f"，{year}年不在有效期内"
                routes.append(Route(rid, label, ok, text, src))
        else:
            v = other.get(rid)
            text = "是" if v is True else "否" if v is False else "未填"
            routes.append(Route(rid, label, v, f"{label}：{text}", src))
    direct = next((r.id for r in routes if r.status is True), None)
    routes_unknown = [r for r in routes if r.status is None]

    # ---- overall (§6.5)
    basic = [t1, t2, t3, t4]
    if any(c.status == FAIL for c in basic):
        eligible = False
    elif any(c.status == UNKNOWN for c in basic):
        eligible = None
    elif direct is not None or t5.status == PASS:
        eligible = True
    elif t5.status == FAIL and not routes_unknown:
        eligible = False
    else:
        eligible = None
    if t5.status != PASS and direct is None and routes_unknown:
        notes.append("直接认定条件未填：" + "、".join(r.label for r in routes_unknown) + "；如具备任一条件，可不经评分直接认定")
    if direct is not None:
        notes.append(f"具备直接认定条件（{ROUTE_NAMES.get(direct, direct)}），综合得分仅供参考"
                     + ("" if eligible is not False else "；但基本条件T1—T4未全部满足，不能直接认定"))

    # ---- distance to the next band (AI-APP-13)
    hints = _hints(staff_ind, staff_t, ind_a, sales_t, ind_b, cost_t, ip_ind, ip_t, c1, c2, c1_score, rd, rd_score, score, need)
    if hints:
        ais.add("AI-APP-13")

    # ---- 67号 entry conditions (AI-23): gates with pass / fail / unknown, texts and basis from the data
    advisories: list[str] = []
    entry = _maybe_version(params, "entry_conditions", day)
    entry_conditions: list[Condition] = []
    if entry is not None:
        ais.add("AI-23")
        flags = sd.flags if sd is not None else engine.compute(dy).flags if dy >= 2016 else None
        has_lines = dy in line_columns(ledger).years
        for c in entry.get("conditions") or ():
            key = None
            if c["check"] == "collection_and_ledger":
                declared_ok = other.get("rd_accurate")
                if prof.collection == "核定征收":
                    status = FAIL
                elif declared_ok is not None:
                    status, key = (PASS, "pass_declared") if declared_ok else (FAIL, "fail_declared")
                else:
                    status = PASS if has_lines else UNKNOWN
                if status == UNKNOWN:
                    findings.append(Finding(WARNING, "W_TECHSME_INPUT", f"科技型中小企业{c['id']}：未填“能够准确归集研发费用”",
                                            "企业信息", prow("rd_accurate"), "能够准确归集研发费用"))
            elif c["check"] == "industry_not_excluded":
                status = UNKNOWN if flags is None or not ledger.profile.industry_code else FAIL if flags.negative_list else PASS
            else:
                raise ValueError(f"unknown 67号 check {c['check']}")
            text = str(c[key or status]).format(year=dy)
            entry_conditions.append(Condition(c["id"], c["name"], status, None, True, text,
                                              f"{entry['source']} {c.get('ref', entry.get('ref', ''))}".strip(),
                                              tuple(entry.get("interpretations") or ())))
        if any(c.status == FAIL for c in entry_conditions):
            eligible = False
        elif eligible is True and any(c.status == UNKNOWN for c in entry_conditions):
            eligible = None

    registered = any(tech_sme_covers(n, year) for n in prof.tech_sme_nos)
    if registered:
        findings.append(Finding(INFO, "I_TECHSME_REGISTERED", f"已填写{year}年度科技型中小企业入库登记编号", "企业信息", prow("tech_sme_no")))
    for ind in indicators.values():
        ais |= set(ind.interpretations)
    sources = sorted({str(staff_max.source), staff_t.source, sales_t.source, cost_t.source, ip_src, str(pass_e.source), _src(rv)})
    return TechSmeEvaluation(year, dy, eligible, score, (lo, hi), staff_ind.score, rd_score, rd_option, ip_ind.score, direct,
                             [t1, t2, t3, t4, t5, *entry_conditions], indicators, routes, hints, advisories, notes,
                             findings, ais, sources,
                             registered, rd, rd_basis)


def _hints(staff_ind, staff_t, ind_a, sales_t, ind_b, cost_t, ip_ind, ip_t, c1, c2, c1_score, rd, rd_score, score, need) -> list[dict]:
    """The exact, minimal distance of each known indicator to the band above its present score."""
    hints: list[dict] = []
    if staff_ind.score is not None:
        band = staff_t.next_above(staff_ind.score)
        if band is not None:
            rd_n, total = Fraction(staff_ind.numerator), Fraction(staff_ind.denominator)
            t = band.min
            hires = max(1, _ceil((t * total - rd_n) / (1 - t)))          # (rd + x) / (total + x) ≥ t
            moves = max(1, _ceil(t * total - rd_n))                      # (rd + y) / total ≥ t
            # the actual gain (a small headcount may jump more than one band)
            gain = staff_t.score((rd_n + hires) / (total + hires)) - staff_ind.score
            gain_t = staff_t.score((rd_n + moves) / total) - staff_ind.score
            hints.append({"indicator": "staff", "option": None, "current": _pct(staff_ind.value), "target": _pct(t),
                          "gain": gain, "gain_by_transfer": gain_t, "persons": hires, "persons_by_transfer": moves,
                          "amount": None, "items": None,
                          "text": f"科技人员占比{_pct(staff_ind.value)}：达到{_pct(t)}档（+{gain}分）需增加{hires}名科技人员"
                                  "（职工总数相应增加）"})
    if rd is not None and rd_score is not None:
        for ind, table, option, label in ((ind_a, sales_t, "sales", "研发费用/销售收入"), (ind_b, cost_t, "cost", "研发费用/成本费用支出总额")):
            if ind.score is None:
                continue
            band = table.next_above(rd_score)
            if band is None:
                continue
            t = band.min
            denom = Fraction(ind.denominator)                                  # 分
            if option == "sales":
                extra = _ceil(t * denom - rd)                                  # rd + e ≥ t · sales
            else:
                extra = _ceil((t * denom - rd) / (1 - t))                      # (rd + e) / (cost + e) ≥ t
            extra = max(1, extra)
            # the actual new R&D score: the R&D added also enters 成本费用支出总额 (AI-26), not the sales
            after = [sales_t.score((rd + extra) / Fraction(ind_a.denominator))] if ind_a.score is not None else []
            if ind_b.score is not None:
                after.append(cost_t.score(Fraction(rd + extra, ind_b.denominator + extra)))
            gain = max(after) - rd_score
            hints.append({"indicator": "rd", "option": option, "current": _pct(ind.value), "target": _pct(t),
                          "gain": gain, "persons": None, "persons_by_transfer": None, "amount": fen_str(extra), "items": None,
                          "text": f"研发投入占比（{label}）{_pct(ind.value)}：达到{_pct(t)}档需增加研发费用¥{fen_display(extra)}"
                                  f"（研发投入指标{rd_score + gain}分，+{gain}分）"})
    if ip_ind.score is not None and ip_ind.score < c1_score:
        band = ip_t.next_above(ip_ind.score)
        if band is not None and band.score < c1_score and c2 is not None:
            more = int(band.min) - int(c2)
            gain = band.score - ip_ind.score
            hints.append({"indicator": "ip", "option": "class2", "current": str(c2), "target": str(int(band.min)),
                          "gain": gain, "persons": None, "persons_by_transfer": None, "amount": None, "items": more,
                          "text": f"Ⅱ类知识产权{c2}项：达到{int(band.min)}项档（+{gain}分）需再获得{more}项"})
        hints.append({"indicator": "ip", "option": "class1", "current": str(c1 or 0), "target": "1",
                      "gain": c1_score - ip_ind.score, "persons": None, "persons_by_transfer": None, "amount": None, "items": 1,
                      "text": f"获得1项Ⅰ类知识产权可得{c1_score}分（+{c1_score - ip_ind.score}分）"})
    if score is not None and score < need:
        hints.append({"indicator": "score", "option": None, "current": str(score), "target": str(need), "gain": need - score,
                      "persons": None, "persons_by_transfer": None, "amount": None, "items": None,
                      "text": f"综合得分{score}分，距{need}分还差{need - score}分"})
    return hints
