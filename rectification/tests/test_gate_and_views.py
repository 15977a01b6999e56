"""The RECTIFICATION gate, the look-back link, and the pages' access rules."""

from datetime import date

import pytest
from django.urls import reverse

from audit.models import AuditRecord
from campaigns.models import CampaignUnit, LookBack, Stage
from campaigns.services import participant_advance
from core.exceptions import ServiceError
from meetings.models import LifeMeeting, MeetingMeasure
from problems.models import Problem
from rectification import services
from rectification.gates import rectification_done
from rectification.models import Measure, RectificationPlan

from .helpers import pdf


def _in_rectification(campaign, unit) -> CampaignUnit:
    p = CampaignUnit.objects.get(campaign=campaign, unit=unit)
    CampaignUnit.objects.filter(pk=p.pk).update(stage=Stage.RECTIFICATION)
    p.refresh_from_db()
    return p


def _close(cast, m):
    if m.status == "planned":
        services.measure_start(actor=m.owner.user, measure=m)
    services.evidence_add(actor=m.owner.user, measure=m, files=[pdf()])
    services.closeout_request(actor=m.owner.user, measure=m)
    return services.measure_verify(actor=cast.user("supervisor"), measure=m)


def test_it_closes_a_unit_only_when_its_deadline_measures_are_verified(cast, campaign, draft_a):
    participant = _in_rectification(campaign, cast.dept_a)
    assert any("no approved" in b or "尚无" in b or "approved" in b for b in rectification_done(participant))
    long_term = services.measure_create(
        actor=cast.user("office"),
        plan=draft_a,
        content="长期坚持每周巡课",
        goal="常态化",
        owner=cast.member_a,
        time_class=Measure.TimeClass.LONG_TERM,
    )
    services.plan_submit(actor=cast.user("office"), plan=draft_a)
    services.plan_approve(actor=cast.user("supervisor"), plan=draft_a)
    blockers = rectification_done(participant)
    assert len(blockers) == 2  # the deadline measure unverified, the long-term one without progress
    with pytest.raises(ServiceError):
        participant_advance(actor=cast.user("office"), participant=participant)
    _close(cast, draft_a.measures.get(time_class="deadline"))
    services.progress_report(actor=cast.user("member_a"), measure=long_term, content="本周巡课5次", percent=30)
    assert rectification_done(participant) == []
    lb = LookBack.objects.create(participant=participant, reason="群众反映整改不实", round=2)
    assert len(rectification_done(participant)) == 1
    LookBack.objects.filter(pk=lb.pk).update(status=LookBack.Status.DONE)
    participant = participant_advance(actor=cast.user("office"), participant=participant)
    assert participant.stage == Stage.CLOSED


def test_it_sends_a_subject_round_again_when_rectification_is_not_real(cast, campaign, plan_a, client_for):
    client = client_for(cast.user("head_a"))
    assert client.post(reverse("rectification:plan_not_real", args=[plan_a.pk]), {"reason": "x"}).status_code == 403
    assert not LookBack.objects.exists()  # only the office opens a look-back
    client = client_for(cast.user("office"))
    client.post(reverse("rectification:plan_not_real", args=[plan_a.pk]), {"reason": "整改流于形式"})
    lb = LookBack.objects.get()
    assert lb.participant.unit == cast.dept_a and lb.round == 2 and lb.source_ref == f"rectification.plan:{plan_a.pk}"
    problem = Problem.objects.create(
        campaign=campaign,
        unit=cast.dept_a,
        description="调停课仍需纸质签字",
        channel="superior_feedback",
        lookback=lb,
        round=2,
    )
    response = client.post(reverse("rectification:lookback_plan", args=[lb.pk]))
    plan2 = RectificationPlan.objects.get(lookback=lb)
    assert response.url == reverse("rectification:plan", args=[plan2.pk])
    assert plan2.round == 2 and plan2.unit == cast.dept_a
    assert list(plan2.measures.get().problems.all()) == [problem]
    page = client.get(reverse("rectification:lookbacks")).content.decode()
    assert plan_a.title in page and plan2.title in page  # both rounds visible
    detail = client.get(reverse("rectification:plan", args=[plan2.pk])).content.decode()
    assert reverse("rectification:plan", args=[plan_a.pk]) in detail
    assert AuditRecord.objects.filter(action="rectification.plan.not_real").exists()


def test_it_drafts_a_plan_from_the_meetings_agreed_measures(cast, campaign, client_for):
    from django.utils import timezone

    meeting = LifeMeeting.objects.create(
        campaign=campaign,
        unit=cast.dept_a,
        theme="教务处专题民主生活会",
        date=timezone.now(),
        place="会议室",
        status="filed",
        held_at=timezone.now(),
        filed_at=timezone.now(),
    )
    problem = Problem.objects.create(
        campaign=campaign, unit=cast.dept_a, description="服务意识不强", channel="life_meeting"
    )
    mm = MeetingMeasure.objects.create(meeting=meeting, content="开展服务承诺活动", person=cast.member_a)
    mm.problems.add(problem)
    MeetingMeasure.objects.create(meeting=meeting, content="建立督办台账")
    url = reverse("rectification:plan_from_meeting", args=[meeting.pk])
    assert client_for(cast.user("outsider")).get(url).status_code == 404
    assert client_for(cast.user("principal")).get(url).status_code == 403
    client = client_for(cast.user("head_a"))
    assert "开展服务承诺活动" in client.get(url).content.decode()
    response = client.post(url)
    plan = RectificationPlan.objects.get(meeting=meeting)
    assert response.url == reverse("rectification:plan", args=[plan.pk])
    measures = list(plan.measures.order_by("pk"))
    assert [m.owner for m in measures] == [cast.member_a, cast.head_a]
    assert list(measures[0].problems.all()) == [problem] and measures[0].meeting_measure == mm
    client.post(url)
    assert RectificationPlan.objects.filter(meeting=meeting).count() == 1


def test_it_shows_each_user_their_part_of_the_index(cast, plan_a, client_for):
    def page(key):
        return client_for(cast.user(key)).get(reverse("rectification:index")).content.decode()

    assert "规范调停课审批" in page("cadre_a")  # my measures
    assert plan_a.title in page("head_a")  # my unit's plans
    assert plan_a.title in page("office")  # all plans
    assert plan_a.title not in page("outsider") and plan_a.title not in page("head_b")


def test_it_hides_plans_and_measures_of_others_and_refuses_read_only_writes(cast, plan_a, measure_a, client_for):
    plan_url = reverse("rectification:plan", args=[plan_a.pk])
    measure_url = reverse("rectification:measure", args=[measure_a.pk])
    for key in ("outsider", "head_b", "staff_a"):
        c = client_for(cast.user(key))
        assert c.get(plan_url).status_code == 404
        assert c.get(measure_url).status_code == 404
    reader = client_for(cast.user("principal"))  # may view the college, may not change anything
    assert reader.get(plan_url).status_code == 200
    assert reader.post(reverse("rectification:plan_submit", args=[plan_a.pk])).status_code == 403
    assert reader.post(reverse("rectification:measure_start", args=[measure_a.pk])).status_code == 403


def test_it_verifies_a_closeout_through_the_page(cast, measure_a, client_for):
    services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=[pdf()])
    services.measure_start(actor=cast.user("cadre_a"), measure=measure_a)
    client_for(cast.user("cadre_a")).post(
        reverse("rectification:closeout_request", args=[measure_a.pk]), {"note": "完成"}
    )
    measure_a.refresh_from_db()
    assert measure_a.status == "closeout_requested"
    client = client_for(cast.user("head_a"))
    assert "规范调停课审批" in client.get(reverse("rectification:index")).content.decode()
    client.post(
        reverse("rectification:measure_verify", args=[measure_a.pk]),
        {"decision": "return", "comment": "材料不全", "new_deadline": "2030-01-10"},
    )
    measure_a.refresh_from_db()
    assert measure_a.status == "returned" and measure_a.deadline == date(2030, 1, 10)


def test_it_keeps_the_index_query_count_flat(cast, campaign, plan_a, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    client.get(reverse("rectification:index"))
    for i in range(8):
        p = services.plan_create(actor=cast.user("office"), campaign=campaign, unit=cast.dept_b, title=f"p{i}")
        services.measure_create(
            actor=cast.user("office"), plan=p, content=f"c{i}", goal="g", owner=cast.head_b, deadline=date(2027, 1, 1)
        )
    with django_assert_max_num_queries(25):
        response = client.get(reverse("rectification:index"))
    assert response.content.decode().count("/rectification/plans/") >= 9


@pytest.mark.parametrize(
    "name", ["index", "warnings", "rules", "commitments", "ranking", "marks", "lookbacks", "plan_create"]
)
def test_it_renders_every_page_for_the_office(cast, plan_a, client_for, name):
    assert client_for(cast.user("office")).get(reverse(f"rectification:{name}")).status_code == 200


def test_it_requires_login(client, plan_a):
    response = client.get(reverse("rectification:index"))
    assert response.status_code == 302 and "login" in response.url
