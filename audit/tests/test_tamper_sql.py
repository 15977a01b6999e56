"""Tampering behind the application's back (raw SQL) is detected by `manage.py audit_verify`."""

import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import AuditRecord
from audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db
TABLE = AuditRecord._meta.db_table


def five():
    """The key-start record (#1), then five records (#2–#6)."""
    for i in range(5):
        audit_record(actor=None, action=f"test.{i}", changes={"i": i})


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{T}", TABLE), params)


def verify_command() -> tuple[int, str]:
    import io

    err = io.StringIO()
    try:
        call_command("audit_verify", stdout=io.StringIO(), stderr=err)
    except SystemExit as e:
        return e.code, err.getvalue()
    return 0, err.getvalue()


def test_it_exits_zero_on_an_intact_chain():
    five()
    assert verify_command() == (0, "")
    assert AuditRecord.objects.get(seq=1).action == "audit.key_start"


def test_it_detects_an_edit_through_sql():
    five()
    sql("UPDATE {T} SET actor_label = %s WHERE seq = 3", ["someone else"])
    code, message = verify_command()
    assert code == 1 and "record #3 does not match its seal" in message and "altered" in message


def test_it_detects_a_delete_through_sql():
    five()
    sql("DELETE FROM {T} WHERE seq = 2")
    code, message = verify_command()
    assert code == 1 and "#2" in message


def test_it_detects_an_inserted_record_with_a_forged_hash():
    five()
    rec = AuditRecord.objects.get(seq=3)
    # Shift the later records up and slip a forged record in as #4.
    sql("UPDATE {T} SET seq = seq + 100 WHERE seq > 3")
    sql("UPDATE {T} SET seq = seq - 99 WHERE seq > 100")
    sql(
        "INSERT INTO {T} (seq, at, actor_label, action, object_type, object_id, object_repr, changes, prev_hash, "
        "hash, key_id) VALUES (4, %s, 'forger', 'test.forged', '', '', '', '{}', %s, %s, %s)",
        [rec.at, rec.hash, "f" * 64, rec.key_id],
    )
    ok, message = audit_verify()
    assert not ok and "#4" in message
    assert verify_command()[0] == 1


def test_it_detects_reordered_records_through_sql():
    five()
    sql("UPDATE {T} SET seq = -1 WHERE seq = 2")
    sql("UPDATE {T} SET seq = 2 WHERE seq = 4")
    sql("UPDATE {T} SET seq = 4 WHERE seq = -1")
    code, message = verify_command()
    assert code == 1 and "#2" in message


def test_it_detects_a_truncated_tail():
    five()
    sql("DELETE FROM {T} WHERE seq >= 5")
    code, message = verify_command()
    assert code == 1 and "ends at #4 but its head says #6" in message
