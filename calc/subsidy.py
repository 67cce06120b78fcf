"""Regional R&D post-subsidy estimates from rule packs (post_subsidy.md).

* :data:`FACTS` — the one table of canonical fact names (Chinese label, kind, where each comes from).
* :func:`facts_from_values` — the caller (evaluate.py) builds a :class:`Facts` from the ledger and the
  workbook; a missing fact is simply absent and makes the gate/component "需要：…", never 0.
* :func:`load_packs` / :func:`list_packs` / :func:`get_pack` — shipped packs (``resources/packs``) and the
  advisor's own (:func:`calc.rulepack.user_pack_dir`), validated.
* :func:`estimate` — one pack, one award year → :class:`SubsidyEstimate` with a per-component trace
  (base and its source, rate, rounding, floor, cap, minimum), the total and its kind, assumptions, flags
  and sources; :meth:`SubsidyEstimate.as_json` gives the interfaces.md shape.

Money is integer 分 at the edges and ``Fraction`` of 分 in between; each final figure is rounded once
to the 分 (ROUND_HALF_UP) — post_subsidy.md PS-AI01: no other rounding unless the pack states one.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping

from .money import fen_str, ratio_str, round_fen, split_largest_remainder, to_fraction
from .rulepack import (BASE_CODES, CONFIDENCE, LEVELS, PACK_STATUS, PACKS_DIR, STATUS_LABELS, WAN, YEARLY, Band,
                       Component,
                       Cond, Gate, Quantity, RulePack, RulePackError, Val, _pct, merge_component,
                       override_patch, pack_files, read_pack, user_pack_dir)

__all__ = [
    "FACTS", "FactDef", "FactValue", "Facts", "facts_from_values", "load_packs", "list_packs", "get_pack", "PackInfo",
    "estimate", "SubsidyEstimate", "ComponentResult", "GateResult", "RulePack", "RulePackError", "user_pack_dir",
    "APP_FLAGS", "run_examples", "KIND_LABELS", "STATUS_LABELS", "law_data_as_of", "offered_packs",
    "PACK_TABLE_HEADS", "current_award_year",
]

# --------------------------------------------------------------------------- the canonical facts


@dataclass(frozen=True)
class FactDef:
    name: str
    label: str
    kind: str          # money (int 分) | ratio (Fraction) | bool | count (int) | rank (int, 1 = first)
    origin: str        # ledger | yearly | profile | user
    scope: str         # year | enterprise
    hint: str          # where the caller takes it from


_F = FactDef
FACTS: dict[str, FactDef] = {f.name: f for f in (
    # -- from the ledger (computed by the super-deduction engine for the data year) --------------------
    _F("rd_super", "享受加计扣除的研发费用", "money", "ledger", "year",
       "账簿计算：该年度A107012第40行（AI-APP-PS01）；无明细账的年度取“年度数据”研发费用（加计扣除口径）"),
    _F("extra_deduction", "研发费用加计扣除额", "money", "ledger", "year",
       "账簿计算：该年度A107012第51行"),
    _F("rd_accounting", "研发费用（会计口径）", "money", "ledger", "year", "账簿计算：研发支出会计金额合计（费用化+资本化）"),
    _F("rd_hnte", "研发费用（高新技术企业认定口径）", "money", "ledger", "year",
       "账簿计算：高企口径研发费用；或“年度数据”研发费用（高企口径）"),
    _F("sd_claimed", "已享受研发费用加计扣除", "bool", "ledger", "year",
       "账簿计算：该年度A107012第51行大于0视为已享受；用户可改为“否”"),
    _F("hnte_rate_elected", "当年享受高新技术企业15%优惠税率", "bool", "ledger", "year",
       "所得税计算：该年度选择的税率方式为高新技术企业"),
    # -- yearly figures (sheet 年度数据, or new columns there) --------------------------------------------
    _F("main_revenue", "主营业务收入", "money", "yearly", "year", "年度数据：主营业务收入"),
    _F("other_revenue", "其他业务收入", "money", "yearly", "year", "年度数据：其他业务收入"),
    _F("sales_revenue", "销售收入（营业收入）", "money", "yearly", "year",
       "由主营业务收入与其他业务收入相加（facts_from_values 自动计算）"),
    _F("rd_stats", "研发经费支出（统计口径，企业一套表）", "money", "yearly", "year", "年度数据（建议新增列）：统计口径研发经费支出"),
    _F("rd_audited", "研发费用专项审计报告审定金额", "money", "yearly", "year", "年度数据（建议新增列）：专项审计研发费用"),
    _F("rd_tax_feedback", "税务部门反馈的研发费用", "money", "yearly", "year", "年度数据（建议新增列）：税务反馈研发费用"),
    _F("rd_declared", "申报的研发费用", "money", "yearly", "year", "年度数据（建议新增列）：申报研发费用；缺省时规则包可改用账簿数"),
    _F("ic_special_deduction", "集成电路专项审定费用", "money", "yearly", "year", "用户填写（仅获集成电路专项资助的企业）"),
    _F("other_subsidy", "已获得的其他研发补助", "money", "yearly", "year", "用户填写"),
    _F("financing_valuation", "最近一轮融资估值", "money", "yearly", "year", "用户填写"),
    # -- statuses and filings of the year (profile / user) ------------------------------------------------
    _F("hnte_certified", "国家高新技术企业（该年度证书有效）", "bool", "profile", "year",
       "企业信息：高新技术企业证书发证日期（有效期3年）"),
    _F("first_time_hnte", "该年度首次认定为高新技术企业", "bool", "profile", "year",
       "企业信息：证书发证年度为该年度且此前未认定（用户确认）"),
    _F("tech_sme", "科技型中小企业（该年度入库）", "bool", "profile", "year", "企业信息：科技型中小企业入库登记编号"),
    _F("sme", "中小微企业", "bool", "user", "year", "用户填写，或按职工人数、收入、资产判断"),
    _F("above_scale", "规模以上企业（纳入统计的规上企业）", "bool", "user", "year", "用户填写"),
    _F("first_above_scale", "该年度首次纳入规模以上企业（首次入规）", "bool", "user", "year", "用户填写"),
    _F("industrial", "工业企业（国民经济行业门类B、C、D）", "bool", "profile", "enterprise", "企业信息：所属行业代码首字母为B、C或D"),
    _F("manufacturing", "制造业企业（行业门类C）", "bool", "profile", "enterprise", "企业信息：所属行业代码首字母为C"),
    _F("ic_enterprise", "集成电路企业", "bool", "user", "year", "用户填写（可参考企业信息“集成电路或工业母机企业”）"),
    _F("zhuanjingtexin", "省级专精特新中小企业", "bool", "user", "year", "用户填写"),
    _F("little_giant", "国家级专精特新“小巨人”企业", "bool", "user", "year", "用户填写"),
    _F("key_hitech_field", "属于本省重点高新技术领域", "bool", "user", "year", "用户填写"),
    _F("stats_filed", "已报送研发活动统计报表", "bool", "user", "year", "用户填写"),
    _F("rd_reserve_filed", "已建立研发准备金制度并备案", "bool", "user", "year", "用户填写"),
    _F("rd_budget_filed", "已建立研发经费预算管理制度并备案当年研发投入预算", "bool", "user", "year", "用户填写"),
    _F("internal_rd_institution", "设有内部研发机构", "bool", "user", "year", "用户填写"),
    _F("ip_recent", "近三年获得与主要产品相关的知识产权", "bool", "user", "year", "用户填写（参考企业信息Ⅰ类/Ⅱ类知识产权数量）"),
    _F("national_rd_platform", "拥有国家级研发平台", "bool", "user", "year", "用户填写"),
    _F("provincial_rd_platform", "拥有省级研发平台", "bool", "user", "year", "用户填写"),
    _F("provincial_rd_platform_excellent", "省级研发平台考核优秀", "bool", "user", "year", "用户填写"),
    _F("rd_rank", "研发投入排名（名次）", "rank", "user", "year", "用户填写"),
    _F("rd_growth_rank", "研发投入增长率排名（名次）", "rank", "user", "year", "用户填写"),
    # -- the enterprise ------------------------------------------------------------------------------------
    _F("independent_legal_person", "具有独立法人资格", "bool", "user", "enterprise", "用户填写"),
    _F("good_credit", "信用良好，无重大违法违规和严重失信记录", "bool", "user", "enterprise", "用户填写"),
    _F("research_integrity", "科研诚信良好，无科研失信记录", "bool", "user", "enterprise", "用户填写"),
    _F("safety_env_ok", "近三年无较大及以上安全事故，环境信用良好", "bool", "user", "enterprise", "用户填写"),
)}

APP_FLAGS = {
    "AI-APP-PS01": "“享受加计扣除的研发费用”（基数B1）取A107012第40行“年度研发费用小计”（2+36×80%+38，加计扣除口径、"
                   "乘以加计比例之前）；加计扣除额（B2）取第51行",
    "AI-APP-PS02": "用户或规则包录入某年度公布的补助比例后，按该比例计算，不再视为“最高”上限",
    "AI-APP-PS03": "选用某地区规则包即视为企业注册地在该地区",
}
KIND_LABELS = {"exact": "估算", "provisional": "暂定估算", "up_to": "最高可得", "range": "区间", "conditional": "附条件",
               "not_computable": "无法计算"}
# "provisional": the arithmetic is exact but the rules are not verified for this award year (issue 16)
_KIND_ORDER = ["exact", "provisional", "up_to", "range", "conditional", "not_computable"]


@dataclass(frozen=True)
class FactValue:
    value: Any
    source: str = ""


class Facts:
    """Named values per year plus enterprise-level values, each with its source."""

    def __init__(self, by_year: Mapping[int, Mapping[str, FactValue]] | None = None,
                 enterprise: Mapping[str, FactValue] | None = None):
        self._years = {int(y): dict(v) for y, v in (by_year or {}).items()}
        self._ent = dict(enterprise or {})

    @property
    def years(self) -> list[int]:
        return sorted(self._years)

    @property
    def latest_year(self) -> int | None:
        return max(self._years) if self._years else None

    def get(self, name: str, year: int) -> FactValue | None:
        v = self._years.get(year, {}).get(name)
        if v is None:
            v = self._ent.get(name)
        return v

    def year(self, y: int) -> dict[str, Any]:
        """The plain values valid for year ``y`` (enterprise-level ones included)."""
        out = {k: v.value for k, v in self._ent.items()}
        out.update({k: v.value for k, v in self._years.get(y, {}).items()})
        return out

    @property
    def enterprise(self) -> dict[str, Any]:
        return {k: v.value for k, v in self._ent.items()}


def _coerce(name: str, value: Any, kind: str | None, where: str) -> Any:
    if kind == "money":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}{name}: 金额须为整数“分”（int），收到 {value!r}")
        return value
    if kind == "ratio":
        if isinstance(value, bool):
            raise ValueError(f"{where}{name}: 比例不能是是/否")
        if isinstance(value, str):
            t = value.strip()
            return to_fraction(t[:-1]) / 100 if t.endswith("%") else to_fraction(t)
        if isinstance(value, (int, Fraction, Decimal)):
            return Fraction(value)
        raise ValueError(f"{where}{name}: 比例须为 Fraction、Decimal 或文字，收到 {value!r}")
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where}{name}: 须为 True/False，收到 {value!r}")
        return value
    if kind in ("count", "rank"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where}{name}: 须为非负整数，收到 {value!r}")
        return value
    if isinstance(value, float):
        raise ValueError(f"{where}{name}: 不接受二进制浮点数，请用 int 分或 Fraction")
    return value


def _fact_values(values: Mapping[str, Any], where: str) -> dict[str, FactValue]:
    out: dict[str, FactValue] = {}
    for name, raw in (values or {}).items():
        if raw is None:
            continue
        if isinstance(raw, FactValue):
            value, source = raw.value, raw.source
        elif isinstance(raw, tuple) and len(raw) == 2 and isinstance(raw[1], str):
            value, source = raw
        else:
            value, source = raw, ""
        if value is None:
            continue
        d = FACTS.get(name)
        out[name] = FactValue(_coerce(name, value, d.kind if d else None, where),
                              source or (d.hint.split("；")[0] if d else "用户填写"))
    return out


def facts_from_values(by_year: Mapping[int, Mapping[str, Any]], enterprise: Mapping[str, Any] | None = None) -> Facts:
    """Build :class:`Facts` from plain values (``value`` or ``(value, source)`` or :class:`FactValue`).

    Money is int 分, ratios Fraction (or ``"3%"``), booleans bool, counts/ranks int; a float is refused.
    Names outside :data:`FACTS` are kept for packs that declare them.  ``sales_revenue`` is derived as
    主营业务收入 + 其他业务收入 when not given (其他业务收入 missing → counted as 0, said in its source).
    """
    years: dict[int, dict[str, FactValue]] = {}
    for y, vals in (by_year or {}).items():
        fv = _fact_values(vals, f"{y}年度 ")
        if "sales_revenue" not in fv and "main_revenue" in fv:
            main = fv["main_revenue"]
            other = fv.get("other_revenue")
            total = main.value + (other.value if other else 0)
            note = "主营业务收入 + 其他业务收入" if other else "主营业务收入（其他业务收入未填，按0计）"
            fv["sales_revenue"] = FactValue(total, note)
        years[int(y)] = fv
    return Facts(years, _fact_values(enterprise or {}, "企业 "))


# --------------------------------------------------------------------------- loading


# the column heads of ``main.py packs`` (PackInfo.line)
PACK_TABLE_HEADS = ("编号", "地区", "政策（文号）", "适用奖补年度", "可信度", "核实范围", "状态", "核对日期", "说明")


@dataclass(frozen=True)
class PackInfo:
    id: str
    title: str
    region: str
    level: str
    period: str
    confidence: str
    doc_number: str
    version: int
    origin: str
    path: str
    verified: str = ""            # the verified window in words
    reviewed_on: str = ""
    status: str = ""              # verified | provisional | retired | outside, for ``award_year``
    status_text: str = ""         # Chinese, with the reason
    award_year: int | None = None
    issuer: str = ""

    @property
    def line(self) -> str:
        conf = CONFIDENCE.get(self.confidence, self.confidence)
        doc = f"（{self.doc_number}）" if self.doc_number else ""
        user = "［自定义］" if self.origin == "user" else ""
        note = self.status_text.split(" — ", 1)[1] if " — " in self.status_text else self.status_text
        return (f"{self.id}\t{self.region}\t{self.title}{doc}\t{self.period}\t{conf}{user}\t"
                f"{self.verified}\t{STATUS_LABELS.get(self.status, self.status)}\t{self.reviewed_on or '未注明'}\t{note}")


_SHIPPED: dict[Path, dict[str, RulePack]] = {}


def _shipped(directory: Path = PACKS_DIR) -> dict[str, RulePack]:
    key = Path(directory).resolve()
    if key not in _SHIPPED:
        packs: dict[str, RulePack] = {}
        for f in pack_files(key):
            p = read_pack(f, FACTS, origin="shipped")
            packs[p.pack_id] = p
        _SHIPPED[key] = packs
    return _SHIPPED[key]


def load_packs(extra_dirs: Iterable[str | Path] = (), *, errors: list | None = None,
               include_user: bool = True) -> dict[str, RulePack]:
    """Shipped packs plus the user folder (and ``extra_dirs``), all validated.

    A user pack with the id of one already loaded replaces it only with a higher ``version``; otherwise
    it is an error.  With ``errors`` (a list), a bad user pack is skipped and its :class:`RulePackError`
    appended; without it, the error is raised.  A bad shipped pack always raises.
    """
    packs = dict(_shipped())
    dirs = ([user_pack_dir()] if include_user else []) + [Path(d) for d in extra_dirs]
    seen: set[Path] = set()
    for d in dirs:
        d = Path(d)
        if d.resolve() in seen or d.resolve() == PACKS_DIR.resolve():
            continue
        seen.add(d.resolve())
        for f in pack_files(d):
            try:
                p = read_pack(f, FACTS, origin="user")
                old = packs.get(p.pack_id)
                if old is not None and p.version <= old.version:
                    what = "内置规则包" if old.origin == "shipped" else "另一个自定义规则包"
                    raise RulePackError(f.name, "version",
                                        f"与{what}“{p.pack_id}”（version {old.version}）编号相同；"
                                        f"如要替换它，version 须大于 {old.version}")
                packs[p.pack_id] = p
            except RulePackError as exc:
                if errors is None:
                    raise
                errors.append(exc)
    return packs


def current_award_year(today=None) -> int:
    """The award year being determined now: the calendar year (awards of year N use data of N−1)."""
    import datetime as _dt
    return (today or _dt.date.today()).year


def list_packs(extra_dirs: Iterable[str | Path] = (), *, errors: list | None = None,
               award_year: int | None = None) -> list[PackInfo]:
    """id, title, region, period, confidence, verified window, ``reviewed_on`` and status of every pack
    (for ``main.py packs``); the status is for ``award_year`` (default: :func:`current_award_year`)."""
    packs = load_packs(extra_dirs, errors=errors)
    year = award_year or current_award_year()
    out = []
    for p in sorted(packs.values(), key=lambda p: p.pack_id):
        status, reason = p.freshness(year)
        out.append(PackInfo(p.pack_id, p.title, p.region, LEVELS.get(p.level, p.level), p.period_text, p.confidence,
                            p.doc_number, p.version, p.origin, str(p.path or ""), p.verified_text, p.reviewed_on,
                            status, reason, year, "、".join(p.issuer)))
    return out


def offered_packs(award_year: int, extra_dirs: Iterable[str | Path] = (), *, errors: list | None = None) -> list[PackInfo]:
    """The packs to offer for ``award_year``: retired packs are never offered for a year after their end
    (they stay loadable and compute their own years)."""
    return [i for i in list_packs(extra_dirs, errors=errors, award_year=award_year) if i.status != "retired"]


def law_data_as_of(params=None, packs: Iterable[RulePack] = ()) -> str:
    """「法规数据截至」: the **earliest** ``reviewed_on`` among the parameter files and the packs a computation
    used — law data is only as fresh as its stalest part (each pack's own date is shown with it).  "" when
    something used was never reviewed (then the caller says 未注明)."""
    dates = []
    if params is not None:
        dates += list(getattr(params, "reviewed_on", {}).values())
    dates += [p.reviewed_on for p in packs]
    if not dates or any(not d for d in dates):
        return ""
    return min(dates)


def get_pack(pack_id: str, extra_dirs: Iterable[str | Path] = ()) -> RulePack:
    packs = load_packs(extra_dirs)
    if pack_id not in packs:
        raise KeyError(f"没有编号为“{pack_id}”的后补助规则包（可用：{'、'.join(sorted(packs))}）")
    return packs[pack_id]


# --------------------------------------------------------------------------- results


@dataclass
class GateResult:
    id: str
    type: str
    label: str
    status: str                    # pass | fail | unknown
    detail: str
    effect: str = "block"
    scope: str = "pack"            # pack or a component id
    needs: list = field(default_factory=list)
    source: str = ""
    flags: tuple = ()

    def as_dict(self) -> dict:
        return {"id": self.id, "type": self.type, "label": self.label, "status": self.status, "detail": self.detail,
                "effect": self.effect, "scope": self.scope, "needs": list(self.needs)}


@dataclass
class ComponentResult:
    id: str
    label: str
    base_code: str | None = None
    base_value: Fraction | None = None          # 分 (exact)
    base_detail: str = ""
    formula: str = ""
    rate: Any = None                            # Fraction, (lo, hi) or None
    rate_text: str = ""
    raw: Fraction | None = None                 # 分, high end
    multiplied: Fraction | None = None
    rounded: Fraction | None = None
    floored: Fraction | None = None
    capped: Fraction | None = None
    amount: int | None = None                   # 分, the figure shown (ceiling for up_to, high for range)
    low: int | None = None                      # 分, low end (== amount unless range)
    kind: str = "exact"
    up_to: bool = False
    eligible: bool = True
    info_only: bool = False
    variant: str = ""
    gates: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    needs: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    assumptions: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    reason: str = ""
    cap_from: Fraction | None = None            # 分: base from which the cap binds
    floor_from: Fraction | None = None          # 分: base from which the floor is reached

    @property
    def computable(self) -> bool:
        return self.kind != "not_computable"

    def as_dict(self) -> dict:
        rate = None
        if isinstance(self.rate, tuple):
            rate = f"{ratio_str(self.rate[0], 4)}-{ratio_str(self.rate[1], 4)}"
        elif self.rate is not None:
            rate = ratio_str(self.rate, 4)
        d = {"type": self.id, "label": self.label, "base_code": self.base_code,
             "base": None if self.base_value is None else fen_str(round_fen(self.base_value)),
             "amount": None if self.amount is None else fen_str(self.amount),
             "up_to": self.up_to, "kind": self.kind, "eligible": self.eligible, "info_only": self.info_only,
             "formula": self.formula, "rate": rate, "steps": list(self.steps), "needs": list(self.needs),
             "conditions": list(self.conditions), "flags": list(self.flags), "reason": self.reason}
        for k in ("raw", "multiplied", "rounded", "floored", "capped"):
            v = getattr(self, k)
            d[k] = None if v is None else fen_str(round_fen(v))
        if self.kind == "range" and self.low is not None:
            d["low"] = fen_str(self.low)
        if self.variant:
            d["variant"] = self.variant
        for k in ("cap_from", "floor_from"):
            v = getattr(self, k)
            if v is not None:
                d[k] = fen_str(round_fen(v))
        return d


@dataclass
class SubsidyEstimate:
    pack_id: str
    region: str
    title: str
    doc_number: str
    confidence: str
    award_year: int
    data_year: int
    period: str = ""
    period_text: str = ""
    status: str = "verified"                    # verified | provisional | retired | outside (issue 16)
    status_reason: str = ""                     # Chinese
    reviewed_on: str = ""
    verified: str = ""                          # the verified window in words
    gates: list = field(default_factory=list)
    components: list = field(default_factory=list)
    combination: str = "stack"
    total: int | None = None                    # 分; None when not computable
    total_low: int | None = None
    total_kind: str = "exact"
    up_to: bool = False
    eligible: bool = True
    matching_addons: list = field(default_factory=list)     # [(level, pct Fraction|None, amount 分|None, note)]
    cost_shares: list = field(default_factory=list)         # [(level, share Fraction, amount 分)]
    payer: str = ""
    assumptions: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    flags: list = field(default_factory=list)               # [(id, text)]
    sources: list = field(default_factory=list)
    needs: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    reason: str = ""
    category: str = "subsidy"                   # subsidy | voucher | loan (calc.rulepack.CATEGORIES)
    formula_kind: str = ""                      # the kind from the arithmetic alone (before the freshness status)

    @property
    def kind(self) -> str:
        return self.total_kind

    @property
    def receipt(self) -> int | None:
        """The award plus the computed matching add-ons of lower levels (分)."""
        if self.total is None:
            return None
        return self.total + sum(a for _, _, a, _ in self.matching_addons if a is not None)

    def item(self, cid: str) -> ComponentResult:
        for c in self.components:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def as_json(self) -> dict:
        d = {"pack": self.pack_id, "title": self.title, "region": self.region, "doc_number": self.doc_number,
             "confidence": self.confidence, "period": self.period, "period_text": self.period_text,
             "award_year": self.award_year, "data_year": self.data_year,
             "status": self.status, "status_label": STATUS_LABELS.get(self.status, self.status),
             "status_reason": self.status_reason, "reviewed_on": self.reviewed_on or None,
             "verified": self.verified,
             "items": [c.as_dict() for c in self.components],
             "combination": self.combination,
             "amount": None if self.total is None else fen_str(self.total),
             "up_to": self.up_to, "kind": self.total_kind, "eligible": self.eligible,
             "gates": [g.as_dict() for g in self.gates],
             "matching": [{"level": lv, "pct": None if p is None else ratio_str(p, 4),
                           "amount": None if a is None else fen_str(a), "note": n}
                          for lv, p, a, n in self.matching_addons],
             "total_with_matching": None if self.receipt is None else fen_str(self.receipt),
             "cost_share": [{"level": lv, "share": ratio_str(s, 4), "amount": fen_str(a)} for lv, s, a in self.cost_shares],
             "payer": self.payer or None,
             "assumptions": list(self.assumptions), "warnings": list(self.warnings),
             "flags": [{"id": i, "text": t} for i, t in self.flags], "sources": list(self.sources),
             "needs": list(self.needs), "conditions": list(self.conditions), "reason": self.reason}
        if self.total_kind == "range" and self.total_low is not None:
            d["amount_low"] = fen_str(self.total_low)
        return d

    def headline(self) -> str:
        conf = "（暂定政策）" if self.confidence == "provisional" else ""
        if self.total is None:
            return f"{self.title}{conf}：无法计算 — {self.reason or '；'.join(self.needs)}"
        if self.total_kind == "range":
            amt = f"{wan(self.total_low)}～{wan(self.total)}万元"
        else:
            amt = f"{wan(self.total)}万元"
        if self.up_to:
            amt = f"最高可得 {amt}"
        if not self.eligible:
            return f"{self.title}{conf}：不符合条件（{self.reason}）"
        if self.total_kind == "conditional":
            return f"{self.title}{conf}：{amt}（附条件：{'；'.join(self.conditions)}）"
        if self.total_kind == "up_to":
            return f"{self.title}{conf}：{amt}"
        return f"{self.title}{conf}：{amt}（{KIND_LABELS[self.total_kind]}）"

    def explain(self) -> list[str]:
        """The estimate in readable Chinese lines: gates, each component's steps, total, assumptions."""
        lines = [self.headline(), f"奖补年度{self.award_year}年，数据年度{self.data_year}年；政策期间：{self.period_text}",
                 f"规则状态：{self.status_reason or STATUS_LABELS.get(self.status, self.status)}"
                 + ("" if self.reviewed_on and self.reviewed_on in self.status_reason
                    else f"（规则包核对日期：{self.reviewed_on or '未注明'}）")]
        for g in self.gates:
            lines.append(f"  条件［{_STATUS[g.status]}］{g.label}：{g.detail}")
        for c in self.components:
            head = f"  {c.id} {c.label}："
            if c.amount is None:
                lines.append(head + f"无法计算（{c.reason or '；'.join(c.needs)}）")
            elif not c.eligible:
                lines.append(head + f"不予补助（{c.reason}）")
            else:
                amt = f"{wan(c.low)}～{wan(c.amount)}" if c.kind == "range" else wan(c.amount)
                lines.append(head + f"{'最高' if c.up_to else ''}{amt}万元［{KIND_LABELS[c.kind]}］"
                             + ("（仅供参考，不计入合计）" if c.info_only else ""))
            for g in c.gates:
                lines.append(f"      条件［{_STATUS[g.status]}］{g.label}：{g.detail}")
            for s in c.steps:
                lines.append(f"      {s}")
            for s in c.conditions:
                lines.append(f"      附条件：{s}")
        for lv, p, a, n in self.matching_addons:
            lines.append(f"  配套（{lv}）：" + (f"{_pct(p)} × 奖补 = {wan(a)}万元" if a is not None else n))
        for lv, s, a in self.cost_shares:
            lines.append(f"  资金分担（{lv}）：{wan(a)}万元")
        if self.payer:
            lines.append(f"  兑付层级：{self.payer}")
        lines += [f"  假定：{a}" for a in self.assumptions]
        lines += [f"  提示：{w}" for w in self.warnings]
        lines += [f"  {i}：{t}" for i, t in self.flags]
        lines += [f"  来源：{s}" for s in self.sources]
        return lines


_STATUS = {"pass": "满足", "fail": "不满足", "unknown": "待确认"}


def wan(fen: Fraction | int | None, places: int = 4) -> str:
    """分 → 万元 text, trimmed (``"1,000"``, ``"50.75"``, ``"0.9996"``)."""
    if fen is None:
        return "—"
    q = Fraction(fen) / WAN
    scaled = round_fen(q * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**places)
    s = f"{whole:,}"
    if frac:
        s += "." + f"{frac:0{places}d}".rstrip("0")
    return sign + s


# --------------------------------------------------------------------------- evaluation


@dataclass
class _Check:
    status: str
    text: str
    needs: list = field(default_factory=list)


_SYM_PASS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
_SYM_FAIL = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠"}


def _compare(a: Fraction, op: str, b: Fraction) -> bool:
    return {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b, "==": a == b}[op]


class _Ctx:
    def __init__(self, pack: RulePack, facts: Facts, data_year: int):
        self.pack, self.facts, self.data_year = pack, facts, data_year
        self.used: dict[str, str] = {}          # "label（year）" → source
        self.tap: list[tuple[str, str]] = []    # every read, in order (for a figure's own sources)
        self.assumptions: list[str] = []

    def label(self, name: str) -> str:
        inp = self.pack.inputs.get(name)
        if inp is not None:
            return inp.label
        d = FACTS.get(name)
        return d.label if d else name

    def kind(self, name: str) -> str:
        inp = self.pack.inputs.get(name)
        return inp.kind if inp else FACTS[name].kind

    def at(self, name: str, offset: int = 0) -> str:
        return f"{self.label(name)}（{self.data_year + offset}年度）"

    def get(self, name: str, offset: int = 0) -> Any:
        y = self.data_year + offset
        fv = self.facts.get(name, y)
        if fv is None:
            inp = self.pack.inputs.get(name)
            if inp is not None and inp.fallback:
                alt = self.facts.get(inp.fallback, y)
                if alt is not None:
                    note = f"未填{self.at(name, offset)}，按{self.at(inp.fallback, offset)}计"
                    if note not in self.assumptions:
                        self.assumptions.append(note)
                    self.used[self.at(inp.fallback, offset)] = alt.source
                    self.tap.append((self.at(inp.fallback, offset), alt.source))
                    return alt.value
            return None
        self.used[self.at(name, offset)] = fv.source
        self.tap.append((self.at(name, offset), fv.source))
        return fv.value

    def fmt(self, value: Any, kind: str) -> str:
        if kind == "money":
            return f"{wan(value)}万元"
        if kind == "ratio":
            return _pct(Fraction(value))
        if kind == "rank":
            return f"第{value}名"
        return str(value)

    # -- quantities ------------------------------------------------------------------
    def quantity(self, q: Quantity) -> tuple[Fraction | None, str, list[str], bool]:
        """(value, text, needs, infinite) — ``infinite`` for a growth rate from a zero prior year."""
        if q.op == "fact":
            v = self.get(q.fact, q.year)
            if v is None:
                return None, self.at(q.fact, q.year), [self.at(q.fact, q.year)], False
            return Fraction(v), f"{self.at(q.fact, q.year)} {self.fmt(v, q.kind)}", [], False
        if q.op in ("increment", "growth_rate"):
            cur, prior = self.get(q.fact, q.year), self.get(q.fact, q.year - 1)
            needs = [self.at(q.fact, q.year + o) for o, v in ((0, cur), (-1, prior)) if v is None]
            name = self.label(q.fact)
            if needs:
                return None, f"{name}较上年的{'增长率' if q.op == 'growth_rate' else '增加额'}", needs, False
            inc = Fraction(cur) - Fraction(prior)
            k = self.kind(q.fact)
            if q.op == "increment":
                return inc, (f"{name}增加额 {self.fmt(cur, k)} − {self.fmt(prior, k)} = {self.fmt(inc, k)}"), [], False
            if prior <= 0:
                return None, f"{name}增长率（上年为0）", [], inc > 0
            rate = inc / Fraction(prior)
            return rate, f"{name}增长率 ({self.fmt(cur, k)} − {self.fmt(prior, k)}) / {self.fmt(prior, k)} = {_pct(_round4(rate))}", [], False
        # ratio
        a, b = self.get(q.fact, q.year), self.get(q.other, q.year)
        needs = [self.at(n, q.year) for n, v in ((q.fact, a), (q.other, b)) if v is None]
        text = f"{self.label(q.fact)}/{self.label(q.other)}"
        if needs:
            return None, text, needs, False
        if Fraction(b) == 0:
            return None, f"{text}（分母为0）", [], False
        r = Fraction(a) / Fraction(b)
        return r, (f"{text} = {self.fmt(a, self.kind(q.fact))} / {self.fmt(b, self.kind(q.other))} = "
                   f"{_pct(_round4(r))}"), [], False

    # -- conditions ------------------------------------------------------------------
    def cond(self, c: Cond) -> _Check:
        if c.op == "fact":
            v = self.get(c.fact, c.year)
            lab = self.label(c.fact) if c.year == 0 else self.at(c.fact, c.year)
            if v is None:
                return _Check("unknown", f"{lab}：未填写", [self.at(c.fact, c.year)])
            ok = bool(v) == c.expect
            return _Check("pass" if ok else "fail", f"{lab}：{'是' if v else '否'}")
        if c.op in ("any", "all"):
            parts = [self.cond(x) for x in c.items]
            sts = [p.status for p in parts]
            needs = [n for p in parts for n in p.needs]
            if c.op == "any":
                st = "pass" if "pass" in sts else ("fail" if all(s == "fail" for s in sts) else "unknown")
                joiner = "；或 "
            else:
                st = "fail" if "fail" in sts else ("pass" if all(s == "pass" for s in sts) else "unknown")
                joiner = "；且 "
            if st == "pass" and c.op == "any":
                shown = [p.text for p in parts if p.status == "pass"][:1]
            elif st == "fail" and c.op == "all":
                shown = [p.text for p in parts if p.status == "fail"][:1]
            else:
                shown = [p.text for p in parts]
            return _Check(st, joiner.join(shown), needs if st == "unknown" else [])
        if c.op == "not":
            inner = self.cond(c.items[0])
            st = {"pass": "fail", "fail": "pass", "unknown": "unknown"}[inner.status]
            return _Check(st, f"并非（{inner.text}）", inner.needs)
        if c.op == "cmp":
            v, text, needs, infinite = self.quantity(c.quantity)
            lim = self.fmt(c.limit.q, c.quantity.kind)
            if infinite:
                ok = c.cmp in (">", ">=")
                return _Check("pass" if ok else "fail", f"{text}：上年为0、本年增加，视为增长")
            if v is None:
                if needs:
                    return _Check("unknown", f"{text}：需要{'、'.join(needs)}", needs)
                return _Check("unknown", f"{text}：无法计算", [text])
            ok = _compare(v, c.cmp, c.limit.q)
            sym = (_SYM_PASS if ok else _SYM_FAIL)[c.cmp]
            return _Check("pass" if ok else "fail", f"{text} {sym} {lim}")
        if c.op == "history":
            missing, failed = [], []
            for o in range(-(c.years - 1), 1):
                v = self.get(c.fact, o)
                if v is None:
                    missing.append(self.at(c.fact, o))
                elif not v:
                    failed.append(self.data_year + o)
            years = f"{self.data_year - c.years + 1}—{self.data_year}年度" if c.years > 1 else f"{self.data_year}年度"
            if failed:
                return _Check("fail", f"{self.label(c.fact)}：{'、'.join(str(y) for y in failed)}年度为否")
            if missing:
                return _Check("unknown", f"{self.label(c.fact)}（{years}）：未填写", missing)
            return _Check("pass", f"{years}{'连续' if c.years > 1 else ''}{self.label(c.fact)}")
        if c.op == "rank":
            v = self.get(c.fact)
            mx = int(c.limit.q)
            if v is None:
                return _Check("unknown", f"{self.label(c.fact)}：未填写（须在前{mx}名内）", [self.at(c.fact)])
            ok = v <= mx
            return _Check("pass" if ok else "fail", f"{self.label(c.fact)}第{v}名（{'在' if ok else '不在'}前{mx}名内）")
        raise ValueError(c.op)

    def gate(self, g: Gate, scope: str) -> GateResult:
        if g.only_if is not None:
            pre = self.cond(g.only_if)
            if pre.status == "fail":
                return GateResult(g.id, g.type, g.label, "pass", f"不适用（{pre.text}）", g.effect, scope, [], g.source, g.flags)
            if pre.status == "unknown":
                chk = self.cond(g.cond)
                if chk.status == "pass":
                    return GateResult(g.id, g.type, g.label, "pass", chk.text, g.effect, scope, [], g.source, g.flags)
                return GateResult(g.id, g.type, g.label, "unknown", f"是否适用待确认（{pre.text}）；{chk.text}", g.effect,
                                  scope, pre.needs + chk.needs, g.source, g.flags)
        chk = self.cond(g.cond)
        return GateResult(g.id, g.type, g.label, chk.status, chk.text, g.effect, scope, chk.needs, g.source, g.flags)


def _round4(x: Fraction) -> Fraction:
    """For display of ratios only: to 0.01% (half-up)."""
    return Fraction(round_fen(x * 10000), 10000)


@dataclass
class _Base:
    value: Fraction | None
    text: str
    needs: list = field(default_factory=list)
    up_to: bool = False
    stock: Fraction | None = None
    inc: Fraction | None = None


def _base(ctx: _Ctx, b, r: ComponentResult) -> _Base:
    code = b.code
    label = ctx.label
    if code in ("B1", "B2", "B3"):
        v = ctx.get(b.caliber)
        if v is None:
            return _Base(None, "", [ctx.at(b.caliber)])
        return _Base(Fraction(v), f"{ctx.at(b.caliber)} {wan(v)}万元")
    if code in ("B1Δ", "B2Δ", "B3Δ") or (code == "B4" and b.cycle_years):
        back = -(b.cycle_years - 1) if code == "B4" else -1
        cur, prior = ctx.get(b.caliber), ctx.get(b.caliber, back)
        needs = [ctx.at(b.caliber, o) for o, v in ((0, cur), (back, prior)) if v is None]
        if needs:
            return _Base(None, "", needs)
        inc = Fraction(cur) - Fraction(prior)
        text = (f"{label(b.caliber)}增量：{ctx.data_year}年度 {wan(cur)}万元 − {ctx.data_year + back}年度 "
                f"{wan(prior)}万元 = {wan(inc)}万元")
        if inc <= 0:
            return _Base(Fraction(0), text + "，未增长，按0计")
        return _Base(inc, text)
    if code == "B4":        # over the average of the prior N years
        n = b.average_of_prior
        cur = ctx.get(b.caliber)
        priors = [(o, ctx.get(b.caliber, o)) for o in range(-1, -n - 1, -1)]
        needs = ([ctx.at(b.caliber)] if cur is None else []) + [ctx.at(b.caliber, o) for o, v in priors if v is None]
        if needs:
            return _Base(None, "", needs)
        avg = sum(Fraction(v) for _, v in priors) / n
        inc = Fraction(cur) - avg
        text = (f"{label(b.caliber)} {ctx.data_year}年度 {wan(cur)}万元 − 前{n}年平均 {wan(avg)}万元 = {wan(inc)}万元")
        if inc <= 0:
            return _Base(Fraction(0), text + "，未增长，按0计")
        return _Base(inc, text)
    if code == "B5":
        up_to = False
        if b.min_of:
            vals = [(n, ctx.get(n)) for n in b.min_of]
            known = [(n, Fraction(v)) for n, v in vals if v is not None]
            if not known:
                return _Base(None, "", [ctx.at(n) for n in b.min_of])
            missing = [ctx.at(n) for n, v in vals if v is None]
            name, value = min(known, key=lambda t: t[1])
            text = "取较小者：" + "、".join(f"{label(n)} {wan(v)}万元" for n, v in known) + f" → {wan(value)}万元"
            if missing:
                up_to = True
                text += f"（未填{'、'.join(missing)}；核定后基数只可能更低，故为“最高可得”）"
        else:
            v = ctx.get(b.caliber)
            if v is None:
                return _Base(None, "", [ctx.at(b.caliber)])
            value = Fraction(v)
            text = f"{ctx.at(b.caliber)} {wan(v)}万元"
        for n in b.minus:
            m = ctx.get(n)
            if m is None:
                note = f"未填{ctx.at(n)}，按0扣减"
                if note not in r.assumptions:
                    r.assumptions.append(note)
                continue
            value -= Fraction(m)
            text += f" − {label(n)} {wan(m)}万元"
        if b.minus:
            text += f" = {wan(max(value, Fraction(0)))}万元"
        return _Base(max(value, Fraction(0)), text, up_to=up_to)
    if code == "B6":
        v, rev = ctx.get(b.caliber), ctx.get(b.revenue)
        needs = [ctx.at(n) for n, x in ((b.caliber, v), (b.revenue, rev)) if x is None]
        if needs:
            return _Base(None, "", needs)
        excess = Fraction(v) - b.threshold_ratio.q * Fraction(rev)
        text = (f"{label(b.caliber)} {wan(v)}万元 − {b.threshold_ratio.text} × {label(b.revenue)} {wan(rev)}万元 = "
                f"{wan(excess)}万元")
        if excess <= 0:
            return _Base(Fraction(0), text + "，未超过强度门槛，按0计")
        return _Base(excess, text)
    # B7: stock + increment
    cur, prior = ctx.get(b.caliber), ctx.get(b.caliber, -1)
    needs = [ctx.at(b.caliber, o) for o, v in ((0, cur), (-1, prior)) if v is None]
    if needs:
        return _Base(None, "", needs)
    cur, prior = Fraction(cur), Fraction(prior)
    inc = max(cur - prior, Fraction(0))
    stock = cur if b.stock == "current" else min(cur, prior)
    how = "当年全部" if b.stock == "current" else "当年与上年的较小者"
    text = (f"{label(b.caliber)}：{ctx.data_year}年度 {wan(cur)}万元，{ctx.data_year - 1}年度 {wan(prior)}万元；"
            f"存量（{how}）{wan(stock)}万元，增量 {wan(inc)}万元")
    return _Base(cur, text, stock=stock, inc=inc)


def _round_unit(x: Fraction, unit: Fraction, mode: str) -> Fraction:
    q = x / unit
    n, d = q.numerator, q.denominator
    if mode == "down":
        k = n // d
    elif mode == "up":
        k = -((-n) // d)
    else:
        k = round_fen(q)
    return k * unit


def _find_band(bands: tuple[Band, ...], v: Fraction) -> Band | None:
    for b in bands:
        if v >= b.lower.q and (b.upper is None or v < b.upper.q):
            return b
    return None


def _band_text(b: Band, money: bool = True) -> str:
    if b.label:
        return b.label
    lo = f"{wan(b.lower.q)}万元" if money else _pct(b.lower.q)
    if b.upper is None:
        return f"{lo}以上（含）"
    hi = f"{wan(b.upper.q)}万元" if money else _pct(b.upper.q)
    return f"{lo}（含）至{hi}"


class _Stop(Exception):
    """Ends a component's computation early (not eligible / not computable)."""


def _component(ctx: _Ctx, pack: RulePack, comp: Component, raw: dict, overrides: list, award_year: int,
               pack_conditions: list) -> ComponentResult:
    r = ComponentResult(comp.id, comp.label, info_only=comp.info_only)
    r.flags = list(comp.flags)
    r.sources = [pack.sources[comp.source].cite()]
    r.conditions = list(pack_conditions)
    # variant (decided by facts), then the year's parameters
    if comp.variants:
        chosen, pending = None, []
        for var in comp.variants:
            chk = ctx.cond(var.when)
            if chk.status == "pass":
                chosen = var
                break
            if chk.status == "unknown":
                pending.append((var, chk))
        if chosen is None or pending:
            if pending:
                r.kind, r.amount, r.low = "not_computable", None, None
                r.needs = [n for _, chk in pending for n in chk.needs]
                r.reason = "无法确定适用哪一档：需要" + "、".join(dict.fromkeys(r.needs))
                return r
            r.eligible, r.amount, r.low = False, 0, 0
            r.reason = "不适用：" + "；".join(ctx.cond(v.when).text for v in comp.variants)
            return r
        r.variant = chosen.label
        r.steps.append(f"适用情形：{chosen.label}（{ctx.cond(chosen.when).text}）")
        raw = merge_component(raw, chosen.raw)
    for label, patch, source in overrides:
        raw = merge_component(raw, override_patch(patch))
        r.steps.append(f"采用{label}（来源：{source}）")
        if "rate" in patch and "AI-APP-PS02" not in r.flags:
            r.flags.append("AI-APP-PS02")
    if comp.variants or overrides:
        comp = pack.parse_component(raw, pack.file if not any(o[0].startswith("用户") for o in overrides)
                                    else f"{pack.file}（用户录入的年度参数）")
        for f in comp.flags:
            if f not in r.flags:
                r.flags.append(f)
    r.formula = comp.formula
    for key in _val_sources(comp):
        cite = pack.sources[key].cite()
        if cite not in r.sources:
            r.sources.append(cite)
    try:
        _compute(ctx, pack, comp, r, award_year)
    except _Stop:
        pass
    return r


def _val_sources(comp: Component) -> list[str]:
    """Source keys carried by individual values of a component (``{value, source}``)."""
    out: list[str] = []

    def visit(x: Any) -> None:
        if isinstance(x, Val):
            if x.source and x.source not in out:
                out.append(x.source)
        elif isinstance(x, (tuple, list)):
            for y in x:
                visit(y)
        elif hasattr(x, "__dataclass_fields__") and not isinstance(x, (Cond, Gate)):
            for name in x.__dataclass_fields__:
                visit(getattr(x, name))

    for name in comp.__dataclass_fields__:
        if name not in ("gates", "variants", "base"):
            visit(getattr(comp, name))
    return out


def _compute(ctx: _Ctx, pack: RulePack, comp: Component, r: ComponentResult, award_year: int) -> None:
    # gates of the component
    for g in comp.gates:
        gr = ctx.gate(g, comp.id)
        r.gates.append(gr)
        if gr.effect == "warn":
            if gr.status != "pass":
                r.warnings.append(f"{gr.label}：{gr.detail}")
            continue
        if gr.status == "unknown":
            r.conditions.append(f"{gr.label}（{gr.detail}）")
            r.needs += gr.needs
    failed = [g for g in r.gates if g.status == "fail" and g.effect == "block"]
    if failed:
        r.eligible, r.amount, r.low, r.kind = False, 0, 0, "exact"
        r.reason = "不满足：" + "；".join(f"{g.label}（{g.detail}）" for g in failed)
        raise _Stop
    if comp.not_computable:
        r.kind, r.reason = "not_computable", comp.not_computable
        raise _Stop
    yearly = [name for name, v in (("补助比例", comp.rate), ("分段比例", comp.bands), ("分档标准", comp.tiers),
                                   ("补助上限", comp.cap), ("补助金额", comp.amount),
                                   ("存量比例", comp.stock_rate), ("增量比例", comp.increment_rate)) if v == YEARLY]
    if yearly:
        r.kind = "not_computable"
        r.needs.append(f"{award_year}年度公布的{'、'.join(yearly)}")
        r.reason = (f"{'、'.join(yearly)}由每年的通知确定，需要{award_year}年度公布的参数"
                    f"（在年度参数中录入后即可计算）")
        raise _Stop
    # base
    b = None
    if comp.base is not None:
        r.base_code = comp.base.code
        ctx.tap = []
        b = _base(ctx, comp.base, r)
        used = dict(ctx.tap)
        if b.value is None:
            r.kind = "not_computable"
            r.needs += b.needs
            r.reason = "需要：" + "、".join(b.needs)
            raise _Stop
        r.base_value = b.value
        r.base_detail = f"基数 {comp.base.code}（{BASE_CODES[comp.base.code][0]}）：{b.text}"
        r.steps.append(r.base_detail)
        if used:
            r.steps.append("基数数据来源：" + "；".join(f"{k}：{v}" for k, v in used.items() if v))
        if comp.base.caliber in ("rd_super", "extra_deduction") or "rd_super" in comp.base.min_of:
            if "AI-APP-PS01" not in r.flags:
                r.flags.append("AI-APP-PS01")
    up_to = comp.up_to or (b.up_to if b else False)
    up_reasons = [comp.up_to_reason] if comp.up_to and comp.up_to_reason else []
    if b is not None and b.up_to:
        up_reasons.append("基数核定后只可能更低")
    band_cap: Val | None = None
    lo = hi = Fraction(0)
    base = b.value if b else Fraction(0)
    f = comp.formula
    if f == "F1":
        if isinstance(comp.rate, tuple):
            a, z = comp.rate
            lo, hi = a.q * base, z.q * base
            r.rate = (a.q, z.q)
            r.rate_text = f"{a.text}～{z.text}"
            r.steps.append(f"F1 比例区间：{wan(base)}万元 × [{a.text}, {z.text}] = [{wan(lo)}, {wan(hi)}]万元")
        else:
            lo = hi = comp.rate.q * base
            r.rate, r.rate_text = comp.rate.q, comp.rate.text
            r.steps.append(f"F1 固定比例：{wan(base)}万元 × {comp.rate.text}{'（上限比例）' if comp.up_to else ''}"
                           f" = {wan(hi)}万元")
    elif f == "F2":
        chosen, better_unknown = None, []
        results = [(cat, ctx.cond(cat.when) if cat.when is not None else _Check("pass", "其他企业")) for cat in comp.categories]
        if comp.pick == "first":
            for cat, chk in results:
                if chk.status == "pass":
                    chosen = (cat, chk)
                    break
                if chk.status == "unknown":
                    better_unknown.append((cat, chk))
        else:
            known = [(cat, chk) for cat, chk in results if chk.status == "pass"]
            if known:
                chosen = max(known, key=lambda t: t[0].rate.q)
            better_unknown = [(cat, chk) for cat, chk in results if chk.status == "unknown"
                              and (chosen is None or cat.rate.q > chosen[0].rate.q)]
        if chosen is None:
            if not better_unknown:
                r.eligible, r.amount, r.low = False, 0, 0
                r.reason = "不属于所列任何类别：" + "；".join(chk.text for _, chk in results)
                raise _Stop
            chosen = max(better_unknown, key=lambda t: t[0].rate.q)
            r.conditions.append(f"属于“{chosen[0].label}”（{chosen[1].text}）")
            r.needs += chosen[1].needs
        else:
            for cat, chk in better_unknown:
                r.conditions.append(f"若属于“{cat.label}”，比例为{cat.rate.text}（本估算按“{chosen[0].label}”"
                                    f"{chosen[0].rate.text}）")
                r.needs += chk.needs
        cat = chosen[0]
        lo = hi = cat.rate.q * base
        r.rate, r.rate_text = cat.rate.q, cat.rate.text
        if cat.up_to:
            up_to = True
            up_reasons.append(f"“{cat.label}”的比例为上限")
        others = "；".join(f"{c.label}{c.rate.text}" for c in comp.categories if c is not cat)
        r.steps.append(f"F2 按类别：{cat.label}{'（就高）' if comp.pick == 'highest' else ''}，"
                       f"{wan(base)}万元 × {cat.rate.text}{'（上限比例）' if cat.up_to else ''} = {wan(hi)}万元"
                       + (f"（其他类别：{others}）" if others else ""))
    elif f == "F3":
        parts, total = [], Fraction(0)
        for band in comp.bands:
            upper = base if band.upper is None else min(base, band.upper.q)
            slice_ = upper - band.lower.q
            if slice_ <= 0:
                continue
            total += band.rate.q * slice_
            parts.append(f"{band.rate.text} × {wan(slice_)}万元")
        lo = hi = total
        r.steps.append(f"F3 分段累进：{' + '.join(parts) or '0'} = {wan(total)}万元")
    elif f == "F4":
        v, text, needs, _inf = ctx.quantity(comp.tier_by)
        if v is None:
            r.kind = "not_computable"
            r.needs += needs or [text]
            r.reason = "需要：" + "、".join(needs or [text])
            raise _Stop
        tier = _find_band(comp.tiers, v)
        if tier is None:
            r.eligible, r.amount, r.low = False, 0, 0
            r.reason = f"{text}，不在任何档次内"
            raise _Stop
        lo = hi = tier.rate.q * base
        r.rate, r.rate_text = tier.rate.q, tier.rate.text
        band_cap = tier.cap
        r.steps.append(f"F4 按档定比例：{text}，适用“{_band_text(tier, comp.tier_by.kind == 'money')}”档 {tier.rate.text}；"
                       f"{wan(base)}万元 × {tier.rate.text} = {wan(hi)}万元")
    elif f == "F5":
        band = _find_band(comp.bands, base)
        if band is None:
            r.eligible, r.amount, r.low = False, 0, 0
            r.reason = f"基数 {wan(base)}万元 低于最低档"
            raise _Stop
        if band.require is not None:
            chk = ctx.cond(band.require)
            if chk.status == "fail":
                r.eligible, r.amount, r.low = False, 0, 0
                r.reason = (f"基数 {wan(base)}万元 属“{_band_text(band)}”档，但不满足该档条件：{chk.text}；"
                            f"不改按其他档计算")
                raise _Stop
            if chk.status == "unknown":
                r.conditions.append(f"满足“{_band_text(band)}”档条件（{chk.text}）")
                r.needs += chk.needs
        lo = hi = band.amount.q
        band_cap = band.cap
        r.steps.append(f"F5 按档定额：基数 {wan(base)}万元 属“{_band_text(band)}”档"
                       + (f"（档内条件：{ctx.cond(band.require).text}）" if band.require is not None else "")
                       + f"，金额 {band.amount.text}")
    elif f == "F6":
        tier = _find_band(comp.tiers, base)
        if tier is None:
            r.eligible, r.amount, r.low = False, 0, 0
            r.reason = f"基数 {wan(base)}万元 低于最低档"
            raise _Stop
        of = comp.growth_of or comp.base.caliber
        cur, prior = ctx.get(of), ctx.get(of, -1)
        needs = [ctx.at(of, o) for o, v in ((0, cur), (-1, prior)) if v is None]
        if needs:
            r.kind = "not_computable"
            r.needs += needs
            r.reason = "需要：" + "、".join(needs)
            raise _Stop
        change = Fraction(cur) - Fraction(prior)
        total = tier.amount.q + comp.growth_rate.q * change
        sign = "+" if change >= 0 else "−"
        r.steps.append(f"F6 基础额 ± 增长项：“{_band_text(tier)}”档基础额 {tier.amount.text} {sign} "
                       f"{comp.growth_rate.text} × {wan(abs(change))}万元 = {wan(total)}万元")
        if total < 0:
            total = Fraction(0)
            r.steps.append("结果为负，按0计")
        lo = hi = total
        band_cap = tier.cap
    elif f == "F8":
        t, s, a, unit = comp.threshold.q, comp.step.q, comp.start_amount.q, comp.unit.q
        if base < t:
            r.eligible, r.amount, r.low = False, 0, 0
            r.reason = f"基数 {wan(base)}万元 低于 {comp.threshold.text}"
            raise _Stop
        n = (base - t) // unit
        lo = hi = a + s * n
        r.steps.append(f"F8 每满一个单位递增：{comp.start_amount.text} + {comp.step.text} × ⌊({wan(base)} − "
                       f"{wan(t)}) / {wan(unit)}⌋ = {comp.start_amount.text} + {comp.step.text} × {n} = {wan(hi)}万元")
    elif f == "F9":
        lo = hi = comp.amount.q
        r.steps.append(f"F9 固定金额：{comp.amount.text}")
    elif f == "F10":
        lo = hi = comp.stock_rate.q * b.stock + comp.increment_rate.q * b.inc
        r.steps.append(f"F10 存量+增量：{comp.stock_rate.text} × {wan(b.stock)}万元 + {comp.increment_rate.text} × "
                       f"{wan(b.inc)}万元 = {wan(comp.stock_rate.q * b.stock)} + {wan(comp.increment_rate.q * b.inc)} = "
                       f"{wan(hi)}万元{'（比例为上限）' if comp.up_to else ''}")
    r.raw = hi
    # F7 multiplier (highest applicable)
    mult_cap = None
    if comp.multipliers:
        evals = [(m, ctx.cond(m.when)) for m in comp.multipliers]
        known = [(m, c) for m, c in evals if c.status == "pass"]
        best = max(known, key=lambda t: t[0].factor.q) if known else None
        for m, c in evals:
            if c.status == "unknown" and (best is None or m.factor.q > best[0].factor.q):
                r.conditions.append(f"若为{m.label or c.text}，再乘以{m.factor.text}" +
                                    (f"（上限{m.cap.text}）" if m.cap else ""))
                r.needs += c.needs
        if best is not None:
            m = best[0]
            lo, hi = lo * m.factor.q, hi * m.factor.q
            mult_cap = m.cap
            r.steps.append(f"F7 身份倍数：{m.label or best[1].text} × {m.factor.text} = {wan(hi)}万元"
                           + (f"，该身份上限 {m.cap.text}" if m.cap else ""))
        else:
            r.steps.append("F7 身份倍数：不适用（" + "；".join(c.text for _, c in evals) + "）")
    r.multiplied = hi
    # rounding, floor
    rnd = comp.rounding

    def do_round(lo: Fraction, hi: Fraction) -> tuple[Fraction, Fraction]:
        nlo, nhi = _round_unit(lo, rnd.unit.q, rnd.mode), _round_unit(hi, rnd.unit.q, rnd.mode)
        r.steps.append(f"取整（{ {'half_up': '四舍五入', 'down': '舍去', 'up': '进位'}[rnd.mode]}至{rnd.unit.text}）："
                       f"{wan(hi)} → {wan(nhi)}万元")
        return nlo, nhi

    if rnd is not None and rnd.position == "before_floor":
        lo, hi = do_round(lo, hi)
    r.rounded = hi
    if comp.floor is not None:
        if hi < comp.floor.q:
            r.steps.append(f"起付额：{wan(hi)}万元 不足 {comp.floor.text}，不予补助 → 0")
        elif lo < comp.floor.q:
            r.steps.append(f"起付额：下限 {wan(lo)}万元 不足 {comp.floor.text} → 0")
        else:
            r.steps.append(f"起付额：{wan(hi)}万元 不低于 {comp.floor.text}")
        lo = lo if lo >= comp.floor.q else Fraction(0)
        hi = hi if hi >= comp.floor.q else Fraction(0)
    if rnd is not None and rnd.position == "after_floor":
        lo, hi = do_round(lo, hi)
    r.floored = hi
    # cap: the multiplier's, the band's, else the highest applicable status cap
    cap, cap_label = None, ""
    if mult_cap is not None:
        cap, cap_label = mult_cap, "该身份上限"
    elif band_cap is not None:
        cap, cap_label = band_cap, "该档上限"
    else:
        cap = comp.cap if isinstance(comp.cap, Val) else None
        cap_label = "上限"
        if comp.caps:
            evals = [(sc, ctx.cond(sc.when)) for sc in comp.caps]
            for sc, c in evals:
                if c.status == "pass" and (cap is None or sc.cap.q > cap.q):
                    cap, cap_label = sc.cap, f"{sc.label or c.text}上限"
            for sc, c in evals:
                if c.status == "unknown" and cap is not None and sc.cap.q > cap.q and hi > cap.q:
                    r.conditions.append(f"若为{sc.label or c.text}，上限为{sc.cap.text}（本估算按{cap.text}）")
                    r.needs += c.needs
    mult = r.multiplied / r.raw if r.raw else Fraction(1)
    if cap is not None:
        r.cap_from = _base_for(comp, r, cap.q / mult) if mult else None
        if hi > cap.q:
            r.steps.append(f"{cap_label}：{wan(hi)}万元 超过 {cap.text} → {cap.text}"
                           + (f"（基数达到 {wan(r.cap_from, 3)}万元 起即按上限补助）" if r.cap_from is not None else ""))
        lo, hi = min(lo, cap.q), min(hi, cap.q)
    r.capped = hi
    # guaranteed minimum
    if comp.minimum is not None:
        mn = comp.minimum
        chk = ctx.cond(mn.when) if mn.when is not None else _Check("pass", "")
        if chk.status == "pass" and hi <= mn.amount.q:
            r.steps.append(f"保底：{mn.label or chk.text}，{wan(hi)}万元 → 保底 {mn.amount.text}"
                           + ("（按上限比例计算也不超过保底额，因此为确定数）" if up_to else ""))
            lo = hi = mn.amount.q
            up_to = False
            up_reasons = []
        elif chk.status == "pass":
            lo = max(lo, mn.amount.q)
        elif chk.status == "unknown" and hi < mn.amount.q:
            r.conditions.append(f"若为{mn.label or chk.text}，保底{mn.amount.text}")
            r.needs += chk.needs
    # floor under the floor rule for ranges (when lo was zeroed but hi kept)
    r.amount, r.low = round_fen(hi), round_fen(lo)
    if comp.floor is not None and mult:
        r.floor_from = _base_for(comp, r, comp.floor.q / mult)
        if r.floor_from is not None:
            r.steps.append(f"（基数达到 {wan(r.floor_from, 2)}万元 起才达到起付额 {comp.floor.text}）")
    r.up_to = up_to and r.amount > 0
    if r.up_to and up_reasons:
        r.steps.append("最高可得：" + "；".join(dict.fromkeys(up_reasons)))
    if r.conditions:
        r.kind = "conditional"
    elif r.low != r.amount:
        r.kind = "range"
    elif r.up_to:
        r.kind = "up_to"
    else:
        r.kind = "exact"


def _base_for(comp: Component, r: ComponentResult, target: Fraction) -> Fraction | None:
    """The base (分) at which the raw amount reaches ``target`` — for a single rate (F1, F2, F4) or marginal
    bands (F3); e.g. 深圳 cap binds from 56,142.857万 (§2.5), 湖南 1万 floor at 12% from 8.33万 (PS-P3)."""
    if comp.formula in ("F1", "F2", "F4") and isinstance(r.rate, Fraction):
        return target / r.rate if r.rate > 0 else None
    if comp.formula == "F3" and isinstance(comp.bands, tuple):
        acc = Fraction(0)
        for band in comp.bands:
            width = None if band.upper is None else band.upper.q - band.lower.q
            full = None if width is None else band.rate.q * width
            if full is not None and acc + full < target:
                acc += full
                continue
            if band.rate.q == 0:
                return None
            return band.lower.q + (target - acc) / band.rate.q
    return None


def _worst(kinds: Iterable[str]) -> str:
    kinds = list(kinds)
    return max(kinds, key=_KIND_ORDER.index) if kinds else "exact"


def estimate(pack: RulePack, facts: Facts, award_year: int | None = None, *,
             overrides: Mapping[str, Mapping[str, Any]] | None = None) -> SubsidyEstimate:
    """Estimate one pack for one award year (default: the year after the latest data year in ``facts``).

    ``overrides`` are year parameters entered by the user for this estimate, in the pack's own form
    (``{"general": {"rate": "0.8%"}}``); they are validated like the pack and the result is flagged.
    """
    if award_year is None:
        latest = facts.latest_year
        if latest is None:
            raise ValueError("没有任何年度的数据，无法确定奖补年度")
        award_year = latest - pack.data_year_offset
    data_year = award_year + pack.data_year_offset
    ctx = _Ctx(pack, facts, data_year)
    est = SubsidyEstimate(pack.pack_id, pack.region, pack.title, pack.doc_number, pack.confidence, award_year,
                          data_year, pack.period_code, pack.period_text)
    est.status, est.status_reason = pack.freshness(award_year)
    est.reviewed_on, est.verified = pack.reviewed_on, pack.verified_text
    est.combination = pack.combination.mode
    est.sources = [s.cite() for s in pack.sources.values()]
    est.assumptions = [f"企业注册地在{pack.region}（选用本规则包即视为如此，AI-APP-PS03）"] + list(pack.assumptions)
    est.warnings = list(pack.warnings)
    flags_used: list[str] = ["AI-APP-PS03"] + list(pack.flags)
    # the policy period
    if (pack.effective_from is not None and award_year < pack.effective_from) or \
            (pack.effective_to is not None and award_year > pack.effective_to):
        est.total = est.total_low = None
        est.total_kind = "not_computable"
        est.reason = est.status_reason if est.status in ("retired", "outside") else \
            f"{award_year}年度不在本政策适用期（{pack.period_text}，按奖补年度）内"
        est.flags = _flag_texts(pack, flags_used)
        est.formula_kind = est.total_kind
        return est
    # pack gates
    for g in pack.gates:
        est.gates.append(ctx.gate(g, "pack"))
    pack_failed = [g for g in est.gates if g.status == "fail" and g.effect == "block"]
    pack_conditions = [f"{g.label}（{g.detail}）" for g in est.gates if g.status == "unknown" and g.effect == "block"]
    for g in est.gates:
        if g.effect == "warn" and g.status != "pass":
            est.warnings.append(f"{g.label}：{g.detail}")
        if g.status == "unknown":
            est.needs += g.needs
        flags_used += list(g.flags)
    # the year's parameters: the pack's own, then the user's
    by_comp: dict[str, list] = {}
    for yo in pack.year_overrides:
        if award_year in yo.years:
            for cid, patch in yo.components.items():
                by_comp.setdefault(cid, []).append((f"{award_year}年度参数", patch, pack.sources[yo.source].cite()))
            if yo.note:
                est.assumptions.append(yo.note)
    for cid, patch in (overrides or {}).items():
        if cid not in {c.id for c in pack.components}:
            raise RulePackError(f"{pack.file}（用户录入的年度参数）", cid, f"没有编号为“{cid}”的补助项")
        by_comp.setdefault(cid, []).append(("用户录入的年度参数", dict(patch), "用户录入"))
    # components
    for comp, raw in zip(pack.components, pack.raw_components):
        if pack_failed:
            r = ComponentResult(comp.id, comp.label, info_only=comp.info_only, eligible=False, amount=0, low=0,
                                formula=comp.formula)
            r.reason = "不满足基本条件：" + "；".join(f"{g.label}（{g.detail}）" for g in pack_failed)
            est.components.append(r)
            continue
        r = _component(ctx, pack, comp, raw, by_comp.get(comp.id, []), award_year, pack_conditions)
        est.components.append(r)
        flags_used += r.flags
        for a in r.assumptions:
            if a not in est.assumptions:
                est.assumptions.append(a)
        est.warnings += [f"{comp.label}：{w}" for w in r.warnings]
        for n in r.needs:
            if n not in est.needs:
                est.needs.append(n)
    for a in ctx.assumptions:
        if a not in est.assumptions:
            est.assumptions.append(a)
    _combine(ctx, pack, est, pack_failed)
    est.flags = _flag_texts(pack, flags_used)
    est.formula_kind = est.total_kind
    if est.status == "provisional":
        # issue 16: rules not verified for this award year never give an "exact" figure or a "solid" rule
        est.confidence = "provisional"
        if est.total_kind == "exact":
            est.total_kind = "provisional"
        for c in est.components:
            if c.kind == "exact":
                c.kind = "provisional"
    return est


def _flag_texts(pack: RulePack, used: list[str]) -> list[tuple[str, str]]:
    out = []
    for f in dict.fromkeys(used):
        out.append((f, pack.flags.get(f) or APP_FLAGS.get(f, f)))
    return out


def _combine(ctx: _Ctx, pack: RulePack, est: SubsidyEstimate, pack_failed: list) -> None:
    comb = pack.combination
    items = [c for c in est.components if not c.info_only]
    if pack_failed:
        est.total = est.total_low = 0
        est.total_kind, est.eligible = "exact", False
        est.reason = "不满足基本条件：" + "；".join(f"{g.label}（{g.detail}）" for g in pack_failed)
        return
    computable = [c for c in items if c.computable]
    missing = [c for c in items if not c.computable]
    live = [c for c in computable if c.eligible]
    if not computable:
        est.total = est.total_low = None
        est.total_kind = "not_computable"
        est.reason = "；".join(f"{c.label}：{c.reason or '需要' + '、'.join(c.needs)}" for c in missing)
        return
    if not live and not missing:
        est.total = est.total_low = 0
        est.total_kind, est.eligible = "exact", False
        est.reason = "；".join(f"{c.label}：{c.reason}" for c in items)
        return
    if not live:
        est.total = est.total_low = None
        est.total_kind = "not_computable"
        est.reason = "；".join(f"{c.label}：{c.reason or '需要' + '、'.join(c.needs)}" for c in missing)
        return
    conditions: list[str] = []
    if comb.mode == "stack":
        lo = sum((c.low for c in live), 0)
        hi = sum((c.amount for c in live), 0)
        contrib = [c for c in live if c.amount > 0]
        kind = _worst(c.kind for c in contrib) if contrib else "exact"
        up_to = any(c.up_to for c in contrib)
        conditions = [x for c in contrib for x in c.conditions]
    elif comb.mode == "take_highest":
        pool = live
        if not pool:
            lo = hi = 0
            kind, up_to = "exact", False
        else:
            best = max(pool, key=lambda c: (c.amount, -_KIND_ORDER.index(c.kind)))
            lo, hi, kind, up_to = best.low, best.amount, best.kind, best.up_to
            conditions = list(best.conditions)
            others = [c for c in pool if c is not best and c.amount > 0]
            est.assumptions.append(f"就高不重复：取“{best.label}” {wan(best.amount)}万元"
                                   + (f"（其余：{'；'.join(f'{c.label} {wan(c.amount)}万元' for c in others)}）" if others else ""))
    else:   # exclusive
        pool = [c for c in live if c.amount > 0] or live
        if comb.prefer:
            order = {cid: i for i, cid in enumerate(comb.prefer)}
            pool = sorted(pool, key=lambda c: order.get(c.id, len(order)))
            best = pool[0] if pool else None
            if best is None:
                lo = hi = 0
                kind, up_to = "exact", False
            else:
                lo, hi, kind, up_to = best.low, best.amount, best.kind, best.up_to
                conditions = list(best.conditions)
                est.assumptions.append(f"只能择一：按规则包顺序取“{best.label}”")
        else:
            if not pool:
                lo = hi = 0
                kind, up_to = "exact", False
            elif len(pool) == 1:
                best = pool[0]
                lo, hi, kind, up_to = best.low, best.amount, best.kind, best.up_to
                conditions = list(best.conditions)
            else:
                lo = min(c.low for c in pool)
                hi = max(c.amount for c in pool)
                kind = _worst([c.kind for c in pool] + ["range"])
                up_to = any(c.up_to for c in pool)
                conditions = [x for c in pool for x in c.conditions]
                est.assumptions.append("只能择一，可选：" + "；".join(f"{c.label} {wan(c.amount)}万元" for c in pool))
    if missing and comb.mode == "exclusive":
        est.assumptions.append("另有无法计算的可选项：" + "、".join(f"{c.label}（{c.reason}）" for c in missing))
    elif missing:
        conditions.append("未计入无法计算的补助项：" + "、".join(c.label for c in missing))
        if kind not in ("conditional", "not_computable"):
            kind = "conditional"
    if comb.cap is not None and hi > comb.cap.q:
        est.assumptions.append(f"政策总上限 {comb.cap.text}：{wan(hi)}万元 → {comb.cap.text}")
        hi = min(hi, round_fen(comb.cap.q))
        lo = min(lo, hi)
    if kind == "range" and lo == hi:
        kind = "up_to" if up_to else "exact"
    est.total, est.total_low = hi, lo
    est.total_kind = kind if hi > 0 or kind in ("conditional",) else ("exact" if kind != "not_computable" else kind)
    est.up_to = up_to and hi > 0
    est.eligible = True
    est.conditions = list(dict.fromkeys(conditions))
    # matching add-ons (per enterprise, on this award — PS-AI36)
    for m in comb.matching:
        if m.pct == YEARLY:
            est.matching_addons.append((m.level, None, None, f"配套比例由{m.level}另定，需要录入后计算"
                                        + ("（可选）" if m.optional else "")))
        else:
            est.matching_addons.append((m.level, m.pct.q, round_fen(m.pct.q * hi),
                                        m.note or f"{m.level}按奖补额的{m.pct.text}配套"))
    # cost share: the enterprise's total is unchanged
    if comb.cost_share and hi:
        parts = split_largest_remainder(hi, [s for _, s in comb.cost_share])
        total_share = sum(s for _, s in comb.cost_share)
        est.cost_shares = [(lv, s / total_share, a) for (lv, s), a in zip(comb.cost_share, parts)]
    if comb.payer:
        for when, level in comb.payer:
            if when is None:
                est.payer = level
                break
            chk = ctx.cond(when)
            if chk.status == "pass":
                est.payer = f"{level}（{chk.text}）"
                break
            if chk.status == "unknown":
                est.payer = f"待定（{chk.text}）"
                break


# --------------------------------------------------------------------------- pack examples


def example_facts(pack: RulePack, example: Mapping) -> Facts:
    """The facts of a pack's ``examples`` entry (money in 万元 text) as :class:`Facts`."""
    from .rulepack import _Parser
    p = _Parser(pack.file, pack, FACTS)
    by_year: dict[int, dict] = {}
    ent: dict = {}
    for y, vals in example["facts"].items():
        target = ent if y == "enterprise" else by_year.setdefault(int(y), {})
        for name, v in vals.items():
            kind = pack.inputs[name].kind
            key = f"examples[{example['id']}].facts.{y}.{name}"
            if kind == "money":
                target[name] = (int(p.money(key, v, signed=True).q), "示例")
            elif kind == "ratio":
                target[name] = (p.ratio(key, v, lo=None, hi=None).q, "示例")
            elif kind == "bool":
                target[name] = (p.boolean(key, v), "示例")
            else:
                target[name] = (int(p.count(key, v).q), "示例")
    return facts_from_values(by_year, ent)


def run_examples(pack: RulePack) -> list[tuple[str, bool, str]]:
    """Run the pack's own ``examples``: [(id, ok, message)]."""
    from .rulepack import _Parser
    p = _Parser(pack.file, pack, FACTS)
    out = []
    for ex in pack.examples:
        est = estimate(pack, example_facts(pack, ex), ex.get("award_year"), overrides=ex.get("overrides"))
        exp = ex["expect"]
        problems = []

        def money_eq(label: str, got: int | None, want: Any) -> None:
            if want is None:
                if got is not None:
                    problems.append(f"{label}应为无法计算，实际 {wan(got)}万元")
                return
            w = p.money(f"examples[{ex['id']}].expect", want).q
            if got is None or Fraction(got) != w:
                problems.append(f"{label}应为 {wan(w)}万元，实际 {'无法计算' if got is None else wan(got) + '万元'}")

        if "amount" in exp:
            money_eq("合计", est.total, exp["amount"])
        if "low" in exp:
            money_eq("区间下限", est.total_low, exp["low"])
        # ``kind`` checks the arithmetic (before the freshness status turns "exact" into "provisional");
        # ``status`` checks the freshness status itself
        formula_kind = est.formula_kind or est.total_kind
        if "kind" in exp and formula_kind != exp["kind"]:
            problems.append(f"结果类型应为 {exp['kind']}，实际 {formula_kind}")
        if "status" in exp and est.status != exp["status"]:
            problems.append(f"规则状态应为 {exp['status']}，实际 {est.status}")
        if "up_to" in exp and est.up_to != exp["up_to"]:
            problems.append(f"“最高可得”应为 {exp['up_to']}，实际 {est.up_to}")
        if "eligible" in exp and est.eligible != exp["eligible"]:
            problems.append(f"是否符合条件应为 {exp['eligible']}，实际 {est.eligible}")
        for cid, want in (exp.get("items") or {}).items():
            money_eq(f"补助项 {cid} ", est.item(cid).amount, want)
        msg = "通过" if not problems else "；".join(problems)
        out.append((str(ex["id"]), not problems, msg if problems else f"通过：{est.headline()}"))
    return out


def _main(argv: list[str]) -> int:
    """``python -m calc.subsidy list`` | ``check FILE_OR_DIR...`` (validate packs and run their examples)."""
    if not argv or argv[0] not in ("list", "check"):
        print("用法：python -m calc.subsidy list | check 规则包.yaml [...]", file=sys.stderr)
        return 2
    if argv[0] == "list":
        errors: list = []
        for info in list_packs(errors=errors):
            print(info.line)
        for e in errors:
            print(f"错误：{e}", file=sys.stderr)
        return 1 if errors else 0
    status = 0
    paths = [Path(a) for a in argv[1:]] or [user_pack_dir()]
    files = [f for p in paths for f in (pack_files(p) if p.is_dir() else [p])]
    if not files:
        print(f"没有找到规则包文件（{'、'.join(str(p) for p in paths)}）")
        return 1
    for f in files:
        try:
            pack = read_pack(f, FACTS, origin="user")
        except RulePackError as e:
            print(f"错误：{e}")
            status = 1
            continue
        results = run_examples(pack)
        print(f"{f.name}：格式正确（{pack.title}，{pack.period_text}，{CONFIDENCE[pack.confidence]}，"
              f"核实范围 {pack.verified_text}，核对日期 {pack.reviewed_on or '未注明'}）")
        if not pack.reviewed_on:
            print("  提示：请写 reviewed_on（核对日期）和 verified（核实范围），否则结果一律按暂定处理")
        for eid, ok, msg in results:
            print(f"  示例 {eid}：{msg}")
            status |= 0 if ok else 1
        if not results:
            print("  （没有示例：建议在 examples 中写至少一个示例）")
    return status


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
