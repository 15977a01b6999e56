from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail

from audit.models import AuditRecord
from meetings import selectors, services
from meetings.tasks import remind_meeting_follow_ups
from notifications.models import Notification

from .conftest import hold


def test_it_reminds_organisers_of_follow_ups_due_soon_and_overdue(
    cast, ready_meeting, django_capture_on_commit_callbacks
):
    meeting = hold(cast, ready_meeting)
    report = meeting.follow_ups.get(kind="report")
    due = report.due_on
    assert services.follow_up_remind(today=due - timedelta(days=5)) == 0  # not yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.follow_up_remind(today=due - timedelta(days=2)) == 2
    office = Notification.objects.filter(recipient=cast.user("office"), kind="meeting_follow_up")
    assert office.count() == 2 and all(n.title.startswith("即将到期") for n in office)
    assert Notification.objects.filter(recipient=cast.user("head_a"), kind="meeting_follow_up").count() == 2
    assert Notification.objects.filter(recipient=cast.user("staff_a"), kind="meeting_follow_up").count() == 2
    assert len(mail.outbox) == 2 and "office@example.cn" in mail.outbox[0].to
    # once a day only
    assert services.follow_up_remind(today=due - timedelta(days=2)) == 0
    # a done follow-up is not reminded; an overdue one says so
    services.follow_up_complete(actor=cast.user("office"), follow_up=report, note="已上报")
    assert services.follow_up_remind(today=due + timedelta(days=1)) == 1
    latest = Notification.objects.filter(recipient=cast.user("office")).order_by("-pk").first()
    assert latest.title.startswith("已逾期：向教职工通报会议情况（教务处")
    assert AuditRecord.objects.filter(action="meeting.follow_up_remind").count() == 3


def test_it_runs_the_reminder_as_a_periodic_task(cast, ready_meeting):
    from core.registry import periodic_tasks

    assert any(p.task is remind_meeting_follow_ups for p in periodic_tasks())
    hold(cast, ready_meeting)  # the meeting was on 2026-11-10: both follow-ups are due on 11-25
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        assert remind_meeting_follow_ups.call() == 0  # five days ahead: not yet
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        assert remind_meeting_follow_ups.call() == 2
        assert remind_meeting_follow_ups.call() == 0  # once a day
    assert Notification.objects.filter(recipient=cast.user("head_a"), kind="meeting_follow_up").count() == 2


def selectors_today():
    from django.utils import timezone

    return timezone.localdate()


def test_it_lists_follow_ups_due_on_the_home_page(cast, ready_meeting):
    meeting = hold(cast, ready_meeting)
    meeting.follow_ups.update(due_on=selectors_today() - timedelta(days=1))
    tasks = [t for t in selectors.home_tasks(cast.user("office")) if t.url == f"/meetings/{meeting.pk}/"]
    assert len(tasks) == 2 and all(t.urgent for t in tasks)
    assert {t.due for t in tasks} == {selectors_today() - timedelta(days=1)}
