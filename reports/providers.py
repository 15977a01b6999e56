"""Home-page tasks: reports to write or redo, reviews waiting, reports waiting for routing."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.registry import TaskItem
from orgs.access import person_of

from .models import SelfReport
from .selectors import duties_of, overdue_after, review_queue, unrouted_for


def report_tasks(user) -> list[TaskItem]:
    items: list[TaskItem] = []
    index = reverse("reports:index")
    duties = duties_of(person_of(user))
    to_write = [d for d in duties if d.report is None or d.report.status == SelfReport.Status.DRAFT]
    to_redo = [d for d in duties if d.report is not None and d.report.status == SelfReport.Status.RETURNED]
    due = min((d.participant.campaign.finding_due for d in duties), default=None)
    if to_write:
        items.append(
            TaskItem(_("Self-inspection reports to write: %(n)s") % {"n": len(to_write)}, index, len(to_write), due=due)
        )
    if to_redo:
        items.append(
            TaskItem(
                _("Returned reports to redo: %(n)s") % {"n": len(to_redo)}, index, len(to_redo), urgent=True, due=due
            )
        )
    queue = list(review_queue(user).values_list("submitted_at", flat=True))
    if queue:
        items.append(
            TaskItem(
                _("Self-inspection reports waiting for your review: %(n)s") % {"n": len(queue)},
                reverse("reports:queue"),
                len(queue),
                urgent=any(at is not None and timezone.now() - at > overdue_after() for at in queue),
            )
        )
    unrouted = unrouted_for(user).count()
    if unrouted:
        items.append(
            TaskItem(
                _("Reports waiting for a reviewer to be set: %(n)s") % {"n": unrouted}, index, unrouted, urgent=True
            )
        )
    return items
