"""What the evaluations app adds to the home page: ballot codes to issue, rounds to close."""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.registry import TaskItem
from orgs.access import Perm, has_any, units_where

from .models import CodeBatch, Evaluation, EvaluatorGroup


def evaluation_tasks(user) -> list[TaskItem]:
    """For the campaign office: evaluations in preparation or open whose groups have no ballot codes
    yet (每组发放评议码), and open rounds past their closing day."""
    if not has_any(user, Perm.EVALUATION_MANAGE):
        return []
    institutions = units_where(user, Perm.EVALUATION_MANAGE)
    live = Evaluation.objects.filter(
        campaign__institution__in=institutions, status__in=[Evaluation.Status.DRAFT, Evaluation.Status.OPEN]
    ).select_related("campaign")
    without_codes = EvaluatorGroup.objects.filter(evaluation=OuterRef("pk")).exclude(
        Exists(CodeBatch.objects.filter(group=OuterRef("pk")))
    )
    items: list[TaskItem] = []
    today = timezone.localdate()
    for ev in live.filter(Exists(without_codes)):
        items.append(
            TaskItem(
                label=_("Issue ballot codes for “%(name)s”") % {"name": ev.name},
                url=reverse("evaluations:detail", args=[ev.pk]) + "#codes",
                due=ev.opens_on or ev.campaign.evaluation_due,
            )
        )
    for ev in live.filter(status=Evaluation.Status.OPEN, closes_on__lt=today):
        items.append(
            TaskItem(
                label=_("Close and tally “%(name)s”") % {"name": ev.name},
                url=reverse("evaluations:detail", args=[ev.pk]),
                due=ev.closes_on,
                urgent=True,
            )
        )
    return items
