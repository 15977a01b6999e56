"""The evaluation gate: a unit leaves stage `evaluation` only when a round that evaluates it
(its work, its leadership team or one of its people) is closed and tallied."""

from django.utils.translation import gettext as _

from campaigns.gates import register_gate
from campaigns.models import Stage

from .models import Evaluation, EvaluationTarget


@register_gate(Stage.EVALUATION)
def evaluation_tallied(participant) -> list[str]:
    targets = EvaluationTarget.objects.filter(
        evaluation__campaign_id=participant.campaign_id,
        evaluation__kind=Evaluation.Kind.EVALUATION,
        unit_id=participant.unit_id,
    ).select_related("evaluation")
    rounds = {t.evaluation for t in targets}
    if any(r.status == Evaluation.Status.TALLIED for r in rounds):
        return []
    if not rounds:
        return [_("No democratic evaluation round evaluates %(unit)s yet.") % {"unit": participant.unit}]
    blockers = []
    for r in sorted(rounds, key=lambda r: r.pk):
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
