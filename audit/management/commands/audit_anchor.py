"""manage.py audit_anchor — copy the head of the audit trail out of the database now."""

from django.core.management.base import BaseCommand

from audit.services import audit_anchor


class Command(BaseCommand):
    help = (
        "Append the audit trail's head (record, seal, time, key id) to the anchor file and send it to the "
        "city office's instance and/or by e-mail, as the scheduler does every RECTIFY_AUDIT_ANCHOR_EVERY_SECONDS."
    )

    def handle(self, *args, **options):
        anchor = audit_anchor()
        if anchor is None:
            self.stdout.write("The audit trail is empty: nothing to anchor.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"Anchor #{anchor.n}: record #{anchor.seq} {anchor.hash} (key {anchor.key_id}).")
        )
        self.stdout.write(f"Delivered: {anchor.delivered or 'file and database only (no URL or addresses configured)'}")
