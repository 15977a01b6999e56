"""`manage.py scheduler`: enqueue registered periodic tasks once per period, however many schedulers
run (one row per job and period, see jobs.services.periodic_enqueue_due). Also takes back tasks of dead
workers, so leases expire even when every worker is gone."""

import time
import uuid

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from jobs.models import Heartbeat
from jobs.services import heartbeat_beat, heartbeat_end, periodic_enqueue_due, periodic_runs_prune, tasks_reclaim

TICK_SECONDS = 30


class Command(BaseCommand):
    help = "Enqueue periodic tasks once per period (runs until stopped; --once for a single pass)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--tick", type=float, default=TICK_SECONDS, help="seconds between passes")

    def handle(self, *args, once=False, tick=TICK_SECONDS, **options):
        name = f"scheduler-{uuid.uuid4().hex[:16]}"
        started = timezone.now()
        try:
            while True:
                try:
                    heartbeat_beat(name=name, role=Heartbeat.Role.SCHEDULER, started_at=started)
                    for job in periodic_enqueue_due(scheduler=name):
                        self.stdout.write(f"enqueued {job}")
                    tasks_reclaim()
                    periodic_runs_prune()
                except Exception as e:  # noqa: BLE001 (a busy or restarting database: try at the next tick)
                    self.stderr.write(f"scheduler pass failed: {e}")
                    connection.close()
                if once:
                    return
                time.sleep(tick)
        finally:
            try:
                heartbeat_end(name=name)
            except Exception:  # noqa: BLE001
                pass
