"""Browser test (Chinese): the office uploads a messy district ledger, reads the preview, imports it,
links the names kept as text on the 未关联 screen and sees the dashboard; screenshots of each."""

import pytest

from conftest import build_campaign, build_cast, log_in

from .ledger_files import district_ledger


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_imports_a_ledger_in_the_browser(live_server, page, screenshot_dir, tmp_path, settings):
    from rectification.models import Measure

    settings.MEDIA_ROOT = tmp_path / "media"
    cast = build_cast()
    campaign = build_campaign(cast)
    ledger = tmp_path / "江城区整改台账.xlsx"
    ledger.write_bytes(district_ledger())
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, cast.office)
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
    from problems.services import taxonomy_ensure
    from rectification.models import Measure

    from .ledger_files import large_ledger

    taxonomy_ensure()
    settings.MEDIA_ROOT = tmp_path / "media"
    cast = build_cast()
    campaign = build_campaign(cast)
    ledger = tmp_path / "全区整改台账（汇总）.xlsx"
    ledger.write_bytes(large_ledger(400))
    page.set_viewport_size({"width": 1366, "height": 900})
    with override_settings(TASKS=DB_TASKS):
        log_in(page, live_server, cast.office)
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
