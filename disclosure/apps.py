from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = _("Public disclosure")

    def ready(self) -> None:
        from core.registry import register_periodic

        from .tasks import refresh_public_statuses, take_monthly_snapshots

        # Statuses change in the rectification app; followers are told within the quarter hour.
        register_periodic("disclosure.refresh_public_statuses", refresh_public_statuses, 15 * 60)
        # Checked every six hours; a campaign gets at most one monthly snapshot per calendar month.
        register_periodic("disclosure.monthly_snapshots", take_monthly_snapshots, 6 * 60 * 60)
