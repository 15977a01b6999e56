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


@transaction.atomic
def ledger_import_upload(*, actor, campaign, upload, default_unit=None, default_channel: str = "self_check"):
    """Keep an uploaded Excel ledger and guess its columns; nothing is imported yet (see the preview)."""
    from core.uploads import validate_upload

    from .imports import read_sheet
    from .models import LedgerImport

    info = validate_upload(upload)
    if info.extension != "xlsx":
        raise ServiceError(_("Upload an Excel workbook (.xlsx); save older .xls files as .xlsx first."))
    if default_unit is not None and not default_unit.path.startswith(campaign.institution.path):
        raise ServiceError(_("The unit is not part of this campaign's institution."))
    try:
        sheet = read_sheet(upload)
    except ValueError as e:
        raise ServiceError(str(e)) from e
    except Exception as e:  # a damaged workbook: openpyxl raises many kinds
        raise ServiceError(_("The file could not be read as an Excel workbook.")) from e
    upload.seek(0)
    imp = LedgerImport(
        campaign=campaign,
        original_name=upload.name[:200],
        sha256=info.sha256,
        sheet=sheet.name,
        header_row=sheet.header_rows[1],
        mapping=sheet.mapping,
        default_unit=default_unit,
        default_channel=default_channel,
        created_by=actor,
    )
    imp.file.save(f"ledger-{info.sha256[:12]}.xlsx", upload, save=False)
    imp.save()
    audit_record(
        actor=actor,
        action="ledger_import.upload",
        obj=imp,
        unit=campaign.institution,
        changes={"file": imp.original_name, "sha256": info.sha256, "mapping": sheet.mapping},
    )
    return imp


@transaction.atomic
def ledger_import_map(*, actor, ledger_import, mapping: dict[str, int], sheet: str, default_unit=None, default_channel):
    """Change the column mapping (or sheet, or defaults) before importing."""
    from .imports import FIELDS
    from .models import LedgerImport

    if ledger_import.status != LedgerImport.Status.PREVIEWED:
        raise Conflict(_("This file was already imported or discarded."))
    clean = {k: int(v) for k, v in mapping.items() if k in FIELDS and v is not None and int(v) >= 0}
    ledger_import.mapping, ledger_import.sheet = clean, sheet[:100]
    ledger_import.default_unit, ledger_import.default_channel = default_unit, default_channel
    ledger_import.save(update_fields=["mapping", "sheet", "default_unit", "default_channel"])
    audit_record(
        actor=actor,
        action="ledger_import.map",
        obj=ledger_import,
        unit=ledger_import.campaign.institution,
        changes={"mapping": clean, "sheet": sheet},
    )
    return ledger_import


def ledger_import_check(ledger_import, *, today=None):
    """Read the stored file with its mapping and check every row: (sheet, problems with their errors)."""
    from .imports import preview, read_sheet

    today = today or timezone.localdate()
    with ledger_import.file.open("rb") as fh:
        sheet = read_sheet(fh, ledger_import.sheet or None)
    problems = preview(
        sheet,
        ledger_import.mapping,
        campaign=ledger_import.campaign,
        default_unit=ledger_import.default_unit,
        today=today,
        default_channel=ledger_import.default_channel,
    )
    return sheet, problems


@transaction.atomic
def ledger_import_commit(*, actor, ledger_import, today=None) -> tuple[int, int]:
    """Import every row of the previewed file as problems (and measures), or nothing at all.

    Any row with an error, or any refusal by the problems or rectification services, undoes the
    whole import and says which rows are wrong."""
    from problems.services import problem_create

    from .models import LedgerImport

    today = today or timezone.localdate()
    took = LedgerImport.objects.filter(pk=ledger_import.pk, status=LedgerImport.Status.PREVIEWED).update(
        status=LedgerImport.Status.IMPORTED, imported_at=timezone.now()
    )
    if not took:
        raise Conflict(_("This file was already imported or discarded."))
    _sheet, problems = ledger_import_check(ledger_import, today=today)
    errors = [e for p in problems for e in p.errors]
    if not problems:
        raise ServiceError(_("The file has no rows to import."))
    if errors:
        raise ServiceError(_("Nothing was imported: %(n)s rows have errors.") % {"n": len(errors)}, details=errors[:50])
    campaign = ledger_import.campaign
    plans: dict[int, object] = {}
    n_problems = n_measures = 0
    for p in problems:
        try:
            problem = problem_create(
                actor=actor,
                campaign=campaign,
                unit=p.unit,
                description=p.description,
                channel=p.channel,
                manifestations=p.manifestations,
                severity=p.severity,
                cause=p.cause,
                benchmark=p.benchmark,
            )
            n_problems += 1
            for m in p.measures if measures_supported() else ():
                _import_measure(actor=actor, campaign=campaign, plans=plans, problem=problem, measure=m)
                n_measures += 1
        except ServiceError as e:
            raise ServiceError(
                _("Nothing was imported: row %(row)s was refused.") % {"row": p.row}, details=[e.message, *e.details]
            ) from e
    LedgerImport.objects.filter(pk=ledger_import.pk).update(problems_created=n_problems, measures_created=n_measures)
    audit_record(
        actor=actor,
        action="ledger_import.commit",
        obj=ledger_import,
        unit=campaign.institution,
        changes={"problems": n_problems, "measures": n_measures},
    )
    ledger_import.refresh_from_db()
    return n_problems, n_measures


def measures_supported() -> bool:
    """Measures are written through the rectification app's services (plan_create, measure_create);
    until that app offers them, an import brings in the problems only and says so on the preview."""
    try:
        from rectification import services as rs
    except ImportError:
        return False
    return hasattr(rs, "plan_create") and hasattr(rs, "measure_create")


def _import_measure(*, actor, campaign, plans: dict, problem, measure) -> None:
    """A measure goes into a draft plan of the problem's unit (one per unit per import), through the
    rectification app's services."""
    from rectification import services as rs

    unit = problem.unit
    if unit.pk not in plans:
        plans[unit.pk] = rs.plan_create(
            actor=actor,
            campaign=campaign,
            unit=unit,
            title=_("%(unit)s rectification plan (imported)") % {"unit": unit.name},
        )
    rs.measure_create(
        actor=actor,
        plan=plans[unit.pk],
        content=measure.content,
        goal=measure.goal or measure.content,
        owner=measure.owner,
        time_class=measure.time_class,
        deadline=measure.deadline,
        responsible_unit=measure.resp_unit,
        responsible_leader=measure.leader,
        problems=[problem],
    )


@transaction.atomic
def ledger_import_discard(*, actor, ledger_import) -> None:
    from .models import LedgerImport

    if not LedgerImport.objects.filter(pk=ledger_import.pk, status=LedgerImport.Status.PREVIEWED).update(
        status=LedgerImport.Status.DISCARDED
    ):
        raise Conflict(_("This file was already imported or discarded."))
    audit_record(
        actor=actor, action="ledger_import.discard", obj=ledger_import, unit=ledger_import.campaign.institution
    )
