"""One-time form tokens: a form sent twice (a double click, a reload of the POST, two tabs) stores one record.

A form that creates something carries `OneTimeTokenMixin`'s hidden field. The view wraps its service call:

    with formtoken.once(form) as sent:
        if sent.before:                       # this very form was stored already
            return redirect(sent.before)      # … to what the first submission made
        problem = services.problem_create(...)
        sent.result(reverse("problems:detail", args=[problem.pk]))

The token is claimed atomically (core.ratelimit.once) before the service runs; an error inside the block
gives it back, so the form can be corrected and sent again; a success remembers where it led for a day.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager

from django import forms
from django.utils.translation import gettext_lazy as _

from . import ratelimit
from .exceptions import ServiceError

FIELD = "form_token"
KEEP = 24 * 60 * 60


def new_token() -> str:
    return secrets.token_urlsafe(18)


class OneTimeTokenMixin(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, initial=new_token, max_length=64)


class DuplicateSubmission(ServiceError):
    """The same form is being stored by another request right now."""


class _Sent:
    def __init__(self, token: str, before: str | None):
        self.token = token
        self.before = before

    def result(self, url: str) -> None:
        if self.token:
            ratelimit.store().set(_result_key(self.token), url, KEEP)


def _result_key(token: str) -> str:
    return "formtoken:" + ratelimit._key("form-result", token)


@contextmanager
def once(form: forms.Form):
    token = (form.cleaned_data.get(FIELD) or "").strip() if hasattr(form, "cleaned_data") else ""
    if not token:  # an old page without the field: nothing to deduplicate by
        yield _Sent("", None)
        return
    if not ratelimit.once("form", token, seconds=KEEP):
        before = ratelimit.store().get(_result_key(token))
        if before is None:
            raise DuplicateSubmission(_("This form is being saved already; wait a moment and reload the page."))
        yield _Sent("", before)
        return
    try:
        yield _Sent(token, None)
    except BaseException:
        ratelimit.forget_once("form", token)  # nothing was stored: the corrected form may be sent again
        raise
