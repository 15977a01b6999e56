from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "rectification"

    def ready(self) -> None:
        from core.registry import register_periodic, register_task_provider

        from . import gates  # noqa: F401 (registers the RECTIFICATION gate)
        from .providers import rectification_tasks
        from .tasks import measure_warnings

        register_task_provider(rectification_tasks)
        register_periodic("rectification.measure_warnings", measure_warnings, 6 * 3600)
