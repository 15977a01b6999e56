import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from docx import Document

from audit.models import AuditRecord
from campaigns.gates import gate_blockers
from campaigns.models import CampaignUnit, Stage
from campaigns.services import participant_advance
from core.exceptions import Conflict, ServiceError
from meetings import selectors, services
from meetings.models import Criticism, LifeMeeting, MeetingMember

from .conftest import complete_record, hold


def test_it_checks_the_two_thirds_quorum(cast, ready_meeting):
    secretary = cast.user("staff_a")
    members = {m.person_id: m for m in ready_meeting.members.filter(role="member")}
    with pytest.raises(ServiceError):  # absent needs a reason
        services.attendance_record(actor=secretary, member=members[cast.member_a.pk], attendance="absent")
    services.attendance_record(actor=secretary, member=members[cast.head_a.pk], attendance="present")
    services.attendance_record(actor=secretary, member=members[cast.member_a.pk], attendance="absent", reason="病假")
    with pytest.raises(ServiceError) as e:  # cadre_a not recorded yet
        services.meeting_hold(actor=secretary, meeting=ready_meeting)
    assert "干部孙七" in " ".join(e.value.details)
    services.attendance_record(actor=secretary, member=members[cast.cadre_a.pk], attendance="absent", reason="出差")
    q = selectors.quorum(ready_meeting)
    assert (q.present, q.total, q.required, q.met) == (1, 3, 2, False)
    with pytest.raises(ServiceError) as e:
        services.meeting_hold(actor=secretary, meeting=ready_meeting)
    assert "1" in e.value.details[0] and "2" in e.value.details[0]
    assert LifeMeeting.objects.get(pk=ready_meeting.pk).status == "planned"

    services.attendance_record(actor=secretary, member=members[cast.member_a.pk], attendance="present")
    assert selectors.quorum(ready_meeting).met  # 2 of 3 is two thirds
    meeting = services.meeting_hold(actor=secretary, meeting=ready_meeting)
    assert meeting.status == "held" and meeting.held_at is not None
    assert MeetingMember.objects.get(pk=members[cast.member_a.pk].pk).absence_reason == ""
    assert AuditRecord.objects.filter(action="meeting.hold", object_id=str(meeting.pk)).exists()
    with pytest.raises(Conflict):
        services.meeting_hold(actor=secretary, meeting=meeting)


def test_it_uses_a_configurable_quorum(cast, ready_meeting):
    ready_meeting.quorum_ratio = "1.000"
    ready_meeting.save(update_fields=["quorum_ratio"])
    ready_meeting.refresh_from_db()
    with pytest.raises(ServiceError):
        hold(cast, ready_meeting, absent=("cadre_a",))
    assert selectors.quorum(ready_meeting).required == 3


def _attend(cast, meeting, **attendance):
    secretary = cast.user("staff_a")
    for key, value in attendance.items():
        member = meeting.members.get(person=cast.people[key])
        reason = "出差" if value == "absent" else ""
        services.attendance_record(actor=secretary, member=member, attendance=value, reason=reason)


def test_it_records_criticisms_only_between_members_present(cast, ready_meeting):
    secretary = cast.user("staff_a")
    _attend(cast, ready_meeting, head_a="present", member_a="present", cadre_a="absent", supervisor="present")
    c = services.criticism_add(
        actor=secretary, meeting=ready_meeting, from_person=cast.member_a, to_person=cast.head_a, content="抓落实不够"
    )
    assert (c.from_person, c.to_person, c.content) == (cast.member_a, cast.head_a, "抓落实不够")
    refused = [
        (cast.head_a, cast.head_a),  # self-criticism is not a criticism
        (cast.head_a, cast.cadre_a),  # an absent member is not criticised on record
        (cast.cadre_a, cast.head_a),  # nor criticises
        (cast.supervisor, cast.head_a),  # an observer is not a member
        (cast.head_a, cast.supervisor),
        (cast.head_b, cast.head_a),  # both must take part
    ]
    for from_person, to_person in refused:
        with pytest.raises(ServiceError):
            services.criticism_add(
                actor=secretary, meeting=ready_meeting, from_person=from_person, to_person=to_person, content="x"
            )
    with pytest.raises(PermissionDenied):  # a member is not the secretary
        services.criticism_add(
            actor=cast.user("member_a"),
            meeting=ready_meeting,
            from_person=cast.head_a,
            to_person=cast.member_a,
            content="x",
        )
    assert Criticism.objects.filter(meeting=ready_meeting).count() == 1
    assert AuditRecord.objects.filter(action="meeting.criticism_add").count() == 1


def test_it_offers_only_members_present_as_critics_and_criticised(cast, ready_meeting, client_for):
    _attend(cast, ready_meeting, head_a="present", member_a="present", cadre_a="absent", supervisor="present")
    html = client_for(cast.user("staff_a")).get(f"/meetings/{ready_meeting.pk}/record/").content.decode()
    form = html.split('id="criticisms"')[1].split("</form>")[0]
    assert "批评人" in form and "被批评人" in form and "原阶段" not in form
    assert "处长张三" in form and "副处长赵六" in form
    assert "干部孙七" not in form and "副院长李华" not in form


def test_it_refuses_to_hold_a_meeting_before_its_date(cast, ready_meeting, tomorrow):
    from datetime import datetime

    from django.utils import timezone

    LifeMeeting.objects.filter(pk=ready_meeting.pk).update(
        date=timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()).replace(hour=9))
    )
    ready_meeting.refresh_from_db()
    with pytest.raises(ServiceError) as e:
        hold(cast, ready_meeting, absent=())
    assert tomorrow.isoformat() in " ".join(e.value.details)
    assert LifeMeeting.objects.get(pk=ready_meeting.pk).status == "planned"
    assert not MeetingMember.objects.filter(meeting=ready_meeting).exclude(attendance="unknown").exists()
    with pytest.raises(ServiceError):  # and so it cannot be filed either
        services.minutes_file(actor=cast.user("staff_a"), meeting=ready_meeting)


def test_it_turns_problems_raised_into_ledger_entries(cast, ready_meeting):
    pytest.importorskip("problems.services", reason="problems.services lands with the finding issue")
    from problems.models import Problem

    secretary = cast.user("staff_a")
    p1 = services.meeting_problem_raise(
        actor=secretary, meeting=ready_meeting, description="考务安排随意，临时变更多", subject_person=cast.member_a
    )
    p2 = services.meeting_problem_raise(
        actor=secretary, meeting=ready_meeting, description="处室之间协调不畅", severity="high"
    )
    assert set(ready_meeting.problems.all()) == {p1, p2}
    p1 = Problem.objects.get(pk=p1.pk)
    assert (p1.channel, p1.subject_kind, p1.subject_person, p1.unit, p1.campaign) == (
        "life_meeting",
        "person",
        cast.member_a,
        cast.dept_a,
        ready_meeting.campaign,
    )
    assert Problem.objects.get(pk=p2.pk).subject_kind == "unit"
    measure = services.measure_add(
        actor=secretary, meeting=ready_meeting, content="规范考务变更审批", person=cast.member_a, problems=[p1]
    )
    assert list(selectors.agreed_measures(ready_meeting)) == [measure]
    assert list(measure.problems.all()) == [p1]


def test_it_files_the_minutes_as_a_word_document_and_opens_the_gate(cast, ready_meeting):
    participant = CampaignUnit.objects.get(campaign=ready_meeting.campaign, unit=cast.dept_a)
    assert gate_blockers(participant) == ["教务处的专题民主生活会（定于2026-11-10）尚未召开。"]
    meeting = hold(cast, ready_meeting, absent=("cadre_a",))
    assert gate_blockers(participant) == ["教务处专题民主生活会的会议记录尚未归档。"]
    with pytest.raises(ServiceError) as e:  # self-criticisms and measures missing
        services.minutes_file(actor=cast.user("staff_a"), meeting=meeting)
    assert len(e.value.details) == 3
    complete_record(cast, meeting)
    meeting = services.minutes_file(actor=cast.user("staff_a"), meeting=meeting)
    assert meeting.status == "filed" and meeting.filed_at and len(meeting.minutes_sha256) == 64

    doc = Document(meeting.minutes_file.open("rb"))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "教务处" in text and "行政楼三楼会议室" in text
    assert "处长张三" in cells and "干部孙七" in cells and "外出参加培训" in cells  # attendance with the reason
    assert "考务安排推进不力" in cells and "听取教师意见不够" in cells  # criticisms (from, to, content)
    i = cells.index("考务安排推进不力")
    assert cells[i - 2 : i] == ["处长张三", "副处长赵六"]
    assert "服务意识不强" in text and "建立教学运行周例会制度" in text
    assert "市治庸办" not in text
    header = [c.text for c in doc.tables[1].rows[0].cells]
    assert header == ["批评人", "被批评人", "批评意见"], header
    assert "未登记" not in cells and "副院长李华" not in cells  # the observer is named apart, not as a member
    assert "上级列席人员：副院长李华。" in text

    assert gate_blockers(participant) == []
    participant = participant_advance(actor=cast.user("office"), participant=participant)
    assert participant.stage == Stage.EVALUATION
    with pytest.raises(Conflict):  # the filed record is frozen
        services.measure_add(actor=cast.user("staff_a"), meeting=meeting, content="追加")
    assert AuditRecord.objects.filter(action="meeting.minutes_file").exists()


def test_it_names_what_the_meeting_gate_misses(cast, campaign):
    participant = CampaignUnit.objects.get(campaign=campaign, unit=cast.dept_b)
    CampaignUnit.objects.filter(pk=participant.pk).update(stage=Stage.MEETING)
    participant.refresh_from_db()
    assert gate_blockers(participant) == ["财务处尚未安排专题民主生活会。"]
    with pytest.raises(ServiceError) as e:
        participant_advance(actor=cast.user("office"), participant=participant)
    assert e.value.details == ["财务处尚未安排专题民主生活会。"]


def test_it_serves_a_draft_of_the_minutes_to_the_secretary(cast, ready_meeting, client_for):
    hold(cast, ready_meeting)
    response = client_for(cast.user("staff_a")).get(f"/meetings/{ready_meeting.pk}/minutes.docx")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    assert any("干部孙七" in c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert client_for(cast.user("principal")).get(f"/meetings/{ready_meeting.pk}/minutes.docx").status_code == 403


def test_it_follows_up_against_the_deadline(cast, ready_meeting):
    meeting = hold(cast, ready_meeting)
    follow_ups = {f.kind: f for f in meeting.follow_ups.all()}
    assert set(follow_ups) == {"report", "notice"}
    assert follow_ups["report"].due_on == meeting.date.date() + timedelta(days=15)
    done = services.follow_up_complete(actor=cast.user("office"), follow_up=follow_ups["report"], note="已报院党委")
    meeting.refresh_from_db()
    assert done.done_at and meeting.report_sent_at and meeting.notice_sent_at is None
    with pytest.raises(Conflict):
        services.follow_up_complete(actor=cast.user("office"), follow_up=follow_ups["report"], note="again")
    with pytest.raises(PermissionDenied):
        services.follow_up_complete(actor=cast.user("principal"), follow_up=follow_ups["notice"], note="x")
