"""Uploaded files: type checked by content (not by name), size limited, SHA-256 kept.

validate_upload(f) raises ServiceError with a message for the user; nothing is stored on failure.
Files are always served as downloads by views that check access (never from MEDIA_URL).
"""

import hashlib
from dataclasses import dataclass

import filetype
from django.utils.translation import gettext as _

from .exceptions import ServiceError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# Allowed kinds detected from content: documents, images, PDF, spreadsheets.
ALLOWED_MIME = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/zip": None,  # resolved below: OOXML files are zips
}


@dataclass
class CheckedUpload:
    extension: str
    mime: str
    sha256: str
    size: int


def _ooxml_kind(head: bytes, f) -> str | None:
    """A zip is accepted only if it is a Word, Excel or PowerPoint file."""
    import zipfile

    f.seek(0)
    try:
        names = zipfile.ZipFile(f).namelist()
    except zipfile.BadZipFile:
        return None
    finally:
        f.seek(0)
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return None


def validate_upload(f, *, max_bytes: int = MAX_UPLOAD_BYTES) -> CheckedUpload:
    """Check an UploadedFile; return its kind and checksum or raise ServiceError."""
    size = f.size
    if size == 0:
        raise ServiceError(_("The file “%(name)s” is empty.") % {"name": f.name})
    if size > max_bytes:
        raise ServiceError(
            _("The file “%(name)s” is too large (%(size)s MB; at most %(max)s MB).")
            % {"name": f.name, "size": round(size / 1048576, 1), "max": max_bytes // 1048576}
        )
    f.seek(0)
    head = f.read(8192)
    f.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else ""
    ext = ALLOWED_MIME.get(mime) if mime in ALLOWED_MIME else None
    if mime in ("application/zip",) or (kind and kind.extension in ("docx", "xlsx", "pptx")):
        ext = _ooxml_kind(head, f)
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # legacy Office (OLE2)
        ext = "doc" if f.name.lower().endswith(".doc") else "xls"
        mime = "application/msword" if ext == "doc" else "application/vnd.ms-excel"
    if not ext:
        raise ServiceError(
            _("The file “%(name)s” is not an allowed type (documents, images, PDF or spreadsheets).") % {"name": f.name}
        )
    digest = hashlib.sha256()
    for chunk in f.chunks():
        digest.update(chunk)
    f.seek(0)
    return CheckedUpload(extension=ext, mime=mime, sha256=digest.hexdigest(), size=size)


def validate_form_files(files) -> list:
    """For a form's clean(): every file checked by `validate_upload` (type by content, size) before the view
    stores anything; a refused file is a form error on the field, so nothing of the form is stored."""
    from django import forms

    errors = []
    for f in files or []:
        try:
            validate_upload(f)
        except ServiceError as e:
            errors.append(e.message)
    if errors:
        raise forms.ValidationError(errors)
    return list(files or [])
