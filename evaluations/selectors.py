"""Reads of the evaluations app. Every round is loaded through `get_evaluation_for_user`."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from orgs.access import Perm, can, units_where

from .models import Evaluation, PaperBatch, Symposium


def evaluations_for_user(user) -> QuerySet[Evaluation]:
    """Rounds of the institutions where the user may view evaluations, newest first, with counts."""
    return (
        Evaluation.objects.filter(campaign__institution__in=units_where(user, Perm.EVALUATION_VIEW))
        .select_related("campaign", "campaign__institution")
        .annotate(
            n_targets=Count("targets", distinct=True),
            n_failed=Count("targets", filter=Q(targets__result="failed"), distinct=True),
        )
        .order_by("-pk")
    )


def get_evaluation_for_user(user, pk, write: bool = False) -> Evaluation:
    """404 unless the user may view evaluations of the round's institution; 403 if `write` and they
    may not manage them (the campaign office)."""
    ev = Evaluation.objects.select_related("campaign", "campaign__institution").filter(pk=pk).first()
    if ev is None or not can(user, Perm.EVALUATION_VIEW, ev.campaign.institution):
        raise Http404
    if write and not can(user, Perm.EVALUATION_MANAGE, ev.campaign.institution):
        raise PermissionDenied
    return ev


def get_paper_batch_for_user(user, pk, write: bool = False) -> PaperBatch:
    batch = PaperBatch.objects.select_related("group", "evaluation", "entered_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    get_evaluation_for_user(user, batch.evaluation_id, write=write)
    return batch


def get_symposium_for_user(user, pk, write: bool = False) -> Symposium:
    sym = Symposium.objects.select_related("evaluation", "unit").filter(pk=pk).first()
    if sym is None:
        raise Http404
    get_evaluation_for_user(user, sym.evaluation_id, write=write)
    return sym


def groups_with_code_counts(evaluation: Evaluation) -> list:
    """The round's groups, each with `codes` (issued) and `codes_spent` (used): counted from the codes while
    the round is open, from the counts kept when it closed (the codes are deleted then)."""
    groups = list(
        evaluation.groups.annotate(
            n_codes=Count("tokens", distinct=True),
            n_used=Count("tokens", filter=Q(tokens__used_on__isnull=False), distinct=True),
        )
    )
    for g in groups:
        g.codes = (g.codes_issued or 0) + g.n_codes
        g.codes_spent = (g.codes_used or 0) + g.n_used
    return groups


def is_target(user, evaluation: Evaluation) -> bool:
    """Is the user evaluated by this round: a person target, or a leader (head, leadership member,
    principal) of a unit whose work or team is a target?"""
    from orgs.access import person_of
    from orgs.models import Post

    person = person_of(user)
    if person is None:
        return False
    targets = evaluation.targets.all()
    if targets.filter(person=person).exists():
        return True
    leader_posts = [
        Post.Kind.PRINCIPAL_LEADER,
        Post.Kind.LEADERSHIP_MEMBER,
        Post.Kind.DEPARTMENT_HEAD,
        Post.Kind.DEPARTMENT_MEMBER,
    ]
    led = Post.objects.filter(person=person, kind__in=leader_posts).values_list("unit_id", flat=True)
    return targets.filter(person__isnull=True, unit_id__in=led).exists()


def results_audience(user, evaluation: Evaluation):
    """What `user` may see of the round's figures (release.Audience): results once published to
    everyone who may view the round; before that, results to the office once tallied (unless the
    office member is a target), turnout to the office while it runs, nothing to anyone else."""
    from .release import Audience

    inst = evaluation.campaign.institution
    if not can(user, Perm.EVALUATION_VIEW, inst):
        return Audience.NOTHING
    if evaluation.status == Evaluation.Status.VOID:  # the office still sees why: the turnout
        manages = can(user, Perm.EVALUATION_MANAGE, inst) and not is_target(user, evaluation)
        return Audience.TURNOUT if manages else Audience.NOTHING
    if evaluation.status == Evaluation.Status.TALLIED and evaluation.published_on:
        return Audience.RESULTS
    if not can(user, Perm.EVALUATION_MANAGE, inst) or is_target(user, evaluation):
        return Audience.NOTHING
    if evaluation.status == Evaluation.Status.TALLIED:
        return Audience.RESULTS
    return Audience.TURNOUT


def setup_context(evaluation: Evaluation) -> dict:
    """What the round's page shows: targets, items, grades, groups with issued counts, batches."""
    groups = groups_with_code_counts(evaluation)
    return {
        "targets": evaluation.targets.select_related("unit", "person", "final_grade"),
        "items": evaluation.items.all(),
        "grades": evaluation.grades.all(),
        "score_bands": evaluation.score_bands.all(),
        "rules": evaluation.rules.prefetch_related("grades"),
        "groups": groups,
        "code_batches": evaluation.code_batches.select_related("group", "issued_by__person"),
        "paper_batches": evaluation.paper_batches.select_related("group", "entered_by__person", "checked_by__person"),
        "symposia": evaluation.symposia.select_related("unit").annotate(
            n_attendees=Count("attendees", distinct=True), n_opinions=Count("opinions", distinct=True)
        ),
    }
