from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Democratic evaluation")

    def ready(self) -> None:
        from core.registry import register_task_provider

        from . import gates  # noqa: F401  (registers the evaluation → rectification gate)
        from .providers import evaluation_tasks

        register_task_provider(evaluation_tasks)
