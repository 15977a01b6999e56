"""How the audit log names this app's actions, change keys and stored values (see audit.vocabulary)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.vocabulary import register_audit_labels

from .models import LifeMeeting, MeetingMember, MemberMaterial


def register() -> None:
    register_audit_labels(
        prefix="meeting",
        actions={
            "meeting.schedule": _("Meeting scheduled"),
            "meeting.update": _("Meeting changed"),
            "meeting.member_add": _("Member added to the meeting"),
            "meeting.member_remove": _("Member removed from the meeting"),
            "meeting.opinions_route": _("Opinions routed to the members"),
            "meeting.talk_record": _("One-to-one talk recorded"),
            "meeting.material_save": _("Material handed in"),
            "meeting.material_approve": _("Material approved"),
            "meeting.material_return": _("Material returned for revision"),
            "meeting.attendance": _("Attendance recorded"),
            "meeting.self_criticism": _("Self-criticism recorded"),
            "meeting.criticism_add": _("Criticism recorded"),
            "meeting.criticism_delete": _("Criticism deleted"),
            "meeting.measure_add": _("Agreed measure recorded"),
            "meeting.measure_delete": _("Agreed measure deleted"),
            "meeting.problem_raise": _("Problem raised at the meeting"),
            "meeting.hold": _("Meeting recorded as held"),
            "meeting.minutes_file": _("Minutes filed"),
            "meeting.follow_up_report": _("Meeting reported to the superior"),
            "meeting.follow_up_notice": _("Staff informed of the meeting"),
            "meeting.follow_up_remind": _("Follow-up reminder sent"),
        },
        keys={
            "status": _("status"),
            "theme": _("Theme"),
            "date": _("Date and time"),
            "place": _("Place"),
            "members": _("Members"),
            "observers": _("Observers from the superior body"),
            "attendance": _("Attendance"),
            "reason": _("Reason for absence"),
            "member": pgettext_lazy("meeting member", "Member"),
            "present": _("Present"),
            "from": pgettext_lazy("meeting criticism", "From"),
            "to": pgettext_lazy("meeting criticism", "To"),
            "routed": _("Opinions routed"),
            "follow_up_due": _("Follow-up deadline"),
        },
        values={
            **{s.value: s.label for s in LifeMeeting.Status},
            **{a.value: a.label for a in MeetingMember.Attendance},
            **{k.value: k.label for k in MemberMaterial.Kind},
            "submitted": MemberMaterial.Status.SUBMITTED.label,
        },
    )
