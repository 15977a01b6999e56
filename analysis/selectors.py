"""Reads for the dashboards, the analysis report and the ledgers.

Every figure is aggregated in the database (COUNT … GROUP BY); no function here loads problems or
measures one by one, so the number of queries of a dashboard does not depend on the number of units
or rows. Grouping by unit is done on aggregated rows (one per unit with data) and rolled up to the
participating units by their tree path.

Who may call what: views load a `Scope` through `get_scope_for_user` (institution or department
dashboard) or check `can_view_city` (city dashboard) first; the figure functions trust their scope.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Cast, TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignUnit, LookBack, Stage
from core.rates import half_up
from core.rates import rate as exact_rate
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


# A campaign's current one: the active campaign first, then (closed) the latest.
ACTIVE_FIRST = Case(When(status=Campaign.Status.ACTIVE, then=Value(0)), default=Value(1))


def rate(part: int, whole: int, numerator_label: str = "", denominator_label: str = ""):
    """core.rates.rate: exact, two decimals, half-up, with its numerator and denominator."""
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
            .order_by(ACTIVE_FIRST, "-start_date", "-pk")
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


def _participant_rows(scope: Scope) -> list[CampaignUnit]:
    """The scope's participating units with their stage (one query, shared by the stages and the grouping)."""
    return list(
        CampaignUnit.objects.filter(campaign=scope.campaign)
        .filter(scope.q())
        .select_related("unit")
        .order_by("unit__path")
    )


def grouping_units(scope: Scope, parts: list[CampaignUnit] | None = None) -> list[Unit]:
    """The units a dashboard compares: the participating units in scope; for a department that
    takes part alone, the department and its direct sub-units."""
    units = [p.unit for p in (_participant_rows(scope) if parts is None else parts)]
    if len(units) <= 1:
        units = [scope.root, *Unit.objects.filter(parent=scope.root).order_by("sort_order", "path")]
    return units


class _Grouping:
    """Finds the grouping unit a row's unit path belongs to: the nearest grouping unit above it (or
    itself); None outside them. Each path is looked up once."""

    def __init__(self, units: list[Unit]):
        self.by_path = {u.path: u.pk for u in units}
        self.found: dict[str, int | None] = {}

    def __call__(self, path: str | None) -> int | None:
        path = path or ""
        if path not in self.found:
            target, parts = None, path.rstrip("/").split("/")
            while parts:
                candidate = "/".join(parts) + "/"
                if candidate in self.by_path:
                    target = self.by_path[candidate]
                    break
                parts.pop()
            self.found[path] = target
        return self.found[path]


def _roll_up(rows, units: list[Unit], path_key: str, value_keys: list[str]) -> dict[int, dict]:
    """Add aggregated rows (one per unit path) into the nearest grouping unit above them."""
    grouping = _Grouping(units)
    totals = {u.pk: dict.fromkeys(value_keys, 0) for u in units}
    for row in rows:
        target = grouping(row[path_key])
        if target is None:
            continue
        for k in value_keys:
            totals[target][k] += row[k] or 0
    return totals


# ------------------------------------------------------------------------------- counting helpers


@lru_cache
def _fixed_offset_minutes(tzname: str) -> int | None:
    """The zone's UTC offset in minutes when it keeps one all year in this century, else None."""
    zone = ZoneInfo(tzname)
    offsets = {zone.utcoffset(datetime(y, m, 15)) for y in range(2000, 2101) for m in (1, 4, 7, 10)}
    return int(offsets.pop().total_seconds()) // 60 if len(offsets) == 1 else None


class LocalDate(TruncDate):
    """The local date of a timestamp, as `__date` gives it. On SQLite Django computes that with a
    Python function called for every row; where the zone keeps one UTC offset (Asia/Shanghai does)
    SQLite's own date() with that offset gives the same date inside the database."""

    def as_sqlite(self, compiler, connection, **extra_context):
        tzname = self.get_tzname()
        offset = _fixed_offset_minutes(tzname) if tzname and connection.timezone_name == "UTC" else None
        if offset is None:
            return self.as_sql(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, %s)", (*params, f"{offset:+d} minutes")


def _local_date_by(field: str, day: date) -> Q:
    """`field__date__lte=day` as a plain comparison with the instant the next local day starts."""
    start_of_next = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return Q(**{f"{field}__lt": start_of_next})


def _count_families(families: dict[str, tuple]) -> dict[str, dict[str, int]]:
    """Several small COUNT … GROUP BY figures in one round trip, as one UNION ALL of a SELECT each.

    `families` maps a name to (queryset, key field or None, count expression); the answer maps each
    name to {key: count} (key "" for a family without a key field; keys as text)."""
    if not families:
        return {}
    parts = [
        qs.order_by()
        .values_list(Value(name, output_field=CharField()), Cast(key, CharField()) if key else Value(""))
        .annotate(n=count)
        for name, (qs, key, count) in families.items()
    ]
    out: dict[str, dict[str, int]] = {name: {} for name in families}
    for name, key, n in parts[0].union(*parts[1:], all=True):
        out[name][key] = n
    return out


def _choice_rows(counts: dict[str, int], choices) -> list[dict]:
    return [{"key": c.value, "label": c.label, "count": counts.get(c.value, 0)} for c in choices]


# ----------------------------------------------------------------------------------------- figures


def stage_figures(scope: Scope, today: date, parts: list[CampaignUnit] | None = None) -> list[dict]:
    """Participating units per stage, with how many are past the stage's planned date."""
    counts = Counter(p.stage for p in (_participant_rows(scope) if parts is None else parts))
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
    """Each unit's stage and what blocks its next gate. The gates are other apps' checks; each answers
    for all the units at once (campaigns.gates), so the queries do not grow with the units. Shown in its
    own partial, loaded after the dashboard."""
    from campaigns.gates import gate_blockers_for

    parts = participants(scope)
    blockers = gate_blockers_for(p for p in parts if p.stage != Stage.CLOSED)
    return [
        {"participant": p, "unit": p.unit, "stage": Stage(p.stage).label, "blockers": blockers.get(p.pk, [])}
        for p in parts
    ]


def problem_queryset(scope: Scope):
    from problems.models import Problem

    return Problem.objects.filter(campaign=scope.campaign).filter(scope.q())


def _problem_families(scope: Scope) -> dict[str, tuple]:
    from problems.models import Problem

    through = Problem.manifestations.through.objects.filter(
        problem__campaign=scope.campaign, problem__unit__path__startswith=scope.root.path
    )
    return {
        "channel": (problem_queryset(scope), "channel", Count("pk")),
        # a problem has each manifestation at most once; it may have several of one group
        "manifestation": (through, "manifestation", Count("pk")),
        "group": (through, "manifestation__group", Count("problem", distinct=True)),
        "classified": (through, None, Count("problem", distinct=True)),
    }


def problem_figures(scope: Scope, units: list[Unit], counts: dict | None = None) -> dict:
    """Problems by 庸/懒/散, by manifestation, channel, severity, status and unit.

    One GROUP BY (unit, severity, status) gives the totals, severities, statuses and the units; the
    channels and manifestations come with the dashboard's other small counts (`_count_families`)."""
    from problems.models import Channel, Manifestation, Problem

    if counts is None:
        counts = _count_families(_problem_families(scope))
    rows = problem_queryset(scope).order_by().values_list("unit__path", "severity", "status").annotate(n=Count("pk"))
    serious, resolved_states = Problem.Severity.HIGH, {Problem.Status.RESOLVED, Problem.Status.FIXED_AT_ONCE}
    per_severity, per_status = Counter(), Counter()
    grouping = _Grouping(units)
    by_unit = {u.pk: {"count": 0, "serious": 0, "resolved": 0} for u in units}
    for path, severity, status, n in rows:
        per_severity[severity] += n
        per_status[status] += n
        target = grouping(path)
        if target is not None:
            row = by_unit[target]
            row["count"] += n
            row["serious"] += n if severity == serious else 0
            row["resolved"] += n if status in resolved_states else 0
    total = sum(per_status.values())
    per_manifestation = {int(k): n for k, n in counts["manifestation"].items()}
    return {
        "total": total,
        "fixed_at_once": per_status[Problem.Status.FIXED_AT_ONCE],
        "resolved": sum(per_status[s] for s in resolved_states),
        "unclassified": total - counts["classified"].get("", 0),
        "groups": _choice_rows(counts["group"], Manifestation.Group),
        "manifestations": [
            {"pk": m.pk, "name": m.name, "label": m.name, "group": m.group, "count": per_manifestation.get(m.pk, 0)}
            for m in Manifestation.objects.all()
            if m.active or m.pk in per_manifestation
        ],
        "channels": _choice_rows(counts["channel"], Channel),
        "severities": _choice_rows(per_severity, Problem.Severity),
        "statuses": _choice_rows(per_status, Problem.Status),
        "by_unit": [{"unit": u, **by_unit[u.pk]} for u in units],
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
    """The COUNT expressions of the measure figures: with a campaign, every figure of the institution
    dashboard (each status, warnings, the 3/6-month marks); without, those the city compares.

    done = verified or completed by import; on time = verified on or before the deadline (local date);
    overdue = not done and past the deadline (the red warning; due so far = verified + overdue)."""
    from rectification.models import Measure

    S = Measure.Status
    verified = Q(status=S.VERIFIED)
    done = Q(status__in=[S.VERIFIED, S.COMPLETED])
    on_time = verified & (Q(deadline__isnull=True) | Q(LessThanOrEqual(LocalDate("verified_at"), F("deadline"))))
    overdue = ~done & Q(deadline__lt=today)
    aggs = {
        "total": Count("pk"),
        "verified": Count("pk", filter=verified),
        "done": Count("pk", filter=done),
        "on_time": Count("pk", filter=on_time),
        "overdue": Count("pk", filter=overdue),
    }
    if campaign is None:
        return aggs
    green_days, yellow_days = warning_thresholds(campaign)
    aggs.update({f"status_{s.value}": Count("pk", filter=Q(status=s)) for s in S})
    aggs.update(
        rules=Count("pk", filter=Q(kind=Measure.Kind.RULE)),
        rules_done=Count("pk", filter=Q(kind=Measure.Kind.RULE) & verified),
        yellow=Count("pk", filter=~done & Q(deadline__gte=today, deadline__lte=today + timedelta(days=yellow_days))),
        green=Count(
            "pk",
            filter=~done
            & Q(deadline__gt=today + timedelta(days=yellow_days), deadline__lte=today + timedelta(days=green_days)),
        ),
    )
    for key, mark in (("m3", campaign.milestone_3m), ("m6", campaign.milestone_6m)):
        aggs[f"{key}_due"] = Count("pk", filter=Q(deadline__lte=mark))
        aggs[f"{key}_done"] = Count("pk", filter=Q(deadline__lte=mark) & verified & _local_date_by("verified_at", mark))
    return aggs


def _with_rates(row: dict, labels: dict | None = None) -> dict:
    labels = labels or _labels()
    row["due"] = row["verified"] + row["overdue"]  # verified, or overdue: what should be finished by now
    row["completion_rate"] = rate(row["done"], row["total"], *labels["completion"])
    row["closeout_rate"] = rate(row["verified"], row["total"], *labels["closeout"])
    row["on_time_rate"] = rate(row["on_time"], row["due"], *labels["on_time"])
    return row


def _measure_families(scope: Scope) -> dict[str, tuple]:
    drafts = measure_queryset(scope, approved=False)
    return {"draft_measures": (drafts, None, Count("pk")), "draft_plans": (drafts, None, Count("plan", distinct=True))}


def rectification_figures(scope: Scope, units: list[Unit], today: date, counts: dict | None = None) -> dict:
    """Measures: completion and on-time rates, warnings by colour, the 3/6-month marks, by unit.

    Only measures of approved plans count (so the warnings board and the dashboard agree); measures
    of drafts and plans under review are counted apart (`drafts`). completion rate = done (verified, or
    completed by an imported ledger) / all; close-out rate = verified (销号) / all; on-time rate =
    verified by their deadline / (verified + overdue), i.e. of the measures that should be finished by now.

    One GROUP BY unit gives every count per unit; the dashboard's figures are their sums.
    """
    from rectification.models import Measure

    if counts is None:
        counts = _count_families(_measure_families(scope))
    aggs = _measure_aggregates(today, scope.campaign)
    rows = list(measure_queryset(scope).order_by().values("responsible_unit__path").annotate(**aggs))
    figures = {k: sum(r[k] for r in rows) for k in aggs}
    S = Measure.Status
    labels = _labels()
    figures.update(
        completed_by_import=figures[f"status_{S.COMPLETED}"],
        closeout_requested=figures[f"status_{S.CLOSEOUT_REQUESTED}"],
        in_progress=figures[f"status_{S.IN_PROGRESS}"] + figures[f"status_{S.RETURNED}"],
        planned=figures[f"status_{S.PLANNED}"],
        red=figures["overdue"],
    )
    _with_rates(figures, labels)
    figures["no_warning"] = figures["total"] - figures["done"] - figures["red"] - figures["yellow"] - figures["green"]
    figures["drafts"] = {"measures": counts["draft_measures"].get("", 0), "plans": counts["draft_plans"].get("", 0)}
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
    figures["statuses"] = [
        {"key": s.value, "label": s.label, "count": figures[f"status_{s.value}"]} for s in Measure.Status
    ]
    keys = ["total", "verified", "done", "on_time", "overdue"]
    rolled = _roll_up(rows, units, "responsible_unit__path", keys)
    figures["by_unit"] = [{"unit": u, **_with_rates(rolled[u.pk], labels)} for u in units]
    return figures


def satisfaction_percent(total, count: int) -> Decimal | None:
    """The mean of `count` satisfaction rates (0–1, four decimals) summing to `total`, as a percentage
    with two decimals, half-up (core.rates); None without any."""
    if not count:
        return None
    ten_thousandths = int((Decimal(str(total)) * 10_000).to_integral_value(ROUND_HALF_UP))
    return half_up(ten_thousandths, 100 * count, places=2)


def _evaluation_families(scope: Scope) -> dict[str, tuple]:
    return {"rounds": (scope.campaign.evaluations.all(), "status", Count("pk"))}


def evaluation_figures(scope: Scope, counts: dict | None = None) -> dict:
    """Evaluation targets (units, teams, people) by kind and result, with the mean satisfaction."""
    from evaluations.models import Evaluation, EvaluationTarget
    from evaluations.release import published_q

    if counts is None:
        counts = _count_families(_evaluation_families(scope))
    targets = EvaluationTarget.objects.filter(evaluation__campaign=scope.campaign).filter(scope.q())
    targets = targets.exclude(evaluation__status=Evaluation.Status.VOID)
    published = published_q()  # results of unpublished rounds count as pending
    rows = (
        targets.order_by()
        .values("kind")
        .annotate(
            total=Count("pk"),
            passed=Count("pk", filter=published & Q(result=EvaluationTarget.Result.PASSED)),
            failed=Count("pk", filter=published & Q(result=EvaluationTarget.Result.FAILED)),
            pending=Count("pk", filter=~published | Q(result=EvaluationTarget.Result.PENDING)),
            satisfaction_sum=Sum("satisfaction", filter=published),
            satisfaction_n=Count("satisfaction", filter=published),
        )
    )
    by_kind = {r["kind"]: r for r in rows}
    kinds = []
    for k in EvaluationTarget.Kind:
        r = by_kind.get(k.value, {"total": 0, "passed": 0, "failed": 0, "pending": 0, "satisfaction_n": 0})
        kinds.append(
            {
                "key": k.value,
                "label": k.label,
                "total": r["total"],
                "passed": r["passed"],
                "failed": r["failed"],
                "pending": r["pending"],
                "pass_rate": rate(r["passed"], r["passed"] + r["failed"]),
                "satisfaction": satisfaction_percent(r.get("satisfaction_sum"), r["satisfaction_n"]),
            }
        )
    failed = list(
        targets.filter(published, result=EvaluationTarget.Result.FAILED)
        .select_related("unit", "person", "evaluation")
        .order_by("unit__path", "pk")[:20]
    )
    totals = {k: sum(r[k] for r in kinds) for k in ("total", "passed", "failed", "pending")}
    return {
        "kinds": kinds,
        "failed_targets": failed,
        "rounds": counts["rounds"],
        **totals,
        "pass_rate": rate(totals["passed"], totals["passed"] + totals["failed"]),
    }


def _accountability_families(scope: Scope) -> dict[str, tuple]:
    from accountability.models import AccountabilityCase

    cases = AccountabilityCase.objects.filter(institution=scope.campaign.institution).filter(scope.q())
    cases = cases.filter(opened_at__gte=timezone.make_aware(datetime.combine(scope.campaign.start_date, time.min)))
    decided = AccountabilityCase.decided_measures.through.objects.filter(accountabilitycase__in=cases)
    return {
        "case_trigger": (cases, "trigger", Count("pk")),
        "case_status": (cases, "status", Count("pk")),
        "case_measure": (decided, "measuretype__name", Count("pk")),
    }


def accountability_figures(scope: Scope, counts: dict | None = None) -> dict:
    """Accountability cases of the institution (in scope) by trigger and status, and measures decided."""
    from accountability.models import AccountabilityCase

    if counts is None:
        counts = _count_families(_accountability_families(scope))
    measures = sorted(counts["case_measure"].items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "total": sum(counts["case_status"].values()),
        "triggers": _choice_rows(counts["case_trigger"], AccountabilityCase.Trigger),
        "statuses": _choice_rows(counts["case_status"], AccountabilityCase.Status),
        "measures": [{"label": name, "count": n} for name, n in measures],
    }


def _activity_families(scope: Scope) -> dict[str, tuple]:
    from meetings.models import LifeMeeting
    from problems.models import Opinion
    from reports.models import SelfReport

    c = scope.campaign
    opinions = Opinion.objects.filter(campaign=c).filter(scope.q())
    if not scope.is_institution:
        # 回避: a department's figures leave out opinions about a person (its head would see one
        # appear that his own list does not show); the institution's figures count them.
        opinions = opinions.filter(recusal_reason="")
    lookbacks = LookBack.objects.filter(
        participant__campaign=c, status=LookBack.Status.OPEN, participant__unit__path__startswith=scope.root.path
    )
    return {
        "opinions": (opinions, "status", Count("pk")),
        "reports": (SelfReport.objects.filter(campaign=c).filter(scope.q()), "status", Count("pk")),
        "meetings": (LifeMeeting.objects.filter(campaign=c).filter(scope.q()), "status", Count("pk")),
        "lookbacks": (lookbacks, None, Count("pk")),
    }


def activity_figures(scope: Scope, counts: dict | None = None) -> dict:
    """Opinions, self-inspection reports, meetings and look-backs: counts by status."""
    from meetings.models import LifeMeeting
    from problems.models import Opinion
    from reports.models import SelfReport

    if counts is None:
        counts = _count_families(_activity_families(scope))
    return {
        "opinions": _choice_rows(counts["opinions"], Opinion.Status),
        "reports": _choice_rows(counts["reports"], SelfReport.Status),
        "meetings": _choice_rows(counts["meetings"], LifeMeeting.Status),
        "lookbacks_open": counts["lookbacks"].get("", 0),
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
    """Every figure of the institution (or department) dashboard, in a constant number of queries:
    the participants, one GROUP BY for the problems, one for the measures, the evaluation results,
    and every small count (channels, manifestations, drafts, rounds, cases, opinions, reports,
    meetings, look-backs) in one UNION ALL."""
    parts = _participant_rows(scope)
    units = grouping_units(scope, parts)
    counts = _count_families(
        {
            **_problem_families(scope),
            **_measure_families(scope),
            **_evaluation_families(scope),
            **(_accountability_families(scope) if with_accountability else {}),
            **_activity_families(scope),
        }
    )
    return Dashboard(
        scope=scope,
        today=today,
        units=units,
        stages=stage_figures(scope, today, parts),
        problems=problem_figures(scope, units, counts),
        rectification=rectification_figures(scope, units, today, counts),
        evaluations=evaluation_figures(scope, counts),
        accountability=accountability_figures(scope, counts) if with_accountability else None,
        activity=activity_figures(scope, counts),
    )


# ------------------------------------------------------------------------------------------- city


def city_campaigns(city: Unit) -> list[Campaign]:
    """The current campaign of each institution under the city office: the active one, else the one
    that started last."""
    campaigns = (
        Campaign.objects.filter(institution__path__startswith=city.path, institution__kind=Unit.Kind.INSTITUTION)
        .exclude(status=Campaign.Status.DRAFT)
        .select_related("institution")
        .order_by("institution__path", ACTIVE_FIRST, "-start_date", "-pk")
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
    stage_rows = (
        CampaignUnit.objects.filter(campaign_id__in=ids)
        .order_by()
        .values_list("campaign", "stage")
        .annotate(n=Count("pk"))
    )
    stages: dict[int, dict[str, int]] = {}
    for campaign_id, stage, n in stage_rows:
        stages.setdefault(campaign_id, {})[stage] = n
    problems = {
        r["campaign"]: r
        for r in Problem.objects.filter(campaign_id__in=ids)
        .order_by()
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
        .order_by()
        .values("plan__campaign")
        .annotate(**measure_aggs)
    }
    evaluations = {
        r["evaluation__campaign"]: r
        for r in published_targets(EvaluationTarget.objects.filter(evaluation__campaign_id__in=ids))
        .exclude(evaluation__status=Evaluation.Status.VOID)
        .order_by()
        .values("evaluation__campaign")
        .annotate(
            passed=Count("pk", filter=Q(result=EvaluationTarget.Result.PASSED)),
            failed=Count("pk", filter=Q(result=EvaluationTarget.Result.FAILED)),
            satisfaction_sum=Sum("satisfaction"),
            satisfaction_n=Count("satisfaction"),
        )
    }
    cases = dict(
        AccountabilityCase.objects.filter(institution_id__in=[c.institution_id for c in campaigns])
        .order_by()
        .values_list("institution")
        .annotate(n=Count("pk"))
    )
    labels = _labels()
    empty_measures = dict.fromkeys(measure_aggs, 0)
    rows = []
    for c in campaigns:
        st = stages.get(c.pk, {})
        units_n = sum(st.values())
        p = problems.get(c.pk, {"total": 0, "serious": 0, "resolved": 0})
        m = _with_rates({k: measures.get(c.pk, empty_measures)[k] for k in measure_aggs}, labels)
        e = evaluations.get(c.pk, {"passed": 0, "failed": 0, "satisfaction_sum": None, "satisfaction_n": 0})
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
                "problems_per_unit": half_up(p["total"], units_n, places=1) if units_n else None,
                "measures": m,
                "evaluated_pass_rate": rate(e["passed"], e["passed"] + e["failed"]),
                "failed": e["failed"],
                "satisfaction": satisfaction_percent(e["satisfaction_sum"], e["satisfaction_n"]),
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
    totals["completion_rate"] = rate(totals["done"], totals["measures"], *labels["completion"])
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
