"""A small campaign dataset for the analysis tests: problems, measures, evaluations and cases.

Rows are written with the ORM (the figures are what is tested, not the other apps' workflows) and
with fixed dates, so each test can compute the expected figures straight from the rows.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

TODAY = date(2026, 12, 20)
# The real background backend, for tests that look at a task between the request and the worker.
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_next_task():
    """What the worker does: claim the next ready task (of DB_TASKS) and run it."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from jobs.worker import LeasedWorker

    with transaction.atomic():  # as the worker claims (select_for_update needs a transaction on PostgreSQL)
        result = DBTaskResult.objects.ready().get_locked()
        assert result is not None, "no task was queued"
        result.claim("w-test")
    LeasedWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w-test",
        excluded_queue_names=[],
    ).run_task(result)
    result.refresh_from_db()
    return result


def manifestations():
    from problems.models import Manifestation

    names = [
        ("得过且过", "yong"),
        ("工作推进不力", "lan"),
        ("创新能力不强", "yong"),
        ("纪律涣散", "san"),
    ]
    return [
        Manifestation.objects.get_or_create(name=n, defaults={"group": g, "sort_order": i})[0]
        for i, (n, g) in enumerate(names)
    ]


def add_problem(campaign, unit, *, channel="self_check", severity="medium", status="open", mans=(), text=""):
    from django.utils import timezone

    from problems.models import Problem

    p = Problem.objects.create(
        campaign=campaign,
        unit=unit,
        description=text or f"{unit.name}的问题",
        channel=channel,
        severity=severity,
        status=status,
        cause="思想认识不到位",
        fixed_at=timezone.now() if status == "fixed_at_once" else None,
    )
    if mans:
        p.manifestations.set(mans)
    return p


def add_measure(plan, owner, *, deadline, status="planned", verified_on=None, kind="work", problems=(), unit=None):
    from rectification.models import Measure

    m = Measure.objects.create(
        plan=plan,
        content=f"整改措施{plan.pk}-{deadline}",
        goal="问题彻底解决",
        deadline=deadline,
        original_deadline=deadline,
        kind=kind,
        responsible_unit=unit or plan.unit,
        owner=owner,
        status=status,
        percent=100 if status == "verified" else 30,
        verified_at=datetime(verified_on.year, verified_on.month, verified_on.day, 4, tzinfo=UTC)
        if verified_on
        else None,
    )
    if problems:
        m.problems.set(problems)
    return m


def build_dataset(cast, campaign):
    from django.utils import timezone

    from accountability.models import AccountabilityCase
    from evaluations.models import Evaluation, EvaluationTarget
    from rectification.models import RectificationPlan

    m = manifestations()
    ds = type("Dataset", (), {})()
    ds.manifestations = m
    ds.problems = [
        add_problem(campaign, cast.dept_a, mans=[m[0], m[1]], severity="high", text='=HYPERLINK("x")教务问题'),
        add_problem(campaign, cast.dept_a, channel="masses_opinion", mans=[m[1]], status="fixed_at_once"),
        add_problem(campaign, cast.section_a, channel="masses_opinion", mans=[m[3]], status="rectifying"),
        add_problem(campaign, cast.dept_b, channel="comparison", mans=[m[0], m[2]], severity="low"),
        add_problem(campaign, cast.dept_b, channel="self_check", status="resolved"),
        add_problem(campaign, cast.college, channel="leader_comment", mans=[m[3]], severity="high"),
    ]
    approved = {"status": "approved", "approved_at": timezone.now()}
    plan_a = RectificationPlan.objects.create(campaign=campaign, unit=cast.dept_a, title="教务处整改方案", **approved)
    plan_b = RectificationPlan.objects.create(campaign=campaign, unit=cast.dept_b, title="财务处整改方案", **approved)
    ds.plans = [plan_a, plan_b]
    # a plan still in draft: its measure is not counted on the dashboards (shown apart)
    ds.draft_plan = RectificationPlan.objects.create(campaign=campaign, unit=cast.dept_a, title="教务处补充方案")
    ds.draft_measure = add_measure(ds.draft_plan, cast.cadre_a, deadline=date(2026, 12, 1))
    ds.measures = [
        # verified on time, verified late, overdue, yellow (3 days left), green (10 days), far away
        add_measure(
            plan_a,
            cast.head_a,
            deadline=date(2026, 11, 30),
            status="verified",
            verified_on=date(2026, 11, 28),
            problems=[ds.problems[0]],
        ),
        add_measure(
            plan_a,
            cast.cadre_a,
            deadline=date(2026, 12, 5),
            status="verified",
            verified_on=date(2026, 12, 10),
            kind="rule",
        ),
        add_measure(
            plan_a,
            cast.cadre_a,
            deadline=date(2026, 12, 15),
            status="in_progress",
            unit=cast.section_a,
            problems=[ds.problems[2]],
        ),
        add_measure(plan_b, cast.head_b, deadline=TODAY + timedelta(days=3), status="closeout_requested"),
        add_measure(plan_b, cast.head_b, deadline=TODAY + timedelta(days=10), kind="rule"),
        add_measure(plan_b, cast.head_b, deadline=date(2027, 2, 20)),
    ]
    ev = Evaluation.objects.create(
        campaign=campaign,
        name="民主评议",
        status=Evaluation.Status.TALLIED,
        tallied_at=timezone.now(),
        published_on=timezone.localdate(),
    )
    ds.targets = [
        EvaluationTarget.objects.create(
            evaluation=ev, kind="unit_work", unit=cast.dept_a, result="passed", satisfaction="0.9200"
        ),
        EvaluationTarget.objects.create(
            evaluation=ev, kind="unit_work", unit=cast.dept_b, result="failed", satisfaction="0.6000"
        ),
        EvaluationTarget.objects.create(
            evaluation=ev, kind="person", unit=cast.dept_a, person=cast.head_a, result="passed", satisfaction="0.8800"
        ),
    ]
    ds.cases = [
        AccountabilityCase.objects.create(
            institution=cast.college,
            unit=cast.dept_b,
            person=cast.head_b,
            trigger="evaluation_failed",
            facts="民主评议不合格",
        ),
        AccountabilityCase.objects.create(
            institution=cast.college, unit=cast.dept_a, person=cast.cadre_a, trigger="measure_overdue", facts="整改逾期"
        ),
    ]
    return ds


@pytest.fixture
def dataset(cast, campaign):
    return build_dataset(cast, campaign)


@pytest.fixture
def today():
    return TODAY
