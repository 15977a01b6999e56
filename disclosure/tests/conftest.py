"""A campaign with problems and measures to publish.

Problems and measures are made with their owners' services when those exist (finding and
rectification issues), otherwise with the models directly; the disclosure app only reads them.
"""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

MARKER = "PRIVATE-MARKER-7Q"


def make_problem(campaign, unit, description, *, manifestations=(), subject_person=None, cause="", **extra):
    from problems.models import Problem

    p = Problem.objects.create(
        campaign=campaign,
        unit=unit,
        description=description,
        channel="self_check",
        subject_kind="person" if subject_person else "unit",
        subject_person=subject_person,
        cause=cause,
        **extra,
    )
    p.manifestations.set(manifestations)
    return p


def make_measure(plan, problems, content, *, owner, deadline=None, status="planned", percent=0, **extra):
    from rectification.models import Measure

    m = Measure.objects.create(
        plan=plan,
        content=content,
        goal=extra.pop("goal", "目标：" + content),
        deadline=deadline or timezone.localdate() + timedelta(days=45),
        responsible_unit=extra.pop("responsible_unit", plan.unit),
        owner=owner,
        status=status,
        percent=percent,
        verified_at=extra.pop("verified_at", timezone.now()) if status == "verified" else None,
        **extra,
    )
    m.problems.set(problems)
    return m


@pytest.fixture
def world(cast, campaign):
    """Two unit problems in dept_a (one with two measures), one in dept_b, one about a person, a
    personal plan with a commitment; nothing published yet."""
    from problems.models import Manifestation
    from rectification.models import RectificationPlan

    w = SimpleNamespace(campaign=campaign)
    w.m1 = Manifestation.objects.get_or_create(name="工作推进不力", defaults={"group": "lan", "sort_order": 2})[0]
    w.m2 = Manifestation.objects.get_or_create(name="纪律涣散", defaults={"group": "san", "sort_order": 8})[0]
    today = timezone.localdate()
    w.p1 = make_problem(campaign, cast.dept_a, "排课系统长期不更新，调课流程繁琐", manifestations=[w.m1])
    w.p2 = make_problem(campaign, cast.dept_a, "考务安排通知不及时", manifestations=[w.m2])
    w.p3 = make_problem(campaign, cast.dept_b, "报销审核周期过长", manifestations=[w.m1])
    w.personal = make_problem(campaign, cast.dept_a, "个人工作作风不实", subject_person=cast.cadre_a)
    w.plan_a = RectificationPlan.objects.create(campaign=campaign, unit=cast.dept_a, title="教务处整改方案")
    w.plan_b = RectificationPlan.objects.create(campaign=campaign, unit=cast.dept_b, title="财务处整改方案")
    w.plan_person = RectificationPlan.objects.create(
        campaign=campaign, unit=cast.dept_a, person=cast.cadre_a, title="个人整改方案"
    )
    w.m1a = make_measure(
        w.plan_a,
        [w.p1],
        "上线新排课系统",
        owner=cast.cadre_a,
        deadline=today + timedelta(days=30),
        status="in_progress",
        percent=40,
        responsible_leader=cast.supervisor,
    )
    w.m1b = make_measure(
        w.plan_a,
        [w.p1],
        "简化调课审批",
        owner=cast.cadre_a,
        deadline=today - timedelta(days=5),
        status="verified",
        percent=100,
        verified_at=timezone.now() - timedelta(days=10),
    )
    w.m2a = make_measure(
        w.plan_a, [w.p2], "考务通知提前一周发布", owner=cast.member_a, deadline=today - timedelta(days=2)
    )
    w.m3a = make_measure(w.plan_b, [w.p3], "报销审核限时办结", owner=cast.head_b, deadline=today + timedelta(days=60))
    w.commitment = make_measure(
        w.plan_person,
        [w.personal],
        "每周下基层一次",
        owner=cast.cadre_a,
        deadline=today + timedelta(days=20),
        percent=50,
    )
    return w


@pytest.fixture
def published_world(cast, world):
    from disclosure.services import publication_apply

    publication_apply(
        actor=cast.user("office"),
        campaign=world.campaign,
        problem_ids=[world.p1.pk, world.p2.pk, world.p3.pk],
        measure_ids=[world.m1a.pk, world.m1b.pk, world.m2a.pk, world.m3a.pk],
    )
    return world


@pytest.fixture
def public_url(cast):
    from django.urls import reverse

    return reverse("disclosure_public:institution", args=[cast.college.public_code])


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)
