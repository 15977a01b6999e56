"""Home-page tasks: reports to write or redo, reviews waiting, reports waiting for routing."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.registry import TaskItem
from orgs.access import person_of

from .models import SelfReport
from .selectors import duties_of, overdue_after, review_queue, unrouted_for


def report_tasks(user) -> list[TaskItem]:
    """One task per kind of report work, with the campaign's finding deadline; where there is a single
    report, the task opens it (the page that does the work) rather than the list."""
    items: list[TaskItem] = []
    index = reverse("reports:index")
    duties = duties_of(person_of(user))
    to_write = [d for d in duties if d.report is None or d.report.status == SelfReport.Status.DRAFT]
    to_redo = [d for d in duties if d.report is not None and d.report.status == SelfReport.Status.RETURNED]
    due = min((d.participant.campaign.finding_due for d in duties), default=None)
    if to_write:
        one = to_write[0].report if len(to_write) == 1 else None
        url = reverse("reports:edit", args=[one.pk]) if one is not None else index
        items.append(
            TaskItem(_("Self-inspection reports to write: %(n)s") % {"n": len(to_write)}, url, len(to_write), due=due)
        )
    if to_redo:
        url = reverse("reports:edit", args=[to_redo[0].report.pk]) if len(to_redo) == 1 else index
        items.append(
            TaskItem(
                _("Returned reports to redo: %(n)s") % {"n": len(to_redo)}, url, len(to_redo), urgent=True, due=due
            )
        )
    queue = list(review_queue(user).values_list("pk", "submitted_at", "campaign__finding_due"))
    if queue:
        url = reverse("reports:detail", args=[queue[0][0]]) if len(queue) == 1 else reverse("reports:queue")
        items.append(
            TaskItem(
                _("Self-inspection reports waiting for your review: %(n)s") % {"n": len(queue)},
                url,
                len(queue),
                urgent=any(at is not None and timezone.now() - at > overdue_after() for _pk, at, _due in queue),
                due=min((d for _pk, _at, d in queue if d), default=None),
            )
        )
    unrouted = list(unrouted_for(user).values_list("campaign__finding_due", flat=True))
    if unrouted:
        items.append(
            TaskItem(
                _("Reports waiting for a reviewer to be set: %(n)s") % {"n": len(unrouted)},
                index,
                len(unrouted),
                urgent=True,
                due=min(unrouted),
            )
        )
    return items
