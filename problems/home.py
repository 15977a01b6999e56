"""What the problems app adds to the home page and the campaign milestones."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.registry import TaskItem
from orgs.access import person_of

from .models import Opinion, PeerReview, Problem, SelfCheck


def tasks_for(user) -> list[TaskItem]:
    """Opinions waiting for triage, peer reviews to write, reviews about me to answer."""
    from . import selectors

    items: list[TaskItem] = []
    current = selectors.current_campaign_for(user)
    campaign_due = current.finding_due if current is not None else None
    n = selectors.opinions_for_triage(user).filter(status=Opinion.Status.NEW).count()
    if n:
        items.append(
            TaskItem(
                label=ngettext("%(n)s opinion waits for triage", "%(n)s opinions wait for triage", n) % {"n": n},
                url=reverse("problems:opinions"),
                count=n,
                due=campaign_due,
            )
        )
    me = person_of(user)
    campaign = current if me is not None else None
    if campaign is not None and campaign.status == campaign.Status.ACTIVE:
        if _in_finding(campaign, me) and not SelfCheck.objects.filter(campaign=campaign, person=me).exists():
            items.append(
                TaskItem(
                    label=_("Self-check against the ten manifestations (对照自查)"),
                    url=reverse("problems:self_check"),
                    due=campaign.finding_due,
                )
            )
        todo = 0 if campaign.peer_review_anonymous else len(selectors.reviews_to_write(me, campaign))
        if todo:
            items.append(
                TaskItem(
                    label=ngettext("%(n)s colleague to review (互评)", "%(n)s colleagues to review (互评)", todo)
                    % {"n": todo},
                    url=reverse("problems:peer_reviews"),
                    count=todo,
                    due=campaign.finding_due,
                )
            )
        waiting = selectors.peer_reviews_to_decide(user).filter(campaign=campaign, status=PeerReview.Status.SUBMITTED)
        unanswered = (
            waiting.count()
            + PeerReview.objects.filter(
                campaign=campaign, subject=me, kind=PeerReview.Kind.LEADER_COMMENT, status=PeerReview.Status.SUBMITTED
            ).count()
        )
        if unanswered:
            items.append(
                TaskItem(
                    label=_("Reviews to decide or answer: %(n)s") % {"n": unanswered},
                    url=reverse("problems:peer_reviews"),
                    count=unanswered,
                    due=campaign.finding_due,
                )
            )
    return items


def _in_finding(campaign, person) -> bool:
    """Is the person's unit (or the nearest participating unit above it) still finding problems?"""
    from campaigns.models import CampaignUnit, Stage

    ancestors = [int(x) for x in person.unit.path.strip("/").split("/") if x.isdigit()]
    row = (
        CampaignUnit.objects.filter(campaign=campaign, unit_id__in=ancestors)
        .order_by("-unit__depth")
        .values_list("stage", flat=True)
        .first()
    )
    return row == Stage.FINDING


def milestone_figures(campaign) -> dict:
    figures = Problem.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status__in=[Problem.Status.FIXED_AT_ONCE, Problem.Status.RESOLVED])),
    )
    return {"label": _("Problems fixed or resolved"), **figures}
