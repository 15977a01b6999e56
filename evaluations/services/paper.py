"""Paper ballots (书面评议): issue, enter returned ballots in batches, check each batch by a second person.

More ballots returned than issued makes the round void, as the rules require.
"""

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from ..models import Evaluation, EvaluatorGroup, PaperBatch, PaperCount
from .tally import evaluation_void


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


def _returned_so_far(group: EvaluatorGroup) -> int:
    return (
        PaperBatch.objects.filter(group=group)
        .exclude(status=PaperBatch.Status.REJECTED)
        .aggregate(n=Sum("returned"))["n"]
        or 0
    )


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
    (target id, item id, grade id) how many valid ballots gave that grade.

    If the group's returned ballots now exceed those issued, the batch is kept as evidence and the
    round is declared void (check the round's status after calling).
    """
    evaluation.refresh_from_db(fields=["status"])
    if evaluation.status not in (Evaluation.Status.OPEN, Evaluation.Status.CLOSED):
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
    total = _returned_so_far(group)
    group.refresh_from_db(fields=["paper_issued"])
    if total > group.paper_issued:
        evaluation_void(
            actor=actor,
            evaluation=evaluation,
            reason=_(
                "Group “%(group)s”: %(returned)s paper ballots returned but only %(issued)s issued. "
                "More ballots returned than issued makes the evaluation void."
            )
            % {"group": group.name, "returned": total, "issued": group.paper_issued},
        )
    return batch


@transaction.atomic
def paper_batch_check(*, actor, batch: PaperBatch, approve: bool, note: str = "") -> PaperBatch:
    """The second person's check of a batch; the one who entered it cannot check it."""
    if not getattr(actor, "is_authenticated", False) or batch.entered_by_id == actor.pk:
        raise ServiceError(_("A batch must be checked by a second person, not by the one who entered it."))
    if not approve and not note.strip():
        raise ServiceError(_("Say what must be corrected."))
    status = PaperBatch.Status.CHECKED if approve else PaperBatch.Status.REJECTED
    updated = PaperBatch.objects.filter(pk=batch.pk, status=PaperBatch.Status.ENTERED).update(
        status=status, checked_by=actor, checked_on=timezone.localdate(), check_note=note.strip()[:200]
    )
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
    return batch
