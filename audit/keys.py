"""The audit trail's keys: HMAC secrets kept outside the database.

A record is sealed with HMAC-SHA256 under one key and names that key's id, so whoever can write the
database but cannot read the key cannot re-seal a record they changed. Keys come from one of:

- `RECTIFY_AUDIT_KEYS` (settings.AUDIT_KEYS): ``id:hexsecret,id:hexsecret`` from a secret store; or
- a key file (settings.AUDIT_KEYS_FILE, default ``var/audit_keys``, mode 0600), one ``id hexsecret`` per
  line, generated on first use and appended to by `manage.py audit_rotate_key`.

Old keys stay in the keyring so that old records still verify; which key is in use is decided by the
trail itself (the key-start and rotation records), never by the order of the lines.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class KeyringError(Exception):
    """The keyring cannot give what was asked (no such key, or no way to store a new one)."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]  # key id → secret, in the order they were added
    source: str  # where they came from, for messages

    def secret(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyringError(f"key {key_id!r} is not in the keyring ({self.source})") from None

    @property
    def newest(self) -> str | None:
        return next(reversed(self.keys), None)


_cache: dict[tuple, Keyring] = {}


def _parse(lines: list[str], *, sep: str, source: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key_id, _, secret = line.partition(sep)
        key_id, secret = key_id.strip(), secret.strip()
        if not key_id or len(secret) < 32:
            raise KeyringError(f"{source}, entry {n}: expected 'id{sep}hexsecret' with at least 16 bytes of secret")
        try:
            keys[key_id] = bytes.fromhex(secret)
        except ValueError:
            raise KeyringError(f"{source}, entry {n}: the secret is not hexadecimal") from None
    return keys


def keyring() -> Keyring:
    """The keys this installation holds (re-read when the key file changes)."""
    if settings.AUDIT_KEYS:
        marker = ("env", settings.AUDIT_KEYS)
        if marker not in _cache:
            _cache[marker] = Keyring(
                _parse(settings.AUDIT_KEYS.split(","), sep=":", source="RECTIFY_AUDIT_KEYS"), "RECTIFY_AUDIT_KEYS"
            )
        return _cache[marker]
    path = Path(settings.AUDIT_KEYS_FILE)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Keyring({}, str(path))
    marker = ("file", str(path), stat.st_mtime_ns, stat.st_size)
    if marker not in _cache:
        _cache[marker] = Keyring(_parse(path.read_text().splitlines(), sep=" ", source=str(path)), str(path))
    return _cache[marker]


def new_key_id() -> str:
    return f"k{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"


def key_add() -> str:
    """Generate a new key, append it to the key file (created 0600) and return its id. Only the key file
    can be added to: keys given in RECTIFY_AUDIT_KEYS are added there by the operator."""
    if settings.AUDIT_KEYS:
        raise KeyringError(
            "the keys come from RECTIFY_AUDIT_KEYS: add a new 'id:hexsecret' there (e.g. from "
            '`python -c "import secrets; print(secrets.token_hex(32))"`) and name it with --to'
        )
    path = Path(settings.AUDIT_KEYS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    key_id = new_key_id()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, f"{key_id} {secrets.token_hex(32)}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return key_id


# ---------------------------------------------------------------- backups (core.backup.register_keys)


def fingerprint(secret: bytes) -> str:
    """Names a key in a backup's manifest without telling anything about it."""
    return hmac.new(secret, b"rectify audit key fingerprint", "sha256").hexdigest()[:20]


def fingerprints(path: Path | None = None) -> dict[str, str]:
    """{key id: fingerprint} of the keyring (path None), or of a key file given to a restore."""
    if path is None:
        ring = keyring().keys
    else:
        try:
            ring = _parse(Path(path).read_text().splitlines(), sep=" ", source=str(path))
        except KeyringError as e:
            raise ValueError(str(e)) from None
    return {key_id: fingerprint(secret) for key_id, secret in ring.items()}


def keys_install(path: Path, *, check: bool = False) -> str:
    """Add the keys of a key file (a backup's, given to `restore --audit-keys-file`) to the key file of this
    installation, which is rewritten whole and 0600: the given keys first, then any only held here.
    check=True: only say (BackupError) whether it could be done, before the restore changes anything."""
    from core.backup import BackupError

    if settings.AUDIT_KEYS:
        raise BackupError(
            "the audit keys come from RECTIFY_AUDIT_KEYS here: add the backup's keys there ('id:hexsecret', "
            "from the key file's 'id hexsecret' lines) instead of giving --audit-keys-file"
        )
    given = _parse(Path(path).read_text().splitlines(), sep=" ", source=str(path))
    current = keyring().keys
    clash = [k for k in given if k in current and not hmac.compare_digest(current[k], given[k])]
    if clash:
        raise BackupError(f"{settings.AUDIT_KEYS_FILE} holds another key under the id {', '.join(clash)}")
    target = Path(settings.AUDIT_KEYS_FILE)
    if check:
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{k} {v.hex()}" for k, v in given.items()] + [
        f"{k} {v.hex()}" for k, v in current.items() if k not in given
    ]
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, ("\n".join(lines) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    partial.replace(target)
    return str(target)
