"""Home-page tasks: open cases to decide (campaign office, city office); a statement to write."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.registry import TaskItem
from orgs.access import Perm, has_any, person_of, units_where

from .models import AccountabilityCase


def accountability_tasks(user) -> list[TaskItem]:
    items: list[TaskItem] = []
    if has_any(user, Perm.ACCOUNTABILITY_DECIDE):
        n = AccountabilityCase.objects.filter(
            status__in=[AccountabilityCase.Status.PROPOSED, AccountabilityCase.Status.OPEN],
            unit__in=units_where(user, Perm.ACCOUNTABILITY_DECIDE),
        ).count()
        if n:
            items.append(
                TaskItem(
                    _("Accountability cases waiting for a decision: %(n)s") % {"n": n},
                    f"{reverse('accountability:index')}?status=pending",
                    n,
                )
            )
    person = person_of(user)
    if person is not None:
        mine = list(
            AccountabilityCase.objects.filter(person=person, statement="")
            .exclude(status=AccountabilityCase.Status.CLOSED)
            .values_list("pk", flat=True)
        )
        if mine:
            items.append(
                TaskItem(
                    _("An accountability case concerns you: write your statement"),
                    reverse("accountability:detail", args=[mine[0]]),
                    len(mine),
                    urgent=True,
                )
            )
    return items
