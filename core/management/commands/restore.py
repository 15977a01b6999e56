"""manage.py restore PATH [--secret-key-file F] [--audit-keys-file F] — verify a backup archive's checksums,
its secret key and the audit trail's keys, then restore the database and media, install the backup's keys
if given, and collect the static files."""

import subprocess

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, option, registered_keys, restore


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup` (checksums are verified before anything changes)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--secret-key-file",
            help="the secret key of the installation the backup came from (its var/secret_key); installed here",
        )
        for keys in registered_keys():  # the audit trail's: --audit-keys-file
            parser.add_argument(
                option(keys),
                dest=f"keys_{keys.name}",
                help=f"{keys.label} of the installation the backup came from (its {keys.default_path}); "
                "installed here (0600) when this installation lacks them",
            )

    def handle(self, *args, path, yes=False, secret_key_file=None, **options):
        if not yes:
            answer = input("This replaces the database and the uploaded files. Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            key_files = {k.name: options[f"keys_{k.name}"] for k in registered_keys() if options.get(f"keys_{k.name}")}
            manifest = restore(path, secret_key_file=secret_key_file, key_files=key_files)
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
        for name, where in manifest["keys_installed"].items():
            self.stdout.write(f"The backup's {name.replace('_', ' ')} were installed in {where} (0600).")
