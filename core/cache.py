"""Cache backends for counters that must not be dropped while they count (core.ratelimit, core.formtoken).

Django's file cache culls when it holds MAX_ENTRIES files (300 by default): it deletes a third of its
files, live or not, chosen at random. For a page cache that is harmless; for a rate-limit counter it
resets the count in the middle of its window (a flood of other addresses then clears the counter of the
address being limited), and for a one-time form token it lets a double submit through. The counters
therefore live in their own cache alias, "limits" (settings.CACHES), whose file backend below never
drops a live entry: when it holds more than MAX_ENTRIES files it deletes the expired ones only, and
keeps going over the number rather than lose a counter. Every counter is written with a time to live of
at most a day, so the directory holds at most a day of counters.

With REDIS_URL the "limits" alias is Redis, which culls nothing by itself; the Redis server must then
not evict keys either (`maxmemory-policy noeviction`, or no `maxmemory`): see docs/deploy.md.
"""

from __future__ import annotations

import io
import pickle  # nosec B403 (the cache's own files, as Django's file cache; never data from outside)
import time
import zlib

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache


class CounterFileCache(FileBasedCache):
    """A file cache whose culling deletes expired entries only, never a live one.

    An entry that exists is overwritten in place (one write of a few dozen bytes, then the file cut to
    its new length) instead of Django's new file renamed over the old one: on ext4, renaming over a file
    (or cutting it to nothing) makes the kernel write the new data to disk before going on, several
    milliseconds per counter change, under the lock that every worker takes to change a counter (a
    ballot page changes four). A reader that meets a half-written entry reads it again."""

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        fname = self._key_to_file(key, version)
        buffer = io.BytesIO()
        self._write_content(buffer, timeout, value)
        try:
            with open(fname, "r+b") as f:
                f.write(buffer.getvalue())
                f.truncate()
            return
        except FileNotFoundError:
            pass
        super().set(key, value, timeout, version)

    def change(self, key, delta: int, timeout, floor: int | None = None) -> int:
        """Add `delta` to the whole number at `key` (0 when missing or expired) and return the new value,
        reading and writing its file in one open (a get and a set open it twice and unpickle it twice). With
        `floor`, a change that would go below it is not made. The caller holds the lock every change to a
        counter is made under (core.ratelimit)."""
        fname = self._key_to_file(key)
        try:
            f = open(fname, "r+b")
        except FileNotFoundError:
            if floor is not None and delta < floor:
                return 0
            super().set(key, delta, timeout)
            return delta
        with f:
            value = 0
            try:
                expiry = pickle.load(f)  # nosec B301 (the cache's own file, as in Django's file cache)
                if expiry is None or expiry >= time.time():
                    value = pickle.loads(zlib.decompress(f.read()))  # nosec B301 (the same)
            except (EOFError, pickle.UnpicklingError, zlib.error, ValueError, TypeError):
                value = 0  # a file cut short by a crash: counted afresh
            if floor is not None and value + delta < floor:
                return value
            value += delta
            buffer = io.BytesIO()
            self._write_content(buffer, timeout, value)
            f.seek(0)
            f.write(buffer.getvalue())
            f.truncate()
        return value

    def get(self, key, default=None, version=None):
        for _attempt in range(3):
            try:
                return super().get(key, default, version)
            except (EOFError, pickle.UnpicklingError, zlib.error, ValueError, TypeError):
                continue  # met a write half done: the next read sees it whole
        return default

    def _cull(self):
        filelist = self._list_cache_files()
        if len(filelist) < self._max_entries:
            return
        self.prune(filelist)

    def prune(self, filelist=None) -> int:
        """Delete the expired entries; returns how many were deleted."""
        removed = 0
        for fname in self._list_cache_files() if filelist is None else filelist:
            try:
                with open(fname, "rb") as f:
                    removed += self._is_expired(f)  # deletes the file when it has expired
            except FileNotFoundError:
                pass  # deleted by another process in between
        return removed


class CounterLocMemCache(LocMemCache):
    """Local memory (tests, a single process) with the same rule: culling deletes expired entries only."""

    def _cull(self):
        for key in [k for k, exp in self._expire_info.items() if self._has_expired(k)]:
            self._delete(key)
