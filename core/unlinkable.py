"""Helpers that keep anonymous input unlinkable to its author (see docs/anonymity.md).

- `RandomIdField`: a primary key drawn at random, so neither the key nor (on SQLite, where the key
  is the rowid) the physical order of rows follows the order in which they were written.
- `anonymous_endpoint`: the addresses whose requests must not be logged one by one (ballots,
  opinion forms and receipt look-ups, public supervision opinions, peer reviews).
- `AnonymousRequestFilter`: a logging filter that keeps such requests out of a log line by line
  and writes one line per day and endpoint instead ("2026-11-29 POST /o/… 200 ×7"), so that
  neither an address, a moment, nor the position of the request among other lines remains.
"""

import logging
import re
import secrets
import threading
from collections import Counter
from datetime import date

from django.db import models

RANDOM_ID_MAX = 2**53 - 1  # stays exact in JSON and JavaScript


def random_id() -> int:
    return secrets.randbelow(RANDOM_ID_MAX) + 1


class RandomIdField(models.BigIntegerField):
    """A random 53-bit primary key. On SQLite the column is declared INTEGER so it *is* the rowid
    (a BIGINT key would leave a hidden rowid numbering rows in insertion order)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", random_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def db_type(self, connection):
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


# label shown in the daily line → the paths it stands for
_ENDPOINTS = [
    ("/v/…", re.compile(r"^/v/")),
    ("/o/…", re.compile(r"^/o/")),
    ("/s/…", re.compile(r"^/s/")),  # 双评议 service ratings: a 不满意 answers with another page and opens a case
    ("/problems/opinions/new/", re.compile(r"^/problems/opinions/new/")),
    ("/problems/peer-reviews/", re.compile(r"^/problems/peer-reviews/")),
    ("/public/item/…/opinion/", re.compile(r"^/public/item/[^/]+/opinion/")),
]


def anonymous_endpoint(path: str | None) -> str | None:
    """The endpoint label of `path` if requests to it are anonymous input, else None."""
    if not path:
        return None
    for label, pattern in _ENDPOINTS:
        if pattern.match(path):
            return label
    return None


class DailyTally:
    """Counts (day, method, endpoint, status) in memory; hands out finished days as log lines."""

    def __init__(self) -> None:
        self._counts: Counter = Counter()
        self._lock = threading.Lock()

    def add(self, day: date, method: str, label: str, status: str) -> None:
        with self._lock:
            self._counts[(day.isoformat(), method, label, status)] += 1

    def take(self, before: date | None = None) -> list[str]:
        """Lines for the days before `before` (every day when None), removed from the tally."""
        with self._lock:
            keys = sorted(k for k in self._counts if before is None or k[0] < before.isoformat())
            lines = [f"{d} {m} {label} {s} ×{self._counts.pop((d, m, label, s))}" for d, m, label, s in keys]
        return lines


def _local_today() -> date:
    from django.conf import settings

    if settings.configured:
        from django.utils import timezone

        return timezone.localdate()
    return date.today()


class AnonymousRequestFilter(logging.Filter):
    """Drops log records about requests to anonymous endpoints and counts them per day instead.

    Understands gunicorn's access records (args: a dict of atoms) and Django's request records
    (`record.request`). Other records pass; before the first one of a new day, the finished days'
    counts are written through the same logger as plain lines (no address, no time of day).
    """

    def __init__(self, name: str = "", tally: DailyTally | None = None, today=_local_today) -> None:
        super().__init__(name)
        self.tally = tally or DailyTally()
        self.today = today

    def _request_of(self, record: logging.LogRecord) -> tuple[str | None, str, str]:
        args = record.args
        if isinstance(args, dict) and "U" in args:  # gunicorn access log
            return args.get("U"), str(args.get("m", "")), str(args.get("s", ""))
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            return request.path, request.method or "", str(getattr(record, "status_code", "") or "")
        return None, "", ""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_anonymous_tally", False):
            return True
        path, method, status = self._request_of(record)
        label = anonymous_endpoint(path)
        today = self.today()
        if label is not None:
            if record.levelno >= logging.ERROR:
                status = f"{status or 'error'} {record.exc_info[0].__name__ if record.exc_info else ''}".strip()
            self.tally.add(today, method, label, status)
            return False
        self.flush(logging.getLogger(record.name), before=today)
        return True

    def flush(self, logger: logging.Logger, before: date | None = None) -> None:
        level = max(logging.INFO, logger.getEffectiveLevel())
        for line in self.tally.take(before):
            logger.log(level, line, extra={"_anonymous_tally": True})
