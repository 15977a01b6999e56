"""Enqueue registered periodic tasks (reminders, warnings, snapshots) for the db_worker."""

import time

from django.core.management.base import BaseCommand

from core.registry import periodic_tasks


class Command(BaseCommand):
    help = "Enqueue periodic tasks on their intervals (runs until stopped; --once for a single pass)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, once=False, **options):
        last_run: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for p in periodic_tasks():
                if now - last_run.get(p.name, -1e9) >= p.every_seconds:
                    p.task.enqueue()
                    last_run[p.name] = now
            if once:
                return
            time.sleep(30)
