"""Tallying a closed round, publishing its results, voiding a round; what a failing target sets off
(look-back, accountability) once the results are published."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from ..models import BallotToken, Evaluation, EvaluationTarget, PaperBatch, SealedBallot
from ..signals import round_tallied


@transaction.atomic
def evaluation_void(*, actor, evaluation: Evaluation, reason: str) -> Evaluation:
    """Declare a round void (e.g. more ballots returned than issued). A void round is never tallied;
    a new round must be held."""
    if not reason.strip():
        raise ServiceError(_("Give the reason why the round is void."))
    updated = Evaluation.objects.filter(
        pk=evaluation.pk, status__in=[Evaluation.Status.DRAFT, Evaluation.Status.OPEN, Evaluation.Status.CLOSED]
    ).update(status=Evaluation.Status.VOID, void_reason=reason.strip())
    if not updated:
        raise Conflict(_("A tallied or void round cannot be declared void."))
    # a void round is never counted: its sealed ballots and its codes go
    SealedBallot.objects.filter(evaluation=evaluation).delete()
    BallotToken.objects.filter(evaluation=evaluation).delete()
    Evaluation.objects.filter(pk=evaluation.pk).update(public_key=None)
    before = evaluation.status
    evaluation.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.void",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"status": [before, Evaluation.Status.VOID], "reason": reason},
    )
    return evaluation


def tally_blockers(evaluation: Evaluation) -> list[str]:
    return _blockers(_tally_state(evaluation))


def _tally_state(evaluation: Evaluation) -> Evaluation:
    """The round as it stands, in one statement: its status and any void for over-returned paper (both
    set on `evaluation` too), its campaign and institution (cached on `evaluation`: the audit record's
    unit), the paper batches still awaiting their check (`pending`), whether it has any paper batch
    (`has_paper`), whether its targets hold rules from a tally before (`has_triggered`), and which optional
    parts it has (`results.part_flags`)."""
    from django.db import connection

    from ..results import part_flags, round_subquery

    qn = connection.ops.quote_name
    held = EvaluationTarget.triggered_rules.through
    state = (
        Evaluation.objects.select_related("campaign__institution")
        .annotate(
            pending=round_subquery(PaperBatch, "x.status = %s", [PaperBatch.Status.ENTERED.value], count=True),
            has_triggered=round_subquery(
                held,
                join=f"JOIN {qn(EvaluationTarget._meta.db_table)} r"
                f" ON r.{qn('id')} = x.{qn(held._meta.get_field('evaluationtarget').column)}",
            ),
            has_paper=round_subquery(PaperBatch),
            **part_flags(),
        )
        .get(pk=evaluation.pk)
    )
    evaluation.status, evaluation.over_return_reason = state.status, state.over_return_reason
    if evaluation.campaign_id == state.campaign_id:
        evaluation.campaign = state.campaign
    return state


def _blockers(state: Evaluation) -> list[str]:
    blockers = []
    if state.status != Evaluation.Status.CLOSED:
        blockers.append(_("Close the round before tallying it."))
    if state.over_return_reason:
        blockers.append(
            _("The round is void: %(reason)s Send the wrong batch back and lift the void once it is corrected.")
            % {"reason": state.over_return_reason}
        )
    if state.pending:
        blockers.append(_("%(n)s paper batch(es) still await the second person's check.") % {"n": state.pending})
    return blockers


@transaction.atomic
def evaluation_tally(*, actor, evaluation: Evaluation) -> Evaluation:
    """Count a closed round: store each target's outcome (passed, failed, void for too little
    participation, no valid ballots), the rules that held, and the released figures (satisfaction,
    lowest share, score: None where the release withholds them, so no other app reads a withheld
    figure). Only the office sees them until it publishes them (`evaluation_publish`).

    When the ballots returned fall short of the round's least participation (per group or in all),
    the round is void instead, with the reasons stated (`evaluation_void`); its targets are marked
    void, never failed.

    Its statements do not grow with the round's targets, items or groups (tests/test_tally_queries.py):
    the round's state and which parts it has are read in one statement, the answers and the ballots in
    one, the targets' results written in one UPDATE and the rules that held in one INSERT."""
    from ..release import release
    from ..results import collect, parts_of

    state = _tally_state(evaluation)
    blockers = _blockers(state)
    if blockers:
        raise ServiceError(_("The round cannot be tallied yet."), details=blockers)
    data = collect(evaluation, parts_of(state))
    if data["void_reasons"]:
        reason = _("Too little participation: %(reasons)s.") % {"reasons": "；".join(data["void_reasons"])}
        evaluation_void(actor=actor, evaluation=evaluation, reason=reason)
        evaluation.targets.update(result=EvaluationTarget.Result.VOID, fail_reasons=reason)
        round_tallied.send(sender=Evaluation, evaluation=evaluation, paper=state.has_paper)
        return evaluation
    now = timezone.now()
    updated = Evaluation.objects.filter(pk=evaluation.pk, status=Evaluation.Status.CLOSED).update(
        status=Evaluation.Status.TALLIED, tallied_at=now
    )
    if not updated:
        raise Conflict(_("Only a closed round can be tallied."))
    evaluation.status, evaluation.tallied_at = Evaluation.Status.TALLIED, now
    # what is stored (and read by other apps, and sent in notices) is what the release shows
    shown = {r["target"].pk: r for r in release(data)["targets"]}
    targets, triggered = [], []
    for row in data["targets"]:
        t, r = row["target"], shown[row["target"].pk]
        t.result = row["outcome"]
        t.satisfaction = r["satisfaction"]
        t.low_share = r["low_share"]
        t.score = r["score"]
        t.valid_ballots = row["valid_ballots"]
        t.fail_reasons = "；".join(r["fail_reasons"])
        targets.append(t)
        triggered += [(t.pk, getattr(rule, "pk", rule)) for rule in row["triggered"]]
    # one UPDATE for every target and one write of the rules that held, not two queries per target
    _store_results(targets, ["result", "satisfaction", "low_share", "score", "valid_ballots", "fail_reasons"])
    held = EvaluationTarget.triggered_rules.through
    if state.has_triggered:  # rules from an earlier tally of the round
        held.objects.filter(evaluationtarget_id__in=[t.pk for t in targets]).delete()
    held.objects.bulk_create(
        [held(evaluationtarget_id=t, passrule_id=rule) for t, rule in dict.fromkeys(triggered)], batch_size=500
    )
    audit_record(
        actor=actor,
        action="evaluation.tally",
        obj=evaluation,
        unit=evaluation.unit,
        changes={
            "status": [Evaluation.Status.CLOSED, Evaluation.Status.TALLIED],
            "ballots": data["ballots"],
        },  # who passed is recorded when the results are published, not before
    )
    round_tallied.send(sender=Evaluation, evaluation=evaluation, paper=state.has_paper)
    return evaluation


def _store_results(targets: list[EvaluationTarget], fields: list[str]) -> None:
    """Write `fields` of every target in one UPDATE per 500 targets (fewer on SQLite, whose statements take
    at most 999 parameters): SET field = CAST(CASE id WHEN … THEN … END AS its type), what `bulk_update`
    writes, built directly: bulk_update resolves one When(pk=…) expression per target and field, which
    cost more than the statement itself (7 ms of CPU for four targets here, issue #17 P6)."""
    from django.db import connection

    qn = connection.ops.quote_name
    columns = [EvaluationTarget._meta.get_field(name) for name in fields]
    limit = connection.features.max_query_params or 10_000
    size = max(1, min(500, (limit - 1) // (2 * len(columns) + 1)))
    for start in range(0, len(targets), size):
        part = targets[start : start + size]
        sets, params = [], []
        for f in columns:
            cases = " ".join(["WHEN %s THEN %s"] * len(part))
            sets.append(f"{qn(f.column)} = CAST(CASE {qn('id')} {cases} END AS {f.cast_db_type(connection)})")
            for t in part:
                params += [t.pk, f.get_db_prep_save(getattr(t, f.attname), connection)]
        marks = ", ".join(["%s"] * len(part))
        params += [t.pk for t in part]
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {qn(EvaluationTarget._meta.db_table)} SET {', '.join(sets)} WHERE {qn('id')} IN ({marks})",  # nosec B608 (model meta, %s marks)
                params,
            )


@transaction.atomic
def evaluation_publish(*, actor, evaluation: Evaluation) -> Evaluation:
    """Publish a tallied round's results: from now on everyone who may view the round (its targets
    included) sees them, and each failing target sets off its look-back, accountability case and
    notice."""
    updated = Evaluation.objects.filter(
        pk=evaluation.pk, status=Evaluation.Status.TALLIED, published_on__isnull=True
    ).update(published_on=timezone.localdate())
    if not updated:
        raise Conflict(_("Only a tallied round whose results are not yet published can be published."))
    evaluation.refresh_from_db()
    failed = list(evaluation.targets.filter(result=EvaluationTarget.Result.FAILED).select_related("unit", "person"))
    audit_record(
        actor=actor,
        action="evaluation.publish",
        obj=evaluation,
        unit=evaluation.unit,
        changes={
            "published_on": str(evaluation.published_on),
            "passed": [str(t) for t in evaluation.targets.filter(result=EvaluationTarget.Result.PASSED)],
            "failed": [str(t) for t in failed],
        },
    )
    for t in failed:
        _consequences(actor=actor, evaluation=evaluation, target=t)
    for t in evaluation.targets.filter(triggered_rules__proposes_case=True).distinct().select_related("unit", "person"):
        _propose_case(actor=actor, evaluation=evaluation, target=t)
    return evaluation


def responsible_person(target: EvaluationTarget):
    """Who answers for a target: the person assessed, else the unit's head (an institution's
    leadership team: its principal leader)."""
    from orgs.selectors import head_of

    return target.person or head_of(target.unit)


def _consequences(*, actor, evaluation: Evaluation, target: EvaluationTarget) -> None:
    from campaigns.models import CampaignUnit
    from campaigns.services import lookback_open
    from notifications.services import notify

    ref = f"evaluations.evaluationtarget:{target.pk}"
    reason = _("Did not pass “%(round)s”: %(reasons)s") % {"round": evaluation.name, "reasons": target.fail_reasons}
    participant = CampaignUnit.objects.filter(campaign=evaluation.campaign, unit=target.unit).first()
    if participant is not None:
        lookback_open(actor=actor, participant=participant, reason=reason, person=target.person, source_ref=ref)
    person = responsible_person(target)
    if person is not None and person.user_id:
        notify(
            recipients=[person.user],
            title=_("%(target)s did not pass the democratic evaluation") % {"target": target},
            body=reason,
            kind="warning",
        )


def _propose_case(*, actor, evaluation: Evaluation, target: EvaluationTarget) -> None:
    """A rule that proposes accountability held: the case is proposed to the deciding office (待研判),
    which takes it up or not — never opened directly (as a returned report does)."""
    from accountability.services import case_open

    person = responsible_person(target)
    if person is None:
        return
    rules = list(target.triggered_rules.filter(proposes_case=True).prefetch_related("grades"))
    facts = _("“%(round)s”, %(target)s: %(rules)s") % {
        "round": evaluation.name,
        "target": target,
        "rules": "；".join(f"{r.text()} → {r.consequence()}" for r in rules),
    }
    case_open(
        actor=actor,
        person=person,
        unit=target.unit,
        trigger="evaluation_failed",
        facts=facts,
        trigger_ref=f"evaluations.evaluationtarget:{target.pk}",
        proposed=True,
    )
