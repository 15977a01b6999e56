"""Rectification pages: short functions (access → form → service → redirect or render)."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.current import current_campaign
from campaigns.models import LookBack
from core import formtoken
from core.exceptions import ServiceError
from core.storage import verified_download
from orgs.access import Perm, can, person_of, units_where
from problems.filters import CappedPaginator

from . import commitments as csvc
from . import forms, rankings, selectors, services
from .filters import PLAN_ORDER, PlanFilter
from .models import (
    Commitment,
    CommitmentItem,
    CommitmentProgress,
    Extension,
    Measure,
    MeasureEvent,
    Milestone,
    RectificationPlan,
    Rule,
)
from .warnings import annotate_colours, policy_for, warning_policy_set


def _fail(request, e: ServiceError) -> None:
    messages.error(request, " ".join([e.message, *e.details]))


def _campaign_shown(request):
    """?campaign=pk when given, else the campaign switcher's current campaign (campaigns.current) if the
    user takes part in its rectification, else their latest."""
    chosen = request.GET.get("campaign") or request.POST.get("campaign")
    if chosen:
        return selectors.campaign_for(request.user, chosen)
    current = current_campaign(request)
    if current is not None and selectors.campaigns_for(request.user).filter(pk=current.pk).exists():
        return current
    return selectors.campaign_for(request.user)


def _campaign_or_404(request):
    campaign = _campaign_shown(request)
    if campaign is None:
        raise Http404(_("No campaign is in progress."))
    return campaign


def service_view(fn):
    """POST-only action views: a refused action becomes an error message, not a crash."""

    @wraps(fn)
    @require_POST
    def wrapper(request, *args, **kwargs):
        try:
            return fn(request, *args, **kwargs)
        except ServiceError as e:
            _fail(request, e)
            return redirect(request.META.get("HTTP_REFERER") or "rectification:index")

    return wrapper


# ---------------------------------------------------------------- index


CLOSEOUTS_SHOWN = 20


def index(request):
    user = request.user
    mine = annotate_colours(list(selectors.with_evidence_flag(selectors.measures_owned_by(user))))
    plans = _plans_page(request)
    # the oldest requests; all of them on the close-outs page (a city office may have thousands waiting)
    queue = selectors.closeout_queue(user)
    to_verify = annotate_colours(list(queue[:CLOSEOUTS_SHOWN]))
    context = {
        "mine": mine,
        **plans,
        "to_verify": to_verify,
        "to_verify_total": len(to_verify) if len(to_verify) < CLOSEOUTS_SHOWN else queue.count(),
        "extensions": selectors.extensions_to_decide(user),
        "to_review": selectors.plans_to_review(user),
        "can_create": has_manage(user) or person_of(user) is not None,
        "campaign": _campaign_shown(request),
    }
    return render(request, "rectification/index.html", context)


PLANS_PER_PAGE = 50
PLAN_FILTERS = ("campaign", "unit", "plan_status")


def _plans_page(request) -> dict:
    """One page of the plans the user may see, narrowed by the filter, each with its measure counts.

    A city office sees every plan of the city (some 7,000): their ids are chosen and cut on the plans and
    their units alone, then the page's rows are read with their campaign, person and look-back and counted
    (selectors.with_measure_counts over those plans only). A department's few plans fit on one page."""
    f = PlanFilter(
        request.GET or None,
        queryset=selectors.plans_visible_to(request.user),
        user=request.user,
        campaigns=selectors.campaigns_for(request.user),
    )
    qs = f.qs if f.is_bound else f.queryset
    paginator = CappedPaginator(qs.order_by(*PLAN_ORDER).values_list("pk", flat=True), PLANS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = selectors.plans_in_order(list(page.object_list))
    filtered = any(request.GET.get(k) for k in PLAN_FILTERS)
    shown = f if filtered or page.has_other_pages() else None  # a department's few plans: no filter
    return {
        "plans": page.object_list,
        "page": page,
        "plan_filter": shown,
        "plans_filtered": filtered,
        # a city office's plans come from each institution's campaign: say which
        "several_campaigns": shown is not None and f.filters["campaign"].queryset.count() > 1,
        "querystring": urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v]),
    }


def has_manage(user) -> bool:
    return units_where(user, Perm.RECTIFICATION_MANAGE).exists()


# ---------------------------------------------------------------- plans


def plan_create(request):
    campaign = _campaign_or_404(request)
    from orgs.models import Unit

    me = person_of(request.user)
    manage = units_where(request.user, Perm.RECTIFICATION_MANAGE).filter(
        path__startswith=campaign.institution.path, participations__campaign=campaign
    )
    units = Unit.objects.filter(Q(pk__in=manage.values("pk")) | Q(pk=me.unit_id if me else None))
    form = forms.PlanForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = services.plan_create(
                actor=request.user,
                campaign=campaign,
                unit=me.unit if d["personal"] and me else d["unit"],
                person=me if d["personal"] else None,
                title=d["title"],
                summary=d["summary"],
            )
        except ServiceError as e:
            _fail(request, e)
        else:
            return redirect("rectification:plan", pk=plan.pk)
    return render(request, "rectification/plan_form.html", {"form": form, "campaign": campaign})


def plan_from_meeting(request, meeting_pk: int):
    """Linked from a filed meeting: draft the unit's plan from the agreed measures (POST), after a look."""
    from meetings.models import LifeMeeting
    from meetings.selectors import agreed_measures

    meeting = get_object_or_404(LifeMeeting.objects.select_related("unit", "campaign"), pk=meeting_pk)
    if not can(request.user, Perm.RECTIFICATION_VIEW, meeting.unit):
        raise Http404
    if not can(request.user, Perm.RECTIFICATION_MANAGE, meeting.unit):
        raise PermissionDenied
    existing = RectificationPlan.objects.filter(meeting=meeting).first()
    if request.method == "POST":
        try:
            plan = services.plan_from_meeting(actor=request.user, meeting=meeting)
        except ServiceError as e:
            _fail(request, e)
        else:
            messages.success(request, _("The plan was drafted from the meeting's measures; complete the goals."))
            return redirect("rectification:plan", pk=plan.pk)
    agreed = agreed_measures(meeting)
    return render(
        request, "rectification/plan_from_meeting.html", {"meeting": meeting, "agreed": agreed, "existing": existing}
    )


def plan_detail(request, pk: int):
    plan = selectors.get_plan_for_user(request.user, pk)
    measures = annotate_colours(
        list(
            plan.measures.select_related("owner", "responsible_unit", "responsible_leader", "plan__campaign")
            .prefetch_related("problems")
            .order_by("deadline", "pk")
        )
    )
    earlier = RectificationPlan.objects.filter(campaign=plan.campaign, unit=plan.unit, person=plan.person).exclude(
        pk=plan.pk
    )
    editable = selectors.may_edit_plan(request.user, plan) and plan.status in services.EDITABLE_PLAN
    context = {
        "plan": plan,
        "measures": measures,
        "reviews": plan.reviews.select_related("reviewer"),
        "other_rounds": earlier.order_by("round", "pk"),
        "editable": editable,
        "may_review": plan.status == RectificationPlan.Status.SUBMITTED
        and selectors.may_review_plan(request.user, plan),
        "may_not_real": plan.status == RectificationPlan.Status.APPROVED
        and can(request.user, Perm.CAMPAIGN_MANAGE, plan.unit),
        "problems_form": forms.AddProblemsForm(plan=plan) if editable else None,
        "review_form": forms.ReviewForm(),
        "reason_form": forms.ReasonForm(),
    }
    return render(request, "rectification/plan_detail.html", context)


@service_view
def plan_add_problems(request, pk: int):
    plan = selectors.get_plan_for_user(request.user, pk, write=True)
    form = forms.AddProblemsForm(request.POST, plan=plan)
    if form.is_valid():
        d = form.cleaned_data
        services.plan_add_problems(
            actor=request.user, plan=plan, problems=list(d["problems"]), owner=d["owner"], deadline=d["deadline"]
        )
        messages.success(request, _("Draft measures were added; complete their goals."))
    else:
        messages.error(request, _("Choose problems, a responsible person and a deadline."))
    return redirect("rectification:plan", pk=plan.pk)


def measure_form(request, pk: int | None = None, plan_pk: int | None = None):
    if pk is not None:
        measure = selectors.get_measure_for_user(request.user, pk)
        plan = selectors.get_plan_for_user(request.user, measure.plan_id, write=True)
    else:
        measure = None
        plan = selectors.get_plan_for_user(request.user, plan_pk, write=True)
    form = forms.MeasureForm(request.POST or None, instance=measure, plan=plan)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if measure is None:
                services.measure_create(actor=request.user, plan=plan, **d)
            else:
                services.measure_update(actor=request.user, measure=Measure.objects.get(pk=measure.pk), **d)
        except ServiceError as e:
            _fail(request, e)
        else:
            return redirect("rectification:plan", pk=plan.pk)
    return render(request, "rectification/measure_form.html", {"form": form, "plan": plan, "measure": measure})


@service_view
def measure_delete(request, pk: int):
    measure = selectors.get_measure_for_user(request.user, pk)
    selectors.get_plan_for_user(request.user, measure.plan_id, write=True)
    plan_pk = measure.plan_id
    services.measure_delete(actor=request.user, measure=measure)
    return redirect("rectification:plan", pk=plan_pk)


@service_view
def plan_submit(request, pk: int):
    plan = selectors.get_plan_for_user(request.user, pk, write=True)
    services.plan_submit(actor=request.user, plan=plan)
    messages.success(request, _("The plan was submitted for approval."))
    return redirect("rectification:plan", pk=plan.pk)


@service_view
def plan_review(request, pk: int):
    plan = selectors.get_plan_for_user(request.user, pk)
    if not selectors.may_review_plan(request.user, plan):
        raise PermissionDenied
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        if d["decision"] == "approve":
            services.plan_approve(actor=request.user, plan=plan, comment=d["comment"])
            messages.success(request, _("The plan was approved."))
        else:
            services.plan_return(actor=request.user, plan=plan, comment=d["comment"])
            messages.success(request, _("The plan was returned."))
    return redirect("rectification:plan", pk=plan.pk)


@service_view
def plan_not_real(request, pk: int):
    plan = selectors.get_plan_for_user(request.user, pk)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        services.plan_not_real(actor=request.user, plan=plan, reason=form.cleaned_data["reason"])
        messages.success(request, _("A look-back (回头看) was opened; the subject goes round again."))
    else:
        messages.error(request, _("Say why the rectification was not real."))
    return redirect("rectification:lookbacks")


# ---------------------------------------------------------------- measures


def measure_detail(request, pk: int):
    m = selectors.get_measure_for_user(request.user, pk)
    annotate_colours([m])
    user = request.user
    is_owner = selectors.is_owner(user, m)
    may_verify = selectors.may_verify(user, m)
    working = m.status in (Measure.Status.PLANNED, Measure.Status.IN_PROGRESS, Measure.Status.RETURNED)
    approved = m.plan.status == RectificationPlan.Status.APPROVED
    context = {
        "m": m,
        "problems": m.problems.all(),
        "milestones": m.milestones.all(),
        "reports": m.progress_reports.select_related("author").prefetch_related("evidence"),
        "evidence": m.evidence.select_related("uploaded_by"),
        "events": MeasureEvent.objects.filter(measure=m).select_related("actor"),
        "reviews": m.closeout_reviews.select_related("reviewer"),
        "returned": (
            m.closeout_reviews.select_related("reviewer").order_by("at", "pk").last()
            if m.status == Measure.Status.RETURNED
            else None
        ),
        "extensions": m.extensions.select_related("requested_by", "decided_by"),
        "rule": Rule.objects.filter(measure=m).first(),
        "is_owner": is_owner,
        "may_verify": may_verify,
        "may_case": may_open_case_now(user, m),
        "working": working and approved,
        "pending_extension": m.extensions.filter(status=Extension.Status.PENDING).first(),
        "progress_form": forms.ProgressForm(initial={"percent": m.percent}),
        "evidence_form": forms.EvidenceForm(),
        "closeout_form": forms.CloseoutForm(),
        "verify_form": forms.VerifyForm(),
        "reopen_form": forms.ReopenForm(),
        "extension_form": forms.ExtensionForm(),
        "decide_form": forms.ExtensionDecideForm(),
        "milestone_form": forms.MilestoneForm(),
        "case_form": forms.CaseForm(),
        "rule_form": forms.RuleForm(instance=Rule.objects.filter(measure=m).first()),
    }
    return render(request, "rectification/measure_detail.html", context)


def may_open_case_now(user, m: Measure) -> bool:
    return m.colour == Measure.Colour.RED and selectors.may_open_case(user, m)


def _measure_write(request, pk):
    return selectors.get_measure_for_user(request.user, pk, write=True)


def _back(m):
    return redirect("rectification:measure", pk=m.pk)


@service_view
def measure_start(request, pk: int):
    m = _measure_write(request, pk)
    services.measure_start(actor=request.user, measure=m)
    return _back(m)


@service_view
def measure_progress(request, pk: int):
    m = _measure_write(request, pk)
    form = forms.ProgressForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Say what was done and give a percentage between 0 and 100."))
        return _back(m)
    d = form.cleaned_data
    with formtoken.once(form) as sent:  # the same form sent twice reports once
        if sent.before:
            return _back(m)
        services.progress_report(
            actor=request.user, measure=m, content=d["content"], percent=d["percent"], files=d["files"]
        )
        sent.result("done")
    messages.success(request, _("Progress reported."))
    return _back(m)


@service_view
def evidence_upload(request, pk: int):
    m = _measure_write(request, pk)
    form = forms.EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose at least one file."))
        return _back(m)
    with formtoken.once(form) as sent:  # the same upload sent twice is stored once
        if sent.before:
            return _back(m)
        stored = services.evidence_add(actor=request.user, measure=m, files=form.cleaned_data["files"])
        sent.result("done")
    messages.success(request, _("%(n)s evidence files stored.") % {"n": len(stored)})
    return _back(m)


def evidence_download(request, pk: int):
    """Evidence is always sent as a download (never rendered inline), to those who may see the measure."""
    ev = selectors.get_evidence_for_user(request.user, pk)
    response = verified_download(request, ev.file, ev.sha256, ev.original_name, "application/octet-stream")
    if response.status_code == 200:  # not on the page saying the file was refused
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@service_view
def milestone_add(request, pk: int):
    m = _measure_write(request, pk)
    form = forms.MilestoneForm(request.POST)
    if form.is_valid():
        services.milestone_add(actor=request.user, measure=m, **form.cleaned_data)
    else:
        messages.error(request, _("Name the milestone and give its date."))
    return _back(m)


@service_view
def milestone_done(request, pk: int):
    ms = get_object_or_404(Milestone, pk=pk)
    m = _measure_write(request, ms.measure_id)
    services.milestone_done(actor=request.user, milestone=ms)
    return _back(m)


@service_view
def closeout_request(request, pk: int):
    m = _measure_write(request, pk)
    form = forms.CloseoutForm(request.POST)
    form.is_valid()
    services.closeout_request(actor=request.user, measure=m, note=form.cleaned_data.get("note", ""))
    messages.success(request, _("Close-out requested; a reviewer will verify it."))
    return _back(m)


@service_view
def measure_verify(request, pk: int):
    m = _measure_write(request, pk)
    form = forms.VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return _back(m)
    d = form.cleaned_data
    if d["decision"] == "verify":
        services.measure_verify(actor=request.user, measure=m, comment=d["comment"])
        messages.success(request, _("The measure was verified and closed (销号)."))
    else:
        services.measure_return(actor=request.user, measure=m, reason=d["comment"], new_deadline=d["new_deadline"])
        messages.success(request, _("The close-out was returned."))
    return _back(m)


@service_view
def measure_reopen(request, pk: int):
    m = _measure_write(request, pk)
    form = forms.ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the problem recurred."))
        return _back(m)
    services.measure_reopen(actor=request.user, measure=m, **form.cleaned_data)
    messages.success(request, _("The measure was reopened."))
    return _back(m)


@service_view
def extension_request(request, pk: int):
    m = _measure_write(request, pk)
    form = forms.ExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An extension needs a new deadline and a reason."))
        return _back(m)
    services.extension_request(actor=request.user, measure=m, **form.cleaned_data)
    messages.success(request, _("Extension requested."))
    return _back(m)


@service_view
def extension_decide(request, pk: int):
    ext = get_object_or_404(Extension, pk=pk)
    m = _measure_write(request, ext.measure_id)
    form = forms.ExtensionDecideForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        services.extension_decide(actor=request.user, extension=ext, approve=d["decision"] == "approve", note=d["note"])
        messages.success(request, _("The extension was decided."))
    return _back(m)


@service_view
def measure_case(request, pk: int):
    m = selectors.get_measure_for_user(request.user, pk)
    if not selectors.may_open_case(request.user, m):
        raise PermissionDenied
    form = forms.CaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("State the facts of the case."))
        return _back(m)
    services.measure_case_open(actor=request.user, measure=m, facts=form.cleaned_data["facts"])
    messages.success(request, _("An accountability case was opened."))
    return _back(m)


# ---------------------------------------------------------------- rules register, warnings


def rules(request):
    campaign = _campaign_or_404(request)
    visible = units_where(request.user, Perm.RECTIFICATION_VIEW)
    rows = Rule.objects.filter(campaign=campaign, unit__in=visible).select_related("unit", "measure__owner")
    return render(request, "rectification/rules.html", {"rules": rows, "campaign": campaign})


@service_view
def rule_edit(request, pk: int):
    rule = get_object_or_404(Rule.objects.select_related("measure__plan"), pk=pk)
    selectors.get_measure_for_user(request.user, rule.measure_id)
    form = forms.RuleForm(request.POST, instance=Rule.objects.get(pk=pk))
    if form.is_valid():
        services.rule_update(actor=request.user, rule=rule, **form.cleaned_data)
        messages.success(request, _("The rule was recorded."))
    return redirect("rectification:measure", pk=rule.measure_id)


def warnings_board(request):
    campaign = _campaign_or_404(request)
    may_set = can(request.user, Perm.CAMPAIGN_MANAGE, campaign.institution)
    policy = policy_for(campaign)
    by_colour = _warning_pages(request, campaign, policy)
    form = forms.PolicyForm(initial={"green_days": policy.green_days, "yellow_days": policy.yellow_days})
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        form = forms.PolicyForm(request.POST)
        if form.is_valid():
            try:
                warning_policy_set(actor=request.user, campaign=campaign, **form.cleaned_data)
            except ServiceError as e:
                _fail(request, e)
            else:
                messages.success(request, _("The warning thresholds were saved."))
                return redirect("rectification:warnings")
    return render(
        request,
        "rectification/warnings.html",
        {"campaign": campaign, "by_colour": by_colour, "policy": policy, "form": form, "may_set": may_set},
    )


WARNING_PAGE_SIZE = 50


def _warning_pages(request, campaign, policy) -> dict:
    """Per colour: its count and one page of its measures (?colour=red&page=3 pages through one colour,
    the others show their first page). A city's campaign has tens of thousands of late measures: the
    colours are chosen by the query and counted in one, and only the rows shown are loaded."""
    window = {"today": timezone.localdate(), "green_days": policy.green_days, "yellow_days": policy.yellow_days}
    by_colour = selectors.warning_measures(request.user, campaign, **window)
    counts = selectors.warning_counts(request.user, campaign, **window)
    chosen = request.GET.get("colour")
    pages = {}
    for colour, qs in by_colour.items():
        # The page's ids first, then their rows: sorting only (deadline, id) keeps a campaign's 27,000 late
        # measures from being joined to their units and sorted wide (on disk) for the 50 shown.
        paginator = Paginator(qs.values_list("pk", flat=True), WARNING_PAGE_SIZE)
        paginator.count = counts[colour]  # counted above, all three colours in one query
        page = paginator.get_page(request.GET.get("page") if colour == chosen else 1)
        ids = list(page.object_list)
        loaded = qs.order_by().in_bulk(ids)
        page.object_list = annotate_colours([loaded[i] for i in ids if i in loaded], policies={campaign.pk: policy})
        pages[colour] = {"count": counts[colour], "page": page, "querystring": f"colour={colour}"}
    return pages


# ---------------------------------------------------------------- commitments


COMMITMENT_PHASES = (
    gettext_lazy("Commit (承诺)"),
    gettext_lazy("Publish (示诺)"),
    gettext_lazy("Fulfil (践诺)"),
    gettext_lazy("Assess (评诺)"),
)


def _units_for_unit_commitments(user, campaign):
    """Units of the campaign's institution whose rectification the user manages (单位承诺)."""
    return units_where(user, Perm.RECTIFICATION_MANAGE).filter(path__startswith=campaign.institution.path)


def commitment_list(request):
    campaign = _campaign_or_404(request)
    rows = selectors.commitments_visible_to(request.user).filter(campaign=campaign)
    me = person_of(request.user)
    mine = rows.filter(person=me).first() if me else None
    units = _units_for_unit_commitments(request.user, campaign)
    form = forms.CommitmentForm(request.POST or None)
    if request.method == "POST" and me is not None and form.is_valid():
        d = form.cleaned_data
        try:
            c = csvc.commitment_create(
                actor=request.user,
                campaign=campaign,
                person=me,
                content=d["content"],
                items=[(d["item"], d["deadline"])],
            )
        except ServiceError as e:
            _fail(request, e)
        else:
            return redirect("rectification:commitment", pk=c.pk)
    shown = request.GET.get("status", "")
    if shown in Commitment.Status.values:
        rows = rows.filter(status=shown)
    may_review = can(request.user, Perm.RECTIFICATION_MANAGE, campaign.institution)
    return render(
        request,
        "rectification/commitments.html",
        {
            "campaign": campaign,
            "rows": rows,
            "mine": mine,
            "form": form if me is not None and mine is None else None,
            "unit_form": forms.UnitCommitmentForm(units=units) if units.exists() else None,
            "may_assess": can(request.user, Perm.EVALUATION_MANAGE, campaign.institution),
            "may_review": may_review,
            "to_review": (
                Commitment.objects.filter(campaign=campaign, status=Commitment.Status.SUBMITTED).count()
                if may_review
                else 0
            ),
            "statuses": Commitment.Status.choices,
            "shown": shown,
            "assess_form": forms.AssessmentForm(),
            "phases": COMMITMENT_PHASES,
        },
    )


@service_view
def commitment_unit_create(request):
    """单位承诺: drafted by whoever manages rectification of the unit."""
    campaign = _campaign_or_404(request)
    form = forms.UnitCommitmentForm(request.POST, units=_units_for_unit_commitments(request.user, campaign))
    if not form.is_valid():
        messages.error(request, _("Choose the unit and write the commitment."))
        return redirect("rectification:commitments")
    c = csvc.unit_commitment_create(actor=request.user, campaign=campaign, **form.cleaned_data)
    return redirect("rectification:commitment", pk=c.pk)


def commitment_detail(request, pk: int):
    c = selectors.get_commitment_for_user(request.user, pk)
    items = list(
        c.items.select_related("owner").prefetch_related(
            Prefetch("progress", queryset=CommitmentProgress.objects.order_by("-at"))
        )
    )
    for item in items:
        item.may_report = c.status in ("published", "practising") and selectors.may_report_commitment(
            request.user, c, item
        )
        # one form per item on the page: ids of their own so each label names its own field
        item.progress_form = forms.CommitmentProgressForm(auto_id=f"id_progress{item.pk}_%s")
        item.judge_form = forms.CommitmentJudgeForm(auto_id=f"id_judge{item.pk}_%s")
    may_edit = selectors.may_edit_commitment(request.user, c)
    may_review = selectors.may_review_commitment(request.user, c)
    context = {
        "c": c,
        "items": items,
        "reviews": c.reviews.select_related("reviewer"),
        "phase": csvc.phase_of(c),
        "phases": COMMITMENT_PHASES,
        "may_edit": may_edit and c.status in ("draft", "returned"),
        "may_review": may_review and c.status == "submitted",
        "may_judge": may_review and c.status in selectors.COMMITMENT_SHOWN,
        "item_form": forms.CommitmentItemForm(commitment=c),
        "review_form": forms.CommitmentReviewForm(),
    }
    return render(request, "rectification/commitment_detail.html", context)


@service_view
def commitment_item_add(request, pk: int):
    c = selectors.get_commitment_for_user(request.user, pk, write=True)
    form = forms.CommitmentItemForm(request.POST, commitment=c)
    if form.is_valid():
        csvc.commitment_item_add(actor=request.user, commitment=c, **form.cleaned_data)
    else:
        messages.error(request, _("An item needs its content and a deadline."))
    return redirect("rectification:commitment", pk=c.pk)


@service_view
def commitment_item_remove(request, pk: int):
    item = get_object_or_404(CommitmentItem, pk=pk)
    c = selectors.get_commitment_for_user(request.user, item.commitment_id, write=True)
    csvc.commitment_item_remove(actor=request.user, item=item)
    return redirect("rectification:commitment", pk=c.pk)


@service_view
def commitment_submit(request, pk: int):
    c = selectors.get_commitment_for_user(request.user, pk, write=True)
    csvc.commitment_submit(actor=request.user, commitment=c)
    messages.success(request, _("The commitment was submitted; the campaign office reviews it before it is shown."))
    return redirect("rectification:commitment", pk=c.pk)


@service_view
def commitment_review(request, pk: int):
    c = selectors.get_commitment_for_user(request.user, pk)
    form = forms.CommitmentReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("rectification:commitment", pk=c.pk)
    approve = form.cleaned_data["decision"] == "approve"
    csvc.commitment_review(actor=request.user, commitment=c, approve=approve, comment=form.cleaned_data["comment"])
    if approve:
        messages.success(request, _("The commitment is approved and shown (示诺)."))
    else:
        messages.success(request, _("The commitment was returned for revision."))
    return redirect("rectification:commitment", pk=c.pk)


@service_view
def commitment_item_judge(request, pk: int):
    item = get_object_or_404(CommitmentItem, pk=pk)
    c = selectors.get_commitment_for_user(request.user, item.commitment_id)
    item.commitment = c
    form = forms.CommitmentJudgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose fulfilled or not fulfilled."))
        return redirect("rectification:commitment", pk=c.pk)
    csvc.commitment_item_judge(
        actor=request.user,
        item=item,
        fulfilled=form.cleaned_data["outcome"] == "fulfilled",
        explanation=form.cleaned_data["explanation"],
    )
    messages.success(request, _("The item was judged."))
    return redirect("rectification:commitment", pk=c.pk)


@service_view
def commitment_progress(request, pk: int):
    item = get_object_or_404(CommitmentItem, pk=pk)
    c = selectors.get_commitment_for_user(request.user, item.commitment_id)
    item.commitment = c
    form = forms.CommitmentProgressForm(request.POST)
    if form.is_valid():
        csvc.commitment_progress(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, _("Progress reported."))
    else:
        messages.error(request, _("Say what was done."))
    return redirect("rectification:commitment", pk=c.pk)


@service_view
def commitment_assess(request):
    campaign = _campaign_or_404(request)
    if not can(request.user, Perm.EVALUATION_MANAGE, campaign.institution):
        raise PermissionDenied
    form = forms.AssessmentForm(request.POST)
    if form.is_valid():
        ready = Commitment.objects.filter(
            campaign=campaign, status__in=[Commitment.Status.PUBLISHED, Commitment.Status.PRACTISING]
        ).select_related("unit", "person")
        evaluation = csvc.commitment_assessment_open(
            actor=request.user, campaign=campaign, commitments=list(ready), name=form.cleaned_data["name"]
        )
        messages.success(
            request, _("The assessment round “%(n)s” was created; open it in Evaluations.") % {"n": evaluation}
        )
    return redirect("rectification:commitments")


@service_view
def commitment_collect(request):
    campaign = _campaign_or_404(request)
    if not can(request.user, Perm.EVALUATION_MANAGE, campaign.institution):
        raise PermissionDenied
    n = csvc.commitments_collect_results(actor=request.user, campaign=campaign)
    messages.success(request, _("%(n)s assessment results were collected.") % {"n": n})
    return redirect("rectification:commitments")


# ---------------------------------------------------------------- rankings, milestones, look-backs


def ranking(request):
    campaign = _campaign_or_404(request)
    may_publish = can(request.user, Perm.RECTIFICATION_MANAGE, campaign.institution)
    may_view_live = can(request.user, Perm.RECTIFICATION_VIEW, campaign.institution)
    if request.method == "POST":
        if not may_publish:
            raise PermissionDenied
        form = forms.BoardForm(request.POST)
        form.is_valid()
        board = rankings.board_publish(actor=request.user, campaign=campaign, title=form.cleaned_data.get("title", ""))
        messages.success(request, _("The ranking “%(t)s” was published.") % {"t": board.title})
        return redirect("rectification:ranking")
    context = {
        "campaign": campaign,
        "rows": rankings.ranking_rows(campaign) if may_view_live else None,
        "board": rankings.latest_board(campaign),
        "may_publish": may_publish,
        "form": forms.BoardForm(),
    }
    return render(request, "rectification/ranking.html", context)


def marks(request):
    campaign = _campaign_or_404(request)
    if not can(request.user, Perm.RECTIFICATION_VIEW, campaign.institution):
        raise PermissionDenied
    return render(
        request, "rectification/marks.html", {"campaign": campaign, "p": rankings.milestone_progress(campaign)}
    )


def lookbacks(request):
    campaign = _campaign_or_404(request)
    visible = units_where(request.user, Perm.RECTIFICATION_VIEW)
    lbs = (
        LookBack.objects.filter(participant__campaign=campaign, participant__unit__in=visible)
        .select_related("participant__unit", "person", "opened_by")
        .prefetch_related(Prefetch("plans", queryset=RectificationPlan.objects.order_by("pk")))
    )
    rows = []
    for lb in lbs:
        earlier = RectificationPlan.objects.filter(
            campaign=campaign, unit=lb.participant.unit, person=lb.person, round__lt=lb.round
        ).order_by("round", "pk")
        rows.append({"lb": lb, "plans": list(lb.plans.all()), "earlier": list(earlier)})
    return render(
        request,
        "rectification/lookbacks.html",
        {"campaign": campaign, "rows": rows, "may_manage": has_manage(request.user)},
    )


@service_view
def lookback_plan(request, pk: int):
    lb = get_object_or_404(LookBack.objects.select_related("participant__unit", "participant__campaign"), pk=pk)
    unit = lb.participant.unit
    me = person_of(request.user)
    if not can(request.user, Perm.RECTIFICATION_VIEW, unit) and not (me and lb.person_id == me.pk):
        raise Http404
    plan = services.plan_for_lookback(actor=request.user, lookback=lb)
    return redirect("rectification:plan", pk=plan.pk)
