"""File helpers for the rectification tests."""

from django.core.files.uploadedfile import SimpleUploadedFile

from rectification import samples


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def png(name="photo.png"):
    return upload(name, samples.png_bytes())


def pdf(name="record.pdf"):
    return upload(name, samples.pdf_bytes("minutes"))


def docx(name="notice.docx"):
    return upload(name, samples.docx_bytes("整改通知"))
