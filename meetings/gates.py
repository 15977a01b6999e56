"""The MEETING gate (meeting → evaluation): the unit's meeting for this round was held and its
minutes filed."""

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.gates import register_gate
from campaigns.models import Stage

from .models import LifeMeeting


@register_gate(Stage.MEETING)
def meeting_filed(participant) -> list[str]:
    meeting = LifeMeeting.objects.filter(
        campaign_id=participant.campaign_id, unit_id=participant.unit_id, round=participant.round
    ).first()
    unit = participant.unit
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
