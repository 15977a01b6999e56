"""Concurrent writers on PostgreSQL serialise through AuditHead (SELECT … FOR UPDATE): the chain stays linear."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from audit.models import AuditRecord
from audit.services import audit_record, audit_verify


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_chain_linear_under_concurrent_writers():
    audit_record(actor=None, action="test.start")  # the head row exists before the race
    threads, errors = 6, []
    per_thread = 15
    barrier = threading.Barrier(threads)

    def writer(n: int):
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit_record(actor=None, action="test.race", changes={"thread": n, "i": i})
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    close_old_connections()
    assert errors == []
    total = 2 + threads * per_thread  # the key-start record, the first record, the race
    assert sorted(AuditRecord.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    ok, message = audit_verify()
    assert ok, message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_records_at_once_make_one_chain():
    """No head yet (a new installation): the first writer creates it and has not committed when the second
    arrives; the second waits for it on the head's key and appends after it. One key-start record, one
    linear chain, both records in it."""
    from audit.chain import KEY_START
    from audit.models import AuditHead

    assert not AuditHead.objects.exists()
    created, errors = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.first")
                created.set()
                threading.Event().wait(0.5)  # the second writer arrives while this one holds the new head
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            created.set()
            connection.close()

    def second():
        try:
            created.wait(10)
            with transaction.atomic():
                audit_record(actor=None, action="test.second")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    workers = [threading.Thread(target=first), threading.Thread(target=second)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    close_old_connections()
    assert errors == []
    assert list(AuditRecord.objects.order_by("seq").values_list("seq", "action")) == [
        (1, KEY_START),
        (2, "test.first"),
        (3, "test.second"),
    ]
    assert AuditHead.objects.count() == 1
    ok, message = audit_verify()
    assert ok, message
