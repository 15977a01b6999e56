"""P2 in-process on a city database that already exists (`manage.py generate_city` output), read only.

The dashboards and their one-query baselines (bench/p2.py, served at /_bench/p2/… by bench/urls.py)
are fetched through the same Django test client: the same middleware, session and log-in, without
gunicorn and HTTP, alternating baseline and page, medians of the repetitions (wall and CPU). Also the
stage gate-checks partial (not part of P2's figure: it loads after the page) and the queries of each.

Nothing is written: the database connection is read only (PostgreSQL `default_transaction_read_only`),
sessions live in signed cookies and the log-in does not stamp `last_login`.

    DATABASE_URL=postgres://…/rectify_city .venv/bin/python bench/p2_inprocess.py --city /tmp/city/build.log
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# P2_ROOT: measure another checkout's code (e.g. main, for the figures before a change).
ROOT = Path(os.environ.get("P2_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))


def setup() -> None:
    tmp = Path(os.environ.get("P2_VAR_DIR") or tempfile.mkdtemp(prefix="p2-inprocess-"))
    os.environ.update(
        {
            "RECTIFY_VAR_DIR": str(tmp),
            "RECTIFY_MEDIA_ROOT": str(tmp / "media"),
            "RECTIFY_CACHE_DIR": str(tmp / "cache"),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "REDIS_URL": "",
            "RECTIFY_DROPBOX_URL": "",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
        }
    )
    import django
    from django.conf import settings

    django.setup()
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        # added to the site's own options (jit=off, rectify/settings.py), not in their place: replacing them
        # measured every query with JIT compiling (a 98-plan page's query took 6.8 s of JIT under load)
        options = db.setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c default_transaction_read_only=on").strip()
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest production pages need


def client_for(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def timed(client, url: str):
    def get() -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return time.perf_counter() - t, time.process_time() - c

    return get


def queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def compare(label: str, client, page_url: str, baseline_url: str | None, reps: int) -> dict:
    page = timed(client, page_url)
    base = timed(client, baseline_url) if baseline_url else None
    page()
    if base:
        base()
    p, b = [], []
    for _ in range(reps):
        if base:
            b.append(base())
        p.append(page())
    med = lambda xs, i: statistics.median(x[i] for x in xs) * 1000  # noqa: E731
    out = {"what": label, "queries": queries(client, page_url), "page_ms": med(p, 0), "page_cpu_ms": med(p, 1)}
    if base:
        out.update(baseline_ms=med(b, 0), baseline_cpu_ms=med(b, 1), ratio=round(med(p, 0) / med(b, 0), 2))
    out["load"] = os.getloadavg()[0]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", required=True, help="generate_city's --json output (its last line is read)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--institution", type=int, default=0, help="index into the city's campaigns")
    args = ap.parse_args()
    lines = [ln for ln in Path(args.city).read_text().splitlines() if ln.startswith("{")]
    city = json.loads(lines[-1])
    setup()
    from django.urls import reverse

    i = args.institution
    campaign = city["campaign_ids"][i]
    city_client = client_for(city["official_username"])
    office_client = client_for(city["office_usernames"][i])
    rows = [
        compare(
            "city dashboard",
            city_client,
            reverse("analysis:city", args=[city["city_id"]]),
            f"/_bench/p2/city/{city['city_id']}",
            args.reps,
        ),
        compare(
            "institution dashboard",
            office_client,
            reverse("analysis:campaign", args=[campaign]),
            f"/_bench/p2/institution/{campaign}",
            args.reps,
        ),
        compare(
            "stage gate-checks partial (institution)",
            office_client,
            reverse("analysis:campaign_stages", args=[campaign]),
            None,
            args.reps,
        ),
        compare("home, institution office", office_client, reverse("home"), None, args.reps),
    ]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
