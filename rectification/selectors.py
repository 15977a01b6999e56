"""Reads for rectification, and the only way to load its protected objects.

Who may see what (on top of orgs.access):
- a plan: RECTIFICATION_VIEW on its unit, its own subject person, its routed reviewer (or the city office
  for team/principal plans), and the owners and responsible leaders of its measures;
- a measure: whoever may see its plan, its owner, its responsible leader, and the supervising leader;
- change a plan: RECTIFICATION_MANAGE on its unit, or the person whose personal plan it is;
- verify a measure, decide an extension: RECTIFICATION_MANAGE on the unit, the responsible leader or the
  supervising leader, but never the measure's owner (nor the one who asked for the extension).
"""

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, Func, OuterRef, Q, QuerySet
from django.http import Http404

from core.indexhints import NotAnIndexKey
from orgs.access import Perm, can, person_of, units_where
from orgs.models import Supervision
from orgs.selectors import supervisor_of

from .models import CloseoutReview, Commitment, CommitmentItem, Evidence, Measure, RectificationPlan


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


# ---------------------------------------------------------------- plans


def may_view_plan(user, plan: RectificationPlan) -> bool:
    me = person_of(user)
    if can(user, Perm.RECTIFICATION_VIEW, plan.unit):
        return True
    if plan.reviewer_id and plan.reviewer_id == user.pk:
        return True
    if plan.reviewer_is_city_office and can(user, Perm.REPORT_REVIEW_CITY, plan.unit):
        return True
    if me is None:
        return False
    if plan.person_id == me.pk:
        return True
    return plan.measures.filter(Q(owner=me) | Q(responsible_leader=me)).exists()


def may_edit_plan(user, plan: RectificationPlan) -> bool:
    me = person_of(user)
    if plan.person_id and me is not None and plan.person_id == me.pk:
        return True
    return can(user, Perm.RECTIFICATION_MANAGE, plan.unit)


def may_review_plan(user, plan: RectificationPlan) -> bool:
    me = person_of(user)
    if me is not None and plan.person_id == me.pk:
        return False  # nobody approves their own plan
    if plan.reviewer_is_city_office:
        return can(user, Perm.REPORT_REVIEW_CITY, plan.unit)
    return plan.reviewer_id is not None and plan.reviewer_id == user.pk


def get_plan_for_user(user, pk: int, write: bool = False) -> RectificationPlan:
    """A plan the user may see (404 otherwise); PermissionDenied when `write` and they may not change it."""
    plan = (
        RectificationPlan.objects.select_related("unit", "person", "campaign", "lookback", "meeting", "reviewer")
        .filter(pk=pk)
        .first()
    )
    if plan is None or not may_view_plan(user, plan):
        raise Http404
    if write and not may_edit_plan(user, plan):
        raise PermissionDenied
    return plan


def plans_visible_to(user) -> QuerySet[RectificationPlan]:
    """Plans the user may see (see the module's docstring). The plans of the user's own measures are found by
    key: a join of plans to measures reads every measure of the city. Their measures are counted by
    `with_measure_counts`, once the plans shown are known."""
    me = person_of(user)
    q = Q(unit__in=units_where(user, Perm.RECTIFICATION_VIEW)) | Q(reviewer=user)
    if me is not None:
        theirs = Measure.objects.filter(Q(owner=me) | Q(responsible_leader=me)).values("plan_id")
        q |= Q(person=me) | Q(pk__in=theirs)
    city = units_where(user, Perm.REPORT_REVIEW_CITY)
    q |= Q(reviewer_is_city_office=True, unit__in=city)
    return RectificationPlan.objects.filter(q).select_related("unit", "person", "campaign", "lookback")


# Plans counted by one query: far below SQLite's 32,766 parameters; a city has some 7,000 plans in all.
COUNTED_PLANS_PER_QUERY = 10_000


def with_measure_counts(plans) -> list[RectificationPlan]:
    """The plans as a list, each with `n_measures` (its measures) and `n_verified` (those verified).

    Counted by one GROUP BY over the measures of these plans, both figures in one pass over the index
    `measure_plan_status` (plan, status) alone on PostgreSQL (a vacuumed table: no row read). It was a pair of
    correlated sub-queries per plan, which read every measure's row twice (COUNT(id) is not in the plan index):
    at full size a campaign office's 98 plans and 100,000 measures took 740 ms under load, the GROUP BY over
    the index 84 ms (bench/results.md, "Measures board and person names on PostgreSQL", 30 Nov)."""
    plans = list(plans)
    ids = [p.pk for p in plans]
    counts: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), COUNTED_PLANS_PER_QUERY):
        rows = (
            Measure.objects.filter(plan_id__in=ids[start : start + COUNTED_PLANS_PER_QUERY])
            .order_by()
            .values("plan_id")
            .annotate(n=Count("*"), verified=Count("status", filter=Q(status=Measure.Status.VERIFIED)))
            .values_list("plan_id", "n", "verified")
        )
        counts.update((plan_id, (n, verified)) for plan_id, n, verified in rows)
    for p in plans:
        p.n_measures, p.n_verified = counts.get(p.pk, (0, 0))
    return plans


def plans_in_order(ids: list[int]) -> list[RectificationPlan]:
    """The plans of these ids in that order (one page of `plans_visible_to`, chosen by the caller), with
    their unit, person, campaign and look-back, and counted by `with_measure_counts`."""
    loaded = RectificationPlan.objects.select_related("unit", "person", "campaign", "lookback").in_bulk(ids)
    return with_measure_counts([loaded[pk] for pk in ids if pk in loaded])


def plans_to_review(user) -> QuerySet[RectificationPlan]:
    me = person_of(user)
    q = Q(reviewer=user, reviewer_is_city_office=False) | Q(
        reviewer_is_city_office=True, unit__in=units_where(user, Perm.REPORT_REVIEW_CITY)
    )
    qs = RectificationPlan.objects.filter(q, status=RectificationPlan.Status.SUBMITTED)
    if me is not None:
        qs = qs.exclude(person=me)
    return qs.select_related("unit", "person")


# ---------------------------------------------------------------- measures


def may_view_measure(user, measure: Measure) -> bool:
    me = person_of(user)
    if me is not None and me.pk in (measure.owner_id, measure.responsible_leader_id):
        return True
    if can(user, Perm.RECTIFICATION_VIEW, measure.responsible_unit):
        return True
    if me is not None and supervisor_of(measure.plan.unit) == me:
        return True
    return may_view_plan(user, measure.plan)


def is_owner(user, measure: Measure) -> bool:
    me = person_of(user)
    return me is not None and me.pk == measure.owner_id


def may_verify(user, measure: Measure) -> bool:
    """A reviewer of close-outs and extensions: never the owner."""
    me = person_of(user)
    if me is None and not user.is_superuser:
        return False
    if me is not None and me.pk == measure.owner_id:
        return False
    if can(user, Perm.RECTIFICATION_MANAGE, measure.responsible_unit) or can(
        user, Perm.RECTIFICATION_MANAGE, measure.plan.unit
    ):
        return True
    if me is not None and me.pk == measure.responsible_leader_id:
        return True
    return me is not None and supervisor_of(measure.plan.unit) == me


def may_open_case(user, measure: Measure) -> bool:
    """The campaign office (or city office) decides whether an overdue measure opens a case."""
    return can(user, Perm.ACCOUNTABILITY_DECIDE, measure.plan.unit)


def get_measure_for_user(user, pk: int, write: bool = False) -> Measure:
    """A measure the user may see (404 otherwise). `write`: the owner or a reviewer (else 403)."""
    m = (
        Measure.objects.select_related(
            "plan__unit", "plan__campaign", "plan__person", "responsible_unit", "owner", "responsible_leader"
        )
        .filter(pk=pk)
        .first()
    )
    if m is None or not may_view_measure(user, m):
        raise Http404
    if write and not (is_owner(user, m) or may_verify(user, m) or may_edit_plan(user, m.plan)):
        raise PermissionDenied
    return m


def get_evidence_for_user(user, pk: int) -> Evidence:
    ev = Evidence.objects.select_related("measure").filter(pk=pk).first()
    if ev is None:
        raise Http404
    get_measure_for_user(user, ev.measure_id)
    return ev


def measures_owned_by(user) -> QuerySet[Measure]:
    me = person_of(user)
    if me is None:
        return Measure.objects.none()
    return (
        Measure.objects.filter(owner=me)
        .select_related("plan__unit", "plan__campaign", "responsible_unit", "owner")
        .order_by("status", "deadline")
    )


def measures_visible_to(user) -> QuerySet[Measure]:
    me = person_of(user)
    q = Q(plan__unit__in=units_where(user, Perm.RECTIFICATION_VIEW)) | Q(
        responsible_unit__in=units_where(user, Perm.RECTIFICATION_VIEW)
    )
    if me is not None:
        q |= Q(owner=me) | Q(responsible_leader=me)
    return Measure.objects.filter(q).select_related("plan__unit", "plan__campaign", "responsible_unit", "owner")


def closeout_queue(user) -> QuerySet[Measure]:
    """Close-out requests this user may decide (待办 of 销号), oldest request first: the measures of units
    where they manage rectification, those they lead and those of units they supervise, never their own."""
    me = person_of(user)
    manage = units_where(user, Perm.RECTIFICATION_MANAGE)
    # Plans by key (a sub-query of plan ids), not through a join: every column the rule reads is then on the
    # measure and in the partial index measure_closeout_queue, which PostgreSQL reads alone (no join of every
    # waiting measure of the city to its plan before the filter).
    q = Q(plan__in=RectificationPlan.objects.filter(unit__in=manage).values("pk")) | Q(responsible_unit__in=manage)
    if me is not None:
        # the supervised units by key, not a join (a join repeats rows and needs DISTINCT or an id sub-query,
        # after which the planner joins every measure of the city to its plan, unit and owner first)
        supervised = RectificationPlan.objects.filter(unit__in=Supervision.objects.filter(leader=me).values("unit_id"))
        q |= Q(queue_leader=me.pk) | Q(plan__in=supervised.values("pk"))
    # On SQLite the leader is tested on each row: with the leader's partial index (0009) as one more way in,
    # SQLite answered the OR by a union of four index searches, reading every measure of an office's units
    # (an institution's 100,000) where walking the waiting close-outs in order (measure_closeout_oldest)
    # finds its 20 oldest after a few dozen (full city: 120 → 12 ms, the count 109 → 29 ms).
    leader = NotAnIndexKey("responsible_leader_id") if connection.vendor == "sqlite" else F("responsible_leader_id")
    queue = Measure.objects.alias(queue_leader=leader).filter(q, status=Measure.Status.CLOSEOUT_REQUESTED)
    if me is not None:
        queue = queue.exclude(owner=me)
    return queue.select_related("plan__unit", "plan__campaign", "owner", "responsible_unit").order_by(
        "closeout_requested_at", "pk"
    )


def closeouts_to_verify(user) -> list[Measure]:
    """Close-out requests this user may decide (used by the home page and the index)."""
    return list(closeout_queue(user))


WARNING_COLOURS = (Measure.Colour.RED, Measure.Colour.YELLOW, Measure.Colour.GREEN)


class _NotInWritten(Func):
    """`NOT (column IN ('a', 'b'))` with the values written into the SQL text instead of bound: SQLite uses a
    partial index only where the query's WHERE implies the index's own condition when the statement is
    prepared, and a bound value is unknown then. Only for fixed values (choices: letters and underscores)."""

    output_field = BooleanField()

    def __init__(self, column: str, values):
        if not all(re.fullmatch("[a-z_]+", v) for v in values):
            raise ValueError(values)
        self.values = tuple(str(v) for v in values)
        super().__init__(column)

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"NOT ({column} IN ({', '.join(repr(v) for v in self.values)}))", params


def _warning_base(user, campaign) -> QuerySet[Measure]:
    # The unfinished statuses written out, as the condition of index measure_unfinished_warnings is: with the
    # two values bound, SQLite could not use that index (it read each plan's measures through the plan index
    # and then their rows: a city campaign's count and red page 1 s each at full size).
    approved = Q(plan__campaign=campaign, plan__status=RectificationPlan.Status.APPROVED)
    if connection.vendor == "postgresql":
        # The campaign's approved plans also by their ids, read first (one per unit taking part): PostgreSQL
        # sizes a join by the average plan, and took the 98 plans of a city's largest campaign (100,000 measures)
        # for 1,009 measures, so it read every measure of the city and hashed them against the plans (count
        # 123 ms, red page 84–108 ms at full size). With the ids it asks each plan's own statistics and reads
        # those plans' entries of the partial index alone (count 25–30 ms, red page 16–23 ms). The campaign stays
        # on the join (the same rows), so that the plans joined for the visibility test are its 98, not all 6,868
        # of the city hashed for each of the board's four statements. SQLite already walks the campaign's plans
        # and searches the index by each; the list only added a test of every measure read (count +5–15 ms).
        plans = RectificationPlan.objects.filter(campaign=campaign, status=RectificationPlan.Status.APPROVED)
        approved = Q(plan__in=list(plans.order_by().values_list("pk", flat=True)), plan__campaign=campaign)
    return measures_visible_to(user).filter(
        _NotInWritten("status", [Measure.Status.VERIFIED, Measure.Status.COMPLETED]),
        approved,
        deadline__isnull=False,
    )


def _warning_ranges(today, green_days: int, yellow_days: int) -> dict[str, Q]:
    """Each colour's deadlines, as `rectification.warnings.colour_for` colours them."""
    yellow_end = today + timedelta(days=yellow_days)
    return {
        Measure.Colour.RED: Q(deadline__lt=today),
        Measure.Colour.YELLOW: Q(deadline__gte=today, deadline__lte=yellow_end),
        Measure.Colour.GREEN: Q(deadline__gt=yellow_end, deadline__lte=today + timedelta(days=green_days)),
    }


def warning_measures(user, campaign, *, today, green_days: int, yellow_days: int) -> dict[str, QuerySet[Measure]]:
    """The unfinished measures of the campaign's approved plans that the user may see, by warning colour
    (red, yellow, green), each by deadline: the rows `rectification.warnings.colour_for` colours so, chosen
    by deadline ranges in the query (one campaign, one policy) instead of colouring every measure in Python."""
    qs = _warning_base(user, campaign).order_by("deadline", "pk")
    return {colour: qs.filter(q) for colour, q in _warning_ranges(today, green_days, yellow_days).items()}


def warning_counts(user, campaign, *, today, green_days: int, yellow_days: int) -> dict[str, int]:
    """How many measures `warning_measures` gives in each colour, in one pass over the campaign's measures
    with a filter per colour. (Counting each colour's rows through `pk IN (its query)` made PostgreSQL scan
    every measure of the city against three hashed sub-queries: 430 ms of the board's 720 ms of SQL.)"""
    ranges = _warning_ranges(today, green_days, yellow_days)
    # The three ranges together, as one range of the index (an OR of three made PostgreSQL read every entry of
    # the campaign's plans and drop the far deadlines only after: 46,000 of a city's largest campaign).
    last = today + timedelta(days=max(green_days, yellow_days))
    return (
        _warning_base(user, campaign)
        .filter(deadline__lte=last)
        .aggregate(**{colour: Count("pk", filter=q) for colour, q in ranges.items()})
    )


def closeouts_decided_by(user) -> QuerySet[CloseoutReview]:
    """已办 of 销号: the close-out decisions this user made, newest first."""
    return (
        CloseoutReview.objects.filter(reviewer=user)
        .select_related("measure__plan__unit", "measure__plan__campaign", "measure__owner", "measure__responsible_unit")
        .order_by("-at", "-pk")
    )


def extensions_to_decide(user):
    from .models import Extension

    me = person_of(user)
    manage = units_where(user, Perm.RECTIFICATION_MANAGE)
    q = Q(measure__plan__unit__in=manage) | Q(measure__responsible_unit__in=manage)
    if me is not None:
        q |= Q(measure__responsible_leader=me) | Q(measure__plan__unit__supervisors__leader=me)
    qs = Extension.objects.filter(q, status=Extension.Status.PENDING).exclude(requested_by=user)
    if me is not None:
        qs = qs.exclude(measure__owner=me)
    return qs.select_related("measure__plan__unit", "measure__owner").distinct()


def measure_has_evidence(measure: Measure) -> bool:
    return Evidence.objects.filter(measure=measure).exists()


def with_evidence_flag(qs: QuerySet[Measure]) -> QuerySet[Measure]:
    return qs.annotate(has_evidence=Exists(Evidence.objects.filter(measure=OuterRef("pk"))))


# ---------------------------------------------------------------- commitments


# Until the office approves it (示诺), a commitment is seen by its author and by those who view
# rectification of its unit; afterwards by everyone in the institution.
COMMITMENT_SHOWN = ("published", "practising", "assessing", "assessed")


def may_view_commitment(user, c: Commitment) -> bool:
    """Shown commitments are visible inside the institution (公开承诺 inside); drafts, those under
    review and those returned only to their author and to those who view rectification of the unit."""
    me = person_of(user)
    if me is not None and me.pk == c.person_id:
        return True
    if can(user, Perm.RECTIFICATION_VIEW, c.unit):
        return True
    if c.status not in COMMITMENT_SHOWN:
        return False
    inst_id = c.unit.institution_id or c.unit_id
    return me is not None and (me.unit.institution_id or me.unit_id) == inst_id


def may_edit_commitment(user, c: Commitment) -> bool:
    """The person who commits, or whoever manages rectification of the unit (a unit's commitment)."""
    me = person_of(user)
    return (me is not None and me.pk == c.person_id) or can(user, Perm.RECTIFICATION_MANAGE, c.unit)


def may_review_commitment(user, c: Commitment) -> bool:
    """The campaign office (rectification managed for the whole institution) reviews and judges;
    nobody reviews their own commitment."""
    me = person_of(user)
    if me is not None and me.pk == c.person_id:
        return False
    return can(user, Perm.RECTIFICATION_MANAGE, c.campaign.institution)


def may_report_commitment(user, c: Commitment, item: CommitmentItem) -> bool:
    """践诺: the person who committed or the item's person responsible; for a unit's commitment also
    whoever manages rectification of the unit."""
    me = person_of(user)
    if me is not None and me.pk in {c.person_id, item.owner_id} - {None}:
        return True
    return c.person_id is None and can(user, Perm.RECTIFICATION_MANAGE, c.unit)


def get_commitment_for_user(user, pk: int, write: bool = False) -> Commitment:
    c = (
        Commitment.objects.select_related("person", "unit", "campaign", "assessment_target__evaluation")
        .filter(pk=pk)
        .first()
    )
    if c is None or not may_view_commitment(user, c):
        raise Http404
    if write and not may_edit_commitment(user, c):
        raise PermissionDenied
    return c


def commitments_visible_to(user) -> QuerySet[Commitment]:
    me = person_of(user)
    q = Q(unit__in=units_where(user, Perm.RECTIFICATION_VIEW))
    if me is not None:
        q |= Q(person=me)
        inst_id = me.unit.institution_id or me.unit_id
        q |= (Q(unit__institution_id=inst_id) | Q(unit_id=inst_id)) & Q(status__in=COMMITMENT_SHOWN)
    return (
        Commitment.objects.filter(q)
        .select_related("person", "unit", "assessment_target__evaluation")
        .annotate(
            n_items=Count("items", distinct=True),
            n_done=Count("items", filter=Q(items__done_at__isnull=False), distinct=True),
        )
    )


# ---------------------------------------------------------------- campaigns


def campaigns_for(user):
    """Campaigns whose rectification the user takes part in: their own institution's, and those of the
    institutions where they may view rectification (the city office sees several)."""
    from campaigns.models import Campaign

    me = person_of(user)
    q = Q(institution__in=units_where(user, Perm.RECTIFICATION_VIEW))
    if me is not None:
        q |= Q(institution_id=me.unit.institution_id or me.unit_id)
    return (
        Campaign.objects.filter(q)
        .exclude(status=Campaign.Status.DRAFT)
        .select_related("institution")
        .order_by("-start_date", "-pk")
    )


def campaign_for(user, pk=None):
    """The campaign chosen (?campaign=pk) or the user's latest one; None when there is none."""
    qs = campaigns_for(user)
    if pk:
        try:
            return qs.filter(pk=int(pk)).first()
        except (TypeError, ValueError):
            return None
    return qs.first()
