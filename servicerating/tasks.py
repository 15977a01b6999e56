"""Background work of the service rating channel (run by the db_worker; immediate in tests)."""

from django_tasks import task


@task()
def ratings_release_task() -> int:
    """Release the ratings and cases of past days (see services.ratings_release)."""
    from .services import ratings_release

    return ratings_release()
