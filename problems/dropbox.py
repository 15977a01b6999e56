"""The drop box: anonymous input waits in memory and enters the database in shuffled batches.

Whatever a request writes to the database lands in its write-ahead log (SQLite's -wal file,
PostgreSQL's pg_wal) in commit order, next to the commits of the author's other requests (their
log-in, their session). So an anonymous opinion or peer review is not written by the request that
sends it: it goes into a Redis set (memory only, no order, nothing on disk) and the scheduler's
`flush` writes the pooled items together, in random order, in one transaction — once the day is
over, or earlier when at least `RECTIFY_DROPBOX_BATCH` items wait. A record holds the day, never a
time. Without Redis (RECTIFY_DROPBOX_URL empty or unreachable) input is written at once instead;
docs/anonymity.md says what that costs.
"""

import json
import logging

from django.conf import settings

log = logging.getLogger(__name__)


def _keys() -> tuple[str, str]:
    """The pool, and the items taken by a flush that has not committed yet."""
    key = getattr(settings, "RECTIFY_DROPBOX_KEY", "rectify:dropbox")
    return key, f"{key}:flushing"


def _client():
    url = getattr(settings, "RECTIFY_DROPBOX_URL", "")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def put(item: dict) -> bool:
    """Pool one item (JSON-able, with a unique "receipt" or "id"); False when there is no drop box."""
    client = _client()
    if client is None:
        return False
    try:
        client.sadd(_keys()[0], json.dumps(item, ensure_ascii=False, sort_keys=True))
    except Exception:  # Redis down: the caller writes at once (still anonymous, less unlinkable)
        log.warning("drop box unavailable; anonymous input written directly")
        return False
    return True


def waiting() -> list[dict]:
    """Items in the pool (for the receipt look-up: 'received, not filed yet')."""
    client = _client()
    if client is None:
        return []
    try:
        raw = [r for key in _keys() for r in client.smembers(key)]
    except Exception:
        return []
    return [json.loads(r) for r in raw]


def take() -> list[dict]:
    """Move the pool aside (atomically) and return everything not yet committed by a flush."""
    client = _client()
    if client is None:
        return []
    POOL, FLUSHING = _keys()
    if client.exists(POOL):
        pipe = client.pipeline(transaction=True)  # MULTI/EXEC: nothing put in between is lost
        pipe.sunionstore(FLUSHING, [FLUSHING, POOL])
        pipe.delete(POOL)
        pipe.execute()
    return [json.loads(r) for r in client.smembers(FLUSHING)]


def done() -> None:
    """The flush committed: forget what it took."""
    client = _client()
    if client is not None:
        client.delete(_keys()[1])
