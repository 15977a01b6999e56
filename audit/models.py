"""A keyed, hash-chained audit trail: each record's seal is an HMAC-SHA256, under a key kept outside the
database (audit.keys), of its content and the previous record's seal. Anchors copy the head's seal out
of the database (a file, the city office, e-mail) so that rewinding the head is seen too."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditRecord(models.Model):
    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The institution the record belongs to, so an office sees only its own trail.
    institution = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The id of the key that sealed this record (audit.keys); empty for a record written before the trail
    # was keyed (a plain SHA-256 chain, verified as such up to the key-start record).
    key_id = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"


class AuditHead(models.Model):
    """One row; locked while appending so the chain stays linear under concurrency."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # The key new records are sealed with; changed only by the key-start and rotation records.
    key_id = models.CharField(max_length=40, blank=True, default="")


class AuditAnchor(models.Model):
    """A copy of one anchor line (the head's seq, seal and key at a time, itself sealed and chained to the
    previous line). The line in the anchor file and the copies sent out are what count; this row lets
    `audit_verify` notice a line removed from the end of the file, and remembers where it was sent."""

    n = models.PositiveIntegerField(unique=True)
    at = models.DateTimeField()
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=40)
    line = models.TextField()  # exactly as appended to the file, without the newline
    delivered = models.TextField(blank=True)  # where it was sent, or why it was not

    class Meta:
        ordering = ["-n"]

    def __str__(self) -> str:
        return f"anchor #{self.n}: record #{self.seq} {self.hash[:12]}… ({self.key_id})"


class AnchorSender(models.Model):
    """An institution whose instance sends its anchors to this one (the city office's). The city office
    registers it and hands its operator the token `code:secret` (RECTIFY_AUDIT_ANCHOR_TOKEN there); each
    POST is signed with HMAC-SHA256 under the secret (audit.receiving)."""

    code = models.SlugField(pgettext_lazy("audit anchor", "sender code"), max_length=40, unique=True)
    name = models.CharField(pgettext_lazy("audit anchor", "institution"), max_length=100)
    secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("anchor sender")
        verbose_name_plural = _("anchor senders")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ReceivedAnchor(models.Model):
    """An anchor line as an institution's instance sent it: append-only (never changed, never deleted
    through the application). A second, different line under the same number is kept too, marked."""

    class Note(models.TextChoices):
        OK = "", _("follows the previous anchor")
        FIRST = "first", _("first anchor received")
        GAP = "gap", _("anchors before it were not received")
        BROKEN = "broken", _("does not follow the previous anchor")
        REWOUND = "rewound", _("names an earlier record than a previous anchor: the head moved back")
        CONFLICT = "conflict", _("differs from the anchor received earlier under the same number")

    sender = models.ForeignKey(AnchorSender, on_delete=models.PROTECT, related_name="anchors")
    received_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=200, blank=True)  # the host name the sender gave
    n = models.PositiveIntegerField()
    at = models.CharField(max_length=40)  # as sent (ISO time of the sender)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=40)
    prev = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    line = models.TextField()  # the anchor as sent, canonical JSON
    note = models.CharField(max_length=10, choices=Note.choices, blank=True)

    class Meta:
        ordering = ["-n", "-pk"]
        indexes = [models.Index(fields=["sender", "n"])]

    def __str__(self) -> str:
        return f"{self.sender.code} anchor #{self.n}: record #{self.seq}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("a received anchor is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("a received anchor is never deleted")
