"""The evaluation gate: a unit leaves stage `evaluation` only when a round that evaluates it
(its work, its leadership team or one of its people) is closed and tallied."""

from django.db.models import F
from django.utils.translation import gettext as _

from campaigns.gates import register_gate
from campaigns.models import Stage

from .models import Evaluation


@register_gate(Stage.EVALUATION)
def evaluations_tallied(participants) -> dict[int, list[str]]:
    """The EVALUATION gate for many participating units: one query (the rounds of the campaigns with a
    target in one of the units, each with that unit)."""
    rounds: dict[tuple[int, int], dict[int, Evaluation]] = {}
    for ev in (
        Evaluation.objects.filter(
            campaign_id__in={p.campaign_id for p in participants},
            kind=Evaluation.Kind.EVALUATION,
            targets__unit_id__in={p.unit_id for p in participants},
        )
        .annotate(target_unit_id=F("targets__unit_id"))
        .only("pk", "campaign_id", "name", "status", "void_reason")
        .order_by()
        .distinct()
    ):
        rounds.setdefault((ev.campaign_id, ev.target_unit_id), {})[ev.pk] = ev
    return {p.pk: _blockers(p.unit, rounds.get((p.campaign_id, p.unit_id), {})) for p in participants}


def evaluation_tallied(participant) -> list[str]:
    """The EVALUATION gate for one participating unit."""
    return evaluations_tallied([participant]).get(participant.pk, [])


def _blockers(unit, rounds: dict[int, Evaluation]) -> list[str]:
    if any(r.status == Evaluation.Status.TALLIED for r in rounds.values()):
        return []
    if not rounds:
        return [_("No democratic evaluation round evaluates %(unit)s yet.") % {"unit": unit}]
    blockers = []
    for _pk, r in sorted(rounds.items()):
        if r.status == Evaluation.Status.VOID:
            blockers.append(
                _("The evaluation round “%(round)s” is void (%(reason)s); a new round must be held.")
                % {"round": r.name, "reason": r.void_reason}
            )
        else:
            blockers.append(
                _("The evaluation round “%(round)s” is not yet closed and tallied (now: %(status)s).")
                % {"round": r.name, "status": r.get_status_display()}
            )
    return blockers
