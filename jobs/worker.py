"""django-tasks-db's worker with what several machines need: a heartbeat that renews the lease on the
running task, taking back tasks of dead workers, and retries with backoff on a busy database.

Claiming is django-tasks-db's own: SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL (an exclusive
transaction on SQLite), then the row is marked RUNNING in the same transaction, so each task is taken by
one worker however many poll the table (jobs/tests/test_postgres_workers.py runs two to show it).
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker

from .models import Heartbeat
from .services import heartbeat_beat, heartbeat_end, is_transient, task_retry_or_fail, tasks_reclaim

log = logging.getLogger(__name__)


class LeasedWorker(Worker):
    def run(self) -> None:
        self.started_at = timezone.now()
        self._last_reclaim = 0.0
        self._stop_beating = threading.Event()
        heartbeat_beat(name=self.worker_id, role=Heartbeat.Role.WORKER, started_at=self.started_at)
        beater = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        beater.start()
        try:
            super().run()
        finally:
            self._stop_beating.set()
            try:
                heartbeat_end(name=self.worker_id)
            except Exception:  # noqa: BLE001 (the database may be gone; the lease then simply expires)
                log.warning("could not remove the heartbeat of %s", self.worker_id)

    def _beat(self) -> None:
        """A thread of its own (with its own database connection), so a long task keeps its lease."""
        while not self._stop_beating.wait(settings.JOBS_HEARTBEAT_SECONDS):
            try:
                heartbeat_beat(name=self.worker_id, role=Heartbeat.Role.WORKER, started_at=self.started_at)
                if time.monotonic() - self._last_reclaim >= settings.JOBS_HEARTBEAT_SECONDS:
                    self._last_reclaim = time.monotonic()
                    tasks_reclaim()
            except Exception:  # noqa: BLE001 (a busy database: try again at the next beat)
                log.warning("heartbeat of %s failed", self.worker_id, exc_info=True)
            finally:
                connection.close()

    def run_task(self, db_task_result) -> None:
        """As django-tasks-db's, except that a transient database error queues the task again."""
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            db_task_result.set_successful(value)
            task_finished.send(sender=backend_type, task_result=db_task_result.task_result)
        except Exception as e:
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()  # a dropped connection: the bookkeeping reconnects
            if is_transient(e):
                task_retry_or_fail(db_task_result, reason=f"{type(e).__name__}: {e}"[:500], exc=e)
            else:
                db_task_result.set_failed(e)
                hooks_given_up(db_task_result, e)
            log.warning("task %s failed: %s", db_task_result.id, e)
        except BaseException as e:  # SystemExit on a second Ctrl-C: record it, as the original does
            db_task_result.set_failed(e)
            raise
        finally:
            self.running_task = False
            self._run_tasks += 1


def hooks_given_up(db_task_result, exc: BaseException) -> None:
    """A task that failed for good: its own rows are marked failed too (most tasks do this themselves)."""
    from .hooks import hooks_for

    hooks = hooks_for(db_task_result.task_path)
    if hooks.given_up:
        hooks.given_up((db_task_result.args_kwargs or {}).get("kwargs", {}), f"{type(exc).__name__}: {exc}"[:500])
