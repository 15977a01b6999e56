from decimal import Decimal

import pytest

from accountability.models import AccountabilityCase
from campaigns.models import LookBack
from core.exceptions import ServiceError
from evaluations.models import Evaluation, EvaluationTarget
from evaluations.release import release, suppress
from evaluations.results import collect
from evaluations.services import evaluation_publish, evaluation_tally


def _targets(ev):
    return list(ev.targets.order_by("order"))


# (preset, grades for A on 6+6 ballots, grades for B, expected A passes, expected B passes)
CASES = {
    "satisfaction": (["满意"] * 8 + ["基本满意"] * 2 + ["不满意"] * 2, ["满意"] * 4 + ["不满意"] * 8, True, False),
    "four_level": (["好"] * 6 + ["较好"] * 2 + ["一般"] * 4, ["好"] * 3 + ["一般"] * 5 + ["差"] * 4, True, False),
    "competence": (
        ["优秀"] * 6 + ["称职"] * 4 + ["基本称职"] * 2,
        ["称职"] * 7 + ["基本称职"] * 3 + ["不称职"] * 2,
        True,
        False,
    ),
    "qualification": (["合格"] * 8 + ["基本合格"] * 4, ["合格"] * 7 + ["不合格"] * 5, True, False),
}


@pytest.mark.parametrize("preset", list(CASES))
def test_it_tallies_each_preset_and_applies_its_pass_rule(close_round, cast, open_round, vote, office, preset):
    grades_a, grades_b, a_passes, b_passes = CASES[preset]
    ev, codes = open_round(preset=preset)
    a, b = _targets(ev)
    all_codes = codes["党员"] + codes["群众"]
    for code, ga, gb in zip(all_codes, grades_a, grades_b, strict=True):
        vote(ev, code, {a: ga, b: gb})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    ev.refresh_from_db()
    a.refresh_from_db()
    b.refresh_from_db()
    assert ev.status == Evaluation.Status.TALLIED
    assert (a.result == "passed", b.result == "passed") == (a_passes, b_passes)
    data = collect(ev)
    row_a = data["targets"][0]
    labels = {g.pk: g.label for g in ev.grades.all()}
    n_items = len(row_a["items"])
    counted = {labels[k]: v // n_items for k, v in row_a["counts"].items()}
    assert counted == {g: grades_a.count(g) for g in set(grades_a)}
    assert row_a["valid_ballots"] == 12 and row_a["invalid_ballots"] == 0
    sat = sum(1 for g in grades_a if ev.grades.get(label=g).is_satisfied) / 12
    assert a.satisfaction == Decimal(sat).quantize(Decimal("0.0001"))
    assert b.fail_reasons
    # nothing happens to the failing target before the results are published
    assert not LookBack.objects.filter(source_ref=f"evaluations.evaluationtarget:{b.pk}").exists()
    evaluation_publish(actor=office, evaluation=ev)
    # the failing target opened a look-back (dept_b takes part in the campaign)
    lb = LookBack.objects.get(source_ref=f"evaluations.evaluationtarget:{b.pk}")
    assert lb.participant.unit == cast.dept_b and lb.person is None
    assert not LookBack.objects.filter(source_ref=f"evaluations.evaluationtarget:{a.pk}").exists()


def test_it_proposes_an_accountability_case_only_where_the_round_says_so(close_round, cast, open_round, vote, office):
    ev, codes = open_round(preset="competence", case_on_fail=True)
    a, b = _targets(ev)
    for code in codes["党员"] + codes["群众"]:
        vote(ev, code, {a: "称职", b: "不称职"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    assert not AccountabilityCase.objects.exists()  # not before the results are published
    evaluation_publish(actor=office, evaluation=ev)
    case = AccountabilityCase.objects.get(trigger="evaluation_failed")
    assert case.person == cast.head_b and case.unit == cast.dept_b
    assert case.status == AccountabilityCase.Status.PROPOSED  # 待研判: the deciding office takes it up or not


def test_it_makes_no_case_when_the_round_does_not_say_so(close_round, open_round, vote, office):
    ev, codes = open_round(preset="competence")
    a, b = _targets(ev)
    for code in codes["党员"] + codes["群众"]:
        vote(ev, code, {a: "称职", b: "不称职"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    evaluation_publish(actor=office, evaluation=ev)
    assert not AccountabilityCase.objects.exists()
    assert EvaluationTarget.objects.get(pk=b.pk).result == "failed"


def test_it_weights_the_score_by_group(close_round, open_round, vote, office):
    ev, codes = open_round(
        preset="satisfaction",
        groups=(("党员", 10, 5, 3), ("群众", 10, 5, 1)),
        score_method="group_weighted",
        pass_min_score=Decimal(50),
        pass_min_satisfaction=None,
    )
    a, b = _targets(ev)
    for code in codes["党员"]:
        vote(ev, code, {a: "满意", b: "不满意"})
    for code in codes["群众"]:
        vote(ev, code, {a: "不满意", b: "满意"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.score == Decimal("75.00") and a.result == "passed"  # (3×100 + 1×0) / 4
    assert b.score == Decimal("25.00") and b.result == "failed"
    assert a.satisfaction == Decimal("0.5000")


def test_it_does_not_count_dont_know_as_a_valid_vote(close_round, open_round, vote, office):
    ev, codes = open_round(preset="satisfaction", include_unknown=True)
    a, b = _targets(ev)
    all_codes = codes["党员"] + codes["群众"]
    for i, code in enumerate(all_codes):
        vote(ev, code, {a: "满意" if i < 8 else "不了解", b: "不满意" if i < 3 else "满意"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    row = collect(ev)["targets"][0]
    assert row["valid_ballots"] == 8 and row["invalid_ballots"] == 4
    assert row["satisfaction"] == Decimal("1.0000")


def test_it_refuses_to_tally_an_open_round(open_round, office):
    ev, _codes = open_round()
    with pytest.raises(ServiceError):
        evaluation_tally(actor=office, evaluation=ev)


def test_it_hides_groups_below_the_minimum_and_cannot_be_undone_by_subtraction():
    assert suppress({1: 10, 2: 8, 3: 3}, 5) == ({1}, {2, 3})  # 3 alone is too small, the next smallest joins it
    assert suppress({1: 10, 2: 8, 3: 6}, 5) == ({1, 2, 3}, set())
    assert suppress({1: 3, 2: 3}, 5) == (set(), {1, 2})
    assert suppress({1: 2, 2: 3, 3: 9}, 5) == ({3}, {1, 2})
    assert suppress({1: 10, 2: 8, 3: 0}, 5) == ({1, 2}, set())  # a group with nothing hides nothing


def test_it_shows_a_small_group_only_merged(close_round, open_round, vote, office):
    ev, codes = open_round(
        groups=(("党员", 10, 5, 1), ("群众", 10, 5, 1), ("服务对象代表", 4, 0, 1)), codes_per_group=6
    )
    a, b = _targets(ev)
    for code in codes["党员"] + codes["群众"] + codes["服务对象代表"][:3]:
        vote(ev, code, {a: "满意", b: "满意"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    row = release(collect(ev))["targets"][0]
    names = [g["name"] for g in row["groups"]]
    assert "服务对象代表" not in names
    merged = [g for g in row["groups"] if g.get("merged")]
    assert len(merged) == 1 and merged[0]["valid"] == 9  # 3 of 服务对象代表 + the next smallest group (6)
    assert sum(g["valid"] for g in row["groups"]) == 15
