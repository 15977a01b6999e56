"""P7 in one process: `trail_verify` of this tree, of another revision (e.g. main's), and the plain HMAC loop
over the same bytes, taking turns; medians of wall time, this process's CPU and the PostgreSQL backend's CPU
(read from /proc, so run it on the database's machine), with the load average before and after.

    DATABASE_URL=postgres://…/rectify_x RECTIFY_VAR_DIR=… .venv/bin/python bench/p7_inprocess.py --reps 5 --old main

`--old REV` loads audit/verify.py as it is at git revision REV beside this tree's (same package, same
keyring, same database connection). The database is only read.
"""

from __future__ import annotations

import argparse
import hmac
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_verifier(rev: str):
    """audit/verify.py at git revision `rev`, as a module of the audit package (its relative imports work)."""
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:audit/verify.py"], check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "verify_old.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("audit.verify_old", path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "audit"
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def backend_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--old", default="main", help="git revision of the verifier to compare ('' for none)")
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
    import django

    django.setup()
    from django.db import connection

    from audit import verify
    from audit.chain import FIELDS, message
    from audit.keys import keyring
    from audit.models import AuditRecord

    old = load_verifier(args.old) if args.old else None
    secrets = keyring().keys
    work = [
        (secrets[row[11]], message(row))
        for row in AuditRecord.objects.order_by("seq").values_list(*FIELDS).iterator(chunk_size=10_000)
        if row[11]
    ]
    n = AuditRecord.objects.count()
    assert len(work) == n, f"{n - len(work)} unkeyed records"
    pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
    digest = hmac.digest

    def plain():
        for secret, msg in work:
            digest(secret, msg, "sha256").hex()

    def run(module):
        def go():
            report = module.trail_verify()
            assert report.ok, report.message()

        return go

    subjects = [("plain", plain), ("new", run(verify))] + ([("old", run(old))] if old else [])
    times: dict[str, list[tuple[float, float, float]]] = {k: [] for k, _ in subjects}
    load0 = os.getloadavg()[0]
    for _ in range(args.reps):
        for key, fn in subjects:
            s0, c0, t0 = backend_cpu(pid), time.process_time(), time.perf_counter()
            fn()
            times[key].append((time.perf_counter() - t0, time.process_time() - c0, backend_cpu(pid) - s0))
    load1 = os.getloadavg()[0]
    base = statistics.median(t for t, _, _ in times["plain"])
    print(f"{connection.vendor} {n:,} records, {args.reps} reps, load average {load0:.1f} → {load1:.1f}")
    for key, _ in subjects:
        wall = statistics.median(t for t, _, _ in times[key])
        cpu = statistics.median(c for _, c, _ in times[key])
        srv = statistics.median(s for _, _, s in times[key])
        print(f"  {key:6} {wall:7.3f} s = {wall / base:5.2f}×   client CPU {cpu:6.3f} s   server CPU {srv:6.3f} s")
        print("         walls " + " ".join(f"{t:.3f}" for t, _, _ in times[key]))


if __name__ == "__main__":
    main()
