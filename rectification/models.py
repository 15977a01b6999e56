"""Rectification (整改落实): plans, measures and everything that follows a measure to its close-out.

A plan (整改方案) belongs to a unit or a person and is approved along the self-inspection report chain.
A measure (整改措施) moves through a strict state machine (see services.MEASURE_TRANSITIONS); every move
is a MeasureEvent row, so reopened measures keep their history. Commitments (公开承诺) of cadres,
the rules register (制度建设), warning thresholds and published ranking boards live here too.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RectificationPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Under review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="rectification_plans")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="rectification_plans", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="rectification_plans"
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    lookback = models.ForeignKey(
        "campaigns.LookBack", null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # --- added by the rectification issue ---
    summary = models.TextField(_("overview of the plan"), blank=True)
    meeting = models.ForeignKey(
        "meetings.LifeMeeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectification_plans",
        verbose_name=_("drafted from the meeting"),
    )
    author_kind = models.CharField(_("plan of"), max_length=20, blank=True)  # reports.SelfReport.AuthorKind value
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans_to_review"
    )
    reviewer_is_city_office = models.BooleanField(default=False)
    routing_problem = models.CharField(max_length=300, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit__path", "pk"]
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(approved_at__isnull=False),
                name="plan_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def subject(self):
        return self.person or self.unit


class PlanReview(models.Model):
    """One decision on a submitted plan (who, when, what, why)."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comments"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class Measure(models.Model):
    class TimeClass(models.TextChoices):
        IMMEDIATE = "immediate", _("Fix at once (立行立改)")
        DEADLINE = "deadline", _("By a deadline (限期整改)")
        LONG_TERM = "long_term", _("Long-term (长期坚持)")

    class Kind(models.TextChoices):
        WORK = "work", _("Work measure")
        RULE = "rule", _("Rule making (制度建设)")
        TRAINING = "training", _("Study and training")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("measure status", "Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSEOUT_REQUESTED = "closeout_requested", _("Close-out requested")
        VERIFIED = "verified", _("Verified and closed (销号)")
        RETURNED = "returned", _("Close-out returned")
        # Done according to an imported ledger, not yet verified by a person (bulk 销号 confirms it).
        COMPLETED = "completed", _("Completed by import, awaiting close-out")

    class Colour(models.TextChoices):
        NONE = "none", _("On track")
        GREEN = "green", _("Green: deadline approaching")
        YELLOW = "yellow", _("Yellow: deadline imminent")
        RED = "red", _("Red: overdue")

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="measures")
    problems = models.ManyToManyField(
        "problems.Problem", blank=True, related_name="measures", verbose_name=_("problems answered")
    )
    content = models.TextField(_("measure"))
    goal = models.TextField(_("goal (整改目标)"))
    time_class = models.CharField(_("time class"), max_length=20, choices=TimeClass.choices, default=TimeClass.DEADLINE)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    original_deadline = models.DateField(_("original deadline"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WORK)
    responsible_leader = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible leader"),
        db_index=False,  # index measure_responsible_leader: the measures that name one
    )
    responsible_unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="measures", verbose_name=_("responsible unit")
    )
    owner = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures_owned",
        verbose_name=_("responsible person"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True)
    percent = models.PositiveSmallIntegerField(_("percent complete"), default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # --- added by the rectification issue ---
    meeting_measure = models.ForeignKey(
        "meetings.MeetingMeasure",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectification_measures",
    )
    closeout_requested_at = models.DateTimeField(null=True, blank=True)
    closeout_note = models.TextField(_("close-out request"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # --- added by the ledger import issue: names as the ledger wrote them, kept until someone is linked
    # (shown as 未关联), and where an imported measure came from.
    owner_name = models.CharField(_("responsible person as written"), max_length=100, blank=True)
    leader_name = models.CharField(_("responsible leader as written"), max_length=100, blank=True)
    responsible_unit_name = models.CharField(_("responsible unit as written"), max_length=100, blank=True)
    import_file = models.CharField(_("imported from file"), max_length=200, blank=True)
    import_row = models.PositiveIntegerField(_("imported from row"), null=True, blank=True)
    import_status_text = models.CharField(_("status as written"), max_length=100, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)
    import_closeout = models.ForeignKey(
        "ImportCloseout", null=True, blank=True, on_delete=models.SET_NULL, related_name="measures"
    )

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="verified") | models.Q(verified_at__isnull=False),
                name="measure_verified_has_time",
            ),
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="measure_percent_max_100"),
            models.CheckConstraint(
                condition=models.Q(time_class="long_term") | models.Q(deadline__isnull=False),
                name="measure_deadline_unless_long_term",
            ),
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False) | ~models.Q(owner_name=""),
                name="measure_owner_or_name_as_written",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(import_row__isnull=False),
                name="measure_completed_by_import_has_row",
            ),
        ]
        indexes = [
            # The close-out queue (closeout_queue: the home page's to-do and the close-outs page): a small index
            # of only the measures waiting for verification, with every column the queue's rule reads, so
            # PostgreSQL answers from the index alone instead of reading each waiting measure's row.
            models.Index(
                fields=["plan", "responsible_unit"],
                include=["responsible_leader", "owner"],
                condition=models.Q(status="closeout_requested"),
                name="measure_closeout_queue",
            ),
            # The warnings board (selectors.warning_counts and each colour's page): only the unfinished measures
            # with a deadline, with every column its rule and the visibility test read, so PostgreSQL counts a
            # campaign's colours and finds a colour's page from the index alone (on a vacuumed table) instead of
            # reading all 300,000 measures of a city (count 158 → 94 ms, red page 132 → 62 ms at full size).
            # SQLite has no INCLUDE: there migration 0007 puts the included columns and the status after the
            # keys (same name and condition), so that SQLite too reads the index alone.
            models.Index(
                fields=["plan", "deadline"],
                include=["id", "responsible_unit", "owner", "responsible_leader"],
                condition=models.Q(deadline__isnull=False) & ~models.Q(status__in=["verified", "completed"]),
                name="measure_unfinished_warnings",
            ),
            # The plans on the measures page with their measures and verified measures
            # (selectors.with_measure_counts): one GROUP BY over this index alone, no measure's row read.
            models.Index(fields=["plan", "status"], name="measure_plan_status"),
            # The oldest close-out requests first (selectors.closeout_queue: the 20 on the measures page, the
            # close-outs page): walked in order until a page of those the user may decide is found, instead of
            # sorting every waiting measure of the city (60,000 at full size: 155 ms → 3 ms for a campaign
            # office, 131 → 12 ms for one department; 247 → 114 ms when none is the user's).
            models.Index(
                fields=["closeout_requested_at", "id"],
                condition=models.Q(status="closeout_requested"),
                name="measure_closeout_oldest",
            ),
            # A leader's measures (the plans of the measures page, the close-out queue, extensions): only the
            # measures that name a leader. Most name none, and SQLite's statistics of a plain index count the
            # NULLs as one key shared by every measure: it then took any leader to lead them all and read the
            # whole table for `responsible_leader = ?` (each measures page read all of a city's measures, twice).
            models.Index(
                fields=["responsible_leader"],
                condition=models.Q(responsible_leader__isnull=False),
                name="measure_responsible_leader",
            ),
        ]
        verbose_name = _("rectification measure")
        verbose_name_plural = _("rectification measures")

    def __str__(self) -> str:
        return self.content[:40]

    @property
    def unit(self):
        return self.responsible_unit

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.VERIFIED, self.Status.COMPLETED)

    @property
    def owner_display(self) -> str:
        return self.owner.name if self.owner_id else self.owner_name

    @property
    def owner_unlinked(self) -> bool:
        return self.owner_id is None

    @property
    def imported(self) -> bool:
        return self.import_row is not None


class ImportCloseout(models.Model):
    """One recorded decision that confirms (销号) measures marked done by an imported ledger."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="import_closeouts")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("basis of the decision"))
    count = models.PositiveIntegerField(_("measures confirmed"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [models.CheckConstraint(condition=~models.Q(comment=""), name="import_closeout_has_basis")]


EVENT_LABELS = {
    "start": _("Work started"),
    "progress": _("Progress reported"),
    "evidence_add": _("Evidence added"),
    "closeout_request": _("Close-out requested"),
    "verify": _("Verified and closed (销号)"),
    "return": _("Close-out returned"),
    "reopen": _("Reopened: the problem recurred"),
    "extension_request": _("Extension requested"),
    "extension_approve": _("Extension approved"),
    "extension_refuse": _("Extension refused"),
    "case_open": _("Accountability case opened"),
    "import": _("Imported from a ledger"),
    "import_confirm": _("Close-out confirmed for imported items (销号)"),
}


class MeasureEvent(models.Model):
    """History of a measure: every transition, with who, when and why (reopen history included)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)  # start, closeout_request, verify, return, reopen, extend, ...
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def action_label(self) -> str:
        return EVENT_LABELS.get(self.action, self.action)

    @property
    def from_label(self) -> str:
        return Measure.Status(self.from_status).label if self.from_status in Measure.Status.values else ""

    @property
    def to_label(self) -> str:
        return Measure.Status(self.to_status).label if self.to_status in Measure.Status.values else ""


class Milestone(models.Model):
    """A step of phased work (分阶段分步骤实施)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]


class ProgressReport(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="progress_reports")
    content = models.TextField(_("what was done"))
    percent = models.PositiveSmallIntegerField(_("percent complete"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(percent__lte=100), name="progress_percent_max_100")]


def evidence_path(instance, filename: str) -> str:
    # The stored name never uses the uploaded name (which may carry anything); the original is kept apart.
    return f"rectification/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class Evidence(models.Model):
    """佐证材料: a content-checked file attached to a measure (optionally to one progress report)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="evidence")
    progress = models.ForeignKey(
        ProgressReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(_("file name"), max_length=200)
    extension = models.CharField(max_length=10)
    mime = models.CharField(max_length=120)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class CloseoutReview(models.Model):
    """A reviewer's decision on a close-out request: verified (销号) or returned with a new deadline."""

    class Decision(models.TextChoices):
        VERIFIED = "verified", _("Verified and closed")
        RETURNED = "returned", _("Returned")

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="closeout_reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comments / reason"), blank=True)
    new_deadline = models.DateField(_("new deadline"), null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="returned") | ~models.Q(comment=""),
                name="closeout_return_has_reason",
            ),
        ]


class Extension(models.Model):
    """A request to move a measure's deadline; needs a reason and an approver (not the requester)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="extensions")
    reason = models.TextField(_("reason"))
    old_deadline = models.DateField(_("deadline before"))
    new_deadline = models.DateField(_("new deadline asked"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(decided_at__isnull=False),
                name="extension_decided_has_time",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="extension_has_reason"),
        ]


class Rule(models.Model):
    """The register of rules made or revised in the campaign (制度建设, §8)."""

    class Change(models.TextChoices):
        NEW = "new", _("New rule")
        REVISED = "revised", _("Revised rule")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="rules")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="rules", verbose_name=_("unit"))
    measure = models.OneToOneField(Measure, on_delete=models.CASCADE, related_name="rule")
    title = models.CharField(_("rule"), max_length=200)
    change = models.CharField(_("new or revised"), max_length=10, choices=Change.choices, default=Change.NEW)
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    issued_on = models.DateField(pgettext_lazy("document", "issued on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__path", "pk"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules register")

    def __str__(self) -> str:
        return self.title


class WarningPolicy(models.Model):
    """Warning thresholds of one campaign, in days before the deadline (configurable by the office)."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, related_name="warning_policy")
    green_days = models.PositiveSmallIntegerField(_("green notice, days before the deadline"), default=14)
    yellow_days = models.PositiveSmallIntegerField(_("yellow warning, days before the deadline"), default=3)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(green_days__gt=models.F("yellow_days")), name="green_before_yellow"
            )
        ]


class MeasureWarning(models.Model):
    """A reminder that went out (one per measure, colour and deadline, so a re-run sends nothing twice)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="warnings")
    colour = models.CharField(max_length=10, choices=Measure.Colour.choices)
    deadline = models.DateField()
    recipients = models.JSONField(default=list)  # person ids
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "colour", "deadline"], name="one_warning_per_colour_deadline")
        ]


class Commitment(models.Model):
    """公开承诺 of a cadre: 承诺 (drafted) → 示诺 (published) → 践诺 (practised) → 评诺 (assessed)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Commitment drafted (承诺)")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", pgettext_lazy("commitment status", "Returned for revision")
        PUBLISHED = "published", _("Published (示诺)")
        PRACTISING = "practising", _("Being fulfilled (践诺)")
        ASSESSING = "assessing", _("Being assessed (评诺)")
        ASSESSED = "assessed", _("Assessed")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="commitments")
    # None: the commitment of a unit (单位承诺) rather than of one person
    person = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="commitments"
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="commitments", verbose_name=_("unit"))
    content = models.TextField(_("commitment"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    assessment_target = models.ForeignKey(
        "evaluations.EvaluationTarget", null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__path", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="one_commitment_per_person"),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "submitted", "returned"])
                | models.Q(published_at__isnull=False),
                name="commitment_published_has_time_v2",
            ),
        ]
        verbose_name = _("public commitment")
        verbose_name_plural = _("public commitments")

    def __str__(self) -> str:
        return self.content[:40]


class CommitmentReview(models.Model):
    """A decision on a submitted commitment before it is shown (示诺): approved, or returned with a reason."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comments / reason"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="returned") | ~models.Q(comment=""), name="commitment_return_has_reason"
            )
        ]


class CommitmentItem(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "", _("Not yet assessed")
        FULFILLED = "fulfilled", _("Fulfilled (兑现)")
        UNFULFILLED = "unfulfilled", _("Not fulfilled (未兑现)")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="items")
    content = models.CharField(pgettext_lazy("commitment", "item"), max_length=300)
    measures = models.TextField(pgettext_lazy("commitment", "measures"), blank=True)
    owner = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible")
    )
    deadline = models.DateField(_("deadline"))
    done_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True, default="")
    # 未兑现: the objective causes, required
    explanation = models.TextField(_("explanation (objective causes)"), blank=True)

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome="unfulfilled") | ~models.Q(explanation=""),
                name="commitment_unfulfilled_explained",
            )
        ]


class CommitmentProgress(models.Model):
    item = models.ForeignKey(CommitmentItem, on_delete=models.CASCADE, related_name="progress")
    content = models.TextField(_("what was done"))
    done = models.BooleanField(_("item fulfilled"), default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]


class RankingBoard(models.Model):
    """A published snapshot of the departments' ranking (评比竞赛)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="ranking_boards")
    title = models.CharField(_("title"), max_length=200)
    rows = models.JSONField(default=list)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def unit(self):
        return self.campaign.institution
