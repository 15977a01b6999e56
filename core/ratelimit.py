"""The one mechanism behind every limit of the site: counters in Django's cache, atomic under bursts.

    from core import ratelimit
    if not ratelimit.hit("opinion", ratelimit.client_ip(request), limit=5, window=3600).allowed:
        ... 429 ...

- `hit` counts one event for (scope, who) in a fixed window and says whether it is within the limit. The
  counter is taken with `cache.add` then `cache.incr` before anything is decided, so 64 requests that
  arrive at once against a limit of 10 see the counts 1…64 and exactly 10 of them pass. Redis (REDIS_URL,
  several app servers) and local memory do both in one step; Django's file cache does not, so on it every
  change is made under an exclusive lock on a file beside the cache (all workers of one machine).
- `gate` lets one event through per `seconds` (the exponential delays of the log-in throttle).
- `client_ip` is the address of the client as the nearest trusted proxy saw it (RECTIFY_PROXY_COUNT,
  RECTIFY_TRUSTED_PROXIES); without a trusted proxy, REMOTE_ADDR, because X-Forwarded-For is written by
  the client and would let anyone reset their own counter.
- The counters live in the cache alias "limits" (settings.CACHES; core/cache.py), which never drops a
  live entry: the culling of Django's file cache at MAX_ENTRIES would reset a counter mid-window.
- Keys hold a keyed hash of `who` (an address, a user name), never the thing itself: the counters sit in a
  cache on disk or in Redis, where an operator could otherwise read who sent an anonymous opinion or tried
  to log in (docs/anonymity.md). A plain hash of an IPv4 address is reversed by trying all 2³² of them.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import ipaddress
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache

from .cache import CounterFileCache

_thread_lock = threading.Lock()


@dataclass(frozen=True)
class Result:
    allowed: bool
    count: int  # events counted in this window, this one included
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def store():
    """The cache the counters live in: the "limits" alias (the default cache where none is configured)."""
    return caches["limits" if "limits" in settings.CACHES else "default"]


@lru_cache(maxsize=4)
def _hmac_key(secret: str) -> bytes:
    """The key django.utils.crypto.salted_hmac("core.ratelimit", …) derives, derived once per secret."""
    return hashlib.sha1(f"core.ratelimit{secret}".encode()).digest()  # nosec B324 (salted_hmac's derivation)


def _key(scope: str, who: str) -> str:
    digest = hmac.new(_hmac_key(settings.SECRET_KEY), f"{scope}\0{who}".encode(), hashlib.sha1).hexdigest()
    return f"rl:{scope}:" + digest[:32]


_lock_files: dict[str, tuple[int, int]] = {}  # cache directory -> (process id, open lock file)


def _lock_file(directory: str) -> int:
    """The lock file of the file cache in `directory`, opened once per process (a forked process opens its
    own: flock locks belong to an open file, which a fork would share)."""
    pid = os.getpid()
    held = _lock_files.get(directory)
    if held is None or held[0] != pid:
        Path(directory).mkdir(parents=True, exist_ok=True)
        fd = os.open(Path(directory) / "ratelimit.lock", os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        _lock_files[directory] = held = (pid, fd)
    return held[1]


@contextmanager
def _atomic(backend=None):
    """Held while a counter changes. Redis and local memory need nothing more than their own add/incr; the
    file cache reads and writes a file per key, so its changes are serialised with a lock file that every
    process of this machine locks."""
    backend = backend or store()
    if not isinstance(backend, FileBasedCache):
        yield
        return
    with _thread_lock:
        fd = _lock_file(backend._dir)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _window_start(window: int, now: float) -> int:
    return int(now // window) * window


def _add(key: str, delta: int, *, ttl: float) -> int:
    """Add `delta` to the counter at `key` (created with `ttl` seconds to live); the new value."""
    return _add_many([key], delta, ttl=ttl)[0]


def _add_many(keys: list[str], delta: int, *, ttl: float, floor: int | None = None) -> list[int]:
    """Add `delta` to each counter in `keys` under one hold of the lock (the file cache: one lock for all
    instead of one each); the new values. With `floor`, a counter that would go below it is left alone
    (giving back never makes a count negative)."""
    ttl = max(1, int(ttl))
    cache = store()
    values = []
    with _atomic(cache):
        for key in keys:
            if isinstance(cache, CounterFileCache):  # one open of the key's file
                values.append(cache.change(key, delta, ttl, floor))
                continue
            if isinstance(cache, FileBasedCache):  # its incr is get + set with the default timeout
                value = cache.get(key, 0)
                if floor is None or value + delta >= floor:
                    value += delta
                    cache.set(key, value, ttl)
                values.append(value)
                continue
            if floor is not None:
                value = cache.get(key, 0)
                if value + delta < floor:
                    values.append(value)
                    continue
            if cache.add(key, delta, ttl):
                values.append(delta)
                continue
            try:
                values.append(cache.incr(key, delta))
            except ValueError:  # expired between add and incr
                cache.add(key, delta, ttl)
                values.append(delta)
    return values


def hit(scope: str, who: str, *, limit: int, window: int, cost: int = 1) -> Result:
    """Count `cost` events of `scope` by `who` in the current fixed window of `window` seconds; allowed while
    the count stays within `limit`. Events over the limit are counted too (a client hammering on stays out)."""
    return hit_many(scope, {who: limit}, window=window, cost=cost)[who]


def hit_many(scope: str, limits: dict[str, int], *, window: int, cost: int = 1) -> dict[str, Result]:
    """`hit` for several counters of one scope at once ({who: limit}), counted together: on the file cache
    under one hold of its lock instead of one each (a ballot page counts an address and the whole site)."""
    now = time.time()
    start = _window_start(window, now)
    whos = list(limits)
    counts = _add_many([f"{_key(scope, who)}:{start}" for who in whos], cost, ttl=start + window + 5 - now)
    out = {}
    for who, count in zip(whos, counts, strict=True):
        limit = limits[who]
        retry = 0 if count <= limit else max(1, int(start + window - now) + 1)
        out[who] = Result(count <= limit, count, limit, retry)
    return out


def peek(scope: str, who: str, *, limit: int, window: int) -> Result:
    """The current window's count without counting anything."""
    cache = store()
    now = time.time()
    start = _window_start(window, now)
    count = cache.get(f"{_key(scope, who)}:{start}", 0)
    retry = 0 if count < limit else max(1, int(start + window - now) + 1)
    return Result(count < limit, count, limit, retry)


def give_back(scope: str, who: str, *, window: int, cost: int = 1) -> None:
    """Take back events counted by `hit` that turned out not to count (a successful log-in)."""
    give_back_many(scope, [who], window=window, cost=cost)


def give_back_many(scope: str, whos: list[str], *, window: int, cost: int = 1) -> None:
    """`give_back` for several counters of one scope at once (one hold of the lock); a counter already below
    `cost` (its window just began) is left alone."""
    now = time.time()
    start = _window_start(window, now)
    keys = [f"{_key(scope, who)}:{start}" for who in whos]
    _add_many(keys, -cost, ttl=start + window + 5 - now, floor=0)


def clear(scope: str, who: str, *, window: int) -> None:
    store().delete(f"{_key(scope, who)}:{_window_start(window, time.time())}")


def gate(scope: str, who: str, *, seconds: int) -> int:
    """Let one event through per `seconds`: 0 when this one may pass (and the gate closes behind it),
    otherwise the seconds to wait. Atomic like `hit`: of a burst, one passes."""
    cache = store()
    key = f"{_key(scope, who)}:gate"
    now = time.time()
    with _atomic():
        if cache.add(key, now + seconds, seconds):
            return 0
        until = cache.get(key)
    if until is None:  # closed and opened again in between: try once more
        with _atomic():
            if cache.add(key, now + seconds, seconds):
                return 0
        return 1
    return max(1, int(until - now) + 1)


def once(scope: str, who: str, *, seconds: int) -> bool:
    """True the first time (scope, who) is seen within `seconds`, False afterwards: a one-time token, a
    form sent twice. Atomic like `hit`."""
    cache = store()
    with _atomic():
        return cache.add(f"{_key(scope, who)}:once", 1, seconds)


def forget_once(scope: str, who: str) -> None:
    store().delete(f"{_key(scope, who)}:once")


def open_gate(scope: str, who: str) -> None:
    store().delete(f"{_key(scope, who)}:gate")


# ---------------------------------------------------------------- the client's address


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def _valid(addr: str) -> str | None:
    try:
        return str(ipaddress.ip_address(addr.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address. Behind proxies, set one of:

    - RECTIFY_PROXY_COUNT = N: exactly N proxies of ours stand in front (each appends to
      X-Forwarded-For), so the client is the N-th address from the right of X-Forwarded-For + REMOTE_ADDR;
    - RECTIFY_TRUSTED_PROXIES = addresses or networks of our proxies: walking X-Forwarded-For from the
      right, the first address that is not one of them.

    Anything the client wrote further left is ignored; an unparseable entry stops the walk at the last
    address we can vouch for."""
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or "unknown"
    count = getattr(settings, "RECTIFY_PROXY_COUNT", 0)
    trusted = _networks(tuple(getattr(settings, "RECTIFY_TRUSTED_PROXIES", ())))
    if not count and not trusted:
        return remote
    forwarded = [a for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    chain = [*forwarded, remote]  # nearest hop last
    if count:
        if len(chain) <= count:
            return remote
        return _valid(chain[-1 - count]) or remote
    client = remote
    for hop in reversed(chain):
        addr = _valid(hop)
        if addr is None:
            return client
        client = addr
        if not any(ipaddress.ip_address(addr) in net for net in trusted):
            return addr
    return client
