from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"

    def ready(self) -> None:
        from campaigns.selectors import register_milestone_figures
        from core.registry import register_periodic, register_task_provider

        from .home import milestone_figures, tasks_for
        from .tasks import seal_anonymous_input

        register_task_provider(tasks_for)
        # Hourly, whatever happened: its run times say nothing about any submission.
        register_periodic("problems.seal_anonymous_input", seal_anonymous_input, 60 * 60)
        register_milestone_figures(milestone_figures)
