"""Valid ballots per target and group as the tally counts them (results._online): a ballot is valid for a
target when it gives it at least one valid answer, so a ballot answering every item of a target with
不了解 is not, and one answering some items with 不了解 still is. The tally finds these from the
grouped answers and the non-vote answers; the test checks the figures against known values and against
a count ballot by ballot, with checked paper batches joining the online counts."""

from collections import defaultdict

from evaluations.models import BallotAnswer
from evaluations.results import collect
from evaluations.services import (
    ballot_cast,
    ballot_questions,
    evaluation_tally,
    paper_batch_check,
    paper_batch_enter,
    paper_issue,
)


def _cast(ev, code, grade_of):
    """Cast one ballot: `grade_of(target, item index)` gives each answer's grade label."""
    labels = {g.label: g.pk for g in ev.grades.all()}
    ballot_cast(
        code=code,
        answers={
            (t.pk, i.pk): labels[grade_of(t, k)] for t, items in ballot_questions(ev) for k, i in enumerate(items)
        },
    )


def _ballot_by_ballot(ev) -> dict:
    """{(target id, group id): ballots with at least one valid answer to the target}, counted one by one."""
    seen = defaultdict(set)
    for ballot, target, group, valid in BallotAnswer.objects.filter(ballot__evaluation=ev).values_list(
        "ballot_id", "target_id", "ballot__group_id", "grade__is_valid"
    ):
        if valid:
            seen[(target, group)].add(ballot)
    return {k: len(v) for k, v in seen.items()}


def _round(make_round, office, open_a_round, *, paper=0):
    from evaluations.services import codes_issue

    ev = make_round(include_unknown=True)
    codes = {}
    for g in ev.groups.order_by("order"):
        _b, codes[g.name] = codes_issue(actor=office, evaluation=ev, group=g, count=6)
        if paper:
            paper_issue(actor=office, group=g, count=paper)
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    return ev, codes, a, b


def _vote_the_pattern(ev, codes, a, b):
    """党员: two ballots answer every item of A with 不了解 (not valid for A), one answers only the first
    item so (valid); B gets one 不了解 from each ballot, on a different item each time (every item has
    some, every ballot is valid). 群众: A with no 不了解 at all; B answered 不了解 throughout (no
    valid ballot for B in the group)."""
    for n, code in enumerate(codes["党员"]):

        def grade_of(t, k, n=n):
            if t == a:
                return "不了解" if n < 2 or (n == 2 and k == 0) else "满意"
            return "不了解" if k == n % 3 else "不满意"

        _cast(ev, code, grade_of)
    for code in codes["群众"]:
        _cast(ev, code, lambda t, k: "满意" if t == a else "不了解")


def test_it_counts_a_ballot_valid_for_a_target_only_with_a_valid_answer_to_it(
    close_round, make_round, office, open_a_round
):
    ev, codes, a, b = _round(make_round, office, open_a_round)
    _vote_the_pattern(ev, codes, a, b)
    close_round(ev)
    groups = {g.name: g.pk for g in ev.groups.all()}
    expected = {(a.pk, groups["党员"]): 4, (a.pk, groups["群众"]): 6, (b.pk, groups["党员"]): 6}
    assert _ballot_by_ballot(ev) == expected
    data = collect(ev)
    row_a, row_b = data["targets"]
    # a group without valid ballots has no entry, as before (not an entry of 0)
    assert row_a["valid_every_group"] == {groups["党员"]: 4, groups["群众"]: 6}
    assert row_b["valid_every_group"] == {groups["党员"]: 6}
    assert (row_a["valid_ballots"], row_a["invalid_ballots"]) == (10, 2)
    assert (row_b["valid_ballots"], row_b["invalid_ballots"]) == (6, 6)
    evaluation_tally(actor=office, evaluation=ev)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.valid_ballots, b.valid_ballots) == (10, 6)
    # A: 不了解 is no valid vote: 4 + 6 ballots × 3 items satisfied, less ballot 2's first item
    assert a.satisfaction == 1
    assert b.satisfaction == 0


def test_checked_paper_batches_join_the_online_valid_ballots(cast, close_round, make_round, office, open_a_round):
    ev, codes, a, b = _round(make_round, office, open_a_round, paper=10)
    _vote_the_pattern(ev, codes, a, b)
    group = ev.groups.get(name="群众")
    grade = {g.label: g.pk for g in ev.grades.all()}
    items = {t.pk: [i.pk for i in its] for t, its in ballot_questions(ev)}
    # a batch of 4: for A the most valid answers any item got is 4 (its second item), for B 1
    counts = {}
    for k, i in enumerate(items[a.pk]):
        sat, unknown = [(2, 2), (4, 0), (3, 0)][k]
        counts[(a.pk, i, grade["满意"])] = sat
        counts[(a.pk, i, grade["不了解"])] = unknown
    for i in items[b.pk]:
        counts[(b.pk, i, grade["不满意"])] = 1
        counts[(b.pk, i, grade["不了解"])] = 3
    batch = paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="1号票箱", returned=5, invalid=1, counts=counts
    )
    paper_batch_check(actor=cast.user("principal"), batch=batch, approve=True)
    close_round(ev)
    data = collect(ev)
    row_a, row_b = data["targets"]
    assert data["ballots"] == 12 + 5
    assert row_a["valid_every_group"] == {ev.groups.get(name="党员").pk: 4, group.pk: 6 + 4}
    assert row_b["valid_every_group"] == {ev.groups.get(name="党员").pk: 6, group.pk: 1}
    assert (row_a["valid_ballots"], row_a["invalid_ballots"]) == (14, 3)
    assert (row_b["valid_ballots"], row_b["invalid_ballots"]) == (7, 10)
