"""Home-page tasks ("my tasks") from rectification."""

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
        mine = (
            Measure.objects.filter(owner=me)
            .exclude(status__in=[Measure.Status.VERIFIED, Measure.Status.CLOSEOUT_REQUESTED])
            .filter(plan__status="approved")
        )
        n = mine.count()
        if n:
            overdue = mine.filter(deadline__lt=timezone.localdate()).count()
            items.append(
                TaskItem(
                    label=_("%(n)s rectification measures of yours are open") % {"n": n}
                    + (_(" (%(k)s overdue)") % {"k": overdue} if overdue else ""),
                    url=index,
                    count=n,
                    urgent=bool(overdue),
                    due=mine.filter(deadline__isnull=False)
                    .order_by("deadline")
                    .values_list("deadline", flat=True)
                    .first(),
                )
            )
        drafts = Commitment.objects.filter(person=me, status=Commitment.Status.DRAFT).count()
        if drafts:
            items.append(
                TaskItem(label=_("Publish your public commitment (公开承诺)"), url=reverse("rectification:commitments"))
            )
    n = selectors.closeouts_to_verify_queryset(user).count()
    if n:
        items.append(
            TaskItem(label=_("%(n)s close-out requests wait for your verification") % {"n": n}, url=index, count=n)
        )
    n = selectors.extensions_to_decide(user).count()
    if n:
        items.append(
            TaskItem(label=_("%(n)s extension requests wait for your decision") % {"n": n}, url=index, count=n)
        )
    n = selectors.plans_to_review(user).count()
    if n:
        items.append(
            TaskItem(label=_("%(n)s rectification plans wait for your approval") % {"n": n}, url=index, count=n)
        )
    return items
