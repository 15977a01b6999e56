"""The rectification (measures) page's reads at city size.

The plans with their measures and verified measures ("verified / measures") are counted by one GROUP BY over
the measures of the plans shown (selectors.with_measure_counts) instead of two correlated sub-queries per plan:
the same plans, in the same order, with the same figures as before. On PostgreSQL the counts come from the
(plan, status) index alone and the oldest close-outs are walked in order from their partial index."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectification import selectors, services
from rectification.models import Measure, RectificationPlan

TZ = ZoneInfo("Asia/Shanghai")
ORDER = ("campaign_id", "unit__path", "round", "pk")


@pytest.fixture
def plans(cast, campaign, plan_a, measure_a):
    """plan_a with 7 more measures in every state (3 verified in all), a plan of dept_b with 2 measures (1
    verified) and a plan with none."""
    statuses = ["planned", "verified", "in_progress", "verified", "closeout_requested", "returned", "verified"]
    for k, status in enumerate(statuses):
        m = Measure.objects.get(pk=measure_a.pk)
        m.pk, m.content, m.status = None, f"措施{k}", status
        m.verified_at = datetime(2026, 11, 20, tzinfo=TZ) if status == "verified" else None
        m.save()
    office = cast.user("office")
    b = services.plan_create(actor=office, campaign=campaign, unit=cast.dept_b, title="财务处整改方案")
    for k in range(2):
        services.measure_create(
            actor=office, plan=b, content=f"b{k}", goal="g", owner=cast.head_b, deadline=date(2027, 1, 1)
        )
    Measure.objects.filter(plan=b, content="b0").update(
        status="verified", verified_at=datetime(2026, 11, 21, tzinfo=TZ)
    )
    empty = services.plan_create(actor=office, campaign=campaign, unit=cast.dept_b, title="空方案")
    return {plan_a.pk: (8, 3), b.pk: (2, 1), empty.pk: (0, 0)}


def _before(user) -> list[tuple[int, int, int]]:
    """The former query: each plan's two figures by correlated sub-queries."""
    per_plan = Measure.objects.filter(plan=OuterRef("pk")).order_by().values("plan")
    count = per_plan.annotate(n=Count("pk")).values("n")
    verified = per_plan.filter(status=Measure.Status.VERIFIED).annotate(n=Count("pk")).values("n")
    qs = selectors.plans_visible_to(user).order_by(*ORDER)
    qs = qs.annotate(n_measures=Coalesce(Subquery(count), 0), n_verified=Coalesce(Subquery(verified), 0))
    return [(p.pk, p.n_measures, p.n_verified) for p in qs]


def test_the_page_shows_each_plan_with_its_measures_and_verified_ones_as_before(cast, plans, client_for):
    for key in ("office", "head_a", "cadre_a"):
        user = cast.user(key)
        response = client_for(user).get(reverse("rectification:index"))
        shown = [(p.pk, p.n_measures, p.n_verified) for p in response.context["plans"]]
        assert shown == _before(user), key
        for pk, n, verified in shown:
            assert plans[pk] == (n, verified), key
    shown = {p.pk for p in client_for(cast.user("office")).get(reverse("rectification:index")).context["plans"]}
    assert shown == set(plans)  # the office sees all three, the one without measures too
    body = client_for(cast.user("office")).get(reverse("rectification:index")).content.decode()
    assert "<td>3 / 8</td>" in body and "<td>1 / 2</td>" in body and "<td>0 / 0</td>" in body


def test_it_counts_the_plans_in_batches_with_the_same_figures(cast, plans, monkeypatch):
    office = cast.user("office")
    qs = selectors.plans_visible_to(office).order_by(*ORDER)
    monkeypatch.setattr(selectors, "COUNTED_PLANS_PER_QUERY", 2)
    with CaptureQueriesContext(connection) as ctx:
        counted = selectors.with_measure_counts(qs)
    assert [(p.pk, p.n_measures, p.n_verified) for p in counted] == _before(office)
    assert len(ctx.captured_queries) == 1 + 2  # the plans, then 3 plans in 2 batches


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL")
def test_the_counts_are_read_from_the_plan_and_status_index_alone_on_postgresql(cast, plans):
    """Index measure_plan_status holds (plan, status): the count must read nothing else (COUNT(*), not the
    measures' ids), or PostgreSQL reads each measure's row again (100,000 of them for a campaign office)."""
    qs = RectificationPlan.objects.filter(pk__in=list(plans))
    with CaptureQueriesContext(connection) as ctx:
        selectors.with_measure_counts(qs)
    (sql,) = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
    with connection.cursor() as cur:
        # Left to choose from: the primary key's whole length or the (plan, status) index (the table's other
        # indexes are dropped inside the test's transaction, rolled back after it).
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'rectification_measure' AND indexname NOT IN "
            "('rectification_measure_pkey', 'measure_plan_status') AND indexdef NOT LIKE '%UNIQUE%'"
        )
        for (index,) in cur.fetchall():
            cur.execute(f'DROP INDEX "{index}"')  # nosec B608 (names read from pg_indexes)
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        cur.execute("EXPLAIN " + sql)  # as run: its values are already in the captured text
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "Index Only Scan using measure_plan_status" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL")
def test_the_oldest_closeouts_are_walked_in_order_from_their_partial_index_on_postgresql(cast, plans):
    """Index measure_closeout_oldest holds the waiting measures by (closeout_requested_at, id), the queue's
    order: the page's 20 oldest must be read in that order, not by sorting every waiting measure of the city."""
    waiting = Measure.objects.filter(status="closeout_requested")
    waiting.update(closeout_requested_at=datetime(2026, 11, 25, tzinfo=TZ))
    queue = selectors.closeout_queue(cast.user("office"))
    assert [m.pk for m in queue] == list(waiting.order_by("closeout_requested_at", "pk").values_list("pk", flat=True))
    sql, params = selectors.closeout_queue(cast.user("office"))[:20].query.sql_with_params()  # the page's 20
    with connection.cursor() as cur:
        # Left to choose from: the primary key's whole length, the close-out queue's (plan, unit) index or the
        # ordered one (the table's other indexes are dropped inside the test's transaction, rolled back after it).
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'rectification_measure' AND indexname NOT IN "
            "('rectification_measure_pkey', 'measure_closeout_queue', 'measure_closeout_oldest') "
            "AND indexdef NOT LIKE '%UNIQUE%'"
        )
        for (index,) in cur.fetchall():
            cur.execute(f'DROP INDEX "{index}"')  # nosec B608 (names read from pg_indexes)
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "Index Scan using measure_closeout_oldest" in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the statistics of SQLite")
def test_a_leaders_measures_are_searched_by_index_when_most_measures_name_none_on_sqlite(cast, plans):
    """Most measures name no responsible leader. A plain index on the column then has statistics (sqlite_stat1)
    that count the NULLs as one key shared by every measure, and SQLite read the whole table for
    `responsible_leader_id = ?`: each measures page did (its plans include those of the user's own measures),
    30,000 measures at a tenth of a city. The partial index of the measures that name a leader is searched."""
    assert not Measure.objects.exclude(responsible_leader=None).exists()
    qs = selectors.plans_visible_to(cast.user("head_a")).order_by(*ORDER)
    sql, params = qs.values_list("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # as a city's database is (generate_city, a maintained site)
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[3] for row in cur.fetchall()]
    # the user's own measures (Measure U0: owner or leader), by the owner's index and the leader's, no bare scan
    assert "SCAN U0" not in plan, plan
    assert any("USING INDEX measure_responsible_leader (responsible_leader_id=?)" in step for step in plan), plan
