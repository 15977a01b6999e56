"""Backup and restore: one .tar.gz holding a consistent copy of the database and the uploaded files,
with a manifest of SHA-256 checksums. Used by `manage.py backup PATH` and `manage.py restore PATH`.

SQLite is copied with its online backup API (consistent while the site runs); PostgreSQL with pg_dump
(custom format, restored with pg_restore --clean). A restore verifies every checksum before it touches
anything, then replaces the database and the media directory.

The secret key is not in the archive (whoever holds a backup should not also hold the key that seals the
human checks and keys the rate-limit hashes), but the manifest names it by a keyed fingerprint. A restore
refuses to run under another key, since sessions, signed links and everything keyed by it would fail:
give it the original key file (`restore --secret-key-file`), which it then installs as var/secret_key. After
the files it collects the static files, so the restored site serves its pages at once.

The same goes for the keys an app keeps outside the database and registers here (`register_keys`): the
audit trail's HMAC keys (var/audit_keys) are left out of the archive on purpose (with the key beside the
database, whoever holds a backup could re-seal a rewritten trail). The manifest names each key by its id
and a keyed fingerprint; a restore refuses to run unless this installation holds every one of them, or
they are given (`restore --audit-keys-file PATH`), in which case they are installed (0600) with the data.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

FORMAT = "rectify-backup-1"
MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Keys:
    """Secrets an app keeps outside the database, which its data needs and a backup leaves out."""

    name: str  # the manifest's entry, and the restore option --<name>-file (with - for _)
    label: str  # for messages: "the audit trail's keys"
    default_path: str  # where an installation keeps them, for messages: "var/audit_keys"
    # {key id: fingerprint} of the keys this installation holds (path None), or that the file at path holds
    fingerprints: Callable[[Path | None], dict[str, str]]
    # add the keys of the file at path to this installation (created 0600); returns where they went.
    # Called before anything is restored with check=True (raise BackupError if it could not install them).
    install: Callable[..., str]


_keys: dict[str, Keys] = {}


def register_keys(keys: Keys) -> None:
    _keys[keys.name] = keys


def registered_keys() -> list[Keys]:
    return list(_keys.values())


def option(keys: Keys) -> str:
    return f"--{keys.name.replace('_', '-')}-file"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def key_id(secret_key: str | None = None) -> str:
    """A fingerprint of the secret key (keyed by the key itself: it tells nothing about it)."""
    return salted_hmac("core.backup.key-id", "secret key fingerprint", secret=secret_key).hexdigest()[:20]


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _pg_env() -> tuple[list[str], dict]:
    db = settings.DATABASES["default"]
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return args, env


def _dump_database(dest: Path) -> str:
    """Write a consistent copy of the database to dest; return its file name inside the archive."""
    if _engine() == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(dest)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return "db.sqlite3"
    args, env = _pg_env()
    name = connection.settings_dict["NAME"]
    subprocess.run(["pg_dump", *args, "-Fc", "--no-owner", "-f", str(dest), name], check=True, env=env)
    return "db.pgdump"


def backup(path: str | Path) -> dict:
    """Write the archive at `path`; return its manifest."""
    path = Path(path)
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        db_file = Path(tmp) / "db"
        db_name = _dump_database(db_file)
        files = {db_name: _sha256(db_file)}
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
        for p in media_files:
            files["media/" + p.relative_to(media).as_posix()] = _sha256(p)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": _engine(),
            "database": db_name,
            "secret_key_id": key_id(),
            "keys": {k.name: k.fingerprints(None) for k in _keys.values()},
            "files": files,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(db_file, arcname=db_name)
            for p in media_files:
                tar.add(p, arcname="media/" + p.relative_to(media).as_posix())
        partial.replace(path)
    return manifest


def _safe_name(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and name == p.as_posix()


def verify(path: str | Path, into: Path) -> dict:
    """Extract the archive into `into` (a scratch directory) and check every checksum. Raises BackupError."""
    try:
        tar = tarfile.open(path, "r:gz")
    except (OSError, tarfile.TarError) as e:
        raise BackupError(f"{path}: not a backup archive ({e})")
    with tar:
        try:
            manifest = json.load(tar.extractfile(MANIFEST))
        except (KeyError, ValueError, TypeError):
            raise BackupError("the archive has no readable manifest")
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        expected = manifest["files"]
        seen = set()
        for member in tar.getmembers():
            if member.name == MANIFEST:
                continue
            if not member.isfile() or not _safe_name(member.name) or member.name not in expected:
                raise BackupError(f"unexpected entry in the archive: {member.name}")
            target = into / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            if _sha256(target) != expected[member.name]:
                raise BackupError(f"checksum mismatch for {member.name}: the archive is damaged")
            seen.add(member.name)
    missing = set(expected) - seen
    if missing:
        raise BackupError(f"files missing from the archive: {', '.join(sorted(missing))}")
    if manifest["engine"] != _engine():
        raise BackupError(f"this backup is of a {manifest['engine']} database; this site uses {_engine()}")
    return manifest


def _restore_database(manifest: dict, scratch: Path) -> None:
    db_file = scratch / manifest["database"]
    if manifest["engine"] == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(db_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
    connection.close()
    args, env = _pg_env()
    name = connection.settings_dict["NAME"]
    subprocess.run(
        ["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "--single-transaction", "-d", name, str(db_file)],
        check=True,
        env=env,
        capture_output=True,
    )


def _key_to_use(manifest: dict, secret_key_file: str | Path | None) -> str | None:
    """The key the backup was made with, if it must be installed (None: the current one is it)."""
    wanted = manifest.get("secret_key_id")
    if secret_key_file is not None:
        key = Path(secret_key_file).read_text().strip()
        if wanted and not constant_time_compare(key_id(key), wanted):
            raise BackupError(f"{secret_key_file} is not the secret key this backup was made with")
        return key if key != settings.SECRET_KEY else None
    if wanted and not constant_time_compare(key_id(), wanted):
        raise BackupError(
            "this backup was made with another secret key: restore it with --secret-key-file PATH (the "
            "var/secret_key file, or the RECTIFY_SECRET_KEY value, of the installation the backup came from)"
        )
    return None


def _install_key(key: str) -> Path:
    if os.environ.get("RECTIFY_SECRET_KEY"):
        raise BackupError("RECTIFY_SECRET_KEY is set in the environment: set it to the backup's key instead")
    path = Path(settings.VAR_DIR) / "secret_key"
    partial = path.with_name("secret_key.partial")
    partial.write_text(key)
    partial.chmod(0o600)
    partial.replace(path)
    return path


def _keys_to_install(manifest: dict, key_files: dict[str, str | Path]) -> dict[str, Path]:
    """Check that every key the backup's data needs is held here or in the file given for it, before
    anything changes; returns {name: file} of the files whose keys must be installed."""
    todo = {}
    for name, wanted in (manifest.get("keys") or {}).items():
        keys = _keys.get(name)
        if keys is None or not wanted:
            continue
        held = keys.fingerprints(None)
        given = key_files.get(name)
        in_file = {}
        if given is not None:
            try:
                in_file = keys.fingerprints(Path(given))
            except (OSError, ValueError) as e:
                raise BackupError(f"{given}: {e}")
        missing, wrong = [], []
        for kid, fp in wanted.items():
            if kid in in_file:
                if not constant_time_compare(in_file[kid], fp):
                    wrong.append(kid)
                elif kid not in held:
                    todo[name] = Path(given)
                elif not constant_time_compare(held[kid], fp):
                    raise BackupError(
                        f"{keys.label}: this installation holds another key under the id {kid} than the backup "
                        f"was made with; move {keys.default_path} aside and give the backup's with {option(keys)}"
                    )
            elif kid not in held:
                missing.append(kid)
            elif not constant_time_compare(held[kid], fp):
                wrong.append(kid)
        if wrong:
            raise BackupError(
                f"{keys.label}: key {', '.join(wrong)} is not the key this backup was made with "
                f"({'in ' + str(given) if given is not None else 'held by this installation'})"
            )
        if missing:
            raise BackupError(
                f"this backup needs {keys.label} ({', '.join(missing)}), which this installation does not hold: "
                f"restore it with {option(keys)} PATH (the {keys.default_path} of the installation the backup "
                "came from, kept apart from the backups)"
            )
        if name in todo:
            keys.install(todo[name], check=True)
    return todo


def restore(
    path: str | Path,
    *,
    secret_key_file: str | Path | None = None,
    key_files: dict[str, str | Path] | None = None,
    collect_static: bool = True,
) -> dict:
    """Verify the archive, the secret key and the registered keys (the audit trail's), then bring back the
    database and the uploaded files, install the backup's secret key and keys when they were given, and
    collect the static files. Returns the manifest (with "key_installed": the secret key's path written,
    if any, and "keys_installed": {name: path} of the keys installed)."""
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        manifest = verify(path, scratch)
        key = _key_to_use(manifest, secret_key_file)  # refused before anything changes
        if key is not None and os.environ.get("RECTIFY_SECRET_KEY"):
            raise BackupError("RECTIFY_SECRET_KEY is set in the environment: set it to the backup's key instead")
        keys_todo = _keys_to_install(manifest, key_files or {})  # … and so are missing keys
        _restore_database(manifest, scratch)
        if media.exists():
            shutil.rmtree(media)
        media.mkdir(parents=True, exist_ok=True)
        restored = scratch / "media"
        if restored.exists():
            shutil.copytree(restored, media, dirs_exist_ok=True)
    manifest["key_installed"] = str(_install_key(key)) if key is not None else ""
    manifest["keys_installed"] = {name: _keys[name].install(file) for name, file in keys_todo.items()}
    if collect_static:
        call_command("collectstatic", interactive=False, verbosity=0)
    return manifest
