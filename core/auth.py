"""Log-in throttling: exponential delays per account and per address, never a lock.

Three counters of password checks that did not succeed, each over `LOGIN_THROTTLE_WINDOW` (core.ratelimit):

  scope          free checks   then one check per …      what it stops
  account+address     5        2, 4, 8 … s, up to 15 min  guessing one person's password from one place
  account            20        2, 4, 8 … s, up to 2 min   the same from many places (a short cap: an
                                                          attacker elsewhere slows the owner, never locks)
  address            20        2, 4, 8 … s, up to 15 min  password spraying: many user names, one place

A check is counted before the password is looked at (so a burst of 64 at once gets the free checks and
one more, not 64), and given back when it is refused without looking or when the password was right. The
right password always works once the wait is over: nothing is locked, nobody is told whether a user name
exists (unknown names count like known ones).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import ratelimit

BASE_DELAY = 2  # seconds after the first check over the free ones; doubles each time


def _scopes(username: str, ip: str) -> list[tuple[str, str, int, int]]:
    name = (username or "").strip().lower()
    return [
        ("login-account-address", f"{name}\0{ip}", settings.LOGIN_FREE_PER_ACCOUNT_ADDRESS, 15 * 60),
        ("login-account", name, settings.LOGIN_FREE_PER_ACCOUNT, 2 * 60),
        ("login-address", ip, settings.LOGIN_FREE_PER_ADDRESS, 15 * 60),
    ]


def delay_for(count: int, free: int, cap: int) -> int:
    """The wait before the next check once `count` checks were counted and `free` of them were free."""
    return min(cap, BASE_DELAY * 2 ** max(0, min(count - free - 1, 20)))


def login_admit(username: str, ip: str) -> int:
    """Count one password check for this user name and address. 0: go ahead (then call `login_succeeded`
    or nothing); otherwise the seconds to wait, and nothing was counted."""
    window = settings.LOGIN_THROTTLE_WINDOW
    counted = []
    wait = 0
    for scope, who, free, cap in _scopes(username, ip):
        result = ratelimit.hit(scope, who, limit=free, window=window)
        counted.append((scope, who))
        if not result.allowed:
            wait = max(wait, ratelimit.gate(scope, who, seconds=delay_for(result.count, free, cap)))
    if wait:
        for scope, who in counted:
            ratelimit.give_back(scope, who, window=window)
    return wait


def login_succeeded(username: str, ip: str) -> None:
    """The right password: the account's counters start again; the address keeps the others' failures."""
    window = settings.LOGIN_THROTTLE_WINDOW
    for scope, who, _free, _cap in _scopes(username, ip):
        if scope == "login-address":
            ratelimit.give_back(scope, who, window=window)
        else:
            ratelimit.clear(scope, who, window=window)
            ratelimit.open_gate(scope, who)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's log-in form with the throttle in front of the password check."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed log-ins. Wait %(seconds)s and try again."),
    }
    throttled_for = 0

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password or not settings.LOGIN_THROTTLE_ENABLED:
            return super().clean()
        ip = ratelimit.client_ip(self.request) if self.request is not None else "unknown"
        wait = login_admit(username, ip)
        if wait:
            self.throttled_for = wait
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"seconds": ngettext("%(n)d second", "%(n)d seconds", wait) % {"n": wait}},
            )
        data = super().clean()  # raises on a wrong password: the check stays counted
        login_succeeded(username, ip)
        return data
