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
