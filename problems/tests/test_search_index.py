"""The ledger's search through the trigram index on SQLite (core.textsearch, migration 0006): the same rows as
`icontains`, the index in step with every write, and the index actually read where it pays."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q

from core import textsearch
from core.bulk import write
from core.textsearch import contains_q, fts_table
from problems.filters import ProblemFilter
from problems.models import Problem
from problems.selectors import campaigns_for, problems_visible_to
from problems.services import problem_create

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only")

LONG = "长" * 30 + "Long text of a problem, 很长的一段描述 " * 3  # 100+ characters
TEXTS = [  # (description, cause)
    ("窗口服务态度生硬，群众反映推诿扯皮", "宗旨意识淡薄"),
    ("审批材料退回后无人说明原因", "责任心不强"),  # "原因责任" spans the two fields: no match
    ("Café ÉCOLE Straße, the Window is shut", "ascii Mixed CASE"),
    ("完成率100%，任务_a\\b未完成", ""),
    ("他说\"可以\"，又说'不行'", "quote's end"),
    ("two  spaces, punct!?。……", "——破折号"),
    ("👍🏽服务好😀😀😀", "表情😀"),
    (LONG, ""),
    ("ab", "xy"),  # shorter than a trigram
]
TERMS = [
    "窗口", "推诿扯皮", "乱作为", "说明原因", "原因责任", "原因宗旨", "宗旨意识淡薄", "意识淡薄", "责任心",
    "café", "CAFÉ", "école", "ÉCOLE", "straße", "STRASSE", "window", "WINDOW", "Mixed case", "mixed CASE",
    "%", "100%", "0%，", "_", "_a", "_a\\", "\\", "\\b", "a\\b未", '"', '"可以"', "'", "'不行'", "quote's",
    " ", "  ", "two  spaces", "two spaces", "!?。", "punct!", "……", "——破", "😀", "😀😀😀", "👍🏽", "好😀😀",
    LONG[:100], LONG[5:105], LONG[:100].upper(), "ab", "abx", "b", "xy", "长长长",
]  # fmt: skip


@pytest.fixture
def ledger(cast, campaign):
    made = [
        problem_create(
            actor=cast.user("office"), campaign=campaign, unit=cast.dept_a, description=d, channel="self_check"
        )
        for d, _ in TEXTS
    ]
    for p, (_, cause) in zip(made, TEXTS, strict=True):
        Problem.objects.filter(pk=p.pk).update(cause=cause)
    return made


def like(model, fields, term) -> set[int]:
    q = Q()
    for f in fields:
        q |= Q(**{f"{f}__icontains": term})
    return set(model.objects.filter(q).values_list("pk", flat=True))


def indexed(model, fields, term) -> set[int]:
    return set(model.objects.filter(contains_q(model, term, fields, cap=10_000)).values_list("pk", flat=True))


def test_it_finds_exactly_the_rows_icontains_finds_for_every_kind_of_term(ledger):
    for term in TERMS:
        assert indexed(Problem, ["description", "cause"], term) == like(Problem, ["description", "cause"], term), term
    by = {t: indexed(Problem, ["description", "cause"], t) for t in ("推诿扯皮", "原因责任", "宗旨意识淡薄", "乱作为")}
    assert by == {"推诿扯皮": {ledger[0].pk}, "原因责任": set(), "宗旨意识淡薄": {ledger[0].pk}, "乱作为": set()}
    assert indexed(Problem, ["description", "cause"], "a\\b未") == {ledger[3].pk}
    assert indexed(Problem, ["description", "cause"], '"可以"') == {ledger[4].pk}
    assert indexed(Problem, ["description", "cause"], LONG[5:105]) == {ledger[7].pk}
    assert indexed(Problem, ["description", "cause"], "WINDOW") == {ledger[2].pk}  # ASCII letters fold everywhere
    # Other letters: SQLite's LIKE folds ASCII only, and so does the search on SQLite (as before the index);
    # PostgreSQL's UPPER() folds them all.
    assert indexed(Problem, ["description", "cause"], "école") == (
        set() if connection.vendor == "sqlite" else {ledger[2].pk}
    )


def test_the_ledger_search_box_finds_the_same_rows(ledger, cast, monkeypatch):
    user = cast.user("office")
    for most in (None, 0):  # 0: every term is in "most rows", searched by the LIKE alone
        if most is not None:
            monkeypatch.setattr(textsearch, "dense_limit", lambda rows, cap, most=most: most)
        for term in ["推诿扯皮", "窗口", "原因责任", "Window", "100%", '"可以"', "😀😀😀"]:
            f = ProblemFilter({"q": term}, queryset=problems_visible_to(user), user=user, campaigns=campaigns_for(user))
            assert set(f.qs.values_list("pk", flat=True)) == like(Problem, ["description", "cause"], term), term


def plan(qs) -> str:
    sql, params = qs.values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cur.fetchall())


@sqlite_only
def test_a_search_of_three_characters_reads_the_trigram_index_on_sqlite_unless_in_most_rows(ledger, cast, monkeypatch):
    user = cast.user("office")
    f = ProblemFilter({}, queryset=problems_visible_to(user), user=user, campaigns=campaigns_for(user))
    three = plan(f.filter_q(Problem.objects.all(), "q", "乱作为"))
    assert "problems_problem_fts VIRTUAL TABLE" in three, three
    two = plan(f.filter_q(Problem.objects.all(), "q", "窗口"))  # no trigram in it: the LIKE alone
    assert "_fts" not in two, two
    monkeypatch.setattr(textsearch, "dense_limit", lambda rows, cap: 1)  # a term in more rows: the LIKE alone
    assert "_fts" in plan(f.filter_q(Problem.objects.all(), "q", "推诿扯皮"))  # in 1 row
    Problem.objects.filter(pk=ledger[1].pk).update(cause="推诿扯皮")
    assert "_fts" not in plan(f.filter_q(Problem.objects.all(), "q", "推诿扯皮"))  # in 2 rows


def integrity_check(table: str) -> None:
    """FTS5 compares the index with the table's rows (external content: rank 1); raises if they differ."""
    fts = fts_table(table)
    with connection.cursor() as cur:
        cur.execute(f'INSERT INTO "{fts}" ("{fts}", rank) VALUES (\'integrity-check\', 1)')


@sqlite_only
def test_an_edited_or_deleted_problem_is_searched_by_what_it_says_now(ledger):
    first = ledger[0]
    Problem.objects.filter(pk=first.pk).update(description="会议多文件多")  # the ledger's services update so
    assert indexed(Problem, ["description", "cause"], "推诿扯皮") == set()
    assert indexed(Problem, ["description", "cause"], "文件多") == {first.pk}
    first.refresh_from_db()
    first.cause = "督促检查不够"
    first.save(update_fields=["cause"])
    assert indexed(Problem, ["description", "cause"], "督促检查") == {first.pk}
    assert indexed(Problem, ["description", "cause"], "宗旨意识") == set()
    Problem.objects.filter(pk=first.pk).update(status=Problem.Status.RESOLVED)  # no searched column: index untouched
    integrity_check("problems_problem")
    first.delete()
    assert indexed(Problem, ["description", "cause"], "文件多") == set()
    integrity_check("problems_problem")


@sqlite_only
def test_rows_written_in_bulk_are_indexed(ledger, campaign, cast):
    """core.bulk (generate_city) writes plain INSERTs: the triggers index them."""
    write(
        Problem,
        ["campaign_id", "unit_id", "description", "cause", "channel", "severity", "status", "public_code"],
        [(campaign.pk, cast.dept_b.pk, f"批量写入的问题{i}", "批量原因", "self_check", "medium", "open", f"BULK{i:04d}") for i in range(50)],
    )  # fmt: skip
    assert len(indexed(Problem, ["description", "cause"], "批量写入")) == 50
    integrity_check("problems_problem")


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_index_with_the_table(cast, campaign):
    """TransactionTestCase (and `manage.py flush`) empty the tables with DELETE: the index follows."""
    problem_create(
        actor=cast.user("office"), campaign=campaign, unit=cast.dept_a, description="清空前的问题", channel="self_check"
    )
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute('SELECT COUNT(*) FROM "problems_problem_fts_docsize"')
        assert cur.fetchone()[0] == 0
    integrity_check("problems_problem")


@sqlite_only
@pytest.mark.django_db
def test_a_migrate_builds_the_index_again_when_a_table_copy_dropped_its_triggers(ledger):
    """Django's SQLite schema editor alters most columns by copying the table: the copy has no triggers, and
    rows it changed never reach the index. Every migrate puts them back and rebuilds the index."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    with connection.cursor() as cur:
        cur.execute('DROP TRIGGER "problems_problem_fts_au"')
    Problem.objects.filter(pk=ledger[0].pk).update(description="会议多文件多")  # not indexed: no trigger
    config = apps.get_app_config("problems")
    post_migrate.send(sender=config, app_config=config, using="default", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'problems_problem_fts%'")
        assert {row[0] for row in cur.fetchall()} == {f"problems_problem_fts_{s}" for s in ("ai", "ad", "au")}
    integrity_check("problems_problem")
    assert indexed(Problem, ["description", "cause"], "文件多") == {ledger[0].pk}


def test_the_index_hands_over_at_most_the_matches_a_capped_count_would_read_rows_for():
    assert textsearch.dense_limit(300_000, 10_000) == 54_772
    assert textsearch.dense_limit(30_000, 10_000) == 17_320
    assert textsearch.dense_limit(1_000, 10_000) == 10_000
