"""Files through Django's storage API only (a shared folder or an S3 bucket, see settings.STORAGES):
never by local path, so every app server and worker sees the same files.

open_verified() checks a stored file against the SHA-256 recorded at upload before it is sent: a file
changed or damaged in storage is refused (FileTampered) and logged, never handed out as evidence.
"""

import hashlib
import logging
import tempfile

from django.core.files.storage import default_storage

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class FileTampered(Exception):
    def __init__(self, name: str, expected: str, actual: str):
        super().__init__(f"{name}: SHA-256 {actual} differs from the recorded {expected}")
        self.name, self.expected, self.actual = name, expected, actual


def open_verified(field_file, sha256: str):
    """A readable copy of `field_file` whose SHA-256 matched `sha256` (rewound, ready to stream).

    The file is read once from storage into a temporary file while hashing, so what is sent is exactly
    what was checked (a second read from S3 could differ)."""
    copy = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 (closed by the response)
    digest = hashlib.sha256()
    with field_file.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            copy.write(chunk)
    actual = digest.hexdigest()
    if sha256 and actual != sha256:
        copy.close()
        log.error("evidence file %s does not match its SHA-256 (expected %s, got %s)", field_file.name, sha256, actual)
        raise FileTampered(field_file.name, sha256, actual)
    copy.seek(0)
    return copy


def save_temporary(prefix: str, content) -> str:
    """Keep an upload between two requests (preview, then confirm) where any app server can read it;
    returns its storage name. The caller deletes it with delete_temporary()."""
    from django.core.files.base import ContentFile

    data = content.read() if hasattr(content, "read") else content
    return default_storage.save(f"tmp/{prefix}", ContentFile(data))


def open_temporary(name: str):
    return default_storage.open(name, "rb")


def delete_temporary(name: str) -> None:
    if name.startswith("tmp/"):
        default_storage.delete(name)


def verified_download(request, field_file, sha256: str, filename: str, content_type: str | None = None):
    """A FileResponse of a checked file, or a 409 page saying the file failed its integrity check."""
    from django.http import FileResponse
    from django.shortcuts import render

    try:
        fh = open_verified(field_file, sha256)
    except FileTampered:
        return render(request, "core/file_tampered.html", {"filename": filename}, status=409)
    except FileNotFoundError:
        log.error("stored file %s is missing", field_file.name)
        return render(request, "core/file_tampered.html", {"filename": filename, "missing": True}, status=409)
    return FileResponse(fh, as_attachment=True, filename=filename, content_type=content_type)
