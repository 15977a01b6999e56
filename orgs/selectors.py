"""Reads about the organisation."""

from django.db.models import QuerySet
from django.http import Http404

from .access import Perm, can, units_where
from .models import Person, Post, Unit


def my_units(user) -> list[dict]:
    """The units where the user holds a post or role, for the home page."""
    person = getattr(user, "person", None)
    if person is None:
        return []
    rows = [{"unit": p.unit, "role": p.get_kind_display()} for p in person.posts.select_related("unit")]
    rows += [{"unit": r.unit, "role": r.get_role_display()} for r in person.roles.select_related("unit")]
    return rows


def subtree(unit: Unit) -> QuerySet[Unit]:
    """The unit and everything below it."""
    return Unit.objects.filter(path__startswith=unit.path)


def institution_of(unit: Unit) -> Unit | None:
    if unit.kind == Unit.Kind.INSTITUTION:
        return unit
    return unit.institution


def principal_leader_of(unit: Unit) -> Person | None:
    """The principal leader of the unit's institution (主要负责人)."""
    inst = institution_of(unit)
    if inst is None:
        return None
    post = Post.objects.filter(unit=inst, kind=Post.Kind.PRINCIPAL_LEADER).select_related("person").first()
    return post.person if post else None


def head_of(unit: Unit) -> Person | None:
    """The department head of a unit (部门负责人); for an institution, its principal leader."""
    if unit.kind == Unit.Kind.INSTITUTION:
        return principal_leader_of(unit)
    post = Post.objects.filter(unit=unit, kind=Post.Kind.DEPARTMENT_HEAD).select_related("person").first()
    return post.person if post else None


def supervisor_of(unit: Unit) -> Person | None:
    """The leadership-team member who supervises (分管) the unit, looking up the tree."""
    node = unit
    while node is not None and node.kind != Unit.Kind.INSTITUTION:
        sup = node.supervisors.select_related("leader").first()
        if sup:
            return sup.leader
        node = node.parent
    return None


def leadership_team_of(institution: Unit) -> QuerySet[Person]:
    return Person.objects.filter(
        posts__unit=institution,
        posts__kind__in=[Post.Kind.PRINCIPAL_LEADER, Post.Kind.LEADERSHIP_MEMBER],
        active=True,
    ).distinct()


def get_unit_for_user(user, pk: int, write: bool = False) -> Unit:
    """A unit the user may see (404 otherwise); PermissionDenied if `write` and they may not manage it."""
    from django.core.exceptions import PermissionDenied

    unit = Unit.objects.filter(pk=pk).first()
    if unit is None or not (can(user, Perm.CAMPAIGN_VIEW, unit) or can(user, Perm.ORG_MANAGE, unit)):
        raise Http404
    if write and not can(user, Perm.ORG_MANAGE, unit):
        raise PermissionDenied
    return unit


def people_visible_to(user) -> QuerySet[Person]:
    return Person.objects.filter(unit__in=units_where(user, Perm.ORG_MANAGE))
