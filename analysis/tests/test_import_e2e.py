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


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_watches_a_ledger_being_read_and_imported_in_the_background(
    live_server, page, screenshot_dir, tmp_path, settings
):
    """With the real background backend: the upload returns at once to the progress page (rows of total,
    the stage), which reloads itself into the preview when the worker is done; the import the same way."""
    from django.test import override_settings

    from analysis.models import LedgerImport
    from analysis.tests.conftest import DB_TASKS, run_next_task
    from conftest import build_cast
    from problems.services import taxonomy_ensure
    from rectification.models import Measure

    from .ledger_files import large_ledger

    taxonomy_ensure()
    settings.MEDIA_ROOT = tmp_path / "media"
    cast = build_cast()
    from conftest import build_campaign

    campaign = build_campaign(cast)
    ledger = tmp_path / "全区整改台账（汇总）.xlsx"
    ledger.write_bytes(large_ledger(400))
    page.set_viewport_size({"width": 1366, "height": 900})
    with override_settings(TASKS=DB_TASKS):
        _login(page, live_server, cast.people["office"])
        page.goto(f"{live_server.url}/analysis/campaign/{campaign.pk}/import/")
        page.set_input_files("input[type=file]", str(ledger))
        page.get_by_role("button", name="上传并预览").click()
        page.wait_for_selector("#import-progress")
        assert page.locator("text=正在读取并检查各行").count() == 1
        assert page.get_by_role("button", name="刷新").count() == 1
        page.screenshot(path=str(screenshot_dir / "ledger-import-progress.png"), full_page=True)
        imp = LedgerImport.objects.get()
        # the worker reads the rows (the page is left meanwhile: in-memory SQLite locks a table a poll reads);
        # back on the page the preview is shown (the poll's reload is tested in test_import_jobs)
        url = page.url
        page.goto("about:blank")
        run_next_task()
        page.goto(url)
        page.wait_for_selector("table.preview")
        assert page.locator("text=问题1：制度执行不到位").count() >= 1
        page.screenshot(path=str(screenshot_dir / "ledger-import-preview-after-background.png"), full_page=True)
        page.get_by_role("button", name="全部导入").click()
        page.wait_for_selector("#import-progress")
        assert page.locator("text=正在导入").count() >= 1
        page.screenshot(path=str(screenshot_dir / "ledger-import-committing.png"), full_page=True)
        page.goto("about:blank")
        run_next_task()
        page.goto(url)
        page.wait_for_selector("text=整改措施400项")
    imp.refresh_from_db()
    assert imp.status == LedgerImport.Status.IMPORTED and Measure.objects.filter(plan__campaign=campaign).count() == 400
    page.screenshot(path=str(screenshot_dir / "ledger-import-done.png"), full_page=True)
