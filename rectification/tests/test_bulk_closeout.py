"""销号 in bulk: the office ticks several close-out requests and verifies or returns them in one action,
all or none, each row checked; 待办/已办 tabs; the list exported to Excel."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditRecord
from rectification import services
from rectification.models import CloseoutReview, Measure
from rectification.tests.helpers import pdf

pytestmark = pytest.mark.django_db
S = Measure.Status
BULK = "rectification:closeouts_bulk"


def waiting(cast, campaign, unit, owner, approver, n):
    """n measures of `unit`, each owned by `owner`, with evidence and close-out requested."""
    plan = services.plan_create(actor=cast.user("office"), campaign=campaign, unit=unit, title=f"{unit.name}整改方案")
    ms = [
        services.measure_create(
            actor=cast.user("office"),
            plan=plan,
            content=f"{unit.name}措施{i}",
            goal="按期完成",
            owner=owner,
            deadline=date(2026, 12, 20),
        )
        for i in range(n)
    ]
    services.plan_submit(actor=cast.user("office"), plan=plan)
    plan.refresh_from_db()
    services.plan_approve(actor=cast.user(approver), plan=plan)
    for m in ms:
        services.evidence_add(actor=owner.user, measure=m, files=[pdf()])
        services.measure_start(actor=owner.user, measure=m)
        services.closeout_request(actor=owner.user, measure=m, note="已完成")
    return ms


def status(ms):
    return [Measure.objects.get(pk=m.pk).status for m in ms]


@pytest.fixture
def three(cast, campaign):
    return waiting(cast, campaign, cast.dept_a, cast.cadre_a, "supervisor", 3)


def test_it_verifies_the_ticked_measures_in_one_action(cast, three, client_for):
    client = client_for(cast.user("head_a"))
    page = client.get(reverse("rectification:closeouts")).content.decode()
    assert page.count('name="measures"') == 3 and "应用到所选" in page
    response = client.post(
        reverse(BULK),
        {"measures": [three[0].pk, three[2].pk], "decision": "verify", "comment": "材料齐全"},
        follow=True,
    )
    assert status(three) == [S.VERIFIED, S.CLOSEOUT_REQUESTED, S.VERIFIED]
    assert "2 项整改措施已核验销号" in response.content.decode()
    records = AuditRecord.objects.filter(action="measure.verify")
    assert sorted(int(r.object_id) for r in records) == sorted([three[0].pk, three[2].pk])
    assert CloseoutReview.objects.filter(decision="verified", comment="材料齐全").count() == 2


def test_it_returns_the_ticked_ones_with_one_reason_and_deadline(cast, three, client_for):
    new = timezone.localdate() + timedelta(days=30)
    client_for(cast.user("head_a")).post(
        reverse(BULK),
        {"measures": [m.pk for m in three], "decision": "return", "comment": "佐证不足", "new_deadline": new},
    )
    assert status(three) == [S.RETURNED] * 3
    assert {Measure.objects.get(pk=m.pk).deadline for m in three} == {new}
    assert AuditRecord.objects.filter(action="measure.return").count() == 3


def test_it_refuses_the_whole_action_when_a_row_is_another_units(cast, campaign, three, client_for):
    theirs = waiting(cast, campaign, cast.dept_b, cast.head_b, "principal", 1)[0]
    response = client_for(cast.user("head_a")).post(
        reverse(BULK), {"measures": [three[0].pk, theirs.pk], "decision": "verify"}, follow=True
    )
    assert status([three[0], theirs]) == [S.CLOSEOUT_REQUESTED] * 2
    page = response.content.decode()
    assert "未作任何改动" in page and f"编号 {theirs.pk}：不是您处理的整改措施" in page
    assert theirs.content not in page
    assert not AuditRecord.objects.filter(action="measure.verify").exists()


def test_it_refuses_a_row_already_decided_and_names_it(cast, three, client_for):
    client = client_for(cast.user("head_a"))
    client.post(reverse(BULK), {"measures": [three[1].pk], "decision": "verify"})
    response = client.post(reverse(BULK), {"measures": [m.pk for m in three], "decision": "verify"}, follow=True)
    assert status(three) == [S.CLOSEOUT_REQUESTED, S.VERIFIED, S.CLOSEOUT_REQUESTED]
    assert f"{three[1].content}：当前为" in response.content.decode()


def test_returning_needs_a_reason(cast, three, client_for):
    response = client_for(cast.user("head_a")).post(
        reverse(BULK), {"measures": [three[0].pk], "decision": "return"}, follow=True
    )
    assert status(three[:1]) == [S.CLOSEOUT_REQUESTED]
    assert "请说明退回销号申请的理由" in response.content.decode()


def test_with_htmx_it_swaps_the_list_and_the_done_tab_lists_them(cast, three, client_for):
    client = client_for(cast.user("head_a"))
    response = client.post(
        reverse(BULK),
        {"measures": [m.pk for m in three], "decision": "verify", "comment": "ok", "back": "tab=todo"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert page.startswith('<div id="closeout-list">') and "3 项整改措施已核验销号" in page
    done = client.get(reverse("rectification:closeouts"), {"tab": "done"}).content.decode()
    assert all(m.content in done for m in three) and "已核验销号" in done


def _rows(response):
    wb = load_workbook(io.BytesIO(response.content))
    return list(wb.active.iter_rows(values_only=True))


def test_it_exports_the_ticked_rows_and_the_tab(cast, three, client_for):
    client = client_for(cast.user("head_a"))
    response = client.post(reverse("rectification:closeouts_export"), {"measures": [three[1].pk]})
    assert "filename*=utf-8''" in response["Content-Disposition"]
    rows = _rows(response)
    assert len(rows) == 2 and rows[1][0] == three[1].pk and rows[1][6].date() == date(2026, 12, 20)
    assert len(_rows(client.get(reverse("rectification:closeouts_export")))) == 4


def test_the_export_keeps_other_units_out(cast, campaign, client_for):
    theirs = waiting(cast, campaign, cast.dept_b, cast.head_b, "principal", 1)[0]
    rows = _rows(
        client_for(cast.user("head_a")).post(reverse("rectification:closeouts_export"), {"measures": [theirs.pk]})
    )
    assert len(rows) == 1
