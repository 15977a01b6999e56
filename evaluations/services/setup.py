"""Setting up a round: scale presets, items, evaluator groups, targets, the pass rule; opening it."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from ..fractions_text import fraction_parse
from ..models import Evaluation, EvaluationItem, EvaluationTarget, EvaluatorGroup, Grade, PassRule, ScalePreset
from ..sealing import RoundKey, fingerprint


@dataclass(frozen=True)
class GradeSpec:
    label: str  # English msgid, stored translated into the institution's language
    score: Decimal | None
    satisfied: bool = False
    low: bool = False
    valid: bool = True


SCALE_PRESETS: dict[str, list[GradeSpec]] = {
    ScalePreset.SATISFACTION: [
        GradeSpec(gettext_noop("Satisfied"), Decimal(100), satisfied=True),
        GradeSpec(gettext_noop("Basically satisfied"), Decimal(60), satisfied=True),
        GradeSpec(gettext_noop("Dissatisfied"), Decimal(0), low=True),
    ],
    ScalePreset.FOUR_LEVEL: [
        GradeSpec(gettext_noop("Good"), Decimal(100), satisfied=True),
        GradeSpec(gettext_noop("Fairly good"), Decimal(80), satisfied=True),
        GradeSpec(gettext_noop("Average"), Decimal(60)),
        GradeSpec(gettext_noop("Poor"), Decimal(0), low=True),
    ],
    ScalePreset.COMPETENCE: [
        GradeSpec(gettext_noop("Excellent"), Decimal(100), satisfied=True),
        GradeSpec(gettext_noop("Competent"), Decimal(80), satisfied=True),
        GradeSpec(gettext_noop("Basically competent"), Decimal(60), low=True),
        GradeSpec(gettext_noop("Incompetent"), Decimal(0), low=True),
    ],
    ScalePreset.QUALIFICATION: [
        GradeSpec(gettext_noop("Excellent"), Decimal(100), satisfied=True),
        GradeSpec(gettext_noop("Qualified"), Decimal(80), satisfied=True),
        GradeSpec(gettext_noop("Basically qualified"), Decimal(60), low=True),
        GradeSpec(gettext_noop("Unqualified"), Decimal(0), low=True),
    ],
    ScalePreset.CUSTOM: [],
}
UNKNOWN_GRADE = GradeSpec(gettext_noop("Don't know"), None, valid=False)

# The default pass rule of each preset, exact: (minimum satisfaction, lowest grades may not exceed,
# minimum score). Each becomes a PassRule of the round.
PRESET_RULES: dict[str, tuple[Fraction | None, Fraction | None, Fraction | None]] = {
    ScalePreset.SATISFACTION: (Fraction(3, 5), None, None),
    ScalePreset.FOUR_LEVEL: (Fraction(3, 5), None, None),
    ScalePreset.COMPETENCE: (None, Fraction(1, 3), None),  # 基本称职 + 不称职 above one third fails
    ScalePreset.QUALIFICATION: (None, Fraction(1, 3), None),
    ScalePreset.CUSTOM: (None, None, None),
}

# What is rated (plan §5)
DEFAULT_ITEMS: list[tuple[str, str]] = [
    (gettext_noop("Accuracy of the problems found"), EvaluationItem.AppliesTo.UNIT),
    (gettext_noop("Effectiveness of the democratic life meeting"), EvaluationItem.AppliesTo.UNIT),
    (gettext_noop("The unit's self-inspection and rectification measures"), EvaluationItem.AppliesTo.UNIT),
    (gettext_noop("The individual's own self-inspection and rectification measures"), EvaluationItem.AppliesTo.PERSON),
]

# Who rates (plan §5)
DEFAULT_GROUPS: list[tuple[str, str]] = [
    (EvaluatorGroup.Kind.PARTY_MEMBERS, gettext_noop("Party members")),
    (EvaluatorGroup.Kind.STAFF, gettext_noop("Masses / staff")),
    (EvaluatorGroup.Kind.GRASSROOTS, gettext_noop("Grassroots unit representatives")),
    (EvaluatorGroup.Kind.SERVICE_USERS, gettext_noop("Service-user representatives")),
]

_PRESET_DEFAULT = object()


def _stored(msgid: str) -> str:
    """Data shown to voters is stored in the institution's language (Chinese), whatever the UI language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(msgid)


def _require_draft(evaluation: Evaluation) -> None:
    evaluation.refresh_from_db(fields=["status"])
    if evaluation.status != Evaluation.Status.DRAFT:
        raise ServiceError(_("The round can only be changed while it is being prepared."))


@transaction.atomic
def evaluation_create(
    *,
    actor,
    campaign,
    name: str,
    kind: str = Evaluation.Kind.EVALUATION,
    scale_preset: str = ScalePreset.SATISFACTION,
    include_unknown: bool = False,
    custom_grades: list[dict] | None = None,
    items: list | None = None,
    groups: list[dict] | None = None,
    opens_on=None,
    closes_on=None,
    min_group_size_shown: int = 5,
    pass_min_satisfaction=_PRESET_DEFAULT,
    fail_low_share_above=_PRESET_DEFAULT,
    pass_min_score=_PRESET_DEFAULT,
    case_on_fail: bool = False,
    score_method: str = Evaluation.ScoreMethod.PLAIN,
) -> Evaluation:
    """Create a round (draft) of `campaign` with the preset's grades and pass rule.

    Who may call: the campaign office (views check Perm.EVALUATION_MANAGE); other apps' services
    (rectification's commitment assessment). `items`: list of texts or (text, applies_to); default the
    plan's §5 items. `groups`: list of {kind, name, planned, minimum, weight}; default the four §5
    groups with no quota yet. `custom_grades` (for the custom preset, or to replace a preset's grades):
    list of {label, score, satisfied, low, valid}. Pass-rule thresholds (exact: a Fraction, Decimal or
    text such as "1/3") default to the preset's rule and become the round's rules; `case_on_fail`:
    they propose an accountability case when they hold.
    """
    if scale_preset not in ScalePreset.values:
        raise ServiceError(_("Unknown scale."))
    if scale_preset == ScalePreset.CUSTOM and not custom_grades:
        raise ServiceError(_("A custom scale needs at least two grades."))
    rule = PRESET_RULES[scale_preset]
    evaluation = Evaluation.objects.create(
        campaign=campaign,
        name=name,
        kind=kind,
        scale_preset=scale_preset,
        opens_on=opens_on,
        closes_on=closes_on,
        min_group_size_shown=min_group_size_shown,
        score_method=score_method,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if custom_grades:
        grades = [
            Grade(
                evaluation=evaluation,
                label=g["label"],
                order=i,
                score=g.get("score"),
                is_satisfied=g.get("satisfied", False),
                is_low=g.get("low", False),
                is_valid=g.get("valid", True),
            )
            for i, g in enumerate(custom_grades)
        ]
        if sum(1 for g in grades if g.is_valid) < 2:
            raise ServiceError(_("A custom scale needs at least two grades."))
    else:
        specs = SCALE_PRESETS[scale_preset] + ([UNKNOWN_GRADE] if include_unknown else [])
        grades = [
            Grade(
                evaluation=evaluation,
                label=_stored(s.label),
                order=i,
                score=s.score,
                is_satisfied=s.satisfied,
                is_low=s.low,
                is_valid=s.valid,
            )
            for i, s in enumerate(specs)
        ]
    Grade.objects.bulk_create(grades)
    thresholds = [
        rule[i] if given is _PRESET_DEFAULT else fraction_parse(given)
        for i, given in enumerate((pass_min_satisfaction, fail_low_share_above, pass_min_score))
    ]
    _preset_rules(evaluation, thresholds, proposes_case=case_on_fail)
    if items is None:
        if kind == Evaluation.Kind.ASSESSMENT:
            items = [(_stored(t), a) for t, a in DEFAULT_ITEMS if a == EvaluationItem.AppliesTo.PERSON]
        else:
            items = [(_stored(t), a) for t, a in DEFAULT_ITEMS]
    EvaluationItem.objects.bulk_create(
        [
            EvaluationItem(
                evaluation=evaluation,
                text=it if isinstance(it, str) else it[0],
                applies_to=EvaluationItem.AppliesTo.ALL if isinstance(it, str) else it[1],
                order=i,
            )
            for i, it in enumerate(items)
        ]
    )
    if groups is None:
        groups = [{"kind": k, "name": _stored(n)} for k, n in DEFAULT_GROUPS]
    EvaluatorGroup.objects.bulk_create(
        [
            EvaluatorGroup(
                evaluation=evaluation,
                kind=g.get("kind", EvaluatorGroup.Kind.CUSTOM),
                name=g["name"],
                planned=g.get("planned", 0),
                minimum=g.get("minimum", 0),
                weight=g.get("weight", 1),
                entitled=g.get("entitled"),
                order=i,
            )
            for i, g in enumerate(groups)
        ]
    )
    audit_record(
        actor=actor,
        action="evaluation.create",
        obj=evaluation,
        unit=campaign.institution,
        changes={"name": name, "kind": kind, "scale": scale_preset, "grades": [g.label for g in grades]},
    )
    return evaluation


def _preset_rules(evaluation: Evaluation, thresholds: list, *, proposes_case: bool) -> None:
    """The classic pass rule as rules: satisfaction below the minimum, lowest grades above the most,
    score below the minimum; each fails the target."""
    grades = list(Grade.objects.filter(evaluation=evaluation, is_valid=True))
    specs = [
        (PassRule.Measure.SHARE, [g for g in grades if g.is_satisfied], PassRule.Comparison.LT, thresholds[0]),
        (PassRule.Measure.SHARE, [g for g in grades if g.is_low], PassRule.Comparison.GT, thresholds[1]),
        (PassRule.Measure.SCORE, [], PassRule.Comparison.LT, thresholds[2]),
    ]
    for measure, chosen, op, value in specs:
        if value is None or (measure == PassRule.Measure.SHARE and not chosen):
            continue
        rule = PassRule.objects.create(
            evaluation=evaluation,
            measure=measure,
            comparison=op,
            threshold_num=value.numerator,
            threshold_den=value.denominator,
            fails=True,
            proposes_case=proposes_case,
            order=evaluation.rules.count(),
        )
        rule.grades.set(chosen)


@transaction.atomic
def target_add(*, actor, evaluation: Evaluation, kind: str, unit, person=None) -> EvaluationTarget:
    """Add what is rated: a unit's work, a leadership team or a person (while the round is prepared).
    Adding the same target twice returns the existing one."""
    _require_draft(evaluation)
    if kind == EvaluationTarget.Kind.PERSON and person is None:
        raise ServiceError(_("Choose the person to be assessed."))
    if kind != EvaluationTarget.Kind.PERSON:
        person = None
    inst = evaluation.campaign.institution
    if not unit.path.startswith(inst.path):
        raise ServiceError(_("The unit does not belong to this institution."))
    existing = EvaluationTarget.objects.filter(evaluation=evaluation, kind=kind, unit=unit, person=person).first()
    if existing:
        return existing
    target = EvaluationTarget.objects.create(
        evaluation=evaluation, kind=kind, unit=unit, person=person, order=evaluation.targets.count()
    )
    audit_record(
        actor=actor,
        action="evaluation.target_add",
        obj=evaluation,
        unit=unit,
        changes={"target": str(target), "kind": kind},
    )
    return target


@transaction.atomic
def target_remove(*, actor, target: EvaluationTarget) -> None:
    _require_draft(target.evaluation)
    audit_record(
        actor=actor,
        action="evaluation.target_remove",
        obj=target.evaluation,
        unit=target.unit,
        changes={"target": str(target)},
    )
    target.delete()


@transaction.atomic
def item_save(
    *,
    actor,
    evaluation: Evaluation,
    text: str,
    applies_to: str,
    is_overall: bool = False,
    item: EvaluationItem | None = None,
):
    """Add an item, or change one (while the round is prepared). An overall item (总体评价) is what the
    target's result counts; a target kind has at most one."""
    _require_draft(evaluation)
    text = text.strip()
    if not text:
        raise ServiceError(_("The item needs a text."))
    if is_overall:
        others = evaluation.items.filter(is_overall=True).exclude(pk=item.pk if item else None)
        probe = EvaluationItem(applies_to=applies_to)
        for kind in ("unit_work", "team", "person"):
            if probe.applies(kind) and any(o.applies(kind) for o in others):
                raise ServiceError(_("Another item is already the overall grade for these targets."))
    if item is None:
        item = EvaluationItem.objects.create(
            evaluation=evaluation,
            text=text,
            applies_to=applies_to,
            is_overall=is_overall,
            order=evaluation.items.count(),
        )
        changes = {"item": text, "is_overall": is_overall}
    else:
        changes = {
            "text": [item.text, text],
            "applies_to": [item.applies_to, applies_to],
            "is_overall": [item.is_overall, is_overall],
        }
        item.text, item.applies_to, item.is_overall = text, applies_to, is_overall
        item.save(update_fields=["text", "applies_to", "is_overall"])
    audit_record(actor=actor, action="evaluation.item_save", obj=evaluation, unit=evaluation.unit, changes=changes)
    return item


@transaction.atomic
def item_delete(*, actor, item: EvaluationItem) -> None:
    evaluation = item.evaluation
    _require_draft(evaluation)
    if evaluation.items.count() <= 1:
        raise ServiceError(_("A round needs at least one item."))
    audit_record(
        actor=actor, action="evaluation.item_delete", obj=evaluation, unit=evaluation.unit, changes={"item": item.text}
    )
    item.delete()


@transaction.atomic
def grade_save(*, actor, evaluation: Evaluation, grade: Grade | None = None, **fields) -> Grade:
    """Add or change a grade (label, score, is_valid, is_satisfied, is_low) while the round is prepared."""
    _require_draft(evaluation)
    if not (fields.get("label") or (grade and grade.label)).strip():
        raise ServiceError(_("The grade needs a name."))
    if grade is None:
        grade = Grade.objects.create(evaluation=evaluation, order=evaluation.grades.count(), **fields)
        changes = {"grade": grade.label}
    else:
        changes = {k: [getattr(grade, k), v] for k, v in fields.items() if getattr(grade, k) != v}
        for k, v in fields.items():
            setattr(grade, k, v)
        grade.save(update_fields=list(fields))
    if evaluation.scale_preset != ScalePreset.CUSTOM:
        Evaluation.objects.filter(pk=evaluation.pk).update(scale_preset=ScalePreset.CUSTOM)
        evaluation.scale_preset = ScalePreset.CUSTOM
    audit_record(actor=actor, action="evaluation.grade_save", obj=evaluation, unit=evaluation.unit, changes=changes)
    return grade


@transaction.atomic
def grade_delete(*, actor, grade: Grade) -> None:
    evaluation = grade.evaluation
    _require_draft(evaluation)
    if evaluation.grades.filter(is_valid=True).exclude(pk=grade.pk).count() < 2:
        raise ServiceError(_("A scale needs at least two grades."))
    audit_record(
        actor=actor,
        action="evaluation.grade_delete",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"grade": grade.label},
    )
    grade.delete()
    Evaluation.objects.filter(pk=evaluation.pk).update(scale_preset=ScalePreset.CUSTOM)


@transaction.atomic
def group_save(
    *,
    actor,
    evaluation: Evaluation,
    name: str,
    kind: str = EvaluatorGroup.Kind.CUSTOM,
    planned: int = 0,
    minimum: int = 0,
    weight=1,
    entitled: int | None = None,
    counted_apart: bool = False,
    group: EvaluatorGroup | None = None,
) -> EvaluatorGroup:
    """Add or change an evaluator group: its planned number of ballots, minimum, weight and how many
    are entitled to take part (应参评人数, for the least participation; empty: the ballots issued)."""
    _require_draft(evaluation)
    if minimum > planned:
        raise ServiceError(
            _("The planned number of ballots (%(planned)s) is below the minimum (%(minimum)s).")
            % {"planned": planned, "minimum": minimum}
        )
    if Decimal(weight) < 0:
        raise ServiceError(_("A weight cannot be negative."))
    values = {
        "name": name.strip(),
        "kind": kind,
        "planned": planned,
        "minimum": minimum,
        "weight": Decimal(weight),
        "entitled": entitled,
        "counted_apart": counted_apart,
    }
    if group is None:
        group = EvaluatorGroup.objects.create(evaluation=evaluation, order=evaluation.groups.count(), **values)
        changes = {"group": group.name, "planned": planned, "minimum": minimum, "weight": str(weight)}
    else:
        changes = {k: [getattr(group, k), v] for k, v in values.items() if getattr(group, k) != v}
        for k, v in values.items():
            setattr(group, k, v)
        group.save(update_fields=list(values))
    audit_record(actor=actor, action="evaluation.group_save", obj=evaluation, unit=evaluation.unit, changes=changes)
    return group


@transaction.atomic
def group_delete(*, actor, group: EvaluatorGroup) -> None:
    evaluation = group.evaluation
    _require_draft(evaluation)
    if group.tokens.exists() or group.paper_issued:
        raise ServiceError(_("Ballots were already issued to this group; it cannot be removed."))
    audit_record(
        actor=actor,
        action="evaluation.group_delete",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"group": group.name},
    )
    group.delete()


@transaction.atomic
def rule_update(
    *,
    actor,
    evaluation: Evaluation,
    min_group_size_shown: int,
    opens_on=None,
    closes_on=None,
    score_method: str | None = None,
    participation=None,
    participation_strict: bool = True,
    participation_per_group: bool = True,
    rank_top: int = 0,
    rank_bottom: int = 0,
    cap_grade=None,
    cap_percent: int | None = None,
    ask_strengths: bool = False,
    ask_weaknesses: bool = False,
    ask_suggestions: bool = False,
) -> Evaluation:
    """Change how the round counts (score method, least participation as an exact share of those
    entitled, the ranking's marks), the cap on a grade a voter may give (e.g. at most 30% 优秀 per
    question), the free-text fields of the ballot, and its dates, while it is prepared. The office's
    page calls it."""
    _require_draft(evaluation)
    participation = fraction_parse(participation)
    if participation is not None and not 0 < participation <= 1:
        raise ServiceError(_("The least participation must be a share between 0 and 1 (for example 1/2)."))
    if min_group_size_shown < 1:
        raise ServiceError(_("The smallest group shown must be at least 1."))
    if opens_on and closes_on and closes_on < opens_on:
        raise ServiceError(_("The round cannot close before it opens."))
    values = {
        "min_group_size_shown": min_group_size_shown,
        "opens_on": opens_on,
        "closes_on": closes_on,
        "participation_num": participation.numerator if participation is not None else None,
        "participation_den": participation.denominator if participation is not None else None,
        "participation_strict": participation_strict,
        "participation_per_group": participation_per_group,
        "rank_top": rank_top or 0,
        "rank_bottom": rank_bottom or 0,
        "cap_grade": cap_grade,
        "cap_percent": cap_percent if cap_grade is not None else None,
        "ask_strengths": ask_strengths,
        "ask_weaknesses": ask_weaknesses,
        "ask_suggestions": ask_suggestions,
    }
    if cap_grade is not None and (cap_grade.evaluation_id != evaluation.pk or not cap_grade.is_valid):
        raise ServiceError(_("The capped grade must be a grade of this round."))
    if cap_grade is not None and not (cap_percent and 1 <= cap_percent <= 100):
        raise ServiceError(_("Give the cap as a percentage between 1 and 100."))
    if score_method is not None:
        if score_method not in Evaluation.ScoreMethod.values:
            raise ServiceError(_("Choose how the score is computed."))
        values["score_method"] = score_method
    changes = {k: [getattr(evaluation, k), v] for k, v in values.items() if getattr(evaluation, k) != v}
    if "cap_grade" in changes:
        changes["cap_grade"] = [g.label if g else None for g in changes["cap_grade"]]
    for k, v in values.items():
        setattr(evaluation, k, v)
    evaluation.save(update_fields=list(values))
    audit_record(actor=actor, action="evaluation.rule_update", obj=evaluation, unit=evaluation.unit, changes=changes)
    return evaluation


@transaction.atomic
def pass_rule_add(
    *,
    actor,
    evaluation: Evaluation,
    measure: str,
    grades,
    comparison: str,
    threshold,
    outcome: str = "",
    fails: bool = True,
    proposes_case: bool = False,
) -> PassRule:
    """Add a rule on the round's ballots (while it is prepared). A share rule counts the chosen valid
    grades among the valid answers and its threshold is a share (0 < t ≤ 1); a score rule compares the
    score the round counts. The threshold is kept as an exact fraction. A rule must do something: fail
    the target, propose a case, or name its consequence."""
    _require_draft(evaluation)
    value = fraction_parse(threshold)
    if value is None:
        raise ServiceError(_("The threshold must be a number or a fraction."))
    if measure not in PassRule.Measure.values or comparison not in PassRule.Comparison.values:
        raise ServiceError(_("Choose the measure and the comparison."))
    chosen = [g for g in grades if g.evaluation_id == evaluation.pk and g.is_valid]
    if measure == PassRule.Measure.SHARE:
        if not chosen:
            raise ServiceError(_("Choose the grades the rule counts."))
        if not 0 <= value <= 1:
            raise ServiceError(_("A share must lie between 0 and 1 (for example 1/3 or 60%)."))
    else:
        chosen = []
    outcome = (outcome or "").strip()[:60]
    if not (fails or proposes_case or outcome):
        raise ServiceError(_("Say what follows when the rule holds."))
    rule = PassRule.objects.create(
        evaluation=evaluation,
        measure=measure,
        comparison=comparison,
        threshold_num=value.numerator,
        threshold_den=value.denominator,
        outcome=outcome,
        fails=fails,
        proposes_case=proposes_case,
        order=evaluation.rules.count(),
    )
    rule.grades.set(chosen)
    audit_record(
        actor=actor,
        action="evaluation.rule_add",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"rule": rule.text(chosen), "consequence": rule.consequence(), "proposes_case": proposes_case},
    )
    return rule


@transaction.atomic
def pass_rule_delete(*, actor, rule: PassRule) -> None:
    evaluation = rule.evaluation
    _require_draft(evaluation)
    audit_record(
        actor=actor,
        action="evaluation.rule_delete",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"rule": rule.text(), "consequence": rule.consequence()},
    )
    rule.delete()


def open_blockers(evaluation: Evaluation) -> list[str]:
    """Why the round cannot open yet (each a sentence for the office); empty when it can."""
    from django.db.models import Count

    blockers = []
    if not evaluation.targets.exists():
        blockers.append(_("Nothing is being evaluated yet: add at least one target."))
    if not evaluation.items.exists():
        blockers.append(_("The round has no items."))
    if evaluation.grades.filter(is_valid=True).count() < 2:
        blockers.append(_("The scale needs at least two valid grades."))
    groups = evaluation.groups.annotate(codes=Count("tokens"))
    if not groups:
        blockers.append(_("The round has no evaluator groups."))
    for g in groups:
        issued = g.codes + g.paper_issued
        if g.planned < g.minimum:
            blockers.append(
                _("Group “%(group)s”: %(planned)s ballots planned, below its minimum of %(minimum)s.")
                % {"group": g.name, "planned": g.planned, "minimum": g.minimum}
            )
        elif issued < g.minimum:
            blockers.append(
                _(
                    "Group “%(group)s”: only %(issued)s ballots issued (codes and paper), below its minimum of %(minimum)s."
                )
                % {"group": g.name, "issued": issued, "minimum": g.minimum}
            )
    if not any(g.codes + g.paper_issued for g in groups):
        blockers.append(_("No ballot codes or paper ballots have been issued."))
    return blockers


@transaction.atomic
def evaluation_open(*, actor, evaluation: Evaluation) -> tuple[Evaluation, RoundKey]:
    """Open the round for voting; refused with every reason while a group is below its minimum.

    Makes the round's key pair: the public key is stored (ballots are sealed with it), the private
    key is returned and never stored. The caller gives it to the evaluation committee at once (the
    view prints the key sheet, whole or as three shares) and forgets it; closing needs it back.
    """
    blockers = open_blockers(evaluation)
    if blockers:
        raise ServiceError(_("The round cannot open yet."), details=blockers)
    today = timezone.localdate()
    key = RoundKey.new()
    updated = Evaluation.objects.filter(pk=evaluation.pk, status=Evaluation.Status.DRAFT).update(
        status=Evaluation.Status.OPEN,
        opens_on=evaluation.opens_on or today,
        public_key=key.public,
        key_fingerprint=fingerprint(key.public),
    )
    if not updated:
        raise Conflict(_("Only a round being prepared can be opened."))
    evaluation.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.open",
        obj=evaluation,
        unit=evaluation.unit,
        changes={
            "status": [Evaluation.Status.DRAFT, Evaluation.Status.OPEN],
            "codes": evaluation.tokens.count(),
            "key": evaluation.key_fingerprint,
        },
    )
    return evaluation, key
