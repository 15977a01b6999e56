import pytest
from django.contrib.auth.models import Group
from django.db.models import F

from core.idlists import InIds


@pytest.mark.django_db
def test_in_ids_reads_the_same_rows_as_in():
    groups = Group.objects.bulk_create(Group(name=f"g{i}") for i in range(30))
    keys = [g.pk for g in groups]
    wanted = keys[::3] + [max(keys) + 1000]  # one key no row has

    found = set(Group.objects.filter(InIds(F("pk"), wanted)).values_list("name", flat=True))

    assert found == set(Group.objects.filter(pk__in=wanted).values_list("name", flat=True))
    assert found == {f"g{i}" for i in range(0, 30, 3)}


@pytest.mark.django_db
def test_in_ids_of_no_keys_reads_nothing_and_combines_with_other_terms():
    groups = Group.objects.bulk_create(Group(name=f"g{i}") for i in range(5))

    assert not Group.objects.filter(InIds(F("pk"), [])).exists()
    assert list(
        Group.objects.filter(InIds(F("pk"), [g.pk for g in groups]), name__in=["g1", "g4"])
        .order_by("name")
        .values_list("name", flat=True)
    ) == ["g1", "g4"]


@pytest.mark.django_db
def test_in_ids_takes_only_integers():
    with pytest.raises((ValueError, TypeError)):
        list(Group.objects.filter(InIds(F("pk"), ["1); DROP TABLE auth_group; --"])))
    assert Group.objects.model._meta.db_table == "auth_group"
