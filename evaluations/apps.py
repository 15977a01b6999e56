from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _tables_without_rowid(sender, using, **kwargs) -> None:
    """After every migrate: the anonymous tables stay WITHOUT ROWID on SQLite, even when a later
    migration made Django rebuild one (a rebuilt table gets a rowid again) or the tables were made
    without migrations (tests with --nomigrations)."""
    from django.db import connections

    from .storage import ANONYMOUS_TABLES, without_rowid

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    present = set(conn.introspection.table_names())
    with conn.schema_editor() as editor:
        for table in ANONYMOUS_TABLES:
            if table in present:
                without_rowid(editor, table)


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Democratic evaluation")

    def ready(self) -> None:
        from core.registry import register_task_provider

        from . import gates  # noqa: F401  (registers the evaluation → rectification gate)
        from .providers import evaluation_tasks

        register_task_provider(evaluation_tasks)

        post_migrate.connect(_tables_without_rowid, sender=self, dispatch_uid="evaluations-without-rowid")
