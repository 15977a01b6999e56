"""Stage gates. The campaign app defines what each gate asks; later apps register the checks.

A check answers for many participating units at once, in a fixed number of queries whatever their
number: `fn(participants: list[CampaignUnit]) -> {participant.pk: [blocker, …]}` (a unit left out, or
given an empty list, has nothing blocking it in that check). Each blocker is a sentence in the
user's language (e.g. "班子成员张三的自查报告尚未经分管领导审定"). The participants passed are all in
the check's stage and have `unit` loaded. Each app keeps a one-unit function beside its check, which
calls it with one unit (one code path, so the stage table and the advance button cannot disagree).
A gate with no registered check refuses, naming what is missing: never silently true.
"""

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from .models import CampaignUnit, Stage

GateCheck = Callable[[list[CampaignUnit]], dict[int, list[str]]]

# Which later part of the system decides each gate (used in the refusal when nothing is registered).
GATE_OWNERS = {
    Stage.FINDING: "reports",  # finding → meeting: self-inspection reports approved
    Stage.MEETING: "meetings",  # meeting → evaluation: meeting held, minutes filed
    Stage.EVALUATION: "evaluations",  # evaluation → rectification: evaluation closed and tallied
    Stage.RECTIFICATION: "rectification",  # rectification → closed: measures verified
}

_registry: dict[str, list[GateCheck]] = {s: [] for s in GATE_OWNERS}


def register_gate(from_stage: str) -> Callable[[GateCheck], GateCheck]:
    """Decorator: `@register_gate(Stage.FINDING)` on an app's batched check in its `gates.py`
    (imported from AppConfig.ready)."""

    def decorator(fn: GateCheck) -> GateCheck:
        if fn not in _registry[from_stage]:
            _registry[from_stage].append(fn)
        return fn

    return decorator


def gate_blockers_for(participants: Iterable[CampaignUnit]) -> dict[int, list[str]]:
    """Everything that still blocks each participant from moving to its next stage, by participant pk.
    Each registered check runs once for all the participants in its stage, so the number of queries
    depends on the stages present, not on the number of units."""
    participants = list(participants)
    out: dict[int, list[str]] = {}
    by_stage: dict[str, list[CampaignUnit]] = {}
    for p in participants:
        if p.stage == Stage.CLOSED:
            out[p.pk] = [_("The unit has already closed the campaign.")]
        elif not _registry.get(p.stage):
            out[p.pk] = [
                _("No check is configured for leaving the stage “%(stage)s”.") % {"stage": Stage(p.stage).label}
            ]
        else:
            out[p.pk] = []
            by_stage.setdefault(p.stage, []).append(p)
    for stage, group in by_stage.items():
        for check in _registry[stage]:
            found = check(group)
            for p in group:
                out[p.pk].extend(found.get(p.pk, ()))
    return out


def gate_blockers(participant: CampaignUnit) -> list[str]:
    """Everything that still blocks `participant` from moving to its next stage."""
    return gate_blockers_for([participant])[participant.pk]
