"""Browser: the public unit page on a 390 px phone, summary first, searched from the top."""

import pytest


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_phone_reader_sees_the_summary_first_and_can_search(live_server, page, screenshot_dir, cast, published_world):
    from disclosure.services import snapshot_take

    snapshot_take(actor=cast.user("office"), campaign=published_world.campaign)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/public/i/{cast.college.public_code}/")
    assert (
        page.locator(".pub-summary").is_visible()
        and page.get_by_role("link", name="最新快照", exact=False).is_visible()
    )
    page.screenshot(path=str(screenshot_dir / "public-unit-phone-top.png"), full_page=False)
    page.screenshot(path=str(screenshot_dir / "public-unit-phone-full.png"), full_page=True)
    page.get_by_placeholder("搜索问题和整改措施").fill("排课")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**q=*")
    assert page.get_by_text("排课系统长期不更新").first.is_visible()
    assert page.locator("#problems").get_by_text("报销审核周期过长").count() == 0
    page.screenshot(path=str(screenshot_dir / "public-unit-phone-search.png"), full_page=True)
