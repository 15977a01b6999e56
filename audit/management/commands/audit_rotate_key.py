"""manage.py audit_rotate_key [--to KEY_ID] — seal new records with another key, recorded in the trail."""

from django.core.management.base import BaseCommand, CommandError

from audit.keys import KeyringError
from audit.services import audit_anchor, audit_key_rotate


class Command(BaseCommand):
    help = (
        "Start sealing the audit trail with a new key (generated into the key file), or with --to KEY_ID "
        "already added to RECTIFY_AUDIT_KEYS. The rotation is a record of the trail sealed by the old key; "
        "old keys stay in the keyring so old records keep verifying. An anchor is written afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", default=None, help="the id of a key already in the keyring")

    def handle(self, *args, to=None, **options):
        try:
            old, new = audit_key_rotate(actor="manage.py audit_rotate_key", to=to)
        except KeyringError as e:
            raise CommandError(str(e)) from e
        anchor = audit_anchor()
        self.stdout.write(self.style.SUCCESS(f"Audit key rotated: {old} → {new}."))
        if anchor:
            self.stdout.write(f"Anchor #{anchor.n}: record #{anchor.seq} {anchor.hash} (key {anchor.key_id}).")
