"""Self-inspection reports (自查报告) with versions and reviews."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SelfReport(models.Model):
    class AuthorKind(models.TextChoices):
        TEAM = "team", _("Institution leadership team")
        PRINCIPAL = "principal", _("Principal leader")
        LEADERSHIP_MEMBER = "leadership_member", _("Leadership-team member")
        DEPARTMENT = "department", _("Department")
        DEPARTMENT_MEMBER = "department_member", _("Department leadership member")
        CADRE = "cadre", _("Cadre")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", pgettext_lazy("report status", "Under review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned for redo")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="self_reports")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="self_reports", verbose_name=_("unit"))
    author_kind = models.CharField(_("report of"), max_length=20, choices=AuthorKind.choices)
    # The person reporting (for personal reports) or the person who writes for a unit/team.
    person = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="self_reports"
    )
    title = models.CharField(pgettext_lazy("document title", "title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    current_version = models.PositiveIntegerField(default=1)
    # Who must review the submitted version (resolved by routing at submit time).
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_to_review"
    )
    reviewer_is_city_office = models.BooleanField(default=False)
    routing_problem = models.CharField(max_length=300, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    round = models.PositiveSmallIntegerField(default=1)
    # Last overdue reminder sent to the reviewer(s) (the reminder task sends at most one a day).
    reminded_at = models.DateTimeField(null=True, blank=True)

    UNIT_KINDS = ("team", "department")  # reports of a unit: one per unit; the others: one per person

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(approved_at__isnull=False),
                name="report_approved_has_time",
            ),
            models.UniqueConstraint(
                fields=["campaign", "unit", "author_kind", "round"],
                condition=models.Q(author_kind__in=["team", "department"]),
                name="report_one_per_unit_and_round",
            ),
            models.UniqueConstraint(
                fields=["campaign", "person", "author_kind", "round"],
                condition=~models.Q(author_kind__in=["team", "department"]),
                name="report_one_per_person_and_round",
            ),
        ]
        verbose_name = _("self-inspection report")
        verbose_name_plural = _("self-inspection reports")

    def __str__(self) -> str:
        return self.title

    @property
    def waiting_for_routing(self) -> bool:
        """Submitted, but nobody could be found to review it (the office was told what to fix)."""
        return self.status == self.Status.SUBMITTED and bool(self.routing_problem)

    @property
    def display_status(self) -> str:
        return "routing" if self.waiting_for_routing else self.status

    def get_display_status_display(self) -> str:
        return _("Waiting for routing") if self.waiting_for_routing else self.get_status_display()


class SelfReportVersion(models.Model):
    """The content of one version; reviews sign a version, never the mutable report."""

    report = models.ForeignKey(SelfReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    method = models.TextField(_("how the self-check was done"))
    problems_and_causes = models.TextField(_("problems and their causes"))
    measures = models.TextField(_("rectification measures"))
    problems = models.ManyToManyField("problems.Problem", blank=True, related_name="report_versions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when this version is submitted: from then on it is frozen; an edit makes a new version.
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_version_unique")]

    def __str__(self) -> str:
        return f"{self.report} · v{self.number}"


class ReportReview(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    report = models.ForeignKey(SelfReport, on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(SelfReportVersion, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(pgettext_lazy("report review", "decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(pgettext_lazy("report review", "comments"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["version"], name="one_decision_per_version")]

    def __str__(self) -> str:
        return f"{self.version} · {self.get_decision_display()}"
