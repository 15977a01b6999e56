"""The site shell's own pages: each role's home (待办 with deadlines, 已办, the current campaign) and
the error pages."""

from django.shortcuts import render
from django.utils import timezone

from audit.models import AuditRecord
from audit.selectors import type_label
from campaigns.current import current_campaign
from campaigns.models import CampaignUnit
from campaigns.selectors import countdown
from core.registry import tasks_for
from notifications.selectors import notifications_for
from orgs.access import Perm, can, person_of
from orgs.selectors import my_units


def home(request):
    """待办: every app's tasks for this user, each with its deadline and one click from the page that
    does it; 已办: what the user did lately; the current campaign's stage for their unit."""
    user = request.user
    units = my_units(user)
    for row in units:
        row["may_open"] = can(user, Perm.CAMPAIGN_VIEW, row["unit"]) or can(user, Perm.ORG_MANAGE, row["unit"])
    today = timezone.localdate()
    tasks = tasks_for(user)
    for t in tasks:
        t.countdown = countdown(t.due, today) if t.due else None
    done: list[dict] = []
    for r in AuditRecord.objects.filter(actor=user).exclude(action__startswith="login.").order_by("-seq")[:12]:
        row = {"at": r.at, "what": type_label(r.object_type) if r.object_type else "", "object": r.object_repr}
        if not done or (done[-1]["what"], done[-1]["object"]) != (row["what"], row["object"]):
            done.append(row)  # several steps on one object in a row show once
    done = done[:8]
    unread = list(notifications_for(user).filter(read_at__isnull=True)[:5])
    return render(
        request,
        "rectify/home.html",
        {"tasks": tasks, "done": done, "units": units, "unread": unread, "stage": _my_stage(request, today)},
    )


def _my_stage(request, today) -> dict | None:
    """The current campaign and the stage my unit (or its nearest participating ancestor) is in."""
    campaign = current_campaign(request)
    if campaign is None:
        return None
    me = person_of(request.user)
    participant = None
    if me is not None:
        ancestors = [int(x) for x in me.unit.path.strip("/").split("/") if x.isdigit()] or [me.unit_id]
        participant = (
            CampaignUnit.objects.filter(campaign=campaign, unit_id__in=ancestors).order_by("-unit__depth").first()
        )
    due = campaign.due_for(participant.stage) if participant else None
    return {"campaign": campaign, "participant": participant, "countdown": countdown(due, today) if due else None}


def error_400(request, exception=None):
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_429(request, exception=None):
    return render(request, "429.html", status=429)


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token (often a page left open past the session): the site's 403."""
    return render(request, "403.html", {"csrf_failed": True}, status=403)
