from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from audit.models import AuditRecord
from campaigns.models import CampaignUnit, Stage
from meetings import services
from meetings.models import MeetingMember

from .conftest import complete_record, hold


def test_it_hides_another_institutions_meeting_and_refuses_read_only_users(cast, meeting, client_for):
    outsider = client_for(cast.user("outsider"))
    for url in (f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/record/", f"/meetings/{meeting.pk}/checklist/"):
        assert outsider.get(url).status_code == 404
    member = meeting.members.get(person=cast.member_a)
    assert outsider.get(f"/meetings/material/{member.pk}/").status_code == 404
    principal = client_for(cast.user("principal"))  # sees the whole college, changes nothing
    assert principal.get(f"/meetings/{meeting.pk}/").status_code == 200
    assert principal.get(f"/meetings/{meeting.pk}/record/").status_code == 403
    assert principal.post(f"/meetings/{meeting.pk}/route-opinions/").status_code == 403
    assert principal.get(f"/meetings/{meeting.pk}/edit/").status_code == 403
    assert principal.post(f"/meetings/record/attendance/{member.pk}/", {"attendance": "present"}).status_code == 403
    assert MeetingMember.objects.get(pk=member.pk).attendance == "unknown"
    assert client_for(cast.user("head_b")).get(f"/meetings/{meeting.pk}/").status_code == 404


def test_it_lets_the_secretary_see_and_record_only_their_meeting(cast, ready_meeting, client_for):
    client = client_for(cast.user("staff_a"))  # a teacher with no meeting right, named secretary
    assert client.get(f"/meetings/{ready_meeting.pk}/").status_code == 200
    page = client.get(f"/meetings/{ready_meeting.pk}/record/")
    assert page.status_code == 200 and 'id="quorum"' in page.content.decode()
    member = ready_meeting.members.get(person=cast.head_a)
    response = client.post(
        f"/meetings/record/attendance/{member.pk}/", {"attendance": "present"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "attendance-changed"
    assert MeetingMember.objects.get(pk=member.pk).attendance == "present"
    quorum = client.get(f"/meetings/{ready_meeting.pk}/record/quorum/", HTTP_HX_REQUEST="true").content.decode()
    assert "1/3" in quorum
    # absent without a reason waits for the reason, saving nothing
    response = client.post(
        f"/meetings/record/attendance/{member.pk}/", {"attendance": "absent"}, HTTP_HX_REQUEST="true"
    )
    assert MeetingMember.objects.get(pk=member.pk).attendance == "present"
    other = ready_meeting.members.get(person=cast.member_a)
    client.post(f"/meetings/record/attendance/{other.pk}/", {"attendance": "present"}, HTTP_HX_REQUEST="true")
    response = client.post(
        f"/meetings/{ready_meeting.pk}/record/criticisms/",
        {"from_person": cast.member_a.pk, "to_person": cast.head_a.pk, "content": "调研不深入"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "调研不深入" in response.content.decode()
    assert ready_meeting.criticisms.get().to_person == cast.head_a
    response = client.post(
        f"/meetings/{ready_meeting.pk}/record/measures/",
        {"content": "每月听取教师意见", "person": cast.head_a.pk},
        HTTP_HX_REQUEST="true",
    )
    assert "每月听取教师意见" in response.content.decode()
    response = client.post(
        f"/meetings/record/self-criticism/{member.pk}/", {"text": "深刻检查"}, HTTP_HX_REQUEST="true"
    )
    assert MeetingMember.objects.get(pk=member.pk).self_criticism == "深刻检查"
    assert AuditRecord.objects.filter(action__startswith="meeting.", actor=cast.user("staff_a")).count() >= 4
    from django.utils import timezone

    type(ready_meeting).objects.filter(pk=ready_meeting.pk).update(status="held", held_at=timezone.now())
    record = client.get(f"/meetings/{ready_meeting.pk}/").content.decode()
    assert "自我批评" in record and "深刻检查" in record  # the record shows what each member said


def test_it_keeps_an_absence_reason_typed_before_absent_is_clicked(cast, ready_meeting, client_for):
    client = client_for(cast.user("staff_a"))
    member = ready_meeting.members.get(person=cast.cadre_a)
    url = f"/meetings/record/attendance/{member.pk}/"
    # typing the reason first sends the row with no choice yet: the reason stays in the row, nothing saved
    row = client.post(url, {"reason": "外出参加培训"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="外出参加培训"' in row and "请选择" not in row
    assert MeetingMember.objects.get(pk=member.pk).attendance == "unknown"
    # then 缺席 is clicked: the form sends both and the reason is recorded
    client.post(url, {"attendance": "absent", "reason": "外出参加培训"}, HTTP_HX_REQUEST="true")
    member.refresh_from_db()
    assert (member.attendance, member.absence_reason) == ("absent", "外出参加培训")
    criticisms = client.get(f"/meetings/{ready_meeting.pk}/record/criticisms/list/").content.decode()
    assert "干部孙七" not in criticisms  # absent: neither criticises nor is criticised


def test_it_records_the_observers_attendance_apart_from_the_quorum(cast, ready_meeting, client_for):
    client = client_for(cast.user("staff_a"))
    observer = ready_meeting.members.get(person=cast.supervisor)
    html = client.get(f"/meetings/{ready_meeting.pk}/record/").content.decode()
    assert f'id="att-{observer.pk}"' in html and "不计入" in html
    client.post(f"/meetings/record/attendance/{observer.pk}/", {"attendance": "present"}, HTTP_HX_REQUEST="true")
    assert MeetingMember.objects.get(pk=observer.pk).attendance == "present"
    assert "0/3" in client.get(f"/meetings/{ready_meeting.pk}/record/quorum/").content.decode()


def test_it_shows_the_record_screen_blocked_until_ready(cast, meeting, client_for):
    page = client_for(cast.user("office")).get(f"/meetings/{meeting.pk}/record/")
    html = page.content.decode()
    assert page.status_code == 200 and 'class="blocked"' in html
    assert 'name="attendance"' not in html  # no recording forms while the gate says no


def test_it_walks_the_whole_meeting_through_the_pages(cast, ready_meeting, client_for):
    client = client_for(cast.user("office"))
    assert client.get(f"/meetings/{ready_meeting.pk}/").status_code == 200
    hold(cast, ready_meeting)
    complete_record(cast, ready_meeting)
    for url in (f"/meetings/{ready_meeting.pk}/", f"/meetings/{ready_meeting.pk}/record/"):
        assert client.get(url).status_code == 200
    response = client.post(f"/meetings/{ready_meeting.pk}/file/")
    assert response.status_code == 302
    ready_meeting.refresh_from_db()
    assert ready_meeting.status == "filed"
    page = client.get(f"/meetings/{ready_meeting.pk}/").content.decode()
    assert "minutes.docx" in page
    try:  # the rectification app drafts the plan from the agreed measures when it offers that page
        plan_url = reverse("rectification:plan_from_meeting", args=[ready_meeting.pk])
    except NoReverseMatch:
        plan_url = None
    if plan_url:
        assert plan_url in page
        assert client.get(plan_url).status_code == 200
    assert (
        "/rectification/"
        not in client_for(cast.user("principal"))
        .get(f"/meetings/{ready_meeting.pk}/")
        .content.decode()
        .split("<main")[1]
    )
    client = client_for(cast.user("office"))
    assert client_for(cast.user("principal")).get(f"/meetings/{ready_meeting.pk}/minutes.docx").status_code == 200
    follow_up = ready_meeting.follow_ups.get(kind="notice")
    client = client_for(cast.user("office"))
    assert client.post(f"/meetings/follow-ups/{follow_up.pk}/done/", {"note": "已在全处大会通报"}).status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None


def test_it_lists_meetings_with_constant_queries(cast, campaign, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    services.meeting_schedule(
        actor=cast.user("office"), campaign=campaign, unit=cast.dept_a, theme="A", date=timezone.now(), place="x"
    )
    client.get("/meetings/")
    with django_assert_max_num_queries(14) as few:
        assert client.get("/meetings/").status_code == 200
    for unit in (cast.college, cast.dept_b):
        services.meeting_schedule(
            actor=cast.user("office"), campaign=campaign, unit=unit, theme="B", date=timezone.now(), place="x"
        )
    CampaignUnit.objects.update(stage=Stage.MEETING)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/meetings/")
    assert page.content.decode().count("/meetings/") >= 3


def test_it_changes_who_takes_part_while_in_preparation(cast, meeting, client_for):
    client = client_for(cast.user("head_a"))
    response = client.post(f"/meetings/{meeting.pk}/members/", {"person": cast.cadre_a2.pk, "role": "member"})
    assert response.status_code == 302
    added = meeting.members.get(person=cast.cadre_a2)
    assert added.role == "member"
    assert client.post(f"/meetings/{meeting.pk}/members/{added.pk}/remove/").status_code == 302
    assert not meeting.members.filter(person=cast.cadre_a2).exists()
    assert AuditRecord.objects.filter(action="meeting.member_remove").exists()
    principal = client_for(cast.user("principal"))
    assert (
        principal.post(f"/meetings/{meeting.pk}/members/", {"person": cast.cadre_a2.pk, "role": "member"}).status_code
        == 403
    )
