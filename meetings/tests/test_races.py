"""Two people acting at once: the conditional updates let exactly one through (PostgreSQL, real threads)."""

import pytest

from conftest import run_at_once
from core.exceptions import Conflict, ServiceError
from meetings import services
from meetings.models import MaterialReview

from .conftest import complete_record, hold, prepare


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_takes_one_review_when_two_reviewers_decide_at_once(cast, meeting):
    member = meeting.members.get(person=cast.member_a)
    material = services.material_save(actor=cast.user("member_a"), member=member, kind="text", text="对照检查")
    results = run_at_once(
        lambda: services.material_review(actor=cast.user("office"), material=material, approve=True),
        lambda: services.material_review(actor=cast.user("head_a"), material=material, approve=False, comment="不深刻"),
    )
    assert sum(isinstance(r, MaterialReview) for r in results) == 1
    assert sum(isinstance(r, ServiceError) for r in results) == 1
    assert MaterialReview.objects.filter(material=material).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_files_the_minutes_once_when_two_clerks_click_at_once(cast, meeting):
    prepare(cast, meeting)
    hold(cast, meeting)
    complete_record(cast, meeting)
    results = run_at_once(
        lambda: services.minutes_file(actor=cast.user("staff_a"), meeting=meeting.__class__.objects.get(pk=meeting.pk)),
        lambda: services.minutes_file(actor=cast.user("office"), meeting=meeting.__class__.objects.get(pk=meeting.pk)),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    meeting.refresh_from_db()
    assert meeting.status == "filed" and meeting.minutes_file
