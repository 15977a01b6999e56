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


@pytest.fixture
def audit_keyfile(settings, tmp_path):
    """The audit trail's keys in a key file of this test (set before the cast writes its records)."""
    from audit import keys

    settings.AUDIT_KEYS = ""
    settings.AUDIT_KEYS_FILE = tmp_path / "old-installation" / "audit_keys"
    keys._cache.clear()
    yield settings.AUDIT_KEYS_FILE
    keys._cache.clear()


@pytest.mark.django_db(transaction=True)
def test_it_leaves_the_audit_keys_out_and_restores_them_only_when_given(audit_keyfile, cast, media, tmp_path, settings):
    from audit import keys

    archive = tmp_path / "rectify.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    key_id = keys.keyring().newest
    assert key_id and AuditRecord.objects.filter(key_id=key_id).exists()
    with tarfile.open(archive) as tar:  # the secret is not in the archive, only its id
        blob = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.name != "db.sqlite3")
    assert keys.keyring().keys[key_id].hex().encode() not in blob and key_id.encode() in blob
    assert "--audit-keys-file" in out.getvalue() and key_id in out.getvalue()
    before = state()

    # A new data directory: no audit keys. The restore refuses before it changes anything…
    person_create(actor=None, name="保留的人", staff_no="KEEP3", unit=cast.dept_a)
    settings.AUDIT_KEYS_FILE = settings.VAR_DIR / "audit_keys"
    keys._cache.clear()
    with pytest.raises(CommandError, match=rf"needs the audit trail's keys \({key_id}\).*--audit-keys-file"):
        call_command("restore", str(archive), "--yes")
    assert Person.objects.filter(staff_no="KEEP3").exists()
    # … and refuses a key file whose key under that id is another one
    wrong = tmp_path / "wrong_keys"
    wrong.write_text(f"{key_id} {'ab' * 32}\n")
    with pytest.raises(CommandError, match="not the key this backup was made with"):
        call_command("restore", str(archive), "--yes", "--audit-keys-file", str(wrong))
    assert Person.objects.filter(staff_no="KEEP3").exists()
    # … and, where the keys come from RECTIFY_AUDIT_KEYS, says to add them there
    settings.AUDIT_KEYS = f"other:{'cd' * 32}"
    with pytest.raises(CommandError, match="RECTIFY_AUDIT_KEYS"):
        call_command("restore", str(archive), "--yes", "--audit-keys-file", str(audit_keyfile))
    settings.AUDIT_KEYS = ""
    assert Person.objects.filter(staff_no="KEEP3").exists()

    # With the old installation's key file it restores and installs the keys, readable by the service only.
    out = io.StringIO()
    call_command("restore", str(archive), "--yes", "--audit-keys-file", str(audit_keyfile), stdout=out)
    installed = settings.AUDIT_KEYS_FILE
    assert (installed.stat().st_mode & 0o777) == 0o600
    assert installed.read_text() == audit_keyfile.read_text()
    assert str(installed) in out.getvalue()
    assert state() == before
    ok, message = audit_verify()
    assert ok, message
    # a second restore finds the keys in place and needs no file
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    assert audit_verify()[0]
