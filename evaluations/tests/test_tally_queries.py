"""The tally's fixed cost (issue #17, P6): its statements do not grow with the round's targets, items or
groups, and the parts it reads only where the round has them (bands, combined score, free texts, paper)
are read and counted when it has them."""

import datetime
import uuid
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations.models import (
    ComponentValue,
    EvaluationItem,
    EvaluationTarget,
    FreeText,
    PaperBatch,
    PaperCount,
    PassRule,
    ScoreBand,
    ScoreComponent,
)
from evaluations.results import collect
from evaluations.services import evaluation_tally, item_save, target_add


def _vote_all(ev, codes, vote, label):
    targets = list(ev.targets.all())
    for code in [c for group in codes.values() for c in group]:
        vote(ev, code, dict.fromkeys(targets, label))


def _tally_statements(ev, office) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        evaluation_tally(actor=office, evaluation=ev)
    return [q["sql"] for q in ctx.captured_queries]


def test_the_tally_statements_do_not_grow_with_targets_items_or_groups(
    cast, close_round, make_round, open_a_round, office, vote
):
    from evaluations.services import codes_issue

    def held(ev, codes_per_group):
        codes = {}
        for g in ev.groups.all():
            _batch, codes[g.name] = codes_issue(actor=office, evaluation=ev, group=g, count=codes_per_group)
        ev = open_a_round(ev)
        _vote_all(ev, codes, vote, "满意")
        close_round(ev)
        return ev

    small = held(make_round(groups=(("党员", 10, 1, 1),)), 2)
    big = make_round(groups=(("党员", 10, 1, 1), ("群众", 10, 1, 1), ("服务对象", 10, 1, 2)))
    target_add(actor=office, evaluation=big, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.section_a)
    target_add(actor=office, evaluation=big, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.college)
    target_add(actor=office, evaluation=big, kind=EvaluationTarget.Kind.TEAM, unit=cast.dept_a)
    item_save(actor=office, evaluation=big, text="作风转变", applies_to=EvaluationItem.AppliesTo.ALL)
    big = held(big, 3)
    assert (big.targets.count(), big.items.count(), big.groups.count()) > (
        small.targets.count(),
        small.items.count(),
        small.groups.count(),
    )

    few, many = _tally_statements(small, office), _tally_statements(big, office)
    assert len(few) == len(many), "\n".join(many)
    # the fixed cost itself: the round's state and parts, its shape (grades, groups, items, targets,
    # rules), answers and ballots, two UPDATEs, the audit record (lock the head, insert, move the head: no
    # savepoint of its own, the head read once), the savepoint
    assert len(many) <= 15, "\n".join(many)
    audit = [sql for sql in many if "audit_audithead" in sql or "audit_auditrecord" in sql]
    assert len(audit) == 3, "\n".join(audit)
    big.refresh_from_db()
    assert big.status == "tallied"
    assert set(big.targets.values_list("result", flat=True)) == {"passed"}
    assert set(big.targets.values_list("valid_ballots", flat=True)) == {9}


def test_the_rules_come_with_their_grades_in_one_statement(close_round, open_round, vote, office):
    ev, codes = open_round(preset="competence")
    _vote_all(ev, codes, vote, "称职")
    close_round(ev)
    data = collect(ev)
    with CaptureQueriesContext(connection) as ctx:
        held = {r.pk: [g.pk for g in r.grades.all()] for r in data["rules"]}
    assert not ctx.captured_queries
    stored = {r.pk: [g.pk for g in r.grades.all()] for r in PassRule.objects.filter(evaluation=ev)}
    assert held == stored and any(held.values())


def test_the_parts_a_round_has_are_counted(close_round, open_round, vote, office):
    """Bands, combined score, free texts and a checked paper batch: each read and counted by the tally
    (a round without them reads none of them)."""
    ev, codes = open_round(preset="satisfaction")
    a, b = list(ev.targets.order_by("order", "pk"))
    _vote_all(ev, codes, vote, "满意")
    close_round(ev)
    plain = collect(ev)
    assert plain["bands"] == [] and plain["components"] == [] and plain["free_texts"] == {}
    assert {t["paper_returned"] for t in plain["turnout"]} == {0}

    group = ev.groups.order_by("order", "pk").first()
    ScoreBand.objects.create(evaluation=ev, label="好", lower=Decimal(90), order=0)
    own = ScoreComponent.objects.create(evaluation=ev, name="评议", is_evaluation=True, weight=Decimal(50))
    other = ScoreComponent.objects.create(evaluation=ev, name="考勤", weight=Decimal(50), order=1)
    ComponentValue.objects.create(component=other, target=a, value=Decimal(80))
    ComponentValue.objects.create(component=other, target=b, value=Decimal(60))
    FreeText.objects.create(id=uuid.uuid4(), evaluation=ev, target=a, group=group, field="strengths", text="务实")
    today = datetime.date.today()
    batch = PaperBatch.objects.create(
        evaluation=ev,
        group=group,
        label="一",
        returned=3,
        status=PaperBatch.Status.CHECKED,
        entered_by=office,
        entered_on=today,
        checked_by=office,
        checked_on=today,
    )
    dissatisfied = ev.grades.get(label="不满意")
    for item in ev.items.all():
        if item.applies(a.kind):
            PaperCount.objects.create(batch=batch, target=a, item=item, grade=dissatisfied, count=3)

    evaluation_tally(actor=office, evaluation=ev)
    data = collect(ev)
    row_a = next(r for r in data["targets"] if r["target"].pk == a.pk)
    assert [band.label for band in data["bands"]] == ["好"]
    assert [c.pk for c in data["components"]] == [own.pk, other.pk]
    assert row_a["parts"] == [row_a["score"], Decimal(80)]
    assert data["free_texts"][a.pk][group.pk]["strengths"] == ["务实"]
    assert {t["group"].pk: t["paper_returned"] for t in data["turnout"]}[group.pk] == 3
    assert row_a["valid_ballots"] == 12 + 3  # the paper ballots counted with the online ones
    a.refresh_from_db()
    assert a.valid_ballots == 15
    assert a.satisfaction == Decimal(12) / Decimal(15)  # 12 online 满意, 3 paper 不满意 on every item
    assert row_a["band"] is None  # 80 < 90
    row_b = next(r for r in data["targets"] if r["target"].pk == b.pk)
    assert row_b["band"] is not None and row_b["band"].label == "好"


def test_the_results_are_written_in_batches_with_empty_figures(make_round):
    """More targets than one statement takes (SQLite: 999 parameters, 76 targets a statement): every one
    written; a withheld figure (None) stays empty."""
    from evaluations.services.tally import _store_results

    ev = make_round()
    a, b = list(ev.targets.order_by("order", "pk"))
    a.result, a.satisfaction, a.low_share, a.score, a.valid_ballots, a.fail_reasons = "failed", None, None, None, 7, "x"
    b.result, b.satisfaction, b.low_share, b.score, b.valid_ballots = (
        "passed",
        Decimal("0.8333"),
        Decimal("0.1"),
        Decimal("91.25"),
        12,
    )
    many = [a, b] * 300  # 600 rows: several statements on either database
    with CaptureQueriesContext(connection) as ctx:
        _store_results(many, ["result", "satisfaction", "low_share", "score", "valid_ballots", "fail_reasons"])
    assert len(ctx.captured_queries) > 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.result, a.satisfaction, a.low_share, a.score, a.valid_ballots, a.fail_reasons) == (
        "failed",
        None,
        None,
        None,
        7,
        "x",
    )
    assert (b.result, b.satisfaction, b.low_share, b.score, b.valid_ballots) == (
        "passed",
        Decimal("0.8333"),
        Decimal("0.1000"),
        Decimal("91.25"),
        12,
    )
