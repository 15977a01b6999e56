"""The check and the import of a ledger run in the background: the upload request only keeps the file
and asks the worker; the preview page shows the progress (rows of total, the stage) and polls it, works
without JavaScript, shows the error when a run fails, and a second click starts no second run. An
import that fails halfway stores nothing. A ledger this system exported reads back with its statuses."""

import time
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from analysis import services, tasks
from analysis.models import JobStatus, LedgerImport, LedgerRow
from core.exceptions import ServiceError
from problems.models import Problem
from rectification.models import Measure

from .conftest import DB_TASKS
from .conftest import run_next_task as _run_next
from .ledger_files import DISTRICT_COUNTS, district_ledger

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


def _post_upload(client, cast, campaign, data, name="区台账.xlsx"):
    return client.post(
        reverse("analysis:import_upload", args=[campaign.pk]),
        {
            "file": SimpleUploadedFile(name, data),
            "default_unit": cast.college.pk,
            "default_channel": "self_check",
            "plans_approved": "on",
        },
    )


def test_the_upload_only_queues_the_check_and_the_page_shows_its_progress(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    data = district_ledger()
    with override_settings(TASKS=DB_TASKS):
        t0 = time.perf_counter()
        r = _post_upload(client, cast, campaign, data)
        took = time.perf_counter() - t0
        imp = LedgerImport.objects.get()
        assert r.status_code == 302 and r.url == reverse("analysis:import_preview", args=[imp.pk])
        # nothing was read in the request: the check waits for the worker
        assert (imp.job, imp.job_status, imp.mapping, imp.summary) == ("check", JobStatus.QUEUED, {}, {})
        assert not LedgerRow.objects.exists() and DBTaskResult.objects.count() == 1
        assert took < 5, took

        page = client.get(r.url).content.decode()
        assert "正在读取并检查各行" in page and "排队中" in page and "等待后台程序开始" in page
        assert 'hx-trigger="every 1s"' in page  # HTMX polls the progress alone
        assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page  # and without JavaScript
        assert "刷新" in page and "table class" not in page

        # a second click on the same file while it waits starts nothing new
        assert _post_upload(client, cast, campaign, data).url == r.url
        assert LedgerImport.objects.count() == 1 and DBTaskResult.objects.count() == 1

        fragment = client.get(r.url, headers={"HX-Request": "true"})
        assert fragment.content.decode().startswith('<div id="import-progress"')

        assert _run_next().status == "SUCCESSFUL"
    imp.refresh_from_db()
    assert imp.job_status == JobStatus.DONE and imp.job_rows == imp.summary["rows"] > 0
    assert imp.summary["measures"] == DISTRICT_COUNTS["measures"]
    assert imp.mapping["description"] >= 0  # the columns were guessed by the worker
    done = client.get(r.url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"  # the poll reloads the page, which now is the preview
    page = client.get(r.url).content.decode()
    assert 'table class="compact preview"' in page and "理论学习流于形式" in page and "import-progress" not in page


def test_the_import_runs_once_in_the_background_however_often_it_is_asked(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    imp = services.ledger_import_upload(
        actor=cast.user("office"),
        campaign=campaign,
        upload=SimpleUploadedFile("区台账.xlsx", district_ledger()),
        default_unit=cast.college,
        today=TODAY,
    )  # checked at once (the tests' immediate backend)
    url = reverse("analysis:import_preview", args=[imp.pk])
    with override_settings(TASKS=DB_TASKS):
        r = client.post(url, {"action": "import"})
        assert r.status_code == 302
        imp.refresh_from_db()
        assert (imp.job, imp.job_status, imp.status) == ("commit", JobStatus.QUEUED, LedgerImport.Status.PREVIEWED)
        assert not Measure.objects.exists()
        # the second click: no second run, and the office is told why
        r = client.post(url, {"action": "import"}, follow=True)
        assert "该文件的导入已在进行中" in r.content.decode()
        assert DBTaskResult.objects.count() == 1
        assert "正在导入" in client.get(url).content.decode()
        # changing the columns or discarding while it waits is refused
        with pytest.raises(ServiceError):
            services.ledger_import_map(
                actor=cast.user("office"),
                ledger_import=imp,
                mapping=imp.mapping,
                sheet=imp.sheet,
                default_channel="self_check",
            )
        assert _run_next().status == "SUCCESSFUL"
        assert not DBTaskResult.objects.ready().exists()
    imp.refresh_from_db()
    assert (imp.status, imp.job_status) == (LedgerImport.Status.IMPORTED, JobStatus.DONE)
    assert Measure.objects.filter(plan__campaign=campaign).count() == DISTRICT_COUNTS["measures"]
    page = client.get(url).content.decode()
    assert f"{DISTRICT_COUNTS['measures']} 项措施已导入" in page or "已导入" in page
    with pytest.raises(ServiceError):  # imported: no further run
        services.ledger_import_commit_request(actor=cast.user("office"), ledger_import=imp)


def test_the_run_goes_queued_running_done_and_says_how_far_it_got(cast, campaign, monkeypatch):
    seen = []
    real = services._job_progress

    def watch(import_id, rows, total):
        real(import_id, rows, total)
        imp = LedgerImport.objects.get(pk=import_id)
        seen.append((imp.job, imp.job_status, *services.ledger_import_job_progress(imp)))

    monkeypatch.setattr(services, "_job_progress", watch)
    monkeypatch.setattr(services, "ROW_BATCH", 2)  # report after every two rows of the small ledger
    with override_settings(TASKS=DB_TASKS):
        imp = services.ledger_import_upload(
            actor=cast.user("office"),
            campaign=campaign,
            upload=SimpleUploadedFile("t.xlsx", district_ledger()),
            default_unit=cast.college,
            today=TODAY,
        )
        assert imp.job_status == JobStatus.QUEUED and not seen
        _run_next()
        imp.refresh_from_db()
        assert imp.job_status == JobStatus.DONE
        assert seen[0][:3] == ("check", JobStatus.RUNNING, 0) and seen[0][3] > 0  # total known at the start
        assert [s[2] for s in seen] == sorted(s[2] for s in seen) and seen[-1][2] > 0
        seen.clear()
        assert services.ledger_import_commit_request(actor=cast.user("office"), ledger_import=imp)
        assert imp.job_status == JobStatus.QUEUED
        _run_next()
    imp.refresh_from_db()
    assert (imp.job, imp.job_status) == ("commit", JobStatus.DONE)
    total = LedgerRow.objects.filter(ledger_import=imp, duplicate_of="").count()
    assert seen and all(s[:2] == ("commit", JobStatus.RUNNING) and s[3] == total for s in seen)
    # a run already done is not taken again (a second delivery of the task does nothing)
    assert services.ledger_import_run(imp.pk, job="commit", actor_id=cast.user("office").pk) is False


def test_an_import_refused_halfway_fails_with_its_message_and_stores_nothing(cast, campaign, client_for, monkeypatch):
    from problems import services as problem_services

    imp = services.ledger_import_upload(
        actor=cast.user("office"),
        campaign=campaign,
        upload=SimpleUploadedFile("区台账.xlsx", district_ledger()),
        default_unit=cast.college,
        today=TODAY,
    )
    monkeypatch.setattr(services, "ROW_BATCH", 2)
    real, calls = problem_services.problems_import, []

    def refuse_the_second_batch(**kw):
        calls.append(1)
        if len(calls) == 2:
            raise ServiceError("数据库拒绝")
        return real(**kw)

    monkeypatch.setattr(problem_services, "problems_import", refuse_the_second_batch)
    client = client_for(cast.user("office"))
    url = reverse("analysis:import_preview", args=[imp.pk])
    client.post(url, {"action": "import"})  # runs at once with the tests' immediate backend
    imp.refresh_from_db()
    assert (imp.job, imp.job_status, imp.status) == ("commit", JobStatus.FAILED, LedgerImport.Status.PREVIEWED)
    assert "数据库拒绝" in imp.job_error and len(calls) == 2
    assert not Problem.objects.filter(campaign=campaign).exists() and not Measure.objects.exists()
    page = client.get(url).content.decode()
    assert "导入失败，未保存任何内容" in page and "数据库拒绝" in page
    assert "全部导入" in page  # the preview is still there: the office may try again
    monkeypatch.setattr(problem_services, "problems_import", real)
    client.post(url, {"action": "import"})
    imp.refresh_from_db()
    assert (imp.status, imp.job_status) == (LedgerImport.Status.IMPORTED, JobStatus.DONE)
    assert Measure.objects.count() == DISTRICT_COUNTS["measures"]


def test_a_crash_fails_the_run_and_the_worker_hooks_requeue_or_give_up(cast, campaign, monkeypatch):
    imp = services.ledger_import_upload(
        actor=cast.user("office"),
        campaign=campaign,
        upload=SimpleUploadedFile("区台账.xlsx", district_ledger()),
        default_unit=cast.college,
        today=TODAY,
    )

    def crash(*a, **kw):
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(services, "_commit_batch", crash)
    services.ledger_import_commit_request(actor=cast.user("office"), ledger_import=imp)
    imp.refresh_from_db()
    assert imp.job_status == JobStatus.FAILED and "出现错误" in imp.job_error and "database" not in imp.job_error
    assert imp.status == LedgerImport.Status.PREVIEWED and not Problem.objects.exists()
    # the worker retries it: back to queued; then gives up: failed, and the office may ask again
    tasks._import_requeued({"import_id": imp.pk}, "worker died")
    imp.refresh_from_db()
    assert (imp.job_status, imp.job_error) == (JobStatus.QUEUED, "")
    tasks._import_given_up({"import_id": imp.pk, "language": "zh-hans"}, "too many attempts")
    imp.refresh_from_db()
    assert imp.job_status == JobStatus.FAILED and imp.status == LedgerImport.Status.PREVIEWED
    monkeypatch.undo()
    assert services.ledger_import_commit_request(actor=cast.user("office"), ledger_import=imp)
    imp.refresh_from_db()
    assert imp.status == LedgerImport.Status.IMPORTED


def test_a_new_sheet_is_read_and_its_columns_guessed_by_the_worker(cast, campaign):
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(district_ledger()))
    other = wb.create_sheet("二季度")
    other.append(["序号", "存在问题", "整改措施", "责任人", "整改时限", "完成情况"])
    other.append([1, "值班制度落实不严", "严格值班纪律", "处长张三", "2026-08-31", "已申请销号"])
    buf = BytesIO()
    wb.save(buf)
    imp = services.ledger_import_upload(
        actor=cast.user("office"),
        campaign=campaign,
        upload=SimpleUploadedFile("两表.xlsx", buf.getvalue()),
        default_unit=cast.college,
        today=TODAY,
    )
    assert imp.summary["sheets"] == [wb.sheetnames[0], "二季度"]
    services.ledger_import_map(
        actor=cast.user("office"),
        ledger_import=imp,
        mapping=imp.mapping,
        sheet="二季度",
        default_unit=cast.college,
        default_channel="self_check",
        guess=True,
        today=TODAY,
    )
    assert imp.job_status == JobStatus.DONE and imp.sheet == "二季度"
    assert imp.mapping == {"seq": 0, "description": 1, "measure": 2, "owner": 3, "deadline": 4, "completion": 5}
    row = LedgerRow.objects.get(ledger_import=imp)
    assert row.values["measures"][0]["state"] == "done" and not row.errors


# the statuses this system's own ledger export writes, and what the import reads them as
ROUND_TRIP = {
    "planned": ("未开始", "not_started", Measure.Status.PLANNED),
    "in_progress": ("整改中", "in_progress", Measure.Status.IN_PROGRESS),
    "closeout_requested": ("已申请销号", "done", Measure.Status.COMPLETED),
    "verified": ("已核验销号", "done", Measure.Status.COMPLETED),
    "returned": ("销号被退回", "in_progress", Measure.Status.IN_PROGRESS),
    "completed": ("导入时已完成，待销号", "done", Measure.Status.COMPLETED),
}


def test_a_ledger_exported_here_imports_back_with_the_same_statuses(cast, campaign, tmp_path):
    """An office exports its ledger (a measure waiting for close-out: 已申请销号), keeps it in Excel and
    imports it again into another campaign: every status word is understood, and each measure keeps its
    state (done ones as completed by import, waiting for the office's 销号)."""
    from django.utils import timezone

    from analysis.ledgers import to_xlsx
    from campaigns.services import campaign_create
    from rectification.models import RectificationPlan

    from .conftest import add_measure, add_problem

    plan = RectificationPlan.objects.create(
        campaign=campaign, unit=cast.dept_a, title="教务处整改方案", status="approved", approved_at=timezone.now()
    )
    made = {}
    for k, status in enumerate(ROUND_TRIP):
        p = add_problem(campaign, cast.dept_a, text=f"问题{k}：{status}")
        made[status] = (
            add_measure(
                plan,
                cast.head_a,
                deadline=date(2026, 12, 1 + k),
                status=status,
                problems=[p],
                verified_on=date(2026, 11, 28) if status == "verified" else None,
            )
            if status != "completed"
            else add_measure(plan, cast.head_a, deadline=date(2026, 12, 1 + k), problems=[p])
        )
    # done according to an earlier imported ledger
    Measure.objects.filter(pk=made["completed"].pk).update(status="completed", import_row=9, import_file="旧台账.xlsx")
    assert Measure.objects.get(pk=made["closeout_requested"].pk).get_status_display() == "已申请销号"
    path = tmp_path / "教务处整改台账.xlsx"
    assert to_xlsx(path, kind="combined", campaign=campaign, root=cast.college) == len(ROUND_TRIP)

    later = campaign_create(
        actor=cast.user("office"),
        institution=cast.college,
        units=[cast.college, cast.dept_a],
        name="2027年整改回头看",
        start_date=date(2027, 3, 1),
        finding_due=date(2027, 4, 1),
        meeting_due=date(2027, 5, 1),
        evaluation_due=date(2027, 6, 1),
        rectification_due=date(2027, 9, 1),
        milestone_3m=date(2027, 6, 1),
        milestone_6m=date(2027, 9, 1),
    )
    imp = services.ledger_import_upload(
        actor=cast.user("office"),
        campaign=later,
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
        default_unit=cast.college,
        today=TODAY,
    )
    assert imp.job_status == JobStatus.DONE and imp.summary["errors"] == 0, list(
        LedgerRow.objects.exclude(errors=[]).values_list("errors", flat=True)
    )
    read = {}
    for row in LedgerRow.objects.filter(ledger_import=imp):
        status = row.values["description"].split("：")[1]
        (m,) = row.values["measures"]
        read[status] = (m["status_text"].split(" / ")[0].split("（")[0], m["state"])
    assert read == {k: v[:2] for k, v in ROUND_TRIP.items()}
    n_problems, n_measures = services.ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    assert (n_problems, n_measures) == (len(ROUND_TRIP), len(ROUND_TRIP))
    back = {m.problems.get().description.split("：")[1]: m.status for m in Measure.objects.filter(plan__campaign=later)}
    assert back == {k: v[2] for k, v in ROUND_TRIP.items()}


def test_the_progress_says_rows_of_total_while_the_worker_runs(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    with override_settings(TASKS=DB_TASKS):
        r = _post_upload(client, cast, campaign, district_ledger())
    imp = LedgerImport.objects.get()
    LedgerImport.objects.filter(pk=imp.pk).update(job_status=JobStatus.RUNNING)
    services._job_progress(imp.pk, 1500, 19800)  # what the worker reports after a batch
    fragment = client.get(r.url, headers={"HX-Request": "true"}).content.decode()
    assert "已处理 1500 行，共 19800 行（7%）" in fragment and "进行中" in fragment
    assert 'value="1500" max="19800"' in fragment
