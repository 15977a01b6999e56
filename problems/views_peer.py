"""Mutual evaluation (互评) and leader comments (领导点评)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.current import current_campaign
from core.exceptions import ServiceError
from orgs.access import Perm, can, person_of

from . import selectors, services
from .forms import AnswerForm, PeerReviewForm
from .models import Channel, PeerReview, Problem


def index(request):
    """Write reviews of one's team or branch colleagues; decide the reviews routed to oneself (回避:
    never about oneself or one's leaders); answer leader comments about oneself."""
    me = person_of(request.user)
    campaign = current_campaign(request)
    if me is None or campaign is None:
        messages.error(request, _("There is no campaign in progress."))
        return redirect("home")
    anonymous = campaign.peer_review_anonymous
    groups = selectors.peer_groups(me, campaign)
    form = PeerReviewForm(request.POST or None, groups=groups, initial={"subject": request.GET.get("subject")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            review = services.peer_review_submit(
                actor=request.user,
                campaign=campaign,
                unit=me.unit if d["kind"] != PeerReview.Kind.TEAM else campaign.institution,
                kind=d["kind"],
                reviewer=me,
                subject=d["subject"],
                content=d["content"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            # No redirect: the page that follows an anonymous review must not be a second request
            # written to the reviewer's session at the same moment.
            return render(request, "problems/peer_review_sent.html", {"review": review, "campaign": campaign})
    to_decide = (
        selectors.peer_reviews_to_decide(request.user)
        .filter(campaign=campaign)
        .select_related("subject", "reviewer", "recusal_handler")
        .order_by("status", "subject__unit__path", "subject__staff_no")
    )
    comments = PeerReview.objects.filter(
        campaign=campaign, subject=me, kind=PeerReview.Kind.LEADER_COMMENT
    ).select_related("reviewer", "problem")
    written = PeerReview.objects.filter(campaign=campaign, reviewer=me).select_related("subject")
    found = Problem.objects.filter(
        campaign=campaign, subject_person=me, channel__in=[Channel.TEAM_PEER, Channel.BRANCH_PEER]
    )
    return render(
        request,
        "problems/peer_reviews.html",
        {
            "campaign": campaign,
            "form": form if groups else None,
            "to_write": [] if anonymous else selectors.reviews_to_write(me, campaign),
            "colleagues": selectors.reviews_to_write(me, campaign) if anonymous else [],
            "to_decide": to_decide,
            "comments": comments,
            "written": written,
            "found": found,
            "anonymous": anonymous,
            "answer_form": AnswerForm(),
        },
    )


@require_POST
def answer(request, pk: int):
    """The one who decides a review (one level above its subject; the subject for a leader comment)
    accepts it (it becomes a problem of the subject) or declines it with a note."""
    review = selectors.get_peer_review_for_user(request.user, pk, write=True)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please check the answer."))
        return redirect("problems:peer_reviews")
    d = form.cleaned_data
    try:
        if request.POST.get("decision") == "accept":
            problem = services.peer_review_accept(
                actor=request.user,
                review=review,
                note=d["note"],
                cause=d["cause"],
                manifestations=d["manifestations"],
            )
            messages.success(request, _("Accepted: the problem is now in the ledger."))
            if can(request.user, Perm.PROBLEM_VIEW, problem.unit) or problem.subject_person_id:
                return redirect("problems:detail", pk=problem.pk)
        else:
            services.peer_review_reject(actor=request.user, review=review, reason=d["note"])
            messages.success(request, _("Your answer was recorded."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("problems:peer_reviews")
