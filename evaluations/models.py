"""Democratic evaluation and assessment (民主评议 / 民主测评).

Anonymity rule for everything here (docs/anonymity.md): nothing links a ballot's content to a code, a
person, an order or a moment.
  - While a round is open, an online ballot exists only as a SealedBallot, sealed with the round's
    public key; the private key is never stored (the committee holds it).
  - At close the committee's key opens the sealed ballots; they are rewritten as Ballot/BallotAnswer
    rows in random order under new random keys, the sealed rows and the codes are deleted and the
    codes are kept as counts per group (EvaluatorGroup.codes_issued / codes_used).
  - SealedBallot, Ballot, BallotAnswer and PublicRating are SQLite WITHOUT ROWID tables (stored in
    the order of their random keys, migration 0004). Django rebuilds a table on SQLite for many
    schema changes and the rebuilt table has a rowid again: a migration that alters these tables must
    end with `storage.without_rowid` (evaluations/tests/test_forensics.py checks it).
  - No time finer than a day anywhere; a token stores a SHA-256 hash of its code, never the code.
Tests in evaluations/tests/test_anonymity.py and test_forensics.py check these promises.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy


class ScalePreset(models.TextChoices):
    SATISFACTION = "satisfaction", _("Satisfied / basically satisfied / dissatisfied")
    FOUR_LEVEL = "four_level", _("Good / fairly good / average / poor")
    COMPETENCE = "competence", _("Excellent / competent / basically competent / incompetent")
    QUALIFICATION = "qualification", _("Excellent / qualified / basically qualified / unqualified")
    CUSTOM = "custom", _("Custom grades")


class Evaluation(models.Model):
    class Kind(models.TextChoices):
        EVALUATION = "evaluation", _("Democratic evaluation (民主评议)")
        ASSESSMENT = "assessment", _("Individual assessment (民主测评)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        OPEN = "open", _("Open for voting")
        CLOSED = "closed", _("Closed")
        TALLIED = "tallied", _("Tallied")
        VOID = "void", _("Void")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="evaluations")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EVALUATION)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    min_group_size_shown = models.PositiveSmallIntegerField(_("smallest group shown separately"), default=5)
    tallied_at = models.DateTimeField(null=True, blank=True)
    published_on = models.DateField(_("results published on"), null=True, blank=True)
    # The round's public key (set when it opens); the private key is never stored.
    public_key = models.BinaryField(null=True, blank=True, editable=False)
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=20, blank=True, editable=False)
    scale_preset = models.CharField(
        _("scale"), max_length=20, choices=ScalePreset.choices, default=ScalePreset.SATISFACTION
    )

    class ScoreMethod(models.TextChoices):
        PLAIN = "plain", _("Every valid ballot counts the same (plain mean)")
        GROUP_WEIGHTED = "group_weighted", _("Evaluator groups weighted (each group's mean × its weight)")

    score_method = models.CharField(
        _("how the score is computed"),
        max_length=20,
        choices=ScoreMethod.choices,
        default=ScoreMethod.PLAIN,
        help_text=_(
            "Plain mean: the mean grade score over all valid answers. Group weights: each group's mean "
            "weighted by the group's weight; a group without ballots does not count. Both are shown."
        ),
    )
    # Validity (issue #13): the least participation, as an exact fraction of those entitled, below
    # which the round (ballots returned) or a target (its valid ballots) is void. Empty: no minimum.
    participation_num = models.PositiveIntegerField(null=True, blank=True, editable=False)
    participation_den = models.PositiveIntegerField(null=True, blank=True, editable=False)
    participation_strict = models.BooleanField(
        _("participation must exceed the share (“more than”)"),
        default=True,
        help_text=_("Ticked: more than the share (超过); not ticked: at least the share (不少于)."),
    )
    participation_per_group = models.BooleanField(
        _("each evaluator group must reach it too"),
        default=True,
        help_text=_("Not ticked: only the total over all groups counts."),
    )
    # Free text on the ballot (issue #13), per target: which fields the round asks for. The texts are
    # sealed with the ballot and stored at close apart from it (FreeText), shown only grouped.
    ask_strengths = models.BooleanField(_("ask for strengths (优点)"), default=False)
    ask_weaknesses = models.BooleanField(_("ask for weaknesses (不足)"), default=False)
    ask_suggestions = models.BooleanField(_("ask for suggestions (意见建议)"), default=False)
    # A cap on the top grade a voter may give (e.g. at most 30% 优秀): refused on the ballot.
    cap_grade = models.ForeignKey(
        "Grade",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("grade with a cap"),
    )
    cap_percent = models.PositiveSmallIntegerField(
        _("at most this many per cent of the targets per question"),
        null=True,
        blank=True,
        help_text=_("E.g. 30: a voter may give the grade to at most 30 per cent of the targets rated on a question."),
    )
    rank_top = models.PositiveSmallIntegerField(_("mark the first N in the ranking"), default=0)
    rank_bottom = models.PositiveSmallIntegerField(_("mark the last N in the ranking"), default=0)
    void_reason = models.TextField(_("why the round is void"), blank=True)
    # More paper ballots returned (in checked batches) than issued: void, recorded with who, when and
    # why; lifted once the wrong batch is sent back and corrected (services.paper).
    over_return_reason = models.TextField(_("void: more paper ballots returned than issued"), blank=True)
    over_return_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    over_return_on = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="void") | ~models.Q(void_reason=""), name="evaluation_void_has_reason"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="tallied") | models.Q(tallied_at__isnull=False),
                name="evaluation_tallied_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(participation_num__isnull=True, participation_den__isnull=True)
                | models.Q(participation_num__isnull=False, participation_den__gt=0),
                name="evaluation_participation_is_a_fraction",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit(self):
        """The institution running the round (what access and the audit trail are scoped to)."""
        return self.campaign.institution

    @property
    def participation(self):
        """The least participation as an exact Fraction of those entitled, or None."""
        from fractions import Fraction

        if self.participation_num is None or not self.participation_den:
            return None
        return Fraction(self.participation_num, self.participation_den)

    def free_text_fields(self) -> list[str]:
        """The free-text fields the ballot asks for, in FreeText.Field order."""
        asked = {
            FreeText.Field.STRENGTHS: self.ask_strengths,
            FreeText.Field.WEAKNESSES: self.ask_weaknesses,
            FreeText.Field.SUGGESTIONS: self.ask_suggestions,
        }
        return [f for f in FreeText.Field.values if asked[f]]

    def cap_allowed(self, rated: int) -> int | None:
        """How many of `rated` targets a voter may give the capped grade (exact: n × 100 ≤ % × rated)."""
        if not self.cap_grade_id or self.cap_percent is None:
            return None
        return self.cap_percent * rated // 100

    def participation_op(self) -> str:
        return str(PassRule.Comparison.GT.label if self.participation_strict else PassRule.Comparison.GTE.label)

    def participation_text(self) -> str:
        """“more than 1/2” / “at least 2/3” as the office set it ("" when no minimum)."""
        from .fractions_text import fraction_text

        if self.participation is None:
            return ""
        return pgettext("participation", "%(op)s %(share)s") % {
            "op": self.participation_op(),
            "share": fraction_text(self.participation),
        }


class EvaluationItem(models.Model):
    """What is rated (§5): each target is rated on the items that apply to its kind."""

    class AppliesTo(models.TextChoices):
        ALL = "all", _("Every target")
        UNIT = "unit", _("Units and leadership teams")
        PERSON = "person", _("Individuals")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(pgettext_lazy("evaluation item", "item"), max_length=200)
    applies_to = models.CharField(_("applies to"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.ALL)
    # Two-part forms (issue #13): an overall grade beside the item-by-item grades. The target's result,
    # score, ranking and rules count its overall item alone; the other items are tallied on their own.
    is_overall = models.BooleanField(
        _("overall grade"),
        default=False,
        help_text=_("The target's result, score and rules count this item alone; the other items are tallied apart."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("evaluation item")
        verbose_name_plural = _("evaluation items")

    def __str__(self) -> str:
        return self.text

    def applies(self, target_kind: str) -> bool:
        if self.applies_to == self.AppliesTo.ALL:
            return True
        if self.applies_to == self.AppliesTo.PERSON:
            return target_kind == EvaluationTarget.Kind.PERSON
        return target_kind != EvaluationTarget.Kind.PERSON


class Grade(models.Model):
    """One grade of the round's scale (满意, 称职 …), with an optional score."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="grades")
    label = models.CharField(_("grade"), max_length=30)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    score = models.DecimalField(
        pgettext_lazy("grade value", "score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    is_valid = models.BooleanField(_("valid vote"), default=True, help_text=_("不了解 (don't know) is not a vote."))
    is_satisfied = models.BooleanField(_("counts as satisfied"), default=False)
    is_low = models.BooleanField(_("counts as a lowest grade"), default=False)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("grade")
        verbose_name_plural = _("grades")

    def __str__(self) -> str:
        return self.label


class ScoreBand(models.Model):
    """A band of the round's score (优秀/良好/一般/较差 …) set by the office: a target whose score lies
    between the bounds (each inclusive or exclusive as set; an empty bound is open) is in the band."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="score_bands")
    label = models.CharField(_("band"), max_length=30)
    lower = models.DecimalField(
        pgettext_lazy("score band", "from"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    lower_inclusive = models.BooleanField(_("including the lower bound"), default=True)
    upper = models.DecimalField(
        pgettext_lazy("score band", "to"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    upper_inclusive = models.BooleanField(_("including the upper bound"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("score band")
        verbose_name_plural = _("score bands")

    def __str__(self) -> str:
        return self.label

    def contains(self, score) -> bool:
        if self.lower is not None and (score < self.lower or (score == self.lower and not self.lower_inclusive)):
            return False
        if self.upper is not None and (score > self.upper or (score == self.upper and not self.upper_inclusive)):
            return False
        return True

    def range_text(self) -> str:
        """“80 ≤ score < 90” as the office set it."""
        parts = []
        if self.lower is not None:
            parts.append(f"{self.lower.normalize():f} {'≤' if self.lower_inclusive else '<'}")
        parts.append(pgettext("score band", "score"))
        if self.upper is not None:
            parts.append(f"{'≤' if self.upper_inclusive else '<'} {self.upper.normalize():f}")
        return " ".join(parts)


class PassRule(models.Model):
    """One rule of the round on the same ballots (issue #13): a measure, compared exactly with a
    threshold, and what follows when it holds. E.g. “基本称职+不称职 share > 1/3 → 不过关” beside
    “不称职 share > 1/3 → 诫勉谈话, proposes accountability”. A target passes when no rule that
    `fails` holds."""

    class Measure(models.TextChoices):
        SHARE = "share", _("Share of the chosen grades among valid answers")
        SCORE = "score", _("The score the round counts")

    class Comparison(models.TextChoices):
        GT = "gt", pgettext_lazy("comparison", "more than")
        GTE = "gte", pgettext_lazy("comparison", "at least")
        LT = "lt", pgettext_lazy("comparison", "less than")
        LTE = "lte", pgettext_lazy("comparison", "at most")

    SYMBOLS = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="rules")
    measure = models.CharField(
        pgettext_lazy("evaluation rule", "measure"), max_length=10, choices=Measure.choices, default=Measure.SHARE
    )
    grades = models.ManyToManyField(Grade, blank=True, related_name="+", verbose_name=_("grades counted"))
    comparison = models.CharField(
        pgettext_lazy("evaluation rule", "comparison"), max_length=3, choices=Comparison.choices
    )
    threshold_num = models.BigIntegerField()
    threshold_den = models.PositiveBigIntegerField()
    outcome = models.CharField(
        pgettext_lazy("evaluation rule", "consequence"),
        max_length=60,
        blank=True,
        help_text=_("What follows when the rule holds, e.g. 不过关, 确定为不称职, 诫勉谈话."),
    )
    fails = models.BooleanField(_("the target does not pass"), default=True)
    proposes_case = models.BooleanField(
        _("proposes an accountability case to the deciding office"),
        default=False,
        help_text=_("Once the results are published; the deciding office takes it up or not (待研判)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = pgettext_lazy("evaluation rule", "rule")
        verbose_name_plural = pgettext_lazy("evaluation rule", "rules")
        constraints = [models.CheckConstraint(condition=models.Q(threshold_den__gt=0), name="rule_threshold_den")]

    @property
    def threshold(self):
        from fractions import Fraction

        return Fraction(self.threshold_num, self.threshold_den)

    def text(self, grades=None) -> str:
        """“基本称职+不称职 share > 1/3” (the reason a target shows when the rule holds)."""
        from .fractions_text import fraction_text

        symbol, value = self.SYMBOLS[self.comparison], fraction_text(self.threshold)
        if self.measure == self.Measure.SCORE:
            return pgettext("evaluation rule", "score %(op)s %(value)s") % {"op": symbol, "value": value}
        labels = "+".join(g.label for g in (grades if grades is not None else self.grades.all()))
        return pgettext("evaluation rule", "%(grades)s share %(op)s %(value)s") % {
            "grades": labels,
            "op": symbol,
            "value": value,
        }

    def consequence(self) -> str:
        return self.outcome or (pgettext("evaluation rule", "does not pass") if self.fails else "")


class EvaluatorGroup(models.Model):
    """Who rates (§5): party members, staff, grassroots and service-user representatives, or custom."""

    class Kind(models.TextChoices):
        PARTY_MEMBERS = "party_members", _("Party members")
        STAFF = "staff", _("Masses / staff")
        GRASSROOTS = "grassroots", _("Grassroots unit representatives")
        SERVICE_USERS = "service_users", _("Service-user representatives")
        CUSTOM = "custom", _("Other")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="groups")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    name = models.CharField(_("name"), max_length=60)
    planned = models.PositiveIntegerField(_("planned ballots"), default=0)
    entitled = models.PositiveIntegerField(
        _("entitled to take part"),
        null=True,
        blank=True,
        help_text=_("应参评人数. Empty: the ballots issued (codes and paper) count as those entitled."),
    )
    minimum = models.PositiveIntegerField(_("minimum ballots"), default=0)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)
    paper_issued = models.PositiveIntegerField(_("paper ballots issued"), default=0)
    counted_apart = models.BooleanField(
        _("counted apart"),
        default=False,
        help_text=_(
            "E.g. probationary party members (预备党员): their ballots are tallied and shown separately, "
            "never in the main figures, the participation or the rules."
        ),
    )
    # What is left of the codes after the round closes (the codes themselves are deleted then).
    codes_issued = models.PositiveIntegerField(null=True, blank=True, editable=False)
    codes_used = models.PositiveIntegerField(null=True, blank=True, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("evaluator group")
        verbose_name_plural = _("evaluator groups")

    def __str__(self) -> str:
        return self.name


class EvaluationTarget(models.Model):
    class Kind(models.TextChoices):
        UNIT_WORK = "unit_work", _("Unit's self-inspection and rectification work")
        TEAM = "team", _("Leadership team")
        PERSON = "person", _("Individual")

    class Result(models.TextChoices):
        PENDING = "pending", _("Not tallied")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        # neither passed nor failed: too little participation, or no valid ballot at all
        VOID = "void", pgettext_lazy("evaluation result", "Void")
        NO_BALLOTS = "no_ballots", pgettext_lazy("evaluation result", "No valid ballots")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="evaluation_targets")
    person = models.ForeignKey(
        "orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="evaluation_targets"
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.PENDING, db_index=True)
    satisfaction = models.DecimalField(_("satisfaction rate"), max_digits=6, decimal_places=4, null=True, blank=True)
    score = models.DecimalField(_("weighted score"), max_digits=6, decimal_places=2, null=True, blank=True)
    low_share = models.DecimalField(_("share of lowest grades"), max_digits=6, decimal_places=4, null=True, blank=True)
    valid_ballots = models.PositiveIntegerField(_("valid ballots"), default=0)
    fail_reasons = models.TextField(_("why it failed or is void"), blank=True)
    # the office's rules that held for this target at the tally (each with its own consequence)
    triggered_rules = models.ManyToManyField("PassRule", blank=True, related_name="+", editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="person") | models.Q(person__isnull=False), name="evaluation_person_target"
            ),
        ]

    def __str__(self) -> str:
        if self.person_id:
            return str(self.person)
        if self.kind == self.Kind.TEAM:
            return _("%(unit)s leadership team") % {"unit": self.unit}
        return str(self.unit)


class BallotToken(models.Model):
    """A one-time ballot code (评议码) for one group. Only the code's SHA-256 hash is stored.

    Nothing here points at a ballot and no ballot points here; `used_on` is a date on purpose.

    Spending a code rewrites its row and so adds an entry to every index of the table: the round's own index
    is the (evaluation, used_on) one, and PostgreSQL's second index on the hash for LIKE searches is dropped
    (migration 0014; codes are only ever looked up whole).
    """

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="tokens", db_index=False)
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.CASCADE, related_name="tokens")
    batch = models.ForeignKey("CodeBatch", on_delete=models.CASCADE, related_name="tokens")
    code_hash = models.CharField(max_length=64, unique=True)
    used_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["evaluation", "used_on"])]


class CodeBatch(models.Model):
    """One issue of codes for a group. The codes exist only in the download that issued them (PDF
    sheet or Excel list, generated in that response and never stored); only their hashes are kept."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="code_batches")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.CASCADE, related_name="code_batches")
    count = models.PositiveIntegerField(_("codes"))
    issued_on = models.DateField(pgettext_lazy("ballot codes", "issued on"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-pk"]


class SealedBallot(models.Model):
    """An online ballot of an open round: group and answers sealed with the round's public key
    (sealing.ballot_pack: the same length for every ballot of a round). Nothing else, not even a day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="sealed_ballots")
    box = models.BinaryField()


class Ballot(models.Model):
    """One opened online ballot of a closed round, written at close in random order under a new
    random key. No token, no person, no day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="ballots")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.CASCADE, related_name="ballots")

    class Meta:
        # the tally counts a round's ballots per group from this index alone (no row read per ballot)
        indexes = [models.Index(fields=["evaluation", "group"], name="ballot_round_group")]


class BallotAnswer(models.Model):
    """One grade given on one ballot to one target for one item (random key, no order)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="answers")
    target = models.ForeignKey(EvaluationTarget, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(EvaluationItem, on_delete=models.CASCADE, related_name="answers")
    # indexed by ballot_answer_by_grade below (grade first), not on its own
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="answers", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "target", "item"], name="ballot_answer_once")]
        # the tally finds the ballots that answered every item of a target with 不了解 from this index
        # alone: per item, the non-vote answers in (target, ballot) order, merged item by item
        # (results._all_non_votes), without reading or grouping the other answers
        indexes = [models.Index(fields=["grade", "item", "target", "ballot"], name="ballot_answer_by_grade")]


class FreeText(models.Model):
    """One free-text answer (优点/不足/意见建议) about one target, from a voter of one group. Written at
    close from the opened sealed ballots, in random order under a random key, with no link to the
    ballot it came from (no ballot, no day, no order): read only grouped and sorted (results.free_texts)."""

    class Field(models.TextChoices):
        STRENGTHS = "strengths", _("Strengths")
        WEAKNESSES = "weaknesses", _("Weaknesses")
        SUGGESTIONS = "suggestions", _("Suggestions")

    MAX_LENGTH = 200

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="free_texts")
    target = models.ForeignKey(EvaluationTarget, on_delete=models.CASCADE, related_name="free_texts")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.CASCADE, related_name="free_texts")
    field = models.CharField(max_length=12, choices=Field.choices)
    text = models.TextField()


class PaperBatch(models.Model):
    """A batch of returned paper ballots (书面评议) entered by the office and checked by a second person."""

    class Status(models.TextChoices):
        ENTERED = "entered", _("Entered, awaiting check")
        CHECKED = "checked", _("Checked")
        REJECTED = "rejected", _("Sent back for correction")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="paper_batches")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="paper_batches")
    label = models.CharField(_("batch"), max_length=60)
    returned = models.PositiveIntegerField(_("ballots returned"))
    invalid = models.PositiveIntegerField(_("spoilt ballots"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENTERED, db_index=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_on = models.DateField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_on = models.DateField(null=True, blank=True)
    check_note = models.CharField(_("check note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(invalid__lte=models.F("returned")), name="paper_invalid_le_returned"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="checked") | models.Q(checked_by__isnull=False),
                name="paper_checked_has_checker",
            ),
        ]


class PaperCount(models.Model):
    """How many valid paper ballots of a batch gave `grade` to `target` on `item`."""

    batch = models.ForeignKey(PaperBatch, on_delete=models.CASCADE, related_name="counts")
    target = models.ForeignKey(EvaluationTarget, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(EvaluationItem, on_delete=models.CASCADE, related_name="+")
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "target", "item", "grade"], name="paper_count_once"),
        ]


class Symposium(models.Model):
    """座谈会: a recorded discussion where evaluators speak; opinions may become problems."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="symposia")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit evaluated"))
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=120)
    host = models.CharField(_("chaired by"), max_length=60, blank=True)
    notes = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("symposium")
        verbose_name_plural = _("symposia")


class SymposiumAttendee(models.Model):
    symposium = models.ForeignKey(Symposium, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(_("name"), max_length=50)
    affiliation = models.CharField(_("unit or group"), max_length=80, blank=True)
    spoke = models.BooleanField(_("spoke"), default=False)

    class Meta:
        ordering = ["pk"]


class SymposiumOpinion(models.Model):
    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")
        ACCEPTED = "accepted", _("Accepted as a problem")
        DECLINED = "declined", _("Not accepted")

    symposium = models.ForeignKey(Symposium, on_delete=models.CASCADE, related_name="opinions")
    content = models.TextField(_("opinion"))
    speaker = models.CharField(_("raised by"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RAISED, db_index=True)
    problem = models.ForeignKey("problems.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]


class PublicRating(models.Model):
    """Open public rating of a unit (anyone with the unit's QR code). Weaker guarantee: one person can
    rate more than once, so these are shown apart and never enter a pass rule."""

    class Grade(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASIC = "basic", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(_("rating"), max_length=20, choices=Grade.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["campaign", "unit"])]


class FinalGrade(models.Model):
    """The final grade the deciding body gives a target after the tally (issue #13). It may differ from
    what the tally says (the band of the score shown, else pass/fail), then with a reason; and it may
    carry consequences: not eligible for commendation and/or promotion for a period, recorded in the
    accountability register (accountability.Restriction) with the end date computed."""

    target = models.OneToOneField(EvaluationTarget, on_delete=models.CASCADE, related_name="final_grade")
    grade = models.CharField(_("final grade"), max_length=30)
    tally_said = models.CharField(_("what the tally said"), max_length=60, blank=True)
    differs = models.BooleanField(_("differs from the tally"), default=False)
    reason = models.TextField(_("why it differs"), blank=True)
    deciding_body = models.CharField(_("deciding body"), max_length=100)
    decided_on = models.DateField(_("decided on"))
    bars_commendation = models.BooleanField(_("not eligible for commendation"), default=False)
    bars_promotion = models.BooleanField(_("not eligible for promotion"), default=False)
    period_months = models.PositiveSmallIntegerField(_("for (months)"), default=0)
    ends_on = models.DateField(pgettext_lazy("restriction", "until"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("final grade")
        verbose_name_plural = _("final grades")
        constraints = [
            models.CheckConstraint(condition=~models.Q(differs=True, reason=""), name="final_grade_differs_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.target}: {self.grade}"


class ScoreComponent(models.Model):
    """One part of a round's combined final score (综合得分, issue #13): the evaluation's own score
    (`is_evaluation`) or a score the office enters or imports per target (年度考核, 考勤 …). Each part
    is brought to a 100-point scale (value ÷ full marks × 100) and weighted by `weight` percent; the
    weights of a round add up to 100. Set on the office's page only, locked once the results are
    published."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(pgettext_lazy("score component", "name"), max_length=40)
    is_evaluation = models.BooleanField(_("the evaluation's own score"), default=False, editable=False)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    full_marks = models.DecimalField(_("full marks"), max_digits=7, decimal_places=2, default=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("score component")
        verbose_name_plural = _("score components")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "name"], name="score_component_name_once"),
            models.UniqueConstraint(
                fields=["evaluation"], condition=models.Q(is_evaluation=True), name="score_component_one_evaluation"
            ),
            models.CheckConstraint(condition=models.Q(weight__gt=0, weight__lte=100), name="score_component_weight"),
            models.CheckConstraint(condition=models.Q(full_marks__gt=0), name="score_component_full_marks"),
        ]

    def __str__(self) -> str:
        return self.name


class ComponentValue(models.Model):
    """A target's score in one component the office enters or imports (never the evaluation's own)."""

    component = models.ForeignKey(ScoreComponent, on_delete=models.CASCADE, related_name="values")
    target = models.ForeignKey(EvaluationTarget, on_delete=models.CASCADE, related_name="component_values")
    value = models.DecimalField(_("score"), max_digits=7, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["component", "target"], name="component_value_once"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="component_value_not_negative"),
        ]
