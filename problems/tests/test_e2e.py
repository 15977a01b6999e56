"""A service user scans a unit's poster, gives an opinion on a phone, and follows it by receipt code."""

import re

import pytest

from problems.models import Opinion


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_takes_an_opinion_on_a_phone_and_shows_what_became_of_it(
    live_server, browser, cast, campaign, screenshot_dir
):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/o/{cast.dept_a.public_code}/")
    assert "教务处" in page.inner_text("main")

    page.get_by_label("您的意见建议").fill("考务科办理成绩更正手续要跑三趟，希望一次办结。<script>alert(1)</script>")
    question = page.locator("form strong").inner_text()
    a, b = (int(n) for n in re.findall(r"\d+", question))
    page.get_by_label(re.compile("验证问题")).fill(str(a + b))
    page.screenshot(path=str(screenshot_dir / "problems-opinion-form-phone.png"), full_page=True)
    # Submitted as a phone's "Go" key does. (A mouse click on the button, which sits near the bottom of
    # the screen under the anonymity promise, is taken by the form in headless Chromium: mousedown and
    # mouseup land on different elements; a tap or Enter submits.)
    page.get_by_label(re.compile("验证问题")).press("Enter")

    page.wait_for_selector(".receipt-code")
    code = page.locator(".receipt-code").inner_text().strip()
    opinion = Opinion.objects.get(receipt_code=code)
    assert opinion.unit == cast.dept_a and opinion.submitter is None and opinion.status == Opinion.Status.NEW
    assert "<script>" not in opinion.content
    page.screenshot(path=str(screenshot_dir / "problems-opinion-receipt-phone.png"), full_page=True)

    page.get_by_role("link", name=re.compile("回执码")).click()
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name=re.compile("查询")).click()
    body = page.inner_text("main")
    assert "考务科办理成绩更正手续要跑三趟" in body
    assert opinion.get_status_display() in body
    page.screenshot(path=str(screenshot_dir / "problems-opinion-lookup-phone.png"), full_page=True)
    context.close()
