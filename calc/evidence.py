"""留存备查资料清单 (super_deduction.md §9.3): which documents an enterprise keeps on file for a year, per project.

Pure: the document list and the retention rule come from ``resources/params/evidence_checklist.yaml`` (through
:func:`calc.params.load_params`); the user's marks (present yes/no, note, attached files) are passed in; whether
an attached file exists is asked through an injected callable (the forms layer resolves paths against the
workspace folder).

Projects in scope for a year (AI-EVID-02): every project with a ledger line dated in the year, plus projects whose
start..end dates overlap the year; when that selects none, every project of the ledger.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .model import Ledger
from .params import Params, load_params

__all__ = ["EvidenceItem", "Mark", "Entry", "Checklist", "items", "build_checklist", "retention_end",
           "mark_key", "parse_mark_key", "ENTERPRISE"]

ENTERPRISE = ""            # project_no of an enterprise-level entry
SCOPES = ("project", "enterprise")
CONDITIONS = ("always", "optional", "overseas_entrustee", "tech_sme_no", "prepayment_periods", "intangible_amortised",
              "related_entrustee")


class EvidenceParamError(ValueError):
    pass


@dataclass(frozen=True)
class EvidenceItem:
    id: str
    title: str
    scope: str                 # project | enterprise
    when: object               # "always" | "optional" | … | {"forms": [...]}
    source: str
    ref: str = ""

    @property
    def citation(self) -> str:
        """As a bureau cites it: 文号 + 条款 (国家税务总局公告2015年第97号第六条第（一）项)."""
        from .params import SOURCE_TITLES
        from .citation import cite
        title = SOURCE_TITLES.get(self.source)
        return cite(title, self.ref, SOURCE_TITLES.get) if title else f"{self.source} {self.ref}".strip()


@dataclass(frozen=True)
class Mark:
    present: bool | None = None
    note: str = ""
    files: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping | None) -> "Mark":
        d = d or {}
        present = d.get("present")
        files = d.get("files") or ()
        return cls(present if isinstance(present, bool) else None, str(d.get("note") or ""),
                   tuple(str(f) for f in files if isinstance(f, str) and f))

    def as_dict(self) -> dict:
        return {"present": self.present, "note": self.note, "files": list(self.files)}

    @property
    def empty(self) -> bool:
        return self.present is None and not self.note and not self.files


@dataclass(frozen=True)
class Entry:
    item: EvidenceItem
    project_no: str            # ENTERPRISE ("") for enterprise-level items
    project_name: str
    reason: str                # why the item applies (Chinese)
    optional: bool
    mark: Mark
    files: tuple[tuple[str, bool], ...]     # (stored path, exists)

    @property
    def present(self) -> bool:
        return self.mark.present is True

    @property
    def missing_files(self) -> list[str]:
        return [p for p, ok in self.files if not ok]

    @property
    def status(self) -> str:
        if self.present:
            return "已备齐" if not self.missing_files else "已备齐（附件缺失）"
        if self.mark.present is False:
            return "缺" if not self.optional else "未取得"
        return "未标记" if not self.optional else "如有"


@dataclass
class Checklist:
    year: int
    retention_years: int
    retention_end: dt.date
    entries: list[Entry] = field(default_factory=list)
    interpretations: tuple[str, ...] = ("AI-EVID-01", "AI-EVID-02")

    @property
    def required(self) -> list[Entry]:
        return [e for e in self.entries if not e.optional]

    @property
    def done(self) -> int:
        return sum(1 for e in self.required if e.present)

    @property
    def missing(self) -> list[Entry]:
        return [e for e in self.required if not e.present]

    @property
    def missing_files(self) -> list[tuple[Entry, str]]:
        return [(e, p) for e in self.entries for p in e.missing_files]


def mark_key(year: int, project_no: str, item_id: str) -> str:
    """The storage key of a mark: ``2024|P001|E01`` (enterprise items: ``2024||E06``)."""
    return f"{int(year)}|{project_no or ''}|{item_id}"


def parse_mark_key(key: str) -> tuple[int, str, str] | None:
    parts = str(key).split("|")
    if len(parts) != 3:
        return None
    try:
        return int(parts[0]), parts[1], parts[2]
    except ValueError:
        return None


def items(params: Params | None = None) -> tuple[EvidenceItem, ...]:
    """The document list of the parameter file, validated."""
    params = params or load_params()
    table = params.tables.get("evidence_checklist") or {}
    raw = table.get("evidence_items")
    if not isinstance(raw, list) or not raw:
        raise EvidenceParamError("evidence_checklist.yaml: tables.evidence_items 缺失或为空")
    out, seen = [], set()
    for i, d in enumerate(raw):
        if not isinstance(d, dict):
            raise EvidenceParamError(f"evidence_checklist.yaml: evidence_items[{i}] 应为映射")
        iid, scope, when = str(d.get("id") or ""), d.get("scope"), d.get("when")
        if not iid or iid in seen:
            raise EvidenceParamError(f"evidence_checklist.yaml: evidence_items[{i}].id 缺失或重复")
        if scope not in SCOPES:
            raise EvidenceParamError(f"evidence_checklist.yaml: evidence_items[{i}].scope 应为 {SCOPES}")
        if not (when in CONDITIONS or (isinstance(when, dict) and isinstance(when.get("forms"), list))):
            raise EvidenceParamError(f"evidence_checklist.yaml: evidence_items[{i}].when 无法识别")
        if not d.get("title") or not d.get("source"):
            raise EvidenceParamError(f"evidence_checklist.yaml: evidence_items[{i}] 缺少 title 或 source")
        seen.add(iid)
        out.append(EvidenceItem(iid, str(d["title"]), scope, when, str(d["source"]), str(d.get("ref") or "")))
    return tuple(out)


def retention_end(year: int, params: Params | None = None) -> tuple[int, dt.date]:
    """(years, last day of retention) for records of tax year ``year``: the period starts the day after the end of
    the annual settlement period (31 May of year + 1) and lasts the parameter's years (AI-EVID-01)."""
    params = params or load_params()
    years = int(params.value("evidence_retention_years", dt.date(year, 12, 31)))
    se = (params.tables.get("evidence_checklist") or {}).get("settlement_end") or {"month": 5, "day": 31}
    settlement_end = dt.date(year + 1, int(se["month"]), int(se["day"]))
    start = settlement_end + dt.timedelta(days=1)
    return years, dt.date(start.year + years, start.month, start.day) - dt.timedelta(days=1)


def amortised_in(project, year: int) -> bool:
    """A capitalised project whose intangible asset (formed on ``ia_date``) is amortised in ``year``."""
    if project is None or not project.capitalised or project.ia_date is None:
        return False
    years = project.ia_years or 10
    return project.ia_date.year <= year <= project.ia_date.year + years


def _not_claimed(ledger: Ledger, year: int, no: str, params: Params) -> bool:
    """A project whose lines of ``year`` are all outside the super-deduction (e.g. only 委托境外个人, 第39行): it
    needs no claim-support documents (review V13)."""
    codes = {l.code for l in ledger.lines if l.project_no == no and l.date is not None and l.date.year == year}
    if not codes:
        return False
    for c in codes:
        code = params.codes.get(c)
        if code is None or (code.row not in (None, 39) and code.eligible):
            return False
    return True


def projects_in_scope(ledger: Ledger, year: int) -> list[str]:
    """AI-EVID-02."""
    with_lines = {l.project_no for l in ledger.lines if l.date is not None and l.date.year == year}
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out = []
    for no, p in ledger.projects.items():
        overlap = (p.start is not None or p.end is not None) and (p.start or first) <= last and (p.end or last) >= first
        if no in with_lines or overlap:
            out.append(no)
    extra = [no for no in sorted(with_lines) if no not in ledger.projects]      # lines of an unlisted project
    out += extra
    out += [no for no, p in ledger.projects.items() if no not in out and amortised_in(p, year)]
    return out or list(ledger.projects)


def _applies(item: EvidenceItem, ledger: Ledger, year: int, project) -> tuple[bool, str, bool]:
    """(applies, reason, optional)."""
    when = item.when
    if when == "always":
        return True, "均需留存", False
    if when == "optional":
        return True, "如已取得", True
    if isinstance(when, dict):
        forms = tuple(when.get("forms") or ())
        form = getattr(project, "form", None)
        return form in forms, f"研发形式为{form}", False
    if when == "overseas_entrustee":
        loc = getattr(project, "entrustee_location", None)
        return loc == "境外", "受托方在境外", False
    if when == "tech_sme_no":
        nos = tuple(getattr(ledger.profile, "tech_sme_nos", ()) or ())
        return bool(nos), f"已填科技型中小企业入库登记编号 {'、'.join(nos)}", False
    if when == "intangible_amortised":
        return amortised_in(project, year), f"研发形成的无形资产在{year}年度摊销", False
    if when == "related_entrustee":
        return (getattr(project, "form", None) == "委托研发" and bool(getattr(project, "entrustee_related", False)),
                "受托方为关联方", False)
    if when == "prepayment_periods":
        periods = [y.period for y in ledger.years if y.year == year and y.period != "year"]
        return bool(periods), f"{year}年度有预缴期间数据（{'、'.join(periods)}）", False
    return False, "", False


def build_checklist(ledger: Ledger, year: int, marks: Mapping | None = None, params: Params | None = None,
                    exists: Callable[[str], bool] | None = None) -> Checklist:
    """The checklist of ``year``: per project in scope the applicable project items, then the enterprise items.

    ``marks``: ``{(project_no, item_id): Mark or dict}`` for this year (enterprise items: project_no "").
    ``exists(path)``: whether an attached (stored) path exists; None = not checked (taken as present)."""
    params = params or load_params()
    marks = marks or {}
    years, end = retention_end(year, params)
    out = Checklist(year, years, end)

    def entry(item, no, name, reason, optional):
        m = marks.get((no, item.id))
        mark = m if isinstance(m, Mark) else Mark.from_dict(m)
        files = tuple((p, True if exists is None else bool(exists(p))) for p in mark.files)
        out.entries.append(Entry(item, no, name, reason, optional, mark, files))

    all_items = items(params)
    with_lines = {l.project_no for l in ledger.lines if l.date is not None and l.date.year == year}
    for no in projects_in_scope(ledger, year):
        p = ledger.projects.get(no)
        name = getattr(p, "name", "") or ""
        if _not_claimed(ledger, year, no, params):
            continue                    # nothing of it is claimed: no claim-support set
        amortisation_only = no not in with_lines and amortised_in(p, year) and not (
            p.start and p.start.year <= year and (p.end is None or p.end.year >= year))
        for item in all_items:
            if item.scope != "project":
                continue
            if amortisation_only and item.when != "intangible_amortised":
                continue
            ok, reason, optional = _applies(item, ledger, year, p)
            if ok:
                entry(item, no, name, reason, optional)
    for item in all_items:
        if item.scope == "enterprise":
            ok, reason, optional = _applies(item, ledger, year, None)
            if ok:
                entry(item, ENTERPRISE, "（企业）", reason, optional)
    return out
