"""Who may do what where: the only place that maps roles and posts to permissions.

Two questions are answered here and nowhere else:
  can(user, perm, unit)   -> may this user do `perm` on this unit?
  units_where(user, perm) -> the units where they may.
Object-level rules (the author of a report, the owner of a measure) live in each app's
selectors, which start from these two functions.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Post, RoleAssignment, Unit


class Perm:
    ORG_MANAGE = "org.manage"
    CAMPAIGN_VIEW = "campaign.view"
    CAMPAIGN_MANAGE = "campaign.manage"
    PROBLEM_VIEW = "problem.view"
    PROBLEM_EDIT = "problem.edit"
    OPINION_TRIAGE = "opinion.triage"
    REPORT_VIEW = "report.view"
    REPORT_REVIEW_CITY = "report.review_city"
    MEETING_VIEW = "meeting.view"
    MEETING_MANAGE = "meeting.manage"
    EVALUATION_VIEW = "evaluation.view"
    EVALUATION_MANAGE = "evaluation.manage"
    RECTIFICATION_VIEW = "rectification.view"
    RECTIFICATION_MANAGE = "rectification.manage"
    ACCOUNTABILITY_VIEW = "accountability.view"
    ACCOUNTABILITY_DECIDE = "accountability.decide"
    DISCLOSURE_MANAGE = "disclosure.manage"
    ANALYSIS_VIEW = "analysis.view"
    AUDIT_VIEW = "audit.view"
    SERVICE_RATING_VIEW = "servicerating.view"
    SERVICE_RATING_MANAGE = "servicerating.manage"
    SERVICE_CASE_HANDLE = "servicerating.handle"


VIEW_PERMS = frozenset(
    {
        Perm.CAMPAIGN_VIEW,
        Perm.PROBLEM_VIEW,
        Perm.REPORT_VIEW,
        Perm.MEETING_VIEW,
        Perm.EVALUATION_VIEW,
        Perm.RECTIFICATION_VIEW,
        Perm.ACCOUNTABILITY_VIEW,
        Perm.ANALYSIS_VIEW,
        Perm.SERVICE_RATING_VIEW,
    }
)
ALL_PERMS = frozenset(v for k, v in vars(Perm).items() if k.isupper())

ROLE_PERMS: dict[str, frozenset[str]] = {
    RoleAssignment.Role.CAMPAIGN_OFFICE: ALL_PERMS - {Perm.REPORT_REVIEW_CITY},
    RoleAssignment.Role.CITY_OFFICE: VIEW_PERMS
    | {Perm.ORG_MANAGE, Perm.AUDIT_VIEW, Perm.ACCOUNTABILITY_DECIDE, Perm.REPORT_REVIEW_CITY, Perm.SERVICE_CASE_HANDLE},
    RoleAssignment.Role.AUDITOR: VIEW_PERMS | {Perm.AUDIT_VIEW},
}

# Posts grant rights on the post's unit and everything below it.
POST_PERMS: dict[str, frozenset[str]] = {
    Post.Kind.PRINCIPAL_LEADER: VIEW_PERMS,
    Post.Kind.LEADERSHIP_MEMBER: VIEW_PERMS - {Perm.ACCOUNTABILITY_VIEW},
    Post.Kind.DEPARTMENT_HEAD: (
        VIEW_PERMS
        | {
            Perm.PROBLEM_EDIT,
            Perm.OPINION_TRIAGE,
            Perm.MEETING_MANAGE,
            Perm.RECTIFICATION_MANAGE,
            Perm.SERVICE_CASE_HANDLE,
        }
    )
    - {Perm.ACCOUNTABILITY_VIEW},
    Post.Kind.DEPARTMENT_MEMBER: (VIEW_PERMS | {Perm.PROBLEM_EDIT}) - {Perm.ACCOUNTABILITY_VIEW},
}


@dataclass(frozen=True)
class Grant:
    perms: frozenset[str]
    unit_id: int
    path: str
    include_subunits: bool

    def covers(self, unit: Unit) -> bool:
        if self.include_subunits:
            return unit.path.startswith(self.path)
        return unit.pk == self.unit_id


def grants_for(user) -> list[Grant]:
    """All grants of a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_rectify_grants", None)
    if cached is not None:
        return cached
    grants: list[Grant] = []
    person = getattr(user, "person", None)
    if person is not None and person.active:
        for ra in RoleAssignment.objects.filter(person=person).select_related("unit"):
            grants.append(Grant(ROLE_PERMS[ra.role], ra.unit_id, ra.unit.path, ra.include_subunits))
        for post in Post.objects.filter(person=person, kind__in=list(POST_PERMS)).select_related("unit"):
            grants.append(Grant(POST_PERMS[post.kind], post.unit_id, post.unit.path, True))
    user._rectify_grants = grants
    return grants


def can(user, perm: str, unit: Unit | None) -> bool:
    """May `user` do `perm` on `unit`? Superusers may do everything."""
    if not getattr(user, "is_authenticated", False) or unit is None:
        return False
    if user.is_superuser:
        return True
    return any(perm in g.perms and g.covers(unit) for g in grants_for(user))


def units_where(user, perm: str) -> QuerySet[Unit]:
    """The units on which `user` may do `perm` (a queryset, usable in subqueries)."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    q = Q()
    matched = False
    for g in grants_for(user):
        if perm in g.perms:
            matched = True
            q |= Q(path__startswith=g.path) if g.include_subunits else Q(pk=g.unit_id)
    return Unit.objects.filter(q) if matched else Unit.objects.none()


def has_any(user, perm: str) -> bool:
    """Does the user hold `perm` anywhere? (Navigation uses this.)"""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or any(perm in g.perms for g in grants_for(user))


def person_of(user):
    """The Person behind a login, or None."""
    return getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
