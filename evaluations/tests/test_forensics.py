"""The operator's view: ballots are cast in a known order through the real pages, then the database
file, its write-ahead log, the physical row order (SQLite's storage order and file offsets,
PostgreSQL's ctid and xmin), the task table and the audit trail are searched for anything that ties a
ballot's content to its code or to the order of casting. Nothing may link better than chance.

SQLite's in-memory test database has no file to read, so on SQLite the test runs in a child pytest
with a file-based test database (its tables made WITHOUT ROWID after migrate, as deployed)."""

import random
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import AuditRecord
from evaluations import sealing, storage
from evaluations.models import Ballot, BallotAnswer, BallotToken, SealedBallot
from evaluations.services import ballot_questions, code_hash

from .helpers import pytest_on_a_sqlite_file

ON_SQLITE = "sqlite" in settings.DATABASES["default"]["ENGINE"]
IN_MEMORY = ON_SQLITE and connection.creation.is_in_memory_db(
    settings.DATABASES["default"].get("TEST", {}).get("NAME") or ":memory:"
)
N_BALLOTS = 30


def kendall_tau(seq: list[int]) -> float:
    n = len(seq)
    s = sum((1 if seq[j] > seq[i] else -1) for i in range(n) for j in range(i + 1, n))
    return s / (n * (n - 1) / 2)


def assert_no_better_than_chance(order: list[int], what: str) -> None:
    """`order`: the casting position of the ballot found at each storage position. A random order has
    about one ballot in its own place and a rank correlation near 0 (sd ≈ 0.13 for 30 ballots)."""
    assert sorted(order) == list(range(N_BALLOTS)), what
    fixed = sum(1 for pos, cast_at in enumerate(order) if pos == cast_at)
    tau = kendall_tau(order)
    assert fixed <= 6 and abs(tau) < 0.6, f"{what}: {fixed} in place, tau {tau:.2f}"


def cast_known_ballots(ev, codes):
    """Cast N_BALLOTS distinct ballots through /v/submit, alternating groups; returns the list of
    (group id, answer rows) in casting order and the codes used."""
    questions = [(t.pk, i.pk) for t, items in ballot_questions(ev) for i in items]
    grades = [g.pk for g in ev.grades.all()]
    rng = random.Random(12)
    patterns = rng.sample(range(len(grades) ** len(questions)), N_BALLOTS)
    groups = {g.name: g.pk for g in ev.groups.all()}
    queue = [c for pair in zip(codes["党员"], codes["群众"], strict=True) for c in pair]
    by_code_group = {c: groups[name] for name, cs in codes.items() for c in cs}
    cast = []
    for code, pattern in zip(queue, patterns, strict=False):
        rows, data = [], {"code": code}
        for t, i in questions:
            pattern, g = divmod(pattern, len(grades))
            rows.append((t, i, grades[g]))
            data[f"a-{t}-{i}"] = grades[g]
        r = Client(REMOTE_ADDR="10.0.0.7").post(reverse("evaluations_public:submit"), data)
        assert r.status_code == 302, r.content[-500:]
        cast.append((by_code_group[code], sorted(rows)))
    return cast, queue[:N_BALLOTS]


def stored_ballots_in(ids: list) -> list[tuple[int, list]]:
    answers = {}
    for b, t, i, g in BallotAnswer.objects.values_list("ballot_id", "target_id", "item_id", "grade_id"):
        answers.setdefault(b, []).append((t, i, g))
    groups = dict(Ballot.objects.values_list("id", "group_id"))
    return [(groups[b], sorted(answers[b])) for b in ids]


def cast_position(cast: list, stored: list) -> list[int]:
    index = {(g, tuple(rows)): k for k, (g, rows) in enumerate(cast)}
    return [index[(g, tuple(rows))] for g, rows in stored]


def task_rows() -> int:
    with connection.cursor() as cur:
        tables = [t for t in connection.introspection.table_names(cur) if "task" in t]
        total = 0
        for t in tables:
            cur.execute(f'SELECT COUNT(*) FROM "{t}"')
            total += cur.fetchone()[0]
    return total


def _common_checks_while_open(ev, cast, used_codes):
    assert not Ballot.objects.exists() and not BallotAnswer.objects.exists()
    boxes = [bytes(b) for b in SealedBallot.objects.values_list("box", flat=True)]
    assert len(boxes) == N_BALLOTS and len({len(b) for b in boxes}) == 1
    for group, rows in cast:
        plain = sealing.ballot_pack(group, rows)
        assert not any(plain in b for b in boxes)
    assert set(BallotToken.objects.filter(used_on__isnull=False).values_list("code_hash", flat=True)) == {
        code_hash(c) for c in used_codes
    }
    return boxes


def _common_checks_after_close(ev, cast):
    assert not SealedBallot.objects.exists() and not BallotToken.objects.exists()
    assert sorted(stored_ballots_in(list(Ballot.objects.values_list("id", flat=True)))) == sorted(cast)


def run_sqlite_forensics(open_round, close_round):
    db_path = Path(connection.settings_dict["NAME"])
    wal_path = Path(str(db_path) + "-wal")
    for table in storage.ANONYMOUS_TABLES:
        assert storage.is_without_rowid(table), table
    ev, codes = open_round(codes_per_group=N_BALLOTS // 2)
    tasks_before, audit_before = task_rows(), AuditRecord.objects.count()
    cast, used = cast_known_ballots(ev, codes)
    assert task_rows() == tasks_before and AuditRecord.objects.count() == audit_before
    boxes = _common_checks_while_open(ev, cast, used)
    # a copy of the database and its log taken while the round is open: no answer in plain
    snapshot = db_path.read_bytes() + (wal_path.read_bytes() if wal_path.exists() else b"")
    for group, rows in cast:
        assert sealing.ballot_pack(group, rows) not in snapshot
    close_round(ev)
    # after close: the log is cut, the boxes and the codes are overwritten, the ballots are stored in
    # the order of random keys
    assert not wal_path.exists() or wal_path.stat().st_size == 0
    after = db_path.read_bytes()
    assert not any(b in after for b in boxes)
    assert not any(code_hash(c).encode() in after for c in used)
    _common_checks_after_close(ev, cast)
    storage_order = list(Ballot.objects.values_list("id", flat=True))  # a table scan: the B-tree's order
    assert_no_better_than_chance(cast_position(cast, stored_ballots_in(storage_order)), "SQLite storage order")
    offsets = sorted(Ballot.objects.values_list("id", flat=True), key=lambda i: after.find(i.hex.encode()))
    assert all(after.find(i.hex.encode()) >= 0 for i in offsets)
    assert_no_better_than_chance(cast_position(cast, stored_ballots_in(offsets)), "SQLite file offsets")


@pytest.mark.skipif(not ON_SQLITE or IN_MEMORY, reason="runs inside the child pytest with a file-based SQLite database")
@pytest.mark.django_db(transaction=True)
def test_forensics_on_the_sqlite_file(open_round, close_round):
    run_sqlite_forensics(open_round, close_round)


@pytest.mark.skipif(not IN_MEMORY, reason="the file-based SQLite forensics run directly")
def test_an_operator_with_the_sqlite_files_links_no_ballot_to_its_code_or_order(tmp_path):
    proc = pytest_on_a_sqlite_file(__file__, tmp_path, timeout=900)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_operator_with_the_postgresql_rows_links_no_ballot_to_its_code_or_order(open_round, close_round):
    ev, codes = open_round(codes_per_group=N_BALLOTS // 2)
    tasks_before, audit_before = task_rows(), AuditRecord.objects.count()
    cast, used = cast_known_ballots(ev, codes)
    assert task_rows() == tasks_before and AuditRecord.objects.count() == audit_before
    _common_checks_while_open(ev, cast, used)
    with connection.cursor() as cur:
        # while open, a sealed box shares its transaction id with the spent code (unavoidable: one
        # transaction), but the box is all the transaction holds of the ballot
        cur.execute("SELECT xmin::text FROM evaluations_sealedballot")
        assert len({r[0] for r in cur.fetchall()}) == N_BALLOTS
    close_round(ev)
    _common_checks_after_close(ev, cast)
    with connection.cursor() as cur:
        cur.execute("SELECT id, xmin::text, ctid::text FROM evaluations_ballot")
        rows = cur.fetchall()
    assert len({xmin for _i, xmin, _c in rows}) == 1  # one transaction wrote them all
    by_ctid = sorted(rows, key=lambda r: tuple(int(x) for x in r[2].strip("()").split(",")))
    ids = [r[0] for r in by_ctid]
    assert_no_better_than_chance(cast_position(cast, stored_ballots_in(ids)), "PostgreSQL ctid order")
    with connection.cursor() as cur:
        cur.execute("SELECT xmin::text, ctid::text FROM evaluations_ballotanswer")
        answer_rows = cur.fetchall()
    assert len({x for x, _c in answer_rows}) == 1


def test_the_order_check_catches_a_store_that_keeps_the_casting_order():
    for leaky in (list(range(N_BALLOTS)), list(reversed(range(N_BALLOTS))), [1, 0, *range(2, N_BALLOTS)]):
        with pytest.raises(AssertionError):
            assert_no_better_than_chance(leaky, "leaky")
    assert_no_better_than_chance(random.Random(3).sample(range(N_BALLOTS), N_BALLOTS), "shuffled")
