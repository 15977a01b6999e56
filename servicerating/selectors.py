"""Reads of the service rating channel and the access rules on its objects.

Who may do what:
- view figures, rankings and cases: SERVICE_RATING_VIEW on the unit (every post on its own units, the
  campaign office on its institution, the city office on every institution);
- configure the channel, print posters, enter phone replies, import: SERVICE_RATING_MANAGE (the
  campaign office);
- decide a case: SERVICE_CASE_HANDLE on the case's handling unit (the rated unit's superior), and not
  someone of the rated unit, nor the person the rater named (conflict of interest).
Only released ratings and cases (see services.ratings_release) are ever shown.
"""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.registry import TaskItem
from orgs.access import POST_PERMS, ROLE_PERMS, Perm, can, has_any, person_of, units_where
from orgs.models import Person, Unit

from .models import Case, ChannelConfig, ServicePoint


def config_for(institution: Unit | None) -> ChannelConfig:
    """The institution's settings, or the defaults (unsaved) when the office has not set any."""
    if institution is None:
        return ChannelConfig()
    return ChannelConfig.objects.filter(institution=institution).first() or ChannelConfig(institution=institution)


def institutions_for(user, perm: str) -> QuerySet[Unit]:
    return units_where(user, perm).filter(kind=Unit.Kind.INSTITUTION).order_by("sort_order", "path")


def sees_city(user) -> bool:
    """May the user see the figures of every institution (the city office)?"""
    city = Unit.objects.filter(kind=Unit.Kind.CITY_OFFICE, parent__isnull=True).first()
    return city is not None and can(user, Perm.SERVICE_RATING_VIEW, city)


def point_by_code(code: str) -> ServicePoint | None:
    return ServicePoint.objects.select_related("unit", "unit__institution", "unit__parent").filter(code=code).first()


def points_for(user, perm: str, institution: Unit | None = None) -> QuerySet[ServicePoint]:
    qs = ServicePoint.objects.select_related("unit", "unit__parent", "handling_unit").filter(
        unit__in=units_where(user, perm)
    )
    if institution is not None:
        qs = qs.filter(unit__path__startswith=institution.path)
    return qs.order_by("unit__path")


def get_point_for_user(user, pk: int, write: bool = False) -> ServicePoint:
    """404 outside the user's units; PermissionDenied (403) where they may see but not manage."""
    from django.core.exceptions import PermissionDenied

    point = ServicePoint.objects.select_related("unit", "unit__institution", "handling_unit").filter(pk=pk).first()
    if point is None or not can(user, Perm.SERVICE_RATING_VIEW, point.unit):
        raise Http404
    if write and not can(user, Perm.SERVICE_RATING_MANAGE, point.unit):
        raise PermissionDenied
    return point


# ---------------------------------------------------------------- cases


def _own_unit_ids(person: Person | None) -> set[int]:
    """The units a person belongs to or holds a post in, with all their ancestors: a case about any
    of these units concerns the person's own unit."""
    if person is None:
        return set()
    paths = [person.unit.path, *person.posts.select_related("unit").values_list("unit__path", flat=True)]
    return {int(part) for path in paths for part in path.split("/") if part}


def may_decide_case(user, case: Case) -> bool:
    if not can(user, Perm.SERVICE_CASE_HANDLE, case.handling_unit):
        return False
    person = person_of(user)
    if person is not None and (case.named_person_id == person.pk or case.unit_id in _own_unit_ids(person)):
        return False
    return True


def cases_visible(user) -> QuerySet[Case]:
    """Released cases about a unit the user may view, or handled by a unit where they may decide."""
    return (
        Case.objects.filter(released=True)
        .filter(
            Q(unit__in=units_where(user, Perm.SERVICE_RATING_VIEW))
            | Q(handling_unit__in=units_where(user, Perm.SERVICE_CASE_HANDLE))
        )
        .select_related("unit", "handling_unit", "decided_by")
        .order_by("-opened_on", "unit__path", "id")
    )


def cases_to_decide(user) -> QuerySet[Case]:
    person = person_of(user)
    qs = Case.objects.filter(
        released=True,
        status=Case.Status.INVESTIGATING,
        handling_unit__in=units_where(user, Perm.SERVICE_CASE_HANDLE),
    ).exclude(unit_id__in=_own_unit_ids(person))
    if person is not None:
        qs = qs.exclude(named_person=person)
    return qs


def get_case_for_user(user, pk) -> Case:
    case = cases_visible(user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def case_deciders(case: Case) -> list:
    """The users who may decide `case` (for notifications)."""
    ancestors = [int(p) for p in case.handling_unit.path.split("/") if p]
    roles = [r for r, perms in ROLE_PERMS.items() if Perm.SERVICE_CASE_HANDLE in perms]
    posts = [k for k, perms in POST_PERMS.items() if Perm.SERVICE_CASE_HANDLE in perms]
    people = (
        Person.objects.filter(active=True, user__isnull=False)
        .filter(
            Q(roles__role__in=roles, roles__unit_id__in=ancestors)
            | Q(posts__kind__in=posts, posts__unit_id__in=ancestors)
        )
        .select_related("user", "unit")
        .distinct()
    )
    return [p.user for p in people if may_decide_case(p.user, case)]


def case_by_receipt(code: str) -> Case | None:
    from .services import receipt_hash

    code = (code or "").strip().upper()
    if not code:
        return None
    return (
        Case.objects.filter(receipt_hash=receipt_hash(code), released=True)
        .select_related("unit", "handling_unit")
        .first()
    )


def case_pending_by_receipt(code: str) -> bool:
    """A receipt whose case is not released yet (given today): the look-up says "received"."""
    from .services import receipt_hash

    return Case.objects.filter(receipt_hash=receipt_hash((code or "").strip().upper()), released=False).exists()


def tasks_for(user) -> list[TaskItem]:
    """Home page: 不满意 cases waiting for this user's decision."""
    from django.urls import reverse

    if not has_any(user, Perm.SERVICE_CASE_HANDLE):
        return []
    dues = list(cases_to_decide(user).values_list("due_on", flat=True))
    if not dues:
        return []
    return [
        TaskItem(
            label=_("%(n)s 不满意 service ratings to look into") % {"n": len(dues)},
            url=reverse("servicerating:cases") + "?status=investigating",
            count=len(dues),
            urgent=min(dues) < timezone.localdate(),
            due=min(dues),
        )
    ]
