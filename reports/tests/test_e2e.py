"""Browser walk (Chinese): a cadre writes and submits a report; the department head approves it."""

import pytest

from conftest import log_in_by_session


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_walks_a_report_from_draft_to_approval(cast, campaign, live_server, page, screenshot_dir):
    from reports.models import SelfReport

    log_in_by_session(page, live_server, cast.user("cadre_a"))
    page.goto(f"{live_server.url}/reports/")
    page.click("text=开始撰写")
    page.fill("textarea[name=method]", "对照“十种表现”逐条自查，征求服务对象意见。")
    page.fill("textarea[name=problems_and_causes]", "办事效率不高，原因是责任心不强。")
    page.fill("textarea[name=measures]", "1. 推行限时办结制。")
    page.click("text=保存草稿")
    assert "草稿已保存" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "reports-editor.png"), full_page=True)
    page.click("text=保存并提交审定")
    assert "已提交审定" in page.inner_text("main")
    report = SelfReport.objects.get(person=cast.cadre_a)
    assert report.status == "submitted" and report.reviewer == cast.user("head_a")

    log_in_by_session(page, live_server, cast.user("head_a"))
    page.goto(f"{live_server.url}/reports/queue/")
    page.click(f"text={report.title}")
    page.check("input[name=decision][value=approved]")
    page.fill("textarea[name=comment]", "同意，措施具体。")
    page.screenshot(path=str(screenshot_dir / "reports-review.png"), full_page=True)
    page.click("text=提交审定意见")
    assert "审定意见已记录" in page.inner_text("main")
    report.refresh_from_db()
    assert report.status == "approved" and report.reviews.get().comment == "同意，措施具体。"
