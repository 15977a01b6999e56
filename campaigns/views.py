"""Campaign pages: list, create/edit, the per-unit stage table with blockers, advancing a unit."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ServiceError
from orgs.access import Perm, can, has_any

from . import selectors, services
from .forms import CampaignForm
from .models import CampaignUnit, Stage


def _show_error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)
    for detail in exc.details:
        messages.warning(request, detail)


def index(request):
    if not has_any(request.user, Perm.CAMPAIGN_VIEW):
        raise PermissionDenied
    campaigns = list(selectors.campaigns_visible_to(request.user).order_by("-start_date", "-pk"))
    counts: dict[int, dict] = {}
    for cid, stage, n in (
        CampaignUnit.objects.filter(campaign__in=[c.pk for c in campaigns])
        .values_list("campaign_id", "stage")
        .annotate(n=Count("pk"))
    ):
        counts.setdefault(cid, {})[stage] = n
    rows = [{"campaign": c, "stages": [(s.label, counts.get(c.pk, {}).get(s, 0)) for s in Stage]} for c in campaigns]
    return render(
        request,
        "campaigns/index.html",
        {"rows": rows, "stages": list(Stage), "can_create": has_any(request.user, Perm.CAMPAIGN_MANAGE)},
    )


def create(request):
    if not has_any(request.user, Perm.CAMPAIGN_MANAGE):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        units, institution = data.pop("units"), data.pop("institution")
        if not can(request.user, Perm.CAMPAIGN_MANAGE, institution):
            raise PermissionDenied
        try:
            campaign = services.campaign_create(actor=request.user, institution=institution, units=units, **data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The campaign was created as a draft; start it when it is ready."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/form.html", {"form": form})


def edit(request, pk: int):
    campaign = selectors.get_campaign_for_user(request.user, pk, write=True)
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "units"}
        campaign.refresh_from_db()  # the form wrote into the instance; the service compares with the database
        try:
            services.campaign_update(actor=request.user, campaign=campaign, units=form.cleaned_data["units"], **data)
        except ServiceError as exc:
            _show_error(request, exc)
        else:
            messages.success(request, _("The campaign was saved."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": campaign})


def detail(request, pk: int):
    campaign = selectors.get_campaign_for_user(request.user, pk)
    if campaign.status != campaign.Status.DRAFT:
        from .current import remember_campaign

        remember_campaign(request, campaign)  # opening a campaign makes it the current one
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "rows": selectors.stage_table(campaign, request.user),
            "summary": selectors.stage_summary(campaign),
            "milestones": selectors.milestones(campaign),
            "can_manage": can(request.user, Perm.CAMPAIGN_MANAGE, campaign.institution),
        },
    )


@require_POST
def activate(request, pk: int):
    campaign = selectors.get_campaign_for_user(request.user, pk, write=True)
    try:
        services.campaign_activate(actor=request.user, campaign=campaign)
        messages.success(request, _("The campaign has started."))
    except ServiceError as exc:
        _show_error(request, exc)
    return redirect("campaigns:detail", pk=campaign.pk)


def participant(request, pk: int):
    p = selectors.get_participant_for_user(request.user, pk)
    closed = p.stage == Stage.CLOSED
    return render(
        request,
        "campaigns/participant.html",
        {
            "p": p,
            "countdown": selectors.countdown(p.campaign.due_for(p.stage), done=closed),
            "blockers": [] if closed else services.gate_blockers(p),
            "transitions": p.transitions.select_related("actor"),
            "lookbacks": p.lookbacks.select_related("person", "opened_by"),
            "can_manage": can(request.user, Perm.CAMPAIGN_MANAGE, p.unit),
        },
    )


@require_POST
def advance(request, pk: int):
    p = selectors.get_participant_for_user(request.user, pk, write=True)
    try:
        p = services.participant_advance(actor=request.user, participant=p, note=request.POST.get("note", "")[:500])
        messages.success(
            request, _("%(unit)s moved to the stage “%(stage)s”.") % {"unit": p.unit, "stage": p.get_stage_display()}
        )
    except ServiceError as exc:
        _show_error(request, exc)
    if request.POST.get("back") == "participant":
        return redirect("campaigns:participant", pk=p.pk)
    return redirect("campaigns:detail", pk=p.campaign_id)


@require_POST
def switch(request):
    """The campaign switcher: remember the chosen campaign for this session and go back."""
    from django.http import Http404
    from django.utils.http import url_has_allowed_host_and_scheme

    from .current import remember_campaign

    campaign = selectors.campaign_choices(request.user).filter(pk=_int(request.POST.get("campaign"))).first()
    if campaign is None:
        raise Http404
    remember_campaign(request, campaign)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
