from django_tasks import task


@task()
def measure_warnings() -> dict:
    """Periodic: send the deadline warnings that are due (see rectification.warnings)."""
    from .warnings import warnings_send

    return warnings_send()
