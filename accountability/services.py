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
from .models import AccountabilityCase, MeasureType


@transaction.atomic
def case_open(*, actor, person, unit, trigger: str, facts: str, trigger_ref: str = "") -> AccountabilityCase:
    """Open a case against `person` (for `unit`). Called by other apps' services when a report is
    returned, a measure is overdue or an evaluation fails. Re-opening for the same trigger_ref while a
    case is open returns that case (so a retried task never opens two)."""
    if trigger_ref:
        existing = AccountabilityCase.objects.filter(
            person=person, trigger_ref=trigger_ref, status=AccountabilityCase.Status.OPEN
        ).first()
        if existing:
            return existing
    case = AccountabilityCase.objects.create(
        institution_id=unit.institution_id or unit.pk,
        unit=unit,
        person=person,
        trigger=trigger,
        trigger_ref=trigger_ref,
        facts=facts,
    )
    audit_record(
        actor=actor,
        action="accountability.open",
        obj=case,
        unit=unit,
        changes={"person": person.pk, "trigger": trigger, "ref": trigger_ref},
    )
    return case


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
    if not AccountabilityCase.objects.filter(pk=case.pk, status=AccountabilityCase.Status.OPEN).exists():
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
    updated = AccountabilityCase.objects.filter(pk=case.pk, status=AccountabilityCase.Status.OPEN).update(
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
            "status": ["open", "decided"],
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
        pk=case.pk, status__in=[AccountabilityCase.Status.OPEN, AccountabilityCase.Status.DECIDED]
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
