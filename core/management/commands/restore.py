"""manage.py restore PATH — verify a backup archive's checksums, then restore the database and media."""

import subprocess

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup` (checksums are verified before anything changes)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, path, yes=False, **options):
        if not yes:
            answer = input("This replaces the database and the uploaded files. Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            manifest = restore(path)
        except (BackupError, OSError, subprocess.CalledProcessError) as e:
            raise CommandError(f"Restore failed, nothing was changed: {e}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']} ({len(manifest['files'])} files verified)."
            )
        )
