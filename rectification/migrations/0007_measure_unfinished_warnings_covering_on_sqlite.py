# The warnings board's partial index measure_unfinished_warnings (0006) covers its query on PostgreSQL through
# INCLUDE, which SQLite does not have (Django leaves the included columns out there): on SQLite every
# unfinished measure of a campaign was then read from the table, by rowid, to test who may see it, for the
# colours' count and for each colour's page. On SQLite only, the index is made again with those columns, and
# the status its condition names, as trailing key columns (what SQLite needs to read the index alone). Same
# name and condition; PostgreSQL's index is not touched.

from django.db import migrations, models

CONDITION = models.Q(deadline__isnull=False) & ~models.Q(status__in=["verified", "completed"])
AS_IN_0006 = models.Index(
    fields=["plan", "deadline"],
    include=["id", "responsible_unit", "owner", "responsible_leader"],
    condition=CONDITION,
    name="measure_unfinished_warnings",
)
COVERING_ON_SQLITE = models.Index(
    fields=["plan", "deadline", "responsible_unit", "owner", "responsible_leader", "status"],
    condition=CONDITION,
    name="measure_unfinished_warnings",
)


def _swap(old, new):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        measure = apps.get_model("rectification", "Measure")
        schema_editor.remove_index(measure, old)
        schema_editor.add_index(measure, new)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("rectification", "0006_measure_unfinished_warnings_index"),
    ]

    operations = [
        migrations.RunPython(_swap(AS_IN_0006, COVERING_ON_SQLITE), _swap(COVERING_ON_SQLITE, AS_IN_0006)),
    ]
