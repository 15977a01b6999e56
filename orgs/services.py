"""Writes for the organisation. Every function records an audit entry."""

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record, diff
from core.exceptions import Conflict, ServiceError

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


def _check_code_free(code: str, exclude_pk: int | None = None) -> None:
    if not code:
        raise ServiceError(_("Every unit needs a unit code."))
    if Unit.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        raise ServiceError(_("Unit code %(code)s is already in use.") % {"code": code})


@transaction.atomic
def unit_create(*, actor, name: str, kind: str, code: str, parent: Unit | None = None, **extra) -> Unit:
    """Create a unit under `parent` (None only for a root such as the city office)."""
    if parent is None and kind not in (Unit.Kind.CITY_OFFICE, Unit.Kind.INSTITUTION):
        raise ServiceError(_("A department must have a parent unit."))
    _check_code_free(code)
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
    fields = {k: v for k, v in fields.items() if getattr(unit, k) != v}
    if not fields:
        return unit
    before = {k: getattr(unit, k) for k in fields}
    new_parent = fields.get("parent", unit.parent)
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ServiceError(_("A unit cannot be moved under itself."))
    if new_parent is None and fields.get("kind", unit.kind) not in (Unit.Kind.CITY_OFFICE, Unit.Kind.INSTITUTION):
        raise ServiceError(_("A department must have a parent unit."))
    if "code" in fields:
        _check_code_free(fields["code"], exclude_pk=unit.pk)
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
    audit_record(actor=actor, action="unit.update", obj=unit, unit=unit, changes=diff(before, fields))
    return unit


@transaction.atomic
def person_create(*, actor, name: str, staff_no: str, unit: Unit, **fields) -> Person:
    """Add a person to a unit; staff numbers are unique across the whole system (they are user names)."""
    if not staff_no or not name:
        raise ServiceError(_("A person needs a name and a staff number."))
    if Person.objects.filter(staff_no=staff_no).exists() or User.objects.filter(username=staff_no).exists():
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
    """Change a person's details (also moves them to another unit). A new staff number renames the login."""
    fields = {k: v for k, v in fields.items() if getattr(person, k) != v}
    if not fields:
        return person
    if "staff_no" in fields:
        no = fields["staff_no"]
        taken = Person.objects.filter(staff_no=no).exclude(pk=person.pk).exists()
        if taken or User.objects.filter(username=no).exclude(pk=person.user_id).exists():
            raise ServiceError(_("Staff number %(no)s is already in use.") % {"no": no})
    before = {k: getattr(person, k) for k in fields}
    for k, v in fields.items():
        setattr(person, k, v)
    person.save(update_fields=list(fields))
    if person.user_id and ("staff_no" in fields or "email" in fields):
        User.objects.filter(pk=person.user_id).update(username=person.staff_no, email=person.email)
    audit_record(actor=actor, action="person.update", obj=person, unit=person.unit, changes=diff(before, fields))
    return person


@transaction.atomic
def person_deactivate(*, actor, person: Person) -> Person:
    """A person who left: kept for the record (reports, problems) but hidden and unable to log in."""
    if not Person.objects.filter(pk=person.pk, active=True).update(active=False):
        raise Conflict(_("%(name)s is already inactive.") % {"name": person.name})
    person.active = False
    if person.user_id:
        User.objects.filter(pk=person.user_id).update(is_active=False)
    audit_record(
        actor=actor, action="person.deactivate", obj=person, unit=person.unit, changes={"active": [True, False]}
    )
    return person


@transaction.atomic
def person_reactivate(*, actor, person: Person) -> Person:
    """Bring a person back; their login (if any) works again."""
    if not Person.objects.filter(pk=person.pk, active=False).update(active=True):
        raise Conflict(_("%(name)s is already active.") % {"name": person.name})
    person.active = True
    if person.user_id:
        User.objects.filter(pk=person.user_id).update(is_active=True)
    audit_record(
        actor=actor, action="person.reactivate", obj=person, unit=person.unit, changes={"active": [False, True]}
    )
    return person


LEADERSHIP_POSTS = (Post.Kind.PRINCIPAL_LEADER, Post.Kind.LEADERSHIP_MEMBER)
DEPARTMENT_POSTS = (Post.Kind.DEPARTMENT_HEAD, Post.Kind.DEPARTMENT_MEMBER)


def _check_post(person: Person, unit: Unit, kind: str) -> None:
    if kind in LEADERSHIP_POSTS and unit.kind != Unit.Kind.INSTITUTION:
        raise ServiceError(_("Leadership-team posts are held on an institution, not on a department."))
    if kind in DEPARTMENT_POSTS and unit.kind in (Unit.Kind.INSTITUTION, Unit.Kind.CITY_OFFICE):
        raise ServiceError(_("Department posts are held on a department, not on an institution."))
    if kind == Post.Kind.PRINCIPAL_LEADER:
        other = Post.objects.filter(unit=unit, kind=kind).exclude(person=person).select_related("person").first()
        if other:
            raise ServiceError(
                _("%(unit)s already has a principal leader (%(name)s).")
                % {"unit": unit.name, "name": other.person.name}
            )
    if kind == Post.Kind.DEPARTMENT_HEAD:
        other = Post.objects.filter(unit=unit, kind=kind).exclude(person=person).select_related("person").first()
        if other:
            raise ServiceError(
                _("%(unit)s already has a department head (%(name)s).") % {"unit": unit.name, "name": other.person.name}
            )


@transaction.atomic
def post_assign(*, actor, person: Person, unit: Unit, kind: str, title: str = "", start_date=None) -> Post:
    """Give a person a post on a unit (idempotent). Refuses a second principal leader or department head,
    and leadership posts outside an institution."""
    if kind not in Post.Kind.values:
        raise ServiceError(_("Unknown post."))
    _check_post(person, unit, kind)
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
    """Make `leader` (a member of the unit's institution's leadership team) the one who supervises (分管) `unit`."""
    if unit.kind in (Unit.Kind.INSTITUTION, Unit.Kind.CITY_OFFICE):
        raise ServiceError(_("Only departments are supervised by a leadership-team member."))
    if not Post.objects.filter(
        person=leader, kind__in=[Post.Kind.LEADERSHIP_MEMBER, Post.Kind.PRINCIPAL_LEADER], unit_id=unit.institution_id
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
def supervision_clear(*, actor, unit: Unit) -> None:
    """Remove the 分管 link of a unit (supervision then falls back to the unit above)."""
    old = Supervision.objects.filter(unit=unit).first()
    if old is None:
        return
    audit_record(actor=actor, action="supervision.clear", obj=old, unit=unit, changes={"leader": [old.leader_id, None]})
    old.delete()


ROLE_UNIT_KINDS = {
    RoleAssignment.Role.CITY_OFFICE: (Unit.Kind.CITY_OFFICE,),
    RoleAssignment.Role.CAMPAIGN_OFFICE: (Unit.Kind.INSTITUTION,),
}


@transaction.atomic
def role_assign(*, actor, person: Person, role: str, unit: Unit, include_subunits: bool = True) -> RoleAssignment:
    """Give a system role. The city-office role is held only on a city office and the campaign-office role only
    on an institution, so an office can never grant itself the city office's powers."""
    if role not in RoleAssignment.Role.values:
        raise ServiceError(_("Unknown role."))
    kinds = ROLE_UNIT_KINDS.get(role)
    if kinds and unit.kind not in kinds:
        raise ServiceError(
            _("The role “%(role)s” can only be held on a unit of kind %(kinds)s.")
            % {"role": RoleAssignment.Role(role).label, "kinds": "、".join(str(Unit.Kind(k).label) for k in kinds)}
        )
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


@transaction.atomic
def role_remove(*, actor, assignment: RoleAssignment) -> None:
    audit_record(
        actor=actor,
        action="role.remove",
        obj=assignment,
        unit=assignment.unit,
        changes={"person": assignment.person_id, "role": assignment.role},
    )
    assignment.delete()


def generate_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def login_issue(*, actor, person: Person, password: str | None = None, must_change: bool = True) -> tuple[User, str]:
    """Create or reset the person's login (user name = staff number). Returns (user, password).

    The office hands the password over; the first log-in forces a new one (unless must_change=False,
    used only for the demo's published log-ins)."""
    if not person.active:
        raise ServiceError(_("%(name)s is inactive and cannot be given a login.") % {"name": person.name})
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


@transaction.atomic
def logins_issue_bulk(
    *, actor, people: list[Person], reset_existing: bool = False, email_site_url: str | None = None
) -> list[tuple[Person, str]]:
    """Issue a login (one-time password, changed at the first log-in) to each active person in `people`
    who has none, or to all of them with `reset_existing`. Returns [(person, password)] for the slips;
    the passwords exist only in that return value. With `email_site_url`, each person with a known
    e-mail address gets their log-in by mail once the transaction commits. The caller checks that
    `actor` manages every person (orgs.selectors.people_for_bulk_login does)."""
    issued: list[tuple[Person, str]] = []
    for person in people:
        if not person.active or (person.user_id and not reset_existing):
            continue
        _user, password = login_issue(actor=actor, person=person)
        issued.append((person, password))
    if email_site_url:
        mails = [(p.email, p.name, p.staff_no, pw) for p, pw in issued if p.email]
        if mails:
            transaction.on_commit(lambda: _mail_logins(mails, email_site_url))
    return issued


def _mail_logins(mails: list[tuple[str, str, str, str]], site_url: str) -> None:
    from django.conf import settings
    from django.core.mail import send_mass_mail

    subject = _("Your log-in to the self-inspection and rectification system")
    send_mass_mail(
        [
            (
                subject,
                _(
                    "%(name)s:\n\nAn account has been opened for you.\nAddress: %(url)s\nUser name (staff number): "
                    "%(staff_no)s\nOne-time password: %(password)s\n\nAt the first log-in you will choose your own "
                    "password. If you did not expect this mail, tell the campaign office."
                )
                % {"name": name, "url": site_url, "staff_no": staff_no, "password": password},
                settings.DEFAULT_FROM_EMAIL,
                [address],
            )
            for address, name, staff_no, password in mails
        ],
        fail_silently=True,
    )
