"""Background work on one or many machines: who is alive (heartbeats) and which periodic jobs ran.

The queue itself is django-tasks-db's table (DBTaskResult); these two tables are what it lacks for more
than one worker or scheduler: a lease that a dead worker stops renewing, and a run row per period so
that a periodic job runs once however many schedulers are started.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Heartbeat(models.Model):
    """One running worker or scheduler process; `seen_at` is renewed every JOBS_HEARTBEAT_SECONDS."""

    class Role(models.TextChoices):
        WORKER = "worker", pgettext_lazy("background process", "Worker")
        SCHEDULER = "scheduler", pgettext_lazy("background process", "Scheduler")

    role = models.CharField(pgettext_lazy("background process", "role"), max_length=10, choices=Role.choices)
    name = models.CharField(pgettext_lazy("background process", "name"), max_length=64, unique=True)  # the worker id
    hostname = models.CharField(pgettext_lazy("background process", "host"), max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["role", "hostname", "pid"]
        verbose_name = _("process heartbeat")
        verbose_name_plural = _("process heartbeats")

    def __str__(self) -> str:
        return f"{self.role} {self.name} ({self.hostname}:{self.pid})"


class PeriodicRun(models.Model):
    """A periodic job enqueued for one period. The unique pair is what makes it run once."""

    name = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_by = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-period_start", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "period_start"], name="periodic_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.period_start:%Y-%m-%d %H:%M}"
