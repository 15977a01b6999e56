"""The human check of the public forms (a small sum), one for the whole site.

The token that travels with the form is sealed with a key derived from SECRET_KEY (libsodium's secret box:
encrypted and authenticated), so the answer cannot be read from it nor a token forged; it expires after
`MAX_AGE` and is good for one answer (a marker in the shared cache, set atomically when it is used). No
state is kept for a form that is only looked at.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

import nacl.exceptions
import nacl.secret
from django.utils.crypto import salted_hmac

from . import ratelimit

MAX_AGE = 30 * 60


def _box(secret_key: str | None = None) -> nacl.secret.SecretBox:
    key = hashlib.sha256(salted_hmac("core.humancheck", "box", secret=secret_key).digest()).digest()
    return nacl.secret.SecretBox(key)


def challenge() -> tuple[str, str]:
    """(question, token): "3 + 5" and the sealed answer to send back with the form."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    payload = json.dumps({"s": a + b, "n": secrets.token_hex(8), "t": int(time.time())}).encode()
    token = base64.urlsafe_b64encode(_box().encrypt(payload)).decode().rstrip("=")
    return f"{a} + {b}", token


def _open(token: str, secret_key: str | None = None) -> dict | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(_box(secret_key).decrypt(raw))
    except (ValueError, TypeError, nacl.exceptions.CryptoError):
        return None
    if not isinstance(payload, dict) or time.time() - payload.get("t", 0) > MAX_AGE:
        return None
    return payload


def verify(token: str | None, answer) -> str:
    """ "ok", "wrong" (the answer), "expired" (unreadable, forged or too old) or "used" (answered before).
    Only "ok" spends the token."""
    payload = _open(token or "")
    if payload is None:
        return "expired"
    try:
        given = int(str(answer).strip())
    except (TypeError, ValueError):
        return "wrong"
    if given != payload.get("s"):
        return "wrong"
    if not ratelimit.once("humancheck", payload["n"], seconds=MAX_AGE + 60):
        return "used"
    return "ok"


def answer_for_tests(token: str, *, secret_key: str | None = None) -> int | None:
    """The answer inside a token, for tests (opening it takes the installation's secret key)."""
    payload = _open(token, secret_key)
    return payload["s"] if payload else None
