"""`manage.py worker`: db_worker with heartbeat, leases and retries (jobs.worker). Same options."""

from django_tasks_db.management.commands import db_worker

from jobs.worker import LeasedWorker


class Command(db_worker.Command):
    help = "Run a background worker (db_worker with a heartbeat, leases on running tasks and retries)"

    def handle(self, **options):
        db_worker.Worker = LeasedWorker  # the base command builds its Worker from this module name
        return super().handle(**options)
