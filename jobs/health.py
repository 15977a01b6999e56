"""What /healthz checks: the database answers, a worker and a scheduler have been heard of within their
lease (when tasks go through the database queue), and the static files the pages need are collected."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import connection
from django.utils import timezone
from django_tasks import task_backends

from .models import Heartbeat

# Files every page links to: if they are missing, pages fail or look broken.
REQUIRED_STATIC = ("core/app.css", "core/app.js", "vendor/htmx.min.js", "vendor/pico.min.css")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _uses_worker() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as e:  # noqa: BLE001 (reported, not raised)
        return Check("database", False, type(e).__name__)
    return Check("database", True, connection.vendor)


def check_role(role: str, within_seconds: int) -> Check:
    if not _uses_worker():
        return Check(role, True, "not needed (tasks run immediately)")
    try:
        alive = Heartbeat.objects.filter(role=role, seen_at__gte=timezone.now() - timedelta(seconds=within_seconds))
        n = alive.count()
    except Exception as e:  # noqa: BLE001
        return Check(role, False, type(e).__name__)
    return Check(role, n > 0, f"{n} alive" if n else f"none heard of in {within_seconds} s")


def check_static() -> Check:
    missing = []
    for name in REQUIRED_STATIC:
        try:
            stored = (
                staticfiles_storage.stored_name(name) if isinstance(staticfiles_storage, ManifestFilesMixin) else name
            )
            if not staticfiles_storage.exists(stored):
                missing.append(name)
        except ValueError:  # not in the manifest: collectstatic was not run
            missing.append(name)
    if missing and not isinstance(staticfiles_storage, ManifestFilesMixin):
        from django.contrib.staticfiles import finders  # plain static files (tests): served from the apps

        missing = [name for name in missing if not finders.find(name)]
    return Check("static", not missing, "missing " + ", ".join(missing) if missing else "collected")


def checks() -> list[Check]:
    lease = settings.JOBS_LEASE_SECONDS
    return [
        check_database(),
        check_role(Heartbeat.Role.WORKER, lease),
        check_role(Heartbeat.Role.SCHEDULER, lease + 60),
        check_static(),
    ]
