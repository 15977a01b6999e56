"""The public representation: plain JSON-able data built from an explicit allow-list of fields.

Everything the public sees (the portal, the preview, snapshots, the JSON export) comes from
`build_public_data`. Only the fields named in `_problem_row` and `_measure_row` leave the building;
people are never named: a responsible leader is shown by job title or role, a person by their unit.
Status and time-class codes are stored, labels are looked up when a page is drawn, so a snapshot
renders in either language.
"""

from collections import OrderedDict
from datetime import date

from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import STAGE_ORDER, Campaign, CampaignUnit, Stage
from core.rates import mean_percent, rate
from problems.models import Problem
from rectification.models import Measure

from .models import PublicStatus

SUMMARY_LENGTH = 120

STATUS_LABELS = dict(PublicStatus.choices)
TIME_CLASS_LABELS = {
    "immediate": _("Fix at once"),
    "deadline": _("By a deadline"),
    "long_term": _("Long-term"),
}
STAGE_LABELS = dict(Stage.choices)
MILESTONE_LABELS = {
    "3m": _("Three months: visible results"),
    "6m": _("Six months: fundamental improvement"),
}
DONE_PROBLEM_STATUSES = {Problem.Status.RESOLVED, Problem.Status.FIXED_AT_ONCE}


def publishable_problems(campaign: Campaign):
    """Problems that may be made public: about a unit or a leadership team, not closed without action.

    A problem whose subject is one person is disclosed only internally (personal commitments).
    """
    return (
        Problem.objects.filter(campaign=campaign)
        .exclude(subject_kind=Problem.SubjectKind.PERSON)
        .exclude(status=Problem.Status.CLOSED)
    )


def publishable_measures(campaign: Campaign):
    """Measures of unit plans (a personal plan's measures are internal)."""
    return Measure.objects.filter(plan__campaign=campaign, plan__person__isnull=True)


def measure_status(measure: Measure, today: date) -> str:
    if measure.status == Measure.Status.VERIFIED:
        return PublicStatus.COMPLETED
    if measure.deadline and measure.deadline < today:
        return PublicStatus.OVERDUE
    if measure.percent > 0 or measure.status != Measure.Status.PLANNED:
        return PublicStatus.IN_PROGRESS
    return PublicStatus.NOT_STARTED


def measure_percent(measure: Measure) -> int:
    return 100 if measure.status == Measure.Status.VERIFIED else min(int(measure.percent or 0), 99)


def rollup(problem_status: str, measures: list[dict]) -> tuple[str, int]:
    """A problem's public status and progress from its (public) measures."""
    if problem_status in DONE_PROBLEM_STATUSES:
        return PublicStatus.COMPLETED, 100
    if not measures:
        return PublicStatus.NOT_STARTED, 0
    progress = mean_percent(m["percent"] for m in measures)
    statuses = {m["status"] for m in measures}
    if statuses == {PublicStatus.COMPLETED}:
        return PublicStatus.COMPLETED, 100
    if PublicStatus.OVERDUE in statuses:
        return PublicStatus.OVERDUE, progress
    if statuses == {PublicStatus.NOT_STARTED}:
        return PublicStatus.NOT_STARTED, progress
    return PublicStatus.IN_PROGRESS, progress


def _role_of(person) -> str:
    """A responsible leader is shown by job title (副院长, 处长…), never by name."""
    if person is None:
        return ""
    return person.title or str(_("Responsible leader"))


def _measure_row(measure: Measure, code: str, today: date) -> dict:
    # The allow-list: add a field here only if it may be shown to anyone on the internet.
    return {
        "code": code,
        "content": measure.content,
        "goal": measure.goal,
        "time_class": measure.time_class,
        "deadline": measure.deadline.isoformat() if measure.deadline else None,
        "status": measure_status(measure, today),
        "percent": measure_percent(measure),
        "responsible_unit": measure.responsible_unit.name,
        "responsible_role": _role_of(measure.responsible_leader),
    }


def _problem_row(problem: Problem, code: str, measures: list[dict]) -> dict:
    status, progress = rollup(problem.status, measures)
    deadlines = [m["deadline"] for m in measures if m["deadline"]]
    manifestations = list(problem.manifestations.all())
    return {
        "code": code,
        "description": problem.description,
        "unit": problem.unit.name,
        "subject": problem.subject_kind,
        "manifestations": [m.name for m in manifestations],
        "manifestation_order": manifestations[0].sort_order if manifestations else 9999,
        "status": status,
        "progress": progress,
        "deadline": max(deadlines) if deadlines else None,
        "measures": measures,
    }


def _measures_queryset(measure_ids):
    return Measure.objects.filter(pk__in=measure_ids).select_related("responsible_unit", "responsible_leader")


def build_items(campaign: Campaign, problem_codes: dict[int, str], measure_codes: dict[int, str], today: date):
    """Problem rows (each with its public measures) and public measures answering no public problem.

    A fixed number of queries, whatever the number of items.
    """
    problems = list(
        Problem.objects.filter(campaign=campaign, pk__in=list(problem_codes))
        .select_related("unit")
        .prefetch_related(
            "manifestations",
            Prefetch("measures", queryset=_measures_queryset(list(measure_codes)), to_attr="public_measures"),
        )
        .order_by("unit__path", "recorded_at", "pk")
    )
    shown = set()
    rows = []
    for p in problems:
        measures = [_measure_row(m, measure_codes[m.pk], today) for m in p.public_measures]
        shown.update(m.pk for m in p.public_measures)
        rows.append(_problem_row(p, problem_codes[p.pk], measures))
    loose = [
        _measure_row(m, measure_codes[m.pk], today)
        for m in _measures_queryset([pk for pk in measure_codes if pk not in shown])
        .filter(plan__campaign=campaign)
        .order_by("responsible_unit__path", "deadline", "pk")
    ]
    return rows, loose


def group_rows(rows: list[dict]) -> list[dict]:
    """Problems grouped by (first) manifestation, then by unit."""
    groups: OrderedDict[tuple, OrderedDict[str, list]] = OrderedDict()
    for row in rows:
        key = (row["manifestation_order"], row["manifestations"][0] if row["manifestations"] else "")
        groups.setdefault(key, OrderedDict()).setdefault(row["unit"], []).append(row)
    return [
        {"manifestation": key[1], "units": [{"unit": u, "problems": ps} for u, ps in units.items()]}
        for key, units in sorted(groups.items(), key=lambda kv: kv[0])
    ]


def _stages(campaign: Campaign) -> list[dict]:
    counts = dict(
        CampaignUnit.objects.filter(campaign=campaign).values_list("stage").annotate(n=Count("pk")).order_by()
    )
    return [
        {
            "stage": stage,
            "due": (campaign.due_for(stage).isoformat() if campaign.due_for(stage) else None),
            "units": counts.get(stage, 0),
        }
        for stage in STAGE_ORDER
    ]


def _milestones(campaign: Campaign, all_measures: list[dict], today: date) -> list[dict]:
    out = []
    for key, when in (("3m", campaign.milestone_3m), ("6m", campaign.milestone_6m)):
        due = [m for m in all_measures if m["deadline"] and m["deadline"] <= when.isoformat()]
        out.append(
            {
                "key": key,
                "date": when.isoformat(),
                "reached": when <= today,
                "due": len(due),
                "completed": sum(1 for m in due if m["status"] == PublicStatus.COMPLETED),
            }
        )
    return out


def summarise(rows: list[dict], loose: list[dict]) -> dict:
    measures = unique_measures(rows, loose)
    done = sum(1 for m in measures if m["status"] == PublicStatus.COMPLETED)
    return {
        "problems": len(rows),
        "problems_completed": sum(1 for r in rows if r["status"] == PublicStatus.COMPLETED),
        "measures": len(measures),
        "measures_completed": done,
        "overdue": sum(1 for m in measures if m["status"] == PublicStatus.OVERDUE),
        # core.rates: exact, half-up, two decimals; "completed" on the portal is verified (销号)
        "completion": f"{rate(done, len(measures)).value:.2f}" if measures else "0.00",
        "completion_of": f"{done}/{len(measures)}",
    }


def unique_measures(rows: list[dict], loose: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for row in rows:
        for m in row["measures"]:
            seen.setdefault(m["code"], m)
    for m in loose:
        seen.setdefault(m["code"], m)
    return list(seen.values())


def build_public_data(
    campaign: Campaign,
    problem_codes: dict[int, str],
    measure_codes: dict[int, str],
    *,
    today: date | None = None,
) -> dict:
    """Everything the public page shows for a campaign, as JSON-able data (dates as ISO strings)."""
    today = today or timezone.localdate()
    rows, loose = build_items(campaign, problem_codes, measure_codes, today)
    institution = campaign.institution
    return {
        "institution": {"name": institution.name, "code": institution.public_code},
        "campaign": {
            "name": campaign.name,
            "start_date": campaign.start_date.isoformat(),
            "stages": _stages(campaign),
            "milestones": _milestones(campaign, unique_measures(rows, loose), today),
        },
        "as_of": today.isoformat(),
        "summary": summarise(rows, loose),
        "groups": group_rows(rows),
        "loose_measures": loose,
    }


def index_items(data: dict) -> dict[str, dict]:
    """code -> item (problem or measure) of a public data dict; used to compare a snapshot with now."""
    items: dict[str, dict] = {}
    for group in data.get("groups", []):
        for unit in group["units"]:
            for p in unit["problems"]:
                items[p["code"]] = {"kind": "problem", "title": p["description"], **p}
                for m in p["measures"]:
                    items.setdefault(
                        m["code"], {"kind": "measure", "title": m["content"], "progress": m["percent"], **m}
                    )
    for m in data.get("loose_measures", []):
        items.setdefault(m["code"], {"kind": "measure", "title": m["content"], "progress": m["percent"], **m})
    return items
