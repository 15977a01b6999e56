"""The campaign a request shows: the switcher's choice kept in the session, through the one rule
`selectors.campaign_shown_to`. Views call `current_campaign(request)`; nothing else picks a campaign.

The switcher's list is on every staff page, so it is kept in the cache for a short while per user
(`CHOICES_SECONDS`) instead of being queried on each request. It cannot outlive what decides it:
- the key holds everything about the user that `campaign_choices` reads: their grants with
  `campaign.view` (already loaded for the page's permissions), their person, unit and whether active,
  so a new or withdrawn role or post, a move or a deactivation is a different key at once;
- every change of campaigns or of who takes part goes through campaigns.services, which calls
  `choices_changed()`: a new version (again once committed), so every user's list is read again;
- whatever else changes a campaign (the admin, a bulk import) shows after `CHOICES_SECONDS` at most.
"""

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction

from orgs.access import Perm, grants_for, person_of

from .models import Campaign
from .selectors import campaign_choices, campaign_shown_to

SESSION_KEY = "current_campaign"
CHOICES_SECONDS = 60
CHOICES_LIMIT = 50
_VERSION_KEY = "campaigns:choices:version"


def choices_changed() -> None:
    """Campaigns or their participants changed: every user's switcher list is read again. A new version
    now, and another once the change is committed (a request in between may have cached the old state
    under the first)."""
    _new_version()
    transaction.on_commit(_new_version)


def _new_version() -> None:
    cache.set(_VERSION_KEY, uuid.uuid4().hex, None)


def _user_key(user) -> str:
    person = person_of(user)
    grants = sorted((g.unit_id, g.path, g.include_subunits) for g in grants_for(user) if Perm.CAMPAIGN_VIEW in g.perms)
    who = (user.pk, user.is_superuser, getattr(person, "pk", None), getattr(person, "unit_id", None), grants)
    return "campaigns:choices:" + hashlib.sha256(repr(who).encode()).hexdigest()


def cached_choices(user) -> list[Campaign]:
    """campaign_choices(user), newest first, at most CHOICES_LIMIT: from the cache when nothing it
    depends on has changed (see the module docstring), otherwise one query."""
    key = _user_key(user)
    found = cache.get_many([_VERSION_KEY, key])
    version = found.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(_VERSION_KEY)
    cached = found.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    choices = list(campaign_choices(user)[:CHOICES_LIMIT])
    cache.set(key, (version, choices), CHOICES_SECONDS)
    return choices


def choices_for_request(request) -> list[Campaign]:
    """The switcher's list, read once per request."""
    if not hasattr(request, "_campaign_choices"):
        request._campaign_choices = cached_choices(request.user)
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
