"""The warnings board and the close-outs on the rectification page at city size: the colours are chosen and
counted by the query and only one page of each is loaded, and the rows are the ones colouring every measure
in Python gives (`colour_of`), in the same order, page after page."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectification import views
from rectification.models import Measure
from rectification.warnings import colour_of

TODAY = date(2026, 12, 1)
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def many(plan_a, measure_a):
    """measure_a copied with deadlines from 5 days late to 20 days ahead, in every state, and a long-term one."""
    statuses = ["planned", "in_progress", "closeout_requested", "verified", "returned"]
    made = []
    for k in range(26):
        m = Measure.objects.get(pk=measure_a.pk)
        m.pk = None
        m.content = f"措施{k:02d}"
        m.deadline = TODAY + timedelta(days=(k % 26) - 5)
        m.status = statuses[k % len(statuses)]
        m.verified_at = datetime(2026, 11, 20, tzinfo=TZ) if m.status == "verified" else None
        m.closeout_requested_at = datetime(2026, 11, 1 + k, tzinfo=TZ) if m.status == "closeout_requested" else None
        m.save()
        made.append(m)
    long_term = Measure.objects.get(pk=measure_a.pk)
    long_term.pk, long_term.deadline, long_term.time_class = None, None, "long_term"
    long_term.save()
    return made


def _board(client, colour=None, page=None) -> dict[str, list[int]]:
    params = {"colour": colour, "page": page} if colour else {}
    ctx = client.get(reverse("rectification:warnings"), params).context
    return {c: ([m.pk for m in shown["page"].object_list], shown["count"]) for c, shown in ctx["by_colour"].items()}


def test_it_shows_each_colour_with_the_measures_colour_of_gives(cast, many, client_for, monkeypatch, settings):
    settings.SESSION_TOUCH_SECONDS = 3600
    monkeypatch.setattr(views, "WARNING_PAGE_SIZE", 3)
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=TZ), tick=False):
        client = client_for(cast.user("office"))
        expected = {c: [] for c in ("red", "yellow", "green")}
        for m in Measure.objects.select_related("plan__campaign").order_by("deadline", "pk"):
            colour = colour_of(m)
            if colour in expected:
                expected[colour].append(m.pk)
        assert all(expected.values())  # every colour has measures, more than one page of some
        first = _board(client)
        for colour, pks in expected.items():
            assert first[colour] == (pks[:3], len(pks))
            shown, page = [], 1
            while len(shown) < len(pks):
                got, count = _board(client, colour, page)[colour]
                assert count == len(pks) and got
                shown += got
                page += 1
            assert shown == pks


def test_it_keeps_the_warnings_query_count_flat(
    cast, plan_a, measure_a, client_for, django_assert_num_queries, settings
):
    settings.SESSION_TOUCH_SECONDS = 3600
    url = reverse("rectification:warnings")

    def add(days_left):
        m = Measure.objects.get(pk=measure_a.pk)
        m.pk, m.deadline = None, TODAY + timedelta(days=days_left)
        m.save()

    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=TZ), tick=False):
        client = client_for(cast.user("office"))
        for days_left in (-1, 1, 10):  # one of each colour: each list reads its page
            add(days_left)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for k in range(60):
            add(k - 30)
        with django_assert_num_queries(len(few)):
            response = client.get(url)
    assert response.content.decode().count("/rectification/measures/") >= 40


def test_it_shows_the_oldest_closeouts_and_how_many_wait(cast, many, client_for, monkeypatch, settings):
    settings.SESSION_TOUCH_SECONDS = 3600
    monkeypatch.setattr(views, "CLOSEOUTS_SHOWN", 2)
    waiting = list(
        Measure.objects.filter(status="closeout_requested")
        .order_by("closeout_requested_at", "pk")
        .values_list("pk", flat=True)
    )
    assert len(waiting) > 2
    ctx = client_for(cast.user("head_a")).get(reverse("rectification:index")).context
    assert [m.pk for m in ctx["to_verify"]] == waiting[:2]
    assert ctx["to_verify_total"] == len(waiting)


def test_the_board_reads_the_campaigns_approved_plans_by_their_ids_and_shows_the_same_measures(
    cast, campaign, plan_a, measure_a, client_for, settings
):
    """On PostgreSQL the board names the campaign's approved plans by their ids, read first (it sized the join by
    the average plan and read every measure of a city for its largest campaign): a plan of the campaign in draft,
    and an approved plan of another campaign, add nothing; each colour lists and counts the measures of the rule
    with the plans joined, in the same order."""
    from campaigns.models import Campaign
    from rectification import selectors
    from rectification.models import RectificationPlan
    from rectification.services import plan_create

    settings.SESSION_TOUCH_SECONDS = 3600
    draft = plan_create(actor=cast.user("office"), campaign=campaign, unit=cast.dept_b, title="财务处整改方案")
    other = Campaign.objects.get(pk=campaign.pk)
    other.pk, other.name = None, "另一次专项整治"
    other.save()
    elsewhere = RectificationPlan.objects.get(pk=plan_a.pk)
    elsewhere.pk, elsewhere.campaign = None, other
    elsewhere.save()
    for plan in (plan_a, draft, elsewhere):
        for days in (-3, 0, 2, 9, 30):
            m = Measure.objects.get(pk=measure_a.pk)
            m.pk, m.plan, m.deadline = None, plan, TODAY + timedelta(days=days)
            m.save()
    office = cast.user("office")
    window = {"today": TODAY, "green_days": 14, "yellow_days": 3}
    joined = selectors.measures_visible_to(office).filter(
        selectors._NotInWritten("status", ["verified", "completed"]),
        plan__campaign=campaign,
        plan__status=RectificationPlan.Status.APPROVED,
        deadline__isnull=False,
    )
    ranges = selectors._warning_ranges(**window)
    expected = {
        c: list(joined.filter(q).order_by("deadline", "pk").values_list("pk", flat=True)) for c, q in ranges.items()
    }
    assert all(expected.values()) and not Measure.objects.filter(
        plan__in=[draft, elsewhere], pk__in=sum(expected.values(), [])
    )
    assert selectors.warning_counts(office, campaign, **window) == {c: len(pks) for c, pks in expected.items()}
    measures = selectors.warning_measures(office, campaign, **window)
    assert {c: list(qs.values_list("pk", flat=True)) for c, qs in measures.items()} == expected
    by_ids = f'"rectification_measure"."plan_id" IN ({plan_a.pk})'  # PostgreSQL only (selectors._warning_base)
    assert (by_ids in str(measures["red"].query)) == (connection.vendor == "postgresql")
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=TZ), tick=False):
        board = _board(client_for(office))
    assert board == {c: (pks[: views.WARNING_PAGE_SIZE], len(pks)) for c, pks in expected.items()}
