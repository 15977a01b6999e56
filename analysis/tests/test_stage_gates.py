"""The stage gate-checks (the dashboard's stage partial, the campaign's stage table): every gate answers
for all the units of a campaign at once, so the queries do not grow with the units, and the answers are
those of the one-unit gate.

Each unit gets what its gate reads, in a state chosen by its number, so that one campaign mixes passing
and blocked units: reports approved, in draft or missing (and a department with no head), meetings
missing, planned or filed, rounds tallied, void or open, plans approved or in draft with more open
measures than are named, long-term measures with and without progress, open look-backs.
"""

from datetime import date, timedelta
from itertools import count

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.gates import gate_blockers, gate_blockers_for
from campaigns.models import CampaignUnit, LookBack, Stage
from conftest import build_campaign

OPEN_STAGES = [Stage.FINDING, Stage.MEETING, Stage.EVALUATION, Stage.RECTIFICATION]
_codes = count(1)


def _person(unit, name, post=None):
    from orgs.services import person_create, post_assign

    n = next(_codes)
    p = person_create(actor=None, name=f"{name}{n}", staff_no=f"G{n:04d}", unit=unit, email=f"g{n}@example.cn")
    if post:
        post_assign(actor=None, person=p, unit=unit, kind=post)
    return p


def _finding(campaign, unit, k):
    from orgs.models import Post
    from reports.models import SelfReport

    K = SelfReport.AuthorKind
    member = _person(unit, "副处长", Post.Kind.DEPARTMENT_MEMBER)
    if k % 3 == 2:  # no head: nobody to write the department's report
        return
    head = _person(unit, "处长", Post.Kind.DEPARTMENT_HEAD)
    state = {"status": "approved", "approved_at": timezone.now()} if k % 3 == 0 else {}
    SelfReport.objects.create(
        campaign=campaign, unit=unit, person=head, author_kind=K.DEPARTMENT, title="部门", **state
    )
    SelfReport.objects.create(
        campaign=campaign, unit=unit, person=member, author_kind=K.DEPARTMENT_MEMBER, title="个人", **state
    )
    if k % 2:  # a cadre's started report in a section below: the department waits for it too
        section = _unit(unit, "科")
        cadre = _person(section, "干部", Post.Kind.CADRE)
        SelfReport.objects.create(campaign=campaign, unit=section, person=cadre, author_kind=K.CADRE, title="干部自查")


def _meeting(campaign, unit, k):
    from meetings.models import LifeMeeting

    if k % 3 == 0:
        return  # none scheduled
    now = timezone.now()
    filed = {"status": "filed", "held_at": now, "filed_at": now} if k % 3 == 2 else {}
    LifeMeeting.objects.create(campaign=campaign, unit=unit, theme="专题民主生活会", date=now, place="会议室", **filed)


def _evaluation(campaign, unit, k, rounds):
    from evaluations.models import EvaluationTarget

    if k % 4 == 0:
        return  # no round evaluates it
    EvaluationTarget.objects.create(evaluation=rounds[k % 4 - 1], kind="unit_work", unit=unit)


def _rectification(campaign, unit, k):
    from rectification.models import Measure, ProgressReport, RectificationPlan

    owner = _person(unit, "责任人")
    # k % 3: 0 ready; 1 ten measures open; 2 a plan in draft, no progress, a look-back open
    state = {} if k % 3 == 2 else {"status": "approved", "approved_at": timezone.now()}
    plan = RectificationPlan.objects.create(campaign=campaign, unit=unit, title=f"整改方案{k}", **state)
    deadline = date(2027, 1, 1)
    for n in range(10 if k % 3 == 1 else 1):  # ten open: eight named, "and two more"
        Measure.objects.create(
            plan=plan,
            content=f"措施{k}-{n}",
            goal="解决",
            deadline=deadline + timedelta(days=n),
            original_deadline=deadline,
            responsible_unit=unit,
            owner=owner,
            status="in_progress" if k % 3 == 1 else "verified",
            verified_at=None if k % 3 == 1 else timezone.now(),
        )
    long_term = Measure.objects.create(
        plan=plan, content=f"长期措施{k}", goal="常态化", time_class="long_term", responsible_unit=unit, owner=owner
    )
    if k % 3 != 2:
        ProgressReport.objects.create(measure=long_term, content="已推进", percent=30)
    if k % 3 == 2:
        participant = CampaignUnit.objects.get(campaign=campaign, unit=unit)
        LookBack.objects.create(participant=participant, reason="群众反映整改不实", round=1)


def _unit(parent, name):
    from orgs.models import Unit
    from orgs.services import unit_create

    n = next(_codes)
    return unit_create(actor=None, name=f"{name}{n}", kind=Unit.Kind.DEPARTMENT, code=f"GU{n}", parent=parent)


def _campaign(cast, n, stages):
    """An active campaign of the college with n new departments, the i-th in stages[i % len(stages)], the
    k-th of its stage in the k-th state of that stage's gate."""
    from evaluations.models import Evaluation

    units = [_unit(cast.college, "部门") for _ in range(n)]
    c = build_campaign(cast, units=units, name=f"专项整治{next(_codes)}")
    now = timezone.now()
    rounds = [
        Evaluation.objects.create(campaign=c, name="评议一", status="tallied", tallied_at=now),
        Evaluation.objects.create(campaign=c, name="评议二", status="void", void_reason="参评人数不足"),
        Evaluation.objects.create(campaign=c, name="评议三", status="open"),
    ]
    for i, unit in enumerate(units):
        stage, k = stages[i % len(stages)], i // len(stages)
        CampaignUnit.objects.filter(campaign=c, unit=unit).update(stage=stage)
        if stage == Stage.FINDING:
            _finding(c, unit, k)
        elif stage == Stage.MEETING:
            _meeting(c, unit, k)
        elif stage == Stage.EVALUATION:
            _evaluation(c, unit, k, rounds)
        elif stage == Stage.RECTIFICATION:
            _rectification(c, unit, k)
    return c


def _queries(client, url) -> int:
    assert client.get(url).status_code == 200  # once first: the session, the caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("stages", [[s] for s in OPEN_STAGES] + [OPEN_STAGES + [Stage.CLOSED]], ids=str)
def test_it_checks_the_gates_of_2_or_12_units_in_the_same_number_of_queries(cast, client_for, stages, monkeypatch):
    monkeypatch.setattr(settings, "SESSION_TOUCH_SECONDS", 3600)
    few = _campaign(cast, len(stages) if len(stages) > 2 else 2, stages)
    many = _campaign(cast, 12, stages)
    client = client_for(cast.user("office"))
    for name in ("analysis:campaign_stages", "campaigns:detail"):
        small, big = (_queries(client, reverse(name, args=[c.pk])) for c in (few, many))
        assert small == big, f"{name}: {small} queries for {few.participants.count()} units, {big} for 12"
    rows = client.get(reverse("analysis:campaign_stages", args=[many.pk])).context["rows"]
    assert len(rows) == 12 and any(r["blockers"] for r in rows)


def test_the_gates_of_a_whole_campaign_answer_as_the_one_unit_gate(cast, monkeypatch):
    from reports import selectors as report_selectors

    campaign = _campaign(cast, 14, OPEN_STAGES + [Stage.CLOSED])
    CampaignUnit.objects.create(campaign=campaign, unit=cast.college)  # the institution too (finding)
    parts = list(CampaignUnit.objects.filter(campaign=campaign).select_related("unit", "campaign"))
    one_by_one = {p.pk: gate_blockers(p) for p in parts}
    assert gate_blockers_for(parts) == one_by_one
    # many units: the reports are read for the whole campaign instead of each unit's subtree
    monkeypatch.setattr(report_selectors, "_NAMED_SCOPES", 0)
    assert gate_blockers_for(parts) == one_by_one
    # the mix is a real one: units ready and units blocked in every open stage
    for stage in OPEN_STAGES:
        answers = [one_by_one[p.pk] for p in parts if p.stage == stage]
        assert any(answers) and not all(answers), stage
    ten_open = next(b for b in one_by_one.values() if any("另有" in x for x in b))
    named = [b for b in ten_open if "尚未核验" in b]
    assert len(named) == 9 and "另有2项" in named[-1]  # eight named, then "and two more"
