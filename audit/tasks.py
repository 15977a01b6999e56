"""Background work of the audit trail (run by the worker; immediate in tests)."""

from django_tasks import task


@task()
def audit_anchor_task() -> int:
    """Anchor the head if it moved since the last anchor (see services.audit_anchor); returns its number."""
    from .services import audit_anchor

    anchor = audit_anchor(force=False)
    return anchor.n if anchor else 0
