"""backup → change things → restore brings everything back; a damaged archive changes nothing."""

import io
import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditRecord
from audit.services import audit_verify
from orgs.models import Person, Unit
from orgs.services import person_create


@pytest.fixture
def media(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"  # restore collects the static files here
    settings.VAR_DIR = tmp_path / "var"  # … and installs a backup's secret key here
    settings.VAR_DIR.mkdir()
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "evidence").mkdir(parents=True)
    (settings.MEDIA_ROOT / "evidence" / "整改照片.jpg").write_bytes(b"\xff\xd8original photo")
    return settings.MEDIA_ROOT


def state():
    return (
        sorted(Person.objects.values_list("staff_no", "name", "unit__code")),
        sorted(Unit.objects.values_list("code", "path")),
        list(AuditRecord.objects.order_by("seq").values_list("seq", "hash")),
    )


@pytest.mark.django_db(transaction=True)
def test_it_round_trips_the_database_and_the_media_files(cast, media, tmp_path):
    archive = tmp_path / "backups" / "rectify.tar.gz"
    before = state()
    call_command("backup", str(archive))

    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "manifest.json" in names and "media/evidence/整改照片.jpg" in names

    # Things change after the backup…
    Person.objects.filter(pk=cast.staff_a.pk).update(name="被改的名字")
    person_create(actor=None, name="备份后新人", staff_no="AFTER1", unit=cast.dept_a)
    (media / "evidence" / "整改照片.jpg").write_bytes(b"overwritten")
    (media / "later.txt").write_text("added after the backup")
    assert state() != before

    call_command("restore", str(archive), "--yes", stdout=io.StringIO())

    assert state() == before
    assert (media / "evidence" / "整改照片.jpg").read_bytes() == b"\xff\xd8original photo"
    assert not (media / "later.txt").exists()
    assert audit_verify()[0]


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_damaged_archive_and_changes_nothing(cast, media, tmp_path):
    archive = tmp_path / "rectify.tar.gz"
    call_command("backup", str(archive))
    # Rebuild the archive with one file's content altered but the manifest kept.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name.startswith("media/"):
                data = b"tampered"
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    person_create(actor=None, name="保留的人", staff_no="KEEP1", unit=cast.dept_a)
    with pytest.raises(CommandError, match="checksum mismatch"):
        call_command("restore", str(damaged), "--yes")
    assert Person.objects.filter(staff_no="KEEP1").exists()
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="not a backup archive"):
        call_command("restore", str(tmp_path / "junk.tar.gz"), "--yes")


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_restore_under_another_secret_key(cast, media, tmp_path, settings):
    archive = tmp_path / "rectify.tar.gz"
    original_key = settings.SECRET_KEY
    call_command("backup", str(archive))
    person_create(actor=None, name="保留的人", staff_no="KEEP2", unit=cast.dept_a)
    # a new data directory generated a new key: every signed thing of the backup would fail
    settings.SECRET_KEY = "a-freshly-generated-key-" + "x" * 40
    with pytest.raises(CommandError, match="another secret key"):
        call_command("restore", str(archive), "--yes")
    assert Person.objects.filter(staff_no="KEEP2").exists()  # nothing changed
    wrong = tmp_path / "wrong_key"
    wrong.write_text("not-the-key")
    with pytest.raises(CommandError, match="not the secret key"):
        call_command("restore", str(archive), "--yes", "--secret-key-file", str(wrong))
    assert Person.objects.filter(staff_no="KEEP2").exists()
    # with the original key file it restores and installs that key (readable by the server's account only)
    right = tmp_path / "old_secret_key"
    right.write_text(original_key + "\n")
    out = io.StringIO()
    call_command("restore", str(archive), "--yes", "--secret-key-file", str(right), stdout=out)
    installed = settings.VAR_DIR / "secret_key"
    assert installed.read_text() == original_key and (installed.stat().st_mode & 0o777) == 0o600
    assert "restart" in out.getvalue()
    assert not Person.objects.filter(staff_no="KEEP2").exists()


@pytest.mark.django_db(transaction=True)
def test_it_collects_the_static_files_when_it_restores(cast, media, tmp_path, settings):
    from django.test import Client

    archive = tmp_path / "rectify.tar.gz"
    call_command("backup", str(archive))
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert Client().get("/healthz").status_code == 503  # a new data directory: nothing collected yet
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    assert (settings.STATIC_ROOT / "staticfiles.json").exists()
    assert "static ok" in Client().get("/healthz").content.decode()
