"""The keyed chain and its anchors against someone who can write the database (and the anchor file) but
cannot read the key: re-sealing a rewritten record, truncating the tail, moving the head back, swapping
the key file, removing or editing anchor lines. Each is named by `audit_verify` (exit 1)."""

import hashlib
import hmac
import io
import json
import stat
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import anchors, keys
from audit.chain import KEY_ROTATE, KEY_START, legacy_digest, message, record_row, seal_record
from audit.keys import keyring
from audit.models import AuditAnchor, AuditHead, AuditRecord
from audit.services import audit_anchor, audit_key_rotate, audit_record, audit_verify
from audit.verify import trail_verify

pytestmark = pytest.mark.django_db


def records(n: int, start: int = 0) -> list[AuditRecord]:
    return [audit_record(actor=None, action=f"test.{i}", changes={"i": i, "名": "值"}) for i in range(start, start + n)]


def verify_command() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
    except SystemExit as e:
        return e.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def reseal_from(seq: int, *, secret: bytes | None = None, unkeyed: bool = False) -> None:
    """What a forger with database access does after changing record `seq`: recompute every later seal
    (with a key of their own, or as an unkeyed SHA-256 chain) and move the head along."""
    prev = AuditRecord.objects.get(seq=seq - 1).hash
    for rec in AuditRecord.objects.filter(seq__gte=seq).order_by("seq"):
        rec.prev_hash = prev
        if unkeyed:
            rec.key_id = ""
            rec.hash = legacy_digest(record_row(rec), prev)
        else:
            rec.hash = hmac.new(secret, message(record_row(rec)), hashlib.sha256).hexdigest()
        AuditRecord.objects.filter(pk=rec.pk).update(prev_hash=rec.prev_hash, hash=rec.hash, key_id=rec.key_id)
        prev = rec.hash
    AuditHead.objects.filter(pk=1).update(last_hash=prev)


def test_it_seals_each_record_under_a_key_kept_outside_the_database(audit_files):
    recs = records(3)
    key_file = audit_files / "audit_keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_id, secret = key_file.read_text().split()
    start = AuditRecord.objects.get(seq=1)
    assert start.action == KEY_START and start.changes["key_id"] == key_id
    for rec in [start, *recs]:
        rec.refresh_from_db()
        assert rec.key_id == key_id
        assert rec.hash == hmac.new(bytes.fromhex(secret), message(record_row(rec)), hashlib.sha256).hexdigest()
    ok, text = audit_verify()
    assert ok and "4 records" in text and key_id in text


def test_it_names_a_rewritten_actor_even_when_the_chain_is_resealed():
    records(5)
    AuditRecord.objects.filter(seq=3).update(actor_label="someone else")
    reseal_from(3, secret=b"a key the forger made up" * 2)
    code, _out, err = verify_command()
    assert code == 1
    assert "record #3 does not match its seal" in err
    assert "record #2 " not in err  # the records before the rewrite are fine


def test_it_names_a_record_resealed_as_an_unkeyed_record():
    records(5)
    AuditRecord.objects.filter(seq=4).update(actor_label="someone else")
    reseal_from(4, unkeyed=True)
    code, _out, err = verify_command()
    assert code == 1 and "record #4 has no key, but the trail was keyed before it" in err


def test_it_sees_a_whole_trail_rewritten_as_unkeyed_while_the_keyring_holds_a_key():
    records(3)
    # Drop the key-start record, renumber, and rebuild the whole chain as plain SHA-256 (no key needed).
    AuditRecord.objects.filter(seq=1).delete()
    for rec in AuditRecord.objects.order_by("seq"):
        AuditRecord.objects.filter(pk=rec.pk).update(seq=rec.seq - 1)
    reseal_from_unkeyed_all()
    ok, text = audit_verify()
    assert not ok and "holds keys but no record of the trail is keyed" in text


def reseal_from_unkeyed_all():
    prev = "0" * 64
    for rec in AuditRecord.objects.order_by("seq"):
        rec.prev_hash, rec.key_id = prev, ""
        rec.hash = legacy_digest(record_row(rec), prev)
        AuditRecord.objects.filter(pk=rec.pk).update(prev_hash=prev, hash=rec.hash, key_id="")
        prev = rec.hash
    last = AuditRecord.objects.order_by("-seq").first()
    AuditHead.objects.filter(pk=1).update(last_seq=last.seq, last_hash=last.hash, key_id="")


def test_it_names_the_anchor_when_the_last_records_are_truncated_and_the_head_rewound():
    records(5)
    anchor = audit_anchor()
    assert anchor.seq == 6
    AuditRecord.objects.filter(seq__gte=5).delete()
    keep = AuditRecord.objects.get(seq=4)
    AuditHead.objects.filter(pk=1).update(last_seq=4, last_hash=keep.hash)  # the head moved back too
    code, _out, err = verify_command()
    assert code == 1
    assert "anchor #1" in err and "names record #6, but the trail ends at #4" in err


def test_it_names_the_anchor_when_the_head_is_rewound_and_new_records_written_over_it():
    records(5)
    audit_anchor()
    AuditRecord.objects.filter(seq__gte=5).delete()
    keep = AuditRecord.objects.get(seq=4)
    AuditHead.objects.filter(pk=1).update(last_seq=4, last_hash=keep.hash)
    records(3, start=10)  # the application goes on writing, sealed properly, from #5
    ok, text = audit_verify()
    assert not ok
    assert "anchor #1" in text and "says record #6 was sealed" in text


def test_it_names_a_truncated_tail_without_an_anchor_through_the_head():
    records(5)
    AuditRecord.objects.filter(seq__gte=5).delete()
    ok, text = audit_verify()
    assert not ok and "ends at #4 but its head says #6" in text


def test_it_refuses_records_under_a_swapped_key_file(audit_files):
    records(3)
    key_file = audit_files / "audit_keys"
    key_id, _secret = key_file.read_text().split()
    key_file.write_text(f"{key_id} {'ab' * 32}\n")  # same id, another secret
    code, _out, err = verify_command()
    assert code == 1
    assert "record #1 does not match its seal under key" in err and "not the key it was sealed with" in err


def test_it_names_records_whose_key_is_missing_from_the_keyring(audit_files):
    records(2)
    (audit_files / "audit_keys").write_text(f"other {'cd' * 32}\n")
    ok, text = audit_verify()
    assert not ok and "record #1 is sealed with key" in text and "not in the keyring" in text


def anchored_three_times():
    for i in range(3):
        records(2, start=10 * i)
        audit_anchor()
    path = anchors.path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path, path.read_text().splitlines()


def test_it_names_an_anchor_line_removed_from_the_middle_of_the_file():
    path, lines = anchored_three_times()
    path.write_text(lines[0] + "\n" + lines[2] + "\n")
    code, _out, err = verify_command()
    assert code == 1 and "anchor #2 missing from" in err


def test_it_names_an_anchor_line_removed_from_the_end_of_the_file():
    path, lines = anchored_three_times()
    path.write_text("\n".join(lines[:2]) + "\n")
    code, _out, err = verify_command()
    assert code == 1 and "anchor #3" in err and "is missing from" in err and "line removed" in err


def test_it_names_an_edited_anchor_line():
    path, lines = anchored_three_times()
    data = json.loads(lines[1])
    data["seq"] -= 1  # point the anchor at an earlier record…
    data["hash"] = AuditRecord.objects.get(seq=data["seq"]).hash  # …with that record's true seal
    lines[1] = json.dumps(data, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    code, _out, err = verify_command()
    assert code == 1 and "anchor #2" in err and "was altered: its seal does not match" in err
    assert "differs between" in err  # and no longer agrees with its database copy


def test_it_names_a_missing_anchor_file():
    path, _lines = anchored_three_times()
    path.unlink()
    ok, text = audit_verify()
    assert not ok and "is missing, but 3 anchors were written to it" in text


def test_an_anchor_is_a_sealed_chained_line_in_the_file_and_the_database():
    path, lines = anchored_three_times()
    first, second = (json.loads(x) for x in lines[:2])
    assert second["prev"] == first["mac"] and first["n"] == 1 and second["n"] == 2
    head = AuditHead.objects.get(pk=1)
    last = json.loads(lines[-1])
    assert (last["seq"], last["hash"], last["key_id"]) == (head.last_seq, head.last_hash, head.key_id)
    assert AuditAnchor.objects.get(n=3).line == lines[-1]
    report = trail_verify()
    assert report.ok and report.anchors == 3 and report.last_anchor["n"] == 3
    assert audit_anchor(force=False) is None  # the periodic job writes nothing when the head has not moved


def test_it_sends_each_anchor_to_the_city_office_and_by_mail(settings, mailoutbox):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    settings.AUDIT_ANCHOR_URL = f"http://127.0.0.1:{server.server_port}/anchors"
    settings.AUDIT_ANCHOR_TOKEN = "zy-college:city-issued-secret"
    settings.AUDIT_ANCHOR_EMAILS = ["audit@city.example.cn"]
    records(2)
    anchor = audit_anchor()
    thread.join(10)
    server.server_close()
    ((headers, body),) = received
    assert json.loads(body)["anchor"] == json.loads(anchor.line)
    # signed with the secret the city office issued (audit/tests/test_receiving.py: the receiving end)
    assert headers["X-Rectify-Sender"] == "zy-college"
    assert headers["X-Rectify-Signature"] == anchors.signature("city-issued-secret", headers["X-Rectify-Time"], body)
    (mail,) = mailoutbox
    assert mail.to == ["audit@city.example.cn"] and anchor.line in mail.body
    assert "201" in anchor.delivered and "audit@city.example.cn" in anchor.delivered


def test_a_failed_delivery_is_recorded_and_the_anchor_kept(settings):
    settings.AUDIT_ANCHOR_URL = "http://127.0.0.1:9/unreachable"
    records(1)
    anchor = audit_anchor()
    assert "FAILED" in AuditAnchor.objects.get(pk=anchor.pk).delivered
    assert trail_verify().ok


def test_the_scheduler_anchors_periodically():
    from audit.tasks import audit_anchor_task
    from core.registry import periodic_tasks

    assert any(p.task is audit_anchor_task for p in periodic_tasks())
    records(2)
    assert audit_anchor_task.call() == 1
    assert audit_anchor_task.call() == 0  # unmoved
    records(1)
    assert audit_anchor_task.call() == 2


def test_rotation_is_recorded_sealed_by_the_old_key_and_old_records_keep_verifying(audit_files):
    records(2)
    old, new = audit_key_rotate(actor="tester")
    after = records(2)
    rotation = AuditRecord.objects.get(action=KEY_ROTATE)
    assert rotation.key_id == old and rotation.changes == {"from": old, "to": new}
    assert {r.key_id for r in after} == {new}
    assert len((audit_files / "audit_keys").read_text().splitlines()) == 2
    report = trail_verify()
    assert report.ok, report.problems
    assert report.keys == [old, new]


def test_a_record_sealed_with_a_key_the_trail_never_handed_over_to_is_named(audit_files):
    records(2)
    _old, new = audit_key_rotate(actor="tester")
    later = records(1)[0]
    # Someone re-labels the rotation record's key and re-seals the record after it with the new key…
    AuditRecord.objects.filter(seq=later.seq - 1).update(changes={"from": "x", "to": "y"})
    ok, text = audit_verify()
    assert not ok and f"record #{later.seq - 1} does not match its seal" in text
    assert (
        f"record #{later.seq} is sealed with key {new}, but the trail's key at that point is y"
        in trail_verify().problems[1]
    )


def test_the_rotate_command_names_a_key_given_in_the_environment(settings):
    settings.AUDIT_KEYS = f"first:{'11' * 32},second:{'22' * 32}"
    keys._cache.clear()
    records(1)
    assert AuditRecord.objects.get(seq=1).key_id == "second"  # the newest key starts the trail
    with pytest.raises(CommandError, match="RECTIFY_AUDIT_KEYS"):
        call_command("audit_rotate_key", stdout=io.StringIO())
    settings.AUDIT_KEYS += f",third:{'33' * 32}"
    out = io.StringIO()
    call_command("audit_rotate_key", "--to", "third", stdout=out)
    assert "second → third" in out.getvalue()
    with pytest.raises(CommandError, match="never taken back"):
        call_command("audit_rotate_key", "--to", "second", stdout=io.StringIO())
    records(1)
    assert trail_verify().keys == ["second", "third"]
    assert verify_command()[0] == 0


def legacy_trail(n: int) -> None:
    """Records written by the code before the trail was keyed: plain SHA-256, no key id."""
    from django.utils import timezone

    prev = "0" * 64
    for seq in range(1, n + 1):
        rec = AuditRecord(seq=seq, at=timezone.now(), actor_label="system", action="old.thing", changes={"n": seq})
        rec.prev_hash, rec.key_id = prev, ""
        rec.hash = legacy_digest(record_row(rec), prev)
        rec.save()
        prev = rec.hash
    AuditHead.objects.update_or_create(pk=1, defaults={"last_seq": n, "last_hash": prev, "key_id": ""})


def test_an_unkeyed_trail_is_upgraded_honestly_at_the_next_record():
    legacy_trail(4)
    assert audit_verify()[0]
    rec = records(1)[0]
    start = AuditRecord.objects.get(seq=5)
    assert start.action == KEY_START and start.changes["unkeyed_records"] == 4
    assert start.changes["unkeyed_head"] == AuditRecord.objects.get(seq=4).hash
    assert rec.seq == 6
    report = trail_verify()
    assert report.ok and report.unkeyed == 4 and "4 from before the trail was keyed" in report.summary()
    AuditRecord.objects.filter(seq=2).update(actor_label="forged")
    ok, text = audit_verify()
    assert not ok and "record #2 was altered (its plain SHA-256 does not match)" in text


def test_the_anchor_command_upgrades_an_unkeyed_trail_first():
    legacy_trail(2)
    out = io.StringIO()
    call_command("audit_anchor", stdout=out)
    assert "Anchor #1: record #3" in out.getvalue()
    assert AuditRecord.objects.get(seq=3).action == KEY_START
    assert verify_command()[0] == 0


def test_an_anonymous_daily_total_verifies():
    # Its time is the local midnight of the day; the unkeyed code hashed that zone and could not verify it.
    audit_record(actor=None, action="opinion.daily_total", anonymous_day=date(2026, 11, 28), changes={"n": 3})
    assert audit_verify()[0]


def test_the_verifier_lists_every_problem_with_its_record():
    records(6)
    for seq in (3, 5):
        AuditRecord.objects.filter(seq=seq).update(object_repr="changed")
    report = trail_verify()
    assert report.problem_count == 2
    assert [p.split(" does not")[0] for p in report.problems] == ["record #3", "record #5"]


AWKWARD = ['引号"与\\反斜杠', "换行\n制表\t回车\r", "\x01\x1f控制", "\u2028\u2029 emoji 🚩", "", "null", "]", "plain"]


def test_the_write_path_and_the_verifier_build_the_same_bytes_for_awkward_records(cast):
    for i, text in enumerate(AWKWARD):
        audit_record(
            actor=cast.user("office") if i % 2 else None,
            action=f"test.{i}",
            obj=cast.dept_a if i % 3 == 0 else None,
            object_repr=text,
            changes={"text": [text, text[::-1]], "n": i, "f": i / 3, "nested": {"b": [True, None], "a": text}},
        )
    for rec in AuditRecord.objects.all():
        from audit.chain import message_as_json_array

        assert message(record_row(rec)) == message_as_json_array(record_row(rec))
    report = trail_verify()
    assert report.ok, report.problems


def test_the_verifier_reads_every_ascii_character_and_both_time_shapes_as_the_writer_sealed_them(cast):
    """The verifier reads the plain columns with the time written by the database (audit.verify._AT_SQL)
    and writes the start of each record's sealed bytes itself: every character of every text field must
    come through as the writer sealed it, and the time with and without microseconds."""
    from datetime import UTC, datetime

    every = "".join(
        chr(c) for c in range(1, 128)
    )  # NUL: PostgreSQL keeps none in text + "\u00a0\u2028\u3000字🚩\ufeff"
    for i in range(4):
        rec = audit_record(
            actor=cast.user("office"), action=f"t.{every[i * 32 : (i + 1) * 32]}"[:60], object_repr=every[i::2],
            changes={"all": every},
        )  # fmt: skip
        AuditRecord.objects.filter(pk=rec.pk).update(actor_label=every[::-1][:100])
        rec.refresh_from_db()
        rec.at = datetime(2026, 9, 1, 8, 0, i, 0 if i % 2 else 123, tzinfo=UTC)
        rec.object_id = every[i * 10 : i * 10 + 60]
        rec.object_type = every[64:124]
        prev = AuditRecord.objects.filter(seq=rec.seq - 1).values_list("hash", flat=True).get()
        rec.prev_hash = prev
        rec.hash = seal_record(rec, keyring().secret(rec.key_id))
        AuditRecord.objects.filter(pk=rec.pk).update(
            at=rec.at, actor_label=rec.actor_label, object_id=rec.object_id, object_type=rec.object_type, hash=rec.hash
        )
        AuditHead.objects.filter(pk=1).update(last_hash=rec.hash)
    report = trail_verify()
    assert report.ok, report.problems
    AuditRecord.objects.filter(seq=rec.seq).update(object_repr=every[1::2] + "x")
    assert not trail_verify().ok


def resealed_as_written(rec: AuditRecord, **fields) -> None:
    """Give the last record these field values and seal it as the writer would have (with the key)."""
    rec.refresh_from_db()
    for name, value in fields.items():
        setattr(rec, name, value)
    rec.hash = seal_record(rec, keyring().secret(rec.key_id))
    AuditRecord.objects.filter(pk=rec.pk).update(hash=rec.hash, **fields)
    AuditHead.objects.filter(pk=1).update(last_hash=rec.hash)


# A string as sealed, and the same string rewritten into the JSON escapes its sealed bytes hold: between
# plain quotes the forgery gives exactly the sealed bytes of the original.
ESCAPES_WRITTEN_OUT = [
    ('say "hi"', 'say \\"hi\\"'),
    ("two\nlines", "two\\nlines"),
    ("\x01", "\\u0001"),
    ("a\\b", "a\\\\b"),
]


@pytest.mark.parametrize("field", ["actor_label", "action", "object_type", "object_id", "object_repr"])
@pytest.mark.parametrize("sealed, forged", ESCAPES_WRITTEN_OUT)
def test_it_names_a_string_rewritten_into_the_escapes_of_its_sealed_bytes(field, sealed, forged):
    records(2)
    rec = audit_record(actor=None, action="test.x", object_repr="plain")
    resealed_as_written(rec, **{field: sealed})
    assert trail_verify().ok
    AuditRecord.objects.filter(pk=rec.pk).update(**{field: forged})
    report = trail_verify()
    assert report.problem_count == 1
    assert report.problems[0].startswith(f"record #{rec.seq} does not match its seal under key {rec.key_id}")
