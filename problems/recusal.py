"""回避 (recusal): an opinion or peer review about a person is never shown to that person nor decided
by them or by anyone they lead; it goes one level up.

| the person concerned            | who handles it instead                                      |
|---------------------------------|-------------------------------------------------------------|
| the principal leader            | the city office                                             |
| a leadership-team member        | the campaign office (the city office if all of it is led by them) |
| a department head               | the leadership-team member who supervises (分管) the department |
| anyone else                     | the usual handlers (department head, campaign office)       |

Whoever handles it, the people concerned and everyone they lead are left out (`leaders_of`).
"""

from django.db.models import Q

from orgs.models import Person, Post, RoleAssignment, Supervision, Unit
from orgs.selectors import institution_of, principal_leader_of, supervisor_of

from .models import Recusal

# Posts whose holder leads everyone in the post's unit and below (a leadership-team member leads
# only the departments they supervise, through Supervision).
LEADING_POSTS = (Post.Kind.PRINCIPAL_LEADER, Post.Kind.DEPARTMENT_HEAD)
_RANK = {Recusal.NONE: 0, Recusal.SUPERVISOR: 1, Recusal.OFFICE: 2, Recusal.CITY: 3}


def _ancestor_ids(units) -> set[int]:
    return {int(pk) for u in units for pk in u.path.strip("/").split("/") if pk}


def leaders_of(person: Person) -> set[int]:
    """Ids of the person and of everyone who leads them (head or principal of one of their units or
    above, 分管 leader of one of them or above)."""
    units = [person.unit, *Unit.objects.filter(posts__person=person)]
    above = _ancestor_ids(units)
    ids = {person.pk}
    ids |= set(Post.objects.filter(unit_id__in=above, kind__in=LEADING_POSTS).values_list("person_id", flat=True))
    ids |= set(Supervision.objects.filter(unit_id__in=above).values_list("leader_id", flat=True))
    return ids


def named_in_text(institution: Unit, text: str) -> list[Person]:
    """Active people of the institution whose full name appears in the text (two characters or more)."""
    people = Person.objects.filter(Q(unit=institution) | Q(unit__institution=institution), active=True).only(
        "pk", "name", "unit_id"
    )
    return [p for p in people if len(p.name) >= 2 and p.name in text]


def _office_people(institution: Unit) -> list[Person]:
    return [
        ra.person
        for ra in RoleAssignment.objects.filter(
            role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=institution, person__active=True
        ).select_related("person__unit")
    ]


def _route_for_one(person: Person, institution: Unit) -> tuple[str, Person | None]:
    if principal_leader_of(institution) == person:
        return Recusal.CITY, None
    posts = list(Post.objects.filter(person=person).select_related("unit"))
    if any(p.kind == Post.Kind.LEADERSHIP_MEMBER for p in posts):
        return Recusal.OFFICE, None
    headed = [p.unit for p in posts if p.kind == Post.Kind.DEPARTMENT_HEAD]
    if headed:
        supervisors = {supervisor_of(u) for u in headed}
        sup = supervisors.pop() if len(supervisors) == 1 else None
        return (Recusal.SUPERVISOR, sup) if sup is not None and sup != person else (Recusal.OFFICE, None)
    return Recusal.NONE, None


def route_for(people: list[Person], unit: Unit) -> tuple[str, Person | None]:
    """Where input about `people` (of `unit`'s institution) goes: (route, the 分管 leader or None)."""
    institution = institution_of(unit) or unit
    route, handler = Recusal.NONE, None
    for person in people:
        r, h = _route_for_one(person, institution)
        if _RANK[r] > _RANK[route]:
            route, handler = r, h
        elif r == route == Recusal.SUPERVISOR and h != handler:
            route, handler = Recusal.OFFICE, None
    if route == Recusal.OFFICE:
        recused = {p.pk for p in people}
        if not any(not (leaders_of(o) & recused) for o in _office_people(institution)):
            route = Recusal.CITY
    return route, handler
