"""Browser checks (Chinese), at 1366 px and on a 390 px phone: the evaluator groups' names on the round's
page show in full (issue #15), and the results page shows the combined final score (issue #13)."""

from decimal import Decimal

import pytest

from conftest import log_in_by_session
from evaluations.services import (
    ballot_cast,
    codes_issue,
    component_scheme_save,
    component_values_save,
    evaluation_publish,
    evaluation_tally,
    group_save,
)

SIZES = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LONG = "服务对象代表（含退休教职工及学生家长）"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_the_group_names_show_in_full_on_the_round_page(size, make_round, office, live_server, page, screenshot_dir):
    ev = make_round(groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1)))
    group_save(actor=office, evaluation=ev, group=None, kind="custom", name=LONG, planned=6, minimum=0, weight=1)
    page.set_viewport_size(SIZES[size])
    log_in_by_session(page, live_server, office)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/")
    name = page.locator(f'input[name="name"][value="{LONG}"]')
    name.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / f"evaluations-groups-{size}.png"), full_page=True)
    name.locator("xpath=ancestor::table").screenshot(path=str(screenshot_dir / f"evaluations-groups-table-{size}.png"))
    # the whole name fits in its box: nothing is cut off
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_the_results_page_shows_the_combined_score(
    size, cast, make_round, office, open_a_round, close_round, live_server, page, screenshot_dir
):
    ev = make_round(items=["总体评价"], groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1)))
    codes = [c for g in ev.groups.all() for c in codes_issue(actor=office, evaluation=ev, group=g, count=6)[1]]
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    item = ev.items.get()
    grade = {g.label: g.pk for g in ev.grades.all()}
    for k, code in enumerate(codes):
        ballot_cast(
            code=code,
            answers={(a.pk, item.pk): grade["满意" if k < 10 else "基本满意"], (b.pk, item.pk): grade["满意"]},
        )
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    parts = component_scheme_save(
        actor=office,
        evaluation=ev,
        evaluation_name="民主评议得分",
        evaluation_weight=Decimal(60),
        evaluation_full_marks=Decimal(100),
        parts=[
            {"name": "年度考核", "weight": Decimal(30), "full_marks": Decimal(100)},
            {"name": "考勤", "weight": Decimal(10), "full_marks": Decimal(10)},
        ],
    )
    annual, attendance = parts[1], parts[2]
    component_values_save(
        actor=office,
        evaluation=ev,
        values={
            (annual.pk, a.pk): Decimal("90.35"),
            (attendance.pk, a.pk): Decimal("8.4"),
            (annual.pk, b.pk): Decimal("88"),
        },
    )
    evaluation_publish(actor=office, evaluation=ev)
    page.set_viewport_size(SIZES[size])
    log_in_by_session(page, live_server, office)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/results/")
    section = page.locator("#combined")
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / f"evaluations-combined-{size}.png"), full_page=True)
    table = page.locator("table.combined-table")
    assert "91.51" in table.inner_text() and "缺少分项：考勤" in table.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
