"""manage.py backup PATH — one archive with a consistent database copy, the uploaded files and checksums."""

import subprocess

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup, option, registered_keys


class Command(BaseCommand):
    help = "Write a backup archive (.tar.gz): database (SQLite backup API or pg_dump), media files, SHA-256 manifest."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            manifest = backup(path)
        except (BackupError, OSError, subprocess.CalledProcessError) as e:
            raise CommandError(str(e))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {path}: {manifest['engine']} database, {len(manifest['files']) - 1} files."
            )
        )
        for keys in registered_keys():
            held = manifest["keys"].get(keys.name)
            if held:
                self.stdout.write(
                    f"Not in the archive: {keys.label} ({', '.join(held)}). Keep a copy of {keys.default_path} "
                    f"with the secret key, apart from the backups: a restore elsewhere asks for it with "
                    f"{option(keys)}."
                )
