"""Browser walk on a 390 px phone: a 20-question ballot (two targets × ten items) shown as grids, answered
with the “same for all” row and one change, in at most one tap per question plus the submit; then the
results page, which must fit the phone's width (wide tables scroll inside their box)."""

import pytest

from conftest import log_in_by_session
from evaluations.services import ballot_link, codes_issue, evaluation_publish, evaluation_tally

PHONE = {"width": 390, "height": 844}
ITEMS = [
    f"第{n}项：{text}"
    for n, text in enumerate(
        [
            "查摆问题准确",
            "整改措施有力",
            "整改成效明显",
            "作风转变",
            "服务群众",
            "制度建设",
            "廉洁自律",
            "担当作为",
            "工作效率",
            "群众满意",
        ],
        start=1,
    )
]


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_twenty_question_grid_ballot_on_a_phone_and_the_results_page_fit_390px(
    make_round, office, open_a_round, close_round, live_server, page, screenshot_dir
):
    ev = make_round(items=ITEMS, include_unknown=True, groups=(("党员", 10, 0, 1),), min_group_size_shown=3)
    (codes,) = [codes_issue(actor=office, evaluation=ev, group=g, count=3)[1] for g in ev.groups.all()]
    ev = open_a_round(ev)
    page.set_viewport_size(PHONE)
    taps = 0
    for n, code in enumerate(codes):
        page.goto(ballot_link(live_server.url, code))
        page.wait_for_selector("#ballot-form table.ballot-grid")
        assert page.locator("#ballot-form input[type=radio]").count() == 20 * 4
        assert _width(page) <= 390
        if n == 0:
            page.screenshot(path=str(screenshot_dir / "evaluations-grid-ballot-phone.png"), full_page=True)
        taps = 0
        for grid in page.locator("#ballot-form table.ballot-grid").all():  # 满意 for every question of a grid: 1 tap
            grid.locator("button.same").first.click()
            taps += 1
        # one answer changed: 1 tap on the cell of 基本满意 in the third row of the second grid
        cell = page.locator("#ballot-form table.ballot-grid").nth(1).locator("tbody tr").nth(3).locator("td").nth(1)
        cell.click()
        taps += 1
        assert cell.locator("input").is_checked()
        assert page.inner_text("#left") == ""  # nothing left to answer
        page.click("#ballot-form button[type=submit]")
        taps += 1
        page.wait_for_selector("text=您的评议票已记录")
    assert taps <= 20 + 1  # at most one tap per question plus the submit (here 4)

    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    evaluation_publish(actor=office, evaluation=ev)

    log_in_by_session(page, live_server, office)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/results/")
    page.wait_for_selector("table.turnout")
    page.wait_for_timeout(500)  # the chart draws
    page.screenshot(path=str(screenshot_dir / "evaluations-results-phone.png"), full_page=True)
    assert _width(page) <= 390, _width(page)
    # the hand count: 教务处 (first grid) 满意 on all 10 items × 3 ballots; 财务处 one 基本满意 per ballot
    text = page.inner_text("main")
    assert "30" in text and "基本满意" in text
    rows = page.locator("table.compact").first.locator("tbody tr")
    first, second = rows.nth(0).inner_text().split(), rows.nth(1).inner_text().split()
    # 教务处: 满意 30 (100.0%); 财务处: 满意 27 (90.0%), 基本满意 3 (10.0%), 不满意 0, 不了解 0, 3 valid ballots
    assert first[:4] == ["教务处", "单位自查整改工作", "30", "100.0%"], first
    assert second[2:8] == ["27", "90.0%", "3", "10.0%", "0", "0.0%"], second
