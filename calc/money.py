"""Exact money: the one amount parser, rounding to the 分, formatting.

Amounts are held as integer 分 (fen) end to end; intermediate values that divide
(``/ 9``, ``× 2/3``, ``× 80%``) are ``fractions.Fraction`` and are rounded once, with
``round_fen`` (ROUND_HALF_UP, ties away from zero), when a figure becomes final
(super_deduction.md §0.2).
"""
from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction

__all__ = [
    "AmountError", "parse_amount", "parse_ratio", "round_fen", "round_ratio", "fen_str", "fen_display",
    "yuan_to_fen", "split_largest_remainder", "integer_weights", "to_fraction", "ratio_str", "fen_to_decimal",
]


class AmountError(ValueError):
    """A value that is not an amount; ``str(e)`` is a Chinese message for the user."""


_NUMBER = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
_STRIP = str.maketrans("", "", " \t\u3000\u00a0¥$元")
# Excel stores binary doubles; 0.1 + 0.2 arrives as 0.30000000000000004.  A value within
# this tolerance of a whole 分 is that 分; anything further away has real extra decimals.
_FLOAT_TOLERANCE = Fraction(1, 10**6)


#: Bounds on numeric text, so that a hostile cell cannot make an exact value take minutes (or raise
#: Python's own int-digit limit): no money or count in a ledger comes near them.
_MAX_WHOLE_DIGITS = 18          # integer digits of an amount in 元 (10**18 元)
_MAX_NUMBER_TEXT = 100          # characters of a numeric text (ratios, years, counts)
_MAX_EXPONENT = 30              # |decimal exponent| of a numeric text


def _clip(text: object, limit: int = 40) -> str:
    """The start of a (possibly huge) cell text for a message."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _from_number(value: object) -> Fraction:
    if isinstance(value, bool):
        raise AmountError(f"“{value}”不是金额")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(f"“{value}”不是金额")
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AmountError("金额不是有效数字")
        # repr gives the shortest decimal that round-trips: exact, no binary noise added.
        return Fraction(Decimal(repr(value)))
    raise AmountError(f"“{value}”不是金额")


def parse_amount(value: object) -> int | None:
    """Parse one amount cell into integer 分; ``None`` for an empty cell.

    Accepts numbers (Excel numbers incl. float artefacts such as 0.1+0.2), and text such
    as ``1,234.56``, ``¥1234.56``, ``￥1,234.56元``, full-width ``１２３４．５６``,
    ``(1,234.56)`` / ``（1,234.56）`` or ``-1234.56`` (negatives are reversals).
    Anything else raises :class:`AmountError` — nothing is guessed.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if not text:
            return None
        original = value.strip()
        body = text.translate(_STRIP).replace("RMB", "").replace("CNY", "")
        negative = False
        if body.startswith("(") and body.endswith(")"):
            negative, body = True, body[1:-1]
        body = body.translate(_STRIP)
        if body and body[0] in "-−+":
            if negative:      # "(-1)": brackets and a sign together are ambiguous — never guess
                raise AmountError(f"金额“{_clip(original)}”无法识别（括号与正负号不能同时使用）")
            negative = body[0] in "-−"
            body = body[1:].translate(_STRIP)
        if not body or body.startswith("(") or body[0] in "-−+":
            raise AmountError(f"金额“{_clip(original)}”无法识别")
        m = _NUMBER.match(body)
        if not m:
            raise AmountError(f"金额“{_clip(original)}”无法识别")
        whole, decimals = m.group(1).replace(",", ""), m.group(2) or ""
        if len(whole.lstrip("0")) > _MAX_WHOLE_DIGITS:
            raise AmountError(f"金额“{_clip(original)}”过大（超过{_MAX_WHOLE_DIGITS}位整数）")
        if len(decimals.rstrip("0")) > 2:
            raise AmountError(f"金额“{_clip(original)}”超过两位小数（分）")
        fen = int(whole) * 100 + int((decimals + "00")[:2])
        return -fen if negative else fen
    exact = _from_number(value) * 100
    nearest = round_fen(exact)
    if isinstance(value, float):
        if abs(exact - nearest) > _FLOAT_TOLERANCE:
            raise AmountError(f"金额“{value!r}”超过两位小数（分）")
        return nearest
    if exact.denominator != 1:
        raise AmountError(f"金额“{value}”超过两位小数（分）")
    return int(exact)


def to_fraction(value: object) -> Fraction:
    """An exact number from an int, Decimal, Fraction, float cell or numeric text."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        if len(text) > _MAX_NUMBER_TEXT:        # the exact value of a huge text would take minutes to build
            raise AmountError(f"“{_clip(value)}”不是可用的数字（过长）")
        try:
            if "/" in text:
                return Fraction(text)
            number = Decimal(text)
        except (InvalidOperation, ValueError, ZeroDivisionError):
            raise AmountError(f"“{_clip(value)}”不是数字") from None
        if not number.is_finite():
            raise AmountError(f"“{_clip(value)}”不是有效数字")
        if number and abs(number.adjusted()) > _MAX_EXPONENT:     # 1e99999999 would be built digit by digit
            raise AmountError(f"“{_clip(value)}”超出可用的数值范围")
        return Fraction(number)
    return _from_number(value)


def parse_ratio(value: object) -> Fraction | None:
    """A share such as ``40%``, ``0.4`` or an Excel percent cell (0.4) → Fraction in [0, 1]."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if text.endswith("%"):
            ratio = to_fraction(text[:-1]) / 100
        else:
            ratio = to_fraction(text)
    else:
        ratio = to_fraction(value)
    if ratio < 0 or ratio > 1:
        raise AmountError(f"比例“{value}”应在0%到100%之间（如 40%）")
    return ratio


def round_fen(x: Fraction | int) -> int:
    """Round to the 分.

    ``x`` is an exact amount **in 分**; the result is the nearest whole 分, ties away
    from zero (ROUND_HALF_UP, 四舍五入).
    """
    if isinstance(x, int):
        return x
    return round_ratio(x.numerator, x.denominator)


def round_ratio(numerator: int, denominator: int) -> int:
    """``round_fen(Fraction(numerator, denominator))`` without building the Fraction (``denominator`` > 0):
    ``round_ratio(amount * p, q)`` is ``round_fen(amount × p/q)``."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def yuan_to_fen(yuan: str | int | Decimal) -> int:
    """Test helper: an exact 元 amount (``"1472222.22"``) → 分."""
    f = Fraction(Decimal(str(yuan))) * 100
    if f.denominator != 1:
        raise AmountError(f"{yuan} 不是整分金额")
    return int(f)


def fen_str(fen: int) -> str:
    """``123456`` → ``"1234.56"``: the JSON form (two decimals, no separators)."""
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q}.{r:02d}"


def fen_display(fen: int) -> str:
    """``123456789`` → ``"1,234,567.89"``: the printed form."""
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q:,}.{r:02d}"


def fen_to_decimal(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def ratio_str(x: Fraction, places: int = 2) -> str:
    """An exact ratio as a fixed-point string, ROUND_HALF_UP (``Fraction(3, 4)`` → ``"0.75"``)."""
    scaled = round_fen(Fraction(x) * 10**places)
    sign = "-" if scaled < 0 else ""
    q, r = divmod(abs(scaled), 10**places)
    return f"{sign}{q}.{r:0{places}d}" if places else f"{sign}{q}"


def _decimal_places(x: Fraction, limit: int) -> int | None:
    """The number of decimal places that write ``x`` exactly, or None when more than ``limit`` are needed."""
    den, places = Fraction(x).denominator, 0
    while den != 1 and places <= limit:
        if den % 10 == 0:
            den //= 10
        elif den % 2 == 0:
            den //= 2
        elif den % 5 == 0:
            den //= 5
        else:
            return None
        places += 1
    return places if places <= limit else None


def rate_str(x: Fraction, places: int = 4) -> str:
    """A rate as a decimal string, exact: 1/40 → ``"0.025"`` (never ``"0.03"``), 1/4 → ``"0.25"``, 3/20 → ``"0.15"``
    (at least two places).  A rate that is not exact in ``places`` decimals (a blended effective rate) is rounded
    to ``places``."""
    exact = _decimal_places(Fraction(x), places)
    return ratio_str(x, max(2, exact) if exact is not None else places)


def rate_percent(x: Fraction, places: int = 2) -> str:
    """A rate as a percentage, exact and without trailing zeros: 1/40 → ``"2.5%"``, 1/4 → ``"25%"``, 1 → ``"100%"``.
    A rate not exact in ``places`` decimals of a percent is rounded and marked ``约``: ``"约8.33%"``."""
    pct = Fraction(x) * 100
    exact = _decimal_places(pct, places)
    if exact is not None:
        return f"{ratio_str(pct, exact)}%"
    return f"约{ratio_str(pct, places)}%"


def percent_text(share: Fraction | None) -> str | None:
    """A share as the text a user types: ``Fraction(2, 5)`` → ``"40%"``, ``Fraction(1, 8)`` → ``"12.5%"``; a share
    whose percentage is not a terminating decimal stays exact as ``"1/3"`` (``parse_ratio`` reads both back)."""
    if share is None:
        return None
    pct = Fraction(share) * 100
    den, twos, fives = pct.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"{share.numerator}/{share.denominator}"
    places = max(twos, fives)
    scaled = pct.numerator * 10**places // pct.denominator        # exact: the denominator divides 10**places
    sign, digits = ("-" if scaled < 0 else ""), str(abs(scaled)).rjust(places + 1, "0")
    text = digits if not places else f"{digits[:-places]}.{digits[-places:]}"
    return f"{sign}{text}%"


def integer_weights(weights) -> tuple[list[int], int]:
    """Exact weights (int, Fraction, Decimal …) as integers over one common denominator: ``(W, D)`` with
    ``weights[i] == W[i] / D`` — proportions computed on ``W`` are those of ``weights``, without Fractions."""
    nums, dens = [], []
    for w in weights:
        if type(w) is not int:
            w = Fraction(w)
            if w.denominator != 1:
                nums.append(w.numerator)
                dens.append(w.denominator)
                continue
            w = w.numerator
        nums.append(w)
        dens.append(1)
    d = math.lcm(*set(dens)) if dens else 1
    return ([n * (d // k) for n, k in zip(nums, dens)] if d != 1 else nums), d


def split_largest_remainder(total: int, weights: list[Fraction | int], keys: list | None = None) -> list[int]:
    """Split ``total`` 分 into parts proportional to ``weights`` that add up exactly.

    floor each exact share, then give +1 分 to the parts with the largest remainders;
    ties go to the earlier part (lower project number / line id, pass ``keys`` to order).
    Negative totals are split as the negation of the split of ``-total``.
    """
    n = len(weights)
    if n == 0:
        return []
    if total < 0:
        return [-p for p in split_largest_remainder(-total, weights, keys)]
    w, _ = integer_weights(weights)           # total × w / Σw is the same on the integer weights
    wsum = sum(w)
    if wsum <= 0:
        if total == 0:
            return [0] * n
        raise ValueError("weights must have a positive sum to split a non-zero total")
    shares = [divmod(total * x, wsum) for x in w]     # (floor, remainder ÷ Σw) of each exact share
    floors = [q for q, _ in shares]
    rest = total - sum(floors)
    order = sorted(range(n), key=lambda i: (-shares[i][1], keys[i] if keys else i))
    for i in order[:rest]:
        floors[i] += 1
    return floors


_UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _upper_group(g: int) -> str:
    """1..9999 in 大写 without the group unit (零 only between non-zero digits)."""
    out, zero, started = "", False, False
    for d, unit in zip((g // 1000, g // 100 % 10, g // 10 % 10, g % 10), ("仟", "佰", "拾", "")):
        if d == 0:
            zero = zero or started
        else:
            if zero:
                out += "零"
                zero = False
            out += _UPPER_DIGITS[d] + unit
            started = True
    return out


def rmb_upper(fen: int) -> str:
    """An amount in 分 as the 大写 of Chinese financial documents: ``46805556`` → 人民币肆拾陆万捌仟零伍拾伍元伍角陆分."""
    if fen == 0:
        return "人民币零元整"
    sign = "负" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    jiao, f = divmod(rest, 10)
    text = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            n, g = divmod(n, 10000)
            groups.append(g)
        big = ("", "万", "亿", "万亿")
        gap = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                gap = bool(text)
                continue
            if text and (g < 1000 or gap):
                text += "零"
            text += _upper_group(g) + big[i]
            gap = False
        text += "元"
    if jiao == 0 and f == 0:
        text += "整"
    else:
        if jiao:
            text += _UPPER_DIGITS[jiao] + "角"
        elif yuan:
            text += "零"
        if f:
            text += _UPPER_DIGITS[f] + "分"
    return f"人民币{sign}{text}"
