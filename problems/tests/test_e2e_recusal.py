"""Browser: the promise on the phone form and receipt; the 分管 leader's triage list with a 回避 item."""

import re

import pytest

from problems.models import Opinion


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_routes_an_opinion_naming_the_head_to_the_supervising_leader(
    live_server, browser, cast, campaign, screenshot_dir
):
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{live_server.url}/o/{cast.dept_a.public_code}/")
    assert "不保存您的姓名、账号、IP地址" in page.inner_text("main")
    page.get_by_label("您的意见建议").fill("教务处处长张三经常不在岗，学生办事找不到人")
    a, b = (int(n) for n in re.findall(r"\d+", page.locator("form strong").inner_text()))
    page.get_by_label(re.compile("验证问题")).fill(str(a + b))
    page.screenshot(path=str(screenshot_dir / "anon-opinion-form-phone.png"), full_page=True)
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector(".receipt-code, .errorlist", timeout=150_000)
    page.screenshot(path=str(screenshot_dir / "anon-opinion-after-submit-phone.png"), full_page=True)
    page.wait_for_selector(".receipt-code", timeout=5_000)
    body = page.inner_text("main")
    assert "教务处的分管领导（回避）" in body and "副院长李华" not in body
    page.screenshot(path=str(screenshot_dir / "anon-opinion-receipt-phone.png"), full_page=True)
    phone.close()

    opinion = Opinion.objects.get()
    laptop = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = laptop.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast.supervisor.staff_no)
    page.fill("input[name=password]", "Test-pass-2026")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.goto(f"{live_server.url}/problems/opinions/")
    row = page.inner_text("main")
    assert opinion.receipt_code in row and "回避" in row and "处长张三" in row
    page.screenshot(path=str(screenshot_dir / "anon-triage-supervisor-recusal.png"), full_page=True)
    laptop.close()
