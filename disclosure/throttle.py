"""Per-address limits of the public forms: the project's one mechanism (core.ratelimit), one table."""

from core import ratelimit

LIMITS = {
    # kind: (requests allowed, window in seconds)
    "opinion": (5, 60 * 60),
    "follow": (10, 60 * 60),
    "service_rating": (10, 60 * 60),  # servicerating: ratings sent from one address
    "service_receipt": (30, 60 * 60),  # servicerating: receipt look-ups
}


def allow(request, kind: str) -> bool:
    """Count one attempt of `kind` from this address; False once the window's allowance is used up."""
    limit, window = LIMITS[kind]
    return ratelimit.hit(f"disclosure:{kind}", ratelimit.client_ip(request), limit=limit, window=window).allowed
