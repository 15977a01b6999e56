"""Writes of the analysis app: reports and their narratives, typical cases, generation runs, ledger
exports and ledger imports. Keyword-only, `actor=` first, one transaction each, audited.

Long work (documents, large ledgers) is only *requested* here; the background worker does it in
analysis/tasks.py and records its progress on the run or export row.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from .models import AnalysisReport, JobStatus, LedgerExport, ReportRun, TypicalCase

NARRATIVE_MAX_CHARS = 20000


# ------------------------------------------------------------------------------------------ reports


@transaction.atomic
def report_create(*, actor, unit, campaign=None, title: str = "") -> AnalysisReport:
    """A new comprehensive analysis report of an institution's campaign, or of the city (campaign None).

    Callers have checked the rights (the campaign office; for the city, the city office)."""
    scope = AnalysisReport.Scope.INSTITUTION if campaign is not None else AnalysisReport.Scope.CITY
    if campaign is not None and campaign.institution_id != unit.pk:
        raise ServiceError(_("The report must be of the campaign's own institution."))
    if not title:
        title = (
            _("Comprehensive analysis report of %(name)s") % {"name": campaign.name}
            if campaign
            else _("Comprehensive analysis report of %(unit)s") % {"unit": unit.name}
        )
    report = AnalysisReport.objects.create(
        scope=scope, unit=unit, campaign=campaign, title=title[:200], created_by=actor
    )
    audit_record(actor=actor, action="analysis_report.create", obj=report, unit=unit, changes={"title": report.title})
    return report


@transaction.atomic
def report_update(*, actor, report: AnalysisReport, title: str, narratives: dict[str, str]) -> AnalysisReport:
    """Save the title and the narrative sections the office wrote (only the known sections)."""
    keys = {k for k, _label in AnalysisReport.SECTIONS}
    clean = {k: (v or "").strip().replace("\r\n", "\n") for k, v in narratives.items() if k in keys}
    too_long = [k for k, v in clean.items() if len(v) > NARRATIVE_MAX_CHARS]
    if too_long:
        raise ServiceError(_("A section is too long (at most %(n)s characters).") % {"n": NARRATIVE_MAX_CHARS})
    if not title.strip():
        raise ServiceError(_("Give the report a title."))
    before = {"title": report.title, **report.narratives}
    report.title = title.strip()[:200]
    report.narratives = {k: v for k, v in clean.items() if v}
    report.save(update_fields=["title", "narratives", "updated_at"])
    after = {"title": report.title, **report.narratives}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    audit_record(
        actor=actor, action="analysis_report.update", obj=report, unit=report.unit, changes={"changed": changed}
    )
    return report


@transaction.atomic
def typical_case_add(*, actor, report: AnalysisReport, kind: str, title: str, text: str, unit=None, problem=None):
    """典型: a good or bad example chosen by the office for the report."""
    if kind not in TypicalCase.Kind.values:
        raise ServiceError(_("Choose whether the case is a good or a bad example."))
    if not title.strip() or not text.strip():
        raise ServiceError(_("A typical case needs a title and a description."))
    if unit is not None and not unit.path.startswith(report.unit.path):
        raise ServiceError(_("The unit is not part of this report."))
    if problem is not None and (report.campaign_id is None or problem.campaign_id != report.campaign_id):
        raise ServiceError(_("The problem is not part of this report's campaign."))
    case = TypicalCase.objects.create(
        report=report,
        kind=kind,
        title=title.strip()[:200],
        text=text.strip()[:NARRATIVE_MAX_CHARS],
        unit=unit,
        problem=problem,
        sort_order=report.typical_cases.count(),
    )
    audit_record(
        actor=actor, action="analysis_report.case_add", obj=report, unit=report.unit, changes={"case": case.title}
    )
    return case


@transaction.atomic
def typical_case_remove(*, actor, case: TypicalCase) -> None:
    report = case.report
    title = case.title
    case.delete()
    audit_record(
        actor=actor, action="analysis_report.case_remove", obj=report, unit=report.unit, changes={"case": title}
    )


@transaction.atomic
def report_generate(*, actor, report: AnalysisReport) -> ReportRun:
    """Ask the background worker for the Word and PDF files. One run at a time per report."""
    from .tasks import report_run_task

    if report.runs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
        raise Conflict(_("This report is already being generated; wait until it is done."))
    run = ReportRun.objects.create(report=report, requested_by=actor, step=_("Waiting for the worker"))
    audit_record(actor=actor, action="analysis_report.generate", obj=report, unit=report.unit, changes={"run": run.pk})
    report_run_task.enqueue(run_id=run.pk, language=get_language() or "zh-hans")
    return run


def run_progress(run_id: int, progress: int, step: str) -> None:
    """Recorded by the worker (its own short write, visible to the polling page at once)."""
    ReportRun.objects.filter(pk=run_id).update(progress=min(progress, 100), step=step[:100], status=JobStatus.RUNNING)


def run_start(run_id: int) -> bool:
    """The worker takes a queued run; False when another worker took it first."""
    return bool(
        ReportRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING, progress=1)
    )


def run_finish(run_id: int, *, docx: bytes, pdf: bytes, filename: str) -> None:
    from django.core.files.base import ContentFile

    run = ReportRun.objects.get(pk=run_id)
    run.docx.save(f"{filename}.docx", ContentFile(docx), save=False)
    run.pdf.save(f"{filename}.pdf", ContentFile(pdf), save=False)
    run.status, run.progress, run.step, run.finished_at = JobStatus.DONE, 100, "", timezone.now()
    run.save(update_fields=["docx", "pdf", "status", "progress", "step", "finished_at"])


def run_fail(run_id: int, error: str) -> None:
    ReportRun.objects.filter(pk=run_id).update(status=JobStatus.FAILED, error=error[:2000], finished_at=timezone.now())


def run_requeue(run_id: int, reason: str) -> None:
    """The worker will try again (its worker stopped, or the database was busy): back to the queue, so
    the retry may take it; the page shows it waiting."""
    ReportRun.objects.filter(pk=run_id, status__in=[JobStatus.RUNNING, JobStatus.FAILED, JobStatus.QUEUED]).update(
        status=JobStatus.QUEUED, progress=0, step=_("Waiting for the worker"), error=reason[:2000], finished_at=None
    )


# ------------------------------------------------------------------------------------------ exports


@transaction.atomic
def ledger_export_request(*, actor, campaign, unit, kind: str, layout: str) -> LedgerExport:
    """Ask for an Excel ledger of `unit` (the institution or a department) and below.

    The caller checked that the actor may view the unit's analysis."""
    from .tasks import ledger_export_task

    if kind not in LedgerExport.Kind.values or layout not in LedgerExport.Layout.values:
        raise ServiceError(_("Choose a ledger and a layout."))
    if not unit.path.startswith(campaign.institution.path):
        raise ServiceError(_("The unit is not part of this campaign's institution."))
    export = LedgerExport.objects.create(campaign=campaign, unit=unit, kind=kind, layout=layout, requested_by=actor)
    audit_record(
        actor=actor,
        action="ledger_export.request",
        obj=export,
        unit=unit,
        changes={"kind": kind, "layout": layout},
    )
    ledger_export_task.enqueue(export_id=export.pk, language=get_language() or "zh-hans")
    return export


# ------------------------------------------------------------------------------------------ imports


LEDGER_IMPORT_MAX_ROWS = 20000  # a sheet longer than this is refused with a clear message (split it)
ROW_BATCH = 500


def _max_rows() -> int:
    from django.conf import settings

    return int(getattr(settings, "LEDGER_IMPORT_MAX_ROWS", LEDGER_IMPORT_MAX_ROWS))


@transaction.atomic
def ledger_import_upload(
    *,
    actor,
    campaign,
    upload,
    default_unit=None,
    default_channel: str = "self_check",
    sheet: str = "",
    split_measures: bool = False,
    plans_approved: bool = True,
    today=None,
    inline: bool = False,
):
    """Keep an uploaded Excel ledger; its columns are guessed and every row is checked (LedgerRow) by
    the background worker (analysis.tasks.ledger_import_task), so the request returns at once and the
    preview page shows how far the check got. Nothing is imported yet.

    A second click while the same file is still being read returns the import under way (no second run).
    `inline=True` (the command line) checks in this call and refuses (nothing kept) when the file is not a
    workbook, has no header or is longer than the row limit; in the background those refusals end the run
    as failed with the same message, the file discarded and nothing kept."""
    from core.uploads import validate_upload

    from .models import LedgerImport

    info = validate_upload(upload)
    if info.extension != "xlsx":
        raise ServiceError(_("Upload an Excel workbook (.xlsx); save older .xls files as .xlsx first."))
    if default_unit is not None and not default_unit.path.startswith(campaign.institution.path):
        raise ServiceError(_("The unit is not part of this campaign's institution."))
    if not inline:
        under_way = LedgerImport.objects.filter(
            campaign=campaign,
            sha256=info.sha256,
            created_by=actor,
            status=LedgerImport.Status.PREVIEWED,
            job=LedgerImport.Job.CHECK,
            job_status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        ).first()
        if under_way:
            return under_way
    upload.seek(0)
    imp = LedgerImport(
        campaign=campaign,
        original_name=upload.name[:200],
        sha256=info.sha256,
        sheet=sheet[:100],
        default_unit=default_unit,
        default_channel=default_channel,
        split_measures=split_measures,
        plans_approved=plans_approved,
        created_by=actor,
        job=LedgerImport.Job.CHECK,
        job_status=JobStatus.RUNNING if inline else JobStatus.QUEUED,
    )
    imp.file.save(f"ledger-{info.sha256[:12]}.xlsx", upload, save=False)
    imp.save()
    audit_record(
        actor=actor,
        action="ledger_import.upload",
        obj=imp,
        unit=campaign.institution,
        changes={"file": imp.original_name, "sha256": info.sha256},
    )
    if inline:
        try:
            ledger_import_check(imp, today=today, guess=True)
        except BaseException:
            imp.file.delete(save=False)  # the transaction forgets the row; the stored copy goes too
            raise
        LedgerImport.objects.filter(pk=imp.pk).update(job_status=JobStatus.DONE, job_finished_at=timezone.now())
    else:
        _enqueue_import_job(imp, LedgerImport.Job.CHECK, today=today, guess=True)
    imp.refresh_from_db()
    return imp


def _enqueue_import_job(imp, job: str, *, actor=None, today=None, guess: bool = False) -> None:
    from .tasks import ledger_import_task

    ledger_import_task.enqueue(
        import_id=imp.pk,
        job=job,
        actor_id=actor.pk if actor else None,
        today=today.isoformat() if today else "",
        guess=guess,
        language=get_language() or "zh-hans",
    )


@transaction.atomic
def ledger_import_map(
    *,
    actor,
    ledger_import,
    mapping: dict[str, int],
    sheet: str,
    default_unit=None,
    default_channel,
    split_measures: bool | None = None,
    plans_approved: bool | None = None,
    guess: bool = False,
    today=None,
):
    """Change the column mapping (or sheet, defaults, options) before importing; the rows are checked
    again in the background (`guess`: the columns of a newly chosen sheet are guessed afresh)."""
    from .imports import FIELDS
    from .models import LedgerImport

    if ledger_import.status != LedgerImport.Status.PREVIEWED:
        raise Conflict(_("This file was already imported or discarded."))
    clean = {k: int(v) for k, v in mapping.items() if k in FIELDS and v is not None and int(v) >= 0}
    took = (
        LedgerImport.objects.filter(pk=ledger_import.pk, status=LedgerImport.Status.PREVIEWED)
        .exclude(job_status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .update(
            mapping=clean,
            sheet=sheet[:100],
            default_unit=default_unit,
            default_channel=default_channel,
            split_measures=ledger_import.split_measures if split_measures is None else split_measures,
            plans_approved=ledger_import.plans_approved if plans_approved is None else plans_approved,
            **_job_queued(LedgerImport.Job.CHECK),
        )
    )
    if not took:
        raise Conflict(_("The file is being read or imported; wait until it is done."))
    audit_record(
        actor=actor,
        action="ledger_import.map",
        obj=ledger_import,
        unit=ledger_import.campaign.institution,
        changes={"mapping": clean, "sheet": sheet, "split": split_measures},
    )
    _enqueue_import_job(ledger_import, LedgerImport.Job.CHECK, today=today, guess=guess)
    ledger_import.refresh_from_db()
    return ledger_import


def _job_queued(job: str) -> dict:
    return {
        "job": job,
        "job_status": JobStatus.QUEUED,
        "job_rows": 0,
        "job_total": 0,
        "job_error": "",
        "job_started_at": None,
        "job_finished_at": None,
    }


@transaction.atomic
def ledger_import_commit_request(*, actor, ledger_import) -> bool:
    """Ask the worker to import the checked rows. True when a run was started; False when a check or an
    import of this file is already under way (a second click starts nothing)."""
    from .models import LedgerImport

    took = (
        LedgerImport.objects.filter(pk=ledger_import.pk, status=LedgerImport.Status.PREVIEWED)
        .exclude(job_status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .update(**_job_queued(LedgerImport.Job.COMMIT))
    )
    if not took:
        ledger_import.refresh_from_db()
        if ledger_import.status == LedgerImport.Status.PREVIEWED and ledger_import.busy:
            return False
        raise Conflict(_("This file was already imported or discarded."))
    audit_record(
        actor=actor,
        action="ledger_import.commit_request",
        obj=ledger_import,
        unit=ledger_import.campaign.institution,
        changes={"file": ledger_import.original_name},
    )
    _enqueue_import_job(ledger_import, LedgerImport.Job.COMMIT, actor=actor)
    ledger_import.refresh_from_db()
    return True


def _progress_key(import_id: int) -> str:
    return f"analysis:ledger-import-progress:{import_id}"


def _job_progress(import_id: int, rows: int, total: int) -> None:
    """How far the run got: in the cache (the import's own transaction hides its row until the end) and
    on the row when no transaction is open."""
    from django.core.cache import cache
    from django.db import connection

    from .models import LedgerImport

    cache.set(_progress_key(import_id), (rows, total), 6 * 3600)
    if not connection.in_atomic_block:
        LedgerImport.objects.filter(pk=import_id).update(job_rows=rows, job_total=total)


def ledger_import_job_progress(ledger_import) -> tuple[int, int]:
    """(rows done, rows in all) of the run under way, as the progress page shows them."""
    from django.core.cache import cache

    found = cache.get(_progress_key(ledger_import.pk))
    if ledger_import.job_status in (JobStatus.QUEUED, JobStatus.RUNNING) and found:
        return found
    return ledger_import.job_rows, ledger_import.job_total


def ledger_import_run(import_id: int, *, job: str, actor_id=None, today=None, guess: bool = False) -> bool:
    """The background run of a check or an import (analysis.tasks): queued → running → done or failed.

    Takes the run only when it is queued (a second worker or a second delivery does nothing). The import
    is one transaction: a refusal or a crash halfway stores nothing and leaves the file as previewed. A
    refusal (ServiceError) ends the run as failed with the message the office reads; any other error
    too, with a general message, and is raised again for the worker's retry."""
    from django.contrib.auth import get_user_model

    from .models import LedgerImport, LedgerRow

    took = LedgerImport.objects.filter(
        pk=import_id, job=job, job_status=JobStatus.QUEUED, status=LedgerImport.Status.PREVIEWED
    ).update(job_status=JobStatus.RUNNING, job_started_at=timezone.now(), job_rows=0, job_total=0, job_error="")
    if not took:
        return False
    imp = LedgerImport.objects.select_related("campaign__institution", "default_unit").get(pk=import_id)
    try:
        if job == LedgerImport.Job.CHECK:
            summary = ledger_import_check(
                imp, today=today, guess=guess, progress=lambda n, t: _job_progress(import_id, n, t)
            )
            rows = summary["rows"]
        else:
            actor = get_user_model().objects.get(pk=actor_id)
            with transaction.atomic():
                ledger_import_commit(
                    actor=actor,
                    ledger_import=imp,
                    today=today,
                    progress=lambda n, t: _job_progress(import_id, n, t),
                )
            rows = LedgerRow.objects.filter(ledger_import=imp).count()
    except ServiceError as e:
        ledger_import_job_failed(import_id, " ".join([e.message, *[str(d) for d in e.details[:20]]]), refused=True)
        return False
    except Exception:
        ledger_import_job_failed(import_id, "")
        raise
    LedgerImport.objects.filter(pk=import_id, job_status=JobStatus.RUNNING).update(
        job_status=JobStatus.DONE, job_rows=rows, job_total=rows, job_finished_at=timezone.now()
    )
    _forget_progress(import_id)
    return True


def _forget_progress(import_id: int) -> None:
    from django.core.cache import cache

    cache.delete(_progress_key(import_id))


def ledger_import_job_failed(import_id: int, message: str, *, refused: bool = False) -> None:
    """End the run as failed with `message` (a general one when empty). A check that failed leaves no
    rows; when the file was refused on its first check (not a ledger, too long), the import is discarded
    and its file deleted (nothing kept); a failed import leaves the file previewed (its transaction
    stored nothing)."""
    from .models import LedgerImport, LedgerRow

    imp = LedgerImport.objects.filter(pk=import_id).first()
    if imp is None or imp.job_status == JobStatus.DONE:
        return
    message = message or _("Something went wrong; try again or ask the administrator.")
    changes = {"job_status": JobStatus.FAILED, "job_error": message[:4000], "job_finished_at": timezone.now()}
    if imp.job == LedgerImport.Job.CHECK:
        LedgerRow.objects.filter(ledger_import=imp).delete()
        if refused and imp.status == LedgerImport.Status.PREVIEWED and not (imp.summary or {}).get("header"):
            changes["status"] = LedgerImport.Status.DISCARDED
            if imp.file:
                imp.file.delete(save=False)
                changes["file"] = ""
        else:
            changes["summary"] = {k: (imp.summary or {}).get(k) for k in ("sheet", "header", "sheets")}
    LedgerImport.objects.filter(pk=import_id).update(**changes)
    _forget_progress(import_id)


def ledger_import_job_requeued(import_id: int, reason: str) -> None:
    """The worker will run it again (its worker died, the database was busy): back to queued."""
    from .models import LedgerImport

    LedgerImport.objects.filter(pk=import_id, job_status__in=[JobStatus.RUNNING, JobStatus.FAILED]).update(
        job_status=JobStatus.QUEUED, job_rows=0, job_error="", job_finished_at=None
    )
    _forget_progress(import_id)


def ledger_import_check(ledger_import, *, today=None, guess: bool = False, progress=None) -> dict:
    """Read the stored file with its mapping, row by row, into LedgerRow (every parsed value and the
    errors by row and column) and the import's summary. Streams: a batch of rows at a time, telling
    `progress(rows read, rows in the sheet)` after each. `guess`: find the header and guess the columns
    first (a new file, or another sheet).

    Duplicates are flagged here, before anything is imported: a row equal to an earlier row of the
    file, or to a row of an earlier import of this campaign, and the same file imported before."""
    from .imports import DONE, IN_PROGRESS, NOT_STARTED, Lookup, Parser, read_sheet
    from .models import LedgerImport, LedgerRow

    today = today or timezone.localdate()
    imp = ledger_import
    LedgerRow.objects.filter(ledger_import=imp).delete()
    lookup = Lookup.load(imp.campaign.institution)
    summary = {
        "rows": 0,
        "categories": [],
        "problems": 0,
        "measures": 0,
        "states": {DONE: 0, IN_PROGRESS: 0, NOT_STARTED: 0},
        "time_classes": {"immediate": 0, "deadline": 0, "long_term": 0},
        "no_deadline": 0,
        "unlinked": {"owners": [], "leaders": [], "units": []},
        "errors": 0,
        "error_rows": 0,
        "duplicates": 0,
        "too_many": False,
        "duplicate_file": None,
        "sheet": "",
        "header": [],
    }
    earlier = (
        LedgerImport.objects.filter(campaign=imp.campaign, sha256=imp.sha256, status=LedgerImport.Status.IMPORTED)
        .exclude(pk=imp.pk)
        .select_related("created_by")
        .first()
    )
    if earlier:
        summary["duplicate_file"] = {
            "name": earlier.original_name,
            "at": timezone.localtime(earlier.imported_at).strftime("%Y-%m-%d %H:%M"),
            "by": str(earlier.created_by or ""),
        }
    unlinked = {"owners": set(), "leaders": set(), "units": set()}
    categories: dict[str, None] = {}
    seen: dict[str, int] = {}
    batch: list = []
    limit = _max_rows()
    with imp.file.open("rb") as fh:
        try:
            sheet = read_sheet(fh, imp.sheet or None)
        except ValueError as e:
            raise ServiceError(str(e)) from e
        except Exception as e:  # a damaged workbook: openpyxl raises many kinds
            raise ServiceError(_("The file could not be read as an Excel workbook.")) from e
        if guess:
            imp.sheet, imp.header_row, imp.mapping = sheet.name, sheet.header_rows[1], sheet.mapping
            LedgerImport.objects.filter(pk=imp.pk).update(
                sheet=imp.sheet, header_row=imp.header_row, mapping=imp.mapping
            )
        summary["sheet"], summary["header"], summary["sheets"] = sheet.name, sheet.header, sheet.sheet_names
        total = max(0, (getattr(sheet.worksheet, "max_row", None) or 0) - sheet.header_rows[1])
        if progress:
            progress(0, total)
        parser = Parser(
            mapping=imp.mapping,
            header=sheet.header,
            lookup=lookup,
            default_unit=imp.default_unit,
            default_channel=imp.default_channel,
            today=today,
            split=imp.split_measures,
        )
        for number, values, origin in sheet.rows():
            summary["rows"] += 1
            if summary["rows"] > limit:
                summary["too_many"] = True
                break
            row = parser.read(number, values, origin)
            if row is None or row["kind"] == "category":
                continue
            if row["category"]:
                categories.setdefault(row["category"], None)
            digest = _row_digest(row, parser)
            dup = ""
            if digest in seen:
                dup = _("row %(n)s") % {"n": seen[digest]}
            else:
                seen[digest] = number
            batch.append(
                LedgerRow(
                    ledger_import=imp,
                    number=number,
                    problem_row=row["problem_row"],
                    category=row["category"][:200],
                    values=row,
                    errors=row["errors"],
                    row_hash=digest,
                    duplicate_of=dup,
                )
            )
            if len(batch) >= ROW_BATCH:
                _flush_rows(imp, batch)
                batch = []
                if progress:
                    progress(summary["rows"], max(total, summary["rows"]))
        _flush_rows(imp, batch)
    if summary["too_many"]:
        raise ServiceError(
            _(
                "The sheet has more than %(limit)s rows; nothing was kept. Split the ledger into several files "
                "(for example one per unit) and import them one after the other."
            )
            % {"limit": f"{limit:,}"}
        )
    _summarise(imp, summary, unlinked, categories)
    LedgerImport.objects.filter(pk=imp.pk).update(summary=summary)
    imp.summary = summary
    return summary


def _row_digest(row: dict, parser) -> str:
    import hashlib

    from .imports import norm

    problem_text = row["description"] or parser.problem_text
    parts = [row["category"], problem_text, row.get("unit_text", "")]
    for m in row["measures"]:
        parts += [m["content"], m["owner_text"], m["resp_unit_text"], m["deadline"] or m["deadline_text"]]
    return hashlib.sha256("\x1f".join(norm(p) for p in parts).encode()).hexdigest()


def _flush_rows(imp, batch: list) -> None:
    """Store a batch of checked rows, marking those already imported in an earlier file of the campaign."""
    from .models import LedgerImport, LedgerRow

    if not batch:
        return
    earlier = dict(
        LedgerRow.objects.filter(
            ledger_import__campaign=imp.campaign,
            ledger_import__status=LedgerImport.Status.IMPORTED,
            row_hash__in=[r.row_hash for r in batch],
        )
        .exclude(ledger_import=imp)
        .values_list("row_hash", "ledger_import__original_name")
    )
    for r in batch:
        if not r.duplicate_of and r.row_hash in earlier:
            r.duplicate_of = _("%(file)s (imported before)") % {"file": earlier[r.row_hash]}
    LedgerRow.objects.bulk_create(batch, batch_size=ROW_BATCH)


def _summarise(imp, summary: dict, unlinked: dict, categories: dict) -> None:
    """Figures of the checked rows, counted in the database (not from rows kept in memory)."""
    from .models import LedgerRow

    rows = LedgerRow.objects.filter(ledger_import=imp)
    summary["categories"] = list(categories)[:200]
    summary["duplicates"] = rows.exclude(duplicate_of="").count()
    summary["error_rows"] = rows.exclude(errors=[]).count()
    kept = rows.filter(duplicate_of="")
    problems: set[int] = set()
    for values, errors in kept.values_list("values", "errors").iterator(chunk_size=ROW_BATCH):
        summary["errors"] += len(errors)
        problems.add(values["problem_row"])
        if values.get("unit_text") and not values.get("unit_id"):
            unlinked["units"].add(values["unit_text"])
        for m in values["measures"]:
            summary["measures"] += 1
            summary["states"][m["state"]] += 1
            summary["time_classes"][m["time_class"]] += 1
            summary["no_deadline"] += bool(m["no_deadline"])
            for key, text, pk in (
                ("owners", "owner_text", "owner_id"),
                ("leaders", "leader_text", "leader_id"),
                ("units", "resp_unit_text", "resp_unit_id"),
            ):
                if m[text] and not m[pk]:
                    unlinked[key].add(m[text])
    summary["problems"] = len(problems)
    summary["unlinked"] = {k: sorted(v) for k, v in unlinked.items()}


@transaction.atomic
def ledger_import_commit(*, actor, ledger_import, today=None, progress=None) -> tuple[int, int]:
    """Import every checked row as problems and measures, or nothing at all.

    Refused (nothing stored) while a row has an error, when the same file was imported before, or
    when the services refuse a row. Duplicate rows are skipped. Imported done items are COMPLETED
    (completed by import) with their file and row; names that matched nobody are kept as text."""
    from orgs.models import Unit

    from .models import LedgerImport, LedgerRow

    imp = ledger_import
    took = LedgerImport.objects.filter(pk=imp.pk, status=LedgerImport.Status.PREVIEWED).update(
        status=LedgerImport.Status.IMPORTED, imported_at=timezone.now()
    )
    if not took:
        raise Conflict(_("This file was already imported or discarded."))
    imp.refresh_from_db()
    summary = imp.summary or ledger_import_check(imp, today=today)
    if summary.get("duplicate_file"):
        d = summary["duplicate_file"]
        raise ServiceError(
            _("Nothing was imported: this file was already imported on %(at)s by %(by)s (%(name)s).") % d
        )
    rows = LedgerRow.objects.filter(ledger_import=imp, duplicate_of="")
    if not rows.exists():
        raise ServiceError(_("The file has no rows to import."))
    bad = list(rows.exclude(errors=[]).values_list("number", "errors")[:50])
    if bad:
        raise ServiceError(
            _("Nothing was imported: %(n)s rows have errors.") % {"n": rows.exclude(errors=[]).count()},
            details=[f"{_('Row')} {n} · {e['column']}: {e['message']}" for n, errs in bad for e in errs],
        )
    campaign = imp.campaign
    institution = campaign.institution
    units = {u.pk: u for u in Unit.objects.filter(path__startswith=institution.path)}
    fallback = imp.default_unit or institution
    state = _CommitState()
    batch: list = []
    all_rows = LedgerRow.objects.filter(ledger_import=imp, duplicate_of="").order_by("number")
    total, done = all_rows.count(), 0
    for lr in all_rows.only("pk", "number", "problem_row", "values").iterator(chunk_size=ROW_BATCH):
        batch.append(lr)
        if len(batch) >= ROW_BATCH:
            _commit_batch(actor, imp, batch, state, units, fallback)
            done += len(batch)
            batch = []
            if progress:
                progress(done, total)
    _commit_batch(actor, imp, batch, state, units, fallback)
    n_problems, n_measures = state.problems, state.measures
    LedgerImport.objects.filter(pk=imp.pk).update(problems_created=n_problems, measures_created=n_measures)
    # one record for the whole file; each row's provenance is on its LedgerRow and its measures
    audit_record(
        actor=actor,
        action="ledger_import.commit",
        obj=imp,
        unit=institution,
        changes={
            "file": imp.original_name,
            "sha256": imp.sha256,
            "problems": n_problems,
            "measures": n_measures,
            "states": summary.get("states", {}),
            "plans": sorted(p.pk for p in state.plans.values()),
            "plans_approved": imp.plans_approved,
        },
    )
    imp.refresh_from_db()
    return n_problems, n_measures


class _CommitState:
    """What the import carries from one batch of rows to the next: the problem being filled (its
    measures may continue on the next batch's first rows), the plans per unit and the counts."""

    def __init__(self):
        self.last_problem: tuple[int, int, int] | None = None  # (problem_row, problem id, unit id)
        self.plans: dict[int, object] = {}
        self.problems = 0
        self.measures = 0


def _commit_batch(actor, imp, batch: list, state: _CommitState, units: dict, fallback) -> None:
    """Problems of a batch of rows in one bulk insert, the rows linked to them in one update, then the
    measures of the batch per unit (bulk)."""
    from datetime import date

    from orgs.models import Person
    from problems.models import Channel
    from problems.services import problems_import
    from rectification import services as rs

    from .models import LedgerRow

    if not batch:
        return
    starts = [lr for lr in batch if not (state.last_problem and lr.problem_row == state.last_problem[0])]
    firsts: dict[int, LedgerRow] = {}
    for lr in starts:
        firsts.setdefault(lr.problem_row, lr)
    items = []
    for lr in firsts.values():
        v = lr.values
        benchmark = v.get("benchmark", "")
        if v.get("channel") == Channel.COMPARISON and not benchmark:
            benchmark = _("see the imported ledger")
        items.append(
            {
                "unit": units.get(v.get("unit_id")) or fallback,
                "description": v["description"],
                "channel": v.get("channel") or "self_check",
                "severity": v.get("severity") or "medium",
                "cause": v.get("cause", ""),
                "benchmark": benchmark,
                "manifestation_ids": v.get("manifestations") or [],
                "row": lr.number,
            }
        )
    try:
        ids = problems_import(actor=actor, campaign=imp.campaign, items=items, source=imp.original_name, record=False)
    except ServiceError as e:
        raise ServiceError(
            _("Nothing was imported: row %(row)s was refused.") % {"row": getattr(e, "row", None) or batch[0].number},
            details=[e.message, *e.details],
        ) from e
    problem_of = {row: (pk, item["unit"].pk) for row, pk, item in zip(firsts, ids, items, strict=True)}
    if state.last_problem:
        problem_of.setdefault(state.last_problem[0], state.last_problem[1:])
    state.problems += len(ids)
    pending: dict[int, list[dict]] = {}
    people_ids: set[int] = set()
    for lr in batch:
        problem_id, unit_id = problem_of[lr.problem_row]
        lr.problem_id = problem_id
        for m in lr.values["measures"]:
            people_ids.update(pk for pk in (m["owner_id"], m["leader_id"]) if pk)
            pending.setdefault(unit_id, []).append({**m, "row": lr.number, "problem_id": problem_id})
    LedgerRow.objects.bulk_update(batch, ["problem"], batch_size=ROW_BATCH)
    last = batch[-1].problem_row
    state.last_problem = (last, *problem_of[last])
    people = Person.objects.in_bulk(list(people_ids))
    for unit_id, measures in pending.items():
        unit = units[unit_id]
        if unit_id not in state.plans:
            state.plans[unit_id] = rs.plan_import(
                actor=actor,
                campaign=imp.campaign,
                unit=unit,
                title=_("%(unit)s rectification ledger (imported)") % {"unit": unit.name},
                approved=imp.plans_approved,
                source=imp.original_name,
                record=False,
            )
        try:
            rs.measures_import(
                actor=actor,
                plan=state.plans[unit_id],
                import_file=imp.original_name,
                record=False,
                items=[
                    {
                        "content": m["content"],
                        "goal": m["goal"],
                        "time_class": m["time_class"],
                        "deadline": date.fromisoformat(m["deadline"]) if m["deadline"] else None,
                        "state": m["state"],
                        "status_text": m["status_text"],
                        "row": m["row"],
                        "problem_id": m["problem_id"],
                        "owner": people.get(m["owner_id"]),
                        "owner_name": m["owner_text"] or _("(none named)"),
                        "leader": people.get(m["leader_id"]),
                        "leader_name": m["leader_text"],
                        # a unit named but not found stays None here: kept as text on the plan's unit
                        "responsible_unit": units.get(m["resp_unit_id"]) if m["resp_unit_text"] else units.get(unit_id),
                        "responsible_unit_name": "" if m["resp_unit_id"] else m["resp_unit_text"],
                    }
                    for m in measures
                ],
            )
        except ServiceError as e:
            raise ServiceError(
                _("Nothing was imported: row %(row)s was refused.") % {"row": getattr(e, "row", None) or "?"},
                details=[e.message, *e.details],
            ) from e
        state.measures += len(measures)


@transaction.atomic
def ledger_import_discard(*, actor, ledger_import) -> None:
    from .models import LedgerImport

    if (
        LedgerImport.objects.filter(pk=ledger_import.pk, job_status=JobStatus.RUNNING)
        .exclude(status=LedgerImport.Status.DISCARDED)
        .exists()
    ):
        raise Conflict(_("The file is being read or imported; wait until it is done."))
    # a run still queued finds the file discarded and does nothing
    if not LedgerImport.objects.filter(pk=ledger_import.pk, status=LedgerImport.Status.PREVIEWED).update(
        status=LedgerImport.Status.DISCARDED
    ):
        raise Conflict(_("This file was already imported or discarded."))
    audit_record(
        actor=actor, action="ledger_import.discard", obj=ledger_import, unit=ledger_import.campaign.institution
    )


@transaction.atomic
def status_word_add(*, actor, institution, word: str, state: str):
    """The office teaches the importer a status word of its ledgers (or changes what one means)."""
    from .imports import norm
    from .models import StatusWord

    word = word.strip()
    if not norm(word) or len(word) > 40:
        raise ServiceError(_("Write the word as it appears in the ledger (at most 40 characters)."))
    if state not in StatusWord.State.values:
        raise ServiceError(_("Choose what the word means."))
    sw, _created = StatusWord.objects.update_or_create(
        institution=institution, word=word, defaults={"state": state, "created_by": actor}
    )
    audit_record(
        actor=actor, action="status_word.set", obj=sw, unit=institution, changes={"word": word, "state": state}
    )
    return sw


@transaction.atomic
def status_word_remove(*, actor, status_word) -> None:
    word, institution = status_word.word, status_word.institution
    status_word.delete()
    audit_record(actor=actor, action="status_word.remove", obj=institution, unit=institution, changes={"word": word})


@transaction.atomic
def ledger_unit_create(*, actor, campaign, name: str):
    """A unit named in an imported ledger that the organisation does not have yet: created on the
    office's confirmation as a department of the institution, then every measure and imported problem
    that named it is linked to it (so it is counted as itself)."""
    import secrets

    from orgs.services import unit_create

    name = name.strip()[:100]
    if not name:
        raise ServiceError(_("The unit needs a name."))
    institution = campaign.institution
    unit = unit_create(
        actor=actor, name=name, kind="department", code=f"L{institution.pk}-{secrets.token_hex(4)}", parent=institution
    )
    from campaigns.models import CampaignUnit

    if CampaignUnit.objects.filter(campaign=campaign).exists():
        CampaignUnit.objects.get_or_create(campaign=campaign, unit=unit)
    ledger_unit_link(actor=actor, campaign=campaign, name=name, unit=unit)
    return unit


@transaction.atomic
def ledger_unit_link(*, actor, campaign, name: str, unit) -> int:
    """Link a unit name kept as text (未关联) to `unit`: the measures that named it, and the imported
    problems filed under the fallback unit because of it."""
    from problems.models import Problem
    from rectification import services as rs

    from .models import LedgerRow

    n = rs.measures_link_name(actor=actor, campaign=campaign, kind="unit", name=name, target=unit)
    problem_ids = list(
        LedgerRow.objects.filter(
            ledger_import__campaign=campaign, values__unit_text=name, values__unit_id=None, problem__isnull=False
        ).values_list("problem_id", flat=True)
    )
    moved = Problem.objects.filter(pk__in=problem_ids, campaign=campaign).update(unit=unit)
    audit_record(
        actor=actor,
        action="ledger_import.link_unit",
        obj=unit,
        unit=campaign.institution,
        changes={"name": name, "problems": problem_ids[:500], "measures": n},
    )
    return n + moved
