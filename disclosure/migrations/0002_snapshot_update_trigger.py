"""The database itself refuses to rewrite a snapshot (raw SQL included).

Deleting is refused by the model and queryset; the database allows DELETE so that test flushes work.
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER disclosure_snapshot_no_update BEFORE UPDATE ON disclosure_snapshot
BEGIN SELECT RAISE(ABORT, 'disclosure snapshots are immutable'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS disclosure_snapshot_no_update;"
PG_UP = """
CREATE OR REPLACE FUNCTION disclosure_snapshot_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'disclosure snapshots are immutable'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disclosure_snapshot_no_update BEFORE UPDATE ON disclosure_snapshot
FOR EACH ROW EXECUTE FUNCTION disclosure_snapshot_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS disclosure_snapshot_no_update ON disclosure_snapshot;
DROP FUNCTION IF EXISTS disclosure_snapshot_immutable();
"""


def run(sql_by_vendor):
    def apply(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_publications_snapshots_follows")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        ),
    ]
