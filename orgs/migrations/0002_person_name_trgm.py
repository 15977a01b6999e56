"""Trigram indexes for searching people by name, on PostgreSQL only (SQLite: nothing to do).

The ledger's search box (`problems.filters.ProblemFilter.filter_q`) looks for the problems of the people whose
name holds the term: `name__contains` when the term has no letters of two cases (Chinese names, digits), which
Django writes as `"name"::text LIKE '%…%'`, else `name__icontains`, written `UPPER("name"::text) LIKE
UPPER('%…%')`. One GIN index per expression, with `gin_trgm_ops`, serves each as it is written. On the full
city (198,941 people) a three-character name went from a sequential scan of every person (30–40 ms quiet, 120 ms
under load) to a bitmap scan of a few index pages (under 0.1 ms); each index is about 6 MB and builds in about
2 s. A two-character term (most Chinese given names and surnames with one given character) holds no trigram
(pg_trgm pads only word boundaries, which `%…%` does not anchor), so PostgreSQL still reads every person for it.
bench/results.md, "Measures board and person names on PostgreSQL" (30 Nov, fifth session).

pg_trgm is a trusted extension (PostgreSQL 13+) and problems migration 0005 creates it too; created here if
missing (this migration may run first) and never dropped on the way back (the problems' indexes use it).
Built without CONCURRENTLY: people cannot be written for the few seconds of the build.
"""

from django.db import migrations

INDEXES = {
    "person_name_trgm": "name",
    "person_name_upper_trgm": "UPPER(name)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orgs_person USING gin (({expression}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
