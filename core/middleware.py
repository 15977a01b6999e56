"""Request-wide policies: Chinese unless the user chose otherwise, login required by default,
idle and absolute session limits, forced password change."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from .unlinkable import anonymous_endpoint

# Paths open without a login: the public portal, opinion form, ballot pages, service rating, static files,
# and the signed POSTs of audit anchors that institutions' instances send to the city office's.
PUBLIC_PREFIXES = ("/public/", "/o/", "/v/", "/s/", "/anchors/", "/static/", "/accounts/login/", "/i18n/", "/healthz")


def is_public_path(path: str) -> bool:
    return path == "/favicon.ico" or path.startswith(PUBLIC_PREFIXES)


class DefaultChineseLocaleMiddleware:
    """Chinese by default; English only when the user picks it (cookie). The browser's
    Accept-Language is ignored on purpose: an office PC in English must still show Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in dict(settings.LANGUAGES):
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class SessionTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_SECONDS without a request or SESSION_ABSOLUTE_SECONDS in all.

    The time of the last request is written at most once every SESSION_TOUCH_SECONDS: writing it on
    every request made every page an UPDATE of the session row (a write, on SQLite a lock of the whole
    database). The idle limit is then counted from a moment at most that much earlier than the last
    request: a session may end up to a minute before the 30 idle minutes, never later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = int(time.time())
        if request.user.is_authenticated:
            started = request.session.setdefault("_started", now)
            last = request.session.get("_last", now)
            if now - last > settings.SESSION_IDLE_SECONDS or now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{reverse('login')}?next={request.path}&expired=1")
            # An anonymous submission must not write the author's session row in the same moment
            # (the database and its write-ahead log would pair the two).
            stale = "_last" not in request.session or now - last >= settings.SESSION_TOUCH_SECONDS
            if stale and anonymous_endpoint(request.path) is None:
                request.session["_last"] = now
        response = self.get_response(request)
        # A log-in happened during this request: the 12 hours count from now.
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            if "_started" not in request.session:
                request.session["_started"] = now
                request.session["_last"] = now
        return response


class LoginRequiredByDefaultMiddleware:
    """Every page needs a login except the public prefixes above."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not is_public_path(request.path):
            return redirect(f"{reverse('login')}?next={request.path}")
        return self.get_response(request)


class ForcePasswordChangeMiddleware:
    """A user whose password was issued by the office must set their own before anything else."""

    ALLOWED = ("/accounts/", "/static/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.ALLOWED)
            and not is_public_path(request.path)
        ):
            return redirect("password_change")
        return self.get_response(request)
