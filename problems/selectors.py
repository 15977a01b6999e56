"""Reads for the problem ledger, opinions and peer reviews; the only way to load them for a user."""

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignUnit
from core.indexhints import NotAnIndexKey
from orgs.access import Perm, can, has_any, person_of, units_where
from orgs.models import Person, Post, Unit
from orgs.selectors import leadership_team_of

from . import recusal
from .models import Manifestation, Opinion, PeerReview, Problem, Recusal

LEADER_POSTS = (Post.Kind.PRINCIPAL_LEADER, Post.Kind.LEADERSHIP_MEMBER, Post.Kind.DEPARTMENT_HEAD)


# ---------------------------------------------------------------- problems


# On SQLite, a scope holding at least this share of the units is tested row by row (see problems_visible_to):
# a page of 50 then reads about 100 rows of the index of its order. Narrower, the unit index is the better way
# in: an institution's office holding 14% of the units (and a third of the problems) of a tenth of a city was
# 2-4x slower tested row by row (first page 142 → 407 ms, one department's page 79 → 292 ms).
WIDE_SCOPE_SHARE = 0.5


def problems_visible_to(user) -> QuerySet[Problem]:
    """Problems of the units where the user holds PROBLEM_VIEW (the ledger's base).

    The same rows in one of three shapes, chosen from how many of the units the scope holds (one count of
    the units): every unit (a city office in a one-city installation): no unit test at all, every problem
    has a unit. Otherwise `unit_id IN (the scope's units)`, which PostgreSQL hashes and joins, and which
    SQLite answers by searching the problems' unit index once per unit of the scope, reading every problem
    of the scope by rowid and sorting them all for a page: right for a department, but for a city office
    (7,000 units, 300,000 problems) 0.7 s for the ids of page 40 and seconds for a filtered page. So on
    SQLite a scope of at least WIDE_SCOPE_SHARE of the units is tested on each row (`+unit_id IN …`): the
    ledger's page walks the index of its order (problem_recent) and stops after the page, and the filters'
    own indexes serve the counts.
    """
    units = units_where(user, Perm.PROBLEM_VIEW)
    if units.query.is_empty():
        return Problem.objects.none()
    if user.is_superuser:
        return Problem.objects.all()  # every unit
    share = Unit.objects.aggregate(every=Count("pk"), scope=Count("pk", filter=Q(pk__in=units.values("pk"))))
    if share["scope"] == share["every"]:
        return Problem.objects.all()
    if connection.vendor == "sqlite" and share["scope"] >= WIDE_SCOPE_SHARE * share["every"]:
        return Problem.objects.alias(scope_unit=NotAnIndexKey("unit_id")).filter(scope_unit__in=units.values("pk"))
    return Problem.objects.filter(unit__in=units)


def in_subtree(qs: QuerySet[Problem], unit: Unit, campaign: Campaign | None = None) -> QuerySet[Problem]:
    """`qs` narrowed to the problems of `unit` and the units below it (the ledger's unit filter), by key: a
    sub-query of the subtree's ids, not a join (with a join, a wide scope made SQLite walk the whole ledger for
    one department's rows), which SQLite answers by searching the problems' unit index once per unit.

    On SQLite, when a campaign is chosen too and the subtree holds at least WIDE_SCOPE_SHARE of the units taking
    part in it (an institution chosen with its own campaign), the unit is tested on each row instead, like a
    wide scope: a page then walks the campaign's ledger order (problem_ledger_order) and stops after the page,
    where the (campaign, unit, status) index found every match of every unit (40,059 of a city's campaign) and
    sorted them for one page (page 5: 42 → 2 ms). The capped count still reads that index alone."""
    subtree = Unit.objects.filter(path__startswith=unit.path).values("pk")
    if connection.vendor == "sqlite" and campaign is not None:
        share = CampaignUnit.objects.filter(campaign=campaign).aggregate(
            every=Count("pk"), inside=Count("pk", filter=Q(unit__path__startswith=unit.path))
        )
        if share["every"] and share["inside"] >= WIDE_SCOPE_SHARE * share["every"]:
            return qs.alias(subtree_unit=NotAnIndexKey("unit_id")).filter(subtree_unit__in=subtree)
    return qs.filter(unit__in=subtree)


def get_problem_for_user(user, pk: int, write: bool = False) -> Problem:
    """A problem the user may see: their units' (PROBLEM_VIEW), their own as subject, or one they recorded.

    404 otherwise. With `write`: PROBLEM_EDIT on its unit, or the person it concerns recording about
    themselves; else 403.
    """
    problem = (
        Problem.objects.select_related("campaign", "unit", "subject_person", "focus_area", "aspect", "recorded_by")
        .filter(pk=pk)
        .first()
    )
    if problem is None:
        raise Http404
    me = person_of(user)
    own = me is not None and problem.subject_person_id == me.pk
    if not (can(user, Perm.PROBLEM_VIEW, problem.unit) or own or problem.recorded_by_id == user.pk):
        raise Http404
    if write and not (can(user, Perm.PROBLEM_EDIT, problem.unit) or (own and problem.recorded_by_id == user.pk)):
        raise PermissionDenied
    return problem


def may_record(user, unit: Unit, subject_person: Person | None = None) -> bool:
    """May the user record a problem of `unit`? PROBLEM_EDIT there, or a person recording about themselves."""
    if can(user, Perm.PROBLEM_EDIT, unit):
        return True
    me = person_of(user)
    return me is not None and subject_person is not None and subject_person.pk == me.pk and unit.pk == me.unit_id


def units_for_recording(user) -> QuerySet[Unit]:
    me = person_of(user)
    q = Q(pk__in=units_where(user, Perm.PROBLEM_EDIT))
    if me is not None:
        q |= Q(pk=me.unit_id)
    return Unit.objects.filter(q, active=True).order_by("path")


def ledger_counts(qs: QuerySet[Problem]) -> dict:
    """Counts of a filtered ledger by channel and by manifestation (two grouped queries)."""
    by_channel = {
        row["channel"]: row["n"] for row in qs.order_by().values("channel").annotate(n=Count("pk")).order_by()
    }
    # From the filtered problems to their manifestations (the through-table's problem index), not the
    # whole through-table against the filtered ids: PostgreSQL scanned all 450,000 pairs of a city for that.
    by_manifestation = dict(qs.order_by().values_list("manifestations").annotate(n=Count("pk")).order_by())
    by_manifestation.pop(None, None)  # problems with no manifestation
    return {"channel": by_channel, "manifestation": by_manifestation}


def stage_map(problems) -> dict[tuple[int, int], str]:
    """(campaign id, unit id) → stage of that unit, for a page of problems (one query)."""
    keys = {(p.campaign_id, p.unit_id) for p in problems}
    if not keys:
        return {}
    rows = CampaignUnit.objects.filter(
        campaign_id__in={k[0] for k in keys}, unit_id__in={k[1] for k in keys}
    ).values_list("campaign_id", "unit_id", "stage")
    return {(c, u): s for c, u, s in rows}


def campaigns_for(user) -> QuerySet[Campaign]:
    from campaigns.selectors import campaigns_visible_to

    return campaigns_visible_to(user).order_by("-start_date", "-pk")


def current_campaign_for(user) -> Campaign | None:
    """The campaign shown to the user when no request is at hand (home tasks): the one rule of
    campaigns.selectors.campaign_shown_to without a switcher choice. Views use campaigns.current."""
    from campaigns.selectors import campaign_shown_to

    return campaign_shown_to(user)


# ---------------------------------------------------------------- opinions


def _leaders_of_user(user) -> set[int]:
    """recusal.leaders_of for the user's person, cached on the user object for the request."""
    cached = getattr(user, "_rectify_leaders", None)
    if cached is None:
        me = person_of(user)
        cached = recusal.leaders_of(me) if me is not None else set()
        user._rectify_leaders = cached
    return cached


def _recusal_q(user, prefix: str = "") -> Q:
    """Where the user is a handler under the recusal routes (problems.recusal), before exclusions."""
    me = person_of(user)
    office = units_where(user, Perm.CAMPAIGN_MANAGE)
    q = Q(**{f"{prefix}recusal_route__in": [Recusal.SUPERVISOR, Recusal.OFFICE], f"{prefix}unit__in": office})
    q |= Q(**{f"{prefix}recusal_route": Recusal.CITY, f"{prefix}unit__in": units_where(user, Perm.REPORT_REVIEW_CITY)})
    if me is not None:
        q |= Q(**{f"{prefix}recusal_route": Recusal.SUPERVISOR, f"{prefix}recusal_handler": me})
    return q


def opinions_for_triage(user) -> QuerySet[Opinion]:
    """Opinions the user may see and decide.

    Usual opinions: OPINION_TRIAGE on their unit. Opinions about a person (回避) go where
    problems.recusal routes them (the 分管 leader, the campaign office, the city office), and are
    never shown to a person they name nor to anyone that person leads.
    """
    q = Q(recusal_route=Recusal.NONE, unit__in=units_where(user, Perm.OPINION_TRIAGE)) | _recusal_q(user)
    qs = Opinion.objects.filter(q)
    leaders = _leaders_of_user(user)
    return qs.exclude(recusals__person_id__in=leaders) if leaders else qs


def may_handle_opinions(user) -> bool:
    """Does the user triage opinions anywhere, or has one been routed to them (回避)?"""
    return has_any(user, Perm.OPINION_TRIAGE) or opinions_for_triage(user).exists()


def get_opinion_for_user(user, pk: int, write: bool = False) -> Opinion:
    """An opinion the user may triage (see `opinions_for_triage`); 404 otherwise.

    Nobody else sees opinions here; the person who gave one follows it by its receipt code.
    """
    opinion = (
        opinions_for_triage(user)
        .select_related(
            "campaign", "unit", "submitter", "concerns_person", "suggested_manifestation", "recusal_handler"
        )
        .filter(pk=pk)
        .first()
    )
    if opinion is None:
        raise Http404
    if write and opinion.campaign.status != Campaign.Status.ACTIVE:
        raise PermissionDenied
    return opinion


def handled_by_label(route: str, unit: Unit) -> str:
    """Who handles an opinion, by office and never by name (the complainant's receipt page)."""
    if route == Recusal.SUPERVISOR:
        return _("the supervising leader of %(unit)s (回避)") % {"unit": unit.name}
    if route == Recusal.OFFICE:
        return _("the campaign office (回避)")
    if route == Recusal.CITY:
        return _("the city office (回避)")
    return _("%(unit)s and the campaign office") % {"unit": unit.name}


def similar_items(opinion: Opinion) -> list[dict]:
    """The stored similar opinions/problems with their objects (two queries), best first."""
    ids = {"opinion": [], "problem": []}
    for s in opinion.similar or []:
        ids.setdefault(s["kind"], []).append(s["id"])
    objs = {
        "opinion": Opinion.objects.select_related("unit").in_bulk(ids["opinion"]),
        "problem": Problem.objects.select_related("unit").in_bulk(ids["problem"]),
    }
    return [
        {"kind": s["kind"], "obj": objs[s["kind"]][s["id"]], "score": round(100 * s["score"])}
        for s in opinion.similar or []
        if s["id"] in objs.get(s["kind"], {})
    ]


def normalize_receipt(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "").replace("-", "")


def opinion_waiting(code: str) -> bool:
    """Is an opinion with this receipt code still in the drop box (received, not yet filed)?"""
    from . import dropbox

    code = normalize_receipt(code)
    return bool(code) and any(i.get("receipt_code") == code for i in dropbox.waiting())


def opinion_by_receipt(code: str) -> Opinion | None:
    code = normalize_receipt(code)
    if not code:
        return None
    return Opinion.objects.select_related("unit", "duplicate_of").filter(receipt_code=code).first()


# ---------------------------------------------------------------- peer reviews


def peer_groups(person: Person, campaign: Campaign) -> dict[str, QuerySet[Person]]:
    """Whom `person` may review in `campaign`, by kind of review.

    team: the institution's leadership team (if the person belongs to it); branch: the members of
    the person's own department or branch; leader_comment: people of the units the person leads.
    """
    groups: dict[str, QuerySet[Person]] = {}
    team = leadership_team_of(campaign.institution)
    if team.filter(pk=person.pk).exists():
        groups[PeerReview.Kind.TEAM] = team.exclude(pk=person.pk).order_by("staff_no")
    if person.unit_id != campaign.institution_id:
        groups[PeerReview.Kind.BRANCH] = Person.objects.filter(unit_id=person.unit_id, active=True).exclude(
            pk=person.pk
        )
    led = Post.objects.filter(person=person, kind__in=LEADER_POSTS).values_list("unit__path", flat=True)
    supervised = person.supervisions.values_list("unit__path", flat=True)
    q = Q()
    for path in [*led, *supervised]:
        q |= Q(unit__path__startswith=path)
    if q:
        groups[PeerReview.Kind.LEADER_COMMENT] = (
            Person.objects.filter(q, active=True, unit__institution_id=campaign.institution_id)
            .exclude(pk=person.pk)
            .select_related("unit")
            .order_by("unit__path", "staff_no")
        )
    return groups


def reviews_to_write(person: Person, campaign: Campaign) -> list[Person]:
    """Members of the person's peer groups (team, branch) they have not reviewed yet."""
    groups = peer_groups(person, campaign)
    done = set(
        PeerReview.objects.filter(campaign=campaign, reviewer=person)
        .exclude(kind=PeerReview.Kind.LEADER_COMMENT)
        .values_list("subject_id", flat=True)
    )
    seen: dict[int, Person] = {}
    for kind in (PeerReview.Kind.TEAM, PeerReview.Kind.BRANCH):
        for p in groups.get(kind, []):
            if p.pk not in done:
                seen.setdefault(p.pk, p)
    return list(seen.values())


def peer_reviews_to_decide(user) -> QuerySet[PeerReview]:
    """互评 the user decides: one level above the subject (回避: problems.recusal), never the subject
    nor anyone the subject leads. Leader comments are answered by their subject instead."""
    usual = Q(recusal_route=Recusal.NONE, subject__unit__in=units_where(user, Perm.OPINION_TRIAGE))
    qs = PeerReview.objects.exclude(kind=PeerReview.Kind.LEADER_COMMENT).filter(usual | _recusal_q(user, ""))
    leaders = _leaders_of_user(user)
    return qs.exclude(subject_id__in=leaders) if leaders else qs


def get_peer_review_for_user(user, pk: int, write: bool = False) -> PeerReview:
    """A review the user decides (`peer_reviews_to_decide`), or a leader comment about or by them.

    The subject of 互评 never gets it (404): they see only the problem it may become.
    """
    review = (
        PeerReview.objects.select_related("campaign", "unit", "reviewer", "subject", "recusal_handler")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise Http404
    me = person_of(user)
    if review.kind == PeerReview.Kind.LEADER_COMMENT:
        if me is None or me.pk not in (review.subject_id, review.reviewer_id):
            raise Http404
        if write and me.pk != review.subject_id:
            raise PermissionDenied
        return review
    if not peer_reviews_to_decide(user).filter(pk=pk).exists():
        raise Http404
    return review


def manifestations_grouped() -> list[dict]:
    from .taxonomy import GROUP_GLOSSES

    groups: dict[str, dict] = {}
    for m in Manifestation.objects.filter(active=True):
        g = groups.setdefault(
            m.group, {"group": m.group, "label": m.get_group_display(), "gloss": GROUP_GLOSSES.get(m.group, "")}
        )
        g.setdefault("items", []).append(m)
    order = ["yong", "lan", "san"]
    return sorted(groups.values(), key=lambda g: order.index(g["group"]) if g["group"] in order else 9)
