"""How a round scores its targets (issue #13): the score bands the office sets."""

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import ServiceError

from ..models import Evaluation, ScoreBand
from .setup import _require_draft


def _overlap(a: ScoreBand, b: ScoreBand) -> bool:
    """Whether two bands share a score (open bounds reach to ±∞)."""

    def below(upper, upper_inc, lower, lower_inc) -> bool:  # every score of the first lies below the second
        if upper is None or lower is None:
            return False
        return upper < lower or (upper == lower and not (upper_inc and lower_inc))

    return not (
        below(a.upper, a.upper_inclusive, b.lower, b.lower_inclusive)
        or below(b.upper, b.upper_inclusive, a.lower, a.lower_inclusive)
    )


@transaction.atomic
def score_band_save(
    *,
    actor,
    evaluation: Evaluation,
    band: ScoreBand | None = None,
    label: str,
    lower,
    lower_inclusive: bool,
    upper,
    upper_inclusive: bool,
) -> ScoreBand:
    """Add or change a score band while the round is prepared. Bands may not overlap."""
    _require_draft(evaluation)
    label = (label or "").strip()
    if not label:
        raise ServiceError(_("The band needs a name."))
    if lower is None and upper is None:
        raise ServiceError(_("Give the band at least one bound."))
    if lower is not None and upper is not None:
        if lower > upper or (lower == upper and not (lower_inclusive and upper_inclusive)):
            raise ServiceError(_("The band's lower bound must lie below its upper bound."))
    fields = {
        "label": label,
        "lower": lower,
        "lower_inclusive": lower_inclusive,
        "upper": upper,
        "upper_inclusive": upper_inclusive,
    }
    candidate = ScoreBand(evaluation=evaluation, **fields)
    others = evaluation.score_bands.exclude(pk=band.pk) if band else evaluation.score_bands.all()
    clash = [o.label for o in others if _overlap(candidate, o)]
    if clash:
        raise ServiceError(_("The band overlaps %(bands)s.") % {"bands": "、".join(clash)})
    if band is None:
        band = ScoreBand.objects.create(evaluation=evaluation, order=evaluation.score_bands.count(), **fields)
        changes = {"band": [None, band.range_text() + " → " + label]}
    else:
        changes = {k: [str(getattr(band, k)), str(v)] for k, v in fields.items() if getattr(band, k) != v}
        for k, v in fields.items():
            setattr(band, k, v)
        band.save(update_fields=list(fields))
    audit_record(
        actor=actor, action="evaluation.score_band_save", obj=evaluation, unit=evaluation.unit, changes=changes
    )
    return band


@transaction.atomic
def score_band_delete(*, actor, band: ScoreBand) -> None:
    evaluation = band.evaluation
    _require_draft(evaluation)
    audit_record(
        actor=actor,
        action="evaluation.score_band_delete",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"band": [band.range_text() + " → " + band.label, None]},
    )
    band.delete()
