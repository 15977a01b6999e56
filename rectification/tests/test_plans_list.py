"""The measures page's plans list, paged and filtered (a city office sees every plan of the city).

The plans come one page at a time in the board's order (campaign, unit tree, round), each page's "verified /
measures" counted for that page's plans only; a city office finds a plan by campaign, unit (and below) and
status. A department's few plans stay on one page, without a pager or filters."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import build_campaign
from rectification import selectors, services, views
from rectification.models import Measure, RectificationPlan

PER_PAGE = 4
ORDER = ("campaign_id", "unit__path", "round", "pk")


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch):
    monkeypatch.setattr(views, "PLANS_PER_PAGE", PER_PAGE)


def _plans(cast, campaign, n: int, unit=None, title="方案") -> list[RectificationPlan]:
    office = cast.user("office")
    made = []
    for i in range(n):
        plan = services.plan_create(actor=office, campaign=campaign, unit=unit or cast.dept_b, title=f"{title}{i}")
        services.measure_create(
            actor=office, plan=plan, content=f"措施{i}", goal="g", owner=cast.head_b, deadline=date(2027, 1, 1)
        )
        made.append(plan)
    return made


@pytest.fixture
def city(cast, campaign, plan_a):
    """plan_a (dept_a, approved), 6 draft plans of dept_b in the college's campaign, 2 of the other institution."""
    _plans(cast, campaign, 6)
    other = build_campaign(cast, actor="outsider", institution=cast.other, units=[cast.other, cast.other_dept])
    office = cast.user("outsider")
    for i in range(2):
        services.plan_create(actor=office, campaign=other, unit=cast.other_dept, title=f"考务处方案{i}")
    return other


def _all_in_order(user) -> list[int]:
    return list(selectors.plans_visible_to(user).order_by(*ORDER).values_list("pk", flat=True))


def _shown(response) -> list[int]:
    return [p.pk for p in response.context["plans"]]


def test_it_shows_a_city_office_the_first_page_of_its_plans_with_a_pager(cast, city, client_for):
    official = cast.user("city_official")
    expected = _all_in_order(official)
    assert len(expected) == 9  # every plan of the city
    response = client_for(official).get(reverse("rectification:index"))
    assert _shown(response) == expected[:PER_PAGE]
    body = response.content.decode()
    assert 'class="pagination"' in body and "page=2" in body
    assert "共9个整改方案" in body  # how many there are in all
    assert 'name="unit"' in body and 'name="plan_status"' in body and 'name="campaign"' in body


def test_page_two_holds_the_next_plans_and_the_last_page_the_rest(cast, city, client_for):
    official = cast.user("city_official")
    expected = _all_in_order(official)
    client = client_for(official)
    pages = [_shown(client.get(reverse("rectification:index"), {"page": n})) for n in (1, 2, 3)]
    assert pages[1] == expected[PER_PAGE : 2 * PER_PAGE]
    assert sum(pages, []) == expected  # each plan once, in the board's order


def test_it_counts_the_measures_of_the_plans_shown_only(cast, city, client_for):
    official = cast.user("city_official")
    client = client_for(official)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("rectification:index"), {"page": 2})
    counted = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"] and "rectification_measure" in q["sql"]]
    assert len(counted) == 1 and len(response.context["plans"]) == PER_PAGE
    for p in response.context["plans"]:
        assert f"{p.pk}" in counted[0]
        assert (p.n_measures, p.n_verified) == (Measure.objects.filter(plan=p).count(), 0)
    others = set(_all_in_order(official)) - set(_shown(response))
    in_query = counted[0].split(" IN (", 1)[1].split(")", 1)[0]
    assert not others & {int(x) for x in in_query.split(",")}


def test_a_filter_narrows_the_plans(cast, city, campaign, plan_a, client_for):
    client = client_for(cast.user("city_official"))
    index = reverse("rectification:index")
    by_unit = _shown(client.get(index, {"unit": cast.dept_a.pk}))
    assert by_unit == [plan_a.pk]
    by_status = _shown(client.get(index, {"plan_status": "approved"}))
    assert by_status == [plan_a.pk]
    by_campaign = client.get(index, {"campaign": city.pk})
    assert {p.title for p in by_campaign.context["plans"]} == {"考务处方案0", "考务处方案1"}
    assert "page=2" not in by_campaign.content.decode()  # two plans: one page
    # the institution and below, second page: the filter is kept in the pager's links
    college = client.get(index, {"unit": cast.college.pk, "page": 2})
    assert _shown(college) == _all_in_order(cast.user("office"))[PER_PAGE : 2 * PER_PAGE]
    assert f"?unit={cast.college.pk}&page=1" in college.content.decode()
    nothing = client.get(index, {"unit": cast.dept_a.pk, "plan_status": "draft"})
    assert _shown(nothing) == [] and "没有符合条件的整改方案" in nothing.content.decode()


def test_a_dashboard_link_with_a_measure_status_does_not_filter_the_plans(cast, city, campaign, client_for):
    """analysis.links.measures_url links here with a measure's status (status=returned is also a plan's)."""
    client = client_for(cast.user("office"))
    response = client.get(reverse("rectification:index"), {"campaign": campaign.pk, "status": "returned"})
    assert response.context["page"].paginator.count == 7  # the campaign's plans, whatever their status


def test_a_department_head_sees_their_plans_on_one_page_without_a_pager(cast, campaign, plan_a, client_for):
    _plans(cast, campaign, 2, unit=cast.dept_a, title="教务处方案")
    head = cast.user("head_a")
    response = client_for(head).get(reverse("rectification:index"))
    assert _shown(response) == _all_in_order(head) and len(_shown(response)) == 3
    body = response.content.decode()
    assert 'class="pagination"' not in body and 'name="plan_status"' not in body


def test_the_query_count_does_not_grow_with_plans(cast, city, campaign, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("city_official"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("rectification:index"), {"page": 2})
    _plans(cast, campaign, 3 * PER_PAGE)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        response = client.get(reverse("rectification:index"), {"page": 2})
    assert len(_shown(response)) == PER_PAGE
