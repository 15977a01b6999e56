"""Checking the audit trail: every seal under its key, the chain unbroken, the keys handed over only by
rotation records, and the head against every anchor (the anchor file and its database copies).

One pass over the records as plain tuples streamed in chunks (no model instances): each chunk checked
whole first (_intact), a chunk with anything wrong walked record by record to name it; one HMAC per
record under a key schedule computed once per key (see audit.chain for the sealed bytes). For whoever may verify (operators,
`manage.py audit_verify`; the audit page for those who see every record).
"""

from __future__ import annotations

import bisect
import hmac
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from core.gcpause import gc_paused

from . import anchors
from .chain import FIELDS, GENESIS, KEY_ROTATE, KEY_START, _q, canonical, changes_json, legacy_digest, utc_text
from .keys import KeyringError, keyring
from .models import AuditAnchor, AuditHead, AuditRecord

try:  # OpenSSL's HMAC object: keyed once, copied per record (C); hmac.new's is the same in Python
    from _hashlib import hmac_new as _mac_new
except ImportError:  # pragma: no cover (Python built without OpenSSL)

    def _mac_new(key: bytes, digestmod: str):
        return hmac.new(key, digestmod=digestmod)


MAX_LISTED = 50
CHUNK = 10_000  # rows a SQLite read hands over at a time
AHEAD_CHUNK = 2_000  # rows a PostgreSQL FETCH hands over at a time (_chunks_ahead)
# The bytes JSON escapes in a string (ensure_ascii off): the quote, the backslash, the control characters.
_ESCAPES = b'"\\' + bytes(range(32))


@dataclass
class TrailReport:
    records: int = 0
    unkeyed: int = 0  # records from before the trail was keyed (plain SHA-256)
    keys: list[str] = field(default_factory=list)  # key ids in the order the trail used them
    anchors: int = 0  # anchors checked against the records
    last_anchor: dict | None = None
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(text)

    def summary(self) -> str:
        text = f"{self.records} records"
        if self.unkeyed:
            text += f" ({self.unkeyed} from before the trail was keyed, plain SHA-256)"
        text += f", keys {', '.join(self.keys) or 'none'}, {self.anchors} anchors checked"
        return text

    def message(self) -> str:
        if self.ok:
            return f"{self.summary()}: intact"
        more = f" (and {self.problem_count - 1} more problems)" if self.problem_count > 1 else ""
        return self.problems[0] + more


def _anchor_label(a: dict, where: str) -> str:
    return f"anchor #{a['n']} ({where}, {a['at']})"


def _anchors_checked(report: TrailReport, received: list[str] | None = None, received_from: str = "") -> dict:
    """Read the anchor file and the database copies, report lines that were removed, edited or reordered,
    and return the anchors to compare with the records: {seq: [(anchor, where)]}. `received`: the lines
    the city office's instance received (its download), checked the same way and compared with ours."""
    ring = keyring()
    by_seq: dict[int, list[tuple[dict, str]]] = {}
    lines = anchors.read_file()
    file_by_n: dict[int, anchors.Line] = {}
    where_file = str(anchors.path())

    def sealed(a: dict, label: str) -> bool:
        try:
            secret = ring.secret(a["key_id"])
        except KeyringError:
            report.problem(f"{label} is sealed with key {a['key_id']!r}, which is not in the keyring ({ring.source})")
            return False
        if not hmac.compare_digest(anchors.line_mac(a, secret), a["mac"]):
            report.problem(f"{label} was altered: its seal does not match under key {a['key_id']}")
            return False
        return True

    if lines is not None:
        expected_n, prev_mac = 1, GENESIS
        for ln in lines:
            if ln.data is None:
                report.problem(f"anchor file {where_file}, line {ln.lineno}, is not an anchor line (edited)")
                continue
            a = ln.data
            label = _anchor_label(a, f"{where_file} line {ln.lineno}")
            if a["n"] != expected_n:
                if a["n"] > expected_n:
                    missing = f"#{expected_n}" + (f"–#{a['n'] - 1}" if a["n"] - 1 > expected_n else "")
                    report.problem(
                        f"anchor {missing} missing from {where_file} before line {ln.lineno} (lines removed)"
                    )
                else:
                    report.problem(f"{label} is out of order (expected #{expected_n}): lines moved or copied")
            elif a["prev"] != prev_mac:
                report.problem(f"{label} does not follow the line before it (a line replaced)")
            expected_n, prev_mac = a["n"] + 1, a["mac"]
            if sealed(a, label):
                file_by_n[a["n"]] = ln
                by_seq.setdefault(a["seq"], []).append((a, label))
    rows = list(AuditAnchor.objects.order_by("n").values_list("n", "line"))
    file_any = {ln.data["n"]: ln for ln in lines or [] if ln.data}
    if rows and lines is None:
        if anchors.path() is None:
            report.notes.append("no anchor file is configured (RECTIFY_AUDIT_ANCHOR_PATH); checked the database copies")
        else:
            report.problem(f"the anchor file {where_file} is missing, but {len(rows)} anchors were written to it")
    for n, text in rows:
        ln = anchors.parse(text)
        if ln.data is None or ln.data["n"] != n:
            report.problem(f"the database copy of anchor #{n} is not an anchor line (edited)")
            continue
        a = ln.data
        label = _anchor_label(a, "database copy")
        if lines is None:
            if sealed(a, label):
                by_seq.setdefault(a["seq"], []).append((a, label))
        elif n not in file_any:
            report.problem(f"anchor #{n} ({a['at']}, record #{a['seq']}) is missing from {where_file} (line removed)")
            if sealed(a, label):
                by_seq.setdefault(a["seq"], []).append((a, label))
        else:
            if file_any[n].text.strip() != text:
                report.problem(
                    f"anchor #{n} differs between {where_file} line {file_any[n].lineno} and its database copy"
                )
            if n not in file_by_n and sealed(a, label):  # the file's line is bad: check the copy instead
                by_seq.setdefault(a["seq"], []).append((a, label))
    ours = {n: text for n, text in rows} | {n: ln.text.strip() for n, ln in file_any.items()}
    for i, text in enumerate(received or [], start=1):
        if not text.strip():
            continue
        ln = anchors.parse(text.strip(), i)
        where = f"{received_from or 'the received copies'} line {i}"
        if ln.data is None:
            report.problem(f"{where} is not an anchor line")
            continue
        a = ln.data
        label = _anchor_label(a, f"received by the city office, {where}")
        if a["n"] in ours and ours[a["n"]] != ln.text:
            report.problem(f"{label} differs from this installation's anchor #{a['n']}")
        elif a["n"] not in ours:
            report.notes.append(f"anchor #{a['n']} was received by the city office but is not kept here")
        if sealed(a, label):
            by_seq.setdefault(a["seq"], []).append((a, label))
    known = {n for n, _ in rows}
    for n in sorted(set(file_by_n) - known):
        report.notes.append(f"anchor #{n} is in the file but has no database copy")
    all_anchors = [a for pairs in by_seq.values() for a, _ in pairs]
    report.anchors = len({a["n"] for a in all_anchors})
    if all_anchors:
        report.last_anchor = max(all_anchors, key=lambda a: a["n"])
    return by_seq


# The time as sealed (chain.utc_text), written by the database: SQLite stores str(naive UTC datetime),
# "2026-09-01 08:00:07[.000123]"; PostgreSQL writes the UTC instant in one to_char, microseconds left out
# when they are zero, as Python's isoformat does.
_AT_SQL = {
    "sqlite": "replace(at, ' ', 'T') || '+00:00'",
    "postgresql": "replace(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), '.000000+', '+')",
}
_PLAIN_COLUMNS = (
    "seq, {at}, actor_id, actor_label, action, object_type, object_id, object_repr, unit_id, institution_id, "
    "{changes}, key_id, prev_hash, hash"
)


# The start and the end of a record's sealed bytes with the strings between plain quotes (see _rows_sql).
# PostgreSQL: a NULL anywhere makes the whole NULL (read again by itself). SQLite: one printf, cheaper than
# twenty concatenations in its engine (a NULL string, which its NOT NULL columns refuse, makes it NULL too).
_HEAD_SQL = {
    "postgresql": (
        """'[' || seq || ',"' || {at} || '",' || coalesce(actor_id::text, 'null') || ',"' || actor_label """
        """|| '","' || action || '","' || object_type || '","' || object_id || '","' || object_repr || '",' """
        """|| coalesce(unit_id::text, 'null') || ',' || coalesce(institution_id::text, 'null') || ','"""
    ).format(at=_AT_SQL["postgresql"]),
    "sqlite": (
        "CAST(CASE WHEN at IS NULL OR actor_label IS NULL OR action IS NULL OR object_type IS NULL "
        """OR object_id IS NULL OR object_repr IS NULL THEN NULL ELSE printf('[%s,"%s+00:00",%s,"%s","%s","%s",'"""
        """ || '"%s","%s",%s,%s,', seq, replace(at, ' ', 'T'), coalesce(actor_id, 'null'), actor_label, """
        "action, object_type, object_id, object_repr, coalesce(unit_id, 'null'), coalesce(institution_id, 'null')) "
        "END AS BLOB)"
    ),
}
_TAIL_SQL = {
    "postgresql": """',"' || key_id || '","' || prev_hash || '"]'""",
    "sqlite": """CAST(',"' || key_id || '","' || prev_hash || '"]' AS BLOB)""",
}


_KIND_SQL = f"CASE action WHEN '{KEY_START}' THEN 1 WHEN '{KEY_ROTATE}' THEN 2 ELSE 0 END"
_KIND_START, _KIND_ROTATE = 1, 2


def _key_prev(seq: int, head: bytes | None, tail: bytes | None) -> tuple[str | None, str | None]:
    """A record's key_id and prev_hash from its tail `,"key","prev"]`: split at its 4 plain quotes when it
    has no other; else (a quote inside one of them, or a NULL) read again by itself. (None, None) if it
    was removed since it was read."""
    if tail is not None:
        parts = tail.split(b'"')
        if len(parts) == 5:
            return parts[1].decode(), parts[3].decode()
    rows = _plain_rows(seq)
    if not rows:
        return None, None
    row = next((r for r in rows if _plain_head_tail(r) == (head, tail)), rows[0])
    return row[11], row[12]


def _rows_sql() -> str:
    """The records in order, each as (seq, head, changes, tail, hash, kind) where
    `head` is the start of its sealed bytes, `[seq,"at",actor,"label","action","type","id","repr",unit,
    institution,`, and `tail` the end, `,"key","prev"]`, put together by the database with the strings
    between plain quotes, and `changes` the JSON text as stored; the three as bytes (PostgreSQL's text
    comes as its UTF-8 bytes through the loader _chunks_ahead registers, SQLite's is cast to a blob).
    trail_verify checks that no string needed JSON escaping (no quote, backslash or control character:
    then these are the sealed bytes exactly) and hashes the three pieces: the database does the cheap
    part (joining, the time) and hands over three byte strings instead of ten values for this process
    to quote and join. PostgreSQL's own JSON quoting (to_json per string) cost more than this process
    spends hashing, and a check there for characters to escape (a regular expression) as much again.
    `kind` is 1 for a key-start record, 2 for a rotation, else 0 (a number costs less to hand over than
    the action's text); key_id and prev_hash are read from the tail (_key_prev): six values a record
    instead of eight, which on SQLite is a fifth of reading them (SQLite's cost is per value)."""
    vendor = connection.vendor
    changes = "CAST(changes AS BLOB)" if vendor == "sqlite" else "changes::text"
    table = AuditRecord._meta.db_table
    return (
        f"SELECT seq, {_HEAD_SQL[vendor]}, {changes}, {_TAIL_SQL[vendor]}, hash, {_KIND_SQL} "
        f'FROM "{table}" ORDER BY seq'  # nosec B608 (fixed columns, the model's table)
    )


def _chunks(sql: str):
    """The rows of `sql` in chunks. SQLite runs in this process: a plain chunked cursor. PostgreSQL: see
    _chunks_ahead."""
    if connection.vendor != "postgresql":
        with connection.chunked_cursor() as cur:
            cur.execute(sql)
            while rows := cur.fetchmany(CHUNK):
                yield rows
        return
    yield from _chunks_ahead(sql)


_cursor_names = itertools.count(1)


def _chunks_ahead(sql: str, size: int | None = None, ahead: int = 3):
    """The rows of `sql` through a cursor in the database, `size` rows at a time, with the next `ahead`
    reads already sent (psycopg's pipeline mode): the database reads and sends the next rows while this
    process hashes the current ones, the two working at once instead of taking turns (a plain
    server-side cursor asks for the next chunk only when the last one is done). A reader thread does
    not help: it waits for the GIL behind the hashing loop at every packet. Results come in binary form,
    text as its UTF-8 bytes (no decoding: they are hashed as they come), numbers without parsing."""
    from psycopg import Cursor
    from psycopg.types.string import ByteaBinaryLoader

    size = size or AHEAD_CHUNK
    connection.ensure_connection()
    conn = connection.connection
    if conn.info.encoding != "utf-8":
        raise RuntimeError(f"the audit trail is read as UTF-8; this connection's encoding is {conn.info.encoding}")
    name = f"audit_verify_{next(_cursor_names)}"
    fetch = f"FETCH FORWARD {int(size)} FROM {name}"  # nosec B608 (an int and our cursor name)

    def sent():
        cur = Cursor(conn)  # server-side binding: Django's client-side cursors have no binary results
        cur.adapters.register_loader("text", ByteaBinaryLoader)
        return cur.execute(fetch, binary=True)

    with transaction.atomic(), conn.pipeline():
        conn.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}")  # nosec B608 (our cursor name and query)
        pending = deque(sent() for _ in range(ahead))
        while rows := pending.popleft().fetchall():
            pending.append(sent())
            yield rows
        conn.execute(f"CLOSE {name}")


def _plain_rows(seq: int) -> list[tuple]:
    """The record(s) numbered `seq` as plain columns (FIELDS order, `at` as sealed, `changes` as JSON
    text): for the rare record whose strings need JSON escaping, read again by itself."""
    changes = "changes" if connection.vendor == "sqlite" else "changes::text"
    columns = _PLAIN_COLUMNS.format(at=_AT_SQL[connection.vendor], changes=changes)
    table = AuditRecord._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f'SELECT {columns} FROM "{table}" WHERE seq = %s', [seq])  # nosec B608 (fixed columns)
        return cur.fetchall()


def _plain_head_tail(row: tuple) -> tuple[bytes, bytes]:
    """What _rows_sql's head and tail are for a row of _plain_rows (to tell apart two records sharing a seq)."""
    seq, at, actor, label, action, otype, oid, orepr, unit, inst, _changes, key_id, prev, _stored = row
    n = lambda v: "null" if v is None else str(v)  # noqa: E731
    head = f'[{seq},"{at}",{n(actor)},"{label}","{action}","{otype}","{oid}","{orepr}",{n(unit)},{n(inst)},'
    return head.encode(), f',"{key_id}","{prev}"]'.encode()


def _quoted(parts: list[bytes]) -> bytes:
    """Pieces split at the plain quotes, every other one a string: the strings quoted as JSON."""
    return b"".join(p if i % 2 == 0 else _q(p.decode()).encode() for i, p in enumerate(parts))


def _escaped_message(seq: int, head: bytes | None, tail: bytes | None, changes: bytes) -> bytes:
    """The sealed bytes of a record whose strings need JSON escaping, quoted field by field. Where no
    string holds a quote (a backslash, a line break, a control character), the 12 plain quotes of the
    head and the 4 of the tail are exactly where each string starts and ends; else the record is read
    again by itself (a query: slower, but a quote inside a string leaves no other exact way)."""
    if head is not None and tail is not None and head.count(b'"') == 12 and tail.count(b'"') == 4:
        return _quoted(head.split(b'"')) + changes + _quoted(tail.split(b'"'))
    rows = _plain_rows(seq)
    if not rows:  # removed since it was read: nothing matches its seal
        return b""
    row = next((r for r in rows if _plain_head_tail(r) == (head, tail)), rows[0])
    seq, at, actor, label, action, otype, oid, orepr, unit, inst, _changes, key_id, prev, _stored = row
    return canonical(seq, at, actor, label, action, otype, oid, orepr, unit, inst, changes.decode(), key_id, prev)


def _unkeyed_row(seq: int) -> tuple:
    """A record from before the trail was keyed, as _unkeyed_ok reads it (rare: read one by one)."""
    qs = AuditRecord.objects.filter(seq=seq).annotate(changes_text=Cast("changes", TextField()))
    seq, at, *mid, changes_text, key_id, prev, stored = qs.values_list(
        "seq", "at", *FIELDS[2:10], "changes_text", *FIELDS[11:]
    ).get()
    return (seq, utc_text(at), *mid, changes_text, key_id, prev, stored)


def _unkeyed_ok(row: tuple, prev: str, local_tz) -> bool:
    seq, at_text, *mid, changes_text, _key, _prev, stored = row
    plain = (seq, datetime.fromisoformat(at_text), *mid, json.loads(changes_text))
    return stored in (legacy_digest(plain, prev), legacy_digest(plain, prev, local_tz=local_tz))


def _intact(rows: list[tuple], first_seq: int, prev: str, key_id: str, mac, sealed_of: dict[bytes, bytes]) -> bool:
    """Whether a chunk of _rows_sql rows holds nothing the record-by-record walk (trail_verify's `walk`)
    would report or act on: numbered on from `first_seq` without a gap, each following the one before it
    (the first following `prev`), all sealed under the trail's current key `key_id` and none handing it
    over, no string needing JSON escaping, every seal matching. Checked a column at a time (C loops over
    the chunk) and the seals with `mac`, an HMAC already keyed with the key's secret, copied per record:
    the key schedule is per key, not per record. Any doubt returns False and the chunk is walked record
    by record, which names what is wrong; so this decides nothing the walk would decide otherwise.
    `sealed_of` caches changes as stored → as sealed (most records share a few shapes)."""
    n = len(rows)
    seqs, heads, raws, tails, hashes, kinds = zip(*rows)
    if seqs != tuple(range(first_seq, first_seq + n)) or _KIND_ROTATE in kinds:
        return False
    try:
        head_bytes, tail_bytes = b"".join(heads), b"".join(tails)
        # Every tail is `,"key","prev"]` with this key and the seal before it: the tails of the chunk
        # joined are exactly these joined, and all of one length (so each is its own).
        sep = '"],"' + key_id + '","'
        chained = (',"' + key_id + '","' + sep.join((prev, *hashes[:-1])) + '"]').encode()
    except TypeError:  # a NULL
        return False
    if tail_bytes != chained or len(set(map(len, tails))) != 1:
        return False
    # Every head has its 12 plain quotes, so the count adds up to 12n exactly when no head has more:
    # when no string in it holds a character JSON escapes.
    if len(head_bytes) - len(head_bytes.translate(None, _ESCAPES)) != 12 * n:
        return False
    if len(sealed_of) > 100_000:
        sealed_of.clear()
    for raw in set(raws).difference(sealed_of):
        sealed_of[raw] = changes_json(json.loads(raw)).encode()
    copy, sealed = mac.copy, sealed_of.__getitem__
    for head, raw, tail, stored in zip(heads, raws, tails, hashes):
        h = copy()
        h.update(head)
        h.update(sealed(raw))
        h.update(tail)
        if h.hexdigest() != stored:
            return False
    return True


def trail_verify(received: list[str] | None = None, received_from: str = "") -> TrailReport:
    """Walk the whole trail once and report every problem found (the first MAX_LISTED named). `received`:
    anchor lines as the city office's instance received them, checked too.

    A chunk of records is first checked whole (_intact: column by column, seals under a key schedule
    computed once); only a chunk where that finds anything is walked record by record (`walk`), which
    names each problem. An intact trail is never walked record by record past its first chunk (the one
    that starts the key)."""
    report = TrailReport()
    ring = keyring()
    secrets = dict(ring.keys)
    wanted = _anchors_checked(report, received, received_from)
    anchored = sorted(wanted)
    local_tz = ZoneInfo(settings.TIME_ZONE)
    prev, expected_seq, current_key = GENESIS, 1, None
    problem = report.problem
    digest, escapes = hmac.digest, _ESCAPES
    count = 0
    macs: dict[str, object] = {}  # key id → HMAC keyed with its secret, copied per record
    # changes as stored → (as sealed, and how many bytes of the whole sealed text _ESCAPES removes when no
    # string needs escaping: the 16 quotes around the 8 strings and those of the changes). Most records
    # share a few shapes.
    normal: dict[bytes, tuple[bytes, int]] = {}
    sealed_of: dict[bytes, bytes] = {}  # the same for _intact: changes as stored → as sealed

    def check_anchors(seq: int, stored: str, key_id: str) -> None:
        for a, label in wanted.pop(seq):
            if a["hash"] != stored:
                problem(
                    f"{label} says record #{seq} was sealed {a['hash'][:16]}…, the trail has {stored[:16]}…: "
                    f"record #{seq} or an earlier one was rewritten and re-sealed"
                )
            elif a["key_id"] != key_id:
                problem(f"{label} says record #{seq} was sealed with key {a['key_id']}, the trail says {key_id}")

    def walk(rows: list[tuple]) -> None:
        """The chunk record by record, naming every problem."""
        nonlocal prev, expected_seq, current_key
        for seq, start, raw, end, stored, kind in rows:
            key_id, prev_hash = _key_prev(seq, start, end)
            if key_id is None:
                problem(f"record #{seq} was removed while the trail was being read")
                continue
            if seq != expected_seq:
                if seq > expected_seq:
                    gap = f"#{expected_seq}" + (f"–#{seq - 1}" if seq - 1 > expected_seq else "")
                    problem(f"record {gap} missing (next found: #{seq})")
                else:
                    problem(f"record #{seq} appears twice or out of order")
            if prev_hash != prev:
                problem(f"record #{seq} does not follow record #{seq - 1} (inserted, removed or reordered)")
            if key_id:
                if key_id != current_key:
                    if current_key is None and kind == _KIND_START:
                        current_key = key_id
                        report.keys.append(key_id)
                    elif current_key is None:
                        problem(f"record #{seq} is sealed with key {key_id} but the trail was never keyed before it")
                    else:
                        problem(
                            f"record #{seq} is sealed with key {key_id}, but the trail's key at that point is {current_key}"
                        )
                shape = normal.get(raw)
                if shape is None:
                    if len(normal) > 100_000:
                        normal.clear()
                    sealed = changes_json(json.loads(raw)).encode()
                    shape = normal[raw] = (sealed, 16 + len(sealed) - len(sealed.translate(None, escapes)))
                changes, removed = shape
                secret = secrets.get(key_id)
                if secret is None:
                    problem(f"record #{seq} is sealed with key {key_id!r}, which is not in the keyring ({ring.source})")
                else:
                    try:
                        msg = start + changes + end
                    except TypeError:  # a NULL in the head or the tail
                        msg = b""
                    # No string needed escaping exactly when the escaping characters are the 16 quotes
                    # put around them and those of the changes (one pass in C, no decoding).
                    if len(msg) - len(msg.translate(None, escapes)) != removed:
                        msg = _escaped_message(seq, start, end, changes)
                    if digest(secret, msg, "sha256").hex() != stored:
                        problem(
                            f"record #{seq} does not match its seal under key {key_id}: the record was altered, "
                            f"or this is not the key it was sealed with"
                        )
                if kind == _KIND_ROTATE and key_id == current_key:
                    to = json.loads(raw)
                    current_key = to.get("to") if isinstance(to, dict) else None
                    if current_key:
                        report.keys.append(current_key)
            else:
                report.unkeyed += 1
                if current_key is not None:
                    problem(
                        f"record #{seq} has no key, but the trail was keyed before it (a record re-hashed without the key)"
                    )
                elif not _unkeyed_ok(_unkeyed_row(seq), prev_hash, local_tz):
                    problem(f"record #{seq} was altered (its plain SHA-256 does not match)")
            if seq in wanted:
                check_anchors(seq, stored, key_id)
            prev = stored
            expected_seq = seq + 1

    with gc_paused():  # a million rows of tuples: the collector's passes were a quarter of the time
        for rows in _chunks(_rows_sql()):
            mac = None
            if current_key is not None:
                mac = macs.get(current_key)
                if mac is None and current_key in secrets:
                    mac = macs[current_key] = _mac_new(secrets[current_key], digestmod="sha256")
            if mac is not None and _intact(rows, expected_seq, prev, current_key, mac, sealed_of):
                last = expected_seq + len(rows) - 1
                i = bisect.bisect_left(anchored, expected_seq)
                while i < len(anchored) and anchored[i] <= last:  # numbered on without a gap: row k is seq + k
                    seq = anchored[i]
                    if seq in wanted:
                        check_anchors(seq, rows[seq - expected_seq][4], current_key)
                    i += 1
                prev, expected_seq = rows[-1][4], last + 1
            else:
                walk(rows)
            count += len(rows)
    report.records = count
    last_seq = expected_seq - 1
    for seq in sorted(wanted):
        for _a, label in wanted[seq]:
            problem(
                f"{label} names record #{seq}, but the trail ends at #{last_seq}: records after #{last_seq} were "
                f"removed and the head moved back"
            )
    head = AuditHead.objects.filter(pk=1).first()
    if head and (head.last_seq, head.last_hash) != (last_seq, prev):
        problem(f"the chain ends at #{last_seq} but its head says #{head.last_seq} (records removed at the end)")
    if head and current_key and head.key_id != current_key:
        problem(f"the head names key {head.key_id!r}, but the trail's last rotation handed over to {current_key}")
    if ring.keys and report.records and current_key is None:
        problem(
            f"the keyring ({ring.source}) holds keys but no record of the trail is keyed: the keyed records "
            f"were removed or re-hashed without the key"
        )
    if report.records and not report.anchors:
        report.notes.append("no anchor covers this trail yet (`manage.py audit_anchor` writes one)")
    return report
