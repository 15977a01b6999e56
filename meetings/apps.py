from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Democratic life meetings")

    def ready(self) -> None:
        from core.registry import register_periodic, register_task_provider

        from . import (
            audit_labels,
            gates,  # noqa: F401  (registers the MEETING gate)
        )
        from .selectors import home_tasks
        from .tasks import remind_meeting_follow_ups

        register_task_provider(home_tasks)
        register_periodic("meetings.follow_up_reminders", remind_meeting_follow_ups, 6 * 3600)
        audit_labels.register()
