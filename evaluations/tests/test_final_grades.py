"""The deciding body's final grade and its consequences (issue #13), recorded through the office's pages.

Competence scale, one item, 12 ballots (党员 6, 群众 6), the preset rule (基本称职+不称职 share > 1/3 fails).
  处长张三 (a person): 4 称职, 8 不称职 → 8/12 > 1/3 → failed. The body grades him 基本称职 (a lowest grade,
  as the tally said: no reason needed), not eligible for promotion for 6 months from 2026-08-31
  → until 2027-02-28 (February has no 31st).
  教务处 (unit work): 12 称职 → passed. The body grades it 不称职: that differs from the tally, refused
  without a reason, accepted with one; not eligible for commendation for 12 months from 2026-11-20 →
  until 2027-11-20.
"""

from datetime import date

import pytest
from django.urls import reverse

from accountability.models import Restriction
from audit.models import AuditRecord
from evaluations.models import FinalGrade
from evaluations.services import ballot_cast, codes_issue, evaluation_publish, evaluation_tally


@pytest.fixture
def published(cast, client_for, make_round, office, open_a_round, close_round):
    ev = make_round(preset="competence", items=["总体评价"], groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1)))
    c = client_for(office)
    c.post(
        reverse("evaluations:target_add", args=[ev.pk]),
        {"kind": "person", "unit": cast.dept_a.pk, "person": cast.head_a.pk},
    )
    codes = {g.name: codes_issue(actor=office, evaluation=ev, group=g, count=6)[1] for g in ev.groups.all()}
    ev = open_a_round(ev)
    a, b, head = ev.targets.order_by("order")
    item = ev.items.get()
    grade = {g.label: g.pk for g in ev.grades.all()}
    head_votes = ["称职"] * 4 + ["不称职"] * 8
    for code, vote in zip(codes["党员"] + codes["群众"], head_votes, strict=True):
        ballot_cast(
            code=code,
            answers={(a.pk, item.pk): grade["称职"], (b.pk, item.pk): grade["称职"], (head.pk, item.pk): grade[vote]},
        )
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    head.refresh_from_db()
    assert head.result == "failed"
    return ev, c, a, head


def test_the_final_grade_is_not_recorded_before_publication(published):
    ev, c, a, _head = published
    r = c.post(
        reverse("evaluations:final_grades", args=[ev.pk]),
        {"target": a.pk, "grade": "称职", "deciding_body": "院党委", "decided_on": "2026-11-20"},
        follow=True,
    )
    assert "结果公布后" in r.content.decode() and not FinalGrade.objects.exists()


def test_the_office_records_final_grades_with_reasons_and_consequences_with_their_end_dates(published, office, cast):
    ev, c, a, head = published
    evaluation_publish(actor=office, evaluation=ev)
    url = reverse("evaluations:final_grades", args=[ev.pk])
    page = c.get(url).content.decode()
    assert page.count('<span class="tally-said">通过</span>') == 2 and '<span class="tally-said">不过关</span>' in page

    c.post(
        url,
        {
            "target": head.pk,
            "grade": "基本称职",
            "deciding_body": "院党委",
            "decided_on": "2026-08-31",
            "bars_promotion": "on",
            "period_months": "6",
        },
    )
    final = FinalGrade.objects.get(target=head)
    assert (final.grade, final.differs, final.tally_said) == ("基本称职", False, "不过关")
    assert final.ends_on == date(2027, 2, 28)
    r = Restriction.objects.get(person=cast.head_a, source_ref=f"evaluations.evaluationtarget:{head.pk}")
    assert (r.bars_promotion, r.bars_commendation, r.starts_on, r.ends_on) == (
        True,
        False,
        date(2026, 8, 31),
        date(2027, 2, 28),
    )

    body = {"target": a.pk, "grade": "不称职", "deciding_body": "院党委", "decided_on": "2026-11-20"}
    body.update(bars_commendation="on", period_months="12")
    refused = c.post(url, body, follow=True).content.decode()
    assert "与计票结果（通过）不同" in refused and not FinalGrade.objects.filter(target=a).exists()
    c.post(url, {**body, "reason": "巡察发现该处整改不实"})
    final = FinalGrade.objects.get(target=a)
    assert final.differs and final.reason == "巡察发现该处整改不实" and final.ends_on == date(2027, 11, 20)
    assert AuditRecord.objects.filter(action="evaluation.final_grade").count() == 2

    page = c.get(url).content.decode()
    assert '<span class="ends-on">2027-02-28</span>' in page and "与计票结果不同" in page
    register = c.get(reverse("accountability:index")).content.decode()
    assert register.count('<td class="ends-on">') == 2 and "2027-11-20" in register and "不得提拔" in register
    record = c.get(reverse("accountability:person", args=[cast.head_a.pk])).content.decode()
    assert "2027-02-28" in record and "最终等次 基本称职" in record
    # the person sees their own record; someone of another institution sees nothing
    head_client = c
    head_client.force_login(cast.user("head_a"))
    assert "2027-02-28" in head_client.get(reverse("accountability:person", args=[cast.head_a.pk])).content.decode()
    head_client.force_login(cast.user("outsider"))
    assert head_client.get(reverse("accountability:person", args=[cast.head_a.pk])).status_code == 404


def test_lifting_the_consequences_removes_them_from_the_register(published, office, cast):
    ev, c, _a, head = published
    evaluation_publish(actor=office, evaluation=ev)
    url = reverse("evaluations:final_grades", args=[ev.pk])
    body = {"target": head.pk, "grade": "基本称职", "deciding_body": "院党委", "decided_on": "2026-08-31"}
    c.post(url, {**body, "bars_promotion": "on", "period_months": "6"})
    assert Restriction.objects.count() == 1
    c.post(url, body)  # corrected: no consequence
    assert not Restriction.objects.exists() and FinalGrade.objects.get(target=head).ends_on is None
