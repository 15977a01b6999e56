"""Anchor lines: the head of the trail copied out of the database.

One JSON object per line in an append-only file (settings.AUDIT_ANCHOR_PATH, 0600):

    {"at":"2026-11-29T23:00:00+00:00","hash":"…","key_id":"k20261129-3fa2c1","mac":"…","n":7,"prev":"…","seq":1234}

`n` counts anchors from 1, `seq`/`hash`/`key_id` are the head record's number, seal and key, `prev` is
the previous line's `mac` (so a line removed from the middle breaks the run) and `mac` is the HMAC, under
that key, of the other fields (so an edited line is seen). The same line is kept in the database
(AuditAnchor: a line removed from the end of the file is seen) and sent to the city office's instance
and/or by e-mail, where nobody who can write this server can reach it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from .chain import GENESIS, seal

log = logging.getLogger(__name__)

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
BODY_FIELDS = ("n", "at", "seq", "hash", "key_id", "prev")


def line_mac(body: dict, secret: bytes) -> str:
    return seal(secret, _encode({k: body[k] for k in BODY_FIELDS}).encode())


def make_line(*, n: int, at: str, seq: int, hash: str, key_id: str, prev: str, secret: bytes) -> str:
    body = {"n": n, "at": at, "seq": seq, "hash": hash, "key_id": key_id, "prev": prev or GENESIS}
    return _encode({**body, "mac": line_mac(body, secret)})


@dataclass
class Line:
    lineno: int  # 1-based line in the file (0 for a copy from the database)
    text: str
    data: dict | None  # None: not an anchor line at all


def parse(text: str, lineno: int = 0) -> Line:
    try:
        data = json.loads(text)
    except ValueError:
        return Line(lineno, text, None)
    ok = isinstance(data, dict) and set(data) == {*BODY_FIELDS, "mac"}
    ok = ok and isinstance(data["n"], int) and isinstance(data["seq"], int)
    ok = ok and all(isinstance(data[k], str) for k in ("at", "hash", "key_id", "prev", "mac"))
    return Line(lineno, text, data if ok else None)


def path() -> Path | None:
    return Path(settings.AUDIT_ANCHOR_PATH) if settings.AUDIT_ANCHOR_PATH else None


def read_file() -> list[Line] | None:
    """The anchor file's lines, or None when there is no file (or none configured)."""
    p = path()
    if p is None or not p.exists():
        return None
    return [parse(t, i) for i, t in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1) if t.strip()]


def append(line: str) -> None:
    """Append one line (the file is created 0600; O_APPEND so concurrent writers never interleave)."""
    p = path()
    if p is None:
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


# The city office's instance takes anchors at this path (audit.public_urls); RECTIFY_AUDIT_ANCHOR_URL is its
# full address, RECTIFY_AUDIT_ANCHOR_TOKEN the `code:secret` the city office issued to this institution.
SENDER_HEADER, TIME_HEADER, SIGNATURE_HEADER = "X-Rectify-Sender", "X-Rectify-Time", "X-Rectify-Signature"
MAX_SKEW = 300  # seconds a signed POST stays good (a replay later is refused)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 under the sender's secret of the time and the body: what the receiver recomputes."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signed_headers(token: str, body: bytes, now: float | None = None) -> dict[str, str]:
    code, sep, secret = token.partition(":")
    if not sep or not code or not secret:
        raise ValueError("RECTIFY_AUDIT_ANCHOR_TOKEN must be 'code:secret' as the city office issued it")
    timestamp = str(int(time.time() if now is None else now))
    return {SENDER_HEADER: code, TIME_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def deliver(line: str) -> str:
    """Send a line to the city office's instance (POST, JSON) and to the configured addresses.
    Returns what happened, one clause per destination; never raises (the file copy is already kept)."""
    done = []
    if settings.AUDIT_ANCHOR_URL and not settings.AUDIT_ANCHOR_URL.lower().startswith(("https://", "http://")):
        done.append(f"POST {settings.AUDIT_ANCHOR_URL}: FAILED not an http(s) address")
    elif settings.AUDIT_ANCHOR_URL:
        body = json.dumps({"source": socket.getfqdn(), "anchor": json.loads(line)}).encode()
        req = urllib.request.Request(  # noqa: S310 - an https URL set by the operator
            settings.AUDIT_ANCHOR_URL, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            for name, value in signed_headers(settings.AUDIT_ANCHOR_TOKEN, body).items():
                req.add_header(name, value)
            with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310  # nosec B310 (http(s) only, checked above)
                done.append(f"POST {settings.AUDIT_ANCHOR_URL}: {resp.status}")
        except Exception as e:  # noqa: BLE001 - any failure is reported, the anchor stays in the file
            log.warning("audit anchor not delivered to %s: %s", settings.AUDIT_ANCHOR_URL, e)
            done.append(f"POST {settings.AUDIT_ANCHOR_URL}: FAILED {e}")
    if settings.AUDIT_ANCHOR_EMAILS:
        data = json.loads(line)
        subject = _("Audit trail anchor #%(n)s: record #%(seq)s") % {"n": data["n"], "seq": data["seq"]}
        text = _(
            "The head of the audit trail of %(source)s at %(at)s. Keep this message: `manage.py audit_verify` "
            "checks the trail against lines like this one.\n\n%(line)s\n"
        ) % {"source": socket.getfqdn(), "at": data["at"], "line": line}
        try:
            send_mail(subject, text, None, settings.AUDIT_ANCHOR_EMAILS)
            done.append("mail " + ", ".join(settings.AUDIT_ANCHOR_EMAILS))
        except Exception as e:  # noqa: BLE001
            log.warning("audit anchor not mailed: %s", e)
            done.append(f"mail: FAILED {e}")
    return "; ".join(done)
