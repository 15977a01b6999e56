"""The deciding body's final grade per target after the tally, and the consequences it carries
(issue #13): not eligible for commendation or promotion for a period, kept in the accountability
register with its end date."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import ServiceError

from ..models import Evaluation, EvaluationTarget, FinalGrade


def final_grade_options(evaluation: Evaluation) -> list[str]:
    """The grades the deciding body chooses from: the round's score bands, else its valid grades."""
    bands = [b.label for b in evaluation.score_bands.all()]
    return bands or [g.label for g in evaluation.grades.filter(is_valid=True)]


def tally_said(target: EvaluationTarget, bands: list) -> str:
    """What the tally says of a target in the deciding body's terms: the band of its score shown (when
    the round has bands), else its result (passed, failed, void, no valid ballots)."""
    from ..results import band_for

    if bands and target.result in (EvaluationTarget.Result.PASSED, EvaluationTarget.Result.FAILED):
        band = band_for(target.score, bands)
        if band is not None:
            return band.label
    return str(target.get_result_display())


def _differs(target: EvaluationTarget, grade: str, said: str, bands: list) -> bool:
    if bands:
        return grade != said
    if target.result not in (EvaluationTarget.Result.PASSED, EvaluationTarget.Result.FAILED):
        return True
    low = target.evaluation.grades.filter(label=grade, is_low=True).exists()
    return low != (target.result == EvaluationTarget.Result.FAILED)


@transaction.atomic
def final_grade_record(
    *,
    actor,
    target: EvaluationTarget,
    grade: str,
    deciding_body: str,
    decided_on: date,
    reason: str = "",
    bars_commendation: bool = False,
    bars_promotion: bool = False,
    period_months: int = 0,
) -> FinalGrade:
    """Record (or correct) the final grade of a target of a published round. A grade that differs from
    the tally (another band; a lowest grade for a target that passed, or the reverse; any grade for a
    void target) needs a reason. Consequences (not eligible for commendation / promotion for
    `period_months` months from the decision) go to the accountability register against the person
    who answers for the target, with the end date computed. The campaign office calls it (views check
    Perm.EVALUATION_MANAGE)."""
    from accountability.services import months_after, restriction_record

    from .tally import responsible_person

    evaluation = target.evaluation
    evaluation.refresh_from_db(fields=["status", "published_on"])
    if evaluation.status != Evaluation.Status.TALLIED or not evaluation.published_on:
        raise ServiceError(_("The final grade is recorded once the results are published."))
    if grade not in final_grade_options(evaluation):
        raise ServiceError(_("Choose one of the round's grades."))
    deciding_body, reason = deciding_body.strip(), reason.strip()
    if not deciding_body:
        raise ServiceError(_("Name the deciding body."))
    if decided_on is None or decided_on > timezone.localdate():
        raise ServiceError(_("Give the date of the decision (not in the future)."))
    bands = list(evaluation.score_bands.all())
    said = tally_said(target, bands)
    differs = _differs(target, grade, said, bands)
    if differs and not reason:
        raise ServiceError(_("The final grade differs from the tally (%(said)s): give the reason.") % {"said": said})
    bars = bars_commendation or bars_promotion
    if bars and period_months < 1:
        raise ServiceError(_("Give the period in months (at least one)."))
    person = responsible_person(target)
    if bars and person is None:
        raise ServiceError(_("No one answers for this target: the consequences cannot be recorded."))
    values = {
        "grade": grade,
        "tally_said": said,
        "differs": differs,
        "reason": reason,
        "deciding_body": deciding_body[:100],
        "decided_on": decided_on,
        "bars_commendation": bars_commendation,
        "bars_promotion": bars_promotion,
        "period_months": period_months if bars else 0,
        "ends_on": months_after(decided_on, period_months) if bars else None,
        "recorded_by": actor,
    }
    before = FinalGrade.objects.filter(target=target).values("grade", "ends_on").first()
    final, _created = FinalGrade.objects.update_or_create(target=target, defaults=values)
    if person is not None:
        restriction_record(
            actor=actor,
            person=person,
            unit=target.unit,
            bars_commendation=bars_commendation,
            bars_promotion=bars_promotion,
            starts_on=decided_on,
            months=period_months,
            reason=_("“%(round)s”: final grade %(grade)s (%(body)s, %(date)s)")
            % {"round": evaluation.name, "grade": grade, "body": deciding_body, "date": decided_on.isoformat()},
            source_ref=f"evaluations.evaluationtarget:{target.pk}",
        )
    audit_record(
        actor=actor,
        action="evaluation.final_grade",
        obj=evaluation,
        unit=target.unit,
        changes={
            "target": str(target),
            "grade": [before["grade"] if before else None, grade],
            "tally": said,
            "differs": differs,
            "reason": reason,
            "until": [before["ends_on"] if before else None, final.ends_on],
        },
    )
    return final
