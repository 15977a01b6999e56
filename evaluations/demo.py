"""Demo evaluations (docs/demo-plan.md).

1. A closed and tallied round for group A (online codes for party members and staff, paper ballots for
   grassroots and service-user representatives, entered in batches and checked by a second office
   member; a symposium with an opinion accepted as a problem). 后勤管理处 fails → look-back opened.
   Group A then moves to rectification through the EVALUATION gate.
   The demo plays the evaluation committee: it holds the round's key in memory and closes the round
   with it, then the office tallies and publishes the results.
2. An OPEN round for the college's leadership team and group B: a few of its codes (ballot links) and
   the committee's key are printed to the demo output, so a tester can vote and then close the round
   on its close page with that key.
Open public ratings for a few units are shown apart.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from campaigns.models import CampaignUnit, Stage
from campaigns.services import participant_advance

from .models import EvaluationTarget, PublicRating
from .services import (
    ballot_cast,
    ballot_link,
    ballot_questions,
    codes_issue,
    evaluation_close,
    evaluation_create,
    evaluation_open,
    evaluation_publish,
    evaluation_tally,
    group_save,
    paper_batch_check,
    paper_batch_enter,
    paper_issue,
    public_base_url,
    public_rating_submit,
    score_band_save,
    symposium_opinion_accept,
    symposium_opinion_decline,
    symposium_record,
    target_add,
)

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
FAILING = "后勤管理处"
# chance of 满意 / 基本满意 / 不满意 per target (the rest: 不了解)
PROFILE_GOOD = (0.62, 0.28, 0.07)
PROFILE_FAIL = (0.15, 0.20, 0.58)


def _grade(rng, labels, profile):
    x = rng.random()
    sat, basic, dis = profile
    if x < sat:
        return labels["满意"]
    if x < sat + basic:
        return labels["基本满意"]
    if x < sat + basic + dis:
        return labels["不满意"]
    return labels["不了解"]


def _vote_online(ev, codes, rng):
    labels = {g.label: g.pk for g in ev.grades.all()}
    questions = ballot_questions(ev)
    for code in codes:
        answers = {}
        for target, items in questions:
            profile = PROFILE_FAIL if target.unit.name == FAILING else PROFILE_GOOD
            for item in items:
                answers[(target.pk, item.pk)] = _grade(rng, labels, profile)
        ballot_cast(code=code, answers=answers)


def _paper_counts(ev, valid, rng):
    labels = {g.label: g.pk for g in ev.grades.all()}
    counts = {}
    for target, items in ballot_questions(ev):
        profile = PROFILE_FAIL if target.unit.name == FAILING else PROFILE_GOOD
        for item in items:
            for _ in range(valid):
                key = (target.pk, item.pk, _grade(rng, labels, profile))
                counts[key] = counts.get(key, 0) + 1
    return counts


def _closed_round(ctx, office, checker):
    rng = ctx["ev_rng"]
    campaign = ctx["campaign"]
    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="2026年度部门自查整改民主评议（第一批）",
        kind="evaluation",
        scale_preset="satisfaction",
        include_unknown=True,
        fail_low_share_above="1/3",  # 不满意 above one third fails too (exactly)
        score_method="group_weighted",
        closes_on=timezone.localdate() + timedelta(days=7),
    )
    for name in GROUP_A:
        target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=ctx["by_name"][name])
    for label, lower, upper in (("好", 90, None), ("较好", 80, 90), ("一般", 60, 80), ("较差", None, 60)):
        score_band_save(
            actor=office,
            evaluation=ev,
            label=label,
            lower=None if lower is None else Decimal(lower),
            lower_inclusive=True,
            upper=None if upper is None else Decimal(upper),
            upper_inclusive=False,
        )
    plan = {"党员": (24, 16, 1), "群众/教职工": (24, 16, 1), "基层单位代表": (12, 8, 1.5), "服务对象代表": (12, 8, 1.5)}
    for g in ev.groups.all():
        planned, minimum, weight = plan[g.name]
        group_save(
            actor=office,
            evaluation=ev,
            group=g,
            name=g.name,
            kind=g.kind,
            planned=planned,
            minimum=minimum,
            weight=weight,
        )
    groups = {g.name: g for g in ev.groups.all()}
    codes = {}
    for name in ("党员", "群众/教职工"):
        _batch, codes[name] = codes_issue(actor=office, evaluation=ev, group=groups[name], count=20)
    for name in ("基层单位代表", "服务对象代表"):
        paper_issue(actor=office, group=groups[name], count=12)
    ev, committee_key = evaluation_open(actor=office, evaluation=ev)
    _vote_online(ev, codes["党员"][:18] + codes["群众/教职工"][:17], rng)
    for name, returned, invalid in (("基层单位代表", 11, 1), ("服务对象代表", 10, 0)):
        batch = paper_batch_enter(
            actor=office,
            evaluation=ev,
            group=groups[name],
            label=f"{name}票箱",
            returned=returned,
            invalid=invalid,
            counts=_paper_counts(ev, returned - invalid, rng),
        )
        paper_batch_check(actor=checker, batch=batch, approve=True, note="与原始票核对无误")
    sym = symposium_record(
        actor=office,
        evaluation=ev,
        unit=ctx["by_name"][FAILING],
        held_on=timezone.localdate(),
        place="行政楼二楼会议室",
        host="院治庸办",
        notes="听取基层单位和服务对象代表对后勤管理处自查整改工作的意见。",
        attendees=[
            {"name": "李建华", "affiliation": "机电工程学院教师代表", "spoke": True},
            {"name": "周晓东", "affiliation": "学生代表", "spoke": True},
            {"name": "吴秀英", "affiliation": "食堂承包方代表", "spoke": False},
            {"name": "陈立新", "affiliation": "信息工程学院教师代表", "spoke": True},
        ],
        opinions=[
            {"speaker": "李建华", "content": "教学楼维修报修后处理慢，平均要一周以上，影响正常上课。"},
            {"speaker": "周晓东", "content": "学生宿舍热水供应时间短，反映多次未见改进。"},
            {"speaker": "陈立新", "content": "建议公开维修进度查询渠道。"},
        ],
    )
    first, second, third = sym.opinions.order_by("pk")
    symposium_opinion_accept(actor=office, opinion=first, severity="high")
    symposium_opinion_accept(actor=office, opinion=second)
    symposium_opinion_decline(actor=office, opinion=third, reason="已纳入第一条意见的整改措施一并解决")
    evaluation_close(actor=office, evaluation=ev, key=committee_key.text())
    evaluation_tally(actor=office, evaluation=ev)
    evaluation_publish(actor=office, evaluation=ev)
    return ev


def _advance_group_a(ctx, office):
    out = ctx["stdout"]
    for name in GROUP_A:
        p = CampaignUnit.objects.get(campaign=ctx["campaign"], unit=ctx["by_name"][name])
        if p.stage != Stage.EVALUATION:
            out.write(f"    evaluations: {name} is in “{p.stage}”, not evaluation; not advanced")
            continue
        participant_advance(actor=office, participant=p, note="民主评议已结束并完成计票")


def _open_round(ctx, office):
    campaign = ctx["campaign"]
    college = ctx["college"]
    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="2026年度院领导班子和部门民主评议（第二批）",
        kind="evaluation",
        scale_preset="satisfaction",
        include_unknown=True,
        groups=[
            {"kind": "party_members", "name": "党员", "planned": 8, "minimum": 5},
            {"kind": "staff", "name": "群众/教职工", "planned": 8, "minimum": 5},
            {"kind": "service_users", "name": "服务对象代表", "planned": 4, "minimum": 2, "weight": 1.5},
        ],
        score_method="group_weighted",
        closes_on=timezone.localdate() + timedelta(days=14),
    )
    target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.TEAM, unit=college)
    for name in GROUP_B:
        target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=ctx["by_name"][name])
    groups = {g.name: g for g in ev.groups.all()}
    codes = {}
    for name, n in (("党员", 8), ("群众/教职工", 8), ("服务对象代表", 4)):
        _batch, codes[name] = codes_issue(actor=office, evaluation=ev, group=groups[name], count=n)
    ev, committee_key = evaluation_open(actor=office, evaluation=ev)
    # a few ballots already in (sealed: nobody sees them until the committee closes the round)
    _vote_online(ev, codes["党员"][:3], ctx["ev_rng"])
    return ev, codes, committee_key


def _public_ratings(ctx):
    rng = ctx["ev_rng"]
    choices = (
        [PublicRating.Grade.SATISFIED] * 6 + [PublicRating.Grade.BASIC] * 3 + [PublicRating.Grade.DISSATISFIED] * 2
    )
    for name in ("图书馆", "财务处", "后勤管理处"):
        for _ in range(rng.randint(6, 14)):
            public_rating_submit(unit=ctx["by_name"][name], grade=rng.choice(choices))


def seed(ctx: dict) -> None:
    # our own seeded generator: the results must not depend on how many numbers earlier demos drew
    ctx["ev_rng"] = random.Random(606)
    office = ctx["office_people"][0].user
    # the second person who checks paper batches: another office member with a login, else the principal
    others = [p.user for p in ctx["office_people"][1:] if p.user_id]
    checker = others[0] if others else ctx["principal"].user
    base = public_base_url()
    closed = _closed_round(ctx, office, checker)
    _advance_group_a(ctx, office)
    ev, codes, committee_key = _open_round(ctx, office)
    _public_ratings(ctx)
    failed = ", ".join(str(t) for t in closed.targets.filter(result="failed"))
    out = ctx["stdout"]
    out.write(
        f"    evaluations: round “{closed.name}” tallied and published; did not pass: {failed or '—'} (look-back opened)"
    )
    out.write(f"    evaluations: open round “{ev.name}”: {base}/evaluations/{ev.pk}/")
    if not getattr(settings, "EVALUATIONS_PUBLIC_BASE_URL", ""):
        out.write(
            "    evaluations: for phones, set RECTIFY_PUBLIC_BASE_URL=http://<this machine's address>:8000 before `make run`"
        )
    out.write("    evaluations: demo ballot codes (open on a phone, or type the code at /v/):")
    for name, group_codes in codes.items():
        for code in group_codes[3 if name == "党员" else 0 :][:2]:
            out.write(f"      {name:<8} {code}  {ballot_link(base, code)}")
    out.write(
        f"    evaluations: the committee's key of the open round (paste it on {base}/evaluations/{ev.pk}/close/):"
    )
    out.write(f"      {committee_key.text()}")
