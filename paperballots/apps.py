from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaperballotsConfig(AppConfig):
    name = "paperballots"
    verbose_name = _("Paper ballots read by machine")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.registry import register_periodic

        from .tasks import images_purge_task

        # Hourly: kept images of rounds that have closed are deleted (see services.images_purge).
        register_periodic("paperballots.purge", images_purge_task, 60 * 60)

        # When a round is tallied, the free texts typed from its paper sheets join its free texts
        # (services.paper_texts_release) in the tally's own transaction.
        from evaluations.signals import round_tallied

        round_tallied.connect(_after_tally, dispatch_uid="paperballots.after_tally")


def _after_tally(sender, evaluation, paper: bool = True, **kwargs) -> None:
    if not paper:  # no paper batch in the round: no held texts
        return
    from .services import paper_texts_release

    paper_texts_release(evaluation=evaluation)
