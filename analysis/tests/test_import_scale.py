"""A district-size ledger goes in through the bulk path: problems and measures written in batches in
one transaction, one audit record for the whole import, each row's provenance kept (file, row, who).

By default a 600-row ledger keeps the suite quick; LEDGER_SCALE_ROWS=20000 measures the real size
(time and, with LEDGER_SCALE_TRACE=1, the peak of Python memory), printed with -s."""

import os
import time
import tracemalloc
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis.models import LedgerRow
from analysis.services import ledger_import_commit, ledger_import_upload
from audit.models import AuditRecord
from problems.models import Problem
from rectification.models import Measure

from .ledger_files import large_counts, large_ledger

pytestmark = pytest.mark.django_db
ROWS = int(os.environ.get("LEDGER_SCALE_ROWS", "600"))
TRACE = os.environ.get("LEDGER_SCALE_TRACE") == "1"


def _timed(fn):
    if TRACE:
        tracemalloc.start()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as q:
        result = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if TRACE else 0
    if TRACE:
        tracemalloc.stop()
    return result, seconds, peak, len(q.captured_queries)


def test_a_district_size_ledger_imports_in_bulk_with_one_audit_record(cast, campaign, settings):
    settings.DEBUG = False
    data = large_ledger(ROWS)
    want = large_counts(ROWS)
    office = cast.user("office")
    audit_before = AuditRecord.objects.count()

    def up():
        return ledger_import_upload(
            actor=office,
            campaign=campaign,
            upload=SimpleUploadedFile("全区整改台账（汇总）.xlsx", data),
            default_unit=cast.college,
            today=date(2026, 6, 1),
        )

    imp, t_up, m_up, q_up = _timed(up)
    s = imp.summary
    assert (s["problems"], s["measures"], s["errors"], s["duplicates"]) == (want["problems"], want["measures"], 0, 0)
    (n_problems, n_measures), t_in, m_in, q_in = _timed(
        lambda: ledger_import_commit(actor=office, ledger_import=imp, today=date(2026, 6, 1))
    )
    print(
        f"\n{ROWS} rows on {connection.vendor}: preview {t_up:.1f}s ({q_up} queries, peak {m_up / 2**20:.1f} MiB), "
        f"import {t_in:.1f}s ({q_in} queries, peak {m_in / 2**20:.1f} MiB)"
    )
    assert (n_problems, n_measures) == (want["problems"], want["measures"])
    measures = Measure.objects.filter(plan__campaign=campaign)
    assert measures.filter(status=Measure.Status.COMPLETED).count() == want["done"]
    assert measures.filter(status=Measure.Status.PLANNED).count() == want["not_started"]
    assert measures.filter(status=Measure.Status.IN_PROGRESS).count() == want["in_progress"]
    # one record for the import (and one for the upload), none per row
    actions = list(AuditRecord.objects.order_by("pk")[audit_before:].values_list("action", flat=True))
    assert actions.count("ledger_import.commit") == 1 and "problem.create" not in actions
    assert len(actions) <= 4, actions
    # queries grow with batches, not with rows
    assert q_in < ROWS // 5 + 60, q_in
    # each problem keeps its provenance: file, row, who imported
    row = LedgerRow.objects.get(ledger_import=imp, number=4)  # title, header, heading, then row 4
    p = Problem.objects.get(pk=row.problem_id)
    assert p.description == "问题1：制度执行不到位" and p.recorded_by == office
    assert row.ledger_import.original_name == "全区整改台账（汇总）.xlsx" and row.ledger_import.created_by == office
    assert LedgerRow.objects.filter(ledger_import=imp, problem__isnull=True).count() == 0
    m = measures.get(import_row=5)  # the second measure of the first problem
    assert (m.import_file, m.imported_by, m.content) == ("全区整改台账（汇总）.xlsx", office, "措施1-2 跟踪检查")
    assert list(m.problems.all()) == [p]


def test_a_district_size_ledger_goes_through_the_pages_with_quick_requests(cast, campaign, client_for, settings):
    """The office's path with the real background backend: the upload request only keeps the file, the
    worker checks the rows, the preview page shows a page of them, the import request only asks, the
    worker imports. Each request returns quickly whatever the size; the worker's times are printed."""
    from django.test import override_settings
    from django.urls import reverse

    from analysis.models import JobStatus, LedgerImport

    from .conftest import DB_TASKS, run_next_task

    settings.DEBUG = False
    data = large_ledger(ROWS)
    want = large_counts(ROWS)
    client = client_for(cast.user("office"))
    assert client.get(reverse("analysis:import_upload", args=[campaign.pk])).status_code == 200  # a warm server
    with override_settings(TASKS=DB_TASKS):
        t0 = time.perf_counter()
        r = client.post(
            reverse("analysis:import_upload", args=[campaign.pk]),
            {
                "file": SimpleUploadedFile("全区整改台账.xlsx", data),
                "default_unit": cast.college.pk,
                "default_channel": "self_check",
                "plans_approved": "on",
            },
        )
        t_upload = time.perf_counter() - t0
        assert r.status_code == 302
        imp = LedgerImport.objects.get()
        t0 = time.perf_counter()
        progress = client.get(r.url)
        t_progress = time.perf_counter() - t0
        assert "import-progress" in progress.content.decode()
        result, t_check, m_check, _q = _timed(run_next_task)
        assert result.status == "SUCCESSFUL"
        t0 = time.perf_counter()
        page = client.get(r.url)
        t_page = time.perf_counter() - t0
        assert "问题1：制度执行不到位" in page.content.decode()
        t0 = time.perf_counter()
        client.post(r.url, {"action": "import"})
        t_ask = time.perf_counter() - t0
        result, t_commit, m_commit, _q = _timed(run_next_task)
        assert result.status == "SUCCESSFUL"
    imp.refresh_from_db()
    print(
        f"\n{ROWS} rows on {connection.vendor} through the pages: upload request {t_upload:.2f}s, progress page "
        f"{t_progress:.2f}s, worker check {t_check:.1f}s (peak {m_check / 2**20:.1f} MiB), preview page "
        f"{t_page:.2f}s, import request {t_ask:.2f}s, worker import {t_commit:.1f}s (peak {m_commit / 2**20:.1f} MiB)"
    )
    assert (imp.status, imp.job_status) == (LedgerImport.Status.IMPORTED, JobStatus.DONE)
    assert (imp.problems_created, imp.measures_created) == (want["problems"], want["measures"])
    assert t_upload < 5 and t_ask < 5 and t_progress < 5, (t_upload, t_ask, t_progress)
