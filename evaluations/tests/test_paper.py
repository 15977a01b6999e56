import pytest

from audit.models import AuditRecord
from core.exceptions import ServiceError
from evaluations.models import Evaluation, PaperBatch
from evaluations.results import collect
from evaluations.services import (
    evaluation_tally,
    paper_batch_check,
    paper_batch_enter,
    paper_issue,
)


@pytest.fixture
def paper_round(make_round, office, open_a_round):
    ev = make_round(groups=(("群众", 20, 10, 1),))
    group = ev.groups.get()
    paper_issue(actor=office, group=group, count=10)
    return open_a_round(ev), group


def _counts(ev, sat, dis):
    g_sat = ev.grades.get(label="满意").pk
    g_dis = ev.grades.get(label="不满意").pk
    out = {}
    for t in ev.targets.all():
        for i in ev.items.filter(applies_to__in=["all", "unit"]):
            out[(t.pk, i.pk, g_sat)] = sat
            out[(t.pk, i.pk, g_dis)] = dis
    return out


def test_it_counts_a_batch_only_after_a_second_person_checks_it(close_round, cast, paper_round, office):
    ev, group = paper_round
    batch = paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="1号票箱", returned=8, invalid=1, counts=_counts(ev, 6, 1)
    )
    assert collect(ev)["ballots"] == 0
    with pytest.raises(ServiceError):
        paper_batch_check(actor=office, batch=batch, approve=True)
    close_round(ev)
    with pytest.raises(ServiceError):
        evaluation_tally(actor=office, evaluation=ev)  # the batch is not checked yet
    paper_batch_check(actor=cast.user("principal"), batch=batch, approve=True)
    batch.refresh_from_db()
    assert batch.status == PaperBatch.Status.CHECKED and batch.checked_by == cast.user("principal")
    evaluation_tally(actor=office, evaluation=ev)
    row = collect(ev)["targets"][0]
    assert row["valid_ballots"] == 7 and row["invalid_ballots"] == 1
    assert row["satisfaction"] == round(__import__("decimal").Decimal(6) / 7, 4)
    assert AuditRecord.objects.filter(action="evaluation.paper_batch_check").exists()


def test_it_voids_the_round_when_more_ballots_come_back_than_were_issued(close_round, paper_round, office):
    ev, group = paper_round
    paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="1", returned=6, invalid=0, counts=_counts(ev, 6, 0)
    )
    paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="2", returned=5, invalid=0, counts=_counts(ev, 5, 0)
    )
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.VOID
    assert "11" in ev.void_reason and "10" in ev.void_reason and "无效" in ev.void_reason
    assert AuditRecord.objects.filter(action="evaluation.void", object_id=str(ev.pk)).exists()
    with pytest.raises(ServiceError):
        close_round(ev)


def test_it_refuses_a_batch_with_more_answers_than_valid_ballots(paper_round, office):
    ev, group = paper_round
    with pytest.raises(ServiceError):
        paper_batch_enter(
            actor=office, evaluation=ev, group=group, label="1", returned=5, invalid=1, counts=_counts(ev, 4, 1)
        )
    assert not PaperBatch.objects.exists()


def test_it_ignores_a_batch_sent_back_for_correction(cast, paper_round, office):
    ev, group = paper_round
    batch = paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="1", returned=9, invalid=0, counts=_counts(ev, 9, 0)
    )
    with pytest.raises(ServiceError):
        paper_batch_check(actor=cast.user("principal"), batch=batch, approve=False)  # needs a note
    paper_batch_check(actor=cast.user("principal"), batch=batch, approve=False, note="满意票数与原票不符")
    # the corrected batch does not count the rejected one against the issued number
    paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="1 (更正)", returned=9, invalid=0, counts=_counts(ev, 8, 1)
    )
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.OPEN
