#!/usr/bin/env python
"""Benchmarks (not tests): every hot path against its baseline in the same run, on SQLite and on
PostgreSQL, written to bench/results.md. See bench/README.md.

    python bench/run.py [--quick] [--db sqlite,postgres] [--only P2,P4] [--reps N] [--p6-sizes 10000,1000000]
    python bench/run.py --city-url postgres://…/rectify_city --only P3,P4,P5   # a city built beforehand
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def fresh_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_one(
    db: str,
    quick: bool,
    only: str,
    time_cap: int,
    p6_sizes: str = "",
    city_url: str = "",
    city_var: str = "",
    reps: int = 0,
) -> dict:
    cmd = [sys.executable, str(ROOT / "bench" / "worker.py")]
    if quick:
        cmd.append("--quick")
    if only:
        cmd += ["--only", only]
    if p6_sizes:
        cmd += ["--p6-sizes", p6_sizes]
    if reps:
        cmd += ["--reps", str(reps)]
    name = None
    if city_url:
        cmd += ["--city-url", city_url, "--city-var", city_var]  # the operator's city: neither created nor dropped
    elif db == "postgres":
        name = f"rectify_bench_{os.getpid()}"
        cmd += ["--database-url", fresh_pg_database(name)]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_VERSION")}
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=time_cap)
    except subprocess.TimeoutExpired as e:
        done = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return {"database": db, "error": f"over the time cap of {time_cap} s; progress:\n{done[-1500:]}", "figures": []}
    finally:
        if name:
            drop_pg_database(name)
    sys.stderr.write(proc.stderr[-4000:] if proc.returncode else "")
    if proc.returncode != 0:
        return {"database": db, "error": (proc.stderr or proc.stdout)[-1500:], "figures": []}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def paper_scan(quick: bool, time_cap: int) -> dict:
    """P9: paper ballots read by machine (bench/paper_scan.py, no database): sheets a second per core
    against the target it states (5). Run once, not per database."""
    sheets = 20 if quick else 120
    cmd = [sys.executable, str(ROOT / "bench" / "paper_scan.py"), "--sheets", str(sheets)]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_VERSION")}
    result = {"database": "no database: paper ballots read by machine (bench/paper_scan.py)", "figures": []}
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=time_cap)
    except subprocess.TimeoutExpired:
        return result | {"error": f"paper_scan.py took longer than {time_cap} s"}
    rate = read = None
    for line in proc.stdout.splitlines():
        if "sheets/second/core" in line:
            rate = float(line.split(":", 1)[1].split()[0])
        elif " sheets read from " in line:
            read = line.split(":", 1)[1].split(" sheets read")[0].strip()
    if proc.returncode != 0 or rate is None:
        return result | {"error": (proc.stderr or proc.stdout)[-1500:] or f"paper_scan.py exited {proc.returncode}"}
    target = 5.0
    result["figures"].append(
        {
            "key": "P9",
            "what": "reading a scanner's PDF of filled paper ballots (rasterise, markers, QR code, every bubble)",
            "baseline": "the target rate it states",
            "baseline_value": target,
            "subject_value": rate,
            "ratio": rate / target,
            "target": "≥ 5 sheets/s per core (ratio ≥ 1)",
            "pass": rate >= target,
            "unit": "sheets/s",
            "detail": f"{read} sheets read, one core",
        }
    )
    return result


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v * 1000:,.0f} ms" if unit == "s" else f"{v:,.1f}"


INDEX_HEADING = "## Sections"
INDEX_NOTE = (
    "The sections below with their dates. `bench/run.py` puts a new run at the top, below this list, and makes "
    "the list again; sections written by hand go at the end."
)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"


def run_section(results: list[dict], quick: bool, when: datetime.datetime) -> list[str]:
    """One run as a dated section of results.md: its heading, the machine, each database's figures."""
    import django

    dbs = ", ".join(r["database"].split(":")[0] for r in results) or "no database"
    lines = [
        f"## {'Quick' if quick else 'Full'} run, {dbs} ({when.strftime('%d %b %Y %H:%M')} UTC, `bench/run.py`)",
        "",
        f"{'QUICK (small city; figures not judged)' if quick else 'full city'}"
        f" · {platform.machine()}, {os.cpu_count()} cores · Python {platform.python_version()} · Django {django.get_version()}"
        + (
            f" · load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
            if hasattr(os, "getloadavg")
            else ""
        ),
        "",
        "Each figure is measured against its baseline in the same run, the two taking turns; times are medians",
        "(P3: 95th percentiles) of the repetitions. Ratio = subject / baseline. Made by `make bench`.",
        "",
    ]
    for r in results:
        lines.append(f"### {r['database']}")
        lines.append("")
        if r.get("error"):
            lines += ["Failed:", "", "```", r["error"], "```", ""]
            continue
        c = r.get("city", {})
        if c:
            made = "an existing city, read back in" if r.get("existing_city") else "built in"
            lines.append(
                "City: "
                + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in c.items())
                + f" ({made} {r.get('built_seconds', 0):.0f} s"
                + (f"; load average {r['load']}" if r.get("load") else "")
                + ")"
            )
            lines.append("")
        lines += [
            "| | Subject | Baseline | Subject time | Baseline time | Ratio | Target | Pass |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for f in r["figures"]:
            extra = " · ".join(str(f[k]) for k in ("queries", "memory", "detail") if f.get(k))
            ratio = f"{f['ratio']:.2f}×" if f.get("ratio") is not None else "—"
            lines.append(
                f"| {f['key']} | {f['what']}{' (' + extra + ')' if extra else ''} | {f['baseline']} | "
                f"{fmt(f['subject_value'], f.get('unit', 's'))} | {fmt(f['baseline_value'], f.get('unit', 's'))} | "
                f"{ratio} | {f['target']} | {'pass' if f['pass'] else '**fail**'} |"
            )
        lines.append("")
    return lines


def heading_date(heading: str) -> str:
    """The date a section's heading names (`30 Nov`, `1 Dec 2026`, `2026-11-29`), or an empty string."""
    import re

    m = re.search(rf"\b(\d{{1,2}} (?:{_MONTHS})(?: \d{{4}})?)\b", heading) or re.search(
        r"\b(\d{4}-\d{2}-\d{2})\b", heading
    )
    return m.group(1) if m else ""


def with_index(body: list[str]) -> list[str]:
    """`# Benchmark results`, the list of sections (each heading with its date), then the sections."""
    import re

    headings = [ln[3:].strip() for ln in body if ln.startswith("## ")]
    index = [INDEX_HEADING, "", INDEX_NOTE, ""]
    for h in headings:
        anchor = re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
        date = heading_date(h)
        index.append(f"- {date + ': ' if date else ''}[{h}](#{anchor})")
    return ["# Benchmark results", "", *index, "", *body]


def sections_of(text: str) -> list[str]:
    """The sections of an existing results.md: everything from its first `## ` heading that is not the
    index on (its title and index are made again)."""
    lines = text.splitlines()
    start = None
    for k, ln in enumerate(lines):
        if ln.startswith("## ") and ln.strip() != INDEX_HEADING:
            start = k
            break
    return [] if start is None else lines[start:]


def write_results(results: list[dict], quick: bool, path: Path, *, keep: bool) -> None:
    """`keep`: put the run at the top of `path`'s sections (below the index), earlier sections kept;
    otherwise `path` holds this run alone."""
    section = run_section(results, quick, datetime.datetime.now(datetime.UTC))
    earlier = sections_of(path.read_text()) if keep and path.exists() else []
    path.write_text("\n".join(with_index(section + earlier)).rstrip("\n") + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small city in a few minutes (what CI runs)")
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--only", default="")
    ap.add_argument("--p6-sizes", default="", help="P6's rounds in ballots, e.g. 10000,1000000")
    ap.add_argument(
        "--out",
        default="",
        help="write this run alone to this file; without it the run goes at the top of bench/results.md, "
        "earlier sections kept",
    )
    ap.add_argument("--time-cap", type=int, default=0, help="seconds per database (default 15 min quick, 3 h full)")
    ap.add_argument(
        "--city-url",
        default="",
        help="a database that `manage.py generate_city` filled beforehand (postgres://… or sqlite:////path): measure "
        "against it instead of building a city; it is migrated, and the small city of the baselines is added once. "
        "P1, P6 and P8 add rows as they measure, so they run against it only when named in --only",
    )
    ap.add_argument(
        "--city-var",
        default="",
        help="with --city-url: the RECTIFY_VAR_DIR `generate_city` ran with (the audit keyring the chain is sealed "
        "with, the evidence files)",
    )
    ap.add_argument("--reps", type=int, default=0, help="repetitions per figure (default 3 quick, 5 full)")
    args = ap.parse_args()
    if args.city_url and not args.city_var:
        ap.error("--city-url needs --city-var (the directory with the city's audit_keys and media)")
    cap = args.time_cap or (900 if args.quick else 3 * 3600)
    results = []
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    if args.city_url:
        dbs = ["sqlite" if args.city_url.startswith("sqlite") else "postgres"]  # the database the city is in
    if args.only and {k.strip().upper() for k in args.only.split(",") if k.strip()} == {"P9"}:
        dbs = []  # the paper figure needs no database
    for db in dbs:
        if db == "postgres" and not pg_available():
            results.append(
                {"database": "postgres", "error": f"PostgreSQL not reachable at {PG_ADMIN_URL}", "figures": []}
            )
            continue
        print(f"=== {db} ({'quick' if args.quick else 'full'}) ===", flush=True)
        r = run_one(
            db,
            args.quick,
            args.only,
            cap,
            args.p6_sizes,
            city_url=args.city_url,
            city_var=args.city_var,
            reps=args.reps,
        )
        for f in r.get("figures", []):
            ratio = f"{f['ratio']:.2f}x" if f.get("ratio") is not None else "-"
            print(f"  {f['key']} {f['what'][:60]:<60} {ratio:>7} {'pass' if f['pass'] else 'FAIL'}", flush=True)
        if r.get("error"):
            print("  failed:\n" + r["error"], flush=True)
        results.append(r)
    wanted = {k.strip().upper() for k in args.only.split(",") if k.strip()}
    if (not wanted and not args.city_url) or "P9" in wanted:
        print("=== paper ballots (no database) ===", flush=True)
        r = paper_scan(args.quick, cap)
        for f in r["figures"]:
            print(
                f"  {f['key']} {f['what'][:60]:<60} {f['ratio']:>6.2f}x {'pass' if f['pass'] else 'FAIL'}", flush=True
            )
        if r.get("error"):
            print("  failed:\n" + r["error"], flush=True)
        results.append(r)
    out = Path(args.out) if args.out else ROOT / "bench" / "results.md"
    write_results(results, args.quick, out, keep=not args.out)
    print(f"written {out}")
    sys.exit(1 if any(r.get("error") for r in results) else 0)


if __name__ == "__main__":
    main()
