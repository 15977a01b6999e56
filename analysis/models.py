"""Analysis: the comprehensive analysis report (综合分析报告), ledger exports and imports (台账).

Dashboards have no models: their figures are aggregated from the other apps' tables
(analysis/selectors.py). What is kept here is what an office edits or waits for: the narrative
sections and typical cases of a report, each generation of a report or ledger with its progress,
and ledger imports with their preview.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AnalysisReport(models.Model):
    """One comprehensive analysis report: of an institution's campaign, or of the city."""

    class Scope(models.TextChoices):
        INSTITUTION = "institution", _("Institution")
        CITY = "city", _("City")

    # The narrative sections the office may write or edit before generating (key, label).
    SECTIONS = [
        ("organisation", pgettext_lazy("report section", "How the campaign was organised")),
        ("problems", pgettext_lazy("report section", "Problems found")),
        ("causes", pgettext_lazy("report section", "Causes of the problems")),
        ("meeting", pgettext_lazy("report section", "The democratic life meeting")),
        ("evaluation", pgettext_lazy("report section", "Evaluation results")),
        ("rectification", pgettext_lazy("report section", "Rectification progress")),
        ("rules", pgettext_lazy("report section", "Rules made or revised")),
        ("typical", pgettext_lazy("report section", "Typical cases")),
        ("accountability", pgettext_lazy("report section", "Accountability")),
        ("next_steps", pgettext_lazy("report section", "Next steps")),
    ]

    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.INSTITUTION)
    # The institution (scope institution) or the city office (scope city).
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="analysis_reports"
    )
    title = models.CharField(_("title"), max_length=200)
    narratives = models.JSONField(_("narrative sections"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(scope="institution") | models.Q(campaign__isnull=False),
                name="analysis_report_institution_has_campaign",
            ),
        ]
        verbose_name = _("comprehensive analysis report")
        verbose_name_plural = _("comprehensive analysis reports")

    def __str__(self) -> str:
        return self.title

    def narrative(self, key: str) -> str:
        return (self.narratives or {}).get(key, "")


class TypicalCase(models.Model):
    """典型: a good or bad example the office chose for the report."""

    class Kind(models.TextChoices):
        GOOD = "good", _("Good example")
        BAD = "bad", _("Bad example")

    report = models.ForeignKey(AnalysisReport, on_delete=models.CASCADE, related_name="typical_cases")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    unit = models.ForeignKey(
        "orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("unit")
    )
    problem = models.ForeignKey(
        "problems.Problem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("problem"),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("description"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["kind", "sort_order", "pk"]
        verbose_name = _("typical case")
        verbose_name_plural = _("typical cases")

    def __str__(self) -> str:
        return self.title


class ReportRun(models.Model):
    """One generation of a report (Word and PDF), run by the background worker; kept with its date."""

    report = models.ForeignKey(AnalysisReport, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    error = models.TextField(blank=True)
    docx = models.FileField(upload_to="analysis/reports/%Y/%m/", blank=True)
    pdf = models.FileField(upload_to="analysis/reports/%Y/%m/", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="report_run_progress_max_100"),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(finished_at__isnull=False),
                name="report_run_done_has_time",
            ),
        ]


class LedgerExport(models.Model):
    """An Excel ledger (台账) asked for by a user, written by the background worker."""

    class Kind(models.TextChoices):
        PROBLEMS = "problems", _("Problem list (问题清单)")
        RESPONSIBILITY = "responsibility", _("Responsibility list (责任清单)")
        RECTIFICATION = "rectification", _("Rectification list (整改清单)")
        COMBINED = "combined", _("Rectification ledger (整改台账)")

    class Layout(models.TextChoices):
        SINGLE = "single", _("One sheet for all units")
        PER_UNIT = "per_unit", _("One sheet per unit")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="ledger_exports")
    # The part of the organisation exported (the institution, or a department and below).
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    kind = models.CharField(_("ledger"), max_length=20, choices=Kind.choices)
    layout = models.CharField(_("layout"), max_length=10, choices=Layout.choices, default=Layout.SINGLE)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="analysis/ledgers/%Y/%m/", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="ledger_export_progress_max_100"),
        ]


class LedgerImport(models.Model):
    """A ledger kept elsewhere in Excel, uploaded, previewed with its column mapping, then imported."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        IMPORTED = "imported", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    class Job(models.TextChoices):
        CHECK = "check", _("Reading and checking the rows")
        COMMIT = "commit", _("Importing the rows")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="ledger_imports")
    file = models.FileField(upload_to="analysis/imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    # {field key: column index (0-based)}
    mapping = models.JSONField(default=dict, blank=True)
    # Used for rows that name no unit, and for problems whose channel column is empty.
    default_unit = models.ForeignKey(
        "orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("default unit")
    )
    default_channel = models.CharField(_("default channel"), max_length=30, default="self_check")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREVIEWED, db_index=True
    )
    problems_created = models.PositiveIntegerField(default=0)
    measures_created = models.PositiveIntegerField(default=0)
    # --- added by the ledger import issue ---
    # Split a measure cell written as 一是…二是…三是… into several measures.
    split_measures = models.BooleanField(_("split 一是/二是/三是 into separate measures"), default=False)
    # The ledger is the plan already approved elsewhere: its plans are recorded as approved by the import.
    plans_approved = models.BooleanField(_("the ledger is an approved plan"), default=True)
    # What the last check found (rows read, categories, problems, measures, statuses, names kept as
    # text, errors, duplicates); the rows themselves are in LedgerRow.
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    # --- the check and the import run in the background (analysis.tasks.ledger_import_task) ---
    # The last background run: reading and checking the rows, or importing them; its state, how far it
    # got (rows of total, also kept in the cache while the import's transaction is open) and, when it
    # failed, what the office reads.
    job = models.CharField(max_length=10, choices=Job.choices, default=Job.CHECK)
    job_status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.DONE, db_index=True)
    job_rows = models.PositiveIntegerField(default=0)
    job_total = models.PositiveIntegerField(default=0)
    job_error = models.TextField(blank=True)
    job_started_at = models.DateTimeField(null=True, blank=True)
    job_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="imported") | models.Q(imported_at__isnull=False),
                name="ledger_import_imported_has_time",
            ),
        ]

    @property
    def busy(self) -> bool:
        """A check or an import of the file is queued or running: the office sees its progress."""
        return self.status == self.Status.PREVIEWED and self.job_status in (JobStatus.QUEUED, JobStatus.RUNNING)


class LedgerRow(models.Model):
    """One data row of an uploaded ledger as the check read it (every parsed value), kept so that the
    preview pages through rows without re-reading the file, and the import says which row made what."""

    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # Excel row number
    # The row that starts the problem this row belongs to (itself, or the first row of a merged problem).
    problem_row = models.PositiveIntegerField()
    category = models.CharField(max_length=200, blank=True)
    values = models.JSONField(default=dict)  # parsed values shown in the preview
    errors = models.JSONField(default=list)  # [{"column": "K · 完成时限", "message": "…"}]
    # sha256 of the row's normalised cells: the same row twice (in this file or an earlier import) is skipped.
    row_hash = models.CharField(max_length=64, db_index=True)
    duplicate_of = models.CharField(max_length=200, blank=True)  # "row 12" or "file.xlsx row 12"
    problem = models.ForeignKey(
        "problems.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="ledger_rows"
    )

    class Meta:
        ordering = ["ledger_import", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ledger_import", "number"], name="ledger_row_once_per_import"),
        ]


class StatusWord(models.Model):
    """A word an office writes in its ledgers' status columns (完成情况, 销号情况, 进度), and what it means.

    Words here add to (or override) the built-in vocabulary in analysis.imports.STATUS_WORDS."""

    class State(models.TextChoices):
        DONE = "done", pgettext_lazy("ledger status", "Done")
        IN_PROGRESS = "in_progress", pgettext_lazy("ledger status", "In progress")
        NOT_STARTED = "not_started", pgettext_lazy("ledger status", "Not started")

    institution = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    word = models.CharField(_("word"), max_length=40)
    state = models.CharField(_("means"), max_length=12, choices=State.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["word"]
        constraints = [models.UniqueConstraint(fields=["institution", "word"], name="status_word_once")]

    def __str__(self) -> str:
        return self.word
