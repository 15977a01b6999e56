# A leader's measures by a partial index of the measures that name one (WHERE responsible_leader_id IS NOT NULL),
# instead of the foreign key's plain index. Most measures name no leader; SQLite's statistics of the plain index
# (sqlite_stat1) then count all the NULLs as one key shared by every measure, so the planner took any leader to
# lead every measure and read the whole table for `responsible_leader_id = ?` (the measures page's plans did, for
# any user with a person: 30,000 measures at a tenth of a city). `= ?` implies IS NOT NULL, so both SQLite and
# PostgreSQL use the partial index for it.
#
# The old index is dropped by name, not by AlterField: on SQLite AlterField remakes the whole table, which would
# also remake the warnings index without the covering columns that 0007 gives it there.

import django.db.models.deletion
from django.db import migrations, models

FK_INDEX = "rectification_measure_responsible_leader_id_b5c04478"  # Django's name for the key's index (0002)


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_person_name_trgm"),
        ("rectification", "0008_measures_board_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="measure",
                    name="responsible_leader",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orgs.person",
                        verbose_name="responsible leader",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{FK_INDEX}"',
                    f'CREATE INDEX "{FK_INDEX}" ON "rectification_measure" ("responsible_leader_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="measure",
            index=models.Index(
                condition=models.Q(("responsible_leader__isnull", False)),
                fields=["responsible_leader"],
                name="measure_responsible_leader",
            ),
        ),
    ]
