"""Writes for campaigns, stages and look-backs."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.bounds import check_campaign_dates
from core.exceptions import Conflict, ServiceError

from .current import choices_changed
from .gates import gate_blockers
from .models import Campaign, CampaignUnit, LookBack, Stage, StageTransition, next_stage


@transaction.atomic
def campaign_create(*, actor, institution, units, **fields) -> Campaign:
    """Create a campaign for an institution with its participating units (all start in finding)."""
    _check_dates(fields)
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
    choices_changed()  # the campaign switcher's lists
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
    choices_changed()
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


CAMPAIGN_FIELDS = (
    "name",
    "start_date",
    "finding_due",
    "meeting_due",
    "evaluation_due",
    "rectification_due",
    "milestone_3m",
    "milestone_6m",
    "peer_review_anonymous",
)


DATE_FIELDS = ("start_date", "finding_due", "meeting_due", "evaluation_due", "rectification_due")


def _check_dates(fields: dict) -> None:
    names = [*DATE_FIELDS, "milestone_3m", "milestone_6m"]
    check_campaign_dates(
        {k: fields.get(k) for k in names}, {k: str(Campaign._meta.get_field(k).verbose_name) for k in names}
    )
    order = ["start_date", "finding_due", "meeting_due", "evaluation_due", "rectification_due"]
    dates = [fields[k] for k in order if fields.get(k)]
    if dates != sorted(dates):
        raise ServiceError(_("The stage dates must follow the order of the stages."))
    if fields.get("milestone_3m") and fields.get("milestone_6m") and fields["milestone_3m"] > fields["milestone_6m"]:
        raise ServiceError(_("The three-month milestone must come before the six-month milestone."))


@transaction.atomic
def campaign_update(*, actor, campaign: Campaign, units=None, **fields) -> Campaign:
    """Change a campaign's name, planned dates, anonymity setting and participating units.

    A unit can be removed only while it is still in finding and has moved through no gate;
    new units start in finding.
    """
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if campaign.status == Campaign.Status.CLOSED:
        raise ServiceError(_("A closed campaign cannot be changed."))
    merged = {k: getattr(campaign, k) for k in CAMPAIGN_FIELDS} | fields
    _check_dates(merged)
    changes = {k: [str(getattr(campaign, k)), str(v)] for k, v in fields.items() if getattr(campaign, k) != v}
    for k, v in fields.items():
        setattr(campaign, k, v)
    if fields:
        campaign.save(update_fields=list(fields))
    if units is not None:
        wanted = {u.pk: u for u in units}
        current = {p.unit_id: p for p in campaign.participants.all()}
        removed = [p for uid, p in current.items() if uid not in wanted]
        for p in removed:
            if p.stage != Stage.FINDING or p.transitions.exists():
                raise ServiceError(
                    _("%(unit)s has already moved through a gate and cannot be removed.") % {"unit": p.unit}
                )
        CampaignUnit.objects.filter(pk__in=[p.pk for p in removed]).delete()
        now = timezone.now()
        added = [u for uid, u in wanted.items() if uid not in current]
        CampaignUnit.objects.bulk_create(
            [CampaignUnit(campaign=campaign, unit=u, stage=Stage.FINDING, stage_changed_at=now) for u in added]
        )
        if added or removed:
            changes["units"] = {"added": [u.pk for u in added], "removed": [p.unit_id for p in removed]}
    audit_record(actor=actor, action="campaign.update", obj=campaign, unit=campaign.institution, changes=changes)
    choices_changed()
    return campaign


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    """Close a campaign once every participating unit has closed."""
    open_units = campaign.participants.exclude(stage=Stage.CLOSED).select_related("unit")
    if open_units.exists():
        raise ServiceError(
            _("Some units have not finished the campaign."), details=[str(p.unit) for p in open_units[:20]]
        )
    updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.ACTIVE).update(
        status=Campaign.Status.CLOSED
    )
    if not updated:
        raise Conflict(_("Only a campaign in progress can be closed."))
    audit_record(
        actor=actor,
        action="campaign.close",
        obj=campaign,
        unit=campaign.institution,
        changes={"status": [Campaign.Status.ACTIVE, Campaign.Status.CLOSED]},
    )
    choices_changed()
    campaign.refresh_from_db()
    return campaign
