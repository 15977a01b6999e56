from fractions import Fraction

import pytest

from audit.models import AuditRecord
from core.exceptions import ServiceError
from evaluations.models import Evaluation, EvaluationItem, EvaluationTarget, Grade, ScalePreset
from evaluations.services import evaluation_create, evaluation_open, group_save, open_blockers, target_add

PRESET_LABELS = {
    ScalePreset.SATISFACTION: ["满意", "基本满意", "不满意"],
    ScalePreset.FOUR_LEVEL: ["好", "较好", "一般", "差"],
    ScalePreset.COMPETENCE: ["优秀", "称职", "基本称职", "不称职"],
    ScalePreset.QUALIFICATION: ["优秀", "合格", "基本合格", "不合格"],
}


@pytest.mark.parametrize("preset", list(PRESET_LABELS))
def test_it_creates_a_round_with_the_presets_grades_items_and_groups(cast, campaign, office, preset):
    ev = evaluation_create(actor=office, campaign=campaign, name="评议", kind="evaluation", scale_preset=preset)
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.DRAFT
    assert [g.label for g in ev.grades.all()] == PRESET_LABELS[preset]
    assert all(g.is_valid for g in ev.grades.all())
    assert [i.text for i in ev.items.all()] == [
        "查找问题的准确性",
        "民主生活会的实效性",
        "单位自查整改措施",
        "个人自查整改措施",
    ]
    assert [g.name for g in ev.groups.all()] == ["党员", "群众/教职工", "基层单位代表", "服务对象代表"]
    assert AuditRecord.objects.filter(action="evaluation.create", object_id=str(ev.pk)).exists()


def test_it_adds_dont_know_as_an_invalid_grade(campaign, office):
    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="评议",
        kind="evaluation",
        scale_preset="satisfaction",
        include_unknown=True,
    )
    unknown = ev.grades.get(label="不了解")
    assert not unknown.is_valid and unknown.score is None


def test_it_sets_the_competence_rule_to_fail_above_one_third_of_lowest_grades(campaign, office):
    ev = evaluation_create(actor=office, campaign=campaign, name="测评", kind="assessment", scale_preset="competence")
    rule = ev.rules.get()  # exactly one third, not a rounding of it
    assert (rule.measure, rule.comparison, rule.threshold, rule.fails) == ("share", "gt", Fraction(1, 3), True)
    assert {g.label for g in rule.grades.all()} == {"基本称职", "不称职"}
    assert set(ev.grades.filter(is_low=True).values_list("label", flat=True)) == {"基本称职", "不称职"}
    # an individual assessment rates the individual's own measures only
    assert [i.applies_to for i in ev.items.all()] == [EvaluationItem.AppliesTo.PERSON]


def test_it_takes_custom_grades(campaign, office):
    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="评议",
        kind="evaluation",
        scale_preset="custom",
        custom_grades=[
            {"label": "认可", "score": 100, "satisfied": True},
            {"label": "不认可", "score": 0, "low": True},
        ],
    )
    assert list(ev.grades.values_list("label", "is_low")) == [("认可", False), ("不认可", True)]
    with pytest.raises(ServiceError):
        evaluation_create(actor=office, campaign=campaign, name="x", kind="evaluation", scale_preset="custom")


def test_it_adds_targets_once_and_only_inside_the_institution(cast, campaign, office):
    ev = evaluation_create(actor=office, campaign=campaign, name="评议", kind="evaluation", scale_preset="satisfaction")
    t1 = target_add(actor=office, evaluation=ev, kind="unit_work", unit=cast.dept_a)
    assert target_add(actor=office, evaluation=ev, kind="unit_work", unit=cast.dept_a) == t1
    p = target_add(actor=office, evaluation=ev, kind="person", unit=cast.dept_a, person=cast.head_a)
    assert p.person == cast.head_a and ev.targets.count() == 2
    with pytest.raises(ServiceError):
        target_add(actor=office, evaluation=ev, kind="unit_work", unit=cast.other_dept)
    with pytest.raises(ServiceError):
        target_add(actor=office, evaluation=ev, kind="person", unit=cast.dept_a)
    assert EvaluationTarget.objects.filter(evaluation=ev).count() == 2


def test_it_refuses_to_open_while_a_group_is_below_its_minimum(make_round, office):
    ev = make_round(groups=(("党员", 10, 5, 1),))
    blockers = open_blockers(ev)
    assert any("党员" in b and "5" in b for b in blockers)
    with pytest.raises(ServiceError) as e:
        evaluation_open(actor=office, evaluation=ev)
    assert e.value.details == blockers
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.DRAFT
    with pytest.raises(ServiceError):
        group_save(actor=office, evaluation=ev, name="群众", planned=3, minimum=5)


def test_it_opens_when_every_group_has_its_minimum(open_round):
    ev, codes = open_round()
    assert ev.status == Evaluation.Status.OPEN
    assert Grade.objects.filter(evaluation=ev).count() == 3
    assert sum(len(c) for c in codes.values()) == 12
