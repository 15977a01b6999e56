"""Campaigns (自查整改活动) and each participating unit's stage."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    FINDING = "finding", _("Finding problems")
    MEETING = "meeting", _("Democratic life meeting")
    EVALUATION = "evaluation", _("Democratic evaluation")
    RECTIFICATION = "rectification", _("Rectification")
    CLOSED = "closed", _("Closed")


STAGE_ORDER = [Stage.FINDING, Stage.MEETING, Stage.EVALUATION, Stage.RECTIFICATION, Stage.CLOSED]


def next_stage(stage: str) -> str | None:
    i = STAGE_ORDER.index(stage)
    return STAGE_ORDER[i + 1] if i + 1 < len(STAGE_ORDER) else None


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("campaign status", "In progress")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=120)
    institution = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("institution")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    start_date = models.DateField(_("start date"))
    finding_due = models.DateField(_("finding stage due"))
    meeting_due = models.DateField(_("meeting stage due"))
    evaluation_due = models.DateField(_("evaluation stage due"))
    rectification_due = models.DateField(_("rectification stage due"))
    milestone_3m = models.DateField(_("three-month milestone (visible results)"))
    milestone_6m = models.DateField(_("six-month milestone (fundamental improvement)"))
    peer_review_anonymous = models.BooleanField(_("peer reviews shown anonymously to their subject"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    @property
    def unit(self):
        return self.institution

    def due_for(self, stage: str):
        return {
            Stage.FINDING: self.finding_due,
            Stage.MEETING: self.meeting_due,
            Stage.EVALUATION: self.evaluation_due,
            Stage.RECTIFICATION: self.rectification_due,
        }.get(stage)


class CampaignUnit(models.Model):
    """A unit taking part in a campaign, and the stage it has reached."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="participations")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.FINDING, db_index=True)
    stage_changed_at = models.DateTimeField(_("stage since"), null=True, blank=True)
    # Incremented by each look-back (回头看); round 1 is the first pass.
    round = models.PositiveSmallIntegerField(_("round"), default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="campaign_unit_unique")]
        ordering = ["unit__path"]
        verbose_name = _("participating unit")
        verbose_name_plural = _("participating units")

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit}"


class StageTransition(models.Model):
    """History of every stage move (forward through a gate, or back by a look-back)."""

    participant = models.ForeignKey(CampaignUnit, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.participant}: {self.from_stage} → {self.to_stage}"


class LookBack(models.Model):
    """回头看: a subject that failed evaluation (or whose rectification was not real) goes round again."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("campaign status", "In progress")
        DONE = "done", _("Completed")

    participant = models.ForeignKey(CampaignUnit, on_delete=models.CASCADE, related_name="lookbacks")
    person = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lookbacks",
        help_text=_("Empty when the subject is the unit itself"),
    )
    reason = models.TextField(_("reason"))
    # What triggered it, e.g. "evaluations.evaluationtarget:12"
    source_ref = models.CharField(max_length=80, blank=True)
    round = models.PositiveSmallIntegerField(_("round"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("look-back")
        verbose_name_plural = _("look-backs")

    def __str__(self) -> str:
        return f"{self.participant.unit} · {self.person or ''} · {self.round}"

    @property
    def unit(self):
        return self.participant.unit
