"""Leases, retries and periodic runs of the background machinery (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from analysis.models import JobStatus, ReportRun
from core.registry import _periodic, register_periodic
from jobs.models import Heartbeat, PeriodicRun
from jobs.services import heartbeat_beat, periodic_enqueue_due, tasks_reclaim
from jobs.tests import probe_tasks
from jobs.worker import LeasedWorker

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _worker(worker_id="w-test"):
    return LeasedWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def _claim_and_run(worker_id="w-test"):
    """What the worker loop does for one task: claim the next ready one and run it."""
    result = DBTaskResult.objects.ready().get_locked()
    if result is None:
        return None
    result.claim(worker_id)
    _worker(worker_id).run_task(result)
    result.refresh_from_db()
    return result


@pytest.fixture
def db_tasks(db):
    probe_tasks.CALLS.clear()
    probe_tasks.EVENTS.clear()
    with override_settings(TASKS=DB_TASKS, JOBS_RETRY_BACKOFF_SECONDS=5, JOBS_MAX_ATTEMPTS=3):
        yield


def test_it_retries_a_task_that_hit_database_is_locked_after_a_backoff(db_tasks):
    probe_tasks.locked_once.enqueue(key="a")
    first = _claim_and_run()
    assert first.status == "READY"  # queued again, not failed
    wait = (first.run_after - timezone.now()).total_seconds()
    assert 3 < wait <= 5
    assert _claim_and_run() is None  # not before its backoff
    with time_machine.travel(timezone.now() + timedelta(seconds=6), tick=False):
        second = _claim_and_run()
    assert second.status == "SUCCESSFUL" and second.return_value == "done"
    assert len(second.worker_ids) == 2


def test_it_backs_off_longer_each_time_and_gives_up_after_the_last_attempt(db_tasks):
    probe_tasks.always_locked.enqueue(key="b")
    waits = []
    now = timezone.now()
    for _attempt in range(3):
        with time_machine.travel(now, tick=False):
            result = _claim_and_run()
        if result.status == "READY":
            waits.append((result.run_after - now).total_seconds())
            now = result.run_after + timedelta(seconds=1)
    assert waits == [5, 10]
    assert result.status == "FAILED" and "database is locked" in result.traceback
    assert probe_tasks.EVENTS == [("requeued", "b"), ("requeued", "b"), ("given_up", "b")]


def test_it_does_not_retry_a_bug_and_tells_the_task_it_failed(db_tasks):
    probe_tasks.broken.enqueue(key="c")
    result = _claim_and_run()
    assert result.status == "FAILED" and len(result.worker_ids) == 1
    assert probe_tasks.EVENTS == [("given_up", "c")]


def _running_report(cast, worker_id):
    from analysis.services import report_create, report_generate

    office = cast.user("office")
    from campaigns.models import Campaign

    report = report_create(actor=office, unit=cast.college, campaign=Campaign.objects.first())
    run = report_generate(actor=office, report=report)
    task = DBTaskResult.objects.get(args_kwargs__kwargs__run_id=run.pk)
    task.claim(worker_id)
    ReportRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, progress=35, step="图表")
    return report, run, task


def test_it_takes_back_a_report_whose_worker_died_and_fails_it_after_the_last_attempt(db_tasks, cast, campaign):
    from analysis.services import report_generate
    from core.exceptions import Conflict

    report, run, task = _running_report(cast, "dead-worker")
    heartbeat_beat(name="dead-worker", role=Heartbeat.Role.WORKER, started_at=timezone.now())
    # Within its lease: left alone, and a second generation is refused.
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        assert tasks_reclaim() == 0
    with pytest.raises(Conflict):
        report_generate(actor=cast.user("office"), report=report)
    # The worker was killed: no heartbeat for longer than the lease. The task is queued again with
    # a backoff and the page shows the report waiting, not "running 35%".
    later = timezone.now() + timedelta(seconds=120)
    with time_machine.travel(later, tick=False):
        assert tasks_reclaim() == 1
    task.refresh_from_db()
    run.refresh_from_db()
    assert task.status == "READY" and task.run_after > later
    assert (run.status, run.progress) == (JobStatus.QUEUED, 0) and "dead-worker" in run.error
    # Each later attempt dies the same way: after the last one the run is failed …
    for attempt in (2, 3):
        DBTaskResult.objects.filter(pk=task.pk).update(status="READY", run_after=later)
        result = DBTaskResult.objects.get(pk=task.pk)
        result.claim(f"dead-{attempt}")
        later += timedelta(seconds=120)
        with time_machine.travel(later, tick=False):
            tasks_reclaim()
    task.refresh_from_db()
    run.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path == "jobs.LeaseExpired"
    assert run.status == JobStatus.FAILED and run.finished_at
    # … and the office may ask for a new one.
    again = report_generate(actor=cast.user("office"), report=report)
    assert again.status == JobStatus.QUEUED and again.pk != run.pk


def test_it_leaves_a_long_task_alone_while_its_worker_is_alive(db_tasks, cast, campaign):
    _report, run, task = _running_report(cast, "busy-worker")
    later = timezone.now() + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        heartbeat_beat(name="busy-worker", role=Heartbeat.Role.WORKER, started_at=timezone.now())
        assert tasks_reclaim() == 0
    task.refresh_from_db()
    assert task.status == "RUNNING"


@pytest.fixture
def hourly(db):
    saved = dict(_periodic)
    _periodic.clear()
    register_periodic("probe", probe_tasks.tick, 3600)
    yield
    _periodic.clear()
    _periodic.update(saved)


def test_it_runs_a_periodic_job_once_per_period_however_many_schedulers(db_tasks, hourly):
    t0 = datetime(2026, 11, 29, 8, 0, 5, tzinfo=UTC)
    assert periodic_enqueue_due(now=t0, scheduler="s1") == ["probe"]
    assert periodic_enqueue_due(now=t0 + timedelta(minutes=1), scheduler="s2") == []
    assert periodic_enqueue_due(now=t0 + timedelta(minutes=59), scheduler="s1") == []
    assert periodic_enqueue_due(now=t0 + timedelta(hours=1), scheduler="s2") == ["probe"]
    assert list(PeriodicRun.objects.order_by("period_start").values_list("enqueued_by", flat=True)) == ["s1", "s2"]
    assert DBTaskResult.objects.filter(task_path__endswith="tick").count() == 2
