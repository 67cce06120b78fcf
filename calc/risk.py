"""Tax-bureau style risk screening of an R&D ledger (税务风险筛查), rules as data.

The rules live in ``resources/params/risk_rules.yaml`` (validated by :func:`parse_rules` when the parameters are
loaded); each has a ``kind`` implemented here.  :func:`screen` runs every rule in force on 31 December of the tax
year and returns :class:`RiskFinding` records: rule id, severity, Chinese message with the figures, why the bureau
looks at it, what to keep on file, and the ledger / project rows concerned.  Screening never changes a figure.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from operator import attrgetter
from typing import Any, Callable, Iterable

import numpy as np

from .columns import line_columns
from .model import INFO, WARNING, Finding, Ledger, Src
from .money import fen_display, ratio_str, round_fen
from .params import Params, ParamError, _date, load_params

FILE = "risk_rules.yaml"
STEM = "risk_rules"
SEVERITIES = {"提示": INFO, "关注": WARNING, "高风险": WARNING}     # → calc.model.Finding severity
SEVERITY_ORDER = {"高风险": 0, "关注": 1, "提示": 2}
JSON_LOCATIONS = 100            # locations listed per finding in the JSON document (the count is always given)

S_LINES, S_PROJECTS, S_YEARS, S_PROFILE = "研发支出", "研发项目", "年度数据", "企业信息"
ENTRUSTED = ("entrusted_domestic", "entrusted_overseas", "entrusted_overseas_individual")
GRANT = "财政资金（不征税）"

# -- parameter types -----------------------------------------------------------------------------------------------
RATIO, AMOUNT, INT, WORDS = "ratio", "amount", "int", "words"

# kind → {parameter: type}; every parameter is required, no other is accepted
KINDS: dict[str, dict[str, str]] = {
    "staff_cost_share": {"max_share": RATIO, "min_base_yuan": AMOUNT},
    "person_overload": {"tolerance_hours": RATIO},
    "outside_project_period": {"grace_days": INT},
    "material_share_jump": {"min_increase": RATIO, "min_growth_factor": RATIO},
    "related_entrustee_no_contract": {},
    "negative_list_industry": {"near_share": RATIO},
    "capitalised_no_formation_date": {"grace_days": INT},
    "other_cost_over_cap": {"over_cap_factor": RATIO},
    "production_keywords": {"keywords": WORDS, "exceptions": WORDS},
    "project_without_staff": {"min_project_yuan": AMOUNT},
    "rd_ratio_jump": {"min_growth_factor": RATIO, "min_increase": RATIO},
    "duplicate_voucher": {"min_amount_yuan": AMOUNT},
    "year_end_concentration": {"month": INT, "max_share": RATIO, "min_base_yuan": AMOUNT},
    "round_amounts": {"unit_yuan": AMOUNT, "min_lines": INT, "max_share": RATIO, "categories": WORDS},
    "overseas_over_cap": {},
    "grant_income_without_grant_lines": {"min_nontaxable_yuan": AMOUNT},
    "overseas_individual": {},
    "entrusted_code_mismatch": {},
    "rd_revenue_implausible": {"max_ratio": RATIO},
    "staff_cost_per_head": {"min_yuan": AMOUNT, "max_yuan": AMOUNT},
    "ia_amortisation_years": {},
    "rd_ratio_near_threshold": {"margin": RATIO},
    "related_entrustee": {},
    "collective_rd": {},
    "cross_year_summary": {},
    "caliber_gap": {"max_gap_share": RATIO, "min_gap_yuan": AMOUNT},
}
_RULE_KEYS = {"id", "title", "kind", "severity", "from", "to", "source", "ref", "interpretations", "params", "why",
              "evidence"}
_PARAM_KEYS = {"value", "source", "ref", "why", "interpretations"}
HEURISTIC_SOURCE = "风险扫描实务"


@dataclass(frozen=True)
class RuleParam:
    name: str
    value: Any                  # Fraction (ratio), int 分 (amount), int, tuple[str, ...] (words)
    source: str                 # key of Params.sources
    ref: str
    why: str


@dataclass(frozen=True)
class RiskRule:
    id: str
    title: str
    kind: str
    severity: str               # 提示 | 关注 | 高风险
    start: dt.date
    end: dt.date | None
    source: str
    ref: str
    why: str
    evidence: str
    params: dict = field(default_factory=dict)          # name → RuleParam
    interpretations: tuple[str, ...] = ()
    citation: str = ""          # the full title of ``source``

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def value(self, name: str):
        return self.params[name].value


@dataclass(frozen=True)
class RiskFinding:
    """One rule that fired: what, why the bureau looks at it, what to keep, where."""
    rule_id: str
    severity: str               # 提示 | 关注 | 高风险
    title: str
    message: str                # Chinese, with the concrete figures
    why: str
    evidence: str
    basis: str = ""             # legal basis: full title of the source and the article
    locations: tuple = ()       # Src (sheet, row) of the ledger lines / project rows / year rows concerned
    column: str | None = None   # the column the locations point at (e.g. 摘要)
    interpretations: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        return SEVERITIES.get(self.severity, WARNING)

    @property
    def text(self) -> str:
        return f"【{self.severity}】{self.title}：{self.message}"

    @property
    def finding(self) -> Finding:
        """As a calc.model.Finding (code = rule id) located at the first location."""
        src = self.locations[0] if self.locations else None
        return Finding(self.level, self.rule_id, self.text, src.sheet if src else None, src.row if src else None,
                       self.column if src else None)

    def location_findings(self) -> tuple[Finding, ...]:
        """One Finding per location (for a list the user clicks through)."""
        return tuple(Finding(self.level, self.rule_id, self.title, s.sheet, s.row, self.column) for s in self.locations)

    @property
    def where(self) -> str:
        if not self.locations:
            return ""
        first = self.finding.where
        return first + (f" 等{len(self.locations)}处" if len(self.locations) > 1 else "")

    def as_dict(self) -> dict:
        return {"id": self.rule_id, "severity": self.severity, "level": self.level, "title": self.title,
                "message": self.message, "why": self.why, "evidence": self.evidence, "basis": self.basis,
                "interpretations": list(self.interpretations), "column": self.column,
                "location_count": len(self.locations),
                "locations": [{"sheet": s.sheet, "row": s.row} for s in self.locations[:JSON_LOCATIONS]]}


# =================================================================================================================
# Loading and validation
# =================================================================================================================

def _err(key: str, problem: str) -> ParamError:
    return ParamError(FILE, key, problem)


def _param(params: Params, key: str, name: str, typ: str, entry: Any, rule_ais: tuple) -> RuleParam:
    if not isinstance(entry, dict):
        raise _err(key, "应为 {value, source, ref, why} 映射")
    unknown = set(entry) - _PARAM_KEYS
    if unknown:
        raise _err(f"{key}.{sorted(unknown)[0]}", "未知字段")
    for need in ("value", "source", "why"):
        if need not in entry or entry[need] is None or entry[need] == "":
            raise _err(f"{key}.{need}", "缺少此项（每个参数须写明来源和理由）")
    source = entry["source"]
    if not isinstance(source, str) or source not in params.sources:
        raise _err(f"{key}.source", f"来源“{source}”未在 sources 中登记")
    ais = tuple(entry.get("interpretations") or ()) + rule_ais
    if source == HEURISTIC_SOURCE and not any(a.startswith("AI-RISK") for a in ais):
        raise _err(f"{key}.source", "经验阈值须标注采纳的解释（interpretations 含 AI-RISK-xx）")
    raw = entry["value"]
    vkey = f"{key}.value"
    if isinstance(raw, float):
        raise _err(vkey, f"数值 {raw!r} 须写成带引号的精确小数（如 \"0.10\"）")
    if typ in (RATIO, AMOUNT):
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise _err(vkey, "应为带引号的精确数值")
        try:
            value = Fraction(raw.strip()) if isinstance(raw, str) else Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise _err(vkey, f"“{raw}”不是数值") from None
        if value < 0:
            raise _err(vkey, "不能为负数")
        if typ == AMOUNT:
            fen = value * 100
            if fen.denominator != 1:
                raise _err(vkey, "金额（元）最多两位小数")
            value = int(fen)
    elif typ == INT:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise _err(vkey, "应为非负整数")
        value = raw
    else:   # WORDS
        if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
            raise _err(vkey, "应为非空文字列表")
        value = tuple(_norm(w) for w in raw)
    return RuleParam(name, value, source, str(entry.get("ref", "") or ""), str(entry["why"]))


def parse_rules(params: Params) -> tuple[RiskRule, ...]:
    """Validate ``tables.rules`` of risk_rules.yaml strictly; ParamError names the file and the key."""
    tables = params.tables.get(STEM)
    if tables is None:
        return ()
    rules_doc = tables.get("rules")
    if not isinstance(rules_doc, list) or not rules_doc:
        raise _err("tables.rules", "应为规则列表")
    out: list[RiskRule] = []
    for i, r in enumerate(rules_doc):
        key = f"tables.rules[{i}]"
        if not isinstance(r, dict):
            raise _err(key, "规则应为映射")
        rid = r.get("id")
        if not isinstance(rid, str) or not re.fullmatch(r"RISK-\d{2,3}", rid):
            raise _err(f"{key}.id", f"编号“{rid}”应为 RISK-nn")
        key = f"tables.rules[{i}]({rid})"
        unknown = set(r) - _RULE_KEYS
        if unknown:
            raise _err(f"{key}.{sorted(unknown)[0]}", "未知字段")
        for need in ("title", "kind", "severity", "from", "source", "why", "evidence", "params"):
            if need not in r or (need != "params" and (r[need] is None or str(r[need]).strip() == "")):
                raise _err(f"{key}.{need}", "缺少此项")
        kind = r["kind"]
        if kind not in KINDS:
            raise _err(f"{key}.kind", f"未知检查类型“{kind}”")
        if r["severity"] not in SEVERITIES:
            raise _err(f"{key}.severity", f"级别“{r['severity']}”应为 {'/'.join(SEVERITIES)}")
        start = _date(FILE, f"{key}.from", r["from"], allow_none=False)
        end = _date(FILE, f"{key}.to", r.get("to"), allow_none=True)
        if end is not None and end < start:
            raise _err(key, "to 早于 from")
        if not isinstance(r["source"], str) or r["source"] not in params.sources:
            raise _err(f"{key}.source", f"来源“{r['source']}”未在 sources 中登记")
        ais = r.get("interpretations") or []
        if not isinstance(ais, list):
            raise _err(f"{key}.interpretations", "应为列表")
        for a in ais:
            if a not in params.interpretations:
                raise _err(f"{key}.interpretations", f"未知解释编号“{a}”")
        declared = r["params"] if r["params"] is not None else {}
        if not isinstance(declared, dict):
            raise _err(f"{key}.params", "应为 参数名 → {value, source, why} 的映射")
        spec = KINDS[kind]
        for name in declared:
            if name not in spec:
                raise _err(f"{key}.params.{name}", f"检查类型 {kind} 没有此参数（应为：{'、'.join(spec) or '无参数'}）")
        parsed = {}
        for name, typ in spec.items():
            if name not in declared:
                raise _err(f"{key}.params.{name}", "缺少此参数")
            parsed[name] = _param(params, f"{key}.params.{name}", name, typ, declared[name], tuple(ais))
        out.append(RiskRule(rid, str(r["title"]).strip(), kind, r["severity"], start, end, r["source"],
                            str(r.get("ref", "") or ""), str(r["why"]).strip(), str(r["evidence"]).strip(), parsed,
                            tuple(ais), params.sources[r["source"]]))
    by_id: dict[str, list[RiskRule]] = defaultdict(list)
    for rule in out:
        by_id[rule.id].append(rule)
    for rid, versions in by_id.items():
        versions.sort(key=lambda x: x.start)
        for a, b in zip(versions, versions[1:]):
            if a.end is None or a.end >= b.start:
                raise _err(f"tables.rules({rid})", f"同一规则的日期区间重叠（{a.start} 与 {b.start}）")
    return tuple(out)


def rules_in_force(params: Params, year: int) -> tuple[RiskRule, ...]:
    """The rule versions in force on 31 December of ``year`` (AI-RISK-02), in id order."""
    rules = params.parsed.get(STEM)
    if rules is None:
        rules = parse_rules(params)
    day = dt.date(year, 12, 31)
    return tuple(sorted((r for r in rules if r.covers(day)), key=lambda r: r.id))


# =================================================================================================================
# Screening
# =================================================================================================================

def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _pct(x: Fraction) -> str:
    return f"{ratio_str(x * 100)}%"


def _yuan(fen: int) -> str:
    return f"¥{fen_display(fen)}"


_NO_DAY, _ALL_DAYS = -1, 10 ** 7          # ordinals before / after any date


class _Context:
    """What the rules read: the ledger's line columns (calc/columns.py: amounts are 税法金额 × 研发工时占比 in 分,
    AI-RISK-02) by year, and the engines' results (computed only when a rule needs them and none was given)."""

    def __init__(self, ledger: Ledger, year: int, params: Params, sd, hnte, person_loads, sd_engine):
        self.ledger, self.year, self.params = ledger, year, params
        self._sd, self._hnte, self._engine = sd, hnte, sd_engine
        self.person_loads = tuple(person_loads or ())
        self.day = dt.date(year, 12, 31)
        self.cols = cols = line_columns(ledger)
        self.cat_keys = list(params.categories)
        index = {k: i for i, k in enumerate(self.cat_keys)}
        code_cat = [index.get(params.codes[k].category, -1) if k in params.codes else -1 for k in cols.code_keys]
        self.cat = np.array(code_cat or [-1], dtype=np.int64)[cols.code] if cols.n else np.empty(0, dtype=np.int64)
        self.entrusted = np.isin(self.cat, [index[k] for k in ENTRUSTED if k in index])
        self._masks: dict[int, np.ndarray] = {}
        self._texts: dict[str, list] = {}

    # -- ledger views --------------------------------------------------------------------------------------------
    def mask(self, year: int | None = None) -> np.ndarray:
        year = self.year if year is None else year
        m = self._masks.get(year)
        if m is None:
            m = self._masks[year] = self.cols.year == year
        return m

    def has_lines(self, year: int | None = None) -> bool:
        return bool(self.mask(year).any())

    def cat_mask(self, name: str) -> np.ndarray:
        return self.cat == (self.cat_keys.index(name) if name in self.cat_keys else -2)

    def code_mask(self, *codes: str) -> np.ndarray:
        wanted = [i for i, k in enumerate(self.cols.code_keys) if k in codes]
        return np.isin(self.cols.code, wanted)

    def by_category(self, year: int | None = None) -> dict[str, int]:
        m = self.mask(year) & (self.cat >= 0)
        sums = self.cols.group_sums(self.cat[m], self.cols.elig[m], len(self.cat_keys))
        return {k: v for k, v in zip(self.cat_keys, sums) if v}

    def total(self, mask: np.ndarray) -> int:
        return self.cols.total(self.cols.elig, mask)

    def row_total(self, rows) -> int:
        return int(self.cols.elig[np.asarray(rows, dtype=np.int64)].sum()) if len(rows) else 0

    def project_sums(self, mask: np.ndarray) -> dict[str, int]:
        """Project number → Σ amount of the rows of ``mask`` (projects with at least one row)."""
        proj = self.cols.proj[mask]
        sums = self.cols.group_sums(proj, self.cols.elig[mask], len(self.cols.proj_keys))
        present = np.unique(proj).tolist()
        return {self.cols.proj_keys[i]: sums[i] for i in present}

    def project_rows(self, mask: np.ndarray) -> dict[str, list[int]]:
        """Project number → the rows of ``mask`` (ledger order)."""
        out: dict[str, list[int]] = defaultdict(list)
        rows = np.flatnonzero(mask)
        for r, p in zip(rows.tolist(), self.cols.proj[rows].tolist()):
            out[self.cols.proj_keys[p]].append(r)
        return out

    def text(self, name: str) -> list:
        """A per-row list of a text field of the lines (summary, voucher_no, voucher_kind), built once."""
        values = self._texts.get(name)
        if values is None:
            values = self._texts[name] = self.cols.memo(("risk_text", name),
                                                        lambda: list(map(attrgetter(name), self.ledger.lines)))
        return values

    def srcs(self, rows) -> tuple:
        lines = self.ledger.lines
        return tuple(s for s in (lines[r].src for r in rows) if s is not None)

    def accounting_total(self, year: int) -> int | None:
        """Σ 会计金额 of the year's lines; for a year without lines, 研发费用 of 年度数据 (AI-RISK-04)."""
        if self.has_lines(year):
            return self.cols.total(self.cols.amount, self.mask(year))
        row = self.ledger.year_row(year)
        if row is None:
            return None
        for name in ("rd_hnte", "rd_super"):
            if row.get(name) is not None:
                return row.get(name)
        return None

    def sales(self, year: int) -> int | None:
        row = self.ledger.year_row(year)
        if row is None or (row.get("main_revenue") is None and row.get("other_revenue") is None):
            return None
        return (row.get("main_revenue") or 0) + (row.get("other_revenue") or 0)

    def year_src(self, year: int | None = None) -> tuple:
        row = self.ledger.year_row(self.year if year is None else year)
        return (row.src,) if row is not None and row.src is not None else ()

    def project_src(self, no: str) -> tuple:
        p = self.ledger.projects.get(no)
        return (p.src,) if p is not None and p.src is not None else ()

    def per_project(self, mapping: dict, default) -> np.ndarray:
        return self.cols.proj_values(mapping, default, np.int64)

    # -- engine results --------------------------------------------------------------------------------------------
    @property
    def sd(self):
        if self._sd is None:
            from .superdeduction import SuperDeductionEngine
            self._engine = self._engine or SuperDeductionEngine(self.ledger, self.params)
            self._sd = self._engine.compute(self.year)
        return self._sd

    @property
    def hnte(self):
        if self._hnte is None:
            from .hnte import hnte_evaluation
            self._hnte = hnte_evaluation(self.ledger, self.year, self.params, sd_engine=self._engine)
        return self._hnte


def _fire(rule: RiskRule, message: str, locations=(), column: str | None = None) -> RiskFinding:
    from .citation import cite
    from .params import SOURCE_TITLES
    basis = cite(rule.citation or rule.source, rule.ref, SOURCE_TITLES.get) if rule.citation else f"{rule.source} {rule.ref}".strip()
    return RiskFinding(rule.id, rule.severity, rule.title, message, rule.why, rule.evidence, basis,
                       tuple(locations), column, rule.interpretations)


def _dates(c, rows) -> tuple[dt.date, dt.date]:
    lines = c.ledger.lines
    days = [lines[r].date for r in rows]
    return min(days), max(days)


# -- the checks: (rule, context) → [RiskFinding] -------------------------------------------------------------------------

def _staff_cost_share(rule, c):
    cats = c.by_category()
    own = sum(v for k, v in cats.items() if k not in ENTRUSTED)
    staff = cats.get("staff", 0)
    if own <= 0 or own < rule.value("min_base_yuan"):
        return []
    share = Fraction(staff, own)
    limit = rule.value("max_share")
    if share <= limit:
        return []
    projects = c.project_sums(c.mask() & c.cat_mask("staff"))
    locs = [s for no in projects for s in c.project_src(no)]
    return [_fire(rule, f"{c.year}年度人员人工费用{_yuan(staff)}占自主、合作、集中研发费用{_yuan(own)}的{_pct(share)}，"
                        f"超过{_pct(limit)}", locs)]


def _person_overload(rule, c):
    tol = rule.value("tolerance_hours")
    prefix = f"{c.year:04d}-"
    by_person: dict = {}
    for load in c.person_loads:
        month = str(getattr(load, "month", ""))
        if not month.startswith(prefix):
            continue
        rd, total, limit = Fraction(load.rd_hours), Fraction(load.total_hours), Fraction(load.limit_hours)
        problems = []
        if total > limit + tol:
            problems.append(f"总工时{_hours(total)}小时超过当月可用{_hours(limit)}小时（{_pct(total / limit) if limit else '—'}）")
        if rd > total + tol:
            problems.append(f"研发工时{_hours(rd)}小时超过总工时{_hours(total)}小时")
        if problems:
            by_person.setdefault((load.person_id, load.name), []).append((month, "；".join(problems), load.src))
    out = []
    for (pid, name), items in by_person.items():
        months = "；".join(f"{m} {text}" for m, text, _ in items[:6]) + ("等" if len(items) > 6 else "")
        out.append(_fire(rule, f"{name or pid}（{pid}）{len(items)}个月工时超过100%：{months}",
                         [s for _, _, s in items if s is not None]))
    return out


def _hours(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else ratio_str(x, 1)


def _outside_project_period(rule, c):
    grace = rule.value("grace_days")
    projects = c.ledger.projects
    start = c.per_project({no: p.start.toordinal() - grace for no, p in projects.items() if p.start}, _NO_DAY)
    end = c.per_project({no: p.end.toordinal() + grace for no, p in projects.items() if p.end}, _ALL_DAYS)
    outside = c.mask() & ((c.cols.ordinal < start) | (c.cols.ordinal > end))
    res = []
    for no, rows in c.project_rows(outside).items():
        p = projects[no]
        first, last = _dates(c, rows)
        total = c.row_total(rows)
        res.append(_fire(rule, f"项目{no}（研发期间{p.start or '…'}至{p.end or '…'}）有{len(rows)}行支出、{_yuan(total)}"
                               f"发生在期间以外（最早{first}，最晚{last}）", c.srcs(rows), "日期"))
    return res


def _share(cats: dict, name: str) -> Fraction | None:
    total = sum(cats.values())
    return Fraction(cats.get(name, 0), total) if total > 0 else None


def _material_share_jump(rule, c):
    now, prev = _share(c.by_category(), "direct"), _share(c.by_category(c.year - 1), "direct")
    if now is None or prev is None:
        return []
    if now - prev < rule.value("min_increase"):
        return []
    if prev > 0 and now < prev * rule.value("min_growth_factor"):
        return []
    projects = c.project_sums(c.mask() & c.cat_mask("direct"))
    return [_fire(rule, f"直接投入费用占研发费用的比重由{c.year - 1}年度的{_pct(prev)}升至{c.year}年度的{_pct(now)}"
                        f"（提高{ratio_str((now - prev) * 100)}个百分点）",
                  [s for no in projects for s in c.project_src(no)])]


def _related_entrustee_no_contract(rule, c):
    res = []
    active = c.project_sums(c.mask())
    for no, p in c.ledger.projects.items():
        if p.entrustee_related and not p.contract_no and no in active:
            res.append(_fire(rule, f"项目{no}的受托方“{p.entrustee or '（未填）'}”为关联方，未填技术合同登记号；"
                                   f"{c.year}年度支出{_yuan(active[no])}", c.project_src(no), "技术合同登记号"))
    return res


def _negative_list_industry(rule, c):
    if not c.has_lines():
        return []
    prof = c.ledger.profile
    industry = prof.industry_code or ""
    hit = next((i for i in c.params.negative_list if any(industry.startswith(x) for x in i["prefixes"])), None)
    if hit is not None:
        row = prof.rows.get("industry_code")
        n = int(c.mask().sum())
        return [_fire(rule, f"所属行业代码{industry}属于负面清单行业“{hit['name']}”（{c.params.negative_list_source}），"
                            f"{c.year}年度仍归集研发支出{n}行", [Src(S_PROFILE, row)] if row else [], "值")]
    share = c.sd.flags.negative_share
    near = rule.value("near_share")
    if share is not None and share >= near:
        return [_fire(rule, f"{c.year}年度负面清单行业收入占收入总额（减除不征税收入和投资收益）的{_pct(share)}，"
                            f"达到{_pct(near)}，接近50%的界限", c.year_src(), "负面清单行业收入")]
    return []


def _capitalised_no_formation_date(rule, c):
    grace = dt.timedelta(days=rule.value("grace_days"))
    res = []
    cols = c.cols
    for no, p in c.ledger.projects.items():
        if not p.capitalised or p.ia_date is not None or p.ia_base is not None or no not in cols.proj_keys:
            continue
        ended = p.status == "已结束" or (p.end is not None and p.end + grace < c.day)
        if not ended:
            continue
        spent = (cols.proj == cols.proj_keys.index(no)) & (cols.ordinal <= c.day.toordinal())
        if not spent.any():
            continue
        res.append(_fire(rule, f"资本化项目{no}已{'结束' if p.status == '已结束' else '超过结束日期'}（结束日期{p.end or '未填'}），"
                               f"累计支出{_yuan(c.total(spent))}，未填无形资产形成日期", c.project_src(no), "无形资产形成日期"))
    return res


def _other_cost_over_cap(rule, c):
    sd = c.sd
    if not sd.eligible:
        return []
    actual, allowed = sd.rows.get("R28", 0), sd.rows.get("R34", 0)
    if actual <= 0 or actual <= allowed:
        return []
    factor = rule.value("over_cap_factor")
    if allowed > 0 and Fraction(actual, allowed) < factor:
        return []
    rows = np.flatnonzero(c.mask() & c.cat_mask("other")).tolist()
    times = f"为允许金额{_yuan(allowed)}的{ratio_str(Fraction(actual, allowed))}倍" if allowed else "允许金额为0"
    return [_fire(rule, f"{c.year}年度其他相关费用{_yuan(actual)}（A107012第28行），{times}；"
                        f"超出部分{_yuan(actual - allowed)}不得加计扣除", c.srcs(rows), "费用代码")]


def _production_keywords(rule, c):
    keywords, exceptions = rule.value("keywords"), rule.value("exceptions")
    summaries = c.text("summary")
    found_in: dict = {}
    flagged = []
    for r in np.flatnonzero(c.mask()).tolist():            # each distinct 摘要 is normalised once
        s = summaries[r]
        if not s:
            continue
        hit = found_in.get(s)
        if hit is None:
            text = _norm(s)
            for ex in exceptions:
                text = text.replace(ex, "〇")
            hit = found_in[s] = [k for k in keywords if k in text]
        if hit:
            flagged.append(r)
    if not flagged:
        return []
    res = []
    mask = np.zeros(c.cols.n, dtype=bool)
    mask[flagged] = True
    for no, rows in c.project_rows(mask).items():
        found = list(dict.fromkeys(w for r in rows for w in found_in[summaries[r]]))
        sample = "；".join(f"“{summaries[r]}”" for r in rows[:3])
        res.append(_fire(rule, f"项目{no}有{len(rows)}行摘要含“{'”“'.join(found)}”，金额{_yuan(c.row_total(rows))}，如{sample}",
                         c.srcs(rows), "摘要"))
    return res


def _project_without_staff(rule, c):
    res = []
    minimum = rule.value("min_project_yuan")
    own = c.mask() & (c.cat >= 0) & ~c.entrusted
    totals = c.project_sums(own)
    staffed = c.project_sums(own & c.cat_mask("staff"))
    for no, total in totals.items():
        p = c.ledger.projects.get(no)
        if p is None or p.form == "委托研发" or total <= 0 or total < minimum or staffed.get(no, 0) != 0:
            continue
        res.append(_fire(rule, f"{p.form}项目{no}“{p.name}”{c.year}年度支出{_yuan(total)}，没有人员人工费用",
                         c.project_src(no)))
    return res


def _ratio(c, year: int) -> Fraction | None:
    rd, sales = c.accounting_total(year), c.sales(year)
    if rd is None or not sales or sales <= 0:
        return None
    return Fraction(rd, sales)


def _rd_ratio_jump(rule, c):
    now, prev = _ratio(c, c.year), _ratio(c, c.year - 1)
    if now is None or prev is None or prev <= 0:
        return []
    if now < prev * rule.value("min_growth_factor") or now - prev < rule.value("min_increase"):
        return []
    return [_fire(rule, f"研发费用占销售收入比例由{c.year - 1}年度的{_pct(prev)}升至{c.year}年度的{_pct(now)}"
                        f"（为上年的{ratio_str(now / prev)}倍）", c.year_src(), "主营业务收入")]


def _duplicate_voucher(rule, c):
    cols = c.cols
    amount = cols.amount
    wanted = c.mask() & (amount != 0) & (abs(amount) >= rule.value("min_amount_yuan"))
    if c.ledger.allocation is not None:      # lines split by hours (工时分配) share their payroll voucher by design
        wanted &= np.fromiter((ln.basis is None for ln in c.ledger.lines), dtype=bool, count=len(c.ledger.lines))
    chosen = np.flatnonzero(wanted)
    if len(chosen) < 2:
        return []
    nos, kinds = c.text("voucher_no"), c.text("voucher_kind")
    groups: dict[tuple, list[int]] = defaultdict(list)
    if cols.exact_int64:
        # rows whose (voucher number, code, amount) recurs in another project, found by one sort; exact check below
        voucher = np.fromiter((hash(nos[r] or "") for r in chosen.tolist()), dtype=np.int64, count=len(chosen))
        order = np.lexsort((cols.proj[chosen], amount[chosen], cols.code[chosen], voucher))
        rows, voucher = chosen[order], voucher[order]
        code, value, proj = cols.code[rows], amount[rows], cols.proj[rows]
        same = (voucher[1:] == voucher[:-1]) & (code[1:] == code[:-1]) & (value[1:] == value[:-1])
        start = np.concatenate(([True], ~same))
        group = np.cumsum(start) - 1
        first_proj = proj[np.flatnonzero(start)][group]
        multi = np.zeros(int(group[-1]) + 1, dtype=bool)
        multi[group[proj != first_proj]] = True
        candidates = np.sort(rows[multi[group]]).tolist()
    else:
        candidates = chosen.tolist()
    for r in candidates:
        if nos[r]:
            groups[(kinds[r] or "", nos[r], cols.code[r], amount[r])].append(r)
    res = []
    for (kind, no, code, value), rows in groups.items():
        projects = list(dict.fromkeys(cols.proj_keys[cols.proj[r]] for r in rows))
        if len(projects) < 2:
            continue
        res.append(_fire(rule, f"凭证{kind}{no}的{cols.code_keys[code]}费用{_yuan(int(value))}同时计入{len(projects)}个项目"
                               f"（{'、'.join(projects)}）", c.srcs(rows), "凭证号"))
    return res


def _year_end_concentration(rule, c):
    lines = c.mask() & (c.cat >= 0)
    total = c.total(lines)
    if total <= 0 or total < rule.value("min_base_yuan"):
        return []
    month = rule.value("month")
    first = dt.date(c.year, month, 1).toordinal()
    last = (dt.date(c.year + 1, 1, 1) if month == 12 else dt.date(c.year, month + 1, 1)).toordinal()
    late = lines & (c.cols.ordinal >= first) & (c.cols.ordinal < last)
    part = c.total(late)
    share = Fraction(part, total)
    if share <= rule.value("max_share"):
        return []
    return [_fire(rule, f"{c.year}年{month}月入账研发支出{_yuan(part)}，占全年{_yuan(total)}的{_pct(share)}"
                        f"（超过{_pct(rule.value('max_share'))}）", c.srcs(np.flatnonzero(late).tolist()), "日期")]


def _round_amounts(rule, c):
    wanted = np.zeros(len(c.cat), dtype=bool)
    for name in rule.value("categories"):
        wanted |= c.cat_mask(name)
    unit = rule.value("unit_yuan")
    lines = c.mask() & wanted & (c.cols.amount > 0)
    n = int(lines.sum())
    if n < rule.value("min_lines") or unit <= 0:
        return []
    round_ = lines & (c.cols.amount % unit == 0)
    k = int(round_.sum())
    share = Fraction(k, n)
    if share <= rule.value("max_share"):
        return []
    return [_fire(rule, f"{c.year}年度直接投入、设计和其他相关费用{n}行中有{k}行（{_pct(share)}）"
                        f"金额为{fen_display(unit)}元的整数倍", c.srcs(np.flatnonzero(round_).tolist()), "会计金额")]


def _overseas_over_cap(rule, c):
    sd = c.sd
    if not sd.eligible:
        return []
    r37, r38 = sd.rows.get("R37", 0), sd.rows.get("R38", 0)
    factor = c.params.at("entrusted_factor", c.day).fraction
    eighty = round_fen(r37 * factor)
    if r37 <= 0 or eighty <= r38:
        return []
    cap = c.params.at("overseas_cap_of_domestic", c.day)
    rows = np.flatnonzero(c.mask() & c.code_mask("R37")).tolist()
    return [_fire(rule, f"委托境外机构研发费用{_yuan(r37)}的80%为{_yuan(eighty)}，超过境内符合条件研发费用的{cap.value}"
                        f"（第38行允许{_yuan(r38)}），{_yuan(eighty - r38)}不得加计扣除", c.srcs(rows), "费用代码")]


def _grant_income_without_grant_lines(rule, c):
    row = c.ledger.year_row(c.year)
    income = row.get("nontaxable_income") if row is not None else None
    if income is None or income < max(1, rule.value("min_nontaxable_yuan")) or not c.has_lines():
        return []
    if (c.mask() & c.cols.grant).any():
        return []
    return [_fire(rule, f"{c.year}年度不征税收入{_yuan(income)}，但研发支出中没有资金来源为“{GRANT}”的行",
                  c.year_src(), "不征税收入")]


def _overseas_individual(rule, c):
    res = []
    for no, rows in c.project_rows(c.mask() & c.code_mask("R39")).items():
        p = c.ledger.projects.get(no)
        who = p.entrustee if p and p.entrustee else "（未填受托方）"
        total = c.row_total(rows)
        res.append(_fire(rule, f"项目{no}委托境外个人{who}，{c.year}年度{len(rows)}行、{_yuan(total)}"
                               f"（第39行，不得加计扣除）", c.srcs(rows), "费用代码"))
    return res


def _entrusted_code_mismatch(rule, c):
    projects = c.ledger.projects
    where = c.per_project({no: {"境内": 1, "境外": 2}.get(p.entrustee_location, 0) for no, p in projects.items()}, 0)
    res = []
    for code, wrong, place in (("R36", 2, "境外"), ("R37", 1, "境内"), ("R39", 1, "境内")):
        for no, rows in c.project_rows(c.mask() & c.code_mask(code) & (where == wrong)).items():
            total = c.row_total(rows)
            res.append(_fire(rule, f"项目{no}受托方在{place}，但{len(rows)}行（{_yuan(total)}）"
                                   f"使用代码{code}（{'境内' if code == 'R36' else '境外'}）", c.srcs(rows), "费用代码"))
    return res


def _rd_revenue_implausible(rule, c):
    rd, sales = c.accounting_total(c.year), c.sales(c.year)
    if rd is None or rd <= 0 or sales is None or not c.has_lines():
        return []
    limit = rule.value("max_ratio")
    if sales <= 0:
        return [_fire(rule, f"{c.year}年度研发费用{_yuan(rd)}，销售收入为{_yuan(sales)}", c.year_src(), "主营业务收入")]
    ratio = Fraction(rd, sales)
    if ratio <= limit:
        return []
    return [_fire(rule, f"{c.year}年度研发费用{_yuan(rd)}为销售收入{_yuan(sales)}的{_pct(ratio)}，超过{_pct(limit)}",
                  c.year_src(), "主营业务收入")]


def _staff_cost_per_head(rule, c):
    row = c.ledger.year_row(c.year)
    heads = row.get("staff_rd") if row is not None else None
    if not heads or heads <= 0:
        return []
    cost = c.total(c.mask() & c.code_mask("R04", "R05"))
    if cost <= 0:
        return []
    per = Fraction(cost, heads)
    lo, hi = rule.value("min_yuan"), rule.value("max_yuan")
    if lo <= per <= hi:
        return []
    side = f"低于{_yuan(lo)}" if per < lo else f"高于{_yuan(hi)}"
    return [_fire(rule, f"{c.year}年度研发人员工资薪金和五险一金{_yuan(cost)} ÷ 科技人员数{heads}人 = 人均{_yuan(round_fen(per))}，"
                        f"{side}", c.year_src(), "科技人员数")]


def _ia_amortisation_years(rule, c):
    minimum = c.params.value("ia_min_amortisation_months", c.day)
    res = []
    for no, p in c.ledger.projects.items():
        if not p.capitalised or p.ia_date is None or p.ia_date > c.day:
            continue
        if p.ia_years is not None and p.ia_years * 12 >= minimum:
            continue
        years = f"{p.ia_years}年" if p.ia_years is not None else "未填"
        res.append(_fire(rule, f"项目{no}形成的无形资产（{p.ia_date}）摊销年限{years}，不足{minimum // 12}年"
                               f"（本应用按{minimum // 12}年计算，AI-APP-05）", c.project_src(no), "摊销年限"))
    return res


def _rd_ratio_near_threshold(rule, c):
    h = c.hnte
    if h is None:
        return []
    try:
        cond = h.condition("rd_ratio")
    except StopIteration:
        return []
    if cond.status != "pass" or not isinstance(cond.value, Fraction) or cond.threshold is None:
        return []
    threshold = Fraction(cond.threshold)
    margin = cond.value - threshold
    if margin >= rule.value("margin"):
        return []
    return [_fire(rule, f"近三个会计年度研发费用占销售收入比例{_pct(cond.value)}，仅高出{_pct(threshold)}的标准"
                        f"{ratio_str(margin * 100, 3)}个百分点", c.year_src(), "主营业务收入")]


def _related_entrustee(rule, c):
    res = []
    active = c.project_sums(c.mask())
    for no, p in c.ledger.projects.items():
        if p.entrustee_related and p.contract_no and no in active:
            res.append(_fire(rule, f"项目{no}委托关联方“{p.entrustee or '（未填）'}”（{p.entrustee_location or '所在地未填'}，"
                                   f"技术合同登记号{p.contract_no}），{c.year}年度支出{_yuan(active[no])}", c.project_src(no),
                             "受托方是否关联方"))
    return res


def _collective_rd(rule, c):
    res = []
    for no, total in c.project_sums(c.mask()).items():
        p = c.ledger.projects.get(no)
        if p is not None and p.form == "集中研发":
            res.append(_fire(rule, f"集中研发项目{no}“{p.name}”{c.year}年度分摊计入{_yuan(total)}",
                             c.project_src(no), "研发形式"))
    return res


_YEAR_IN_TEXT = re.compile(r"((?:19|20)\d\d)年")


def _cross_year_summary(rule, c):
    summaries = c.text("summary")
    years_in: dict = {}
    flagged: dict[int, list[int]] = defaultdict(list)          # year named → rows
    for r in np.flatnonzero(c.mask()).tolist():
        s = summaries[r]
        if not s:
            continue
        named = years_in.get(s)
        if named is None:
            named = years_in[s] = sorted({int(y) for y in _YEAR_IN_TEXT.findall(unicodedata.normalize("NFKC", s))})
        other = [y for y in named if y != c.year]
        if other and c.year not in named:
            flagged[other[0]].append(r)
    res = []
    for named, rows in sorted(flagged.items()):
        sample = "；".join(f"“{summaries[r]}”" for r in rows[:3])
        res.append(_fire(rule, f"{c.year}年度入账的{len(rows)}行（{_yuan(c.row_total(rows))}）摘要写明{named}年，如{sample}",
                         c.srcs(rows), "摘要"))
    return res


def _caliber_gap(rule, c):
    """The HNTE caliber far above the super-deduction caliber (the three-caliber bridge has both): a heuristic."""
    if not c.has_lines():
        return []
    from .hnte import rd_bridge
    from .money import rate_percent
    b = rd_bridge(c.ledger, c.year, c.params, sd_engine=c._engine)
    if not b.super_eligible or b.hnte_total is None or b.super_total <= 0:
        return []
    gap = b.hnte_total - b.super_total
    if gap <= 0 or gap < rule.value("min_gap_yuan") or Fraction(gap, b.super_total) <= rule.value("max_gap_share"):
        return []
    share = Fraction(gap, b.super_total)
    return [_fire(rule, f"{c.year}年度高企口径研发费用{_yuan(b.hnte_total)}比加计扣除口径（A107012第40行）{_yuan(b.super_total)}"
                        f"多{_yuan(gap)}，为加计扣除口径的{rate_percent(share)}，超过{rate_percent(rule.value('max_gap_share'))}"
                        f"（经验阈值）；差异逐项见研发费用三种口径差异调节表", c.year_src())]


CHECKS: dict[str, Callable] = {
    "staff_cost_share": _staff_cost_share,
    "person_overload": _person_overload,
    "outside_project_period": _outside_project_period,
    "material_share_jump": _material_share_jump,
    "related_entrustee_no_contract": _related_entrustee_no_contract,
    "negative_list_industry": _negative_list_industry,
    "capitalised_no_formation_date": _capitalised_no_formation_date,
    "other_cost_over_cap": _other_cost_over_cap,
    "production_keywords": _production_keywords,
    "project_without_staff": _project_without_staff,
    "rd_ratio_jump": _rd_ratio_jump,
    "duplicate_voucher": _duplicate_voucher,
    "year_end_concentration": _year_end_concentration,
    "round_amounts": _round_amounts,
    "overseas_over_cap": _overseas_over_cap,
    "grant_income_without_grant_lines": _grant_income_without_grant_lines,
    "overseas_individual": _overseas_individual,
    "entrusted_code_mismatch": _entrusted_code_mismatch,
    "rd_revenue_implausible": _rd_revenue_implausible,
    "staff_cost_per_head": _staff_cost_per_head,
    "ia_amortisation_years": _ia_amortisation_years,
    "rd_ratio_near_threshold": _rd_ratio_near_threshold,
    "related_entrustee": _related_entrustee,
    "collective_rd": _collective_rd,
    "cross_year_summary": _cross_year_summary,
    "caliber_gap": _caliber_gap,
}
assert set(CHECKS) == set(KINDS)


def screen(ledger: Ledger, year: int, params: Params | None = None, *, sd=None, hnte=None, person_loads=None,
           sd_engine=None, only: Iterable[str] | None = None) -> tuple[RiskFinding, ...]:
    """Run every risk rule in force for tax ``year``.

    ``sd``: the year's :class:`calc.superdeduction.SDResult` and ``hnte``: the :class:`calc.hnte.HnteEvaluation`
    already computed by :func:`calc.evaluate.evaluate` (computed here only when a rule needs them and they are not
    given); ``person_loads``: objects with ``person_id, name, month ('YYYY-MM'), rd_hours, total_hours, limit_hours,
    src`` (calc.allocation.person_month_loads); ``only``: rule ids to run (default all).
    Findings come ordered by severity (高风险 first), then rule id."""
    params = params or load_params()
    ctx = _Context(ledger, year, params, sd, hnte, person_loads, sd_engine)
    wanted = set(only) if only is not None else None
    out: list[RiskFinding] = []
    for rule in rules_in_force(params, year):
        if wanted is not None and rule.id not in wanted:
            continue
        out.extend(CHECKS[rule.kind](rule, ctx))
    out.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.rule_id))
    return tuple(out)
