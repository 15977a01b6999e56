"""Writing many rows fast: plain tuples straight into a model's table (COPY on PostgreSQL, executemany on
SQLite), without model instances or the ORM's per-value preparation (about 1 ms per object on this
machine; a city has millions). For generated data and imports of history whose values are known to be
valid: no signals, no `save()`, no validation. Primary keys are handed out here (`Table.ids`), so rows of
one table can point to rows of another before either is written; `Table.close()` moves PostgreSQL's
sequence past them.

    t = Table(Problem, ["id", "campaign_id", "unit_id", "description"], status="open")
    first = t.ids(len(rows))
    t.insert((first + k, c, u, d) for k, (c, u, d) in enumerate(rows))
    t.close()
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice

from django.core.management.color import no_style
from django.db import connection, models

BATCH = 10_000


def _json_text(value) -> str | None:
    return None if value is None else json.dumps(value)


class Table:
    """One model's table. `columns`: the fields (names or attnames) every row gives, in order; `constants`:
    fields with one value for every row; every other column gets the field's default (auto_now and
    auto_now_add fields: `now`). A field whose default is a function other than dict or list must be given."""

    def __init__(self, model, columns: Sequence[str], *, now: datetime | None = None, **constants):
        self.model = model
        self.vendor = connection.vendor
        meta = model._meta
        given = [meta.get_field(c) for c in columns]
        fixed = {meta.get_field(k): v for k, v in constants.items()}
        now = now or datetime.now(UTC)
        for f in meta.concrete_fields:
            if f in given or f in fixed:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                fixed[f] = now
            elif f.primary_key and isinstance(f, models.AutoField):
                continue  # the database numbers it
            elif f.has_default() and callable(f.default) and f.default not in (dict, list):
                raise ValueError(f"{meta.label}.{f.name}: give a value (its default is a function)")
            else:
                value = f.get_default()  # "" for a text field without a default
                if value is None and not f.null:
                    raise ValueError(f"{meta.label}.{f.name}: no default, give a value")
                fixed[f] = value
        self.fields = given + list(fixed)
        self.constants = tuple(self._prep_one(f, v) for f, v in fixed.items())
        self.converters = [(i, conv) for i, f in enumerate(given) if (conv := self._converter(f)) is not None]
        self.table = meta.db_table
        self.pk_column = meta.pk.column
        self._next_id = None

    # ------------------------------------------------------------------ values
    def _converter(self, f):
        """A function turning a Python value of `f` into what the driver takes, or None when it is as is."""
        while f.is_relation:
            f = f.target_field  # a foreign key's value is its target's (a UUID key stays a UUID)
        if isinstance(f, models.JSONField):
            return _json_text
        if isinstance(f, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value if self.vendor == "sqlite" else None
        if isinstance(f, models.DateField):
            return connection.ops.adapt_datefield_value if self.vendor == "sqlite" else None
        if isinstance(f, models.UUIDField):
            # a UUID or its 32 hex digits
            return (lambda v: v if v is None or isinstance(v, str) else v.hex) if self.vendor == "sqlite" else None
        if isinstance(f, (models.DecimalField, models.TimeField)):
            return lambda v, f=f: f.get_db_prep_save(v, connection)
        return None

    def _prep_one(self, f, value):
        conv = self._converter(f)
        if conv is not None:
            return conv(value)
        if isinstance(value, models.Model):
            return value.pk
        return value

    # ------------------------------------------------------------------ ids
    def ids(self, n: int) -> int:
        """Reserve `n` consecutive primary keys; returns the first."""
        if self._next_id is None:
            with connection.cursor() as cur:
                cur.execute(f'SELECT COALESCE(MAX("{self.pk_column}"), 0) FROM "{self.table}"')  # nosec B608 (model meta)
                self._next_id = cur.fetchone()[0] + 1
        first = self._next_id
        self._next_id += n
        return first

    # ------------------------------------------------------------------ writing
    def insert(self, rows: Iterable[tuple]) -> int:
        """Write `rows` (tuples in `columns` order). Returns how many."""
        names = ", ".join(f'"{f.column}"' for f in self.fields)
        const, convs = self.constants, self.converters

        def full(row):
            if convs:
                row = list(row)
                for i, conv in convs:
                    row[i] = conv(row[i])
                return (*row, *const)
            return (*row, *const)

        n = 0
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                with cur.cursor.copy(f'COPY "{self.table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(full(row))
                        n += 1
                return n
            marks = ", ".join(["%s"] * len(self.fields))
            sql = f'INSERT INTO "{self.table}" ({names}) VALUES ({marks})'  # nosec B608 (model meta, %s marks)
            it = iter(rows)
            while chunk := [full(r) for r in islice(it, BATCH)]:
                cur.executemany(sql, chunk)
                n += len(chunk)
        return n

    def close(self) -> None:
        """Move the primary key's sequence past the keys handed out (PostgreSQL)."""
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                cur.execute(sql)


def write(model, columns: Sequence[str], rows: Iterable[tuple], **constants) -> int:
    """Write rows in one go (no ids reserved): `Table(model, columns, **constants).insert(rows)`."""
    t = Table(model, columns, **constants)
    n = t.insert(rows)
    t.close()
    return n


@contextmanager
def indexes_deferred(*models_):
    """Load many rows into these models' tables faster: inside the caller's transaction, drop their
    secondary indexes (and on PostgreSQL their primary keys, unique and foreign-key constraints, whose
    deferred checks otherwise run once per row at commit), and build them again from the loaded rows on
    the way out (one sort per index; one join per foreign key, which checks every row as the constraint
    would have). The schema is the same afterwards; a failure rolls the whole transaction back, DDL
    included (SQLite's and PostgreSQL's DDL is transactional). Must run in a transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred() needs a transaction (transaction.atomic())")
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            restore = _pg_drop(cur, tables)
        elif connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cur.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",  # nosec B608
                tables,
            )
            rows = cur.fetchall()
            for name, _ in rows:
                cur.execute(f'DROP INDEX "{name}"')
            restore = [sql for _, sql in rows]
        else:
            restore = []
    yield
    with connection.cursor() as cur:
        for sql in restore:
            cur.execute(sql)


def _pg_drop(cur, tables: list[str]) -> list[str]:
    """Drop the indexes and key constraints of `tables` (not a key another table's foreign key needs);
    returns the statements that make them again, in an order that works (keys, indexes, foreign keys),
    after running this transaction's deferred checks (a table with checks pending cannot be altered)."""
    for sql in _PG_CHECK_NOW:
        cur.execute(sql)
    cur.execute(
        """SELECT c.conname, c.conrelid::regclass::text, c.contype, pg_get_constraintdef(c.oid)
             FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('p', 'u', 'f')
              AND NOT (c.contype IN ('p', 'u') AND EXISTS (
                  SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid
                     AND NOT r.conrelid = ANY(%s::regclass[])))""",
        [tables, tables],
    )
    constraints = cur.fetchall()
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
             FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [tables],
    )
    indexes = cur.fetchall()
    for name, table, _kind, _ in sorted(constraints, key=lambda c: c[2] != "f"):  # foreign keys first
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    # building an index sorts its rows: give the sort room (this transaction only)
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    keys = [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for n, t, k, d in constraints if k != "f"]
    fks = [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for n, t, k, d in constraints if k == "f"]
    return [*_PG_CHECK_NOW, *keys, *(sql for _, sql in indexes), *fks]


# the transaction's deferred foreign-key checks, run now (as Django's check_constraints does)
_PG_CHECK_NOW = ("SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS ALL DEFERRED")
