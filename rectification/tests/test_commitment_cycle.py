"""承诺 → review/return → 示诺 → 践诺 → 评诺: items with measures, a person responsible and a deadline,
commitments of units as well as people, 未兑现 explained, and the public 示诺 page."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditRecord
from core.exceptions import ServiceError
from rectification import commitments as cs
from rectification.models import Commitment, CommitmentReview

pytestmark = pytest.mark.django_db


def test_a_commitment_is_reviewed_returned_then_shown_and_judged(cast, campaign):
    cadre, office = cast.user("cadre_a"), cast.user("office")
    c = cs.commitment_create(actor=cadre, campaign=campaign, person=cast.cadre_a, content="提高办事效率")
    item = cs.commitment_item_add(
        actor=cadre,
        commitment=c,
        content="调停课审批三天办结",
        measures="一是网上审批\n二是限时办结",
        deadline=date(2027, 3, 1),
    )
    assert item.owner == cast.cadre_a and item.measures.startswith("一是")
    cs.commitment_submit(actor=cadre, commitment=c)
    with pytest.raises(PermissionDenied):  # nobody approves their own commitment
        cs.commitment_review(actor=cadre, commitment=c, approve=True)
    with pytest.raises(ServiceError):  # a return needs its reason
        cs.commitment_review(actor=office, commitment=c, approve=False)
    c = cs.commitment_review(actor=office, commitment=c, approve=False, comment="时限不具体")
    assert c.status == Commitment.Status.RETURNED and c.published_at is None
    cs.commitment_item_add(actor=cadre, commitment=c, content="每月公开办结情况", deadline=date(2027, 1, 31))
    cs.commitment_submit(actor=cadre, commitment=c)
    c = cs.commitment_review(actor=office, commitment=c, approve=True, comment="同意公示")
    assert c.status == Commitment.Status.PUBLISHED and c.published_at is not None
    assert list(CommitmentReview.objects.filter(commitment=c).values_list("decision", flat=True)) == [
        "returned",
        "approved",
    ]
    with pytest.raises(ServiceError):  # 未兑现 needs the objective causes
        cs.commitment_item_judge(actor=office, item=item, fulfilled=False)
    item = cs.commitment_item_judge(
        actor=office, item=item, fulfilled=False, explanation="审批系统升级推迟，属客观原因"
    )
    assert item.outcome == "unfulfilled" and AuditRecord.objects.filter(action="commitment.item_judge").exists()


def test_a_unit_commits_and_only_approved_commitments_are_shown_to_the_public(cast, campaign, client):
    from disclosure.models import Publication
    from disclosure.selectors import public_commitments

    office = cast.user("office")
    unit_c = cs.unit_commitment_create(actor=office, campaign=campaign, unit=cast.dept_a, content="教务处承诺")
    cs.commitment_item_add(
        actor=office, commitment=unit_c, content="窗口服务零投诉", owner=cast.head_a, deadline=date(2027, 6, 30)
    )
    with pytest.raises(PermissionDenied):
        cs.unit_commitment_create(actor=cast.user("staff_a"), campaign=campaign, unit=cast.dept_b, content="x")
    draft = cs.commitment_create(
        actor=cast.user("cadre_a2"), campaign=campaign, person=cast.cadre_a2, content="尚未审核的承诺"
    )
    cs.commitment_submit(actor=office, commitment=unit_c)
    cs.commitment_review(actor=office, commitment=unit_c, approve=True)
    assert [r["commitment"] for r in public_commitments(campaign)] == [unit_c]
    from django.utils import timezone

    from problems.models import Problem

    problem = Problem.objects.create(
        campaign=campaign, unit=cast.dept_a, description="公开的问题", channel="self_check"
    )
    Publication.objects.create(
        campaign=campaign, problem=problem, status=Publication.Status.PUBLISHED, published_at=timezone.now()
    )
    page = client.get(reverse("disclosure_public:commitments", args=[cast.college.public_code]))
    html = page.content.decode()
    assert page.status_code == 200 and "教务处承诺" in html and "窗口服务零投诉" in html and "处长张三" in html
    assert draft.content not in html
