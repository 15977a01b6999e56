"""The campaign a request shows: the switcher's choice kept in the session, through the one rule
`selectors.campaign_shown_to`. Views call `current_campaign(request)`; nothing else picks a campaign."""

from .models import Campaign
from .selectors import campaign_choices, campaign_shown_to

SESSION_KEY = "current_campaign"


def choices_for_request(request) -> list[Campaign]:
    """The switcher's list, read once per request."""
    if not hasattr(request, "_campaign_choices"):
        request._campaign_choices = list(campaign_choices(request.user)[:50])
    return request._campaign_choices


def current_campaign(request) -> Campaign | None:
    if not hasattr(request, "_current_campaign"):
        session = getattr(request, "session", None)
        chosen = session.get(SESSION_KEY) if session is not None else None
        request._current_campaign = campaign_shown_to(request.user, chosen, choices_for_request(request))
    return request._current_campaign


def remember_campaign(request, campaign: Campaign) -> None:
    """Make `campaign` the current one for this session (the switcher, or a page opened for one campaign)."""
    if request.session.get(SESSION_KEY) != campaign.pk:  # unchanged: no write of the session row
        request.session[SESSION_KEY] = campaign.pk
    request._current_campaign = campaign
