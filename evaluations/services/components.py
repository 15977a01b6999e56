"""The combined final score's parts and weights, and the values the office enters or imports per
target (issue #13, see evaluations/components.py). Locked once the results are published."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import ServiceError

from ..models import ComponentValue, Evaluation, ScoreComponent

HUNDRED = Decimal(100)


def _require_unpublished(evaluation: Evaluation) -> None:
    evaluation.refresh_from_db(fields=["status", "published_on"])
    if evaluation.published_on:
        raise ServiceError(_("The results are published: the combined score can no longer be changed."))
    if evaluation.status == Evaluation.Status.VOID:
        raise ServiceError(_("The round is void: it has no combined score."))


def _amount(v) -> str:
    return f"{Decimal(v).normalize():f}"


@transaction.atomic
def component_scheme_save(
    *, actor, evaluation: Evaluation, evaluation_name: str, evaluation_weight, evaluation_full_marks, parts: list[dict]
) -> list[ScoreComponent]:
    """Set the parts of the combined score at once: the evaluation's own score (its name, weight and
    full marks) and the parts the office enters (`parts`: [{"id": existing id or None, "name",
    "weight", "full_marks"}]). The weights must add up to exactly 100%. A part left out is removed
    with its values. With no part besides the evaluation (and no weight for it), the round has no
    combined score."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _require_unpublished(evaluation)
    before = {c.pk: c for c in evaluation.components.all()}
    if not parts and evaluation_weight in (None, ""):
        if before:
            audit_record(
                actor=actor,
                action="evaluation.components_save",
                obj=evaluation,
                unit=evaluation.unit,
                changes={"components": [_describe(before.values()), None]},
            )
            ComponentValue.objects.filter(component__evaluation=evaluation).delete()
            evaluation.components.all().delete()
        return []
    errors = []
    evaluation_name = (evaluation_name or "").strip() or _("Evaluation score")
    if evaluation_weight is None or not (0 < evaluation_weight <= HUNDRED):
        errors.append(_("Give the evaluation score a weight above 0% and at most 100%."))
    if evaluation_full_marks is None or evaluation_full_marks <= 0:
        errors.append(_("Give the full marks of the evaluation score (above 0)."))
    if not parts:
        errors.append(_("Add at least one score to combine with the evaluation score."))
    names = [evaluation_name]
    for p in parts:
        name = (p.get("name") or "").strip()
        if not name:
            errors.append(_("Each part needs a name."))
            continue
        if name in names:
            errors.append(_("Two parts are called “%(name)s”.") % {"name": name})
        names.append(name)
        p["name"] = name[:40]
        if p.get("weight") is None or not (0 < p["weight"] <= HUNDRED):
            errors.append(_("“%(name)s”: give a weight above 0% and at most 100%.") % {"name": name})
        if p.get("full_marks") is None or p["full_marks"] <= 0:
            errors.append(_("“%(name)s”: give the full marks (above 0).") % {"name": name})
        if p.get("id") and p["id"] not in before:
            errors.append(_("“%(name)s” is not a part of this round.") % {"name": name})
        elif p.get("id") and before[p["id"]].is_evaluation:
            errors.append(_("“%(name)s” is not a part of this round.") % {"name": name})
    if errors:
        raise ServiceError(_("The combined score was not saved."), details=errors)
    total = evaluation_weight + sum(p["weight"] for p in parts)
    if total != HUNDRED:
        raise ServiceError(
            _("The weights add up to %(total)s%%, not 100%%: nothing was saved.") % {"total": _amount(total)}
        )
    for p in parts:  # the values already entered must fit the new full marks
        if p.get("id"):
            over = ComponentValue.objects.filter(component_id=p["id"], value__gt=p["full_marks"]).count()
            if over:
                errors.append(
                    _("“%(name)s”: %(n)s value(s) already entered exceed the new full marks %(max)s.")
                    % {"name": p["name"], "n": over, "max": _amount(p["full_marks"])}
                )
    if errors:
        raise ServiceError(_("The combined score was not saved."), details=errors)
    old = _describe(before.values())
    kept = {p["id"] for p in parts if p.get("id")}
    removed = [c for pk, c in before.items() if pk not in kept and not c.is_evaluation]
    ComponentValue.objects.filter(component__in=removed).delete()
    ScoreComponent.objects.filter(pk__in=[c.pk for c in removed]).delete()
    own = next((c for c in before.values() if c.is_evaluation), None) or ScoreComponent(
        evaluation=evaluation, is_evaluation=True
    )
    # names are unique per round: park the kept ones first so that two parts may swap names
    for c in ScoreComponent.objects.filter(pk__in=kept | ({own.pk} if own.pk else set())):
        ScoreComponent.objects.filter(pk=c.pk).update(name=f"~{c.pk}")
    own.name, own.weight, own.full_marks, own.order = evaluation_name[:40], evaluation_weight, evaluation_full_marks, 0
    own.save()
    for i, p in enumerate(parts, start=1):
        c = before[p["id"]] if p.get("id") else ScoreComponent(evaluation=evaluation)
        c.name, c.weight, c.full_marks, c.order = p["name"], p["weight"], p["full_marks"], i
        c.save()
    now = list(evaluation.components.all())
    audit_record(
        actor=actor,
        action="evaluation.components_save",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"components": [old or None, _describe(now)], "removed": [c.name for c in removed]},
    )
    return now


def _describe(components) -> str:
    return "；".join(f"{c.name} {_amount(c.weight)}% / {_amount(c.full_marks)}" for c in components)


@transaction.atomic
def component_values_save(*, actor, evaluation: Evaluation, values: dict, source: str = "page") -> int:
    """Store the values the office entered or imported: `values` {(component id, target id): Decimal
    or None (no value: removes it)}. Every value is checked (0 to full marks, two decimals) before
    anything is stored; on a refusal nothing is. Returns how many values changed."""
    from ..components import value_problem

    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _require_unpublished(evaluation)
    components = {c.pk: c for c in evaluation.components.filter(is_evaluation=False)}
    targets = {t.pk: t for t in evaluation.targets.select_related("unit", "person")}
    errors = []
    for (cid, tid), v in values.items():
        if cid not in components or tid not in targets:
            raise ServiceError(_("The values do not belong to this round."))
        if v is not None:
            problem = value_problem(components[cid], v)
            if problem:
                errors.append(
                    _("%(target)s · %(component)s: %(problem)s")
                    % {"target": targets[tid], "component": components[cid].name, "problem": problem}
                )
    if errors:
        raise ServiceError(_("Nothing was saved."), details=errors)
    stored = {
        (v.component_id, v.target_id): v
        for v in ComponentValue.objects.filter(component__evaluation=evaluation).select_for_update()
    }
    changes = {}
    for (cid, tid), v in sorted(values.items()):
        row = stored.get((cid, tid))
        old = row.value if row else None
        if old == v:
            continue
        if v is None:
            row.delete()
        elif row is None:
            ComponentValue.objects.create(component_id=cid, target_id=tid, value=v)
        else:
            row.value = v
            row.save(update_fields=["value"])
        changes[f"{targets[tid]} · {components[cid].name}"] = [
            _amount(old) if old is not None else None,
            _amount(v) if v is not None else None,
        ]
    if changes:
        audit_record(
            actor=actor,
            action="evaluation.component_values",
            obj=evaluation,
            unit=evaluation.unit,
            changes={"source": source, **changes},
        )
    return len(changes)


def component_import(*, actor, evaluation: Evaluation, upload) -> int:
    """Import the values from an Excel file (see components.parse_import): on any error nothing is
    stored and every error is named by row and column."""
    from ..components import parse_import

    _require_unpublished(evaluation)
    parsed = parse_import(upload, evaluation)
    if parsed.errors:
        raise ServiceError(_("The file was not imported: nothing was stored."), details=parsed.errors)
    if not parsed.values:
        raise ServiceError(_("The file holds no values."))
    return component_values_save(actor=actor, evaluation=evaluation, values=parsed.values, source="excel")
