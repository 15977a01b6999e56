"""Paper ballots (书面评议): issue, enter returned ballots in batches, check each batch by a second person.

More ballots returned than issued makes the round void, as the rules require — counted on the checked
batches only, so a typing mistake waiting for its check voids nothing. The void is recorded with who,
when and why (`Evaluation.over_return_*`); it blocks the tally and is shown as such. A checked batch
can be sent back (its counts stop counting); once the checked batches no longer exceed the ballots
issued, the office lifts the void, saying why (`paper_void_lift`).

Signatures other apps call (paperballots): `paper_batch_enter(*, actor, evaluation, group, label,
returned, invalid, counts)` and `paper_batch_check(*, actor, batch, approve, note="")`.
"""

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from ..models import Evaluation, EvaluatorGroup, PaperBatch, PaperCount

OPEN_OR_CLOSED = (Evaluation.Status.OPEN, Evaluation.Status.CLOSED)


@transaction.atomic
def paper_issue(*, actor, group: EvaluatorGroup, count: int) -> EvaluatorGroup:
    """Record `count` more printed ballots handed out to `group` (before or while the round is open)."""
    evaluation = group.evaluation
    evaluation.refresh_from_db(fields=["status"])
    if evaluation.status not in (Evaluation.Status.DRAFT, Evaluation.Status.OPEN):
        raise ServiceError(_("Paper ballots can only be issued before or while the round is open."))
    if count < 1:
        raise ServiceError(_("Issue at least one paper ballot."))
    before = group.paper_issued
    EvaluatorGroup.objects.filter(pk=group.pk).update(paper_issued=before + count)
    group.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.paper_issue",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"group": group.name, "paper_issued": [before, group.paper_issued]},
    )
    return group


def checked_returned(group: EvaluatorGroup) -> int:
    """Paper ballots returned to `group` in its checked batches (the only ones that count)."""
    return (
        PaperBatch.objects.filter(group=group, status=PaperBatch.Status.CHECKED).aggregate(n=Sum("returned"))["n"] or 0
    )


def over_returned(evaluation: Evaluation) -> list[tuple[EvaluatorGroup, int]]:
    """[(group, checked ballots returned)] for each group whose checked batches exceed its paper issued."""
    out = []
    for g in evaluation.groups.all():
        n = checked_returned(g)
        if n > g.paper_issued:
            out.append((g, n))
    return out


@transaction.atomic
def paper_batch_enter(
    *,
    actor,
    evaluation: Evaluation,
    group: EvaluatorGroup,
    label: str,
    returned: int,
    invalid: int,
    counts: dict[tuple[int, int, int], int],
) -> PaperBatch:
    """Enter a batch of returned paper ballots: how many came back, how many were spoilt, and for each
    (target id, item id, grade id) how many valid ballots gave that grade. The batch counts for
    nothing until a second person checks it (`paper_batch_check`); the over-return rule runs then."""
    evaluation.refresh_from_db(fields=["status"])
    if evaluation.status not in OPEN_OR_CLOSED:
        raise ServiceError(_("Paper ballots are entered while the round is open or after it closed, before tallying."))
    if group.evaluation_id != evaluation.pk:
        raise ServiceError(_("The group does not belong to this round."))
    if returned < 1 or invalid < 0 or invalid > returned:
        raise ServiceError(_("The spoilt ballots cannot exceed the ballots returned."))
    valid = returned - invalid
    per_question: dict[tuple[int, int], int] = {}
    for (t, i, _g), n in counts.items():
        if n < 0:
            raise ServiceError(_("Counts cannot be negative."))
        per_question[(t, i)] = per_question.get((t, i), 0) + n
    too_many = [k for k, n in per_question.items() if n > valid]
    if too_many:
        raise ServiceError(
            _("A question has more answers than the %(valid)s valid ballots of the batch; check the counts.")
            % {"valid": valid}
        )
    batch = PaperBatch.objects.create(
        evaluation=evaluation,
        group=group,
        label=label.strip() or _("Batch"),
        returned=returned,
        invalid=invalid,
        entered_by=actor,
        entered_on=timezone.localdate(),
    )
    PaperCount.objects.bulk_create(
        [PaperCount(batch=batch, target_id=t, item_id=i, grade_id=g, count=n) for (t, i, g), n in counts.items() if n]
    )
    audit_record(
        actor=actor,
        action="evaluation.paper_batch_enter",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"group": group.name, "batch": batch.label, "returned": returned, "invalid": invalid},
    )
    return batch


def _void_for_over_return(*, actor, evaluation: Evaluation) -> None:
    """Record the void (who, when, why) when the checked batches exceed the ballots issued."""
    over = over_returned(evaluation)
    if not over:
        return
    reason = "；".join(
        _(
            "Group “%(group)s”: %(returned)s paper ballots returned in checked batches but only %(issued)s "
            "issued. More ballots returned than issued makes the evaluation void."
        )
        % {"group": g.name, "returned": n, "issued": g.paper_issued}
        for g, n in over
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(
        over_return_reason=reason, over_return_by=actor, over_return_on=timezone.localdate()
    )
    evaluation.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.paper_void",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"reason": reason},
    )


@transaction.atomic
def paper_batch_check(*, actor, batch: PaperBatch, approve: bool, note: str = "") -> PaperBatch:
    """The second person's check of a batch; the one who entered it cannot check it. Approving it
    makes its counts count; if the group's checked batches now exceed its paper ballots issued, the
    round is void (recorded with who, when, why; check `evaluation.over_return_reason`)."""
    if not getattr(actor, "is_authenticated", False) or batch.entered_by_id == actor.pk:
        raise ServiceError(_("A batch must be checked by a second person, not by the one who entered it."))
    if not approve and not note.strip():
        raise ServiceError(_("Say what must be corrected."))
    status = PaperBatch.Status.CHECKED if approve else PaperBatch.Status.REJECTED
    updated = PaperBatch.objects.filter(
        pk=batch.pk, status=PaperBatch.Status.ENTERED, evaluation__status__in=OPEN_OR_CLOSED
    ).update(status=status, checked_by=actor, checked_on=timezone.localdate(), check_note=note.strip()[:200])
    if not updated:
        raise Conflict(_("This batch has already been checked."))
    batch.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.paper_batch_check",
        obj=batch.evaluation,
        unit=batch.evaluation.unit,
        changes={"batch": batch.label, "status": [PaperBatch.Status.ENTERED, status], "note": note},
    )
    if approve:
        _void_for_over_return(actor=actor, evaluation=batch.evaluation)
    return batch


@transaction.atomic
def paper_batch_send_back(*, actor, batch: PaperBatch, note: str) -> PaperBatch:
    """Send a checked batch back for correction (before the tally): its counts stop counting at once.
    The corrected ballots are entered again as a new batch and checked."""
    if not note.strip():
        raise ServiceError(_("Say what must be corrected."))
    updated = PaperBatch.objects.filter(
        pk=batch.pk, status=PaperBatch.Status.CHECKED, evaluation__status__in=OPEN_OR_CLOSED
    ).update(status=PaperBatch.Status.REJECTED, check_note=note.strip()[:200])
    if not updated:
        raise Conflict(_("Only a checked batch of a round not yet tallied can be sent back."))
    batch.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.paper_batch_send_back",
        obj=batch.evaluation,
        unit=batch.evaluation.unit,
        changes={"batch": batch.label, "status": [PaperBatch.Status.CHECKED, PaperBatch.Status.REJECTED], "note": note},
    )
    return batch


@transaction.atomic
def paper_void_lift(*, actor, evaluation: Evaluation, reason: str) -> Evaluation:
    """Lift the over-return void once the batches are corrected: refused while any group's checked
    batches still exceed its paper ballots issued. The lift is audited with who and why; the void's
    record stays in the audit trail."""
    if not reason.strip():
        raise ServiceError(_("Say why the void is lifted."))
    evaluation.refresh_from_db()
    if not evaluation.over_return_reason:
        raise Conflict(_("The round is not void for paper ballots."))
    if over_returned(evaluation):
        raise ServiceError(
            _("The checked batches still exceed the paper ballots issued: send the wrong batch back first.")
        )
    before = evaluation.over_return_reason
    Evaluation.objects.filter(pk=evaluation.pk).update(over_return_reason="", over_return_by=None, over_return_on=None)
    evaluation.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.paper_void_lift",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"void": [before, ""], "reason": reason.strip()},
    )
    return evaluation
