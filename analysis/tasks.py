"""Background work: Excel ledgers and the comprehensive analysis report (django-tasks; `make run`
starts the worker). Each task records its progress on its row, which the page polls."""

import logging
import tempfile
import traceback
from pathlib import Path

from django.core.files import File
from django.utils import timezone, translation
from django_tasks import task

from jobs.hooks import register_task_hooks

from .models import JobStatus, LedgerExport

log = logging.getLogger(__name__)


@task()
def ledger_export_task(*, export_id: int, language: str = "zh-hans") -> int:
    """Write one ledger export to its file; returns the number of rows."""
    from .ledgers import to_xlsx

    if not LedgerExport.objects.filter(pk=export_id, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING):
        return 0  # taken by another worker, or already done
    export = LedgerExport.objects.select_related("campaign", "unit").get(pk=export_id)

    def progress(done: int, total: int) -> None:
        pct = int(95 * done / total) if total else 95
        LedgerExport.objects.filter(pk=export_id).update(progress=max(1, pct), rows=done)

    try:
        with translation.override(language), tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ledger.xlsx"
            rows = to_xlsx(
                path,
                kind=export.kind,
                campaign=export.campaign,
                root=export.unit,
                layout=export.layout,
                progress=progress,
            )
            name = f"{export.unit.name}-{export.get_kind_display()}-{timezone.localdate():%Y%m%d}.xlsx"
            with path.open("rb") as fh:
                export.file.save(name, File(fh), save=False)
        export.status, export.progress, export.rows, export.finished_at = JobStatus.DONE, 100, rows, timezone.now()
        export.save(update_fields=["file", "status", "progress", "rows", "finished_at"])
        return rows
    except Exception:
        log.exception("ledger export %s failed", export_id)
        LedgerExport.objects.filter(pk=export_id).update(
            status=JobStatus.FAILED, error=traceback.format_exc()[-2000:], finished_at=timezone.now()
        )
        raise


@task()
def report_run_task(*, run_id: int, language: str = "zh-hans") -> int:
    """Collect the report's data, write the Word and PDF files, keep them on the run."""
    from .reports import generate
    from .services import run_fail, run_start

    if not run_start(run_id):
        return 0
    try:
        with translation.override(language):
            generate(run_id)
        return run_id
    except Exception:
        log.exception("analysis report run %s failed", run_id)
        run_fail(run_id, traceback.format_exc())
        raise


@task()
def ledger_import_task(
    *,
    import_id: int,
    job: str,
    actor_id: int | None = None,
    today: str = "",
    guess: bool = False,
    language: str = "zh-hans",
) -> bool:
    """Read and check an uploaded ledger's rows (job "check"), or import them (job "commit"), recording
    how far it got on the import, which the preview page polls."""
    from datetime import date

    from .services import ledger_import_run

    with translation.override(language):
        return ledger_import_run(
            import_id,
            job=job,
            actor_id=actor_id,
            today=date.fromisoformat(today) if today else None,
            guess=guess,
        )


# When the worker retries a task (its worker died, the database was busy) or gives up on it, the row the
# page shows follows: back to queued, or failed so that a new attempt may be asked for.
def _export_requeued(kwargs: dict, reason: str) -> None:
    LedgerExport.objects.filter(pk=kwargs.get("export_id")).exclude(status=JobStatus.DONE).update(
        status=JobStatus.QUEUED, progress=0, error=reason[:2000], finished_at=None
    )


def _export_given_up(kwargs: dict, reason: str) -> None:
    LedgerExport.objects.filter(pk=kwargs.get("export_id")).exclude(status=JobStatus.DONE).update(
        status=JobStatus.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


def _run_requeued(kwargs: dict, reason: str) -> None:
    from .services import run_requeue

    run_requeue(kwargs.get("run_id"), reason)


def _run_given_up(kwargs: dict, reason: str) -> None:
    from .models import ReportRun
    from .services import run_fail

    if ReportRun.objects.filter(pk=kwargs.get("run_id")).exclude(status=JobStatus.DONE).exists():
        run_fail(kwargs.get("run_id"), reason)


def _import_requeued(kwargs: dict, reason: str) -> None:
    from .services import ledger_import_job_requeued

    ledger_import_job_requeued(kwargs.get("import_id"), reason)


def _import_given_up(kwargs: dict, reason: str) -> None:
    from .services import ledger_import_job_failed

    with translation.override(kwargs.get("language") or "zh-hans"):
        ledger_import_job_failed(kwargs.get("import_id"), "")


register_task_hooks(ledger_import_task, requeued=_import_requeued, given_up=_import_given_up)
register_task_hooks(ledger_export_task, requeued=_export_requeued, given_up=_export_given_up)
register_task_hooks(report_run_task, requeued=_run_requeued, given_up=_run_given_up)
