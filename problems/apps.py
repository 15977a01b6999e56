from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"

    def ready(self) -> None:
        from campaigns.selectors import register_milestone_figures
        from core.registry import register_task_provider

        from .home import milestone_figures, tasks_for

        register_task_provider(tasks_for)
        register_milestone_figures(milestone_figures)
