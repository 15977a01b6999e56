"""The ledger, one problem, recording problems (self-check, comparison, fix-as-found) and fix-at-once."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.current import current_campaign
from campaigns.models import Stage
from core import formtoken
from core.excel import download_name
from core.exceptions import ServiceError
from core.storage import verified_download
from orgs.access import Perm, can, has_any, person_of, units_where
from orgs.models import Person

from . import exports, selectors, services
from .filters import CappedPaginator, ProblemFilter
from .forms import FixAtOnceForm, ProblemForm, SelfCheckForm
from .models import Channel, Manifestation, Problem, ProblemEvidence, SelfCheck

PAGE_SIZE = 50
NO_COUNTS = {"channel": {}, "manifestation": {}}


def show_error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)
    for detail in exc.details:
        messages.warning(request, detail)


def _ledger_filter(request) -> ProblemFilter:
    if not has_any(request.user, Perm.PROBLEM_VIEW):
        raise PermissionDenied
    base = selectors.problems_visible_to(request.user)
    return ProblemFilter(
        request.GET or None, queryset=base, user=request.user, campaigns=selectors.campaigns_for(request.user)
    )


def ledger(request):
    """问题清单: filters, search, sort, capped count, counts by channel and manifestation."""
    f = _ledger_filter(request)
    qs = f.qs if f.is_bound else f.queryset
    # The page's ids first (sorted and cut on the problems table alone), then their rows with units, people
    # and campaigns: joining those to every row that an OFFSET skips or a sort reads (a search matches
    # 37,000 of a city's problems) was most of a deep or searched page's SQL.
    paginator = CappedPaginator(f.ordered(qs).values_list("pk", flat=True), PAGE_SIZE, counted=f.qs_to_count)
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    loaded = (
        Problem.objects.filter(pk__in=ids)
        .select_related("unit", "subject_person", "campaign")
        .prefetch_related("manifestations")
        .in_bulk()
    )
    page.object_list = [loaded[pk] for pk in ids if pk in loaded]
    # Counted like the rows, up to the cap: a city office's whole ledger (300,000 problems) is counted by
    # channel and manifestation on the dashboards; here the counts come once a filter narrows it.
    # Nothing matched: every count is 0 without reading again (a search that matches nothing reads every
    # problem's text, once per statement, on SQLite: 17 s of a city office's page for its three statements).
    counts = None if paginator.capped else selectors.ledger_counts(qs) if paginator.count else NO_COUNTS
    rows = list(page.object_list)
    stages = selectors.stage_map(rows)
    labels = dict(Stage.choices)
    for p in rows:
        p.stage_label = labels.get(stages.get((p.campaign_id, p.unit_id)), "")
    manifestations = list(Manifestation.objects.all())
    querystring = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "problems/ledger.html",
        {
            "filter": f,
            "page": page,
            "rows": rows,
            "capped": paginator.capped,
            "cap": paginator.CAP,
            "counted": counts is not None,
            "by_channel": [
                (label, counts["channel"].get(value, 0) if counts else None, value) for value, label in Channel.choices
            ],
            "by_manifestation": [(m, counts["manifestation"].get(m.pk, 0) if counts else None) for m in manifestations],
            "querystring": querystring,
            "can_record": has_any(request.user, Perm.PROBLEM_EDIT),
        },
    )


def ledger_export(request):
    """The filtered ledger as an Excel file (every row of the filter, not just one page)."""
    f = _ledger_filter(request)
    qs = f.ordered(f.qs if f.is_bound else f.queryset)
    data = exports.ledger_xlsx(qs)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = download_name(_("Problem ledger") + f"-{timezone.localdate():%Y%m%d}", "xlsx")
    response["Content-Disposition"] = content_disposition_header(True, name)  # filename*=UTF-8'' for 问题清单
    return response


def detail(request, pk: int):
    problem = selectors.get_problem_for_user(request.user, pk)
    may_edit = can(request.user, Perm.PROBLEM_EDIT, problem.unit) or problem.recorded_by_id == request.user.pk
    return render(
        request,
        "problems/detail.html",
        {
            "problem": problem,
            "manifestations": problem.manifestations.all(),
            "evidence": problem.evidence.all(),
            "opinions": problem.opinions.all() if can(request.user, Perm.OPINION_TRIAGE, problem.unit) else [],
            "fix_form": FixAtOnceForm() if may_edit and problem.status == Problem.Status.OPEN else None,
        },
    )


@require_POST
def fix_at_once(request, pk: int):
    problem = selectors.get_problem_for_user(request.user, pk, write=True)
    form = FixAtOnceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.problem_fix_at_once(
                actor=request.user, problem=problem, note=form.cleaned_data["note"], files=form.cleaned_data["files"]
            )
            messages.success(request, _("The problem is marked as fixed at once."))
        except ServiceError as exc:
            show_error(request, exc)
    else:
        messages.error(request, _("Say what was done to fix the problem."))
    return redirect("problems:detail", pk=problem.pk)


def evidence_download(request, pk: int):
    ev = ProblemEvidence.objects.select_related("problem").filter(pk=pk).first()
    if ev is None:
        raise Http404
    selectors.get_problem_for_user(request.user, ev.problem_id)
    return verified_download(request, ev.file, ev.sha256, ev.original_name)


def _people_for(units):
    return Person.objects.filter(unit__in=units, active=True).order_by("unit__path", "staff_no")


def create(request):
    """Record a problem directly: self-check item, comparison with a benchmark, fixed-as-found, feedback."""
    campaign = current_campaign(request)
    if campaign is None:
        messages.error(request, _("There is no campaign in progress."))
        return redirect("problems:ledger" if has_any(request.user, Perm.PROBLEM_VIEW) else "home")
    units = selectors.units_for_recording(request.user).filter(institution_id=campaign.institution_id) | (
        selectors.units_for_recording(request.user).filter(pk=campaign.institution_id)
    )
    me = person_of(request.user)
    people = _people_for(units_where(request.user, Perm.PROBLEM_EDIT))
    if me is not None:
        people = people | Person.objects.filter(pk=me.pk)
    initial = {"channel": request.GET.get("channel", Channel.SELF_CHECK)}
    if me is not None and not has_any(request.user, Perm.PROBLEM_EDIT):
        initial |= {"unit": me.unit_id, "subject_kind": "person", "subject_person": me.pk}
    form = ProblemForm(request.POST or None, request.FILES or None, units=units, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        person = d["subject_person"] if d["subject_kind"] == Problem.SubjectKind.PERSON else None
        if not selectors.may_record(request.user, d["unit"], person):
            raise PermissionDenied
        try:
            # one record per form (a double submit leads to the first one), problem and evidence together
            with formtoken.once(form) as sent, transaction.atomic():
                if sent.before:
                    return redirect(sent.before)
                problem = services.problem_create(
                    actor=request.user,
                    campaign=campaign,
                    unit=d["unit"],
                    description=d["description"],
                    channel=d["channel"],
                    subject_kind=d["subject_kind"],
                    subject_person=person,
                    manifestations=d["manifestations"],
                    focus_area=d["focus_area"],
                    aspect=d["aspect"],
                    severity=d["severity"],
                    cause=d["cause"],
                    benchmark=d["benchmark"],
                )
                if d["fixed_note"]:
                    services.problem_fix_at_once(
                        actor=request.user, problem=problem, note=d["fixed_note"], files=d["files"]
                    )
                sent.result(reverse("problems:detail", args=[problem.pk]))
        except (ServiceError, formtoken.DuplicateSubmission) as exc:
            form.add_error(None, getattr(exc, "message", None) or str(exc))
        else:
            messages.success(request, _("The problem was recorded."))
            return redirect("problems:detail", pk=problem.pk)
    return render(request, "problems/form.html", {"form": form, "campaign": campaign})


def self_check(request):
    """对照自查: work through the ten manifestations for oneself or (department leaders) the department."""
    campaign = current_campaign(request)
    me = person_of(request.user)
    if campaign is None or me is None:
        messages.error(request, _("There is no campaign in progress."))
        return redirect("home")
    for_unit = request.GET.get("for") == "unit" and can(request.user, Perm.PROBLEM_EDIT, me.unit)
    person = None if for_unit else me
    manifestations = Manifestation.objects.filter(active=True)
    form = SelfCheckForm(request.POST or None, manifestations=manifestations)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.self_check_submit(
                actor=request.user, campaign=campaign, unit=me.unit, person=person, entries=form.entries()
            )
        except ServiceError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Self-check saved: %(n)s problems recorded.") % {"n": len(made)})
            return redirect(request.get_full_path())
    found = (
        Problem.objects.filter(campaign=campaign, unit=me.unit, channel=Channel.SELF_CHECK, subject_person=person)
        .prefetch_related("manifestations")
        .order_by("-recorded_at")
    )
    record = SelfCheck.objects.filter(campaign=campaign, unit=me.unit, person=person).first()
    groups = selectors.manifestations_grouped()
    rows = {m.pk: r for r in form.rows() for m in [r[0]]}
    for g in groups:
        g["rows"] = [rows[m.pk] for m in g["items"] if m.pk in rows]
    return render(
        request,
        "problems/self_check.html",
        {
            "campaign": campaign,
            "form": form,
            "groups": groups,
            "found": found,
            "record": record,
            "for_unit": for_unit,
            "unit": me.unit,
            "can_unit": can(request.user, Perm.PROBLEM_EDIT, me.unit),
        },
    )
