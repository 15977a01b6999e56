"""Opinions inside the system: staff opinions (signed or anonymous), office entry, triage, QR posters."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.current import current_campaign
from campaigns.models import Campaign, CampaignUnit
from core.documents import pdf_from_template
from core.exceptions import ServiceError
from orgs.access import Perm, can, has_any, person_of, units_where
from orgs.models import Person, Unit

from . import selectors, services
from .filters import CappedPaginator, OpinionFilter
from .forms import CloseForm, MergeForm, OfficeOpinionForm, StaffOpinionForm, TriageFormSet
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


def triage_list(request):
    """意见梳理: the opinions of the user's units (and those routed to them, 回避), waiting ones first;
    suggestions shown, never applied."""
    if not selectors.may_handle_opinions(request.user):
        raise PermissionDenied
    params = request.GET.copy()
    if "status" not in params:
        params["status"] = Opinion.Status.NEW
    f = OpinionFilter(params, queryset=selectors.opinions_for_triage(request.user), user=request.user)
    qs = (
        f.qs.select_related("unit", "suggested_manifestation", "campaign")
        .prefetch_related("recused_people")
        .order_by("-received_on", "-pk")
    )
    paginator = CappedPaginator(qs, 30)
    page = paginator.get_page(request.GET.get("page"))
    counts = {
        s: n
        for s, n in selectors.opinions_for_triage(request.user).order_by().values_list("status").annotate(n=Count("pk"))
    }
    querystring = urlencode([(k, v) for k, v in params.items() if k != "page" and v])
    return render(
        request,
        "problems/opinions.html",
        {
            "filter": f,
            "page": page,
            "counts": [(s, label, counts.get(s, 0)) for s, label in Opinion.Status.choices],
            "querystring": querystring,
            "current_status": params.get("status"),
            "bulk": params.get("status") == Opinion.Status.NEW,
        },
    )


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


@require_POST
def triage_bulk(request):
    """Bulk triage from the list: the ticked opinions closed with one reason, or each accepted as a problem."""
    ids = [int(v) for v in request.POST.getlist("opinions") if v.isdigit()][:200]
    opinions = [selectors.get_opinion_for_user(request.user, pk, write=True) for pk in ids]
    try:
        n = services.opinions_triage_bulk(
            actor=request.user,
            opinions=opinions,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", "")[:2000],
        )
    except ServiceError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("%(n)s opinions triaged.") % {"n": n})
    return redirect(f"{reverse('problems:opinions')}?{request.POST.get('back', '')}")
