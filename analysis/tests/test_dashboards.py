"""Dashboard figures equal figures computed directly from the rows; access; constant query counts."""

from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis import selectors
from analysis.selectors import Scope
from conftest import build_campaign

from .conftest import TODAY, add_measure, add_problem, manifestations

pytestmark = pytest.mark.django_db


def _expected_problems(problems, root):
    mine = [p for p in problems if p.unit.path.startswith(root.path)]
    groups = Counter()
    mans = Counter()
    for p in mine:
        ms = list(p.manifestations.all())
        for g in {m.group for m in ms}:
            groups[g] += 1
        for m in ms:
            mans[m.name] += 1
    return {
        "total": len(mine),
        "channels": Counter(p.channel for p in mine),
        "severities": Counter(p.severity for p in mine),
        "groups": groups,
        "manifestations": mans,
        "unclassified": sum(1 for p in mine if not p.manifestations.exists()),
    }


def test_it_counts_problems_like_the_rows_say(cast, campaign, dataset):
    dash = selectors.institution_dashboard(Scope(campaign, cast.college), TODAY)
    want = _expected_problems(dataset.problems, cast.college)
    p = dash.problems
    assert p["total"] == want["total"] == 6
    assert {c["key"]: c["count"] for c in p["channels"] if c["count"]} == dict(want["channels"])
    assert {s["key"]: s["count"] for s in p["severities"] if s["count"]} == dict(want["severities"])
    assert {g["key"]: g["count"] for g in p["groups"] if g["count"]} == dict(want["groups"])
    assert {m["name"]: m["count"] for m in p["manifestations"] if m["count"]} == dict(want["manifestations"])
    assert p["unclassified"] == want["unclassified"] == 1
    assert p["fixed_at_once"] == 1
    by_unit = {row["unit"].name: row["count"] for row in p["by_unit"]}
    # the section's problem rolls up into its department; the team's problem stays with the college
    assert by_unit == {"江城职业技术学院": 1, "教务处": 3, "财务处": 2}


def test_it_computes_rectification_rates_warnings_and_marks(cast, campaign, dataset):
    r = selectors.institution_dashboard(Scope(campaign, cast.college), TODAY).rectification
    ms = dataset.measures
    verified = [m for m in ms if m.status == "verified"]
    on_time = [m for m in verified if m.verified_at.date() <= m.deadline]
    overdue = [m for m in ms if m.status != "verified" and m.deadline < TODAY]
    assert r["total"] == len(ms) == 6
    assert r["verified"] == len(verified) == 2
    assert r["overdue"] == len(overdue) == 1
    # exact, two decimals, half-up, with numerator and denominator
    assert (str(r["completion_rate"]), r["completion_rate"].fraction) == ("33.33", "2/6")
    assert (str(r["on_time_rate"]), r["on_time_rate"].fraction) == ("33.33", f"{len(on_time)}/3")
    # the draft plan's overdue measure is shown apart, not counted (nor on the warnings board)
    assert r["drafts"] == {"measures": 1, "plans": 1}
    assert {w["key"]: w["count"] for w in r["warnings"]} == {"red": 1, "yellow": 1, "green": 1}
    assert r["rules"] == 2 and r["rules_done"] == 1
    m3, m6 = r["milestones"]
    due3 = [m for m in ms if m.deadline <= campaign.milestone_3m]
    assert (m3["due"], m3["done"]) == (len(due3), 1)  # 2026-11-30 verified 11-28
    due6 = [m for m in ms if m.deadline <= campaign.milestone_6m]
    done6 = [m for m in due6 if m.status == "verified" and m.verified_at.date() <= campaign.milestone_6m]
    assert (m6["due"], m6["done"]) == (len(due6), len(done6)) == (6, 2)
    by_unit = {row["unit"].name: (row["total"], row["verified"], row["overdue"]) for row in r["by_unit"]}
    assert by_unit["教务处"] == (3, 2, 1)
    assert by_unit["财务处"] == (3, 0, 0)


def test_it_summarises_evaluations_and_accountability(cast, campaign, dataset):
    dash = selectors.institution_dashboard(Scope(campaign, cast.college), TODAY)
    e = dash.evaluations
    assert (e["passed"], e["failed"], str(e["pass_rate"])) == (2, 1, "66.67")
    unit_work = next(k for k in e["kinds"] if k["key"] == "unit_work")
    assert unit_work["satisfaction"] == 76.0  # (0.92 + 0.60) / 2
    assert [t.unit for t in e["failed_targets"]] == [cast.dept_b]
    a = dash.accountability
    assert a["total"] == 2
    assert {t["key"]: t["count"] for t in a["triggers"] if t["count"]} == {
        "evaluation_failed": 1,
        "measure_overdue": 1,
    }


def test_it_limits_a_department_dashboard_to_the_department(cast, campaign, dataset):
    dash = selectors.institution_dashboard(Scope(campaign, cast.dept_a), TODAY)
    assert dash.problems["total"] == _expected_problems(dataset.problems, cast.dept_a)["total"] == 3
    assert dash.rectification["total"] == 3
    assert dash.evaluations["total"] == 2
    assert [row["unit"] for row in dash.problems["by_unit"]] == [cast.dept_a, cast.section_a]
    assert {row["unit"].name: row["count"] for row in dash.problems["by_unit"]} == {"教务处": 2, "考务科": 1}


def test_it_shows_the_dashboard_to_the_office_with_links(cast, campaign, dataset, client_for):
    with time_machine.travel(TODAY, tick=False):
        r = client_for(cast.user("office")).get(reverse("analysis:campaign", args=[campaign.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "data-chart" in html and "江城职业技术学院" in html
    assert r.context["dash"].problems["total"] == 6


def test_it_sends_each_user_to_their_dashboard(cast, campaign, client_for):
    r = client_for(cast.user("office")).get(reverse("analysis:dashboard"))
    assert r.status_code == 302 and r.url == reverse("analysis:campaign", args=[campaign.pk])
    r = client_for(cast.user("head_a")).get(reverse("analysis:dashboard"))
    assert r.url == reverse("analysis:campaign", args=[campaign.pk]) + f"?unit={cast.dept_a.pk}"
    r = client_for(cast.user("city_official")).get(reverse("analysis:dashboard"))
    assert r.url == reverse("analysis:city", args=[cast.city.pk])


def test_it_gives_a_department_head_only_their_department(cast, campaign, dataset, client_for):
    client = client_for(cast.user("head_a"))
    r = client.get(reverse("analysis:campaign", args=[campaign.pk]))
    assert r.status_code == 200 and r.context["scope"].root == cast.dept_a
    assert client.get(reverse("analysis:campaign", args=[campaign.pk]) + f"?unit={cast.dept_b.pk}").status_code == 404


def test_it_hides_another_institutions_dashboard(cast, campaign, client_for):
    client = client_for(cast.user("outsider"))
    assert client.get(reverse("analysis:campaign", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("analysis:city", args=[cast.city.pk])).status_code == 404
    assert client.get(reverse("analysis:campaign_stages", args=[campaign.pk])).status_code == 404
    assert client_for(cast.user("staff_a")).get(reverse("analysis:dashboard")).status_code == 403


def test_it_lists_blockers_of_each_unit(cast, campaign, client_for):
    r = client_for(cast.user("office")).get(reverse("analysis:campaign_stages", args=[campaign.pk]))
    assert r.status_code == 200
    rows = r.context["rows"]
    assert [row["unit"] for row in rows] == [cast.college, cast.dept_a, cast.dept_b]
    assert all(row["blockers"] for row in rows)  # every unit is still in finding


def _grow(cast, campaign, n):
    """n more departments taking part, each with problems and measures."""
    from campaigns.models import CampaignUnit
    from orgs.models import Unit
    from orgs.services import unit_create
    from rectification.models import RectificationPlan

    m = manifestations()
    start = Unit.objects.count()
    for i in range(n):
        u = unit_create(
            actor=None, name=f"部门{start + i}", kind=Unit.Kind.DEPARTMENT, code=f"G{start + i}", parent=cast.college
        )
        CampaignUnit.objects.create(campaign=campaign, unit=u)
        add_problem(campaign, u, mans=[m[i % 4]])
        plan = RectificationPlan.objects.create(campaign=campaign, unit=u, title="方案")
        add_measure(plan, cast.head_a, deadline=TODAY, unit=u)


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_keeps_the_dashboard_query_count_constant_in_the_number_of_units(
    cast, campaign, dataset, client_for, settings
):
    settings.SESSION_TOUCH_SECONDS = 3600  # the session's last-request time is written on the first page only
    client = client_for(cast.user("office"))
    url = reverse("analysis:campaign", args=[campaign.pk])
    client.get(url)
    _grow(cast, campaign, 2)
    small = _count(client, url)
    _grow(cast, campaign, 25)
    assert _count(client, url) == small


def test_it_keeps_the_city_dashboard_query_count_constant(cast, campaign, dataset, client_for, settings):
    settings.SESSION_TOUCH_SECONDS = 3600  # the session's last-request time is written on the first page only
    client = client_for(cast.user("city_official"))
    url = reverse("analysis:city", args=[cast.city.pk])
    client.get(url)
    small = _count(client, url)
    build_campaign(cast, actor=None, institution=cast.other, units=[cast.other, cast.other_dept], name="考试院自查整改")
    _grow(cast, campaign, 20)
    client.get(url)  # a new campaign: the navigation's campaign switcher reads its list again, once
    assert _count(client, url) == small
    r = client.get(url)
    rows = {row["institution"].name: row for row in r.context["rows"]}
    assert rows["江城职业技术学院"]["problems"] == 6 + 20
    assert rows["江城市教育考试院"]["problems"] == 0
    assert rows["江城职业技术学院"]["rank"]["completion"] == 1


def test_it_ranks_with_ties():
    rows = [{"v": 90}, {"v": 80}, {"v": 90}, {"v": None}]
    selectors._rank(rows, "x", lambda r: r["v"])
    assert [r["rank"]["x"] for r in rows] == [1, 3, 1, None]
