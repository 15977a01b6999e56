"""Browser test: a member of the public on a phone reads an institution's page, opens an item,
leaves a supervision opinion and follows it; the office previews and publishes on a desktop."""

import pytest

from conftest import PASSWORD

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_serves_the_portal_on_a_phone(live_server, page, screenshot_dir, cast, published_world):
    from disclosure.services import snapshot_take
    from problems.models import Opinion

    from .conftest import days_ago

    w = published_world
    snapshot_take(actor=cast.user("office"), campaign=w.campaign, taken_on=days_ago(30))
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/public/")
    assert page.locator("h1").inner_text() == "整改情况公开"
    page.get_by_role("link", name=cast.college.name).click()
    assert page.locator("h1").inner_text() == cast.college.name
    assert "阶段与时间节点" in page.content() and "工作推进不力" in page.content()
    assert no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "disclosure-institution-phone.png"), full_page=True)

    page.locator("summary", has_text=w.m1.name).click()  # groups start folded so the page starts short
    page.get_by_role("link", name=w.p1.description).click()
    assert "提出监督意见" in page.content()
    page.get_by_label("您对此项的意见").fill('<script>alert("x")</script>排课系统还是经常出错')
    page.get_by_role("button", name="提交意见").click()
    receipt = page.get_by_test_id("receipt").inner_text()
    opinion = Opinion.objects.get()
    assert receipt == opinion.receipt_code and opinion.about_problem == w.p1
    assert opinion.source == "public_supervision"
    page.screenshot(path=str(screenshot_dir / "disclosure-opinion-receipt-phone.png"), full_page=True)

    page.go_back()
    page.get_by_label("电子邮箱（选填：状态变化时通知您）").fill("watcher@example.com")
    page.get_by_role("button", name="关注", exact=True).click()
    assert "您的关注码" in page.content() and "watcher@example.com" not in page.content()
    page.screenshot(path=str(screenshot_dir / "disclosure-follow-phone.png"), full_page=True)

    page.goto(f"{live_server.url}/public/i/{cast.college.public_code}/")
    page.get_by_role("link", name="与现在对比").first.click()
    assert "逐项对比" in page.content() and no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "disclosure-compare-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/public/overview/")
    page.screenshot(path=str(screenshot_dir / "disclosure-overview-phone.png"), full_page=True)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_lets_the_office_preview_then_publish(live_server, page, screenshot_dir, cast, world):
    from disclosure.models import Publication

    page.goto(f"{live_server.url}/accounts/login/?next=/disclosure/")
    page.get_by_label("工号").fill(cast.office.staff_no)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/disclosure/campaigns/{world.campaign.pk}/")
    page.locator(f'input[name="problems"][value="{world.p1.pk}"]').check()
    page.locator(f'input[name="measures"][value="{world.m1a.pk}"]').check()
    page.screenshot(path=str(screenshot_dir / "disclosure-manage.png"), full_page=True)
    page.get_by_role("button", name="预览公开效果").click()
    assert "预览：公开后社会公众看到的就是以下内容。" in page.content()
    assert world.p1.description in page.content() and world.p2.description not in page.content()
    assert not Publication.objects.exists()
    page.screenshot(path=str(screenshot_dir / "disclosure-preview.png"), full_page=True)
    page.get_by_role("button", name="公开这些事项").click()
    assert "已公开 2 项" in page.content()
    assert Publication.objects.filter(status="published").count() == 2
