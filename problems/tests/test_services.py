from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditRecord
from core.exceptions import Conflict, ServiceError
from problems.models import Aspect, Channel, FocusArea, Manifestation, Opinion, Problem
from problems.services import (
    anonymous_input_seal,
    opinion_accept,
    opinion_close,
    opinion_merge,
    opinion_submit,
    problem_create,
    problem_fix_at_once,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_it_seeds_the_default_taxonomy(db):
    groups = dict(Manifestation.objects.values_list("name", "group"))
    assert len(groups) == 10
    assert groups["得过且过"] == "lan" and groups["纪律涣散"] == "san" and groups["业绩平庸"] == "yong"
    assert set(groups.values()) == {"yong", "lan", "san"}
    assert FocusArea.objects.count() == 4
    assert list(Aspect.objects.values_list("name", flat=True)) == ["工作机制", "工作纪律", "工作作风", "工作效能"]


def test_it_creates_a_problem_with_its_classification_and_audit(cast, campaign, taxonomy):
    p = problem_create(
        actor=cast.user("head_a"),
        campaign=campaign,
        unit=cast.dept_a,
        description="审批材料办理时间过长，群众多次往返",
        channel=Channel.SELF_CHECK,
        subject_kind="person",
        subject_person=cast.cadre_a,
        manifestations=[taxonomy["不作为、慢作为、乱作为"]],
        aspect=Aspect.objects.get(name="工作效能"),
        cause="服务意识不强",
    )
    p = Problem.objects.get(pk=p.pk)
    assert p.subject_person == cast.cadre_a and p.recorded_by == cast.user("head_a")
    assert list(p.manifestations.values_list("name", flat=True)) == ["不作为、慢作为、乱作为"]
    assert AuditRecord.objects.filter(action="problem.create", object_id=str(p.pk)).exists()


def test_it_refuses_a_problem_outside_the_campaigns_institution(cast, campaign):
    with pytest.raises(ServiceError):
        problem_create(
            actor=cast.user("office"), campaign=campaign, unit=cast.other_dept, description="x", channel="self_check"
        )


def test_it_requires_a_person_and_a_benchmark_where_needed(cast, campaign):
    kw = dict(actor=cast.user("office"), campaign=campaign, unit=cast.dept_a, description="差距明显")
    with pytest.raises(ServiceError):
        problem_create(**kw, channel="self_check", subject_kind="person")
    with pytest.raises(ServiceError):
        problem_create(**kw, channel="comparison")
    p = problem_create(**kw, channel="comparison", benchmark="省级优秀教务处")
    assert p.benchmark == "省级优秀教务处"


def test_it_fixes_a_problem_at_once_with_evidence(cast, campaign):
    p = problem_create(
        actor=cast.user("head_a"),
        campaign=campaign,
        unit=cast.dept_a,
        description="窗口午休无人值守",
        channel="fix_as_found",
    )
    f = SimpleUploadedFile("排班表.png", PNG, content_type="image/png")
    problem_fix_at_once(actor=cast.user("head_a"), problem=p, note="已安排午间轮流值班", files=[f])
    p.refresh_from_db()
    assert p.status == Problem.Status.FIXED_AT_ONCE and p.fixed_at and p.fixed_note == "已安排午间轮流值班"
    ev = p.evidence.get()
    assert ev.original_name == "排班表.png" and ev.size == len(PNG) and ev.file.read() == PNG
    with pytest.raises(Conflict):
        problem_fix_at_once(actor=cast.user("head_a"), problem=p, note="again")


def test_it_refuses_a_disallowed_evidence_file_and_stores_nothing(cast, campaign):
    p = problem_create(
        actor=cast.user("head_a"), campaign=campaign, unit=cast.dept_a, description="x问题", channel="self_check"
    )
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(ServiceError):
        problem_fix_at_once(actor=cast.user("head_a"), problem=p, note="done", files=[bad])
    p.refresh_from_db()
    assert p.status == Problem.Status.OPEN and not p.evidence.exists()


def test_it_receives_an_opinion_with_a_receipt_code(cast, campaign):
    o = opinion_submit(
        campaign=campaign, unit=cast.dept_a, content="教务处办事效率低，盖章要跑好几趟", source="public_form"
    )
    assert len(o.receipt_code) == 12
    o = Opinion.objects.get(pk=o.pk)
    assert o.status == Opinion.Status.NEW and o.submitter is None


def test_it_keeps_no_person_on_an_anonymous_opinion(cast, campaign):
    o = opinion_submit(
        campaign=campaign,
        unit=cast.dept_a,
        content="部分干部上班时间炒股聊天",
        source="staff_anonymous",
        submitter=cast.staff_a,
        contact="13800000000",
    )
    o = Opinion.objects.get(pk=o.pk)
    assert o.submitter is None and o.contact == ""
    assert not AuditRecord.objects.filter(object_id=str(o.pk)).exists()  # only the day's total, later
    anonymous_input_seal(today=o.received_on + timedelta(days=1))
    rec = AuditRecord.objects.get(action="opinion.receive_day")
    assert rec.actor is None and rec.actor_label == "" and o.receipt_code in rec.changes["items"]
    assert cast.staff_a.name not in str(rec.changes)


def test_it_enforces_opinion_length_and_strips_markup(cast, campaign):
    with pytest.raises(ServiceError):
        opinion_submit(campaign=campaign, unit=cast.dept_a, content="短", source="public_form")
    with pytest.raises(ServiceError):
        opinion_submit(campaign=campaign, unit=cast.dept_a, content="长" * 2001, source="public_form")
    o = opinion_submit(
        campaign=campaign, unit=cast.dept_a, content="<script>alert(1)</script>窗口服务态度生硬", source="public_form"
    )
    assert "<" not in o.content and "窗口服务态度生硬" in o.content
    assert Opinion.objects.count() == 1


def test_it_turns_an_opinion_into_problems(cast, campaign):
    o = opinion_submit(
        campaign=campaign,
        unit=cast.dept_a,
        content="教务处和财务处都存在推诿现象",
        source="public_form",
        submitter_kind="service_user",
    )
    made = opinion_accept(
        actor=cast.user("office"),
        opinion=o,
        problems=[
            {"unit": cast.dept_a, "description": "教务处推诿学生诉求"},
            {"unit": cast.dept_b, "description": "财务处报销推诿"},
        ],
    )
    o.refresh_from_db()
    assert o.status == Opinion.Status.ACCEPTED and o.triaged_by == cast.user("office")
    assert {p.channel for p in made} == {Channel.SERVICE_USER_OPINION}
    assert set(o.problems.values_list("unit", flat=True)) == {cast.dept_a.pk, cast.dept_b.pk}
    with pytest.raises(Conflict):
        opinion_close(actor=cast.user("office"), opinion=o, reason="again")


def test_it_merges_and_closes_opinions(cast, campaign):
    a = opinion_submit(campaign=campaign, unit=cast.dept_a, content="考试安排通知太晚了", source="public_form")
    b = opinion_submit(campaign=campaign, unit=cast.dept_a, content="考试安排的通知发得太晚", source="public_form")
    c = opinion_submit(campaign=campaign, unit=cast.dept_a, content="建议食堂增加菜品种类", source="public_form")
    opinion_merge(actor=cast.user("office"), opinion=b, duplicate_of=a)
    with pytest.raises(ServiceError):
        opinion_close(actor=cast.user("office"), opinion=c, reason="")
    opinion_close(actor=cast.user("office"), opinion=c, reason="不属于本次自查整改范围，已转后勤处")
    b.refresh_from_db()
    c.refresh_from_db()
    assert b.status == Opinion.Status.MERGED and b.duplicate_of == a
    assert c.status == Opinion.Status.CLOSED and c.triage_note.startswith("不属于")
    assert AuditRecord.objects.filter(action__in=["opinion.merge", "opinion.close"]).count() == 2
