"""Every figure of the institution and the city dashboards against values worked out by hand from the
small dataset of conftest.build_dataset (TODAY = 2026-12-20; yellow within 3 days, green within 14):

problems  p0 教务处 self_check high open [得过且过, 工作推进不力]   p1 教务处 masses_opinion medium fixed_at_once [工作推进不力]
          p2 考务科 (under 教务处) masses_opinion medium rectifying [纪律涣散]
          p3 财务处 comparison low open [得过且过, 创新能力不强]   p4 财务处 self_check medium resolved (none)
          p5 college leader_comment high open [纪律涣散]
measures  M1 教务处 due 11-30 verified 11-28 (on time)   M2 教务处 rule due 12-05 verified 12-10 (late)
          M3 考务科 due 12-15 in progress (overdue)     M4 财务处 due 12-23 close-out requested (yellow)
          M5 财务处 rule due 12-30 planned (green)      M6 财务处 due 2027-02-20 planned (no warning)
          a draft plan's measure (counted apart)
targets   unit_work 教务处 passed 0.92, unit_work 财务处 failed 0.60, person 教务处 passed 0.88 (published)
cases     evaluation_failed and measure_overdue, both open
"""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis import selectors
from analysis.selectors import Scope

from .conftest import TODAY, add_measure, add_problem, manifestations

pytestmark = pytest.mark.django_db


def _nonzero(rows, key="key"):
    return {r[key]: r["count"] for r in rows if r["count"]}


def _rates(row, *keys):
    return tuple(str(row[k]) for k in keys)


def test_every_institution_figure_is_the_hand_computed_one(cast, campaign, dataset):
    d = selectors.institution_dashboard(Scope(campaign, cast.college), TODAY)
    assert [u.name for u in d.units] == ["江城职业技术学院", "教务处", "财务处"]
    assert [(s["stage"], s["count"], s["late"]) for s in d.stages] == [
        ("finding", 3, True),  # planned by 10-15
        ("meeting", 0, False),
        ("evaluation", 0, False),
        ("rectification", 0, False),
        ("closed", 0, False),
    ]

    p = d.problems
    assert (p["total"], p["fixed_at_once"], p["resolved"], p["unclassified"]) == (6, 1, 2, 1)
    assert _nonzero(p["channels"]) == {"self_check": 2, "masses_opinion": 2, "comparison": 1, "leader_comment": 1}
    assert _nonzero(p["severities"]) == {"low": 1, "medium": 3, "high": 2}
    assert _nonzero(p["statuses"]) == {"open": 3, "fixed_at_once": 1, "rectifying": 1, "resolved": 1}
    assert _nonzero(p["manifestations"], "name") == {"得过且过": 2, "工作推进不力": 2, "创新能力不强": 1, "纪律涣散": 2}
    # a problem counts once per 庸/懒/散 group, whatever number of its manifestations are in it
    m = {x.name: x.group for x in manifestations()}
    per_problem = [{m["得过且过"], m["工作推进不力"]}, {m["工作推进不力"]}, {m["纪律涣散"]}, {m["得过且过"], m["创新能力不强"]}, {m["纪律涣散"]}]  # fmt: skip
    assert _nonzero(p["groups"]) == {g: sum(g in s for s in per_problem) for g in set().union(*per_problem)}
    assert [(r["unit"].name, r["count"], r["serious"], r["resolved"]) for r in p["by_unit"]] == [
        ("江城职业技术学院", 1, 1, 0),
        ("教务处", 3, 1, 1),  # p2 of 考务科 rolls up into 教务处
        ("财务处", 2, 0, 1),
    ]

    r = d.rectification
    assert {k: r[k] for k in ("total", "verified", "done", "completed_by_import", "on_time", "overdue", "due")} == {
        "total": 6, "verified": 2, "done": 2, "completed_by_import": 0, "on_time": 1, "overdue": 1, "due": 3,
    }  # fmt: skip
    assert {k: r[k] for k in ("closeout_requested", "in_progress", "planned", "rules", "rules_done")} == {
        "closeout_requested": 1, "in_progress": 1, "planned": 2, "rules": 2, "rules_done": 1,
    }  # fmt: skip
    assert _rates(r, "completion_rate", "closeout_rate", "on_time_rate") == ("33.33", "33.33", "33.33")
    assert (r["completion_rate"].fraction, r["on_time_rate"].fraction) == ("2/6", "1/3")
    assert {w["key"]: w["count"] for w in r["warnings"]} == {"red": 1, "yellow": 1, "green": 1}
    assert r["no_warning"] == 1  # M6
    assert _nonzero(r["statuses"]) == {"planned": 2, "in_progress": 1, "closeout_requested": 1, "verified": 2}
    assert r["drafts"] == {"measures": 1, "plans": 1}
    assert [(x["key"], x["due"], x["done"], str(x["rate"]), x["days_left"], x["passed"]) for x in r["milestones"]] == [
        ("m3", 1, 1, "100.00", -19, True),  # 2026-12-01: M1
        ("m6", 6, 2, "33.33", 71, False),  # 2027-03-01: all six, M1 and M2 verified
    ]
    assert [
        (x["unit"].name, x["total"], x["verified"], x["on_time"], x["overdue"], str(x["completion_rate"]), str(x["on_time_rate"]))
        for x in r["by_unit"]
    ] == [
        ("江城职业技术学院", 0, 0, 0, 0, "—", "—"),
        ("教务处", 3, 2, 1, 1, "66.67", "33.33"),
        ("财务处", 3, 0, 0, 0, "0.00", "—"),
    ]  # fmt: skip

    e = d.evaluations
    assert [(k["key"], k["total"], k["passed"], k["failed"], k["pending"], str(k["pass_rate"]), k["satisfaction"]) for k in e["kinds"]] == [
        ("unit_work", 2, 1, 1, 0, "50.00", Decimal("76.00")),  # (92 + 60) / 2
        ("team", 0, 0, 0, 0, "—", None),
        ("person", 1, 1, 0, 0, "100.00", Decimal("88.00")),
    ]  # fmt: skip
    assert (e["total"], e["passed"], e["failed"], e["pending"], str(e["pass_rate"])) == (3, 2, 1, 0, "66.67")
    assert e["rounds"] == {"tallied": 1}
    assert [t.unit.name for t in e["failed_targets"]] == ["财务处"]

    a = d.accountability
    assert a["total"] == 2
    assert _nonzero(a["triggers"]) == {"evaluation_failed": 1, "measure_overdue": 1}
    assert _nonzero(a["statuses"]) == {"open": 2}
    assert a["measures"] == []
    assert d.activity["lookbacks_open"] == 0
    assert not any(_nonzero(d.activity[k]) for k in ("opinions", "reports", "meetings"))


def test_every_city_figure_is_the_hand_computed_one(cast, campaign, dataset):
    c = selectors.city_dashboard(cast.city, TODAY)
    (row,) = c["rows"]
    assert (row["institution"], row["campaign"]) == (cast.college, campaign)
    assert (row["units"], row["stages"], row["rectifying_or_closed"]) == (3, [3, 0, 0, 0, 0], 0)
    assert (row["problems"], row["serious"], row["problems_resolved"], row["problems_per_unit"]) == (
        6,
        2,
        2,
        Decimal("2.0"),
    )
    m = row["measures"]
    assert (m["total"], m["verified"], m["done"], m["on_time"], m["overdue"], m["due"]) == (6, 2, 2, 1, 1, 3)
    assert _rates(m, "completion_rate", "closeout_rate", "on_time_rate") == ("33.33", "33.33", "33.33")
    assert (str(row["evaluated_pass_rate"]), row["failed"]) == ("66.67", 1)
    assert row["satisfaction"] == Decimal("80.00")  # (92 + 60 + 88) / 3
    assert row["cases"] == 2
    assert row["rank"] == {"completion": 1, "on_time": 1, "satisfaction": 1}
    t = c["totals"]
    assert (t["institutions"], t["units"], t["problems"], t["measures"], t["verified"], t["done"]) == (1, 3, 6, 6, 2, 2)
    assert (t["overdue"], t["cases"], t["stages"], str(t["completion_rate"])) == (1, 2, [3, 0, 0, 0, 0], "33.33")


def test_the_pages_show_the_figures(cast, campaign, dataset, client_for):
    with time_machine.travel(TODAY, tick=False):
        html = client_for(cast.user("office")).get(reverse("analysis:campaign", args=[campaign.pk])).content.decode()
        city = (
            client_for(cast.user("city_official")).get(reverse("analysis:city", args=[cast.city.pk])).content.decode()
        )
    assert '33.33%</span> <small class="muted rate-fraction">2/6</small>' in html
    assert "76.00%" in html and "88.00%" in html  # satisfaction by kind
    assert "66.67%</span>" in html  # evaluation pass rate
    assert "80.00%" in city and "2.0" in city


def test_the_city_shows_each_institutions_active_campaign_before_a_later_closed_one(cast, campaign):
    from campaigns.models import Campaign

    Campaign.objects.create(
        name="2027年回头看",
        institution=cast.college,
        status=Campaign.Status.CLOSED,
        start_date=campaign.start_date.replace(year=2027),
        finding_due=campaign.finding_due,
        meeting_due=campaign.meeting_due,
        evaluation_due=campaign.evaluation_due,
        rectification_due=campaign.rectification_due,
        milestone_3m=campaign.milestone_3m,
        milestone_6m=campaign.milestone_6m,
    )
    assert [r["campaign"] for r in selectors.city_dashboard(cast.city, TODAY)["rows"]] == [campaign]
    assert selectors.city_campaigns(cast.city) == [campaign]


def _grow_to(cast, campaign, n):
    """Departments taking part, each with problems of two manifestations, an approved plan with a
    verified, an overdue and a draft measure, until `n` units take part."""
    from django.utils import timezone

    from campaigns.models import CampaignUnit
    from orgs.models import Unit
    from orgs.services import unit_create
    from rectification.models import RectificationPlan

    m = manifestations()
    while CampaignUnit.objects.filter(campaign=campaign).count() < n:
        k = Unit.objects.count()
        u = unit_create(actor=None, name=f"部门{k}", kind=Unit.Kind.DEPARTMENT, code=f"Q{k}", parent=cast.college)
        CampaignUnit.objects.create(campaign=campaign, unit=u)
        add_problem(campaign, u, mans=[m[k % 4], m[(k + 1) % 4]], severity="high")
        add_problem(campaign, u, channel="masses_opinion", status="resolved")
        plan = RectificationPlan.objects.create(
            campaign=campaign, unit=u, title="方案", status="approved", approved_at=timezone.now()
        )
        add_measure(plan, cast.head_a, deadline=TODAY, status="verified", verified_on=TODAY, unit=u)
        add_measure(plan, cast.head_a, deadline=TODAY.replace(day=1), unit=u)
        add_measure(
            RectificationPlan.objects.create(campaign=campaign, unit=u, title="草案"), cast.head_a, deadline=TODAY
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_both_dashboards_make_as_many_queries_at_3_as_at_30_units(cast, campaign, dataset, client_for):
    office, city = client_for(cast.user("office")), client_for(cast.user("city_official"))
    inst_url, city_url = reverse("analysis:campaign", args=[campaign.pk]), reverse("analysis:city", args=[cast.city.pk])
    assert len(selectors.institution_dashboard(Scope(campaign, cast.college), TODAY).units) == 3
    office.get(inst_url), city.get(city_url)  # the first request of a session does a little more
    at_3 = _queries(office, inst_url), _queries(city, city_url)
    _grow_to(cast, campaign, 30)
    dash = selectors.institution_dashboard(Scope(campaign, cast.college), TODAY)
    assert len(dash.units) == 30 and dash.problems["total"] == 6 + 2 * 27
    assert (_queries(office, inst_url), _queries(city, city_url)) == at_3
