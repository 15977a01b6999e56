from django.apps import AppConfig
from django.db.models.signals import post_migrate

# migration 0006's index (core.textsearch)
SEARCH_INDEX = ("0006_problem_sqlite_trigram_search", "problems_problem", ["description", "cause"])


def _search_index_kept(sender, using, **kwargs) -> None:
    """After every migrate, on SQLite: the ledger's search index and its triggers are there while migration
    0006 is applied, even when a later migration made Django copy problems_problem (a copy has no triggers)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from core.textsearch import sqlite_trigram_ensure

    conn = connections[using]
    migration, table, columns = SEARCH_INDEX
    if conn.vendor != "sqlite" or ("problems", migration) not in MigrationRecorder(conn).applied_migrations():
        return
    sqlite_trigram_ensure(conn, table, columns)


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
        post_migrate.connect(_search_index_kept, sender=self, dispatch_uid="problems-search-index")
