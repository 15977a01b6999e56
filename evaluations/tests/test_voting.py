"""Online voting through the public pages: code by POST only, one ballot per code, clear refusals."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from evaluations.models import Ballot, BallotAnswer, BallotToken, SealedBallot
from evaluations.services import ballot_questions


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _answers(ev, label="满意"):
    grade = ev.grades.get(label=label).pk
    return {f"a-{t.pk}-{i.pk}": grade for t, items in ballot_questions(ev) for i in items}


def test_it_shows_the_ballot_for_a_posted_code_and_records_one_ballot(open_round, close_round):
    ev, codes = open_round()
    code = codes["党员"][0]
    c = Client()
    start = c.get("/v/")
    assert start.status_code == 200 and "评议码" in start.content.decode()
    page = c.post(reverse("evaluations_public:open"), {"code": code})
    body = page.content.decode()
    assert page.status_code == 200 and "教务处" in body and "查找问题的准确性" in body
    assert page["Cache-Control"] == "no-store"
    done = c.post(reverse("evaluations_public:submit"), {"code": code, **_answers(ev)})
    assert done.status_code == 302 and done["Location"] == reverse("evaluations_public:thanks")
    thanks = c.get(done["Location"])
    assert code not in thanks.content.decode() and "已记录" in thanks.content.decode()
    assert SealedBallot.objects.filter(evaluation=ev).count() == 1 and not Ballot.objects.exists()
    again = c.post(reverse("evaluations_public:submit"), {"code": code, **_answers(ev)})
    assert again.status_code == 409 and "已使用" in again.content.decode()
    assert code not in again.content.decode()
    assert SealedBallot.objects.count() == 1
    close_round(ev)
    assert Ballot.objects.filter(evaluation=ev).count() == 1
    assert BallotAnswer.objects.count() == 2 * 3  # two unit targets × three unit items


def test_it_keeps_the_code_out_of_every_address(open_round):
    """The server-side addresses never carry the code: links put it after '#', forms POST it."""
    from evaluations.services import ballot_link

    link = ballot_link("https://zy.example.cn", "ABCD-EFGH-JKMN-PQRS")
    path_part = link.split("#")[0]
    assert path_part == "https://zy.example.cn/v/" and "ABCD" not in path_part
    for name in ("start", "open", "submit", "thanks"):
        assert "code" not in reverse(f"evaluations_public:{name}")
    # a code put in a query string by hand is ignored: no ballot is shown, the code is not spent
    ev, codes = open_round()
    r = Client().get("/v/?code=" + codes["党员"][0])
    assert "查找问题的准确性" not in r.content.decode()
    assert not BallotToken.objects.filter(used_on__isnull=False).exists()


def test_it_asks_for_every_answer_and_keeps_the_code_unused(open_round):
    ev, codes = open_round()
    code = codes["群众"][0]
    answers = _answers(ev)
    answers.pop(next(iter(answers)))
    r = Client().post(reverse("evaluations_public:submit"), {"code": code, **answers})
    assert r.status_code == 400 and "请完成全部评议项目" in r.content.decode()
    assert not BallotToken.objects.filter(used_on__isnull=False).exists() and not SealedBallot.objects.exists()


def test_it_says_clearly_when_a_code_is_unknown_used_or_expired(close_round, open_round, office):
    ev, codes = open_round()
    c = Client()
    r = c.post(reverse("evaluations_public:open"), {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert r.status_code == 400 and "评议码无效" in r.content.decode()
    c.post(reverse("evaluations_public:submit"), {"code": codes["党员"][1], **_answers(ev)})
    r = c.post(reverse("evaluations_public:open"), {"code": codes["党员"][1]})
    assert r.status_code == 409 and "已使用" in r.content.decode()
    close_round(ev)
    # at close every code is deleted (which codes went unused would tell who did not vote)
    r = c.post(reverse("evaluations_public:open"), {"code": codes["党员"][2]})
    assert r.status_code == 400 and "已结束" in r.content.decode()


def test_it_throttles_code_guessing_per_address_without_blocking_valid_codes(open_round, settings):
    settings.BALLOT_CODE_FAILS_PER_ADDRESS = 10
    ev, codes = open_round()
    c = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(10):
        assert c.post(reverse("evaluations_public:open"), {"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 400
    # over the limit a wrong code is not even looked up: the form asks the human check
    r = c.post(reverse("evaluations_public:open"), {"code": "AAAA-BBBB-CCCC-EEEE"})
    assert r.status_code == 429 and "验证问题" in r.content.decode()
    # a voter in the same hall with a valid code answers it and gets the ballot
    r = c.post(reverse("evaluations_public:open"), {"code": codes["党员"][0]})
    assert r.status_code == 429
    import re

    from core import humancheck

    token = re.search(r'name="hc_token" value="([^"]+)"', r.content.decode()).group(1)
    assert codes["党员"][0] in r.content.decode()  # the code stays in the form
    data = {"code": codes["党员"][0], "hc_token": token, "hc_answer": humancheck.answer_for_tests(token)}
    assert c.post(reverse("evaluations_public:open"), data).status_code == 200
    # another address is not affected
    other = Client(REMOTE_ADDR="10.9.9.9").post(reverse("evaluations_public:open"), {"code": codes["党员"][1]})
    assert other.status_code == 200


def test_it_refuses_a_ballot_before_the_round_opens(make_round, office):
    from evaluations.services import codes_issue

    ev = make_round()
    _b, codes = codes_issue(actor=office, evaluation=ev, group=ev.groups.first(), count=1, base_url="http://t")
    r = Client().post(reverse("evaluations_public:open"), {"code": codes[0]})
    assert r.status_code == 409 and "尚未开始" in r.content.decode()


def test_a_round_kept_in_memory_still_ends_when_its_dates_or_status_say_so(open_round):
    """The ballot path keeps an open round per process; what can change while it is open is read fresh."""
    import datetime

    from django.utils import timezone

    from evaluations.models import Evaluation

    ev, codes = open_round()
    c = Client()
    assert c.post(reverse("evaluations_public:open"), {"code": codes["党员"][0]}).status_code == 200  # kept now
    Evaluation.objects.filter(pk=ev.pk).update(closes_on=timezone.localdate() - datetime.timedelta(days=1))
    r = c.post(reverse("evaluations_public:open"), {"code": codes["党员"][1]})
    assert r.status_code == 409 and "已结束" in r.content.decode()
    Evaluation.objects.filter(pk=ev.pk).update(closes_on=None, status=Evaluation.Status.CLOSED)
    r = c.post(reverse("evaluations_public:submit"), {"code": codes["党员"][1], **_answers(ev)})
    assert r.status_code == 409 and not SealedBallot.objects.exists()
    Evaluation.objects.filter(pk=ev.pk).update(status=Evaluation.Status.OPEN)
    r = c.post(reverse("evaluations_public:submit"), {"code": codes["党员"][1], **_answers(ev)})
    assert r.status_code == 302 and SealedBallot.objects.count() == 1
