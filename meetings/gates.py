"""The MEETING gate (meeting → evaluation): the unit's meeting for this round was held and its
minutes filed."""

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.gates import register_gate
from campaigns.models import Stage

from .models import LifeMeeting


@register_gate(Stage.MEETING)
def meetings_filed(participants) -> dict[int, list[str]]:
    """The MEETING gate for many participating units: one query (a meeting per campaign, unit, round)."""
    meetings = {
        (m.campaign_id, m.unit_id, m.round): m
        for m in LifeMeeting.objects.filter(
            campaign_id__in={p.campaign_id for p in participants},
            unit_id__in={p.unit_id for p in participants},
            round__in={p.round for p in participants},
        ).only("campaign_id", "unit_id", "round", "status", "date")
    }
    return {p.pk: _blockers(p.unit, meetings.get((p.campaign_id, p.unit_id, p.round))) for p in participants}


def meeting_filed(participant) -> list[str]:
    """The MEETING gate for one participating unit."""
    return meetings_filed([participant]).get(participant.pk, [])


def _blockers(unit, meeting: LifeMeeting | None) -> list[str]:
    if meeting is None:
        return [_("No democratic life meeting has been scheduled for %(unit)s.") % {"unit": unit}]
    if meeting.status == LifeMeeting.Status.PLANNED:
        return [
            _("The democratic life meeting of %(unit)s (scheduled for %(date)s) has not been held yet.")
            % {"unit": unit, "date": timezone.localtime(meeting.date).strftime("%Y-%m-%d")}
        ]
    if meeting.status == LifeMeeting.Status.HELD:
        return [_("The minutes of the democratic life meeting of %(unit)s have not been filed.") % {"unit": unit}]
    return []
