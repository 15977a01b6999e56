"""Public pages without a login (/o/): the opinion form of a unit and the receipt-code look-up.

Limits: text length (form and service), a small sum as a human check (signed, single use), a hidden
field robots fill in, and a per-address rate limit kept in the cache under a keyed hash of the
address (the address itself is never stored). Everything shown again is escaped by the templates.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from campaigns.selectors import active_campaign_for
from core import ratelimit
from core.exceptions import ServiceError
from orgs.models import Unit

from . import selectors, services
from .forms import PublicOpinionForm, ReceiptForm, captcha_new
from .models import Opinion

SUBMIT_LIMIT = 5  # opinions per address per window
ATTEMPT_LIMIT = 20  # form posts per address per window (wrong answers included)
LOOKUP_LIMIT = 30  # receipt look-ups per address per window
WINDOW_SECONDS = 3600


def _hit(request, what: str, limit: int) -> bool:
    """Count one more hit; True when the address is over its limit for this window."""
    return not ratelimit.hit(
        f"problems:{what}", ratelimit.client_ip(request), limit=limit, window=WINDOW_SECONDS
    ).allowed


def _over(request, what: str, limit: int) -> bool:
    """True when the address has used up its allowance of `what` (nothing is counted)."""
    return not ratelimit.peek(
        f"problems:{what}", ratelimit.client_ip(request), limit=limit, window=WINDOW_SECONDS
    ).allowed


def _too_many(request, unit=None):
    return render(
        request,
        "problems/public/too_many.html",
        {"unit": unit},
        status=429,
    )


@never_cache
def opinion_form(request, code: str):
    unit = Unit.objects.filter(public_code=code, active=True).first()
    if unit is None:
        raise Http404
    campaign = active_campaign_for(unit)
    if campaign is None:
        return render(request, "problems/public/closed.html", {"unit": unit})
    form = PublicOpinionForm(request.POST or None)
    if request.method == "POST":
        if _hit(request, "attempt", ATTEMPT_LIMIT) or _over(request, "submit", SUBMIT_LIMIT):
            return _too_many(request, unit)
        if form.is_valid():
            d = form.cleaned_data
            if _hit(request, "submit", SUBMIT_LIMIT):  # taken before storing: a burst cannot pass together
                return _too_many(request, unit)
            try:
                opinion = services.opinion_submit(
                    campaign=campaign,
                    unit=unit,
                    content=d["content"],
                    source=Opinion.Source.PUBLIC_FORM,
                    submitter_kind=d["submitter_kind"],
                    contact=d["contact"],
                )
            except ServiceError as exc:
                ratelimit.give_back("problems:submit", ratelimit.client_ip(request), window=WINDOW_SECONDS)
                form.add_error(None, exc.message)
            else:
                ctx = {
                    "opinion": opinion,
                    "unit": unit,
                    "handled_by": selectors.handled_by_label(opinion.recusal_route, unit),
                }
                return render(request, "problems/public/receipt_issued.html", ctx)
    question, token = captcha_new()
    data = form.data.copy() if form.is_bound else None
    if data is not None:
        data["token"], data["answer"] = token, ""
        form.data = data
    else:
        form.initial["token"] = token
    return render(
        request,
        "problems/public/form.html",
        {"form": form, "unit": unit, "campaign": campaign, "question": question},
        status=400 if form.is_bound else 200,
    )


@never_cache
def receipt(request):
    """Anyone with a receipt code sees what became of the opinion (status, reply, problems' status)."""
    form = ReceiptForm(request.POST or None)
    opinion = None
    searched = waiting = False
    if request.method == "POST":
        if _hit(request, "lookup", LOOKUP_LIMIT):
            return _too_many(request)
        if form.is_valid():
            searched = True
            opinion = selectors.opinion_by_receipt(form.cleaned_data["code"])
            waiting = opinion is None and selectors.opinion_waiting(form.cleaned_data["code"])
    followed = opinion
    if opinion is not None and opinion.status == Opinion.Status.MERGED and opinion.duplicate_of_id:
        followed = opinion.duplicate_of
    problems = list(followed.problems.select_related("unit")) if followed else []
    return render(
        request,
        "problems/public/receipt.html",
        {
            "form": form,
            "opinion": opinion,
            "followed": followed,
            "problems": problems,
            "searched": searched,
            "waiting": waiting,
            "handled_by": selectors.handled_by_label(followed.recusal_route, followed.unit) if followed else "",
        },
    )
