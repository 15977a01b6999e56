"""Browser test (Chinese): the person responsible reports progress with evidence and asks for close-out;
the department head verifies it (销号)."""

from datetime import date

import pytest

from conftest import build_campaign, log_in
from rectification import samples


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_reports_progress_with_evidence_and_gets_the_measure_verified(
    live_server, page, screenshot_dir, tmp_path, cast
):
    from rectification import services
    from rectification.models import Measure

    office = cast.user("office")
    campaign = build_campaign(cast, units=[cast.college, cast.dept_a])
    plan = services.plan_create(actor=office, campaign=campaign, unit=cast.dept_a, title="教务处整改方案")
    m = services.measure_create(
        actor=office,
        plan=plan,
        content="规范调停课审批流程",
        goal="调停课全部线上审批",
        owner=cast.cadre_a,
        deadline=date(2030, 12, 20),
    )
    services.plan_submit(actor=office, plan=plan)
    plan.refresh_from_db()
    services.plan_approve(actor=cast.user("supervisor"), plan=plan)

    log_in(page, live_server, cast.cadre_a)
    page.get_by_role("link", name="整改落实").first.click()
    assert "我的整改措施" in page.content()
    page.screenshot(path=str(screenshot_dir / "rectification-index-zh.png"), full_page=True)
    page.get_by_role("link", name="规范调停课审批流程").click()
    page.get_by_label("已做工作").fill("调停课审批已全部上线运行")
    page.get_by_label("完成进度（%）").fill("100")
    evidence = tmp_path / "审批记录.pdf"
    evidence.write_bytes(samples.pdf_bytes("records"))
    page.get_by_label("佐证材料").first.set_input_files(str(evidence))
    page.get_by_role("button", name="报告", exact=True).click()
    assert "进展已报告" in page.content() and "审批记录.pdf" in page.content()
    page.get_by_role("button", name="申请销号").click()
    assert "已申请销号" in page.content()
    page.screenshot(path=str(screenshot_dir / "rectification-measure-owner-zh.png"), full_page=True)

    log_in(page, live_server, cast.head_a)
    page.goto(f"{live_server.url}/rectification/measures/{m.pk}/")
    page.locator("form[action$='/verify/'] select[name=decision]").select_option("verify")
    page.locator("form[action$='/verify/'] textarea[name=comment]").fill("经核验，整改到位")
    page.locator("form[action$='/verify/'] button[type=submit]").click()
    assert "措施已核验销号" in page.content()
    page.screenshot(path=str(screenshot_dir / "rectification-measure-verified-zh.png"), full_page=True)
    assert Measure.objects.get(pk=m.pk).status == "verified"
