"""Sending a ballot from its page: the page's signed note says where the code was found (round, group, key), so
the code is not read again; the statement that spends it checks that all of it still holds, and when it does not,
the voter is told why exactly as without the note, and nothing is stored."""

import datetime
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.models import BallotToken, Evaluation, SealedBallot

from .test_voting import _answers

OPEN = reverse("evaluations_public:open")
SUBMIT = reverse("evaluations_public:submit")


def _page(client, code) -> dict:
    body = client.post(OPEN, {"code": code}).content.decode()
    return {"code": code, "admission": re.search(r'name="admission" value="([^"]+)"', body).group(1)}


def _spent(code_count_before=0) -> int:
    return BallotToken.objects.filter(used_on__isnull=False).count() - code_count_before


def test_a_noted_ballot_is_stored_without_reading_its_code_again(open_round):
    ev, codes = open_round()
    c = Client()
    note = _page(c, codes["党员"][0])
    with CaptureQueriesContext(connection) as ctx:
        r = c.post(SUBMIT, {**note, **_answers(ev)})
    assert r.status_code == 302 and SealedBallot.objects.filter(evaluation=ev).count() == 1 and _spent() == 1
    token_table = BallotToken._meta.db_table
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and token_table in q["sql"]]
    assert reads == []  # the one statement that spends the code is all it costs
    assert c.post(SUBMIT, {**note, **_answers(ev)}).status_code == 409  # and a code gives one ballot


def test_a_note_does_not_outlive_its_round(open_round):
    ev, codes = open_round()
    c = Client()
    ended, not_yet = _page(c, codes["党员"][0]), _page(c, codes["党员"][1])
    Evaluation.objects.filter(pk=ev.pk).update(closes_on=timezone.localdate() - datetime.timedelta(days=1))
    r = c.post(SUBMIT, {**ended, **_answers(ev)})
    assert r.status_code == 409 and "已结束" in r.content.decode()
    Evaluation.objects.filter(pk=ev.pk).update(
        closes_on=None, opens_on=timezone.localdate() + datetime.timedelta(days=1)
    )
    r = c.post(SUBMIT, {**not_yet, **_answers(ev)})
    assert r.status_code == 409 and "尚未开始" in r.content.decode()
    assert not SealedBallot.objects.exists() and _spent() == 0


def test_a_note_with_another_key_casts_the_ballot_with_the_rounds_key(open_round):
    """The noted key fingerprint is not the round's (its key was replaced): the code is read again and the
    ballot sealed with the round's key as it is now."""
    ev, codes = open_round()
    c = Client()
    note = _page(c, codes["群众"][0])
    from evaluations import public_views

    facts = public_views.note_facts(note["admission"]).split("|")
    facts[3] = "0000-0000-0000".ljust(20)
    stale = {**note, "admission": public_views.note_sign("|".join(facts))}
    r = c.post(SUBMIT, {**stale, **_answers(ev)})
    assert r.status_code == 302 and SealedBallot.objects.filter(evaluation=ev).count() == 1 and _spent() == 1


def test_a_note_naming_another_group_never_moves_the_ballot_there(open_round, close_round):
    ev, codes = open_round()
    c = Client()
    note = _page(c, codes["群众"][0])
    from evaluations import public_views
    from evaluations.models import Ballot

    facts = public_views.note_facts(note["admission"]).split("|")
    own_group = int(facts[2])
    facts[2] = f"{ev.groups.exclude(pk=own_group).first().pk:012d}"
    wrong = {**note, "admission": public_views.note_sign("|".join(facts))}
    assert c.post(SUBMIT, {**wrong, **_answers(ev)}).status_code == 302  # read again: cast in its own group
    close_round(ev)
    assert list(Ballot.objects.filter(evaluation=ev).values_list("group_id", flat=True)) == [own_group]


def test_every_note_has_the_same_length(open_round):
    ev, codes = open_round()
    c = Client()
    lengths = {len(_page(c, code)["admission"]) for group in codes.values() for code in group}
    assert len(lengths) == 1


def test_a_note_altered_or_too_old_is_not_honoured(open_round):
    """Without a good note the code is checked as if typed (counted against the hall's allowance, read again)."""
    import time

    from evaluations import public_views

    ev, codes = open_round()
    c = Client()
    note = _page(c, codes["党员"][0])
    facts = public_views.note_facts(note["admission"])
    last = note["admission"][-1]
    assert facts and public_views.note_facts(note["admission"][:-1] + ("1" if last == "0" else "0")) is None
    assert public_views.note_facts(public_views.note_sign(facts, now=time.time() - 6 * 3600 - 5)) is None
    assert public_views.note_facts(public_views.note_sign(facts, now=time.time() - 60)) == facts
    altered = note["admission"].replace(facts, facts.replace("|0", "|1", 1))
    assert public_views.note_facts(altered) is None
    for junk in ("", "|", "||", "评议|码|" + "é" * 64, note["admission"] + "é"):
        assert public_views.note_facts(junk) is None
    r = c.post(SUBMIT, {"code": codes["党员"][0], "admission": "评议|码|" + "é" * 64, **_answers(ev)})
    assert r.status_code == 302  # checked as if typed, and cast
