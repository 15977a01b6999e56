"""Reads for the dashboards, the analysis report and the ledgers.

Every figure is aggregated in the database (COUNT … GROUP BY); no function here loads problems or
measures one by one, so the number of queries of a dashboard does not depend on the number of units
or rows. Grouping by unit is done on aggregated rows (one per unit with data) and rolled up to the
participating units by their tree path.

Who may call what: views load a `Scope` through `get_scope_for_user` (institution or department
dashboard) or check `can_view_city` (city dashboard) first; the figure functions trust their scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, F, Q
from django.http import Http404
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignUnit, LookBack, Stage
from orgs.access import Perm, can, units_where
from orgs.models import Unit

from .models import AnalysisReport, LedgerExport, LedgerImport, ReportRun

# Warning colours of a measure, days before the deadline (the rectification app owns the real
# thresholds; `warning_thresholds` asks it first and falls back to these).
DEFAULT_GREEN_DAYS = 14
DEFAULT_YELLOW_DAYS = 3


@dataclass(frozen=True)
class Scope:
    """What a dashboard shows: one campaign, the institution or one department and its sub-units."""

    campaign: Campaign
    root: Unit

    @property
    def is_institution(self) -> bool:
        return self.root.pk == self.campaign.institution_id

    def q(self, unit_field: str = "unit") -> Q:
        return Q(**{f"{unit_field}__path__startswith": self.root.path})


def rate(part: int, whole: int, numerator_label: str = "", denominator_label: str = ""):
    """core.rates.rate: exact, two decimals, half-up, with its numerator and denominator."""
    from core.rates import rate as exact_rate

    return exact_rate(part or 0, whole or 0, numerator_label=numerator_label, denominator_label=denominator_label)


def _labels() -> dict[str, tuple[str, str]]:
    return {
        "completion": (_("done (verified or completed by import)"), _("measures of approved plans")),
        "closeout": (_("verified and closed (销号)"), _("measures of approved plans")),
        "on_time": (_("verified by the deadline"), _("verified or overdue")),
    }


# --------------------------------------------------------------------------------------------- access


def can_view_city(user, city: Unit) -> bool:
    return city.kind == Unit.Kind.CITY_OFFICE and can(user, Perm.ANALYSIS_VIEW, city)


def city_units_for(user):
    """The city offices whose dashboard the user may see."""
    return units_where(user, Perm.ANALYSIS_VIEW).filter(kind=Unit.Kind.CITY_OFFICE)


def get_scope_for_user(user, campaign_pk: int, unit_pk: int | None = None) -> Scope:
    """The dashboard scope of a campaign for `user`.

    No unit asked: the institution when the user may view its analysis, otherwise the highest unit of
    the institution they may view (a department head gets their department). 404 when the user may
    see nothing of the campaign's institution or the unit is not in it.
    """
    campaign = Campaign.objects.select_related("institution").filter(pk=campaign_pk).first()
    if campaign is None:
        raise Http404
    institution = campaign.institution
    if unit_pk is not None:
        unit = Unit.objects.filter(pk=unit_pk, path__startswith=institution.path).first()
        if unit is None or not can(user, Perm.ANALYSIS_VIEW, unit):
            raise Http404
        return Scope(campaign, unit)
    if can(user, Perm.ANALYSIS_VIEW, institution):
        return Scope(campaign, institution)
    visible = units_where(user, Perm.ANALYSIS_VIEW).filter(path__startswith=institution.path).order_by("depth", "path")
    unit = visible.first()
    if unit is None:
        raise Http404
    return Scope(campaign, unit)


def default_dashboard_for(user) -> tuple[str, object] | None:
    """Where `analysis:dashboard` sends a user: ("city", unit) or ("campaign", Scope) or None."""
    city = city_units_for(user).first()
    if city is not None:
        return ("city", city)
    visible = units_where(user, Perm.ANALYSIS_VIEW).exclude(kind=Unit.Kind.CITY_OFFICE).order_by("depth", "path")
    for unit in visible[:20]:
        inst_id = unit.pk if unit.kind == Unit.Kind.INSTITUTION else unit.institution_id
        campaign = (
            Campaign.objects.filter(institution_id=inst_id)
            .exclude(status=Campaign.Status.DRAFT)
            .order_by("-status", "-start_date", "-pk")  # "active" sorts before "closed" descending
            .first()
        )
        if campaign is not None:
            return ("campaign", Scope(campaign, campaign.institution if unit.pk == inst_id else unit))
    return None


def require_manage(user, scope_or_unit) -> None:
    """Generating documents and importing are the campaign office's work."""
    unit = scope_or_unit.root if isinstance(scope_or_unit, Scope) else scope_or_unit
    if not can(user, Perm.CAMPAIGN_MANAGE, unit):
        raise PermissionDenied


# ------------------------------------------------------------------------------------ unit grouping


def grouping_units(scope: Scope) -> list[Unit]:
    """The units a dashboard compares: the participating units in scope; for a department that
    takes part alone, the department and its direct sub-units."""
    parts = list(
        CampaignUnit.objects.filter(campaign=scope.campaign)
        .filter(scope.q())
        .select_related("unit")
        .order_by("unit__path")
    )
    units = [p.unit for p in parts]
    if len(units) <= 1:
        units = [scope.root, *Unit.objects.filter(parent=scope.root).order_by("sort_order", "path")]
    return units


def _roll_up(rows, units: list[Unit], path_key: str, value_keys: list[str]) -> dict[int, dict]:
    """Add aggregated rows (one per unit path) into the nearest grouping unit above them."""
    by_path = {u.path: u.pk for u in units}
    totals = {u.pk: dict.fromkeys(value_keys, 0) for u in units}
    for row in rows:
        path = row[path_key] or ""
        target = None
        parts = path.rstrip("/").split("/")
        while parts:
            candidate = "/".join(parts) + "/"
            if candidate in by_path:
                target = by_path[candidate]
                break
            parts.pop()
        if target is None:
            continue
        for k in value_keys:
            totals[target][k] += row[k] or 0
    return totals


# ----------------------------------------------------------------------------------------- figures


def stage_figures(scope: Scope, today: date) -> list[dict]:
    """Participating units per stage, with how many are past the stage's planned date."""
    counts = dict(
        CampaignUnit.objects.filter(campaign=scope.campaign)
        .filter(scope.q())
        .values_list("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    rows = []
    for stage in Stage:
        due = scope.campaign.due_for(stage)
        rows.append(
            {
                "stage": stage.value,
                "label": stage.label,
                "count": counts.get(stage.value, 0),
                "due": due,
                "late": bool(due and due < today and counts.get(stage.value, 0)),
            }
        )
    return rows


def participants(scope: Scope) -> list[CampaignUnit]:
    return list(
        CampaignUnit.objects.filter(campaign=scope.campaign)
        .filter(scope.q())
        .select_related("unit", "campaign")
        .order_by("unit__path")
    )


def participant_blockers(scope: Scope) -> list[dict]:
    """Each unit's stage and what blocks its next gate. The gates are other apps' checks and run per
    unit, so this is shown in its own partial, loaded after the dashboard."""
    from campaigns.gates import gate_blockers

    rows = []
    for p in participants(scope):
        blockers = [] if p.stage == Stage.CLOSED else gate_blockers(p)
        rows.append({"participant": p, "unit": p.unit, "stage": Stage(p.stage).label, "blockers": blockers})
    return rows


def problem_queryset(scope: Scope):
    from problems.models import Problem

    return Problem.objects.filter(campaign=scope.campaign).filter(scope.q())


def problem_figures(scope: Scope, units: list[Unit]) -> dict:
    """Problems by 庸/懒/散, by manifestation, channel, severity, status and unit."""
    from problems.models import Channel, Manifestation, Problem

    problems = problem_queryset(scope)
    totals = problems.aggregate(
        total=Count("pk"),
        fixed_at_once=Count("pk", filter=Q(status=Problem.Status.FIXED_AT_ONCE)),
        resolved=Count("pk", filter=Q(status__in=[Problem.Status.RESOLVED, Problem.Status.FIXED_AT_ONCE])),
    )
    through = Problem.manifestations.through.objects.filter(
        problem__campaign=scope.campaign, problem__unit__path__startswith=scope.root.path
    )
    totals["unclassified"] = totals["total"] - through.aggregate(n=Count("problem", distinct=True))["n"]
    per_manifestation = dict(
        through.values_list("manifestation")
        .annotate(n=Count("problem", distinct=True))
        .values_list("manifestation", "n")
    )
    per_group = dict(
        through.values_list("manifestation__group")
        .annotate(n=Count("problem", distinct=True))
        .values_list("manifestation__group", "n")
    )
    manifestations = [
        {"pk": m.pk, "name": m.name, "label": m.name, "group": m.group, "count": per_manifestation.get(m.pk, 0)}
        for m in Manifestation.objects.filter(Q(active=True) | Q(pk__in=list(per_manifestation)))
    ]
    groups = [{"key": g.value, "label": g.label, "count": per_group.get(g.value, 0)} for g in Manifestation.Group]
    per_channel = dict(problems.values_list("channel").annotate(n=Count("pk")).values_list("channel", "n"))
    channels = [{"key": c.value, "label": c.label, "count": per_channel.get(c.value, 0)} for c in Channel]
    per_severity = dict(problems.values_list("severity").annotate(n=Count("pk")).values_list("severity", "n"))
    severities = [{"key": s.value, "label": s.label, "count": per_severity.get(s.value, 0)} for s in Problem.Severity]
    per_status = dict(problems.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    statuses = [{"key": s.value, "label": s.label, "count": per_status.get(s.value, 0)} for s in Problem.Status]
    unit_rows = problems.values("unit__path").annotate(
        count=Count("pk"),
        serious=Count("pk", filter=Q(severity=Problem.Severity.HIGH)),
        resolved=Count("pk", filter=Q(status__in=[Problem.Status.RESOLVED, Problem.Status.FIXED_AT_ONCE])),
    )
    rolled = _roll_up(unit_rows, units, "unit__path", ["count", "serious", "resolved"])
    by_unit = [{"unit": u, **rolled[u.pk]} for u in units]
    return {
        **totals,
        "groups": groups,
        "manifestations": manifestations,
        "channels": channels,
        "severities": severities,
        "statuses": statuses,
        "by_unit": by_unit,
    }


def warning_thresholds(campaign: Campaign | None = None) -> tuple[int, int]:
    """(green_days, yellow_days) before the deadline: the campaign's policy in the rectification app."""
    try:
        from rectification import warnings as rw
    except ImportError:
        return DEFAULT_GREEN_DAYS, DEFAULT_YELLOW_DAYS
    if campaign is not None and hasattr(rw, "policy_for"):
        policy = rw.policy_for(campaign)
        return int(policy.green_days), int(policy.yellow_days)
    if hasattr(rw, "default_thresholds"):
        return rw.default_thresholds()
    return DEFAULT_GREEN_DAYS, DEFAULT_YELLOW_DAYS


def measure_queryset(scope: Scope, *, approved: bool = True):
    """Measures of the scope's approved plans (the ones being carried out); approved=False: the drafts
    and plans under review, which the dashboard shows apart."""
    from rectification.models import Measure, RectificationPlan

    qs = Measure.objects.filter(plan__campaign=scope.campaign).filter(scope.q("responsible_unit"))
    ok = Q(plan__status=RectificationPlan.Status.APPROVED)
    return qs.filter(ok) if approved else qs.exclude(ok)


def _measure_aggregates(today: date, campaign: Campaign | None = None) -> dict:
    """The COUNT expressions shared by the institution and the city figures."""
    from rectification.models import Measure

    verified = Q(status=Measure.Status.VERIFIED)
    done = Q(status__in=[Measure.Status.VERIFIED, Measure.Status.COMPLETED])
    on_time = verified & (Q(deadline__isnull=True) | Q(verified_at__date__lte=F("deadline")))
    overdue = ~done & Q(deadline__lt=today)
    green_days, yellow_days = warning_thresholds(campaign)
    aggs = {
        "total": Count("pk"),
        "verified": Count("pk", filter=verified),
        "done": Count("pk", filter=done),
        "completed_by_import": Count("pk", filter=Q(status=Measure.Status.COMPLETED)),
        "on_time": Count("pk", filter=on_time),
        "overdue": Count("pk", filter=overdue),
        "due": Count("pk", filter=verified | overdue),
        "closeout_requested": Count("pk", filter=Q(status=Measure.Status.CLOSEOUT_REQUESTED)),
        "in_progress": Count("pk", filter=Q(status__in=[Measure.Status.IN_PROGRESS, Measure.Status.RETURNED])),
        "planned": Count("pk", filter=Q(status=Measure.Status.PLANNED)),
        "rules": Count("pk", filter=Q(kind=Measure.Kind.RULE)),
        "rules_done": Count("pk", filter=Q(kind=Measure.Kind.RULE) & verified),
        "red": Count("pk", filter=overdue),
        "yellow": Count("pk", filter=~done & Q(deadline__gte=today, deadline__lte=today + timedelta(days=yellow_days))),
        "green": Count(
            "pk",
            filter=~done
            & Q(deadline__gt=today + timedelta(days=yellow_days), deadline__lte=today + timedelta(days=green_days)),
        ),
    }
    if campaign is not None:
        for key, mark in (("m3", campaign.milestone_3m), ("m6", campaign.milestone_6m)):
            aggs[f"{key}_due"] = Count("pk", filter=Q(deadline__lte=mark))
            aggs[f"{key}_done"] = Count("pk", filter=Q(deadline__lte=mark) & verified & Q(verified_at__date__lte=mark))
    return aggs


def _with_rates(row: dict) -> dict:
    labels = _labels()
    row["completion_rate"] = rate(row["done"], row["total"], *labels["completion"])
    row["closeout_rate"] = rate(row["verified"], row["total"], *labels["closeout"])
    row["on_time_rate"] = rate(row["on_time"], row["due"], *labels["on_time"])
    row["no_warning"] = row["total"] - row["done"] - row["red"] - row["yellow"] - row["green"]
    return row


def rectification_figures(scope: Scope, units: list[Unit], today: date) -> dict:
    """Measures: completion and on-time rates, warnings by colour, the 3/6-month marks, by unit.

    Only measures of approved plans count (so the warnings board and the dashboard agree); measures
    of drafts and plans under review are counted apart (`drafts`). completion rate = done (verified, or
    completed by an imported ledger) / all; close-out rate = verified (销号) / all; on-time rate =
    verified by their deadline / (verified + overdue), i.e. of the measures that should be finished by now.
    """
    from rectification.models import Measure

    measures = measure_queryset(scope)
    figures = _with_rates(measures.aggregate(**_measure_aggregates(today, scope.campaign)))
    figures["drafts"] = measure_queryset(scope, approved=False).aggregate(
        measures=Count("pk"), plans=Count("plan", distinct=True)
    )
    milestones = []
    for key, label, mark in (
        ("m3", _("Three months: visible results"), scope.campaign.milestone_3m),
        ("m6", _("Six months: fundamental improvement"), scope.campaign.milestone_6m),
    ):
        due, done = figures[f"{key}_due"], figures[f"{key}_done"]
        milestones.append(
            {
                "key": key,
                "label": label,
                "date": mark,
                "days_left": (mark - today).days,
                "due": due,
                "done": done,
                "rate": rate(done, due),
                "passed": mark < today,
            }
        )
    figures["milestones"] = milestones
    figures["warnings"] = [
        {"key": "red", "label": _("Red: overdue"), "count": figures["red"]},
        {"key": "yellow", "label": _("Yellow: deadline very near"), "count": figures["yellow"]},
        {"key": "green", "label": _("Green: deadline approaching"), "count": figures["green"]},
    ]
    per_status = dict(measures.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    figures["statuses"] = [
        {"key": s.value, "label": s.label, "count": per_status.get(s.value, 0)} for s in Measure.Status
    ]
    verified = Q(status=Measure.Status.VERIFIED)
    done = Q(status__in=[Measure.Status.VERIFIED, Measure.Status.COMPLETED])
    unit_rows = measures.values("responsible_unit__path").annotate(
        total=Count("pk"),
        verified=Count("pk", filter=verified),
        done=Count("pk", filter=done),
        on_time=Count("pk", filter=verified & (Q(deadline__isnull=True) | Q(verified_at__date__lte=F("deadline")))),
        overdue=Count("pk", filter=~done & Q(deadline__lt=today)),
    )
    keys = ["total", "verified", "done", "on_time", "overdue"]
    rolled = _roll_up(unit_rows, units, "responsible_unit__path", keys)
    labels = _labels()
    figures["by_unit"] = [
        {
            "unit": u,
            **rolled[u.pk],
            "completion_rate": rate(rolled[u.pk]["done"], rolled[u.pk]["total"], *labels["completion"]),
            "closeout_rate": rate(rolled[u.pk]["verified"], rolled[u.pk]["total"], *labels["closeout"]),
            "on_time_rate": rate(
                rolled[u.pk]["on_time"], rolled[u.pk]["verified"] + rolled[u.pk]["overdue"], *labels["on_time"]
            ),
        }
        for u in units
    ]
    return figures


def evaluation_figures(scope: Scope) -> dict:
    """Evaluation targets (units, teams, people) by kind and result, with the mean satisfaction."""
    from evaluations.models import Evaluation, EvaluationTarget
    from evaluations.release import published_q

    targets = EvaluationTarget.objects.filter(evaluation__campaign=scope.campaign).filter(scope.q())
    targets = targets.exclude(evaluation__status=Evaluation.Status.VOID)
    published = published_q()  # results of unpublished rounds count as pending
    rows = targets.values("kind").annotate(
        total=Count("pk"),
        passed=Count("pk", filter=published & Q(result=EvaluationTarget.Result.PASSED)),
        failed=Count("pk", filter=published & Q(result=EvaluationTarget.Result.FAILED)),
        pending=Count("pk", filter=~published | Q(result=EvaluationTarget.Result.PENDING)),
        satisfaction=Avg("satisfaction", filter=published),
    )
    by_kind = {r["kind"]: r for r in rows}
    kinds = []
    for k in EvaluationTarget.Kind:
        r = by_kind.get(k.value, {"total": 0, "passed": 0, "failed": 0, "pending": 0, "satisfaction": None})
        sat = r["satisfaction"]
        kinds.append(
            {
                "key": k.value,
                "label": k.label,
                "total": r["total"],
                "passed": r["passed"],
                "failed": r["failed"],
                "pending": r["pending"],
                "pass_rate": rate(r["passed"], r["passed"] + r["failed"]),
                "satisfaction": round(float(sat) * 100, 1) if sat is not None else None,
            }
        )
    failed = list(
        targets.filter(published, result=EvaluationTarget.Result.FAILED)
        .select_related("unit", "person", "evaluation")
        .order_by("unit__path", "pk")[:20]
    )
    rounds = dict(scope.campaign.evaluations.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    totals = {k: sum(r[k] for r in kinds) for k in ("total", "passed", "failed", "pending")}
    return {
        "kinds": kinds,
        "failed_targets": failed,
        "rounds": rounds,
        **totals,
        "pass_rate": rate(totals["passed"], totals["passed"] + totals["failed"]),
    }


def accountability_figures(scope: Scope) -> dict:
    """Accountability cases of the institution (in scope) by trigger and status, and measures decided."""
    from accountability.models import AccountabilityCase

    cases = AccountabilityCase.objects.filter(institution=scope.campaign.institution).filter(scope.q())
    cases = cases.filter(opened_at__date__gte=scope.campaign.start_date)
    per_trigger = dict(cases.values_list("trigger").annotate(n=Count("pk")).values_list("trigger", "n"))
    per_status = dict(cases.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    through = AccountabilityCase.decided_measures.through.objects.filter(accountabilitycase__in=cases)
    measures = list(through.values("measuretype__name").annotate(n=Count("pk")).order_by("-n", "measuretype__name"))
    return {
        "total": sum(per_status.values()),
        "triggers": [
            {"key": t.value, "label": t.label, "count": per_trigger.get(t.value, 0)} for t in AccountabilityCase.Trigger
        ],
        "statuses": [
            {"key": s.value, "label": s.label, "count": per_status.get(s.value, 0)} for s in AccountabilityCase.Status
        ],
        "measures": [{"label": m["measuretype__name"], "count": m["n"]} for m in measures],
    }


def activity_figures(scope: Scope) -> dict:
    """Opinions, self-inspection reports, meetings and look-backs: counts by status."""
    from meetings.models import LifeMeeting
    from problems.models import Opinion
    from reports.models import SelfReport

    def by_status(qs, choices):
        counts = dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        return [{"key": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in choices]

    c = scope.campaign
    opinions = Opinion.objects.filter(campaign=c).filter(scope.q())
    if not scope.is_institution:
        # 回避: a department's figures leave out opinions about a person (its head would see one
        # appear that his own list does not show); the institution's figures count them.
        opinions = opinions.filter(recusal_reason="")
    return {
        "opinions": by_status(opinions, Opinion.Status),
        "reports": by_status(SelfReport.objects.filter(campaign=c).filter(scope.q()), SelfReport.Status),
        "meetings": by_status(LifeMeeting.objects.filter(campaign=c).filter(scope.q()), LifeMeeting.Status),
        "lookbacks_open": LookBack.objects.filter(
            participant__campaign=c, status=LookBack.Status.OPEN, participant__unit__path__startswith=scope.root.path
        ).count(),
    }


@dataclass
class Dashboard:
    scope: Scope
    today: date
    units: list[Unit]
    stages: list[dict]
    problems: dict
    rectification: dict
    evaluations: dict
    accountability: dict | None
    activity: dict
    extra: dict = field(default_factory=dict)


def institution_dashboard(scope: Scope, today: date, *, with_accountability: bool = True) -> Dashboard:
    """Every figure of the institution (or department) dashboard, in a constant number of queries."""
    units = grouping_units(scope)
    return Dashboard(
        scope=scope,
        today=today,
        units=units,
        stages=stage_figures(scope, today),
        problems=problem_figures(scope, units),
        rectification=rectification_figures(scope, units, today),
        evaluations=evaluation_figures(scope),
        accountability=accountability_figures(scope) if with_accountability else None,
        activity=activity_figures(scope),
    )


# ------------------------------------------------------------------------------------------- city


def city_campaigns(city: Unit) -> list[Campaign]:
    """The current campaign of each institution under the city office (active first, then latest)."""
    campaigns = (
        Campaign.objects.filter(institution__path__startswith=city.path, institution__kind=Unit.Kind.INSTITUTION)
        .exclude(status=Campaign.Status.DRAFT)
        .select_related("institution")
        .order_by("institution__path", "-status", "-start_date", "-pk")
    )
    chosen: dict[int, Campaign] = {}
    for c in campaigns:
        chosen.setdefault(c.institution_id, c)
    return list(chosen.values())


def city_dashboard(city: Unit, today: date) -> dict:
    """The same figures per institution, side by side, with rankings. Constant number of queries:
    each figure is one GROUP BY campaign over every institution at once."""
    from accountability.models import AccountabilityCase
    from evaluations.models import Evaluation, EvaluationTarget
    from evaluations.release import published_targets
    from problems.models import Problem
    from rectification.models import Measure

    campaigns = city_campaigns(city)
    ids = [c.pk for c in campaigns]
    stage_rows = CampaignUnit.objects.filter(campaign_id__in=ids).values("campaign", "stage").annotate(n=Count("pk"))
    stages: dict[int, dict[str, int]] = {}
    for r in stage_rows:
        stages.setdefault(r["campaign"], {})[r["stage"]] = r["n"]
    problems = {
        r["campaign"]: r
        for r in Problem.objects.filter(campaign_id__in=ids)
        .values("campaign")
        .annotate(
            total=Count("pk"),
            serious=Count("pk", filter=Q(severity=Problem.Severity.HIGH)),
            resolved=Count("pk", filter=Q(status__in=[Problem.Status.RESOLVED, Problem.Status.FIXED_AT_ONCE])),
        )
    }
    measure_aggs = _measure_aggregates(today)
    measures = {
        r["plan__campaign"]: r
        for r in Measure.objects.filter(plan__campaign_id__in=ids, plan__status="approved")
        .values("plan__campaign")
        .annotate(**measure_aggs)
    }
    evaluations = {
        r["evaluation__campaign"]: r
        for r in published_targets(EvaluationTarget.objects.filter(evaluation__campaign_id__in=ids))
        .exclude(evaluation__status=Evaluation.Status.VOID)
        .values("evaluation__campaign")
        .annotate(
            passed=Count("pk", filter=Q(result=EvaluationTarget.Result.PASSED)),
            failed=Count("pk", filter=Q(result=EvaluationTarget.Result.FAILED)),
            satisfaction=Avg("satisfaction"),
        )
    }
    cases = dict(
        AccountabilityCase.objects.filter(institution_id__in=[c.institution_id for c in campaigns])
        .values_list("institution")
        .annotate(n=Count("pk"))
        .values_list("institution", "n")
    )
    empty_measures = dict.fromkeys(measure_aggs, 0)
    rows = []
    for c in campaigns:
        st = stages.get(c.pk, {})
        units_n = sum(st.values())
        p = problems.get(c.pk, {"total": 0, "serious": 0, "resolved": 0})
        m = _with_rates({k: measures.get(c.pk, empty_measures)[k] for k in measure_aggs})
        e = evaluations.get(c.pk, {"passed": 0, "failed": 0, "satisfaction": None})
        sat = e["satisfaction"]
        rows.append(
            {
                "campaign": c,
                "institution": c.institution,
                "units": units_n,
                "stages": [st.get(s.value, 0) for s in Stage],
                "rectifying_or_closed": st.get(Stage.RECTIFICATION, 0) + st.get(Stage.CLOSED, 0),
                "problems": p["total"],
                "serious": p["serious"],
                "problems_resolved": p["resolved"],
                "problems_per_unit": round(p["total"] / units_n, 1) if units_n else None,
                "measures": m,
                "evaluated_pass_rate": rate(e["passed"], e["passed"] + e["failed"]),
                "failed": e["failed"],
                "satisfaction": round(float(sat) * 100, 1) if sat is not None else None,
                "cases": cases.get(c.institution_id, 0),
            }
        )
    _rank(rows, "completion", lambda r: r["measures"]["completion_rate"])
    _rank(rows, "on_time", lambda r: r["measures"]["on_time_rate"])
    _rank(rows, "satisfaction", lambda r: r["satisfaction"])
    totals = {
        "institutions": len(rows),
        "units": sum(r["units"] for r in rows),
        "problems": sum(r["problems"] for r in rows),
        "measures": sum(r["measures"]["total"] for r in rows),
        "verified": sum(r["measures"]["verified"] for r in rows),
        "done": sum(r["measures"]["done"] for r in rows),
        "overdue": sum(r["measures"]["overdue"] for r in rows),
        "cases": sum(r["cases"] for r in rows),
        "stages": [sum(r["stages"][i] for r in rows) for i in range(len(Stage))],
    }
    totals["completion_rate"] = rate(totals["done"], totals["measures"], *_labels()["completion"])
    return {"city": city, "today": today, "rows": rows, "totals": totals, "stage_labels": [s.label for s in Stage]}


def _rank(rows: list[dict], key: str, value) -> None:
    """Competition ranking (1, 2, 2, 4); rows without a value are not ranked."""

    def known(r) -> bool:
        v = value(r)
        return v is not None and getattr(v, "value", v) is not None

    scored = sorted((r for r in rows if known(r)), key=value, reverse=True)
    previous, position = None, 0
    for i, r in enumerate(scored, start=1):
        if value(r) != previous:
            position, previous = i, value(r)
        r.setdefault("rank", {})[key] = position
    for r in rows:
        r.setdefault("rank", {}).setdefault(key, None)


# ---------------------------------------------------------------------------------- reports, jobs


def reports_for_campaign(campaign: Campaign):
    return AnalysisReport.objects.filter(campaign=campaign).prefetch_related("runs")


def get_report_for_user(user, pk: int, write: bool = False) -> AnalysisReport:
    """A report of an institution the user may view (404 otherwise); 403 for writes without the
    campaign office's rights (city reports: the city office)."""
    report = AnalysisReport.objects.select_related("unit", "campaign").filter(pk=pk).first()
    if report is None or not can(user, Perm.ANALYSIS_VIEW, report.unit):
        raise Http404
    if write:
        if report.scope == AnalysisReport.Scope.CITY:
            if not can(user, Perm.REPORT_REVIEW_CITY, report.unit):
                raise PermissionDenied
        elif not can(user, Perm.CAMPAIGN_MANAGE, report.unit):
            raise PermissionDenied
    return report


def get_run_for_user(user, pk: int) -> ReportRun:
    run = ReportRun.objects.select_related("report__unit").filter(pk=pk).first()
    if run is None or not can(user, Perm.ANALYSIS_VIEW, run.report.unit):
        raise Http404
    return run


def get_export_for_user(user, pk: int) -> LedgerExport:
    export = LedgerExport.objects.select_related("unit", "campaign").filter(pk=pk).first()
    if export is None or not can(user, Perm.ANALYSIS_VIEW, export.unit):
        raise Http404
    if export.requested_by_id != user.pk and not can(user, Perm.CAMPAIGN_MANAGE, export.unit):
        raise Http404  # someone else's export of a unit the user may only view: not theirs to fetch
    return export


def get_import_for_user(user, pk: int, write: bool = False) -> LedgerImport:
    imp = LedgerImport.objects.select_related("campaign__institution").filter(pk=pk).first()
    if imp is None or not can(user, Perm.ANALYSIS_VIEW, imp.campaign.institution):
        raise Http404
    if write and not can(user, Perm.PROBLEM_EDIT, imp.campaign.institution):
        raise PermissionDenied
    return imp


# ---------------------------------------------------------------------------------- imported ledgers


def unlinked_names(campaign: Campaign) -> list[dict]:
    """未关联: the names imports kept as text, per kind, each with how many measures use it and the
    people or units it may mean (same name; for a post title such as 党委书记, the principal leader of
    the institution or the head of the measure's unit)."""
    from orgs.models import Person
    from orgs.selectors import head_of, principal_leader_of
    from rectification.models import Measure

    from .imports import norm, post_kind

    measures = Measure.objects.filter(plan__campaign=campaign)
    institution = campaign.institution
    people = list(Person.objects.filter(unit__path__startswith=institution.path, active=True).select_related("unit"))
    by_name: dict[str, list] = {}
    for p in people:
        by_name.setdefault(norm(p.name), []).append(p)
    groups = []
    for kind, name_field, label in (
        ("owner", "owner_name", _("Responsible people")),
        ("leader", "leader_name", _("Responsible leaders")),
        ("unit", "responsible_unit_name", _("Responsible units")),
    ):
        flt = {"owner__isnull": True} if kind == "owner" else {}
        rows = (
            measures.exclude(**{name_field: ""})
            .filter(**flt)
            .values(name_field, "responsible_unit")
            .annotate(n=Count("pk"))
            .order_by(name_field)
        )
        entries: dict[str, dict] = {}
        for r in rows:
            e = entries.setdefault(r[name_field], {"name": r[name_field], "measures": 0, "unit_ids": set()})
            e["measures"] += r["n"]
            e["unit_ids"].add(r["responsible_unit"])
        for e in entries.values():
            if kind == "unit":
                key = norm(e["name"])
                e["candidates"] = [
                    u
                    for u in Unit.objects.filter(path__startswith=institution.path)
                    if key and (key in norm(u.name) or norm(u.name) in key)
                ][:5]
                continue
            candidates = list(by_name.get(norm(e["name"].split("、")[0]), []))
            post = post_kind(e["name"])
            e["post"] = post
            if post == "principal":
                candidates = [principal_leader_of(institution), *candidates]
            elif post == "head":
                candidates = [head_of(u) for u in Unit.objects.filter(pk__in=e["unit_ids"])] + candidates
            # partial names ("李华" written for "副院长李华")
            key = norm(e["name"])
            if not candidates and len(key) >= 2:
                candidates = [p for p in people if key in norm(p.name)][:5]
            e["candidates"] = list(dict.fromkeys(c for c in candidates if c is not None))
        groups.append({"kind": kind, "label": label, "entries": list(entries.values())})
    return groups


def completed_by_import(campaign: Campaign) -> list[dict]:
    """Imported items marked done and not yet closed, per file: what the bulk 销号 page offers."""
    from rectification.models import Measure

    return list(
        Measure.objects.filter(plan__campaign=campaign, status=Measure.Status.COMPLETED)
        .values("import_file")
        .annotate(n=Count("pk"))
        .order_by("import_file")
    )
