"""Meeting fixtures on top of the root cast.

dept_a (教务处) meets: members head_a (处长, also manages the meeting), member_a (副处长) and cadre_a
(added as a third member so the two-thirds quorum is interesting); observer: supervisor (分管副院长);
secretary: staff_a (教师, no manage right: records only this meeting).
"""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.models import CampaignUnit, Stage


def reach_meeting_stage(campaign, unit):
    """Start from the FINDING gate's outcome (reports approved; tested by the reports app)."""
    CampaignUnit.objects.filter(campaign=campaign, unit=unit).update(stage=Stage.MEETING)


@pytest.fixture
def meeting(cast, campaign):
    from meetings.services import meeting_schedule

    return meeting_schedule(
        actor=cast.user("office"),
        campaign=campaign,
        unit=cast.dept_a,
        theme="教务处专题民主生活会",
        date=timezone.make_aware(datetime(2026, 11, 10, 14, 30)),
        place="行政楼三楼会议室",
        members=[cast.head_a, cast.member_a, cast.cadre_a],
        observers=[cast.supervisor],
        secretary=cast.staff_a,
    )


def prepare(cast, meeting):
    """Everything the checklist asks for: opinions routed, talks, material approved."""
    from meetings.services import material_review, material_save, opinions_route, talk_record

    reach_meeting_stage(meeting.campaign, meeting.unit)
    opinions_route(actor=cast.user("office"), meeting=meeting)
    day = date(2026, 11, 1)
    for a, b in [("supervisor", "head_a"), ("head_a", "member_a"), ("head_a", "cadre_a")]:
        talk_record(
            actor=cast.user("office"),
            meeting=meeting,
            talker=cast.people[a],
            talkee=cast.people[b],
            talked_on=day,
            gist=f"{a}与{b}谈心：交换意见",
        )
    for key in ("head_a", "member_a", "cadre_a"):
        member = meeting.members.get(person=cast.people[key])
        material = material_save(actor=cast.user(key), member=member, kind="text", text=f"{key}的对照检查材料")
        reviewer = cast.user("office")
        material_review(actor=reviewer, material=material, approve=True)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def ready_meeting(cast, meeting):
    return prepare(cast, meeting)


def hold(cast, meeting, absent=("cadre_a",)):
    from meetings.services import attendance_record, meeting_hold

    secretary = cast.user("staff_a")
    for m in meeting.members.filter(role="member").select_related("person"):
        key = next(k for k, p in cast.people.items() if p.pk == m.person_id)
        if key in absent:
            attendance_record(actor=secretary, member=m, attendance="absent", reason="外出参加培训")
        else:
            attendance_record(actor=secretary, member=m, attendance="present")
    return meeting_hold(actor=secretary, meeting=meeting)


def complete_record(cast, meeting):
    from meetings.services import criticism_add, measure_add, self_criticism_record

    secretary = cast.user("staff_a")
    for m in meeting.members.filter(role="member", attendance="present").select_related("person"):
        self_criticism_record(actor=secretary, member=m, text=f"{m.person.name}：服务意识不强，调查研究不够。")
    criticism_add(
        actor=secretary, meeting=meeting, from_person=cast.head_a, to_person=cast.member_a, content="考务安排推进不力"
    )
    criticism_add(
        actor=secretary, meeting=meeting, from_person=cast.member_a, to_person=cast.head_a, content="听取教师意见不够"
    )
    measure_add(actor=secretary, meeting=meeting, content="建立教学运行周例会制度", person=cast.head_a)
    return meeting


@pytest.fixture
def tomorrow():
    return timezone.localdate() + timedelta(days=1)
