from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Self-inspection reports")

    def ready(self) -> None:
        from core.registry import register_periodic, register_task_provider

        from . import (
            audit_labels,
            gates,  # noqa: F401  (registers the finding → meeting gate)
        )
        from .providers import report_tasks
        from .tasks import remind_overdue_reviews

        register_task_provider(report_tasks)
        register_periodic("reports.remind_overdue_reviews", remind_overdue_reviews, 60 * 60)
        audit_labels.register()
