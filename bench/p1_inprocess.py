"""P1 in-process: CPU per request of opening and submitting a ballot against the one-row baseline view, through
Django's WSGI handler with the bench settings (all middleware, no gunicorn, no network), so that the cost of
the site's own code can be read on a loaded machine: CPU time of this thread, not wall time.

    DATABASE_URL=postgres://…/rectify_p1 .venv/bin/python bench/p1_inprocess.py --ballots 300 [--profile out.prof]

A small city is built in the database the first time (prefix GC); each run opens a new round.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wsgi_call(handler, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    status = []
    chunks = handler(environ, lambda s, h, exc_info=None: status.append(s))
    data = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return int(status[0].split()[0]), data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ballots", type=int, default=300)
    ap.add_argument("--profile", help="write a cProfile (CPU time of this thread) of the subject's requests here")
    ap.add_argument("--var", default=str(Path(tempfile.gettempdir()) / "rectify-p1"), help="RECTIFY_VAR_DIR, kept")
    args = ap.parse_args()

    from bench.worker import SMALL_CITY, ballot_round, existing_city, setup

    tmp = Path(args.var)
    tmp.mkdir(parents=True, exist_ok=True)
    setup(tmp, os.environ.get("DATABASE_URL") or None)
    from django.core.wsgi import get_wsgi_application

    from analysis.citygen import CitySize, generate_city

    city = existing_city("GC") or generate_city(CitySize(**SMALL_CITY), prefix="GC")
    ev, codes, _key = ballot_round(city, args.ballots + 20)
    handler = get_wsgi_application()

    def ballot(code: str) -> tuple[float, float]:
        t0 = time.thread_time()
        status, body = wsgi_call(handler, "POST", "/v/ballot", urlencode({"code": code}).encode())
        t1 = time.thread_time()
        assert status == 200, status
        answers = {}
        for name, value in re.findall(rb'name="(a-\d+-\d+)" value="(\d+)"', body):
            answers.setdefault(name.decode(), value.decode())
        admission = re.search(rb'name="admission" value="([^"]+)"', body).group(1).decode()
        t2 = time.thread_time()
        status, _ = wsgi_call(
            handler, "POST", "/v/submit", urlencode({"code": code, "admission": admission, **answers}).encode()
        )
        t3 = time.thread_time()
        assert status in (302, 303), status
        return t1 - t0, t3 - t2

    def row() -> float:
        t0 = time.thread_time()
        status, _ = wsgi_call(handler, "POST", "/v/_bench/row", b"note=x")
        assert status == 200
        return time.thread_time() - t0

    for code in codes[:20]:  # warm: the per-process page, connections, caches
        ballot(code)
        row()
    opens, submits, rows = [], [], []
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)
    for code in codes[20:]:
        rows.append(row())
        if profiler:
            profiler.enable()
        o, s = ballot(code)
        if profiler:
            profiler.disable()
        opens.append(o)
        submits.append(s)
    if profiler:
        profiler.dump_stats(args.profile)
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(
        f"CPU per request (median of {len(rows)}): open {ms(opens):.2f} ms, submit {ms(submits):.2f} ms, "
        f"baseline row {ms(rows):.2f} ms; subject per request {(ms(opens) + ms(submits)) / 2:.2f} ms = "
        f"{(ms(opens) + ms(submits)) / 2 / ms(rows):.2f}× the baseline's"
    )


if __name__ == "__main__":
    main()
