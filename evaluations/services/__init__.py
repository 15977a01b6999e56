"""Every write of the evaluations app (see the submodules). Other apps call, by contract:
`evaluation_create(*, actor, campaign, name, kind, scale_preset, …)` and
`target_add(*, actor, evaluation, kind, unit, person=None)`; results land in
`EvaluationTarget.result` / `.satisfaction` when the round is tallied."""

from .setup import (  # noqa: F401
    DEFAULT_GROUPS,
    DEFAULT_ITEMS,
    PRESET_RULES,
    SCALE_PRESETS,
    evaluation_create,
    evaluation_open,
    grade_delete,
    grade_save,
    group_delete,
    group_save,
    item_delete,
    item_save,
    open_blockers,
    rule_update,
    target_add,
    target_remove,
)
from .voting import (  # noqa: F401
    CodeRefused,
    ballot_cast,
    ballot_link,
    ballot_questions,
    code_hash,
    codes_files_destroy,
    codes_issue,
    evaluation_close,
    public_base_url,
    rows_scrub,
    token_for_code,
)
