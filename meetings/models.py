"""The democratic life meeting (专题民主生活会): preparation, record, minutes and follow-up.

Preparation: opinions routed to members (RoutedOpinion), one-to-one talks (HeartTalk), each member's
comparison and self-examination material (MemberMaterial, reviewed by MaterialReview rows).
During: attendance and self-criticism on MeetingMember, Criticism rows, agreed MeetingMeasure rows,
problems raised (LifeMeeting.problems, created in the problem ledger with channel life_meeting).
After: the filed minutes (a frozen Word file) and the follow-ups (report to the superior, notice to
staff) tracked against their deadlines (MeetingFollowUp).
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LifeMeeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("In preparation")
        HELD = "held", _("Held")
        FILED = "filed", _("Minutes filed")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="meetings")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("unit"))
    # The participant's round (回头看 increments it): a look-back needs a meeting of its own.
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    theme = models.CharField(_("theme"), max_length=200)
    date = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=120)
    chair = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("chaired by")
    )
    # The secretary records the meeting (may be someone without the manage right, e.g. an office clerk).
    secretary = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("secretary (records the meeting)"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True)
    quorum_ratio = models.DecimalField(_("quorum"), max_digits=4, decimal_places=3, default=Decimal("0.667"))
    follow_up_days = models.PositiveSmallIntegerField(_("days to report and inform staff"), default=15)
    summary = models.TextField(_("main content of the meeting"), blank=True)
    opinions_routed_at = models.DateTimeField(_("opinions routed"), null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    minutes_file = models.FileField(upload_to="meetings/minutes/%Y/", blank=True)
    minutes_sha256 = models.CharField(max_length=64, blank=True)
    report_sent_at = models.DateTimeField(_("reported to superior"), null=True, blank=True)
    notice_sent_at = models.DateTimeField(_("staff informed"), null=True, blank=True)
    problems = models.ManyToManyField("problems.Problem", blank=True, related_name="life_meetings")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="filed") | models.Q(filed_at__isnull=False),
                name="meeting_filed_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(status="planned") | models.Q(held_at__isnull=False),
                name="meeting_held_has_time",
            ),
            models.UniqueConstraint(fields=["campaign", "unit", "round"], name="one_meeting_per_unit_round"),
        ]
        verbose_name = _("democratic life meeting")
        verbose_name_plural = _("democratic life meetings")

    def __str__(self) -> str:
        return self.theme

    @property
    def follow_up_due(self):
        """The day by which the superior must have the report and the staff the notice."""
        base = self.held_at or self.date
        return timezone.localdate(base + timedelta(days=self.follow_up_days)) if base else None


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
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["role", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="meeting_member_unique"),
            models.CheckConstraint(
                condition=~models.Q(attendance="absent") | ~models.Q(absence_reason=""),
                name="meeting_absence_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)

    @property
    def is_member(self) -> bool:
        return self.role == self.Role.MEMBER

    @property
    def material_or_none(self):
        try:
            return self.material
        except MemberMaterial.DoesNotExist:
            return None


class RoutedOpinion(models.Model):
    """An opinion gathered for the unit, passed to the member it concerns (or to every member when it
    concerns the unit as a whole) so they can answer it in their material."""

    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="routed_opinions")
    opinion = models.ForeignKey("problems.Opinion", on_delete=models.CASCADE, related_name="meeting_routes")
    member = models.ForeignKey(MeetingMember, on_delete=models.CASCADE, related_name="routed_opinions")
    routed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opinion", "member"], name="opinion_routed_once_per_member")]


class HeartTalk(models.Model):
    """谈心谈话: a one-to-one talk between two members before the meeting."""

    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="talks")
    talker = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("who"))
    talkee = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("with whom"))
    talked_on = models.DateField(_("when"))
    gist = models.TextField(_("gist of the talk"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["talked_on", "pk"]
        constraints = [models.CheckConstraint(condition=~models.Q(talker=models.F("talkee")), name="talk_not_self")]


class MemberMaterial(models.Model):
    """对照检查材料: the member's approved self-inspection report, or a separate text; reviewed."""

    class Kind(models.TextChoices):
        REPORT = "report", _("My approved self-inspection report")
        TEXT = "text", _("A separate text")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting review")
        APPROVED = "approved", _("Reviewed and approved")
        RETURNED = "returned", _("Returned for revision")

    member = models.OneToOneField(MeetingMember, on_delete=models.CASCADE, related_name="material")
    kind = models.CharField(_("material"), max_length=10, choices=Kind.choices)
    self_report = models.ForeignKey(
        "reports.SelfReport", null=True, blank=True, on_delete=models.PROTECT, related_name="meeting_materials"
    )
    text = models.TextField(_("comparison and self-examination material"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="report") | models.Q(self_report__isnull=False),
                name="material_report_kind_has_report",
            ),
        ]


class MaterialReview(models.Model):
    """One review decision on one version of a member's material (text kept as reviewed)."""

    class Decision(models.TextChoices):
        APPROVED = "approved", pgettext_lazy("material review", "Approved")
        RETURNED = "returned", pgettext_lazy("material review", "Returned")

    material = models.ForeignKey(MemberMaterial, on_delete=models.CASCADE, related_name="reviews")
    version = models.PositiveIntegerField()
    text_reviewed = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(pgettext_lazy("material review", "decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(pgettext_lazy("material review", "comments"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["material", "version"], name="one_review_per_material_version")]


class Criticism(models.Model):
    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="criticisms")
    from_person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="criticisms_made")
    to_person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="criticisms_received")
    content = models.TextField(_("criticism"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(from_person=models.F("to_person")), name="criticism_not_self")
        ]


class MeetingMeasure(models.Model):
    """A measure agreed at the meeting; rectification plans start from these
    (see meetings.selectors.agreed_measures)."""

    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="agreed_measures")
    content = models.TextField(_("measure agreed"))
    person = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("responsible member"),
    )
    problems = models.ManyToManyField("problems.Problem", blank=True, related_name="meeting_measures")
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        ordering = ["pk"]


class MeetingFollowUp(models.Model):
    """What must happen after the meeting, by a deadline: report to the superior, notice to staff."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Report the meeting to the superior")
        NOTICE = "notice", _("Inform the staff of the meeting")

    meeting = models.ForeignKey(LifeMeeting, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("follow-up"), max_length=10, choices=Kind.choices)
    due_on = models.DateField(_("due on"), db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("how it was done"), blank=True)
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind"], name="one_follow_up_per_kind"),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | ~models.Q(note=""), name="follow_up_done_has_note"
            ),
        ]
