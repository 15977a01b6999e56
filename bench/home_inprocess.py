"""The home page (待办) at city size, in-process and read only, like bench/p2_inprocess.py (same setup).

For each user (the city office and the first campaign's institution office by default): the page loaded once,
then its queries captured with their times (slowest first, EXPLAIN ANALYZE of the slowest with --explain),
then the median wall and CPU time of --reps loads. P2_ROOT measures another checkout's code (the figure before
a change), as for p2_inprocess.

    DATABASE_URL=postgres://…/rectify_city .venv/bin/python bench/home_inprocess.py --city /tmp/city/build.log
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from p2_inprocess import client_for, setup  # noqa: E402  (P2_ROOT is read there)


def captured(client, url: str) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [{"ms": float(q["time"]) * 1000, "sql": q["sql"]} for q in ctx.captured_queries]


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            # The plan only (SQLite has no ANALYZE here), of the text as captured: its values written in, where
            # the page bound them (a partial index may be used for the one and not for the other).
            cur.execute("EXPLAIN QUERY PLAN " + sql)  # nosec B608 (a query the page itself just ran)
            return "\n".join(f"{r[0]:>4} {r[1]:>4} {r[3]}" for r in cur.fetchall())
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)  # nosec B608 (a query the page itself just ran)
        return "\n".join(r[0] for r in cur.fetchall())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", required=True, help="generate_city's --json output (its last line is read)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--top", type=int, default=4, help="slowest queries shown")
    ap.add_argument(
        "--explain", type=int, default=0, help="EXPLAIN ANALYZE (SQLite: EXPLAIN QUERY PLAN) the N slowest queries"
    )
    ap.add_argument("--users", nargs="*", help="usernames (default: the city office and the first office)")
    ap.add_argument("--url", help="another page than the home page (e.g. /reports/states/?campaign=1)")
    args = ap.parse_args()
    lines = [ln for ln in Path(args.city).read_text().splitlines() if ln.startswith("{")]
    city = json.loads(lines[-1])
    setup()
    from django.urls import reverse

    url = args.url or reverse("home")
    for username in args.users or [city["official_username"], city["office_usernames"][0]]:
        client = client_for(username)
        client.get(url)
        qs = captured(client, url)
        runs = []
        for _ in range(args.reps):
            t, c = time.perf_counter(), time.process_time()
            assert client.get(url).status_code == 200
            runs.append((time.perf_counter() - t, time.process_time() - c))
        slow = sorted(qs, key=lambda q: -q["ms"])
        row = {
            "user": username,
            "queries": len(qs),
            "sql_ms": round(sum(q["ms"] for q in qs)),
            "page_ms": round(statistics.median(r[0] for r in runs) * 1000),
            "page_cpu_ms": round(statistics.median(r[1] for r in runs) * 1000),
            "load": os.getloadavg()[0],
            "slowest": [{"ms": round(q["ms"], 1), "sql": q["sql"][:600]} for q in slow[: args.top]],
        }
        print(json.dumps(row, ensure_ascii=False, indent=1))
        for q in slow[: args.explain]:
            print(f"--- EXPLAIN ({q['ms']:.0f} ms in the page)\n{q['sql']}\n{explain(q['sql'])}\n")


if __name__ == "__main__":
    main()
