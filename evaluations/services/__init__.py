"""Every write of the evaluations app (see the submodules). Other apps call, by contract:
`evaluation_create(*, actor, campaign, name, kind, scale_preset, …)` and
`target_add(*, actor, evaluation, kind, unit, person=None)`; results land in
`EvaluationTarget.result` / `.satisfaction` when the round is tallied."""

from .components import component_import, component_scheme_save, component_values_save  # noqa: F401, E402
from .final import final_grade_options, final_grade_record, tally_said  # noqa: F401, E402
from .paper import (  # noqa: F401, E402
    paper_batch_check,
    paper_batch_enter,
    paper_batch_send_back,
    paper_issue,
    paper_void_lift,
)
from .public import campaign_for_rating, public_rating_submit  # noqa: F401, E402
from .schemes import score_band_delete, score_band_save  # noqa: F401, E402
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
    pass_rule_add,
    pass_rule_delete,
    rule_update,
    target_add,
    target_remove,
)
from .symposium import (  # noqa: F401, E402
    symposium_opinion_accept,
    symposium_opinion_add,
    symposium_opinion_decline,
    symposium_record,
)
from .tally import (  # noqa: F401, E402
    evaluation_publish,
    evaluation_tally,
    evaluation_void,
    responsible_person,
    tally_blockers,
)  # noqa: F401, E402
from .voting import (  # noqa: F401
    CodeRefused,
    ballot_cast,
    ballot_link,
    ballot_questions,
    code_hash,
    code_normalize,
    code_slips,
    codes_issue,
    evaluation_close,
    key_needed,
    public_base_url,
    token_for_code,
)
