"""Public commitments (承诺 → 示诺 → 践诺 → 评诺), rankings and the three- and six-month marks."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.exceptions import Conflict, ServiceError
from rectification import commitments as cs
from rectification import rankings, services
from rectification.models import Commitment, Measure, RankingBoard

from .helpers import pdf

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def commitment(cast, campaign):
    return cs.commitment_create(
        actor=cast.user("cadre_a"),
        campaign=campaign,
        person=cast.cadre_a,
        content="立足岗位，服务师生",
        items=[("学生咨询当日回复", date(2026, 12, 31))],
    )


def _publish(cast, commitment):
    """Submitted by the cadre, approved (示诺) by the campaign office."""
    cs.commitment_submit(actor=cast.user("cadre_a"), commitment=commitment)
    commitment.refresh_from_db()
    return cs.commitment_review(actor=cast.user("office"), commitment=commitment, approve=True)


def test_it_walks_a_commitment_through_commit_publish_and_fulfil(cast, commitment):
    assert cs.phase_of(commitment) == 0
    with pytest.raises(PermissionDenied):
        cs.commitment_submit(actor=cast.user("staff_a"), commitment=commitment)
    cs.commitment_item_add(
        actor=cast.user("cadre_a"), commitment=commitment, content="每月公开办事流程", deadline=date(2027, 1, 31)
    )
    c = _publish(cast, commitment)
    assert c.status == Commitment.Status.PUBLISHED and c.published_at and cs.phase_of(c) == 1
    with pytest.raises(ServiceError):
        cs.commitment_item_add(actor=cast.user("cadre_a"), commitment=c, content="x", deadline=date(2027, 1, 1))
    with pytest.raises(Conflict):
        cs.commitment_submit(actor=cast.user("cadre_a"), commitment=c)
    item = c.items.first()
    with pytest.raises(PermissionDenied):
        cs.commitment_progress(actor=cast.user("head_a"), item=item, content="x")
    cs.commitment_progress(actor=cast.user("cadre_a"), item=item, content="11月咨询均当日回复", done=True)
    c.refresh_from_db()
    item.refresh_from_db()
    assert c.status == Commitment.Status.PRACTISING and item.done_at and cs.phase_of(c) == 2


def test_it_shows_published_commitments_inside_the_institution_only(cast, commitment, client_for):
    url = reverse("rectification:commitment", args=[commitment.pk])
    assert client_for(cast.user("staff_a")).get(url).status_code == 404  # a draft is not yet public
    _publish(cast, commitment)
    assert client_for(cast.user("staff_a")).get(url).status_code == 200
    assert client_for(cast.user("head_b")).get(url).status_code == 200
    assert client_for(cast.user("outsider")).get(url).status_code == 404
    listing = client_for(cast.user("staff_a")).get(reverse("rectification:commitments")).content.decode()
    assert "立足岗位" in listing


def test_it_assesses_commitments_with_the_evaluation_machinery(cast, campaign, commitment):
    pytest.importorskip("evaluations.services")
    from evaluations.models import Evaluation, EvaluationTarget

    _publish(cast, commitment)
    with pytest.raises(PermissionDenied):
        cs.commitment_assessment_open(actor=cast.user("head_a"), campaign=campaign, commitments=[commitment], name="x")
    ev = cs.commitment_assessment_open(
        actor=cast.user("office"), campaign=campaign, commitments=[commitment], name="干部公开承诺民主测评"
    )
    assert Evaluation.objects.get(pk=ev.pk).kind == "assessment"
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.ASSESSING and commitment.assessment_target.person == cast.cadre_a
    assert cs.commitments_collect_results(actor=cast.user("office"), campaign=campaign) == 0  # not tallied yet
    EvaluationTarget.objects.filter(pk=commitment.assessment_target_id).update(
        result="passed", satisfaction=Decimal("0.9")
    )
    assert cs.commitments_collect_results(actor=cast.user("office"), campaign=campaign) == 0  # not published yet
    Evaluation.objects.filter(pk=ev.pk).update(
        status="tallied", tallied_at=datetime.now(ZoneInfo("UTC")), published_on=date.today()
    )
    assert cs.commitments_collect_results(actor=cast.user("office"), campaign=campaign) == 1
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.ASSESSED


def _measure(cast, plan, deadline, owner):
    return services.measure_create(
        actor=cast.user("office"), plan=plan, content=f"m{deadline}", goal="g", owner=owner, deadline=deadline
    )


def _close(cast, m, reviewer):
    services.evidence_add(actor=m.owner.user, measure=m, files=[pdf()])
    services.measure_start(actor=m.owner.user, measure=m)
    services.closeout_request(actor=m.owner.user, measure=m)
    services.measure_verify(actor=reviewer, measure=m)


def test_it_ranks_departments_by_completion_and_on_time_rates(cast, campaign, client_for):
    plans = {}
    for unit, owner in ((cast.dept_a, cast.cadre_a), (cast.dept_b, cast.head_b)):
        plans[unit.pk] = p = services.plan_create(
            actor=cast.user("office"), campaign=campaign, unit=unit, title=f"{unit}方案"
        )
        for d in (date(2026, 11, 20), date(2026, 12, 20)):
            _measure(cast, p, d, owner)
    for p in plans.values():
        services.plan_submit(actor=cast.user("office"), plan=p)
        services.plan_approve(actor=p.reviewer, plan=p)
    a1, a2 = plans[cast.dept_a.pk].measures.order_by("deadline")
    b1, _b2 = plans[cast.dept_b.pk].measures.order_by("deadline")
    with time_machine.travel(datetime(2026, 11, 15, 10, tzinfo=TZ), tick=False):
        _close(cast, a1, cast.user("head_a"))
        _close(cast, a2, cast.user("head_a"))
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=TZ), tick=False):
        _close(cast, b1, cast.user("office"))  # five days late
        rows = rankings.ranking_rows(campaign)
    a, b = rows
    assert (a["unit"], a["rank"], a["completion"], a["on_time"]) == ("教务处", 1, "100.00", "100.00")
    assert (b["unit"], b["rank"], b["completion"], b["on_time"]) == ("财务处", 2, "50.00", "0.00")
    # (0.4 × 1/2 + 0.3 × 0) / 0.7 = 2/7 = 28.571…% → 28.57, exact and half-up
    assert a["score"] == "100.00" and b["score"] == "28.57" and b["completion_pct"] == "50.00%"
    with pytest.raises(PermissionDenied):
        rankings.board_publish(actor=cast.user("head_a"), campaign=campaign)
    client_for(cast.user("office")).post(reverse("rectification:ranking"), {"title": "第一期整改评比"})
    board = RankingBoard.objects.get()
    assert board.title == "第一期整改评比" and [r["unit"] for r in board.rows] == ["教务处", "财务处"]
    page = client_for(cast.user("staff_a")).get(reverse("rectification:ranking")).content.decode()
    assert "第一期整改评比" in page


def test_it_measures_progress_against_the_three_and_six_month_marks(cast, campaign, plan_a):
    # campaign marks: 2026-12-01 (3 months), 2027-03-01 (6 months); plan_a's measure is due 2026-12-20
    p = services.plan_create(actor=cast.user("office"), campaign=campaign, unit=cast.dept_b, title="财务处方案")
    early = _measure(cast, p, date(2026, 11, 30), cast.head_b)
    services.plan_submit(actor=cast.user("office"), plan=p)
    services.plan_approve(actor=cast.user("principal"), plan=p)
    with time_machine.travel(datetime(2026, 11, 28, 10, tzinfo=TZ), tick=False):
        _close(cast, early, cast.user("office"))
    with time_machine.travel(datetime(2026, 12, 5, 10, tzinfo=TZ), tick=False):
        progress = rankings.milestone_progress(campaign)
    assert progress["total"]["3m"] == {
        "due": 1,
        "verified": 1,
        "verified_by_mark": 1,
        "rate": "100.00",
        "pct": "100.00%",
        "bar": 100,
    }
    assert progress["total"]["6m"]["due"] == 2 and progress["total"]["6m"]["verified"] == 1
    assert [m["passed"] for m in progress["marks"]] == [True, False]
    units = {u["unit"]: u for u in progress["units"]}
    assert units["教务处"]["3m"]["due"] == 0 and units["教务处"]["6m"]["due"] == 1


def test_it_counts_an_extended_measure_against_its_original_deadline(cast, measure_a):
    ext = services.extension_request(
        actor=cast.user("cadre_a"), measure=measure_a, reason="r", new_deadline=date(2027, 1, 31)
    )
    services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=True)
    with time_machine.travel(datetime(2027, 1, 10, 10, tzinfo=TZ), tick=False):
        _close(cast, Measure.objects.get(pk=measure_a.pk), cast.user("head_a"))
        row = rankings.ranking_rows(measure_a.plan.campaign)[0]
    assert row["completion"] == "100.00" and row["on_time"] == "0.00"


def test_home_tasks_carry_the_deadline_each_decision_works_to(cast, draft_a, client_for):
    """A plan to approve: the rectification stage's deadline; an extension to decide: the measure's own
    deadline, which the decision must beat."""
    from rectification.providers import rectification_tasks

    services.plan_submit(actor=cast.user("office"), plan=draft_a)
    waiting = [t for t in rectification_tasks(cast.user("supervisor")) if "整改方案待您审定" in t.label]
    assert len(waiting) == 1 and waiting[0].due == draft_a.campaign.rectification_due
    draft_a.refresh_from_db()
    services.plan_approve(actor=cast.user("supervisor"), plan=draft_a, comment="同意")
    measure = draft_a.measures.get()
    services.extension_request(actor=cast.user("cadre_a"), measure=measure, reason="r", new_deadline=date(2027, 1, 31))
    found = [t for t in rectification_tasks(cast.user("head_a")) if "延期申请" in t.label]
    assert len(found) == 1 and found[0].due == measure.deadline
