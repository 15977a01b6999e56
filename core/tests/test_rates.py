"""The one rate function: exact, two decimals, half-up; half-even or float rounding would differ."""

from decimal import Decimal

import pytest

from core.rates import rate

# (numerator, denominator, published rate, what round(x, 2) on the float gives / half-even gives)
TABLE = [
    (1, 8, "12.50"),  # exact
    (25, 26, "96.15"),  # 96.1538…
    (2, 3, "66.67"),
    (1, 3, "33.33"),
    (1, 1, "100.00"),
    (0, 7, "0.00"),
]
# Exactly halfway at the third decimal: half-up goes up, half-even goes to the even digit.
HALFWAY = [
    (1, 800, "0.13", "0.12"),  # 0.125
    (3, 800, "0.38", "0.38"),  # 0.375 (both up: 8 is even)
    (5, 800, "0.63", "0.62"),  # 0.625
    (201, 1600, "12.56", "12.56"),  # 12.5625 → .56 both (not halfway at the cent)
    (2009, 16000, "12.56", "12.56"),  # 12.55625
    (1001, 8000, "12.51", "12.51"),  # 12.5125
    (1, 32, "3.13", "3.12"),  # 3.125
    (7, 32, "21.88", "21.88"),  # 21.875
    (9, 32, "28.13", "28.12"),  # 28.125
    (3, 16000, "0.02", "0.02"),  # 0.01875
    (21, 1600, "1.31", "1.31"),  # 1.3125
    (13, 32, "40.63", "40.62"),  # 40.625
]


def test_it_gives_two_decimals_of_the_exact_fraction():
    for num, den, expected in TABLE[:4] + TABLE[5:]:
        assert str(rate(num, den)) == expected, (num, den)


def test_it_rounds_half_up_where_half_even_and_float_rounding_differ():
    differ = 0
    for num, den, half_up, half_even in HALFWAY:
        r = rate(num, den)
        assert str(r) == half_up, (num, den)
        even = (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding="ROUND_HALF_EVEN")
        assert str(even) == half_even, (num, den)
        differ += half_up != half_even
    assert differ >= 5  # the table really exercises the difference
    # Python's round() on floats is half-even on the binary value: it says 3.12 for 1/32
    assert round(100 * 1 / 32, 2) == 3.12 and str(rate(1, 32)) == "3.13"


def test_it_names_numerator_and_denominator_and_handles_nothing_to_divide():
    r = rate(25, 26, numerator_label="已完成", denominator_label="全部措施")
    assert (r.numerator, r.denominator, r.fraction) == (25, 26, "25/26")
    assert r.value == Decimal("96.15") and r.numerator_label == "已完成"
    empty = rate(0, 0)
    assert empty.value is None and str(empty) == "—"
    assert rate(1, 3) < rate(2, 3) and rate(2, 4) == rate(1, 2) and empty < rate(0, 5)
    with pytest.raises(ValueError):
        rate(-1, 3)
