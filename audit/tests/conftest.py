"""Every audit test gets its own key file and anchor file (never the installation's var/)."""

import pytest

from audit import keys


@pytest.fixture(autouse=True)
def audit_files(settings, tmp_path):
    settings.AUDIT_KEYS = ""
    settings.AUDIT_KEYS_FILE = tmp_path / "audit_keys"
    settings.AUDIT_ANCHOR_PATH = str(tmp_path / "audit-anchors.log")
    settings.AUDIT_ANCHOR_URL = ""
    settings.AUDIT_ANCHOR_EMAILS = []
    keys._cache.clear()
    yield tmp_path
    keys._cache.clear()
