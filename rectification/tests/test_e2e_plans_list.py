"""Browser test: the city office pages through the plans of the city, finds a unit's plans with the filter,
in Chinese and in English."""

from datetime import date

import pytest

from conftest import build_campaign, log_in
from rectification import views


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_city_office_pages_through_the_plans_and_finds_a_units_plans(live_server, page, screenshot_dir, cast):
    from rectification import services

    office = cast.user("office")
    campaign = build_campaign(cast)
    for i in range(views.PLANS_PER_PAGE + 5):
        unit = cast.dept_a if i % 2 else cast.dept_b
        plan = services.plan_create(actor=office, campaign=campaign, unit=unit, title=f"{unit.name}整改方案{i + 1}")
        services.measure_create(
            actor=office, plan=plan, content=f"措施{i + 1}", goal="目标", owner=cast.head_b, deadline=date(2030, 1, 1)
        )
    other = build_campaign(
        cast, actor="outsider", institution=cast.other, units=[cast.other, cast.other_dept], name="考试院2026年自查整改"
    )
    services.plan_create(actor=cast.user("outsider"), campaign=other, unit=cast.other_dept, title="考务处整改方案")
    total = views.PLANS_PER_PAGE + 6

    log_in(page, live_server, cast.city_official)
    page.goto(f"{live_server.url}/rectification/")
    assert f"共{total}个整改方案" in page.content()
    assert page.locator("#plans tbody tr").count() == views.PLANS_PER_PAGE
    pager = page.locator("nav.pagination")
    assert "第 1 页，共 2 页" in pager.inner_text()
    page.screenshot(path=str(screenshot_dir / "rectification-plans-city-page1-zh.png"), full_page=True)

    pager.get_by_role("link", name="下一页").click()
    page.wait_for_url("**page=2")
    assert "第 2 页，共 2 页" in page.locator("nav.pagination").inner_text()
    assert "考务处整改方案" in page.content()  # the other institution's campaign comes last
    page.screenshot(path=str(screenshot_dir / "rectification-plans-city-page2-zh.png"), full_page=True)

    page.locator("details.filters summary").click()
    page.locator("select[name=unit]").select_option(value=str(cast.dept_a.pk))
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**unit=*")
    rows = page.locator("#plans tbody tr")
    assert rows.count() == (views.PLANS_PER_PAGE + 5) // 2 and "财务处整改方案" not in page.content()
    page.screenshot(path=str(screenshot_dir / "rectification-plans-city-filtered-zh.png"), full_page=True)

    page.goto(f"{live_server.url}/rectification/")
    page.locator("header li.wide-only .langswitch button").filter(has_text="English").click()
    page.wait_for_selector("text=Page 1 of 2")
    assert f"{total} plans" in page.content()
    page.screenshot(path=str(screenshot_dir / "rectification-plans-city-page1-en.png"), full_page=True)
    page.locator("nav.pagination").get_by_role("link", name="Next").click()
    page.wait_for_selector("text=Page 2 of 2")
    page.screenshot(path=str(screenshot_dir / "rectification-plans-city-page2-en.png"), full_page=True)
