"""Rankings between departments (评比竞赛) and the three- and six-month marks (见成效, 根本好转).

Figures per unit, from the measures of its approved plans (as on the dashboards; drafts are not counted),
each a core.rates Rate (exact, half-up, two decimals, numerator and denominator kept):
- completion rate: verified measures / all measures (the dashboard's close-out rate, 销号率);
- on-time rate: measures verified on or before their original deadline / measures whose original deadline
  has passed or that are verified (long-term measures without a deadline are left out);
- satisfaction: the unit's latest published democratic-evaluation satisfaction rate, when there is one.
Score = 40% completion + 30% on-time + 30% satisfaction (weights re-spread when satisfaction is missing),
computed on exact fractions and rounded half-up to two decimals like every published figure.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.rates import Rate, half_up, rate
from orgs.access import Perm, can

from .models import Measure, RankingBoard, RectificationPlan

WEIGHTS = {"completion": Fraction(4, 10), "on_time": Fraction(3, 10), "satisfaction": Fraction(3, 10)}


def _share(r: Rate) -> Fraction | None:
    """The rate as an exact fraction of one (None when there is nothing to divide by)."""
    return Fraction(r.numerator, r.denominator) if r.denominator else None


def _value(r: Rate) -> str | None:
    """The published percentage ("96.15") as text: board rows are stored as JSON."""
    return None if r.value is None else f"{r.value:.2f}"


def _satisfaction_by_unit(campaign) -> dict[int, float]:
    from evaluations.models import EvaluationTarget
    from evaluations.release import published_targets

    out: dict[int, float] = {}
    rows = (
        published_targets(EvaluationTarget.objects)
        .filter(
            evaluation__campaign=campaign,
            evaluation__kind="evaluation",
            satisfaction__isnull=False,
            person__isnull=True,
        )
        .order_by("evaluation_id")
        .values_list("unit_id", "satisfaction")
    )
    for unit_id, sat in rows:  # later rounds overwrite earlier ones
        out[unit_id] = float(sat)
    return out


def ranking_rows(campaign, today: date | None = None) -> list[dict]:
    """One row per unit with measures: figures, score and rank (ties share a rank). Three queries."""
    today = today or timezone.localdate()
    stats: dict[int, dict] = defaultdict(lambda: {"total": 0, "verified": 0, "due": 0, "on_time": 0})
    units = {}
    for m in (
        Measure.objects.filter(plan__campaign=campaign, plan__status=RectificationPlan.Status.APPROVED)
        .select_related("plan__unit")
        .only(
            "status",
            "deadline",
            "original_deadline",
            "verified_at",
            "time_class",
            "plan__unit__name",
            "plan__unit__path",
        )
    ):
        u = m.plan.unit
        units[u.pk] = u
        s = stats[u.pk]
        s["total"] += 1
        verified = m.status == Measure.Status.VERIFIED
        s["verified"] += verified
        promised = m.original_deadline or m.deadline
        if promised is None:
            continue
        if verified or promised < today:
            s["due"] += 1
            if verified and timezone.localtime(m.verified_at).date() <= promised:
                s["on_time"] += 1
    sat = _satisfaction_by_unit(campaign)
    rows = []
    for uid, s in stats.items():
        completion = rate(s["verified"], s["total"])
        on_time = rate(s["on_time"], s["due"])
        satisfaction = sat.get(uid)
        parts = {
            "completion": _share(completion),
            "on_time": _share(on_time),
            "satisfaction": None if satisfaction is None else Fraction(str(satisfaction)),
        }
        weight = sum((WEIGHTS[k] for k, v in parts.items() if v is not None), Fraction(0))
        score = sum((WEIGHTS[k] * v for k, v in parts.items() if v is not None), Fraction(0)) / weight if weight else 0
        score = Fraction(score) * 100
        rows.append(
            {
                "unit_id": uid,
                "unit": units[uid].name,
                "measures": s["total"],
                "verified": s["verified"],
                "due": s["due"],
                "on_time_count": s["on_time"],
                "completion": _value(completion),
                "on_time": _value(on_time),
                "satisfaction": satisfaction,
                "score": f"{half_up(score.numerator, score.denominator, places=2):.2f}",
                "completion_pct": completion.percent,
                "on_time_pct": on_time.percent,
                "satisfaction_pct": percent(satisfaction),
            }
        )
    rows.sort(key=lambda r: (-Decimal(r["score"]), r["unit"]))
    rank, last = 0, None
    for i, r in enumerate(rows, start=1):
        if r["score"] != last:
            rank, last = i, r["score"]
        r["rank"] = rank
    return rows


@transaction.atomic
def board_publish(*, actor, campaign, title: str = "") -> RankingBoard:
    """The office publishes a snapshot of the ranking inside the institution (and for disclosure)."""
    if not can(actor, Perm.RECTIFICATION_MANAGE, campaign.institution):
        raise PermissionDenied(_("Only the campaign office publishes the ranking."))
    rows = ranking_rows(campaign)
    title = title.strip() or _("Rectification ranking of departments, %(d)s") % {"d": timezone.localdate().isoformat()}
    board = RankingBoard.objects.create(campaign=campaign, title=title, rows=rows, published_by=actor)
    audit_record(
        actor=actor,
        action="rectification.ranking_publish",
        obj=board,
        unit=campaign.institution,
        changes={"units": len(rows)},
    )
    return board


def latest_board(campaign) -> RankingBoard | None:
    return RankingBoard.objects.filter(campaign=campaign).first()


def milestone_progress(campaign, today: date | None = None) -> dict:
    """Progress against the three-month (见成效) and six-month (根本好转) marks, per unit and in total.

    For each mark: the measures whose deadline falls on or before it, and how many of them are verified
    (by now, and by the mark itself once it has passed).
    """
    today = today or timezone.localdate()
    marks = [("3m", campaign.milestone_3m), ("6m", campaign.milestone_6m)]
    per_unit: dict[int, dict] = {}
    total = {k: {"due": 0, "verified": 0, "verified_by_mark": 0} for k, _d in marks}
    for m in (
        Measure.objects.filter(plan__campaign=campaign, deadline__isnull=False)
        .select_related("plan__unit")
        .only("status", "deadline", "original_deadline", "verified_at", "plan__unit__name", "plan__unit__path")
    ):
        row = per_unit.setdefault(
            m.plan.unit_id,
            {"unit": m.plan.unit.name, **{k: {"due": 0, "verified": 0, "verified_by_mark": 0} for k, _d in marks}},
        )
        promised = m.original_deadline or m.deadline
        for key, mark in marks:
            if promised > mark:
                continue
            verified = m.status == Measure.Status.VERIFIED
            by_mark = verified and timezone.localtime(m.verified_at).date() <= mark
            for bucket in (row[key], total[key]):
                bucket["due"] += 1
                bucket["verified"] += verified
                bucket["verified_by_mark"] += by_mark
    for bucket in [*(r[k] for r in per_unit.values() for k, _d in marks), *total.values()]:
        r = rate(bucket["verified"], bucket["due"])
        bucket["rate"] = _value(r)
        bucket["pct"] = r.percent
        bucket["bar"] = int(half_up(bucket["verified"] * 100, bucket["due"])) if bucket["due"] else 0
    return {
        "marks": [{"key": k, "date": d, "passed": d < today} for k, d in marks],
        "units": sorted(per_unit.values(), key=lambda r: r["unit"]),
        "total": total,
    }


def percent(v) -> str:
    """A share of one (a satisfaction rate from the evaluations) as a percentage, two decimals, half-up."""
    if v is None:
        return "—"
    f = Fraction(str(v))
    return rate(f.numerator, f.denominator).percent
