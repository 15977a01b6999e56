"""Public commitments (公开承诺) of cadres and of units: 承诺 → (review) → 示诺 → 践诺 → 评诺.

承诺: the cadre (or the office for a unit) drafts the commitment and its items, each with measures,
a person responsible and a deadline; it is submitted and the campaign office approves it (示诺:
published) or returns it with a reason. There is no way to show a commitment without that review. An item is finally judged fulfilled or not (未兑现, with the
objective causes written down). 践诺: progress reported on the items. 评诺: assessed (民主测评) with the evaluation
machinery (an assessment round whose targets are the cadres); the result comes back from the target.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError
from orgs.access import Perm, can, person_of

from . import selectors
from .models import Commitment, CommitmentItem, CommitmentProgress, CommitmentReview

CS = Commitment.Status


def _move(*, actor, c: Commitment, sources, target, verb: str, **fields) -> Commitment:
    if not Commitment.objects.filter(pk=c.pk, status__in=sources).update(status=target, **fields):
        raise Conflict(_("This commitment is “%(s)s”; that step is not possible now.") % {"s": CS(c.status).label})
    audit_record(actor=actor, action=f"commitment.{verb}", obj=c, unit=c.unit, changes={"status": [c.status, target]})
    c.refresh_from_db()
    return c


@transaction.atomic
def commitment_create(*, actor, campaign, person, content: str, items=()) -> Commitment:
    """承诺: the cadre (or the office for them) drafts a commitment with items [(content, deadline)]."""
    me = person_of(actor)
    if not ((me is not None and me.pk == person.pk) or can(actor, Perm.RECTIFICATION_MANAGE, person.unit)):
        raise PermissionDenied(_("You may not make a commitment for %(p)s.") % {"p": person})
    if not content.strip():
        raise ServiceError(_("Write the commitment."))
    if Commitment.objects.filter(campaign=campaign, person=person).exists():
        raise ServiceError(_("%(p)s already has a commitment in this campaign.") % {"p": person})
    c = Commitment.objects.create(campaign=campaign, person=person, unit=person.unit, content=content.strip())
    for text, deadline in items:
        CommitmentItem.objects.create(commitment=c, content=text.strip(), deadline=deadline, owner=person)
    audit_record(actor=actor, action="commitment.create", obj=c, unit=c.unit, changes={"items": len(items)})
    return c


@transaction.atomic
def commitment_item_add(
    *, actor, commitment: Commitment, content: str, deadline: date, measures: str = "", owner=None
) -> CommitmentItem:
    if not selectors.may_edit_commitment(actor, commitment):
        raise PermissionDenied(_("You may not change this commitment."))
    if commitment.status not in (CS.DRAFT, CS.RETURNED):
        raise ServiceError(_("Items can be added only before the commitment is published."))
    if not content.strip() or deadline is None:
        raise ServiceError(_("An item needs its content and a deadline."))
    if owner is not None and not owner.unit.path.startswith(commitment.campaign.institution.path):
        raise ServiceError(_("The person responsible must belong to the institution."))
    item = CommitmentItem.objects.create(
        commitment=commitment,
        content=content.strip(),
        deadline=deadline,
        measures=measures.strip(),
        owner=owner or commitment.person,
    )
    audit_record(
        actor=actor, action="commitment.item_add", obj=commitment, changes={"item": content, "deadline": deadline}
    )
    return item


@transaction.atomic
def commitment_item_remove(*, actor, item: CommitmentItem) -> None:
    """Take an item out of a commitment that is still a draft or was returned for revision."""
    c = item.commitment
    if not selectors.may_edit_commitment(actor, c):
        raise PermissionDenied(_("You may not change this commitment."))
    if not CommitmentItem.objects.filter(pk=item.pk, commitment__status__in=[CS.DRAFT, CS.RETURNED]).delete()[0]:
        raise ServiceError(_("Items can be removed only before the commitment is submitted."))
    audit_record(actor=actor, action="commitment.item_remove", obj=c, unit=c.unit, changes={"item": item.content})


@transaction.atomic
def commitment_progress(*, actor, item: CommitmentItem, content: str, done: bool = False) -> CommitmentProgress:
    """践诺: the cadre reports what was done on an item (and whether it is fulfilled)."""
    c = item.commitment
    if not selectors.may_report_commitment(actor, c, item):
        raise PermissionDenied(_("Only the person who committed reports progress."))
    if c.status not in (CS.PUBLISHED, CS.PRACTISING):
        raise ServiceError(_("Progress is reported after publishing and before the assessment."))
    if not content.strip():
        raise ServiceError(_("Say what was done."))
    progress = CommitmentProgress.objects.create(item=item, content=content.strip(), done=done, author=actor)
    if done:
        CommitmentItem.objects.filter(pk=item.pk, done_at__isnull=True).update(done_at=timezone.now())
    if c.status == CS.PUBLISHED:
        _move(actor=actor, c=c, sources=[CS.PUBLISHED], target=CS.PRACTISING, verb="practise")
    audit_record(actor=actor, action="commitment.progress", obj=c, changes={"item": item.pk, "done": done})
    return progress


@transaction.atomic
def commitment_assessment_open(*, actor, campaign, commitments, name: str, scale_preset: str = "competence"):
    """评诺: the office starts an assessment (民主测评) round with the evaluation machinery: one person
    target per commitment. Returns the Evaluation (to be opened and run in the evaluations app)."""
    from evaluations.services import evaluation_create, target_add

    if not can(actor, Perm.EVALUATION_MANAGE, campaign.institution):
        raise PermissionDenied(_("Only the campaign office starts an assessment."))
    commitments = [c for c in commitments if c.status in (CS.PUBLISHED, CS.PRACTISING)]
    if not commitments:
        raise ServiceError(_("No published commitment is ready for assessment."))
    evaluation = evaluation_create(
        actor=actor, campaign=campaign, name=name, kind="assessment", scale_preset=scale_preset
    )
    for c in commitments:
        target = target_add(actor=actor, evaluation=evaluation, kind="person", unit=c.unit, person=c.person)
        Commitment.objects.filter(pk=c.pk).update(assessment_target=target)
        _move(actor=actor, c=c, sources=[CS.PUBLISHED, CS.PRACTISING], target=CS.ASSESSING, verb="assess_start")
    return evaluation


@transaction.atomic
def commitments_collect_results(*, actor, campaign) -> int:
    """Close the 评诺 step for commitments whose assessment target has a result. A failed assessment
    sends the cadre round again (回头看). Returns how many were closed."""
    from campaigns.models import CampaignUnit
    from campaigns.services import lookback_open

    done = 0
    for c in Commitment.objects.filter(campaign=campaign, status=CS.ASSESSING).select_related(
        "assessment_target__evaluation", "unit", "person"
    ):
        t = c.assessment_target
        if t is None or t.result == "pending" or not t.evaluation.published_on:  # results not yet published
            continue
        _move(actor=actor, c=c, sources=[CS.ASSESSING], target=CS.ASSESSED, verb="assessed")
        done += 1
        if t.result == "failed":
            participant = CampaignUnit.objects.filter(campaign=campaign, unit=c.unit).first()
            if participant is not None:
                lookback_open(
                    actor=actor,
                    participant=participant,
                    person=c.person,
                    reason=_("The public commitment failed its assessment (民主测评)."),
                    source_ref=f"evaluations.evaluationtarget:{t.pk}",
                )
    return done


def phase_of(c: Commitment) -> int:
    """0..3: 承诺, 示诺, 践诺, 评诺 (for the cycle display)."""
    return {
        CS.DRAFT: 0,
        CS.SUBMITTED: 0,
        CS.RETURNED: 0,
        CS.PUBLISHED: 1,
        CS.PRACTISING: 2,
        CS.ASSESSING: 3,
        CS.ASSESSED: 3,
    }[c.status]


@transaction.atomic
def unit_commitment_create(*, actor, campaign, unit, content: str) -> Commitment:
    """承诺 of a unit (单位承诺): drafted by whoever manages rectification for the unit."""
    if not can(actor, Perm.RECTIFICATION_MANAGE, unit):
        raise PermissionDenied(_("You may not make a commitment for %(u)s.") % {"u": unit})
    if not unit.path.startswith(campaign.institution.path):
        raise ServiceError(_("The unit does not belong to this campaign's institution."))
    if not content.strip():
        raise ServiceError(_("Write the commitment."))
    if Commitment.objects.filter(campaign=campaign, unit=unit, person__isnull=True).exists():
        raise ServiceError(_("%(u)s already has a commitment in this campaign.") % {"u": unit})
    c = Commitment.objects.create(campaign=campaign, person=None, unit=unit, content=content.strip())
    audit_record(actor=actor, action="commitment.create", obj=c, unit=unit, changes={"of": "unit"})
    return c


@transaction.atomic
def commitment_submit(*, actor, commitment: Commitment) -> Commitment:
    """The drafter submits the commitment (with at least one item) for review before it is shown."""
    if not selectors.may_edit_commitment(actor, commitment):
        raise PermissionDenied(_("You may not submit this commitment."))
    if not commitment.items.exists():
        raise ServiceError(_("Add at least one item with a deadline before publishing."))
    return _move(actor=actor, c=commitment, sources=[CS.DRAFT, CS.RETURNED], target=CS.SUBMITTED, verb="submit")


@transaction.atomic
def commitment_review(*, actor, commitment: Commitment, approve: bool, comment: str = "") -> Commitment:
    """The campaign office approves a submitted commitment (示诺: it is published) or returns it with a
    reason for revision. The decision is a CommitmentReview row."""
    if not selectors.may_review_commitment(actor, commitment):
        raise PermissionDenied(_("You may not review this commitment."))
    if not approve and not comment.strip():
        raise ServiceError(_("Say why the commitment is returned."))
    if approve:
        c = _move(
            actor=actor,
            c=commitment,
            sources=[CS.SUBMITTED],
            target=CS.PUBLISHED,
            verb="approve",
            published_at=timezone.now(),
        )
    else:
        c = _move(actor=actor, c=commitment, sources=[CS.SUBMITTED], target=CS.RETURNED, verb="return")
    CommitmentReview.objects.create(
        commitment=c,
        reviewer=actor,
        decision=CommitmentReview.Decision.APPROVED if approve else CommitmentReview.Decision.RETURNED,
        comment=comment.strip(),
    )
    return c


@transaction.atomic
def commitment_item_judge(*, actor, item: CommitmentItem, fulfilled: bool, explanation: str = "") -> CommitmentItem:
    """评诺 of one item: fulfilled (兑现), or not (未兑现) with the objective causes written down.
    Decided by the campaign office once the commitment is published."""
    c = item.commitment
    if not selectors.may_review_commitment(actor, c):
        raise PermissionDenied(_("You may not judge this commitment."))
    if c.status not in (CS.PUBLISHED, CS.PRACTISING, CS.ASSESSING, CS.ASSESSED):
        raise ServiceError(_("An item is judged after the commitment is published."))
    if not fulfilled and not explanation.strip():
        raise ServiceError(_("Explain why the item was not fulfilled (the objective causes)."))
    outcome = CommitmentItem.Outcome.FULFILLED if fulfilled else CommitmentItem.Outcome.UNFULFILLED
    CommitmentItem.objects.filter(pk=item.pk).update(outcome=outcome, explanation=explanation.strip())
    audit_record(
        actor=actor,
        action="commitment.item_judge",
        obj=c,
        unit=c.unit,
        changes={"item": item.pk, "outcome": outcome, "explanation": explanation.strip()},
    )
    item.refresh_from_db()
    return item
