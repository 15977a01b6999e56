"""Bulk triage on the opinions list: many rows closed or accepted in one action, all or none."""

import pytest
from django.urls import reverse

from audit.models import AuditRecord
from problems.models import Opinion, Problem
from problems.services import opinion_enter

pytestmark = pytest.mark.django_db


def enter(cast, campaign, unit, text):
    return opinion_enter(
        actor=cast.user("office"), campaign=campaign, unit=unit, content=text, source=Opinion.Source.SYMPOSIUM
    )


def test_it_closes_the_ticked_opinions_with_one_reason(cast, campaign, client_for):
    ops = [enter(cast, campaign, cast.dept_a, f"座谈会意见{i}：办事拖拉") for i in range(3)]
    client = client_for(cast.user("office"))
    page = client.get(reverse("problems:opinions")).content.decode()
    assert 'name="opinions"' in page and "应用到所选" in page
    response = client.post(
        reverse("problems:opinions_bulk"),
        {"opinions": [ops[0].pk, ops[1].pk], "action": "close", "reason": "已在其他渠道处理"},
    )
    assert response.status_code == 302
    statuses = {o.pk: o.status for o in Opinion.objects.filter(pk__in=[o.pk for o in ops])}
    assert statuses == {ops[0].pk: "closed", ops[1].pk: "closed", ops[2].pk: "new"}
    assert AuditRecord.objects.filter(action="opinion.close").count() == 2


def test_it_accepts_each_ticked_opinion_as_a_problem_of_its_unit(cast, campaign, client_for):
    ops = [
        enter(cast, campaign, cast.dept_a, "窗口工作人员态度冷淡"),
        enter(cast, campaign, cast.dept_b, "报销手续繁琐"),
    ]
    client_for(cast.user("office")).post(
        reverse("problems:opinions_bulk"), {"opinions": [o.pk for o in ops], "action": "accept"}
    )
    for o in ops:
        o.refresh_from_db()
        assert o.status == "accepted"
        problem = o.problems.get()
        assert problem.unit == o.unit and problem.description == o.content
    assert Problem.objects.filter(campaign=campaign).count() == 2


def test_it_changes_nothing_when_one_of_them_fails(cast, campaign, client_for):
    ops = [
        enter(cast, campaign, cast.dept_a, "意见甲：接待不热情"),
        enter(cast, campaign, cast.dept_a, "意见乙：回复不及时"),
    ]
    client = client_for(cast.user("office"))
    client.post(reverse("problems:opinions_bulk"), {"opinions": [ops[1].pk], "action": "close", "reason": "重复"})
    response = client.post(
        reverse("problems:opinions_bulk"),
        {"opinions": [ops[0].pk, ops[1].pk], "action": "close", "reason": "无关"},
        follow=True,
    )
    ops[0].refresh_from_db()
    assert ops[0].status == "new"  # the already triaged one stopped the whole batch
    assert "已" in response.content.decode()


def test_it_refuses_to_close_without_a_reason(cast, campaign, client_for):
    op = enter(cast, campaign, cast.dept_a, "意见丙：材料要求反复")
    client_for(cast.user("office")).post(reverse("problems:opinions_bulk"), {"opinions": [op.pk], "action": "close"})
    op.refresh_from_db()
    assert op.status == "new"


def test_it_keeps_other_units_opinions_out(cast, campaign, client_for):
    op = enter(cast, campaign, cast.dept_b, "财务处意见")
    response = client_for(cast.user("head_a")).post(
        reverse("problems:opinions_bulk"), {"opinions": [op.pk], "action": "close", "reason": "x"}
    )
    assert response.status_code == 404
    op.refresh_from_db()
    assert op.status == "new"
