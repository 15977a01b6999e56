"""Evidence through Django's storage: checked against its SHA-256 on every download, on a shared folder
and on S3-compatible object storage (moto's S3 server on a free loopback port)."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from conftest import log_in
from rectification import samples, services

from .helpers import pdf


def _evidence(cast, measure):
    return services.evidence_add(actor=cast.user("cadre_a"), measure=measure, files=[pdf("整改记录.pdf")])[0]


def _overwrite(field_file, content: bytes) -> None:
    """What a disk fault or someone with storage access does: the bytes change, the record does not."""
    storage, name = field_file.storage, field_file.name
    storage.delete(name)
    assert storage.save(name, ContentFile(content)) == name


def test_it_refuses_evidence_that_no_longer_matches_its_sha256(cast, measure_a, client_for, caplog):
    ev = _evidence(cast, measure_a)
    url = reverse("rectification:evidence_download", args=[ev.pk])
    client = client_for(cast.user("head_a"))
    assert client.get(url).status_code == 200
    _overwrite(ev.file, samples.pdf_bytes("forged"))
    response = client.get(url)
    assert response.status_code == 409
    page = response.content.decode()
    assert "整改记录.pdf" in page and "校验" in page
    assert "Content-Disposition" not in response
    assert any(ev.sha256 in r.getMessage() for r in caplog.records)


def test_it_says_so_when_an_evidence_file_is_missing(cast, measure_a, client_for):
    ev = _evidence(cast, measure_a)
    ev.file.storage.delete(ev.file.name)
    response = client_for(cast.user("head_a")).get(reverse("rectification:evidence_download", args=[ev.pk]))
    assert response.status_code == 409


@pytest.fixture
def s3(settings):
    """Media on an S3 bucket served by moto on a free loopback port."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    import boto3

    from jobs.tests.nodes import free_port

    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
    client = boto3.client("s3", endpoint_url=endpoint, **credentials)
    client.create_bucket(Bucket="rectify-media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "rectify-media",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield client
    server.stop()


def test_it_keeps_evidence_in_the_bucket_and_checks_it_on_download(cast, measure_a, client_for, s3, settings):
    ev = _evidence(cast, measure_a)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rectify-media")["Contents"]]
    assert keys == [ev.file.name]
    assert not (settings.MEDIA_ROOT / ev.file.name).exists()  # nothing on the local disk
    url = reverse("rectification:evidence_download", args=[ev.pk])
    client = client_for(cast.user("head_a"))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.pdf_bytes("minutes")
    assert client_for(cast.user("outsider")).get(url).status_code == 404  # still checked per user
    s3.put_object(Bucket="rectify-media", Key=ev.file.name, Body=samples.pdf_bytes("forged"))
    assert client_for(cast.user("head_a")).get(url).status_code == 409


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_refusal_in_chinese_in_the_browser(cast, measure_a, live_server, page, screenshot_dir):
    ev = _evidence(cast, measure_a)
    _overwrite(ev.file, samples.pdf_bytes("forged"))
    head = cast.head_a
    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, live_server, head)
    page.goto(f"{live_server.url}{reverse('rectification:evidence_download', args=[ev.pk])}")
    assert page.get_by_role("heading", name="文件不予下载").is_visible()
    assert "校验值" in page.content()
    page.screenshot(path=screenshot_dir / "evidence-refused-laptop.png", full_page=True)
