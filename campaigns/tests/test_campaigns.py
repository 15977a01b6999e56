from datetime import date

import pytest
import time_machine

from audit.models import AuditRecord
from campaigns import gates
from campaigns.models import Campaign, CampaignUnit, Stage, StageTransition
from campaigns.selectors import countdown
from campaigns.services import participant_advance
from core.exceptions import ServiceError


@pytest.fixture
def no_gates(monkeypatch):
    """Every gate unregistered, whatever later apps have registered (restored after the test)."""
    for stage in gates.GATE_OWNERS:
        monkeypatch.setitem(gates._registry, stage, [])


def test_it_refuses_an_unregistered_gate_with_a_clear_message(cast, campaign, no_gates):
    p = campaign.participants.get(unit=cast.dept_a)
    with pytest.raises(ServiceError) as exc:
        participant_advance(actor=cast.user("office"), participant=p)
    assert exc.value.details == ["尚未配置“集中排查”阶段的转段检查，暂不能进入下一阶段。"]
    p.refresh_from_db()
    assert p.stage == Stage.FINDING and not StageTransition.objects.exists()


def test_it_opens_a_gate_when_its_registered_check_is_satisfied(cast, campaign, no_gates):
    p = campaign.participants.get(unit=cast.dept_a)
    state = {"missing": ["班子成员张三的自查报告尚未经分管领导审定"]}

    @gates.register_gate(Stage.FINDING)
    def reports_approved(participants):
        return {p.pk: list(state["missing"]) for p in participants}

    try:
        with pytest.raises(ServiceError) as exc:
            participant_advance(actor=cast.user("office"), participant=p)
        assert exc.value.details == ["班子成员张三的自查报告尚未经分管领导审定"]
        state["missing"] = []
        participant_advance(actor=cast.user("office"), participant=p)
    finally:
        gates._registry[Stage.FINDING].remove(reports_approved)
    p.refresh_from_db()
    assert p.stage == Stage.MEETING
    assert StageTransition.objects.get(participant=p).to_stage == Stage.MEETING
    assert AuditRecord.objects.filter(action="campaign.stage_advance", object_id=str(p.pk)).exists()
    # The next gate is not registered: refused, naming the meeting stage.
    with pytest.raises(ServiceError) as exc:
        participant_advance(actor=cast.user("office"), participant=p)
    assert "专题民主生活会" in exc.value.details[0]


def test_it_counts_down_and_flags_overdue():
    assert countdown(date(2026, 10, 15), today=date(2026, 10, 10)).days_left == 5
    late = countdown(date(2026, 10, 15), today=date(2026, 10, 20))
    assert late.overdue and late.days_over == 5
    assert not countdown(date(2026, 10, 15), today=date(2026, 10, 20), done=True).overdue


def test_it_creates_a_campaign_from_the_form(cast, client_for):
    client = client_for(cast.user("office"))
    response = client.post(
        "/campaigns/new/",
        {
            "name": "2027年自查整改",
            "institution": cast.college.pk,
            "start_date": "2027-03-01",
            "finding_due": "2027-04-01",
            "meeting_due": "2027-05-01",
            "evaluation_due": "2027-06-01",
            "rectification_due": "2027-09-01",
            "milestone_3m": "2027-06-01",
            "milestone_6m": "2027-09-01",
            "peer_review_anonymous": "on",
            "units": [cast.college.pk, cast.dept_a.pk],
        },
    )
    campaign = Campaign.objects.get(name="2027年自查整改")
    assert response.status_code == 302 and response.url == f"/campaigns/{campaign.pk}/"
    assert set(campaign.participants.values_list("unit", flat=True)) == {cast.college.pk, cast.dept_a.pk}
    assert campaign.status == Campaign.Status.DRAFT
    assert AuditRecord.objects.filter(action="campaign.create", object_id=str(campaign.pk)).exists()


def test_it_refuses_stage_dates_out_of_order(cast, client_for):
    client = client_for(cast.user("office"))
    response = client.post(
        "/campaigns/new/",
        {
            "name": "乱序",
            "institution": cast.college.pk,
            "start_date": "2027-03-01",
            "finding_due": "2027-06-01",
            "meeting_due": "2027-05-01",
            "evaluation_due": "2027-06-01",
            "rectification_due": "2027-09-01",
            "milestone_3m": "2027-06-01",
            "milestone_6m": "2027-09-01",
            "units": [cast.dept_a.pk],
        },
    )
    assert response.status_code == 200 and not Campaign.objects.filter(name="乱序").exists()


def test_it_refuses_a_campaign_starting_in_year_1_and_ids_beyond_the_database(cast, client_for):
    client = client_for(cast.user("office"))
    good = {
        "name": "越界",
        "institution": cast.college.pk,
        "start_date": "2027-03-01",
        "finding_due": "2027-04-01",
        "meeting_due": "2027-05-01",
        "evaluation_due": "2027-06-01",
        "rectification_due": "2027-09-01",
        "milestone_3m": "2027-06-01",
        "milestone_6m": "2027-09-01",
        "units": [cast.dept_a.pk],
    }
    for bad in (
        {"start_date": "0001-01-01"},
        {"rectification_due": "9999-12-31"},
        {"institution": "99999999999999999999"},
        {"units": ["99999999999999999999"]},
    ):
        response = client.post("/campaigns/new/", {**good, **bad})
        assert response.status_code == 200 and b"errorlist" in response.content, bad
    assert not Campaign.objects.filter(name="越界").exists()


def test_it_edits_dates_and_units(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    data = {
        "name": campaign.name,
        "start_date": "2026-09-01",
        "finding_due": "2026-10-30",
        "meeting_due": "2026-11-15",
        "evaluation_due": "2026-12-15",
        "rectification_due": "2027-03-01",
        "milestone_3m": "2026-12-01",
        "milestone_6m": "2027-03-01",
        "units": [cast.college.pk, cast.dept_a.pk, cast.section_a.pk],
    }
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.finding_due == date(2026, 10, 30) and not campaign.peer_review_anonymous
    assert set(campaign.participants.values_list("unit", flat=True)) == {
        cast.college.pk,
        cast.dept_a.pk,
        cast.section_a.pk,
    }


def test_it_shows_the_stage_table_with_blockers_and_overdue(cast, campaign, client_for, no_gates):
    with time_machine.travel(date(2026, 10, 20)):
        response = client_for(cast.user("office")).get(f"/campaigns/{campaign.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("阶段的转段检查") == 3
    assert body.count("逾期5天") == 3


def test_it_hides_campaigns_of_other_institutions_and_forbids_editing_read_only(cast, campaign, client_for):
    assert client_for(cast.user("outsider")).get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert client_for(cast.user("principal")).get(f"/campaigns/{campaign.pk}/").status_code == 200
    assert client_for(cast.user("principal")).get(f"/campaigns/{campaign.pk}/edit/").status_code == 403
    p = campaign.participants.get(unit=cast.dept_a)
    assert client_for(cast.user("principal")).post(f"/campaigns/unit/{p.pk}/advance/").status_code == 403
    assert client_for(cast.user("outsider")).post(f"/campaigns/unit/{p.pk}/advance/").status_code == 404


def test_it_reports_a_refused_advance_from_the_page(cast, campaign, client_for, no_gates):
    p = campaign.participants.get(unit=cast.dept_a)
    client = client_for(cast.user("office"))
    response = client.post(f"/campaigns/unit/{p.pk}/advance/", follow=True)
    assert "教务处暂不能进入下一阶段" in response.content.decode()
    assert CampaignUnit.objects.get(pk=p.pk).stage == Stage.FINDING


def test_it_lists_campaigns_with_constant_queries(cast, campaign, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    client.get("/campaigns/")
    with django_assert_max_num_queries(13):  # 12 + the shell's campaign switcher
        assert client.get("/campaigns/").status_code == 200


def test_the_milestone_share_is_a_half_up_rate_with_two_decimals(cast, campaign, client_for):
    from campaigns.selectors import milestones
    from problems.models import Problem

    for status in ("resolved", "open", "open"):
        Problem.objects.create(
            campaign=campaign, unit=cast.dept_a, description="问题", channel="self_check", status=status
        )
    (figure,) = [f for f in milestones(campaign)[0]["figures"] if f["total"]]
    assert (figure["done"], figure["total"], str(figure["share"])) == (1, 3, "33.33")  # round() said 33
    html = client_for(cast.user("office")).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "1 / 3 (33.33%)" in html
