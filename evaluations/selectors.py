"""Reads of the evaluations app. Every round is loaded through `get_evaluation_for_user`."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from orgs.access import Perm, can, units_where

from .models import CodeBatch, Evaluation, PaperBatch, Symposium


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


def get_batch_for_user(user, pk, write: bool = False) -> CodeBatch:
    batch = CodeBatch.objects.select_related("group", "evaluation").filter(pk=pk).first()
    if batch is None:
        raise Http404
    get_evaluation_for_user(user, batch.evaluation_id, write=write)
    return batch


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


def setup_context(evaluation: Evaluation) -> dict:
    """What the round's page shows: targets, items, grades, groups with issued counts, batches."""
    groups = evaluation.groups.annotate(
        codes=Count("tokens", distinct=True),
        codes_used=Count("tokens", filter=Q(tokens__used_on__isnull=False), distinct=True),
    )
    return {
        "targets": evaluation.targets.select_related("unit", "person"),
        "items": evaluation.items.all(),
        "grades": evaluation.grades.all(),
        "groups": groups,
        "code_batches": evaluation.code_batches.select_related("group", "issued_by__person"),
        "paper_batches": evaluation.paper_batches.select_related("group", "entered_by__person", "checked_by__person"),
        "symposia": evaluation.symposia.select_related("unit").annotate(
            n_attendees=Count("attendees", distinct=True), n_opinions=Count("opinions", distinct=True)
        ),
    }
