"""Browser walk (Chinese): the office prints sheets from the round's page, the sheets are filled by
simulated pens and scanned, the office uploads the scan, decides the doubtful lines by one click each
and enters the batch; a second member of the office checks it; the round's counts equal the answers
the voters gave."""

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from conftest import log_in_by_session
from evaluations.models import PaperBatch, PaperCount
from paperballots import layout as L
from paperballots import simulate
from paperballots.models import SheetLayout

from .conftest import pdf_of

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "paper"  # git-ignored
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
# Every wait is on what the page shows, never a sleep; reading the scans happens inside the upload's
# request (the test settings run background tasks at once), which under load may take a while.
SLOW = 180_000
# per sheet, per question: ("tick", grade) · ("blank",) · ("two", g1, g2) · ("fix", old, new)
SHEETS = [
    [("tick", 0), ("tick", 1), ("tick", 2), ("tick", 0), ("tick", 0), ("tick", 1)],
    [("fix", 2, 0), ("tick", 0), ("tick", 0), ("tick", 1), ("blank",), ("tick", 2)],
    [("tick", 2), ("tick", 2), ("tick", 1), ("tick", 0), ("two", 0, 1), ("tick", 0)],
    [("tick", 1), ("blank",), ("tick", 1), ("tick", 1), ("tick", 1), ("tick", 1)],
]


def _intent(spec):
    if spec[0] == "tick":
        return simulate.Intent("answer", spec[1], {spec[1]}, [(spec[1], "tick")])
    if spec[0] == "two":
        return simulate.Intent("invalid", None, {spec[1], spec[2]}, [(spec[1], "tick"), (spec[2], "cross")])
    if spec[0] == "fix":
        return simulate.Intent("correction", spec[2], {spec[1], spec[2]}, [(spec[1], "scribble"), (spec[2], "tick")])
    return simulate.Intent("blank")


def _truth(spec):
    return {"tick": spec[-1], "fix": spec[-1]}.get(spec[0])


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_print_fill_upload_review_check_gives_the_known_answers(paper_round, office, office2, live_server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ev, group = paper_round
    log_in_by_session(page, live_server, office)
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/")
    page.click(f"a[href='/paperballots/round/{ev.pk}/']")
    expect(page.locator("form[action$='/print/']")).to_be_visible()
    page.screenshot(path=str(SHOTS / "round.png"), full_page=True)
    page.select_option("form[action$='/print/'] select[name=group]", str(group.pk))
    page.fill("form[action$='/print/'] input[name=count]", str(len(SHEETS)))
    with page.expect_download(timeout=SLOW) as download:
        page.click("form[action$='/print/'] button[type=submit]")
    pdf = Path(download.value.path()).read_bytes()
    (SHOTS / "sheets.pdf").write_bytes(pdf)
    group.refresh_from_db()
    assert group.paper_issued == len(SHEETS)

    # the voters fill the sheets; three go through the office scanner, one is photographed
    layout = L.Layout.from_json(SheetLayout.objects.get().spec)
    rng = np.random.default_rng(11)
    scans = []
    for k, sheet in enumerate(SHEETS):
        img, _ = simulate.fill_page(
            simulate.rasterise(pdf, k, 200), layout, 0, [_intent(s) for s in sheet], 200, rng, stray=False
        )
        scans.append(simulate.scan(img, rng, photo=k == 3))
    tmp = SHOTS / "upload"
    tmp.mkdir(exist_ok=True)
    (tmp / "scan.pdf").write_bytes(pdf_of(scans[:3]))
    (tmp / "photo.jpg").write_bytes(scans[3])

    page.select_option("form[action$='/upload/'] select[name=group]", str(group.pk))
    page.fill("form[action$='/upload/'] input[name=label]", "1号票箱")
    page.set_input_files("form[action$='/upload/'] input[type=file]", [str(tmp / "scan.pdf"), str(tmp / "photo.jpg")])
    page.click("form[action$='/upload/'] button[type=submit]")
    expect(page.locator("form[action$='/submit/']")).to_be_visible(timeout=SLOW)  # read: the review page
    questions = layout.all_questions()
    doubts = page.locator("article.doubt")
    expect(doubts).to_have_count(2)  # the correction and the two grades
    ids = [doubts.nth(n).get_attribute("id") for n in range(2)]
    for img in page.locator("img.doubt-img").all():  # lazily loaded: wait until each is there
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        # on a laptop the line's bubbles are shown large: each grade's circle ≥ 50 px across
        shown = img.evaluate("img => img.getBoundingClientRect().width")
        assert img.evaluate("img => img.naturalWidth") > 1000
        assert shown * 2 * L.BUBBLE_R / (L.CROP_X1 - L.CROP_X0) >= 50
    page.screenshot(path=str(SHOTS / "review.png"), full_page=True)
    page.locator("article.doubt").first.screenshot(path=str(SHOTS / "doubt-1366.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / "review-phone.png"), full_page=True)
    page.set_viewport_size(LAPTOP)

    # each doubtful line: the person looks at the image and clicks the right answer
    for pk in ids:
        article = page.locator(f"#{pk}")
        header = article.locator("header").inner_text()
        if "查找问题的准确性" in header:  # sheet 2's first question: 不满意 blacked out, 满意 ticked
            article.locator(f"button[value=g{layout.grades[0]}]").click()
        else:  # two grades: confirm the machine (it does not count)
            article.locator("button[value=invalid]").click()
        expect(page.locator(f"#{pk}.decided")).to_be_visible()  # the answer came back decided
    page.screenshot(path=str(SHOTS / "review-decided.png"), full_page=True)
    page.reload()
    submit = page.locator("form[action$='/submit/'] button")
    expect(submit).to_be_enabled()
    submit.click()
    expect(page.locator("#totals")).to_be_visible(timeout=SLOW)  # entered: the second person's check
    expect(page.locator("form[action$='/check/']")).to_have_count(0)  # not by the one who entered it

    # a second member of the office checks the batch
    log_in_by_session(page, live_server, office2)
    page.goto(page.url.split("?")[0] + "?second")  # a new address: never the browser's copy of the page
    expect(page.locator("body")).to_contain_text("何敏")
    expect(page.locator("#totals")).to_be_visible()
    page.screenshot(path=str(SHOTS / "check.png"), full_page=True)
    page.click("form[action$='/check/'] button[name=approve][value=on]")
    expect(page.locator(".status-checked")).to_be_visible(timeout=SLOW)
    expect(page.locator("main")).to_contain_text("所有图像均已删除")
    page.screenshot(path=str(SHOTS / "checked.png"), full_page=True)

    expected = {}
    for sheet in SHEETS:
        for (t, i), spec in zip(questions, sheet):
            g = _truth(spec)
            if g is not None:
                key = (t, i, layout.grades[g])
                expected[key] = expected.get(key, 0) + 1
    paper = PaperBatch.objects.get()
    assert (paper.status, paper.returned, paper.invalid) == (PaperBatch.Status.CHECKED, 4, 0)
    assert {(c.target_id, c.item_id, c.grade_id): c.count for c in PaperCount.objects.filter(batch=paper)} == expected
