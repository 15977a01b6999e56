"""Seed the configurable list of accountability measures (see accountability/defaults.py)."""

from django.db import migrations

from accountability.defaults import DEFAULT_MEASURES


def seed(apps, schema_editor):
    MeasureType = apps.get_model("accountability", "MeasureType")
    for i, (name, blocks) in enumerate(DEFAULT_MEASURES, start=1):
        MeasureType.objects.get_or_create(name=name, defaults={"blocks_commendation": blocks, "sort_order": i * 10})


def unseed(apps, schema_editor):
    MeasureType = apps.get_model("accountability", "MeasureType")
    MeasureType.objects.filter(name__in=[m for m, _ in DEFAULT_MEASURES], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accountability", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
