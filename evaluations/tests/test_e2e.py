"""Browser walk on a phone (Chinese): a voter scans the QR code (the code is in the link's fragment),
gets the ballot, answers every question and submits; the code is gone from the address and the page."""

import re

import pytest

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
