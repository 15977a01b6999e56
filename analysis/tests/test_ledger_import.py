"""Real ledgers in: messy office files import without editing, and the figures match hand counts."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analysis.models import LedgerImport, LedgerRow
from analysis.services import ledger_import_commit, ledger_import_map, ledger_import_upload, status_word_add
from core.exceptions import ServiceError
from problems.models import Problem
from rectification.models import Measure

from .ledger_files import CATEGORY_COUNTS, DISTRICT_COUNTS, category_column_ledger, district_ledger

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


def upload(cast, campaign, data: bytes, name="区台账.xlsx", **kw):
    f = SimpleUploadedFile(name, data)
    return ledger_import_upload(
        actor=cast.user("office"), campaign=campaign, upload=f, default_unit=cast.college, today=TODAY, **kw
    )


def test_it_previews_the_district_ledger_as_a_person_counts_it(cast, campaign):
    imp = upload(cast, campaign, district_ledger())
    s, want = imp.summary, DISTRICT_COUNTS
    assert (s["problems"], s["measures"], s["duplicates"]) == (want["problems"], want["measures"], want["duplicates"])
    assert s["states"] == {"done": want["done"], "in_progress": want["in_progress"], "not_started": 0}
    assert s["categories"] == want["categories"]
    assert s["unlinked"]["owners"] == want["unlinked_owners"] and s["unlinked"]["units"] == want["unlinked_units"]
    assert s["errors"] == 0
    rows = {r.number: r for r in LedgerRow.objects.filter(ledger_import=imp)}
    assert sorted(rows) == [5, 6, 8, 10, 11, 12]  # title, header, headings, blank line and 合计 are not rows
    first = rows[5].values
    assert first["description"] == "理论学习流于形式" and rows[6].values["problem_row"] == 5
    m = first["measures"][0]
    assert m["content"] == "加强理论学习\n每月集中学习一次"  # a multi-line measure stays one measure
    assert (m["deadline"], m["state"], m["owner_id"]) == ("2026-07-31", "done", cast.head_a.pk)
    assert rows[6].values["measures"][0]["time_class"] == "long_term"
    assert rows[8].values["measures"][0]["deadline"] == "2026-09-30"
    assert rows[11].duplicate_of == "第10行" and not rows[10].duplicate_of
    assert rows[12].values["measures"][0]["deadline"] == TODAY.isoformat()  # 立行立改
    assert rows[8].category == "思想作风方面" and rows[12].category == "工作纪律方面"


def test_it_imports_the_district_ledger_with_statuses_and_names_as_written(cast, campaign):
    imp = upload(cast, campaign, district_ledger())
    n_problems, n_measures = ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    assert (n_problems, n_measures) == (DISTRICT_COUNTS["problems"], DISTRICT_COUNTS["measures"])
    measures = Measure.objects.filter(plan__campaign=campaign)
    assert measures.filter(status=Measure.Status.COMPLETED).count() == DISTRICT_COUNTS["done"]
    assert measures.filter(status=Measure.Status.IN_PROGRESS).count() == DISTRICT_COUNTS["in_progress"]
    assert not measures.filter(status=Measure.Status.VERIFIED).exists()  # nobody verified anything yet
    done = measures.get(import_row=5)
    assert (done.import_file, done.imported_by, done.import_status_text) == (
        "区台账.xlsx",
        cast.user("office"),
        "已完成 / 已销号",
    )
    unknown = measures.get(import_row=8)
    assert unknown.owner is None and unknown.owner_name == "李明" and unknown.responsible_unit_name == "招生办"
    assert measures.get(import_row=6).owner_name == "党委书记"
    assert all(m.plan.status == "approved" for m in measures)
    assert Problem.objects.filter(campaign=campaign).count() == DISTRICT_COUNTS["problems"]


def test_it_splits_numbered_measures_on_request(cast, campaign):
    imp = upload(cast, campaign, district_ledger(), split_measures=True)
    assert imp.summary["measures"] == DISTRICT_COUNTS["measures_split"]
    row = LedgerRow.objects.get(ledger_import=imp, number=8)
    assert [m["content"] for m in row.values["measures"]] == ["简化审批流程", "实行限时办结", "公开办事指南"]


def test_it_reads_a_category_column_and_learns_a_status_word(cast, campaign):
    imp = upload(cast, campaign, category_column_ledger())
    assert imp.summary["errors"] == 1
    err = LedgerRow.objects.get(ledger_import=imp, number=6).errors
    assert len(err) == 1 and err[0]["column"].startswith("G") and "已报送销号材料" in err[0]["message"]
    with pytest.raises(ServiceError):
        ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    imp.refresh_from_db()
    assert imp.status == LedgerImport.Status.PREVIEWED and not Problem.objects.exists()
    status_word_add(actor=cast.user("office"), institution=cast.college, word="已报送销号材料", state="done")
    ledger_import_map(
        actor=cast.user("office"),
        ledger_import=imp,
        mapping=imp.mapping,
        sheet=imp.sheet,
        default_unit=imp.default_unit,
        default_channel=imp.default_channel,
        today=TODAY,
    )
    s = imp.summary
    assert (s["problems"], s["measures"], s["errors"]) == (CATEGORY_COUNTS["problems"], CATEGORY_COUNTS["measures"], 0)
    assert s["states"]["done"] == CATEGORY_COUNTS["done_after_word"]
    assert s["categories"] == ["工作效能", "工作作风"]
    assert s["unlinked"]["owners"] == ["王小二"]


def test_it_flags_the_same_file_and_the_same_rows_before_storing(cast, campaign):
    data = district_ledger()
    first = upload(cast, campaign, data)
    ledger_import_commit(actor=cast.user("office"), ledger_import=first, today=TODAY)
    again = upload(cast, campaign, data, name="再次上传.xlsx")
    assert again.summary["duplicate_file"]["name"] == "区台账.xlsx"
    assert again.summary["duplicates"] == 6  # every row was imported before
    with pytest.raises(ServiceError) as exc:
        ledger_import_commit(actor=cast.user("office"), ledger_import=again, today=TODAY)
    assert "该文件已于" in exc.value.message and "区台账.xlsx" in exc.value.message
    assert Problem.objects.filter(campaign=campaign).count() == DISTRICT_COUNTS["problems"]


def test_it_refuses_a_sheet_over_the_row_limit_and_keeps_nothing(cast, campaign, settings):
    settings.LEDGER_IMPORT_MAX_ROWS = 3
    imp = upload(cast, campaign, district_ledger())  # the page's way: the check fails in the background
    assert (imp.job_status, imp.status) == ("failed", LedgerImport.Status.DISCARDED)
    assert "超过 3 行" in imp.job_error and not imp.file
    assert not LedgerRow.objects.exists()
    with pytest.raises(ServiceError) as exc:  # the command line's way: refused in the call
        upload(cast, campaign, district_ledger(), inline=True)
    assert "3" in exc.value.message
    assert LedgerImport.objects.count() == 1 and not LedgerRow.objects.exists()


def test_the_office_imports_links_names_and_closes_out_through_its_pages(cast, campaign, client_for):
    """The whole path an office takes: upload on the page, preview, import, 未关联 screen, bulk 销号."""
    from django.urls import reverse

    from audit.models import AuditRecord
    from rectification.models import ImportCloseout

    client = client_for(cast.user("office"))
    r = client.post(
        reverse("analysis:import_upload", args=[campaign.pk]),
        {
            "file": SimpleUploadedFile("区台账.xlsx", district_ledger()),
            "default_unit": cast.college.pk,
            "default_channel": "self_check",
            "plans_approved": "on",
        },
    )
    imp = LedgerImport.objects.get()
    assert r.status_code == 302 and r.url == reverse("analysis:import_preview", args=[imp.pk])
    page = client.get(r.url).content.decode()
    from django.utils import timezone

    from analysis.imports import parse_deadline

    july = parse_deadline("7月底", today=timezone.localdate()).date.isoformat()
    for shown in ("理论学习流于形式", july, "7月底", "李明", "招生办", "思想作风方面", "已完成 / 已销号"):
        assert shown in page
    assert client.post(r.url, {"action": "import"}).status_code == 302
    imp.refresh_from_db()
    assert imp.status == LedgerImport.Status.IMPORTED and imp.measures_created == DISTRICT_COUNTS["measures"]

    names_url = reverse("analysis:names", args=[campaign.pk])
    page = client.get(names_url).content.decode()
    assert "党委书记" in page and "书记王强" in page  # the post title offers the principal leader
    client.post(names_url, {"kind": "owner", "name": "党委书记", "target": cast.principal.pk})
    assert Measure.objects.get(import_row=6).owner == cast.principal
    client.post(names_url, {"kind": "unit", "name": "招生办", "create_unit": "1"})
    m8 = Measure.objects.get(import_row=8)
    assert m8.responsible_unit.name == "招生办" and m8.responsible_unit.parent == cast.college
    assert Problem.objects.get(description__startswith="办事效率不高").unit == m8.responsible_unit

    closeout_url = reverse("analysis:closeout", args=[campaign.pk])
    client.post(closeout_url, {"file": "", "comment": ""})  # a decision needs its basis
    assert not ImportCloseout.objects.exists()
    client.post(closeout_url, {"file": "", "comment": "对照6月30日签字台账逐项核实"})
    decision = ImportCloseout.objects.get()
    assert decision.count == DISTRICT_COUNTS["done"] and decision.decided_by == cast.user("office")
    assert Measure.objects.filter(status=Measure.Status.VERIFIED, import_closeout=decision).count() == 2
    assert AuditRecord.objects.filter(action="measure.import_confirm").count() == 1


def test_only_the_office_reaches_the_import_pages(cast, campaign, client_for):
    from django.urls import reverse

    imp = upload(cast, campaign, district_ledger())
    for user, name, args, status in (
        ("head_a", "analysis:import_upload", [campaign.pk], 403),
        ("head_a", "analysis:names", [campaign.pk], 403),
        ("head_a", "analysis:closeout", [campaign.pk], 403),
        ("outsider", "analysis:import_preview", [imp.pk], 404),
    ):
        assert client_for(cast.user(user)).get(reverse(name, args=args)).status_code == status, name


def test_the_command_previews_then_imports_and_prints_the_rate(cast, campaign, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    path = tmp_path / "区台账.xlsx"
    path.write_bytes(district_ledger())
    office = cast.user("office").username
    out = StringIO()
    call_command("import_ledger", str(path), "--campaign", str(campaign.pk), "--user", office, stdout=out)
    text = out.getvalue()
    assert "问题：4" in text.replace(" ", "") or "Problems: 4" in text
    assert "李明" in text and "招生办" in text
    assert not LedgerImport.objects.exists() and not Problem.objects.exists()  # a preview stores nothing
    out = StringIO()
    call_command("import_ledger", str(path), "--campaign", str(campaign.pk), "--user", office, "--yes", stdout=out)
    # 2 of the 5 measures are done: 40.00%, numerator and denominator named
    assert "40.00%" in out.getvalue() and "2" in out.getvalue() and "5" in out.getvalue()
    assert Measure.objects.filter(plan__campaign=campaign).count() == DISTRICT_COUNTS["measures"]
    # the same file again is refused: exit code 1, nothing more stored
    with pytest.raises(CommandError):
        call_command("import_ledger", str(path), "--campaign", str(campaign.pk), "--user", office, "--yes")
    assert LedgerImport.objects.count() == 1 and Problem.objects.count() == DISTRICT_COUNTS["problems"]


def test_a_post_title_links_to_the_holder_of_the_post_in_each_unit(cast, campaign, client_for):
    """部门负责人 written in rows of two departments means two people: each department's head."""
    import io

    from django.urls import reverse
    from openpyxl import Workbook

    from audit.models import AuditRecord

    wb = Workbook()
    ws = wb.active
    ws.append(["存在问题", "整改措施", "责任单位", "责任人", "整改时限", "完成情况"])
    ws.append(["会议多", "精简会议", "教务处", "部门负责人", "7月底", "正在整改"])
    ws.append(["报销慢", "限时办结", "财务处", "部门负责人", "长期坚持", "已完成"])
    ws.append(["督办不力", "建立督办台账", "财务处", "党委书记", "2026年底", "未整改"])
    buf = io.BytesIO()
    wb.save(buf)
    imp = upload(cast, campaign, buf.getvalue())
    assert imp.summary["unlinked"]["owners"] == ["党委书记", "部门负责人"]
    ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    client = client_for(cast.user("office"))
    url = reverse("analysis:names", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert "按其单位的部门负责人逐条关联" in page or "Link each to the head of its unit" in page
    client.post(url, {"kind": "owner", "name": "部门负责人", "by_post": "1"})
    by_row = {m.import_row: m for m in Measure.objects.filter(plan__campaign=campaign)}
    assert (by_row[2].owner, by_row[3].owner) == (cast.head_a, cast.head_b)
    assert by_row[2].owner_name == "" and by_row[4].owner is None  # 党委书记 not linked yet
    client.post(url, {"kind": "owner", "name": "党委书记", "by_post": "1"})
    assert Measure.objects.get(pk=by_row[4].pk).owner == cast.principal
    assert AuditRecord.objects.filter(action="measure.link_owner_by_post").count() == 2
    page = client.get(url).content.decode()
    assert "<td>部门负责人 <mark>" not in page and "<td>党委书记 <mark>" not in page


def test_the_export_keeps_the_ledger_shape_and_reads_back_as_the_same_figures(cast, campaign, tmp_path):
    """Category → problem → several measures (一是/二是/三是 split) comes out merged the same way, with
    real date cells; read back by the importer it gives the same counts a person made."""
    from openpyxl import load_workbook

    from analysis.imports import Lookup, Parser, read_sheet
    from analysis.ledgers import to_xlsx

    imp = upload(cast, campaign, district_ledger(), split_measures=True)
    ledger_import_commit(actor=cast.user("office"), ledger_import=imp, today=TODAY)
    path = tmp_path / "整改台账.xlsx"
    written = to_xlsx(path, kind="combined", campaign=campaign, root=cast.college)
    assert written == DISTRICT_COUNTS["measures_split"]
    ws = load_workbook(path).active
    header = [c.value for c in ws[2]]
    col = {h: i + 1 for i, h in enumerate(header)}
    merged = {str(r) for r in ws.merged_cells.ranges}
    cat_col, prob_col = col["类别"], col["存在问题"]
    body = [[ws.cell(r, c).value for c in range(1, len(header) + 1)] for r in range(3, 3 + written)]
    # the problem with three measures is one merged cell over three rows
    three = next(i for i, row in enumerate(body) if (row[prob_col - 1] or "").startswith("办事效率不高"))
    letter = ws.cell(3 + three, prob_col).column_letter
    assert f"{letter}{3 + three}:{letter}{5 + three}" in merged
    assert [body[three + k][col["整改措施"] - 1] for k in range(3)] == ["简化审批流程", "实行限时办结", "公开办事指南"]
    cats = [ws.cell(r, cat_col).value for r in range(3, 3 + written) if ws.cell(r, cat_col).value]
    assert cats == DISTRICT_COUNTS["categories"]  # each category written once, merged over its problems
    deadline = ws.cell(3 + three, col["整改时限"])
    assert deadline.is_date and deadline.value.date().isoformat() == "2026-09-30"

    with open(path, "rb") as fh:
        sheet = read_sheet(fh)
        parser = Parser(
            mapping=sheet.mapping,
            header=sheet.header,
            lookup=Lookup.load(cast.college),
            default_unit=cast.college,
            default_channel="self_check",
            today=TODAY,
        )
        rows = [parser.read(n, v, o) for n, v, o in sheet.rows()]
    rows = [r for r in rows if r and r["kind"] == "row"]
    assert not [e for r in rows for e in r["errors"]]
    measures = [m for r in rows for m in r["measures"]]
    assert len({r["problem_row"] for r in rows}) == DISTRICT_COUNTS["problems"]
    assert len(measures) == DISTRICT_COUNTS["measures_split"]
    assert sorted({r["category"] for r in rows}) == sorted(DISTRICT_COUNTS["categories"])
    done = sum(m["state"] == "done" for m in measures)
    assert done == DISTRICT_COUNTS["done"]


def test_the_command_refuses_a_ledger_with_errors_with_exit_code_1_and_reads_the_named_sheet(cast, campaign, tmp_path):
    import io
    from io import StringIO

    from django.core.management import CommandError, call_command
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由各单位填报"])
    ws = wb.create_sheet("二季度")
    ws.append(["存在问题", "整改措施", "责任人", "整改时限", "完成情况"])
    ws.append(["会议多", "精简会议", "处长张三", "7月底", "已完成"])
    ws.append(["报销慢", "限时办结", "处长钱五", "尽快吧", "差不多了"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "二季度台账.xlsx"
    path.write_bytes(buf.getvalue())
    office = cast.user("office").username
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(
            "import_ledger",
            str(path),
            "--campaign",
            str(campaign.pk),
            "--sheet",
            "二季度",
            "--user",
            office,
            "--yes",
            stdout=out,
            stderr=err,
        )
    assert exc.value.returncode == 1  # manage.py exits with 1
    text = out.getvalue()
    assert "二季度" in text and "3" in text  # the named sheet was read; row 3 is the bad one
    assert "D · 整改时限" in text and "E · 完成情况" in text  # each error names its row and column
    assert "尽快吧" in text and "差不多了" in text
    assert not LedgerImport.objects.exists() and not LedgerRow.objects.exists() and not Problem.objects.exists()
    import hashlib

    from django.core.files.storage import default_storage
    from django.utils import timezone

    folder = timezone.now().strftime("analysis/imports/%Y/%m")
    kept = default_storage.listdir(folder)[1] if default_storage.exists(folder) else []
    sha = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert not [f for f in kept if sha in f]  # the preview's copy of the file was not kept either
