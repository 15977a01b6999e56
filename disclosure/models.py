"""Public disclosure (公开监督): what the campaign office publishes, what happened to it, frozen
snapshots, and members of the public following an item.

Nothing here copies private data: a Publication only points at a problem or a measure; the public
representation is built from an explicit allow-list in `disclosure.public`.
"""

import hashlib
import json
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_code() -> str:
    """Random code for public addresses: never a sequential id, impossible to enumerate."""
    return secrets.token_urlsafe(12)


class PublicStatus(models.TextChoices):
    """The status the public sees (our own words, independent of the internal workflow)."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    OVERDUE = "overdue", _("Overdue")
    COMPLETED = "completed", _("Completed")


class Publication(models.Model):
    """The office's decision that one problem or one measure is public."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="publications")
    problem = models.OneToOneField(
        "problems.Problem", null=True, blank=True, on_delete=models.CASCADE, related_name="publication"
    )
    measure = models.OneToOneField(
        "rectification.Measure", null=True, blank=True, on_delete=models.CASCADE, related_name="publication"
    )
    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED, db_index=True
    )
    # What the public was last shown, so that a change can be announced to followers.
    public_status = models.CharField(max_length=20, choices=PublicStatus.choices, default=PublicStatus.NOT_STARTED)
    public_progress = models.PositiveSmallIntegerField(default=0)
    public_deadline = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(problem__isnull=False, measure__isnull=True)
                | models.Q(problem__isnull=True, measure__isnull=False),
                name="publication_points_at_one_item",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="withdrawn") | models.Q(withdrawn_at__isnull=False),
                name="publication_withdrawn_has_time",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"])]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self.kind} {self.code}"

    @property
    def kind(self) -> str:
        return "problem" if self.problem_id else "measure"

    @property
    def unit(self):
        return self.campaign.institution


class PublicEvent(models.Model):
    """One line of the public timeline. Written by our services only, in public words only."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Published")
        STATUS_CHANGED = "status_changed", _("Status changed")
        DEADLINE_CHANGED = "deadline_changed", _("Deadline changed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        SNAPSHOT = "snapshot", _("Snapshot taken")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="public_events")
    publication = models.ForeignKey(Publication, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    # Public text only: the item's published description at that moment, or a snapshot's date.
    summary = models.CharField(max_length=200, blank=True)
    before = models.CharField(max_length=40, blank=True)
    after = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["campaign", "-at"])]


class ImmutableError(Exception):
    """A snapshot was about to change after it was taken."""


class SnapshotQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError("Snapshots never change after they are taken.")

    def delete(self):
        raise ImmutableError("Snapshots are kept for good.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableError("Snapshots never change after they are taken.")


class Snapshot(models.Model):
    """What was published on a day, frozen: the rendered public data as JSON, never changed."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ON_DEMAND = "on_demand", _("On demand")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="snapshots")
    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ON_DEMAND)
    taken_on = models.DateField(_("date"), db_index=True)
    taken_at = models.DateTimeField(_("taken at"))
    data = models.JSONField()
    digest = models.CharField(max_length=64, editable=False)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_on", "-taken_at", "-pk"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")

    def __str__(self) -> str:
        return f"{self.campaign} · {self.taken_on}"

    # Immutability is a property of the row itself, not a business rule: a snapshot may be inserted
    # once and never rewritten or removed, whoever calls.
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("Snapshots never change after they are taken.")
        self.digest = self.digest_of(self.data)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("Snapshots are kept for good.")

    @property
    def unit(self):
        return self.campaign.institution

    @staticmethod
    def digest_of(data) -> str:
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def is_intact(self) -> bool:
        return self.digest == self.digest_of(self.data)


class Follow(models.Model):
    """A member of the public following a published item, by follow code and optionally e-mail.

    The e-mail address is used for notices only and is never shown on any page.
    """

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="follows")
    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    email = models.EmailField(blank=True)
    # Status when the follower was last told (or when they started following).
    notified_status = models.CharField(max_length=20, choices=PublicStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def unit(self):
        return self.publication.campaign.institution
