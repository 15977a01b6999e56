"""Write the drop box and seal past days' anonymous input now (the scheduler does it every hour)."""

from django.core.management.base import BaseCommand

from problems.services import anonymous_input_flush, anonymous_input_seal


class Command(BaseCommand):
    help = (
        "Audit the daily totals of anonymous opinions and peer reviews of past days and rewrite them in random order."
    )

    def add_arguments(self, parser):
        parser.add_argument("--flush", action="store_true", help="write the drop box now, however few items wait")

    def handle(self, *args, flush=False, **options):
        written = anonymous_input_flush(force=flush)
        sealed = anonymous_input_seal()
        self.stdout.write(f"{written} written from the drop box, {sealed} anonymous submissions sealed")
