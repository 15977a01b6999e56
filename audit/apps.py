from django.apps import AppConfig
from django.conf import settings


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self) -> None:
        from core.registry import register_periodic

        from .tasks import audit_anchor_task

        # The head is copied out of the database (file, city office, e-mail) every period it moved.
        register_periodic("audit.anchor", audit_anchor_task, settings.AUDIT_ANCHOR_EVERY_SECONDS)
