"""The only way to write the audit trail: records, key rotation, anchors.

Every record is sealed under the trail's current key (audit.keys, outside the database) and chained to
the previous seal (audit.chain). Writers serialise on the AuditHead row (SELECT … FOR UPDATE).
"""

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from . import anchors
from .chain import KEY_ROTATE, KEY_START, seal_record
from .keys import KeyringError, key_add, keyring
from .models import AnchorSender, AuditAnchor, AuditHead, AuditRecord, ReceivedAnchor


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


def _head_locked() -> AuditHead:
    """The chain's head, locked until the transaction ends: one SELECT … FOR UPDATE once it exists. The
    first writer ever creates it; writers racing to do so meet on its primary key (the loser's INSERT waits
    for the winner's commit, fails inside get_or_create's savepoint and reads the winner's row), and all of
    them then lock the one row, so the chain stays one."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def _append(head: AuditHead, rec: AuditRecord, *, key_id: str | None = None) -> AuditRecord:
    """Number, seal and save `rec` after the head (locked by the caller), and move the head in memory.
    Sealed with `key_id` when given (a rotation record is sealed by the key it retires), else the head's."""
    rec.seq = head.last_seq + 1
    rec.prev_hash = head.last_hash
    rec.key_id = key_id or head.key_id
    rec.hash = seal_record(rec, keyring().secret(rec.key_id))
    rec.save(force_insert=True)
    head.last_seq, head.last_hash = rec.seq, rec.hash
    return rec


def _save_head(head: AuditHead) -> None:
    AuditHead.objects.filter(pk=1).update(last_seq=head.last_seq, last_hash=head.last_hash, key_id=head.key_id)


def _ensure_keyed(head: AuditHead) -> None:
    """Before the first keyed record: pick the trail's first key (the key file's newest, generated if
    there is none) and write the key-start record, which seals the head of any older, unkeyed records
    and says how many there are. Those records stay as they were and are verified as plain SHA-256."""
    if head.key_id:
        return
    key_id = keyring().newest or key_add()
    head.key_id = key_id
    _append(
        head,
        AuditRecord(
            at=timezone.now(),
            actor_label="system",
            action=KEY_START,
            changes={"key_id": key_id, "unkeyed_records": head.last_seq, "unkeyed_head": head.last_hash},
        ),
    )


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

    No savepoint of its own (savepoint=False): the record is part of the caller's change, so a failure here
    fails the caller's transaction as a whole (a caller cannot catch it and commit the change unrecorded).
    Three statements inside the caller's transaction: lock the head, insert the record, move the head.
    """
    with transaction.atomic(savepoint=False):
        head = _head_locked()
        _ensure_keyed(head)
        if anonymous_day is not None:
            actor = None
        actor_user = actor if getattr(actor, "is_authenticated", False) else None
        unit = unit if unit is not None else getattr(obj, "unit", None)
        rec = AuditRecord(
            at=_day_start(anonymous_day) if anonymous_day is not None else timezone.now(),
            actor=actor_user,
            actor_label=(
                ""
                if anonymous_day is not None
                else str(actor_user)
                if actor_user
                else str(actor)
                if actor
                else "system"
            )[:100],
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=(object_repr if object_repr is not None else (str(obj) if obj is not None else ""))[:200],
            unit=unit,
            institution_id=(unit.institution_id or unit.pk) if unit is not None else None,
            changes=_jsonable(changes or {}),
        )
        _append(head, rec)
        _save_head(head)
        return rec


def audit_bulk_append(records: Iterable[AuditRecord], *, batch: int = 5000) -> int:
    """Append many prepared records at once (generated data, imports of history): each is numbered,
    chained and sealed exactly as `audit_record` does, and written with bulk_create. Returns the count."""
    n = 0
    with transaction.atomic():
        head = _head_locked()
        _ensure_keyed(head)
        secret = keyring().secret(head.key_id)
        pending: list[AuditRecord] = []
        for rec in records:
            rec.seq, rec.prev_hash, rec.key_id = head.last_seq + 1, head.last_hash, head.key_id
            rec.changes = _jsonable(rec.changes or {})
            rec.hash = seal_record(rec, secret)
            head.last_seq, head.last_hash = rec.seq, rec.hash
            pending.append(rec)
            n += 1
            if len(pending) == batch:
                AuditRecord.objects.bulk_create(pending)
                pending = []
        if pending:
            AuditRecord.objects.bulk_create(pending)
        _save_head(head)
    return n


AUDIT_VALUE_COLUMNS = (
    "at", "actor_id", "actor_label", "action", "object_type", "object_id", "object_repr", "unit_id", "institution_id",
    "changes",
)  # fmt: skip


def audit_bulk_append_values(rows: Iterable[tuple]) -> int:
    """Append many records given as plain tuples in AUDIT_VALUE_COLUMNS order (generated data: a city's
    million records in a minute instead of the quarter hour of model objects). Each is numbered,
    chained and sealed exactly as `audit_record` does, over the same canonical bytes (audit.chain), and
    written as plain rows (core.bulk). `at` must be an aware datetime. Returns the count."""
    from core.bulk import Table

    from .chain import canonical, changes_json, seal, utc_text

    with transaction.atomic():
        head = _head_locked()
        _ensure_keyed(head)
        key_id = head.key_id
        secret = keyring().secret(key_id)
        table = Table(AuditRecord, ("seq", *AUDIT_VALUE_COLUMNS, "prev_hash", "hash"), key_id=key_id)
        state = [head.last_seq, head.last_hash]

        def sealed():
            seq, prev = state
            for at, actor, label, action, otype, oid, orepr, unit, inst, changes in rows:
                changes = _jsonable(changes or {})
                seq += 1
                msg = canonical(
                    seq, utc_text(at), actor, label, action, otype, oid, orepr, unit, inst, changes_json(changes),
                    key_id, prev,
                )  # fmt: skip
                digest = seal(secret, msg)
                yield (seq, at, actor, label, action, otype, oid, orepr, unit, inst, changes, prev, digest)
                prev = digest
                state[:] = seq, prev

        n = table.insert(sealed())
        head.last_seq, head.last_hash = state
        _save_head(head)
    return n


def audit_key_rotate(*, actor, to: str | None = None) -> tuple[str, str]:
    """Start sealing with another key: `to` names a key already in the keyring (RECTIFY_AUDIT_KEYS), or a
    new key is generated into the key file. The rotation record is sealed by the key it retires and names
    the next one, so the hand-over itself is under the old key. Old keys stay in the keyring: records
    they sealed keep verifying. Returns (old key id, new key id). For operators (`audit_rotate_key`)."""
    with transaction.atomic():
        head = _head_locked()
        _ensure_keyed(head)
        old = head.key_id
        new = to or key_add()
        keyring().secret(new)  # KeyringError if it is not there
        if new == old:
            raise KeyringError(f"key {new!r} is already the trail's key")
        used = set(AuditRecord.objects.exclude(key_id="").values_list("key_id", flat=True).distinct())
        if new in used:
            raise KeyringError(f"key {new!r} has sealed records before: a retired key is never taken back")
        _append(
            head,
            AuditRecord(
                at=timezone.now(),
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                actor_label=str(actor)[:100] if actor else "system",
                action=KEY_ROTATE,
                changes={"from": old, "to": new},
            ),
            key_id=old,
        )
        head.key_id = new
        _save_head(head)
    return old, new


def audit_anchor(*, force: bool = True) -> AuditAnchor | None:
    """Copy the head out of the database: append an anchor line to the anchor file, keep it in
    AuditAnchor, then send it to the city office's instance and/or by e-mail (audit.anchors).
    With force=False (the periodic job) nothing is written when the head has not moved since the last
    anchor. Returns the anchor, or None for an empty trail or an unmoved head.

    Anchoring writes no audit record: the record would itself move the head it is copying."""
    with transaction.atomic():
        head = _head_locked()
        if head.last_seq == 0:
            return None
        if not head.key_id:
            _ensure_keyed(head)
            _save_head(head)
        last = AuditAnchor.objects.order_by("-n").first()
        if not force and last and (last.seq, last.hash) == (head.last_seq, head.last_hash):
            return None
        n, prev = (last.n, last.line) if last else (0, "")
        file_lines = [ln for ln in (anchors.read_file() or []) if ln.data]
        if file_lines and file_lines[-1].data["n"] > n:  # a line whose database copy was rolled back
            n, prev = file_lines[-1].data["n"], file_lines[-1].text
        prev_mac = anchors.parse(prev).data["mac"] if prev else ""
        key_id = AuditRecord.objects.filter(seq=head.last_seq).values_list("key_id", flat=True).get()
        now = timezone.now()
        line = anchors.make_line(
            n=n + 1,
            at=now.isoformat(),
            seq=head.last_seq,
            hash=head.last_hash,
            key_id=key_id,
            prev=prev_mac,
            secret=keyring().secret(key_id),
        )
        anchor = AuditAnchor.objects.create(
            n=n + 1, at=now, seq=head.last_seq, hash=head.last_hash, key_id=key_id, line=line
        )
        anchors.append(line)
    delivered = anchors.deliver(line)
    if delivered:
        AuditAnchor.objects.filter(pk=anchor.pk).update(delivered=delivered)
        anchor.delivered = delivered
    return anchor


def audit_verify() -> tuple[bool, str]:
    """Check the trail against its keys and anchors; (ok, the first problem or a summary). See
    audit.verify.trail_verify for the full report."""
    from .verify import trail_verify

    report = trail_verify()
    return report.ok, report.message()


# ---------------------------------------------------------------- the city office's end: received anchors


def anchor_sender_create(*, actor, code: str, name: str) -> tuple[AnchorSender, str]:
    """Register an institution that sends its anchors here; returns it and the token `code:secret` to give
    its operator (RECTIFY_AUDIT_ANCHOR_TOKEN). The secret is shown this once and never written to the trail."""
    import secrets

    with transaction.atomic():
        sender = AnchorSender.objects.create(code=code, name=name, secret=secrets.token_hex(32))
        audit_record(actor=actor, action="audit.anchor_sender_create", obj=sender, changes={"code": code, "name": name})
    return sender, f"{sender.code}:{sender.secret}"


def anchor_receive(*, sender: AnchorSender, anchor: dict, source: str = "") -> tuple[ReceivedAnchor | None, str]:
    """Keep an anchor line an institution sent (already authenticated by its signature). Append-only: an
    identical repeat is not stored again ("duplicate"); a different line under a number already received
    is stored and marked ("conflict"), as is a line that does not follow the previous one or names an
    earlier record than an anchor before it (the head moved back). Returns (the row or None, its note or
    "duplicate"). Raises ValueError for something that is not an anchor line."""
    line = anchors.parse(anchors._encode(anchor) if isinstance(anchor, dict) else "")
    data = line.data
    if data is None or data["n"] < 1 or not 0 <= data["seq"] < 2**63 or data["n"] >= 2**31:
        raise ValueError("not an anchor line")
    if any(len(data[k]) > 64 for k in ("hash", "prev", "mac")) or len(data["key_id"]) > 40 or len(data["at"]) > 40:
        raise ValueError("not an anchor line")
    with transaction.atomic():
        AnchorSender.objects.select_for_update().filter(pk=sender.pk).get()  # one anchor of a sender at a time
        earlier = ReceivedAnchor.objects.filter(sender=sender)
        same = earlier.filter(n=data["n"]).order_by("pk").first()
        note = ReceivedAnchor.Note.OK
        if same is not None:
            if same.line == line.text:
                return same, "duplicate"
            note = ReceivedAnchor.Note.CONFLICT
        else:
            before = earlier.filter(n=data["n"] - 1).order_by("pk").first()
            highest = earlier.filter(n__lt=data["n"]).order_by("-seq").first()
            if highest is not None and highest.seq > data["seq"]:
                note = ReceivedAnchor.Note.REWOUND
            elif before is not None and before.mac != data["prev"]:
                note = ReceivedAnchor.Note.BROKEN
            elif before is None and data["n"] > 1:
                note = ReceivedAnchor.Note.GAP if earlier.exists() else ReceivedAnchor.Note.FIRST
        received = ReceivedAnchor.objects.create(
            sender=sender,
            source=str(source)[:200],
            line=line.text,
            note=note,
            **{k: data[k] for k in ("n", "at", "seq", "hash", "key_id", "prev", "mac")},
        )
        audit_record(
            actor=None,
            action="audit.anchor_receive",
            obj=received,
            object_repr=str(received)[:200],
            changes={"sender": sender.code, "n": data["n"], "seq": data["seq"], "note": note},
        )
    return received, note
