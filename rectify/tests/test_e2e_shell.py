"""Browser walk of the shell, in Chinese: each role's home, the first log-in with its forced password
change, the office's navigation on a laptop and on a 390 px phone, the campaign switcher, the log-in
slips and the QR poster rendered to PNG. Screenshots go to test-artifacts/screenshots/."""

import subprocess
from datetime import date

import pytest

from conftest import build_campaign, build_cast, log_in


def campaign_of(cast):
    """The cast's campaign with every deadline two months later than build_campaign's."""
    return build_campaign(
        cast,
        finding_due=date(2026, 12, 15),
        meeting_due=date(2027, 1, 15),
        evaluation_due=date(2027, 2, 15),
        rectification_due=date(2027, 5, 1),
        milestone_3m=date(2027, 2, 1),
        milestone_6m=date(2027, 5, 1),
    )


def pdf_to_png(data: bytes, path) -> None:
    pdf = path.with_suffix(".pdf")
    pdf.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(path.with_suffix(""))],
        check=True,
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_each_role_finds_its_work_and_a_new_user_sets_a_password(live_server, page, screenshot_dir):
    from evaluations.models import Evaluation, EvaluatorGroup
    from orgs.services import login_issue
    from problems.models import Opinion
    from problems.services import opinion_enter

    cast = build_cast()
    campaign = campaign_of(cast)
    for text in ("窗口办事要跑多次，材料反复退回", "考务通知发布太晚，监考安排临时变动", "报销审核周期过长"):
        opinion_enter(
            actor=cast.user("office"),
            campaign=campaign,
            unit=cast.dept_a,
            content=text,
            source=Opinion.Source.SYMPOSIUM,
        )
    ev = Evaluation.objects.create(campaign=campaign, name="2026年度民主评议")
    EvaluatorGroup.objects.create(evaluation=ev, name="教职工代表")
    url = live_server.url

    # Each role's home: 待办 with deadlines, one click from the page that does the work.
    for key in ("cadre_a", "head_a", "office", "principal", "city_official"):
        log_in(page, live_server, cast.people[key])
        assert page.locator("h2", has_text="待办").is_visible()
        page.screenshot(path=str(screenshot_dir / f"shell-home-{key}.png"), full_page=True)
        if key == "cadre_a":
            page.get_by_role("link", name="对照“十种表现”开展自查（对照自查）").click()
            page.wait_for_url(f"{url}/problems/self-check/")
            page.screenshot(path=str(screenshot_dir / "shell-cadre-self-check.png"), full_page=True)

    # The office's navigation: a side menu grouped by stage on a laptop…
    log_in(page, live_server, cast.office)
    page.goto(f"{url}/problems/opinions/")
    assert page.locator("aside.sidenav").is_visible()
    assert page.locator(".sidenav-group", has_text="集中排查问题").is_visible()
    page.screenshot(path=str(screenshot_dir / "shell-nav-laptop-opinions.png"), full_page=True)
    # …and a compact menu on a 390 px phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/")
    assert not page.locator("aside.sidenav").is_visible()
    page.screenshot(path=str(screenshot_dir / "shell-phone-home.png"), full_page=False)
    page.locator("details.navmenu > summary").click()
    assert page.locator(".navmenu").get_by_role("link", name="意见建议").is_visible()
    page.screenshot(path=str(screenshot_dir / "shell-phone-menu-open.png"), full_page=False)
    page.set_viewport_size({"width": 1280, "height": 800})

    # The first log-in: the site's own page, the issued password refused, then home.
    _user, issued = login_issue(actor=cast.user("office"), person=cast.staff_a)
    log_in(page, live_server, cast.staff_a, issued, home=False)
    page.wait_for_url(f"{url}/accounts/password/")
    assert "Django" not in page.content()
    page.screenshot(path=str(screenshot_dir / "shell-first-login-password.png"), full_page=True)
    page.get_by_label("旧密码").fill(issued)
    page.get_by_label("新密码", exact=True).fill(issued)
    page.get_by_label("新密码确认").fill(issued)
    page.get_by_role("button", name="保存新密码").click()
    assert page.get_by_text("不能与当前登录所用的密码").is_visible()
    page.screenshot(path=str(screenshot_dir / "shell-first-login-refused.png"), full_page=True)
    new = "Hu-bei-2026-qing"
    page.get_by_label("旧密码").fill(issued)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("新密码确认").fill(new)
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(f"{url}/")
    assert page.get_by_text("密码已修改").is_visible()
    page.screenshot(path=str(screenshot_dir / "shell-first-login-home.png"), full_page=True)

    # The error pages in the site's style.
    page.goto(f"{url}/orgs/")
    page.screenshot(path=str(screenshot_dir / "shell-403.png"), full_page=True)
    page.goto(f"{url}/no-such-page/")
    page.screenshot(path=str(screenshot_dir / "shell-404.png"), full_page=True)

    # Bulk accounts page, slips PDF and the QR poster as PNG.
    log_in(page, live_server, cast.office)
    page.goto(f"{url}/orgs/accounts/")
    page.screenshot(path=str(screenshot_dir / "shell-accounts.png"), full_page=True)
    from orgs.services import person_create

    for i in range(5):
        person_create(
            actor=None, name=["李明", "王芳", "张伟", "刘洋", "陈晨"][i], staff_no=f"X{i:03d}", unit=cast.dept_a
        )
    page.get_by_label("单位").select_option(str(cast.dept_a.pk))
    with page.expect_download() as download:
        page.get_by_role("button", name="开通账号并下载登录单（PDF）").click()
    pdf_to_png(open(download.value.path(), "rb").read(), screenshot_dir / "shell-login-slips.png")
    poster = page.request.get(f"{url}/problems/posters/{cast.dept_a.pk}.pdf")
    pdf_to_png(poster.body(), screenshot_dir / "shell-poster.png")
