"""A trigram index for the ledger's search box on SQLite (PostgreSQL: nothing to do, it has 0005's).

An FTS5 table `problems_problem_fts` over description and cause, external content (it holds the trigrams, the
text stays in the table), kept in step by triggers and filled here; `core.textsearch` explains the search it
serves. On the tenth city (30,000 problems) filling it takes 0.3 s and it holds 5.7 MB; see bench/results.md,
"The ledger's search on SQLite through an FTS5 trigram index".
"""

from django.db import migrations

from core.textsearch import sqlite_trigram_create, sqlite_trigram_drop

TABLE, COLUMNS = "problems_problem", ["description", "cause"]  # as problems.apps.SEARCH_INDEX (kept there after
# every migrate; a migration does not import the app's current code)


def create(apps, schema_editor):
    sqlite_trigram_create(schema_editor, TABLE, COLUMNS)


def drop(apps, schema_editor):
    sqlite_trigram_drop(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0005_problem_description_cause_trigram_indexes"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
