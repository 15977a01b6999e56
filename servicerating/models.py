"""双评议 service rating: the public rates a unit's service after being served (QR code or reply code).

Anonymity (see services.py for how it is kept): a rating stores the unit, the day, the stars or reply
code, the grade and the reason; never an address, a time of day, a session or an account. Primary keys
are random. A rating and its case become visible (figures, case lists) only once released by the daily
roll-up, which re-inserts each day's rows in random order.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Grade(models.TextChoices):
    SATISFIED = "satisfied", pgettext_lazy("service rating grade", "Satisfied")
    BASIC = "basic", pgettext_lazy("service rating grade", "Basically satisfied")
    UNSATISFIED = "unsatisfied", pgettext_lazy("service rating grade", "Unsatisfied")


GRADE_ORDER = {Grade.UNSATISFIED: 0, Grade.BASIC: 1, Grade.SATISFIED: 2}
# The text-message convention printed on posters: reply 1, 2 or 3.
REPLY_CODES = {"1": Grade.SATISFIED, "2": Grade.BASIC, "3": Grade.UNSATISFIED}
DEFAULT_STAR_GRADES = {
    "1": Grade.UNSATISFIED.value,
    "2": Grade.UNSATISFIED.value,
    "3": Grade.BASIC.value,
    "4": Grade.SATISFIED.value,
    "5": Grade.SATISFIED.value,
}


def default_star_grades() -> dict:
    return dict(DEFAULT_STAR_GRADES)


def new_point_code() -> str:
    return secrets.token_urlsafe(9)


def new_short_code() -> str:
    """Six digits, easy to read out on the phone; random so codes say nothing about the unit list."""
    return f"{secrets.randbelow(900000) + 100000}"


class ChannelConfig(models.Model):
    """How an institution runs the channel; edited by its campaign office on the settings page."""

    institution = models.OneToOneField(
        "orgs.Unit", on_delete=models.CASCADE, related_name="service_rating_config", verbose_name=_("institution")
    )
    star_grades = models.JSONField(_("star mapping"), default=default_star_grades)
    min_ratings = models.PositiveSmallIntegerField(
        _("minimum ratings for a rate"),
        default=5,
        help_text=_("A unit with fewer ratings than this in a period shows no satisfaction rate."),
    )
    rate_counts_basic = models.BooleanField(
        _("basically satisfied counts as satisfied"),
        default=True,
        help_text=_("Satisfaction rate = (satisfied + basically satisfied) / all ratings; off: satisfied only."),
    )
    case_due_days = models.PositiveSmallIntegerField(_("days to settle a case"), default=15)
    phone_hint = models.CharField(
        _("rating phone line"),
        max_length=60,
        blank=True,
        help_text=_("Printed on the posters for people without a smartphone, e.g. 027-12345678."),
    )

    class Meta:
        verbose_name = _("service rating settings")
        verbose_name_plural = _("service rating settings")

    def __str__(self) -> str:
        return str(self.institution)

    def grade_for_stars(self, stars: int) -> str:
        return self.star_grades.get(str(stars), DEFAULT_STAR_GRADES[str(stars)])


class ServicePoint(models.Model):
    """A unit whose service the public may rate (the office turns the channel on per unit)."""

    unit = models.OneToOneField(
        "orgs.Unit", on_delete=models.CASCADE, related_name="service_point", verbose_name=_("unit")
    )
    enabled = models.BooleanField(_("rating open"), default=True, db_index=True)
    code = models.CharField(max_length=20, unique=True, default=new_point_code, editable=False)
    short_code = models.CharField(_("service code"), max_length=6, unique=True, default=new_short_code)
    # Who settles the unit's 不满意 cases; empty = the unit's superior (its parent unit).
    handling_unit = models.ForeignKey(
        "orgs.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = ["unit__path"]
        verbose_name = _("service point")
        verbose_name_plural = _("service points")

    def __str__(self) -> str:
        return str(self.unit)

    @property
    def handler(self):
        return self.handling_unit or self.unit.parent


class Rating(models.Model):
    """One anonymous rating. No time of day, no address, random key (see the module docstring)."""

    class Source(models.TextChoices):
        QR = "qr", _("QR code")
        REPLY = "reply", _("Reply code taken by staff")
        IMPORT = "import", _("Gateway import")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    institution = models.ForeignKey("orgs.Unit", null=True, on_delete=models.PROTECT, related_name="+")
    rated_on = models.DateField(_("day"), db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    reply = models.CharField(_("reply code"), max_length=1, blank=True)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    # Staff who typed in a phone/SMS reply (accountability for what was entered, not the rater).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released = models.BooleanField(default=False, db_index=True)

    class Meta:
        verbose_name = _("service rating")
        verbose_name_plural = _("service ratings")
        constraints = [
            models.CheckConstraint(
                condition=~Q(grade="unsatisfied") | ~Q(reason=""), name="servicerating_unsatisfied_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=1, stars__lte=5), name="servicerating_stars_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.rated_on} · {self.get_grade_display()}"


class Case(models.Model):
    """A 不满意 rating to look into: 调查中 → 属实 / 部分属实 / 不属实, with the action taken.

    Settled by the handling unit (the rated unit's superior), never by someone of the rated unit or the
    person the rater named (selectors.may_decide_case)."""

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", pgettext_lazy("service case", "Under investigation")
        SUBSTANTIATED = "substantiated", pgettext_lazy("service case", "Substantiated")
        PARTLY = "partly", pgettext_lazy("service case", "Partly substantiated")
        UNSUBSTANTIATED = "unsubstantiated", pgettext_lazy("service case", "Not substantiated")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    handling_unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("handled by")
    )
    reason = models.TextField(_("reason given"))
    named_text = models.CharField(_("staff member named"), max_length=40, blank=True)
    named_person = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INVESTIGATING, db_index=True
    )
    opened_on = models.DateField(_("opened on"), db_index=True)
    due_on = models.DateField(_("due on"))
    receipt_hash = models.CharField(max_length=64, unique=True)
    finding = models.TextField(_("findings"), blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released = models.BooleanField(default=False, db_index=True)

    class Meta:
        verbose_name = _("service rating case")
        verbose_name_plural = _("service rating cases")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="investigating") | (Q(decided_at__isnull=False) & ~Q(action_taken="")),
                name="servicerating_decided_case_has_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.opened_on}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.INVESTIGATING
