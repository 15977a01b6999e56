"""Reads about self-inspection reports: who may see which, what waits for whom, what each unit owes.

Who may read a report (`reports_visible_to`, `get_report_for_user`):
  - its author (report.person's login);
  - whoever reviews or reviewed it (the routed reviewer; city-office officials for city-office reports);
  - anyone holding `report.view` on the report's unit: the institution's leaders see every report of
    the institution, a department head / department leadership member only their department's, the
    city office all institutions', the campaign office its institution's. Cadres and staff hold no
    `report.view`, so a cadre never reads another cadre's report.
Only the author may change a report.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignUnit
from orgs.access import Perm, can, person_of, units_where
from orgs.models import Person, Post, Unit
from orgs.selectors import head_of, principal_leader_of

from .models import ReportReview, SelfReport

K = SelfReport.AuthorKind

# The posts that oblige a person to write a report, and the report kinds they write.
DUTIES_BY_POST = {
    Post.Kind.PRINCIPAL_LEADER: (K.PRINCIPAL, K.TEAM),
    Post.Kind.LEADERSHIP_MEMBER: (K.LEADERSHIP_MEMBER,),
    Post.Kind.DEPARTMENT_HEAD: (K.DEPARTMENT,),
    Post.Kind.DEPARTMENT_MEMBER: (K.DEPARTMENT_MEMBER,),
    Post.Kind.CADRE: (K.CADRE,),
}


def overdue_after() -> timedelta:
    return timedelta(days=getattr(settings, "REPORT_REVIEW_OVERDUE_DAYS", 5))


def _base() -> QuerySet[SelfReport]:
    return SelfReport.objects.select_related("unit", "person", "reviewer__person", "campaign")


def reports_visible_to(user) -> QuerySet[SelfReport]:
    """Every report `user` may read (see the module docstring)."""
    if not getattr(user, "is_authenticated", False):
        return SelfReport.objects.none()
    q = Q(unit__in=units_where(user, Perm.REPORT_VIEW)) | Q(person__user=user) | Q(reviewer=user)
    q |= Q(pk__in=SelfReport.objects.filter(reviews__reviewer=user).values("pk"))
    return _base().filter(q)


def may_read(user, report: SelfReport) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        is_author(user, report)
        or report.reviewer_id == user.pk
        or can(user, Perm.REPORT_VIEW, report.unit)
        or report.reviews.filter(reviewer=user).exists()
    )


def is_author(user, report: SelfReport) -> bool:
    person = person_of(user)
    return person is not None and report.person_id == person.pk


def may_review(user, report: SelfReport) -> bool:
    """May `user` decide on the report now? (Not the author; the routed reviewer or a city official.)"""
    if report.status != SelfReport.Status.SUBMITTED or report.routing_problem or is_author(user, report):
        return False
    if report.reviewer_is_city_office:
        return can(user, Perm.REPORT_REVIEW_CITY, report.unit)
    return report.reviewer_id is not None and report.reviewer_id == user.pk


def get_report_for_user(user, pk: int, write: bool = False) -> SelfReport:
    """The report if `user` may read it (404 otherwise); with `write`, PermissionDenied unless they wrote it."""
    report = _base().filter(pk=pk).first()
    if report is None or not may_read(user, report):
        raise Http404
    if write and not is_author(user, report):
        raise PermissionDenied
    return report


def review_queue(user) -> QuerySet[SelfReport]:
    """Submitted reports waiting for `user`'s decision, oldest first (never their own)."""
    if not getattr(user, "is_authenticated", False):
        return SelfReport.objects.none()
    q = Q(reviewer=user)
    if any(True for _ in units_where(user, Perm.REPORT_REVIEW_CITY)[:1]):
        q |= Q(reviewer_is_city_office=True, unit__in=units_where(user, Perm.REPORT_REVIEW_CITY))
    return (
        _base()
        .filter(q, status=SelfReport.Status.SUBMITTED, routing_problem="")
        .exclude(person__user=user)
        .order_by("submitted_at", "pk")
    )


def unrouted_for(user) -> QuerySet[SelfReport]:
    """Submitted reports nobody can review yet, for the campaign office that must fix the cause."""
    return (
        _base()
        .filter(unit__in=units_where(user, Perm.CAMPAIGN_MANAGE), status=SelfReport.Status.SUBMITTED)
        .exclude(routing_problem="")
        .order_by("submitted_at", "pk")
    )


def is_overdue(report: SelfReport, now=None) -> bool:
    now = now or timezone.now()
    return (
        report.status == SelfReport.Status.SUBMITTED
        and report.submitted_at is not None
        and now - report.submitted_at > overdue_after()
    )


# ---- which reports are owed --------------------------------------------------------------------


def _ancestor_ids(unit: Unit) -> list[int]:
    return [int(x) for x in unit.path.strip("/").split("/") if x]


def participant_for(unit: Unit) -> CampaignUnit | None:
    """The participation (in an active campaign) that covers `unit`: the unit itself or its nearest
    ancestor taking part (a section's reports count for its department)."""
    rows = list(
        CampaignUnit.objects.filter(campaign__status=Campaign.Status.ACTIVE, unit_id__in=_ancestor_ids(unit))
        .select_related("unit", "campaign")
        .order_by("-unit__depth")[:1]
    )
    return rows[0] if rows else None


@dataclass
class Duty:
    """A report a person must write (and the report, once started)."""

    author_kind: str
    unit: Unit
    participant: CampaignUnit
    report: SelfReport | None = None

    @property
    def label(self) -> str:
        return report_title(self.author_kind, self.unit, None)


def report_title(author_kind: str, unit: Unit, person: Person | None) -> str:
    if author_kind == K.TEAM:
        return _("Self-inspection report of the leadership team of %(unit)s") % {"unit": unit}
    if author_kind == K.DEPARTMENT:
        return _("Self-inspection report of %(unit)s") % {"unit": unit}
    if person is None:
        return _("Personal self-inspection report (%(kind)s)") % {"kind": K(author_kind).label}
    return _("Personal self-inspection report of %(name)s") % {"name": person}


def duties_of(person: Person | None) -> list[Duty]:
    """The reports `person` must write in active campaigns, with the report where one was started."""
    if person is None:
        return []
    duties: list[Duty] = []
    for post in person.posts.filter(kind__in=list(DUTIES_BY_POST)).select_related("unit"):
        participant = participant_for(post.unit)
        if participant is None:
            continue
        for kind in DUTIES_BY_POST[post.kind]:
            duties.append(Duty(kind, post.unit, participant))
    if not duties:
        return []
    found = _base().filter(
        Q(person=person) | Q(author_kind__in=SelfReport.UNIT_KINDS, unit__in=[d.unit for d in duties]),
        campaign_id__in={d.participant.campaign_id for d in duties},
    )
    index = {
        (r.campaign_id, r.round, r.author_kind, _subject_key(r.author_kind, r.unit_id, r.person_id)): r for r in found
    }
    for d in duties:
        key = _subject_key(d.author_kind, d.unit.pk, person.pk)
        d.report = index.get((d.participant.campaign_id, d.participant.round, d.author_kind, key))
    return duties


def _subject_key(author_kind: str, unit_id: int, person_id: int | None) -> int | None:
    """A unit's report is one per unit; a personal report one per person."""
    return unit_id if author_kind in SelfReport.UNIT_KINDS else person_id


def author_for(author_kind: str, unit: Unit, person: Person | None) -> Person | None:
    """Who writes a report: the person for personal reports; the head for a department's; the principal
    leader for the leadership team's."""
    if author_kind == K.TEAM:
        return principal_leader_of(unit)
    if author_kind == K.DEPARTMENT:
        return head_of(unit)
    return person


# ---- the FINDING gate's view of a participant ----------------------------------------------------


@dataclass
class Requirement:
    author_kind: str
    unit: Unit
    person: Person | None
    report: SelfReport | None


def requirements_for(participant: CampaignUnit) -> list[Requirement]:
    """The reports a participating unit depends on before its meeting (see reports/gates.py).

    Institution: the leadership team's and the principal leader's reports and every leadership-team
    member's (started or not), plus any other leadership-member report started this round.
    Department: the department's report and each department leadership member's, plus every cadre
    report started in the department (the ones that exist).
    """
    return requirements_for_many([participant])[participant.pk]


# Above this many units, the reports are read for their whole campaigns (all under one institution)
# instead of naming each unit's subtree in the query.
_NAMED_SCOPES = 20


def requirements_for_many(participants: list[CampaignUnit]) -> dict[int, list[Requirement]]:
    """`requirements_for` of many participating units (with `unit` loaded), by participant pk, in two
    queries whatever their number: the reports of their campaigns and rounds in their units (and, for a
    department, below it), and the posts that name the authors (principal leader or head, members)."""
    insts = [p for p in participants if p.unit.kind == Unit.Kind.INSTITUTION]
    depts = [p for p in participants if p.unit.kind != Unit.Kind.INSTITUTION]
    posts = (
        Post.objects.filter(
            Q(
                unit_id__in={p.unit_id for p in insts},
                kind__in=[Post.Kind.PRINCIPAL_LEADER, Post.Kind.LEADERSHIP_MEMBER],
            )
            | Q(
                unit_id__in={p.unit_id for p in depts},
                kind__in=[Post.Kind.DEPARTMENT_HEAD, Post.Kind.DEPARTMENT_MEMBER],
            )
        )
        .select_related("person")
        .order_by("person__name", "person_id", "pk")  # the members' order; the head is the first post by pk
    )
    leader: dict[int, Post] = {}
    members: dict[int, list[Person]] = {}
    for post in posts:
        if post.kind in (Post.Kind.PRINCIPAL_LEADER, Post.Kind.DEPARTMENT_HEAD):
            if post.unit_id not in leader or post.pk < leader[post.unit_id].pk:
                leader[post.unit_id] = post
        elif post.person.active:
            members.setdefault(post.unit_id, []).append(post.person)
    scope = Q(unit_id__in={p.unit_id for p in insts})
    if len(participants) > _NAMED_SCOPES:
        scope = Q()
    else:
        for p in depts:
            scope |= Q(unit__path__startswith=p.unit.path)
    # A report counts for the institution it was written in, and for each participating department
    # whose subtree holds its unit.
    own = {(p.campaign_id, p.round, p.unit_id): p.pk for p in insts}
    below = {(p.campaign_id, p.round, p.unit.path): p.pk for p in depts}
    found: dict[int, list[SelfReport]] = {p.pk: [] for p in participants}
    reports = _base().filter(
        scope, campaign_id__in={p.campaign_id for p in participants}, round__in={p.round for p in participants}
    )
    for r in reports.order_by("-updated_at", "-pk"):
        if (r.campaign_id, r.round, r.unit_id) in own:
            found[own[r.campaign_id, r.round, r.unit_id]].append(r)
        path = r.unit.path
        for end in (i + 1 for i, ch in enumerate(path) if ch == "/"):
            pk = below.get((r.campaign_id, r.round, path[:end]))
            if pk is not None:
                found[pk].append(r)
    out = {}
    for p in participants:
        head = leader.get(p.unit_id)
        out[p.pk] = _requirements(p.unit, found[p.pk], head.person if head else None, members.get(p.unit_id, []))
    return out


def _requirements(unit: Unit, reports: list[SelfReport], head: Person | None, members: list[Person]):
    by_unit_kind = {(r.unit_id, r.author_kind): r for r in reports if r.author_kind in SelfReport.UNIT_KINDS}
    by_person_kind = {(r.person_id, r.author_kind): r for r in reports if r.author_kind not in SelfReport.UNIT_KINDS}
    reqs: list[Requirement] = []
    if unit.kind == Unit.Kind.INSTITUTION:
        reqs.append(Requirement(K.TEAM, unit, head, by_unit_kind.get((unit.pk, K.TEAM))))
        reqs.append(Requirement(K.PRINCIPAL, unit, head, by_person_kind.get((getattr(head, "pk", None), K.PRINCIPAL))))
        member_kind, started_kind = K.LEADERSHIP_MEMBER, K.LEADERSHIP_MEMBER
    else:
        reqs.append(Requirement(K.DEPARTMENT, unit, head, by_unit_kind.get((unit.pk, K.DEPARTMENT))))
        member_kind, started_kind = K.DEPARTMENT_MEMBER, K.CADRE
    required = {(m.pk, member_kind) for m in members}
    for m in members:
        reqs.append(Requirement(member_kind, unit, m, by_person_kind.get((m.pk, member_kind))))
    extra = [
        r
        for r in reports
        if r.author_kind in (member_kind, started_kind) and (r.person_id, r.author_kind) not in required
    ]
    reqs += [Requirement(r.author_kind, r.unit, r.person, r) for r in extra]
    return reqs


# ---------------------------------------------------------------- reports by state, per unit
REPORT_STATES = ("not_started", "draft", "submitted", "returned", "approved")


def state_of(report: SelfReport | None) -> str:
    """未开始 / 草稿 / 待审定 / 退回 / 已审定 (a report waiting for routing is 待审定)."""
    return "not_started" if report is None else report.status


@dataclass
class StateRow:
    author_kind: str
    person: Person | None
    report: SelfReport | None
    required: bool  # the FINDING gate waits for it

    @property
    def state(self) -> str:
        return state_of(self.report)

    @property
    def kind_label(self) -> str:
        return K(self.author_kind).label


@dataclass
class UnitStates:
    participant: CampaignUnit
    rows: list[StateRow]

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(REPORT_STATES, 0)
        for r in self.rows:
            out[r.state] += 1
        return out


def report_states(campaign: Campaign, user) -> list[UnitStates]:
    """For the campaign office and leaders (report.view): per participating unit they may see, every
    report it owes (the FINDING gate's, started or not) and every cadre's (started or not), with its
    state."""
    participants = list(
        campaign.participants.filter(unit__in=units_where(user, Perm.REPORT_VIEW))
        .select_related("unit", "campaign")
        .order_by("unit__path")
    )
    # A fixed number of queries whatever the number of units: the requirements of all of them at once (as
    # the stage gates read them), and the active cadres of every department in one query.
    requirements = requirements_for_many(participants)
    depts = [p.unit_id for p in participants if p.unit.kind != Unit.Kind.INSTITUTION]
    cadres: dict[int, list[Person]] = {}
    if depts:
        posts = (
            Post.objects.filter(unit_id__in=depts, kind=Post.Kind.CADRE, person__active=True)
            .select_related("person")
            .order_by("person__name", "person_id", "pk")
        )
        for post in posts:
            listed = cadres.setdefault(post.unit_id, [])
            if not listed or listed[-1].pk != post.person_id:  # one row per person (a person with two posts)
                listed.append(post.person)
    out = []
    for participant in participants:
        rows = [StateRow(r.author_kind, r.person, r.report, True) for r in requirements[participant.pk]]
        if participant.unit.kind != Unit.Kind.INSTITUTION:
            listed = {r.person.pk for r in rows if r.person and r.author_kind == K.CADRE}
            rows += [
                StateRow(K.CADRE, p, None, False) for p in cadres.get(participant.unit_id, []) if p.pk not in listed
            ]
        out.append(UnitStates(participant, rows))
    return out


def last_return(report: SelfReport):
    """The review that last returned the report, while the author is redoing it (the comment to answer);
    None once the report is submitted or approved again."""
    from .models import ReportReview

    if report.status not in (SelfReport.Status.RETURNED, SelfReport.Status.DRAFT):
        return None
    review = report.reviews.select_related("version", "reviewer__person").order_by("-at", "-pk").first()
    if review is None or review.decision != ReportReview.Decision.RETURNED:
        return None
    return review


def reviews_by(user) -> QuerySet[ReportReview]:
    """The decisions `user` recorded (已办 of the review queue), newest first."""
    return (
        ReportReview.objects.filter(reviewer=user)
        .select_related("report__unit", "report__person", "version")
        .order_by("-at", "-pk")
    )
