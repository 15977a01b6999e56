from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from accountability.selectors import ineligible_person_ids
from campaigns.models import CampaignUnit
from core.exceptions import ServiceError
from core.forms import id_or_none
from orgs.access import Perm, can, person_of, units_where
from orgs.models import Unit
from orgs.selectors import subtree
from problems.models import Problem

from . import documents, services
from .diffing import version_diff
from .forms import ProblemAddForm, ReportForm, ReviewForm
from .models import SelfReport
from .selectors import (
    REPORT_STATES,
    duties_of,
    get_report_for_user,
    is_author,
    is_overdue,
    last_return,
    may_review,
    report_states,
    reports_visible_to,
    review_queue,
    reviews_by,
    unrouted_for,
)

K = SelfReport.AuthorKind


def _error(request, exc: ServiceError) -> None:
    messages.error(request, " ".join([exc.message, *exc.details]))


def index(request):
    user = request.user
    rows = reports_visible_to(user).order_by("-updated_at", "-pk")
    status = request.GET.get("status", "")
    if status == "routing":
        rows = rows.filter(status=SelfReport.Status.SUBMITTED).exclude(routing_problem="")
    elif status in SelfReport.Status.values:
        rows = rows.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in K.values:
        rows = rows.filter(author_kind=kind)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    year = timezone.localdate().year
    flagged = ineligible_person_ids({r.person_id for r in page if r.person_id}, year)
    return render(
        request,
        "reports/index.html",
        {
            "duties": duties_of(person_of(user)),
            "may_see_states": units_where(user, Perm.REPORT_VIEW).exists(),
            "queue_count": review_queue(user).count(),
            "unrouted": list(unrouted_for(user)[:50]),
            "page": page,
            "flagged": flagged,
            "status": status,
            "kind": kind,
            "statuses": [*SelfReport.Status.choices, ("routing", _("Waiting for routing"))],
            "kinds": K.choices,
            "querystring": urlencode({k: v for k, v in (("status", status), ("kind", kind)) if v}),
        },
    )


def queue(request):
    rows = list(review_queue(request.user))
    now = timezone.now()
    for r in rows:
        r.overdue = is_overdue(r, now)
        r.waited_days = (now - r.submitted_at).days if r.submitted_at else 0
    done = reviews_by(request.user)[:20]
    return render(
        request,
        "reports/queue.html",
        {"rows": rows, "done": done, "overdue_days": settings.REPORT_REVIEW_OVERDUE_DAYS},
    )


@require_POST
def start(request):
    participant_id, unit_id = id_or_none(request.POST.get("participant")), id_or_none(request.POST.get("unit"))
    participant = CampaignUnit.objects.select_related("campaign", "unit").filter(pk=participant_id).first()
    unit = Unit.objects.filter(pk=unit_id).first()
    kind = request.POST.get("kind", "")
    if participant is None or unit is None or kind not in K.values:
        raise Http404
    try:
        report = services.report_start(actor=request.user, participant=participant, author_kind=kind, unit=unit)
    except ServiceError as exc:
        _error(request, exc)
        return redirect("reports:index")
    return redirect("reports:edit", report.pk)


def problems_for(report: SelfReport):
    """Ledger problems the author may cite: their own (personal reports), the department's, the team's."""
    qs = Problem.objects.filter(campaign_id=report.campaign_id).exclude(status=Problem.Status.CLOSED)
    if report.author_kind == K.DEPARTMENT:
        qs = qs.filter(unit__in=subtree(report.unit)).exclude(subject_kind=Problem.SubjectKind.PERSON)
    elif report.author_kind == K.TEAM:
        qs = qs.filter(unit=report.unit, subject_kind__in=[Problem.SubjectKind.TEAM, Problem.SubjectKind.UNIT])
    else:
        qs = qs.filter(subject_person_id=report.person_id)
    return qs.order_by("recorded_at", "pk")


def detail(request, pk: int):
    report = get_report_for_user(request.user, pk)
    versions = list(report.versions.prefetch_related("problems", "reviews__reviewer"))
    try:
        shown = next(v for v in versions if v.number == int(request.GET.get("v", report.current_version)))
    except (StopIteration, ValueError):
        raise Http404 from None
    author = is_author(request.user, report)
    reviewer = may_review(request.user, report)
    year = timezone.localdate().year
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "versions": versions,
            "shown": shown,
            "is_author": author,
            "can_edit": author and report.status != SelfReport.Status.SUBMITTED,
            "can_submit": author and report.status == SelfReport.Status.DRAFT,
            "last_return": last_return(report),
            "review_form": ReviewForm(initial={"version": shown.pk})
            if reviewer and shown.number == report.current_version
            else None,
            "can_reroute": report.status == SelfReport.Status.SUBMITTED
            and can(request.user, Perm.CAMPAIGN_MANAGE, report.unit),
            "author_flagged": bool(report.person_id and ineligible_person_ids([report.person_id], year)),
            "reviews": [rv for v in versions for rv in v.reviews.all()],
            "overdue": is_overdue(report),
        },
    )


def edit(request, pk: int):
    report = get_report_for_user(request.user, pk, write=True)
    choices = problems_for(report)
    version = report.versions.get(number=report.current_version)
    if request.method == "POST":
        form = ReportForm(request.POST, problem_choices=choices)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.report_save(
                    actor=request.user,
                    report=report,
                    method=d["method"],
                    problems_and_causes=d["problems_and_causes"],
                    measures=d["measures"],
                    problems=d["problems"],
                    revise_approved=request.POST.get("revise_approved") == "1",
                )
                if request.POST.get("action") == "submit":
                    report = services.report_submit(actor=request.user, report=report)
                    if report.routing_problem:
                        messages.warning(
                            request, _("Submitted; waiting for a reviewer: %(p)s") % {"p": report.routing_problem}
                        )
                    else:
                        messages.success(request, _("Submitted for review."))
                    return redirect("reports:detail", report.pk)
            except ServiceError as exc:
                _error(request, exc)
                return redirect("reports:edit", report.pk)
            messages.success(request, _("Draft saved."))
            return redirect("reports:edit", report.pk)
    else:
        form = ReportForm(
            problem_choices=choices,
            initial={
                "method": version.method,
                "problems_and_causes": version.problems_and_causes,
                "measures": version.measures,
                "problems": list(version.problems.values_list("pk", flat=True)),
            },
        )
    return render(
        request,
        "reports/edit.html",
        {
            "report": report,
            "form": form,
            "problem_form": ProblemAddForm(),
            "version": version,
            "last_return": last_return(report),
        },
    )


@require_POST
def add_problem(request, pk: int):
    report = get_report_for_user(request.user, pk, write=True)
    form = ProblemAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Describe the problem."))
        return redirect("reports:edit", report.pk)
    try:
        problem = services.report_problem_add(actor=request.user, report=report, **form.cleaned_data)
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Added to the problem ledger: %(p)s") % {"p": problem})
    return redirect("reports:edit", report.pk)


@require_POST
def submit(request, pk: int):
    report = get_report_for_user(request.user, pk, write=True)
    try:
        report = services.report_submit(actor=request.user, report=report)
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Submitted for review."))
    return redirect("reports:detail", report.pk)


@require_POST
def review(request, pk: int):
    report = get_report_for_user(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or return."))
        return redirect("reports:detail", report.pk)
    version = report.versions.filter(pk=form.cleaned_data["version"]).first()
    if version is None:
        raise Http404
    try:
        services.report_review(
            actor=request.user,
            report=report,
            version=version,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
        )
    except ServiceError as exc:
        _error(request, exc)
        return redirect("reports:detail", report.pk)
    messages.success(request, _("Your decision was recorded."))
    return redirect("reports:queue")


@require_POST
def reroute(request, pk: int):
    report = get_report_for_user(request.user, pk)
    if not can(request.user, Perm.CAMPAIGN_MANAGE, report.unit):
        raise PermissionDenied
    try:
        report = services.report_reroute(actor=request.user, report=report)
    except ServiceError as exc:
        _error(request, exc)
    else:
        if report.routing_problem:
            messages.warning(request, report.routing_problem)
        else:
            messages.success(request, _("The report was routed to its reviewer."))
    return redirect("reports:detail", report.pk)


def diff(request, pk: int):
    report = get_report_for_user(request.user, pk)
    versions = {v.number: v for v in report.versions.prefetch_related("problems")}
    try:
        a = versions[int(request.GET.get("a", max(1, report.current_version - 1)))]
        b = versions[int(request.GET.get("b", report.current_version))]
    except (KeyError, ValueError):
        raise Http404 from None
    return render(
        request,
        "reports/diff.html",
        {"report": report, "a": a, "b": b, "rows": version_diff(a, b), "numbers": sorted(versions)},
    )


def _version_for_export(request, report):
    try:
        return report.versions.get(number=int(request.GET.get("v", report.current_version)))
    except (ValueError, report.versions.model.DoesNotExist):
        raise Http404 from None


def _filename(report, version, ext: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(f'{report.title}-v{version.number}.{ext}')}"


def export_docx(request, pk: int):
    report = get_report_for_user(request.user, pk)
    version = _version_for_export(request, report)
    body = documents.to_docx(documents.collect(report, version))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = _filename(report, version, "docx")
    return response


def export_pdf(request, pk: int):
    report = get_report_for_user(request.user, pk)
    version = _version_for_export(request, report)
    response = HttpResponse(documents.to_pdf(documents.collect(report, version)), content_type="application/pdf")
    response["Content-Disposition"] = _filename(report, version, "pdf")
    return response


def _campaign_shown(request):
    """The campaign asked for (?campaign=), else the newest one in progress the user may see."""
    from campaigns.models import Campaign
    from campaigns.selectors import campaigns_visible_to, get_campaign_for_user

    pk = request.GET.get("campaign", "")
    if pk.isdigit():
        return get_campaign_for_user(request.user, int(pk))
    visible = campaigns_visible_to(request.user).order_by("-start_date", "-pk")
    return visible.filter(status=Campaign.Status.ACTIVE).first() or visible.first()


def states(request):
    """报告进度: the campaign office's page of reports by state (未开始/草稿/待审定/退回/已审定) per unit."""
    if not units_where(request.user, Perm.REPORT_VIEW).exists():
        raise PermissionDenied
    campaign = _campaign_shown(request)
    state = request.GET.get("state", "")
    state = state if state in REPORT_STATES else ""
    units = report_states(campaign, request.user) if campaign else []
    totals = dict.fromkeys(REPORT_STATES, 0)
    for u in units:
        for k, n in u.counts.items():
            totals[k] += n
    if state:
        units = [u for u in units if u.counts[state]]
        for u in units:
            u.rows = [r for r in u.rows if r.state == state]
    return render(
        request,
        "reports/states.html",
        {
            "campaign": campaign,
            "units": units,
            "state": state,
            "tabs": [(k, STATE_LABELS[k], totals[k]) for k in REPORT_STATES],
            "total": sum(totals.values()),
        },
    )


STATE_LABELS = {
    "not_started": pgettext_lazy("report state", "Not started"),
    "draft": pgettext_lazy("report state", "Draft"),
    "submitted": pgettext_lazy("report state", "Awaiting approval"),
    "returned": pgettext_lazy("report state", "Returned"),
    "approved": pgettext_lazy("report state", "Approved"),
}
