"""Demo disclosure: the campaign office publishes the problems and measures of group A (the units in
rectification, see docs/demo-plan.md) and two snapshots exist: one dated a month ago and one today."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from orgs.models import Unit

from .models import Snapshot
from .public import publishable_measures, publishable_problems
from .services import publication_apply, snapshot_take

GROUP_A = [
    "教务处",
    "财务处",
    "学生工作处",
    "机电工程学院党总支",
    "信息工程学院党总支",
    "后勤管理处",
    "党委办公室",
    "组织人事处",
]


def seed(ctx: dict) -> None:
    campaign = ctx["campaign"]
    office = ctx["office_people"][0].user
    within = Q(pk__in=[])
    for unit in Unit.objects.filter(institution=campaign.institution, name__in=GROUP_A):
        within |= Q(path__startswith=unit.path)
    in_group = list(Unit.objects.filter(within).values_list("pk", flat=True))
    problems = list(publishable_problems(campaign).filter(unit_id__in=in_group).values_list("pk", flat=True))
    measures = list(
        publishable_measures(campaign).filter(responsible_unit_id__in=in_group).values_list("pk", flat=True)
    )
    if not problems and not measures:
        ctx["stdout"].write("  disclosure: no problems or measures in group A yet; nothing published")
        return
    publication_apply(actor=office, campaign=campaign, problem_ids=problems, measure_ids=measures)
    today = timezone.localdate()
    snapshot_take(actor=office, campaign=campaign, taken_on=today - timedelta(days=30), kind=Snapshot.Kind.MONTHLY)
    snapshot_take(actor=office, campaign=campaign, taken_on=today)
    ctx["stdout"].write(
        f"  disclosure: {len(problems)} problems and {len(measures)} measures public at "
        f"/public/i/{campaign.institution.public_code}/"
    )
