"""Labels for the codes stored in public data (so snapshots render in the reader's language)."""

from datetime import date

from django import template

from disclosure.public import MILESTONE_LABELS, STAGE_LABELS, STATUS_LABELS, TIME_CLASS_LABELS

register = template.Library()


@register.filter
def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, code)


@register.filter
def time_class_label(code: str) -> str:
    return TIME_CLASS_LABELS.get(code, code)


@register.filter
def stage_label(code: str) -> str:
    return STAGE_LABELS.get(code, code)


@register.filter
def milestone_label(code: str) -> str:
    return MILESTONE_LABELS.get(code, code)


@register.filter
def isodate(value):
    """'2026-12-01' -> a date (so |date formats it); None stays None."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
