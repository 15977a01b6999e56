"""manage.py restore PATH [--secret-key-file F] — verify a backup archive's checksums and secret key, then
restore the database and media, install the backup's key if given, and collect the static files."""

import subprocess

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup` (checksums are verified before anything changes)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--secret-key-file",
            help="the secret key of the installation the backup came from (its var/secret_key); installed here",
        )

    def handle(self, *args, path, yes=False, secret_key_file=None, **options):
        if not yes:
            answer = input("This replaces the database and the uploaded files. Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            manifest = restore(path, secret_key_file=secret_key_file)
        except (BackupError, OSError, subprocess.CalledProcessError) as e:
            raise CommandError(f"Restore failed, nothing was changed: {e}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']} ({len(manifest['files'])} files verified); "
                "static files collected."
            )
        )
        if manifest["key_installed"]:
            self.stdout.write(
                f"The backup's secret key was installed in {manifest['key_installed']}: restart the site and "
                "its workers so that they use it."
            )
