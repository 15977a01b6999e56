"""The same code submitted many times at once yields exactly one ballot, no server error and no
"database is locked": on PostgreSQL (conditional update under row locks) and on SQLite (WAL,
IMMEDIATE transactions, busy timeout). SQLite's in-memory test database cannot be shared between
threads, so on SQLite the race runs in a child pytest with a file-based test database."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from evaluations.models import Ballot, BallotAnswer, BallotToken, SealedBallot
from evaluations.services import CodeRefused, ballot_cast, ballot_questions

from .helpers import pytest_on_a_sqlite_file

THREADS = 8
ON_SQLITE = "sqlite" in settings.DATABASES["default"]["ENGINE"]
IN_MEMORY = ON_SQLITE and connection.creation.is_in_memory_db(
    settings.DATABASES["default"].get("TEST", {}).get("NAME") or ":memory:"
)


def _answers(ev):
    grade = ev.grades.first().pk
    return {(t.pk, i.pk): grade for t, items in ballot_questions(ev) for i in items}


def _race(fn):
    """Run fn() in THREADS threads released together; return their results or exceptions."""
    barrier = threading.Barrier(THREADS)
    out = []

    def run():
        try:
            barrier.wait()
            out.append(fn())
        except Exception as e:  # noqa: BLE001 (collected and checked by the test)
            out.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _service_race(open_round):
    ev, codes = open_round()
    code = codes["党员"][0]
    answers = _answers(ev)
    results = _race(lambda: ballot_cast(code=code, answers=answers) or "ok")
    assert results.count("ok") == 1, results
    others = [r for r in results if r != "ok"]
    assert all(isinstance(r, CodeRefused) and r.reason == "used" for r in others), others
    assert SealedBallot.objects.count() == 1 and not Ballot.objects.exists() and not BallotAnswer.objects.exists()
    assert BallotToken.objects.filter(used_on__isnull=False).count() == 1


def _view_race(open_round):
    ev, codes = open_round()
    code = codes["群众"][0]
    data = {"code": code, **{f"a-{t}-{i}": g for (t, i), g in _answers(ev).items()}}
    statuses = _race(lambda: Client().post(reverse("evaluations_public:submit"), data).status_code)
    assert sorted(statuses) == [302] + [409] * (THREADS - 1), statuses
    assert SealedBallot.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_makes_one_ballot_of_one_code_submitted_at_once_on_postgresql(open_round):
    _service_race(open_round)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_answers_every_concurrent_submission_without_a_server_error_on_postgresql(open_round):
    _view_race(open_round)


@pytest.mark.skipif(not ON_SQLITE or IN_MEMORY, reason="runs inside the child pytest with a file-based SQLite database")
@pytest.mark.django_db(transaction=True)
def test_it_makes_one_ballot_of_one_code_submitted_at_once_on_sqlite_file(open_round):
    _service_race(open_round)


@pytest.mark.skipif(not ON_SQLITE or IN_MEMORY, reason="runs inside the child pytest with a file-based SQLite database")
@pytest.mark.django_db(transaction=True)
def test_it_answers_every_concurrent_submission_without_a_server_error_on_sqlite_file(open_round):
    _view_race(open_round)


@pytest.mark.skipif(not IN_MEMORY, reason="the file-based SQLite races run directly")
def test_it_makes_one_ballot_of_one_code_submitted_at_once_on_sqlite(tmp_path):
    proc = pytest_on_a_sqlite_file(__file__, tmp_path, timeout=600)
    assert proc.returncode == 0 and "2 passed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "database is locked" not in proc.stdout + proc.stderr
