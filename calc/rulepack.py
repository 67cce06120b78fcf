"""Rule packs: the file format of a regional post-subsidy policy, its validation and loading.

A rule pack is one YAML file per region and policy version (``resources/packs/<pack_id>.yaml``,
post_subsidy.md §1).  This module knows the layout and rejects a malformed pack with a
:class:`RulePackError` that names the file, the key and the problem (the style of
:mod:`calc.params`).  The engine that evaluates a pack lives in :mod:`calc.subsidy`, which also
owns the table of canonical fact names passed in here as ``facts``.

Units inside a pack: money in **万元** as quoted strings (``"300"``, ``"1.5"``, ``"2亿"``); rates as
quoted strings (``"10%"`` or ``"0.10"``).  A binary float anywhere, or an unquoted number where money
or a rate is expected, is an error: law is exact.  Internally money is ``Fraction`` of 分.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from . import yamlsafe

PACKS_DIR = Path(__file__).resolve().parent.parent / "resources" / "packs"
WAN = 1_000_000                       # 分 per 万元
YEARLY = "yearly"                     # a parameter set by each year's notice
_YEARLY_WORDS = {"yearly", "按年度公布", "年度公布", "每年公布"}

LEVELS = {"province": "省级", "city": "市级", "district": "区级", "county": "县级"}
CONFIDENCE = {"solid": "可靠", "provisional": "暂定"}
# Freshness (issue 16): the status of a pack for one award year (see RulePack.freshness).
STATUS_LABELS = {"verified": "已核实", "provisional": "暂定", "retired": "已停止", "outside": "不在适用期"}
PACK_STATUS = {"active": "在用", "retired": "已停止"}

# base code → (Chinese label, fixed caliber fact or None, increment?)
BASE_CODES: dict[str, tuple[str, str | None, bool]] = {
    "B1": ("享受加计扣除的研发费用（数据年度）", "rd_super", False),
    "B1Δ": ("享受加计扣除的研发费用较上年增量", "rd_super", True),
    "B2": ("研发费用加计扣除额（数据年度）", "extra_deduction", False),
    "B2Δ": ("研发费用加计扣除额较上年增量", "extra_deduction", True),
    "B3": ("统计口径研发经费支出（数据年度）", "rd_stats", False),
    "B3Δ": ("统计口径研发经费支出较上年增量", "rd_stats", True),
    "B4": ("多年周期增量 / 较前N年平均的增量", None, True),
    "B5": ("核定基数（多个核定数取最小值、可扣减其他补助，或另一项奖补）", None, False),
    "B6": ("超过强度门槛部分的研发费用（研发费用 − k × 收入）", None, False),
    "B7": ("存量 + 增量", None, False),
}
_BASE_ALIASES = {"B1D": "B1Δ", "B1增量": "B1Δ", "B1Δ": "B1Δ", "B2D": "B2Δ", "B2增量": "B2Δ",
                 "B3D": "B3Δ", "B3增量": "B3Δ"}

FORMULAS = {
    "F1": "固定比例",
    "F2": "按企业类别定比例",
    "F3": "分段累进（各段按各自比例）",
    "F4": "按另一指标分档定比例",
    "F5": "按档定额（每档附条件）",
    "F6": "基础额 ± 增长项",
    "F7": "身份倍数（写在 multipliers 中）",
    "F8": "每满一个单位递增",
    "F9": "固定金额",
    "F10": "存量 + 增量",
}
GATE_TYPES = {
    "status": "身份条件", "threshold": "门槛条件", "intensity": "强度条件", "growth": "增长条件",
    "history": "历史条件", "integrity": "诚信条件", "exclusion": "排除条件", "rank": "排名条件",
    "confirm": "需确认的条件",
}
COMBINATION_MODES = {"stack": "叠加", "exclusive": "只能择一", "take_highest": "就高不重复"}
ROUNDING_MODES = {"half_up": "四舍五入", "down": "舍去", "up": "进位"}
FACT_KINDS = {"money": "金额", "ratio": "比例", "bool": "是/否", "count": "数量", "rank": "名次"}
FACT_ORIGINS = {"ledger": "账簿计算", "yearly": "年度数据", "profile": "企业信息", "user": "用户填写"}
_OPS = {">=": ">=", "≥": ">=", ">": ">", "<=": "<=", "≤": "<=", "<": "<", "==": "==", "=": "=="}


class RulePackError(Exception):
    """A malformed rule pack: names the file, the key and the problem."""

    def __init__(self, file: str, key: str, problem: str):
        super().__init__(f"规则包 {file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


# --------------------------------------------------------------------------- parsed structures

@dataclass(frozen=True)
class Val:
    """One exact value of a pack: money in 分 or a plain ratio/factor, as written, with its source."""
    q: Fraction
    text: str
    source: str | None = None          # a key of the pack's sources; None = the enclosing item's source


@dataclass(frozen=True)
class PackSource:
    key: str
    title: str
    url: str = ""
    date: str = ""
    ref: str = ""

    def cite(self) -> str:
        parts = [self.title]
        if self.date:
            parts.append(self.date)
        if self.url:
            parts.append(self.url)
        return "，".join(parts)


@dataclass(frozen=True)
class InputDef:
    name: str
    label: str
    kind: str
    origin: str
    hint: str = ""
    fallback: str | None = None


@dataclass(frozen=True)
class Quantity:
    op: str                            # fact | increment | growth_rate | ratio
    fact: str
    year: int = 0                      # relative to the data year
    other: str | None = None           # denominator of a ratio
    kind: str = "money"


@dataclass(frozen=True)
class Cond:
    op: str                            # fact | any | all | not | cmp | history | rank
    fact: str | None = None
    expect: bool = True
    year: int = 0
    items: tuple = ()
    quantity: Quantity | None = None
    cmp: str | None = None
    limit: Val | None = None
    years: int = 1


@dataclass(frozen=True)
class Gate:
    id: str
    type: str
    label: str
    cond: Cond
    only_if: Cond | None
    effect: str                        # block | warn
    source: str
    flags: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Base:
    code: str
    caliber: str | None = None
    cycle_years: int | None = None
    average_of_prior: int | None = None
    min_of: tuple[str, ...] = ()
    minus: tuple[str, ...] = ()
    threshold_ratio: Val | None = None
    revenue: str | None = None
    stock: str = "current"             # B7: current | overlap


@dataclass(frozen=True)
class Category:
    label: str
    when: Cond | None
    rate: Val
    up_to: bool = False


@dataclass(frozen=True)
class Band:
    lower: Val
    upper: Val | None
    rate: Val | None = None
    amount: Val | None = None
    require: Cond | None = None
    cap: Val | None = None
    label: str = ""


@dataclass(frozen=True)
class StatusCap:
    when: Cond
    cap: Val
    label: str = ""


@dataclass(frozen=True)
class Multiplier:
    when: Cond
    factor: Val
    cap: Val | None
    label: str = ""


@dataclass(frozen=True)
class Minimum:
    amount: Val
    when: Cond | None
    label: str = ""


@dataclass(frozen=True)
class Rounding:
    unit: Val
    mode: str = "half_up"
    position: str = "before_floor"     # before_floor | after_floor


@dataclass(frozen=True)
class Variant:
    id: str
    label: str
    when: Cond
    raw: dict


@dataclass(frozen=True)
class Component:
    id: str
    label: str
    source: str
    formula: str
    base: Base | None = None
    flags: tuple[str, ...] = ()
    gates: tuple[Gate, ...] = ()
    rate: Any = None                   # Val | (Val, Val) range | YEARLY
    categories: tuple[Category, ...] = ()
    pick: str = "highest"
    bands: Any = ()                    # tuple[Band] | YEARLY
    tier_by: Quantity | None = None
    tiers: Any = ()
    growth_rate: Val | None = None
    growth_of: str | None = None
    start_amount: Val | None = None
    step: Val | None = None
    threshold: Val | None = None
    unit: Val | None = None
    amount: Any = None                 # Val | YEARLY
    stock_rate: Any = None             # Val | YEARLY
    increment_rate: Any = None
    rounding: Rounding | None = None
    floor: Val | None = None
    cap: Any = None                    # Val | YEARLY | None
    caps: tuple[StatusCap, ...] = ()
    multipliers: tuple[Multiplier, ...] = ()
    minimum: Minimum | None = None
    up_to: bool = False
    up_to_reason: str = ""
    info_only: bool = False
    not_computable: str | None = None
    variants: tuple[Variant, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Matching:
    level: str
    pct: Any                           # Val | YEARLY
    source: str
    optional: bool = False
    note: str = ""


@dataclass(frozen=True)
class Combination:
    mode: str = "stack"
    prefer: tuple[str, ...] = ()
    cap: Val | None = None
    matching: tuple[Matching, ...] = ()
    cost_share: tuple[tuple[str, Fraction], ...] = ()
    payer: tuple[tuple[Cond | None, str], ...] = ()
    source: str | None = None
    note: str = ""


@dataclass(frozen=True)
class YearOverride:
    years: tuple[int, ...]
    source: str
    components: dict
    note: str = ""


@dataclass
class RulePack:
    pack_id: str
    version: int
    region: str
    region_code: str
    level: str
    title: str
    doc_number: str
    issuer: tuple[str, ...]
    effective_from: int | None
    effective_to: int | None
    data_year_offset: int
    confidence: str
    sources: dict[str, PackSource]
    flags: dict[str, str]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    inputs: dict[str, InputDef]
    gates: tuple[Gate, ...]
    components: tuple[Component, ...]
    raw_components: tuple[dict, ...]
    combination: Combination
    year_overrides: tuple[YearOverride, ...]
    examples: tuple[dict, ...]
    file: str = ""
    path: Path | None = None
    origin: str = "shipped"            # shipped | user
    notes: str = ""
    category: str = "subsidy"          # subsidy (研发费用后补助) | voucher (创新券) | loan (科创贷): shown apart
    # freshness (issue 16): when the pack was last checked, and for which award years against which text
    reviewed_on: str = ""              # "YYYY-MM-DD"; "" = never reviewed (a user pack may omit it)
    verified_from: int | None = None   # award years whose parameters were checked against a text
    verified_to: int | None = None
    verified_checked: str = ""         # what was checked
    verified_against: str = ""         # against which text
    status: str = "active"             # active | retired (the programme ended: never offered for later years)
    status_note: str = ""              # why (Chinese), e.g. the successor pack
    _facts: Mapping = field(default_factory=dict, repr=False, compare=False)

    @property
    def period_text(self) -> str:
        if self.effective_from is None:
            return "施行年度未确定"
        if self.effective_to is None:
            return f"{self.effective_from}年起"
        if self.effective_to == self.effective_from:
            return f"{self.effective_from}年"
        return f"{self.effective_from}—{self.effective_to}年"

    @property
    def period_code(self) -> str:
        a = "" if self.effective_from is None else str(self.effective_from)
        b = "" if self.effective_to is None else str(self.effective_to)
        return f"{a}-{b}"

    @property
    def verified_text(self) -> str:
        """The verified window in words: "2022—2025年度（…）" or "未核实"."""
        if self.verified_from is None:
            return "未对照原文核实"
        if self.verified_to == self.verified_from:
            return f"{self.verified_from}年度"
        return f"{self.verified_from}—{self.verified_to}年度"

    def freshness(self, award_year: int) -> tuple[str, str]:
        """(status, reason in Chinese) of this pack for ``award_year``.

        ``outside``: not in the policy period (not computable); ``retired``: the programme ended before this
        award year; ``provisional``: computable but not to be presented as exact or solid (secondary sources,
        no dated period, or an award year past what was verified); ``verified``: checked for this year."""
        if self.status == "retired" and self.effective_to is not None and award_year > self.effective_to:
            return "retired", (f"本政策已停止（最后适用{self.effective_to}年度）"
                               + (f"：{self.status_note}" if self.status_note else ""))
        if (self.effective_from is not None and award_year < self.effective_from) or \
                (self.effective_to is not None and award_year > self.effective_to):
            return "outside", f"{award_year}年度不在本政策适用期（{self.period_text}，按奖补年度）内"
        reasons = []
        if self.effective_from is None:
            reasons.append("政策施行年度未确定（没有注明起止年度的政策不能给出确定金额）")
        if self.confidence == "provisional":
            reasons.append("规则包参数来自二手资料或存在矛盾")
        if not self.doc_number:
            reasons.append("规则包未注明政策文号，金额以主管部门公布的原文和核定结果为准")
        when = f"（{self.reviewed_on}核对）" if self.reviewed_on else "（规则包未注明核对日期）"
        if self.verified_from is None:
            reasons.append("规则包的参数未对照政策原文核实" + when)
        elif award_year > self.verified_to or award_year < self.verified_from:
            reasons.append(f"规则包仅核实了{self.verified_text}{when}，{award_year}年度是否仍按此执行未经核实")
        if reasons:
            return "provisional", "暂定 — " + "；".join(reasons)
        return "verified", f"已核实 — {self.verified_text}{when}"

    def component(self, cid: str) -> Component:
        for c in self.components:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def input(self, name: str) -> InputDef | None:
        return self.inputs.get(name)

    def parse_component(self, raw: dict, where: str = "") -> Component:
        """Parse a (possibly overridden) component dict with this pack's context."""
        return _Parser(where or self.file, self, self._facts).component(raw, f"components.{raw.get('id', '?')}")

    def parse_cond(self, raw: Any, where: str, key: str) -> Cond:
        return _Parser(where, self, self._facts).cond(raw, key)


# --------------------------------------------------------------------------- value parsing

_UNIT = {"": Fraction(1), "万": Fraction(1), "万元": Fraction(1), "亿": Fraction(10000), "亿元": Fraction(10000),
         "元": Fraction(1, 10000)}
_NUM = re.compile(r"^([+-]?)(\d[\d,]*(?:\.\d+)?|\.\d+)(万元|万|亿元|亿|元|%)?$")


def _exact(text: str) -> Fraction:
    try:
        return Fraction(Decimal(text.replace(",", "")))
    except (InvalidOperation, ValueError):
        raise ValueError(text) from None


class _Parser:
    def __init__(self, file: str, pack: RulePack | None, facts: Mapping):
        self.file = file
        self.pack = pack
        self.facts = facts

    # -- errors and helpers --------------------------------------------------------
    def err(self, key: str, problem: str) -> RulePackError:
        return RulePackError(self.file, key or "(文件)", problem)

    def mapping(self, key: str, v: Any, allowed: Iterable[str], required: Iterable[str] = ()) -> dict:
        if not isinstance(v, dict):
            raise self.err(key, "应为映射（“字段: 值”的形式）")
        allowed = set(allowed)
        for k in v:
            if not isinstance(k, str):
                raise self.err(key, f"字段名“{k}”应为文字")
            if k not in allowed:
                hint = ""
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
                    hint = ("。这通常是花括号 { } 里的文字含有英文逗号“,”（如 2,000）被当成了分隔符："
                            "请给这段文字加上引号，或改用中文逗号“，”、不写千位分隔符")
                raise self.err(f"{key}.{k}" if key else k,
                               f"未知字段“{k}”（可用：{'、'.join(sorted(allowed))}）{hint}")
        for k in required:
            if k not in v or v[k] is None or (isinstance(v[k], str) and not v[k].strip()):
                raise self.err(f"{key}.{k}" if key else k, "缺少此项")
        return v

    def text(self, key: str, v: Any, *, required: bool = True) -> str:
        if v is None:
            if required:
                raise self.err(key, "缺少此项")
            return ""
        if isinstance(v, bool) or isinstance(v, (dict, list)):
            raise self.err(key, "应为文字")
        return str(v).strip()

    def boolean(self, key: str, v: Any) -> bool:
        if not isinstance(v, bool):
            raise self.err(key, "应为 true 或 false")
        return v

    def integer(self, key: str, v: Any, *, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float):
                raise self.err(key, f"数值 {v!r} 应为整数")
            raise self.err(key, "应为整数")
        if lo is not None and v < lo or hi is not None and v > hi:
            raise self.err(key, f"{v} 超出允许范围（{lo}～{hi}）")
        return v

    def is_yearly(self, v: Any) -> bool:
        return isinstance(v, str) and v.strip() in _YEARLY_WORDS

    def source_key(self, key: str, v: Any) -> str:
        if v is None or (isinstance(v, str) and not v.strip()):
            raise self.err(key, "缺少来源（source）：每个数值都要注明出处")
        s = self.text(key, v)
        if self.pack is not None and s not in self.pack.sources:
            raise self.err(key, f"来源“{s}”未在 sources 中登记")
        return s

    def _scalar(self, key: str, v: Any, what: str) -> tuple[str, Any]:
        """Unwrap ``{value, source}``; reject floats and unquoted numbers."""
        source = None
        if isinstance(v, dict):
            self.mapping(key, v, {"value", "source", "ref", "note"}, ["value"])
            source = self.source_key(f"{key}.source", v.get("source"))
            v = v["value"]
        if isinstance(v, float):
            raise self.err(key, f"数值 {v!r} 须写成带引号的精确小数（如 \"{v}\"）")
        if isinstance(v, bool) or v is None:
            raise self.err(key, f"应为{what}")
        if isinstance(v, int):
            raise self.err(key, f"{what}须写成带引号的文字，如 \"{v}\"")
        if not isinstance(v, str):
            raise self.err(key, f"应为{what}")
        return source, unicodedata.normalize("NFKC", v).strip()

    def money(self, key: str, v: Any, *, signed: bool = False) -> Val:
        """万元 text (``"300"``, ``"1.5万"``, ``"2亿"``) → Val of 分."""
        source, t = self._scalar(key, v, "金额（万元）")
        m = _NUM.match(t.replace(" ", ""))
        if not m or m.group(3) == "%":
            raise self.err(key, f"“{t}”不是金额（以万元为单位，如 \"300\"）")
        q = _exact(m.group(2)) * _UNIT[m.group(3) or ""] * WAN
        if m.group(1) == "-":
            if not signed:
                raise self.err(key, f"金额“{t}”不能为负数")
            q = -q
        if q.denominator != 1:
            raise self.err(key, f"金额“{t}”超过分的精度")
        return Val(q, t if m.group(3) else f"{t}万元", source)

    def ratio(self, key: str, v: Any, *, lo: Fraction | None = Fraction(0), hi: Fraction | None = Fraction(1),
              what: str = "比例") -> Val:
        """``"10%"`` or ``"0.10"`` → Val of a plain ratio."""
        source, t = self._scalar(key, v, f"{what}（如 \"10%\"）")
        m = _NUM.match(t.replace(" ", ""))
        if not m or (m.group(3) and m.group(3) != "%"):
            raise self.err(key, f"“{t}”不是{what}（写成 \"10%\" 或 \"0.10\"）")
        q = _exact(m.group(2))
        if m.group(3) == "%":
            q /= 100
        if m.group(1) == "-":
            q = -q
        if lo is not None and q < lo or hi is not None and q > hi:
            rng = f"{_pct(lo) if lo is not None else '−∞'}～{_pct(hi) if hi is not None else '∞'}"
            raise self.err(key, f"{what}“{t}”超出允许范围（{rng}）")
        return Val(q, t if m.group(3) else _pct(q), source)

    def count(self, key: str, v: Any) -> Val:
        if isinstance(v, str) and re.fullmatch(r"\d+", v.strip()):
            v = int(v.strip())
        n = self.integer(key, v, lo=0)
        return Val(Fraction(n), str(n), None)

    def number_for(self, key: str, v: Any, kind: str) -> Val:
        if kind == "money":
            return self.money(key, v, signed=True)
        if kind == "ratio":
            return self.ratio(key, v, lo=None, hi=None)
        return self.count(key, v)

    # -- facts ------------------------------------------------------------------------
    def fact_kind(self, key: str, name: Any) -> str:
        if not isinstance(name, str) or not name.strip():
            raise self.err(key, "应为输入名称")
        name = name.strip()
        if self.pack is not None:
            if name not in self.pack.inputs:
                raise self.err(key, f"引用了未在 inputs 中声明的输入“{name}”")
            return self.pack.inputs[name].kind
        if name not in self.facts:
            raise self.err(key, f"未知输入“{name}”")
        return self.facts[name].kind

    def fact(self, key: str, name: Any, kinds: Iterable[str] | None = None) -> str:
        kind = self.fact_kind(key, name)
        if kinds is not None and kind not in kinds:
            want = "、".join(FACT_KINDS[k] for k in kinds)
            raise self.err(key, f"输入“{name}”是{FACT_KINDS[kind]}，此处需要{want}")
        return name.strip()

    def year_sel(self, key: str, v: Any) -> int:
        if v is None or v == "data" or v == "数据年度":
            return 0
        if v in ("prior", "上年", "上一年"):
            return -1
        if isinstance(v, int) and not isinstance(v, bool) and -5 <= v <= 0:
            return v
        raise self.err(key, f"年份“{v}”应为 data、prior 或 0、-1、-2 等（相对数据年度）")

    def quantity(self, key: str, v: Any) -> Quantity:
        numeric = ("money", "ratio", "count", "rank")
        if isinstance(v, str):
            return Quantity("fact", self.fact(key, v, numeric), 0, kind=self.fact_kind(key, v))
        d = self.mapping(key, v, {"fact", "year", "increment", "growth_rate", "ratio"})
        ops = [k for k in ("fact", "increment", "growth_rate", "ratio") if k in d]
        if len(ops) != 1:
            raise self.err(key, "应恰好写 fact、increment、growth_rate、ratio 中的一项")
        op = ops[0]
        year = self.year_sel(f"{key}.year", d.get("year"))
        if op == "ratio":
            pair = d["ratio"]
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.err(f"{key}.ratio", "应为 [分子, 分母] 两项")
            a = self.fact(f"{key}.ratio[0]", pair[0], numeric)
            b = self.fact(f"{key}.ratio[1]", pair[1], numeric)
            return Quantity("ratio", a, year, b, "ratio")
        name = self.fact(f"{key}.{op}", d[op], numeric)
        kind = "ratio" if op == "growth_rate" else self.fact_kind(key, name)
        return Quantity(op, name, year, None, kind)

    # -- conditions ------------------------------------------------------------------
    def cond(self, v: Any, key: str) -> Cond:
        if isinstance(v, str):
            return Cond("fact", self.fact(key, v, ("bool",)))
        d = self.mapping(key, v, {"fact", "is", "year", "any_of", "all_of", "not", "quantity", "op", "limit"})
        if "any_of" in d or "all_of" in d:
            op = "any" if "any_of" in d else "all"
            items = d.get("any_of", d.get("all_of"))
            if not isinstance(items, list) or not items:
                raise self.err(f"{key}.{op}_of", "应为非空列表")
            return Cond(op, items=tuple(self.cond(x, f"{key}.{op}_of[{i}]") for i, x in enumerate(items)))
        if "not" in d:
            return Cond("not", items=(self.cond(d["not"], f"{key}.not"),))
        if "quantity" in d:
            q = self.quantity(f"{key}.quantity", d["quantity"])
            return Cond("cmp", quantity=q, cmp=self.op(f"{key}.op", d.get("op")),
                        limit=self.number_for(f"{key}.limit", d.get("limit"), q.kind))
        if "fact" in d:
            expect = self.boolean(f"{key}.is", d.get("is", True))
            return Cond("fact", self.fact(f"{key}.fact", d["fact"], ("bool",)), expect,
                        self.year_sel(f"{key}.year", d.get("year")))
        raise self.err(key, "条件应写 fact、any_of、all_of、not 或 quantity/op/limit")

    def op(self, key: str, v: Any) -> str:
        if v not in _OPS:
            raise self.err(key, f"比较符“{v}”应为 >=、>、<=、<、== 之一")
        return _OPS[v]

    def gate(self, v: Any, key: str) -> Gate:
        common = {"id", "type", "label", "source", "ref", "flags", "only_if", "effect", "note"}
        if not isinstance(v, dict):
            raise self.err(key, "条件应为映射")
        gid = self.text(f"{key}.id", v.get("id"))
        key = f"{key}[{gid}]" if key.endswith("gates") else key
        gtype = v.get("type")
        if gtype not in GATE_TYPES:
            raise self.err(f"{key}.type", f"未知条件类型“{gtype}”（可用：{'、'.join(GATE_TYPES)}）")
        extra = {
            "status": {"fact", "is", "any_of", "all_of", "year"},
            "integrity": {"fact", "is", "any_of", "all_of", "year"},
            "confirm": {"fact", "is", "any_of", "all_of", "year"},
            "exclusion": {"fact", "any_of", "year"},
            "history": {"fact", "years"},
            "threshold": {"quantity", "op", "limit"},
            "intensity": {"numerator", "denominator", "op", "limit", "year"},
            "growth": {"of", "measure", "op", "limit"},
            "rank": {"fact", "max"},
        }[gtype]
        self.mapping(key, v, common | extra, ["id", "type", "label"])
        source = self.source_key(f"{key}.source", v.get("source"))
        if gtype in ("status", "integrity", "confirm"):
            body = {k: v[k] for k in ("fact", "is", "any_of", "all_of", "year") if k in v}
            cond = self.cond(body, key)
        elif gtype == "exclusion":
            if "any_of" in v:
                names = v["any_of"]
                if not isinstance(names, list) or not names:
                    raise self.err(f"{key}.any_of", "应为非空列表")
                cond = Cond("all", items=tuple(Cond("fact", self.fact(f"{key}.any_of[{i}]", n, ("bool",)), False)
                                               for i, n in enumerate(names)))
            else:
                cond = Cond("fact", self.fact(f"{key}.fact", v.get("fact"), ("bool",)), False,
                            self.year_sel(f"{key}.year", v.get("year")))
        elif gtype == "history":
            cond = Cond("history", self.fact(f"{key}.fact", v.get("fact"), ("bool",)),
                        years=self.integer(f"{key}.years", v.get("years", 1), lo=1, hi=5))
        elif gtype == "threshold":
            q = self.quantity(f"{key}.quantity", v.get("quantity"))
            cond = Cond("cmp", quantity=q, cmp=self.op(f"{key}.op", v.get("op")),
                        limit=self.number_for(f"{key}.limit", v.get("limit"), q.kind))
        elif gtype == "intensity":
            num = self.fact(f"{key}.numerator", v.get("numerator"), ("money",))
            den = self.fact(f"{key}.denominator", v.get("denominator"), ("money",))
            q = Quantity("ratio", num, self.year_sel(f"{key}.year", v.get("year")), den, "ratio")
            cond = Cond("cmp", quantity=q, cmp=self.op(f"{key}.op", v.get("op")),
                        limit=self.ratio(f"{key}.limit", v.get("limit"), lo=None, hi=None))
        elif gtype == "growth":
            of = self.fact(f"{key}.of", v.get("of"), ("money", "count"))
            measure = v.get("measure", "amount")
            if measure not in ("amount", "rate"):
                raise self.err(f"{key}.measure", "应为 amount（增加额）或 rate（增长率）")
            op = self.op(f"{key}.op", v.get("op", ">"))
            if measure == "rate":
                q = Quantity("growth_rate", of, 0, None, "ratio")
                limit = self.ratio(f"{key}.limit", v.get("limit", "0"), lo=None, hi=None)
            else:
                q = Quantity("increment", of, 0, None, self.fact_kind(key, of))
                limit = self.number_for(f"{key}.limit", v.get("limit", "0"), q.kind)
            cond = Cond("cmp", quantity=q, cmp=op, limit=limit)
        else:   # rank
            cond = Cond("rank", self.fact(f"{key}.fact", v.get("fact"), ("rank", "count")),
                        limit=self.count(f"{key}.max", v.get("max")))
        only_if = self.cond(v["only_if"], f"{key}.only_if") if "only_if" in v else None
        effect = v.get("effect", "block")
        if effect not in ("block", "warn"):
            raise self.err(f"{key}.effect", "应为 block（不满足则不予补助）或 warn（仅提示）")
        return Gate(gid, gtype, self.text(f"{key}.label", v.get("label")), cond, only_if, effect, source,
                    self.flag_list(f"{key}.flags", v.get("flags")), self.text(f"{key}.note", v.get("note"), required=False))

    def gates(self, v: Any, key: str) -> tuple[Gate, ...]:
        if v is None:
            return ()
        if not isinstance(v, list):
            raise self.err(key, "应为条件列表")
        out = [self.gate(g, f"{key}") for g in v]
        ids = [g.id for g in out]
        for i in ids:
            if ids.count(i) > 1:
                raise self.err(f"{key}[{i}]", f"条件编号“{i}”重复")
        return tuple(out)

    def flag_list(self, key: str, v: Any) -> tuple[str, ...]:
        if v is None:
            return ()
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.err(key, "应为标记编号列表，如 [PS-AI04]")
        if self.pack is not None:
            for x in v:
                if x not in self.pack.flags:
                    raise self.err(key, f"标记“{x}”未在 flags 中说明")
        return tuple(v)

    # -- components ----------------------------------------------------------------
    COMPONENT_KEYS = {
        "id", "label", "source", "ref", "flags", "gates", "base", "formula", "rate", "categories", "pick", "bands",
        "tier_by", "tiers", "growth_rate", "growth_of", "start_amount", "step", "threshold", "unit", "amount",
        "stock_rate", "increment_rate", "rounding", "floor", "cap", "caps", "multipliers", "minimum", "up_to",
        "up_to_reason", "info_only", "not_computable", "variants", "note",
    }
    _FORMULA_FIELDS = {
        "F1": ({"rate"}, {"rate"}),
        "F2": ({"categories", "pick"}, {"categories"}),
        "F3": ({"bands"}, {"bands"}),
        "F4": ({"tier_by", "tiers"}, {"tier_by", "tiers"}),
        "F5": ({"bands"}, {"bands"}),
        "F6": ({"tiers", "growth_rate", "growth_of"}, {"tiers", "growth_rate"}),
        "F8": ({"start_amount", "step", "threshold", "unit"}, {"start_amount", "step", "threshold", "unit"}),
        "F9": ({"amount"}, {"amount"}),
        "F10": ({"stock_rate", "increment_rate"}, {"stock_rate", "increment_rate"}),
    }

    def base(self, key: str, v: Any) -> Base:
        if isinstance(v, str):
            v = {"code": v}
        d = self.mapping(key, v, {"code", "caliber", "cycle_years", "average_of_prior", "min_of", "minus",
                                  "threshold_ratio", "revenue", "stock"}, ["code"])
        code = unicodedata.normalize("NFKC", str(d["code"])).strip()
        code = _BASE_ALIASES.get(code, _BASE_ALIASES.get(code.upper(), code))
        if code not in BASE_CODES:
            raise self.err(f"{key}.code", f"未知基数类型“{d['code']}”（可用：{'、'.join(BASE_CODES)}）")
        fixed = BASE_CODES[code][1]
        if fixed is not None:
            if "caliber" in d and d["caliber"] != fixed:
                raise self.err(f"{key}.caliber", f"{code} 的口径固定为 {fixed}；其他口径请用 B4～B7")
            for k in ("cycle_years", "average_of_prior", "min_of", "minus", "threshold_ratio", "revenue", "stock"):
                if k in d:
                    raise self.err(f"{key}.{k}", f"{code} 不使用此项")
            self.fact(f"{key}.code", fixed, ("money",))
            return Base(code, fixed)
        if code == "B4":
            caliber = self.fact(f"{key}.caliber", d.get("caliber", "rd_super"), ("money",))
            has = [k for k in ("cycle_years", "average_of_prior") if k in d]
            if len(has) != 1:
                raise self.err(key, "B4 须写 cycle_years（周期年数）或 average_of_prior（前N年平均）之一")
            n = self.integer(f"{key}.{has[0]}", d[has[0]], lo=1 if has[0] == "average_of_prior" else 2, hi=5)
            return Base(code, caliber, cycle_years=n if has[0] == "cycle_years" else None,
                        average_of_prior=n if has[0] == "average_of_prior" else None)
        if code == "B5":
            if "min_of" in d:
                names = d["min_of"]
                if not isinstance(names, list) or not names:
                    raise self.err(f"{key}.min_of", "应为输入名称列表")
                min_of = tuple(self.fact(f"{key}.min_of[{i}]", n, ("money",)) for i, n in enumerate(names))
                caliber = None
            else:
                min_of = ()
                caliber = self.fact(f"{key}.caliber", d.get("caliber"), ("money",))
            minus = d.get("minus") or []
            if not isinstance(minus, list):
                raise self.err(f"{key}.minus", "应为输入名称列表")
            return Base(code, caliber, min_of=min_of,
                        minus=tuple(self.fact(f"{key}.minus[{i}]", n, ("money",)) for i, n in enumerate(minus)))
        if code == "B6":
            self.mapping(key, d, {"code", "caliber", "threshold_ratio", "revenue"}, ["threshold_ratio", "revenue"])
            return Base(code, self.fact(f"{key}.caliber", d.get("caliber", "rd_super"), ("money",)),
                        threshold_ratio=self.ratio(f"{key}.threshold_ratio", d["threshold_ratio"]),
                        revenue=self.fact(f"{key}.revenue", d["revenue"], ("money",)))
        # B7
        self.mapping(key, d, {"code", "caliber", "stock"})
        stock = d.get("stock", "current")
        if stock not in ("current", "overlap"):
            raise self.err(f"{key}.stock", "应为 current（存量=当年全部）或 overlap（存量=当年与上年的较小者）")
        return Base(code, self.fact(f"{key}.caliber", d.get("caliber", "rd_super"), ("money",)), stock=stock)

    def bands(self, key: str, v: Any, *, value: str, allow_require: bool = False) -> tuple[Band, ...] | str:
        """Ordered, contiguous bands ``[{from, to, rate|amount}]`` (from inclusive, to exclusive)."""
        if self.is_yearly(v):
            return YEARLY
        if not isinstance(v, list) or not v:
            raise self.err(key, "应为分档列表")
        out: list[Band] = []
        for i, b in enumerate(v):
            k = f"{key}[{i}]"
            allowed = {"from", "to", value, "cap", "label"} | ({"require"} if allow_require else set())
            self.mapping(k, b, allowed, ["from", value])
            lower = self.money(f"{k}.from", b["from"])
            upper = self.money(f"{k}.to", b["to"]) if b.get("to") is not None else None
            if upper is not None and upper.q <= lower.q:
                raise self.err(f"{k}.to", f"上限 {upper.text} 不大于下限 {lower.text}")
            if out:
                prev = out[-1]
                if prev.upper is None:
                    raise self.err(k, "前一档没有上限（to），其后不能再有分档")
                if lower.q != prev.upper.q:
                    raise self.err(f"{k}.from", f"分档顺序不对或不连续：应从上一档上限 {prev.upper.text} 开始，"
                                                f"实际为 {lower.text}")
            rate = self.ratio(f"{k}.rate", b["rate"]) if value == "rate" else None
            amount = self.money(f"{k}.amount", b["amount"]) if value == "amount" else None
            cap = self.money(f"{k}.cap", b["cap"]) if "cap" in b else None
            require = self.cond(b["require"], f"{k}.require") if "require" in b else None
            out.append(Band(lower, upper, rate, amount, require, cap, self.text(f"{k}.label", b.get("label"),
                                                                                required=False)))
        return tuple(out)

    def ratio_tiers(self, key: str, v: Any, kind: str) -> tuple[Band, ...] | str:
        """F4 tiers on a measure (usually a ratio): ``[{from, to, rate, cap}]``."""
        if self.is_yearly(v):
            return YEARLY
        if not isinstance(v, list) or not v:
            raise self.err(key, "应为分档列表")
        out: list[Band] = []
        for i, b in enumerate(v):
            k = f"{key}[{i}]"
            self.mapping(k, b, {"from", "to", "rate", "cap", "label"}, ["from", "rate"])
            lower = self.number_for(f"{k}.from", b["from"], kind)
            upper = self.number_for(f"{k}.to", b["to"], kind) if b.get("to") is not None else None
            if upper is not None and upper.q <= lower.q:
                raise self.err(f"{k}.to", f"上限 {upper.text} 不大于下限 {lower.text}")
            if out:
                prev = out[-1]
                if prev.upper is None or lower.q != prev.upper.q:
                    raise self.err(f"{k}.from", "分档顺序不对或不连续：每档应从上一档的上限（to）开始")
            out.append(Band(lower, upper, self.ratio(f"{k}.rate", b["rate"]),
                            cap=self.money(f"{k}.cap", b["cap"]) if "cap" in b else None,
                            label=self.text(f"{k}.label", b.get("label"), required=False)))
        return tuple(out)

    def component(self, v: Any, key: str, *, in_variant: bool = False) -> Component:
        if not isinstance(v, dict):
            raise self.err(key, "补助项应为映射")
        self.mapping(key, v, self.COMPONENT_KEYS, ["id", "label", "formula"])
        cid = self.text(f"{key}.id", v["id"])
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", cid):
            raise self.err(f"{key}.id", f"编号“{cid}”只能用字母、数字、下划线或连字符")
        source = self.source_key(f"{key}.source", v.get("source"))
        formula = str(v["formula"]).strip().upper()
        if formula == "F7":
            raise self.err(f"{key}.formula", "F7（身份倍数）不是独立公式：请把倍数写在 multipliers 中")
        if formula not in self._FORMULA_FIELDS:
            raise self.err(f"{key}.formula", f"未知公式类型“{v['formula']}”（可用：{'、'.join(FORMULAS)}）")
        allowed, required = self._FORMULA_FIELDS[formula]
        all_formula_fields = set().union(*(a for a, _ in self._FORMULA_FIELDS.values()))
        for k in all_formula_fields - allowed:
            if k in v:
                raise self.err(f"{key}.{k}", f"公式 {formula} 不使用此项（需要：{'、'.join(sorted(required))}）")
        variants = v.get("variants")
        if variants is None or in_variant:
            for k in sorted(required):
                if k not in v:
                    raise self.err(f"{key}.{k}", f"公式 {formula} 需要此项")
        base = None
        if "base" in v:
            base = self.base(f"{key}.base", v["base"])
        elif formula not in ("F9",) and (variants is None or in_variant):
            raise self.err(f"{key}.base", "缺少基数类型（B1～B7）")
        if base is not None and (formula == "F10") != (base.code == "B7"):
            raise self.err(f"{key}.base", "F10（存量+增量）必须与基数 B7 配合使用，B7 也只能用于 F10")
        c: dict[str, Any] = {"id": cid, "label": self.text(f"{key}.label", v["label"]), "source": source,
                             "formula": formula, "base": base, "flags": self.flag_list(f"{key}.flags", v.get("flags")),
                             "gates": self.gates(v.get("gates"), f"{key}.gates"),
                             "note": self.text(f"{key}.note", v.get("note"), required=False)}
        if "rate" in v:
            r = v["rate"]
            if self.is_yearly(r):
                c["rate"] = YEARLY
            elif isinstance(r, dict) and set(r) & {"min", "max"}:
                self.mapping(f"{key}.rate", r, {"min", "max", "source"}, ["min", "max"])
                src = self.source_key(f"{key}.rate.source", r["source"]) if "source" in r else None
                lo, hi = self.ratio(f"{key}.rate.min", r["min"]), self.ratio(f"{key}.rate.max", r["max"])
                if hi.q < lo.q:
                    raise self.err(f"{key}.rate", "max 小于 min")
                c["rate"] = (Val(lo.q, lo.text, src), Val(hi.q, hi.text, src))
            else:
                c["rate"] = self.ratio(f"{key}.rate", r)
        if "categories" in v:
            cats = v["categories"]
            if not isinstance(cats, list) or not cats:
                raise self.err(f"{key}.categories", "应为类别列表")
            parsed = []
            for i, cat in enumerate(cats):
                k = f"{key}.categories[{i}]"
                self.mapping(k, cat, {"label", "when", "rate", "up_to"}, ["label", "rate"])
                parsed.append(Category(self.text(f"{k}.label", cat["label"]),
                                       self.cond(cat["when"], f"{k}.when") if "when" in cat else None,
                                       self.ratio(f"{k}.rate", cat["rate"]),
                                       self.boolean(f"{k}.up_to", cat.get("up_to", False))))
            if sum(1 for p in parsed if p.when is None) > 1:
                raise self.err(f"{key}.categories", "只能有一个不写 when 的“其他企业”类别")
            c["categories"] = tuple(parsed)
            pick = v.get("pick", "highest")
            if pick not in ("highest", "first"):
                raise self.err(f"{key}.pick", "应为 highest（就高）或 first（按顺序取第一个符合的）")
            c["pick"] = pick
        if "bands" in v:
            c["bands"] = self.bands(f"{key}.bands", v["bands"], value="rate" if formula == "F3" else "amount",
                                    allow_require=formula == "F5")
            if formula == "F3" and c["bands"] != YEARLY and c["bands"][0].lower.q != 0:
                raise self.err(f"{key}.bands[0].from", "分段累进的第一段应从 \"0\" 开始")
        if "tier_by" in v:
            c["tier_by"] = self.quantity(f"{key}.tier_by", v["tier_by"])
        if "tiers" in v:
            if formula == "F4":
                kind = c["tier_by"].kind if c.get("tier_by") else "ratio"
                c["tiers"] = self.ratio_tiers(f"{key}.tiers", v["tiers"], kind)
            else:
                c["tiers"] = self.bands(f"{key}.tiers", v["tiers"], value="amount")
        if "growth_rate" in v:
            c["growth_rate"] = self.ratio(f"{key}.growth_rate", v["growth_rate"])
        if "growth_of" in v:
            c["growth_of"] = self.fact(f"{key}.growth_of", v["growth_of"], ("money",))
        for k in ("start_amount", "step", "threshold", "unit"):
            if k in v:
                c[k] = self.money(f"{key}.{k}", v[k])
        if "unit" in c and c["unit"].q <= 0:
            raise self.err(f"{key}.unit", "单位应大于0")
        if "amount" in v:
            c["amount"] = YEARLY if self.is_yearly(v["amount"]) else self.money(f"{key}.amount", v["amount"])
        for k in ("stock_rate", "increment_rate"):
            if k in v:
                c[k] = YEARLY if self.is_yearly(v[k]) else self.ratio(f"{key}.{k}", v[k])
        if "rounding" in v:
            r = self.mapping(f"{key}.rounding", v["rounding"], {"unit", "mode", "position"}, ["unit"])
            mode = r.get("mode", "half_up")
            if mode not in ROUNDING_MODES:
                raise self.err(f"{key}.rounding.mode", f"应为 {'、'.join(ROUNDING_MODES)} 之一")
            position = r.get("position", "before_floor")
            if position not in ("before_floor", "after_floor"):
                raise self.err(f"{key}.rounding.position", "应为 before_floor 或 after_floor")
            unit = self.money(f"{key}.rounding.unit", r["unit"])
            if unit.q <= 0:
                raise self.err(f"{key}.rounding.unit", "取整单位应大于0")
            c["rounding"] = Rounding(unit, mode, position)
        if "floor" in v:
            c["floor"] = self.money(f"{key}.floor", v["floor"])
        if "cap" in v and v["cap"] is not None:
            c["cap"] = YEARLY if self.is_yearly(v["cap"]) else self.money(f"{key}.cap", v["cap"])
        if "caps" in v:
            if not isinstance(v["caps"], list):
                raise self.err(f"{key}.caps", "应为列表")
            caps = []
            for i, e in enumerate(v["caps"]):
                k = f"{key}.caps[{i}]"
                self.mapping(k, e, {"when", "cap", "label"}, ["when", "cap"])
                caps.append(StatusCap(self.cond(e["when"], f"{k}.when"), self.money(f"{k}.cap", e["cap"]),
                                      self.text(f"{k}.label", e.get("label"), required=False)))
            c["caps"] = tuple(caps)
        if "multipliers" in v:
            if not isinstance(v["multipliers"], list):
                raise self.err(f"{key}.multipliers", "应为列表")
            ms = []
            for i, e in enumerate(v["multipliers"]):
                k = f"{key}.multipliers[{i}]"
                self.mapping(k, e, {"when", "factor", "cap", "label"}, ["when", "factor"])
                ms.append(Multiplier(self.cond(e["when"], f"{k}.when"),
                                     self.ratio(f"{k}.factor", e["factor"], lo=Fraction(0), hi=Fraction(10), what="倍数"),
                                     self.money(f"{k}.cap", e["cap"]) if "cap" in e else None,
                                     self.text(f"{k}.label", e.get("label"), required=False)))
            c["multipliers"] = tuple(ms)
        if "minimum" in v:
            m = self.mapping(f"{key}.minimum", v["minimum"], {"amount", "when", "label"}, ["amount"])
            c["minimum"] = Minimum(self.money(f"{key}.minimum.amount", m["amount"]),
                                   self.cond(m["when"], f"{key}.minimum.when") if "when" in m else None,
                                   self.text(f"{key}.minimum.label", m.get("label"), required=False))
        for k in ("up_to", "info_only"):
            if k in v:
                c[k] = self.boolean(f"{key}.{k}", v[k])
        if "up_to_reason" in v:
            c["up_to_reason"] = self.text(f"{key}.up_to_reason", v["up_to_reason"])
        if "not_computable" in v and v["not_computable"] is not None:
            c["not_computable"] = self.text(f"{key}.not_computable", v["not_computable"])
        # consistency of caps, floors, minimums
        floor = c.get("floor")
        caps = [x for x in [c.get("cap")] if isinstance(x, Val)] + [s.cap for s in c.get("caps", ())] + \
               [m.cap for m in c.get("multipliers", ()) if m.cap is not None]
        for b in (c.get("bands") if isinstance(c.get("bands"), tuple) else ()) + \
                 (c.get("tiers") if isinstance(c.get("tiers"), tuple) else ()):
            if b.cap is not None:
                caps.append(b.cap)
        if floor is not None:
            for cap in caps:
                if cap.q < floor.q:
                    raise self.err(f"{key}.cap", f"上限 {cap.text} 低于起付额 floor {floor.text}")
        if c.get("minimum") is not None:
            for cap in caps:
                if cap.q < c["minimum"].amount.q:
                    raise self.err(f"{key}.minimum", f"保底金额 {c['minimum'].amount.text} 高于上限 {cap.text}")
        if variants is not None and not in_variant:
            if not isinstance(variants, list) or not variants:
                raise self.err(f"{key}.variants", "应为非空列表")
            parsed_v = []
            for i, var in enumerate(variants):
                k = f"{key}.variants[{i}]"
                if not isinstance(var, dict):
                    raise self.err(k, "应为映射")
                self.mapping(k, var, (self.COMPONENT_KEYS - {"id", "variants"}) | {"id", "when"}, ["id", "label", "when"])
                vid = self.text(f"{k}.id", var["id"])
                merged = merge_component(v, var)
                self.component(merged, f"{key}.variants[{vid}]", in_variant=True)     # validate the merge
                parsed_v.append(Variant(vid, self.text(f"{k}.label", var["label"]), self.cond(var["when"], f"{k}.when"),
                                        {kk: vv for kk, vv in var.items() if kk not in ("id", "when")}))
            c["variants"] = tuple(parsed_v)
        return Component(**c)


def merge_component(base: dict, patch: Mapping, *, keep_variants: bool = False) -> dict:
    """A component dict with ``patch``'s fields replacing its own (variants, year overrides).

    ``gates`` of a variant are added to the component's gates, and its label is appended.  A year
    override keeps the component's variants (``keep_variants``); a variant merge drops them.
    """
    out = {k: copy.deepcopy(v) for k, v in base.items() if keep_variants or k != "variants"}
    for k, v in patch.items():
        if k in ("id", "when", "variants"):
            continue
        if k == "gates" and "gates" in base:
            out["gates"] = list(base.get("gates") or []) + list(v or [])
        elif k == "label" and "label" in base and "when" in patch:
            out["label"] = f"{base['label']}（{v}）"
        else:
            out[k] = copy.deepcopy(v)
    return out


# --------------------------------------------------------------------------- whole packs

_TOP = {"pack_id", "version", "region", "region_code", "level", "title", "doc_number", "issuer", "effective_from",
        "effective_to", "data_year_offset", "confidence", "sources", "flags", "assumptions", "warnings", "inputs",
        "gates", "components", "combination", "year_overrides", "examples", "notes", "reviewed_on", "verified", "status",
        "status_note", "category"}
_REQUIRED = ["pack_id", "region", "region_code", "level", "title", "issuer", "confidence", "sources", "components"]


def _reject_floats(file: str, key: str, node: Any) -> None:
    """A binary float anywhere is an error; keys name items by id like the rest of the loader."""
    if isinstance(node, float):
        raise RulePackError(file, key or "(文件)", f"数值 {node!r} 须写成带引号的精确小数（如 \"{node}\"）")
    if isinstance(node, dict):
        for k, v in node.items():
            _reject_floats(file, f"{key}.{k}" if key else str(k), v)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            ident = v.get("id") if isinstance(v, dict) and isinstance(v.get("id"), (str, int)) else None
            if ident is None:
                sub = f"{key}[{i}]"
            elif key == "components":
                sub = f"components.{ident}"
            else:
                sub = f"{key}[{ident}]"
            _reject_floats(file, sub, v)


CATEGORIES = {"subsidy": "研发费用后补助", "voucher": "科技创新券", "loan": "科创贷融资成本补助"}


def _category(p: "_Parser", v: Any) -> str:
    """What kind of support a pack estimates: post-subsidies are shown with the R&D figures; vouchers and loan-cost
    subsidies are estimated from a planned purchase or loan and shown apart from them."""
    if v is None:
        return "subsidy"
    if v not in CATEGORIES:
        raise p.err("category", f"类别“{v}”应为 {'、'.join(CATEGORIES)} 之一（{'、'.join(CATEGORIES.values())}）")
    return v


def parse_pack(doc: Any, file: str, facts: Mapping, *, path: Path | None = None, origin: str = "shipped") -> RulePack:
    """Validate one pack document (already read from YAML) and build its :class:`RulePack`."""
    _reject_floats(file, "", doc)
    p = _Parser(file, None, facts)
    if not isinstance(doc, dict):
        raise p.err("", "文件内容应为映射（字段: 值）")
    p.mapping("", doc, _TOP, _REQUIRED)
    pack_id = p.text("pack_id", doc["pack_id"])
    if not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", pack_id):
        raise p.err("pack_id", f"编号“{pack_id}”只能用小写字母、数字和连字符，如 mycity-2024")
    stem = Path(file).stem
    if pack_id != stem:
        raise p.err("pack_id", f"编号“{pack_id}”与文件名“{stem}”不一致（文件名应为 {pack_id}.yaml）")
    level = doc["level"]
    if level not in LEVELS:
        raise p.err("level", f"层级“{level}”应为 {'、'.join(LEVELS)} 之一")
    confidence = doc["confidence"]
    if confidence not in CONFIDENCE:
        raise p.err("confidence", f"可信度“{confidence}”应为 solid 或 provisional")
    region_code = p.text("region_code", doc["region_code"])
    if not re.fullmatch(r"\d{6}", region_code):
        raise p.err("region_code", f"行政区划代码“{region_code}”应为6位数字（写成带引号的文字）")
    issuer = doc["issuer"]
    if isinstance(issuer, str):
        issuer = [issuer]
    if not isinstance(issuer, list) or not issuer or not all(isinstance(x, str) for x in issuer):
        raise p.err("issuer", "应为发文机关名称或其列表")
    if "effective_from" not in doc:
        raise p.err("effective_from", "缺少此项（起始奖补年度；确实不知道时写 null）")
    eff_from = doc.get("effective_from")
    eff_from = None if eff_from is None else p.integer("effective_from", eff_from, lo=2000, hi=2100)
    eff_to = doc.get("effective_to")
    eff_to = None if eff_to is None else p.integer("effective_to", eff_to, lo=2000, hi=2100)
    if eff_from is not None and eff_to is not None and eff_to < eff_from:
        raise p.err("effective_to", f"截止年度 {eff_to} 早于起始年度 {eff_from}")
    offset = p.integer("data_year_offset", doc.get("data_year_offset", -1), lo=-3, hi=0)
    fresh = _freshness(p, doc, eff_from, eff_to)
    version = p.integer("version", doc.get("version", 1), lo=1)
    # sources
    srcs = doc["sources"]
    if not isinstance(srcs, dict) or not srcs:
        raise p.err("sources", "应为 来源编号 → {title, url, date} 的映射，至少一项")
    sources: dict[str, PackSource] = {}
    for k, s in srcs.items():
        key = f"sources.{k}"
        if isinstance(s, str):
            s = {"title": s}
        p.mapping(key, s, {"title", "url", "date", "ref", "note"}, ["title"])
        sources[str(k)] = PackSource(str(k), p.text(f"{key}.title", s["title"]), p.text(f"{key}.url", s.get("url"),
                                     required=False), p.text(f"{key}.date", s.get("date"), required=False),
                                     p.text(f"{key}.ref", s.get("ref"), required=False))
    # flags
    flags: dict[str, str] = {}
    for i, f in enumerate(doc.get("flags") or []):
        key = f"flags[{i}]"
        p.mapping(key, f, {"id", "text", "why"}, ["id", "text"])
        fid = p.text(f"{key}.id", f["id"])
        if fid in flags:
            raise p.err(key, f"标记“{fid}”重复")
        flags[fid] = p.text(f"{key}.text", f["text"]) + (f"（理由：{f['why']}）" if f.get("why") else "")
    assumptions = doc.get("assumptions") or []
    warnings = doc.get("warnings") or []
    for name, lst in (("assumptions", assumptions), ("warnings", warnings)):
        if not isinstance(lst, list) or not all(isinstance(x, str) for x in lst):
            raise p.err(name, "应为文字列表")
    # inputs
    inputs: dict[str, InputDef] = {}
    raw_inputs = doc.get("inputs") or {}
    if not isinstance(raw_inputs, dict):
        raise p.err("inputs", "应为 输入名称 → 说明 的映射")
    for name, d in raw_inputs.items():
        key = f"inputs.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            raise p.err(key, "输入名称只能用小写字母、数字和下划线")
        d = d or {}
        p.mapping(key, d, {"label", "kind", "from", "hint", "fallback"})
        known = facts.get(name)
        if known is None and ("label" not in d or "kind" not in d):
            raise p.err(key, f"“{name}”不是标准输入名称：自定义输入须写 label（中文名称）和 kind（{'/'.join(FACT_KINDS)}）")
        kind = d.get("kind", known.kind if known else None)
        if kind not in FACT_KINDS:
            raise p.err(f"{key}.kind", f"类型“{kind}”应为 {'、'.join(FACT_KINDS)} 之一")
        if known is not None and kind != known.kind:
            raise p.err(f"{key}.kind", f"标准输入“{name}”的类型是 {known.kind}，不能改为 {kind}")
        comes_from = d.get("from", known.origin if known else "user")
        if comes_from not in FACT_ORIGINS:
            raise p.err(f"{key}.from", f"来源“{comes_from}”应为 {'、'.join(FACT_ORIGINS)} 之一")
        fallback = d.get("fallback")
        inputs[name] = InputDef(name, str(d.get("label") or known.label), kind, comes_from,
                                str(d.get("hint") or (known.hint if known else "")), fallback)
    for name, inp in inputs.items():
        if inp.fallback is not None and (inp.fallback not in inputs or inputs[inp.fallback].kind != inp.kind
                                         or inp.fallback == name):
            raise p.err(f"inputs.{name}.fallback", f"替代输入“{inp.fallback}”须是已声明的同类型输入")
    pack = RulePack(pack_id, version, p.text("region", doc["region"]), region_code, level, p.text("title", doc["title"]),
                    p.text("doc_number", doc.get("doc_number"), required=False), tuple(issuer), eff_from, eff_to,
                    offset, confidence, sources, flags, tuple(assumptions), tuple(warnings), inputs, (), (), (),
                    Combination(), (), (), file=file, path=path, origin=origin,
                    notes=p.text("notes", doc.get("notes"), required=False), _facts=facts, **fresh,
                    category=_category(p, doc.get("category")))
    p = _Parser(file, pack, facts)
    pack.gates = p.gates(doc.get("gates"), "gates")
    comps = doc["components"]
    if not isinstance(comps, list) or not comps:
        raise p.err("components", "应为补助项列表，至少一项")
    parsed, ids = [], []
    for i, c in enumerate(comps):
        key = f"components.{c.get('id')}" if isinstance(c, dict) and c.get("id") else f"components[{i}]"
        comp = p.component(c, key)
        if comp.id in ids:
            raise p.err(key, f"补助项编号“{comp.id}”重复")
        ids.append(comp.id)
        parsed.append(comp)
    pack.components = tuple(parsed)
    pack.raw_components = tuple(copy.deepcopy(c) for c in comps)
    pack.combination = _combination(p, doc.get("combination") or {"mode": "stack"}, ids)
    pack.year_overrides = _year_overrides(p, pack, doc.get("year_overrides") or [])
    pack.examples = _examples(p, pack, doc.get("examples") or [], ids)
    return pack


def _freshness(p: _Parser, doc: dict, eff_from: int | None, eff_to: int | None) -> dict:
    """``reviewed_on``, ``verified`` {award_years: [from, to] | null, checked, against}, ``status``, ``status_note``."""
    out: dict[str, Any] = {}
    rv = doc.get("reviewed_on")
    if rv is not None:
        rv = str(rv)       # YAML may give a date
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", rv):
            raise p.err("reviewed_on", f"核对日期“{rv}”应写成 \"YYYY-MM-DD\"")
        out["reviewed_on"] = rv
    ver = doc.get("verified")
    if ver is not None:
        d = p.mapping("verified", ver, {"award_years", "checked", "against"}, ["checked", "against"])
        if "award_years" not in d:
            raise p.err("verified.award_years", "缺少此项（[起始奖补年度, 截止奖补年度]；未能核实写 null）")
        yrs = d["award_years"]
        if yrs is not None:
            if not isinstance(yrs, list) or len(yrs) != 2:
                raise p.err("verified.award_years", "应为 [起始奖补年度, 截止奖补年度]，未能核实写 null")
            a = p.integer("verified.award_years", yrs[0], lo=2000, hi=2100)
            b = p.integer("verified.award_years", yrs[1], lo=2000, hi=2100)
            if b < a:
                raise p.err("verified.award_years", f"截止年度 {b} 早于起始年度 {a}")
            if (eff_from is not None and a < eff_from) or (eff_to is not None and b > eff_to):
                raise p.err("verified.award_years", "核实的年度应在政策适用期（effective_from—effective_to）之内")
            out["verified_from"], out["verified_to"] = a, b
        out["verified_checked"] = p.text("verified.checked", d["checked"])
        out["verified_against"] = p.text("verified.against", d["against"])
        if "reviewed_on" not in out:
            raise p.err("reviewed_on", "写了 verified（核实范围）就须写核对日期 reviewed_on")
    status = doc.get("status", "active")
    if status not in PACK_STATUS:
        raise p.err("status", f"状态“{status}”应为 {'、'.join(PACK_STATUS)} 之一")
    if status == "retired" and eff_to is None:
        raise p.err("status", "已停止（retired）的政策须写截止年度 effective_to")
    out["status"] = status
    out["status_note"] = p.text("status_note", doc.get("status_note"), required=False)
    return out


def _combination(p: _Parser, v: Any, ids: list[str]) -> Combination:
    d = p.mapping("combination", v, {"mode", "prefer", "cap", "matching", "cost_share", "payer", "source", "note"})
    mode = d.get("mode", "stack")
    if mode not in COMBINATION_MODES:
        hint = "（配套请写在 matching 中，分担请写在 cost_share 中）" if mode in ("matching", "cost_share") else ""
        raise p.err("combination.mode", f"组合方式“{mode}”应为 {'、'.join(COMBINATION_MODES)} 之一{hint}")
    needs_source = any(k in d for k in ("cap", "cost_share"))
    source = p.source_key("combination.source", d.get("source")) if needs_source or "source" in d else None
    prefer = d.get("prefer") or []
    if not isinstance(prefer, list) or any(x not in ids for x in prefer):
        raise p.err("combination.prefer", f"应为补助项编号列表（已有：{'、'.join(ids)}）")
    if prefer and mode != "exclusive":
        raise p.err("combination.prefer", "只有 exclusive（择一）时才写 prefer")
    cap = p.money("combination.cap", d["cap"]) if d.get("cap") is not None else None
    matching = []
    for i, m in enumerate(d.get("matching") or []):
        key = f"combination.matching[{i}]"
        p.mapping(key, m, {"level", "pct", "source", "optional", "note"}, ["level", "pct"])
        pct = YEARLY if p.is_yearly(m["pct"]) else p.ratio(f"{key}.pct", m["pct"], hi=Fraction(10))
        matching.append(Matching(p.text(f"{key}.level", m["level"]), pct, p.source_key(f"{key}.source", m.get("source")),
                                 p.boolean(f"{key}.optional", m.get("optional", False)),
                                 p.text(f"{key}.note", m.get("note"), required=False)))
    shares = []
    cs = d.get("cost_share") or []
    if cs:
        if not isinstance(cs, list) or len(cs) < 2:
            raise p.err("combination.cost_share", "应为至少两级的列表 [{level, share}]")
        for i, s in enumerate(cs):
            key = f"combination.cost_share[{i}]"
            p.mapping(key, s, {"level", "share"}, ["level", "share"])
            share = p.ratio(f"{key}.share", s["share"], lo=Fraction(0), hi=None, what="分担份额")
            shares.append((p.text(f"{key}.level", s["level"]), share.q))
        if sum(q for _, q in shares) <= 0:
            raise p.err("combination.cost_share", "分担份额之和应大于0")
    payer = []
    for i, e in enumerate(d.get("payer") or []):
        key = f"combination.payer[{i}]"
        p.mapping(key, e, {"when", "level"}, ["level"])
        payer.append((p.cond(e["when"], f"{key}.when") if "when" in e else None, p.text(f"{key}.level", e["level"])))
    return Combination(mode, tuple(prefer), cap, tuple(matching), tuple(shares), tuple(payer), source,
                       p.text("combination.note", d.get("note"), required=False))


def _year_overrides(p: _Parser, pack: RulePack, v: Any) -> tuple[YearOverride, ...]:
    if not isinstance(v, list):
        raise p.err("year_overrides", "应为列表")
    out = []
    raw_by_id = {c["id"]: c for c in pack.raw_components}
    for i, e in enumerate(v):
        key = f"year_overrides[{i}]"
        p.mapping(key, e, {"award_years", "source", "ref", "note", "components"}, ["award_years", "components"])
        years = e["award_years"]
        years = [years] if isinstance(years, int) and not isinstance(years, bool) else years
        if not isinstance(years, list) or not years:
            raise p.err(f"{key}.award_years", "应为奖补年度或其列表")
        years = [p.integer(f"{key}.award_years", y, lo=2000, hi=2100) for y in years]
        source = p.source_key(f"{key}.source", e.get("source"))
        comps = e["components"]
        if not isinstance(comps, dict) or not comps:
            raise p.err(f"{key}.components", "应为 补助项编号 → 要改的字段 的映射")
        for cid, patch in comps.items():
            if cid not in raw_by_id:
                raise p.err(f"{key}.components.{cid}", f"没有编号为“{cid}”的补助项")
            if not isinstance(patch, dict):
                raise p.err(f"{key}.components.{cid}", "应为映射")
            for k in patch:
                if k in ("id", "variants"):
                    raise p.err(f"{key}.components.{cid}.{k}", "年度参数不能修改此项")
            merged = merge_component(raw_by_id[cid], override_patch(patch), keep_variants=True)
            p.component(merged, f"{key}.components.{cid}")
        out.append(YearOverride(tuple(years), source, comps, p.text(f"{key}.note", e.get("note"), required=False)))
    return tuple(out)


def override_patch(patch: Mapping) -> dict:
    """A year's parameters: a rate entered for the year is a stated figure, not a ceiling (AI-APP-PS02)."""
    out = dict(patch)
    if "rate" in patch and "up_to" not in patch:
        out["up_to"] = False
    return out


def _examples(p: _Parser, pack: RulePack, v: Any, ids: list[str]) -> tuple[dict, ...]:
    if not isinstance(v, list):
        raise p.err("examples", "应为列表")
    seen = set()
    for i, e in enumerate(v):
        key = f"examples[{i}]"
        p.mapping(key, e, {"id", "note", "award_year", "facts", "overrides", "expect"}, ["id", "facts", "expect"])
        if e["id"] in seen:
            raise p.err(key, f"示例编号“{e['id']}”重复")
        seen.add(e["id"])
        if "award_year" in e:
            p.integer(f"{key}.award_year", e["award_year"], lo=2000, hi=2100)
        facts = e["facts"]
        if not isinstance(facts, dict):
            raise p.err(f"{key}.facts", "应为 年度 → {输入: 值} 的映射（另可有 enterprise）")
        for y, vals in facts.items():
            if not (y == "enterprise" or isinstance(y, int)):
                raise p.err(f"{key}.facts.{y}", "应为年度（如 2023）或 enterprise")
            if not isinstance(vals, dict):
                raise p.err(f"{key}.facts.{y}", "应为 输入名称 → 值 的映射")
            for name in vals:
                if name not in pack.inputs:
                    raise p.err(f"{key}.facts.{y}.{name}", f"输入“{name}”未在 inputs 中声明")
        exp = p.mapping(f"{key}.expect", e["expect"], {"amount", "low", "kind", "up_to", "eligible", "items", "status"})
        if "kind" in exp and exp["kind"] not in ("exact", "up_to", "range", "conditional", "not_computable"):
            raise p.err(f"{key}.expect.kind", "应为 exact、up_to、range、conditional、not_computable 之一")
        if "status" in exp and exp["status"] not in STATUS_LABELS:
            raise p.err(f"{key}.expect.status", f"应为 {'、'.join(STATUS_LABELS)} 之一")
        for k in ("amount", "low"):
            if k in exp and exp[k] is not None:
                p.money(f"{key}.expect.{k}", exp[k])
        for cid, amt in (exp.get("items") or {}).items():
            if cid not in ids:
                raise p.err(f"{key}.expect.items.{cid}", f"没有编号为“{cid}”的补助项")
            if amt is not None:
                p.money(f"{key}.expect.items.{cid}", amt)
    return tuple(v)


def read_pack(path: Path, facts: Mapping, *, origin: str = "shipped") -> RulePack:
    """Read and validate one pack file."""
    path = Path(path)
    file = path.name
    try:
        text = yamlsafe.read_text(path)
    except yamlsafe.TooLarge as exc:
        raise RulePackError(file, "(文件)", exc.problem) from None
    except UnicodeDecodeError:
        raise RulePackError(file, "(文件)", "不是 UTF-8 编码的文本文件") from None
    except OSError as exc:
        raise RulePackError(file, "(文件)", f"无法读取（{exc.strerror or exc}）") from None
    try:
        doc = yamlsafe.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else "(文件)"
        raise RulePackError(file, where, f"YAML 格式错误：{getattr(exc, 'problem', None) or exc}") from None
    except ValueError as exc:
        raise RulePackError(file, "(文件)", f"无效的值：{exc}") from None
    try:
        return parse_pack(doc, file, facts, path=path, origin=origin)
    except RulePackError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise RulePackError(file, "(文件)", f"结构错误：{exc}") from None


def user_pack_dir() -> Path:
    """Where an advisor puts custom packs (created on demand by the caller): ``packs`` in the per-user
    configuration folder (:func:`calc.userdirs.config_dir`; Linux ``~/.config/rd-benefit/packs``, Windows
    ``%APPDATA%\\rd-benefit\\packs``, macOS ``~/Library/Application Support/rd-benefit/packs``)."""
    from .userdirs import config_dir
    return config_dir() / "packs"


def pack_files(directory: Path) -> list[Path]:
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())


def _pct(q: Fraction) -> str:
    """A ratio as a trimmed percentage: 3/100 → "3%", 7/400 → "1.75%"."""
    x = q * 100
    if x.denominator == 1:
        return f"{x.numerator}%"
    d = Decimal(x.numerator) / Decimal(x.denominator)
    s = f"{d.quantize(Decimal('0.0001')):f}".rstrip("0").rstrip(".")
    return f"{s}%"
