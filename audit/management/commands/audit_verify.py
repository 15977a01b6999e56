"""manage.py audit_verify — walk the hash chain; exit 1 naming the first bad record."""

import sys

from django.core.management.base import BaseCommand

from audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit 0 if intact, 1 naming the first bad record)."

    def handle(self, *args, **options):
        ok, message = audit_verify()
        if ok:
            self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {message}."))
            return
        self.stderr.write(f"Audit trail BROKEN: {message}.")
        sys.exit(1)
