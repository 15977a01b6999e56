"""Pages: access rules, editor, review, diff, exports."""

import io

import pytest
from docx import Document

from audit.models import AuditRecord
from reports.models import SelfReport


def test_it_requires_a_login(client, cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    response = client.get(f"/reports/{report.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_hides_a_cadres_report_from_another_cadre(cast, writer, client_for):
    report = writer("cadre_a", "cadre", cast.dept_a)
    assert client_for(cast.user("cadre_a2")).get(f"/reports/{report.pk}/").status_code == 404
    assert client_for(cast.user("cadre_a2")).get(f"/reports/{report.pk}/export.docx").status_code == 404


def test_it_shows_a_department_leader_only_their_departments_reports(cast, writer, client_for):
    mine = writer("cadre_a", "cadre", cast.dept_a)
    theirs = writer("head_b", "department", cast.dept_b)
    client = client_for(cast.user("head_a"))
    assert client.get(f"/reports/{mine.pk}/").status_code == 200
    assert client.get(f"/reports/{theirs.pk}/").status_code == 404
    page = client.get("/reports/").content.decode()
    assert mine.title in page and theirs.title not in page


def test_it_hides_reports_from_another_institution(cast, writer, client_for):
    report = writer("principal", "team", cast.college)
    assert client_for(cast.user("outsider")).get(f"/reports/{report.pk}/").status_code == 404


def test_it_lets_readers_read_but_not_edit(cast, writer, client_for):
    report = writer("cadre_a", "cadre", cast.dept_a, submit=False)
    client = client_for(cast.user("head_a"))
    assert client.get(f"/reports/{report.pk}/").status_code == 200
    assert client.get(f"/reports/{report.pk}/edit/").status_code == 403
    assert client.post(f"/reports/{report.pk}/submit/").status_code == 403


def test_it_lets_the_author_start_save_and_submit_from_the_editor(cast, campaign, client_for):
    client = client_for(cast.user("member_a"))
    page = client.get("/reports/").content.decode()
    assert "开始撰写" in page or "Start writing" in page
    from campaigns.models import CampaignUnit

    p = CampaignUnit.objects.get(campaign=campaign, unit=cast.dept_a)
    response = client.post(
        "/reports/start/", {"participant": p.pk, "unit": cast.dept_a.pk, "kind": "department_member"}
    )
    report = SelfReport.objects.get(person=cast.member_a)
    assert response["Location"] == f"/reports/{report.pk}/edit/"
    data = {"method": "座谈会征求意见", "problems_and_causes": "服务意识不强", "measures": "建立首问负责制"}
    client.post(f"/reports/{report.pk}/edit/", {**data, "action": "save"})
    report.refresh_from_db()
    assert report.status == "draft" and report.versions.get().method == "座谈会征求意见"
    client.post(f"/reports/{report.pk}/edit/", {**data, "action": "submit"})
    report.refresh_from_db()
    assert report.status == "submitted" and report.reviewer == cast.user("supervisor")


def test_it_lets_the_reviewer_approve_from_the_page_and_the_author_see_the_comment(cast, writer, client_for):
    report = writer("cadre_a", "cadre", cast.dept_a)
    client = client_for(cast.user("head_a"))
    assert "<form" in client.get(f"/reports/{report.pk}/").content.decode()
    queue = client.get("/reports/queue/").content.decode()
    assert report.title in queue
    version = report.versions.get()
    client.post(f"/reports/{report.pk}/review/", {"version": version.pk, "decision": "approved", "comment": "查摆深刻"})
    report.refresh_from_db()
    assert report.status == "approved"
    page = client_for(cast.user("cadre_a")).get(f"/reports/{report.pk}/").content.decode()
    assert "查摆深刻" in page


def test_it_lists_the_reviewers_decisions_as_done_under_the_queue(cast, writer, client_for):
    report = writer("cadre_a", "cadre", cast.dept_a)
    client = client_for(cast.user("head_a"))
    before = client.get("/reports/queue/").context
    assert [r.pk for r in before["rows"]] == [report.pk] and list(before["done"]) == []
    client.post(
        f"/reports/{report.pk}/review/",
        {"version": report.versions.get().pk, "decision": "returned", "comment": "重写"},
    )
    after = client.get("/reports/queue/")
    assert list(after.context["rows"]) == [] and [rv.report_id for rv in after.context["done"]] == [report.pk]
    assert "已办" in after.content.decode() and "退回" in after.content.decode()


def test_it_opens_the_single_report_from_the_home_task(cast, writer, client_for):
    from reports.providers import report_tasks

    report = writer("cadre_a", "cadre", cast.dept_a)
    [task] = [t for t in report_tasks(cast.user("head_a")) if "审定" in t.label]
    assert task.url == f"/reports/{report.pk}/" and task.due is not None


def test_it_shows_the_difference_between_versions_escaped(cast, writer, client_for):
    from reports.services import report_return, report_save

    report = writer("cadre_a", "cadre", cast.dept_a, method="原来的方式")
    report_return(actor=cast.user("head_a"), report=report, version=report.versions.get(), comment="重写")
    report_save(
        actor=cast.user("cadre_a"),
        report=report,
        method="新的方式<script>x</script>",
        problems_and_causes="p",
        measures="m",
    )
    page = client_for(cast.user("cadre_a")).get(f"/reports/{report.pk}/diff/?a=1&b=2").content.decode()
    assert "<del>原来</del>" in page and "<ins>新</ins>" in page
    assert "<script>x" not in page and "&lt;script&gt;" in page


def test_it_exports_an_official_word_document(cast, writer, client_for):
    report = writer("head_a", "department", cast.dept_a, method="学习文件。\n对照检查。")
    response = client_for(cast.user("head_a")).get(f"/reports/{report.pk}/export.docx")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "教务处自查报告"
    assert texts[1].endswith("治庸办：")
    assert "一、自查工作开展情况" in texts and "二、存在的问题及原因剖析" in texts and "三、整改措施" in texts
    assert "学习文件。" in texts and "对照检查。" in texts
    assert texts[-2] == "教务处" and texts[-1].startswith("20") and texts[-1].endswith("日")


@pytest.mark.parametrize("key,status", [("office", 200), ("supervisor", 200), ("cadre_a2", 404)])
def test_it_exports_a_pdf_to_those_who_may_read(cast, writer, client_for, key, status):
    report = writer("head_a", "department", cast.dept_a)
    response = client_for(cast.user(key)).get(f"/reports/{report.pk}/export.pdf")
    assert response.status_code == status
    if status == 200:
        assert response.content[:5] == b"%PDF-"


def test_it_lists_reports_in_a_constant_number_of_queries(cast, writer, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    writer("cadre_a", "cadre", cast.dept_a)
    client.get("/reports/")
    with django_assert_max_num_queries(30) as first:
        client.get("/reports/")
    writer("cadre_a2", "cadre", cast.dept_a)
    writer("member_a", "department_member", cast.dept_a)
    writer("head_b", "department", cast.dept_b)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/reports/")


def test_it_lets_the_office_route_a_waiting_report_again(cast, writer, client_for):
    from orgs.models import Supervision
    from orgs.services import supervision_set

    Supervision.objects.filter(unit=cast.dept_a).delete()
    report = writer("head_a", "department", cast.dept_a)
    page = client_for(cast.user("office")).get("/reports/").content.decode()
    assert report.routing_problem in page
    supervision_set(actor=None, leader=cast.supervisor, unit=cast.dept_a)
    assert client_for(cast.user("head_a")).post(f"/reports/{report.pk}/reroute/").status_code == 403
    client_for(cast.user("office")).post(f"/reports/{report.pk}/reroute/")
    report.refresh_from_db()
    assert report.reviewer == cast.user("supervisor") and not report.routing_problem
    assert AuditRecord.objects.filter(action="report.reroute").exists()


def test_it_adds_a_new_problem_to_the_ledger_from_the_editor_and_cites_it(cast, writer, client_for):
    from problems.models import Problem

    report = writer("member_a", "department_member", cast.dept_a, submit=False)
    client = client_for(cast.user("member_a"))
    client.post(
        f"/reports/{report.pk}/problem/",
        {
            "description": "考务安排不周，师生意见较大",
            "cause": "统筹不够",
            "channel": "self_check",
            "severity": "medium",
        },
    )
    problem = Problem.objects.get(description="考务安排不周，师生意见较大")
    assert problem.subject_kind == "person" and problem.subject_person == cast.member_a and problem.unit == cast.dept_a
    assert list(report.versions.get().problems.all()) == [problem]
    assert "考务安排不周" in client.get(f"/reports/{report.pk}/edit/").content.decode()
    # another cadre may not add problems to someone else's report
    assert (
        client_for(cast.user("cadre_a")).post(f"/reports/{report.pk}/problem/", {"description": "x"}).status_code == 404
    )


def test_it_numbers_ledger_problems_in_the_word_document(cast, writer, client_for):
    from reports.services import report_problem_add, report_submit

    report = writer("cadre_a", "cadre", cast.dept_a, submit=False)
    report_problem_add(actor=cast.user("cadre_a"), report=report, description="服务态度生硬", cause="宗旨意识淡化")
    report_problem_add(actor=cast.user("cadre_a"), report=report, description="上班迟到早退", cause="纪律观念淡薄")
    report_submit(actor=cast.user("cadre_a"), report=report)
    response = client_for(cast.user("cadre_a")).get(f"/reports/{report.pk}/export.docx")
    texts = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert "（一）服务态度生硬" in texts and "（二）上班迟到早退" in texts
    assert "1. 原因剖析：宗旨意识淡化" in texts
    assert texts[-2] == "干部孙七"
