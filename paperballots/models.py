"""Paper ballots read by machine: printed sheets, scanned batches, the answers read from them until
a second person has checked the batch.

Anonymity (docs/anonymity.md, "Paper ballots read by machine"): a sheet's random number is kept only
as a hash on `PrintedSheet`, never on a sheet's answers; read sheets and their answers have random
UUID keys (stored in no order) and are deleted once the batch is checked, with every image, unless
the office chose to keep the straightened pages sealed until the round closes (`KeptImage`, with no
link to a sheet)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SheetLayout(models.Model):
    """The geometry of a group's sheet (layout.Layout as JSON), named by a random code in the QR."""

    code = models.CharField(max_length=8, unique=True)
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("evaluations.EvaluatorGroup", on_delete=models.CASCADE, related_name="+")
    spec = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)


class PrintRun(models.Model):
    """One print of sheets: how many, by whom, and whether they were recorded as issued."""

    layout = models.ForeignKey(SheetLayout, on_delete=models.CASCADE, related_name="print_runs")
    count = models.PositiveIntegerField(_("sheets"))
    recorded_issued = models.BooleanField(default=True)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    printed_at = models.DateTimeField(auto_now_add=True)


class ScanBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("scan batch", "Waiting to be read")
        READING = "reading", pgettext_lazy("scan batch", "Reading")
        REVIEW = "review", pgettext_lazy("scan batch", "Doubts to decide")
        ENTERED = "entered", pgettext_lazy("scan batch", "Awaiting the second person's check")
        CHECKED = "checked", pgettext_lazy("scan batch", "Checked, counted")
        FAILED = "failed", pgettext_lazy("scan batch", "Could not be read")
        DISCARDED = "discarded", pgettext_lazy("scan batch", "Discarded")

    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="scan_batches")
    group = models.ForeignKey("evaluations.EvaluatorGroup", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(pgettext_lazy("paper", "batch"), max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    keep_images = models.BooleanField(_("keep the page images sealed until the round closes"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    pages_total = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    sheets_read = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    duplicates_differing = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    paper_batch = models.OneToOneField(
        "evaluations.PaperBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="scan"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    check_note = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["entered", "checked"]) | models.Q(paper_batch__isnull=False),
                name="scan_entered_has_paper_batch",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ScanFile(models.Model):
    """An uploaded file, kept only until it has been read."""

    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="paperscans/")
    order = models.PositiveIntegerField(default=0)


class PrintedSheet(models.Model):
    """A printed sheet's random number, as a hash (the number itself is printed and forgotten). `batch`
    is the scan batch that counted it: a sheet scanned again is a duplicate."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    layout = models.ForeignKey(SheetLayout, on_delete=models.CASCADE, related_name="sheets")
    digest = models.CharField(max_length=64, unique=True)
    batch = models.ForeignKey(ScanBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class ScannedSheet(models.Model):
    """One sheet read (all its pages). No number, no order, no time: a random key and its batch."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="sheets")


class Reading(models.TextChoices):
    ANSWER = "answer", pgettext_lazy("paper reading", "A grade")
    BLANK = "blank", pgettext_lazy("paper reading", "No mark (abstention)")
    INVALID = "invalid", pgettext_lazy("paper reading", "Two grades marked (does not count)")


class SheetAnswer(models.Model):
    """What a sheet says to one question: the machine's reading and, for a doubtful one, what a person
    decided. `crop` is the line's image, kept for doubtful answers until the batch is checked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sheet = models.ForeignKey(ScannedSheet, on_delete=models.CASCADE, related_name="answers")
    target = models.ForeignKey("evaluations.EvaluationTarget", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("evaluations.EvaluationItem", on_delete=models.CASCADE, related_name="+")
    machine_kind = models.CharField(max_length=10, choices=Reading.choices)
    machine_grade = models.ForeignKey(
        "evaluations.Grade", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Reading.choices)
    grade = models.ForeignKey("evaluations.Grade", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    doubtful = models.BooleanField(default=False, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    crop = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="answer", grade__isnull=False)
                | (~models.Q(kind="answer") & models.Q(grade__isnull=True)),
                name="sheet_answer_grade_iff_answer",
            ),
        ]


class RejectedPage(models.Model):
    """What could not be counted, with the reason and a small image (its QR code blanked) for the
    person who decides. Its `kind` says what it can become (services.rejected_decide):

    - SHEET, a sheet known by its QR code (all its pages here make one item): an incomplete sheet
      (`missing` pages absent) or one never printed. A spoilt ballot, or left out (scanned again).
    - PAGE, a page whose QR code could not be read: it names no sheet, so it is never a ballot on its
      own. It is a page of an incomplete sheet of the batch (PART, `part_of`; it adds nothing to that
      sheet's one ballot), a whole sheet when the form has one page (then a spoilt ballot), or left
      out (scanned again or counted by hand).
    - ELSEWHERE, a sheet of another round or group, a page number the layout has not, a file that is
      no image: never a ballot of this batch."""

    class Kind(models.TextChoices):
        SHEET = "sheet", pgettext_lazy("rejected page", "A sheet")
        PAGE = "page", pgettext_lazy("rejected page", "A page with no readable QR code")
        ELSEWHERE = "elsewhere", pgettext_lazy("rejected page", "Not a ballot of this batch")

    class Decision(models.TextChoices):
        PENDING = "", pgettext_lazy("rejected page", "Not decided")
        SPOILT = "spoilt", pgettext_lazy("rejected page", "A spoilt ballot")
        PART = "part", pgettext_lazy("rejected page", "A page of an incomplete sheet")
        IGNORED = "ignored", pgettext_lazy("rejected page", "Not a ballot of this batch")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="rejected")
    reason = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SHEET)
    missing = models.PositiveSmallIntegerField(default=0)  # an incomplete sheet's pages not in the batch
    part_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="parts")
    thumb = models.BinaryField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class KeptImage(models.Model):
    """A straightened page kept sealed (no page shows it) until the round closes, when the office asked
    for it; no link to a sheet, QR code blanked, no metadata."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="kept_images")
    jpeg = models.BinaryField()


class SheetText(models.Model):
    """A free-text box of a read sheet (优点/不足/意见建议 about one target) in which the reader found ink:
    its image, and what the person who reviews the batch typed from it (optional). Deleted with the
    sheet once the batch is checked; the typed texts of counted sheets then go to `HeldText`, with no
    link to the sheet."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sheet = models.ForeignKey(ScannedSheet, on_delete=models.CASCADE, related_name="texts")
    target = models.ForeignKey("evaluations.EvaluationTarget", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=12)  # evaluations.FreeText.Field
    crop = models.BinaryField(null=True, blank=True)
    text = models.TextField(blank=True)
    typed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class HeldText(models.Model):
    """A free text of a checked paper batch, waiting for the round's tally: then every held text of the
    round enters the round's free texts (evaluations.FreeText) at once, shuffled, and is deleted here
    (services.paper_texts_release). Kept per batch, like the batch's counts, only so that a batch sent
    back after its check takes its texts with it; no sheet, no order (random keys), no time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    paper_batch = models.ForeignKey("evaluations.PaperBatch", on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey("evaluations.EvaluationTarget", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=12)
    text = models.TextField()
