"""The difference between the current data and a workbook about to be imported (issue #9 item 4).

Pure: works on rows as dicts of stored values (the form :mod:`forms.workspace` keeps: amounts int 分, dates ISO
text, yes/no 0/1, ratios text), so equal values compare equal whatever the cell formatting was.

Line identity rule (AI-EVID-03): a row of a table is identified by its key fields (:data:`KEYS`; for 研发支出
(项目编号, 日期, 凭证种类, 凭证号, 费用代码)).  Rows with the same key are matched as a multiset: first identical
rows pair off (unchanged), then the remaining rows of the same key pair in table order and are "changed" (with
the fields that differ); what is left over is "removed" (only in the current data) or "added" (only in the
workbook).  A change of a key field therefore shows as one removed and one added row.  Tables without a key
listed here are matched on all their fields (a change = removed + added).

``mode="replace"`` (the workspace becomes the workbook) compares everything; ``mode="merge"`` shows what a merge
import does: profile fields, 年度数据 and 研发项目 get the workbook's non-empty values (nothing is removed), lines,
adjustments and other rows are appended (all "added").
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

__all__ = ["KEYS", "RowChange", "TableDiff", "ImportDiff", "diff_rows", "diff_import", "MERGED_TABLES"]

KEYS: dict[str, tuple[str, ...]] = {
    "years": ("year", "period"),
    "projects": ("project_no",),
    "lines": ("project_no", "date", "voucher_kind", "voucher_no", "code"),
    "adjustments": ("year", "kind", "project_no", "date"),
    "facts": ("year", "name"),
}
MERGED_TABLES = {"years": ("year", "period"), "projects": ("project_no",)}    # merge mode: keyed update
PROFILE = "profile"


@dataclass(frozen=True)
class RowChange:
    kind: str                           # added | removed | changed
    key: tuple                          # identity key values
    old: Mapping | None                 # current row (None when added)
    new: Mapping | None                 # incoming row (None when removed)
    fields: tuple[str, ...] = ()        # changed fields (kind "changed")


@dataclass
class TableDiff:
    table: str
    added: list[RowChange] = field(default_factory=list)
    removed: list[RowChange] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def changes(self) -> list[RowChange]:
        return [*self.added, *self.changed, *self.removed]

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "removed": len(self.removed),
                "unchanged": self.unchanged}


@dataclass
class ImportDiff:
    mode: str
    tables: dict[str, TableDiff] = field(default_factory=dict)     # "profile" first, then the tables in order

    @property
    def empty(self) -> bool:
        return all(t.empty for t in self.tables.values())

    def counts(self) -> dict[str, dict[str, int]]:
        return {t: d.counts() for t, d in self.tables.items()}

    def totals(self) -> dict[str, int]:
        out = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0}
        for d in self.tables.values():
            for k, v in d.counts().items():
                out[k] += v
        return out


def _same(a, b) -> bool:
    return a == b and type(a) is type(b) or (a is None and b is None)


def _norm(row: Mapping, fields: Sequence[str]) -> tuple:
    return tuple((type(row.get(f)).__name__, row.get(f)) for f in fields)


def _fields_of(rows_a: Sequence[Mapping], rows_b: Sequence[Mapping], fields: Sequence[str] | None) -> list[str]:
    if fields is not None:
        return [f for f in fields if f not in ("id", "position")]
    seen: dict[str, None] = {}
    for r in (*rows_a, *rows_b):
        for k in r:
            if k not in ("id", "position"):
                seen.setdefault(k)
    return list(seen)


def diff_rows(table: str, current: Sequence[Mapping], incoming: Sequence[Mapping], *,
              key: Sequence[str] | None = None, fields: Sequence[str] | None = None) -> TableDiff:
    """Multiset diff of two row lists by identity ``key`` (default :data:`KEYS`; all fields when unknown)."""
    fields = _fields_of(current, incoming, fields)
    key = tuple(key if key is not None else KEYS.get(table, fields))
    out = TableDiff(table)
    groups_old: dict[tuple, list[Mapping]] = defaultdict(list)
    groups_new: dict[tuple, list[Mapping]] = defaultdict(list)
    order: dict[tuple, None] = {}
    for r in current:
        k = _norm(r, key)
        groups_old[k].append(r)
        order.setdefault(k)
    for r in incoming:
        k = _norm(r, key)
        groups_new[k].append(r)
        order.setdefault(k)
    for k in order:
        olds, news = list(groups_old.get(k, ())), list(groups_new.get(k, ()))
        # 1. identical rows pair off
        pool: dict[tuple, list[int]] = defaultdict(list)
        for i, r in enumerate(news):
            pool[_norm(r, fields)].append(i)
        left_old, used_new = [], set()
        for r in olds:
            idx = pool.get(_norm(r, fields))
            if idx:
                used_new.add(idx.pop(0))
                out.unchanged += 1
            else:
                left_old.append(r)
        left_new = [r for i, r in enumerate(news) if i not in used_new]
        plain_key = tuple(v for _, v in k)
        # 2. the rest pair in order: changed
        for a, b in zip(left_old, left_new):
            changed = tuple(f for f in fields if not _same(a.get(f), b.get(f)))
            out.changed.append(RowChange("changed", plain_key, a, b, changed))
        for a in left_old[len(left_new):]:
            out.removed.append(RowChange("removed", plain_key, a, None))
        for b in left_new[len(left_old):]:
            out.added.append(RowChange("added", plain_key, None, b))
    return out


def _merge_rows(table: str, current: Sequence[Mapping], incoming: Sequence[Mapping], key: Sequence[str],
                fields: Sequence[str]) -> TableDiff:
    """Merge mode for a keyed table: the first current row of a key gets the incoming non-empty values."""
    out = TableDiff(table)
    first: dict[tuple, Mapping] = {}
    for r in current:
        first.setdefault(_norm(r, key), r)
    updated: dict[tuple, dict] = {}
    for r in incoming:
        k = _norm(r, key)
        match = first.get(k)
        if match is None:
            out.added.append(RowChange("added", tuple(v for _, v in k), None, r))
            continue
        base = updated.setdefault(k, dict(match))
        for f in fields:
            v = r.get(f)
            if v is not None:
                base[f] = v
    for k, new in updated.items():
        old = first[k]
        changed = tuple(f for f in fields if not _same(old.get(f), new.get(f)))
        if changed:
            out.changed.append(RowChange("changed", tuple(v for _, v in k), old, new, changed))
        else:
            out.unchanged += 1
    out.unchanged += len({_norm(r, key) for r in current}) - len(updated)
    return out


def diff_profile(current: Mapping, incoming: Mapping, *, merge: bool = False,
                 fields: Iterable[str] | None = None) -> TableDiff:
    """Field by field (each field is one "row" keyed by its name)."""
    out = TableDiff(PROFILE)
    names = list(fields) if fields is not None else list(dict.fromkeys([*current, *incoming]))
    for f in names:
        old, new = current.get(f), incoming.get(f)
        if merge and new is None:
            if old is not None:
                out.unchanged += 1
            continue
        if _same(old, new):
            if old is not None:
                out.unchanged += 1
        elif old is None:
            out.added.append(RowChange("added", (f,), None, {f: new}, (f,)))
        elif new is None:
            out.removed.append(RowChange("removed", (f,), {f: old}, None, (f,)))
        else:
            out.changed.append(RowChange("changed", (f,), {f: old}, {f: new}, (f,)))
    return out


def diff_import(current: Mapping[str, Sequence[Mapping]], incoming: Mapping[str, Sequence[Mapping]], *,
                mode: str = "replace", profile_current: Mapping | None = None,
                profile_incoming: Mapping | None = None, fields: Mapping[str, Sequence[str]] | None = None,
                profile_fields: Iterable[str] | None = None) -> ImportDiff:
    """What importing ``incoming`` (table → rows, stored values) into ``current`` changes.

    ``fields``: table → the fields to compare (default: every key present)."""
    if mode not in ("replace", "merge"):
        raise ValueError("mode must be 'replace' or 'merge'")
    merge = mode == "merge"
    fields = fields or {}
    out = ImportDiff(mode)
    out.tables[PROFILE] = diff_profile(profile_current or {}, profile_incoming or {}, merge=merge,
                                       fields=profile_fields)
    for table in dict.fromkeys([*current, *incoming]):
        old, new = list(current.get(table) or ()), list(incoming.get(table) or ())
        cols = _fields_of(old, new, fields.get(table))
        if not merge:
            out.tables[table] = diff_rows(table, old, new, fields=cols)
        elif table in MERGED_TABLES:
            out.tables[table] = _merge_rows(table, old, new, MERGED_TABLES[table], cols)
        else:
            d = TableDiff(table, unchanged=len(old))
            d.added = [RowChange("added", tuple(r.get(f) for f in KEYS.get(table, ())), None, r) for r in new]
            out.tables[table] = d
    return out
