from django import template

from ..results import consequences_text, count_cell, percent, share_cell

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.8333 → 83.3%"""
    return percent(value)


@register.filter
def count_of(counts, grade):
    """Answers for `grade` in a {grade id: n} dict; “—” where the release withheld the counts."""
    return count_cell(counts, grade)


@register.filter
def share_of(shares, grade) -> str:
    """The share of `grade` in a {grade id: share} dict as “50.0%”; “—” where withheld."""
    return percent(share_cell(shares or None, grade))


@register.filter
def consequences(row) -> str:
    """The consequences of the rules that hold for a released target row."""
    return consequences_text(row)


@register.filter
def plain(value) -> str:
    """A decimal as typed, without trailing zeros or an exponent: 90.00 → 90, 88.50 → 88.5."""
    from decimal import Decimal

    if value is None or value == "":
        return ""
    return f"{Decimal(value).normalize():f}"
