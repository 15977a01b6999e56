"""`manage.py copy_database SOURCE`: move an installation to another database (one institution's
SQLite file into the city's PostgreSQL), then prove nothing was lost.

SOURCE is a SQLite file or a DATABASE_URL; the target is this installation's database (DATABASE_URL),
migrated first (`manage.py migrate`) and holding no user yet. Every row of every table is copied as it is (same
primary keys, timestamps untouched, so the audit chain still verifies), sequences are moved past the
copied keys, and then each table's row count and checksum are compared between source and target; any
difference is named and the command exits 1. `--verify-only` runs the comparison alone.
Files (evidence, reports) are not in the database: copy the media folder (or sync it to the bucket).
"""

import contextlib
import hashlib
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import UUID

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

SOURCE = "copy_source"
BATCH = 1000


def _models():
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _canonical(value):
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    return value


def table_checksum(model, using: str) -> tuple[int, str]:
    """(rows, checksum) of a table: the sum of each row's SHA-256 over every column, so the result does
    not depend on row order (collations differ between databases) but changes with any value."""
    fields = [f.attname for f in model._meta.concrete_fields]
    total, rows = 0, 0
    for row in model._base_manager.using(using).values_list(*fields).iterator(chunk_size=BATCH):
        line = json.dumps([_canonical(v) for v in row], sort_keys=True, ensure_ascii=False, default=str)
        total = (total + int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")) % 2**256
        rows += 1
    return rows, f"{total:064x}"


@contextlib.contextmanager
def _timestamps_as_stored(models):
    """bulk_create would stamp auto_now/auto_now_add fields with the current time: keep the source's."""
    changed = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                changed.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class Command(BaseCommand):
    help = "Copy every row from SOURCE (a SQLite file or a DATABASE_URL) into this database and verify it."

    def add_arguments(self, parser):
        parser.add_argument("source", help="path of a SQLite file, or a database URL")
        parser.add_argument("--verify-only", action="store_true", help="only compare row counts and checksums")

    def handle(self, source, verify_only=False, **options):
        self._connect(source)
        try:
            for alias in (SOURCE, DEFAULT_DB_ALIAS):
                executor = MigrationExecutor(connections[alias])
                if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                    where = "the source" if alias == SOURCE else "this database"
                    raise CommandError(f"{where} is not fully migrated: run `manage.py migrate` on it first.")
            models = _models()
            if not verify_only:
                self._copy(models)
            self._verify(models)
        finally:
            connections[SOURCE].close()

    def _connect(self, source: str) -> None:
        if "://" in source:
            config = dj_database_url.parse(source)
        else:
            config = {"ENGINE": "django.db.backends.sqlite3", "NAME": source}
        configured = connections.configure_settings(
            {DEFAULT_DB_ALIAS: {"ENGINE": "django.db.backends.dummy"}, SOURCE: config}
        )
        connections.settings[SOURCE] = configured[SOURCE]

    def _copy(self, models) -> None:
        # A fresh target holds only what `migrate` put there (content types, reference lists): no user and
        # no audit record. Anything more is someone's data, which this command never overwrites.
        user_model = apps.get_model(settings.AUTH_USER_MODEL)
        busy = [
            m._meta.db_table
            for m in (user_model, apps.get_model("audit", "AuditRecord"))
            if m._base_manager.using(DEFAULT_DB_ALIAS).exists()
        ]
        if busy:
            raise CommandError(f"this database already holds data ({', '.join(busy)}): copy only into a fresh one.")
        target = connections[DEFAULT_DB_ALIAS]
        call_command("flush", interactive=False, inhibit_post_migrate=True, database=DEFAULT_DB_ALIAS, verbosity=0)
        with transaction.atomic(using=DEFAULT_DB_ALIAS), _timestamps_as_stored(models):
            for model in models:
                batch, copied = [], 0
                for obj in model._base_manager.using(SOURCE).order_by().iterator(chunk_size=BATCH):
                    batch.append(obj)
                    if len(batch) >= BATCH:
                        model._base_manager.using(DEFAULT_DB_ALIAS).bulk_create(batch)
                        copied, batch = copied + len(batch), []
                if batch:
                    model._base_manager.using(DEFAULT_DB_ALIAS).bulk_create(batch)
                    copied += len(batch)
                if copied:
                    self.stdout.write(f"copied {copied:>8} rows of {model._meta.db_table}")
            with target.cursor() as cursor:
                for sql in target.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
        ContentType.objects.clear_cache()

    def _verify(self, models) -> None:
        lost = []
        rows = 0
        for model in models:
            src, dst = table_checksum(model, SOURCE), table_checksum(model, DEFAULT_DB_ALIAS)
            rows += src[0]
            if src != dst:
                lost.append(
                    f"{model._meta.db_table}: source {src[0]} rows {src[1][:12]}, here {dst[0]} rows {dst[1][:12]}"
                )
        if lost:
            raise CommandError("the copy differs from the source:\n  " + "\n  ".join(lost))
        self.stdout.write(
            self.style.SUCCESS(f"verified: {len(models)} tables, {rows} rows, counts and checksums equal")
        )
