"""A whole city's worth of data, written in bulk for benchmarks (`manage.py generate_city`).

The shape follows the demo (see docs/demo-plan.md) at city scale: a city office, institutions with their
departments, people with posts and 分管 links, one campaign per institution with its units spread over every
stage, problems from every channel with manifestations, approved plans with measures in every state,
progress reports and evidence records, opinions, and a hash-chained audit trail. Rows are written with
`bulk_create` in batches (the services would write one audit row and several queries per object: hours for
a city, and not what the benchmarks measure). Seeded: the same arguments give the same city.

Nothing here is used by the running site; it exists so that every hot path can be measured against its
baseline at the size a city runs (bench/run.py).
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

BATCH = 5000
FIXED_AT = datetime(2026, 10, 20, 9, tzinfo=UTC)
PASSWORD = "Bench-pass-2026"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌辉鹏飞玲红波宁琳晨浩宇"
DEPT_NAMES = [
    "办公室", "组织部", "宣传部", "纪检监察室", "人事处", "财务处", "教务处", "学生处", "科研处", "后勤管理处",
    "保卫处", "资产管理处", "国际交流处", "招生就业处", "信息中心", "图书馆", "工会", "团委", "审计处", "基建处",
]  # fmt: skip
INSTITUTION_KINDS = ["职业技术学院", "市人民医院", "市市场监督管理局", "区政务服务中心", "市第一中学", "市交通运输局"]
PROBLEM_TEXTS = [
    "办事拖拉，群众反映审批材料退回后无人说明原因",
    "工作作风不实，下基层调研流于形式",
    "上班时间脱岗，窗口无人值守",
    "对群众诉求推诿扯皮，一件事要跑多次",
    "学习制度坚持不好，政治理论学习走过场",
    "执行上级决策打折扣，重点任务推进缓慢",
    "服务态度生硬，答复群众咨询不耐心",
    "会议多文件多，基层负担重",
]
MEASURE_TEXTS = [
    "建立首问负责和一次性告知制度，窗口工作人员挂牌上岗",
    "制定调研工作规定，每季度下基层不少于两次并形成报告",
    "实行考勤电子打卡，每周通报脱岗情况",
    "建立群众诉求台账，限时办结并回访",
    "修订理论学习制度，每月集中学习一次并记录",
]


@dataclass
class CitySize:
    """How big a city to make. `scaled(f)` keeps the proportions."""

    units: int = 7_000
    people: int = 200_000
    problems: int = 300_000
    measures: int = 300_000
    opinions: int = 30_000
    audit_records: int = 1_000_000
    institutions: int = 0  # 0: one per hundred units
    seed: int = 7

    def scaled(self, factor: float) -> CitySize:
        return CitySize(
            units=max(20, int(self.units * factor)),
            people=max(200, int(self.people * factor)),
            problems=max(200, int(self.problems * factor)),
            measures=max(200, int(self.measures * factor)),
            opinions=max(50, int(self.opinions * factor)),
            audit_records=max(1000, int(self.audit_records * factor)),
            seed=self.seed,
        )


@dataclass
class City:
    city_id: int
    institution_ids: list[int]
    campaign_ids: list[int]
    official_username: str
    office_usernames: list[str]
    counts: dict[str, int]


def _log(out, msg: str, started: float) -> None:
    if out is not None:
        line = f"  {time.monotonic() - started:6.1f}s  {msg}"
        out.write(line if hasattr(out, "style_func") else line + "\n")  # Django's OutputWrapper adds the newline


def _bulk(model, rows, batch=BATCH) -> list:
    created = []
    for i in range(0, len(rows), batch):
        created.extend(model.objects.bulk_create(rows[i : i + batch], batch_size=batch))
    return created


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate_city(size: CitySize, *, prefix: str = "GC", out=None) -> City:
    """Write one city. `prefix` keeps unit codes and staff numbers apart, so two cities can coexist."""
    from audit.models import AuditHead
    from campaigns.models import STAGE_ORDER, Campaign, CampaignUnit
    from orgs.models import Person, Post, RoleAssignment, Supervision, Unit, User
    from problems.models import Channel, Manifestation, Opinion, Problem
    from rectification.models import Evidence, Measure, ProgressReport, RectificationPlan

    started = time.monotonic()
    rng = random.Random(size.seed)
    counts: dict[str, int] = {}

    n_inst = size.institutions or max(2, size.units // 100)
    depts_per_inst = max(1, (size.units - n_inst - 1) // n_inst)

    # Units: the city office, its institutions, their departments. Paths need ids, so write then place.
    with transaction.atomic():
        city = Unit.objects.create(name=f"{prefix}江城市治庸办", kind=Unit.Kind.CITY_OFFICE, code=f"{prefix}-CITY")
        city.path, city.depth = f"{city.pk}/", 0
        city.save(update_fields=["path", "depth"])
        insts = _bulk(
            Unit,
            [
                Unit(
                    name=f"江城{INSTITUTION_KINDS[i % len(INSTITUTION_KINDS)]}{i + 1:03d}",
                    kind=Unit.Kind.INSTITUTION,
                    code=f"{prefix}-I{i:04d}",
                    parent=city,
                    sort_order=i,
                )
                for i in range(n_inst)
            ],
        )
        insts = _ids_if_missing(Unit, insts, code__startswith=f"{prefix}-I")
        for u in insts:
            u.path, u.depth, u.institution_id = f"{city.path}{u.pk}/", 1, None
        Unit.objects.bulk_update(insts, ["path", "depth", "institution"], batch_size=BATCH)
        dept_rows = []
        for i, inst in enumerate(insts):
            for j in range(depts_per_inst):
                base = DEPT_NAMES[j % len(DEPT_NAMES)]
                dept_rows.append(
                    Unit(
                        name=base if j < len(DEPT_NAMES) else f"{base}{j // len(DEPT_NAMES) + 1}",
                        kind=Unit.Kind.DEPARTMENT,
                        code=f"{prefix}-D{i:04d}-{j:03d}",
                        parent=inst,
                        sort_order=j,
                    )
                )
        depts = _ids_if_missing(Unit, _bulk(Unit, dept_rows), code__startswith=f"{prefix}-D")
        inst_by_id = {u.pk: u for u in insts}
        for d in depts:
            parent = inst_by_id[d.parent_id]
            d.path, d.depth, d.institution_id = f"{parent.path}{d.pk}/", 2, parent.pk
        Unit.objects.bulk_update(depts, ["path", "depth", "institution"], batch_size=BATCH)
    counts["units"] = 1 + len(insts) + len(depts)
    _log(out, f"{counts['units']:,} units", started)

    depts_of: dict[int, list] = {}
    for d in depts:
        depts_of.setdefault(d.parent_id, []).append(d)

    # People, spread over departments; each institution gets a principal leader and a leadership team,
    # each department a head, each institution's campaign office a login. One password hash for all.
    password = make_password(PASSWORD)
    with transaction.atomic():
        people_rows = []
        per_dept = max(1, size.people // max(1, len(depts)))
        n = 0
        for d in depts:
            for _ in range(per_dept):
                n += 1
                people_rows.append(
                    Person(
                        name=_name(rng),
                        staff_no=f"{prefix}{n:07d}",
                        unit=d,
                        gender=rng.choice("MF"),
                        is_party_member=rng.random() < 0.45,
                    )
                )
        people = _ids_if_missing(Person, _bulk(Person, people_rows), staff_no__startswith=prefix)
        people_of: dict[int, list] = {}
        for p in people:
            people_of.setdefault(p.unit_id, []).append(p)
        posts, supervisions, leaders_of = [], [], {}
        for inst in insts:
            inst_people = [p for d in depts_of[inst.pk][:6] for p in people_of[d.pk][:1]]
            principal, team = inst_people[0], inst_people[1:6] or inst_people[:1]
            posts.append(Post(person=principal, unit=inst, kind=Post.Kind.PRINCIPAL_LEADER, title="党委书记"))
            posts.extend(Post(person=m, unit=inst, kind=Post.Kind.LEADERSHIP_MEMBER, title="副职") for m in team)
            leaders_of[inst.pk] = (principal, team)
            for k, d in enumerate(depts_of[inst.pk]):
                supervisions.append(Supervision(leader=team[k % len(team)], unit=d))
        for d in depts:
            members = people_of[d.pk]
            if len(members) > 1:
                posts.append(Post(person=members[1], unit=d, kind=Post.Kind.DEPARTMENT_HEAD, title="处长"))
            posts.extend(Post(person=m, unit=d, kind=Post.Kind.CADRE) for m in members[2:4])
        _bulk(Post, posts)
        _bulk(Supervision, supervisions)
        # Log-ins: the city official and each institution's campaign office (the first person of its first
        # department, who is not a leader).
        official = Person.objects.create(name="市办刘明", staff_no=f"{prefix}-CITY-1", unit=city)
        login_people = [official] + [people_of[depts_of[i.pk][-1].pk][0] for i in insts]
        users = _bulk(
            User,
            [User(username=p.staff_no, password=password, is_active=True) for p in login_people],
        )
        users = _ids_if_missing(User, users, username__in=[p.staff_no for p in login_people])
        user_by_name = {u.username: u for u in users}
        for p in login_people:
            p.user = user_by_name[p.staff_no]
        Person.objects.bulk_update(login_people, ["user"], batch_size=BATCH)
        roles = [RoleAssignment(person=official, role=RoleAssignment.Role.CITY_OFFICE, unit=city)]
        roles += [
            RoleAssignment(person=p, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=inst)
            for p, inst in zip(login_people[1:], insts)
        ]
        _bulk(RoleAssignment, roles)
    counts["people"] = len(people) + 1
    counts["posts"] = len(posts)
    _log(out, f"{counts['people']:,} people, {len(posts):,} posts", started)

    # One campaign per institution; its units spread over every stage (the institution follows the
    # slowest of its units, as the gates require).
    with transaction.atomic():
        campaigns = _bulk(
            Campaign,
            [
                Campaign(
                    name=f"{inst.name}2026年自查整改",
                    institution=inst,
                    status=Campaign.Status.ACTIVE,
                    start_date=date(2026, 9, 1),
                    finding_due=date(2026, 10, 15),
                    meeting_due=date(2026, 11, 15),
                    evaluation_due=date(2026, 12, 15),
                    rectification_due=date(2027, 3, 1),
                    milestone_3m=date(2026, 12, 1),
                    milestone_6m=date(2027, 3, 1),
                )
                for inst in insts
            ],
        )
        campaigns = _ids_if_missing(Campaign, campaigns, institution__in=insts)
        campaign_of = {c.institution_id: c for c in campaigns}
        participants = []
        for inst in insts:
            c = campaign_of[inst.pk]
            stages = [STAGE_ORDER[rng.randrange(len(STAGE_ORDER))] for _ in depts_of[inst.pk]]
            participants.append(CampaignUnit(campaign=c, unit=inst, stage=min(stages, key=STAGE_ORDER.index)))
            participants.extend(CampaignUnit(campaign=c, unit=d, stage=s) for d, s in zip(depts_of[inst.pk], stages))
        _bulk(CampaignUnit, participants)
    counts["campaigns"] = len(campaigns)
    _log(out, f"{len(campaigns):,} campaigns, {len(participants):,} participating units", started)

    # Problems from every channel, each with one or two manifestations.
    manifestations = list(Manifestation.objects.values_list("pk", flat=True))
    channels = [c for c, _ in Channel.choices]
    PROBLEM_STATUSES = [Problem.Status.OPEN, Problem.Status.RECTIFYING, Problem.Status.RECTIFYING, Problem.Status.RESOLVED, Problem.Status.FIXED_AT_ONCE]
    with transaction.atomic():
        rows = []
        # A third of the problems belong to the first institution: one campaign as large as the biggest
        # real ledgers (100,000 rows at full size), the rest spread over the city.
        largest = depts_of[insts[0].pk]
        others = [d for d in depts if d.parent_id != insts[0].pk] or largest
        n_largest = size.problems // 3
        for k in range(size.problems):
            d = largest[k % len(largest)] if k < n_largest else others[k % len(others)]
            rows.append(
                Problem(
                    campaign_id=campaign_of[d.parent_id].pk,
                    unit=d,
                    description=f"{PROBLEM_TEXTS[k % len(PROBLEM_TEXTS)]}（{k + 1}）",
                    channel=channels[k % len(channels)],
                    severity=rng.choice(("low", "medium", "high")),
                    cause="宗旨意识淡薄，责任心不强，对制度执行督促检查不够",
                    status=(status := rng.choice(PROBLEM_STATUSES)),
                    fixed_at=FIXED_AT if status == Problem.Status.FIXED_AT_ONCE else None,
                )
            )
        problems = _ids_if_missing(Problem, _bulk(Problem, rows), campaign__in=campaigns)
        through = Problem.manifestations.through
        if manifestations:
            _bulk(
                through,
                [
                    through(problem_id=p.pk, manifestation_id=m)
                    for p in problems
                    for m in rng.sample(manifestations, rng.choice((1, 2)))
                ],
            )
    counts["problems"] = len(problems)
    _log(out, f"{len(problems):,} problems", started)

    # Approved plans per department, measures in every state, progress reports and evidence records.
    evidence_bytes = "整改佐证材料（基准数据）".encode() * 20
    sha = hashlib.sha256(evidence_bytes).hexdigest()
    evidence_name = f"rectification/{sha[:2]}/{sha}.txt"
    if not default_storage.exists(evidence_name):
        default_storage.save(evidence_name, ContentFile(evidence_bytes))
    # The states people bring a measure to (a measure completed by an Excel import needs its import row).
    statuses = [
        Measure.Status.PLANNED,
        Measure.Status.IN_PROGRESS,
        Measure.Status.CLOSEOUT_REQUESTED,
        Measure.Status.VERIFIED,
        Measure.Status.RETURNED,
    ]
    with transaction.atomic():
        plans = _bulk(
            RectificationPlan,
            [
                RectificationPlan(
                    campaign_id=campaign_of[d.parent_id].pk,
                    unit=d,
                    title=f"{d.name}整改方案",
                    status=RectificationPlan.Status.APPROVED,
                    approved_at=FIXED_AT,
                )
                for d in depts
            ],
        )
        plans = _ids_if_missing(RectificationPlan, plans, campaign__in=campaigns)
        plan_of = {p.unit_id: p for p in plans}
        today = date(2026, 11, 29)
        measure_rows = []
        for k in range(size.measures):
            p = problems[k % len(problems)]
            owner_pool = people_of[p.unit_id]
            status = statuses[k % len(statuses)]
            measure_rows.append(
                Measure(
                    plan=plan_of[p.unit_id],
                    content=MEASURE_TEXTS[k % len(MEASURE_TEXTS)],
                    goal="按期整改到位，群众满意",
                    deadline=today + timedelta(days=rng.randint(-60, 120)),
                    responsible_unit_id=p.unit_id,
                    owner=owner_pool[k % len(owner_pool)],
                    status=status,
                    percent=100 if status in ("verified", "closeout_requested") else rng.choice((0, 20, 50, 80)),
                    verified_at=datetime(2026, 11, 1, tzinfo=UTC) if status == "verified" else None,
                )
            )
        measures = _ids_if_missing(Measure, _bulk(Measure, measure_rows), plan__in=plans)
        mthrough = Measure.problems.through
        _bulk(mthrough, [mthrough(measure_id=m.pk, problem_id=problems[k % len(problems)].pk) for k, m in enumerate(measures)])
        progress = _bulk(
            ProgressReport,
            [
                ProgressReport(measure=m, content="已召开专题会议部署整改，完成阶段性任务", percent=m.percent or 20)
                for m in measures
                if m.status != "planned"
            ],
        )
        evidence = _bulk(
            Evidence,
            [
                Evidence(
                    measure=m,
                    file=evidence_name,
                    original_name="整改佐证.txt",
                    extension="txt",
                    mime="text/plain",
                    sha256=sha,
                    size=len(evidence_bytes),
                )
                for m in measures
                if m.status in ("verified", "closeout_requested")
            ],
        )
    counts.update(measures=len(measures), progress_reports=len(progress), evidence=len(evidence))
    _log(out, f"{len(measures):,} measures, {len(progress):,} progress reports, {len(evidence):,} evidence", started)

    with transaction.atomic():
        sources = [s for s, _ in Opinion.Source.choices]
        opinions = _bulk(
            Opinion,
            [
                Opinion(
                    campaign_id=campaign_of[depts[k % len(depts)].parent_id].pk,
                    unit=depts[k % len(depts)],
                    content=f"{PROBLEM_TEXTS[(k * 3) % len(PROBLEM_TEXTS)]}，希望尽快解决",
                    source=sources[k % len(sources)],
                    submitter_kind=Opinion.SubmitterKind.MASSES,
                    received_on=date(2026, 9, 1) + timedelta(days=k % 60),
                    receipt_code=f"{prefix}{k:010d}",
                )
                for k in range(size.opinions)
            ],
        )
    counts["opinions"] = len(opinions)
    _log(out, f"{len(opinions):,} opinions", started)

    counts["audit_records"] = _audit_trail(size.audit_records, insts, users, rng)
    _log(out, f"{counts['audit_records']:,} audit records (chain intact)", started)

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    _log(out, "statistics updated", started)
    AuditHead.objects.get_or_create(pk=1)
    return City(
        city_id=city.pk,
        institution_ids=[u.pk for u in insts],
        campaign_ids=[c.pk for c in campaigns],
        official_username=official.staff_no,
        office_usernames=[p.staff_no for p in login_people[1:]],
        counts=counts,
    )


def _audit_trail(n: int, insts, users, rng: random.Random) -> int:
    """Append `n` records to the audit chain, numbered, chained and sealed under the trail's key exactly
    as audit.services does (audit_bulk_append), so that `audit_verify` walks a real chain."""
    from audit.models import AuditRecord
    from audit.services import audit_bulk_append

    actions = ["problem.create", "measure.progress", "measure.closeout_request", "report.submit", "opinion.triage"]
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)

    def rows():
        for k in range(n):
            inst = insts[k % len(insts)]
            user = users[k % len(users)]
            yield AuditRecord(
                at=start + timedelta(seconds=7 * k),
                actor_id=user.pk,
                actor_label=user.username,
                action=actions[k % len(actions)],
                object_type="problems.problem",
                object_id=str(k + 1),
                object_repr=PROBLEM_TEXTS[k % len(PROBLEM_TEXTS)][:200],
                unit_id=inst.pk,
                institution_id=inst.pk,
                changes={"status": ["open", "fixed"]} if k % 3 == 0 else {},
            )

    return audit_bulk_append(rows(), batch=BATCH)


def _ids_if_missing(model, objs, **lookup):
    """bulk_create sets primary keys on PostgreSQL and SQLite ≥ 3.35; on an older SQLite read them back."""
    if all(o.pk is not None for o in objs):
        return objs
    return list(model.objects.filter(**lookup).order_by("pk"))
