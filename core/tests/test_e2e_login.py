"""Browser test: a campaign-office member logs in through the Chinese login page and looks around."""

import pytest

from conftest import PASSWORD


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_logs_in_in_chinese_and_shows_the_home_page(live_server, page, screenshot_dir):
    from conftest import build_cast

    cast = build_cast()
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "登录"
    page.screenshot(path=str(screenshot_dir / "login-zh.png"), full_page=True)
    page.get_by_label("工号").fill(cast.office.staff_no)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "待办" in page.content() and "我的单位" in page.content()
    assert page.get_by_role("link", name="组织机构").is_visible()
    page.screenshot(path=str(screenshot_dir / "home-zh.png"), full_page=True)

    for name, path in [
        ("orgs", "/orgs/"),
        ("people", "/orgs/people/"),
        ("audit", "/audit/"),
        ("import", "/orgs/import/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").first.is_visible()
        page.screenshot(path=str(screenshot_dir / f"{name}-zh.png"), full_page=True)
    page.goto(f"{live_server.url}/orgs/units/{cast.dept_a.pk}/")
    page.screenshot(path=str(screenshot_dir / "unit-zh.png"), full_page=True)
    page.goto(f"{live_server.url}/orgs/people/{cast.cadre_a.pk}/")
    page.screenshot(path=str(screenshot_dir / "person-zh.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())  # "reset the password?" confirmation
    page.get_by_role("button", name="重置密码").click()
    page.wait_for_load_state()
    assert "此密码只显示这一次" in page.content()
    page.screenshot(path=str(screenshot_dir / "password-slip-zh.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/")
    page.screenshot(path=str(screenshot_dir / "home-phone.png"), full_page=True)
