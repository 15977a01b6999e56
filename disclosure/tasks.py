"""Periodic work of the disclosure portal (registered in apps.py, run by the scheduler and db_worker)."""

from django_tasks import task

from .models import Snapshot
from .services import monthly_snapshots_due, publications_refresh, snapshot_take


@task()
def refresh_public_statuses() -> int:
    """Announce status changes of published items on the timeline and to their followers."""
    return publications_refresh(actor=None)


@task()
def take_monthly_snapshots() -> int:
    """One snapshot per active campaign with published items per calendar month."""
    campaigns = monthly_snapshots_due()
    for campaign in campaigns:
        snapshot_take(actor=None, campaign=campaign, kind=Snapshot.Kind.MONTHLY)
    return len(campaigns)
