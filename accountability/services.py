"""Writes for accountability cases."""

from django.db import transaction

from audit.services import audit_record

from .models import AccountabilityCase


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
