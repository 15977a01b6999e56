"""Total and reshuffle the anonymous input of past days now (the scheduler does it every hour)."""

from django.core.management.base import BaseCommand

from problems.services import anonymous_input_seal


class Command(BaseCommand):
    help = "Audit the daily totals of anonymous opinions and peer reviews of past days and rewrite them in random order."

    def handle(self, *args, **options):
        n = anonymous_input_seal()
        self.stdout.write(f"{n} anonymous submissions sealed")
