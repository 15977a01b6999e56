"""Browser test (Chinese): a member of the public rates a service desk on a phone, gets a receipt code
and follows the case; the office enters a phone reply and reads the monthly figures and rankings."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import log_in
from servicerating import services
from servicerating.models import Case


def _history(cast, office):
    """Last month's ratings of three desks, released, so the figures pages have something to show."""
    services.config_update(
        actor=office,
        institution=cast.college,
        star_grades={"1": "unsatisfied", "2": "unsatisfied", "3": "basic", "4": "satisfied", "5": "satisfied"},
        min_ratings=5,
        rate_counts_basic=True,
        case_due_days=15,
        phone_hint="027-8888 0000",
    )
    points = {u: services.point_enable(actor=office, unit=u) for u in (cast.dept_a, cast.dept_b, cast.section_a)}
    day = timezone.localdate().replace(day=1) - timedelta(days=20)
    plan = {cast.dept_a: [5, 5, 4, 4, 3, 1, 5, 2], cast.dept_b: [5, 4, 4, 3, 3, 5], cast.section_a: [5, 1, 4]}
    for unit, stars in plan.items():
        for s in stars:
            services.rating_submit(point=points[unit], stars=s, reason="排队时间太长" if s < 3 else "", rated_on=day)
    services.ratings_release()
    return points, day


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_phone_user_rates_and_the_office_reads_the_figures(live_server, browser, cast, screenshot_dir):
    cache.clear()
    office = cast.user("office")
    points, last_month = _history(cast, office)

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = phone.new_page()
    page.goto(f"{live_server.url}/s/{points[cast.dept_a].code}/")
    assert "教务处" in page.inner_text("main") and "江城职业技术学院" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "servicerating-rate-phone.png"), full_page=True)
    star = page.locator("label[for=stars-1]")
    box = star.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a finger-sized target
    star.click()
    page.get_by_label("哪里做得不好").fill("成绩单打印要排队一个小时，只开了一个窗口。")
    page.screenshot(path=str(screenshot_dir / "servicerating-rate-filled-phone.png"), full_page=True)
    page.get_by_role("button", name="提交评价").click()
    code = page.locator(".sr-receipt").inner_text().strip()
    assert len(code) == 12
    page.screenshot(path=str(screenshot_dir / "servicerating-thanks-phone.png"), full_page=True)

    services.ratings_release(today=timezone.localdate() + timedelta(days=1))  # the next morning
    page.get_by_role("button", name="查询处理结果").click()
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="查询").click()
    body = page.inner_text("main")
    assert "调查中" in body and "成绩单打印要排队" in body and "江城职业技术学院" in body
    page.screenshot(path=str(screenshot_dir / "servicerating-receipt-phone.png"), full_page=True)

    laptop = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = laptop.new_page()
    log_in(page, live_server, cast.office)
    page.goto(f"{live_server.url}/servicerating/entry/")
    page.get_by_label("单位").select_option(label=f"财务处 ({points[cast.dept_b].short_code})")
    page.get_by_text("3 不满意").click()
    page.get_by_label("原因").fill("电话反映：报销审核退回三次，每次理由不同。")
    page.get_by_role("button", name="录入回复").click()
    page.screenshot(path=str(screenshot_dir / "servicerating-entry.png"), full_page=True)
    assert page.locator(".sr-receipt").inner_text().strip()
    page.screenshot(path=str(screenshot_dir / "servicerating-entry.png"), full_page=True)

    month = f"{last_month.year}-{last_month.month:02d}"
    page.goto(f"{live_server.url}/servicerating/figures/?institution={cast.college.pk}&kind=month&period={month}")
    body = page.inner_text("main")
    assert "75.00%" in body and "(6/8)" in body and "样本不足" in body  # 教务处 6 of 8; 考务科 3 < 5
    page.screenshot(path=str(screenshot_dir / "servicerating-figures.png"), full_page=True)
    page.goto(f"{live_server.url}/servicerating/rankings/?institution={cast.college.pk}&kind=month&period={month}")
    assert "满意度最高" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "servicerating-rankings.png"), full_page=True)
    page.goto(f"{live_server.url}/servicerating/")
    page.screenshot(path=str(screenshot_dir / "servicerating-index.png"), full_page=True)
    case = Case.objects.get(unit=cast.dept_a, reason__startswith="成绩单")
    page.goto(f"{live_server.url}/servicerating/cases/{case.pk}/")
    page.screenshot(path=str(screenshot_dir / "servicerating-case.png"), full_page=True)
    page.goto(f"{live_server.url}/servicerating/settings/")
    page.screenshot(path=str(screenshot_dir / "servicerating-settings.png"), full_page=True)

    page = phone.new_page()
    log_in(page, live_server, cast.office)
    page.goto(f"{live_server.url}/servicerating/entry/")
    page.screenshot(path=str(screenshot_dir / "servicerating-entry-phone.png"), full_page=True)
    phone.close()
    laptop.close()
