from django.shortcuts import render

from notifications.selectors import notifications_for
from orgs.access import Perm, can
from orgs.selectors import my_units

from .registry import tasks_for


def home(request):
    """ "My tasks" (from every app's task provider), "my units" and the latest unread notifications."""
    units = my_units(request.user)
    for row in units:
        row["may_open"] = can(request.user, Perm.CAMPAIGN_VIEW, row["unit"]) or can(
            request.user, Perm.ORG_MANAGE, row["unit"]
        )
    unread = list(notifications_for(request.user).filter(read_at__isnull=True)[:5])
    return render(request, "core/home.html", {"tasks": tasks_for(request.user), "units": units, "unread": unread})
