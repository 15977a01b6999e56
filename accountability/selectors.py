"""Reads for the accountability register.

Who sees a case: whoever holds `accountability.view` on its unit (the city office every institution's,
the campaign office and the principal leader their institution's) and the person concerned.
Who changes it: whoever holds `accountability.decide` there (campaign office, city office).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from orgs.access import Perm, can, person_of, units_where
from orgs.models import Person

from .models import AccountabilityCase, Restriction


def cases_visible_to(user) -> QuerySet[AccountabilityCase]:
    if not getattr(user, "is_authenticated", False):
        return AccountabilityCase.objects.none()
    q = Q(unit__in=units_where(user, Perm.ACCOUNTABILITY_VIEW))
    person = person_of(user)
    if person is not None:
        q |= Q(person=person)
    return (
        AccountabilityCase.objects.filter(q)
        .select_related("person", "unit", "institution", "decided_by")
        .prefetch_related("decided_measures", "proposed_measures")
    )


def get_case_for_user(user, pk: int, write: bool = False) -> AccountabilityCase:
    """The case if `user` may see it (404 otherwise); with `write`, PermissionDenied unless they may decide."""
    case = cases_visible_to(user).filter(pk=pk).first()
    if case is None:
        raise Http404
    if write and not can(user, Perm.ACCOUNTABILITY_DECIDE, case.unit):
        raise PermissionDenied
    return case


def _blocking(year: int) -> QuerySet[AccountabilityCase]:
    return AccountabilityCase.objects.filter(
        status__in=[AccountabilityCase.Status.DECIDED, AccountabilityCase.Status.CLOSED],
        decided_on__year=year,
        decided_measures__blocks_commendation=True,
    )


def not_eligible_for_commendation(person: Person, year: int) -> bool:
    """True when a measure decided against `person` in `year` bars commendation (评优评先) that year."""
    return _blocking(year).filter(person=person).exists()


def ineligible_person_ids(person_ids, year: int) -> set[int]:
    """The subset of `person_ids` not eligible for commendation in `year` (one query, for lists)."""
    return set(_blocking(year).filter(person_id__in=list(person_ids)).values_list("person_id", flat=True))


def cases_of(person: Person) -> QuerySet[AccountabilityCase]:
    return AccountabilityCase.objects.filter(person=person).prefetch_related("decided_measures")


def deciders_of(unit) -> list:
    """Logins of the office that decides a case on `unit`: the campaign office over the unit; for a case
    on an institution itself (its principal leader, its leadership team), the city office above it."""
    from orgs.models import RoleAssignment, Unit

    role = (
        RoleAssignment.Role.CITY_OFFICE if unit.kind == Unit.Kind.INSTITUTION else RoleAssignment.Role.CAMPAIGN_OFFICE
    )
    users = []
    assignments = RoleAssignment.objects.filter(
        role=role, person__active=True, person__user__isnull=False
    ).select_related("unit", "person__user")
    for ra in assignments:
        if ra.unit_id == unit.pk or (ra.include_subunits and unit.path.startswith(ra.unit.path)):
            users.append(ra.person.user)
    return users


def restrictions_visible_to(user) -> QuerySet[Restriction]:
    """Restrictions (影响期) the user may see: as for cases (their units' people, and their own)."""
    if not getattr(user, "is_authenticated", False):
        return Restriction.objects.none()
    q = Q(unit__in=units_where(user, Perm.ACCOUNTABILITY_VIEW))
    person = person_of(user)
    if person is not None:
        q |= Q(person=person)
    return Restriction.objects.filter(q).select_related("person", "unit")


def restrictions_in_force(queryset, on) -> QuerySet[Restriction]:
    return queryset.filter(starts_on__lte=on, ends_on__gt=on)


def person_record_for_user(user, person_pk: int) -> dict:
    """A person's accountability record (cases and restrictions) as far as `user` may see it; 404 when
    they may see nothing of that person."""
    person = Person.objects.filter(pk=person_pk).select_related("unit").first()
    if person is None:
        raise Http404
    own = person_of(user)
    if not ((own is not None and own.pk == person.pk) or can(user, Perm.ACCOUNTABILITY_VIEW, person.unit)):
        raise Http404
    return {
        "person": person,
        "cases": cases_visible_to(user).filter(person=person).order_by("-opened_at"),
        "restrictions": restrictions_visible_to(user).filter(person=person),
    }
