"""Writing cell values safely and exactly: the one place exporters put values into openpyxl cells.

- Amounts (integer 分 or Decimal) go into the file as exact decimal text, never through float.
- Text that a spreadsheet could take for a formula (starting with = + - @, tab or CR) is stored as
  text with Excel's quote prefix: no formula injection in any exported cell.
- Control characters other than tab / LF / CR cannot be stored in an xlsx (openpyxl raises
  IllegalCharacterError); a cell imported as _x001B_ or from a CSV may hold them.  They are invisible: dropped.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from calc.money import fen_to_decimal

FMT_AMOUNT = "#,##0.00"
FMT_INT = "0"
FMT_DATE = "yyyy-mm-dd"
FMT_TEXT = "@"
FMT_RATIO = "0.00%"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"金额不是有限数：{value}")
    return "0" if value == 0 else format(value, "f")


def put_decimal(cell, value: Decimal, number_format: str = FMT_AMOUNT) -> None:
    cell.value = value                      # sets the numeric data type
    cell._value = _decimal_text(value)      # the exact decimal text goes into <v>
    cell.number_format = number_format


def put_fen(cell, fen: int | None) -> None:
    """An amount in 分 as an exact number with two decimals."""
    if fen is None:
        return
    put_decimal(cell, fen_to_decimal(fen))


def put_text(cell, value: object) -> None:
    """Text, formula-safe, without the characters an xlsx cannot hold."""
    text = XML_ILLEGAL.sub("", "" if value is None else str(value))
    cell.value = text
    if text.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"                # text, never a formula
        cell.quotePrefix = True


def put_value(cell, value: object, number_format: str | None = None) -> None:
    """Write any value: bool → 是/否, Decimal exact, date, int, text (formula-safe). Floats are refused."""
    if value is None:
        return
    if isinstance(value, float):
        raise TypeError("不接受 float（金额须为 Decimal 或 int 分）")
    if isinstance(value, bool):
        put_text(cell, "是" if value else "否")
    elif isinstance(value, Decimal):
        put_decimal(cell, value, number_format or FMT_AMOUNT)
    elif isinstance(value, (dt.date, dt.datetime)):
        cell.value = value
        cell.number_format = FMT_DATE
    elif isinstance(value, int):
        cell.value = value
        cell.number_format = number_format or FMT_INT
    else:
        put_text(cell, value)
        if number_format:
            cell.number_format = number_format
