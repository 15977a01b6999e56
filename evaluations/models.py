"""Democratic evaluation and assessment (民主评议 / 民主测评). Extended by the evaluations issue.

Anonymity rule for everything here: nothing links a Ballot to a BallotToken or a person.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Evaluation(models.Model):
    class Kind(models.TextChoices):
        EVALUATION = "evaluation", _("Democratic evaluation (民主评议)")
        ASSESSMENT = "assessment", _("Individual assessment (民主测评)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        OPEN = "open", _("Open for voting")
        CLOSED = "closed", _("Closed")
        TALLIED = "tallied", _("Tallied")
        VOID = "void", _("Void")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="evaluations")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EVALUATION)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    min_group_size_shown = models.PositiveSmallIntegerField(_("smallest group shown separately"), default=5)
    tallied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")

    def __str__(self) -> str:
        return self.name


class EvaluationTarget(models.Model):
    class Kind(models.TextChoices):
        UNIT_WORK = "unit_work", _("Unit's self-inspection and rectification work")
        TEAM = "team", _("Leadership team")
        PERSON = "person", _("Individual")

    class Result(models.TextChoices):
        PENDING = "pending", _("Not tallied")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="evaluation_targets")
    person = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="evaluation_targets"
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.PENDING, db_index=True)
    satisfaction = models.DecimalField(_("satisfaction rate"), max_digits=6, decimal_places=4, null=True, blank=True)

    def __str__(self) -> str:
        return str(self.person or self.unit)


class Ballot(models.Model):
    """One cast ballot. Random key; cast day only; no token, no person, no time of day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="ballots")
    cast_on = models.DateField()
