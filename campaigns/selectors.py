"""Reads for campaigns: what a user may see, the per-unit stage table, countdowns and milestones."""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.rates import rate
from orgs.access import Perm, can, units_where

from .gates import gate_blockers_for
from .models import Campaign, CampaignUnit, Stage


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    """Campaigns of institutions the user may view, or in which one of the user's units takes part."""
    units = units_where(user, Perm.CAMPAIGN_VIEW)
    ids = CampaignUnit.objects.filter(unit__in=units).values("campaign_id")
    return Campaign.objects.filter(Q(institution__in=units) | Q(pk__in=ids)).select_related("institution")


def campaign_choices(user) -> QuerySet[Campaign]:
    """Campaigns (not drafts) a user can work in: those they may view, and those in which their own
    unit or institution takes part (annotated `is_own` when their unit takes part). Newest first; the
    campaign switcher lists these."""
    from django.db.models import Exists, OuterRef, Value

    from orgs.access import person_of
    from orgs.models import Unit

    q = Q(pk__in=campaigns_visible_to(user).values("pk"))
    me = person_of(user)
    is_own = Value(False)
    if me is not None:
        own = CampaignUnit.objects.filter(campaign=OuterRef("pk"), unit_id=me.unit_id)
        is_own = Exists(own)
        q |= Q(Exists(own))
        # the campaigns of their unit's institution (in the same query: the unit is not loaded for it)
        q |= Q(
            institution_id__in=Unit.objects.filter(pk=me.unit_id, institution__isnull=False).values("institution_id")
        )
    return (
        Campaign.objects.filter(q)
        .exclude(status=Campaign.Status.DRAFT)
        .annotate(is_own=is_own)
        .select_related("institution")
        .order_by("-start_date", "-pk")
    )


def campaign_shown_to(
    user, chosen_pk: int | str | None = None, choices: list[Campaign] | None = None
) -> Campaign | None:
    """THE rule for which campaign a page shows: the one the user chose in the switcher (kept in the
    session) if they still may see it; otherwise the newest campaign in progress in which their own
    unit takes part; otherwise the newest in progress they may see; otherwise their newest closed one.
    Every page that shows "the current campaign" asks here (through campaigns.current for a request).
    `choices` may pass campaign_choices(user) already read; otherwise the switcher's cached list."""
    if choices is None:
        from .current import cached_choices

        choices = cached_choices(user)
    chosen = str(chosen_pk) if chosen_pk else None
    for rule in (
        lambda c: str(c.pk) == chosen,
        lambda c: c.status == Campaign.Status.ACTIVE and c.is_own,
        lambda c: c.status == Campaign.Status.ACTIVE,
        lambda c: True,
    ):
        found = next((c for c in choices if rule(c)), None)
        if found is not None:
            return found
    return None


def get_campaign_for_user(user, pk: int, write: bool = False) -> Campaign:
    """404 when the user sees nothing of the campaign; 403 when `write` and they may not manage it."""
    campaign = campaigns_visible_to(user).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    if write and not can(user, Perm.CAMPAIGN_MANAGE, campaign.institution):
        raise PermissionDenied
    return campaign


def get_participant_for_user(user, pk: int, write: bool = False) -> CampaignUnit:
    """A participating unit the user may view (404 otherwise); 403 when `write` without CAMPAIGN_MANAGE."""
    participant = CampaignUnit.objects.select_related("campaign", "campaign__institution", "unit").filter(pk=pk).first()
    if participant is None or not (
        can(user, Perm.CAMPAIGN_VIEW, participant.unit)
        or can(user, Perm.CAMPAIGN_VIEW, participant.campaign.institution)
    ):
        raise Http404
    if write and not can(user, Perm.CAMPAIGN_MANAGE, participant.unit):
        raise PermissionDenied
    return participant


def active_campaign_for(unit) -> Campaign | None:
    """The newest campaign in progress in which `unit` (or, failing that, its institution) takes part."""
    base = Campaign.objects.filter(status=Campaign.Status.ACTIVE).order_by("-start_date", "-pk")
    found = base.filter(participants__unit=unit).first()
    if found is None and unit.institution_id:
        found = base.filter(institution_id=unit.institution_id).first()
    return found


@dataclass
class Countdown:
    due: date | None
    days_left: int | None
    overdue: bool

    @property
    def days_over(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def countdown(due: date | None, today: date | None = None, done: bool = False) -> Countdown:
    today = today or timezone.localdate()
    if due is None:
        return Countdown(None, None, False)
    days = (due - today).days
    return Countdown(due, days, days < 0 and not done)


@dataclass
class StageRow:
    participant: CampaignUnit
    countdown: Countdown
    blockers: list[str] = field(default_factory=list)
    can_advance: bool = False


def stage_table(campaign: Campaign, user, with_blockers: bool = True) -> list[StageRow]:
    """One row per participating unit the user may see: stage, countdown to its due date, blockers.
    The gates answer for all the rows at once: the queries do not grow with the units."""
    today = timezone.localdate()
    participants = campaign.participants.select_related("unit", "campaign").order_by("unit__path")
    visible_all = can(user, Perm.CAMPAIGN_VIEW, campaign.institution)
    rows = []
    for p in participants:
        if not visible_all and not can(user, Perm.CAMPAIGN_VIEW, p.unit):
            continue
        closed = p.stage == Stage.CLOSED
        rows.append(StageRow(p, countdown(campaign.due_for(p.stage), today, done=closed)))
    if with_blockers:
        open_rows = [r for r in rows if r.participant.stage != Stage.CLOSED]
        blockers = gate_blockers_for(r.participant for r in open_rows)
        for row in open_rows:
            row.blockers = blockers[row.participant.pk]
            row.can_advance = not row.blockers and can(user, Perm.CAMPAIGN_MANAGE, row.participant.unit)
    return rows


def stage_summary(campaign: Campaign) -> list[dict]:
    """How many units are in each stage (for the campaign page's header)."""
    counts = dict(campaign.participants.values_list("stage").annotate(n=Count("pk")))
    return [{"stage": s, "label": s.label, "count": counts.get(s, 0)} for s in Stage]


# Apps above campaigns (problems, rectification) add figures to the milestone cards without an
# upward import: fn(campaign) -> {"total": int, "done": int, "label": str}.
_milestone_figures: list = []


def register_milestone_figures(fn):
    if fn not in _milestone_figures:
        _milestone_figures.append(fn)
    return fn


def milestones(campaign: Campaign) -> list[dict]:
    """The three- and six-month milestones (§8) with their countdowns and the registered progress figures."""
    figures = []
    for fn in _milestone_figures:
        f = fn(campaign)
        f["share"] = rate(f["done"], f["total"])  # core.rates: two decimals, half-up; "—" of nothing
        figures.append(f)
    return [
        {"label": label, "countdown": countdown(d), "figures": figures}
        for label, d in (
            (Campaign._meta.get_field("milestone_3m").verbose_name, campaign.milestone_3m),
            (Campaign._meta.get_field("milestone_6m").verbose_name, campaign.milestone_6m),
        )
    ]
