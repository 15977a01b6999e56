"""Public commitments (公开承诺) of individual cadres: 承诺 → 示诺 → 践诺 → 评诺.

承诺: the cadre drafts the commitment and its items with deadlines. 示诺: published inside the
institution. 践诺: progress reported on the items. 评诺: assessed (民主测评) with the evaluation
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
from .models import Commitment, CommitmentItem, CommitmentProgress

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
        CommitmentItem.objects.create(commitment=c, content=text.strip(), deadline=deadline)
    audit_record(actor=actor, action="commitment.create", obj=c, unit=c.unit, changes={"items": len(items)})
    return c


@transaction.atomic
def commitment_item_add(*, actor, commitment: Commitment, content: str, deadline: date) -> CommitmentItem:
    if not selectors.may_edit_commitment(actor, commitment):
        raise PermissionDenied(_("You may not change this commitment."))
    if commitment.status != CS.DRAFT:
        raise ServiceError(_("Items can be added only before the commitment is published."))
    if not content.strip() or deadline is None:
        raise ServiceError(_("An item needs its content and a deadline."))
    item = CommitmentItem.objects.create(commitment=commitment, content=content.strip(), deadline=deadline)
    audit_record(
        actor=actor, action="commitment.item_add", obj=commitment, changes={"item": content, "deadline": deadline}
    )
    return item


@transaction.atomic
def commitment_publish(*, actor, commitment: Commitment) -> Commitment:
    """示诺: publish inside the institution (needs at least one item)."""
    if not selectors.may_edit_commitment(actor, commitment):
        raise PermissionDenied(_("You may not publish this commitment."))
    if not commitment.items.exists():
        raise ServiceError(_("Add at least one item with a deadline before publishing."))
    return _move(
        actor=actor, c=commitment, sources=[CS.DRAFT], target=CS.PUBLISHED, verb="publish", published_at=timezone.now()
    )


@transaction.atomic
def commitment_progress(*, actor, item: CommitmentItem, content: str, done: bool = False) -> CommitmentProgress:
    """践诺: the cadre reports what was done on an item (and whether it is fulfilled)."""
    c = item.commitment
    me = person_of(actor)
    if me is None or me.pk != c.person_id:
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
    return {CS.DRAFT: 0, CS.PUBLISHED: 1, CS.PRACTISING: 2, CS.ASSESSING: 3, CS.ASSESSED: 3}[c.status]
