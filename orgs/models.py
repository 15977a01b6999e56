"""The organisation: a tree of units, people, their posts, 分管 links and system roles."""

import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def new_public_code() -> str:
    """Random code for public addresses (never sequential ids)."""
    return secrets.token_urlsafe(9)


class User(AbstractUser):
    """A login. User name = the person's staff number."""

    must_change_password = models.BooleanField(_("must change password"), default=False)

    def __str__(self) -> str:
        person = getattr(self, "person", None)
        return person.name if person else self.get_full_name() or self.username


class Unit(models.Model):
    """A node of the organisation tree; `path` makes "this unit and below" one indexed filter."""

    class Kind(models.TextChoices):
        CITY_OFFICE = "city_office", _("City office")
        INSTITUTION = "institution", pgettext_lazy("unit kind", "Institution")
        GENERAL_BRANCH = "general_branch", _("General party branch")
        BRANCH = "branch", _("Party branch")
        SECTION = "section", _("Section")
        DEPARTMENT = "department", _("Department")

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    code = models.CharField(_("unit code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    # Materialised path of ids, e.g. "1/4/17/"; kept by orgs.services.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # The institution this unit belongs to (itself for an institution; null for the city office).
    institution = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    public_code = models.CharField(max_length=20, unique=True, default=new_public_code, editable=False)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    @property
    def is_institution(self) -> bool:
        return self.kind == self.Kind.INSTITUTION


class Person(models.Model):
    """A member of staff (干部/党员/教职工) or a city-office official."""

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    staff_no = models.CharField(_("staff number"), max_length=30, unique=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="people", verbose_name=_("unit"))
    title = models.CharField(_("job title"), max_length=60, blank=True)
    is_party_member = models.BooleanField(_("party member"), default=False)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="person")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit__path", "staff_no"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """A post a person holds in a unit; a person can hold several."""

    class Kind(models.TextChoices):
        PRINCIPAL_LEADER = "principal_leader", _("Principal leader")
        LEADERSHIP_MEMBER = "leadership_member", _("Leadership-team member")
        DEPARTMENT_HEAD = "department_head", _("Department head")
        DEPARTMENT_MEMBER = "department_member", _("Department leadership member")
        CADRE = "cadre", _("Cadre")
        PARTY_MEMBER = "party_member", _("Party member")
        STAFF = "staff", _("Staff")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="posts")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="posts")
    kind = models.CharField(_("post"), max_length=30, choices=Kind.choices, db_index=True)
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=60, blank=True)
    start_date = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "unit", "kind"], name="post_unique_per_unit")]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()} · {self.unit}"


class Supervision(models.Model):
    """分管: a leadership-team member supervises a department."""

    leader = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="supervisions")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="supervisors")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit"], name="one_supervisor_per_unit"),
        ]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")

    def __str__(self) -> str:
        return f"{self.leader} → {self.unit}"


class RoleAssignment(models.Model):
    """A system role held on a unit (optionally with its sub-units). See orgs.access."""

    class Role(models.TextChoices):
        CAMPAIGN_OFFICE = "campaign_office", _("Campaign office")
        CITY_OFFICE = "city_office", _("City office")
        AUDITOR = "auditor", _("Read-only inspector")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="role_assignments")
    include_subunits = models.BooleanField(_("includes sub-units"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "role", "unit"], name="role_unique")]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.unit}"
