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


def test_only_checked_batches_void_the_round_the_void_is_recorded_and_lifted_once_corrected(
    cast, client_for, close_round, paper_round, office
):
    """10 issued. Batches 6 and 5 entered: nothing happens until checked. Both checked: 11 > 10 → void,
    recorded with the checker, the day and the figures. Batch 2 was mistyped (4 ballots, not 5): sent
    back (its counts stop counting), re-entered as 4 and checked (10 ≤ 10), the office lifts the void
    and the round is tallied with 10 ballots."""
    from django.urls import reverse
    from django.utils import timezone

    ev, group = paper_round
    c = client_for(office)
    b1 = paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="1", returned=6, invalid=0, counts=_counts(ev, 6, 0)
    )
    b2 = paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="2", returned=5, invalid=0, counts=_counts(ev, 5, 0)
    )
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.OPEN and not ev.over_return_reason  # typed, not yet checked
    checker = cast.user("principal")
    paper_batch_check(actor=checker, batch=b1, approve=True)
    paper_batch_check(actor=checker, batch=b2, approve=True)
    ev.refresh_from_db()
    assert "11" in ev.over_return_reason and "10" in ev.over_return_reason and "无效" in ev.over_return_reason
    assert (ev.over_return_by, ev.over_return_on) == (checker, timezone.localdate())
    assert ev.status == Evaluation.Status.OPEN  # the ballots are kept: the void can be lifted
    assert AuditRecord.objects.filter(action="evaluation.paper_void", object_id=str(ev.pk)).exists()
    page = c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "本次评议无效" in page and "书记王强" in page

    close_round(ev)
    with pytest.raises(ServiceError):
        evaluation_tally(actor=office, evaluation=ev)  # void: no tally
    r = c.post(reverse("evaluations:paper_void_lift", args=[ev.pk]), {"reason": "第2批已更正"}, follow=True)
    assert "仍超过" in r.content.decode()  # the wrong batch still counts
    c.post(reverse("evaluations:paper_batch_send_back", args=[b2.pk]), {"note": "实为4张"})
    b2.refresh_from_db()
    assert b2.status == PaperBatch.Status.REJECTED and b2.check_note == "实为4张"
    b3 = paper_batch_enter(
        actor=office, evaluation=ev, group=group, label="2（更正）", returned=4, invalid=0, counts=_counts(ev, 4, 0)
    )
    paper_batch_check(actor=checker, batch=b3, approve=True)
    c.post(reverse("evaluations:paper_void_lift", args=[ev.pk]), {"reason": "第2批已更正并复核"})
    ev.refresh_from_db()
    assert not ev.over_return_reason and ev.over_return_by is None
    lift = AuditRecord.objects.get(action="evaluation.paper_void_lift", object_id=str(ev.pk))
    assert lift.changes["reason"] == "第2批已更正并复核"
    evaluation_tally(actor=office, evaluation=ev)
    assert collect(ev)["ballots"] == 10


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
