"""The office's pages for ledgers kept in Excel: upload, paged preview, status words, the 未关联
matching screen and the bulk close-out (销号) of items an import marked done. Short views over
analysis.services, rectification.services and the selectors."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from orgs.access import Perm, can
from orgs.models import Person, Unit

from . import selectors, services
from .forms import ImportMappingForm, ImportStartForm, StatusWordForm
from .models import LedgerImport, StatusWord

PREVIEW_PAGE_ROWS = 50


def _service_error(request, e: ServiceError) -> None:
    messages.error(request, " ".join([e.message, *[str(d) for d in e.details[:20]]]))


def _office_scope(request, pk: int):
    scope = selectors.get_scope_for_user(request.user, pk)
    if not scope.is_institution or not can(request.user, Perm.PROBLEM_EDIT, scope.root):
        raise PermissionDenied
    return scope


def import_upload(request, pk: int):
    """Upload a ledger kept elsewhere; the next page previews every row."""
    scope = _office_scope(request, pk)
    units = Unit.objects.filter(path__startswith=scope.root.path).order_by("path")
    form = ImportStartForm(
        request.POST or None, request.FILES or None, units=units, initial={"default_unit": scope.root}
    )
    if request.method == "POST" and form.is_valid():
        try:
            imp = services.ledger_import_upload(
                actor=request.user,
                campaign=scope.campaign,
                upload=form.cleaned_data["file"],
                default_unit=form.cleaned_data["default_unit"],
                default_channel=form.cleaned_data["default_channel"],
                split_measures=form.cleaned_data["split_measures"],
                plans_approved=form.cleaned_data["plans_approved"],
            )
        except ServiceError as e:
            _service_error(request, e)
        else:
            return redirect("analysis:import_preview", pk=imp.pk)
    imports = scope.campaign.ledger_imports.select_related("created_by")[:10]
    return render(
        request,
        "analysis/import_upload.html",
        {"scope": scope, "form": form, "imports": imports, "can_manage": True},
    )


def import_preview(request, pk: int):
    """The summary, the errors by row and column, and every parsed value of each row, a page at a time.

    While the worker reads or imports the file, the progress instead (rows of total, the stage): HTMX
    polls this address for the progress alone and reloads the page when the run is over; without
    JavaScript the page refreshes itself and has a refresh button."""
    imp = selectors.get_import_for_user(request.user, pk, write=request.method == "POST")
    scope = selectors.Scope(imp.campaign, imp.campaign.institution)
    if request.method != "POST" and imp.busy:
        return _import_progress(request, scope, imp)
    if request.method != "POST" and request.headers.get("HX-Request"):
        response = HttpResponse("")
        response["HX-Refresh"] = "true"  # the run is over: show the preview (or its failure)
        return response
    units = Unit.objects.filter(path__startswith=scope.root.path).order_by("path")
    action = request.POST.get("action")
    try:
        if action == "map":
            _import_remap(request, imp, units)
            return redirect("analysis:import_preview", pk=imp.pk)
        if action == "import":
            if not services.ledger_import_commit_request(actor=request.user, ledger_import=imp):
                messages.info(request, _("The import of this file is already under way."))
            return redirect("analysis:import_preview", pk=imp.pk)
        if action == "discard":
            services.ledger_import_discard(actor=request.user, ledger_import=imp)
            return redirect("analysis:import_upload", pk=imp.campaign_id)
    except ServiceError as e:
        _service_error(request, e)
        imp.refresh_from_db()
    summary = imp.summary or {}
    rows = imp.rows.all()
    if request.GET.get("only") == "problems":
        rows = rows.exclude(errors=[]) | rows.exclude(duplicate_of="")
    page = Paginator(rows.order_by("number"), PREVIEW_PAGE_ROWS).get_page(request.GET.get("page"))
    form = None
    if imp.status == LedgerImport.Status.PREVIEWED:
        initial = {f"col_{k}": str(v) for k, v in imp.mapping.items()}
        initial.update(
            sheet=imp.sheet,
            default_unit=imp.default_unit,
            default_channel=imp.default_channel,
            split_measures=imp.split_measures,
            plans_approved=imp.plans_approved,
        )
        form = ImportMappingForm(
            initial=initial, header=summary.get("header", []), sheets=_sheet_names(imp), units=units
        )
    return render(
        request,
        "analysis/import_preview.html",
        {
            "scope": scope,
            "imp": imp,
            "form": form,
            "s": summary,
            "page": page,
            "names": _names_by_pk(page),
            "only": request.GET.get("only", ""),
            "can_manage": True,
        },
    )


def _import_progress(request, scope, imp):
    rows, total = services.ledger_import_job_progress(imp)
    context = {
        "scope": scope,
        "imp": imp,
        "rows": rows,
        "total": total,
        "percent": min(99, int(100 * rows / total)) if total else 0,
        "can_manage": True,
    }
    if request.headers.get("HX-Request"):
        return render(request, "analysis/_import_progress.html", context)
    return render(request, "analysis/import_progress.html", context)


def _sheet_names(imp) -> list[str]:
    """The workbook's sheets, as the last check found them (the file is opened only for older imports)."""
    from openpyxl import load_workbook

    if (imp.summary or {}).get("sheets"):
        return imp.summary["sheets"]
    if not imp.file:
        return [imp.sheet] if imp.sheet else []
    with imp.file.open("rb") as fh:
        return load_workbook(fh, read_only=True).sheetnames


def _names_by_pk(page) -> dict:
    """People and units matched on this page, loaded in two queries."""
    people, units = set(), set()
    for r in page:
        if r.values.get("unit_id"):
            units.add(r.values["unit_id"])
        for m in r.values.get("measures", []):
            people.update(pk for pk in (m["owner_id"], m["leader_id"]) if pk)
            if m["resp_unit_id"]:
                units.add(m["resp_unit_id"])
    return {
        "people": {p.pk: p.name for p in Person.objects.filter(pk__in=people)},
        "units": {u.pk: u.name for u in Unit.objects.filter(pk__in=units)},
    }


def _import_remap(request, imp, units) -> None:
    form = ImportMappingForm(
        request.POST, header=(imp.summary or {}).get("header", []), sheets=_sheet_names(imp), units=units
    )
    if not form.is_valid():
        raise ServiceError(_("Check the mapping."), details=[str(e) for e in form.errors.values()])
    services.ledger_import_map(
        actor=request.user,
        ledger_import=imp,
        mapping=form.mapping(),
        sheet=form.cleaned_data["sheet"],
        guess=form.cleaned_data["sheet"] != imp.sheet,  # another sheet: its columns are guessed afresh
        default_unit=form.cleaned_data["default_unit"],
        default_channel=form.cleaned_data["default_channel"],
        split_measures=form.cleaned_data["split_measures"],
        plans_approved=form.cleaned_data["plans_approved"],
    )


def status_words(request, pk: int):
    """The status words the importer understands: built in, and the office's own (added here)."""
    from .imports import STATUS_WORDS

    scope = _office_scope(request, pk)
    institution = scope.root
    form = StatusWordForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                sw = get_object_or_404(StatusWord, pk=request.POST["remove"], institution=institution)
                services.status_word_remove(actor=request.user, status_word=sw)
            elif form.is_valid():
                services.status_word_add(actor=request.user, institution=institution, **form.cleaned_data)
                messages.success(request, _("The word was added; check the preview of your import again."))
            return redirect("analysis:status_words", pk=pk)
        except ServiceError as e:
            _service_error(request, e)
    labels = dict(StatusWord.State.choices)
    builtin = {}
    for word, state in STATUS_WORDS.items():
        builtin.setdefault(state, []).append(word)
    return render(
        request,
        "analysis/status_words.html",
        {
            "scope": scope,
            "form": form,
            "own": StatusWord.objects.filter(institution=institution),
            "builtin": [(labels[k], builtin.get(k, [])) for k in StatusWord.State.values],
            "can_manage": True,
        },
    )


def names(request, pk: int):
    """未关联: every name an import kept as text, with the people or units it may mean; one screen to
    link them (by name or by post) or to create the units the ledger named."""
    from rectification import services as rs

    scope = _office_scope(request, pk)
    campaign = scope.campaign
    if request.method == "POST":
        kind, name = request.POST.get("kind", ""), request.POST.get("name", "")
        try:
            if request.POST.get("create_unit"):
                services.ledger_unit_create(actor=request.user, campaign=campaign, name=name)
                messages.success(request, _("The unit “%(name)s” was created and linked.") % {"name": name})
            elif request.POST.get("by_post"):
                from .imports import post_kind

                n, missing = rs.measures_link_post(
                    actor=request.user, campaign=campaign, kind=kind, name=name, post=post_kind(name) or ""
                )
                messages.success(request, _("%(n)s measures now name the holder of the post in their unit.") % {"n": n})
                if missing:
                    messages.warning(
                        request,
                        _("Nobody holds that post in %(units)s: those measures stay not linked.")
                        % {"units": "、".join(missing)},
                    )
            elif kind == "unit":
                unit = get_object_or_404(Unit, pk=request.POST.get("target"), path__startswith=scope.root.path)
                services.ledger_unit_link(actor=request.user, campaign=campaign, name=name, unit=unit)
            else:
                person = get_object_or_404(
                    Person, pk=request.POST.get("target"), unit__path__startswith=scope.root.path
                )
                n = rs.measures_link_name(actor=request.user, campaign=campaign, kind=kind, name=name, target=person)
                messages.success(request, _("%(n)s measures now name %(p)s.") % {"n": n, "p": person.name})
        except ServiceError as e:
            _service_error(request, e)
        return redirect("analysis:names", pk=pk)
    return render(
        request,
        "analysis/names.html",
        {
            "scope": scope,
            "groups": selectors.unlinked_names(campaign),
            "units": Unit.objects.filter(path__startswith=scope.root.path, active=True).order_by("path"),
            "can_manage": True,
        },
    )


def closeout(request, pk: int):
    """Items an import marked done, waiting for one recorded decision to close them (销号)."""
    from rectification import services as rs
    from rectification.models import Measure

    scope = _office_scope(request, pk)
    campaign = scope.campaign
    waiting = Measure.objects.filter(plan__campaign=campaign, status=Measure.Status.COMPLETED)
    if request.method == "POST":
        chosen = waiting
        if request.POST.get("file"):
            chosen = waiting.filter(import_file=request.POST["file"])
        try:
            decision = rs.measures_import_confirm(
                actor=request.user, campaign=campaign, measures=list(chosen), comment=request.POST.get("comment", "")
            )
            messages.success(request, _("%(n)s imported items were closed (销号).") % {"n": decision.count})
        except ServiceError as e:
            _service_error(request, e)
        return redirect("analysis:closeout", pk=pk)
    return render(
        request,
        "analysis/closeout.html",
        {
            "scope": scope,
            "files": selectors.completed_by_import(campaign),
            "total": waiting.count(),
            "decisions": campaign.import_closeouts.select_related("decided_by")[:20],
            "can_manage": True,
        },
    )
