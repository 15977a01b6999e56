"""Per-address rate limits for the public forms (cache counters with a fixed window)."""

from django.core.cache import cache
from django.utils.crypto import salted_hmac

LIMITS = {
    # kind: (requests allowed, window in seconds)
    "opinion": (5, 60 * 60),
    "follow": (10, 60 * 60),
    "service_rating": (10, 60 * 60),  # servicerating: ratings sent from one address
    "service_receipt": (30, 60 * 60),  # servicerating: receipt look-ups
}


def client_address(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client and would let anyone reset their counter.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(request, kind: str) -> bool:
    """Count one attempt of `kind` from this address; False once the window's allowance is used up."""
    limit, window = LIMITS[kind]
    # A keyed hash, never the address itself: the counters sit in a cache on disk or in Redis, where an
    # operator could otherwise read who sent supervision opinions or ratings (docs/anonymity.md).
    key = f"disclosure:rl:{kind}:{salted_hmac('disclosure.ratelimit', client_address(request)).hexdigest()[:24]}"
    if cache.add(key, 1, window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return True
    return count <= limit
