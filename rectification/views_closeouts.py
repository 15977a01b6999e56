"""销号 by the office: the close-out requests waiting for the user (待办) and those they decided (已办),
many verified or returned in one action, and the list exported to Excel."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.excel import download_name
from core.exceptions import ServiceError
from core.forms import id_or_none

from . import exports, forms, selectors, services
from .models import Measure

TABS = ("todo", "done")


def _rows(user, params):
    """The measures of the tab (待办: waiting for the user; 已办: decided by the user), searched."""
    if params.get("tab") == "done":
        qs = Measure.objects.filter(pk__in=selectors.closeouts_decided_by(user).values("measure_id")).select_related(
            "plan__unit", "plan__campaign", "owner", "responsible_unit"
        )
        qs = qs.order_by("-verified_at", "-pk")
    else:
        qs = selectors.closeout_queue(user)
    q = (params.get("q") or "").replace("\x00", "").strip()[:100]  # PostgreSQL text holds no NUL
    if q:
        qs = qs.filter(Q(content__icontains=q) | Q(plan__unit__name__icontains=q) | Q(owner__name__icontains=q))
    return qs


def _context(request, params, *, form=None, result=None, error=None) -> dict:
    tab = params.get("tab") if params.get("tab") in TABS else "todo"
    params["tab"] = tab
    page = Paginator(_rows(request.user, params), 50).get_page(params.get("page"))
    page.object_list = list(page.object_list)
    if tab == "done":
        decisions = {}
        for r in selectors.closeouts_decided_by(request.user).filter(measure__in=[m.pk for m in page.object_list]):
            decisions.setdefault(r.measure_id, r)  # the newest decision per measure
        for m in page.object_list:
            m.decision = decisions.get(m.pk)
    return {
        "tab": tab,
        "page": page,
        "todo": selectors.closeout_queue(request.user).count(),
        "done": selectors.closeouts_decided_by(request.user).values("measure_id").distinct().count(),
        "q": params.get("q", ""),
        "querystring": urlencode([(k, v) for k, v in params.items() if k != "page" and v]),
        "form": form or forms.BulkCloseoutForm(),
        "result": result,
        "error": error,
    }


@require_GET
def closeouts(request):
    """销号: 待办 are the close-out requests the user may decide, 已办 those they decided."""
    return render(request, "rectification/closeouts.html", _context(request, request.GET.copy()))


def _posted_ids(request) -> list[int]:
    return [n for n in (id_or_none(v) for v in request.POST.getlist("measures")) if n is not None]


@require_POST
def closeouts_bulk(request):
    """One decision for every ticked close-out request, all or none (services.measures_closeout_bulk
    checks each row). With HTMX the list is swapped in place with the summary; without JavaScript the
    summary is a message on the list."""
    back = QueryDict(request.POST.get("back", "")[:1000], mutable=True)
    form = forms.BulkCloseoutForm(request.POST)
    result, error = None, None
    if form.is_valid():
        d = form.cleaned_data
        try:
            done = services.measures_closeout_bulk(
                actor=request.user,
                ids=_posted_ids(request),
                decision=d["decision"],
                comment=d["comment"],
                new_deadline=d["new_deadline"],
            )
        except ServiceError as exc:
            error = exc
        else:
            result = {"n": len(done), "decision": d["decision"]}
    else:
        error = ServiceError(_("Choose a decision."), details=[str(e) for es in form.errors.values() for e in es])
    if request.headers.get("HX-Request") != "true":
        if result:
            messages.success(request, _summary(result))
        else:
            messages.error(request, error.message)
            for detail in error.details:
                messages.warning(request, detail)
        return redirect(f"{reverse('rectification:closeouts')}?{back.urlencode()}")
    ctx = _context(request, back, form=None if result else form, result=result and _summary(result), error=error)
    return render(request, "rectification/_closeout_list.html", ctx)  # htmx swaps 2xx answers only


def _summary(result: dict) -> str:
    if result["decision"] == "verify":
        return _("%(n)s measures verified and closed (销号).") % result
    return _("%(n)s close-outs returned.") % result


def closeouts_export(request):
    """The list as an Excel file: the ticked rows (POST from the list) or the whole tab (GET)."""
    if request.method == "POST":
        ids = _posted_ids(request)
        visible = selectors.measures_visible_to(request.user).values("pk")
        qs = Measure.objects.filter(
            Q(pk__in=visible) | Q(pk__in=selectors.closeout_queue(request.user).values("pk")), pk__in=ids
        )
    else:
        qs = _rows(request.user, request.GET.copy())
    response = HttpResponse(exports.closeouts_xlsx(qs.order_by("plan__unit__path", "pk")), content_type=exports.XLSX)
    name = download_name(_("Close-outs") + f"-{timezone.localdate():%Y%m%d}", "xlsx")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
