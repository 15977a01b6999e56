import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditRecord
from core.exceptions import ServiceError
from disclosure.models import ImmutableError, Snapshot
from disclosure.services import snapshot_take
from disclosure.tasks import take_monthly_snapshots

from .conftest import days_ago

pytestmark = pytest.mark.django_db


def test_it_freezes_what_was_published(cast, published_world, client):
    w = published_world
    snap = snapshot_take(actor=cast.user("office"), campaign=w.campaign)
    assert AuditRecord.objects.filter(action="snapshot.take", object_id=str(snap.pk)).exists()
    # the problem is reworded and its measure finished afterwards: the snapshot still shows the promise
    w.p1.description = "改写后的问题描述"
    w.p1.save(update_fields=["description"])
    w.m1a.status, w.m1a.percent, w.m1a.verified_at = "verified", 100, timezone.now()
    w.m1a.save(update_fields=["status", "percent", "verified_at"])
    url = reverse("disclosure_public:snapshot", args=[cast.college.public_code, snap.code])
    body = client.get(url).content.decode()
    assert "排课系统长期不更新" in body and "改写后的问题描述" not in body
    snap.refresh_from_db()
    assert snap.is_intact()


def test_it_never_changes_a_snapshot(cast, published_world):
    snap = snapshot_take(actor=cast.user("office"), campaign=published_world.campaign)
    snap.data["summary"]["problems"] = 99
    with pytest.raises(ImmutableError):
        snap.save()
    with pytest.raises(ImmutableError):
        Snapshot.objects.filter(pk=snap.pk).update(data={})
    with pytest.raises(ImmutableError):
        Snapshot.objects.filter(pk=snap.pk).delete()
    with pytest.raises(ImmutableError):
        snap.delete()
    fresh = Snapshot.objects.get(pk=snap.pk)
    assert fresh.data["summary"]["problems"] == 3 and fresh.is_intact()


def test_it_dates_a_snapshot_explicitly_and_computes_statuses_as_of_then(cast, published_world):
    snap = snapshot_take(actor=cast.user("office"), campaign=published_world.campaign, taken_on=days_ago(30))
    assert snap.taken_on == days_ago(30)
    assert snap.data["as_of"] == days_ago(30).isoformat()
    assert snap.data["summary"]["overdue"] == 0  # m2a was not overdue yet a month ago


def test_it_refuses_a_snapshot_with_nothing_published(cast, world):
    with pytest.raises(ServiceError):
        snapshot_take(actor=cast.user("office"), campaign=world.campaign)


def test_it_takes_one_monthly_snapshot_per_month(cast, published_world):
    assert take_monthly_snapshots.call() == 1
    assert take_monthly_snapshots.call() == 0
    assert Snapshot.objects.filter(kind="monthly").count() == 1


def test_it_registers_its_periodic_tasks():
    from core.registry import periodic_tasks

    names = {p.name for p in periodic_tasks()}
    assert {"disclosure.monthly_snapshots", "disclosure.refresh_public_statuses"} <= names


def test_it_compares_a_snapshot_with_now(cast, published_world, client):
    w = published_world
    snap = snapshot_take(actor=cast.user("office"), campaign=w.campaign)
    w.m1a.status, w.m1a.percent, w.m1a.verified_at = "verified", 100, timezone.now()
    w.m1a.save(update_fields=["status", "percent", "verified_at"])
    r = client.get(reverse("disclosure_public:compare", args=[cast.college.public_code, snap.code]))
    assert r.status_code == 200
    rows = {row["code"]: row for row in r.context["rows"]}
    from disclosure.models import Publication

    row = rows[Publication.objects.get(problem=w.p1).code]
    assert row["then"]["status"] == "in_progress" and row["now"]["status"] == "completed" and row["changed"]
    assert r.context["then"]["measures_completed"] == 1 and r.context["now"]["measures_completed"] == 2


def test_it_lets_the_office_take_a_snapshot_from_the_page(cast, published_world, client_for, client):
    url = reverse("disclosure:snapshot_create", args=[published_world.campaign.pk])
    assert client_for(cast.user("principal")).post(url).status_code == 403
    r = client_for(cast.user("office")).post(url, {"taken_on": ""})
    assert r.status_code == 302 and Snapshot.objects.count() == 1


def test_it_refuses_a_rewrite_even_in_raw_sql(cast, published_world):
    from django.db import DatabaseError, connection, transaction

    snap = snapshot_take(actor=cast.user("office"), campaign=published_world.campaign)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE disclosure_snapshot SET digest = 'x' WHERE id = %s", [snap.pk])
    assert Snapshot.objects.get(pk=snap.pk).is_intact()
