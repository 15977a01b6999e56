"""The home page's rectification to-dos (rectification.providers): each queue's count, earliest deadline and
urgency, read in one query per queue, and the close-out count equal to the close-outs page's list for every
user (the queue's rule: managers, the responsible leader and the supervising leader, never the owner)."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rectification.models import Extension, Measure
from rectification.providers import rectification_tasks
from rectification.selectors import closeouts_to_verify


def _measure(plan, owner, **kw):
    kw.setdefault("deadline", date(2027, 1, 10))
    return Measure.objects.create(plan=plan, content="措施", goal="目标", owner=owner, responsible_unit=plan.unit, **kw)


def test_the_rectification_todos_count_date_and_flag_each_queue(cast, campaign, plan_a):
    today = timezone.localdate()
    owner = cast.cadre_a
    overdue = _measure(plan_a, owner, deadline=today - timedelta(days=3))
    _measure(plan_a, owner, status="verified", verified_at=timezone.now())  # done: not a to-do
    waiting = [
        _measure(plan_a, owner, status="closeout_requested", closeout_requested_at=timezone.now()) for _ in range(2)
    ]
    Extension.objects.create(
        measure=overdue,
        reason="需要更多时间",
        old_deadline=overdue.deadline,
        new_deadline=today + timedelta(days=30),
        requested_by=cast.user("cadre_a"),
    )
    open_mine = Measure.objects.filter(owner=owner).exclude(status__in=["verified", "closeout_requested"])

    with CaptureQueriesContext(connection) as ctx:
        mine = rectification_tasks(cast.user("cadre_a"))
    [item] = [t for t in mine if t.count == open_mine.count()]
    assert item.urgent and item.due == overdue.deadline and "1项已逾期" in str(item.label)
    assert not any("销号申请" in str(t.label) for t in mine)  # never verifies their own measures

    head = rectification_tasks(cast.user("head_a"))
    [closeouts] = [t for t in head if "销号申请" in str(t.label)]
    assert closeouts.count == len(waiting) and closeouts.due == campaign.rectification_due
    [extension] = [t for t in head if "延期申请" in str(t.label)]
    assert extension.count == 1 and extension.urgent and extension.due == overdue.deadline
    assert len(ctx.captured_queries) <= 8  # one per queue (and the user's person and grants)

    for key in ("head_a", "supervisor", "principal", "office", "cadre_a", "member_a", "outsider", "city_official"):
        user = cast.user(key)
        listed = len(closeouts_to_verify(user))
        shown = [t.count for t in rectification_tasks(user) if "销号申请" in str(t.label)]
        assert shown == ([listed] if listed else []), key
