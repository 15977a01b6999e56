"""The accountability register (问责)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MeasureType(models.Model):
    """A kind of accountability measure (configurable list)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    blocks_commendation = models.BooleanField(_("not eligible for commendation that year"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("accountability measure")
        verbose_name_plural = _("accountability measures")

    def __str__(self) -> str:
        return self.name


class AccountabilityCase(models.Model):
    class Trigger(models.TextChoices):
        REPORT_RETURNED = "report_returned", _("Self-inspection report failed review")
        MEASURE_OVERDUE = "measure_overdue", _("Rectification measure overdue")
        EVALUATION_FAILED = "evaluation_failed", _("Failed democratic evaluation")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        # A case raised by the system (a returned report) waits for the deciding office to take it up.
        PROPOSED = "proposed", pgettext_lazy("accountability case", "Proposed")
        OPEN = "open", pgettext_lazy("accountability case", "Open")
        DECIDED = "decided", pgettext_lazy("accountability case", "Decided")
        CLOSED = "closed", pgettext_lazy("accountability case", "Closed")
        DISMISSED = "dismissed", pgettext_lazy("accountability case", "Not pursued")

    institution = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="accountability_cases", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        "orgs.Person",
        on_delete=models.PROTECT,
        related_name="accountability_cases",
        verbose_name=_("person held accountable"),
    )
    trigger = models.CharField(_("trigger"), max_length=30, choices=Trigger.choices, db_index=True)
    trigger_ref = models.CharField(max_length=80, blank=True)  # e.g. "reports.selfreport:12"
    facts = models.TextField(pgettext_lazy("accountability case", "facts"))
    proposed_measures = models.ManyToManyField(
        MeasureType, blank=True, related_name="+", verbose_name=_("proposed measures")
    )
    decided_measures = models.ManyToManyField(
        MeasureType, blank=True, related_name="cases", verbose_name=_("decided measures")
    )
    deciding_body = models.CharField(_("deciding body"), max_length=100, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statement = models.TextField(_("statement of the person"), blank=True)
    dismissal_reason = models.TextField(_("why the case is not pursued"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["proposed", "open", "dismissed"]) | models.Q(decided_on__isnull=False),
                name="case_decided_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="dismissed") | ~models.Q(dismissal_reason=""),
                name="case_dismissed_has_reason",
            ),
        ]
        verbose_name = _("accountability case")
        verbose_name_plural = _("accountability cases")

    def __str__(self) -> str:
        return f"{self.person} · {self.get_trigger_display()}"


class Restriction(models.Model):
    """A period during which a person may not be commended or promoted (影响期), recorded by the body
    that decided it, e.g. the final grade of a democratic evaluation (evaluations' final_grade_record).
    One per source (`source_ref`): recording again replaces it."""

    institution = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    person = models.ForeignKey(
        "orgs.Person",
        on_delete=models.PROTECT,
        related_name="restrictions",
        verbose_name=pgettext_lazy("restriction", "person"),
    )
    bars_commendation = models.BooleanField(_("not eligible for commendation"), default=False)
    bars_promotion = models.BooleanField(_("not eligible for promotion"), default=False)
    starts_on = models.DateField(pgettext_lazy("restriction", "from"))
    ends_on = models.DateField(pgettext_lazy("restriction", "until"))
    reason = models.TextField(pgettext_lazy("restriction", "reason"))
    source_ref = models.CharField(max_length=80, unique=True)  # e.g. "evaluations.evaluationtarget:12"
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("restriction")
        verbose_name_plural = _("restrictions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="restriction_has_a_period"
            ),
            models.CheckConstraint(
                condition=models.Q(bars_commendation=True) | models.Q(bars_promotion=True),
                name="restriction_bars_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.starts_on}–{self.ends_on}"

    def bars_text(self) -> str:
        parts = []
        if self.bars_commendation:
            parts.append(str(_("not eligible for commendation")))
        if self.bars_promotion:
            parts.append(str(_("not eligible for promotion")))
        return "、".join(parts)
