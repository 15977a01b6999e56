"""Writes of the background machinery: heartbeats, taking back tasks of dead workers, retries with
backoff, and periodic jobs enqueued once per period.

These are rows about processes, not about the campaign: they carry no audit record (a heartbeat every
ten seconds would drown the trail). A task given up on is logged, and its own rows are marked failed
through its hooks (jobs.hooks).
"""

import logging
import os
import socket
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.registry import periodic_tasks

from .hooks import hooks_for
from .models import Heartbeat, PeriodicRun

log = logging.getLogger(__name__)

LEASE_EXPIRED = "jobs.LeaseExpired"


def heartbeat_beat(*, name: str, role: str, started_at: datetime) -> None:
    """Say that this process is alive (and so renew the lease on the task it runs)."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(
        name=name,
        defaults={"role": role, "hostname": socket.gethostname()[:200], "pid": os.getpid(), "seen_at": now},
        create_defaults={
            "role": role,
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "seen_at": now,
            "started_at": started_at,
        },
    )


def heartbeat_end(*, name: str) -> None:
    Heartbeat.objects.filter(name=name).delete()


def is_transient(exc: BaseException) -> bool:
    """Errors worth another attempt later: a busy or locked database, a dropped connection,
    a serialization failure or deadlock on PostgreSQL (all OperationalError in Django)."""
    return isinstance(exc, OperationalError | InterfaceError)


def retry_delay(attempt: int) -> float:
    """Seconds to wait before attempt `attempt + 1`: the backoff doubles each time, at most an hour."""
    return min(settings.JOBS_RETRY_BACKOFF_SECONDS * 2 ** max(attempt - 1, 0), 3600)


def task_retry_or_fail(result: DBTaskResult, *, reason: str, exc: BaseException | None = None) -> bool:
    """After a failed attempt (or a lost worker): queue the task again after a backoff, or, once it has
    had JOBS_MAX_ATTEMPTS, mark it failed. Returns True when it was queued again."""
    attempts = len(result.worker_ids or [])
    hooks = hooks_for(result.task_path)
    kwargs = (result.args_kwargs or {}).get("kwargs", {})
    if attempts < settings.JOBS_MAX_ATTEMPTS:
        run_after = timezone.now() + timedelta(seconds=retry_delay(attempts))
        DBTaskResult.objects.filter(pk=result.pk).update(status="READY", run_after=run_after, started_at=None)
        log.warning(
            "task %s (%s) attempt %s: %s; retried after %s",
            result.pk,
            result.task_path,
            attempts,
            reason,
            run_after.isoformat(),
        )
        if hooks.requeued:
            hooks.requeued(kwargs, reason)
        return True
    if exc is not None:
        result.set_failed(exc)
    else:
        DBTaskResult.objects.filter(pk=result.pk).update(
            status="FAILED", finished_at=timezone.now(), exception_class_path=LEASE_EXPIRED, traceback=reason
        )
    log.error("task %s (%s) given up after %s attempts: %s", result.pk, result.task_path, attempts, reason)
    if hooks.given_up:
        hooks.given_up(kwargs, reason)
    return False


def tasks_reclaim(*, now: datetime | None = None) -> int:
    """Take back running tasks whose worker stopped renewing its lease (killed, machine lost): each is
    retried after a backoff, or failed after JOBS_MAX_ATTEMPTS. Safe to run in every worker at once:
    rows are taken with SKIP LOCKED. Returns how many were taken back."""
    now = now or timezone.now()
    expired_before = now - timedelta(seconds=settings.JOBS_LEASE_SECONDS)
    alive = set(
        Heartbeat.objects.filter(role=Heartbeat.Role.WORKER, seen_at__gte=expired_before).values_list("name", flat=True)
    )
    taken = 0
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status="RUNNING", started_at__lt=expired_before
        )
        for result in running:
            worker = (result.worker_ids or ["?"])[-1]
            if worker in alive:
                continue
            task_retry_or_fail(
                result, reason=f"worker {worker} stopped (no heartbeat for {settings.JOBS_LEASE_SECONDS} s)"
            )
            taken += 1
    # Processes killed without a chance to say goodbye: forget them after a day.
    Heartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return taken


def periodic_enqueue_due(*, now: datetime | None = None, scheduler: str = "") -> list[str]:
    """Enqueue each registered periodic job whose current period has no run yet. Periods are aligned on
    the epoch (every_seconds), so every scheduler on every machine computes the same period; the unique
    (name, period) row lets exactly one of them enqueue it. Returns the names enqueued here."""
    now = now or timezone.now()
    enqueued = []
    for periodic in periodic_tasks():
        start = int(now.timestamp()) // periodic.every_seconds * periodic.every_seconds
        period_start = datetime.fromtimestamp(start, tz=UTC)
        if PeriodicRun.objects.filter(name=periodic.name, period_start=period_start).exists():
            continue
        try:
            with transaction.atomic():
                run = PeriodicRun.objects.create(
                    name=periodic.name, period_start=period_start, enqueued_by=scheduler[:64]
                )
                result = periodic.task.enqueue()
                run.task_id = str(result.id)[:64]
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another scheduler took this period
        enqueued.append(periodic.name)
    return enqueued


def periodic_runs_prune(*, older_than_days: int = 30) -> int:
    return PeriodicRun.objects.filter(period_start__lt=timezone.now() - timedelta(days=older_than_days)).delete()[0]
