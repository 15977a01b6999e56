"""manage.py audit_verify — check every seal under its key, the chain, the key hand-overs and the anchors;
exit 1 naming each record and each anchor that disagrees."""

import sys

from django.core.management.base import BaseCommand, CommandError

from audit.verify import trail_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail: each record's HMAC under its key, the chain, key rotations, and the head "
        "against the anchor file and its database copies (exit 0 if intact, 1 naming what disagrees)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchors",
            metavar="FILE",
            help="anchor lines as the city office's instance received them (its download for this institution): "
            "the trail is checked against them too",
        )

    def handle(self, *args, anchors=None, **options):
        received = None
        if anchors:
            try:
                with open(anchors, encoding="utf-8") as f:
                    received = f.read().splitlines()
            except (OSError, UnicodeDecodeError) as e:
                raise CommandError(f"{anchors}: {e}")
        report = trail_verify(received, anchors or "")
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        if report.last_anchor:
            a = report.last_anchor
            self.stdout.write(
                f"latest anchor: #{a['n']} at {a['at']}: record #{a['seq']} {a['hash']} (key {a['key_id']})"
            )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {report.summary()}."))
            return
        self.stderr.write(f"Audit trail BROKEN: {report.problem_count} problems; {report.summary()}.")
        for text in report.problems:
            self.stderr.write(f"  - {text}")
        if report.problem_count > len(report.problems):
            self.stderr.write(f"  … and {report.problem_count - len(report.problems)} more")
        sys.exit(1)
