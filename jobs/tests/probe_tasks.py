"""Tasks used by the jobs tests only (importable by a worker started in a subprocess)."""

import os
import time

from django.db import OperationalError
from django_tasks import task

from jobs.hooks import register_task_hooks

CALLS: list[dict] = []
EVENTS: list[tuple] = []


@task()
def record(*, path: str, n: int, seconds: float = 0.0) -> int:
    """Append "n pid" to a file: how often, and by which process, each task ran."""
    time.sleep(seconds)
    with open(path, "a") as fh:
        fh.write(f"{n} {os.getpid()}\n")
    return n


@task()
def locked_once(*, key: str) -> str:
    """Fails with "database is locked" on its first attempt, as SQLite does during a backup."""
    CALLS.append({"key": key})
    if len(CALLS) == 1:
        raise OperationalError("database is locked")
    return "done"


@task()
def always_locked(*, key: str) -> str:
    raise OperationalError("database is locked")


@task()
def broken(*, key: str) -> str:
    raise ValueError("a bug, not worth a retry")


register_task_hooks(
    always_locked,
    requeued=lambda kwargs, reason: EVENTS.append(("requeued", kwargs["key"])),
    given_up=lambda kwargs, reason: EVENTS.append(("given_up", kwargs["key"])),
)
register_task_hooks(broken, given_up=lambda kwargs, reason: EVENTS.append(("given_up", kwargs["key"])))


@task()
def tick() -> str:
    """A periodic job: does nothing; the tests count its queued rows."""
    return "tick"
