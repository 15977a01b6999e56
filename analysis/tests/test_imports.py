"""Import of a ledger kept elsewhere: a messy real-office file (title row, merged cells, blank lines,
text dates, synonyms), the preview with each row's errors, all-or-nothing commit and its rollback."""

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from analysis.imports import parse_deadline, read_sheet
from analysis.models import LedgerImport, LedgerRow
from analysis.services import ledger_import_commit, ledger_import_upload
from audit.models import AuditRecord
from core.exceptions import ServiceError
from problems.models import Problem
from rectification.models import Measure

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


def messy_workbook(extra_rows=()) -> bytes:
    """Looks like a real office's file: a merged title, a blank line, headers with synonyms and spaces,
    a problem merged over two measure rows, a blank line between rows, dates as text and as dates."""
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["江城职业技术学院“治庸问责”问题整改台账"])
    ws.merge_cells("A1:L1")
    ws.append([])
    ws.append(
        [
            "序号",
            "单位",
            "存在的主要问题",
            "表现形式",
            "原因 分析",
            "整改措施",
            "整改目标",
            "责任领导",
            "责任部门",
            "责任人",
            "完成时限",
            "备注",
        ]
    )
    ws.append(
        [
            1,
            "教务处",
            "调停课审批拖沓",
            "工作推进不力、得过且过",
            "流程繁琐",
            "简化审批流程",
            "三天办结",
            "副院长李华",
            "教务处",
            "处长张三",
            "2026年3月31日",
            "",
        ]
    )
    ws.append(
        [
            None,
            None,
            None,
            None,
            None,
            "建立限时办结制度",
            "制度出台",
            "副院长李华",
            "教务处",
            "干部孙七",
            datetime(2026, 4, 30),
            "",
        ]
    )
    for col in "ABCDE":
        ws.merge_cells(f"{col}4:{col}5")
    ws.append([])
    ws.append(
        [
            2,
            "财务处",
            "报销窗口服务态度生硬",
            "",
            "",
            "开展服务礼仪培训",
            "群众满意",
            "",
            "财务处",
            "处长钱五",
            "2026.3.31",
            "",
        ]
    )
    ws.append(
        [
            3,
            "考务科",
            "监考安排临时通知",
            "纪律涣散",
            "",
            "提前一周发布监考安排",
            "",
            "",
            "",
            "干部孙七",
            "6月底",
            "来源：群众意见",
        ]
    )
    ws.append([4, "财务处", "-报销排队时间长", "", "", "建立首问负责制", "", "", "", "处长钱五", "长期坚持", ""])
    for row in extra_rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(cast, campaign, data: bytes, name="台账.xlsx"):
    f = SimpleUploadedFile(name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return ledger_import_upload(
        actor=cast.user("office"), campaign=campaign, upload=f, default_unit=cast.college, today=TODAY
    )


def test_it_reads_dates_written_every_which_way():
    today = TODAY
    cases = {
        "2026年3月31日": date(2026, 3, 31),
        "2026.3.31": date(2026, 3, 31),
        "2026-03-31": date(2026, 3, 31),
        "2026/3/31": date(2026, 3, 31),
        "20260331": date(2026, 3, 31),
        "2026年3月31日前": date(2026, 3, 31),
        "2027年3月": date(2027, 3, 31),
        "3月底": date(2027, 3, 31),  # next March from December 2026
        "12月中旬": date(2026, 12, 20),
        "2026年底": date(2026, 12, 31),
        "年底前": date(2026, 12, 31),
        "三月底": date(2027, 3, 31),
        "2026年3月-6月": date(2026, 6, 30),
        datetime(2026, 5, 4, 0, 0): date(2026, 5, 4),
        date(2026, 5, 5): date(2026, 5, 5),
        46112: date(2026, 3, 31),  # an Excel serial number
    }
    for raw, want in cases.items():
        got = parse_deadline(raw, today=today)
        assert (got.time_class, got.date) == ("deadline", want), raw
    assert parse_deadline("长期坚持", today=today).time_class == "long_term"
    assert parse_deadline("立行立改", today=today).date == today
    assert parse_deadline("  ", today=today) is None
    for bad in ("尽快", "2026年13月1日", "下个月"):
        with pytest.raises(ValueError):
            parse_deadline(bad, today=today)


def test_it_finds_the_header_and_fills_merged_cells():
    sheet = read_sheet(io.BytesIO(messy_workbook()))
    assert sheet.header_rows == (3, 3)
    m = sheet.mapping
    assert [m[k] for k in ("seq", "unit", "description", "manifestations", "cause", "measure", "goal")] == list(
        range(7)
    )
    assert [m[k] for k in ("leader", "resp_unit", "owner", "deadline", "remark")] == list(range(7, 12))
    rows = list(sheet.rows())
    numbers = [n for n, _values, _origin in rows]
    assert numbers == [4, 5, 7, 8, 9]  # blank lines skipped
    second = rows[1][1]
    assert second[2] == "调停课审批拖沓"  # the merged problem cell filled from its top-left value


def test_it_previews_problems_with_their_measures(cast, campaign):
    imp = upload(cast, campaign, messy_workbook())
    rows = {r.number: r.values for r in LedgerRow.objects.filter(ledger_import=imp)}
    assert [rows[n]["description"] for n in (4, 7, 8)] == ["调停课审批拖沓", "报销窗口服务态度生硬", "监考安排临时通知"]
    assert rows[5]["problem_row"] == 4 and rows[4]["unit_id"] == cast.dept_a.pk
    assert [(m["content"], m["deadline"], m["owner_id"]) for n in (4, 5) for m in rows[n]["measures"]] == [
        ("简化审批流程", "2026-03-31", cast.head_a.pk),
        ("建立限时办结制度", "2026-04-30", cast.cadre_a.pk),
    ]
    assert rows[8]["unit_id"] == cast.section_a.pk and rows[8]["measures"][0]["deadline"] == "2027-06-30"
    assert rows[9]["measures"][0]["time_class"] == "long_term"
    assert imp.summary["errors"] == 0 and imp.summary["problems"] == 4


def test_it_imports_everything_and_keeps_formulas_as_text(cast, campaign):
    from rectification.models import Measure

    imp = upload(cast, campaign, messy_workbook())
    n, m = ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    assert (n, m) == (4, 5)
    imp.refresh_from_db()
    assert imp.status == LedgerImport.Status.IMPORTED and imp.problems_created == 4
    problems = Problem.objects.filter(campaign=campaign).order_by("pk")
    assert [p.unit for p in problems] == [cast.dept_a, cast.dept_b, cast.section_a, cast.dept_b]
    assert problems[0].cause == "流程繁琐"
    assert problems[3].description == "-报销排队时间长"  # stored as the text it is; exports neutralise it
    assert AuditRecord.objects.filter(action="ledger_import.commit").exists()
    assert Measure.objects.filter(problems=problems[0]).count() == 2
    assert Measure.objects.get(content="建立首问负责制").time_class == "long_term"
    with pytest.raises(ServiceError):  # a second import of the same file is refused
        ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    assert Problem.objects.filter(campaign=campaign).count() == 4


def test_it_names_each_bad_cell_by_row_and_column_and_imports_nothing(cast, campaign):
    bad = [
        [5, "不存在的处", "某问题", "", "", "措施甲", "", "", "", "查无此人", "2026-12-31", ""],
        [6, "教务处", "", "", "", "", "", "", "", "", "", ""],
        [7, "教务处", "某问题二", "", "", "整改措施乙", "", "", "", "处长张三", "尽快", ""],
    ]
    imp = upload(cast, campaign, messy_workbook(bad))
    errors = {r.number: r.errors for r in LedgerRow.objects.filter(ledger_import=imp) if r.errors}
    # the unknown unit and person of row 10 are kept as text, and row 11 (no problem written) continues
    # the problem above it, as a blank cell under a problem means in an office's ledger
    assert sorted(errors) == [12]
    assert errors[12][0]["column"].startswith("K") and "尽快" in errors[12][0]["message"]
    assert imp.summary["unlinked"]["owners"] == ["查无此人"] and imp.summary["unlinked"]["units"] == ["不存在的处"]
    with pytest.raises(ServiceError) as exc:
        ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    assert len(exc.value.details) == 1 and "尽快" in exc.value.details[0]
    assert Problem.objects.filter(campaign=campaign).count() == 0
    imp.refresh_from_db()
    assert imp.status == LedgerImport.Status.PREVIEWED  # the refused import left the file ready to fix


def test_it_rolls_back_when_a_service_refuses_a_row_halfway(cast, campaign, monkeypatch):
    """Batches of two rows: the first batch's problems and measures are written, then the service
    refuses the problem of row 8; nothing at all is kept and the message names row 8."""
    import analysis.services as an
    import problems.services as ps

    real = ps.problems_import
    calls = []

    def flaky(**kw):
        calls.append([it["row"] for it in kw["items"]])
        if any(it["row"] == 8 for it in kw["items"]):
            e = ServiceError("数据库拒绝")
            e.row = 8
            raise e
        return real(**kw)

    monkeypatch.setattr(an, "ROW_BATCH", 2)
    monkeypatch.setattr(ps, "problems_import", flaky)
    imp = upload(cast, campaign, messy_workbook())
    with pytest.raises(ServiceError) as exc:
        ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    assert "8" in exc.value.message and exc.value.details == ["数据库拒绝"]
    assert calls == [[4], [7, 8]]  # the first batch was written before the refusal
    assert Problem.objects.filter(campaign=campaign).count() == 0
    assert not Measure.objects.filter(plan__campaign=campaign).exists()


def test_it_refuses_files_that_are_not_ledgers(cast, campaign):
    with pytest.raises(ServiceError):
        upload(cast, campaign, b"%PDF-1.4 not a workbook", name="x.xlsx")
    wb = Workbook()
    wb.active.append(["姓名", "年龄"])
    buf = io.BytesIO()
    wb.save(buf)
    imp = upload(cast, campaign, buf.getvalue())  # read in the background: the run fails, nothing kept
    assert imp.job_status == "failed" and "表头" in imp.job_error
    assert imp.status == LedgerImport.Status.DISCARDED and not imp.file
    assert not imp.rows.exists()


def test_it_takes_a_two_row_header_and_a_remapped_column(cast, campaign, client_for):
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "问题描述", "责任主体", None, "时间要求"])
    ws.append([None, None, "责任单位", "责任人", None])
    ws.merge_cells("C1:D1")
    ws.append([1, "会议室长期占用", "教务处", "处长张三", "2027-01-15"])
    buf = io.BytesIO()
    wb.save(buf)
    client = client_for(cast.user("office"))
    r = client.post(
        reverse("analysis:import_upload", args=[campaign.pk]),
        {
            "file": SimpleUploadedFile("t.xlsx", buf.getvalue()),
            "default_unit": cast.college.pk,
            "default_channel": "superior_feedback",
        },
    )
    imp = LedgerImport.objects.get()
    assert r.status_code == 302 and r.url == reverse("analysis:import_preview", args=[imp.pk])
    assert imp.mapping == {"seq": 0, "description": 1, "resp_unit": 2, "owner": 3, "deadline": 4}
    page = client.get(r.url)
    assert page.status_code == 200 and "会议室长期占用" in page.content.decode()
    # the office says the third column is the problem's unit, not the responsible unit
    post = {
        "action": "map",
        "sheet": "Sheet",
        "default_unit": cast.college.pk,
        "default_channel": "superior_feedback",
        "col_description": "1",
        "col_unit": "2",
        "col_owner": "3",
        "col_deadline": "4",
    }
    assert client.post(r.url, post).status_code == 302
    imp.refresh_from_db()
    assert imp.mapping == {"description": 1, "unit": 2, "owner": 3, "deadline": 4}
    assert client.post(r.url, {"action": "import"}).status_code == 302
    p = Problem.objects.get(campaign=campaign)
    assert (p.unit, p.channel) == (cast.dept_a, "superior_feedback")


def test_it_keeps_imports_to_the_office(cast, campaign, client_for):
    imp = upload(cast, campaign, messy_workbook())
    url = reverse("analysis:import_preview", args=[imp.pk])
    assert client_for(cast.user("principal")).post(url, {"action": "import"}).status_code == 403
    assert client_for(cast.user("outsider")).get(url).status_code == 404
    assert client_for(cast.user("head_a")).get(reverse("analysis:import_upload", args=[campaign.pk])).status_code == 403
    assert Problem.objects.count() == 0
