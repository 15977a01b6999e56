"""Template tags of the dashboards."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def rate_html(rate, bare=False):
    """A rate as the dashboards show it: 96.15% (its numerator and denominator in the tooltip's
    words), then the fraction 25/26 unless `bare`; "—" when there is nothing to divide by. A tag, not
    an included template: a dashboard shows a rate in every row of its unit tables."""
    if getattr(rate, "value", None) is None:
        return "—"
    html = format_html('<span title="{} / {}">{}%</span>', rate.numerator_label, rate.denominator_label, rate)
    if bare:
        return html
    return html + format_html(' <small class="muted rate-fraction">{}/{}</small>', rate.numerator, rate.denominator)
