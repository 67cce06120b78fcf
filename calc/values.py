"""Parsers for the non-money cell values of the workbook: dates, yes/no, counts, years.

Each raises :class:`ValueProblem` with a Chinese message; an empty cell gives ``None``.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from fractions import Fraction

from .money import AmountError, to_fraction


class ValueProblem(ValueError):
    pass


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


QUOTE_MAX = 40          # characters of a cell quoted in a message (as amounts are, KB2)
_QUOTED = re.compile(r"“([^“”]{%d,})”" % (QUOTE_MAX + 1))


def clip_quoted(message: str) -> str:
    """``message`` with every quoted text longer than :data:`QUOTE_MAX` characters cut to its start and “…”:
    a 5,000-character cell is named, not printed whole (hostile-input review M9)."""
    if "“" not in message:
        return message
    return _QUOTED.sub(lambda m: f"“{m.group(1)[:QUOTE_MAX]}…（共{len(m.group(1)):,}字）”", message)


# Format characters a user never means as content.  Bidi controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C)
# make Excel show a name reversed while a PDF draws it in logical order — two documents, two names — and the
# statement font has no glyph for them (review M13): they are removed from every text cell.  The zero-width
# characters and the BOM also split or disguise identifiers (RD\u200b01 is not RD01, review M6/M14/U03): they are
# removed from identifiers (project numbers, codes).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
BIDI_RE = re.compile(f"[{_BIDI}]+")
INVISIBLE_RE = re.compile(f"[{_BIDI}\u00ad\u180e\u200b-\u200d\u2060-\u2064\u206a-\u206f\ufeff]+")


def strip_bidi(text: str) -> str:
    return BIDI_RE.sub("", text) if BIDI_RE.search(text) else text


def strip_invisible(text: str) -> str:
    return INVISIBLE_RE.sub("", text) if INVISIBLE_RE.search(text) else text


def lookalike_key(text: str) -> str:
    """What a reader sees: the text without invisible characters, NFKC (full-width → half-width, NFD → NFC),
    without spaces and case-folded.  Two project numbers with one key look like the same number (review M6)."""
    return "".join(unicodedata.normalize("NFKC", strip_invisible(text)).casefold().split())


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_text(value: object) -> str | None:
    """Cell → stripped text (numbers written without a spurious ``.0``)."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    text = str(value).strip()
    if BIDI_RE.search(text):
        text = BIDI_RE.sub("", text).strip() or None
    return text


#: Dates outside these years are typing errors (or an ERP's 9999-12-31 "open end"): the rules span 2008–2100 and
#: date arithmetic on the far end (a certificate's expiry, registration + 365 days) must stay in range.
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


_TIME_OF_DAY = re.compile(r"[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")


def check_date_range(day: dt.date) -> dt.date:
    """``day`` when it lies within DATE_MIN…DATE_MAX, else the ValueProblem of :func:`parse_date`."""
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueProblem(f"日期“{day.isoformat()}”超出可处理的范围（{DATE_MIN.year}—{DATE_MAX.year}年）")
    return day


def parse_date(value: object) -> dt.date | None:
    day = _parse_date(value)
    if day is not None and not DATE_MIN <= day <= DATE_MAX:
        raise ValueProblem(f"日期“{day.isoformat()}”超出可处理的范围（{DATE_MIN.year}—{DATE_MAX.year}年）")
    return day


def _parse_date(value: object) -> dt.date | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueProblem(f"日期“{value}”无法识别")
    if isinstance(value, (int, float, Decimal)):
        # an Excel serial day number in a cell without a date format
        try:
            serial = to_fraction(value)
        except AmountError:
            raise ValueProblem(f"日期“{value}”无法识别") from None
        if 20000 <= serial <= 80000:
            return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
        if 19000101 <= serial <= 21001231 and serial.denominator == 1:
            return _parse_date(str(int(serial)))
        raise ValueProblem(f"日期“{value}”无法识别")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    clock = _TIME_OF_DAY.search(text)                 # a trailing time of day: dropped when it is a real time
    if clock:
        h, m, sec = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if h > 23 or m > 59 or sec > 59:
            raise ValueProblem(f"日期“{value}”中的时间无效（{clock.group(0).strip()}）")
        text = text[:clock.start()]
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mth, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mth, d)
            except ValueError:
                break
    raise ValueProblem(f"日期“{value}”无法识别（可用 2024-03-05、2024/3/5、2024年3月5日 或 20240305）")


_YES = {"是", "Y", "YES", "TRUE", "1", "真", "√"}
_NO = {"否", "N", "NO", "FALSE", "0", "假", "×"}


def parse_yesno(value: object) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueProblem(f"“{value}”应填 是/否")


def parse_int(value: object, *, minimum: int = 0) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"“{value}”不是整数")
    try:
        number = to_fraction(value)
    except AmountError:
        raise ValueProblem(f"“{value}”不是整数") from None
    if number.denominator != 1:
        raise ValueProblem(f"“{value}”不是整数")
    if number < minimum:
        raise ValueProblem(f"“{value}”不能小于{minimum}")
    return int(number)


def parse_year(value: object) -> int | None:
    year = parse_int(value)
    if year is None:
        return None
    if not 2000 <= year <= 2100:
        raise ValueProblem(f"年度“{value}”无效")
    return year


def parse_choice(value: object, choices: tuple[str, ...]) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    norm = unicodedata.normalize("NFKC", text).replace(" ", "")
    for choice in choices:
        if norm == unicodedata.normalize("NFKC", choice).replace(" ", ""):
            return choice
    raise ValueProblem(f"“{text}”不是可选值（{'/'.join(choices)}）")


__all__ = ["ValueProblem", "is_blank", "clean_text", "parse_date", "parse_yesno", "parse_int",
           "parse_year", "parse_choice", "Fraction"]
