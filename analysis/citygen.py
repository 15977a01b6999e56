"""A whole city's worth of data, written in bulk for benchmarks (`manage.py generate_city`).

The shape follows the demo (see docs/demo-plan.md) at city scale: a city office, institutions with their
departments, people with posts and 分管 links, one campaign per institution with its units spread over every
stage, problems from every channel with manifestations, approved plans with measures in every state,
progress reports and evidence records, opinions, self-reports, democratic life meetings with their members,
evaluation rounds in every state (prepared; closed with their ballots stored as closing leaves them;
tallied through the tally service), service points with public ratings and the cases of unsatisfied ones,
and a keyed, hash-chained audit trail. Rows go straight into the tables as plain tuples (core.bulk: COPY
on PostgreSQL, executemany on SQLite) with primary keys handed out here: model objects and the ORM's
per-value preparation cost about a millisecond a row, an hour for a city. The services are used where a
city has few objects and their logic matters (an evaluation round's set-up and its tally). Seeded: the
same arguments give the same city, codes included.

Nothing here is used by the running site; it exists so that every hot path can be measured against its
baseline at the size a city runs (bench/run.py).
"""

from __future__ import annotations

import base64
import hashlib
import random
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from core.bulk import Table, indexes_deferred

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


REPORT_TEXTS = (
    "通过个别谈话、征求意见、对照检查等方式开展自查",
    "查摆出工作作风不实、服务意识不强等问题，根源在于宗旨意识淡薄",
    "建立问题清单、责任清单、整改清单，逐项销号",
)
RATING_REASONS = ["等了很久没人办理", "工作人员态度不好", "材料要求讲不清楚", "让我跑了好几趟"]


@dataclass
class CitySize:
    """How big a city to make. `scaled(f)` keeps the proportions."""

    units: int = 7_000
    people: int = 200_000
    problems: int = 300_000
    measures: int = 300_000
    opinions: int = 30_000
    ballots: int = 1_000_000
    ratings: int = 100_000
    audit_records: int = 1_000_000
    institutions: int = 0  # 0: one per hundred units
    seed: int = 7
    tally_limit: int = 200_000  # rounds are tallied through the service while their ballots stay under this

    def scaled(self, factor: float) -> CitySize:
        return CitySize(
            units=max(20, int(self.units * factor)),
            people=max(200, int(self.people * factor)),
            problems=max(200, int(self.problems * factor)),
            measures=max(200, int(self.measures * factor)),
            opinions=max(50, int(self.opinions * factor)),
            ballots=max(100, int(self.ballots * factor)),
            ratings=max(100, int(self.ratings * factor)),
            audit_records=max(1000, int(self.audit_records * factor)),
            seed=self.seed,
            tally_limit=self.tally_limit,
        )


@dataclass
class City:
    city_id: int
    institution_ids: list[int]
    campaign_ids: list[int]
    official_username: str
    office_usernames: list[str]
    counts: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self, out):
        self.out, self.started, self.last, self.seconds = out, time.monotonic(), time.monotonic(), {}

    def step(self, key: str, msg: str) -> None:
        now = time.monotonic()
        self.seconds[key] = round(now - self.last, 2)
        self.last = now
        if self.out is not None:
            line = f"  {now - self.started:6.1f}s  {msg}"
            self.out.write(line if hasattr(self.out, "style_func") else line + "\n")  # OutputWrapper adds "\n"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _code(rng: random.Random) -> str:
    """A public code as `secrets.token_urlsafe(9)` makes it, from the seeded generator."""
    return base64.urlsafe_b64encode(rng.randbytes(9)).decode()


_V4 = (0x4 << 76) | (0x2 << 62)
_V4_MASK = ~((0xF << 76) | (0x3 << 62))


def _uuid(rng: random.Random) -> str:
    """A random (version 4) UUID from the seeded generator, as its 32 hex digits (what SQLite stores and
    PostgreSQL reads)."""
    return f"{(rng.getrandbits(128) & _V4_MASK) | _V4:032x}"


def generate_city(size: CitySize, *, prefix: str = "GC", out=None) -> City:
    """Write one city. `prefix` keeps unit codes and staff numbers apart, so two cities can coexist."""
    if connection.vendor != "sqlite":
        return _generate(size, prefix, out)
    # SQLite's page cache (2 MB by default) is what bounds writing into large indexes: a quarter of a
    # gigabyte while writing, the default again afterwards (the benchmarks measure with the default).
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        default = cur.fetchone()[0]
        cur.execute("PRAGMA cache_size = -262144")
    try:
        return _generate(size, prefix, out)
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {int(default)}")


def _generate(size: CitySize, prefix: str, out) -> City:
    from audit.models import AuditHead
    from campaigns.models import STAGE_ORDER, Campaign, CampaignUnit
    from orgs.models import Person, Post, RoleAssignment, Supervision, Unit, User
    from problems.models import Channel, Manifestation, Opinion, Problem
    from rectification.models import Evidence, Measure, ProgressReport, RectificationPlan

    clock = _Clock(out)
    rng = random.Random(f"{size.seed}-{prefix}")
    counts: dict[str, int] = {}
    T = lambda model, cols, **k: Table(model, cols, now=FIXED_AT, **k)  # noqa: E731

    n_inst = size.institutions or max(5, size.units // 100)  # five at least: one campaign in each stage
    depts_per_inst = max(1, (size.units - n_inst - 1) // n_inst)

    # Units: the city office, its institutions, their departments (ids handed out first, so paths are
    # written with the rows).
    units = T(
        Unit,
        ["id", "name", "code", "kind", "parent_id", "path", "depth", "institution_id", "public_code", "sort_order"],
    )
    city_id = units.ids(1)
    first_inst = units.ids(n_inst)
    inst_ids = list(range(first_inst, first_inst + n_inst))
    first_dept = units.ids(n_inst * depts_per_inst)
    depts_of = {i: [first_dept + k * depts_per_inst + j for j in range(depts_per_inst)] for k, i in enumerate(inst_ids)}
    dept_ids = [d for i in inst_ids for d in depts_of[i]]
    dept_name, inst_of = {}, {}

    def unit_rows():
        yield (
            city_id,
            f"{prefix}江城市治庸办",
            f"{prefix}-CITY",
            Unit.Kind.CITY_OFFICE,
            None,
            f"{city_id}/",
            0,
            None,
            _code(rng),
            0,
        )
        for k, i in enumerate(inst_ids):
            name = f"江城{INSTITUTION_KINDS[k % len(INSTITUTION_KINDS)]}{k + 1:03d}"
            yield (
                i,
                name,
                f"{prefix}-I{k:04d}",
                Unit.Kind.INSTITUTION,
                city_id,
                f"{city_id}/{i}/",
                1,
                None,
                _code(rng),
                k,
            )
        for k, i in enumerate(inst_ids):
            for j, d in enumerate(depts_of[i]):
                base = DEPT_NAMES[j % len(DEPT_NAMES)]
                name = base if j < len(DEPT_NAMES) else f"{base}{j // len(DEPT_NAMES) + 1}"
                dept_name[d], inst_of[d] = name, i
                yield (
                    d,
                    name,
                    f"{prefix}-D{k:04d}-{j:03d}",
                    Unit.Kind.DEPARTMENT,
                    i,
                    f"{city_id}/{i}/{d}/",
                    2,
                    i,
                    _code(rng),
                    j,
                )

    with transaction.atomic():
        counts["units"] = units.insert(unit_rows())
        units.close()
    clock.step("units", f"{counts['units']:,} units")

    # People, spread over departments; each institution gets a principal leader and a leadership team,
    # each department a head, each institution's campaign office a login. One password hash for all.
    per_dept = max(1, size.people // max(1, len(dept_ids)))
    people = T(
        Person,
        ["id", "name", "staff_no", "unit_id", "gender", "is_party_member", "user_id"],
        title="",
        phone="",
        email="",
    )
    first_person = people.ids(len(dept_ids) * per_dept + 1)
    official_id = first_person + len(dept_ids) * per_dept
    people_of = {
        d: list(range(first_person + k * per_dept, first_person + (k + 1) * per_dept)) for k, d in enumerate(dept_ids)
    }
    users = T(
        User,
        ["id", "username"],
        password=make_password(PASSWORD),
        date_joined=FIXED_AT,
        is_active=True,
        first_name="",
        last_name="",
        email="",
    )
    first_user = users.ids(n_inst + 1)
    office_person = {i: people_of[depts_of[i][-1]][0] for i in inst_ids}  # the campaign office's login
    login = {official_id: first_user} | {p: first_user + 1 + k for k, p in enumerate(office_person.values())}
    staff_no = lambda pid: f"{prefix}{pid - first_person + 1:07d}"  # noqa: E731

    def person_rows():
        for d in dept_ids:
            for pid in people_of[d]:
                yield (pid, _name(rng), staff_no(pid), d, rng.choice("MF"), rng.random() < 0.45, login.get(pid))
        yield (official_id, "市办刘明", f"{prefix}-CITY-1", city_id, "M", True, first_user)

    leaders_of = {}
    with transaction.atomic():
        users.insert([(first_user, f"{prefix}-CITY-1")] + [(login[p], staff_no(p)) for p in office_person.values()])
        counts["people"] = people.insert(person_rows())
        posts, supervisions = [], []
        for i in inst_ids:
            heads = [people_of[d][0] for d in depts_of[i][:6]]
            principal, team = heads[0], heads[1:6] or heads[:1]
            leaders_of[i] = (principal, team)
            posts.append((principal, i, Post.Kind.PRINCIPAL_LEADER, "党委书记"))
            posts += [(m, i, Post.Kind.LEADERSHIP_MEMBER, "副职") for m in team]
            supervisions += [(team[k % len(team)], d) for k, d in enumerate(depts_of[i])]
        for d in dept_ids:
            members = people_of[d]
            if len(members) > 1:
                posts.append((members[1], d, Post.Kind.DEPARTMENT_HEAD, "处长"))
            posts += [(m, d, Post.Kind.CADRE, "") for m in members[2:4]]
        T(Post, ["person_id", "unit_id", "kind", "title"]).insert(posts)
        T(Supervision, ["leader_id", "unit_id"]).insert(supervisions)
        roles = [(official_id, RoleAssignment.Role.CITY_OFFICE, city_id)]
        roles += [(office_person[i], RoleAssignment.Role.CAMPAIGN_OFFICE, i) for i in inst_ids]
        T(RoleAssignment, ["person_id", "role", "unit_id"]).insert(roles)
        for t in (people, users):
            t.close()
    counts["posts"] = len(posts)
    clock.step("people", f"{counts['people']:,} people, {len(posts):,} posts")

    # One campaign per institution, the institutions spread over every stage (the largest one at
    # rectification); an institution's departments are at its stage or further, as the gates require.
    campaigns = T(Campaign, ["id", "name", "institution_id", "status"],
                  start_date=date(2026, 9, 1), finding_due=date(2026, 10, 15), meeting_due=date(2026, 11, 15),
                  evaluation_due=date(2026, 12, 15), rectification_due=date(2027, 3, 1),
                  milestone_3m=date(2026, 12, 1), milestone_6m=date(2027, 3, 1))  # fmt: skip
    first_campaign = campaigns.ids(n_inst)
    campaign_of = {i: first_campaign + k for k, i in enumerate(inst_ids)}
    stage_of = {i: STAGE_ORDER[(k + 3) % len(STAGE_ORDER)] for k, i in enumerate(inst_ids)}
    inst_name = {}
    for k, i in enumerate(inst_ids):
        inst_name[i] = f"江城{INSTITUTION_KINDS[k % len(INSTITUTION_KINDS)]}{k + 1:03d}"
    with transaction.atomic():
        campaigns.insert(
            (campaign_of[i], f"{inst_name[i]}2026年自查整改", i,
             Campaign.Status.CLOSED if stage_of[i] == STAGE_ORDER[-1] else Campaign.Status.ACTIVE)
            for i in inst_ids
        )  # fmt: skip
        campaigns.close()
        participants = []
        for i in inst_ids:
            at = STAGE_ORDER.index(stage_of[i])
            participants.append((campaign_of[i], i, stage_of[i]))
            participants += [(campaign_of[i], d, STAGE_ORDER[rng.randrange(at, len(STAGE_ORDER))]) for d in depts_of[i]]
        T(CampaignUnit, ["campaign_id", "unit_id", "stage"], stage_changed_at=FIXED_AT).insert(participants)
    counts["campaigns"] = n_inst
    clock.step("campaigns", f"{n_inst:,} campaigns in every stage, {len(participants):,} participating units")

    # Problems from every channel, each with one or two manifestations. A third of them belong to the
    # first institution: one campaign as large as the biggest real ledgers (100,000 rows at full size).
    manifestations = list(Manifestation.objects.values_list("pk", flat=True))
    channels = [c for c, _ in Channel.choices]
    problem_statuses = [
        Problem.Status.OPEN,
        Problem.Status.RECTIFYING,
        Problem.Status.RECTIFYING,
        Problem.Status.RESOLVED,
        Problem.Status.FIXED_AT_ONCE,
    ]
    problems = T(Problem, ["id", "campaign_id", "unit_id", "description", "channel", "severity", "status", "fixed_at", "public_code"],
                 cause="宗旨意识淡薄，责任心不强，对制度执行督促检查不够", recorded_at=FIXED_AT)  # fmt: skip
    first_problem = problems.ids(size.problems)
    largest = depts_of[inst_ids[0]]
    others = [d for d in dept_ids if inst_of[d] != inst_ids[0]] or largest
    n_largest = size.problems // 3
    problem_unit = [
        largest[k % len(largest)] if k < n_largest else others[k % len(others)] for k in range(size.problems)
    ]

    def problem_rows():
        for k, d in enumerate(problem_unit):
            status = rng.choice(problem_statuses)
            yield (first_problem + k, campaign_of[inst_of[d]], d, f"{PROBLEM_TEXTS[k % len(PROBLEM_TEXTS)]}（{k + 1}）",
                   channels[k % len(channels)], rng.choice(("low", "medium", "high")), status,
                   FIXED_AT if status == Problem.Status.FIXED_AT_ONCE else None, _code(rng))  # fmt: skip

    with transaction.atomic():
        counts["problems"] = problems.insert(problem_rows())
        problems.close()
        if manifestations:
            T(Problem.manifestations.through, ["problem_id", "manifestation_id"]).insert(
                (first_problem + k, m)
                for k in range(size.problems)
                for m in rng.sample(manifestations, rng.choice((1, 2)))
            )
    clock.step("problems", f"{counts['problems']:,} problems")

    # Approved plans per department, measures in every state, progress reports and evidence records.
    evidence_bytes = "整改佐证材料（基准数据）".encode() * 20
    sha = hashlib.sha256(evidence_bytes).hexdigest()
    evidence_name = f"rectification/{sha[:2]}/{sha}.txt"
    if not default_storage.exists(evidence_name):
        default_storage.save(evidence_name, ContentFile(evidence_bytes))
    # The states people bring a measure to (a measure completed by an Excel import needs its import row).
    statuses = [Measure.Status.PLANNED, Measure.Status.IN_PROGRESS, Measure.Status.CLOSEOUT_REQUESTED,
                Measure.Status.VERIFIED, Measure.Status.RETURNED]  # fmt: skip
    plans = T(RectificationPlan, ["id", "campaign_id", "unit_id", "title"],
              status=RectificationPlan.Status.APPROVED, approved_at=FIXED_AT, author_kind="department")  # fmt: skip
    first_plan = plans.ids(len(dept_ids))
    plan_of = {d: first_plan + k for k, d in enumerate(dept_ids)}
    measures = T(Measure, ["id", "plan_id", "content", "deadline", "responsible_unit_id", "owner_id", "status", "percent", "verified_at"],
                 goal="按期整改到位，群众满意")  # fmt: skip
    first_measure = measures.ids(size.measures)
    today = date(2026, 11, 29)
    verified_at = datetime(2026, 11, 1, tzinfo=UTC)
    measure_status, measure_percent = [], []

    def measure_rows():
        for k in range(size.measures):
            d = problem_unit[k % size.problems]
            owners = people_of[d]
            status = statuses[k % len(statuses)]
            percent = 100 if status in ("verified", "closeout_requested") else rng.choice((0, 20, 50, 80))
            measure_status.append(status)
            measure_percent.append(percent)
            yield (first_measure + k, plan_of[d], MEASURE_TEXTS[k % len(MEASURE_TEXTS)],
                   today + timedelta(days=rng.randint(-60, 120)), d, owners[k % len(owners)], status, percent,
                   verified_at if status == "verified" else None)  # fmt: skip

    with transaction.atomic():
        plans.insert((plan_of[d], campaign_of[inst_of[d]], d, f"{dept_name[d]}整改方案") for d in dept_ids)
        plans.close()
        counts["measures"] = measures.insert(measure_rows())
        measures.close()
        T(Measure.problems.through, ["measure_id", "problem_id"]).insert(
            (first_measure + k, first_problem + k % size.problems) for k in range(size.measures)
        )
        counts["progress_reports"] = T(ProgressReport, ["measure_id", "percent"], content="已召开专题会议部署整改，完成阶段性任务").insert(
            (first_measure + k, measure_percent[k] or 20) for k, s in enumerate(measure_status) if s != "planned"
        )  # fmt: skip
        counts["evidence"] = T(Evidence, ["measure_id"], file=evidence_name, original_name="整改佐证.txt", extension="txt",
                               mime="text/plain", sha256=sha, size=len(evidence_bytes)).insert(
            (first_measure + k,) for k, s in enumerate(measure_status) if s in ("verified", "closeout_requested")
        )  # fmt: skip
    clock.step(
        "measures",
        f"{counts['measures']:,} measures, {counts['progress_reports']:,} progress reports, {counts['evidence']:,} evidence",
    )

    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    sources = [s for s, _ in Opinion.Source.choices]
    with transaction.atomic():
        counts["opinions"] = T(Opinion, ["id", "campaign_id", "unit_id", "content", "source", "received_on", "receipt_code"],
                               submitter_kind=Opinion.SubmitterKind.MASSES, similar=[]).insert(
            (rng.randrange(1, 2**53), campaign_of[inst_of[d]], d, f"{PROBLEM_TEXTS[(k * 3) % len(PROBLEM_TEXTS)]}，希望尽快解决",
             sources[k % len(sources)], date(2026, 9, 1) + timedelta(days=k % 60), "".join(rng.choices(alphabet, k=12)))
            for k in range(size.opinions)
            for d in (dept_ids[k % len(dept_ids)],)
        )  # fmt: skip
    clock.step("opinions", f"{counts['opinions']:,} opinions")

    ctx = dict(rng=rng, T=T, inst_ids=inst_ids, depts_of=depts_of, dept_ids=dept_ids, inst_of=inst_of,
               people_of=people_of, leaders_of=leaders_of, campaign_of=campaign_of, stage_of=stage_of,
               dept_name=dept_name, inst_name=inst_name, city_id=city_id)  # fmt: skip
    counts.update(_reports_and_meetings(**ctx))
    clock.step(
        "reports",
        f"{counts['self_reports']:,} self-reports, {counts['meetings']:,} meetings with {counts['meeting_members']:,} members",
    )
    counts.update(_service_ratings(size.ratings, **ctx))
    clock.step(
        "ratings",
        f"{counts['service_points']:,} service points, {counts['ratings']:,} ratings, {counts['service_cases']:,} cases",
    )
    office_users = {i: User.objects.get(pk=login[office_person[i]]) for i in inst_ids}
    counts.update(_evaluations(size, office_users, **ctx))
    clock.step(
        "evaluations",
        f"{counts['evaluation_rounds']:,} evaluation rounds, {counts['ballots']:,} ballots ({counts['ballot_answers']:,} answers), {counts['rounds_tallied']} tallied",
    )

    from audit.models import AuditRecord

    user_names = [(uid, f"{prefix}-CITY-1" if pid == official_id else staff_no(pid)) for pid, uid in login.items()]
    made = AuditRecord.objects.count()  # the services' own records (rounds set up and tallied)
    counts["audit_records"] = made + _audit_trail(max(0, size.audit_records - made), inst_ids, user_names, rng)
    clock.step("audit", f"{counts['audit_records']:,} audit records in the chain")

    with connection.cursor() as cur:
        # Statistics, and on PostgreSQL the visibility map too, which index-only reads need (the warnings board's
        # counts, the tally's non-votes, a P6 baseline's GROUP BY): what autovacuum does within minutes of a bulk
        # load on a real server, made here so that a city measured at once is measured as it would be served.
        # VACUUM cannot run inside a transaction (a caller's atomic block): ANALYZE alone there.
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cur.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    AuditHead.objects.get_or_create(pk=1)
    clock.step("analyze", "vacuumed, statistics updated" if vacuum else "statistics updated")
    return City(
        city_id=city_id,
        institution_ids=inst_ids,
        campaign_ids=[campaign_of[i] for i in inst_ids],
        official_username=f"{prefix}-CITY-1",
        office_usernames=[staff_no(office_person[i]) for i in inst_ids],
        counts=counts,
        seconds=clock.seconds,
    )


def _reports_and_meetings(*, rng, T, inst_ids, depts_of, inst_of, people_of, leaders_of, campaign_of, stage_of,
                          dept_name, inst_name, **_) -> dict:  # fmt: skip
    """A self-report (one version) and a democratic life meeting with its members for every participant:
    drafts and planned meetings where the institution is still finding problems, submitted reports and
    held meetings at the meeting stage, approved reports and filed minutes after it."""
    from campaigns.models import STAGE_ORDER
    from meetings.models import LifeMeeting, MeetingMember
    from reports.models import SelfReport, SelfReportVersion

    reports = T(
        SelfReport,
        ["id", "campaign_id", "unit_id", "author_kind", "person_id", "title", "status", "submitted_at", "approved_at"],
    )
    meetings = T(
        LifeMeeting,
        [
            "id",
            "campaign_id",
            "unit_id",
            "theme",
            "date",
            "place",
            "chair_id",
            "secretary_id",
            "status",
            "held_at",
            "filed_at",
            "summary",
        ],
    )
    members = T(MeetingMember, ["meeting_id", "person_id", "attendance", "absence_reason", "sort_order"])
    participants = []
    for i in inst_ids:
        principal, team = leaders_of[i]
        participants.append((i, i, "team", principal, [principal, *team], inst_name[i]))
        participants += [(i, d, "department", people_of[d][0], people_of[d][:4], dept_name[d]) for d in depts_of[i]]
    first_report, first_meeting = reports.ids(len(participants)), meetings.ids(len(participants))
    report_rows, version_rows, meeting_rows, member_rows = [], [], [], []
    for k, (i, unit, kind, head, who, name) in enumerate(participants):
        step = STAGE_ORDER.index(stage_of[i])
        submitted = FIXED_AT - timedelta(days=rng.randint(5, 40)) if step >= 1 else None
        status = "approved" if step >= 2 else "submitted" if step == 1 else rng.choice(("draft", "returned"))
        report_rows.append((first_report + k, campaign_of[i], unit, kind, head, f"{name}对照检查材料", status,
                            submitted, submitted + timedelta(days=3) if status == "approved" else None))  # fmt: skip
        version_rows.append((first_report + k, 1, REPORT_TEXTS[0], REPORT_TEXTS[1], REPORT_TEXTS[2], submitted))
        held = datetime(2026, 11, 10, 9, tzinfo=UTC) + timedelta(hours=k % 200) if step >= 1 else None
        mstatus = "filed" if step >= 2 else "held" if step == 1 and k % 2 else "planned"
        meeting_rows.append((first_meeting + k, campaign_of[i], unit, f"{name}专题民主生活会",
                             held or datetime(2026, 12, 1, 9, tzinfo=UTC), "第一会议室", head, who[-1], mstatus,
                             held if mstatus != "planned" else None, held + timedelta(days=5) if mstatus == "filed" else None,
                             "会议通报了征求意见情况，班子成员逐一开展批评与自我批评" if mstatus != "planned" else ""))  # fmt: skip
        for j, pid in enumerate(dict.fromkeys(who)):
            absent = mstatus != "planned" and rng.random() < 0.05
            member_rows.append((first_meeting + k, pid, "absent" if absent else "present" if mstatus != "planned" else "unknown",
                                "因公出差" if absent else "", j))  # fmt: skip
    with transaction.atomic():
        reports.insert(report_rows)
        reports.close()
        T(
            SelfReportVersion, ["report_id", "number", "method", "problems_and_causes", "measures", "submitted_at"]
        ).insert(version_rows)
        meetings.insert(meeting_rows)
        meetings.close()
        members.insert(member_rows)
    return {"self_reports": len(report_rows), "meetings": len(meeting_rows), "meeting_members": len(member_rows)}


def _service_ratings(n: int, *, rng, T, dept_ids, inst_of, people_of, **_) -> dict:
    """Every fifth department serves the public (a service point with its QR code); `n` ratings over
    them, most satisfied; every unsatisfied one opens a case, most of them settled."""
    from servicerating.models import Case, Rating, ServicePoint

    points = dept_ids[::5] or dept_ids[:1]
    grades = ["satisfied"] * 16 + ["basic"] * 3 + ["unsatisfied"]
    stars = {"satisfied": 5, "basic": 3, "unsatisfied": 1}
    day0 = date(2026, 9, 1)
    ratings, cases = [], []
    for k in range(n):
        d = points[k % len(points)]
        g = rng.choice(grades)
        on = day0 + timedelta(days=rng.randrange(88))
        reason = rng.choice(RATING_REASONS) if g == "unsatisfied" else ""
        ratings.append((_uuid(rng), d, inst_of[d], on, "qr", stars[g], g, reason, True))
        if g == "unsatisfied":
            status = rng.choice(("investigating", "substantiated", "partly", "unsubstantiated", "substantiated"))
            decided = status != "investigating"
            cases.append((_uuid(rng), d, inst_of[d], reason, rng.choice(people_of[d]) if k % 2 else None, status, on,
                          on + timedelta(days=15), hashlib.sha256(f"{d}-{k}-{on}".encode()).hexdigest(),
                          "经调查，情况基本属实" if decided else "", "已对当事人批评教育并公开回复" if decided else "",
                          datetime.combine(on + timedelta(days=7), datetime.min.time(), UTC) if decided else None, decided))  # fmt: skip
    with transaction.atomic():
        taken = set(ServicePoint.objects.values_list("short_code", flat=True))  # another city's points
        short = []
        while len(short) < len(points):
            code = str(rng.randrange(100000, 1000000))
            if code not in taken:
                taken.add(code)
                short.append(code)
        T(ServicePoint, ["unit_id", "code", "short_code"]).insert(
            (d, _code(rng), code) for d, code in zip(points, short)
        )
        T(
            Rating, ["id", "unit_id", "institution_id", "rated_on", "source", "stars", "grade", "reason", "released"]
        ).insert(ratings)
        T(Case, ["id", "unit_id", "handling_unit_id", "reason", "named_person_id", "status", "opened_on", "due_on",
                 "receipt_hash", "finding", "action_taken", "decided_at", "released"]).insert(cases)  # fmt: skip
    return {"service_points": len(points), "ratings": len(ratings), "service_cases": len(cases)}


def _evaluations(size: CitySize, office_users, *, rng, T, inst_ids, depts_of, campaign_of, stage_of, **_) -> dict:
    """One democratic evaluation round per institution, set up through the evaluation services (the
    default items and the four groups; two departments' work and the leadership team rated): still
    being prepared before the evaluation stage; closed with its ballots stored as closing leaves them at
    the evaluation stage; tallied by `evaluation_tally` after it (while the city's tallied ballots stay
    under `size.tally_limit`; the rest wait closed). `size.ballots` ballots in all."""
    from campaigns.models import STAGE_ORDER, Campaign
    from evaluations.models import Ballot, BallotAnswer, Evaluation, EvaluatorGroup
    from evaluations.services import ballot_questions, evaluation_create, evaluation_tally, target_add
    from orgs.models import Unit

    voting = [i for i in inst_ids if STAGE_ORDER.index(stage_of[i]) >= 2]
    per_round = size.ballots // max(1, len(voting))
    ballots, answers = (
        T(Ballot, ["id", "evaluation_id", "group_id"]),
        T(BallotAnswer, ["id", "ballot_id", "target_id", "item_id", "grade_id"]),
    )
    rounds = {}
    for i in inst_ids:
        actor = office_users[i]
        campaign = Campaign.objects.select_related("institution").get(pk=campaign_of[i])
        with transaction.atomic():
            ev = evaluation_create(actor=actor, campaign=campaign, name=f"{campaign.institution.name}民主评议")
            target_add(actor=actor, evaluation=ev, kind="team", unit=campaign.institution)
            for unit in Unit.objects.filter(pk__in=depts_of[i][:2]).order_by("pk"):
                target_add(actor=actor, evaluation=ev, kind="unit_work", unit=unit)
        rounds[i] = ev

    # Every round's ballots as closing leaves them, in one transaction with the tables' indexes (and on
    # PostgreSQL their keys and deferred foreign-key checks) built once at the end: row by row they cost
    # most of a city's time (evaluations 862 of 1,021 s on PostgreSQL).
    # (Beside a larger city already in the tables, rebuilding their indexes costs more than it saves.)
    n_ballots = n_answers = 0
    few = Ballot.objects.count() > size.ballots
    defer = nullcontext() if few else indexes_deferred(Ballot, BallotAnswer)
    with transaction.atomic(), defer, _in_key_order(ballots, answers):
        for i in voting:
            ev = rounds[i]
            questions = [(t.pk, it.pk) for t, items in ballot_questions(ev) for it in items]
            grades = list(ev.grades.filter(is_valid=True).order_by("order").values_list("pk", flat=True))
            weights = [6, 3, 1, 1, 1][: len(grades)] + [1] * max(0, len(grades) - 5)
            groups = list(ev.groups.order_by("order").values_list("pk", flat=True))
            per_group = {g: 0 for g in groups}
            # Random keys as closing gives them, sorted within the round (each index filled from one end).
            ballot_ids = sorted(_uuid(rng) for _ in range(per_round))
            answer_ids = iter(sorted(_uuid(rng) for _ in range(per_round * len(questions))))
            ballot_rows = []
            for b in ballot_ids:
                g = rng.choice(groups)
                per_group[g] += 1
                ballot_rows.append((b, ev.pk, g))
            n_ballots += ballots.insert(ballot_rows)
            n_answers += answers.insert(_answers(rng, ballot_ids, answer_ids, questions, grades, weights))
            for g, used in per_group.items():
                EvaluatorGroup.objects.filter(pk=g).update(
                    codes_issued=used + used // 8, codes_used=used, planned=used + used // 8
                )
            Evaluation.objects.filter(pk=ev.pk).update(
                status=Evaluation.Status.CLOSED, opens_on=date(2026, 11, 20), closes_on=date(2026, 11, 27)
            )

    # The tally service counts the rounds past the evaluation stage (their results are its figures).
    tallied = tallied_ballots = 0
    for i in voting:
        if STAGE_ORDER.index(stage_of[i]) >= 3 and tallied_ballots + per_round <= size.tally_limit:
            evaluation_tally(actor=office_users[i], evaluation=Evaluation.objects.get(pk=rounds[i].pk))
            tallied += 1
            tallied_ballots += per_round
    return {
        "evaluation_rounds": len(inst_ids),
        "ballots": n_ballots,
        "ballot_answers": n_answers,
        "rounds_tallied": tallied,
    }


@contextmanager
def _in_key_order(*tables: Table):
    """SQLite keeps these tables in key order (WITHOUT ROWID): rows written round after round, each
    round's random keys spread over the whole key range, rewrite every page of a large table again and
    again. So on SQLite the rows go to a temporary table first and into the real one in key order at the
    end (one sort), the table and its unique index then filled from one end."""
    if connection.vendor != "sqlite":
        yield
        return
    real = [t.table for t in tables]
    with connection.cursor() as cur:
        for t in tables:
            cur.execute(f'CREATE TEMP TABLE "stage_{t.table}" AS SELECT * FROM "{t.table}" WHERE 0')  # nosec B608
            t.table = f"stage_{t.table}"
    try:
        yield
        with connection.cursor() as cur:
            for t, name in zip(tables, real):
                cols = ", ".join(f'"{f.column}"' for f in t.fields)
                cur.execute(
                    f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM temp."{t.table}" ORDER BY "{t.pk_column}"'  # nosec B608
                )
    finally:
        with connection.cursor() as cur:
            for t, name in zip(tables, real):
                cur.execute(f'DROP TABLE IF EXISTS temp."{t.table}"')
                t.table = name


def _answers(rng, ballot_ids, answer_ids, questions, grades, weights):
    """Each ballot's answers: every question, a grade drawn with the weights (most voters satisfied)."""
    for b in ballot_ids:
        for (t, it), gr in zip(questions, rng.choices(grades, weights, k=len(questions))):
            yield (next(answer_ids), b, t, it, gr)


def _audit_trail(n: int, inst_ids, users: list[tuple[int, str]], rng: random.Random) -> int:
    """Append `n` records to the audit chain, numbered, chained and sealed under the trail's key exactly
    as audit.services does (audit_bulk_append_values), so that `audit_verify` walks a real chain."""
    from audit.services import audit_bulk_append_values

    actions = ["problem.create", "measure.progress", "measure.closeout_request", "report.submit", "opinion.triage"]
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)
    changed = {"status": ["open", "fixed"]}

    def rows():
        for k in range(n):
            inst = inst_ids[k % len(inst_ids)]
            user, username = users[k % len(users)]
            yield (start + timedelta(seconds=7 * k), user, username, actions[k % len(actions)],
                   "problems.problem", str(k + 1), PROBLEM_TEXTS[k % len(PROBLEM_TEXTS)], inst, inst,
                   changed if k % 3 == 0 else {})  # fmt: skip

    return audit_bulk_append_values(rows())
