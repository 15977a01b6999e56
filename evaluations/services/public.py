"""Open public rating (like a service desk's satisfaction QR): anyone may rate a unit.

Weaker guarantee than code-based rounds (one person can rate more than once): results are kept in
their own table, shown apart and labelled, and never enter a pass rule. Nothing per rating is audited
or logged (no timestamps finer than a day); rate limits and the human check are the view's job.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignUnit
from core.exceptions import ServiceError

from ..models import PublicRating

COMMENT_MAX = 500


def campaign_for_rating(unit) -> Campaign | None:
    """The active campaign in which `unit` takes part (what its public QR rates)."""
    p = (
        CampaignUnit.objects.filter(unit=unit, campaign__status=Campaign.Status.ACTIVE)
        .select_related("campaign")
        .order_by("-campaign__start_date")
        .first()
    )
    return p.campaign if p else None


def public_rating_submit(*, unit, grade: str, comment: str = "") -> PublicRating:
    campaign = campaign_for_rating(unit)
    if campaign is None:
        raise ServiceError(_("This unit is not taking part in a campaign now."))
    if grade not in PublicRating.Grade.values:
        raise ServiceError(_("Choose a rating."))
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ServiceError(_("The comment is too long (at most %(n)s characters).") % {"n": COMMENT_MAX})
    return PublicRating.objects.create(
        campaign=campaign, unit=unit, grade=grade, comment=comment, rated_on=timezone.localdate()
    )
