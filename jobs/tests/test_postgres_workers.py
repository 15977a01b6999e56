"""Several workers and schedulers on one PostgreSQL database: each task taken once, each periodic job
run once per period, the cache's counters exact across processes."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from core.registry import _periodic, register_periodic
from jobs.models import PeriodicRun
from jobs.services import periodic_enqueue_due
from jobs.tests import probe_tasks
from jobs.tests.nodes import child_env, manage, stop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@override_settings(TASKS=DB_TASKS)
def test_it_gives_each_task_to_one_worker_of_two(tmp_path):
    log = tmp_path / "runs.txt"
    for n in range(40):
        probe_tasks.record.enqueue(path=str(log), n=n, seconds=0.05)
    env = child_env()
    workers = [
        manage("worker", "--batch", "--no-startup-delay", "--interval", "0", "--worker-id", f"w{i}", env=env)
        for i in (1, 2)
    ]
    try:
        for w in workers:
            w.wait(60)
    finally:
        stop(*workers)
    runs = [line.split() for line in log.read_text().splitlines()]
    per_task = Counter(n for n, _pid in runs)
    assert sorted(per_task) == sorted(str(n) for n in range(40))
    assert set(per_task.values()) == {1}, "a task ran twice"
    assert len({pid for _n, pid in runs}) == 2, "both workers should have taken tasks"
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 40
    assert {tuple(r.worker_ids) for r in DBTaskResult.objects.all()} == {("w1",), ("w2",)}


@override_settings(TASKS=DB_TASKS)
def test_it_enqueues_a_periodic_job_once_when_eight_schedulers_race():
    saved = dict(_periodic)
    _periodic.clear()
    register_periodic("probe", probe_tasks.tick, 3600)
    barrier = threading.Barrier(8)
    results = []

    def scheduler(i):
        try:
            barrier.wait()
            results.append(periodic_enqueue_due(scheduler=f"s{i}"))
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=scheduler, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        _periodic.clear()
        _periodic.update(saved)
    assert sorted(results) == [[]] * 7 + [["probe"]]
    assert PeriodicRun.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="tick").count() == 1
