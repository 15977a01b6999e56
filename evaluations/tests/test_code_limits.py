"""Limits on ballot codes that fit a voting hall: a generous allowance of wrong codes per address, a
site-wide guard, exact under bursts, and a valid code from a shared address never turned away."""

import re
import threading

import pytest
from django.test import Client
from django.urls import reverse

from core import humancheck
from evaluations import public_views

from .test_voting import _answers

OPEN = reverse("evaluations_public:open")
SUBMIT = reverse("evaluations_public:submit")


@pytest.fixture
def lookups(monkeypatch):
    """How many codes were looked up in the database."""
    calls = []
    real = public_views.token_for_code

    def counting(code, *a, **kw):
        calls.append(code)
        return real(code, *a, **kw)

    monkeypatch.setattr(public_views, "token_for_code", counting)
    return calls


@pytest.mark.django_db(transaction=True)
def test_it_looks_up_at_most_the_limit_in_a_burst_of_64(settings, lookups):
    settings.BALLOT_CODE_FAILS_PER_ADDRESS = 10
    barrier = threading.Barrier(64)
    statuses = []

    def guess(i):
        client = Client(REMOTE_ADDR="203.0.113.50")
        barrier.wait()
        statuses.append(client.post(OPEN, {"code": f"AAAA-BBBB-CCCC-{i:04d}"}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 64
    assert statuses.count(400) == 10 and statuses.count(429) == 54
    assert len(lookups) == 10


def test_it_never_counts_valid_codes_against_a_hall(open_round, settings):
    settings.BALLOT_CODE_FAILS_PER_ADDRESS = 5
    ev, codes = open_round(codes_per_group=8)
    hall = "198.51.100.80"
    for code in codes["党员"] + codes["群众"]:  # 16 voters behind one address, more than the limit
        assert Client(REMOTE_ADDR=hall).post(OPEN, {"code": code}).status_code == 200
    for _ in range(5):  # the allowance is still whole for typos
        assert Client(REMOTE_ADDR=hall).post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}).status_code == 400


def test_it_sends_an_opened_ballot_even_when_the_hall_went_over(open_round, settings, lookups):
    settings.BALLOT_CODE_FAILS_PER_ADDRESS = 3
    ev, codes = open_round()
    hall = Client(REMOTE_ADDR="198.51.100.81")
    page = hall.post(OPEN, {"code": codes["党员"][0]}).content.decode()
    admission = re.search(r'name="admission" value="([^"]+)"', page).group(1)
    for _ in range(5):  # meanwhile others in the hall mistype their codes
        hall.post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    assert hall.post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZY"}).status_code == 429
    data = {"code": codes["党员"][0], "admission": admission, **_answers(ev)}
    assert hall.post(SUBMIT, data).status_code == 302
    # the note is bound to its code: it does not let another code past the check
    data = {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZX", "admission": admission, **_answers(ev)}
    assert hall.post(SUBMIT, data).status_code == 429


def test_it_guards_the_whole_site_against_guessing_from_many_addresses(settings, db, lookups):
    settings.BALLOT_CODE_FAILS_PER_ADDRESS = 100
    settings.BALLOT_CODE_FAILS_GLOBAL = 10
    statuses = [
        Client(REMOTE_ADDR=f"203.0.113.{i}").post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}).status_code
        for i in range(1, 16)
    ]
    assert statuses == [400] * 10 + [429] * 5
    assert len(lookups) == 10


def test_it_asks_a_new_question_for_each_guess_over_the_limit(settings, db, lookups):
    settings.BALLOT_CODE_FAILS_PER_ADDRESS = 1
    client = Client(REMOTE_ADDR="203.0.113.77")
    client.post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    page = client.post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZY"}).content.decode()
    token = re.search(r'name="hc_token" value="([^"]+)"', page).group(1)
    answer = humancheck.answer_for_tests(token)
    first = client.post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZX", "hc_token": token, "hc_answer": answer})
    assert first.status_code == 400  # looked up (and wrong)
    replay = client.post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZW", "hc_token": token, "hc_answer": answer})
    assert replay.status_code == 429  # an answered question does not open the door twice
    wrong = client.post(OPEN, {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZV", "hc_token": token, "hc_answer": answer + 1})
    assert wrong.status_code == 429
    assert len(lookups) == 2
