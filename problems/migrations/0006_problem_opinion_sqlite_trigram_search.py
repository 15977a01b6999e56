"""Trigram indexes for the ledger's and the opinions' search boxes on SQLite (PostgreSQL: nothing to do, see 0005).

An FTS5 table per searched table (`problems_problem_fts` over description and cause, `problems_opinion_fts` over
content), external content (it holds the trigrams, the text stays in the table), kept in step by triggers and
filled here; `core.textsearch` explains the search it serves. On the tenth city (30,000 problems, 3,000 opinions)
this takes about N s and M MB; see bench/results.md, "Ledger and opinions search on SQLite through FTS5".
"""

from django.db import migrations

from core.textsearch import sqlite_trigram_create, sqlite_trigram_drop

SEARCHED = {
    "problems_problem": ["description", "cause"],
    "problems_opinion": ["content"],
}


def create(apps, schema_editor):
    for table, columns in SEARCHED.items():
        sqlite_trigram_create(schema_editor, table, columns)


def drop(apps, schema_editor):
    for table in SEARCHED:
        sqlite_trigram_drop(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0005_problem_description_cause_trigram_indexes"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
