"""The ledger lines as integer columns (numpy), for the engines' grouped sums.

One :class:`LineColumns` per ledger, built once (``calc.ingest.build_ledger`` builds it with the ledger;
a ledger made another way gets it on first use) and shared by every computation on that ledger.  Amounts
are integer 分 in ``int64`` — exact, and guarded: a ledger whose sums could leave ``int64`` keeps Python
integers (``object`` columns), slower and just as exact.  Line ``i`` of ``ledger.lines`` is row ``i``.

The only rounding is the per-line share, ``round_fen(amount × 研发工时占比)`` with :func:`calc.money.round_fen` on
the lines that have one, exactly as the engines did line by line.
"""
from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from .model import Ledger, Line
from .money import round_fen

GRANT = "财政资金（不征税）"
_LIMIT = 2 ** 62          # |Σ amounts| must stay below this for int64 arithmetic


#: the line fields an import hands to :class:`LineColumns` as columns (``given``)
LINE_COLUMN_FIELDS = ("date", "project_no", "code", "amount", "tax_amount", "share", "funding", "hnte_category")


class LineColumns:
    """Columns of ``ledger.lines`` (row i = ``ledger.lines[i]``)."""

    def __init__(self, lines: tuple[Line, ...] | list[Line], given: dict | None = None):
        """``given``: the lines' values by field name (``date``, ``project_no``, ``code``, ``amount``,
        ``tax_amount``, ``share``, ``funding``, ``hnte_category``) when the caller has them — an import does —
        and the line ids are 0, 1, 2, …; otherwise they are taken from the lines."""
        n = len(lines)
        self.n = n
        if given is not None and any(len(given.get(f, ())) != n for f in LINE_COLUMN_FIELDS):
            given = None            # incomplete or stale columns (e.g. a sheet with no data row): take the lines'

        def column(name: str) -> list:
            return given[name] if given is not None else list(map(attrgetter(name), lines))

        if given is not None:
            self.ids = np.arange(n, dtype=np.int64)
        else:
            self.ids = np.fromiter(map(attrgetter("id"), lines), dtype=np.int64, count=n)
        ordinal: dict = {}
        days = column("date")
        for d in set(days):
            ordinal[d] = d.toordinal()
        self.ordinal = np.fromiter(map(ordinal.__getitem__, days), dtype=np.int64, count=n)
        years = {d: d.year for d in ordinal}
        self.year = np.fromiter(map(years.__getitem__, days), dtype=np.int64, count=n)
        nos = column("project_no")
        self.proj_keys: list = list(dict.fromkeys(nos))
        index = {k: i for i, k in enumerate(self.proj_keys)}
        self.proj = np.fromiter(map(index.__getitem__, nos), dtype=np.int64, count=n)
        codes = column("code")
        self.code_keys: list = list(dict.fromkeys(codes))
        index = {k: i for i, k in enumerate(self.code_keys)}
        self.code = np.fromiter(map(index.__getitem__, codes), dtype=np.int64, count=n)
        amounts, taxes, shares = column("amount"), column("tax_amount"), column("share")
        base = [a if t is None else t for a, t in zip(amounts, taxes)]
        self.has_tax = np.array([t is not None for t in taxes], dtype=bool)
        self.has_share = np.array([s is not None for s in shares], dtype=bool)
        elig, hnte = list(base), list(amounts)
        for i in np.flatnonzero(self.has_share).tolist():
            elig[i] = round_fen(base[i] * shares[i])
            hnte[i] = round_fen(amounts[i] * shares[i])
        self.exact_int64 = True
        try:
            columns = [np.array(v, dtype=np.int64) for v in (amounts, base, elig, hnte)]
            big = max((max(int(c.max()), -int(c.min())) for c in columns if len(c)), default=0)
            self.exact_int64 = big * max(n, 1) < _LIMIT
        except OverflowError:                               # beyond int64: keep Python integers
            self.exact_int64 = False
        if not self.exact_int64:
            columns = [np.array(v, dtype=object) for v in (amounts, base, elig, hnte)]
        self.amount, self.base = columns[0], columns[1]
        self.elig = columns[2]            # super-deduction caliber: base × share
        self.hnte_amount = columns[3]     # HNTE caliber: 会计金额 × share
        fundings = column("funding")
        self.grant = np.array([f == GRANT for f in fundings], dtype=bool)
        cats = [c or None for c in column("hnte_category")]
        self.hcat_keys: list = list(dict.fromkeys(c for c in cats if c is not None))
        index = {k: i for i, k in enumerate(self.hcat_keys)}
        index[None] = -1
        self.hcat = np.fromiter(map(index.__getitem__, cats), dtype=np.int64, count=n)
        self.years = frozenset(years.values())
        self.ids_identity = bool(np.array_equal(self.ids, np.arange(n)))    # line id i is row i (ingest)
        self._memo: dict = {}

    def patched(self, changed: dict[int, Line], lines: tuple[Line, ...]) -> "LineColumns":
        """The columns of ``lines``, which differ from this ledger's lines in the rows of ``changed`` (``row →
        new Line``, same ids): only those rows are recomputed, the rest is shared."""
        big = max((abs(v) for l in changed.values() for v in (l.amount, l.base_amount)), default=0)
        if not self.exact_int64 or big * max(self.n, 1) >= _LIMIT:
            return LineColumns(lines)
        new = object.__new__(LineColumns)
        new.__dict__.update(self.__dict__)
        new._memo = {}
        if not changed:
            new._memo = dict(self._memo)
            return new
        rows = list(changed)
        edited = [changed[r] for r in rows]
        part = LineColumns(edited)
        touched = set()
        for name in ("ordinal", "year", "amount", "base", "elig", "hnte_amount", "grant", "has_tax", "has_share"):
            old = getattr(self, name)
            values = getattr(part, name)
            if not np.array_equal(old[rows], values):
                touched.add(name)
                old = old.copy()
                old[rows] = values
            setattr(new, name, old)
        for name, keys_name, get in (("proj", "proj_keys", lambda l: l.project_no), ("code", "code_keys", lambda l: l.code),
                                     ("hcat", "hcat_keys", lambda l: l.hnte_category or None)):
            keys = list(getattr(self, keys_name))
            index = {k: i for i, k in enumerate(keys)}
            values = []
            for line in edited:
                key = get(line)
                if key is None and name == "hcat":
                    values.append(-1)
                    continue
                if key not in index:
                    index[key] = len(keys)
                    keys.append(key)
                values.append(index[key])
            old = getattr(self, name)
            values = np.array(values, dtype=np.int64)
            if not np.array_equal(old[rows], values):
                touched.add(name)
                old = old.copy()
                old[rows] = values
            setattr(new, name, old)
            setattr(new, keys_name, keys)
        new.years = frozenset(np.unique(new.year).tolist())
        for key, value in self._memo.items():          # derived results that do not depend on what changed
            depends = _MEMO_DEPENDS.get(key if isinstance(key, str) else key[0])
            if depends is not None and not depends & touched:
                new._memo[key] = value
        return new

    # -- lookups ------------------------------------------------------------------------------
    def proj_values(self, mapping: dict, default=None, dtype=object, rows: np.ndarray | None = None) -> np.ndarray:
        """A per-line array of ``mapping[project]`` (for ``rows`` only when given)."""
        table = np.array([mapping.get(k, default) for k in self.proj_keys] or [default], dtype=dtype)
        return table[self.proj if rows is None else self.proj[rows]] if self.n else np.empty(0, dtype=dtype)

    def memo(self, key, build, check=None):
        """A value derived from the columns (and ``check``, compared by identity), computed once."""
        hit = self._memo.get(key)
        if hit is not None and hit[0] is check:
            return hit[1]
        value = build()
        self._memo[key] = (check, value)
        return value

    def total(self, values: np.ndarray, mask: np.ndarray | None = None) -> int:
        """Σ of an amount column (optionally over a mask) as a Python int."""
        chosen = values if mask is None else values[mask]
        return int(chosen.sum()) if len(chosen) else 0

    def group_sums(self, group: np.ndarray, values: np.ndarray, size: int) -> list[int]:
        """Σ ``values`` per group index (0 … size-1), exact, as Python ints."""
        out = np.zeros(size, dtype=values.dtype if values.dtype != object else object)
        if values.dtype == object:
            out[:] = 0
        np.add.at(out, group, values)
        return [int(v) for v in out.tolist()]

    def negative_nets(self, rows: np.ndarray, category: np.ndarray, n_categories: int,
                      values: np.ndarray) -> list[tuple[str, int, int, int]]:
        """``(project, year, category index, net)`` of every project × year × category whose net of ``values``
        over ``rows`` is negative (red reversals exceeding what they reverse), in the order the rows first use
        them.  ``category`` and ``values`` are per row of ``rows``."""
        if not len(rows) or int(values.min()) >= 0:
            return []
        y0 = int(self.year.min())
        ny, nc = int(self.year.max()) - y0 + 1, n_categories
        keys = (self.proj[rows] * ny + (self.year[rows] - y0)) * nc + category
        size = len(self.proj_keys) * ny * nc
        if size <= 4 * len(keys) + 1024:                 # few possible keys: dense tables
            first = np.full(size, len(keys), dtype=np.int64)
            np.minimum.at(first, keys, np.arange(len(keys)))
            uniq = np.flatnonzero(first < len(keys))
            first = first[uniq]
            sums = self.group_sums(keys, values, size)
            totals = [sums[k] for k in uniq.tolist()]
        else:
            uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            totals = self.group_sums(inverse, values, len(uniq))
        out = []
        for u in np.argsort(first, kind="stable").tolist():
            if totals[u] < 0:
                key = int(uniq[u])
                out.append((self.proj_keys[key // (ny * nc)], y0 + key // nc % ny, key % nc, totals[u]))
        return out


# the columns each memoised derivation reads (for LineColumns.patched)
_MEMO_DEPENDS = {"project_order": {"proj"}, "hnte_status": {"proj", "code", "hcat"}}


def project_order(ledger: Ledger) -> tuple[np.ndarray, np.ndarray, int]:
    """``(order, rank, n)``: each line's project rank — its position in 研发项目, then projects the sheet
    lacks in sorted order — the line rows sorted by (rank, ledger order), and the number of ranks."""
    cols = line_columns(ledger)

    def build():
        rank_of = {no: i for i, no in enumerate(ledger.projects)}
        for no in sorted(k for k in cols.proj_keys if k not in rank_of):
            rank_of[no] = len(rank_of)
        rank = cols.proj_values(rank_of, 0, np.int64)
        keys = rank.astype(np.uint16) if len(rank_of) <= 65535 else rank     # radix sort
        return np.argsort(keys, kind="stable"), rank, len(rank_of)

    return cols.memo(("project_order", tuple(ledger.projects)), build)


def line_columns(ledger: Ledger) -> LineColumns:
    """The columns of a ledger's lines, built on first use and kept with the ledger."""
    cols = ledger.__dict__.get("_line_columns")
    if cols is None or cols.n != len(ledger.lines):
        cols = LineColumns(ledger.lines)
        object.__setattr__(ledger, "_line_columns", cols)
    return cols


def attach_columns(ledger: Ledger, cols: LineColumns) -> None:
    object.__setattr__(ledger, "_line_columns", cols)


def carry_memo(old: Ledger, new: Ledger, dates) -> None:
    """Keep on ``new`` the results of ``old`` that lines dated ``dates`` (the old and new dates of the edited
    lines, the only difference between the two ledgers) cannot change: a super-deduction period ending before
    the earliest of them, an HNTE caliber of a year none of them is in.  Nothing is kept when the set of
    years with lines changed."""
    memo = old.__dict__.get("_memo")
    if not memo or line_columns(old).years != line_columns(new).years:
        return
    first = min(dates) if dates else None
    years = {d.year for d in dates}
    kept = {}
    for key, value in memo.items():
        kind = key[0]
        if kind == "hnte_caliber" and key[1] not in years:
            kept[key] = value
        elif kind == "sd" and first is not None and key[4] < first:
            kept[key] = value
    if kept:
        object.__setattr__(new, "_memo", kept)


def ledger_memo(ledger: Ledger, key, build, check=None):
    """A result derived from an (immutable) ledger alone, computed once per ledger object; ``check`` (e.g. the
    Params used) must be the very same object for a stored result to be reused."""
    memo = ledger.__dict__.get("_memo")
    if memo is None:
        memo = {}
        object.__setattr__(ledger, "_memo", memo)
    hit = memo.get(key)
    if hit is not None and hit[0] is check:
        return hit[1]
    value = build()
    memo[key] = (check, value)
    return value


class LineIds(Sequence):
    """An immutable sequence of line ids that behaves as the tuple it stands for, kept as an int64 array and
    turned into Python integers only when somebody looks at them (a 1M-line evaluation lists every line id
    in its 汇总表 rows, traces and HNTE activities; most of them are never read).  ``len`` and ``bool`` do
    not materialise; equality and hashing are those of the tuple; pickling and copying give the tuple."""

    __slots__ = ("_array", "_tuple")

    def __init__(self, array: np.ndarray):
        self._array = array
        self._tuple = None

    def _t(self) -> tuple:
        t = self._tuple
        if t is None:
            t = self._tuple = tuple(self._array.tolist())
        return t

    def array(self) -> np.ndarray:
        """The ids as an int64 array."""
        return self._array

    def __len__(self) -> int:
        return len(self._array)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self):
        return iter(self._t())

    def __reversed__(self):
        return reversed(self._t())

    def __getitem__(self, index):
        return self._t()[index]

    def __contains__(self, value) -> bool:
        return value in self._t()

    def index(self, value, *args) -> int:
        return self._t().index(value, *args)

    def count(self, value) -> int:
        return self._t().count(value)

    def __eq__(self, other) -> bool:
        if isinstance(other, LineIds):
            return self._t() == other._t()
        if isinstance(other, tuple):
            return self._t() == other
        return NotImplemented

    def __ne__(self, other) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __lt__(self, other):
        return self._t() < (other._t() if isinstance(other, LineIds) else other)

    def __hash__(self) -> int:
        return hash(self._t())

    def __add__(self, other):
        return self._t() + (other._t() if isinstance(other, LineIds) else other)

    def __radd__(self, other):
        return other + self._t()

    def __repr__(self) -> str:
        return repr(self._t())

    def __reduce__(self):
        return (tuple, (self._t(),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def ids_array(values) -> np.ndarray:
    """Line ids (a :class:`LineIds` or any iterable of ints) as an int64 array."""
    if isinstance(values, LineIds):
        return values.array()
    return np.fromiter(values, dtype=np.int64)
