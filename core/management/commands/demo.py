"""Load the demo: each domain app's `demo.seed(ctx)` runs in INSTALLED_APPS order and may read what
earlier apps put in `ctx` (see orgs/demo.py for the keys). Safe to re-run: a loaded demo is left alone."""

import importlib
import json
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from orgs.models import Unit


class Command(BaseCommand):
    help = "Load a realistic demo campaign (a college under a city office)."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="only print the demo log-ins")

    def handle(self, *args, logins=False, **options):
        if logins or Unit.objects.filter(code="JCZY").exists():
            if not logins:
                self.stdout.write("Demo already loaded; nothing to do.")
            saved = settings.VAR_DIR / "demo-logins.json"
            if saved.exists() and Unit.objects.filter(code="JCZY").exists():
                self._print_logins({"logins": json.loads(saved.read_text())})
        else:
            ctx: dict = {"stdout": self.stdout}
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as e:
                    if e.name != f"{config.name}.demo":
                        raise
                    continue
                started = time.monotonic()
                # The demo writes the campaign's history: anonymous input goes straight into the database
                # instead of waiting in the drop box for the day to end (problems/dropbox.py).
                with transaction.atomic(), override_settings(RECTIFY_DROPBOX_URL=""):
                    module.seed(ctx)
                self.stdout.write(f"  demo: {config.name} ({time.monotonic() - started:.1f}s)")
            (settings.VAR_DIR / "demo-logins.json").write_text(json.dumps(ctx.get("logins", []), ensure_ascii=False))
            self._print_logins(ctx)

    def _print_logins(self, ctx):
        from orgs.demo import DEMO_PASSWORD

        self.stdout.write(self.style.SUCCESS("Demo log-ins (password for all: %s):" % DEMO_PASSWORD))
        for role, username, name in ctx.get("logins", []):
            self.stdout.write(f"  {username:<10} {name:<6} {role}")
