"""Reads for the disclosure portal (public) and its management (campaign office)."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from campaigns.models import Campaign
from core.rates import Rate, half_up, mean_percent, rate
from orgs.access import Perm, can, units_where
from orgs.models import Unit
from rectification.models import Measure

from .models import Follow, Publication, PublicEvent, Snapshot
from .public import (
    build_public_data,
    index_items,
    measure_percent,
    measure_status,
    publishable_measures,
    publishable_problems,
)

# ---------------------------------------------------------------- public side (no login)


def published(campaign: Campaign) -> QuerySet[Publication]:
    return Publication.objects.filter(campaign=campaign, status=Publication.Status.PUBLISHED)


def published_codes(campaign: Campaign) -> tuple[dict[int, str], dict[int, str]]:
    """({problem pk: code}, {measure pk: code}) of what is public now."""
    problems, measures = {}, {}
    for problem_id, measure_id, code in published(campaign).values_list("problem_id", "measure_id", "code"):
        if problem_id:
            problems[problem_id] = code
        else:
            measures[measure_id] = code
    return problems, measures


def public_data_now(campaign: Campaign, *, today: date | None = None) -> dict:
    """What the public sees for this campaign right now."""
    problems, measures = published_codes(campaign)
    return build_public_data(campaign, problems, measures, today=today)


def _published_value(r: Rate) -> str | None:
    """A rate as the portal shows it ("96.15", then "%"), None when there is nothing to divide by."""
    return None if r.value is None else f"{r.value:.2f}"


def public_campaigns() -> QuerySet[Campaign]:
    """Campaigns with at least one published item (the only ones the portal knows about)."""
    return (
        Campaign.objects.filter(
            publications__status=Publication.Status.PUBLISHED,
            status__in=[Campaign.Status.ACTIVE, Campaign.Status.CLOSED],
        )
        .distinct()
        .select_related("institution")
    )


def public_institutions() -> list[dict]:
    """Institutions with something published, each with its latest public campaign."""
    seen: dict[int, dict] = {}
    for c in public_campaigns().order_by("institution__name", "-start_date"):
        seen.setdefault(c.institution_id, {"institution": c.institution, "campaign": c})
    return list(seen.values())


def get_public_campaign(public_code: str) -> Campaign:
    """The latest campaign of the institution with this public code that published anything; 404 otherwise."""
    campaign = (
        public_campaigns()
        .filter(institution__public_code=public_code, institution__kind=Unit.Kind.INSTITUTION)
        .order_by("-start_date", "-pk")
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign


def get_public_commitments_campaign(public_code: str) -> Campaign:
    """示诺: the latest active or closed campaign of the institution that published anything or has a
    commitment approved for showing; 404 otherwise."""
    from rectification.selectors import COMMITMENT_SHOWN

    campaign = (
        Campaign.objects.filter(
            Q(publications__status=Publication.Status.PUBLISHED) | Q(commitments__status__in=COMMITMENT_SHOWN),
            institution__public_code=public_code,
            institution__kind=Unit.Kind.INSTITUTION,
            status__in=[Campaign.Status.ACTIVE, Campaign.Status.CLOSED],
        )
        .distinct()
        .select_related("institution")
        .order_by("-start_date", "-pk")
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign


def get_public_publication(code: str) -> Publication:
    """A published item by its random code; unpublished and nonexistent give the same 404."""
    pub = (
        Publication.objects.filter(code=code, status=Publication.Status.PUBLISHED)
        .select_related("campaign__institution")
        .first()
    )
    if pub is None:
        raise Http404
    return pub


def get_public_snapshot(campaign: Campaign, code: str) -> Snapshot:
    snap = Snapshot.objects.filter(campaign=campaign, code=code).first()
    if snap is None:
        raise Http404
    return snap


def get_follow(code: str) -> Follow:
    follow = Follow.objects.filter(code=code).select_related("publication").first()
    if follow is None:
        raise Http404
    return follow


def timeline(campaign: Campaign, limit: int = 20) -> list[PublicEvent]:
    """Recent public events; events of items withdrawn since are left out."""
    return list(
        PublicEvent.objects.filter(campaign=campaign)
        .filter(Q(publication__isnull=True) | Q(publication__status=Publication.Status.PUBLISHED))
        .exclude(kind=PublicEvent.Kind.WITHDRAWN)
        .select_related("publication")[:limit]
    )


def item_timeline(publication: Publication, limit: int = 20) -> list[PublicEvent]:
    return list(publication.events.exclude(kind=PublicEvent.Kind.WITHDRAWN)[:limit])


def snapshots_of(campaign: Campaign) -> list[Snapshot]:
    return list(Snapshot.objects.filter(campaign=campaign).defer("data"))


def city_overview(*, today: date | None = None) -> list[dict]:
    """Per institution: published problems, completion and on-time rates of published measures.

    On time = completed on or before the deadline, among measures that are completed or past due.
    A fixed number of queries.
    """
    today = today or timezone.localdate()
    rows = {}
    for entry in public_institutions():
        rows[entry["campaign"].pk] = {
            **entry,
            "problems": 0,
            "measures": 0,
            "completed": 0,
            "due": 0,
            "on_time": 0,
            "overdue": 0,
        }
    pubs = Publication.objects.filter(campaign_id__in=list(rows), status=Publication.Status.PUBLISHED)
    for campaign_id, n in pubs.filter(problem__isnull=False).values_list("campaign_id").annotate(n=Count("pk")):
        rows[campaign_id]["problems"] = n
    for m in Measure.objects.filter(publication__in=pubs).values(
        "publication__campaign_id", "status", "deadline", "verified_at", "percent"
    ):
        row = rows[m["publication__campaign_id"]]
        row["measures"] += 1
        done = m["status"] == Measure.Status.VERIFIED
        row["completed"] += done
        past_due = m["deadline"] is not None and m["deadline"] < today
        if done or past_due:
            row["due"] += 1
            if done and (m["deadline"] is None or timezone.localdate(m["verified_at"]) <= m["deadline"]):
                row["on_time"] += 1
        if past_due and not done:
            row["overdue"] += 1
    for row in rows.values():
        # core.rates: the same exact, half-up, two-decimal figures as the dashboards and the exports
        row["completion_rate"] = rate(row["completed"], row["measures"])
        row["completion"] = _published_value(row["completion_rate"])
        row["on_time_share"] = rate(row["on_time"], row["due"])
        row["on_time_rate"] = _published_value(row["on_time_share"])
    return sorted(rows.values(), key=lambda r: r["institution"].name)


def public_item(publication: Publication, *, today: date | None = None) -> dict | None:
    """The public data of one published item (a problem with its public measures, or one measure)."""
    today = today or timezone.localdate()
    problems, measures = published_codes(publication.campaign)
    if publication.problem_id:
        problems = {publication.problem_id: publication.code}
    else:
        problems = {}
        measures = {publication.measure_id: publication.code}
    data = build_public_data(publication.campaign, problems, measures, today=today)
    for group in data["groups"]:
        for unit in group["units"]:
            for p in unit["problems"]:
                return {"kind": "problem", **p}
    for m in data["loose_measures"]:
        return {"kind": "measure", **m}
    return None


def current_statuses(campaign: Campaign, *, today: date | None = None) -> dict[str, tuple[str, int, date | None]]:
    """{publication code: (public status, progress, deadline)} of everything published now, in one build."""
    items = index_items(public_data_now(campaign, today=today))
    return {
        code: (
            item["status"],
            item["progress"],
            date.fromisoformat(item["deadline"]) if item["deadline"] else None,
        )
        for code, item in items.items()
    }


# ---------------------------------------------------------------- staff side


def campaigns_for_disclosure(user) -> QuerySet[Campaign]:
    """Campaigns whose disclosure the user manages (campaign office of the institution)."""
    return (
        Campaign.objects.filter(institution__in=units_where(user, Perm.DISCLOSURE_MANAGE))
        .exclude(status=Campaign.Status.DRAFT)
        .select_related("institution")
    )


def get_campaign_for_user(user, pk: int, write: bool = False) -> Campaign:
    """A campaign the user may see (404 otherwise); PermissionDenied when `write` and they may not manage
    its disclosure."""
    campaign = Campaign.objects.filter(pk=pk).select_related("institution").first()
    if campaign is None or not (
        can(user, Perm.CAMPAIGN_VIEW, campaign.institution) or can(user, Perm.DISCLOSURE_MANAGE, campaign.institution)
    ):
        raise Http404
    if write and not can(user, Perm.DISCLOSURE_MANAGE, campaign.institution):
        raise PermissionDenied
    return campaign


MANAGEMENT_PAGE_SIZE = 50


def management_rows(campaign: Campaign, unit_id: int | None = None, page_number=None) -> tuple[Page, list[dict]]:
    """One page of the publishable problems (MANAGEMENT_PAGE_SIZE, by unit and date) with their measures and
    their publication state, for the office; the measures that answer no publishable problem come on the
    last page. A city institution has 100,000 problems: the whole list was megabytes of check boxes."""
    pubs = Publication.objects.filter(campaign=campaign)
    measures_qs = publishable_measures(campaign).select_related("responsible_unit")
    problems = (
        publishable_problems(campaign)
        .select_related("unit")
        .prefetch_related(Prefetch("measures", queryset=measures_qs, to_attr="unit_measures"))
    )
    if unit_id:
        problems = problems.filter(unit_id=unit_id)
    page = Paginator(problems.order_by("unit__path", "recorded_at", "pk"), MANAGEMENT_PAGE_SIZE).get_page(page_number)
    page_problems = list(page.object_list)
    loose = []
    if not page.has_next():
        # Measures that answer no publishable problem (e.g. agreed at a meeting as a new rule) are published
        # on their own, like the public page's loose measures.
        loose_qs = measures_qs.exclude(problems__in=publishable_problems(campaign))
        if unit_id:
            loose_qs = loose_qs.filter(plan__unit_id=unit_id)
        loose = list(loose_qs.distinct().order_by("plan__unit__path", "pk"))
    measure_ids = {m.pk for p in page_problems for m in p.unit_measures} | {m.pk for m in loose}
    pubs = {
        (p.problem_id, p.measure_id): p
        for p in pubs.filter(Q(problem_id__in=[p.pk for p in page_problems]) | Q(measure_id__in=measure_ids))
    }
    today = timezone.localdate()

    def measure_row(m):
        return {
            "measure": m,
            "publication": pubs.get((None, m.pk)),
            "status": measure_status(m, today),
            "percent": measure_percent(m),
        }

    rows = [
        {"problem": p, "publication": pubs.get((p.pk, None)), "measures": [measure_row(m) for m in p.unit_measures]}
        for p in page_problems
    ]
    if loose:
        rows.append({"problem": None, "publication": None, "measures": [measure_row(m) for m in loose]})
    return page, rows


def selection_from_ids(campaign: Campaign, problem_ids, measure_ids) -> tuple[dict[int, str], dict[int, str]]:
    """Codes for a proposed selection (for the preview): existing codes where published before."""
    problem_ids = set(publishable_problems(campaign).filter(pk__in=problem_ids).values_list("pk", flat=True))
    measure_ids = set(publishable_measures(campaign).filter(pk__in=measure_ids).values_list("pk", flat=True))
    existing = Publication.objects.filter(campaign=campaign).filter(
        Q(problem_id__in=problem_ids) | Q(measure_id__in=measure_ids)
    )
    codes = {(p.problem_id, p.measure_id): p.code for p in existing}
    return (
        {pk: codes.get((pk, None), f"preview-p{pk}") for pk in problem_ids},
        {pk: codes.get((None, pk), f"preview-m{pk}") for pk in measure_ids},
    )


def internal_disclosure(user) -> list[dict]:
    """Personal commitments (measures of personal plans) in the institutions the user belongs to or sees.

    For logged-in staff only; names are shown here (inside the institution), never on the portal.
    """
    person = getattr(user, "person", None)
    institutions = set(
        units_where(user, Perm.CAMPAIGN_VIEW).filter(kind=Unit.Kind.INSTITUTION).values_list("pk", flat=True)
    )
    if person is not None:
        institutions.add(person.unit.institution_id or person.unit_id)
    measures = (
        Measure.objects.filter(plan__person__isnull=False, plan__campaign__institution_id__in=institutions)
        .exclude(plan__campaign__status=Campaign.Status.DRAFT)
        .select_related("plan__person__unit", "plan__campaign", "responsible_unit")
        .order_by("plan__person__unit__path", "plan__person__name", "deadline", "pk")
    )
    today = timezone.localdate()
    people: dict[int, dict] = {}
    for m in measures:
        entry = people.setdefault(
            m.plan.person_id, {"person": m.plan.person, "campaign": m.plan.campaign, "measures": []}
        )
        entry["measures"].append({"measure": m, "status": measure_status(m, today), "percent": measure_percent(m)})
    for entry in people.values():
        entry["progress"] = mean_percent(x["percent"] for x in entry["measures"])
    return list(people.values())


def internal_commitments(user) -> list[dict]:
    """Published commitments (公开承诺) of individual cadres that the user may see, with their items and
    progress (rectification's own visibility rule: the user's institution, or units they view)."""
    from rectification.models import Commitment
    from rectification.selectors import commitments_visible_to

    today = timezone.localdate()
    rows = []
    commitments = (
        commitments_visible_to(user)
        .exclude(status=Commitment.Status.DRAFT)
        .select_related("person", "unit", "campaign")
        .prefetch_related("items")
        .order_by("unit__path", "person__name", "pk")
    )
    for c in commitments:
        items = [
            {"item": i, "done": i.done_at is not None, "overdue": i.done_at is None and i.deadline < today}
            for i in c.items.all()
        ]
        done = sum(1 for i in items if i["done"])
        progress = int(half_up(done * 100, len(items))) if items else 0  # whole percent, half-up
        rows.append({"commitment": c, "items": items, "progress": progress})
    return rows


def public_commitments(campaign) -> list[dict]:
    """示诺 on the public portal: commitments approved for showing (not drafts, nor those under review
    or returned), each with its items, measures, person responsible, deadline and outcome."""
    from rectification.models import Commitment

    hidden = [Commitment.Status.DRAFT, Commitment.Status.SUBMITTED, Commitment.Status.RETURNED]
    commitments = (
        Commitment.objects.filter(campaign=campaign)
        .exclude(status__in=hidden)
        .select_related("person", "unit")
        .prefetch_related("items__owner")
        .order_by("unit__path", "person__name", "pk")
    )
    return [{"commitment": c, "items": list(c.items.all())} for c in commitments]
