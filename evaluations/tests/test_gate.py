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


def test_it_lets_the_unit_advance_once_its_round_is_closed_and_tallied(
    close_round, cast, campaign, open_round, vote, office
):
    from campaigns.services import participant_advance
    from evaluations.services import evaluation_tally

    ev, codes = open_round()
    a, b = list(ev.targets.all())
    for code in codes["党员"]:
        vote(ev, code, {a: "满意", b: "满意"})
    p = CampaignUnit.objects.get(campaign=campaign, unit=cast.dept_a)
    CampaignUnit.objects.filter(pk=p.pk).update(stage=Stage.EVALUATION)
    p.refresh_from_db()
    close_round(ev)
    assert "尚未结束计票" in gate_blockers(p)[0]
    evaluation_tally(actor=office, evaluation=ev)
    assert gate_blockers(p) == []
    assert participant_advance(actor=office, participant=p).stage == Stage.RECTIFICATION
