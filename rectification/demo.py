"""Demo rectification (docs/demo-plan.md): plans for the group A units, drafted from their meetings where
the minutes are filed, approved along the report chain, with measures in every state and colour, real
evidence files, a returned close-out, extensions, a reopened measure, an accountability case for an overdue
measure, the rules register, public commitments in each phase, a published ranking, and the look-back
(回头看) of 后勤管理处 in progress. 党委办公室 finishes and closes through the RECTIFICATION gate.

Everything goes through the services (so the audit trail is real); deadlines are set around today so the
warning colours show as described."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from django.utils import timezone

from campaigns.models import CampaignUnit, LookBack, Stage
from campaigns.services import participant_advance
from core.exceptions import ServiceError
from orgs.models import Person, Post, RoleAssignment

from . import commitments as cs
from . import rankings, samples, services
from .models import Measure, RectificationPlan, Rule
from .warnings import warnings_send

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

# (content, goal, kind, time class)
MEASURES = [
    (
        "推行办事事项清单和限时办结制，在网上公开办事流程和承诺时限。",
        "办事事项全部公开，平均办结时间缩短三分之一。",
        "work",
        "deadline",
    ),
    (
        "建立重点工作周调度、月通报制度，明确每项任务的责任人和完成时限。",
        "重点任务按期完成率达到95%以上。",
        "rule",
        "deadline",
    ),
    ("开展“服务师生”专题学习培训，每位干部撰写心得体会。", "全体干部参训，培训覆盖率100%。", "training", "deadline"),
    ("建立师生意见收集、交办和反馈台账，做到件件有回音。", "意见办结率100%，满意率不低于90%。", "work", "deadline"),
    (
        "严格执行考勤和请销假制度，每月通报，纳入年度考核。",
        "迟到早退现象明显减少，月通报不少于一次。",
        "rule",
        "deadline",
    ),
    ("对窗口服务岗位开展明察暗访，发现问题立即整改。", "暗访问题当场整改。", "work", "immediate"),
    ("坚持领导干部联系基层制度，每学期深入一线不少于四次。", "形成常态化联系基层机制。", "work", "long_term"),
    ("梳理本部门规章制度，废止过时制度，修订不适应的条款。", "完成制度汇编并印发。", "rule", "deadline"),
]


class DemoHasher(PBKDF2PasswordHasher):
    """The demo's published passwords are hashed cheaply (a full-cost hash costs ~1 s each); the standard
    PBKDF2 hasher verifies them, and Django re-hashes them at full cost at the first log-in."""

    iterations = 1000


def _login(person: Person):
    from orgs.demo import DEMO_PASSWORD
    from orgs.services import login_issue

    if person.user_id is None:
        with override_settings(PASSWORD_HASHERS=["rectification.demo.DemoHasher", *settings.PASSWORD_HASHERS]):
            login_issue(actor=None, person=person, password=DEMO_PASSWORD, must_change=False)
        person.refresh_from_db()
    return person.user


def _file(kind: str, name: str):
    content = {"png": samples.png_bytes, "pdf": samples.pdf_bytes, "docx": samples.docx_bytes}[kind]()
    return SimpleUploadedFile(name, content)


class UnitDemo:
    """One unit's demo: its plan, owners and reviewer."""

    def __init__(self, ctx, name: str):
        self.ctx, self.name = ctx, name
        self.unit = ctx["by_name"][name]
        self.office = ctx["office_people"][0].user
        self.head = ctx["heads"][self.unit.pk]
        people = list(
            Person.objects.filter(unit=self.unit, active=True)
            .exclude(pk=self.head.pk)
            .exclude(roles__role=RoleAssignment.Role.CAMPAIGN_OFFICE)
            .filter(posts__kind__in=[Post.Kind.DEPARTMENT_MEMBER, Post.Kind.CADRE])
            .distinct()
            .order_by("staff_no")[:2]
        )
        if name == "教务处" and ctx.get("cadre") is not None:
            people = [ctx["cadre"], *[p for p in people if p.pk != ctx["cadre"].pk]][:2]
        self.owners = people or [self.head]
        for p in self.owners:
            _login(p)
        _login(self.head)
        self.verifier = self.head.user

    def plan(self, today) -> RectificationPlan:
        from meetings.models import LifeMeeting

        campaign = self.ctx["campaign"]
        meeting = (
            LifeMeeting.objects.filter(campaign=campaign, unit=self.unit, status=LifeMeeting.Status.FILED)
            .order_by("-pk")
            .first()
        )
        if meeting is not None and meeting.agreed_measures.exists():
            plan = services.plan_from_meeting(actor=self.office, meeting=meeting)
        else:
            plan = services.plan_create(
                actor=self.office,
                campaign=campaign,
                unit=self.unit,
                title=f"{self.unit.name}“治庸问责”整改方案",
                summary="针对自查、民主生活会和群众意见中查找出的问题，逐条制定整改措施，明确责任、时限和目标。",
            )
        if not plan.measures.exists():
            for i in (0, 3):
                self.add(plan, i, today + timedelta(days=30 + i))
            return plan
        for i, m in enumerate(plan.measures.order_by("pk")):
            services.measure_update(
                actor=self.office,
                measure=m,
                goal=MEASURES[i % len(MEASURES)][1],
                owner=self.owners[i % len(self.owners)],
                deadline=today + timedelta(days=30 + i),
            )
        return plan

    def add(self, plan, i: int, deadline, owner=None, time_class=None) -> Measure:
        content, goal, kind, tc = MEASURES[i % len(MEASURES)]
        tc = time_class or tc
        return services.measure_create(
            actor=self.office,
            plan=plan,
            content=content,
            goal=goal,
            kind=kind,
            time_class=tc,
            deadline=None if tc == "long_term" else deadline,
            owner=owner or self.owners[i % len(self.owners)],
            responsible_leader=None,
            problems=list(plan.unit.problems.filter(campaign=plan.campaign)[:1]),
            rule_title=f"{self.unit.short_name or self.unit.name}{content[2:14]}办法" if kind == "rule" else "",
        )

    def approve(self, plan) -> RectificationPlan:
        route = services._resolve_reviewer(plan)
        if route.problem and getattr(route, "person", None) is not None:
            _login(route.person)  # the demo's reviewers get a log-in, as the office would issue
        plan = services.plan_submit(actor=self.office, plan=plan)
        reviewer = plan.reviewer
        if plan.reviewer_is_city_office:
            reviewer = self.ctx["city_officials"][0].user
        return services.plan_approve(actor=reviewer, plan=plan, comment="措施具体、责任明确，同意。")

    # --- measure scenarios (the owner acts, the head verifies)
    def work(self, m, percent=50, files=("png",), text="已按计划推进，完成阶段性工作。") -> Measure:
        owner = m.owner.user
        uploads = [_file(k, f"{k}-佐证{m.pk}.{k}") for k in files]
        services.progress_report(actor=owner, measure=m, content=text, percent=percent, files=uploads)
        m.refresh_from_db()
        return m

    def request(self, m, kind="pdf") -> Measure:
        m = self.work(m, 100, files=(kind,), text="整改任务已全部完成，相关材料已归档。")
        return services.closeout_request(actor=m.owner.user, measure=m, note="已对照整改目标逐项完成，申请销号。")

    def verify(self, m) -> Measure:
        m = self.request(m)
        reviewer = self.verifier if m.owner.user != self.verifier else self.office
        return services.measure_verify(actor=reviewer, measure=m, comment="经核验，整改到位，同意销号。")

    def returned(self, m, today) -> Measure:
        m = self.request(m, kind="docx")
        return services.measure_return(
            actor=self.verifier,
            measure=m,
            reason="佐证材料只有制度文本，缺少执行记录，请补充近一个月的执行台账。",
            new_deadline=today + timedelta(days=15),
        )


def _pdb_scenario(u: UnitDemo, plan, today):
    """教务处: every state and every colour, milestones, a pending extension, a returned close-out."""
    ms = list(plan.measures.order_by("pk"))
    extra = [
        u.add(plan, i, today + timedelta(days=d))
        for i, d in [(0, 40), (1, 10), (2, 2), (3, -5), (4, 20), (5, 18), (7, 25)]
    ]
    lt = u.add(plan, 6, None, time_class="long_term")
    u.approve(plan)
    planned, green, yellow, red, requested, returned, rule = extra
    for m in ms:
        u.work(m, 30)
    services.milestone_add(actor=green.owner.user, measure=green, title="完成流程梳理", due=today - timedelta(days=5))
    services.milestone_add(
        actor=green.owner.user, measure=green, title="上线网上办事系统", due=today + timedelta(days=8)
    )
    u.work(green, 60)
    services.milestone_done(actor=green.owner.user, milestone=green.milestones.first())
    u.work(yellow, 70, files=("docx",))
    services.extension_request(
        actor=yellow.owner.user,
        measure=yellow,
        reason="培训需与学期教学安排错开，申请延后至期末。",
        new_deadline=today + timedelta(days=21),
    )
    u.work(red, 20)
    u.request(requested)
    u.returned(returned, today)
    u.verify(rule)
    r = Rule.objects.get(measure=rule)
    services.rule_update(
        actor=rule.owner.user,
        rule=r,
        title=r.title,
        change="new",
        document_no="江职院教〔2026〕18号",
        issued_on=today - timedelta(days=2),
    )
    u.work(lt, 40, text="本学期已深入一线调研两次，形成调研报告。")
    del planned


def _finance(u: UnitDemo, plan, today):
    """财务处: verified on time, an approved extension (original deadline kept), an overdue one."""
    a = u.add(plan, 0, today + timedelta(days=12))
    b = u.add(plan, 3, today + timedelta(days=5))
    c = u.add(plan, 4, today - timedelta(days=3))
    u.approve(plan)
    for m in plan.measures.order_by("pk"):
        if m.pk not in (a.pk, b.pk, c.pk):
            u.verify(m)
    u.work(a, 50)
    ext = services.extension_request(
        actor=a.owner.user,
        measure=a,
        reason="财务系统升级由厂商排期，需顺延。",
        new_deadline=today + timedelta(days=35),
    )
    services.extension_decide(actor=u.verifier, extension=ext, approve=True, note="理由充分，同意延期一次。")
    u.verify(b)
    u.work(c, 80)


def _students(u: UnitDemo, plan, today):
    """学生工作处: a verified measure reopened because the problem recurred."""
    base = list(plan.measures.order_by("pk"))
    a = u.add(plan, 5, today + timedelta(days=3))
    b = u.add(plan, 1, today + timedelta(days=9))
    u.approve(plan)
    for m in base:
        u.verify(m)
    u.verify(a)
    services.measure_reopen(
        actor=u.verifier,
        measure=a,
        reason="暗访发现窗口推诿现象再次出现，重新整改。",
        new_deadline=today + timedelta(days=2),
    )
    u.work(b, 40)


def _electro(u: UnitDemo, plan, today):
    """机电工程学院党总支: an overdue measure for which the office opens an accountability case."""
    late = u.add(plan, 3, today - timedelta(days=9))
    u.add(plan, 2, today + timedelta(days=13))
    u.approve(plan)
    for m in plan.measures.order_by("pk"):
        if m.pk != late.pk:
            u.work(m, 45)
    services.measure_case_open(
        actor=u.office,
        measure=late,
        facts="该整改措施逾期9天未完成，且未申请延期，经院治庸办研究，启动问责程序。",
    )


def _info(u: UnitDemo, plan, today):
    u.add(plan, 0, today + timedelta(days=16))
    u.approve(plan)
    ms = list(plan.measures.order_by("pk"))
    for m in ms[:-1]:
        u.verify(m)
    u.request(ms[-1])


def _party_office(u: UnitDemo, plan, today):
    """党委办公室: everything verified, the long-term measure reporting progress; it closes."""
    u.add(plan, 6, None, time_class="long_term")
    u.approve(plan)
    for m in plan.measures.order_by("pk"):
        if m.time_class == "long_term":
            u.work(m, 50, text="每月联系基层一次，已建立联系台账。")
        else:
            u.verify(m)


def _hr(u: UnitDemo, plan, today):
    u.add(plan, 7, today + timedelta(days=45))
    u.approve(plan)
    m = plan.measures.order_by("pk").first()
    u.work(m, 25)


def _logistics(u: UnitDemo, plan, today):
    """后勤管理处: round one approved and partly done, then the look-back (回头看) with its new plan."""
    u.approve(plan)
    ms = list(plan.measures.order_by("pk"))
    u.verify(ms[0])
    for m in ms[1:]:
        u.work(m, 30)
    participant = CampaignUnit.objects.get(campaign=plan.campaign, unit=u.unit)
    lb = LookBack.objects.filter(participant=participant, status=LookBack.Status.OPEN, person__isnull=True).first()
    if lb is None:
        lb = services.plan_not_real(
            actor=u.office,
            plan=plan,
            reason="民主评议中“不满意”票超过三分之一，群众反映食堂和维修服务问题整改不实，重新自查整改。",
        )
    plan2 = services.plan_for_lookback(actor=u.office, lookback=lb)
    for m in plan2.measures.all():
        services.measure_update(
            actor=u.office, measure=m, goal="群众满意率达到85%以上。", deadline=today + timedelta(days=25)
        )
    a = u.add(plan2, 3, today + timedelta(days=20))
    u.add(plan2, 5, today + timedelta(days=6))
    u.approve(plan2)
    u.work(a, 35, text="召开师生座谈会两场，收集食堂、维修意见42条，已逐条交办。")


SCENARIOS = {
    "教务处": _pdb_scenario,
    "财务处": _finance,
    "学生工作处": _students,
    "机电工程学院党总支": _electro,
    "信息工程学院党总支": _info,
    "后勤管理处": _logistics,
    "党委办公室": _party_office,
    "组织人事处": _hr,
}


def _commitments(ctx, today):
    """Commitments in each phase of 承诺 → 示诺 → 践诺 → 评诺."""
    campaign, office = ctx["campaign"], ctx["office_people"][0].user
    by_name = ctx["by_name"]
    people = []
    for name in ["教务处", "财务处", "学生工作处", "组织人事处", "信息工程学院党总支", "党委办公室"]:
        unit = by_name[name]
        p = (
            Person.objects.filter(unit=unit, posts__kind=Post.Kind.CADRE, active=True)
            .exclude(roles__role=RoleAssignment.Role.CAMPAIGN_OFFICE)
            .order_by("staff_no")
            .first()
        )
        if p is not None:
            people.append(p)
    if ctx.get("cadre") is not None and ctx["cadre"] not in people:
        people[0] = ctx["cadre"]
    texts = [
        (
            "立足岗位、服务师生，做到“马上就办、办就办好”。",
            [("学生来访咨询当日答复", 20), ("每月公开一次办事进度", 45)],
        ),
        ("严守财经纪律，提高报销审核效率。", [("报销审核时限压缩到3个工作日", 15), ("每季度开展一次政策宣讲", 60)]),
        ("关心学生成长，主动解决学生急难愁盼问题。", [("每周走访学生宿舍一次", 10)]),
        ("公道正派选人用人，提高干部工作透明度。", [("干部选任程序全程公开", 30)]),
        ("改进教学管理，提升课堂质量。", [("每学期听课不少于10节", 50)]),
        ("提高文稿质量和办文效率。", [("公文办理时限不超过3天", 25)]),
    ]
    made = []
    for p, (content, items) in zip(people, texts):
        user = _login(p)
        c = cs.commitment_create(
            actor=user,
            campaign=campaign,
            person=p,
            content=content,
            items=[(t, today + timedelta(days=d)) for t, d in items],
        )
        made.append((p, user, c))
    # phase 0 (承诺): the last stays a draft; 示诺: published; 践诺: progress; 评诺: in an assessment round
    for i, (_p, user, c) in enumerate(made[:-1]):
        cs.commitment_submit(actor=user, commitment=c)
        cs.commitment_review(actor=office, commitment=c, approve=True, comment="同意公示。")
        if i in (0, 2, 3):
            item = c.items.first()
            cs.commitment_progress(actor=user, item=item, content="已按承诺落实，本月完成情况良好。", done=i == 0)
    assess = [c for i, (_p, _u, c) in enumerate(made[:-1]) if i in (2, 3)]
    for c in assess:
        c.refresh_from_db()
    if assess:
        try:
            cs.commitment_assessment_open(
                actor=office, campaign=campaign, commitments=assess, name="干部公开承诺践诺情况民主测评"
            )
        except (ImportError, ServiceError) as e:  # the evaluations app refuses: keep the demo going
            ctx["stdout"].write(f"    rectification: commitment assessment not started ({e})")


def seed(ctx: dict) -> None:
    today = timezone.localdate()
    done = []
    for name in GROUP_A:
        if name not in ctx["by_name"]:
            continue
        u = UnitDemo(ctx, name)
        plan = u.plan(today)
        SCENARIOS[name](u, plan, today)
        done.append(name)

    # A cadre's personal plan waits for the department head's approval (the report chain).
    cadre = ctx.get("cadre")
    if cadre is not None:
        user = _login(cadre)
        personal = services.plan_create(
            actor=user, campaign=ctx["campaign"], unit=cadre.unit, person=cadre, title=f"{cadre.name}个人整改方案"
        )
        services.measure_create(
            actor=user,
            plan=personal,
            content="学生咨询做到首问负责、当日答复。",
            goal="咨询答复及时率100%。",
            owner=cadre,
            deadline=today + timedelta(days=30),
        )
        services.plan_submit(actor=user, plan=personal)

    _commitments(ctx, today)
    office = ctx["office_people"][0].user
    rankings.board_publish(actor=office, campaign=ctx["campaign"], title="第一期部门整改落实评比")

    # 党委办公室 has finished: it leaves the campaign through the RECTIFICATION gate.
    participant = ctx["participants"].get("党委办公室")
    if participant is not None:
        participant.refresh_from_db()
        if participant.stage == Stage.RECTIFICATION:
            participant_advance(actor=office, participant=participant, note="整改措施全部核验销号")
    sent = warnings_send(today=today)
    ctx["stdout"].write(f"    rectification: plans for {len(done)} units; warnings sent {sent}")
