from django_tasks import task


@task()
def remind_meeting_follow_ups() -> int:
    """Daily: remind organisers of meeting follow-ups (report to superior, notice to staff) that are
    due soon or overdue."""
    from .services import follow_up_remind

    return follow_up_remind()
