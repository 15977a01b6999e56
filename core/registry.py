"""Small registries that later apps fill in from AppConfig.ready(), so no import runs upward.

Task providers feed the home page's "my tasks": fn(user) -> list[TaskItem].
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass
class TaskItem:
    label: str  # already translated, e.g. "3 份自查报告待您审定"
    url: str
    count: int = 1
    urgent: bool = False
    due: date | None = None  # the deadline the user works to (stage due date, measure deadline, meeting day)


_task_providers: list[Callable] = []


def register_task_provider(fn: Callable) -> Callable:
    if fn not in _task_providers:
        _task_providers.append(fn)
    return fn


def tasks_for(user) -> list[TaskItem]:
    items: list[TaskItem] = []
    for provider in _task_providers:
        items.extend(provider(user))
    return sorted(items, key=lambda t: (not t.urgent, t.due is None, t.due or date.max, t.label))


# Periodic work: the `scheduler` command (started by `make run`) enqueues each registered
# django-tasks task every `every_seconds`; the db_worker runs it. Tests call tasks directly.
@dataclass
class Periodic:
    name: str
    task: object  # a django_tasks Task
    every_seconds: int


_periodic: dict[str, Periodic] = {}


def register_periodic(name: str, task, every_seconds: int) -> None:
    _periodic[name] = Periodic(name, task, every_seconds)


def periodic_tasks() -> list[Periodic]:
    return list(_periodic.values())
