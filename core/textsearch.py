"""Substring search of long text columns through an index on SQLite (an FTS5 table with the trigram tokenizer).

A search box matches `<column>__icontains`, which Django writes on SQLite as `col LIKE '%…%' ESCAPE '\\'`: every
row's text is read, so a search of a city's 300,000 problems reads them all (seconds). PostgreSQL has GIN
trigram indexes for the same expression (problems migration 0005) and needs nothing here.

On SQLite each searched table gets a companion `<table>_fts`: an external-content FTS5 table (it stores the
trigrams, not the text: `content=` the table, `content_rowid=` its integer key, which is the table's rowid),
kept in step by three triggers, filled by its migration (`'rebuild'`). `contains_q` then asks it first:

    rowid IN (SELECT rowid FROM <table>_fts WHERE <table>_fts MATCH '{col1 col2} : "term"')
    AND (col1 LIKE '%term%' OR col2 LIKE '%term%')

The FTS5 phrase (the term in double quotes, `"` doubled: every other character, `%`, `_`, `\\`, spaces and
punctuation included, is literal) finds the rows where one column holds every trigram of the term one after
another, i.e. holds the term (a phrase never spans two columns). Its case folding (`case_sensitive 0`) folds
every alphabet, while SQLite's LIKE folds ASCII letters only (`É` is not `é`): the index's rows are a superset
of the LIKE's, and the LIKE, run on those rows only, keeps exactly the rows `icontains` finds. This SQLite
(3.40) has no `remove_diacritics` option for the trigram tokenizer (3.45+, off unless asked for); whatever the
tokenizer folds only widens the index's rows, which the LIKE then narrows. A term of 1–2 characters has no
trigram: it keeps the plain LIKE (a full read, as before). So does a term in most rows (`dense_limit`, one
bounded count in the index tells): there the LIKE, walking a page's order, meets its rows at once.

A migration that makes SQLite remake the table (Django's SQLite schema editor copies a table to alter most
columns) drops its triggers: the app's post_migrate hook calls `sqlite_trigram_ensure`, which builds the index
again when one of them is missing (as evaluations keeps its tables WITHOUT ROWID).
"""

from math import isqrt

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

MIN_INDEXED = 3  # characters: the trigram tokenizer indexes nothing shorter


def dense_limit(rows: int, cap: int) -> int:
    """How many matches the index may hand over before the LIKE alone is cheaper, for a list whose count
    stops at `cap` (CappedPaginator) over a table of `rows`. The index costs each match (0.55 µs on the city);
    the LIKE reads rows in the page's order until the count's cap, about cap·rows/matches of them (0.33 µs
    each), and stops early where matches are dense. Even where matches² ≈ 0.6·cap·rows: √(cap·rows), at least
    cap (300,000 problems: 54,772; 30,000: 17,320). Measured on the city (300,000 problems, one bounded count
    + page): 11,111 matches 148 → 31 ms through the index, 37,500 53 → 48 ms, 300,000 30 → 185 ms."""
    return max(cap, isqrt(cap * rows))


def fts_table(table: str) -> str:
    return f"{table}_fts"


def _triggers(table: str, columns: list[str], key: str) -> list[str]:
    fts = fts_table(table)
    cols = ", ".join(f'"{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    delete = f'INSERT INTO "{fts}" ("{fts}", rowid, {cols}) VALUES (\'delete\', old."{key}", {old});'  # nosec B608 (our names)
    insert = f'INSERT INTO "{fts}" (rowid, {cols}) VALUES (new."{key}", {new});'  # nosec B608
    return [
        f'CREATE TRIGGER "{fts}_ai" AFTER INSERT ON "{table}" BEGIN {insert} END',
        f'CREATE TRIGGER "{fts}_ad" AFTER DELETE ON "{table}" BEGIN {delete} END',
        # only when a searched column (or the key) is written: a status change leaves the index alone
        f'CREATE TRIGGER "{fts}_au" AFTER UPDATE OF {cols}, "{key}" ON "{table}" BEGIN {delete} {insert} END',
    ]


def sqlite_trigram_create(schema_editor, table: str, columns: list[str], key: str = "id") -> None:
    """Create (or re-create) the index of `table`'s `columns` and fill it; nothing on other databases."""
    if schema_editor.connection.vendor == "sqlite":
        _create(schema_editor.execute, table, columns, key)


def _create(execute, table: str, columns: list[str], key: str) -> None:
    fts = fts_table(table)
    cols = ", ".join(f'"{c}"' for c in columns)
    _drop(execute, table)
    execute(
        f"CREATE VIRTUAL TABLE \"{fts}\" USING fts5({cols}, content='{table}', content_rowid='{key}', "
        "tokenize='trigram case_sensitive 0')"
    )
    for sql in _triggers(table, columns, key):
        execute(sql)
    execute(f'INSERT INTO "{fts}" ("{fts}") VALUES (\'rebuild\')')  # nosec B608 (a table name of ours)


def sqlite_trigram_ensure(connection, table: str, columns: list[str], key: str = "id") -> bool:
    """Re-create the index of `table` if it or one of its triggers is missing (SQLite); True if it did. For a
    post_migrate hook: Django's SQLite schema editor alters most columns by copying the table, which drops
    its triggers, and the rows the copy changed would never reach the index."""
    if connection.vendor != "sqlite":
        return False
    fts = fts_table(table)
    wanted = {fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au"}
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE name IN (%s, %s, %s, %s)", sorted(wanted))
        if {row[0] for row in cur.fetchall()} == wanted:
            return False
        _create(cur.execute, table, columns, key)
    return True


def sqlite_trigram_drop(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _drop(schema_editor.execute, table)


def _drop(execute, table: str) -> None:
    fts = fts_table(table)
    for suffix in ("ai", "ad", "au"):
        execute(f'DROP TRIGGER IF EXISTS "{fts}_{suffix}"')
    execute(f'DROP TABLE IF EXISTS "{fts}"')


def fts_phrase(value: str) -> str:
    """The FTS5 phrase that matches `value` as it is."""
    return '"' + value.replace('"', '""') + '"'


def caseless(value: str) -> bool:
    """True for a term without letters of two cases (Chinese, digits, punctuation): `contains` finds the same
    rows as `icontains` for it, without PostgreSQL's UPPER() of every text it reads (two thirds of a search's
    time on a city's ledger, and half of a search of 200,000 names)."""
    return value.upper() == value.lower()


def contains_q(model, value: str, fields: list[str], *, cap: int, using: str = "default") -> Q:
    """`field1__icontains=value | field2__icontains=value | …`, the same rows: as `contains` for a `caseless`
    term (PostgreSQL has a trigram index for each form: problems migrations 0005 and 0008), and through the
    trigram index where there is one on SQLite (a term of MIN_INDEXED characters or more, found in at most
    `dense_limit` rows: a bounded count in the index, when the filter is built; `cap`: where the list's count
    stops). SQLite writes `contains` and `icontains` alike (LIKE, which folds ASCII letters)."""
    lookup = "contains" if caseless(value) else "icontains"
    like = Q()
    for f in fields:
        like |= Q(**{f"{f}__{lookup}": value})
    if connections[using].vendor != "sqlite" or len(value) < MIN_INDEXED:
        return like
    table, fts = model._meta.db_table, fts_table(model._meta.db_table)
    columns = " ".join(f'"{model._meta.get_field(f).column}"' for f in fields)
    match = "{" + columns + "} : " + fts_phrase(value)
    with connections[using].cursor() as cur:
        cur.execute(f'SELECT COALESCE(MAX(rowid), 0) FROM "{table}"')  # nosec B608 (model meta): about its rows
        most = dense_limit(cur.fetchone()[0], cap)
        count = f'SELECT COUNT(*) FROM (SELECT 1 FROM "{fts}" WHERE "{fts}" MATCH %s LIMIT %s)'  # nosec B608 (meta)
        cur.execute(count, [match, most + 1])
        if cur.fetchone()[0] > most:
            return like
    found = RawSQL(f'SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s', [match])  # nosec B608 B611 (model meta)
    return Q(pk__in=found) & like
