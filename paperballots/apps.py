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
        # (services.paper_texts_release), right after the tally commits. evaluations offers no signal
        # of its own: its audit record of the tally is the one event every tally leaves.
        from django.db.models.signals import post_save

        from audit.models import AuditRecord

        post_save.connect(_after_tally, sender=AuditRecord, dispatch_uid="paperballots.after_tally")


def _after_tally(sender, instance, created, **kwargs) -> None:
    if not created or instance.action != "evaluation.tally" or not instance.object_id.isdigit():
        return
    from django.db import transaction

    from evaluations.models import Evaluation

    from .services import paper_texts_release

    pk = int(instance.object_id)
    transaction.on_commit(lambda: paper_texts_release(evaluation=Evaluation(pk=pk)))
