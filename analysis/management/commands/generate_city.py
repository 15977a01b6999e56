"""Write a whole city's data in bulk, for benchmarks: `python manage.py generate_city [--scale 0.01]`."""

import json

from django.core.management.base import BaseCommand

from analysis.citygen import CitySize, generate_city


class Command(BaseCommand):
    help = (
        "Generate a realistic city in bulk, seeded: 7,000 units, 200,000 people, campaigns in every stage, "
        "300,000 problems and measures with progress and evidence, reports, meetings, service ratings and "
        "cases, evaluation rounds with 1,000,000 ballots, a 1,000,000-record audit chain (--scale for less)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full city (e.g. 0.01)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--prefix", default="GC", help="unit-code and staff-number prefix")
        parser.add_argument("--json", action="store_true", help="print what was made as JSON at the end")

    def handle(self, *args, scale, seed, prefix, **options):
        size = CitySize(seed=seed).scaled(scale) if scale != 1.0 else CitySize(seed=seed)
        self.stdout.write(f"Generating a city at scale {scale} (seed {seed}) …")
        city = generate_city(size, prefix=prefix, out=self.stdout)
        for k, v in city.counts.items():
            self.stdout.write(f"  {k:<18} {v:>10,}")
        self.stdout.write(f"  in {sum(city.seconds.values()):.0f} s")
        self.stdout.write(f"  city office log-in: {city.official_username} (password Bench-pass-2026)")
        if options["json"]:
            self.stdout.write(_json(city))


def _json(city):
    return json.dumps(city.__dict__, ensure_ascii=False)
