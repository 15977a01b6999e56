"""The democratic life meeting (专题民主生活会)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LifeMeeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("In preparation")
        HELD = "held", _("Held")
        FILED = "filed", _("Minutes filed")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="meetings")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("unit"))
    theme = models.CharField(_("theme"), max_length=200)
    date = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True)
    quorum_ratio = models.DecimalField(_("quorum"), max_digits=4, decimal_places=3, default=2 / 3)
    follow_up_days = models.PositiveSmallIntegerField(_("days to report and inform staff"), default=15)
    held_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    report_sent_at = models.DateTimeField(_("reported to superior"), null=True, blank=True)
    notice_sent_at = models.DateTimeField(_("staff informed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="filed") | models.Q(filed_at__isnull=False),
                name="meeting_filed_has_time",
            ),
        ]
        verbose_name = _("democratic life meeting")
        verbose_name_plural = _("democratic life meetings")

    def __str__(self) -> str:
        return self.theme


class MeetingMember(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        OBSERVER = "observer", _("Observer from the superior body")

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Not recorded")
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="meeting_memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True)
    self_criticism = models.TextField(_("self-criticism"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="meeting_member_unique")]


class Criticism(models.Model):
    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="criticisms")
    from_person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="criticisms_made")
    to_person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="criticisms_received")
    content = models.TextField(_("criticism"))
    created_at = models.DateTimeField(auto_now_add=True)


class MeetingMeasure(models.Model):
    """A measure agreed at the meeting; rectification plans start from these."""

    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="agreed_measures")
    content = models.TextField(_("measure agreed"))
    person = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    problems = models.ManyToManyField("problems.Problem", blank=True, related_name="meeting_measures")
