"""Evidence files: checked by content, size-limited, hashed, stored whole or not at all, served as downloads."""

import hashlib
from pathlib import Path

import pytest
from django.urls import reverse

from core.exceptions import ServiceError
from rectification import samples, services
from rectification.models import Evidence, ProgressReport

from .helpers import docx, pdf, png, upload


def _stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_it_stores_real_images_pdfs_and_word_files_with_their_sha256(cast, measure_a, _media):
    files = [png(), pdf(), docx()]
    stored = services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=files)
    assert [e.extension for e in stored] == ["png", "pdf", "docx"]
    for ev, content in zip(stored, [samples.png_bytes(), samples.pdf_bytes("minutes"), None]):
        path = Path(ev.file.path)
        assert path.is_file() and str(path).startswith(str(_media))
        data = path.read_bytes()
        assert ev.sha256 == hashlib.sha256(data).hexdigest() and ev.size == len(data)
        if content is not None:
            assert data == content
    assert ev.original_name == "notice.docx"


@pytest.mark.parametrize(
    "name,content",
    [
        ("report.pdf", b"<html><body><script>alert(1)</script></body></html>"),  # HTML renamed .pdf
        ("plan.docx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"PE\x00\x00"),  # EXE
        ("scan.png", b"just text pretending to be an image"),
    ],
)
def test_it_refuses_disguised_files_and_stores_nothing(cast, measure_a, _media, name, content):
    with pytest.raises(ServiceError) as e:
        services.evidence_add(
            actor=cast.user("cadre_a"), measure=measure_a, files=[png("ok.png"), upload(name, content)]
        )
    assert name in e.value.message
    assert not Evidence.objects.exists()
    assert _stored_files(_media) == []


def test_it_refuses_an_oversized_file(cast, measure_a, _media):
    big = samples.pdf_bytes("x") + b"0" * (20 * 1024 * 1024)
    with pytest.raises(ServiceError) as e:
        services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=[upload("big.pdf", big)])
    assert "MB" in e.value.message
    assert not Evidence.objects.exists() and _stored_files(_media) == []


def test_it_stores_no_progress_report_when_a_file_is_refused(cast, measure_a, _media):
    with pytest.raises(ServiceError):
        services.progress_report(
            actor=cast.user("cadre_a"),
            measure=measure_a,
            content="x",
            percent=50,
            files=[pdf(), upload("a.pdf", b"<html>")],
        )
    measure_a.refresh_from_db()
    assert measure_a.percent == 0 and measure_a.status == "planned"
    assert not ProgressReport.objects.exists() and _stored_files(_media) == []


def test_it_removes_written_files_when_the_database_write_fails(cast, measure_a, _media, monkeypatch):
    from rectification import services as svc

    real = svc.audit_record

    def failing(**kw):
        if kw.get("action") == "measure.evidence_add":
            raise RuntimeError("database down")
        return real(**kw)

    monkeypatch.setattr(svc, "audit_record", failing)
    with pytest.raises(RuntimeError):
        services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=[pdf()])
    assert not Evidence.objects.exists() and _stored_files(_media) == []


def test_it_shows_a_clear_message_for_a_refused_upload(cast, measure_a, client_for):
    client = client_for(cast.user("cadre_a"))
    url = reverse("rectification:evidence_upload", args=[measure_a.pk])
    response = client.post(url, {"files": [upload("minutes.pdf", b"<html>hi</html>")]}, follow=True)
    text = response.content.decode()
    assert "minutes.pdf" in text and not Evidence.objects.exists()


def test_it_serves_evidence_only_as_a_download_to_those_who_may_see_it(cast, measure_a, client_for):
    ev = services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=[pdf("整改记录.pdf")])[0]
    url = reverse("rectification:evidence_download", args=[ev.pk])
    response = client_for(cast.user("head_a")).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == samples.pdf_bytes("minutes")
    for outsider in ("outsider", "staff_a", "head_b"):
        assert client_for(cast.user(outsider)).get(url).status_code == 404


def test_it_uploads_through_the_page(cast, measure_a, client_for):
    client = client_for(cast.user("cadre_a"))
    response = client.post(
        reverse("rectification:measure_progress", args=[measure_a.pk]),
        {"content": "已开展培训", "percent": 40, "files": [png(), docx()]},
    )
    assert response.status_code == 302
    measure_a.refresh_from_db()
    assert measure_a.percent == 40 and measure_a.status == "in_progress"
    assert Evidence.objects.filter(measure=measure_a, progress__isnull=False).count() == 2
