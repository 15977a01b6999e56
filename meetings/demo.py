"""Demo meetings (docs/demo-plan.md): groups A, College and B hold their meetings and file the minutes,
then move from the meeting stage to evaluation through the MEETING gate; 招生就业处 (group C) has a
meeting in preparation; 信息技术中心 (group C) still waits for its meeting to be scheduled.

Runs after the reports demo, which approves the reports that bring those units to the meeting stage.
A unit that has not reached it (reports not approved) gets its meeting scheduled but not held."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from campaigns.models import CampaignUnit, Stage
from campaigns.services import participant_advance
from orgs.models import Person, Unit

from . import selectors, services
from .models import LifeMeeting, MeetingMember

GROUP_A = [
    "教务处",
    "财务处",
    "学生工作处",
    "机电工程学院党总支",
    "信息工程学院党总支",
    "后勤管理处",
    "党委办公室",
    "组织人事处",
]
GROUP_B = ["图书馆", "科研处", "经济管理学院党总支"]
IN_PREPARATION = "招生就业处"

SELF_CRITICISMS = [
    "对照“庸懒散”十种表现，本人主要存在服务意识不强、调查研究不够深入的问题，对基层和师生反映的困难回应不及时。根源在于宗旨意识淡化，满足于按部就班。",
    "本人在推进重点工作中存在“等靠要”思想，工作标准不高，有得过且过的现象；对分管科室督促检查不够，制度执行有“宽松软”倾向。",
    "学习不够系统，创新能力不强，习惯用老办法解决新问题；深入一线少，听取教职工意见的渠道单一，办事效率有待提高。",
    "纪律意识有所松懈，有时会议和活动迟到早退；对批评意见接受不够虚心，开展批评有顾虑，怕得罪人。",
]
CRITICISMS = [
    "工作推进不够有力，部分任务拖到截止日期才完成，希望加强统筹。",
    "深入基层调研偏少，对教职工反映的问题跟踪不够，建议建立问题销号台账。",
    "开展批评时讲成绩多、讲问题少，希望今后敢于红脸出汗。",
    "制度执行有时宽松，对迟到早退现象管理不严。",
    "与兄弟部门沟通协调不够主动，影响了工作效率。",
]
MEASURES = [
    "建立重点工作周调度制度，明确责任人和完成时限，每月通报进展。",
    "完善首问负责制和限时办结制，公开办事流程和承诺时限。",
    "班子成员每学期联系基层不少于四次，建立意见收集和反馈台账。",
    "严格考勤和请销假制度，纳入年度考核。",
]
PROBLEMS = [
    ("服务师生主动性不强，办事环节多、时限长。", "medium"),
    ("重点工作推进不力，部分任务完成滞后。", "high"),
]


def _at(day: date, hour: int = 14) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 30)))


def _office(ctx):
    return ctx["office_people"][0].user


def _participant(ctx, name: str) -> CampaignUnit | None:
    campaign = ctx["campaign"]
    return CampaignUnit.objects.filter(campaign=campaign, unit__name=name).select_related("unit").first()


def _schedule(ctx, unit: Unit, day: date, secretary=None) -> LifeMeeting:
    inst = unit.institution or unit
    observers = list(ctx["city_officials"][:2]) if unit.pk == inst.pk else selectors.default_observers(unit)
    place = "行政楼第一会议室" if unit.pk == inst.pk else f"{unit.short_name or unit.name}会议室"
    return services.meeting_schedule(
        actor=_office(ctx),
        campaign=ctx["campaign"],
        unit=unit,
        theme=f"{unit.name}“治庸问责”专题民主生活会",
        date=_at(day),
        place=place,
        observers=observers,
        secretary=secretary,
    )


def _prepare(ctx, meeting: LifeMeeting, day: date, complete: bool = True) -> None:
    office = _office(ctx)
    rng = ctx["rng"]
    services.opinions_route(actor=office, meeting=meeting)
    members = list(meeting.members.select_related("person__user"))
    voting = [m for m in members if m.is_member]
    chair = voting[0]
    partners = [m for m in members if not m.is_member] or voting[:1]
    for i, m in enumerate(voting if complete else voting[:2]):
        other = chair if m is not chair else (partners[0] if partners[0] is not m else voting[-1])
        if other.person_id == m.person_id:
            continue
        services.talk_record(
            actor=office,
            meeting=meeting,
            talker=other.person,
            talkee=m.person,
            talked_on=day - timedelta(days=7 - i % 5),
            gist=f"{other.person.name}与{m.person.name}谈心谈话：交流了查找出的突出问题，相互指出不足，就开展批评和自我批评统一了思想。",
        )
    for i, m in enumerate(voting):
        if not complete and i >= 2:
            break
        report = selectors.approved_report_of(meeting.campaign, m.person)
        actor = m.person.user if m.person.user else office
        if report is not None and rng.random() < 0.7:
            services.material_save(actor=actor, member=m, kind="report")
            continue
        material = services.material_save(
            actor=actor,
            member=m,
            kind="text",
            text=f"{m.person.name}对照检查材料\n一、存在的突出问题\n{rng.choice(SELF_CRITICISMS)}\n"
            "二、原因剖析\n理想信念有所淡化，宗旨意识不够牢固，标准要求有所降低。\n"
            "三、整改措施\n加强学习，改进作风，主动接受师生监督。",
        )
        if complete or i == 0:
            reviewer = office if (m.person.user_id != office.pk) else ctx["principal"].user
            services.material_review(
                actor=reviewer, material=material, approve=True, comment="剖析深刻，同意提交会议。"
            )


def _hold_and_file(ctx, meeting: LifeMeeting, problems: bool) -> LifeMeeting:
    rng = ctx["rng"]
    recorder = meeting.secretary.user if meeting.secretary and meeting.secretary.user else _office(ctx)
    voting = [m for m in meeting.members.select_related("person") if m.is_member]
    absent = voting[-1] if len(voting) >= 4 else None
    for m in voting:
        if m is absent:
            services.attendance_record(
                actor=recorder, member=m, attendance="absent", reason="因公出差（已书面提交对照检查材料）"
            )
        else:
            services.attendance_record(actor=recorder, member=m, attendance="present")
    for obs in meeting.members.filter(role=MeetingMember.Role.OBSERVER):
        services.attendance_record(actor=recorder, member=obs, attendance="present")
    meeting = services.meeting_hold(actor=recorder, meeting=meeting)
    present = [m for m in voting if m is not absent]
    for m in present:
        services.self_criticism_record(actor=recorder, member=m, text=rng.choice(SELF_CRITICISMS))
    for i, m in enumerate(present):
        critic = present[(i + 1) % len(present)]
        if critic.person_id != m.person_id:
            services.criticism_add(
                actor=recorder,
                meeting=meeting,
                from_person=critic.person,
                to_person=m.person,
                content=rng.choice(CRITICISMS),
            )
    raised = []
    if problems:
        try:
            for (text, severity), m in zip(PROBLEMS, [None, present[0]]):
                raised.append(
                    services.meeting_problem_raise(
                        actor=recorder,
                        meeting=meeting,
                        description=text,
                        subject_person=m.person if m else None,
                        severity=severity,
                    )
                )
        except ImportError:  # the ledger's problem_create has not landed yet
            raised = []
    for i, text in enumerate(rng.sample(MEASURES, 3)):
        services.measure_add(
            actor=recorder,
            meeting=meeting,
            content=text,
            person=present[i % len(present)].person,
            problems=raised[i : i + 1],
        )
    return services.minutes_file(actor=recorder, meeting=meeting)


def _follow_up(ctx, meeting: LifeMeeting, both: bool) -> None:
    for f in meeting.follow_ups.order_by("kind"):
        if f.kind == "report" or both:
            note = (
                "已将会议情况书面报院党委和院治庸办。"
                if f.kind == "report"
                else "已在部门全体教职工大会上通报会议情况。"
            )
            services.follow_up_complete(actor=_office(ctx), follow_up=f, note=note)


def seed(ctx: dict) -> None:
    office = _office(ctx)
    start = date(2026, 10, 28)
    held = 0
    names = [ctx["college"].name, *GROUP_A, *GROUP_B]
    for i, name in enumerate(names):
        participant = _participant(ctx, name)
        if participant is None:
            continue
        unit = participant.unit
        secretary = ctx["staff"] if name == "教务处" else None
        day = start + timedelta(days=i * 2)
        meeting = _schedule(ctx, unit, day, secretary=secretary)
        if participant.stage != Stage.MEETING:
            ctx["stdout"].write(
                f"    meetings: {name} is still in “{participant.stage}”; its meeting stays in preparation"
            )
            continue
        _prepare(ctx, meeting, day)
        meeting = _hold_and_file(ctx, meeting, problems=name in ("教务处", ctx["college"].name, "财务处", "图书馆"))
        _follow_up(ctx, meeting, both=i % 3 != 2)
        participant_advance(actor=office, participant=participant, note="专题民主生活会已召开，会议记录已归档")
        held += 1

    # Group C: 招生就业处 prepares its meeting (half done); 信息技术中心 waits to be scheduled.
    participant = _participant(ctx, IN_PREPARATION)
    if participant is not None:
        day = max(timezone.localdate() + timedelta(days=6), date(2026, 12, 3))
        staff = (
            Person.objects.filter(unit=participant.unit, user__isnull=True)
            .exclude(posts__kind__in=["department_head", "department_member"])
            .first()
        )
        meeting = _schedule(ctx, participant.unit, day, secretary=staff)
        _prepare(ctx, meeting, min(day, timezone.localdate()), complete=False)
    ctx["stdout"].write(f"    meetings: {held} meetings held and filed, 1 in preparation")
