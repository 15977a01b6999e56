"""The problem ledger (问题清单) and what feeds it: opinions, peer reviews."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.unlinkable import RandomIdField


def new_receipt_code() -> str:
    # 12 characters from an unambiguous alphabet: easy to read out, impossible to guess.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def new_public_code() -> str:
    return secrets.token_urlsafe(9)


class Manifestation(models.Model):
    """One of the ten manifestations of 庸懒散 (configurable)."""

    class Group(models.TextChoices):
        YONG = "yong", _("庸 Mediocrity")
        LAN = "lan", _("懒 Sloth")
        SAN = "san", _("散 Laxity")

    name = models.CharField(_("name"), max_length=60, unique=True)
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    gloss = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("manifestation")
        verbose_name_plural = _("manifestations")

    def __str__(self) -> str:
        return self.name


class FocusArea(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self) -> str:
        return self.name


class Aspect(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("aspect")
        verbose_name_plural = _("aspects")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    SELF_CHECK = "self_check", _("Self-check (对照自查)")
    MASSES_OPINION = "masses_opinion", _("Open door: opinions of the masses")
    SERVICE_USER_OPINION = "service_user_opinion", _("Open door: opinions of service users")
    TEAM_PEER = "team_peer", _("Open door: leadership-team mutual evaluation")
    BRANCH_PEER = "branch_peer", _("Open door: branch mutual evaluation")
    COMPARISON = "comparison", _("Comparison (对比检查)")
    FIX_AS_FOUND = "fix_as_found", _("Fix as found (边查边改)")
    LEADER_COMMENT = "leader_comment", _("Leader comment (领导点评)")
    LIFE_MEETING = "life_meeting", _("Democratic life meeting")
    EVALUATION = "evaluation", _("Democratic evaluation")
    PUBLIC_SUPERVISION = "public_supervision", _("Public supervision")
    SUPERIOR_FEEDBACK = "superior_feedback", _("Superior's feedback")


class Recusal(models.TextChoices):
    """回避: where an opinion or peer review about a person goes instead of its usual handlers."""

    NONE = "", pgettext_lazy("recusal route", "Usual handlers")
    SUPERVISOR = "supervisor", pgettext_lazy("recusal route", "Supervising leader (分管领导)")
    OFFICE = "office", pgettext_lazy("recusal route", "Campaign office")
    CITY = "city", pgettext_lazy("recusal route", "City office")


class RecusalReason(models.TextChoices):
    CHOSEN = "chosen", pgettext_lazy("recusal reason", "The person concerned was chosen on the form")
    NAMED = "named", pgettext_lazy("recusal reason", "The text names the person")
    SUBJECT = "subject", pgettext_lazy("recusal reason", "The review is about the person")


class Problem(models.Model):
    class SubjectKind(models.TextChoices):
        UNIT = "unit", _("Unit")
        TEAM = "team", _("Leadership team")
        PERSON = "person", pgettext_lazy("subject kind", "Person")

    class Severity(models.TextChoices):
        LOW = "low", _("Minor")
        MEDIUM = "medium", _("Moderate")
        HIGH = "high", _("Serious")

    class Status(models.TextChoices):
        OPEN = "open", _("Found")
        FIXED_AT_ONCE = "fixed_at_once", _("Fixed at once")
        RECTIFYING = "rectifying", _("Being rectified")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed without action")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="problems")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="problems", verbose_name=_("unit"))
    subject_kind = models.CharField(_("subject"), max_length=10, choices=SubjectKind.choices, default=SubjectKind.UNIT)
    subject_person = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name=_("person concerned"),
    )
    description = models.TextField(_("problem"))
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices, db_index=True)
    manifestations = models.ManyToManyField(
        Manifestation, related_name="problems", blank=True, verbose_name=_("manifestations")
    )
    focus_area = models.ForeignKey(
        FocusArea, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("focus area")
    )
    aspect = models.ForeignKey(Aspect, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("aspect"))
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM, db_index=True
    )
    cause = models.TextField(_("cause analysis"), blank=True)
    benchmark = models.CharField(_("benchmark compared with"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    fixed_note = models.TextField(_("how it was fixed"), blank=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    lookback = models.ForeignKey(
        "campaigns.LookBack", null=True, blank=True, on_delete=models.SET_NULL, related_name="problems"
    )
    public_code = models.CharField(max_length=20, unique=True, default=new_public_code, editable=False)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [
            models.Index(fields=["campaign", "unit", "status"]),
            models.Index(fields=["campaign", "channel"]),
            # The ledger's default order (newest first) within a campaign, and its keyset.
            models.Index(fields=["campaign", "-recorded_at", "-id"], name="problem_ledger_order"),
            models.Index(fields=["-recorded_at", "-id"], name="problem_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(subject_kind="person") | models.Q(subject_person__isnull=False),
                name="problem_person_subject_has_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="fixed_at_once") | models.Q(fixed_at__isnull=False),
                name="problem_fixed_has_time",
            ),
        ]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")

    def __str__(self) -> str:
        return self.description[:40]


class ProblemEvidence(models.Model):
    """A file attached when a problem is fixed at once."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="problems/%Y/%m/")
    original_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Opinion(models.Model):
    """意见建议: from the public form, staff (signed or anonymous), symposiums and paper.

    Random key (no insertion order), day only, no person and no address for anonymous sources.
    """

    ANONYMOUS_SOURCES = ("public_form", "staff_anonymous", "public_supervision")

    id = RandomIdField()

    class Source(models.TextChoices):
        PUBLIC_FORM = "public_form", _("Public web form / QR code")
        STAFF_SIGNED = "staff_signed", _("Staff, signed")
        STAFF_ANONYMOUS = "staff_anonymous", _("Staff, anonymous")
        SYMPOSIUM = "symposium", _("Symposium")
        PAPER = "paper", _("Paper")
        PUBLIC_SUPERVISION = "public_supervision", _("Public supervision (disclosure portal)")

    class SubmitterKind(models.TextChoices):
        MASSES = "masses", _("Member of the public / staff")
        SERVICE_USER = "service_user", _("Service user")
        GRASSROOTS = "grassroots", _("Grassroots unit")

    class Status(models.TextChoices):
        NEW = "new", _("Waiting for triage")
        ACCEPTED = "accepted", _("Turned into problems")
        MERGED = "merged", _("Merged as a duplicate")
        CLOSED = "closed", _("Closed with a reason")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="opinions")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="opinions", verbose_name=_("unit"))
    concerns_person = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opinions_about",
        verbose_name=_("person concerned"),
    )
    content = models.TextField(_("opinion"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    submitter_kind = models.CharField(
        _("submitted as"), max_length=20, choices=SubmitterKind.choices, default=SubmitterKind.MASSES
    )
    # Only for signed opinions; anonymous ones store no person and no address.
    submitter = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="opinions_given"
    )
    contact = models.CharField(_("contact (optional)"), max_length=100, blank=True)
    receipt_code = models.CharField(max_length=16, unique=True, default=new_receipt_code, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    triage_note = models.TextField(_("reply / reason"), blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    problems = models.ManyToManyField(Problem, blank=True, related_name="opinions")
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    # Day only: an anonymous opinion's exact time could identify its author.
    received_on = models.DateField(_("received on"), db_index=True)
    suggested_manifestation = models.ForeignKey(
        Manifestation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    similar = models.JSONField(default=list, blank=True)  # [{"kind": "opinion"|"problem", "id":…, "score":…}]
    # Optional: the published problem a public-supervision opinion is about (disclosure portal).
    about_problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervision_opinions"
    )
    # 回避: the people named (on the form or in the text) never see or decide it, nor anyone they lead.
    recused_people = models.ManyToManyField(
        "orgs.Person", through="OpinionRecusal", blank=True, related_name="+", verbose_name=_("recused")
    )
    recusal_route = models.CharField(_("handled by"), max_length=12, choices=Recusal.choices, blank=True, default="")
    recusal_reason = models.CharField(max_length=12, choices=RecusalReason.choices, blank=True, default="")
    recusal_handler = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # False until the day's anonymous input is totalled in the audit trail and rewritten in random
    # order (problems.services.anonymous_input_seal); True at once for signed input.
    sealed = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["campaign", "status", "unit"], name="opinion_triage")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source="staff_anonymous") | models.Q(submitter__isnull=True),
                name="anonymous_opinion_has_no_submitter",
            ),
        ]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")

    def __str__(self) -> str:
        return self.content[:40]


class OpinionRecusal(models.Model):
    id = RandomIdField()
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="recusals")
    person = models.ForeignKey("orgs.Person", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opinion", "person"], name="opinion_recusal_unique")]


class PeerReview(models.Model):
    """互评 and 领导点评: one member's view of problems in another member."""

    class Kind(models.TextChoices):
        TEAM = "team", _("Leadership-team mutual evaluation")
        BRANCH = "branch", _("Branch mutual evaluation")
        LEADER_COMMENT = "leader_comment", _("Leader comment")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted as problem")
        REJECTED = "rejected", _("Not accepted")

    id = RandomIdField()
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="peer_reviews")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="peer_reviews")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Empty when the campaign's reviews are anonymous: nobody, the office included, knows who wrote it.
    reviewer = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="peer_reviews_given"
    )
    subject = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="peer_reviews_received")
    content = models.TextField(_("problems seen"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="peer_reviews")
    created_on = models.DateField(_("written on"), default=timezone.localdate)  # day only
    answer_note = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # 回避: decided one level above the subject, never by the subject or anyone they lead.
    recusal_route = models.CharField(_("handled by"), max_length=12, choices=Recusal.choices, blank=True, default="")
    recusal_handler = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sealed = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-created_on"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reviewer=models.F("subject")), name="peer_review_not_self"),
        ]
        verbose_name = _("peer review")
        verbose_name_plural = _("peer reviews")

    def __str__(self) -> str:
        return self.content[:40]


class SelfCheck(models.Model):
    """对照自查: a person (or a department, person empty) has worked through the manifestations.

    The problems found are ordinary ledger rows (channel self_check); this row records that the
    checklist was completed and which manifestations were found not to apply.
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="self_checks")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="self_checks")
    person = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="self_checks"
    )
    not_applicable = models.ManyToManyField(Manifestation, blank=True, related_name="+")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(_("completed at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit", "person"], name="self_check_unique"),
            models.UniqueConstraint(
                fields=["campaign", "unit"], condition=models.Q(person__isnull=True), name="self_check_unit_unique"
            ),
        ]
        verbose_name = _("self-check")
        verbose_name_plural = _("self-checks")

    def __str__(self) -> str:
        return f"{self.unit} · {self.person or ''}"
