"""The commitment cycle clicked through the pages: 承诺 (draft, items with measures, a person
responsible and a deadline) → submitted → returned with a reason → resubmitted → approved (示诺, on the
public page) → 践诺 (progress) → items judged 兑现 / 未兑现 with the objective causes; the same for a
unit's commitment. Every step is re-read from the database; who may do what is checked on the object."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditRecord
from rectification.models import Commitment, CommitmentItem

pytestmark = pytest.mark.django_db


def _as(cast, key) -> Client:
    c = Client()
    c.force_login(cast.user(key))
    return c


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_it_walks_a_persons_commitment_through_the_pages(cast, campaign):
    cadre, office, staff, outsider = (_as(cast, k) for k in ("cadre_a", "office", "staff_a", "outsider"))
    # 承诺: the cadre drafts the commitment with its first item
    r = cadre.post(
        reverse("rectification:commitments"),
        {"content": "提高办事效率，服务师生", "item": "学生咨询当日回复", "deadline": "2027-01-31"},
    )
    c = Commitment.objects.get(person=cast.cadre_a)
    assert r.status_code == 302 and r.url == reverse("rectification:commitment", args=[c.pk])
    detail = reverse("rectification:commitment", args=[c.pk])
    cadre.post(
        reverse("rectification:commitment_item_add", args=[c.pk]),
        {"content": "调停课审批三天办结", "measures": "一是网上审批\n二是限时办结", "deadline": "2027-03-01"},
    )
    item = c.items.get(content="调停课审批三天办结")
    assert item.measures == "一是网上审批\n二是限时办结" and item.owner == cast.cadre_a
    page = cadre.get(detail).content.decode()
    assert "提交审核" in page and "一是网上审批" in page
    # a draft is seen by its author and the office only
    assert staff.get(detail).status_code == 404 and outsider.get(detail).status_code == 404
    assert staff.post(reverse("rectification:commitment_submit", args=[c.pk])).status_code == 404

    r = cadre.post(reverse("rectification:commitment_submit", args=[c.pk]))
    c.refresh_from_db()
    assert c.status == Commitment.Status.SUBMITTED
    assert AuditRecord.objects.filter(action="commitment.submit", object_id=str(c.pk)).exists()
    # nobody reviews their own commitment; the office sees it waiting
    assert (
        cadre.post(reverse("rectification:commitment_review", args=[c.pk]), {"decision": "approve"}).status_code == 403
    )
    listing = office.get(reverse("rectification:commitments"), {"status": "submitted"}).content.decode()
    assert "提高办事效率" in listing and "等待您审核" in listing
    assert reverse("rectification:commitment_review", args=[c.pk]) in office.get(detail).content.decode()
    # a return needs its reason
    r = office.post(reverse("rectification:commitment_review", args=[c.pk]), {"decision": "return"}, follow=True)
    c.refresh_from_db()
    assert c.status == Commitment.Status.SUBMITTED and "退回" in _messages(r)
    office.post(
        reverse("rectification:commitment_review", args=[c.pk]), {"decision": "return", "comment": "时限不具体"}
    )
    c.refresh_from_db()
    assert c.status == Commitment.Status.RETURNED and c.published_at is None
    assert "时限不具体" in cadre.get(detail).content.decode()
    # the cadre revises: removes the vague item, adds a dated one, resubmits
    vague = c.items.get(content="学生咨询当日回复")
    cadre.post(reverse("rectification:commitment_item_remove", args=[vague.pk]))
    cadre.post(
        reverse("rectification:commitment_item_add", args=[c.pk]),
        {"content": "每月公开办结情况", "deadline": "2027-01-31", "owner": cast.cadre_a.pk},
    )
    assert sorted(c.items.values_list("content", flat=True)) == ["每月公开办结情况", "调停课审批三天办结"]
    cadre.post(reverse("rectification:commitment_submit", args=[c.pk]))
    office.post(reverse("rectification:commitment_review", args=[c.pk]), {"decision": "approve", "comment": "同意"})
    c.refresh_from_db()
    assert c.status == Commitment.Status.PUBLISHED and c.published_at is not None
    assert list(c.reviews.values_list("decision", flat=True)) == ["returned", "approved"]
    # 示诺: shown inside the institution and on the public page
    assert staff.get(detail).status_code == 200 and outsider.get(detail).status_code == 404
    public = Client().get(reverse("disclosure_public:commitments", args=[cast.college.public_code]))
    assert public.status_code == 200 and "调停课审批三天办结" in public.content.decode()
    # once shown, items no longer change and a second submit is refused
    r = cadre.post(reverse("rectification:commitment_submit", args=[c.pk]), follow=True)
    assert _messages(r) and Commitment.objects.get(pk=c.pk).status == Commitment.Status.PUBLISHED
    # 践诺: progress on an item by the cadre; a colleague may not report it
    monthly = c.items.get(content="每月公开办结情况")
    assert (
        staff.post(reverse("rectification:commitment_progress", args=[monthly.pk]), {"content": "x"}).status_code == 403
    )
    cadre.post(
        reverse("rectification:commitment_progress", args=[monthly.pk]), {"content": "已公开11月办结情况", "done": "on"}
    )
    c.refresh_from_db()
    monthly.refresh_from_db()
    assert c.status == Commitment.Status.PRACTISING and monthly.done_at is not None
    # 评诺 per item: 兑现, or 未兑现 with the objective causes
    judge = reverse("rectification:commitment_item_judge", args=[item.pk])
    assert cadre.post(judge, {"outcome": "fulfilled"}).status_code == 403
    office.post(judge, {"outcome": "unfulfilled"})
    assert CommitmentItem.objects.get(pk=item.pk).outcome == ""
    office.post(judge, {"outcome": "unfulfilled", "explanation": "审批系统升级推迟，属客观原因"})
    office.post(reverse("rectification:commitment_item_judge", args=[monthly.pk]), {"outcome": "fulfilled"})
    assert dict(c.items.values_list("content", "outcome")) == {
        "调停课审批三天办结": "unfulfilled",
        "每月公开办结情况": "fulfilled",
    }
    assert AuditRecord.objects.filter(action="commitment.item_judge").count() == 2
    public = Client().get(reverse("disclosure_public:commitments", args=[cast.college.public_code])).content.decode()
    assert "未兑现" in public and "审批系统升级推迟" in public


def test_it_walks_a_units_commitment_through_the_pages(cast, campaign):
    head, office, staff, head_b = (_as(cast, k) for k in ("head_a", "office", "staff_a", "head_b"))
    listing = head.get(reverse("rectification:commitments")).content.decode()
    assert "单位承诺" in listing
    # a unit outside what one manages is not offered (and refused)
    head.post(reverse("rectification:commitment_unit_create"), {"unit": cast.dept_b.pk, "content": "x"})
    assert not Commitment.objects.filter(unit=cast.dept_b).exists()
    head.post(reverse("rectification:commitment_unit_create"), {"unit": cast.dept_a.pk, "content": "教务处窗口承诺"})
    c = Commitment.objects.get(unit=cast.dept_a, person__isnull=True)
    detail = reverse("rectification:commitment", args=[c.pk])
    assert "教务处" in head.get(detail).content.decode()
    head.post(
        reverse("rectification:commitment_item_add", args=[c.pk]),
        {"content": "窗口服务零投诉", "deadline": "2027-06-30", "owner": cast.staff_a.pk},
    )
    item = c.items.get()
    assert item.owner == cast.staff_a
    # the owner list holds the unit's people only
    outsider_owner = head.post(
        reverse("rectification:commitment_item_add", args=[c.pk]),
        {"content": "y", "deadline": "2027-06-30", "owner": cast.head_b.pk},
    )
    assert outsider_owner.status_code == 302 and c.items.count() == 1
    head.post(reverse("rectification:commitment_submit", args=[c.pk]))
    office.post(reverse("rectification:commitment_review", args=[c.pk]), {"decision": "approve"})
    c.refresh_from_db()
    assert c.status == Commitment.Status.PUBLISHED
    # the person responsible for the item reports progress; another department's head may not
    assert "践诺" in staff.get(detail).content.decode()
    progress = reverse("rectification:commitment_progress", args=[item.pk])
    assert head_b.post(progress, {"content": "x"}).status_code == 403
    staff.post(progress, {"content": "本月零投诉", "done": "on"})
    assert CommitmentItem.objects.get(pk=item.pk).done_at is not None
    public = Client().get(reverse("disclosure_public:commitments", args=[cast.college.public_code])).content.decode()
    assert "教务处窗口承诺" in public and "窗口服务零投诉" in public and cast.staff_a.name in public
