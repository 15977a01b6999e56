"""Browser walk on a phone (Chinese): a voter scans the QR code (the code is in the link's fragment),
gets the ballot, answers every question and submits; the code is gone from the address and the page."""

import re

import pytest

from conftest import log_in_by_session
from evaluations.models import BallotToken, SealedBallot
from evaluations.services import ballot_link

PHONE = {"width": 390, "height": 844}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_lets_a_voter_vote_from_a_phone_with_a_qr_link(open_round, live_server, page, screenshot_dir):
    ev, codes = open_round(include_unknown=True)
    code = codes["群众"][0]
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size(PHONE)
    page.goto(ballot_link(live_server.url, code))
    page.wait_for_selector("#ballot-form")
    assert code not in page.url  # the script wiped the fragment after posting the code
    assert "教务处" in page.inner_text("main") and "查找问题的准确性" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "evaluations-ballot-phone.png"), full_page=True)
    # choose 满意 everywhere except one 不了解
    names = page.eval_on_selector_all("#ballot-form input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    for i, name in enumerate(names):
        label = "不了解" if i == 0 else "满意"
        page.locator(f"#ballot-form label:has(input[name='{name}'])").filter(has_text=re.compile(f"^{label}$")).click()
    page.click("#ballot-form button[type=submit]")
    page.wait_for_selector("text=您的评议票已记录")
    page.screenshot(path=str(screenshot_dir / "evaluations-thanks-phone.png"), full_page=True)
    assert code not in page.content() and code not in page.url
    assert SealedBallot.objects.filter(evaluation=ev).count() == 1
    assert BallotToken.objects.filter(used_on__isnull=False).count() == 1
    # no address the browser asked the server for carried the code
    assert requests and not any(code in url.split("#")[0] for url in requests)
    # the same link again: a clear message, no second ballot
    page.goto(ballot_link(live_server.url, code))
    page.wait_for_selector("text=该评议码已使用")
    page.screenshot(path=str(screenshot_dir / "evaluations-used-phone.png"), full_page=True)
    assert SealedBallot.objects.count() == 1


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_voter_switches_the_ballot_to_english_halfway_and_keeps_the_answers(
    open_round, live_server, page, screenshot_dir
):
    ev, codes = open_round()
    page.set_viewport_size(PHONE)
    page.goto(ballot_link(live_server.url, codes["党员"][0]))
    page.wait_for_selector("#ballot-form")
    names = page.eval_on_selector_all("#ballot-form input[type=radio]", "els => [...new Set(els.map(e => e.name))]")

    def choose(name, label):
        page.locator(f"#ballot-form label:has(input[name='{name}'])").filter(has_text=re.compile(f"^{label}$")).click()

    choose(names[0], "基本满意")
    switch = page.locator("header .langswitch button")
    # seen: the switch was white on the white public header, there to click but not to see
    assert switch.evaluate("e => getComputedStyle(e).color") != "rgb(255, 255, 255)"
    switch.filter(has_text="English").click()
    page.wait_for_selector("text=Submit my ballot")
    assert page.get_attribute("html", "lang") == "en"
    assert page.is_checked(f"#ballot-form input[name='{names[0]}'][value='{ev.grades.get(label='基本满意').pk}']")
    page.screenshot(path=str(screenshot_dir / "evaluations-ballot-english-phone.png"), full_page=True)
    for name in names[1:]:
        choose(name, "满意")
    page.click("#ballot-form button[type=submit]")
    page.wait_for_selector("text=Your ballot has been recorded")
    assert SealedBallot.objects.filter(evaluation=ev).count() == 1


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_office_opens_with_a_key_sheet_closes_with_two_shares_and_publishes(
    cast, make_round, office, live_server, page, screenshot_dir, vote
):
    from evaluations.services import codes_issue, evaluation_tally

    ev = make_round()
    codes = {g.name: codes_issue(actor=office, evaluation=ev, group=g, count=6)[1] for g in ev.groups.all()}
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_by_session(page, live_server, office)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/")
    page.click("form[action$='/open/'] button[type=submit]")
    page.wait_for_selector(".key-sheet")
    page.screenshot(path=str(screenshot_dir / "evaluations-key-sheet.png"), full_page=True)
    shares = [el.inner_text() for el in page.query_selector_all(".key-text code")]
    assert [s[:2] for s in shares] == ["S1", "S2", "S3"]
    ev.refresh_from_db()
    a, b = list(ev.targets.all())
    for code in codes["党员"] + codes["群众"]:
        vote(ev, code, {a: "满意", b: "不满意"})
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/")
    assert "密钥指纹" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "evaluations-round-open.png"), full_page=True)
    # sealed while open: the office sees turnout only
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/results/")
    assert "结果尚未公开" in page.inner_text("main") and "参评率" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "evaluations-results-sealed.png"), full_page=True)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/close/")
    page.fill("textarea[name=key]", shares[1] + "\n" + shares[2])
    page.screenshot(path=str(screenshot_dir / "evaluations-close-key.png"), full_page=True)
    page.once("dialog", lambda d: d.accept())
    page.click("form.close-key button[type=submit]")
    page.wait_for_url(f"{live_server.url}/evaluations/{ev.pk}/")
    ev.refresh_from_db()
    assert ev.status == "closed", page.inner_text("main")[:500]
    evaluation_tally(actor=office, evaluation=ev)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/results/")
    page.once("dialog", lambda d: d.accept())
    page.click("form[action$='/publish/'] button[type=submit]")
    page.wait_for_selector("text=结果已公布")
    page.wait_for_timeout(500)  # the chart draws
    page.screenshot(path=str(screenshot_dir / "evaluations-results-published.png"), full_page=True)
    assert "不过关" in page.inner_text("main")
