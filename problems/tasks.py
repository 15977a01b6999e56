"""Background work of the problems app (run by the db_worker; immediate in tests)."""

from django_tasks import task


@task()
def opinion_similarity(*, opinion_id: int) -> int:
    """Store the most similar earlier opinions/problems and a suggested manifestation on the opinion.

    Returns how many similar items were found. Safe to run twice.
    """
    from .models import Opinion
    from .similarity import compute

    opinion = Opinion.objects.filter(pk=opinion_id).first()
    if opinion is None:
        return 0
    similar, suggested = compute(opinion)
    Opinion.objects.filter(pk=opinion_id).update(similar=similar, suggested_manifestation=suggested)
    return len(similar)


@task()
def seal_anonymous_input() -> int:
    """Hourly: write the drop box to the database when due (problems.services.anonymous_input_flush),
    then total the past days' anonymous input in the audit trail and rewrite it in random order
    (anonymous_input_seal). Takes no arguments and returns only a count, so the task table says
    nothing about any submission."""
    from .services import anonymous_input_flush, anonymous_input_seal

    anonymous_input_flush()
    return anonymous_input_seal()
