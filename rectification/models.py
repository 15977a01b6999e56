"""Rectification (整改落实): plans and measures. Extended by the rectification issue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RectificationPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Under review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="rectification_plans")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="rectification_plans", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="rectification_plans"
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    lookback = models.ForeignKey(
        "campaigns.LookBack", null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__path", "pk"]
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")

    def __str__(self) -> str:
        return self.title


class Measure(models.Model):
    class TimeClass(models.TextChoices):
        IMMEDIATE = "immediate", _("Fix at once (立行立改)")
        DEADLINE = "deadline", _("By a deadline (限期整改)")
        LONG_TERM = "long_term", _("Long-term (长期坚持)")

    class Kind(models.TextChoices):
        WORK = "work", _("Work measure")
        RULE = "rule", _("Rule making (制度建设)")
        TRAINING = "training", _("Study and training")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSEOUT_REQUESTED = "closeout_requested", _("Close-out requested")
        VERIFIED = "verified", _("Verified and closed (销号)")
        RETURNED = "returned", _("Close-out returned")

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="measures")
    problems = models.ManyToManyField(
        "problems.Problem", blank=True, related_name="measures", verbose_name=_("problems answered")
    )
    content = models.TextField(_("measure"))
    goal = models.TextField(_("goal (整改目标)"))
    time_class = models.CharField(_("time class"), max_length=20, choices=TimeClass.choices, default=TimeClass.DEADLINE)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    original_deadline = models.DateField(_("original deadline"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WORK)
    responsible_leader = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible leader"),
    )
    responsible_unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="measures", verbose_name=_("responsible unit")
    )
    owner = models.ForeignKey(
        "orgs.Person", on_delete=models.PROTECT, related_name="measures_owned", verbose_name=_("responsible person")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True)
    percent = models.PositiveSmallIntegerField(_("percent complete"), default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="verified") | models.Q(verified_at__isnull=False),
                name="measure_verified_has_time",
            ),
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="measure_percent_max_100"),
        ]
        verbose_name = _("rectification measure")
        verbose_name_plural = _("rectification measures")

    def __str__(self) -> str:
        return self.content[:40]

    @property
    def unit(self):
        return self.responsible_unit
