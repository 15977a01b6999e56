"""Public pages (/s/…): rate a unit's service from its QR code, and follow a 不满意 case by receipt code.

No login. Nothing here stores or logs an address, a time of day, a session or a cookie with a rating;
the receipt code is shown once and stored only as a hash. Rate limits count in the cache (see
`_over_limit`, the one place that asks the project's throttle).
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from core.exceptions import ServiceError
from disclosure import throttle

from . import selectors, services
from .forms import PublicRatingForm, ReceiptForm
from .models import Grade


def _over_limit(request, kind: str) -> bool:
    """True once this address has used up its allowance of `kind` ("service_rating", "service_receipt")."""
    return not throttle.allow(request, kind)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _legend(config) -> list[tuple[str, str]]:
    """The office's mapping in runs: [("4–5", "满意"), ("3", "基本满意"), ("1–2", "不满意")]."""
    runs: list[list] = []
    for s in range(5, 0, -1):
        grade = config.grade_for_stars(s)
        if runs and runs[-1][2] == grade:
            runs[-1][0] = s
        else:
            runs.append([s, s, grade])
    return [(f"{lo}–{hi}" if lo != hi else f"{hi}", Grade(g).label) for lo, hi, g in runs]


def _stars_hint(config) -> list[int]:
    """Which numbers of stars need a reason (those that map to 不满意), for the page's hint."""
    return [s for s in range(1, 6) if config.grade_for_stars(s) == Grade.UNSATISFIED]


@never_cache
def rate(request, code: str):
    point = selectors.point_by_code(code)
    if point is None:
        return _private(render(request, "servicerating/public/closed.html", {"unknown": True}, status=404))
    if not point.enabled:
        return _private(render(request, "servicerating/public/closed.html", {"point": point}))
    config = selectors.config_for(point.unit.institution)
    form = PublicRatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _over_limit(request, "service_rating"):
            return _private(render(request, "servicerating/public/too_many.html", {"point": point}, status=429))
        if form.is_valid() and not form.cleaned_data["website"]:
            d = form.cleaned_data
            try:
                given = services.rating_submit(point=point, stars=d["stars"], reason=d["reason"], named=d["named"])
            except ServiceError as e:
                form.add_error(None, e.message)
                status = 400
            else:
                return _private(
                    render(
                        request,
                        "servicerating/public/thanks.html",
                        {"point": point, "receipt": given.receipt, "grade": given.rating.get_grade_display()},
                    )
                )
        else:
            status = 400
    return _private(
        render(
            request,
            "servicerating/public/rate.html",
            {
                "point": point,
                "unit": point.unit,
                "institution": point.unit.institution,
                "form": form,
                "reason_stars": _stars_hint(config),
                "star_grades": [(s, Grade(config.grade_for_stars(s)).label) for s in range(5, 0, -1)],
                "legend": _legend(config),
            },
            status=status,
        )
    )


@never_cache
def receipt(request):
    """Follow a 不满意 case with its receipt code: status, outcome, action and the handling office."""
    form = ReceiptForm(request.POST or None)
    ctx = {"form": form, "case": None, "searched": False, "pending": False}
    if request.method == "POST" and form.is_valid():
        if _over_limit(request, "service_receipt"):
            return _private(render(request, "servicerating/public/too_many.html", {}, status=429))
        code = form.cleaned_data["code"]
        ctx["searched"] = True
        ctx["case"] = selectors.case_by_receipt(code)
        ctx["pending"] = ctx["case"] is None and selectors.case_pending_by_receipt(code)
    return _private(render(request, "servicerating/public/receipt.html", ctx))
