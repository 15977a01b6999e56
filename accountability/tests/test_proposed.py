"""A case the system raises (a returned report) is only proposed: the deciding office takes it up or not."""

import pytest
from django.core.exceptions import PermissionDenied

from accountability.models import AccountabilityCase
from accountability.services import case_accept, case_dismiss, case_open
from audit.models import AuditRecord
from core.exceptions import Conflict, ServiceError
from notifications.models import Notification


@pytest.fixture
def proposed(cast):
    return case_open(
        actor=cast.user("supervisor"),
        person=cast.head_a,
        unit=cast.dept_a,
        trigger=AccountabilityCase.Trigger.REPORT_RETURNED,
        facts="教务处副处长的自查报告审查不过关",
        trigger_ref="reports.selfreport:7",
        proposed=True,
    )


def test_it_tells_the_deciding_office_and_the_person_concerned(cast, proposed):
    assert proposed.status == "proposed" and proposed.decided_on is None
    office = Notification.objects.get(recipient=cast.user("office"))
    assert "处长张三" in office.title and office.url == f"/accountability/{proposed.pk}/"
    mine = Notification.objects.get(recipient=cast.user("head_a"))
    assert mine.title == "已提请对您问责（自查报告审查不过关），请关注并填写本人陈述"
    assert not Notification.objects.filter(recipient=cast.user("city_official")).exists()  # not theirs to decide


def test_it_is_taken_up_or_not_by_the_office_only(cast, proposed):
    with pytest.raises(PermissionDenied):
        case_accept(actor=cast.user("supervisor"), case=proposed)
    with pytest.raises(ServiceError):
        case_dismiss(actor=cast.user("office"), case=proposed, reason=" ")
    case = case_accept(actor=cast.user("office"), case=proposed)
    assert case.status == "open"
    with pytest.raises(Conflict):
        case_accept(actor=cast.user("office"), case=case)
    case = case_dismiss(actor=cast.user("office"), case=case, reason="已重写并通过审定，情节轻微")
    assert (case.status, case.dismissal_reason) == ("dismissed", "已重写并通过审定，情节轻微")
    assert case.closed_at is not None
    assert Notification.objects.filter(recipient=cast.user("head_a"), body="已重写并通过审定，情节轻微").exists()
    actions = list(
        AuditRecord.objects.filter(object_id=str(case.pk), action__startswith="accountability.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["accountability.open", "accountability.accept", "accountability.dismiss"]


def test_it_offers_the_office_to_take_up_or_not_on_the_page(cast, proposed, client_for):
    head = client_for(cast.user("head_a"))
    html = head.get(f"/accountability/{proposed.pk}/").content.decode()
    assert "待研判" in html and "立案</button>" not in html
    assert head.post(f"/accountability/{proposed.pk}/accept/").status_code == 403
    office = client_for(cast.user("office"))
    html = office.get(f"/accountability/{proposed.pk}/").content.decode()
    assert "待研判" in html and "立案</button>" in html and "不予追究" in html
    office.post(f"/accountability/{proposed.pk}/dismiss/", {"reason": "情节轻微"})
    assert AccountabilityCase.objects.get(pk=proposed.pk).status == "dismissed"
    html = office.get("/accountability/?status=dismissed").content.decode()
    assert "处长张三" in html and "不予追究" in html


def test_it_counts_proposed_cases_as_work_for_the_office(cast, proposed, client_for):
    from accountability.providers import accountability_tasks

    tasks = accountability_tasks(cast.user("office"))
    assert tasks and tasks[0].url.endswith("?status=pending")
    listed = client_for(cast.user("office")).get(tasks[0].url).content.decode()
    assert "处长张三" in listed
