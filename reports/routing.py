"""Who reviews a self-inspection report (domain.md §4). Rectification plans use the same chain.

| author_kind          | reviewer                                                              |
|----------------------|-----------------------------------------------------------------------|
| team, principal      | the city office: any city-office official above the institution       |
| leadership_member    | the principal leader (the team's head; the city office reviews only   |
|                      | the team's and the principal's own reports, plan §9)                  |
| department (head's)  | the leadership-team member who supervises (分管) the department        |
| department_member    | the same 分管 leader                                                   |
| cadre                | the department's leader (部门负责人), looking up from the cadre's unit |

When nobody can review, `Route.problem` says in the user's language what the campaign office must fix
(set a 分管 leader, appoint a head, issue a login); the caller keeps the report waiting for routing.
Nobody is ever routed their own report.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from orgs.models import Person, RoleAssignment, Unit
from orgs.selectors import head_of, institution_of, principal_leader_of, supervisor_of

# author_kind values (the same as reports.models.SelfReport.AuthorKind; strings so that
# rectification can call this without importing report models)
TEAM = "team"
PRINCIPAL = "principal"
LEADERSHIP_MEMBER = "leadership_member"
DEPARTMENT = "department"
DEPARTMENT_MEMBER = "department_member"
CADRE = "cadre"


@dataclass(frozen=True)
class Route:
    user: object | None  # the reviewing User; None for the city office (any official) or when unroutable
    is_city_office: bool = False
    problem: str = ""  # non-empty: nobody can review; what the campaign office must fix
    person: Person | None = None  # the reviewing Person, when one person reviews

    @property
    def ok(self) -> bool:
        return not self.problem


def city_officials_for(unit: Unit) -> list[Person]:
    """Active city-office officials (with a login) whose role covers the unit's institution."""
    inst = institution_of(unit) or unit
    found = []
    for ra in RoleAssignment.objects.filter(
        role=RoleAssignment.Role.CITY_OFFICE, person__active=True, person__user__isnull=False
    ).select_related("unit", "person__user"):
        covers = inst.path.startswith(ra.unit.path) if ra.include_subunits else ra.unit_id == inst.pk
        if covers and ra.person not in found:
            found.append(ra.person)
    return found


def department_of(unit: Unit) -> Unit:
    """The top-level unit under the institution that contains `unit` (the department taking part)."""
    node = unit
    while node.parent_id and node.parent.kind not in (Unit.Kind.INSTITUTION, Unit.Kind.CITY_OFFICE):
        node = node.parent
    return node


def _cadre_leader(unit: Unit, person: Person | None) -> Person | None:
    """The nearest department head from the cadre's unit upwards (a section has no head post of its own
    in most institutions), stopping below the institution."""
    node = unit
    while node is not None and node.kind not in (Unit.Kind.INSTITUTION, Unit.Kind.CITY_OFFICE):
        head = head_of(node)
        if head is not None and head != person:
            return head
        node = node.parent
    return None


def _person_route(reviewer: Person | None, author: Person | None, missing: str) -> Route:
    if reviewer is None:
        return Route(user=None, problem=missing)
    if author is not None and reviewer.pk == author.pk:
        return Route(
            user=None,
            problem=_("%(name)s would have to review their own report; assign another reviewer.") % {"name": author},
        )
    if not reviewer.active:
        return Route(user=None, problem=_("The reviewer %(name)s is no longer active.") % {"name": reviewer})
    if reviewer.user_id is None:
        return Route(
            user=None,
            person=reviewer,
            problem=_("The reviewer %(name)s has no login; issue one so they can review.") % {"name": reviewer},
        )
    return Route(user=reviewer.user, person=reviewer)


def resolve_reviewer(*, unit: Unit, author_kind: str, person: Person | None) -> Route:
    """Find who must review a report (or plan) of `author_kind` written for `unit` by/about `person`.

    Pure read; any caller may use it. Never returns the author as reviewer.
    """
    if author_kind in (TEAM, PRINCIPAL):
        inst = institution_of(unit) or unit
        if city_officials_for(inst):
            return Route(user=None, is_city_office=True)
        return Route(
            user=None,
            is_city_office=True,
            problem=_("No city-office official with a login covers %(inst)s; the city office must assign one.")
            % {"inst": inst},
        )
    if author_kind == LEADERSHIP_MEMBER:
        inst = institution_of(unit) or unit
        return _person_route(
            principal_leader_of(inst),
            person,
            _("%(inst)s has no principal leader; appoint one in the organisation.") % {"inst": inst},
        )
    if author_kind in (DEPARTMENT, DEPARTMENT_MEMBER):
        dept = department_of(unit)
        return _person_route(
            supervisor_of(unit),
            person,
            _("No supervising leader (分管领导) is set for %(unit)s; set one in the organisation.") % {"unit": dept},
        )
    if author_kind == CADRE:
        dept = department_of(unit)
        return _person_route(
            _cadre_leader(unit, person),
            person,
            _("%(unit)s has no department head; appoint one in the organisation.") % {"unit": dept},
        )
    raise ValueError(f"unknown author_kind {author_kind!r}")
