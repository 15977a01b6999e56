"""Public ballot pages (/v/…): no login, phone first, Chinese.

How the code travels (what the anonymity promise relies on):
- QR codes and links carry the code in the URL fragment (/v/#CODE). Browsers never send the
  fragment to the server, so the only address the server, a proxy or the access log sees is /v/.
  static/evaluations/ballot.js reads the fragment, wipes it from the address bar and history
  (history.replaceState) and POSTs the code; without JavaScript the voter types it into the form.
- The code is only ever in POST bodies (never logged). gunicorn.conf.py's access-log filter also
  writes every /v/… path as "/v/…" (belt and braces; we never put codes in paths or query strings).
- After submission the voter is redirected (303) to /v/thanks, which knows nothing of the code.
- Nothing here logs, audits or caches a code or a ballot. Throttling (core.ratelimit) counts code
  checks per keyed hash of the address and site-wide, gives the count back for codes that exist, and
  over the limit asks for the human check instead of refusing: a valid code always gets through.
- The ballot page has the same size whatever the voter's group (`_pad_to_round`): its length would
  otherwise tell an observer of the (encrypted) traffic which group the voter belongs to.
Responses carry Cache-Control: no-store and Referrer-Policy: no-referrer.

CSRF: the public POST views are exempt. base_public.html's no-referrer policy makes browsers send
`Origin: null`, which Django's CSRF check refuses; and there is nothing to forge here: no login or
session is involved, a ballot needs its secret one-time code, ratings are anonymous, rate limited and
behind a human check.
"""

import hashlib
import hmac
import time
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import humancheck, ratelimit
from core.exceptions import ServiceError
from orgs.models import Unit

from .forms import PublicRatingForm
from .services import (
    CodeRefused,
    ballot_cast,
    ballot_questions,
    campaign_for_rating,
    code_hash,
    code_normalize,
    public_rating_submit,
    token_for_code,
)
from .services.voting import Found, round_shape

RATING_LIMIT = 5  # public ratings per address per hour
ADMISSION_SALT = "evaluations.ballot-admission"
ADMISSION_MAX_AGE = 6 * 3600  # seconds a ballot page's note is honoured


def _ip(request) -> str:
    return ratelimit.client_ip(request)


def _count_attempt(request) -> bool:
    """Count one code check against this address's allowance and the site-wide guard (both counted before
    the look-up, so a burst cannot pass together); False once either is used up. Codes are 79-bit random
    secrets, so the allowance is generous (a voting hall behind one address) and is given back for every
    code that turns out to exist: only wrong codes use it up."""
    limits = {_ip(request): settings.BALLOT_CODE_FAILS_PER_ADDRESS, "*": settings.BALLOT_CODE_FAILS_GLOBAL}
    counted = ratelimit.hit_many("ballot-code", limits, window=settings.BALLOT_CODE_WINDOW)
    return all(r.allowed for r in counted.values())


def _give_back(request) -> None:
    ratelimit.give_back_many("ballot-code", [_ip(request), "*"], window=settings.BALLOT_CODE_WINDOW)


def _admit(request) -> bool:
    """May this request's code be looked up? Within the limits, yes. Over them, only with the right answer
    to the human check that the 429 page asks: a voter with a valid code is never turned away, a script
    guessing codes has to answer a new question for each guess."""
    if _count_attempt(request):
        return True
    return humancheck.verify(request.POST.get("hc_token"), request.POST.get("hc_answer")) == "ok"


def _private(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# The code form is also the answer to a POST (a refused code, the human check): its language switch then
# comes back to the form's own address, which a GET opens.
_START_CONTEXT = {"language_next": reverse_lazy("evaluations_public:start")}


def _start(request, error: str = "", status: int = 200):
    context = {**_START_CONTEXT, "error": error}
    return _private(render(request, "evaluations/public/start.html", context, status=status))


def _too_many(request):
    """429 with the human check: answering it lets the code through."""
    question, token = humancheck.challenge()
    context = {
        **_START_CONTEXT,
        "error": _("Many wrong codes were entered from this network. Answer the check question to go on."),
        "code": _code_display(request.POST.get("code", "")) if request.POST.get("code") else "",
        "hc_question": question,
        "hc_token": token,
    }
    return _private(render(request, "evaluations/public/start.html", context, status=429))


def ballot_start(request):
    """GET /v/: the code form (the script posts a code found in the fragment)."""
    return _start(request)


def _pad_to_round(response, evaluation, group):
    """Pad the page with trailing spaces to the length it has for the round's longest group name (the
    only thing on the page that depends on the group)."""

    def size(name):
        return len(escape(name).encode())

    longest = max(size(name) for name in round_shape(evaluation).group_names)
    response.content = response.content + b" " * (longest - size(group.name))
    return response


# The fresh ballot page of an open round (no error, nothing chosen yet), rendered once per process, group and
# language, keyed like services.voting.round_shape (a reopened round has a new key fingerprint; the setup
# services change a round only while it is a draft). What differs from voter to voter (the code, the note
# that it was found) is rendered as a marker and put in per request:
# each has the same length for every voter. Rendering the page took more CPU than the rest of opening a ballot.
_pages: dict[tuple, str] = {}
_PAGES_KEPT = 200
_MARKS = {"code": "\x00code\x00", "admission": "\x00admission\x00"}


def _fresh_page(request, token, code: str) -> HttpResponse:
    ev, group = token.evaluation, token.group
    key = (ev.pk, ev.key_fingerprint, group.pk, translation.get_language(), request.get_full_path())
    html = _pages.get(key)
    if html is None:
        context = {"ev": ev, "group": group, **_questions_context(ev, {}, {}), **_MARKS, "messages": ()}
        html = render_to_string("evaluations/public/ballot.html", context, request=request)
        if len(_pages) >= _PAGES_KEPT:
            _pages.clear()
        _pages[key] = html
    for name, value in (("code", code), ("admission", _admission(code, token))):
        html = html.replace(_MARKS[name], escape(value))
    return HttpResponse(html)


def ballot_grids(ev, chosen: dict) -> list[dict]:
    """The ballot as grids (rows: questions, columns: the grades; one tap per row), each with a “same
    for all” row: when every target is rated on one item, one grid of the targets; otherwise one grid
    per target with its items (a team part and an individual part are then separate grids)."""
    questions = ballot_questions(ev)

    def row(t, i, label, sub=""):
        return {"label": label, "sub": sub, "name": f"a-{t.pk}-{i.pk}", "chosen": chosen.get((t.pk, i.pk))}

    if (
        questions
        and all(len(items) == 1 for _t, items in questions)
        and len({items[0].pk for _t, items in questions}) == 1
    ):
        item = questions[0][1][0]
        return [
            {
                "title": item.text,
                "sub": "",
                "rows": [
                    row(t, items[0], str(t), t.get_kind_display() + (f" · {t.unit}" if t.person_id else ""))
                    for t, items in questions
                ],
            }
        ]
    return [
        {
            "title": str(t),
            "sub": t.get_kind_display() + (f" · {t.unit}" if t.person_id else ""),
            "rows": [row(t, i, i.text) for i in items],
        }
        for t, items in questions
        if items
    ]


def ballot_text_boxes(ev, texts: dict) -> list[dict]:
    """The free-text boxes the round asks for, per target (optional)."""
    from .models import FreeText

    fields = ev.free_text_fields()
    if not fields:
        return []
    labels = dict(FreeText.Field.choices)
    return [
        {
            "target": t,
            "boxes": [{"name": f"t-{t.pk}-{f}", "label": labels[f], "value": texts.get((t.pk, f), "")} for f in fields],
        }
        for t, _items in ballot_questions(ev)
    ]


def _questions_context(ev, chosen: dict, texts: dict) -> dict:
    from .models import FreeText

    return {
        "grids": ballot_grids(ev, chosen),
        "grades": round_shape(ev).grades,
        "text_targets": ballot_text_boxes(ev, texts),
        "text_max": FreeText.MAX_LENGTH,
    }


def _ballot_page(request, token, code: str, error: str = "", chosen=None, texts=None, status: int = 200):
    ev = token.evaluation
    if not chosen and not texts and not error and status == 200 and ev.status == ev.Status.OPEN and ev.key_fingerprint:
        return _private(_pad_to_round(_fresh_page(request, token, code), ev, token.group))
    page = render(
        request,
        "evaluations/public/ballot.html",
        {
            "ev": ev,
            "group": token.group,
            "code": code,
            **_questions_context(ev, chosen or {}, texts or {}),
            "error": error,
            "admission": _admission(code, token),
        },
        status=status,
    )
    return _private(_pad_to_round(page, ev, token.group))


def _admission(code: str, token) -> str:
    """A signed note on the ballot page that this code was found, with its round, group and the round's key
    fingerprint: sending the ballot is then never held up by the throttle of a busy voting hall, and needs no
    second look-up of the code (`ballot_cast(found=…)`). Fixed length (numbers zero-padded): it only repeats
    what the voter knows (their group is named on the page)."""
    ev = token.evaluation
    facts = f"{code_hash(code)[:32]}|{ev.pk:012d}|{token.group_id:012d}|{ev.key_fingerprint:<20}"
    return note_sign(facts)


@lru_cache(maxsize=4)
def _note_key(secret: str) -> bytes:
    return hashlib.sha256(f"{ADMISSION_SALT}\0{secret}".encode()).digest()


def note_sign(facts: str, now: float | None = None) -> str:
    """`facts|time|HMAC-SHA256` under a key derived once per process from SECRET_KEY (django.core.signing
    derives its key, encodes JSON and base64 on every call: a third of the CPU of sending a ballot's
    note and reading it back)."""
    body = f"{facts}|{int(now if now is not None else time.time()):012d}"
    return f"{body}|{hmac.new(_note_key(settings.SECRET_KEY), body.encode(), hashlib.sha256).hexdigest()}"


def note_facts(note: str) -> str | None:
    """The facts of a note signed here within ADMISSION_MAX_AGE, or None."""
    body, _sep, mac = note.rpartition("|")
    facts, _sep, stamp = body.rpartition("|")
    expected = hmac.new(_note_key(settings.SECRET_KEY), body.encode(), hashlib.sha256).hexdigest()
    if not facts or not hmac.compare_digest(mac.encode(), expected.encode()) or not stamp.isdigit():
        return None
    return facts if 0 <= time.time() - int(stamp) <= ADMISSION_MAX_AGE else None


def _admitted(request) -> Found | None:
    """What the ballot page's note says of the posted code (None: no valid note for this code)."""
    code = request.POST.get("code", "")
    try:
        hashed, evaluation_id, group_id, fingerprint = (note_facts(request.POST.get("admission", "")) or "").split("|")
        found = Found(int(evaluation_id), int(group_id), fingerprint.rstrip())
    except ValueError:
        return None
    return found if code and hashed == code_hash(code)[:32] else None


@csrf_exempt
@require_POST
def ballot_open(request):
    """POST /v/ballot: check the code, show the ballot. The ballot page's language switch posts the ballot
    here too, with the language and what is chosen so far: the page comes back in that language with the
    choices kept (its note admits the code without counting it against the network's limit)."""
    switched = _switch_language(request)
    counted = not (switched and _admitted(request))
    if counted and not _admit(request):
        return _too_many(request)
    code = request.POST.get("code", "")
    try:
        token = token_for_code(code)
    except CodeRefused as e:
        if e.reason != "unknown" and counted:
            _give_back(request)
        response = _start(request, e.message, status=400 if e.reason == "unknown" else 409)
    else:
        if counted:
            _give_back(request)
        answers, texts = _posted_choices(request) if switched else ({}, {})
        response = _ballot_page(request, token, _code_display(code), chosen=answers, texts=texts)
    return _remember_language(response, switched)


def _switch_language(request) -> str:
    """The language the ballot page's switch asked for ('' when none or not one of the site's)."""
    wanted = request.POST.get("language", "")
    if wanted not in dict(settings.LANGUAGES):
        return ""
    translation.activate(wanted)
    request.LANGUAGE_CODE = wanted
    return wanted


def _remember_language(response, language: str):
    """Keep the switched language for the next pages, as Django's set_language does."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def _posted_choices(request) -> tuple[dict, dict]:
    """The grades (target, item) → grade and the free texts (target, field) → text of a posted ballot."""
    answers, texts = {}, {}
    for key, value in request.POST.items():
        if key.startswith("a-"):
            try:
                _a, t, i = key.split("-")
                answers[(int(t), int(i))] = int(value)
            except ValueError:
                continue
        elif key.startswith("t-") and value.strip():
            try:
                _t, t, field = key.split("-")
                texts[(int(t), field)] = value
            except ValueError:
                continue
    return answers, texts


def _code_display(code: str) -> str:
    """The code in one spelling (its length then never depends on how the voter typed it)."""
    raw = code_normalize(code)
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@csrf_exempt
@require_POST
def ballot_submit(request):
    """POST /v/submit: spend the code and store the ballot (one transaction); then /v/thanks."""
    found = _admitted(request)  # a ballot page's own note: the code was found already
    counted = found is None
    if counted and not _admit(request):
        return _too_many(request)
    code = request.POST.get("code", "")
    answers, texts = _posted_choices(request)
    try:
        ballot_cast(code=code, answers=answers, texts=texts, found=found)
    except CodeRefused as e:
        if e.reason != "unknown":
            if counted:
                _give_back(request)
        return _start(request, e.message, status=409)
    except ServiceError as e:
        if counted:
            _give_back(request)
        try:
            token = token_for_code(code)
        except CodeRefused as refused:
            return _start(request, refused.message, status=409)
        error = " ".join([e.message, *e.details])
        return _ballot_page(request, token, _code_display(code), error=error, chosen=answers, texts=texts, status=400)
    if counted:
        _give_back(request)
    return redirect("evaluations_public:thanks", permanent=False)


def ballot_thanks(request):
    return _private(render(request, "evaluations/public/thanks.html"))


@csrf_exempt
def rate(request, public_code):
    """Open public rating of a unit: anyone, rate limited per address, with a human check."""
    unit = get_object_or_404(Unit, public_code=public_code, active=True)
    campaign = campaign_for_rating(unit)
    error, status = "", 200
    form = PublicRatingForm(request.POST or None)
    if request.method == "POST":
        if not ratelimit.peek("ev-rating", _ip(request), limit=RATING_LIMIT, window=3600).allowed:
            status = 429
            error = _("Too many ratings from this network in the last hour. Please try again later.")
        elif form.is_valid():
            if humancheck.verify(form.cleaned_data["challenge"], form.cleaned_data["answer"]) != "ok":
                error = _("The answer to the check question is wrong. Please try again.")
            elif not ratelimit.hit("ev-rating", _ip(request), limit=RATING_LIMIT, window=3600).allowed:
                status = 429
                error = _("Too many ratings from this network in the last hour. Please try again later.")
            else:
                try:
                    public_rating_submit(
                        unit=unit, grade=form.cleaned_data["grade"], comment=form.cleaned_data["comment"]
                    )
                except ServiceError as e:
                    ratelimit.give_back("ev-rating", _ip(request), window=3600)
                    error = e.message
                else:
                    return _private(render(request, "evaluations/public/rated.html", {"unit": unit}))
        else:
            error = _("Choose a rating and answer the check question.")
    question, signed = humancheck.challenge()
    return _private(
        render(
            request,
            "evaluations/public/rate.html",
            {
                "unit": unit,
                "campaign": campaign,
                "grades": PublicRatingForm.base_fields["grade"].choices,
                "question": question,
                "signed": signed,
                "error": error,
            },
            status=status,
        )
    )
