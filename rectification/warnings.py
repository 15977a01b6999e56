"""Deadline warnings in three colours, escalating (domain §7):

    days left > green_days            → no colour (on track)
    yellow_days < days left ≤ green    → green: notice to the owner
    0 ≤ days left ≤ yellow_days        → yellow: the owner and the supervising leader (分管领导)
    days left < 0 (overdue)            → red: the owner, the supervising leader and the unit head

Thresholds are per campaign (WarningPolicy, defaults from settings). Verified and long-term measures
without a deadline carry no colour. `warnings_send` is run by the background worker; each colour is
sent once per measure and deadline (an extension or a returned close-out starts afresh).
"""

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from notifications.services import notify
from orgs.access import Perm, can
from orgs.selectors import head_of, supervisor_of

from .models import Measure, MeasureWarning, WarningPolicy

C = Measure.Colour


def default_thresholds() -> tuple[int, int]:
    return (
        int(getattr(settings, "RECTIFY_WARNING_GREEN_DAYS", 14)),
        int(getattr(settings, "RECTIFY_WARNING_YELLOW_DAYS", 3)),
    )


def policy_for(campaign) -> WarningPolicy:
    policy = getattr(campaign, "_warning_policy", None)
    if policy is None:
        policy = WarningPolicy.objects.filter(campaign=campaign).first()
        if policy is None:
            green, yellow = default_thresholds()
            policy = WarningPolicy(campaign=campaign, green_days=green, yellow_days=yellow)
        campaign._warning_policy = policy
    return policy


def colour_for(*, deadline: date | None, status: str, today: date, green_days: int, yellow_days: int) -> str:
    if status in (Measure.Status.VERIFIED, Measure.Status.COMPLETED) or deadline is None:
        return C.NONE
    left = (deadline - today).days
    if left < 0:
        return C.RED
    if left <= yellow_days:
        return C.YELLOW
    if left <= green_days:
        return C.GREEN
    return C.NONE


def colour_of(measure: Measure, today: date | None = None) -> str:
    policy = policy_for(measure.plan.campaign)
    return colour_for(
        deadline=measure.deadline,
        status=measure.status,
        today=today or timezone.localdate(),
        green_days=policy.green_days,
        yellow_days=policy.yellow_days,
    )


def annotate_colours(measures, today: date | None = None, policies: dict | None = None):
    """Set `.colour` on each measure (plan__campaign must be selected). The policy is read once per
    campaign, not once per measure (each row brings its own copy of the campaign); `policies` (campaign
    pk → policy) may hold those the caller has read already."""
    today = today or timezone.localdate()
    policies = {} if policies is None else policies
    for m in measures:
        campaign = m.plan.campaign
        if campaign.pk not in policies:
            policies[campaign.pk] = policy_for(campaign)
        campaign._warning_policy = policies[campaign.pk]
        m.colour = colour_of(m, today)
        m.colour_label = C(m.colour).label
    return measures


def recipients_for(measure: Measure, colour: str) -> list:
    """People to warn, escalating with the colour."""
    people = [measure.owner]
    if colour in (C.YELLOW, C.RED):
        people.append(measure.responsible_leader or supervisor_of(measure.plan.unit))
    if colour == C.RED:
        people.append(head_of(measure.plan.unit))
    seen, out = set(), []
    for p in people:
        if p is not None and p.pk not in seen:
            seen.add(p.pk)
            out.append(p)
    return out


@transaction.atomic
def warning_policy_set(*, actor, campaign, green_days: int, yellow_days: int) -> WarningPolicy:
    """The campaign office sets the warning thresholds (days before the deadline)."""
    from django.core.exceptions import PermissionDenied

    from core.exceptions import ServiceError

    if not can(actor, Perm.CAMPAIGN_MANAGE, campaign.institution):
        raise PermissionDenied(_("Only the campaign office sets the warning thresholds."))
    if not (0 <= yellow_days < green_days <= 365):
        raise ServiceError(_("The green notice must come before the yellow warning (more days before the deadline)."))
    policy, _created = WarningPolicy.objects.get_or_create(
        campaign=campaign, defaults={"green_days": green_days, "yellow_days": yellow_days}
    )
    before = {"green_days": policy.green_days, "yellow_days": policy.yellow_days}
    WarningPolicy.objects.filter(pk=policy.pk).update(green_days=green_days, yellow_days=yellow_days)
    audit_record(
        actor=actor,
        action="rectification.warning_policy",
        obj=campaign,
        unit=campaign.institution,
        changes={"before": before, "after": {"green_days": green_days, "yellow_days": yellow_days}},
    )
    policy.refresh_from_db()
    return policy


def _message(measure: Measure, colour: str, today: date) -> str:
    left = (measure.deadline - today).days
    if colour == C.RED:
        when = _("overdue by %(n)s days") % {"n": -left}
    else:
        when = _("%(n)s days left") % {"n": left}
    return _("[%(colour)s] %(unit)s · %(measure)s · responsible: %(owner)s · deadline %(deadline)s (%(when)s)") % {
        "colour": C(colour).label,
        "unit": measure.plan.unit,
        "measure": str(measure),
        "owner": measure.owner_display,
        "deadline": measure.deadline.isoformat(),
        "when": when,
    }


def warnings_send(*, today: date | None = None) -> dict[str, int]:
    """Send every warning that is due (in-app, e-mail, and one digest to the group-robot webhooks).

    Safe to re-run: a colour already sent for a measure and deadline is not sent again.
    Returns the number of warnings sent per colour.
    """
    from notifications.webhooks import webhook_send

    today = today or timezone.localdate()
    open_measures = (
        Measure.objects.exclude(
            status__in=[Measure.Status.VERIFIED, Measure.Status.CLOSEOUT_REQUESTED, Measure.Status.COMPLETED]
        )
        .filter(deadline__isnull=False, plan__status="approved", plan__campaign__status="active")
        .select_related("plan__unit", "plan__campaign", "owner__user", "responsible_leader__user")
    )
    sent: dict[str, int] = defaultdict(int)
    digest: list[str] = []
    for m in open_measures.iterator(chunk_size=500):
        colour = colour_of(m, today)
        if colour == C.NONE:
            continue
        with transaction.atomic():
            warning, created = MeasureWarning.objects.get_or_create(
                measure=m, colour=colour, deadline=m.deadline, defaults={"recipients": []}
            )
            if not created:
                continue
            people = recipients_for(m, colour)
            text = _message(m, colour, today)
            notify(
                recipients=[p.user for p in people if p.user_id],
                title=text[:200],
                body=_("Goal: %(goal)s") % {"goal": m.goal},
                url=f"/rectification/measures/{m.pk}/",
                kind=f"rectification_{colour}",
                email=True,
            )
            MeasureWarning.objects.filter(pk=warning.pk).update(recipients=[p.pk for p in people])
            audit_record(
                actor=None,
                action="measure.warning",
                obj=m,
                unit=m.plan.unit,
                changes={"colour": colour, "deadline": m.deadline, "recipients": [p.pk for p in people]},
            )
        sent[str(colour)] += 1
        digest.append(text)
    if digest:
        header = _("Rectification deadline warnings (%(date)s): %(n)s") % {"date": today.isoformat(), "n": len(digest)}
        webhook_send(text="\n".join([header, *digest]))
    return dict(sent)
