"""What the database engine keeps beside the rows: physical order and the write-ahead log.

- `without_rowid`: rebuild a SQLite table as WITHOUT ROWID, so rows are stored in the order of their
  random primary key instead of a hidden insertion counter. Used by migrations (0004).
- `wal_truncate`: after a round closes, copy the write-ahead log into the database and cut it to
  zero bytes (SQLite), so the log of the voting days (which pairs each spent code with a sealed
  ballot) does not stay beside the opened ballots. PostgreSQL's pg_wal is recycled by the server;
  what its archives can show is in docs/anonymity.md.
"""

from django.db import connection

ANONYMOUS_TABLES = (
    "evaluations_sealedballot",
    "evaluations_ballot",
    "evaluations_ballotanswer",
    "evaluations_publicrating",
    "evaluations_freetext",
)


def without_rowid(schema_editor, table: str) -> None:
    """Rebuild `table` WITHOUT ROWID, keeping its rows and indexes (SQLite only; no-op elsewhere)."""
    conn = schema_editor.connection
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cur:
        cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        (create,) = cur.fetchone()
        if create.rstrip().upper().endswith("WITHOUT ROWID"):
            return
        cur.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table])
        indexes = [r[0] for r in cur.fetchall()]
        tmp = f"{table}__worowid"
        head = f'CREATE TABLE "{table}"'
        if not create.startswith(head):  # not an assert: python -O would drop it
            raise RuntimeError(f"unexpected table definition: {create}")
        cur.execute(f'CREATE TABLE "{tmp}"' + create[len(head) :] + " WITHOUT ROWID")  # nosec B608 (our table)
        cur.execute(f'INSERT INTO "{tmp}" SELECT * FROM "{table}"')  # nosec B608 (our table)
        cur.execute(f'DROP TABLE "{table}"')
        cur.execute(f'ALTER TABLE "{tmp}" RENAME TO "{table}"')
        for sql in indexes:
            cur.execute(sql)


def is_without_rowid(table: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        row = cur.fetchone()
    return bool(row) and row[0].rstrip().upper().endswith("WITHOUT ROWID")


def wal_truncate() -> None:
    """Checkpoint and truncate SQLite's -wal file (outside any transaction; best effort: a reader
    still open elsewhere can keep frames, the next checkpoint then truncates)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def secure_delete(on: bool) -> None:
    """SQLite overwrites deleted content with zeros while this is on (the sealed ballots and codes
    deleted at close)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}")
