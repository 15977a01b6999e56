"""Trigram indexes over the plain description and cause, beside migration 0005's over UPPER() (PostgreSQL only).

The ledger's search (`core.textsearch.contains_q`) matches a term without letters of two cases (Chinese, digits:
nearly every search of a Chinese ledger) with `col__contains`, written `"col"::text LIKE '%…%'`, not with
`col__icontains`, written `UPPER("col"::text) LIKE UPPER('%…%')`: for such a term the two find the same rows,
and UPPER() of every row's text it reads was two thirds of PostgreSQL's time (the full city's capped count of
窗口, 10,001 of 37,500 matches found among 80,000 problems: 75–84 → 25–31 ms; of 推诿扯皮: 71–81 → 33–39 ms).
Migration 0005's indexes serve only the UPPER() form, so these serve the plain one, for terms of three
characters or more (乱作为, matching nothing: 53 ms read through the table without them, 3 ms with). The people's
names have the same pair (orgs migration 0002). bench/results.md, "Eighth session".

Built without CONCURRENTLY: at 300,000 problems the two take a few seconds, during which problems cannot be written.
"""

from django.db import migrations

INDEXES = {
    "problem_description_plain_trgm": "description",
    "problem_cause_plain_trgm": "cause",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON problems_problem USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0007_problem_manifestation_links_by_manifestation"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
