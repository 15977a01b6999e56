"""The RECTIFICATION gate: a unit closes its campaign only when its rectification is done.

Done means: it has an approved plan; every measure fixed at once or by a deadline is verified (销号);
long-term measures (长期坚持) may stay open but must have progress reported; no look-back is open.
"""

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from campaigns.gates import register_gate
from campaigns.models import LookBack, Stage

from .models import Measure, ProgressReport, RectificationPlan

MAX_NAMED = 8


@register_gate(Stage.RECTIFICATION)
def rectifications_done(participants) -> dict[int, list[str]]:
    """The RECTIFICATION gate for many participating units, in five queries whatever their number: the
    plans; the first MAX_NAMED open deadline measures of each unit (a window, so that a campaign of
    100,000 measures does not load them) and how many there are; the long-term measures with no
    progress; the open look-backs."""
    key = {(p.campaign_id, p.unit_id): p.pk for p in participants}
    scope = Q(campaign_id__in={c for c, _u in key}, unit_id__in={u for _c, u in key})
    plans: dict[int, list[RectificationPlan]] = {pk: [] for pk in key.values()}
    for plan in RectificationPlan.objects.filter(scope).only("pk", "campaign_id", "unit_id", "title", "status"):
        if (plan.campaign_id, plan.unit_id) in key:
            plans[key[plan.campaign_id, plan.unit_id]].append(plan)
    measures = Measure.objects.filter(plan__in=RectificationPlan.objects.filter(scope)).annotate(
        plan_campaign_id=F("plan__campaign_id"), plan_unit_id=F("plan__unit_id")
    )
    per_unit = [F("plan__campaign_id"), F("plan__unit_id")]
    unverified = measures.exclude(time_class=Measure.TimeClass.LONG_TERM).exclude(status=Measure.Status.VERIFIED)
    # The window ranks narrow rows (ids and deadlines); only the named measures are read whole.
    first = unverified.annotate(
        nth=Window(RowNumber(), partition_by=per_unit, order_by=[F("deadline").asc(), F("pk").asc()])
    ).filter(nth__lte=MAX_NAMED)
    open_deadline: dict[int, list[Measure]] = {}
    for m in measures.filter(pk__in=first.values("pk")).select_related("owner").order_by("deadline", "pk"):
        open_deadline.setdefault(key.get((m.plan_campaign_id, m.plan_unit_id)), []).append(m)
    open_count = {
        key.get((c, u)): n
        for c, u, n in unverified.order_by().values_list("plan__campaign_id", "plan__unit_id").annotate(n=Count("pk"))
    }
    no_progress: dict[int, list[Measure]] = {}
    for m in (
        measures.filter(time_class=Measure.TimeClass.LONG_TERM)
        .exclude(status=Measure.Status.VERIFIED)
        .exclude(Exists(ProgressReport.objects.filter(measure=OuterRef("pk"))))
        .select_related("owner")
    ):
        no_progress.setdefault(key.get((m.plan_campaign_id, m.plan_unit_id)), []).append(m)
    lookbacks: dict[int, list[LookBack]] = {}
    for lb in (
        LookBack.objects.filter(participant_id__in=list(key.values()), status=LookBack.Status.OPEN)
        .select_related("person")
        .order_by("-opened_at", "-pk")
    ):
        lookbacks.setdefault(lb.participant_id, []).append(lb)
    return {
        p.pk: _blockers(
            p.unit,
            plans[p.pk],
            open_deadline.get(p.pk, []),
            open_count.get(p.pk, 0),
            no_progress.get(p.pk, []),
            lookbacks.get(p.pk, []),
        )
        for p in participants
    }


def rectification_done(participant) -> list[str]:
    """The RECTIFICATION gate for one participating unit."""
    return rectifications_done([participant]).get(participant.pk, [])


def _blockers(unit, plans, open_deadline, open_count, no_progress, lookbacks) -> list[str]:
    blockers: list[str] = []
    if not any(p.status == RectificationPlan.Status.APPROVED for p in plans):
        blockers.append(_("%(unit)s has no approved rectification plan.") % {"unit": unit})
    for p in plans:
        if p.status != RectificationPlan.Status.APPROVED:
            blockers.append(
                _("The plan “%(plan)s” is %(status)s, not approved.")
                % {"plan": p.title, "status": RectificationPlan.Status(p.status).label}
            )
    for m in open_deadline:
        blockers.append(
            _("The measure “%(m)s” (responsible: %(owner)s) is not verified (%(status)s).")
            % {"m": m, "owner": m.owner, "status": Measure.Status(m.status).label}
        )
    if open_count > len(open_deadline):
        blockers.append(_("… and %(n)s more measures not verified.") % {"n": open_count - len(open_deadline)})
    for m in no_progress:
        blockers.append(
            _("The long-term measure “%(m)s” (responsible: %(owner)s) has no progress reported.")
            % {"m": m, "owner": m.owner}
        )
    for lb in lookbacks:
        blockers.append(
            _("A look-back (回头看) of %(subject)s is still open: %(reason)s")
            % {"subject": lb.person or unit, "reason": lb.reason[:80]}
        )
    return blockers
