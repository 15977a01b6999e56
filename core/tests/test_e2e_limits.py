"""Browser walk of the limits a person can meet: the log-in asks to wait (never locks), and a voting hall
over its allowance of wrong codes answers a check question and still votes."""

from pathlib import Path

import pytest

from conftest import PASSWORD
from core.ratelimit import store

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "limits"  # git-ignored


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_asks_to_wait_after_failed_log_ins_and_lets_the_right_password_in_later(live_server, page, settings):
    from conftest import build_cast

    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.LOGIN_FREE_PER_ACCOUNT_ADDRESS = 2
    cast = build_cast()
    for width, name in [(1280, "desktop"), (390, "phone")]:
        page.set_viewport_size({"width": width, "height": 800})
        for _ in range(4):
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("工号").fill(cast.cadre_a.staff_no)
            page.get_by_label("密码").fill("wrong-password")
            page.get_by_role("button", name="登录").click()
        assert "登录失败次数过多" in page.content() and "秒" in page.content()
        page.screenshot(path=str(SHOTS / f"login-wait-{name}.png"), full_page=True)
        store().clear()  # the next viewport starts with fresh counters
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill(cast.cadre_a.staff_no)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # not locked: the right password works


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_lets_a_voter_in_a_busy_hall_answer_a_check_and_vote(live_server, page, settings):
    from core import humancheck

    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.BALLOT_CODE_FAILS_PER_ADDRESS = 1
    for width, name in [(1280, "desktop"), (390, "phone")]:
        page.set_viewport_size({"width": width, "height": 800})
        for code in ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "ZZZZ-ZZZZ-ZZZZ-ZZZY"):
            page.goto(f"{live_server.url}/v/")
            page.locator("input[name=code]").fill(code)
            page.get_by_role("button", name="开始评议").click()
        assert "验证问题" in page.content()
        page.screenshot(path=str(SHOTS / f"ballot-check-{name}.png"), full_page=True)
        token = page.locator("input[name=hc_token]").get_attribute("value")
        page.locator("input[name=hc_answer]").fill(str(humancheck.answer_for_tests(token)))
        page.get_by_role("button", name="开始评议").click()
        assert "验证问题" not in page.content()  # answered: the code was looked up (and is unknown)
        store().clear()
