"""Checking the audit trail: every seal under its key, the chain unbroken, the keys handed over only by
rotation records, and the head against every anchor (the anchor file and its database copies).

One pass over the records as plain tuples (values_list, streamed in chunks): no model instances, one
JSON encoding and one HMAC per record (see audit.chain). For whoever may verify (operators,
`manage.py audit_verify`; the audit page for those who see every record).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings

from . import anchors
from .chain import FIELDS, GENESIS, KEY_ROTATE, KEY_START, legacy_digest, message
from .keys import KeyringError, keyring
from .models import AuditAnchor, AuditHead, AuditRecord

MAX_LISTED = 50
CHUNK = 10_000


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


def _anchors_checked(report: TrailReport) -> dict[int, list[tuple[dict, str]]]:
    """Read the anchor file and the database copies, report lines that were removed, edited or reordered,
    and return the anchors to compare with the records: {seq: [(anchor, where)]}."""
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
    known = {n for n, _ in rows}
    for n in sorted(set(file_by_n) - known):
        report.notes.append(f"anchor #{n} is in the file but has no database copy")
    all_anchors = [a for pairs in by_seq.values() for a, _ in pairs]
    report.anchors = len({a["n"] for a in all_anchors})
    if all_anchors:
        report.last_anchor = max(all_anchors, key=lambda a: a["n"])
    return by_seq


def trail_verify() -> TrailReport:
    """Walk the whole trail once and report every problem found (the first MAX_LISTED named)."""
    report = TrailReport()
    ring = keyring()
    secrets = dict(ring.keys)
    wanted = _anchors_checked(report)
    local_tz = ZoneInfo(settings.TIME_ZONE)
    prev, expected_seq, current_key = GENESIS, 1, None
    last_seq = 0
    problem = report.problem
    digest = hmac.digest
    rows = AuditRecord.objects.order_by("seq").values_list(*FIELDS).iterator(chunk_size=CHUNK)
    for row in rows:
        seq, key_id, prev_hash, stored = row[0], row[11], row[12], row[13]
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
                if current_key is None and row[4] == KEY_START:
                    current_key = key_id
                    report.keys.append(key_id)
                elif current_key is None:
                    problem(f"record #{seq} is sealed with key {key_id} but the trail was never keyed before it")
                else:
                    problem(
                        f"record #{seq} is sealed with key {key_id}, but the trail's key at that point is {current_key}"
                    )
            secret = secrets.get(key_id)
            if secret is None:
                problem(f"record #{seq} is sealed with key {key_id!r}, which is not in the keyring ({ring.source})")
            elif digest(secret, message(row), "sha256").hex() != stored:
                problem(
                    f"record #{seq} does not match its seal under key {key_id}: the record was altered, "
                    f"or this is not the key it was sealed with"
                )
            if row[4] == KEY_ROTATE and key_id == current_key:
                current_key = (row[10] or {}).get("to") if isinstance(row[10], dict) else None
                if current_key:
                    report.keys.append(current_key)
        else:
            report.unkeyed += 1
            if current_key is not None:
                problem(
                    f"record #{seq} has no key, but the trail was keyed before it (a record re-hashed without the key)"
                )
            elif legacy_digest(row, prev) != stored and legacy_digest(row, prev, local_tz=local_tz) != stored:
                problem(f"record #{seq} was altered (its plain SHA-256 does not match)")
        if seq in wanted:
            for a, label in wanted.pop(seq):
                if a["hash"] != stored:
                    problem(
                        f"{label} says record #{seq} was sealed {a['hash'][:16]}…, the trail has {stored[:16]}…: "
                        f"record #{seq} or an earlier one was rewritten and re-sealed"
                    )
                elif a["key_id"] != key_id:
                    problem(f"{label} says record #{seq} was sealed with key {a['key_id']}, the trail says {key_id}")
        prev, expected_seq, last_seq = stored, seq + 1, seq
        report.records += 1
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
