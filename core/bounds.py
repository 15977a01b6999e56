"""Sane bounds for dates that people type, so that no deadline can be pushed out of reach (an extension to
9999-12-31 makes a measure never overdue) and no campaign can start in year 1.

- A campaign's dates lie between `EARLIEST` and `MAX_YEARS_AHEAD` years from today, and the campaign spans at
  most `settings.RECTIFY_CAMPAIGN_MAX_YEARS` years from its start.
- A deadline inside a campaign (a measure's, an extension's, a returned close-out's, a milestone's) lies
  within the campaign: from its start to its horizon, the start plus those years.

Services call these (forms only parse); each raises ServiceError with the field's name.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .exceptions import ServiceError

EARLIEST = date(2000, 1, 1)
MAX_YEARS_AHEAD = 10


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def latest_allowed() -> date:
    return _add_years(timezone.localdate(), MAX_YEARS_AHEAD)


def check_campaign_dates(dates: dict[str, date | None], labels: dict[str, str] | None = None) -> None:
    """Every date of a campaign within [EARLIEST, today + MAX_YEARS_AHEAD], all within the campaign's span."""
    labels = labels or {}
    latest = latest_allowed()
    for field, value in dates.items():
        if value is None:
            continue
        if not EARLIEST <= value <= latest:
            raise ServiceError(
                _("%(field)s must be between %(first)s and %(last)s.")
                % {"field": labels.get(field, field), "first": _fmt(EARLIEST), "last": _fmt(latest)}
            )
    start = dates.get("start_date")
    if start is not None:
        horizon = _add_years(start, settings.RECTIFY_CAMPAIGN_MAX_YEARS)
        for field, value in dates.items():
            if value is not None and value > horizon:
                raise ServiceError(
                    _("%(field)s is too far from the campaign's start: a campaign lasts at most %(n)s years.")
                    % {"field": labels.get(field, field), "n": settings.RECTIFY_CAMPAIGN_MAX_YEARS}
                )


def campaign_horizon(campaign) -> date:
    """The last day a deadline inside the campaign may fall on."""
    return _add_years(campaign.start_date, settings.RECTIFY_CAMPAIGN_MAX_YEARS)


def check_deadline(value: date | None, *, campaign, label: str) -> None:
    """A deadline inside `campaign` lies between its start and its horizon (None passes: no deadline)."""
    if value is None:
        return
    first, last = campaign.start_date, campaign_horizon(campaign)
    if not first <= value <= last:
        raise ServiceError(
            _("%(field)s must lie within the campaign, between %(first)s and %(last)s.")
            % {"field": label, "first": _fmt(first), "last": _fmt(last)}
        )


def _fmt(d: date) -> str:
    return date_format(d, "Y-m-d")
