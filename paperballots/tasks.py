"""Background work: reading an uploaded batch (a long PDF takes a while), and the hourly purge of
kept images of rounds that have closed."""

import logging
import traceback

from django_tasks import task

from jobs.hooks import register_task_hooks

log = logging.getLogger(__name__)


@task()
def scan_read_task(*, batch_id: int) -> None:
    from . import services

    try:
        services.scan_read(batch_id=batch_id)
    except Exception:
        log.exception("scan batch %s could not be read", batch_id)
        services.scan_failed(batch_id=batch_id, reason=traceback.format_exc()[-2000:])
        raise


@task()
def images_purge_task() -> int:
    from .services import images_purge

    return images_purge()


def _requeued(kwargs: dict, reason: str) -> None:
    from .services import scan_requeued

    scan_requeued(batch_id=kwargs["batch_id"])


def _given_up(kwargs: dict, reason: str) -> None:
    from .services import scan_failed

    scan_failed(batch_id=kwargs["batch_id"], reason=reason)


register_task_hooks(scan_read_task, requeued=_requeued, given_up=_given_up)
