"""The table reader of the canonical workbook's sheets (interfaces.md §1): header matching, column-wise cell
parsing, findings as data.  Used by :mod:`calc.ingest` (the ledger) and :mod:`calc.allocation` (工时分配) — one
reader, no import circle: this module imports neither."""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from . import schema as S
from .model import ERROR, INFO, WARNING, Finding
from .money import AmountError, parse_amount, parse_ratio
from .values import (BIDI_RE, DATE_MAX, DATE_MIN, INVISIBLE_RE, ValueProblem, clean_text, clip_quoted, is_blank,
                     parse_choice, parse_date, parse_int, parse_year, parse_yesno)


@functools.lru_cache(maxsize=1024)
def column_letter(index0: int) -> str:
    out = ""
    n = index0 + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_BRACKET_TAIL = re.compile(r"[（(][^（）()]*[）)]$")


def _norm_header(value: object) -> str:
    text = clean_text(value) or ""
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\n", "")


def _match_header(value: object, columns: Sequence[S.Column]) -> S.Column | None:
    text = _norm_header(value)
    if not text:
        return None
    by_header = {unicodedata.normalize("NFKC", c.header): c for c in columns}
    if text in by_header:
        return by_header[text]
    stripped = _BRACKET_TAIL.sub("", text)
    while stripped != text:
        if stripped in by_header:
            return by_header[stripped]
        text, stripped = stripped, _BRACKET_TAIL.sub("", stripped)
    return None


class _Collector:
    def __init__(self):
        self.findings: list[Finding] = []
        self.rejected_projects: dict[str, int] = {}   # project no → row of a project row with errors
        self.build = None                               # how 研发支出 was read, for patch_lines
        self.line_columns: dict | None = None              # the columns of the lines _lines made

    def add(self, severity, code, message, sheet=None, row=None, column=None, col_index=None):
        cell = f"{column_letter(col_index)}{row}" if (col_index is not None and row) else None
        self.findings.append(Finding(severity, code, clip_quoted(message), sheet, row, column, cell))


_VALUE_CODES = {S.AMOUNT: "E_AMOUNT", S.DATE: "E_DATE", S.YESNO: "E_YESNO", S.INT: "E_INT",
                S.RATIO: "E_RATIO", S.YEAR: "E_YEAR", S.TEXT: "E_CHOICE"}


def _parse_cell(col: S.Column, raw: object):
    if col.kind == S.AMOUNT:
        return parse_amount(raw)
    if col.kind == S.DATE:
        return parse_date(raw)
    if col.kind == S.YESNO:
        return parse_yesno(raw)
    if col.kind == S.INT:
        return parse_int(raw)
    if col.kind == S.YEAR:
        return parse_year(raw)
    if col.kind == S.RATIO:
        return parse_ratio(raw)
    if col.choices:
        return parse_choice(raw, col.choices)
    return clean_text(raw)


# -- one table sheet, parsed a column at a time -----------------------------------------------
#
# A ledger repeats itself: a few hundred dates, a few dozen codes and projects, three funding sources.
# Each column is parsed once per distinct value (the parse of a value depends on nothing else), and the
# common cell types take a fast path that gives exactly what the general parser gives.  Cell findings are
# kept per row and emitted in row order, so the findings are those of a row-by-row parse.

_MISSING = object()


def _amount_fast(raw):
    """An amount cell → 分, the result of :func:`parse_amount` for every input (fast paths first)."""
    t = type(raw)
    if t is float:
        # An Excel number that is a whole 分: k/100 parses to exactly this double, and below 10¹² 元 two
        # doubles are never the same 2-decimal amount, so repr(raw) is k/100 and parse_amount gives k.
        if -1e12 < raw < 1e12:
            k = round(raw * 100)
            if k / 100 == raw:
                return k
        return parse_amount(raw)
    if t is int:
        return raw * 100
    if t is Decimal and raw.is_finite():
        q = raw.scaleb(2)
        if q == q.to_integral_value():
            return int(q)
    return parse_amount(raw)


_MEMO_TYPES = frozenset({str, int, bool, dt.date, dt.datetime})


def _parse_column(col: S.Column, raws: list) -> tuple[list, list[int], dict[int, str]]:
    """Parse one column: the values (``None`` for blank and bad cells), the indices of the blank cells and
    ``{index: message}`` of the cells that do not parse."""
    kind = col.kind
    parse = (lambda raw: _parse_cell(col, raw))
    fast_text = kind == S.TEXT and not col.choices
    is_amount, is_date = kind == S.AMOUNT, kind == S.DATE
    if len(raws) > 64:
        types = set(map(type, raws))
        if types == {str} and fast_text:
            return _text_column(list(map(str.strip, raws)))
        if types <= {str, _NONE}:
            return _distinct_column(raws, parse, fast_text)
        if is_date and types == {dt.date} and DATE_MIN <= min(raws) and max(raws) <= DATE_MAX:
            return list(raws), [], {}
        if is_amount and types == {float}:
            return _float_amounts(raws)
    values: list = [None] * len(raws)
    blanks: list[int] = []
    errors: dict[int, str] = {}
    memo: dict = {}
    for k, raw in enumerate(raws):
        if raw is None:
            blanks.append(k)
            continue
        t = type(raw)
        if t is str:
            text = raw.strip()
            if not text:
                blanks.append(k)
                continue
            if fast_text:
                values[k] = text
                continue
        elif is_amount:
            try:
                values[k] = _amount_fast(raw)
            except (AmountError, ValueProblem) as exc:
                errors[k] = str(exc)
            continue
        elif is_date and t is dt.date and DATE_MIN <= raw <= DATE_MAX:
            values[k] = raw
            continue
        # one parse per distinct value (of one type: 1, 1.0 and True parse differently; -0.0 prints apart
        # from 0.0 and Decimal("1.0") from Decimal("1.00"), so those are never shared)
        key = (t, raw) if t in _MEMO_TYPES or (t is float and raw != 0) else None
        if key is not None:
            hit = memo.get(key, _MISSING)
            if hit is not _MISSING:
                if type(hit) is _Failed:
                    errors[k] = hit.message
                else:
                    values[k] = hit
                continue
        try:
            value = parse(raw)
        except (AmountError, ValueProblem) as exc:
            errors[k] = str(exc)
            if key is not None:
                memo[key] = _Failed(str(exc))
            continue
        values[k] = value
        if key is not None:
            memo[key] = value
    return values, blanks, errors


class _Failed:
    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


_NONE = type(None)
_BLANK = object()


def _float_amounts(raws) -> tuple[list, list[int], dict[int, str]]:
    """A column of Excel numbers as 分: :func:`_amount_fast` on every cell, its whole-分 test done with numpy
    (the same float64 operations: ``round`` half to even, ``k/100 == x``), the other cells one by one."""
    x = np.array(raws, dtype=np.float64)
    with np.errstate(all="ignore"):             # inf/nan/huge cells are not exact: parsed one by one below
        k = np.round(x * 100)
        exact = (np.abs(x) < 1e12) & (k / 100 == x)
        values = np.where(exact, k, 0).astype(np.int64).tolist()
    errors: dict[int, str] = {}
    if not exact.all():
        for i in np.flatnonzero(~exact).tolist():
            try:
                values[i] = _amount_fast(raws[i])
            except (AmountError, ValueProblem) as exc:
                values[i] = None
                errors[i] = str(exc)
    return values, [], errors


def _text_column(texts: list) -> tuple[list, list[int], dict[int, str]]:
    """A text column of stripped strings: what :func:`_parse_column` gives (blank cells None)."""
    blanks: list[int] = []
    if "" in texts:
        blanks = [k for k, v in enumerate(texts) if not v]
        for k in blanks:
            texts[k] = None
    return texts, blanks, {}


def _distinct_column(raws, parse, fast_text: bool) -> tuple[list, list[int], dict[int, str]]:
    """A column of strings and blanks, parsed once per distinct cell: what :func:`_parse_column` gives."""
    results: dict = {}
    for raw in set(raws):
        text = raw.strip() if raw is not None else ""
        if not text:
            results[raw] = _BLANK
        elif fast_text:
            results[raw] = text
        else:
            try:
                results[raw] = parse(raw)
            except (AmountError, ValueProblem) as exc:
                results[raw] = _Failed(str(exc))
    values = list(map(results.__getitem__, raws))
    blanks: list[int] = []
    errors: dict[int, str] = {}
    if any(v is _BLANK or type(v) is _Failed for v in results.values()):
        for k, v in enumerate(values):
            if v is _BLANK:
                blanks.append(k)
                values[k] = None
            elif type(v) is _Failed:
                errors[k] = v.message
                values[k] = None
    return values, blanks, errors


def _row_blank(row) -> bool:
    for v in row:
        if v is not None and (type(v) is not str or v.strip()):
            return False
    return True


class _Table:
    """One table sheet after its header: the data rows and every mapped column parsed."""

    def __init__(self, sheet: str, header_at: int, mapping: dict, rows: list[int], values: dict, problems: dict):
        self.sheet = sheet
        self.header_at = header_at
        self.mapping = mapping                      # column index j → Column (sheet order)
        self.cols = {c.field: j for j, c in mapping.items()}
        self.rows = rows                            # 0-based sheet row of each data row
        self.values = values                        # field → [value per data row] (None: blank or bad)
        self.problems = problems                    # data-row index → [(severity, code, message, header, j)]

    def emit_problems(self, k: int, out: _Collector) -> bool:
        """Add the cell findings of data row ``k``; False when it has any (the row is not usable)."""
        found = self.problems.get(k)
        if not found:
            return True
        excel_row = self.rows[k] + 1
        for code, message, header, j in found:
            out.add(ERROR, code, message, self.sheet, excel_row, header, j)
        return False

    def row_dict(self, k: int) -> dict:
        values = {field: column[k] for field, column in self.values.items()}
        values["_cols"] = self.cols
        return values


def _parse_table(sheet: str, rows: Sequence[Sequence[object]], columns: Sequence[S.Column],
                 out: _Collector) -> _Table | None:
    """Find the header, report its problems, parse every data row; None when the table cannot be read."""
    intake = TableIntake(sheet, columns)
    intake.feed(rows)
    return intake.table(out)


_HEADER_ROWS = 30          # the header is looked for in a table sheet's first rows


class TableIntake:
    """A table sheet's rows, taken in consecutive blocks as a reader produces them (the first block starts at
    the sheet's first row) and parsed a block at a time.  :meth:`table` then gives exactly what
    :func:`_parse_table` gives for all the rows at once (it is how ``_parse_table`` works).

    A reader streaming a big sheet (``forms.xlsx_reader.read_workbook(…, consumers=…)``) feeds one of these
    while its workers parse the next block, so the cells are parsed while the file is still being read; if it
    has to start the sheet over it calls :meth:`reset`.  Pass it to :func:`build_ledger` (``intakes``)."""

    def __init__(self, sheet: str, columns: Sequence[S.Column]):
        self.sheet, self.columns = sheet, columns
        self.reset()

    def reset(self) -> None:
        self.out = _Collector()               # the header's findings, added to the ledger's in their place
        self.n = 0                            # rows taken so far
        self.head: list | None = []           # the first rows, until the header is found
        self.mapping: dict | None = None      # column index j → Column; None: no usable header
        self.header_at: int | None = None
        self.rows: list[int] = []
        self.values: dict[str, list] = {}
        self.problems: dict[int, list] = {}

    def feed(self, rows: Sequence[Sequence[object]]) -> None:
        start = self.n
        self.n += len(rows)
        if self.head is not None:
            self.head.extend(rows)
            if len(self.head) >= _HEADER_ROWS:
                self._header()
            return
        if self.mapping is not None:
            self._body(start, rows)

    def table(self, out: _Collector) -> _Table | None:
        """The parsed table (None when it cannot be read); its header findings are added to ``out``."""
        if self.head is not None:
            self._header()
        out.findings.extend(self.out.findings)
        if self.mapping is None:
            return None
        return _Table(self.sheet, self.header_at, self.mapping, self.rows, self.values, self.problems)

    def _header(self) -> None:
        rows, self.head = self.head, None
        sheet, columns, out = self.sheet, self.columns, self.out
        header_at, mapping = None, {}
        for i, row in enumerate(rows[:_HEADER_ROWS]):
            found = {j: c for j, v in enumerate(row) if (c := _match_header(v, columns))}
            if len(found) >= min(2, len(columns)):
                header_at, mapping = i, found
                break
        if header_at is None:
            out.add(ERROR, "E_HEADER_MISSING", f"工作表“{sheet}”找不到表头行（应含 {'、'.join(c.header for c in columns[:4])} 等列）",
                    sheet, 1)
            return
        seen: dict[str, int] = {}
        for j, col in list(mapping.items()):
            if col.field in seen:
                out.add(WARNING, "W_COLUMN_DUPLICATE", f"列“{col.header}”重复，只使用第一列", sheet, header_at + 1,
                        col.header, j)
                del mapping[j]
            else:
                seen[col.field] = j
        for j, v in enumerate(rows[header_at]):
            if j not in mapping and not is_blank(v):
                out.add(INFO, "I_EXTRA_COLUMN", f"列“{clean_text(v)}”不是模板列，已忽略", sheet, header_at + 1,
                        clean_text(v), j)
        for col in columns:
            if col.required and col.field not in seen:
                out.add(ERROR, "E_COLUMN_MISSING", f"缺少必填列“{col.header}”", sheet, header_at + 1, col.header)
        if any(col.required and col.field not in seen for col in columns):
            return
        self.header_at, self.mapping = header_at, mapping
        self.values = {col.field: [] for col in mapping.values()}
        self._body(header_at + 1, rows[header_at + 1:])

    def _body(self, start: int, rows: Sequence[Sequence[object]]) -> None:
        data = [k for k, row in enumerate(rows) if row and not _row_blank(row)]
        if not data:
            return
        values, problems = _parse_rows(self.mapping, [rows[k] for k in data])
        offset = len(self.rows)
        self.rows.extend(start + k for k in data)
        for field, column in values.items():
            self.values[field].extend(column)
        for k, found in problems.items():
            self.problems[offset + k] = found


_IDENTIFIERS = frozenset({"project_no", "code"})      # text columns that name something: no invisible characters


def _without_format_chars(raws, pattern: re.Pattern):
    """A text column without the format characters ``pattern`` finds (:data:`calc.values.BIDI_RE`, or
    :data:`~calc.values.INVISIBLE_RE` for identifiers); one scan of the joined column when there are none."""
    texts = [v for v in raws if type(v) is str]
    if not texts or not pattern.search("\n".join(texts)):
        return raws
    return [pattern.sub("", v) if type(v) is str else v for v in raws]


def _parse_rows(mapping: dict, rows: list) -> tuple[dict[str, list], dict[int, list]]:
    """Parse the mapped columns of data rows: ``({field: values}, {row index: [cell problem]})``."""
    values: dict[str, list] = {}
    problems: dict[int, list] = {}
    width = max(mapping) + 1
    columns_of = list(itertools.zip_longest(*rows))          # short rows padded with None
    columns_of += [(None,) * len(rows)] * (width - len(columns_of))
    for position, (j, col) in enumerate(mapping.items()):
        raws = columns_of[j]
        if col.kind == S.TEXT:
            raws = _without_format_chars(raws, INVISIBLE_RE if col.field in _IDENTIFIERS else BIDI_RE)
        parsed, blanks, errors = _parse_column(col, raws)
        for k, message in errors.items():
            problems.setdefault(k, []).append(
                (position, _VALUE_CODES.get(col.kind, "E_VALUE"), f"{col.header}：{message}", col.header, j))
        if col.required:
            for k in blanks:
                problems.setdefault(k, []).append((position, "E_REQUIRED", f"必填项“{col.header}”为空", col.header, j))
        values[col.field] = parsed
    for k, found in problems.items():          # a row's cell findings in column order, as a row-wise parse gives
        found.sort(key=lambda p: p[0])
        problems[k] = [p[1:] for p in found]
    return values, problems


def _read_table(sheet: str, rows: Sequence[Sequence[object]], columns: Sequence[S.Column], out: _Collector):
    """Yield ``(excel_row, {field: value}, ok)`` for every non-blank data row."""
    table = _parse_table(sheet, rows, columns, out)
    if table is None:
        return
    for k, i in enumerate(table.rows):
        ok = table.emit_problems(k, out)
        yield i + 1, table.row_dict(k), ok


#: the public name of the row reader (``(excel_row, {field: value}, ok)`` per non-blank data row)
read_table = _read_table
