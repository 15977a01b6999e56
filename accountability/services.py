"""Writes for accountability cases: open (called by other apps), propose, decide, statement, close."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError
from notifications.services import notify
from orgs.access import Perm, can, person_of

from .defaults import DEFAULT_MEASURES
from .models import AccountabilityCase, MeasureType, Restriction
from .selectors import deciders_of


@transaction.atomic
def case_open(
    *, actor, person, unit, trigger: str, facts: str, trigger_ref: str = "", proposed: bool = False
) -> AccountabilityCase:
    """Open a case against `person` (for `unit`). Called by other apps' services when a report is
    returned, a measure is overdue or an evaluation fails. With `proposed`, the case only proposes
    accountability: the deciding office takes it up (case_accept) or not (case_dismiss); the office and
    the person concerned are told either way. Re-opening for the same trigger_ref while a case is
    pending returns that case (so a retried task never opens two)."""
    pending = [AccountabilityCase.Status.PROPOSED, AccountabilityCase.Status.OPEN]
    if trigger_ref:
        existing = AccountabilityCase.objects.filter(person=person, trigger_ref=trigger_ref, status__in=pending).first()
        if existing:
            return existing
    case = AccountabilityCase.objects.create(
        institution_id=unit.institution_id or unit.pk,
        unit=unit,
        person=person,
        trigger=trigger,
        trigger_ref=trigger_ref,
        facts=facts,
        status=AccountabilityCase.Status.PROPOSED if proposed else AccountabilityCase.Status.OPEN,
    )
    audit_record(
        actor=actor,
        action="accountability.open",
        obj=case,
        unit=unit,
        changes={"person": person.pk, "trigger": trigger, "ref": trigger_ref, "status": case.status},
    )
    url = reverse("accountability:detail", args=[case.pk])
    if proposed:
        notify(
            recipients=[u for u in deciders_of(unit) if u != getattr(person, "user", None)],
            title=_("Accountability proposed for %(name)s: take it up or not") % {"name": person.name},
            body=facts,
            url=url,
            kind="warning",
        )
        notify(
            recipients=[getattr(person, "user", None)],
            title=_("Accountability has been proposed concerning you: %(trigger)s")
            % {"trigger": case.get_trigger_display()},
            body=facts,
            url=url,
            kind="warning",
            email=True,
        )
    return case


@transaction.atomic
def case_accept(*, actor, case: AccountabilityCase) -> AccountabilityCase:
    """The deciding office takes up a proposed case (立案); it is then decided with case_decide."""
    _check_decider(actor, case)
    updated = AccountabilityCase.objects.filter(pk=case.pk, status=AccountabilityCase.Status.PROPOSED).update(
        status=AccountabilityCase.Status.OPEN
    )
    if not updated:
        raise Conflict(_("Only a proposed case can be taken up; reload the page."))
    audit_record(
        actor=actor, action="accountability.accept", obj=case, unit=case.unit, changes={"status": ["proposed", "open"]}
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def case_dismiss(*, actor, case: AccountabilityCase, reason: str) -> AccountabilityCase:
    """The deciding office does not pursue a proposed or open case, saying why; the person is told."""
    _check_decider(actor, case)
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ServiceError(_("Say why the case is not pursued."))
    before = AccountabilityCase.objects.filter(pk=case.pk).values_list("status", flat=True).first()
    updated = AccountabilityCase.objects.filter(
        pk=case.pk, status__in=[AccountabilityCase.Status.PROPOSED, AccountabilityCase.Status.OPEN]
    ).update(status=AccountabilityCase.Status.DISMISSED, dismissal_reason=reason, closed_at=timezone.now())
    if not updated:
        raise Conflict(_("The case was already decided; reload the page."))
    audit_record(
        actor=actor,
        action="accountability.dismiss",
        obj=case,
        unit=case.unit,
        changes={"status": [before, "dismissed"], "reason": reason},
    )
    case.refresh_from_db()
    notify(
        recipients=[getattr(case.person, "user", None)],
        title=_("The accountability case concerning you is not pursued"),
        body=reason,
        url=reverse("accountability:detail", args=[case.pk]),
        kind="info",
    )
    return case


PENDING = [AccountabilityCase.Status.PROPOSED, AccountabilityCase.Status.OPEN]


def measure_types_ensure() -> None:
    """Create the default measures if missing (migration 0003 seeds them; flushed test databases and
    fresh demos call this)."""
    for i, (name, blocks) in enumerate(DEFAULT_MEASURES, start=1):
        MeasureType.objects.get_or_create(name=name, defaults={"blocks_commendation": blocks, "sort_order": i * 10})


def _check_decider(actor, case: AccountabilityCase) -> None:
    if not can(actor, Perm.ACCOUNTABILITY_DECIDE, case.unit):
        raise PermissionDenied
    person = person_of(actor)
    if person is not None and person.pk == case.person_id:
        raise ServiceError(_("Nobody may decide their own accountability case."))


def _measures(measures: Iterable[MeasureType]) -> list[MeasureType]:
    chosen = list(measures)
    if any(not m.active for m in chosen):
        raise ServiceError(_("A measure that is no longer in use was chosen."))
    return chosen


@transaction.atomic
def case_propose(*, actor, case: AccountabilityCase, measures: Iterable[MeasureType]) -> AccountabilityCase:
    """Record the proposed measures of an open case (the campaign office or the city office)."""
    _check_decider(actor, case)
    chosen = _measures(measures)
    if not AccountabilityCase.objects.filter(pk=case.pk, status__in=PENDING).exists():
        raise Conflict(_("Only an open case can be changed."))
    before = sorted(case.proposed_measures.values_list("pk", flat=True))
    case.proposed_measures.set(chosen)
    audit_record(
        actor=actor,
        action="accountability.propose",
        obj=case,
        unit=case.unit,
        changes={"proposed": [before, sorted(m.pk for m in chosen)]},
    )
    return case


@transaction.atomic
def case_decide(
    *, actor, case: AccountabilityCase, measures: Iterable[MeasureType], deciding_body: str, decided_on: date
) -> AccountabilityCase:
    """Decide an open case: one or more measures, the deciding body and the date. Those holding
    `accountability.decide` on the case's unit may, never the person concerned."""
    _check_decider(actor, case)
    chosen = _measures(measures)
    deciding_body = deciding_body.strip()
    if not chosen:
        raise ServiceError(_("Choose at least one measure."))
    if not deciding_body:
        raise ServiceError(_("Name the deciding body."))
    if decided_on is None or decided_on > timezone.localdate():
        raise ServiceError(_("Give the date of the decision (not in the future)."))
    before = AccountabilityCase.objects.filter(pk=case.pk).values_list("status", flat=True).first()
    updated = AccountabilityCase.objects.filter(pk=case.pk, status__in=PENDING).update(
        status=AccountabilityCase.Status.DECIDED,
        deciding_body=deciding_body[:100],
        decided_on=decided_on,
        decided_by=actor,
    )
    if not updated:
        raise Conflict(_("The case was already decided; reload the page."))
    case.decided_measures.set(chosen)
    case.refresh_from_db()
    audit_record(
        actor=actor,
        action="accountability.decide",
        obj=case,
        unit=case.unit,
        changes={
            "status": [before, "decided"],
            "measures": [m.name for m in chosen],
            "deciding_body": deciding_body,
            "decided_on": decided_on,
        },
    )
    notify(
        recipients=[case.person.user],
        title=_("Decision on your accountability case: %(measures)s") % {"measures": "、".join(m.name for m in chosen)},
        url=reverse("accountability:detail", args=[case.pk]),
        kind="warning",
        email=True,
    )
    return case


@transaction.atomic
def case_statement(*, actor, case: AccountabilityCase, statement: str) -> AccountabilityCase:
    """The person concerned states their side (or the office records it for them) before closing."""
    person = person_of(actor)
    if not ((person is not None and person.pk == case.person_id) or can(actor, Perm.ACCOUNTABILITY_DECIDE, case.unit)):
        raise PermissionDenied
    statement = statement.strip()
    if not statement:
        raise ServiceError(_("Write the statement."))
    updated = AccountabilityCase.objects.filter(
        pk=case.pk, status__in=[*PENDING, AccountabilityCase.Status.DECIDED]
    ).update(statement=statement[:10000])
    if not updated:
        raise Conflict(_("A closed case cannot be changed."))
    audit_record(
        actor=actor,
        action="accountability.statement",
        obj=case,
        unit=case.unit,
        changes={"statement": [case.statement, statement[:10000]]},
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def case_close(*, actor, case: AccountabilityCase) -> AccountabilityCase:
    """Close a decided case (the measures were carried out)."""
    _check_decider(actor, case)
    updated = AccountabilityCase.objects.filter(pk=case.pk, status=AccountabilityCase.Status.DECIDED).update(
        status=AccountabilityCase.Status.CLOSED, closed_at=timezone.now()
    )
    if not updated:
        raise Conflict(_("Only a decided case can be closed."))
    audit_record(
        actor=actor, action="accountability.close", obj=case, unit=case.unit, changes={"status": ["decided", "closed"]}
    )
    case.refresh_from_db()
    return case


def months_after(start: date, months: int) -> date:
    """The same day `months` later; the month's last day when that month is shorter (31 Aug + 6 → 28 Feb)."""
    import calendar

    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def restriction_record(
    *,
    actor,
    person,
    unit,
    bars_commendation: bool,
    bars_promotion: bool,
    starts_on: date,
    months: int,
    reason: str,
    source_ref: str,
) -> Restriction | None:
    """Record (or replace, for the same `source_ref`) the period during which `person` is not eligible
    for commendation and/or promotion: from `starts_on` for `months` months (the end date computed).
    Called by other apps' services (an evaluation's final grade); nothing barred removes an earlier
    record of that source. Returns the restriction, or None when nothing is barred."""
    existing = Restriction.objects.filter(source_ref=source_ref).first()
    if not (bars_commendation or bars_promotion):
        if existing:
            audit_record(
                actor=actor,
                action="accountability.restriction_lift",
                obj=existing,
                unit=unit,
                changes={"ref": source_ref},
            )
            existing.delete()
        return None
    if months < 1:
        raise ServiceError(_("Give the period in months (at least one)."))
    values = {
        "institution_id": unit.institution_id or unit.pk,
        "unit": unit,
        "person": person,
        "bars_commendation": bars_commendation,
        "bars_promotion": bars_promotion,
        "starts_on": starts_on,
        "ends_on": months_after(starts_on, months),
        "reason": reason.strip()[:2000],
        "recorded_by": actor if getattr(actor, "is_authenticated", False) else None,
    }
    restriction, created = Restriction.objects.update_or_create(source_ref=source_ref, defaults=values)
    audit_record(
        actor=actor,
        action="accountability.restriction_record",
        obj=restriction,
        unit=unit,
        changes={
            "person": person.pk,
            "ref": source_ref,
            "commendation": bars_commendation,
            "promotion": bars_promotion,
            "from": starts_on,
            "until": restriction.ends_on,
            "new": created,
        },
    )
    return restriction
