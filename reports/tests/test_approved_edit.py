"""An approved report is not turned back into a draft by accident: an empty or unchanged POST to its edit
page changes nothing; a revision needs the author's confirmation."""

import pytest

from reports.models import SelfReport
from reports.services import report_approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_approved(cast, writer):
    report = writer("principal", "principal", cast.college)
    report = SelfReport.objects.get(pk=report.pk)
    reviewer = report.reviewer or cast.user("city_official")
    report_approve(actor=reviewer, report=report, version=report.versions.get(number=report.current_version))
    report.refresh_from_db()
    assert report.status == "approved"
    return report


def _state(report):
    report.refresh_from_db()
    v = report.versions.get(number=report.current_version)
    return report.status, report.current_version, v.method, report.versions.count()


def test_it_keeps_an_approved_report_on_an_empty_post(cast, city_approved, client_for):
    before = _state(city_approved)
    client = client_for(cast.user("principal"))
    response = client.post(f"/reports/{city_approved.pk}/edit/", {})
    assert response.status_code == 302
    assert _state(city_approved) == before  # still approved, same version, text kept
    response = client.post(f"/reports/{city_approved.pk}/edit/", {"action": "save"}, follow=True)
    assert "空白报告" in response.content.decode() or "确认" in response.content.decode()
    assert _state(city_approved) == before


def test_it_changes_nothing_when_the_approved_text_is_sent_again(cast, city_approved, client_for):
    v = city_approved.versions.get(number=city_approved.current_version)
    data = {"method": v.method, "problems_and_causes": v.problems_and_causes, "measures": v.measures, "action": "save"}
    before = _state(city_approved)
    client_for(cast.user("principal")).post(f"/reports/{city_approved.pk}/edit/", data)
    assert _state(city_approved) == before


def test_it_revises_an_approved_report_only_when_confirmed(cast, city_approved, client_for):
    v = city_approved.versions.get(number=city_approved.current_version)
    data = {"method": v.method + "（补充）", "problems_and_causes": v.problems_and_causes, "measures": v.measures}
    client = client_for(cast.user("principal"))
    page = client.get(f"/reports/{city_approved.pk}/edit/").content.decode()
    assert 'name="revise_approved"' in page
    before = _state(city_approved)
    client.post(f"/reports/{city_approved.pk}/edit/", {**data, "action": "save"})
    assert _state(city_approved) == before
    client.post(f"/reports/{city_approved.pk}/edit/", {**data, "action": "save", "revise_approved": "1"})
    status, number, method, count = _state(city_approved)
    assert status == "draft" and number == before[1] + 1 and method.endswith("（补充）") and count == before[3] + 1
