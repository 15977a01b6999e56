"""Writes for campaigns, stages and look-backs."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from .gates import gate_blockers
from .models import Campaign, CampaignUnit, LookBack, Stage, StageTransition, next_stage


@transaction.atomic
def campaign_create(*, actor, institution, units, **fields) -> Campaign:
    """Create a campaign for an institution with its participating units (all start in finding)."""
    campaign = Campaign.objects.create(institution=institution, created_by=actor, **fields)
    now = timezone.now()
    CampaignUnit.objects.bulk_create(
        [CampaignUnit(campaign=campaign, unit=u, stage=Stage.FINDING, stage_changed_at=now) for u in units]
    )
    audit_record(
        actor=actor,
        action="campaign.create",
        obj=campaign,
        unit=institution,
        changes={"units": [u.pk for u in units], **fields},
    )
    return campaign


@transaction.atomic
def campaign_activate(*, actor, campaign: Campaign) -> Campaign:
    updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
        status=Campaign.Status.ACTIVE
    )
    if not updated:
        raise Conflict(_("Only a draft campaign can be started."))
    audit_record(
        actor=actor,
        action="campaign.activate",
        obj=campaign,
        unit=campaign.institution,
        changes={"status": [Campaign.Status.DRAFT, Campaign.Status.ACTIVE]},
    )
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def participant_advance(*, actor, participant: CampaignUnit, note: str = "") -> CampaignUnit:
    """Move a unit to its next stage, only if its gate is open.

    Raises ServiceError with every blocker (in the user's language) when the gate refuses.
    """
    current = participant.stage
    target = next_stage(current)
    if participant.campaign.status != Campaign.Status.ACTIVE:
        raise ServiceError(_("The campaign is not in progress."))
    blockers = gate_blockers(participant)
    if blockers or target is None:
        raise ServiceError(_("%(unit)s cannot leave this stage yet.") % {"unit": participant.unit}, details=blockers)
    updated = CampaignUnit.objects.filter(pk=participant.pk, stage=current).update(
        stage=target, stage_changed_at=timezone.now()
    )
    if not updated:
        raise Conflict(_("The stage was changed by someone else; reload the page."))
    StageTransition.objects.create(participant=participant, from_stage=current, to_stage=target, actor=actor, note=note)
    audit_record(
        actor=actor,
        action="campaign.stage_advance",
        obj=participant,
        unit=participant.unit,
        changes={"stage": [current, target]},
    )
    participant.refresh_from_db()
    return participant


@transaction.atomic
def lookback_open(*, actor, participant: CampaignUnit, reason: str, person=None, source_ref: str = "") -> LookBack:
    """Open a look-back (回头看) for a unit (person=None) or a person in it.

    The subject goes round again: new self-check, problems and measures link to this look-back.
    Opening the same look-back twice for one source returns the open one.
    """
    existing = LookBack.objects.filter(
        participant=participant, person=person, source_ref=source_ref, status=LookBack.Status.OPEN
    ).first()
    if existing and source_ref:
        return existing
    if person is None:
        CampaignUnit.objects.filter(pk=participant.pk).update(round=participant.round + 1)
        participant.refresh_from_db()
    lookback = LookBack.objects.create(
        participant=participant,
        person=person,
        reason=reason,
        source_ref=source_ref,
        round=participant.round if person is None else participant.round + 1,
        opened_by=actor,
    )
    audit_record(
        actor=actor,
        action="lookback.open",
        obj=lookback,
        unit=participant.unit,
        changes={"reason": reason, "person": person.pk if person else None, "source": source_ref},
    )
    return lookback
