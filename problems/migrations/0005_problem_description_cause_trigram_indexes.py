"""Trigram indexes for the ledger's search box, on PostgreSQL only (SQLite: nothing to do).

The search (`problems.filters.ProblemFilter.filter_q`) matches `description__icontains` or
`cause__icontains`, which Django writes as `UPPER(col::text) LIKE UPPER('%…%')`: these GIN indexes over
`UPPER(col)` with `gin_trgm_ops` serve that expression as it is, for any search of three characters or
more (pg_trgm finds no trigram in a two-character term without its word boundaries, so `窗口` still
scans the table). On the full city (300,000 problems) a three-character search that matches nothing went
from a 765 ms count and a 1,033 ms page query to under 1 ms each; a four-character one matching 37,500
problems counts its first 10,001 in 57 ms instead of 285 ms. bench/results.md, "P3 at full size, second pass" (30 Nov).

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. Built without
CONCURRENTLY: at 300,000 problems the two indexes take about 8 s, during which problems cannot be written.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "problem_description_trgm": "description",
    "problem_cause_trgm": "cause",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON problems_problem USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0004_anonymous_input_random_keys_recusal"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop, elidable=False),
    ]
