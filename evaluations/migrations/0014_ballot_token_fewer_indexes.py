# A spent code's row gets a new version with an entry in every index of the table (used_on is indexed, so the
# update is never HOT): two of its seven indexes served nothing. The round's foreign key is served by the
# (evaluation, used_on) index that starts with it, and the varchar_pattern_ops index PostgreSQL adds beside a
# unique CharField serves LIKE 'prefix%' searches, which no one makes on a code's hash.

from django.db import migrations, models


def _like_indexes(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cur:
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'evaluations_ballottoken' "
            "AND indexdef LIKE '%%varchar_pattern_ops%%'"
        )
        return [r[0] for r in cur.fetchall()]


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _like_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or _like_indexes(schema_editor):
        return
    schema_editor.execute(
        "CREATE INDEX evaluations_ballottoken_code_hash_like ON evaluations_ballottoken (code_hash varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0013_ballot_answer_by_grade"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ballottoken",
            name="evaluation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="tokens",
                to="evaluations.evaluation",
            ),
        ),
        migrations.RunPython(drop_like_index, create_like_index),
    ]
