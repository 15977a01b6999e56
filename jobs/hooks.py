"""What a task's own rows need when the worker retries it or gives up on it.

A task that keeps a status on a domain row (a report run at "running 35%") registers two callbacks next
to its definition, so that a retry puts the row back to queued and a final failure marks it failed:

    register_task_hooks(report_run_task, requeued=lambda kwargs, reason: ..., given_up=lambda kwargs, reason: ...)

The callbacks get the task's keyword arguments and a short reason, run in the worker (or scheduler),
and must be idempotent.
"""

from collections.abc import Callable
from dataclasses import dataclass

Hook = Callable[[dict, str], None]


@dataclass
class TaskHooks:
    requeued: Hook | None = None
    given_up: Hook | None = None


_hooks: dict[str, TaskHooks] = {}


def register_task_hooks(task, *, requeued: Hook | None = None, given_up: Hook | None = None) -> None:
    _hooks[task.module_path] = TaskHooks(requeued=requeued, given_up=given_up)


def hooks_for(task_path: str) -> TaskHooks:
    if task_path not in _hooks:
        # The hooks are registered when the task's module is imported; import it now.
        from django.utils.module_loading import import_string

        try:
            import_string(task_path)
        except ImportError:
            pass
    return _hooks.get(task_path, TaskHooks())
