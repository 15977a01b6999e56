"""The only way to write the audit trail."""

import hashlib
import json
from datetime import datetime, time
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditHead, AuditRecord

GENESIS = "0" * 64


def _canonical(rec: dict[str, Any]) -> str:
    return json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_digest(record: AuditRecord, prev_hash: str) -> str:
    """The hash of one record's content chained to the previous hash."""
    payload = {
        "seq": record.seq,
        "at": record.at.isoformat(),
        "actor": record.actor_id,
        "actor_label": record.actor_label,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "object_repr": record.object_repr,
        "unit": record.unit_id,
        "institution": record.institution_id,
        "changes": record.changes,
        "prev": prev_hash,
    }
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    unit=None,
    object_repr: str | None = None,
    anonymous_day=None,
) -> AuditRecord:
    """Append one record to the chain. Call inside the service's transaction.

    `changes` is {field: [before, after]} (see `diff`) or any JSON-able detail. `unit` is the unit the
    action concerns; it also decides which institution's office can see the record.
    `anonymous_day` (a date): a record about anonymous input of that day: no actor, and the day's
    start as its time (callers write it after the day, as a daily total, never per submission).
    """
    with transaction.atomic():
        head, _ = AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
        if anonymous_day is not None:
            actor = None
        actor_user = actor if getattr(actor, "is_authenticated", False) else None
        unit = unit if unit is not None else getattr(obj, "unit", None)
        rec = AuditRecord(
            seq=head.last_seq + 1,
            at=_day_start(anonymous_day) if anonymous_day is not None else timezone.now(),
            actor=actor_user,
            actor_label=(
                "" if anonymous_day is not None else str(actor_user) if actor_user else str(actor) if actor else "system"
            )[:100],
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=(object_repr if object_repr is not None else (str(obj) if obj is not None else ""))[:200],
            unit=unit,
            institution_id=(unit.institution_id or unit.pk) if unit is not None else None,
            changes=_jsonable(changes or {}),
            prev_hash=head.last_hash,
        )
        rec.hash = record_digest(rec, head.last_hash)
        rec.save()
        AuditHead.objects.filter(pk=1).update(last_seq=rec.seq, last_hash=rec.hash)
        return rec


def audit_verify() -> tuple[bool, str]:
    """Walk the chain in order; return (ok, message naming the first bad record)."""
    prev = GENESIS
    expected_seq = 1
    last = None
    for rec in AuditRecord.objects.order_by("seq").iterator(chunk_size=2000):
        if rec.seq != expected_seq:
            return False, f"record #{expected_seq} is missing (next found: #{rec.seq})"
        if rec.prev_hash != prev:
            return False, f"record #{rec.seq} does not follow the previous record (inserted or reordered)"
        if record_digest(rec, prev) != rec.hash:
            return False, f"record #{rec.seq} was altered"
        prev, expected_seq, last = rec.hash, expected_seq + 1, rec
    head = AuditHead.objects.filter(pk=1).first()
    if head and (head.last_seq != (last.seq if last else 0) or head.last_hash != prev):
        return (
            False,
            f"the chain ends at #{last.seq if last else 0} but its head says #{head.last_seq} (records deleted at the end)",
        )
    return True, f"{expected_seq - 1} records intact"
