"""Dashboards, analysis reports, ledger exports and imports: short views over selectors and services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from core.exceptions import ServiceError
from orgs.access import Perm, can, has_any
from orgs.models import Unit

from . import links, selectors
from .dashboards import decorate, decorate_city

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
    if target is None:
        return render(request, "analysis/empty.html")
    kind, value = target
    if kind == "city":
        return redirect("analysis:city", pk=value.pk)
    return redirect(links.dashboard_url(value.campaign, None if value.is_institution else value.root))


def campaign_dashboard(request, pk: int):
    scope = selectors.get_scope_for_user(request.user, pk, _int(request.GET.get("unit")))
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


__all__ = ["require_POST", "_service_error", "_download", "_"]
