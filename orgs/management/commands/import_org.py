"""manage.py import_org FILE.xlsx — import units and people (all or nothing). See orgs/importing.py."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ServiceError
from orgs.importing import import_workbook
from orgs.models import Unit
from orgs.selectors import subtree


class Command(BaseCommand):
    help = "Import units and people from an Excel workbook (the template of the upload page). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--institution", help="code of the unit under which names are looked up (default: all)")
        parser.add_argument("--dry-run", action="store_true", help="check the file only")

    def handle(self, *args, file, institution=None, dry_run=False, **options):
        scope = Unit.objects.all()
        if institution:
            root = Unit.objects.filter(code=institution).first()
            if root is None:
                raise CommandError(f"No unit with code {institution}.")
            scope = subtree(root)
        try:
            with open(file, "rb") as f:
                plan, result = import_workbook(f, actor=None, scope=scope, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.")
        except ServiceError as e:
            raise CommandError(e.message)
        for err in plan.errors:
            self.stderr.write(f"{err.sheet} row {err.row} [{err.column}]: {err.message}")
        if plan.errors:
            raise CommandError(f"{len(plan.errors)} errors; nothing was imported.")
        if result is None:
            self.stdout.write(f"OK: {len(plan.new_units)} units and {len(plan.people)} people would be imported.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.units_created} units, {result.people_created} people, "
                f"{result.posts_created} posts, {result.supervisions_set} supervisions."
            )
        )
