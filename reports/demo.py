"""Demo self-inspection reports (docs/demo-plan.md), written and reviewed through the services, and the
finding → meeting gate passed for groups A, College, B and C with participant_advance.

Group D (still finding) shows every state: draft, under review (one overdue), waiting for routing,
returned (with its accountability case, decided and flagged, and another still open), approved.
"""

from datetime import timedelta

from django.test.utils import override_settings
from django.utils import timezone

from campaigns.services import participant_advance
from orgs.models import Person, Post
from orgs.services import login_issue
from problems.models import Problem

from .models import SelfReport
from .services import (
    report_approve,
    report_problem_add,
    report_return,
    report_save,
    report_start,
    report_submit,
)

K = SelfReport.AuthorKind

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
GROUP_C = ["招生就业处", "信息技术中心"]

METHOD = (
    "按照院治庸办的统一部署，{who}认真学习了《武汉市机关工作人员治庸问责办法》和院自查整改工作方案。\n"
    "对照“庸、懒、散”十种表现逐条自查，召开座谈会{n}次，发放征求意见表{m}份，"
    "与服务对象和基层代表谈心谈话，广泛听取意见建议。"
)
PROBLEMS = (
    "经对照检查，主要存在以下问题：一是工作推进不力，部分重点任务进度滞后；二是服务意识不强，"
    "办事流程繁琐，群众反映“门难进、事难办”；三是制度执行不严，考勤纪律有所松弛。\n"
    "原因剖析：宗旨意识淡化，责任心不强；学习不够深入，能力有待提升；监督考核机制不健全。"
)
MEASURES = (
    "1. 建立问题台账，明确责任人和整改时限，立行立改与限期整改相结合。\n"
    "2. 推行首问负责制和限时办结制，公开办事流程，接受群众监督。\n"
    "3. 严格考勤和请销假制度，每月通报一次执行情况。"
)
EXTRA_MEASURE = "\n4. 每季度向服务对象回访一次，整改结果在全院公示。"


def _user(person: Person):
    """The person's login. People without one get a login with a random, never-shown password (the
    office resets it to hand it over); a fast hasher keeps the demo quick, since nobody can use it."""
    if person.user_id is None:
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            login_issue(actor=None, person=person, password=None, must_change=True)
        person.refresh_from_db()
    return person.user


def _write(ctx, person, kind, unit, *, submit=True, problems=None):
    user = _user(person)
    participant = ctx["participants"][unit.name if unit.name in ctx["participants"] else unit.parent.name]
    report = report_start(actor=user, participant=participant, author_kind=kind, unit=unit)
    who = unit.name if kind in SelfReport.UNIT_KINDS else f"{person.name}同志"
    if problems is None:
        problems = _ledger_problems(ctx, report)
    report_save(
        actor=user,
        report=report,
        method=METHOD.format(who=who, n=ctx["rng"].randint(2, 4), m=ctx["rng"].randint(20, 80)),
        problems_and_causes=PROBLEMS,
        measures=MEASURES,
        problems=problems,
    )
    if submit:
        report_submit(actor=user, report=report)
    report.refresh_from_db()
    return report


def _ledger_problems(ctx, report) -> list:
    """A couple of the ledger's problems about the report's subject; one is added when there is none."""
    qs = Problem.objects.filter(campaign=report.campaign)
    if report.author_kind in SelfReport.UNIT_KINDS:
        qs = qs.filter(unit=report.unit).exclude(subject_kind=Problem.SubjectKind.PERSON)
    else:
        qs = qs.filter(subject_person=report.person)
    found = list(qs[:2])
    if not found:
        found = [
            report_problem_add(
                actor=report.person.user,
                report=report,
                description="工作推进不力，重点任务未能按期完成",
                cause="责任心不强，督办机制不健全",
            )
        ]
    return found


def _decide(report, reviewer_person, decision="approve", comment=""):
    version = report.versions.get(number=report.current_version)
    user = _user(reviewer_person)
    if decision == "approve":
        report_approve(actor=user, report=report, version=version, comment=comment or "同意。查摆问题具体，措施可行。")
    else:
        report_return(actor=user, report=report, version=version, comment=comment)
    report.refresh_from_db()
    return report


def _members(dept):
    return list(Person.objects.filter(posts__unit=dept, posts__kind=Post.Kind.DEPARTMENT_MEMBER).distinct())


def _supervisor(ctx, dept):
    from orgs.selectors import supervisor_of

    return supervisor_of(dept)


def _approve_department(ctx, dept):
    sup = _supervisor(ctx, dept)
    _decide(_write(ctx, ctx["heads"][dept.pk], K.DEPARTMENT, dept), sup)
    for m in _members(dept):
        _decide(_write(ctx, m, K.DEPARTMENT_MEMBER, dept), sup)


def seed(ctx: dict) -> None:
    by_name, office = ctx["by_name"], ctx["office_people"][0].user
    city = ctx["city_officials"][0]
    principal = ctx["principal"]
    college = ctx["college"]
    # Reviewers need a login before reports are routed to them (工会's head stays without one, so a
    # report there shows "waiting for routing").
    for person in [*ctx["leaders"], *(h for d, h in ctx["heads"].items() if d != by_name["工会"].pk)]:
        _user(person)

    # College: the leadership team's and the principal's reports approved by the city office; the
    # demo 副院长's own report approved by the principal.
    _decide(_write(ctx, principal, K.TEAM, college), city, comment="同意。班子查摆问题深刻，整改措施有力。")
    _decide(_write(ctx, principal, K.PRINCIPAL, college), city)
    # Every leadership-team member's own report approved by the principal (the gate names any missing).
    member_reports = {}
    for leader in ctx["leaders"]:
        if leader.pk != principal.pk:
            member_reports[leader.pk] = _decide(_write(ctx, leader, K.LEADERSHIP_MEMBER, college), principal)

    for name in GROUP_A + GROUP_B + GROUP_C:
        _approve_department(ctx, by_name[name])

    # 教务处: the cadre's report approved by the head; the department's report revised after approval
    # (version 2, approved again) so the versions and the diff show.
    jw = by_name["教务处"]
    _decide(_write(ctx, ctx["cadre"], K.CADRE, ctx["cadre"].unit), ctx["heads"][jw.pk])
    jw_report = SelfReport.objects.get(unit=jw, author_kind=K.DEPARTMENT)
    head = ctx["heads"][jw.pk].user
    v1 = jw_report.versions.get(number=1)
    report_save(
        actor=head,
        report=jw_report,
        method=v1.method,
        problems_and_causes=v1.problems_and_causes,
        measures=v1.measures + EXTRA_MEASURE,
        problems=v1.problems.all(),
        revise_approved=True,
    )
    report_submit(actor=head, report=jw_report)
    _decide(jw_report, _supervisor(ctx, jw), comment="同意修改后的整改措施。")

    # College, A, B and C pass the gate into the meeting stage.
    for name in [college.name, *GROUP_A, *GROUP_B, *GROUP_C]:
        participant_advance(actor=office, participant=ctx["participants"][name], note="自查报告已全部审定")

    # after the college's meeting stage began: a member revises his report, which waits for the principal
    revised = SelfReport.objects.get(pk=member_reports[ctx["leaders"][1].pk].pk)
    v1 = revised.versions.get(number=1)
    report_save(
        actor=revised.person.user,
        report=revised,
        method=v1.method,
        problems_and_causes=v1.problems_and_causes,
        measures=v1.measures + EXTRA_MEASURE,
        problems=v1.problems.all(),
        revise_approved=True,
    )
    report_submit(actor=revised.person.user, report=revised)
    cases = _seed_group_d(ctx)
    from accountability.demo import settle

    settle(ctx, cases)


def _seed_group_d(ctx) -> list:
    by_name, heads = ctx["by_name"], ctx["heads"]
    # a draft
    _write(ctx, heads[by_name["院长办公室"].pk], K.DEPARTMENT, by_name["院长办公室"], submit=False)
    # under review, one of them overdue (submitted nine days ago)
    xc = by_name["宣传统战部"]
    overdue = _write(ctx, heads[xc.pk], K.DEPARTMENT, xc)
    SelfReport.objects.filter(pk=overdue.pk).update(submitted_at=timezone.now() - timedelta(days=9))
    jc = by_name["基础教学部"]
    _write(ctx, heads[jc.pk], K.DEPARTMENT, jc)
    # approved department report, members' reports under review
    gj = by_name["国际交流处"]
    _decide(_write(ctx, heads[gj.pk], K.DEPARTMENT, gj), _supervisor(ctx, gj))
    for m in _members(gj):
        _write(ctx, m, K.DEPARTMENT_MEMBER, gj)
    # returned: 纪委办公室's report (a case against its head, decided below) and a member's of 保卫处
    jw = by_name["纪委办公室"]
    returned = _decide(
        _write(ctx, heads[jw.pk], K.DEPARTMENT, jw),
        _supervisor(ctx, jw),
        "return",
        "查摆问题避重就轻，原因剖析流于表面，未结合群众意见，请重新撰写。",
    )
    bw = by_name["保卫处"]
    member = _members(bw)[0]
    _decide(
        _write(ctx, member, K.DEPARTMENT_MEMBER, bw),
        _supervisor(ctx, bw),
        "return",
        "整改措施笼统，缺少时限和责任人。",
    )
    # waiting for routing: a cadre of 工会 whose head has no login yet
    gh = by_name["工会"]
    cadre = (
        Person.objects.filter(posts__unit=gh, posts__kind=Post.Kind.CADRE).first()
        or Person.objects.filter(unit=gh).exclude(pk=heads[gh.pk].pk).first()
    )
    if heads[gh.pk].user_id is None and cadre is not None:
        if not cadre.posts.filter(kind=Post.Kind.CADRE, unit=gh).exists():
            from orgs.services import post_assign

            post_assign(actor=None, person=cadre, unit=gh, kind=Post.Kind.CADRE)
        _write(ctx, cadre, K.CADRE, gh)
    from accountability.models import AccountabilityCase

    return list(
        AccountabilityCase.objects.filter(trigger_ref__in=[f"reports.selfreport:{returned.pk}"]).order_by("pk")
    ) + list(AccountabilityCase.objects.filter(person=heads[bw.pk]).order_by("pk"))
