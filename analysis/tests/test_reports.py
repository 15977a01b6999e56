"""The comprehensive analysis report: data, Word and PDF files opened and read back, background run."""

import io
import subprocess

import pytest
import time_machine
from django.urls import reverse

from analysis.models import AnalysisReport, JobStatus, ReportRun
from analysis.reports import city, comprehensive
from analysis.services import report_create, report_generate, report_update, typical_case_add
from audit.models import AuditRecord

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def pdf_fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout


def docx_text(data: bytes):
    from docx import Document

    doc = Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return doc, paragraphs, tables


@pytest.fixture
def report(cast, campaign, dataset):
    office = cast.user("office")
    r = report_create(actor=office, unit=cast.college, campaign=campaign)
    report_update(
        actor=office,
        report=r,
        title="江城职业技术学院自查整改综合分析报告",
        narratives={"next_steps": "一是巩固整改成果。\n二是建立长效机制。", "bogus": "ignored"},
    )
    typical_case_add(
        actor=office,
        report=r,
        kind="good",
        title="教务处立行立改",
        text="教务处对群众反映的问题当即整改。",
        unit=cast.dept_a,
    )
    typical_case_add(actor=office, report=r, kind="bad", title="财务处整改迟缓", text="整改措施迟迟未落实。")
    return r


def test_it_collects_plain_figures_equal_to_the_rows(cast, campaign, dataset, report):
    data = comprehensive.collect(cast.college, campaign, report=report, today=TODAY)
    assert data["problems"]["total"] == len(dataset.problems)
    per_group = {
        g: sum(1 for p in dataset.problems if any(m.group == g for m in p.manifestations.all()))
        for g in ("yong", "lan", "san")
    }
    assert [n for _label, n in data["problems"]["groups"]] == list(per_group.values())  # 庸, 懒, 散
    assert data["rectification"]["verified"] == 2 and data["rectification"]["overdue"] == 1
    assert data["narratives"]["next_steps"].startswith("一是巩固整改成果")
    assert "6" in data["narratives"]["problems"]  # generated from the figures when the office wrote nothing
    assert [c[0] for c in data["typical"]["good"]] == ["教务处立行立改"]
    assert data["rules"] and all(isinstance(v, str) for row in data["rules"] for v in row)


def test_it_writes_a_word_document_with_sections_tables_and_charts(cast, campaign, dataset, report):
    data = comprehensive.collect(cast.college, campaign, report=report, today=TODAY)
    doc, paragraphs, tables = docx_text(comprehensive.to_docx(data))
    assert paragraphs[0] == "江城职业技术学院自查整改综合分析报告"
    headings = [
        p
        for p in paragraphs
        if p[:2] in ("一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、", "十、")
    ]
    assert [h[2:] for h in headings] == [
        "活动组织开展情况",
        "查找问题情况",
        "问题原因剖析",
        "专题民主生活会召开情况",
        "民主评议结果",
        "整改落实进展",
        "建章立制情况",
        "典型案例",
        "问责情况",
        "下一步工作打算",
    ]
    assert "二是建立长效机制。" in paragraphs
    assert "教务处立行立改（教务处）" in paragraphs and "财务处整改迟缓" in paragraphs
    unit_table = next(t for t in tables if t[0][:2] == ["单位", "问题数"])
    assert ["教务处", "3", "1", "1"] in unit_table
    assert len(doc.inline_shapes) >= 4  # charts as images
    run = doc.paragraphs[0].runs[0]
    assert run._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")


def test_it_writes_a_pdf_with_chinese_text_and_embedded_fonts(cast, campaign, dataset, report, tmp_path):
    data = comprehensive.collect(cast.college, campaign, report=report, today=TODAY)
    pdf = comprehensive.to_pdf(data)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "综合分析报告" in text and "查找问题情况" in text and "教务处" in text
    fonts = pdf_fonts(pdf, tmp_path)
    assert "CJK" in fonts and " yes " in fonts  # embedded


def test_it_generates_in_the_background_and_keeps_the_files(cast, campaign, dataset, report, client_for):
    run = report_generate(actor=cast.user("office"), report=report)  # immediate backend in tests
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.progress == 100 and run.finished_at
    _, paragraphs, _ = docx_text(run.docx.read())
    assert "三、问题原因剖析" in paragraphs
    run.pdf.open("rb")
    assert "问责情况" in pdf_text(run.pdf.read())
    assert AuditRecord.objects.filter(action="analysis_report.generate").exists()
    client = client_for(cast.user("principal"))
    r = client.get(reverse("analysis:run_file", args=[run.pk, "docx"]))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert client_for(cast.user("outsider")).get(reverse("analysis:run_file", args=[run.pk, "pdf"])).status_code == 404


def test_it_records_a_failed_run(cast, campaign, report, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(comprehensive, "to_pdf", boom)
    report_generate(actor=cast.user("office"), report=report)  # the worker records the failure
    run = ReportRun.objects.get(report=report)
    assert run.status == JobStatus.FAILED and "no fonts" in run.error


def test_it_lets_the_office_edit_narratives_and_generate_from_the_page(cast, campaign, dataset, client_for):
    client = client_for(cast.user("office"))
    r = client.post(reverse("analysis:report_new", args=[campaign.pk]))
    report = AnalysisReport.objects.get(campaign=campaign)
    assert r.status_code == 302
    url = reverse("analysis:report", args=[report.pk])
    r = client.post(url, {"title": "综合分析报告", "n_causes": "原因在于思想认识不到位。", "action": "save"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.narratives == {"causes": "原因在于思想认识不到位。"}
    r = client.post(reverse("analysis:report_generate", args=[report.pk]))
    assert r.status_code == 302
    run = report.runs.get()
    assert run.status == JobStatus.DONE
    r = client.get(reverse("analysis:run_progress", args=[run.pk]))
    html = r.content.decode()
    assert r.status_code == 200 and reverse("analysis:run_file", args=[run.pk, "pdf"]) in html
    assert "hx-trigger" not in html  # done: the page stops polling


def test_it_refuses_report_writes_to_readers_and_strangers(cast, campaign, dataset, client_for):
    report = report_create(actor=cast.user("office"), unit=cast.college, campaign=campaign)
    url = reverse("analysis:report", args=[report.pk])
    assert client_for(cast.user("principal")).get(url).status_code == 200
    assert client_for(cast.user("principal")).post(url, {"title": "x", "action": "save"}).status_code == 403
    assert client_for(cast.user("outsider")).get(url).status_code == 404
    assert (
        client_for(cast.user("principal")).post(reverse("analysis:report_new", args=[campaign.pk])).status_code == 403
    )


@time_machine.travel(TODAY, tick=False)
def test_it_writes_the_city_report(cast, campaign, dataset, tmp_path):
    report = report_create(actor=cast.user("city_official"), unit=cast.city)
    assert report.scope == AnalysisReport.Scope.CITY
    data = city.collect(cast.city, report=report)
    assert data["institutions"][0][0] == "江城职业技术学院" and data["institutions"][0][2] == 6
    _, paragraphs, tables = docx_text(city.to_docx(data))
    assert any("江城职业技术学院" in row[0] for t in tables for row in t)
    assert "查找问题情况" in pdf_text(city.to_pdf(data))
