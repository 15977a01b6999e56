"""Browser test (Chinese): the office uploads a messy district ledger, reads the preview, imports it,
links the names kept as text on the 未关联 screen and sees the dashboard; screenshots of each."""

from datetime import date

import pytest

from conftest import PASSWORD

from .ledger_files import district_ledger


def _login(page, live_server, person):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill(person.staff_no)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_imports_a_ledger_in_the_browser(live_server, page, screenshot_dir, tmp_path, settings):
    from campaigns.services import campaign_activate, campaign_create
    from conftest import build_cast
    from rectification.models import Measure

    settings.MEDIA_ROOT = tmp_path / "media"
    cast = build_cast()
    office = cast.user("office")
    campaign = campaign_activate(
        actor=office,
        campaign=campaign_create(
            actor=office,
            institution=cast.college,
            units=[cast.college, cast.dept_a, cast.dept_b],
            name="2026年自查整改",
            start_date=date(2026, 9, 1),
            finding_due=date(2026, 10, 15),
            meeting_due=date(2026, 11, 15),
            evaluation_due=date(2026, 12, 15),
            rectification_due=date(2027, 3, 1),
            milestone_3m=date(2026, 12, 1),
            milestone_6m=date(2027, 3, 1),
        ),
    )
    ledger = tmp_path / "江城区整改台账.xlsx"
    ledger.write_bytes(district_ledger())
    page.set_viewport_size({"width": 1366, "height": 900})
    _login(page, live_server, cast.people["office"])
    page.goto(f"{live_server.url}/analysis/campaign/{campaign.pk}/import/")
    page.set_input_files("input[type=file]", str(ledger))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_selector("table.preview")
    assert page.locator("text=理论学习流于形式").count() >= 1
    assert page.locator("mark", has_text="未关联").count() >= 2
    page.screenshot(path=str(screenshot_dir / "ledger-import-preview.png"), full_page=True)
    page.get_by_role("button", name="全部导入").click()
    page.wait_for_load_state()
    assert Measure.objects.filter(plan__campaign=campaign).count() == 5

    page.goto(f"{live_server.url}/analysis/campaign/{campaign.pk}/names/")
    assert page.locator("text=党委书记").count() >= 1
    page.screenshot(path=str(screenshot_dir / "ledger-names-unlinked.png"), full_page=True)
    page.locator("tr", has_text="党委书记").get_by_role("button", name="全部关联到此人").click()
    page.wait_for_load_state()
    assert Measure.objects.get(import_row=6).owner == cast.principal

    page.goto(f"{live_server.url}/analysis/campaign/{campaign.pk}/")
    page.wait_for_selector(".cards")
    assert page.locator("text=40.00%").count() >= 1  # 2 of 5 measures done, with 2/5 beside it
    page.screenshot(path=str(screenshot_dir / "ledger-dashboard.png"), full_page=True)
