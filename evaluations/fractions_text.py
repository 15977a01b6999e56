"""Exact thresholds (issue #13): “1/3”, “三分之一”, “60%”, “0.6”, “85” are read as exact fractions
(fractions.Fraction) and every threshold is compared exactly, never after rounding: 1 of 3 is not
“above one third”, 85.00 shown is not 85 reached unless it is.
"""

from decimal import Decimal, InvalidOperation
from fractions import Fraction

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_number(text: str) -> int | None:
    """Small Chinese numerals (一 … 九十九) or ASCII digits."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _sep, units = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)


def fraction_parse(text) -> Fraction | None:
    """The exact value of `text`, or None when it is not a number. Accepts a Fraction, a Decimal or an
    int too (Decimal → its exact value)."""
    if text is None:
        return None
    if isinstance(text, Fraction):
        return text
    if isinstance(text, (int, Decimal)):
        return Fraction(text)
    s = str(text).strip().replace("％", "%").replace("／", "/").replace(" ", "")
    if not s:
        return None
    if "分之" in s:
        den, _sep, num = s.partition("分之")
        d, n = _cn_number(den), _cn_number(num)
        return Fraction(n, d) if d and n is not None else None
    try:
        if s.endswith("%"):
            return _exact(s[:-1]) / 100
        if "/" in s:
            n, _sep, d = s.partition("/")
            return _exact(n) / _exact(d)
        return _exact(s)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        return None


def _exact(text: str) -> Fraction:
    """The exact value of a decimal number as typed; ValueError for infinity, NaN and magnitudes no share
    or score has (1e999999999 would build an integer of a billion digits)."""
    d = Decimal(text)
    if not d.is_finite() or (d and not -30 <= d.adjusted() <= 30):
        raise ValueError(text)
    return Fraction(d)


def _plain(d: Decimal) -> str:
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fraction_text(value: Fraction | None) -> str:
    """1/2 → “1/2”, 1/3 → “1/3” (halves and thirds as offices write them); 3/5 → “60%” (a share that is a
    whole or tenth percent); 85 → “85”; 171/2 → “85.5”."""
    if value is None:
        return "—"
    if value.denominator == 1:
        return str(value.numerator)
    if 0 <= value <= 1:
        pct = value * 100
        if value.denominator in (2, 3) or (pct * 10).denominator != 1:
            return f"{value.numerator}/{value.denominator}"
        return _plain(Decimal(pct.numerator) / Decimal(pct.denominator)) + "%"
    if (value * 100).denominator == 1:
        return _plain(Decimal(value.numerator) / Decimal(value.denominator))
    return f"{value.numerator}/{value.denominator}"


def fraction_from_decimal(value: Decimal) -> Fraction:
    """A stored 4-place share read as the fraction the office meant: 0.3333 → 1/3, 0.6667 → 2/3,
    0.6 → 3/5 (a fraction with a denominator up to 12 within half the last place), else exact."""
    exact = Fraction(value)
    near = exact.limit_denominator(12)
    return near if abs(near - exact) <= Fraction(1, 20000) else exact


def compare(left: Fraction, op: str, right: Fraction) -> bool:
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
