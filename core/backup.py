"""Backup and restore: one .tar.gz holding a consistent copy of the database and the uploaded files,
with a manifest of SHA-256 checksums. Used by `manage.py backup PATH` and `manage.py restore PATH`.

SQLite is copied with its online backup API (consistent while the site runs); PostgreSQL with pg_dump
(custom format, restored with pg_restore --clean). A restore verifies every checksum before it touches
anything, then replaces the database and the media directory.
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
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = "rectify-backup-1"
MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def restore(path: str | Path) -> dict:
    """Verify the archive, then bring back the database and the uploaded files. Returns the manifest."""
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        manifest = verify(path, scratch)
        _restore_database(manifest, scratch)
        if media.exists():
            shutil.rmtree(media)
        media.mkdir(parents=True, exist_ok=True)
        restored = scratch / "media"
        if restored.exists():
            shutil.copytree(restored, media, dirs_exist_ok=True)
    return manifest
