"""The public portal at /public/ (no login). Every page is built from `disclosure.public` data."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ServiceError
from problems.selectors import handled_by_label

from . import selectors, services, throttle
from .forms import FollowForm, OpinionForm
from .public import index_items


def index(request):
    return render(request, "disclosure/public/index.html", {"institutions": selectors.public_institutions()})


def overview(request):
    return render(request, "disclosure/public/overview.html", {"rows": selectors.city_overview()})


def _page_context(campaign, data, **extra):
    return {
        "campaign": campaign,
        "institution": campaign.institution,
        "data": data,
        "snapshots": selectors.snapshots_of(campaign),
        **extra,
    }


def _search(request, data: dict) -> dict:
    """Search and filter the published problems (text, unit, status) without touching `data`: the
    groups to show, the filter choices and how many problems match. Groups open only when filtered,
    so the page starts short (the summary first) on a phone."""
    from .public import STATUS_LABELS

    q = request.GET.get("q", "").strip()[:50]
    unit = request.GET.get("unit", "")
    status = request.GET.get("status", "")
    units, statuses, shown, matched = set(), set(), [], 0
    for group in data.get("groups", []):
        kept_units = []
        for u in group["units"]:
            units.add(u["unit"])
            problems = []
            for p in u["problems"]:
                statuses.add(p["status"])
                text = " ".join([p["description"], *(m["content"] for m in p.get("measures", []))])
                if (not q or q in text) and (not unit or u["unit"] == unit) and (not status or p["status"] == status):
                    problems.append(p)
            if problems:
                kept_units.append({**u, "problems": problems})
                matched += len(problems)
        if kept_units:
            shown.append({**group, "units": kept_units, "count": sum(len(u["problems"]) for u in kept_units)})
    return {
        "shown_groups": shown,
        "matched": matched,
        "filtering": bool(q or unit or status),
        "filter": {"q": q, "unit": unit, "status": status},
        "unit_choices": sorted(units),
        "status_choices": [(c, STATUS_LABELS.get(c, c)) for c in STATUS_LABELS if c in statuses],
    }


def institution(request, public_code):
    campaign = selectors.get_public_campaign(public_code)
    data = selectors.public_data_now(campaign)
    ctx = _page_context(campaign, data, timeline=selectors.timeline(campaign), mode="live", **_search(request, data))
    return render(request, "disclosure/public/institution.html", ctx)


def commitments(request, public_code):
    """示诺: the approved public commitments of the campaign's cadres and units, with their items."""
    campaign = selectors.get_public_commitments_campaign(public_code)
    progress_shown = selectors.public_campaigns().filter(pk=campaign.pk).exists()
    return render(
        request,
        "disclosure/public/commitments.html",
        {"campaign": campaign, "rows": selectors.public_commitments(campaign), "progress_shown": progress_shown},
    )


def institution_json(request, public_code):
    campaign = selectors.get_public_campaign(public_code)
    return JsonResponse(selectors.public_data_now(campaign), json_dumps_params={"ensure_ascii": False})


def snapshot(request, public_code, code):
    campaign = selectors.get_public_campaign(public_code)
    snap = selectors.get_public_snapshot(campaign, code)
    ctx = _page_context(campaign, snap.data, snapshot=snap, mode="snapshot", **_search(request, snap.data))
    return render(request, "disclosure/public/institution.html", ctx)


def snapshot_json(request, public_code, code):
    campaign = selectors.get_public_campaign(public_code)
    snap = selectors.get_public_snapshot(campaign, code)
    return JsonResponse(snap.data, json_dumps_params={"ensure_ascii": False})


def compare(request, public_code, code):
    """A snapshot next to what is public now: item by item, what was promised then and where it stands."""
    campaign = selectors.get_public_campaign(public_code)
    snap = selectors.get_public_snapshot(campaign, code)
    now = selectors.public_data_now(campaign)
    then_items, now_items = index_items(snap.data), index_items(now)
    rows = []
    for code_, then in then_items.items():
        rows.append({"code": code_, "then": then, "now": now_items.get(code_), "title": then["title"]})
    for code_, item in now_items.items():
        if code_ not in then_items:
            rows.append({"code": code_, "then": None, "now": item, "title": item["title"]})
    for row in rows:
        then, current = row["then"], row["now"]
        row["changed"] = (
            then is None
            or current is None
            or any(then.get(k) != current.get(k) for k in ("status", "progress", "deadline"))
        )
    ctx = {
        "campaign": campaign,
        "institution": campaign.institution,
        "snapshot": snap,
        "then": snap.data["summary"],
        "now": now["summary"],
        "rows": rows,
    }
    return render(request, "disclosure/public/compare.html", ctx)


def _item_context(pub, **extra):
    return {
        "publication": pub,
        "campaign": pub.campaign,
        "institution": pub.campaign.institution,
        "item": selectors.public_item(pub),
        "events": selectors.item_timeline(pub),
        "opinion_form": OpinionForm(),
        "follow_form": FollowForm(),
        **extra,
    }


def item(request, code):
    pub = selectors.get_public_publication(code)
    return render(request, "disclosure/public/item.html", _item_context(pub))


@require_POST
def item_opinion(request, code):
    pub = selectors.get_public_publication(code)
    form = OpinionForm(request.POST)
    if not throttle.allow(request, "opinion"):
        form.add_error(None, _("Too many opinions from your address; please try again later."))
        return render(request, "disclosure/public/item.html", _item_context(pub, opinion_form=form), status=429)
    if not form.is_valid():
        return render(request, "disclosure/public/item.html", _item_context(pub, opinion_form=form), status=400)
    try:
        opinion = services.supervision_opinion_submit(
            publication=pub, content=form.cleaned_data["content"], contact=form.cleaned_data["contact"]
        )
    except ServiceError as e:
        form.add_error(None, e.message)
        return render(request, "disclosure/public/item.html", _item_context(pub, opinion_form=form), status=400)
    try:
        lookup_url = reverse("problems_public:receipt")
    except NoReverseMatch:
        lookup_url = ""
    ctx = {
        "publication": pub,
        "institution": pub.campaign.institution,
        "opinion": opinion,
        "lookup_url": lookup_url,
        "handled_by": handled_by_label(opinion.recusal_route, opinion.unit),
    }
    return render(request, "disclosure/public/opinion_receipt.html", ctx)


@require_POST
def item_follow(request, code):
    pub = selectors.get_public_publication(code)
    form = FollowForm(request.POST)
    if not throttle.allow(request, "follow"):
        form.add_error(None, _("Too many requests from your address; please try again later."))
        return render(request, "disclosure/public/item.html", _item_context(pub, follow_form=form), status=429)
    if not form.is_valid():
        return render(request, "disclosure/public/item.html", _item_context(pub, follow_form=form), status=400)
    follow = services.follow_create(publication=pub, email=form.cleaned_data["email"])
    messages.success(request, _("You now follow this item. Keep your follow code."))
    return redirect("disclosure_public:follow", follow.code)


def follow(request, code):
    """The follower's own page: the item's status now, and since when they follow it."""
    f = selectors.get_follow(code)
    pub = f.publication
    item = selectors.public_item(pub) if pub.status == pub.Status.PUBLISHED else None
    ctx = {"follow": f, "publication": pub, "item": item, "institution": pub.campaign.institution}
    return render(request, "disclosure/public/follow.html", ctx)


@require_POST
def follow_stop(request, code):
    f = selectors.get_follow(code)
    try:
        services.follow_stop(follow=f)
        messages.success(request, _("You no longer follow this item."))
    except ServiceError as e:
        messages.error(request, e.message)
    return redirect("disclosure_public:follow", f.code)
