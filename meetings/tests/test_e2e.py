"""Browser walk (Chinese): the secretary records the meeting on one screen; the checklist says why not yet."""

import pytest
from playwright.sync_api import expect

from conftest import log_in_by_session

from .conftest import prepare


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_checklist_with_what_is_missing(cast, meeting, live_server, page, screenshot_dir):
    from meetings import services

    services.opinions_route(actor=cast.user("office"), meeting=meeting)
    m = meeting.members.get(person=cast.member_a)
    services.material_save(actor=cast.user("member_a"), member=m, kind="text", text="对照检查材料")
    log_in_by_session(page, live_server, cast.user("office"))
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    checklist = page.locator("#checklist")
    assert "会前准备清单" in checklist.inner_text()
    assert "干部孙七尚未提交对照检查材料" in checklist.inner_text()
    assert "教务处仍处于集中排查阶段" in checklist.inner_text()
    # record a talk through HTMX: the checklist refreshes itself
    page.select_option("#talks select[name=talker]", label="处长张三（教务处）")
    page.select_option("#talks select[name=talkee]", label="干部孙七（教务处）")
    page.fill("#talks input[name=talked_on]", "2026-11-02")
    page.fill("#talks textarea[name=gist]", "交流了考务工作中存在的问题")
    page.click("#talks button[type=submit]")
    page.wait_for_selector("text=交流了考务工作中存在的问题")
    expect(page.locator("#checklist")).not_to_contain_text("尚无与干部孙七的谈心谈话记录")
    expect(page.locator("#checklist")).to_contain_text("尚无与副处长赵六的谈心谈话记录")
    page.screenshot(path=str(screenshot_dir / "meetings-checklist.png"), full_page=True)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_records_the_meeting_on_one_screen(cast, meeting, live_server, page, screenshot_dir):
    prepare(cast, meeting)
    page.set_viewport_size({"width": 1366, "height": 900})  # a laptop
    log_in_by_session(page, live_server, cast.user("staff_a"))  # the secretary
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/record/")
    rows = {name: page.locator(".att-row", has_text=name) for name in ("处长张三", "副处长赵六", "干部孙七")}
    rows["处长张三"].locator("input[value=present]").check()
    page.wait_for_selector("#quorum >> text=1/3")
    rows["副处长赵六"].locator("input[value=present]").check()
    page.wait_for_selector("#quorum >> text=2/3")
    assert "达到法定人数" in page.locator("#quorum").inner_text()
    rows["干部孙七"].locator("input[value=absent]").check()
    page.wait_for_selector("text=请填写缺席原因")
    page.locator(".att-row", has_text="干部孙七").locator("input[name=reason]").fill("外出参加培训")
    page.locator(".att-row", has_text="干部孙七").locator("button").click()
    page.wait_for_selector("#quorum >> text=缺席1人")
    sc = page.locator(".selfcrit", has_text="处长张三")
    sc.locator("textarea").fill("服务意识不强，深入一线调研不够。")
    sc.locator("button").click()
    page.wait_for_selector(".selfcrit >> text=已保存")
    form = page.locator("#criticisms form").first
    form.locator("select[name=from_person]").select_option(label="副处长赵六（教务处）")
    form.locator("select[name=to_person]").select_option(label="处长张三（教务处）")
    form.locator("textarea").fill("听取教师意见不够主动。")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#criticisms >> text=听取教师意见不够主动")
    page.locator("#problems textarea").fill("考务安排临时变更多，师生意见大。")
    page.locator("#problems button[type=submit]").click()
    page.wait_for_selector("#problems >> text=考务安排临时变更多")
    page.wait_for_selector("#measures >> text=考务安排临时变更多")  # the measure form now offers the problem
    page.locator("#measures textarea").fill("建立考务变更审批制度，提前一周公布安排。")
    page.locator("#measures select[name=person]").select_option(label="副处长赵六（教务处）")
    page.locator("#measures input[name=problems]").first.check()
    page.locator("#measures button[type=submit]").click()
    page.wait_for_selector("#measures >> text=建立考务变更审批制度")
    page.screenshot(path=str(screenshot_dir / "meetings-record.png"), full_page=True)

    meeting.refresh_from_db()
    assert meeting.criticisms.get().content == "听取教师意见不够主动。"
    assert meeting.problems.get().channel == "life_meeting"
    page.click("text=登记会议已召开")
    page.wait_for_selector("text=已登记会议召开")
    meeting.refresh_from_db()
    assert meeting.status == "held"
