"""Browser test (Chinese): the campaign office opens 销号核验, ticks two of three close-out requests, verifies
them with one comment in one action (the list is swapped in place) and finds them under 已办. The new
deadline is asked only when returning. Wide screen and phone."""

import pytest

from conftest import apply_to_ticked, log_in


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_verifies_two_ticked_closeouts_with_one_comment(
    live_server, browser, screenshot_dir, cast, campaign
):
    from rectification.models import CloseoutReview, Measure
    from rectification.tests.test_bulk_closeout import waiting

    ms = waiting(cast, campaign, cast.dept_a, cast.cadre_a, "supervisor", 3)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, cast.office)
    page.goto(f"{live_server.url}/rectification/")
    page.get_by_role("link", name="销号核验").first.click()
    page.wait_for_url("**/rectification/closeouts/")
    assert page.locator('input[name="measures"]').count() == 3
    deadline = page.get_by_label("新的完成时限")
    assert deadline.is_hidden()  # verifying needs no new deadline
    page.get_by_label("处理方式").select_option("return")
    assert deadline.is_visible()
    page.get_by_label("处理方式").select_option("verify")
    assert deadline.is_hidden()

    page.get_by_label(ms[0].content).check()
    page.get_by_label(ms[2].content).check()
    assert page.locator("[data-selected-count] output").inner_text() == "2"
    page.get_by_label("意见 / 退回理由").fill("佐证材料齐全，目标已达成")
    page.screenshot(path=str(screenshot_dir / "rectification-bulk-closeout-1366.png"), full_page=True)
    apply_to_ticked(page, "2 项整改措施已核验销号")
    assert page.url.endswith("/rectification/closeouts/")  # swapped in place
    assert page.locator('input[name="measures"]').count() == 1
    assert [Measure.objects.get(pk=m.pk).status for m in ms] == ["verified", "closeout_requested", "verified"]
    reviews = CloseoutReview.objects.filter(measure__in=[ms[0], ms[2]])
    assert sorted(r.comment for r in reviews) == ["佐证材料齐全，目标已达成"] * 2

    page.get_by_role("link", name="已办").click()
    page.wait_for_url("**/rectification/closeouts/?tab=done")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    for m in (ms[0], ms[2]):
        row = rows.filter(has_text=m.content)
        assert "已核验销号" in row.inner_text() and "佐证材料齐全" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "rectification-bulk-closeout-done-1366.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/rectification/closeouts/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the bar wraps on a phone
    page.screenshot(path=str(screenshot_dir / "rectification-bulk-closeout-390.png"), full_page=True)
    context.close()
