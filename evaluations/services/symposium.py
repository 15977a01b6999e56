"""Symposia (座谈会): attendance, who spoke, opinions raised; accepted opinions become problems."""

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from ..models import Evaluation, Symposium, SymposiumAttendee, SymposiumOpinion


@transaction.atomic
def symposium_record(
    *,
    actor,
    evaluation: Evaluation,
    unit,
    held_on,
    place: str,
    host: str = "",
    notes: str = "",
    attendees: list[dict] = (),
    opinions: list[dict] = (),
) -> Symposium:
    """Record a symposium: attendees [{name, affiliation, spoke}], opinions [{content, speaker}]."""
    if evaluation.status in (Evaluation.Status.TALLIED, Evaluation.Status.VOID):
        raise ServiceError(_("The round is finished; no more symposia can be recorded."))
    if not unit.path.startswith(evaluation.campaign.institution.path):
        raise ServiceError(_("The unit does not belong to this institution."))
    if not attendees:
        raise ServiceError(_("Record who attended."))
    sym = Symposium.objects.create(
        evaluation=evaluation, unit=unit, held_on=held_on, place=place, host=host, notes=notes, created_by=actor
    )
    SymposiumAttendee.objects.bulk_create(
        [
            SymposiumAttendee(
                symposium=sym, name=a["name"].strip(), affiliation=a.get("affiliation", ""), spoke=a.get("spoke", False)
            )
            for a in attendees
            if a.get("name", "").strip()
        ]
    )
    SymposiumOpinion.objects.bulk_create(
        [
            SymposiumOpinion(symposium=sym, content=o["content"].strip(), speaker=o.get("speaker", ""))
            for o in opinions
            if o.get("content", "").strip()
        ]
    )
    audit_record(
        actor=actor,
        action="evaluation.symposium_record",
        obj=evaluation,
        unit=unit,
        changes={
            "held_on": held_on,
            "attendees": sym.attendees.count(),
            "spoke": sym.attendees.filter(spoke=True).count(),
            "opinions": sym.opinions.count(),
        },
    )
    return sym


@transaction.atomic
def symposium_opinion_add(*, actor, symposium: Symposium, content: str, speaker: str = "") -> SymposiumOpinion:
    if not content.strip():
        raise ServiceError(_("Write down the opinion."))
    op = SymposiumOpinion.objects.create(symposium=symposium, content=content.strip(), speaker=speaker.strip())
    audit_record(
        actor=actor,
        action="evaluation.symposium_opinion_add",
        obj=symposium.evaluation,
        unit=symposium.unit,
        changes={"opinion": op.content[:80]},
    )
    return op


@transaction.atomic
def symposium_opinion_accept(*, actor, opinion: SymposiumOpinion, severity: str = "medium", description: str = ""):
    """Accept an opinion: it becomes a problem of the symposium's unit in the ledger (channel: evaluation)."""
    from problems.services import problem_create

    sym = opinion.symposium
    updated = SymposiumOpinion.objects.filter(pk=opinion.pk, status=SymposiumOpinion.Status.RAISED).update(
        status=SymposiumOpinion.Status.ACCEPTED
    )
    if not updated:
        raise Conflict(_("This opinion has already been decided."))
    problem = problem_create(
        actor=actor,
        campaign=sym.evaluation.campaign,
        unit=sym.unit,
        description=description.strip() or opinion.content,
        channel="evaluation",
        severity=severity,
    )
    SymposiumOpinion.objects.filter(pk=opinion.pk).update(problem=problem)
    opinion.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.symposium_opinion_accept",
        obj=sym.evaluation,
        unit=sym.unit,
        changes={"opinion": opinion.pk, "problem": problem.pk},
    )
    return problem


@transaction.atomic
def symposium_opinion_decline(*, actor, opinion: SymposiumOpinion, reason: str) -> SymposiumOpinion:
    if not reason.strip():
        raise ServiceError(_("Give the reason for not accepting the opinion."))
    updated = SymposiumOpinion.objects.filter(pk=opinion.pk, status=SymposiumOpinion.Status.RAISED).update(
        status=SymposiumOpinion.Status.DECLINED, decision_note=reason.strip()[:200]
    )
    if not updated:
        raise Conflict(_("This opinion has already been decided."))
    opinion.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.symposium_opinion_decline",
        obj=opinion.symposium.evaluation,
        unit=opinion.symposium.unit,
        changes={"opinion": opinion.pk, "reason": reason},
    )
    return opinion
