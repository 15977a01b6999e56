from accountability.models import MeasureType


def test_it_seeds_the_configurable_measures(db):
    names = list(MeasureType.objects.values_list("name", flat=True))
    assert names[:3] == ["责令书面检查", "通报批评", "诫勉谈话"] and "辞退" in names and len(names) == 9
    blocking = set(MeasureType.objects.filter(blocks_commendation=True).values_list("name", flat=True))
    assert {"通报批评", "诫勉谈话", "取消评优评先资格"} <= blocking
    assert "责令书面检查" not in blocking
