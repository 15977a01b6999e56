"""Opinions inside the system: staff opinions (signed or anonymous), office entry, triage, QR posters."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.current import current_campaign
from campaigns.models import Campaign, CampaignUnit
from core.documents import pdf_from_template
from core.excel import download_name
from core.exceptions import ServiceError
from core.forms import id_or_none
from orgs.access import Perm, can, has_any, person_of, units_where
from orgs.models import Person, Unit

from . import exports, selectors, services
from .filters import CappedPaginator, OpinionFilter
from .forms import BulkTriageForm, CloseForm, MergeForm, OfficeOpinionForm, StaffOpinionForm, TriageFormSet
from .models import Opinion
from .views import show_error


def _campaign_units(campaign: Campaign):
    return Unit.objects.filter(pk__in=CampaignUnit.objects.filter(campaign=campaign).values("unit_id")).order_by("path")


def _institution_people(campaign: Campaign):
    return Person.objects.filter(unit__institution_id=campaign.institution_id, active=True) | Person.objects.filter(
        unit_id=campaign.institution_id, active=True
    )


def staff_new(request):
    """Any member of staff gives an opinion, signed or anonymous (anonymous: no person is stored)."""
    me = person_of(request.user)
    campaign = current_campaign(request)
    if campaign is None or me is None:
        messages.error(request, _("There is no campaign in progress."))
        return redirect("home")
    form = StaffOpinionForm(
        request.POST or None,
        units=_campaign_units(campaign),
        people=_institution_people(campaign).order_by("unit__path", "staff_no"),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        anonymous = d["anonymous"]
        try:
            opinion = services.opinion_submit(
                campaign=campaign,
                unit=d["unit"],
                content=d["content"],
                source=Opinion.Source.STAFF_ANONYMOUS if anonymous else Opinion.Source.STAFF_SIGNED,
                submitter=None if anonymous else me,
                concerns_person=d["concerns_person"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            handled_by = selectors.handled_by_label(opinion.recusal_route, opinion.unit)
            ctx = {"opinion": opinion, "staff": True, "handled_by": handled_by}
            return render(request, "problems/public/receipt_issued.html", ctx)
    return render(request, "problems/opinion_staff.html", {"form": form, "campaign": campaign})


def office_enter(request):
    """The campaign office enters opinions gathered at a symposium or on paper."""
    if not has_any(request.user, Perm.OPINION_TRIAGE):
        raise PermissionDenied
    campaign = current_campaign(request)
    if campaign is None:
        messages.error(request, _("There is no campaign in progress."))
        return redirect("problems:opinions")
    units = _campaign_units(campaign).filter(pk__in=units_where(request.user, Perm.OPINION_TRIAGE))
    form = OfficeOpinionForm(
        request.POST or None, units=units, people=_institution_people(campaign).order_by("unit__path", "staff_no")
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            opinion = services.opinion_enter(
                actor=request.user,
                campaign=campaign,
                unit=d["unit"],
                content=d["content"],
                source=d["source"],
                submitter_kind=d["submitter_kind"],
                concerns_person=d["concerns_person"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Opinion entered; its receipt code is %(code)s.") % {"code": opinion.receipt_code}
            )
            return redirect("problems:opinion_enter")
    return render(request, "problems/opinion_enter.html", {"form": form, "campaign": campaign})


def _triage_filter(request, params) -> OpinionFilter:
    if "status" not in params:
        params["status"] = Opinion.Status.NEW
    return OpinionFilter(params, queryset=selectors.opinions_for_triage(request.user), user=request.user)


def _triage_context(request, params, *, form=None, result=None) -> dict:
    """The list of opinions (one page of the filter) with its tabs and the bulk form."""
    f = _triage_filter(request, params)
    qs = (
        f.qs.select_related("unit", "suggested_manifestation", "campaign")
        .prefetch_related("recused_people")
        .order_by("-received_on", "-pk")
    )
    page = CappedPaginator(qs, 30).get_page(params.get("page"))
    counts = {
        s: n
        for s, n in selectors.opinions_for_triage(request.user).order_by().values_list("status").annotate(n=Count("pk"))
    }
    waiting = counts.get(Opinion.Status.NEW, 0)
    current = params.get("status")
    return {
        "filter": f,
        "page": page,
        "todo": waiting,
        "done": sum(counts.values()) - waiting,
        "counts": [(s, label, counts.get(s, 0)) for s, label in Opinion.Status.choices if s != Opinion.Status.NEW],
        "querystring": urlencode([(k, v) for k, v in params.items() if k != "page" and v]),
        "current_status": current,
        "bulk": current == Opinion.Status.NEW,
        "bulk_form": form or BulkTriageForm(units=_triage_units(request.user)),
        "result": result,
    }


def _triage_units(user):
    return Unit.objects.filter(pk__in=units_where(user, Perm.OPINION_TRIAGE)).order_by("path")


def triage_list(request):
    """意见梳理: the opinions of the user's units (and those routed to them, 回避): 待办 (waiting) first,
    then 已办; suggestions shown, never applied. The waiting ones can be ticked and triaged together."""
    if not selectors.may_handle_opinions(request.user):
        raise PermissionDenied
    return render(request, "problems/opinions.html", _triage_context(request, request.GET.copy()))


def _triage_forms(request, opinion, data=None):
    units = _campaign_units(opinion.campaign).filter(
        Q(pk__in=units_where(request.user, Perm.OPINION_TRIAGE)) | Q(pk=opinion.unit_id)
    )
    people = _institution_people(opinion.campaign).order_by("unit__path", "staff_no")
    initial = [
        {
            "unit": opinion.unit_id,
            "description": opinion.content[:4000],
            "subject_kind": "person" if opinion.concerns_person_id else "unit",
            "subject_person": opinion.concerns_person_id,
        }
    ]
    try:
        n = min(max(int(request.GET.get("n", 1)), 1), 5)
    except ValueError:
        n = 1
    initial += [{"unit": opinion.unit_id, "subject_kind": "unit"} for _i in range(n - 1)]
    formset = TriageFormSet(data, prefix="p", initial=initial, form_kwargs={"units": units, "people": people})
    return formset


def triage_detail(request, pk: int):
    opinion = selectors.get_opinion_for_user(request.user, pk)
    if not opinion.similar and opinion.suggested_manifestation_id is None:
        services.opinion_similarity_store(opinion=opinion)  # not computed at submission (timing)
    formset = _triage_forms(request, opinion) if opinion.status == Opinion.Status.NEW else None
    return render(
        request,
        "problems/opinion_detail.html",
        {
            "opinion": opinion,
            "similar": selectors.similar_items(opinion),
            "formset": formset,
            "merge_form": MergeForm(),
            "close_form": CloseForm(),
            "problems": opinion.problems.select_related("unit"),
        },
    )


@require_POST
def triage_accept(request, pk: int):
    opinion = selectors.get_opinion_for_user(request.user, pk, write=True)
    formset = _triage_forms(request, opinion, request.POST)
    if not formset.is_valid():
        return render(
            request,
            "problems/opinion_detail.html",
            {
                "opinion": opinion,
                "similar": selectors.similar_items(opinion),
                "formset": formset,
                "merge_form": MergeForm(),
                "close_form": CloseForm(),
                "problems": [],
            },
            status=400,
        )
    specs = []
    for form in formset.forms:
        d = form.cleaned_data
        if not d:
            continue
        specs.append(
            {
                "unit": d["unit"],
                "description": d["description"],
                "subject_kind": d["subject_kind"],
                "subject_person": d["subject_person"],
                "manifestations": d["manifestations"],
                "severity": d["severity"],
            }
        )
    try:
        made = services.opinion_accept(actor=request.user, opinion=opinion, problems=specs)
        messages.success(request, _("The opinion became %(n)s problems.") % {"n": len(made)})
    except ServiceError as exc:
        show_error(request, exc)
    return redirect("problems:opinion", pk=opinion.pk)


@require_POST
def triage_merge(request, pk: int):
    opinion = selectors.get_opinion_for_user(request.user, pk, write=True)
    form = MergeForm(request.POST)
    if form.is_valid():
        original = selectors.opinion_by_receipt(form.cleaned_data["receipt_code"])
        if original is None or not selectors.opinions_for_triage(request.user).filter(pk=original.pk).exists():
            messages.error(request, _("No opinion with this receipt code."))
        else:
            try:
                services.opinion_merge(
                    actor=request.user, opinion=opinion, duplicate_of=original, note=form.cleaned_data["note"]
                )
                messages.success(request, _("Merged as a duplicate of %(code)s.") % {"code": original.receipt_code})
            except ServiceError as exc:
                show_error(request, exc)
    return redirect("problems:opinion", pk=opinion.pk)


@require_POST
def triage_close(request, pk: int):
    opinion = selectors.get_opinion_for_user(request.user, pk, write=True)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.opinion_close(actor=request.user, opinion=opinion, reason=form.cleaned_data["reason"])
            messages.success(request, _("The opinion was closed."))
        except ServiceError as exc:
            show_error(request, exc)
    else:
        messages.error(request, _("Give the reason for closing the opinion."))
    return redirect("problems:opinion", pk=opinion.pk)


def posters(request):
    """The public links and QR posters of the units in the current campaign."""
    if not has_any(request.user, Perm.OPINION_TRIAGE):
        raise PermissionDenied
    campaign = current_campaign(request)
    units = _campaign_units(campaign).filter(pk__in=units_where(request.user, Perm.OPINION_TRIAGE)) if campaign else []
    rows = [
        {"unit": u, "url": request.build_absolute_uri(reverse("problems_public:form", args=[u.public_code]))}
        for u in units
    ]
    return render(request, "problems/posters.html", {"rows": rows, "campaign": campaign})


def poster_pdf(request, unit_pk: int):
    """A printable A4 poster with the unit's QR code, for service desks."""
    import segno

    unit = Unit.objects.filter(pk=unit_pk).first()
    if unit is None or not can(request.user, Perm.OPINION_TRIAGE, unit):
        raise Http404
    url = request.build_absolute_uri(reverse("problems_public:form", args=[unit.public_code]))
    qr = segno.make(url, error="m")
    pdf = pdf_from_template(
        "problems/poster_pdf.html",
        {
            "unit": unit,
            "institution": unit if unit.kind == Unit.Kind.INSTITUTION else unit.institution,
            "url": url,
            "qr": qr.svg_data_uri(scale=12, border=2),
            "campaign": current_campaign(request),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-{unit.code}.pdf"'
    return response


def _posted_ids(request, name: str) -> list[int]:
    return [n for n in (id_or_none(v) for v in request.POST.getlist(name)) if n is not None]


@require_POST
def triage_bulk(request):
    """Bulk triage from the list: one decision for every ticked opinion, all or none (services.
    opinions_triage_bulk checks each row). With HTMX the list is swapped in place with the summary;
    without JavaScript the summary is a message on the list it came from."""
    if not selectors.may_handle_opinions(request.user):
        raise PermissionDenied
    back = QueryDict(request.POST.get("back", "")[:1000], mutable=True)
    form = BulkTriageForm(request.POST, units=_triage_units(request.user))
    result, error = None, None
    if form.is_valid():
        d = form.cleaned_data
        try:
            done = services.opinions_triage_bulk(
                actor=request.user,
                ids=_posted_ids(request, "opinions"),
                action=d["action"],
                reason=d["reason"],
                manifestation=d["manifestation"],
                unit=d["unit"],
                duplicate_of=_original(request, d["receipt_code"]) if d["action"] == "merge" else None,
            )
        except ServiceError as exc:
            error = exc
        else:
            result = {"n": len(done), "codes": [o.receipt_code for o in done]}
    if request.headers.get("HX-Request") != "true":
        if result:
            messages.success(
                request, _("%(n)s opinions handled: %(codes)s") % {**result, "codes": "、".join(result["codes"])}
            )
        else:
            show_error(
                request,
                error or ServiceError(_("Choose what to do with the selected opinions."), details=_form_errors(form)),
            )
        return redirect(f"{reverse('problems:opinions')}?{back.urlencode()}")
    ctx = _triage_context(request, back, form=None if result else form, result=result)
    ctx["error"] = error
    return render(request, "problems/_opinion_list.html", ctx)  # htmx swaps 2xx answers only


def _original(request, code: str):
    """The earlier opinion named by its receipt code, if the user handles it."""
    original = selectors.opinion_by_receipt(code)
    if original is None or not selectors.opinions_for_triage(request.user).filter(pk=original.pk).exists():
        return None
    return original


def _form_errors(form) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


def opinions_export(request):
    """The opinions as an Excel file: the ticked ones (POST from the list), or every one of the filter
    (GET with the list's query string)."""
    if not selectors.may_handle_opinions(request.user):
        raise PermissionDenied
    if request.method == "POST":
        ids = _posted_ids(request, "opinions")
        if not ids:
            messages.error(request, _("Select at least one opinion."))
            return redirect(f"{reverse('problems:opinions')}?{request.POST.get('back', '')[:1000]}")
        qs = selectors.opinions_for_triage(request.user).filter(pk__in=ids)
    else:
        qs = _triage_filter(request, request.GET.copy()).qs
    data = exports.opinions_xlsx(qs.order_by("-received_on", "-pk"))
    response = HttpResponse(data, content_type=exports.XLSX)
    name = download_name(_("Opinions") + f"-{timezone.localdate():%Y%m%d}", "xlsx")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
