"""/healthz: database, worker heartbeat, scheduler and static files, failing when any is wrong."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from jobs.models import Heartbeat
from jobs.services import heartbeat_beat

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _lines(response) -> dict:
    return {line.split()[0]: line for line in response.content.decode().splitlines()}


@pytest.mark.django_db
def test_it_answers_the_health_check_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert set(_lines(response)) == {"database", "worker", "scheduler", "static"}


@pytest.mark.django_db
@override_settings(TASKS=DB_TASKS)
def test_it_fails_without_a_live_worker_and_scheduler(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    lines = _lines(response)
    assert "FAIL" in lines["worker"] and "FAIL" in lines["scheduler"] and "ok" in lines["database"]
    now = timezone.now()
    heartbeat_beat(name="w1", role=Heartbeat.Role.WORKER, started_at=now)
    heartbeat_beat(name="s1", role=Heartbeat.Role.SCHEDULER, started_at=now)
    assert client.get(reverse("healthz")).status_code == 200
    # The worker stops beating: past its lease the check fails again.
    Heartbeat.objects.filter(name="w1").update(seen_at=now - timedelta(minutes=5))
    response = client.get(reverse("healthz"))
    assert response.status_code == 503 and "FAIL" in _lines(response)["worker"]


@pytest.mark.django_db
def test_it_fails_when_static_files_were_not_collected(client, tmp_path, settings):
    settings.STATIC_ROOT = tmp_path  # an empty folder, as after a restore without collectstatic
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = client.get(reverse("healthz"))
    assert response.status_code == 503 and "FAIL missing core/app.css" in _lines(response)["static"]


@pytest.mark.django_db
def test_it_fails_when_the_database_does_not_answer(client, monkeypatch):
    from jobs import health

    def broken(*args, **kwargs):
        raise health.connection.OperationalError("server closed the connection")

    monkeypatch.setattr(health.connection, "cursor", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503 and "FAIL" in _lines(response)["database"]
