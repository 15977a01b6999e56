from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "accountability"
    verbose_name = _("Accountability")

    def ready(self) -> None:
        from core.registry import register_task_provider

        from . import audit_labels
        from .providers import accountability_tasks

        register_task_provider(accountability_tasks)
        audit_labels.register()
