# The grade's own index replaced by (grade, item, target, ballot): it still serves the grade's foreign
# key, and the tally reads a round's non-vote answers from it alone (results._all_non_votes).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0012_ballot_round_group_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ballotanswer",
            index=models.Index(fields=["grade", "item", "target", "ballot"], name="ballot_answer_by_grade"),
        ),
        migrations.AlterField(
            model_name="ballotanswer",
            name="grade",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="answers",
                to="evaluations.grade",
            ),
        ),
    ]
