"""Dashboards, analysis reports, ledger exports and imports: short views over selectors and services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.current import current_campaign, remember_campaign
from campaigns.models import Campaign
from core.excel import download_name
from core.exceptions import ServiceError
from orgs.access import Perm, can, has_any
from orgs.models import Unit

from . import links, selectors, services
from .dashboards import decorate, decorate_city
from .forms import ExportForm, ReportForm, TypicalCaseForm
from .models import AnalysisReport, JobStatus, LedgerExport, TypicalCase
from .reports import city as city_report
from .reports import comprehensive

CITY_SORTS = {
    "completion": lambda r: (r["rank"]["completion"] is None, r["rank"]["completion"] or 0),
    "on_time": lambda r: (r["rank"]["on_time"] is None, r["rank"]["on_time"] or 0),
    "satisfaction": lambda r: (r["rank"]["satisfaction"] is None, r["rank"]["satisfaction"] or 0),
    "problems": lambda r: -r["problems"],
    "overdue": lambda r: -r["measures"]["overdue"],
    "name": lambda r: r["institution"].path,
}


def dashboard(request):
    """The dashboard entry: the city office's city, an office's institution, a head's department."""
    if not has_any(request.user, Perm.ANALYSIS_VIEW):
        raise PermissionDenied
    target = selectors.default_dashboard_for(request.user)
    chosen = current_campaign(request)
    if chosen is not None and (target is None or target[0] != "city"):
        # The campaign switcher's choice wins over the newest campaign (one rule for every page).
        try:
            target = ("campaign", selectors.get_scope_for_user(request.user, chosen.pk))
        except Http404:
            pass
    if target is None:
        return render(request, "analysis/empty.html")
    kind, value = target
    if kind == "city":
        return redirect("analysis:city", pk=value.pk)
    return redirect(links.dashboard_url(value.campaign, None if value.is_institution else value.root))


def campaign_dashboard(request, pk: int):
    scope = selectors.get_scope_for_user(request.user, pk, _int(request.GET.get("unit")))
    if scope.campaign.status != Campaign.Status.DRAFT:
        remember_campaign(request, scope.campaign)  # the statistics opened make this the current campaign
    dash = selectors.institution_dashboard(
        scope,
        timezone.localdate(),
        with_accountability=can(request.user, Perm.ACCOUNTABILITY_VIEW, scope.root),
    )
    context = decorate(dash)
    context.update(
        scope=scope,
        campaigns=Campaign.objects.filter(institution=scope.campaign.institution)
        .exclude(status=Campaign.Status.DRAFT)
        .order_by("-start_date"),
        can_manage=can(request.user, Perm.CAMPAIGN_MANAGE, scope.root),
        parent_scope=scope.root.parent if not scope.is_institution else None,
        can_view_parent=not scope.is_institution and can(request.user, Perm.ANALYSIS_VIEW, scope.root.parent),
        can_view_city=selectors.city_units_for(request.user).exists(),
    )
    return render(request, "analysis/dashboard.html", context)


def campaign_stages(request, pk: int):
    """HTMX partial: each unit's stage and what blocks its next gate."""
    scope = selectors.get_scope_for_user(request.user, pk, _int(request.GET.get("unit")))
    return render(request, "analysis/_stages.html", {"rows": selectors.participant_blockers(scope), "scope": scope})


def city_dashboard(request, pk: int):
    city = Unit.objects.filter(pk=pk, kind=Unit.Kind.CITY_OFFICE).first()
    if city is None or not selectors.can_view_city(request.user, city):
        raise Http404
    data = selectors.city_dashboard(city, timezone.localdate())
    sort = request.GET.get("sort", "completion")
    if sort not in CITY_SORTS:
        sort = "completion"
    data["rows"].sort(key=CITY_SORTS[sort])
    data = decorate_city(data)
    data["sort"] = sort
    data["sort_choices"] = [
        ("completion", _("Completion rate")),
        ("on_time", _("On-time rate")),
        ("satisfaction", _("Satisfaction")),
        ("problems", _("Problems")),
        ("overdue", _("Overdue")),
        ("name", _("Name")),
    ]
    return render(request, "analysis/city.html", data)


# ------------------------------------------------------------------------------------------ reports


def campaign_reports(request, pk: int):
    scope = selectors.get_scope_for_user(request.user, pk)
    if not scope.is_institution:
        raise Http404
    return render(
        request,
        "analysis/reports.html",
        {
            "scope": scope,
            "reports": selectors.reports_for_campaign(scope.campaign),
            "can_manage": can(request.user, Perm.CAMPAIGN_MANAGE, scope.root),
            "can_view_city": selectors.city_units_for(request.user).exists(),
        },
    )


@require_POST
def report_new(request, pk: int):
    scope = selectors.get_scope_for_user(request.user, pk)
    if not scope.is_institution:
        raise Http404
    selectors.require_manage(request.user, scope)
    report = services.report_create(actor=request.user, unit=scope.root, campaign=scope.campaign)
    return redirect("analysis:report", pk=report.pk)


def city_reports(request, pk: int):
    city = Unit.objects.filter(pk=pk, kind=Unit.Kind.CITY_OFFICE).first()
    if city is None or not selectors.can_view_city(request.user, city):
        raise Http404
    reports = AnalysisReport.objects.filter(unit=city, scope=AnalysisReport.Scope.CITY).prefetch_related("runs")
    return render(
        request,
        "analysis/city_reports.html",
        {"city": city, "reports": reports, "can_manage": can(request.user, Perm.REPORT_REVIEW_CITY, city)},
    )


@require_POST
def city_report_new(request, pk: int):
    city = Unit.objects.filter(pk=pk, kind=Unit.Kind.CITY_OFFICE).first()
    if city is None or not selectors.can_view_city(request.user, city):
        raise Http404
    if not can(request.user, Perm.REPORT_REVIEW_CITY, city):
        raise PermissionDenied
    report = services.report_create(actor=request.user, unit=city)
    return redirect("analysis:report", pk=report.pk)


def report_detail(request, pk: int):
    """The report page: narratives to edit, typical cases, generations with their progress."""
    report = selectors.get_report_for_user(request.user, pk, write=request.method == "POST")
    module = comprehensive if report.scope == AnalysisReport.Scope.INSTITUTION else city_report
    generated = (
        module.collect(report.unit, report.campaign)["narratives"]
        if module is comprehensive
        else module.collect(report.unit)["narratives"]
    )
    initial = {"title": report.title, **{f"n_{k}": v for k, v in report.narratives.items()}}
    form = ReportForm(request.POST or None, initial=initial, placeholders=generated)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_update(
                actor=request.user, report=report, title=form.cleaned_data["title"], narratives=form.narratives()
            )
        except ServiceError as e:
            _service_error(request, e)
        else:
            messages.success(request, _("The report was saved."))
            return redirect("analysis:report", pk=report.pk)
    return render(
        request,
        "analysis/report.html",
        {
            "report": report,
            "form": form,
            "case_form": TypicalCaseForm(units=_report_units(report)),
            "runs": report.runs.select_related("requested_by")[:10],
            "can_manage": _can_write_report(request.user, report),
        },
    )


@require_POST
def report_generate(request, pk: int):
    report = selectors.get_report_for_user(request.user, pk, write=True)
    try:
        services.report_generate(actor=request.user, report=report)
    except ServiceError as e:
        _service_error(request, e)
    else:
        messages.success(request, _("Generation started; the files appear below when they are ready."))
    return redirect("analysis:report", pk=report.pk)


@require_POST
def case_add(request, pk: int):
    report = selectors.get_report_for_user(request.user, pk, write=True)
    form = TypicalCaseForm(request.POST, units=_report_units(report))
    if form.is_valid():
        try:
            services.typical_case_add(actor=request.user, report=report, **form.cleaned_data)
        except ServiceError as e:
            _service_error(request, e)
    else:
        messages.error(request, _("A typical case needs a title and a description."))
    return redirect(reverse("analysis:report", args=[report.pk]) + "#cases")


@require_POST
def case_remove(request, pk: int):
    case = TypicalCase.objects.select_related("report").filter(pk=pk).first()
    if case is None:
        raise Http404
    selectors.get_report_for_user(request.user, case.report_id, write=True)
    services.typical_case_remove(actor=request.user, case=case)
    return redirect(reverse("analysis:report", args=[case.report_id]) + "#cases")


def run_progress(request, pk: int):
    """HTMX partial polled while a report is generated."""
    run = selectors.get_run_for_user(request.user, pk)
    return render(request, "analysis/_run.html", {"run": run})


def run_file(request, pk: int, fmt: str):
    run = selectors.get_run_for_user(request.user, pk)
    if fmt not in ("docx", "pdf") or run.status != JobStatus.DONE:
        raise Http404
    f = run.docx if fmt == "docx" else run.pdf
    name = f"{run.report.title}-{timezone.localtime(run.finished_at):%Y%m%d%H%M}.{fmt}"
    return _download(f, name, CONTENT_TYPES[fmt])


def _report_units(report):
    if report.scope == AnalysisReport.Scope.CITY:
        return Unit.objects.filter(path__startswith=report.unit.path, kind=Unit.Kind.INSTITUTION)
    return Unit.objects.filter(path__startswith=report.unit.path, depth__lte=report.unit.depth + 1)


def _can_write_report(user, report) -> bool:
    if report.scope == AnalysisReport.Scope.CITY:
        return can(user, Perm.REPORT_REVIEW_CITY, report.unit)
    return can(user, Perm.CAMPAIGN_MANAGE, report.unit)


# ------------------------------------------------------------------------------------------ ledgers


def ledgers(request, pk: int):
    """Ask for an Excel ledger of the units the user may see; their recent exports with progress."""
    scope = selectors.get_scope_for_user(request.user, pk, _int(request.GET.get("unit")))
    units = Unit.objects.filter(path__startswith=scope.root.path, depth__lte=scope.root.depth + 1).order_by("path")
    form = ExportForm(request.POST or None, units=units, initial={"unit": scope.root})
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["unit"]
        if not can(request.user, Perm.ANALYSIS_VIEW, unit):
            raise PermissionDenied
        try:
            export = services.ledger_export_request(
                actor=request.user,
                campaign=scope.campaign,
                unit=unit,
                kind=form.cleaned_data["kind"],
                layout=form.cleaned_data["layout"],
            )
        except ServiceError as e:
            _service_error(request, e)
        else:
            messages.success(request, _("The ledger is being written; download it below when it is ready."))
            return redirect(reverse("analysis:ledgers", args=[pk]) + f"?unit={scope.root.pk}#export-{export.pk}")
    exports = LedgerExport.objects.filter(campaign=scope.campaign, requested_by=request.user).select_related("unit")
    return render(
        request,
        "analysis/ledgers.html",
        {
            "scope": scope,
            "form": form,
            "exports": exports[:15],
            "can_manage": can(request.user, Perm.CAMPAIGN_MANAGE, scope.root),
            "can_view_city": selectors.city_units_for(request.user).exists(),
        },
    )


def export_progress(request, pk: int):
    export = selectors.get_export_for_user(request.user, pk)
    return render(request, "analysis/_export.html", {"export": export})


def export_file(request, pk: int):
    export = selectors.get_export_for_user(request.user, pk)
    if export.status != JobStatus.DONE:
        raise Http404
    name = download_name(
        f"{export.unit.name}-{export.get_kind_display()}-{timezone.localtime(export.finished_at):%Y%m%d%H%M}", "xlsx"
    )
    return _download(export.file, name, CONTENT_TYPES["xlsx"])


CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise Http404 from None


def _service_error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)
    for d in exc.details:
        messages.error(request, d)


def _download(f, filename: str, content_type: str):
    if not f:
        raise Http404
    return FileResponse(f.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
