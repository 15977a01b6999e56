"""The verifier checks a chunk of records whole and walks record by record only a chunk where that finds
anything (audit.verify._intact). Tampering in any chunk — the first, a later one, at a chunk's first or
last record — is named exactly as the record-by-record walk names it."""

import hashlib
import hmac

import pytest
from django.db import connection

from audit import verify
from audit.chain import message, record_row
from audit.models import AuditHead, AuditRecord
from audit.services import audit_anchor, audit_record
from audit.verify import trail_verify

pytestmark = pytest.mark.django_db
TABLE = AuditRecord._meta.db_table


def trail(n: int = 11) -> None:
    """The key-start record (#1), then `n` records (#2–#n+1) with a few shapes of changes."""
    for i in range(n):
        audit_record(actor=None, action=f"test.{i % 3}", object_repr=f"记录 {i}", changes={"i": i % 2, "名": "值"})


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{T}", TABLE), params)


def report_in_chunks(monkeypatch, size: int):
    monkeypatch.setattr(verify, "CHUNK", size)
    monkeypatch.setattr(verify, "AHEAD_CHUNK", size)
    return trail_verify()


def walked(monkeypatch):
    """The report of the record-by-record walk alone (the whole trail one chunk: its first chunk is always
    walked, since the key starts in it)."""
    return report_in_chunks(monkeypatch, 10_000)


def same(a, b) -> bool:
    return (a.problems, a.problem_count, a.records, a.keys, a.unkeyed, a.anchors) == (
        b.problems,
        b.problem_count,
        b.records,
        b.keys,
        b.unkeyed,
        b.anchors,
    )


def reseal_from(seq: int, secret: bytes) -> None:
    prev = AuditRecord.objects.get(seq=seq - 1).hash
    for rec in AuditRecord.objects.filter(seq__gte=seq).order_by("seq"):
        rec.prev_hash = prev
        rec.hash = hmac.new(secret, message(record_row(rec)), hashlib.sha256).hexdigest()
        AuditRecord.objects.filter(pk=rec.pk).update(prev_hash=rec.prev_hash, hash=rec.hash)
        prev = rec.hash
    AuditHead.objects.filter(pk=1).update(last_hash=prev)


def test_an_intact_trail_is_checked_chunk_by_chunk(monkeypatch):
    trail()
    accepted = []
    intact = verify._intact
    monkeypatch.setattr(verify, "_intact", lambda *a: accepted.append(intact(*a)) or accepted[-1])
    report = report_in_chunks(monkeypatch, 3)
    assert report.ok and report.records == 12, report.message()
    # chunks 2–4 (#4–#12) checked whole and found intact; the first (the key starts in it) walked
    assert accepted == [True, True, True]
    assert same(report, walked(monkeypatch))


def test_a_chunk_with_an_anchor_checks_the_anchor(monkeypatch):
    trail(5)
    audit_anchor()  # names #6, the last record then
    trail(4)
    AuditRecord.objects.filter(seq=5).update(actor_label="someone else")
    # resealed with the right key, as a thief of the key would: only the anchor sees it
    secret = verify.keyring().secret(AuditRecord.objects.get(seq=2).key_id)
    reseal_from(5, secret)
    report = report_in_chunks(monkeypatch, 3)
    assert not report.ok and "says record #6 was sealed" in report.message()
    assert same(report, walked(monkeypatch))


def edit_repr(seq):
    sql("UPDATE {T} SET object_repr = 'altered' WHERE seq = %s", [seq])


def edit_changes(seq):
    sql("UPDATE {T} SET changes = %s WHERE seq = %s", ['{"i": 7, "名": "值"}', seq])


def delete(seq):
    sql("DELETE FROM {T} WHERE seq = %s", [seq])


def relink(seq):
    sql("UPDATE {T} SET prev_hash = %s WHERE seq = %s", ["f" * 64, seq])


def swap_with_next(seq):
    sql("UPDATE {T} SET seq = -1 WHERE seq = %s", [seq])
    sql("UPDATE {T} SET seq = %s WHERE seq = %s", [seq, seq + 1])
    sql("UPDATE {T} SET seq = %s WHERE seq = -1", [seq + 1])


def unknown_key(seq):
    sql("UPDATE {T} SET key_id = 'k-none' WHERE seq = %s", [seq])


def unkeyed(seq):
    sql("UPDATE {T} SET key_id = '' WHERE seq = %s", [seq])


def quote_in_label(seq):
    sql("""UPDATE {T} SET actor_label = 'say "hi"' WHERE seq = %s""", [seq])


def escaped_label(seq):
    # the escaped spelling of a label: between plain quotes it reads as sealed bytes of another label
    sql("""UPDATE {T} SET actor_label = 'a\\b' WHERE seq = %s""", [seq])


def forged_seal(seq):
    sql("UPDATE {T} SET hash = %s WHERE seq = %s", ["0" * 64, seq])


TAMPERING = [edit_repr, edit_changes, delete, relink, swap_with_next, unknown_key, unkeyed, quote_in_label,
             escaped_label, forged_seal]  # fmt: skip


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda f: f.__name__)
@pytest.mark.parametrize("seq", [4, 6, 10])  # with chunks of 3: the first record of the second chunk, the
# last of the second, the first of the fourth
def test_tampering_in_a_later_chunk_is_named_as_the_walk_names_it(monkeypatch, tamper, seq):
    trail()
    tamper(seq)
    report = report_in_chunks(monkeypatch, 3)
    assert not report.ok
    assert f"#{seq}" in " ".join(report.problems), report.problems
    assert same(report, walked(monkeypatch))


@pytest.mark.parametrize("size", [1, 2, 5])
def test_tampering_is_named_whatever_the_chunk_size(monkeypatch, size):
    trail()
    edit_repr(9)
    delete(11)
    report = report_in_chunks(monkeypatch, size)
    assert "record #9 does not match its seal" in report.problems[0]
    assert any("record #11 missing" in p for p in report.problems)
    assert same(report, walked(monkeypatch))
