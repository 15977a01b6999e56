"""Writes for the organisation. Every function records an audit entry."""

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record, diff
from core.exceptions import ServiceError

from .models import Person, Post, RoleAssignment, Supervision, Unit, User


def _place(unit: Unit) -> None:
    """Compute path, depth and institution from the parent (unit must have a pk)."""
    parent = unit.parent
    unit.path = f"{parent.path if parent else ''}{unit.pk}/"
    unit.depth = (parent.depth + 1) if parent else 0
    if unit.kind == Unit.Kind.INSTITUTION:
        unit.institution = None
    else:
        unit.institution = (
            parent if parent and parent.kind == Unit.Kind.INSTITUTION else (parent.institution if parent else None)
        )


@transaction.atomic
def unit_create(*, actor, name: str, kind: str, code: str, parent: Unit | None = None, **extra) -> Unit:
    """Create a unit under `parent` (None only for a root such as the city office)."""
    if parent is None and kind not in (Unit.Kind.CITY_OFFICE, Unit.Kind.INSTITUTION):
        raise ServiceError(_("A department must have a parent unit."))
    unit = Unit.objects.create(name=name, kind=kind, code=code, parent=parent, **extra)
    _place(unit)
    unit.save(update_fields=["path", "depth", "institution"])
    audit_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        unit=unit,
        changes={"name": name, "kind": kind, "code": code, "parent": parent.pk if parent else None},
    )
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, **fields) -> Unit:
    """Change a unit's fields; moving it (parent) re-paths its whole subtree."""
    before = {k: getattr(unit, k) for k in fields}
    new_parent = fields.get("parent", unit.parent)
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ServiceError(_("A unit cannot be moved under itself."))
    old_path = unit.path
    for k, v in fields.items():
        setattr(unit, k, v)
    unit.save()
    if "parent" in fields:
        _place(unit)
        unit.save(update_fields=["path", "depth", "institution"])
        for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).order_by("depth"):
            child.refresh_from_db()
            _place(child)
            child.save(update_fields=["path", "depth", "institution"])
    audit_record(actor=actor, action="unit.update", obj=unit, changes=diff(before, fields))
    return unit


@transaction.atomic
def person_create(*, actor, name: str, staff_no: str, unit: Unit, **fields) -> Person:
    if Person.objects.filter(staff_no=staff_no).exists():
        raise ServiceError(_("Staff number %(no)s is already in use.") % {"no": staff_no})
    person = Person.objects.create(name=name, staff_no=staff_no, unit=unit, **fields)
    audit_record(
        actor=actor,
        action="person.create",
        obj=person,
        unit=unit,
        changes={"name": name, "staff_no": staff_no, **fields},
    )
    return person


@transaction.atomic
def person_update(*, actor, person: Person, **fields) -> Person:
    before = {k: getattr(person, k) for k in fields}
    for k, v in fields.items():
        setattr(person, k, v)
    person.save(update_fields=list(fields))
    audit_record(actor=actor, action="person.update", obj=person, unit=person.unit, changes=diff(before, fields))
    return person


@transaction.atomic
def post_assign(*, actor, person: Person, unit: Unit, kind: str, title: str = "", start_date=None) -> Post:
    post, created = Post.objects.get_or_create(
        person=person, unit=unit, kind=kind, defaults={"title": title, "start_date": start_date}
    )
    if created:
        audit_record(
            actor=actor, action="post.assign", obj=post, unit=unit, changes={"person": person.pk, "kind": kind}
        )
    return post


@transaction.atomic
def post_remove(*, actor, post: Post) -> None:
    audit_record(
        actor=actor,
        action="post.remove",
        obj=post,
        unit=post.unit,
        changes={"person": post.person_id, "kind": post.kind},
    )
    post.delete()


@transaction.atomic
def supervision_set(*, actor, leader: Person, unit: Unit) -> Supervision:
    """Make `leader` (a leadership-team member) the one who supervises (分管) `unit`."""
    if not Post.objects.filter(
        person=leader, kind__in=[Post.Kind.LEADERSHIP_MEMBER, Post.Kind.PRINCIPAL_LEADER]
    ).exists():
        raise ServiceError(_("%(name)s is not a member of a leadership team.") % {"name": leader.name})
    old = Supervision.objects.filter(unit=unit).first()
    Supervision.objects.filter(unit=unit).delete()
    sup = Supervision.objects.create(leader=leader, unit=unit)
    audit_record(
        actor=actor,
        action="supervision.set",
        obj=sup,
        unit=unit,
        changes={"leader": [old.leader_id if old else None, leader.pk]},
    )
    return sup


@transaction.atomic
def role_assign(*, actor, person: Person, role: str, unit: Unit, include_subunits: bool = True) -> RoleAssignment:
    ra, _created = RoleAssignment.objects.update_or_create(
        person=person, role=role, unit=unit, defaults={"include_subunits": include_subunits}
    )
    audit_record(
        actor=actor,
        action="role.assign",
        obj=ra,
        unit=unit,
        changes={"person": person.pk, "role": role, "subunits": include_subunits},
    )
    return ra


def generate_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def login_issue(*, actor, person: Person, password: str | None = None, must_change: bool = True) -> tuple[User, str]:
    """Create or reset the person's login (user name = staff number). Returns (user, password).

    The office hands the password over; the first log-in forces a new one (unless must_change=False,
    used only for the demo's published log-ins)."""
    password = password or generate_password()
    user = person.user
    action = "login.reset"
    if user is None:
        user = User(username=person.staff_no, email=person.email, first_name=person.name)
        action = "login.issue"
    user.set_password(password)
    user.must_change_password = must_change
    user.is_active = True
    user.save()
    if person.user_id != user.pk:
        person.user = user
        person.save(update_fields=["user"])
    # The password itself never goes into the audit trail.
    audit_record(actor=actor, action=action, obj=person, unit=person.unit, changes={"user": user.username})
    return user, password


@transaction.atomic
def password_changed(*, actor, user: User) -> None:
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    user.must_change_password = False
    person = getattr(user, "person", None)
    audit_record(
        actor=actor,
        action="login.password_changed",
        obj=user,
        unit=person.unit if person else None,
        object_repr=user.username,
    )
