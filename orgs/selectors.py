"""Reads about the organisation."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .access import Perm, can, has_any, units_where
from .models import Person, Post, RoleAssignment, Supervision, Unit


def my_units(user) -> list[dict]:
    """The units where the user holds a post or role, for the home page."""
    person = getattr(user, "person", None)
    if person is None:
        return []
    rows = [{"unit": p.unit, "role": p.get_kind_display()} for p in person.posts.select_related("unit")]
    rows += [{"unit": r.unit, "role": r.get_role_display()} for r in person.roles.select_related("unit")]
    rows += [{"unit": s.unit, "role": _("Supervises")} for s in person.supervisions.select_related("unit")]
    if not rows:
        rows = [{"unit": person.unit, "role": _("Member")}]
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


def _may_see(user, unit: Unit) -> bool:
    return can(user, Perm.CAMPAIGN_VIEW, unit) or can(user, Perm.ORG_MANAGE, unit)


def get_unit_for_user(user, pk: int, write: bool = False) -> Unit:
    """A unit the user may see (404 otherwise); PermissionDenied if `write` and they may not manage it."""
    unit = Unit.objects.select_related("parent").filter(pk=pk).first()
    if unit is None or not _may_see(user, unit):
        raise Http404
    if write and not can(user, Perm.ORG_MANAGE, unit):
        raise PermissionDenied
    return unit


def get_person_for_user(user, pk: int, write: bool = False) -> Person:
    """A person whose unit the user may see (404 otherwise); PermissionDenied if `write` and they may not
    manage that unit."""
    person = Person.objects.select_related("unit", "user").filter(pk=pk).first()
    if person is None or not _may_see(user, person.unit):
        raise Http404
    if write and not can(user, Perm.ORG_MANAGE, person.unit):
        raise PermissionDenied
    return person


def get_post_for_user(user, pk: int, write: bool = False) -> Post:
    """A post, checked on the person's unit and the post's unit (both must be managed to change it)."""
    post = Post.objects.select_related("person__unit", "unit").filter(pk=pk).first()
    if post is None or not _may_see(user, post.unit) and not _may_see(user, post.person.unit):
        raise Http404
    if write and not (can(user, Perm.ORG_MANAGE, post.unit) and can(user, Perm.ORG_MANAGE, post.person.unit)):
        raise PermissionDenied
    return post


def get_role_assignment_for_user(user, pk: int, write: bool = False) -> RoleAssignment:
    """A role assignment, checked on its unit."""
    ra = RoleAssignment.objects.select_related("person", "unit").filter(pk=pk).first()
    if ra is None or not _may_see(user, ra.unit):
        raise Http404
    if write and not can(user, Perm.ORG_MANAGE, ra.unit):
        raise PermissionDenied
    return ra


def require_org_manager(user) -> None:
    """The organisation pages are for those who manage some part of it (campaign office, city office)."""
    if not has_any(user, Perm.ORG_MANAGE):
        raise PermissionDenied


def managed_units(user) -> QuerySet[Unit]:
    """Units the user may manage, in tree order."""
    return units_where(user, Perm.ORG_MANAGE).order_by("path")


def unit_tree(user) -> list[dict]:
    """The managed units as an indented list with head, 分管 leader and people counts (a fixed number of
    queries whatever the size of the tree)."""
    units = list(
        managed_units(user)
        .select_related("parent")
        .annotate(n_people=Count("people", filter=Q(people__active=True), distinct=True))
    )
    ids = [u.pk for u in units]
    heads = {
        p.unit_id: p.person
        for p in Post.objects.filter(unit_id__in=ids, kind__in=[Post.Kind.DEPARTMENT_HEAD, Post.Kind.PRINCIPAL_LEADER])
        .select_related("person")
        .order_by("kind")
    }
    sups = {s.unit_id: s.leader for s in Supervision.objects.filter(unit_id__in=ids).select_related("leader")}
    base = min((u.depth for u in units), default=0)
    return [
        {
            "unit": u,
            "indent": u.depth - base,
            "head": heads.get(u.pk),
            "supervisor": sups.get(u.pk),
            "people": u.n_people,
        }
        for u in units
    ]


def people_search(
    user, *, q: str = "", unit: Unit | None = None, active: str = "1", post: str = ""
) -> QuerySet[Person]:
    """People in the units the user manages, filtered for the people list."""
    qs = people_visible_to(user).select_related("unit", "user")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(staff_no__icontains=q) | Q(title__icontains=q) | Q(phone__icontains=q))
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if active in ("1", "0"):
        qs = qs.filter(active=active == "1")
    if post:
        qs = qs.filter(posts__kind=post).distinct()
    return qs.order_by("unit__path", "staff_no")


def people_visible_to(user) -> QuerySet[Person]:
    return Person.objects.filter(unit__in=units_where(user, Perm.ORG_MANAGE))


def leadership_candidates(unit: Unit) -> QuerySet[Person]:
    """Who may supervise (分管) `unit`: its institution's leadership team."""
    return leadership_team_of(unit.institution) if unit.institution_id else Person.objects.none()


def people_for_bulk_login(user, unit: Unit) -> list[Person]:
    """Everyone active in `unit` and below, plus those who review its reports (each unit's head, its 分管
    leader, the institution's principal leader) wherever they sit, so that no report waits for a
    reviewer without an account. Only people the user manages (ORG_MANAGE) are returned; in tree order."""
    units = list(subtree(unit))
    ids = {p.pk for p in Person.objects.filter(unit__in=units, active=True)}
    for u in units:
        for reviewer in (head_of(u), supervisor_of(u)):
            if reviewer is not None:
                ids.add(reviewer.pk)
    leader = principal_leader_of(unit)
    if leader is not None:
        ids.add(leader.pk)
    managed = units_where(user, Perm.ORG_MANAGE)
    return list(
        Person.objects.filter(pk__in=ids, active=True, unit__in=managed)
        .select_related("unit", "user")
        .order_by("unit__path", "staff_no")
    )


def accounts_overview(user) -> list[dict]:
    """Per managed unit: people, and how many have no account yet (for the accounts page)."""
    rows = (
        managed_units(user)
        .annotate(
            n_people=Count("people", filter=Q(people__active=True), distinct=True),
            n_without=Count("people", filter=Q(people__active=True, people__user__isnull=True), distinct=True),
        )
        .order_by("path")
    )
    base = min((u.depth for u in rows), default=0)
    return [{"unit": u, "indent": u.depth - base, "people": u.n_people, "without": u.n_without} for u in rows]


def people_pickable_by(user) -> QuerySet[Person]:
    """Whom a person picker may offer the user: active people of the units where they may view the
    campaign or manage the organisation, and of their own institution (a colleague to name)."""
    from .access import person_of

    q = Q(unit__in=units_where(user, Perm.CAMPAIGN_VIEW)) | Q(unit__in=units_where(user, Perm.ORG_MANAGE))
    me = person_of(user)
    if me is not None:
        inst_id = me.unit.institution_id or me.unit_id
        q |= Q(unit__institution_id=inst_id) | Q(unit_id=inst_id)
    return Person.objects.filter(q, active=True)


def person_picker_search(user, q: str, limit: int = 20) -> tuple[list[dict], bool]:
    """Hits for the person picker: by name, staff number, unit name, job title or post title; each with
    its unit and first post. Returns (hits, more_exist)."""
    from .widgets import person_label

    q = q.strip()[:50]
    if not q:
        return [], False
    qs = (
        people_pickable_by(user)
        .filter(
            Q(name__icontains=q)
            | Q(staff_no__icontains=q)
            | Q(unit__name__icontains=q)
            | Q(title__icontains=q)
            | Q(posts__title__icontains=q)
        )
        .distinct()
        .select_related("unit")
        .prefetch_related("posts")
        .order_by("unit__path", "staff_no")
    )
    people = list(qs[: limit + 1])
    hits = []
    for p in people[:limit]:
        posts = list(p.posts.all())
        post = posts[0] if posts else None
        hits.append(
            {
                "person": p,
                "post": (post.title or post.get_kind_display()) if post else p.title,
                "label": person_label(p, posts),
            }
        )
    return hits, len(people) > limit
