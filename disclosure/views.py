"""Staff side at /disclosure/: the campaign office decides what is public; staff see the internal disclosure."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ServiceError
from core.forms import id_or_none
from orgs.access import Perm, has_any

from . import selectors, services
from .forms import SnapshotForm
from .public import build_public_data


def manage(request):
    """The campaigns whose disclosure this user manages (campaign office only)."""
    if not has_any(request.user, Perm.DISCLOSURE_MANAGE):
        raise PermissionDenied
    campaigns = list(selectors.campaigns_for_disclosure(request.user))
    if len(campaigns) == 1:
        return redirect("disclosure:campaign", campaigns[0].pk)
    return render(request, "disclosure/manage.html", {"campaigns": campaigns})


def _ids(request, name):
    return [n for n in map(id_or_none, request.POST.getlist(name)) if n is not None]


def campaign(request, pk):
    """Per problem and measure: public or not. "Preview" shows the public page for the ticked items
    (the same template the public gets); "Publish" makes exactly those items public."""
    c = selectors.get_campaign_for_user(request.user, pk, write=True)
    if request.method == "POST":
        problem_ids, measure_ids = _ids(request, "problems"), _ids(request, "measures")
        # The list is paged: the form names the items its page showed, so an unticked item is withdrawn only
        # where the office saw it (a post without them, from an older page, decides the whole campaign).
        scoped = request.POST.get("scoped") == "1"
        shown = (_ids(request, "shown_problems"), _ids(request, "shown_measures")) if scoped else (None, None)
        if request.POST.get("action") == "preview":
            if scoped:  # what the public would see: this page as ticked, the rest as it is
                elsewhere = selectors.published(c).exclude(problem_id__in=shown[0]).exclude(measure_id__in=shown[1])
                problem_ids += [p for p in elsewhere.values_list("problem_id", flat=True) if p is not None]
                measure_ids += [m for m in elsewhere.values_list("measure_id", flat=True) if m is not None]
            problems, measures = selectors.selection_from_ids(c, problem_ids, measure_ids)
            ctx = {
                "campaign": c,
                "institution": c.institution,
                "data": build_public_data(c, problems, measures),
                "snapshots": selectors.snapshots_of(c),
                "timeline": selectors.timeline(c),
                "mode": "preview",
                "selection": {"problems": problem_ids, "measures": measure_ids},
            }
            return render(request, "disclosure/public/institution.html", ctx)
        try:
            counts = services.publication_apply(
                actor=request.user,
                campaign=c,
                problem_ids=problem_ids,
                measure_ids=measure_ids,
                shown_problem_ids=shown[0],
                shown_measure_ids=shown[1],
            )
        except ServiceError as e:
            messages.error(request, e.message)
        else:
            messages.success(
                request,
                _("%(published)d items published, %(withdrawn)d withdrawn.") % counts,
            )
        return redirect(request.get_full_path())  # the same page of the same unit
    unit_id = request.GET.get("unit")
    unit_id = int(unit_id) if unit_id and unit_id.isdigit() else None
    page, rows = selectors.management_rows(c, unit_id, request.GET.get("page"))
    ctx = {
        "campaign": c,
        "rows": rows,
        "page": page,
        "querystring": urlencode({"unit": unit_id}) if unit_id else "",
        "snapshots": selectors.snapshots_of(c),
        "snapshot_form": SnapshotForm(),
        "published_count": selectors.published(c).count(),
    }
    return render(request, "disclosure/campaign.html", ctx)


@require_POST
def snapshot_create(request, pk):
    c = selectors.get_campaign_for_user(request.user, pk, write=True)
    form = SnapshotForm(request.POST)
    if form.is_valid():
        try:
            snap = services.snapshot_take(actor=request.user, campaign=c, taken_on=form.cleaned_data["taken_on"])
        except ServiceError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Snapshot of %(date)s taken.") % {"date": snap.taken_on})
    else:
        messages.error(request, _("Please enter a valid date."))
    return redirect("disclosure:campaign", c.pk)


@require_POST
def refresh(request, pk):
    c = selectors.get_campaign_for_user(request.user, pk, write=True)
    n = services.publications_refresh(actor=request.user, campaign=c)
    messages.success(request, _("Statuses refreshed: %(n)d changed.") % {"n": n})
    return redirect("disclosure:campaign", c.pk)


def internal(request):
    """Internal disclosure for logged-in staff: individual cadres' commitments and their progress."""
    ctx = {
        "commitments": selectors.internal_commitments(request.user),
        "people": selectors.internal_disclosure(request.user),
    }
    return render(request, "disclosure/internal.html", ctx)
