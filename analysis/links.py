"""Links from a figure to the list behind it.

The other apps own those lists and their filter names; this is the one place that knows them, so a
renamed filter is fixed here. A list that is not installed yet gives no link (the figure still shows).
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=4096)
def _reverse(name: str, args: tuple, urlconf, prefix: str) -> str:
    """reverse() once per address: a dashboard links every figure of every unit to its list."""
    try:
        return reverse(name, args=args, urlconf=urlconf)
    except NoReverseMatch:
        return ""


def _url(name: str, args: tuple = (), **params) -> str:
    base = _reverse(name, args, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    if not base:
        return ""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def ledger_url(campaign, unit=None, **filters) -> str:
    """The problem ledger (problems:ledger) filtered: channel, manifestation, group, severity, status."""
    return _url("problems:ledger", campaign=campaign.pk, unit=unit.pk if unit else None, **filters)


def measures_url(campaign, unit=None, **filters) -> str:
    """The rectification list filtered: status, warning (colour), overdue, milestone."""
    return _url("rectification:index", campaign=campaign.pk, unit=unit.pk if unit else None, **filters)


def evaluations_url(campaign, **filters) -> str:
    return _url("evaluations:index", campaign=campaign.pk, **filters)


def accountability_url(unit=None, **filters) -> str:
    return _url("accountability:index", unit=unit.pk if unit else None, **filters)


def campaign_url(campaign) -> str:
    return _url("campaigns:detail", args=(campaign.pk,)) or _url("campaigns:index")


def reports_url(campaign, **filters) -> str:
    return _url("reports:index", campaign=campaign.pk, **filters)


def meetings_url(campaign, **filters) -> str:
    return _url("meetings:index", campaign=campaign.pk, **filters)


def opinions_url(campaign, **filters) -> str:
    return _url("problems:opinions", campaign=campaign.pk, **filters)


def dashboard_url(campaign, unit=None) -> str:
    return _url("analysis:campaign", args=(campaign.pk,), unit=unit.pk if unit else None)
