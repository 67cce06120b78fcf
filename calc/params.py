"""Law as data: loading the dated parameter files of ``resources/params``.

Every dated value is an entry ``{from, to, value, source, ref}``; the loader answers
"value of P on date D, and its source" (:meth:`Params.at`) and rejects a malformed file
with a :class:`ParamError` that names the file and the key.

This module reads YAML text handed to it by :func:`load_params`; it is the only place
that knows the parameter-file layout.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from . import yamlsafe

PARAMS_DIR = Path(__file__).resolve().parent.parent / "resources" / "params"
FILES = ("super_deduction.yaml", "income_tax.yaml", "expense_codes.yaml", "a107012_layouts.yaml",
         "interpretations.yaml")


class ParamError(Exception):
    """A malformed parameter file: names the file and the key."""

    def __init__(self, file: str, key: str, problem: str):
        super().__init__(f"参数文件 {file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


SOURCE_TITLES: dict[str, str] = {}        # every source key → its title, as loaded (for refs naming a second source)


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    ref: str = ""

    def __str__(self) -> str:
        return f"{self.key} {self.ref}".strip()

    @property
    def full(self) -> str:
        return f"{self.citation} {self.ref}".strip()

    @property
    def cite(self) -> str:
        """As a bureau cites it: 文号 + 条款 (财税〔2015〕119号第二条第1项); see calc/citation.py."""
        return _cite(self.citation, self.ref, len(SOURCE_TITLES))


@functools.lru_cache(maxsize=8192)
def _cite(citation: str, ref: str, _titles: int) -> str:
    """Citations are pure text of (title, article) and the known titles (their count keys the cache): memoised,
    as every evaluation cites the same few dozen sources."""
    from .citation import cite
    return cite(citation, ref, SOURCE_TITLES.get)


@dataclass(frozen=True)
class Dated:
    """One value valid from ``start`` to ``end`` (inclusive; ``None`` = open)."""
    name: str
    value: Any
    start: dt.date
    end: dt.date | None
    source: Source
    interpretations: tuple[str, ...] = ()
    note: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and (self.end is None or self.end >= start)

    @property
    def fraction(self) -> Fraction:
        return _fraction(self.value)


@dataclass(frozen=True)
class RateEntry:
    id: str
    start: dt.date
    end: dt.date | None
    who: str
    x: Fraction
    source: Source
    requires_user_confirmation: bool = False
    split: str | None = None
    interpretations: tuple[str, ...] = ()
    text: str = ""                       # what the user reads for this rate (e.g. 制造业企业100%)

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and (self.end is None or self.end >= start)


@dataclass(frozen=True)
class Code:
    code: str
    row: int | None
    label: str
    category: str | None
    column_2021: str | None
    hnte: str | None
    eligible: bool
    reason: str
    source: Source


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    row: int
    in_first_five: bool
    source: Source


@dataclass(frozen=True)
class Interpretation:
    id: str
    section: str
    text: str
    why: str = ""


def _fraction(value: Any) -> Fraction:
    if isinstance(value, bool):
        raise TypeError("boolean is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str):
        return Fraction(value.strip())
    raise TypeError(f"{value!r} is not an exact number (write it as a quoted string)")


class Params:
    """All parameter files, validated."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.sources: dict[str, str] = {}
        self.scalars: dict[str, list[Dated]] = {}
        self.extra_rates: list[RateEntry] = []
        self.negative_list: list[dict] = []
        self.negative_list_source: Source | None = None
        self.manufacturing_prefixes: tuple[str, ...] = ()
        self.manufacturing_source: Source | None = None
        self.codes: dict[str, Code] = {}
        self.categories: dict[str, Category] = {}
        self.hnte_categories: tuple[str, ...] = ()
        self.row_labels: dict[str, str] = {}
        self.layouts: dict[str, dict] = {}
        self.layout_selection: list[dict] = []
        self.filing_links: list[dict] = []             # where the A107012 amounts go in the return
        self.interpretations: dict[str, Interpretation] = {}
        self.versions: dict[str, Any] = {}
        self.titles: dict[str, str] = {}               # file name → its Chinese title (``title:``), shown to users
        self.texts: dict[str, str] = {}                # ``texts:`` of every file: a rule's formula and label words
        self.reference_sources: dict[str, dict] = {}   # provincial / industry guidance: key → {region, code}
        self.cited_always: list[str] = []              # sources every statement relies on (``cited_always:``)
        self.tables: dict[str, dict] = {}              # file stem → free-form tables (generic files)
        self.parsed: dict[str, Any] = {}               # file stem → tables validated at load (_TABLE_PARSERS)
        # freshness (issue 16): file → "YYYY-MM-DD" of the last legal review, and what was verified
        self.reviewed_on: dict[str, str] = {}
        self.verified: dict[str, dict] = {}

    # -- queries -----------------------------------------------------------------
    def at(self, name: str, day: dt.date) -> Dated:
        """The entry of parameter ``name`` in force on ``day``."""
        entries = self.scalars.get(name)
        if entries is None:
            raise KeyError(f"unknown parameter {name}")
        for entry in entries:
            if entry.covers(day):
                return entry
        raise LookupError(f"参数 {name} 在 {day.isoformat()} 没有适用值")

    def maybe_at(self, name: str, day: dt.date) -> Dated | None:
        try:
            return self.at(name, day)
        except LookupError:
            return None

    def value(self, name: str, day: dt.date) -> Any:
        return self.at(name, day).value

    def source(self, key: str, ref: str = "") -> Source:
        return Source(key, self.sources.get(key, key), ref)

    def text(self, key: str, **values) -> str:
        """The Chinese words kept with a rule (``texts:`` of the parameter files), with ``{name}`` filled in."""
        return self.texts[key].format(**values) if values else self.texts[key]

    def value_text(self, entry: "Dated") -> str:
        """A dated entry's value as the user reads it: its ``text`` when the entry has one (e.g. 全部项目合并计算
        for ``pooled``), else the value."""
        return str(entry.extra.get("text") or entry.value)

    def cite(self, key: str, ref: str = "") -> str:
        """The bureau-style citation of source ``key`` at article ``ref`` (财税〔2015〕119号第二条第1项)."""
        return self.source(key, ref).cite

    def code(self, code: str) -> Code | None:
        return self.codes.get(code)

    def layout_for(self, year: int, prepayment: bool) -> dict:
        for rule in self.layout_selection:
            if "tax_year_from" in rule and year < rule["tax_year_from"]:
                continue
            if "tax_year_to" in rule and year > rule["tax_year_to"]:
                continue
            if rule.get("period") == "prepayment" and not prepayment:
                continue
            return self.layouts[rule["layout"]]
        raise LookupError(f"no A107012 layout for {year}")

    def filing_link(self, year: int, period_end: dt.date | None = None) -> dict | None:
        """Where the deduction is entered: the annual link of tax ``year`` or, for a prepayment whose
        period ends on ``period_end``, the link in force on its filing day (the 1st of the next month)."""
        if period_end is None:
            for link in self.filing_links:
                if link["kind"] == "annual" and link.get("tax_year_from", year) <= year <= link.get("tax_year_to", year):
                    return link
            return None
        filed = (period_end + dt.timedelta(days=1))
        for link in self.filing_links:
            if link["kind"] != "prepayment":
                continue
            if "filed_before" in link and not filed < link["filed_before"]:
                continue
            if "filed_from" in link and not filed >= link["filed_from"]:
                continue
            return link
        return None

    def interpretation(self, flag: str) -> Interpretation:
        return self.interpretations.get(flag) or Interpretation(flag, "", flag)


# -- loading ---------------------------------------------------------------------

def _date(file: str, key: str, value: Any, *, allow_none: bool) -> dt.date | None:
    if value is None:
        if allow_none:
            return None
        raise ParamError(file, key, "缺少日期")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ParamError(file, key, f"日期“{value}”格式应为 YYYY-MM-DD")


def _need(file: str, key: str, mapping: Any, name: str) -> Any:
    if not isinstance(mapping, dict) or name not in mapping:
        raise ParamError(file, f"{key}.{name}", "缺少此项")
    return mapping[name]


class _Loader:
    def __init__(self, params: Params):
        self.p = params

    def src(self, file: str, key: str, entry: dict) -> Source:
        skey = _need(file, key, entry, "source")
        if not isinstance(skey, str) or skey not in self.p.sources:
            raise ParamError(file, f"{key}.source", f"来源“{skey}”未在 sources 中登记")
        return Source(skey, self.p.sources[skey], str(entry.get("ref", "") or ""))

    def dated_list(self, file: str, name: str, entries: Any) -> list[Dated]:
        if not isinstance(entries, list) or not entries:
            raise ParamError(file, name, "应为带日期的条目列表")
        out: list[Dated] = []
        for i, entry in enumerate(entries):
            key = f"{name}[{i}]"
            if not isinstance(entry, dict):
                raise ParamError(file, key, "条目应为映射")
            start = _date(file, f"{key}.from", _need(file, key, entry, "from"), allow_none=False)
            end = _date(file, f"{key}.to", entry.get("to"), allow_none=True)
            if end is not None and end < start:
                raise ParamError(file, key, "to 早于 from")
            if "value" not in entry:
                raise ParamError(file, f"{key}.value", "缺少此项")
            value = entry["value"]
            if isinstance(value, float):
                raise ParamError(file, f"{key}.value", "数值须写成带引号的精确小数，如 \"0.10\"")
            if isinstance(value, str) and name.endswith(("rate", "ratio", "threshold", "factor", "max", "of_domestic")):
                try:
                    _fraction(value)
                except (ValueError, ZeroDivisionError):
                    raise ParamError(file, f"{key}.value", f"“{value}”不是数值") from None
            out.append(Dated(name.rsplit(".", 1)[-1], value, start, end, self.src(file, key, entry),
                             tuple(entry.get("interpretations", ()) or ()), str(entry.get("note", "") or ""),
                             {k: v for k, v in entry.items() if k not in {"from", "to", "value", "source", "ref", "interpretations", "note"}}))
        out.sort(key=lambda d: d.start)
        for a, b in zip(out, out[1:]):
            if a.end is None or a.end >= b.start:
                raise ParamError(file, name, f"日期区间重叠（{a.start} 与 {b.start}）")
        return out

    def load_sources(self, file: str, doc: dict) -> None:
        sources = doc.get("sources", {}) or {}
        if not isinstance(sources, dict):
            raise ParamError(file, "sources", "应为 键 → 文件名称 的映射")
        for k, v in sources.items():
            if not isinstance(v, str) or not v.strip():
                raise ParamError(file, f"sources.{k}", "缺少文件名称")
            if str(k) in self.p.sources and self.p.sources[str(k)] != v:     # one key, one title in every file
                raise ParamError(file, f"sources.{k}", f"与其他参数文件中同一文件键的名称不一致：“{self.p.sources[str(k)]}”")
            self.p.sources[str(k)] = v
            SOURCE_TITLES[str(k)] = v

    def super_deduction(self, file: str, doc: dict) -> None:
        for name, entries in (_need(file, "", doc, "parameters") or {}).items():
            self.p.scalars[name] = self.dated_list(file, f"parameters.{name}", entries)
        for i, e in enumerate(_need(file, "", doc, "extra_rate")):
            key = f"extra_rate[{i}]"
            who = _need(file, key, e, "who")
            if who not in ("all", "tech_sme", "manufacturing", "ic_or_machine_tool"):
                raise ParamError(file, f"{key}.who", f"未知适用对象“{who}”")
            try:
                x = _fraction(_need(file, key, e, "x"))
            except (TypeError, ValueError):
                raise ParamError(file, f"{key}.x", "比例须写成带引号的精确小数，如 \"1.00\"") from None
            start = _date(file, f"{key}.from", _need(file, key, e, "from"), allow_none=False)
            end = _date(file, f"{key}.to", e.get("to"), allow_none=True)
            if end is not None and end < start:
                raise ParamError(file, key, "to 早于 from")
            self.p.extra_rates.append(RateEntry(str(_need(file, key, e, "id")), start, end, who, x,
                                                self.src(file, key, e), bool(e.get("requires_user_confirmation")),
                                                e.get("split"), tuple(e.get("interpretations", ()) or ()),
                                                str(e.get("text") or "")))
        neg = _need(file, "", doc, "negative_list")
        self.p.negative_list_source = self.src(file, "negative_list", neg)
        for i, ind in enumerate(_need(file, "negative_list", neg, "industries")):
            prefixes = _need(file, f"negative_list.industries[{i}]", ind, "prefixes")
            if not isinstance(prefixes, list) or not all(isinstance(x, str) for x in prefixes):
                raise ParamError(file, f"negative_list.industries[{i}].prefixes", "应为代码前缀列表")
            self.p.negative_list.append(ind)
        mfg = _need(file, "", doc, "manufacturing_industries")
        self.p.manufacturing_prefixes = tuple(_need(file, "manufacturing_industries", mfg, "prefixes"))
        self.p.manufacturing_source = self.src(file, "manufacturing_industries", mfg)

    def income_tax(self, file: str, doc: dict) -> None:
        for name, entries in (_need(file, "", doc, "parameters") or {}).items():
            self.p.scalars[name] = self.dated_list(file, f"parameters.{name}", entries)

    def expense_codes(self, file: str, doc: dict) -> None:
        for i, c in enumerate(_need(file, "", doc, "categories")):
            key = f"categories[{i}]"
            cat = Category(_need(file, key, c, "id"), _need(file, key, c, "label"), int(_need(file, key, c, "row")),
                           bool(c.get("in_first_five")), self._code_source(file, key, c))
            self.p.categories[cat.id] = cat
        self.p.hnte_categories = tuple(_need(file, "", doc, "hnte_categories"))
        for i, c in enumerate(_need(file, "", doc, "codes")):
            key = f"codes[{i}]"
            code = str(_need(file, key, c, "code"))
            category = c.get("category")
            if category is not None and category not in self.p.categories:
                raise ParamError(file, f"{key}.category", f"未知类别“{category}”")
            hnte = c.get("hnte")
            if hnte is not None and hnte not in self.p.hnte_categories:
                raise ParamError(file, f"{key}.hnte", f"未知高企费用类别“{hnte}”")
            eligible = _need(file, key, c, "eligible")
            if not isinstance(eligible, bool):
                raise ParamError(file, f"{key}.eligible", "应为 true/false")
            if code in self.p.codes:
                raise ParamError(file, key, f"代码“{code}”重复")
            self.p.codes[code] = Code(code, c.get("row"), str(_need(file, key, c, "label")), category,
                                      c.get("column_2021"), hnte, eligible, str(c.get("reason", "") or ""),
                                      self._code_source(file, key, c))

    def _code_source(self, file: str, key: str, entry: dict) -> Source:
        return self.src(file, key, entry)

    def layouts(self, file: str, doc: dict) -> None:
        rows = _need(file, "", doc, "common_rows")
        for n in range(1, 50):
            if f"R{n:02d}" not in rows:
                raise ParamError(file, f"common_rows.R{n:02d}", "缺少行次名称")
        self.p.row_labels = {k: str(v) for k, v in rows.items()}
        for i, lay in enumerate(_need(file, "", doc, "layouts")):
            lid = _need(file, f"layouts[{i}]", lay, "id")
            tail = _need(file, f"layouts[{i}]", lay, "tail")
            keys = [t.get("key") for t in tail]
            for needed in ("R50", "R51", "R52"):
                if needed not in keys:
                    raise ParamError(file, f"layouts[{i}].tail", f"缺少 {needed}")
            for needed in ("title", "source"):
                _need(file, f"layouts[{i}]", lay, needed)
            if lay["source"] not in self.p.sources:
                raise ParamError(file, f"layouts[{i}].source", f"未定义的文件“{lay['source']}”")
            for j, m in enumerate(lay.get("method_codes") or ()):
                if "code" not in m or "label" not in m or ("x" not in m and "q4_method" not in m):
                    raise ParamError(file, f"layouts[{i}].method_codes[{j}]", "须有 code、label 以及 x 或 q4_method")
            self.p.layouts[lid] = lay
        for i, rule in enumerate(_need(file, "", doc, "selection")):
            if rule.get("layout") not in self.p.layouts:
                raise ParamError(file, f"selection[{i}].layout", f"未知版式“{rule.get('layout')}”")
            self.p.layout_selection.append(rule)
        for i, link in enumerate(doc.get("filing_links") or ()):
            if link.get("kind") not in ("annual", "prepayment") or not link.get("text"):
                raise ParamError(file, f"filing_links[{i}]", "须有 kind（annual / prepayment）和 text")
            if link.get("source") not in self.p.sources:
                raise ParamError(file, f"filing_links[{i}].source", f"未定义的文件“{link.get('source')}”")
            self.p.filing_links.append(link)

    def generic(self, file: str, doc: dict) -> None:
        """Any other parameter file: dated ``parameters`` (as everywhere) and ``tables`` kept for the
        module that owns them (it validates their shape), under the file's stem."""
        for name, entries in (doc.get("parameters") or {}).items():
            if name in self.p.scalars:
                raise ParamError(file, f"parameters.{name}", "参数名与其他参数文件重复")
            self.p.scalars[name] = self.dated_list(file, f"parameters.{name}", entries)
        tables = doc.get("tables") or {}
        if not isinstance(tables, dict):
            raise ParamError(file, "tables", "应为映射")
        self.p.tables[Path(file).stem] = tables

    def interpretations(self, file: str, doc: dict) -> None:
        for i, it in enumerate(_need(file, "", doc, "interpretations")):
            key = f"interpretations[{i}]"
            flag = str(_need(file, key, it, "id"))
            self.p.interpretations[flag] = Interpretation(flag, str(it.get("section", "")),
                                                          str(_need(file, key, it, "text")), str(it.get("why", "")))


def _reject_floats(file: str, key: str, node: Any) -> None:
    """Law is exact: a binary float anywhere in a parameter file is an error."""
    if isinstance(node, float):
        raise ParamError(file, key or "(root)", f"数值 {node!r} 须写成带引号的精确小数（如 \"0.10\"）")
    if isinstance(node, dict):
        for k, v in node.items():
            _reject_floats(file, f"{key}.{k}" if key else str(k), v)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _reject_floats(file, f"{key}[{i}]", v)


_HANDLERS = {
    "super_deduction.yaml": "super_deduction",
    "income_tax.yaml": "income_tax",
    "expense_codes.yaml": "expense_codes",
    "a107012_layouts.yaml": "layouts",
    "interpretations.yaml": "interpretations",
}

# Generic files whose tables are validated (and parsed) at load by the module that owns them: file → "module:function"
# taking the Params and returning the parsed form, kept in ``Params.parsed[stem]``; it raises ParamError.
_TABLE_PARSERS = {"risk_rules.yaml": "calc.risk:parse_rules"}

_CACHE: dict[Path, Params] = {}


def _freshness(params: Params, name: str, doc: dict) -> None:
    """``reviewed_on`` (date of the last legal review) and ``verified`` {tax_years: [from, to] | null, checked,
    against} of one parameter file (issue 16); both optional here, required of shipped files by the tests."""
    rv = doc.get("reviewed_on")
    if rv is not None:
        rv = rv.isoformat() if isinstance(rv, dt.date) else str(rv)
        try:
            dt.date.fromisoformat(rv)
        except ValueError:
            raise ParamError(name, "reviewed_on", f"核对日期“{rv}”应写成 YYYY-MM-DD") from None
    params.reviewed_on[name] = rv or ""
    ver = doc.get("verified")
    if isinstance(ver, str):        # a plain note: what was checked, no dated window
        ver = {"tax_years": None, "checked": ver, "against": ""}
    if ver is not None:
        if not isinstance(ver, dict) or not {"tax_years", "checked", "against"} <= set(ver):
            raise ParamError(name, "verified", "应为 {tax_years: [起始年度, 截止年度] 或 null, checked: 核对了什么, "
                                               "against: 对照的文本}")
        yrs = ver["tax_years"]
        if yrs is not None and not (isinstance(yrs, list) and len(yrs) == 2
                                    and all(isinstance(y, int) and not isinstance(y, bool) for y in yrs)
                                    and yrs[0] <= yrs[1]):
            raise ParamError(name, "verified.tax_years", "应为 [起始年度, 截止年度]（整数），未能核实写 null")
        params.verified[name] = {"tax_years": None if yrs is None else tuple(yrs),
                                 "checked": str(ver["checked"]), "against": str(ver["against"])}
        if rv is None:
            raise ParamError(name, "reviewed_on", "写了 verified（核实范围）就须写核对日期 reviewed_on")


def load_params(directory: str | Path | None = None) -> Params:
    """Load and validate every parameter file of ``directory`` (default: resources/params)."""
    directory = Path(directory) if directory else PARAMS_DIR
    key = directory.resolve()
    if key in _CACHE:
        return _CACHE[key]
    params = Params(directory)
    loader = _Loader(params)
    docs: dict[str, dict] = {}
    names = list(FILES) + sorted(p.name for p in directory.glob("*.yaml") if p.name not in FILES)
    for name in names:
        path = directory / name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ParamError(name, "", f"无法读取（{exc.strerror or exc}）") from None
        try:
            doc = yamlsafe.load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"第{mark.line + 1}行" if mark else ""
            raise ParamError(name, where, f"YAML 语法错误：{getattr(exc, 'problem', exc)}") from None
        except ValueError as exc:      # e.g. an impossible date such as 2016-13-01
            raise ParamError(name, "", f"无效的值：{exc}") from None
        if not isinstance(doc, dict):
            raise ParamError(name, "", "文件内容应为映射")
        _freshness(params, name, doc)
        if name not in FILES and "parameters" not in doc and "tables" not in doc:
            continue        # a data file owned and validated by another module (e.g. classification rules)
        _reject_floats(name, "", doc)
        if "version" not in doc:
            raise ParamError(name, "version", "缺少此项")
        params.versions[name] = doc["version"]
        if doc.get("title"):
            params.titles[name] = str(doc["title"])
        for k, v in (doc.get("texts") or {}).items():
            if not isinstance(v, str) or not v.strip():
                raise ParamError(name, f"texts.{k}", "应为非空的中文文字")
            if k in params.texts:
                raise ParamError(name, f"texts.{k}", "与其他参数文件中的同名文字重复")
            params.texts[str(k)] = v
        docs[name] = doc
        loader.load_sources(name, doc)
    for name in [n for n in names if n in docs]:       # after every file's sources are known
        for k, v in (docs[name].get("reference_sources") or {}).items():
            if str(k) not in params.sources or not isinstance(v, dict) or not v.get("region"):
                raise ParamError(name, f"reference_sources.{k}", "应为已登记来源的 {region, code} 映射")
            params.reference_sources[str(k)] = {"region": str(v["region"]), "code": str(v.get("code") or "")}
        for k in docs[name].get("cited_always") or ():
            if str(k) not in params.sources:
                raise ParamError(name, "cited_always", f"来源“{k}”未在 sources 中登记")
            params.cited_always.append(str(k))
    for name in [n for n in names if n in docs]:
        try:
            getattr(loader, _HANDLERS.get(name, "generic"))(name, docs[name])
        except ParamError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ParamError(name, "", f"结构错误：{exc}") from None
    for name, target in _TABLE_PARSERS.items():
        if name in docs:
            import importlib
            module, func = target.split(":")
            params.parsed[Path(name).stem] = getattr(importlib.import_module(module), func)(params)
    _CACHE[key] = params
    return params
