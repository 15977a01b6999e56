from django.apps import AppConfig
from django.conf import settings


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self) -> None:
        from core.backup import Keys, register_keys
        from core.registry import register_periodic

        from . import keys
        from .tasks import audit_anchor_task

        # Backups leave the keys out; a restore checks it has them, or installs the ones it is given.
        register_keys(
            Keys(
                name="audit_keys",
                label="the audit trail's keys",
                default_path="var/audit_keys (RECTIFY_AUDIT_KEYS_FILE)",
                fingerprints=keys.fingerprints,
                install=keys.keys_install,
            )
        )

        # The head is copied out of the database (file, city office, e-mail) every period it moved.
        register_periodic("audit.anchor", audit_anchor_task, settings.AUDIT_ANCHOR_EVERY_SECONDS)
