"""The RECTIFICATION gate: a unit closes its campaign only when its rectification is done.

Done means: it has an approved plan; every measure fixed at once or by a deadline is verified (销号);
long-term measures (长期坚持) may stay open but must have progress reported; no look-back is open.
"""

from django.utils.translation import gettext as _

from campaigns.gates import register_gate
from campaigns.models import LookBack, Stage

from .models import Measure, ProgressReport, RectificationPlan

MAX_NAMED = 8


@register_gate(Stage.RECTIFICATION)
def rectification_done(participant) -> list[str]:
    unit = participant.unit
    plans = list(RectificationPlan.objects.filter(campaign=participant.campaign_id, unit=unit))
    blockers: list[str] = []
    if not any(p.status == RectificationPlan.Status.APPROVED for p in plans):
        blockers.append(_("%(unit)s has no approved rectification plan.") % {"unit": unit})
    for p in plans:
        if p.status != RectificationPlan.Status.APPROVED:
            blockers.append(
                _("The plan “%(plan)s” is %(status)s, not approved.")
                % {"plan": p.title, "status": RectificationPlan.Status(p.status).label}
            )
    measures = Measure.objects.filter(plan__in=plans).select_related("owner")
    open_deadline = [
        m for m in measures if m.time_class != Measure.TimeClass.LONG_TERM and m.status != Measure.Status.VERIFIED
    ]
    for m in open_deadline[:MAX_NAMED]:
        blockers.append(
            _("The measure “%(m)s” (responsible: %(owner)s) is not verified (%(status)s).")
            % {"m": m, "owner": m.owner, "status": Measure.Status(m.status).label}
        )
    if len(open_deadline) > MAX_NAMED:
        blockers.append(_("… and %(n)s more measures not verified.") % {"n": len(open_deadline) - MAX_NAMED})
    with_progress = set(
        ProgressReport.objects.filter(
            measure__in=[m for m in measures if m.time_class == Measure.TimeClass.LONG_TERM]
        ).values_list("measure_id", flat=True)
    )
    for m in measures:
        if (
            m.time_class == Measure.TimeClass.LONG_TERM
            and m.status != Measure.Status.VERIFIED
            and m.pk not in with_progress
        ):
            blockers.append(
                _("The long-term measure “%(m)s” (responsible: %(owner)s) has no progress reported.")
                % {"m": m, "owner": m.owner}
            )
    for lb in LookBack.objects.filter(participant=participant, status=LookBack.Status.OPEN).select_related("person"):
        blockers.append(
            _("A look-back (回头看) of %(subject)s is still open: %(reason)s")
            % {"subject": lb.person or unit, "reason": lb.reason[:80]}
        )
    return blockers
