import io
from datetime import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from openpyxl import load_workbook

from orgs.models import Person
from problems.models import Channel, Problem
from problems.services import problem_create


def make(cast, campaign, n, unit=None, channel=Channel.SELF_CHECK, manifestations=(), text="办事拖拉"):
    return [
        problem_create(
            actor=cast.user("office"),
            campaign=campaign,
            unit=unit or cast.dept_a,
            description=f"{text}{i}",
            channel=channel,
            manifestations=manifestations,
        )
        for i in range(n)
    ]


def test_it_lists_problems_with_constant_queries(cast, campaign, taxonomy, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    make(cast, campaign, 3, manifestations=[taxonomy["纪律涣散"]])
    client.get("/problems/")
    with django_assert_max_num_queries(21) as few:  # 20 + the shell's campaign switcher
        assert client.get("/problems/?sort=-severity").status_code == 200
    make(cast, campaign, 40, unit=cast.dept_b, manifestations=[taxonomy["纪律涣散"], taxonomy["业绩平庸"]])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/problems/?sort=-severity")
    assert response.content.decode().count('href="/problems/') >= 43


def test_it_filters_by_unit_channel_manifestation_and_search(cast, campaign, taxonomy, client_for):
    make(cast, campaign, 2, unit=cast.dept_a, manifestations=[taxonomy["纪律涣散"]], text="迟到早退")
    make(cast, campaign, 3, unit=cast.dept_b, channel=Channel.COMPARISON.value if False else Channel.FIX_AS_FOUND)
    client = client_for(cast.user("office"))
    body = client.get(f"/problems/?unit={cast.dept_b.pk}").content.decode()
    assert "办事拖拉0" in body and "迟到早退0" not in body
    body = client.get(f"/problems/?manifestation={taxonomy['纪律涣散'].pk}").content.decode()
    assert "迟到早退1" in body and "办事拖拉" not in body
    body = client.get("/problems/?q=迟到").content.decode()
    assert "迟到早退0" in body and "办事拖拉" not in body
    body = client.get("/problems/?channel=fix_as_found&stage=finding").content.decode()
    assert "办事拖拉2" in body and "迟到早退" not in body
    assert "办事拖拉" not in client.get("/problems/?stage=meeting").content.decode()


def test_it_shows_a_department_head_only_their_units(cast, campaign, client_for):
    make(cast, campaign, 1, unit=cast.dept_a, text="教务问题")
    make(cast, campaign, 1, unit=cast.dept_b, text="财务问题")
    body = client_for(cast.user("head_a")).get("/problems/").content.decode()
    assert "教务问题0" in body and "财务问题0" not in body
    assert client_for(cast.user("outsider")).get("/problems/").content.decode().count("教务问题") == 0


def test_it_exports_the_filtered_ledger_to_excel(cast, campaign, taxonomy, client_for):
    make(cast, campaign, 2, unit=cast.dept_a, manifestations=[taxonomy["纪律涣散"]], text="=迟到早退")
    make(cast, campaign, 3, unit=cast.dept_b)
    response = client_for(cast.user("office")).get(f"/problems/export.xlsx?unit={cast.dept_a.pk}")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3  # header + the two problems of dept_a only
    assert rows[0][2] == "单位"
    assert {r[2] for r in rows[1:]} == {"教务处"}
    # formula-like text is kept as typed: a text cell with the quote-prefix style, no apostrophe, no formula
    cells = [row[5] for row in ws.iter_rows(min_row=2)]
    assert all(c.value.startswith("=迟到早退") and c.data_type == "s" and c.quotePrefix for c in cells)
    assert all(r[7] == "纪律涣散" for r in rows[1:])
    assert all(isinstance(r[16], datetime) for r in rows[1:])  # recorded at: a real date-time cell
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert quote("问题清单") in response["Content-Disposition"]


def test_it_caps_the_count_of_a_huge_ledger(cast, campaign, monkeypatch, client_for):
    from problems.filters import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "CAP", 5)
    make(cast, campaign, 7)
    body = client_for(cast.user("office")).get("/problems/").content.decode()
    assert "超过5" in body or "More than 5" in body


def test_it_shows_a_problem_and_fixes_it_at_once(cast, campaign, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from problems.tests.test_services import PNG

    p = make(cast, campaign, 1)[0]
    client = client_for(cast.user("head_a"))
    assert client.get(f"/problems/{p.pk}/").status_code == 200
    f = SimpleUploadedFile("照片.png", PNG, content_type="image/png")
    response = client.post(f"/problems/{p.pk}/fix/", {"note": "已整改到位", "files": [f]})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == Problem.Status.FIXED_AT_ONCE and p.evidence.count() == 1
    dl = client.get(f"/problems/evidence/{p.evidence.get().pk}/")
    assert dl.status_code == 200 and b"".join(dl.streaming_content) == PNG


def test_it_guards_problems_by_unit(cast, campaign, client_for):
    p = make(cast, campaign, 1, unit=cast.dept_b)[0]
    assert client_for(cast.user("outsider")).get(f"/problems/{p.pk}/").status_code == 404
    assert client_for(cast.user("head_a")).get(f"/problems/{p.pk}/").status_code == 404
    assert client_for(cast.user("principal")).get(f"/problems/{p.pk}/").status_code == 200
    assert client_for(cast.user("principal")).post(f"/problems/{p.pk}/fix/", {"note": "x"}).status_code == 403


def test_it_records_a_comparison_problem_with_its_benchmark(cast, campaign, taxonomy, client_for):
    client = client_for(cast.user("head_a"))
    data = {
        "channel": "comparison",
        "unit": cast.dept_a.pk,
        "subject_kind": "unit",
        "description": "网上办事事项比例低于先进院校",
        "severity": "medium",
        "manifestations": [taxonomy["创新能力不强"].pk],
    }
    assert client.post("/problems/new/", data).status_code == 200  # benchmark missing
    data["benchmark"] = "省示范性高职院校教务处"
    response = client.post("/problems/new/", data)
    p = Problem.objects.get()
    assert response.status_code == 302 and p.benchmark == "省示范性高职院校教务处" and p.channel == "comparison"


def test_it_lets_a_cadre_self_check_but_not_record_for_others(cast, campaign, taxonomy, client_for):
    client = client_for(cast.user("cadre_a"))
    m = taxonomy["得过且过"]
    response = client.post(
        "/problems/self-check/",
        {f"d_{m.pk}": "满足于完成交办任务，主动性不足", f"c_{m.pk}": "进取心不强", f"s_{m.pk}": "low"},
    )
    assert response.status_code == 302
    p = Problem.objects.get()
    assert p.subject_person == cast.cadre_a and p.channel == "self_check" and list(p.manifestations.all()) == [m]
    from problems.models import SelfCheck

    check = SelfCheck.objects.get(person=cast.cadre_a)
    assert check.not_applicable.count() == 9
    data = {
        "channel": "self_check",
        "unit": cast.dept_a.pk,
        "subject_kind": "unit",
        "description": "x问题",
        "severity": "low",
    }
    assert client.post("/problems/new/", data).status_code == 403


def test_it_counts_by_channel_and_manifestation_only_up_to_the_cap(cast, campaign, taxonomy, monkeypatch, client_for):
    """Above the cap (a city office's whole ledger) the page lists the same rows but leaves the counts by
    channel and manifestation to a narrower filter; at or under it they are counted as before."""
    from problems.filters import CappedPaginator

    make(cast, campaign, 4, manifestations=[taxonomy["纪律涣散"]])
    make(cast, campaign, 3, unit=cast.dept_b, channel=Channel.FIX_AS_FOUND)
    client = client_for(cast.user("office"))
    under = client.get("/problems/").context
    assert under["counted"]
    assert dict((v, n) for _label, n, v in under["by_channel"])[Channel.SELF_CHECK] == 4
    assert dict((m.name, n) for m, n in under["by_manifestation"])["纪律涣散"] == 4
    monkeypatch.setattr(CappedPaginator, "CAP", 5)
    over = client.get("/problems/").context
    assert over["capped"] and not over["counted"]
    assert all(n is None for _label, n, _v in over["by_channel"])
    shown = [p.pk for p in over["rows"]]  # the paginator counts CAP + 1 rows, so one page of them here
    assert len(shown) == 6 and shown == [p.pk for p in under["rows"]][:6]  # the same rows, the same order
    narrowed = client.get(f"/problems/?unit={cast.dept_b.pk}").context  # 3 rows: counted again
    assert narrowed["counted"] and dict((v, n) for _l, n, v in narrowed["by_channel"])[Channel.FIX_AS_FOUND] == 3


def test_it_offers_the_top_of_a_large_unit_tree_and_still_filters_by_any_unit(cast, campaign, monkeypatch, client_for):
    from problems import filters

    make(cast, campaign, 2, unit=cast.dept_a, text="教务问题")
    make(cast, campaign, 2, unit=cast.dept_b, text="财务问题")
    monkeypatch.setattr(filters, "UNIT_OPTIONS_SHOWN", 1)
    client = client_for(cast.user("city_official"))  # the city office: every unit of the city
    options = dict(client.get("/problems/").context["filter"].form.fields["unit"].widget.choices)
    assert cast.dept_a.pk not in options and {cast.city.pk, cast.college.pk} <= set(options)
    response = client.get(f"/problems/?unit={cast.dept_a.pk}")  # not offered, still accepted and shown chosen
    body = response.content.decode()
    assert "教务问题0" in body and "财务问题0" not in body
    assert cast.dept_a.pk in dict(response.context["filter"].form.fields["unit"].widget.choices)


def test_it_pages_every_sort_and_a_search_in_the_same_rows_and_order(cast, campaign, taxonomy, monkeypatch, client_for):
    """The ledger loads a page's ids, then their rows: the pages together are the whole filtered ledger in
    the sort's order, as one unpaged query gives it, and a search still finds a problem by its person."""
    from problems import views
    from problems.filters import SORTS, ProblemFilter
    from problems.selectors import campaigns_for, problems_visible_to

    made = make(cast, campaign, 5, unit=cast.dept_a, text="窗口服务") + make(cast, campaign, 4, unit=cast.dept_b)
    Problem.objects.filter(pk=made[2].pk).update(severity=Problem.Severity.HIGH, status=Problem.Status.RECTIFYING)
    Problem.objects.filter(pk=made[7].pk).update(subject_kind=Problem.SubjectKind.PERSON, subject_person=cast.cadre_a)
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    user = cast.user("office")
    client = client_for(user)
    for params in [*({"sort": key} for key in SORTS), {"q": "窗口"}, {"q": cast.cadre_a.name[:2]}]:
        f = ProblemFilter(params, queryset=problems_visible_to(user), user=user, campaigns=campaigns_for(user))
        expected = list(f.ordered(f.qs).values_list("pk", flat=True))
        shown, page = [], 1
        while True:
            ctx = client.get("/problems/", {**params, "page": page}).context
            shown += [p.pk for p in ctx["rows"]]
            if not ctx["page"].has_next():
                break
            page += 1
        assert shown == expected and expected, params
    assert made[7].pk in [p.pk for p in client.get("/problems/", {"q": cast.cadre_a.name}).context["rows"]]


def test_the_search_finds_a_problem_by_its_text_its_cause_and_its_person_listed_or_not(
    cast, campaign, client_for, monkeypatch
):
    """The people a search names are matched as a list of ids (so that PostgreSQL can combine the indexes)
    up to SEARCH_PEOPLE_LISTED, beyond it through a sub-query: the same problems either way."""
    from problems import filters

    made = make(cast, campaign, 4, text="窗口服务")
    Problem.objects.filter(pk=made[0].pk).update(description="会议多文件多", cause="督促检查不够")
    Problem.objects.filter(pk=made[1].pk).update(
        description="基层负担重", subject_kind=Problem.SubjectKind.PERSON, subject_person=cast.cadre_a
    )
    Problem.objects.filter(pk=made[3].pk).update(
        description="基层负担重", subject_kind=Problem.SubjectKind.PERSON, subject_person=cast.cadre_a2
    )
    Person.objects.filter(pk=cast.cadre_a2.pk).update(name="Alice Wang")  # a name with letters of two cases
    client = client_for(cast.user("office"))

    def found(q):
        return {p.pk for p in client.get("/problems/", {"q": q}).context["rows"]}

    for listed in (500, 0):  # 0: every search names more people than listed
        monkeypatch.setattr(filters, "SEARCH_PEOPLE_LISTED", listed)
        assert found("督促检查") == {made[0].pk}, listed
        assert found(cast.cadre_a.name) == {made[1].pk}, listed
        assert found("窗口服务") == {made[2].pk}, listed
        assert found("alice WANG") == found("Alice Wang") == {made[3].pk}, listed
        assert found("无此问题") == set(), listed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
def test_the_search_can_be_served_by_the_trigram_indexes_on_postgresql(cast, campaign):
    """Migration 0005 indexes UPPER(description) and UPPER(cause) with gin_trgm_ops, migration 0008 the plain
    columns; the search's query must keep a form those indexes serve (no sub-query in its OR), and the form of
    its term: with sequential scans priced out, PostgreSQL reads the ledger through the plain indexes for a
    Chinese term (matched with LIKE, no UPPER() of every row) and through the UPPER() ones for a Latin one."""
    from problems.filters import ProblemFilter
    from problems.selectors import campaigns_for, problems_visible_to

    make(cast, campaign, 3, text="窗口服务")
    user = cast.user("office")
    f = ProblemFilter({}, queryset=problems_visible_to(user), user=user, campaigns=campaigns_for(user))
    for term, indexes in (
        ("推诿扯皮", ("problem_description_plain_trgm", "problem_cause_plain_trgm")),
        ("Window Shut", ("problem_description_trgm", "problem_cause_trgm")),
    ):
        searched = f.filter_q(Problem.objects.all(), "q", term)  # the search alone, not the units it is within
        sql, params = searched.values("pk").query.sql_with_params()
        assert ("UPPER(" in sql) == (term == "Window Shut"), sql
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL enable_indexscan = off")  # left: bitmap scans, which only these indexes offer
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
        assert all(f"Bitmap Index Scan on {index} " in plan for index in indexes), (term, plan)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
def test_the_search_reads_the_people_it_names_through_the_name_trigram_indexes_on_postgresql(cast, campaign):
    """orgs migration 0002 indexes `name` and `UPPER(name)` with gin_trgm_ops: the people query the search
    itself runs (`name LIKE` for a term without letters of two cases, `UPPER(name) LIKE UPPER(…)` otherwise)
    must be one they serve, the first for a Chinese name, the second for a Latin one; with sequential scans
    priced out PostgreSQL reads the people through the matching index (else through the whole table)."""
    from django.test.utils import CaptureQueriesContext

    from problems.filters import ProblemFilter
    from problems.selectors import campaigns_for, problems_visible_to

    user = cast.user("office")
    f = ProblemFilter({}, queryset=problems_visible_to(user), user=user, campaigns=campaigns_for(user))
    for term, index in (("王建国", "person_name_trgm"), ("Alice Wang", "person_name_upper_trgm")):
        with CaptureQueriesContext(connection) as ctx:
            f.filter_q(Problem.objects.all(), "q", term)  # reads the people's ids, returns the problems unread
        (sql,) = [q["sql"] for q in ctx.captured_queries if '"orgs_person"' in q["sql"]]
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + sql)  # as run: its values are already in the captured text
            plan = "\n".join(row[0] for row in cur.fetchall())
        assert f"Bitmap Index Scan on {index}" in plan, (term, plan)


@pytest.fixture
def second_city(cast):
    """Another city beside the cast's (a second root unit), with a campaign and two problems of its own."""
    from conftest import build_campaign
    from orgs.models import Unit
    from orgs.services import unit_create

    root = unit_create(actor=None, name="河城市治庸办", kind=Unit.Kind.CITY_OFFICE, code="T2-CITY")
    inst = unit_create(actor=None, name="河城学院", kind=Unit.Kind.INSTITUTION, code="T2-COL", parent=root)
    dept = unit_create(actor=None, name="河城教务处", kind=Unit.Kind.DEPARTMENT, code="T2-A", parent=inst)
    campaign = build_campaign(cast, actor=None, institution=inst, units=[inst, dept])
    return [
        problem_create(actor=None, campaign=campaign, unit=dept, description=f"河城问题{i}", channel=Channel.SELF_CHECK)
        for i in range(2)
    ]


LEDGER_QUERIES = [
    *({"sort": key} for key in ("-recorded", "recorded", "unit", "-severity", "status", "channel")),
    {"status": Problem.Status.RECTIFYING},
    {"channel": Channel.FIX_AS_FOUND, "sort": "recorded"},
    {"q": "窗口"},
    {"severity": Problem.Severity.HIGH, "status": Problem.Status.RECTIFYING, "channel": Channel.SELF_CHECK},
]


@pytest.mark.parametrize("share", [0, 0.5, 2], ids=["every-scope-row-by-row", "as-configured", "never-row-by-row"])
def test_the_ledger_lists_the_same_rows_in_the_same_order_whatever_shape_its_scope_takes(
    cast, campaign, taxonomy, second_city, share, monkeypatch, client_for
):
    """The ledger's scope takes one of three shapes by how many units it holds (problems_visible_to): no unit
    test when it holds every unit, the units' ids tested row by row on SQLite for a wide scope, `unit_id IN`
    otherwise. Whatever the shape, each user's pages together list exactly the problems of the units they may
    see, in the sort's order, with every filter; and never another city's."""
    from orgs.access import Perm, can, units_where
    from orgs.models import Unit
    from problems import selectors, views
    from problems.filters import ProblemFilter
    from problems.selectors import campaigns_for

    monkeypatch.setattr(selectors, "WIDE_SCOPE_SHARE", share)
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    made = make(cast, campaign, 4, unit=cast.dept_a, text="窗口服务") + make(cast, campaign, 3, unit=cast.dept_b)
    made += make(
        cast, campaign, 2, unit=cast.section_a, channel=Channel.FIX_AS_FOUND, manifestations=[taxonomy["纪律涣散"]]
    )
    made += make(cast, campaign, 2, unit=cast.college)
    for p in made[::3]:
        Problem.objects.filter(pk=p.pk).update(severity=Problem.Severity.HIGH, status=Problem.Status.RECTIFYING)
    Problem.objects.filter(pk=made[1].pk).update(recorded_at=made[0].recorded_at)  # a tie: the id decides
    queries = [*LEDGER_QUERIES, {"unit": cast.dept_a.pk}, {"unit": cast.dept_a.pk, "sort": "unit"}]
    # with the campaign: a subtree holding all, half, and none of the campaign's units (selectors.in_subtree)
    queries += [
        {"campaign": campaign.pk, "unit": cast.college.pk, "status": Problem.Status.RECTIFYING},
        {"campaign": campaign.pk, "unit": cast.dept_a.pk, "sort": "recorded"},
        {"campaign": campaign.pk, "unit": cast.section_a.pk},
    ]
    queries.append({"manifestation": taxonomy["纪律涣散"].pk})
    for key in ("city_official", "office", "head_a"):
        user = cast.user(key)
        mine = {p.pk for p in Problem.objects.select_related("unit") if can(user, Perm.PROBLEM_VIEW, p.unit)}
        assert {p.pk for p in second_city}.isdisjoint(mine) and mine
        assert set(selectors.problems_visible_to(user).values_list("pk", flat=True)) == mine, key
        client = client_for(user)
        for params in queries:
            if "unit" in params and not can(user, Perm.PROBLEM_VIEW, Unit.objects.get(pk=params["unit"])):
                continue
            # the rule as it was written before the shapes: the units' ids in a sub-query, through the same filters
            before = Problem.objects.filter(unit__in=units_where(user, Perm.PROBLEM_VIEW))
            f = ProblemFilter(params, queryset=before, user=user, campaigns=campaigns_for(user))
            expected = list(f.ordered(f.qs).values_list("pk", flat=True))
            shown, page = [], 1
            while True:
                ctx = client.get("/problems/", {**params, "page": page}).context
                shown += [p.pk for p in ctx["rows"]]
                if not ctx["page"].has_next():
                    break
                page += 1
            assert shown == expected, (key, params)
            assert set(shown) <= mine
        assert set(client.get("/problems/").context["page"].paginator.object_list) == mine, key


def test_the_ledger_scope_takes_the_shape_its_width_calls_for(cast, campaign, monkeypatch):
    """Every unit: no unit test in the SQL. A scope of at least WIDE_SCOPE_SHARE of the units on SQLite: the
    units tested row by row (`+unit_id`), so that a page walks the index of its order (problem_recent) instead of
    reading every problem of every unit and sorting them (a city office: 0.7 s for page 40 at city size).
    Narrower, or on PostgreSQL: `unit_id IN` the units."""
    from orgs.models import Unit
    from orgs.services import unit_create
    from problems import selectors

    def sql(key):
        return str(selectors.problems_visible_to(cast.user(key)).order_by("-recorded_at", "-id").values("pk").query)

    assert "orgs_unit" not in sql("city_official")  # the city office's scope is every unit of this database
    assert '"unit_id" IN (SELECT' in sql("head_a") and "+" not in sql("head_a")
    unit_create(actor=None, name="河城市治庸办", kind=Unit.Kind.CITY_OFFICE, code="T2-CITY")
    wide = sql("city_official")
    if connection.vendor == "sqlite":
        assert '+"problems_problem"."unit_id" IN (SELECT' in wide, wide
        make(cast, campaign, 3)
        query = selectors.problems_visible_to(cast.user("city_official")).order_by("-recorded_at", "-id")
        sql_text, params = query.values("pk")[50:100].query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql_text, params)
            plan = "\n".join(str(row[-1]) for row in cur.fetchall())
        assert "problem_recent" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
    else:
        assert '"unit_id" IN (SELECT' in wide and "+" not in wide
    monkeypatch.setattr(selectors, "WIDE_SCOPE_SHARE", 2)
    assert "+" not in sql("city_official")


def test_the_unit_filter_tests_each_row_when_it_does_not_narrow_the_chosen_campaign(cast, campaign):
    """An institution chosen with its own campaign (the subtree holds every unit taking part): on SQLite the unit is
    tested row by row, so that a page walks the campaign's ledger order (problem_ledger_order) and stops after it,
    instead of finding every match through the (campaign, unit, status) index and sorting them all (page 5 of a
    city's campaign: 42 → 2 ms). A subtree holding few of the campaign's units, no campaign chosen, or PostgreSQL:
    `unit_id IN` the subtree, which the unit index serves."""
    from problems.selectors import in_subtree

    make(cast, campaign, 3)

    def page_sql(unit, chosen=campaign):
        query = in_subtree(Problem.objects.all(), unit, chosen)
        if chosen is not None:
            query = query.filter(campaign=chosen)
        query = query.filter(status=Problem.Status.OPEN).order_by("-recorded_at", "-id").values("pk")[200:250]
        return query.query.sql_with_params()

    row_by_row = '+"problems_problem"."unit_id" IN'
    sql, params = page_sql(cast.college)
    if connection.vendor == "sqlite":
        assert row_by_row in sql, sql
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cur.fetchall())
        assert "problem_ledger_order" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
    else:
        assert row_by_row not in sql and '"unit_id" IN (SELECT' in sql
    for unit, chosen in ((cast.section_a, campaign), (cast.college, None)):
        sql, _params = page_sql(unit, chosen)
        assert row_by_row not in sql and '"unit_id" IN (SELECT' in sql, (unit, chosen)


def test_a_search_that_matches_nothing_shows_zero_counts_without_counting_again(cast, campaign, taxonomy, client_for):
    """Counts by channel and manifestation are 0 when nothing matches, and are not read again: on SQLite each
    grouped count of a search matching nothing reads every problem's text (seconds at city size)."""
    from django.test.utils import CaptureQueriesContext

    make(cast, campaign, 3, manifestations=[taxonomy["纪律涣散"]])
    client = client_for(cast.user("office"))
    with CaptureQueriesContext(connection) as ran:
        ctx = client.get("/problems/", {"q": "无此问题"}).context
    assert ctx["counted"] and ctx["rows"] == []
    assert {n for _, n, _ in ctx["by_channel"]} == {0} and {n for _, n in ctx["by_manifestation"]} == {0}
    assert not [q["sql"] for q in ran if "GROUP BY" in q["sql"] and "problems_problem" in q["sql"]]
    ctx = client.get("/problems/", {"q": "办事拖拉"}).context  # and counted when something matches
    assert dict((value, n) for _, n, value in ctx["by_channel"])[Channel.SELF_CHECK] == 3
    assert dict((m.name, n) for m, n in ctx["by_manifestation"])["纪律涣散"] == 3


def _every_page(client, params) -> tuple[list[int], int]:
    """The ids the ledger shows on all its pages for `params`, in order, and the count its paginator gave."""
    shown, page = [], 1
    while True:
        ctx = client.get("/problems/", {**params, "page": page}).context
        shown += [p.pk for p in ctx["rows"]]
        if not ctx["page"].has_next():
            return shown, ctx["page"].paginator.count
        page += 1


@pytest.mark.parametrize("cap", [10_000, 4], ids=["counted", "capped"])
def test_the_manifestation_filter_lists_and_counts_the_rows_of_the_plain_exists_rule(
    cast, campaign, taxonomy, second_city, cap, monkeypatch, client_for
):
    """Filtered by a manifestation, the ledger pages through its rows testing each problem (EXISTS a link) and counts
    them through a join of the manifestation's links (`qs_to_count`): the pages and the count are those of the rule
    written plainly, EXISTS a link, with every other filter; a problem with two manifestations is listed and counted
    once, a problem with another manifestation not at all, and the count still stops at the cap."""
    from django.db.models import Exists, OuterRef

    from orgs.access import Perm, units_where
    from problems import views
    from problems.filters import CappedPaginator, ProblemFilter
    from problems.selectors import campaigns_for

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    monkeypatch.setattr(CappedPaginator, "CAP", cap)
    chosen, other = taxonomy["纪律涣散"], taxonomy["业绩平庸"]
    make(cast, campaign, 3, unit=cast.dept_a, manifestations=[chosen], text="窗口服务")
    make(cast, campaign, 3, unit=cast.dept_b, manifestations=[chosen, other])
    make(cast, campaign, 2, unit=cast.section_a, channel=Channel.FIX_AS_FOUND, manifestations=[other, chosen])
    make(cast, campaign, 3, unit=cast.dept_a, manifestations=[other])
    make(cast, campaign, 2, unit=cast.dept_b)
    links = Problem.manifestations.through
    plain = Exists(links.objects.filter(problem_id=OuterRef("pk"), manifestation_id=chosen.pk))
    others = [
        {},
        {"channel": Channel.FIX_AS_FOUND},
        {"unit": cast.dept_a.pk},
        {"q": "窗口"},
        {"campaign": campaign.pk, "unit": cast.college.pk, "sort": "unit"},
        {"sort": "-severity"},
        {"sort": "recorded"},
    ]
    for key in ("city_official", "office", "head_a"):
        user = cast.user(key)
        client = client_for(user)
        scope = Problem.objects.filter(unit__in=units_where(user, Perm.PROBLEM_VIEW))
        for params in others:
            if "unit" in params and key == "head_a" and params["unit"] != cast.dept_a.pk:
                continue
            # every other filter as the ledger has it, then the manifestation written plainly
            f = ProblemFilter(params or None, queryset=scope, user=user, campaigns=campaigns_for(user))
            expected = list(f.ordered((f.qs if params else scope).filter(plain)).values_list("pk", flat=True))
            shown, counted = _every_page(client, {**params, "manifestation": chosen.pk})
            assert shown == expected[: cap + 1], (key, params)  # capped: the pages of the CAP + 1 counted
            assert counted == min(len(expected), cap + 1), (key, params)
        assert expected and len(set(expected)) == len(expected)
    everything, counted = _every_page(client_for(cast.user("city_official")), {"manifestation": chosen.pk})
    assert counted == min(8, cap + 1) and len(everything) == min(8, cap + 1)  # 3 + 3 + 2 with it, each once


def test_the_manifestation_filter_counts_through_the_links_of_the_manifestation(cast, campaign, taxonomy):
    """The count's query joins the manifestation's links (in the ledger's rows, EXISTS), and on SQLite reads them from
    their index by manifestation (problems migration 0007) instead of testing problem after problem: on a city,
    about 66,000 problems tested for the 10,001 a capped count needs (70–110 → 11–21 ms)."""
    from problems.filters import ProblemFilter
    from problems.selectors import campaigns_for

    user = cast.user("city_official")
    make(cast, campaign, 2, manifestations=[taxonomy["纪律涣散"]])
    f = ProblemFilter(
        {"manifestation": taxonomy["纪律涣散"].pk},
        queryset=Problem.objects.all(),
        user=user,
        campaigns=campaigns_for(user),
    )
    rows_sql = str(f.qs.query)
    count_sql, params = f.qs_to_count.order_by().values("pk")[:10_001].query.sql_with_params()
    assert "EXISTS" in rows_sql and "JOIN" not in rows_sql
    assert 'INNER JOIN "problems_problem_manifestations"' in count_sql and "EXISTS" not in count_sql
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + count_sql, params)
            plan = [str(row[-1]) for row in cur.fetchall()]
        assert "COVERING INDEX problem_links_by_manifestation" in plan[0], plan
