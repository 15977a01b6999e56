from campaigns.gates import gate_blockers
from campaigns.models import CampaignUnit, Stage


def test_it_blocks_a_unit_in_evaluation_without_a_tallied_round(cast, campaign, make_round):
    p = CampaignUnit.objects.get(campaign=campaign, unit=cast.dept_a)
    CampaignUnit.objects.filter(pk=p.pk).update(stage=Stage.EVALUATION)
    p.refresh_from_db()
    assert any("教务处" in b for b in gate_blockers(p))
    make_round()
    blockers = gate_blockers(p)
    assert len(blockers) == 1 and "尚未结束计票" in blockers[0]
