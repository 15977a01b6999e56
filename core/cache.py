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

import hashlib
import io
import math
import mmap
import os
import pickle  # nosec B403 (the cache's own files, as Django's file cache; never data from outside)
import struct
import time
import zlib

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache


class CounterTable:
    """The counters of a CounterFileCache in one file of fixed size, mapped into the memory of every process
    that counts (`counters.bin` beside the cache's files): a counter changes with a few memory reads and
    writes instead of an open, a read, a write and a close of its own file, while its count stays exact
    across processes. Changes are made under the lock core.ratelimit holds for every change; a read without
    it takes a slot only when two copies of it agree (a change is a single write of the slot's 32 bytes).

    A slot is (BLAKE2b-128 of the key, expiry, value); a key lives in the first PROBES slots from its hash. An
    expired slot is reused; a slot never used ends every search. When a key's PROBES slots all hold live
    counters, `change` says so (None) and the cache counts that key in its own file, as before: no live
    counter is ever dropped or overwritten."""

    SLOT = struct.Struct("<16sdq")
    PROBES = 64
    NEVER_USED = bytes(16)

    def __init__(self, directory: str, slots: int):
        self.path = os.path.join(directory, "counters.bin")
        self.slots = slots
        self._held: tuple[int, mmap.mmap] | None = None

    def _map(self, create: bool) -> mmap.mmap | None:
        pid = os.getpid()
        if self._held is not None and self._held[0] == pid:
            return self._held[1]
        size = self.slots * self.SLOT.size
        try:
            fd = os.open(self.path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
        except FileNotFoundError:
            return None
        try:
            if os.fstat(fd).st_size < size:
                if not create:
                    return None
                os.ftruncate(fd, size)  # zeros: every slot never used
            mapped = mmap.mmap(fd, size)
        finally:
            os.close(fd)  # the mapping keeps the file
        self._held = (pid, mapped)
        return mapped

    def _digest(self, key: str) -> tuple[bytes, int]:
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        return digest, int.from_bytes(digest[:8], "little") % self.slots

    def _offsets(self, start: int):
        for i in range(min(self.PROBES, self.slots)):
            yield ((start + i) % self.slots) * self.SLOT.size

    def _read(self, mapped, offset):
        for _attempt in range(3):
            slot = mapped[offset : offset + self.SLOT.size]
            if slot == mapped[offset : offset + self.SLOT.size]:
                return self.SLOT.unpack(slot)
        return self.SLOT.unpack(slot)

    def get(self, key: str) -> int | None:
        """The live counter at `key`, or None when the table does not hold it."""
        mapped = self._map(create=False)
        if mapped is None:
            return None
        digest, start = self._digest(key)
        now = time.time()
        for offset in self._offsets(start):
            found, expiry, value = self._read(mapped, offset)
            if found == digest:
                return value if expiry >= now else None
            if found == self.NEVER_USED:
                return None
        return None

    def change(self, key: str, delta: int, timeout: float, floor: int | None, earlier=None) -> int | None:
        """Add `delta` as CounterFileCache.change does; None when there is no room for a new key. `earlier`
        gives the count a new key already has elsewhere (its file, from a time the table was full)."""
        mapped = self._map(create=True)
        digest, start = self._digest(key)
        now = time.time()
        room = None
        for offset in self._offsets(start):
            found, expiry, value = self.SLOT.unpack_from(mapped, offset)
            if found == digest and expiry >= now:
                if floor is not None and value + delta < floor:
                    return value
                self.SLOT.pack_into(mapped, offset, digest, expiry, value + delta)
                return value + delta
            if room is None and (found == digest or expiry < now):
                room = offset  # its own expired slot, another key's expired one, or one never used
            if found == self.NEVER_USED:
                break
        if room is None:
            return None
        value = earlier() if earlier else 0
        if floor is not None and value + delta < floor:
            return value
        # whole seconds: the moment a counter began is no business of whoever reads the file
        self.SLOT.pack_into(mapped, room, digest, float(math.ceil(now + timeout)), value + delta)
        return value + delta

    def delete(self, key: str) -> None:
        mapped = self._map(create=False)
        if mapped is None:
            return
        digest, start = self._digest(key)
        for offset in self._offsets(start):
            found, _expiry, _value = self.SLOT.unpack_from(mapped, offset)
            if found == digest:
                self.SLOT.pack_into(mapped, offset, digest, 0.0, 0)  # expired: reused, searched past
                return
            if found == self.NEVER_USED:
                return

    def clear(self) -> None:
        mapped = self._map(create=False)
        if mapped is not None:
            mapped[:] = bytes(len(mapped))


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

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._table = CounterTable(self._dir, int(params.get("OPTIONS", {}).get("COUNTER_SLOTS", 65536)))

    def change(self, key, delta: int, timeout, floor: int | None = None) -> int:
        """Add `delta` to the whole number at `key` (0 when missing or expired) and return the new value: in
        the shared table, or, when it has no room for the key, in the key's own file. With `floor`, a change
        that would go below it is not made. The caller holds the lock every change to a counter is made under
        (core.ratelimit)."""
        value = self._table.change(key, delta, timeout, floor, earlier=lambda: self._take_from_file(key))
        return self._file_change(key, delta, timeout, floor) if value is None else value

    def _take_from_file(self, key) -> int:
        """The live count a key has in its own file (0 if none), the file then deleted: the table counts on."""
        value = super().get(key, 0)
        if value:
            super().delete(key)
        return value

    def _file_change(self, key, delta: int, timeout, floor: int | None) -> int:
        """`change` in the key's own file: read and written in one open (a get and a set open it twice and
        unpickle it twice)."""
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
        if version is None and (value := self._table.get(key)) is not None:
            return value
        for _attempt in range(3):
            try:
                return super().get(key, default, version)
            except (EOFError, pickle.UnpicklingError, zlib.error, ValueError, TypeError):
                continue  # met a write half done: the next read sees it whole
        return default

    def delete(self, key, version=None):
        if version is None:
            self._table.delete(key)
        return super().delete(key, version)

    def clear(self):
        self._table.clear()
        super().clear()

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
