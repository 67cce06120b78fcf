"""calc.money (the one amount parser, rounding to the 分, splitting, formatting) and the
non-money cell parsers of calc.values (dates, yes/no).

interfaces.md §1 (accepted cell forms) and super_deduction.md §0.2 (rounding, largest remainder).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calc.money import (AmountError, fen_display, fen_str, parse_amount, parse_ratio, ratio_str, round_fen,
                        split_largest_remainder)
from calc.values import ValueProblem, parse_date, parse_yesno


# --------------------------------------------------------------------------- parse_amount: accepted forms

@pytest.mark.parametrize("text, fen", [
    ("1234.56", 123456),
    ("1234", 123400),
    ("1234.5", 123450),
    ("0.01", 1),
    ("0", 0),
    ("1,234.56", 123456),
    ("1,234,567.89", 123456789),
    ("¥1234.56", 123456),
    ("￥1,234.56元", 123456),
    ("1234.56元", 123456),
    ("１２３４．５６", 123456),            # full-width digits and point
    ("１，２３４．５６", 123456),          # full-width comma as well
    ("(1,234.56)", -123456),
    ("（1,234.56）", -123456),             # full-width brackets
    ("-1234.56", -123456),
    ("  1,234.56  ", 123456),              # surrounding blanks
    ("\u30001234.56\u3000", 123456),       # ideographic spaces
    ("1.000", 100),                        # trailing zeros beyond the 分 are not extra decimals
])
def test_parse_amount_text_forms(text, fen):
    assert parse_amount(text) == fen


def test_parse_amount_numbers():
    assert parse_amount(12) == 1200
    assert parse_amount(-7) == -700
    assert parse_amount(0) == 0
    assert parse_amount(Decimal("12.30")) == 1230
    assert parse_amount(Decimal("-0.05")) == -5
    assert parse_amount(1234.56) == 123456
    assert parse_amount(1234567.89) == 123456789        # a float, not exactly representable


def test_parse_amount_excel_float_artefacts():
    artefact = 0.1 + 0.2
    assert artefact != 0.3                               # the binary noise really is there
    assert parse_amount(artefact) == 30
    assert parse_amount(-(0.1 + 0.2)) == -30
    assert parse_amount(1234567.89) == 123456789
    assert parse_amount(0.07 * 100) == 700               # 7.000000000000001
    assert parse_amount(1.1 * 3) == 330                  # 3.3000000000000003


def test_parse_amount_float_with_three_decimals_is_rejected_not_rounded():
    # A cell typed as 2.675 has three decimals: an amount is in 分, so it is an error for that
    # cell (interfaces.md §1: never guess), not silently rounded to 2.68.
    with pytest.raises(AmountError):
        parse_amount(2.675)


@pytest.mark.parametrize("empty", [None, "", "   ", "\u3000"])
def test_parse_amount_empty_is_none(empty):
    assert parse_amount(empty) is None


# --------------------------------------------------------------------------- parse_amount: rejections

@pytest.mark.parametrize("bad", [
    "12,3a", "1,5", "1,23", "12,34.5", "1.005", "0.001", "abc", "--1", "-(1)", "1.2.3", ".5", "5.",
    "1e3", "-", "12-", "1/2",
])
def test_parse_amount_rejects_text(bad):
    with pytest.raises(AmountError) as info:
        parse_amount(bad)
    assert str(info.value)          # a message for the user


@pytest.mark.parametrize("bad", [True, False, math.nan, math.inf, -math.inf, Decimal("NaN"), Decimal("Infinity"),
                                 1.005, Decimal("1.005"), [1], object()])
def test_parse_amount_rejects_values(bad):
    with pytest.raises(AmountError):
        parse_amount(bad)


@pytest.mark.parametrize("bad", ["(-1)", "（-1,234.56）"])
def test_parse_amount_rejects_bracketed_minus(bad):
    with pytest.raises(AmountError):
        parse_amount(bad)


@pytest.mark.parametrize("bad", ["¥", "元", "()", "（）", "RMB"])
def test_parse_amount_rejects_sign_only_text(bad):
    with pytest.raises(AmountError):
        parse_amount(bad)


def test_amount_error_is_value_error():
    assert issubclass(AmountError, ValueError)


# --------------------------------------------------------------------------- round_fen

@pytest.mark.parametrize("x, fen", [
    (Fraction(5, 2), 3),
    (Fraction(-5, 2), -3),
    (Fraction(2665, 10), 267),       # 2.665 元 in 分: half-up, not the banker's 266
    (Fraction(-2665, 10), -267),
    (Fraction(7, 3), 2),
    (Fraction(-7, 3), -2),
    (Fraction(8, 3), 3),
    (Fraction(1325000 * 100, 9), 14722222),    # E3 row 34: 1,325,000 / 9 = 147,222.22
    (Fraction(0), 0),
    (5, 5),
    (-5, -5),
])
def test_round_fen(x, fen):
    assert round_fen(x) == fen


@given(st.integers(-10**12, 10**12), st.integers(1, 10**6))
def test_round_fen_is_nearest_ties_away(n, d):
    x = Fraction(n, d)
    r = round_fen(x)
    assert abs(x - r) <= Fraction(1, 2)
    if abs(x - r) == Fraction(1, 2):
        assert abs(r) > abs(x)            # a tie goes away from zero
    assert round_fen(-x) == -r            # symmetric


# --------------------------------------------------------------------------- split_largest_remainder

@settings(max_examples=300)
@given(st.integers(-10**9, 10**9),
       st.lists(st.one_of(st.integers(0, 10**6), st.fractions(min_value=0, max_value=10**4)), min_size=1,
                max_size=12).filter(lambda ws: sum(ws) > 0))
def test_split_adds_up_and_stays_within_one_fen(total, weights):
    parts = split_largest_remainder(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    wsum = sum(Fraction(w) for w in weights)
    for part, w in zip(parts, weights):
        exact = Fraction(total) * Fraction(w) / wsum
        assert abs(part - exact) < 1
        assert isinstance(part, int)


@settings(max_examples=200)
@given(st.integers(1, 10**9), st.lists(st.integers(0, 1000), min_size=1, max_size=10).filter(lambda ws: sum(ws) > 0))
def test_split_negative_total_mirrors_positive(total, weights):
    assert split_largest_remainder(-total, weights) == [-p for p in split_largest_remainder(total, weights)]


def test_split_section_0_2_rule():
    # floor each share, then +1 分 to the largest remainders
    assert split_largest_remainder(10, [1, 2, 3]) == [2, 3, 5]     # 1.67, 3.33, 5.0 → 1,3,5 + R=1 → part 0
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert split_largest_remainder(101, [1, 1, 1]) == [34, 34, 33]
    assert split_largest_remainder(0, [1, 2]) == [0, 0]
    assert split_largest_remainder(7, [0, 1]) == [0, 7]
    assert split_largest_remainder(5, [Fraction(1, 3), Fraction(2, 3)]) == [2, 3]    # 1.67, 3.33
    assert split_largest_remainder(5, []) == []


def test_split_ties_go_to_the_earlier_part():
    assert split_largest_remainder(1, [1, 1]) == [1, 0]
    assert split_largest_remainder(2, [1, 1, 1]) == [1, 1, 0]
    # with explicit keys the lower key wins the tie, whatever the list order
    assert split_largest_remainder(2, [1, 1, 1], keys=[3, 1, 2]) == [0, 1, 1]
    assert split_largest_remainder(1, [1, 1], keys=["RD02", "RD01"]) == [0, 1]


def test_split_negative_totals():
    assert split_largest_remainder(-100, [1, 1, 1]) == [-34, -33, -33]
    assert split_largest_remainder(-1, [1, 1]) == [-1, 0]


def test_split_zero_weights():
    assert split_largest_remainder(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        split_largest_remainder(5, [0, 0])


# --------------------------------------------------------------------------- formatting

@pytest.mark.parametrize("fen, text", [
    (0, "0.00"), (5, "0.05"), (-5, "-0.05"), (100, "1.00"), (123456, "1234.56"),
    (-123456, "-1234.56"), (187222222, "1872222.22"), (123456789012, "1234567890.12"),
])
def test_fen_str(fen, text):
    assert fen_str(fen) == text
    assert re.fullmatch(r"-?\d+\.\d{2}", text)
    assert parse_amount(text) == fen


@pytest.mark.parametrize("fen, text", [
    (0, "0.00"), (5, "0.05"), (-100, "-1.00"), (123456, "1,234.56"), (123456789, "1,234,567.89"),
    (-123456789, "-1,234,567.89"), (99999, "999.99"), (100000, "1,000.00"),
])
def test_fen_display(fen, text):
    assert fen_display(fen) == text
    assert parse_amount(text) == fen


@given(st.integers(-10**15, 10**15))
def test_formats_round_trip(fen):
    assert parse_amount(fen_str(fen)) == fen
    assert parse_amount(fen_display(fen)) == fen
    assert parse_amount("¥" + fen_display(abs(fen)) + "元") == abs(fen)


def test_ratio_str():
    assert ratio_str(Fraction(3, 4)) == "0.75"
    assert ratio_str(Fraction(1)) == "1.00"
    assert ratio_str(Fraction(3, 20)) == "0.15"
    assert ratio_str(Fraction(1, 3), 4) == "0.3333"
    assert ratio_str(Fraction(2, 3), 4) == "0.6667"
    assert ratio_str(Fraction(5, 1000)) == "0.01"          # half-up
    assert ratio_str(Fraction(-5, 1000)) == "-0.01"
    assert ratio_str(Fraction(75), 0) == "75"
    assert ratio_str(Fraction(1, 2), 0) == "1"
    assert "." not in ratio_str(Fraction(123, 7), 0)


# --------------------------------------------------------------------------- parse_ratio

@pytest.mark.parametrize("value, ratio", [
    ("40%", Fraction(2, 5)), (0.4, Fraction(2, 5)), ("0.4", Fraction(2, 5)), ("40.5%", Fraction(81, 200)),
    ("１００％", Fraction(1)), ("0%", Fraction(0)), (1, Fraction(1)), (Decimal("0.25"), Fraction(1, 4)),
])
def test_parse_ratio(value, ratio):
    assert parse_ratio(value) == ratio


@pytest.mark.parametrize("bad", ["150%", 1.5, "-10%", -0.1, "abc", "40", True])
def test_parse_ratio_rejects(bad):
    with pytest.raises(AmountError):
        parse_ratio(bad)


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_parse_ratio_empty(empty):
    assert parse_ratio(empty) is None


# --------------------------------------------------------------------------- values.parse_date / parse_yesno

D = dt.date(2024, 3, 5)


@pytest.mark.parametrize("value", [
    "2024-03-05", "2024-3-5", "2024/3/5", "2024/03/05", "2024年3月5日", "2024年03月05日", "20240305",
    "２０２４年３月５日", " 2024-03-05 ", "2024-03-05 10:30:00",
    dt.datetime(2024, 3, 5, 14, 30), dt.date(2024, 3, 5), 45356, 45356.0, 20240305,
])
def test_parse_date(value):
    assert parse_date(value) == D


def test_parse_date_excel_serial():
    assert parse_date(45356) == D                  # Excel serial day number (1900 system)
    assert parse_date(45292) == dt.date(2024, 1, 1)
    assert parse_date(45657) == dt.date(2024, 12, 31)


@pytest.mark.parametrize("bad", ["2024-02-30", "2023-02-29", "2024-13-01", "20240230", "2024年2月30日", "abc",
                                 "03/05/2024", "5", True, 12])
def test_parse_date_rejects(bad):
    with pytest.raises(ValueProblem):
        parse_date(bad)


def test_parse_date_leap_day_and_empty():
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    assert parse_date(None) is None
    assert parse_date("  ") is None


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("否", False), ("Y", True), ("N", False), ("y", True), ("n", False),
    ("TRUE", True), ("FALSE", False), ("true", True), ("False", False), ("1", True), ("0", False),
    (1, True), (0, False), (True, True), (False, False), (" 是 ", True), ("Ｙ", True),
])
def test_parse_yesno(value, expected):
    assert parse_yesno(value) is expected


@pytest.mark.parametrize("bad", ["maybe", "2", 2, "是的吧"])
def test_parse_yesno_rejects(bad):
    with pytest.raises(ValueProblem):
        parse_yesno(bad)


def test_parse_yesno_empty():
    assert parse_yesno(None) is None
    assert parse_yesno("") is None


@pytest.mark.parametrize("share, text", [
    (Fraction(2, 5), "40%"), (Fraction(1, 8), "12.5%"), (Fraction(1, 3), "1/3"), (Fraction(1), "100%"),
    (Fraction(0), "0%"), (Fraction(3333, 10000), "33.33%"), (Fraction(1, 2**40), None),
])
def test_percent_text_is_exact_and_reads_back(share, text):
    from calc.money import percent_text

    out = percent_text(share)
    if text is not None:
        assert out == text
    assert parse_ratio(out) == share          # exact, however many places (no Decimal context rounding)
    assert percent_text(None) is None
