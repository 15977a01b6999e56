"""A bounded load generator for loopback only: a fixed number of requests from N client threads, each
with its own keep-alive connection, under a hard time cap. Returns throughput, latency percentiles and
error counts (a 'database is locked' page counts as an error and is counted apart)."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# One request: (method, path, body bytes or None, headers). A script returns the requests of one user.
Request = tuple[str, str, bytes | None, dict]


@dataclass
class LoadResult:
    done: int = 0
    errors: int = 0
    locked: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    @property
    def p95_ms(self) -> float:
        return self.pct(0.95) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


def run_load(
    port: int,
    scripts: list[Callable[[http.client.HTTPConnection], list[float] | None]],
    *,
    clients: int,
    time_cap: float = 120.0,
) -> LoadResult:
    """Run each script once, `clients` at a time. A script performs one user's requests on the
    connection it is given and returns the latencies of the requests that count, or raises on error."""
    assert port > 0
    result = LoadResult()
    lock = threading.Lock()
    todo = list(reversed(scripts))
    deadline = time.monotonic() + time_cap

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                if not todo:
                    break
                script = todo.pop()
            try:
                lats = script(conn)
                with lock:
                    result.done += 1
                    result.latencies.extend(lats or [])
            except Exception as e:  # noqa: BLE001  (every failure is counted, whatever it is)
                with lock:
                    result.errors += 1
                    if "locked" in str(e).lower():
                        result.locked += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(0.1, deadline - time.monotonic() + 5))
    result.seconds = time.monotonic() - t
    return result


def request(
    conn: http.client.HTTPConnection, method: str, path: str, body=None, headers=None
) -> tuple[int, bytes, dict, float]:
    """One request; returns (status, body, headers, seconds). Raises on 5xx or a locked database."""
    t = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    took = time.perf_counter() - t
    if resp.status >= 500:
        raise RuntimeError(f"{resp.status} on {path}: {data[:200]!r}")
    if b"database is locked" in data:
        raise RuntimeError(f"database is locked on {path}")
    return resp.status, data, dict(resp.getheaders()), took
