"""Plans along the report chain, and the measure state machine."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditRecord
from core.exceptions import Conflict, ServiceError
from rectification import services
from rectification.models import CloseoutReview, Measure, MeasureEvent, RectificationPlan, Rule

from .helpers import pdf, png

S = Measure.Status


def test_it_routes_a_department_plan_to_the_supervising_leader(cast, draft_a):
    plan = services.plan_submit(actor=cast.user("office"), plan=draft_a)
    assert plan.status == RectificationPlan.Status.SUBMITTED
    assert plan.reviewer == cast.user("supervisor")
    with pytest.raises(PermissionDenied):
        services.plan_approve(actor=cast.user("head_a"), plan=plan)
    services.plan_approve(actor=cast.user("supervisor"), plan=plan, comment="同意")
    plan.refresh_from_db()
    assert plan.status == RectificationPlan.Status.APPROVED and plan.approved_at
    assert plan.reviews.get().decision == "approved"
    assert AuditRecord.objects.filter(action="rectification.plan.approve", object_id=str(plan.pk)).exists()


def test_it_routes_a_cadres_personal_plan_to_the_department_head(cast, campaign):
    plan = services.plan_create(
        actor=cast.user("cadre_a"), campaign=campaign, unit=cast.dept_a, person=cast.cadre_a, title="个人整改方案"
    )
    services.measure_create(
        actor=cast.user("cadre_a"),
        plan=plan,
        content="按时批改作业",
        goal="一周内反馈",
        owner=cast.cadre_a,
        deadline=date(2026, 12, 1),
    )
    plan = services.plan_submit(actor=cast.user("cadre_a"), plan=plan)
    assert plan.reviewer == cast.user("head_a")
    with pytest.raises(PermissionDenied):
        services.plan_approve(actor=cast.user("cadre_a"), plan=plan)  # nobody approves their own plan


def test_it_sends_a_leadership_team_plan_to_the_city_office(cast, campaign):
    plan = services.plan_create(actor=cast.user("office"), campaign=campaign, unit=cast.college, title="班子整改方案")
    services.measure_create(
        actor=cast.user("office"), plan=plan, content="c", goal="g", owner=cast.principal, deadline=date(2027, 1, 1)
    )
    plan = services.plan_submit(actor=cast.user("office"), plan=plan)
    assert plan.reviewer_is_city_office and plan.reviewer is None
    with pytest.raises(PermissionDenied):
        services.plan_approve(actor=cast.user("principal"), plan=plan)
    assert services.plan_approve(actor=cast.user("city_official"), plan=plan).status == "approved"


def test_it_refuses_to_submit_a_plan_with_a_measure_without_goal(cast, draft_a):
    draft_a.measures.update(goal="")
    with pytest.raises(ServiceError) as e:
        services.plan_submit(actor=cast.user("office"), plan=draft_a)
    assert e.value.details
    draft_a.refresh_from_db()
    assert draft_a.status == "draft"


def test_it_returns_a_plan_only_with_a_reason_and_lets_it_be_resubmitted(cast, draft_a):
    services.plan_submit(actor=cast.user("office"), plan=draft_a)
    with pytest.raises(ServiceError):
        services.plan_return(actor=cast.user("supervisor"), plan=draft_a, comment=" ")
    services.plan_return(actor=cast.user("supervisor"), plan=draft_a, comment="目标不具体")
    draft_a.refresh_from_db()
    assert draft_a.status == "returned"
    assert services.plan_submit(actor=cast.user("office"), plan=draft_a).status == "submitted"


def test_it_refuses_to_work_on_a_measure_before_the_plan_is_approved(cast, draft_a):
    m = draft_a.measures.get()
    with pytest.raises(ServiceError):
        services.measure_start(actor=cast.user("cadre_a"), measure=m)


def _request_closeout(cast, m):
    services.progress_report(actor=cast.user("cadre_a"), measure=m, content="已完成系统上线", percent=90, files=[png()])
    return services.closeout_request(actor=cast.user("cadre_a"), measure=m, note="已上线")


def test_it_walks_the_whole_state_machine_and_keeps_the_history(cast, measure_a):
    m = services.measure_start(actor=cast.user("cadre_a"), measure=measure_a)
    assert m.status == S.IN_PROGRESS
    m = _request_closeout(cast, m)
    assert m.status == S.CLOSEOUT_REQUESTED
    m = services.measure_return(actor=cast.user("head_a"), measure=m, reason="佐证不足", new_deadline=date(2027, 1, 10))
    assert m.status == S.RETURNED and m.deadline == date(2027, 1, 10) and m.original_deadline == date(2026, 12, 20)
    m = services.closeout_request(actor=cast.user("cadre_a"), measure=m, note="补充材料")
    m = services.measure_verify(actor=cast.user("head_a"), measure=m, comment="核验通过")
    m.refresh_from_db()
    assert m.status == S.VERIFIED and m.verified_by == cast.user("head_a") and m.percent == 100
    m = services.measure_reopen(actor=cast.user("supervisor"), measure=m, reason="问题反弹")
    assert m.status == S.IN_PROGRESS and m.reopen_count == 1 and m.verified_at is None
    actions = list(MeasureEvent.objects.filter(measure=m).values_list("action", flat=True))
    assert actions == ["start", "progress", "closeout_request", "return", "closeout_request", "verify", "reopen"]
    assert [r.decision for r in CloseoutReview.objects.filter(measure=m)] == ["returned", "verified"]
    assert AuditRecord.objects.filter(action="measure.reopen", object_id=str(m.pk)).exists()


@pytest.mark.parametrize(
    "action",
    ["verify", "return", "reopen", "closeout_request"],
)
def test_it_refuses_illegal_transitions_from_planned(cast, measure_a, action):
    calls = {
        "verify": lambda: services.measure_verify(actor=cast.user("head_a"), measure=measure_a),
        "return": lambda: services.measure_return(
            actor=cast.user("head_a"), measure=measure_a, reason="x", new_deadline=date(2030, 1, 1)
        ),
        "reopen": lambda: services.measure_reopen(actor=cast.user("head_a"), measure=measure_a, reason="x"),
        "closeout_request": lambda: (
            services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=[pdf()]),
            services.closeout_request(actor=cast.user("cadre_a"), measure=measure_a),
        ),
    }
    with pytest.raises(Conflict):
        calls[action]()
    measure_a.refresh_from_db()
    assert measure_a.status == S.PLANNED


def test_it_refuses_to_verify_twice(cast, measure_a):
    m = _request_closeout(cast, measure_a)
    services.measure_verify(actor=cast.user("head_a"), measure=m)
    with pytest.raises(Conflict):
        services.measure_verify(actor=cast.user("supervisor"), measure=m)


def test_it_never_lets_the_owner_verify_their_own_measure(cast, campaign):
    # head_a manages dept_a, so they could verify others' measures, but not their own.
    plan = services.plan_create(actor=cast.user("office"), campaign=campaign, unit=cast.dept_a, title="p")
    m = services.measure_create(
        actor=cast.user("office"), plan=plan, content="c", goal="g", owner=cast.head_a, deadline=date(2027, 1, 1)
    )
    services.plan_submit(actor=cast.user("office"), plan=plan)
    services.plan_approve(actor=cast.user("supervisor"), plan=plan)
    services.evidence_add(actor=cast.user("head_a"), measure=m, files=[pdf()])
    services.measure_start(actor=cast.user("head_a"), measure=m)
    services.closeout_request(actor=cast.user("head_a"), measure=m)
    with pytest.raises(PermissionDenied):
        services.measure_verify(actor=cast.user("head_a"), measure=m)
    with pytest.raises(PermissionDenied):
        services.measure_return(actor=cast.user("head_a"), measure=m, reason="x", new_deadline=date(2030, 1, 1))
    m.refresh_from_db()
    assert m.status == S.CLOSEOUT_REQUESTED
    assert services.measure_verify(actor=cast.user("supervisor"), measure=m).status == S.VERIFIED


def test_it_lets_only_the_owner_report_and_ask_for_closeout(cast, measure_a):
    with pytest.raises(PermissionDenied):
        services.progress_report(actor=cast.user("head_a"), measure=measure_a, content="x", percent=10)
    with pytest.raises(PermissionDenied):
        services.closeout_request(actor=cast.user("head_a"), measure=measure_a)


def test_it_asks_for_evidence_before_closeout(cast, measure_a):
    services.measure_start(actor=cast.user("cadre_a"), measure=measure_a)
    with pytest.raises(ServiceError):
        services.closeout_request(actor=cast.user("cadre_a"), measure=measure_a)


def test_it_returns_only_with_a_reason_and_a_deadline_not_in_the_past(cast, measure_a):
    m = _request_closeout(cast, measure_a)
    with pytest.raises(ServiceError):
        services.measure_return(actor=cast.user("head_a"), measure=m, reason="", new_deadline=date(2030, 1, 1))
    with pytest.raises(ServiceError):
        services.measure_return(actor=cast.user("head_a"), measure=m, reason="x", new_deadline=date(2000, 1, 1))


def test_it_extends_with_a_reason_and_an_approver_keeping_the_original_deadline(cast, measure_a):
    with pytest.raises(ServiceError):
        services.extension_request(
            actor=cast.user("cadre_a"), measure=measure_a, reason=" ", new_deadline=date(2027, 1, 31)
        )
    with pytest.raises(ServiceError):
        services.extension_request(
            actor=cast.user("cadre_a"), measure=measure_a, reason="x", new_deadline=date(2026, 12, 1)
        )
    ext = services.extension_request(
        actor=cast.user("cadre_a"), measure=measure_a, reason="系统供应商延期", new_deadline=date(2027, 1, 31)
    )
    with pytest.raises(ServiceError):
        services.extension_request(
            actor=cast.user("cadre_a"), measure=measure_a, reason="again", new_deadline=date(2027, 2, 1)
        )
    with pytest.raises(PermissionDenied):
        services.extension_decide(actor=cast.user("cadre_a"), extension=ext, approve=True)
    with pytest.raises(PermissionDenied):
        services.extension_decide(actor=cast.user("staff_a"), extension=ext, approve=True)
    services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=True, note="同意")
    measure_a.refresh_from_db()
    ext.refresh_from_db()
    assert measure_a.deadline == date(2027, 1, 31) and measure_a.original_deadline == date(2026, 12, 20)
    assert ext.status == "approved" and ext.decided_by == cast.user("head_a") and ext.old_deadline == date(2026, 12, 20)
    with pytest.raises(Conflict):
        services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=False, note="x")


def test_it_refuses_an_extension_only_with_a_reason_and_keeps_the_deadline(cast, measure_a):
    ext = services.extension_request(
        actor=cast.user("cadre_a"), measure=measure_a, reason="r", new_deadline=date(2027, 1, 31)
    )
    with pytest.raises(ServiceError):
        services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=False, note="")
    services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=False, note="理由不充分")
    measure_a.refresh_from_db()
    assert measure_a.deadline == date(2026, 12, 20)


def test_it_puts_rule_making_measures_in_the_rules_register(cast, draft_a):
    m = services.measure_create(
        actor=cast.user("office"),
        plan=draft_a,
        content="修订调停课管理办法",
        goal="印发新办法",
        owner=cast.member_a,
        deadline=date(2027, 1, 15),
        kind=Measure.Kind.RULE,
        rule_title="教务处调停课管理办法",
    )
    rule = Rule.objects.get(measure=m)
    assert rule.title == "教务处调停课管理办法" and rule.unit == cast.dept_a
    services.rule_update(
        actor=cast.user("member_a"),
        rule=rule,
        title=rule.title,
        change="revised",
        document_no="江职院〔2026〕12号",
        issued_on=date(2026, 12, 30),
    )
    rule.refresh_from_db()
    assert rule.document_no == "江职院〔2026〕12号"


def test_it_keeps_long_term_measures_without_a_deadline_but_others_need_one(cast, draft_a):
    with pytest.raises(ServiceError):
        services.measure_create(actor=cast.user("office"), plan=draft_a, content="c", goal="g", owner=cast.cadre_a)
    m = services.measure_create(
        actor=cast.user("office"),
        plan=draft_a,
        content="c",
        goal="g",
        owner=cast.cadre_a,
        time_class=Measure.TimeClass.LONG_TERM,
    )
    assert m.deadline is None


def test_it_refuses_changes_to_an_approved_plan(cast, plan_a):
    with pytest.raises(ServiceError):
        services.measure_create(
            actor=cast.user("office"), plan=plan_a, content="c", goal="g", owner=cast.cadre_a, deadline=date(2027, 1, 1)
        )
