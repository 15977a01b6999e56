#!/usr/bin/env python
"""Benchmark (not a test): the ledger page, the dashboards and the Excel export at scale.

Builds a throw-away SQLite database in a temp directory with N problems (default 100,000) spread over
many units, plus measures, and times each page against a baseline measured in the same run on a small
campaign (1,000 problems). Prints a small table. See bench/README.md.

    .venv/bin/python bench/run.py [--problems 100000] [--units 400] [--institutions 20]
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(tmp: Path) -> None:
    os.environ["RECTIFY_VAR_DIR"] = str(tmp)
    os.environ["RECTIFY_SQLITE_PATH"] = str(tmp / "bench.sqlite3")
    os.environ["RECTIFY_MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("RECTIFY_PLAIN_STATIC", "1")
    os.environ["AXES_ENABLED"] = "0"
    os.environ["RECTIFY_TASK_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(prefix: str, n_problems: int, n_units: int, n_institutions: int, city):
    """One city's institutions with departments; problems and measures written in bulk (the services
    would write an audit row each: minutes for 100,000 rows, and not what is measured here)."""
    import random

    from campaigns.models import Campaign, CampaignUnit
    from orgs.models import Person, RoleAssignment, Unit
    from problems.models import Channel, Manifestation, Problem
    from rectification.models import Measure, RectificationPlan

    rng = random.Random(7)
    mans = list(Manifestation.objects.all())
    channels = [c for c, _ in Channel.choices if c != "comparison"]
    campaigns = []
    per_inst_units = max(1, n_units // n_institutions)
    per_inst_problems = n_problems // n_institutions
    office_user = None
    for i in range(n_institutions):
        inst = _unit(f"{prefix}学院{i}", Unit.Kind.INSTITUTION, f"{prefix}I{i}", city)
        depts = [
            _unit(f"{prefix}部门{i}-{j}", Unit.Kind.DEPARTMENT, f"{prefix}D{i}-{j}", inst)
            for j in range(per_inst_units)
        ]
        owner = Person.objects.create(name=f"负责人{i}", staff_no=f"{prefix}P{i}", unit=depts[0])
        if office_user is None:
            from orgs.services import login_issue

            login_issue(actor=None, person=owner, password="Bench-pass-2026", must_change=False)
            RoleAssignment.objects.create(person=owner, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=inst)
            office_user = owner.user
        c = Campaign.objects.create(
            name=f"{prefix}自查整改{i}",
            institution=inst,
            status=Campaign.Status.ACTIVE,
            start_date=date(2026, 9, 1),
            finding_due=date(2026, 10, 15),
            meeting_due=date(2026, 11, 15),
            evaluation_due=date(2026, 12, 15),
            rectification_due=date(2027, 3, 1),
            milestone_3m=date(2026, 12, 1),
            milestone_6m=date(2027, 3, 1),
        )
        CampaignUnit.objects.bulk_create([CampaignUnit(campaign=c, unit=u) for u in [inst, *depts]])
        plans = RectificationPlan.objects.bulk_create(
            [RectificationPlan(campaign=c, unit=u, title="整改方案") for u in depts]
        )
        batch = [
            Problem(
                campaign=c,
                unit=rng.choice(depts),
                description=f"问题{k}：工作作风不实，群众反映办事效率低",
                channel=rng.choice(channels),
                severity=rng.choice("low medium high".split()),
                cause="责任意识不强",
            )
            for k in range(per_inst_problems)
        ]
        Problem.objects.bulk_create(batch, batch_size=2000)
        problems = list(Problem.objects.filter(campaign=c).values_list("pk", "unit_id"))
        through = Problem.manifestations.through
        through.objects.bulk_create(
            [through(problem_id=pk, manifestation_id=rng.choice(mans).pk) for pk, _u in problems], batch_size=5000
        )
        plan_of = {p.unit_id: p for p in plans}
        measures = [
            Measure(
                plan=plan_of[u],
                content=f"整改措施{pk}",
                goal="按期整改到位",
                responsible_unit_id=u,
                owner=owner,
                deadline=date(2026, 12, 1) + timedelta(days=rng.randint(-30, 90)),
                status=rng.choice(["planned", "in_progress", "closeout_requested"]),
            )
            for pk, u in problems[: len(problems) // 2]
        ]
        Measure.objects.bulk_create(measures, batch_size=2000)
        mthrough = Measure.problems.through
        ids = list(Measure.objects.filter(plan__campaign=c).order_by("pk").values_list("pk", flat=True))
        mthrough.objects.bulk_create(
            [mthrough(measure_id=m, problem_id=p) for m, (p, _u) in zip(ids, problems, strict=False)], batch_size=5000
        )
        campaigns.append(c)
    return campaigns, office_user


def _unit(name, kind, code, parent):
    from orgs.services import unit_create

    return unit_create(actor=None, name=name, kind=kind, code=code, parent=parent)


def timed(fn, repeat=3):
    """Best of `repeat` wall-clock seconds, and the number of SQL queries of one call."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    best = None
    queries = 0
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            fn()
            took = time.perf_counter() - t
        queries = len(ctx.captured_queries)
        best = took if best is None else min(best, took)
    return best, queries


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=100_000)
    ap.add_argument("--units", type=int, default=400)
    ap.add_argument("--institutions", type=int, default=20)
    ap.add_argument("--baseline", type=int, default=1_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rectify-bench-") as tmp:
        setup_django(Path(tmp))
        from django.test import Client
        from django.urls import reverse

        from analysis.ledgers import to_xlsx
        from orgs.models import Unit

        t0 = time.perf_counter()
        city = _unit("基准市治庸办", Unit.Kind.CITY_OFFICE, "BENCH-CITY", None)
        small, small_user = build("S", args.baseline, max(2, args.units // args.institutions), 1, city)
        big, big_user = build("B", args.problems, args.units, 1, city)
        build("C", args.institutions * 200, args.institutions * 20, args.institutions, city)  # more of the city
        print(
            f"built {args.baseline:,} + {args.problems:,} problems, {args.units} units in "
            f"{args.institutions} institutions in {time.perf_counter() - t0:.0f}s ({tmp})\n"
        )
        from orgs.models import Person, RoleAssignment

        official = Person.objects.create(name="市办", staff_no="BENCHCITY", unit=city)
        from orgs.services import login_issue

        login_issue(actor=None, person=official, password="Bench-pass-2026", must_change=False)
        RoleAssignment.objects.create(person=official, role=RoleAssignment.Role.CITY_OFFICE, unit=city)

        def page(user, url):
            client = Client()
            client.force_login(user)
            return lambda: client.get(url).status_code == 200 or sys.exit(f"{url} failed")

        big_problems = big[0].problems.count()
        rows = []
        for label, base_fn, big_fn in [
            (
                "ledger page (problems:ledger)",
                page(small_user, reverse("problems:ledger") + f"?campaign={small[0].pk}"),
                page(big_user, reverse("problems:ledger") + f"?campaign={big[0].pk}"),
            ),
            (
                "institution dashboard",
                page(small_user, reverse("analysis:campaign", args=[small[0].pk])),
                page(big_user, reverse("analysis:campaign", args=[big[0].pk])),
            ),
            ("city dashboard", None, page(official.user, reverse("analysis:city", args=[city.pk]))),
        ]:
            b = timed(base_fn) if base_fn else None
            g = timed(big_fn)
            rows.append((label, b, g))
        with tempfile.TemporaryDirectory() as out:

            def export(c):
                return lambda: to_xlsx(Path(out) / "x.xlsx", kind="combined", campaign=c, root=c.institution)

            b = timed(export(small[0]), repeat=1)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            g = timed(export(big[0]), repeat=1)
            grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            rows.append((f"Excel 整改台账 export (+{grew:.0f} MB peak RSS)", b, g))
        print(f"{'what':<44} {'baseline':>16} {'at scale':>16} {'ratio':>7}")
        print(f"{'':<44} {f'{args.baseline:,} problems':>16} {f'{big_problems:,} problems':>16}")
        for label, b, g in rows:
            bs = f"{b[0] * 1000:7.0f} ms {b[1]:3d} q" if b else "—"
            gs = f"{g[0] * 1000:7.0f} ms {g[1]:3d} q"
            ratio = f"{g[0] / b[0]:6.1f}x" if b else ""
            print(f"{label:<44} {bs:>16} {gs:>16} {ratio:>7}")
        print(
            f"\ncity dashboard: {args.institutions + 2} institutions, "
            f"{args.problems + args.baseline + args.institutions * 200:,} problems"
        )


if __name__ == "__main__":
    main()
