"""Browser test (Chinese): the campaign office approves a submitted commitment on a desktop (示诺) and
judges an item 未兑现 with its causes; a member of the public reads the 示诺 page on a phone."""

from datetime import date

import pytest
from django.urls import reverse

from conftest import log_in

PHONE = {"width": 390, "height": 844}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_reviews_a_commitment_and_shows_it_on_a_phone(live_server, page, screenshot_dir, cast, campaign):
    from rectification import commitments as cs
    from rectification.models import Commitment, CommitmentItem

    cadre, office = cast.user("cadre_a"), cast.user("office")
    c = cs.commitment_create(
        actor=cadre,
        campaign=campaign,
        person=cast.cadre_a,
        content="立足岗位、服务师生，做到“马上就办、办就办好”。",
        items=[("学生来访咨询当日答复", date(2027, 1, 31))],
    )
    cs.commitment_item_add(
        actor=cadre,
        commitment=c,
        content="调停课审批三个工作日内办结",
        measures="一是调停课申请全部网上办理\n二是超过时限自动提醒分管领导",
        deadline=date(2027, 3, 1),
    )
    cs.commitment_submit(actor=cadre, commitment=c)
    unit_c = cs.unit_commitment_create(
        actor=office, campaign=campaign, unit=cast.dept_a, content="教务处窗口服务承诺：一次告知、限时办结。"
    )
    cs.commitment_item_add(
        actor=office, commitment=unit_c, content="窗口服务零投诉", owner=cast.staff_a, deadline=date(2027, 6, 30)
    )
    cs.commitment_submit(actor=office, commitment=unit_c)
    cs.commitment_review(actor=office, commitment=unit_c, approve=True)

    log_in(page, live_server, cast.office)
    page.goto(f"{live_server.url}/rectification/commitments/")
    page.get_by_role("link", name="1项承诺等待您审核。").click()
    page.get_by_role("link", name=cast.cadre_a.name).click()
    page.get_by_label("同意并公示（示诺）").check()
    page.get_by_label("意见 / 理由").fill("同意公示。")
    page.get_by_role("button", name="提交决定").click()
    assert "承诺已审核通过并公示（示诺）。" in page.content()
    assert Commitment.objects.get(pk=c.pk).status == Commitment.Status.PUBLISHED
    late = c.items.get(content="调停课审批三个工作日内办结")
    item = page.locator(f"#item-{late.pk}")
    item.get_by_label("未兑现", exact=True).check()
    item.get_by_label("未兑现说明（客观原因）").fill("网上审批系统升级推迟至下学期，属客观原因。")
    item.get_by_role("button", name="登记评定结果").click()
    assert CommitmentItem.objects.get(pk=late.pk).outcome == "unfulfilled"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(screenshot_dir / "rectification-commitment-judged.png"), full_page=True)

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("disclosure_public:commitments", args=[cast.college.public_code]))
    body = page.content()
    assert "调停课审批三个工作日内办结" in body and "网上审批系统升级推迟" in body and "窗口服务零投诉" in body
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshot_dir / "disclosure-commitments-phone.png"), full_page=True)
