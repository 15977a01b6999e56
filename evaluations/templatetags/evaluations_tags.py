from django import template

from ..results import count_cell, percent

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.8333 → 83.3%"""
    return percent(value)


@register.filter
def count_of(counts, grade):
    """Answers for `grade` in a {grade id: n} dict; “—” where the release withheld the counts."""
    return count_cell(counts, grade)
