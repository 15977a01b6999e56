"""The audit log page: the office sees its own institution's trail, the city office everything."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditRecord
from orgs.services import person_create, unit_update

pytestmark = pytest.mark.django_db


def test_it_shows_the_office_its_own_institution_only(cast, client_for):
    person_create(actor=cast.user("outsider"), name="外单位新人", staff_no="X900", unit=cast.other_dept)
    person_create(actor=cast.user("office"), name="本单位新人", staff_no="X901", unit=cast.dept_a)
    page = client_for(cast.user("office")).get(reverse("audit:index"), {"action": "person.create"}).content.decode()
    assert "本单位新人" in page and "外单位新人" not in page
    page = (
        client_for(cast.user("city_official")).get(reverse("audit:index"), {"action": "person.create"}).content.decode()
    )
    assert "本单位新人" in page and "外单位新人" in page


def test_it_refuses_users_without_audit_rights(cast, client_for):
    for key in ("principal", "head_a", "staff_a"):
        assert client_for(cast.user(key)).get(reverse("audit:index")).status_code == 403


def test_it_filters_by_action_actor_type_and_date(cast, client_for):
    unit_update(actor=cast.user("office"), unit=cast.dept_a, name="教务处（新）")
    client = client_for(cast.user("office"))
    records = lambda **q: list(client.get(reverse("audit:index"), q).context["page"])  # noqa: E731
    assert [r.action for r in records(action="unit.update")] == ["unit.update"]
    assert {r.action.split(".")[0] for r in records(action="unit.")} == {"unit"}
    assert all(r.actor_label == "治庸办陈静" for r in records(actor="治庸办陈静"))
    assert records(actor="治庸办陈静")
    assert {r.object_type for r in records(object_type="orgs.person")} == {"orgs.person"}
    today = timezone.localdate()
    assert records(date_from=today.isoformat(), date_to=today.isoformat())
    assert records(date_to=(today - timedelta(days=1)).isoformat()) == []
    page = client.get(reverse("audit:index"), {"action": "unit.update"}).content.decode()
    assert "教务处 → 教务处（新）" in page


def test_it_lists_records_in_constant_queries(cast, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    client.get(reverse("audit:index"))
    with django_assert_max_num_queries(17) as ctx:  # 16 + the shell's campaign switcher
        client.get(reverse("audit:index"))
    n = len(ctx.captured_queries)
    for i in range(40):
        person_create(actor=cast.user("office"), name=f"人{i}", staff_no=f"Y{i:03d}", unit=cast.dept_a)
    assert AuditRecord.objects.count() > 60
    with django_assert_max_num_queries(n):
        client.get(reverse("audit:index"))


def test_it_lets_the_city_office_verify_the_chain(cast, client_for):
    response = client_for(cast.user("city_official")).get(reverse("audit:index"), {"verify": "1"})
    assert response.context["chain"][0] is True
    response = client_for(cast.user("office")).get(reverse("audit:index"), {"verify": "1"})
    assert response.context["chain"] is None
