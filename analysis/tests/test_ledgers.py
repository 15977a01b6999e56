"""Excel ledgers: columns offices use, one sheet or one per unit, frozen header, filter, formulas
neutralised; exported in the background with progress; files opened and read back."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from analysis.ledgers import to_xlsx
from analysis.models import JobStatus, LedgerExport
from audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def _open(path_or_bytes):
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return load_workbook(src)


def _rows(ws):
    return [[c for c in row] for row in ws.iter_rows(min_row=3, values_only=True)]


def test_it_writes_the_combined_ledger_with_the_usual_columns(cast, campaign, dataset, tmp_path):
    from datetime import datetime

    path = tmp_path / "l.xlsx"
    n = to_xlsx(path, kind="combined", campaign=campaign, root=cast.college)
    measures = [m for m in dataset.measures if m.problems.exists()]
    without = [p for p in dataset.problems if not p.measures.filter(plan__status="approved").exists()]
    assert n == len(measures) + len(without)  # one row per measure, one for a problem without any
    wb = _open(path)
    ws = wb.worksheets[0]
    assert ws.title == "整改台账"
    assert ws["A1"].value == "江城职业技术学院整改台账"
    assert "A1:O1" in {str(r) for r in ws.merged_cells.ranges}
    header = [c.value for c in ws[2]]
    assert header[:4] == ["序号", "类别", "单位", "存在问题"]
    for col in ("整改措施", "整改目标", "责任领导", "责任单位", "责任人", "整改时限", "完成情况", "销号情况"):
        assert col in header
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:O{n + 2}"
    assert ws.column_dimensions["D"].width == 40
    rows = _rows(ws)[:n]
    assert [r[0] for r in rows] == list(range(1, n + 1))
    col = {h: i for i, h in enumerate(header)}
    # the problem whose text starts with "=" is kept as the text typed: a string cell with the
    # quote-prefix style, no apostrophe, never a formula
    at = next(i for i, r in enumerate(rows) if "教务问题" in (r[3] or ""))
    cell = ws.cell(row=at + 3, column=4)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s" and cell.quotePrefix
    first = rows[at]
    assert first[col["整改措施"]].startswith("整改措施")
    assert first[col["责任人"]] == "处长张三"
    deadline = ws.cell(row=at + 3, column=col["整改时限"] + 1)
    assert deadline.value == datetime(2026, 11, 30) and deadline.is_date  # a real date cell
    assert first[col["销号情况"]] == "2026年11月28日已销号"
    no_measure = next(r for r in rows if r[col["单位"]] == "江城职业技术学院")
    assert no_measure[col["完成情况"]] == "尚未制定整改措施"
    # the rates under the table: the same function and figures as the dashboard
    rate_rows = _rows(ws)[n:]
    done = [m for m in measures if m.status == "verified"]
    assert rate_rows[0][0] == "整改完成率" and abs(rate_rows[0][1] - len(done) / len(measures)) < 1e-9
    assert rate_rows[0][2] == f"已完成 {len(done)} / 已批准方案的措施 {len(measures)}"


def test_it_writes_one_sheet_per_unit(cast, campaign, dataset, tmp_path):
    path = tmp_path / "p.xlsx"
    to_xlsx(path, kind="problems", campaign=campaign, root=cast.college, layout="per_unit")
    wb = _open(path)
    assert [ws.title for ws in wb.worksheets] == ["江城职业技术学院", "教务处", "财务处"]
    counts = {ws.title: len(_rows(ws)) for ws in wb.worksheets}
    assert counts == {"江城职业技术学院": 1, "教务处": 3, "财务处": 2}  # the section's problem is on 教务处
    assert wb["教务处"]["A1"].value == "教务处问题清单"


def test_it_writes_responsibility_and_rectification_lists_by_measure(cast, campaign, dataset, tmp_path):
    for kind, expected in (
        ("responsibility", ["序号", "存在问题", "整改措施", "责任领导", "责任单位", "责任人", "整改时限"]),
        ("rectification", None),
    ):
        path = tmp_path / f"{kind}.xlsx"
        assert to_xlsx(path, kind=kind, campaign=campaign, root=cast.dept_a) == 3  # dept_a and its section
        ws = _open(path).worksheets[0]
        header = [c.value for c in ws[2]]
        if expected:
            assert header == expected
        else:
            assert "完成情况" in header and "销号情况" in header and "整改目标" in header


def test_it_exports_in_the_background_and_serves_the_file_to_its_requester(cast, campaign, dataset, client_for):
    client = client_for(cast.user("head_a"))
    url = reverse("analysis:ledgers", args=[campaign.pk])
    r = client.post(url, {"kind": "combined", "layout": "single", "unit": cast.dept_a.pk})
    assert r.status_code == 302
    export = LedgerExport.objects.get()
    assert export.status == JobStatus.DONE and export.progress == 100 and export.rows == 3
    assert "%E6%95%99%E5%8A%A1%E5%A4%84" in r_disposition(client, export)  # 教务处: a Chinese file name
    assert AuditRecord.objects.filter(action="ledger_export.request").exists()
    r = client.get(reverse("analysis:export_file", args=[export.pk]))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    wb = _open(b"".join(r.streaming_content))
    assert len(_rows(wb.worksheets[0])) == 3 + 2  # three rows, then the completion and close-out rates
    progress = client.get(reverse("analysis:export_progress", args=[export.pk]))
    assert "hx-trigger" not in progress.content.decode()  # done: polling stops
    # a head may not export another department, and strangers get nothing
    assert client.post(url, {"kind": "combined", "layout": "single", "unit": cast.dept_b.pk}).status_code == 200
    assert LedgerExport.objects.count() == 1
    assert client_for(cast.user("outsider")).get(reverse("analysis:export_file", args=[export.pk])).status_code == 404


def test_it_shows_progress_while_an_export_is_queued(cast, campaign, client_for):
    export = LedgerExport.objects.create(
        campaign=campaign, unit=cast.college, kind="problems", requested_by=cast.user("office"), progress=40, rows=800
    )
    r = client_for(cast.user("office")).get(reverse("analysis:export_progress", args=[export.pk]))
    html = r.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="40"' in html
    assert client_for(cast.user("office")).get(reverse("analysis:export_file", args=[export.pk])).status_code == 404


def test_it_neutralises_every_formula_prefix(cast, campaign, tmp_path):
    from .conftest import add_problem

    texts = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "正常文本"]
    for t in texts:
        add_problem(campaign, cast.dept_a, text=t)
    path = tmp_path / "f.xlsx"
    to_xlsx(path, kind="problems", campaign=campaign, root=cast.college)
    ws = _open(path).worksheets[0]
    cells = {c.value: c for row in ws.iter_rows(min_row=3) for c in row if c.column == 4}
    for t in texts[:-1]:
        # kept exactly as typed (no apostrophe in the value), as text with the quote-prefix style
        assert t in cells and cells[t].data_type == "s" and cells[t].quotePrefix, repr(t)
    assert "正常文本" in cells and not cells["正常文本"].quotePrefix
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def r_disposition(client, export) -> str:
    return client.get(reverse("analysis:export_file", args=[export.pk]))["Content-Disposition"]
