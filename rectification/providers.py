"""Home-page tasks ("my tasks") from rectification."""

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.registry import TaskItem
from orgs.access import person_of

from . import selectors
from .models import Commitment, Measure


def rectification_tasks(user) -> list[TaskItem]:
    items: list[TaskItem] = []
    me = person_of(user)
    index = reverse("rectification:index")
    if me is not None:
        today = timezone.localdate()
        # One query for the count, the overdue count and the earliest deadline.
        mine = (
            Measure.objects.filter(owner=me, plan__status="approved")
            .exclude(status__in=[Measure.Status.VERIFIED, Measure.Status.CLOSEOUT_REQUESTED])
            .aggregate(n=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=today)), due=Min("deadline"))
        )
        n, overdue = mine["n"], mine["overdue"]
        if n:
            items.append(
                TaskItem(
                    label=_("%(n)s rectification measures of yours are open") % {"n": n}
                    + (_(" (%(k)s overdue)") % {"k": overdue} if overdue else ""),
                    url=index,
                    count=n,
                    urgent=bool(overdue),
                    due=mine["due"],
                )
            )
        drafts = Commitment.objects.filter(person=me, status=Commitment.Status.DRAFT)
        if drafts.exists():
            items.append(
                TaskItem(
                    label=_("Publish your public commitment (公开承诺)"),
                    url=reverse("rectification:commitments"),
                    due=drafts.aggregate(due=Min("campaign__rectification_due"))["due"],
                )
            )
    # Verifying a close-out and approving a plan work to the rectification stage's deadline; an extension
    # must be decided before the measure's own deadline passes.
    # Each queue's count and earliest deadline in one query (the count alone, then the deadline, read the
    # same rows twice: at city size the close-out queue of an institution is some 20,000 measures).
    # COUNT(*), not of the id: the id is not in the partial index measure_closeout_queue, which then answers alone.
    closeouts = selectors.closeout_queue(user).aggregate(n=Count("*"), due=Min("plan__campaign__rectification_due"))
    if closeouts["n"]:
        items.append(
            TaskItem(
                label=_("%(n)s close-out requests wait for your verification") % {"n": closeouts["n"]},
                url=reverse("rectification:closeouts"),
                count=closeouts["n"],
                due=closeouts["due"],
            )
        )
    extensions = selectors.extensions_to_decide(user).aggregate(n=Count("pk"), due=Min("measure__deadline"))
    if extensions["n"]:
        due = extensions["due"]
        items.append(
            TaskItem(
                label=_("%(n)s extension requests wait for your decision") % {"n": extensions["n"]},
                url=index,
                count=extensions["n"],
                urgent=due is not None and due < timezone.localdate(),
                due=due,
            )
        )
    plans = selectors.plans_to_review(user).aggregate(n=Count("pk"), due=Min("campaign__rectification_due"))
    if plans["n"]:
        items.append(
            TaskItem(
                label=_("%(n)s rectification plans wait for your approval") % {"n": plans["n"]},
                url=index,
                count=plans["n"],
                due=plans["due"],
            )
        )
    return items
