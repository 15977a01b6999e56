"""Words for the audit log page: the trail stores codes ("meeting.hold", "status": ["planned", "held"]),
the page shows them in the reader's language. Each app registers its own action names, change keys
and stored values from its AppConfig.ready (audit imports no app above it). Anything unregistered is
shown as stored."""

from collections.abc import Mapping

_actions: dict[str, str] = {}
_keys: dict[str, str] = {}
_values: dict[str, str] = {}


def register_audit_labels(
    *, prefix: str, actions: Mapping[str, str] = {}, keys: Mapping[str, str] = {}, values: Mapping[str, str] = {}
) -> None:
    """Labels (lazy translations) for the actions named `prefix.…`, and for the change keys and stored
    values (status codes…) of those actions only: "reason" or "open" mean different things elsewhere."""
    _actions.update(actions)
    _keys.update({f"{prefix}:{k}": v for k, v in keys.items()})
    _values.update({f"{prefix}:{k}": v for k, v in values.items()})


def _prefix(action: str) -> str:
    return action.split(".", 1)[0]


def action_label(action: str) -> str:
    return str(_actions.get(action, action))


def key_label(action: str, key: str) -> str:
    return str(_keys.get(f"{_prefix(action)}:{key}", key))


def value_label(action: str, value) -> str:
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, str):
        return str(_values.get(f"{_prefix(action)}:{value}", value))
    if isinstance(value, list):
        return "、".join(value_label(action, v) for v in value)
    return str(value)
