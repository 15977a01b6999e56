"""Stage gates. The campaign app defines what each gate asks; later apps register the checks.

A check is `fn(participant) -> list[str]`: the blockers, each a sentence in the user's language
(e.g. "班子成员张三的自查报告尚未经分管领导审定"); an empty list means this check is satisfied.
A gate with no registered check refuses, naming what is missing: never silently true.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

from .models import Stage

GateCheck = Callable[["CampaignUnit"], list[str]]  # noqa: F821

# Which later part of the system decides each gate (used in the refusal when nothing is registered).
GATE_OWNERS = {
    Stage.FINDING: "reports",  # finding → meeting: self-inspection reports approved
    Stage.MEETING: "meetings",  # meeting → evaluation: meeting held, minutes filed
    Stage.EVALUATION: "evaluations",  # evaluation → rectification: evaluation closed and tallied
    Stage.RECTIFICATION: "rectification",  # rectification → closed: measures verified
}

_registry: dict[str, list[GateCheck]] = {s: [] for s in GATE_OWNERS}


def register_gate(from_stage: str) -> Callable[[GateCheck], GateCheck]:
    """Decorator: `@register_gate(Stage.FINDING)` in an app's `gates.py` (imported from AppConfig.ready)."""

    def decorator(fn: GateCheck) -> GateCheck:
        if fn not in _registry[from_stage]:
            _registry[from_stage].append(fn)
        return fn

    return decorator


def gate_blockers(participant) -> list[str]:
    """Everything that still blocks `participant` from moving to its next stage."""
    stage = participant.stage
    if stage == Stage.CLOSED:
        return [_("The unit has already closed the campaign.")]
    checks = _registry.get(stage, [])
    if not checks:
        return [_("No check is configured for leaving the stage “%(stage)s”.") % {"stage": Stage(stage).label}]
    blockers: list[str] = []
    for check in checks:
        blockers.extend(check(participant))
    return blockers
