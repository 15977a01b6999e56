from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audit.models import AuditRecord
from core.exceptions import ServiceError
from meetings import selectors, services
from meetings.models import LifeMeeting, MeetingMember, MemberMaterial, RoutedOpinion
from notifications.models import Notification
from problems.models import Opinion

from .conftest import reach_meeting_stage


def opinion(campaign, unit, content, person=None):
    from problems.services import opinion_submit

    return opinion_submit(
        campaign=campaign, unit=unit, content=content, source=Opinion.Source.SYMPOSIUM, concerns_person=person
    )


def test_it_schedules_with_the_department_leadership_and_the_supervisor_by_default(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    participant = campaign.participants.get(unit=cast.dept_a)
    page = client.get(f"/meetings/schedule/{participant.pk}/")
    assert page.status_code == 200
    initial = page.context["form"].initial
    assert set(initial["members"]) == {cast.head_a.pk, cast.member_a.pk}
    assert initial["observers"] == [cast.supervisor.pk]
    response = client.post(
        f"/meetings/schedule/{participant.pk}/",
        {
            "theme": "教务处专题民主生活会",
            "date": "2026-11-10T14:30",
            "place": "会议室",
            "members": initial["members"],
            "observers": initial["observers"],
            "quorum_percent": 67,
            "follow_up_days": 15,
        },
    )
    meeting = LifeMeeting.objects.get(unit=cast.dept_a)
    assert response.status_code == 302 and response.url == f"/meetings/{meeting.pk}/"
    assert meeting.status == "planned" and meeting.follow_up_days == 15
    assert set(meeting.members.filter(role="member").values_list("person", flat=True)) == {
        cast.head_a.pk,
        cast.member_a.pk,
    }
    assert list(meeting.members.filter(role="observer").values_list("person", flat=True)) == [cast.supervisor.pk]
    assert selectors.quorum(meeting).required == 2
    assert AuditRecord.objects.filter(action="meeting.schedule", object_id=str(meeting.pk)).exists()
    assert Notification.objects.filter(recipient=cast.user("member_a"), kind="meeting").exists()


def test_it_lets_a_department_head_schedule_only_their_own_department(cast, campaign, client_for):
    part_a = campaign.participants.get(unit=cast.dept_a)
    assert client_for(cast.user("head_b")).get(f"/meetings/schedule/{part_a.pk}/").status_code == 404
    assert client_for(cast.user("principal")).get(f"/meetings/schedule/{part_a.pk}/").status_code == 403
    assert client_for(cast.user("head_a")).get(f"/meetings/schedule/{part_a.pk}/").status_code == 200
    with pytest.raises(PermissionDenied):
        services.meeting_schedule(
            actor=cast.user("head_b"), campaign=campaign, unit=cast.dept_a, theme="x", date=timezone.now(), place="y"
        )


def test_it_defaults_the_institution_meeting_to_the_leadership_team(cast, campaign):
    meeting = services.meeting_schedule(
        actor=cast.user("office"),
        campaign=campaign,
        unit=cast.college,
        theme="院领导班子专题民主生活会",
        date=timezone.now(),
        place="第一会议室",
    )
    members = list(meeting.members.filter(role="member").values_list("person", flat=True))
    assert members == [cast.principal.pk, cast.supervisor.pk]  # principal first
    assert meeting.chair == cast.principal


def test_it_refuses_a_second_meeting_for_the_same_unit(cast, meeting):
    with pytest.raises(ServiceError):
        services.meeting_schedule(
            actor=cast.user("office"),
            campaign=meeting.campaign,
            unit=cast.dept_a,
            theme="再开一次",
            date=timezone.now(),
            place="x",
        )


def test_it_routes_opinions_to_the_members_they_concern(cast, meeting):
    about_member = opinion(meeting.campaign, cast.dept_a, "副处长工作推进不力", cast.member_a)
    about_unit = opinion(meeting.campaign, cast.dept_a, "教务处办事效率低")
    about_other = opinion(meeting.campaign, cast.dept_a, "某教师迟到", cast.staff_a)  # not a member
    elsewhere = opinion(meeting.campaign, cast.dept_b, "财务报销慢")
    assert not selectors.checklist(meeting).items[0].done

    assert services.opinions_route(actor=cast.user("office"), meeting=meeting) == 1 + 3
    routes = set(RoutedOpinion.objects.values_list("opinion_id", "member__person_id"))
    assert (about_member.pk, cast.member_a.pk) in routes
    assert (about_member.pk, cast.head_a.pk) not in routes
    assert {(about_unit.pk, p.pk) for p in (cast.head_a, cast.member_a, cast.cadre_a)} <= routes
    assert not any(o in (about_other.pk, elsewhere.pk) for o, _ in routes)
    assert selectors.checklist(meeting).items[0].done
    assert Notification.objects.filter(recipient=cast.user("member_a"), title__contains="2").exists()

    # a new opinion reopens the item; routing again only routes the new one
    opinion(meeting.campaign, cast.dept_a, "处长听取意见不够", cast.head_a)
    item = selectors.checklist(meeting).items[0]
    assert not item.done and "1" in item.missing[0]
    assert services.opinions_route(actor=cast.user("office"), meeting=meeting) == 1
    assert AuditRecord.objects.filter(action="meeting.opinions_route").count() == 2


def test_it_lists_members_without_a_one_to_one_talk(cast, meeting):
    services.talk_record(
        actor=cast.user("member_a"),
        meeting=meeting,
        talker=cast.member_a,
        talkee=cast.head_a,
        talked_on=date(2026, 11, 1),
        gist="相互提醒",
    )
    item = selectors.checklist(meeting).items[1]
    assert item.progress == (2, 3) and not item.done
    assert len(item.missing) == 1 and "干部孙七" in item.missing[0]
    with pytest.raises(PermissionDenied):  # a member records only their own talks
        services.talk_record(
            actor=cast.user("member_a"),
            meeting=meeting,
            talker=cast.head_a,
            talkee=cast.cadre_a,
            talked_on=date(2026, 11, 1),
            gist="x",
        )
    with pytest.raises(ServiceError):
        services.talk_record(
            actor=cast.user("office"),
            meeting=meeting,
            talker=cast.head_a,
            talkee=cast.staff_a,  # not in the meeting
            talked_on=date(2026, 11, 1),
            gist="x",
        )


def test_it_reviews_text_material_and_accepts_an_approved_report_as_reviewed(cast, meeting):
    from reports.models import SelfReport

    member_a = meeting.members.get(person=cast.member_a)
    material = services.material_save(actor=cast.user("member_a"), member=member_a, kind="text", text="对照检查")
    assert material.status == "submitted" and not selectors.material_ok(material)
    with pytest.raises(PermissionDenied):  # nobody reviews their own material
        services.material_review(actor=cast.user("member_a"), material=material, approve=True)
    with pytest.raises(ServiceError):  # returning needs a reason
        services.material_review(actor=cast.user("head_a"), material=material, approve=False)
    services.material_review(actor=cast.user("head_a"), material=material, approve=False, comment="剖析不深")
    material.refresh_from_db()
    assert material.status == "returned" and material.reviews.get().comment == "剖析不深"
    material = services.material_save(actor=cast.user("member_a"), member=member_a, kind="text", text="修改后的材料")
    assert material.version == 2 and material.status == "submitted"
    services.material_review(actor=cast.user("supervisor"), material=material, approve=True)  # 分管领导 may review
    material.refresh_from_db()
    assert selectors.material_ok(material)
    assert [r.text_reviewed for r in material.reviews.all()] == ["对照检查", "修改后的材料"]

    cadre = meeting.members.get(person=cast.cadre_a)
    with pytest.raises(ServiceError):  # no approved report yet
        services.material_save(actor=cast.user("cadre_a"), member=cadre, kind="report")
    report = SelfReport.objects.create(
        campaign=meeting.campaign,
        unit=cast.dept_a,
        author_kind="cadre",
        person=cast.cadre_a,
        title="孙七自查报告",
        status="approved",
        approved_at=timezone.now(),
    )
    material = services.material_save(actor=cast.user("cadre_a"), member=cadre, kind="report")
    assert material.self_report == report and selectors.material_ok(material)
    SelfReport.objects.filter(pk=report.pk).update(status="submitted", approved_at=None)  # reopened for a new version
    material.refresh_from_db()
    assert not selectors.material_ok(material)
    assert AuditRecord.objects.filter(action="meeting.material_return").exists()


def test_it_refuses_to_hold_the_meeting_before_the_reports_are_approved(cast, meeting):
    """The FINDING gate: dept_a is still finding problems, so preparation alone is not enough."""
    # Everything else is in place…
    services.opinions_route(actor=cast.user("office"), meeting=meeting)
    for a, b in [("head_a", "member_a"), ("head_a", "cadre_a")]:
        services.talk_record(
            actor=cast.user("office"),
            meeting=meeting,
            talker=cast.people[a],
            talkee=cast.people[b],
            talked_on=date(2026, 11, 1),
            gist="谈心",
        )
    for key in ("head_a", "member_a", "cadre_a"):
        m = meeting.members.get(person=cast.people[key])
        mat = services.material_save(actor=cast.user(key), member=m, kind="text", text="材料")
        services.material_review(actor=cast.user("office"), material=mat, approve=True)
    checklist = selectors.checklist(meeting)
    assert all(i.done for i in checklist.items)
    assert not checklist.ready and checklist.stage_blockers
    assert "教务处" in checklist.stage_blockers[0]
    member = meeting.members.get(person=cast.head_a)
    with pytest.raises(ServiceError) as e:
        services.attendance_record(actor=cast.user("staff_a"), member=member, attendance="present")
    assert e.value.details == checklist.blockers
    with pytest.raises(ServiceError):
        services.meeting_hold(actor=cast.user("staff_a"), meeting=meeting)
    assert LifeMeeting.objects.get(pk=meeting.pk).status == "planned"

    reach_meeting_stage(meeting.campaign, cast.dept_a)
    assert selectors.checklist(meeting).ready
    services.attendance_record(actor=cast.user("staff_a"), member=member, attendance="present")
    assert MeetingMember.objects.get(pk=member.pk).attendance == "present"


def test_it_shows_the_checklist_as_a_partial_and_says_why(cast, meeting, client_for):
    client = client_for(cast.user("office"))
    page = client.get(f"/meetings/{meeting.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="checklist"' in html and "<progress" in html
    partial = client.get(f"/meetings/{meeting.pk}/checklist/", HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "<html" not in text and 'id="checklist"' in text
    assert "干部孙七" in text  # who is missing material / a talk
    assert "教务处" in text  # the stage gate


def test_it_records_a_talk_over_htmx_and_refreshes_the_checklist(cast, meeting, client_for):
    client = client_for(cast.user("office"))
    response = client.post(
        f"/meetings/{meeting.pk}/talks/",
        {"talker": cast.head_a.pk, "talkee": cast.member_a.pk, "talked_on": "2026-11-02", "gist": "谈工作作风"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "checklist-changed"
    assert "谈工作作风" in response.content.decode()
    assert meeting.talks.get().talkee == cast.member_a


def test_it_keeps_each_members_material_their_own(cast, meeting, client_for):
    head = meeting.members.get(person=cast.head_a)
    member = meeting.members.get(person=cast.member_a)
    # member_a cannot write the head's material, the head (though managing the meeting) not member_a's
    assert (
        client_for(cast.user("member_a"))
        .post(f"/meetings/material/{head.pk}/", {"kind": "text", "text": "x"})
        .status_code
        == 403
    )
    assert (
        client_for(cast.user("head_a"))
        .post(f"/meetings/material/{member.pk}/", {"kind": "text", "text": "x"})
        .status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        services.material_save(actor=cast.user("head_a"), member=member, kind="text", text="代写")
    assert not MemberMaterial.objects.exists()
    # but they may read it, and member_a writes their own
    assert client_for(cast.user("head_a")).get(f"/meetings/material/{member.pk}/").status_code == 200
    response = client_for(cast.user("member_a")).post(
        f"/meetings/material/{member.pk}/", {"kind": "text", "text": "本人材料"}
    )
    assert response.status_code == 302
    assert MemberMaterial.objects.get(member=member).text == "本人材料"


def test_it_lets_the_member_prepare_from_the_home_page(cast, meeting, client_for):
    page = client_for(cast.user("member_a")).get("/")
    member = meeting.members.get(person=cast.member_a)
    assert f"/meetings/material/{member.pk}/" in page.content.decode()
    office_tasks = [t.label for t in selectors.home_tasks(cast.user("office"))]
    assert any("talk" in t or "谈心" in t for t in office_tasks)


def test_it_prepares_fully(cast, ready_meeting):
    checklist = selectors.checklist(ready_meeting)
    assert checklist.ready and checklist.done_count == checklist.total == 4


def test_it_lists_material_to_review_for_the_supervising_leader(cast, meeting, client_for):
    member = meeting.members.get(person=cast.member_a)
    services.material_save(actor=cast.user("member_a"), member=member, kind="text", text="对照检查材料")
    page = client_for(cast.user("supervisor")).get("/meetings/").content.decode()
    assert f"/meetings/material/{member.pk}/" in page
    assert (
        f"/meetings/material/{member.pk}/" not in client_for(cast.user("member_a")).get("/meetings/").content.decode()
    )
    found = [t for t in selectors.home_tasks(cast.user("supervisor")) if "审核" in t.label]
    assert len(found) == 1 and found[0].due == timezone.localdate(meeting.date)  # reviewed before the meeting


def test_it_reminds_the_secretary_to_record_the_meeting(cast, meeting):
    tasks = [t for t in selectors.home_tasks(cast.user("staff_a")) if t.url == f"/meetings/{meeting.pk}/record/"]
    assert len(tasks) == 1 and "教务处" in tasks[0].label and tasks[0].due == timezone.localdate(meeting.date)
