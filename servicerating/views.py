"""The office's pages of the service rating channel: units and posters, settings, phone replies,
gateway import, figures, rankings and cases."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from core.documents import pdf_from_template
from core.exceptions import ServiceError
from orgs.access import Perm, can, has_any, units_where
from orgs.models import Unit

from . import figures, selectors, services
from .forms import ConfigForm, DecideForm, ImportForm, PointEnableForm, ReplyEntryForm, parse_gateway_export
from .models import REPLY_CODES, Case, Grade

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_SESSION_KEY = "servicerating_import"


def _institution(request, perm: str) -> Unit:
    """The institution the page is about: ?institution=pk among those where the user holds `perm`."""
    choices = selectors.institutions_for(request.user, perm)
    wanted = request.GET.get("institution") or request.POST.get("institution")
    institution = choices.filter(pk=wanted).first() if wanted and wanted.isdigit() else choices.first()
    if institution is None:
        raise PermissionDenied
    return institution


def _public_url(request, point) -> str:
    path = reverse("servicerating_public:rate", args=[point.code])
    base = settings.EVALUATIONS_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def index(request):
    """The units where the channel is open, their QR posters and service codes."""
    if not has_any(request.user, Perm.SERVICE_RATING_VIEW):
        raise PermissionDenied
    institutions = selectors.institutions_for(request.user, Perm.SERVICE_RATING_VIEW)
    institution = _institution(request, Perm.SERVICE_RATING_VIEW) if institutions.exists() else None
    manage = institution is not None and can(request.user, Perm.SERVICE_RATING_MANAGE, institution)
    points = selectors.points_for(request.user, Perm.SERVICE_RATING_VIEW, institution) if institution else []
    form = None
    if manage:
        units = units_where(request.user, Perm.SERVICE_RATING_MANAGE).filter(path__startswith=institution.path)
        form = PointEnableForm(units=units.order_by("path"))
    return render(
        request,
        "servicerating/index.html",
        {
            "institutions": institutions,
            "institution": institution,
            "points": [{"point": p, "url": _public_url(request, p)} for p in points],
            "manage": manage,
            "form": form,
            "config": selectors.config_for(institution),
            "to_decide": selectors.cases_to_decide(request.user).count(),
        },
    )


@require_POST
def point_enable(request):
    institution = _institution(request, Perm.SERVICE_RATING_MANAGE)
    units = units_where(request.user, Perm.SERVICE_RATING_MANAGE).filter(path__startswith=institution.path)
    form = PointEnableForm(request.POST, units=units)
    if form.is_valid():
        try:
            point = services.point_enable(
                actor=request.user, unit=form.cleaned_data["unit"], handling_unit=form.cleaned_data["handling_unit"]
            )
        except ServiceError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Rating is open for %(unit)s.") % {"unit": point.unit})
    else:
        messages.error(request, _("Choose a unit."))
    return redirect(f"{reverse('servicerating:index')}?institution={institution.pk}")


@require_POST
def point_disable(request, pk: int):
    point = selectors.get_point_for_user(request.user, pk, write=True)
    try:
        services.point_disable(actor=request.user, point=point)
        messages.success(request, _("Rating is closed for %(unit)s.") % {"unit": point.unit})
    except ServiceError as e:
        messages.error(request, e.message)
    return redirect(f"{reverse('servicerating:index')}?institution={point.unit.institution_id}")


def poster(request, pk: int):
    """An A4 poster with the unit's QR code and service code, to put up at the service desk."""
    import segno

    point = selectors.get_point_for_user(request.user, pk, write=True)
    url = _public_url(request, point)
    pdf = pdf_from_template(
        "servicerating/poster_pdf.html",
        {
            "point": point,
            "unit": point.unit,
            "institution": point.unit.institution,
            "url": url,
            "qr": segno.make(url, error="m").svg_data_uri(scale=12, border=2),
            "config": selectors.config_for(point.unit.institution),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="service-rating-{point.unit.code}.pdf"'
    return response


def config_edit(request):
    """The office sets the star mapping, the minimum for a rate, the rate rule and the case deadline."""
    institution = _institution(request, Perm.SERVICE_RATING_MANAGE)
    config = selectors.config_for(institution)
    form = ConfigForm.for_config(config, request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.config_update(
                actor=request.user,
                institution=institution,
                star_grades=form.star_grades,
                min_ratings=d["min_ratings"],
                rate_counts_basic=d["rate_counts_basic"],
                case_due_days=d["case_due_days"],
                phone_hint=d["phone_hint"],
            )
        except ServiceError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Settings saved. The mapping applies to ratings given from now on."))
            return redirect(f"{reverse('servicerating:settings')}?institution={institution.pk}")
    return render(request, "servicerating/settings.html", {"form": form, "institution": institution})


def reply_entry(request):
    """Staff type in a reply code (1/2/3) taken by phone or text message."""
    institution = _institution(request, Perm.SERVICE_RATING_MANAGE)
    points = selectors.points_for(request.user, Perm.SERVICE_RATING_MANAGE, institution).filter(enabled=True)
    form = ReplyEntryForm(request.POST or None, points=points, initial={"rated_on": timezone.localdate()})
    receipt = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            given = services.rating_enter(
                actor=request.user,
                point=d["point"],
                reply=d["reply"],
                rated_on=d["rated_on"],
                reason=d["reason"],
                named=d["named"],
            )
        except ServiceError as e:
            form.add_error(None, e.message)
        else:
            receipt = given.receipt
            messages.success(
                request,
                _("Reply %(code)s (%(grade)s) for %(unit)s entered.")
                % {"code": d["reply"], "grade": Grade(REPLY_CODES[d["reply"]]).label, "unit": d["point"].unit},
            )
            form = ReplyEntryForm(points=points, initial={"rated_on": d["rated_on"], "point": d["point"]})
    return render(request, "servicerating/entry.html", {"form": form, "institution": institution, "receipt": receipt})


def import_upload(request):
    """Upload a gateway export → preview with every row's error; nothing is stored until confirmed."""
    institution = _institution(request, Perm.SERVICE_RATING_MANAGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    ctx = {"form": form, "institution": institution, "parsed": None}
    if request.method == "POST" and form.is_valid():
        points = {
            p.short_code: p
            for p in selectors.points_for(request.user, Perm.SERVICE_RATING_MANAGE, institution).filter(enabled=True)
        }
        parsed = parse_gateway_export(form.cleaned_data["file"], points)
        by_id = {p.pk: p for p in points.values()}
        ctx.update(parsed=parsed, preview=[(r, by_id[r.point_id]) for r in parsed.rows[:200]])
        if parsed.ok:
            request.session[IMPORT_SESSION_KEY] = {
                "institution": institution.pk,
                "rows": [[r.row, r.point_id, r.rated_on.isoformat(), r.reply, r.reason] for r in parsed.rows],
            }
    return render(request, "servicerating/import.html", ctx)


@require_POST
def import_confirm(request):
    pending = request.session.pop(IMPORT_SESSION_KEY, None)
    institution = _institution(request, Perm.SERVICE_RATING_MANAGE)
    if not pending or pending["institution"] != institution.pk:
        messages.error(request, _("That import has expired; upload the file again."))
        return redirect(f"{reverse('servicerating:import')}?institution={institution.pk}")
    rows = [
        services.ImportRow(row=n, point_id=p, rated_on=date.fromisoformat(d), reply=r, reason=reason)
        for n, p, d, r, reason in pending["rows"]
    ]
    try:
        receipts = services.ratings_import(actor=request.user, institution=institution, rows=rows)
    except ServiceError as e:
        messages.error(request, _("Nothing was imported: %(error)s") % {"error": e.message})
        return redirect(f"{reverse('servicerating:import')}?institution={institution.pk}")
    messages.success(request, _("%(n)s replies imported.") % {"n": len(rows)})
    return render(
        request, "servicerating/import_done.html", {"institution": institution, "receipts": receipts, "n": len(rows)}
    )


# ---------------------------------------------------------------- figures and rankings


def _scope(request):
    """(institution or None for the whole city, units queryset, scope choices)."""
    user = request.user
    if not has_any(user, Perm.SERVICE_RATING_VIEW):
        raise PermissionDenied
    city = selectors.sees_city(user)
    wanted = request.GET.get("institution", "")
    institutions = selectors.institutions_for(user, Perm.SERVICE_RATING_VIEW)
    visible = units_where(user, Perm.SERVICE_RATING_VIEW)
    if city and wanted in ("", "city"):
        return None, visible, institutions, city
    institution = institutions.filter(pk=wanted).first() if wanted.isdigit() else None
    if institution is None:
        institution = institutions.first()
    if institution is None:  # a department head: their own units only
        return None, visible, institutions, False
    return institution, visible.filter(path__startswith=institution.path), institutions, city


def _period(request) -> figures.Period:
    today = timezone.localdate()
    kind = "week" if request.GET.get("kind") == "week" else "month"
    value = request.GET.get("period", "")
    period = figures.parse_period(value, today)
    if period.kind != kind:
        period = figures.period_containing(kind, today)
    return period


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _figures_ctx(request):
    institution, units, institutions, city = _scope(request)
    period = _period(request)
    return {
        "institution": institution,
        "institutions": institutions,
        "city": city,
        "period": period,
        "kind": period.kind,
        "rows": figures.collect(units, period),
        "scope_param": institution.pk if institution else "city",
        "scope_label": institution.name
        if institution
        else (pgettext("service rating", "All institutions") if city else _("Your units")),
        "manage": has_any(request.user, Perm.SERVICE_RATING_MANAGE),
    }


def figures_page(request):
    """Monthly or weekly figures per unit, with the rate's numerator and denominator."""
    ctx = _figures_ctx(request)
    if request.GET.get("format") == "xlsx":
        return _xlsx(figures.to_xlsx(figures=ctx["rows"], period=ctx["period"]), f"service-ratings-{ctx['period'].key}")
    rows = ctx["rows"]
    ctx["totals"] = figures.UnitFigures(
        unit=None,
        institution=None,
        satisfied=sum(r.satisfied for r in rows),
        basic=sum(r.basic for r in rows),
        unsatisfied=sum(r.unsatisfied for r in rows),
        open_cases=sum(r.open_cases for r in rows),
    )
    return render(request, "servicerating/figures.html", ctx)


def rankings_page(request):
    """Rankings of the period: most 不满意, best satisfaction (ties share a rank)."""
    ctx = _figures_ctx(request)
    ctx["unsatisfied"] = figures.rank_unsatisfied(ctx["rows"])
    ctx["best"] = figures.rank_satisfaction(ctx["rows"])
    ctx["ties_unsatisfied"] = figures.has_ties(ctx["unsatisfied"])
    ctx["ties_best"] = figures.has_ties(ctx["best"])
    if request.GET.get("format") == "xlsx":
        data = figures.to_xlsx(
            rankings={_("Most unsatisfied"): ctx["unsatisfied"], _("Best satisfaction"): ctx["best"]},
            period=ctx["period"],
        )
        return _xlsx(data, f"service-rankings-{ctx['period'].key}")
    return render(request, "servicerating/rankings.html", ctx)


# ---------------------------------------------------------------- cases


def case_list(request):
    if not has_any(request.user, Perm.SERVICE_RATING_VIEW) and not has_any(request.user, Perm.SERVICE_CASE_HANDLE):
        raise PermissionDenied
    cases = selectors.cases_visible(request.user)
    status = request.GET.get("status", "")
    if status in Case.Status.values:
        cases = cases.filter(status=status)
    to_decide = set(selectors.cases_to_decide(request.user).values_list("pk", flat=True))
    return render(
        request,
        "servicerating/cases.html",
        {
            "cases": cases[:500],
            "status": status,
            "statuses": Case.Status.choices,
            "to_decide": to_decide,
            "today": timezone.localdate(),
            "manage": has_any(request.user, Perm.SERVICE_RATING_MANAGE),
        },
    )


def case_detail(request, pk):
    case = selectors.get_case_for_user(request.user, pk)
    may_decide = case.is_open and selectors.may_decide_case(request.user, case)
    form = DecideForm(request.POST or None) if may_decide else None
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.case_decide(actor=request.user, case=case, **form.cleaned_data)
            except ServiceError as e:
                form.add_error(None, e.message)
            else:
                messages.success(request, _("The case is settled; the rater can read the outcome."))
                return redirect("servicerating:case", pk=case.pk)
    return render(
        request,
        "servicerating/case.html",
        {
            "case": case,
            "form": form,
            "may_decide": may_decide,
            "today": timezone.localdate(),
            "manage": has_any(request.user, Perm.SERVICE_RATING_MANAGE),
        },
    )
