"""core.ratelimit: one mechanism for every limit, exact under bursts on each cache the site runs with, and
the client's address behind trusted proxies only."""

import json
import multiprocessing
import os
import socket
import threading
import uuid

import pytest
import time_machine
from django.test import RequestFactory, override_settings

from core import humancheck, ratelimit

# As in settings.CACHES: the counters in their own alias, "limits", whose culling spares live entries.
LOCMEM = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl-test"},
    "limits": {"BACKEND": "core.cache.CounterLocMemCache", "LOCATION": "rl-test-limits"},
}


# Windows are fixed (they start at multiples of their length): a test whose hits straddle a boundary
# counts them in two windows. A window this long has no boundary during any test run.
WHOLE_RUN = 10**10


def _file_cache(tmp_path, max_entries=20_000, counter_slots=65536):
    return {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)},
        "limits": {
            "BACKEND": "core.cache.CounterFileCache",
            "LOCATION": str(tmp_path / "limits"),
            "OPTIONS": {"MAX_ENTRIES": max_entries, "COUNTER_SLOTS": counter_slots},
        },
    }


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5"
    host, port = "127.0.0.1", 6379
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return None
    return url


def _burst(n: int, fn) -> list:
    """Run fn() in n threads released at the same moment; their results."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _caches(tmp_path):
    yield "locmem", LOCMEM
    yield "file", _file_cache(tmp_path)
    if url := _redis_url():
        yield (
            "redis",
            {
                alias: {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": url,
                    "KEY_PREFIX": f"rl-test-{uuid.uuid4().hex}",
                }
                for alias in ("default", "limits")
            },
        )


def test_it_lets_exactly_the_limit_through_a_burst_of_64(tmp_path):
    seen = []
    for name, caches in _caches(tmp_path):
        with override_settings(CACHES=caches):
            who = uuid.uuid4().hex
            results = _burst(64, lambda who=who: ratelimit.hit("burst", who, limit=10, window=WHOLE_RUN))
            assert sum(r.allowed for r in results) == 10, name
            assert sorted(r.count for r in results) == list(range(1, 65)), name
            seen.append(name)
    assert "file" in seen and "locmem" in seen


def _hit_in_process(location, who, queue):
    with override_settings(CACHES=_file_cache(location)):
        queue.put(ratelimit.hit("procs", who, limit=10, window=WHOLE_RUN).allowed)


def test_it_counts_exactly_across_processes_on_the_file_cache(tmp_path):
    """gunicorn's workers are processes sharing var/cache: the lock file keeps their counts exact."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    who = uuid.uuid4().hex
    procs = [ctx.Process(target=_hit_in_process, args=(tmp_path, who, queue)) for _ in range(24)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join()
    assert sum(results) == 10


def test_it_keeps_the_window_on_the_file_cache(tmp_path):
    """Django's file cache incr rewrites the entry with the default 5-minute timeout; an hour's window
    must not be cut short."""
    with override_settings(CACHES=_file_cache(tmp_path)):
        with time_machine.travel(3600 * 1000 + 10, tick=False) as t:
            for _ in range(3):
                ratelimit.hit("long", "a", limit=3, window=3600)
            t.shift(1200)
            assert not ratelimit.hit("long", "a", limit=3, window=3600).allowed
            t.shift(2400)  # the next window
            assert ratelimit.hit("long", "a", limit=3, window=3600).allowed


@pytest.mark.parametrize("backend", ["file", "locmem"])
def test_a_flood_of_other_counters_never_drops_a_live_one(tmp_path, backend):
    """Django's file and memory caches cull at MAX_ENTRIES by deleting live entries: a flood of new
    addresses would reset the counter of the one being limited in the middle of its window. The "limits"
    cache deletes expired entries only."""
    caches = _file_cache(tmp_path, max_entries=20) if backend == "file" else LOCMEM
    if backend == "locmem":
        caches = {**caches, "limits": {**caches["limits"], "OPTIONS": {"MAX_ENTRIES": 20}}}
    with override_settings(CACHES=caches), time_machine.travel(7200 * 1000 + 10, tick=False) as t:
        ratelimit.store().clear()
        for _ in range(5):
            assert ratelimit.hit("flood", "victim", limit=5, window=3600).allowed
        for i in range(120):  # six times MAX_ENTRIES counters of other addresses, each still counting
            ratelimit.hit("flood", f"other-{i}", limit=5, window=3600)
        assert ratelimit.once("flood-form", "token", seconds=3600)
        for i in range(60):
            ratelimit.hit("flood", f"more-{i}", limit=5, window=3600)
        over = ratelimit.hit("flood", "victim", limit=5, window=3600)
        assert (over.allowed, over.count) == (False, 6)
        assert not ratelimit.once("flood-form", "token", seconds=3600)  # a double submit stays one
        t.shift(3700)  # every counter has expired: the next writes clear them away
        ratelimit.hit("flood", "after", limit=5, window=3600)
        if backend == "file":
            entries = list((tmp_path / "limits").glob("*.djcache"))
        else:
            entries = list(ratelimit.store()._cache)
        assert len(entries) <= 20
        assert ratelimit.hit("flood", "victim", limit=5, window=3600).count == 1  # a new window


def test_the_site_keeps_its_counters_in_a_cache_that_culls_nothing_live(settings):
    from django.core.cache import caches as configured

    from core.cache import CounterFileCache, CounterLocMemCache

    assert isinstance(ratelimit.store(), (CounterFileCache, CounterLocMemCache))
    assert ratelimit.store() is configured["limits"]
    assert "limits" in settings.CACHES


def test_it_tells_how_long_to_wait_and_counts_per_who():
    for _ in range(2):
        ratelimit.hit("w", "a", limit=2, window=60)
    over = ratelimit.hit("w", "a", limit=2, window=60)
    assert not over.allowed and 1 <= over.retry_after <= 61
    assert ratelimit.hit("w", "b", limit=2, window=60).allowed
    ratelimit.give_back("w", "a", window=60)
    ratelimit.give_back("w", "a", window=60)
    assert ratelimit.peek("w", "a", limit=2, window=60).allowed


def test_it_never_stores_the_address_in_a_key():
    ratelimit.hit("privacy", "203.0.113.7", limit=5, window=60)
    keys = list(ratelimit.store()._cache.keys())
    assert keys and not any("203.0.113.7" in k for k in keys)


def test_it_lets_one_through_a_gate_per_period():
    with time_machine.travel(5000, tick=False) as t:
        assert ratelimit.gate("g", "a", seconds=8) == 0
        waits = _burst(16, lambda: ratelimit.gate("g", "a", seconds=8))
        assert all(1 <= w <= 9 for w in waits)
        t.shift(9)
        assert ratelimit.gate("g", "a", seconds=8) == 0


def test_it_passes_a_one_time_token_once():
    token = uuid.uuid4().hex
    assert sum(_burst(32, lambda: ratelimit.once("form", token, seconds=60))) == 1


# ---------------------------------------------------------------- client address


def _request(remote="198.51.100.9", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_it_ignores_x_forwarded_for_without_a_trusted_proxy():
    assert ratelimit.client_ip(_request(forwarded="1.2.3.4")) == "198.51.100.9"


@override_settings(RECTIFY_PROXY_COUNT=1)
def test_it_takes_the_address_our_one_proxy_saw():
    # the client wrote "6.6.6.6" itself; our proxy appended the address it saw
    assert ratelimit.client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5")) == "203.0.113.5"
    assert ratelimit.client_ip(_request("10.0.0.2")) == "10.0.0.2"  # header missing: the proxy itself


@override_settings(RECTIFY_TRUSTED_PROXIES=["10.0.0.0/8", "192.0.2.1"])
def test_it_walks_back_over_trusted_proxies_only():
    assert ratelimit.client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5, 192.0.2.1")) == "203.0.113.5"
    # a request that did not come through our proxy: its header is not believed
    assert ratelimit.client_ip(_request("198.51.100.9", "203.0.113.5")) == "198.51.100.9"
    # garbage in the header stops the walk at the last address we can vouch for
    assert ratelimit.client_ip(_request("10.0.0.2", "203.0.113.5, not-an-ip")) == "10.0.0.2"


# ---------------------------------------------------------------- human check


def test_it_keeps_the_human_check_answer_unreadable_in_its_token():
    import base64

    for _ in range(20):
        question, token = humancheck.challenge()
        a, b = (int(x) for x in question.split(" + "))
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert b'"s"' not in raw  # signing.dumps was base64 of {"s": answer}
        with pytest.raises(ValueError):
            json.loads(raw)
        assert humancheck.verify(token, a + b + 1) == "wrong"
        assert humancheck.verify(token, a + b) == "ok"
        assert humancheck.verify(token, a + b) == "used"


def test_it_refuses_a_forged_or_old_human_check():
    question, token = humancheck.challenge()
    answer = sum(int(x) for x in question.split(" + "))
    forged = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    assert humancheck.verify(forged, answer) == "expired"
    with time_machine.travel(humancheck.time.time() + humancheck.MAX_AGE + 5):
        assert humancheck.verify(token, answer) == "expired"


@pytest.mark.parametrize("answer", ["", "x", None, "99999999999999999999999"])
def test_it_takes_any_answer_without_error(answer):
    _q, token = humancheck.challenge()
    assert humancheck.verify(token, answer) == "wrong"


def test_the_file_counters_change_in_place_and_read_back_whole(tmp_path):
    """A counter that changes is rewritten in its own file (no new file renamed over it, which makes ext4
    write to disk before going on, under the lock all workers share); shorter values leave nothing behind,
    and the time to live is the new one."""
    with override_settings(CACHES=_file_cache(tmp_path)):
        cache = ratelimit.store()
        cache.set("c", 10**30, 60)
        path = cache._key_to_file("c")
        inode = os.stat(path).st_ino
        cache.set("c", 7, 60)
        assert cache.get("c") == 7 and os.stat(path).st_ino == inode
        with time_machine.travel(0, tick=False):
            cache.set("c", 8, 60)  # expires at 60 s after the epoch: long gone
        assert cache.get("c", "gone") == "gone"
        results = _burst(32, lambda: ratelimit.hit("inplace", "a", limit=100, window=WHOLE_RUN).count)
        assert sorted(results) == list(range(1, 33))


def test_it_counts_several_counters_at_once_exactly_under_a_burst(tmp_path):
    """hit_many (an address and the whole site under one hold of the lock) counts each counter as hit would."""
    for name, caches in _caches(tmp_path):
        with override_settings(CACHES=caches):
            who = uuid.uuid4().hex
            results = _burst(32, lambda who=who: ratelimit.hit_many("many", {who: 5, "*": 40}, window=WHOLE_RUN))
            assert sum(r[who].allowed for r in results) == 5, name
            assert sorted(r["*"].count for r in results) == list(range(1, 33)), name
            assert all(r["*"].allowed for r in results), name


def test_it_gives_back_several_counters_at_once_and_never_below_zero(tmp_path):
    for name, caches in _caches(tmp_path):
        with override_settings(CACHES=caches):
            who = uuid.uuid4().hex
            scope = f"back-{who}"
            ratelimit.hit_many(scope, {who: 1, "*": 1}, window=WHOLE_RUN)
            ratelimit.hit(scope, "*", limit=1, window=WHOLE_RUN)
            ratelimit.give_back_many(scope, [who, "*"], window=WHOLE_RUN)
            ratelimit.give_back_many(scope, [who, "*"], window=WHOLE_RUN)
            ratelimit.give_back_many(scope, [who], window=WHOLE_RUN)
            assert ratelimit.peek(scope, who, limit=1, window=WHOLE_RUN).count == 0, name
            assert ratelimit.peek(scope, "*", limit=1, window=WHOLE_RUN).count == 0, name
            assert ratelimit.hit(scope, who, limit=1, window=WHOLE_RUN).count == 1, name


def test_a_counter_with_no_room_in_the_shared_table_is_counted_in_its_own_file(tmp_path):
    """The file cache keeps its counters in one shared table (counters.bin); a key whose slots are all taken
    by live counters is counted in its own file, exactly, and moves into the table when a slot frees."""
    with override_settings(CACHES=_file_cache(tmp_path, counter_slots=4)), time_machine.travel(10**6, tick=False) as t:
        for i in range(4):
            ratelimit.hit("short", f"filler-{i}", limit=5, window=60)  # the whole table, live for a minute
        results = _burst(16, lambda: ratelimit.hit("room", "late", limit=5, window=WHOLE_RUN))
        assert sum(r.allowed for r in results) == 5 and sorted(r.count for r in results) == list(range(1, 17))
        assert list((tmp_path / "limits").glob("*.djcache"))  # counted in a file of its own
        t.shift(120)  # the fillers' window is over: their slots are free
        assert ratelimit.hit("room", "late", limit=5, window=WHOLE_RUN).count == 17
        assert not list((tmp_path / "limits").glob("*.djcache"))  # moved into the table, file gone
        ratelimit.give_back("room", "late", window=WHOLE_RUN)
        assert ratelimit.peek("room", "late", limit=5, window=WHOLE_RUN).count == 16


def test_the_shared_counter_table_holds_no_address_and_no_moment(tmp_path):
    """An operator who copies counters.bin learns neither the addresses counted nor when within the window
    a counter began (its end is rounded to a whole second)."""
    address = "203.0.113.77"
    with override_settings(CACHES=_file_cache(tmp_path)), time_machine.travel(10**6 + 0.371, tick=False):
        ratelimit.hit("ballot-code", address, limit=5, window=600)
    table = (tmp_path / "limits" / "counters.bin").read_bytes()
    assert address.encode() not in table and ratelimit._key("ballot-code", address).encode() not in table
    from core.cache import CounterTable

    used = [
        CounterTable.SLOT.unpack_from(table, i)
        for i in range(0, len(table), CounterTable.SLOT.size)
        if table[i : i + 16] != bytes(16)
    ]
    assert len(used) == 1 and used[0][1] == int(used[0][1]) and used[0][2] == 1


def test_it_forgets_a_cleared_counter_in_the_shared_table(tmp_path):
    with override_settings(CACHES=_file_cache(tmp_path)):
        for _ in range(3):
            ratelimit.hit("login", "someone", limit=3, window=WHOLE_RUN)
        assert not ratelimit.hit("login", "someone", limit=3, window=WHOLE_RUN).allowed
        ratelimit.clear("login", "someone", window=WHOLE_RUN)
        assert ratelimit.hit("login", "someone", limit=3, window=WHOLE_RUN).count == 1
        ratelimit.store().clear()
        assert ratelimit.peek("login", "someone", limit=3, window=WHOLE_RUN).count == 0
