from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceratingConfig(AppConfig):
    name = "servicerating"
    verbose_name = _("Service ratings")

    def ready(self) -> None:
        from core.registry import register_periodic, register_task_provider

        from .selectors import tasks_for
        from .tasks import ratings_release_task

        register_task_provider(tasks_for)
        # Hourly, so the day's ratings are released early the next morning.
        register_periodic("servicerating.release", ratings_release_task, 60 * 60)
