"""Browser test (Chinese): the campaign office ticks several opinions on the list and closes them with one
reason in one action; the list is swapped in place with the summary (HTMX). Wide screen and phone. Each
decision shows only the fields it needs; accepting turns the ticked ones into problems of the chosen unit."""

import pytest

from conftest import apply_to_ticked, build_campaign, build_cast, log_in
from problems.models import Opinion

from .conftest import opinions_entered


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_closes_ticked_opinions_in_one_action(live_server, browser, screenshot_dir):
    cast = build_cast()
    campaign = build_campaign(cast)
    texts = [f"座谈会意见第{i + 1}条：窗口办事需要反复提交材料" for i in range(5)]
    ops = opinions_entered(cast, campaign, texts, units=[cast.dept_b, cast.dept_a])
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, cast.office)
    page.goto(f"{live_server.url}/problems/opinions/")
    page.get_by_label("本页全选").check()
    assert page.locator("[data-selected-count] output").inner_text() == "5"
    page.get_by_label(ops[4].receipt_code).uncheck()
    page.get_by_label(ops[3].receipt_code).uncheck()
    assert page.locator("[data-selected-count] output").inner_text() == "3"
    page.get_by_label("处理方式").select_option("close")
    page.get_by_label("理由或备注").fill("已在专项检查中处理")
    page.screenshot(path=str(screenshot_dir / "problems-bulk-triage-1366.png"), full_page=True)
    apply_to_ticked(page, "已处理 3 条意见")
    assert page.url.endswith("/problems/opinions/")  # swapped in place
    assert page.locator('input[name="opinions"]').count() == 2
    page.screenshot(path=str(screenshot_dir / "problems-bulk-triage-done-1366.png"), full_page=True)
    statuses = {o.pk: Opinion.objects.get(pk=o.pk).status for o in ops}
    assert sorted(statuses.values()) == ["closed", "closed", "closed", "new", "new"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/problems/opinions/")
    page.screenshot(path=str(screenshot_dir / "problems-bulk-triage-390.png"), full_page=True)
    page.goto(f"{live_server.url}/problems/opinions/?status=done")
    assert page.locator("tbody tr").count() == 3
    page.screenshot(path=str(screenshot_dir / "problems-bulk-triage-done-390.png"), full_page=True)
    context.close()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_each_decision_shows_its_fields_and_accepting_makes_problems(live_server, browser, screenshot_dir):
    from problems.models import Manifestation
    from problems.services import taxonomy_ensure

    taxonomy_ensure()
    cast = build_cast()
    campaign = build_campaign(cast)
    texts = [f"书面意见第{i + 1}条：报销审批要跑多个部门签字" for i in range(3)]
    ops = opinions_entered(cast, campaign, texts, source=Opinion.Source.PAPER)
    chosen = Manifestation.objects.get(name="工作推进不力")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, cast.office)
    page.goto(f"{live_server.url}/problems/opinions/")
    decision = page.get_by_label("处理方式")
    bar = page.locator("#bulk-triage fieldset")
    manifestation, unit = bar.locator('select[name="manifestation"]'), bar.locator('select[name="unit"]')
    earlier = bar.locator('input[name="receipt_code"]')
    # every field labelled in words, not by a placeholder
    for label in ("处理方式", "表现", "交由单位", "原意见的回执码", "理由或备注"):
        assert bar.locator("label", has_text=label).count() >= 1, label
    required = page.locator("#bulk-triage small", has_text="办结时必填")
    shown = {
        "accept": [manifestation, unit],
        "merge": [earlier],
        "close": [required],
    }
    for action in shown:
        decision.select_option(action)
        for other, others in shown.items():
            for field in others:
                assert field.is_visible() == (other == action), (action, other)
        page.screenshot(path=str(screenshot_dir / f"problems-bulk-triage-{action}-1366.png"))
    decision.select_option("merge")
    earlier.fill("NOTACODE")
    decision.select_option("accept")
    assert earlier.is_disabled()  # hidden, so not sent with the decision
    manifestation.select_option(str(chosen.pk))
    unit.select_option(str(cast.dept_b.pk))
    page.get_by_label(ops[0].receipt_code).check()
    page.get_by_label(ops[1].receipt_code).check()
    apply_to_ticked(page, "已处理 2 条意见")
    assert page.locator('input[name="opinions"]').count() == 1
    for o in ops[:2]:
        problem = Opinion.objects.get(pk=o.pk).problems.get()
        assert problem.unit == cast.dept_b and list(problem.manifestations.all()) == [chosen]
    assert Opinion.objects.get(pk=ops[2].pk).status == Opinion.Status.NEW

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/problems/opinions/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the bar wraps on a phone
    page.screenshot(path=str(screenshot_dir / "problems-bulk-triage-accept-390.png"), full_page=True)
    context.close()
