from django import template

from ..results import percent

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.8333 → 83.3%"""
    return percent(value)


@register.filter
def count_of(counts, grade) -> int:
    """Answers for `grade` in a {grade id: n} dict."""
    return (counts or {}).get(grade.pk, 0)
