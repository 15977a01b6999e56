"""Files the server writes are readable by its own account only (docs/anonymity.md: the operator threat)."""

import os
import stat

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_it_creates_files_for_its_own_account_only(tmp_path):
    plain = tmp_path / "written-by-the-server.txt"
    plain.write_text("评议码清单")
    assert _mode(plain) & 0o077 == 0
    assert _mode(settings.VAR_DIR) & 0o077 == 0


def test_it_stores_uploads_readable_by_its_own_account_only():
    name = default_storage.save("mode-check/evidence.txt", ContentFile("佐证材料".encode()))
    try:
        assert _mode(default_storage.path(name)) == 0o600
        assert _mode(os.path.dirname(default_storage.path(name))) & 0o077 == 0
    finally:
        default_storage.delete(name)
