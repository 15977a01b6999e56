"""Home page, navigation by role, language switch, time zone and date formats."""

import pytest
from django.conf import settings
from django.urls import reverse

from core.registry import TaskItem, _task_providers, register_task_provider

pytestmark = pytest.mark.django_db


def nav_urls(response) -> list[str]:
    return [item["url"] for item in response.context["nav_items"]]


def test_it_shows_my_tasks_and_my_units(cast, client_for):
    def provider(user):
        return (
            [TaskItem(label="审定教务处自查报告", url="/reports/", count=2, urgent=True)]
            if user.pk == cast.head_a.user_id
            else []
        )

    register_task_provider(provider)
    try:
        page = client_for(cast.user("head_a")).get(reverse("home")).content.decode()
        assert "审定教务处自查报告" in page and "overdue" in page
        assert "教务处" in page and "部门负责人" in page
        assert "审定教务处自查报告" not in client_for(cast.user("staff_a")).get(reverse("home")).content.decode()
    finally:
        _task_providers.remove(provider)


def test_it_shows_navigation_by_role(cast, client_for):
    office = nav_urls(client_for(cast.user("office")).get(reverse("home")))
    assert reverse("orgs:index") in office and reverse("audit:index") in office
    staff = nav_urls(client_for(cast.user("staff_a")).get(reverse("home")))
    assert reverse("orgs:index") not in staff and reverse("audit:index") not in staff
    city = nav_urls(client_for(cast.user("city_official")).get(reverse("home")))
    assert reverse("audit:index") in city


def test_it_switches_to_english_and_back(cast, client_for):
    client = client_for(cast.user("office"))
    assert "待办" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert "To do" in page and "待办" not in page and 'lang="en"' in page
    assert "Organisation" in client.get(reverse("orgs:index")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "待办" in client.get(reverse("home")).content.decode()


def test_it_uses_shanghai_time_and_chinese_dates(cast, client_for):
    from datetime import UTC, datetime

    from django.utils import timezone
    from django.utils.formats import date_format

    assert settings.TIME_ZONE == "Asia/Shanghai"
    late = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    assert timezone.localtime(late).strftime("%Y-%m-%d %H:%M") == "2026-11-28 01:30"
    assert date_format(timezone.localdate(late)) == "2026年11月28日"


def test_it_prints_without_navigation_and_fits_a_phone(client):
    css = (settings.BASE_DIR / "core" / "static" / "core" / "app.css").read_text()
    assert "@media print" in css and ".topbar" in css.split("@media print")[1]
    page = client.get(reverse("login")).content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
