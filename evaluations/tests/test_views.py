import io
import subprocess

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from audit.models import AuditRecord
from evaluations.models import BallotToken, CodeBatch, Evaluation, PaperBatch, SymposiumOpinion
from evaluations.services import evaluation_publish, evaluation_tally


def test_it_lists_rounds_with_constant_queries(cast, make_round, client_for, django_assert_max_num_queries):
    make_round()
    c = client_for(cast.user("office"))
    with django_assert_max_num_queries(30) as first:
        assert c.get(reverse("evaluations:index")).status_code == 200
    for _ in range(4):
        make_round()
    with django_assert_max_num_queries(len(first.captured_queries)):
        r = c.get(reverse("evaluations:index"))
    assert r.content.decode().count("2026年度部门民主评议") == 5


def test_it_creates_a_round_from_the_form(cast, campaign, client_for):
    c = client_for(cast.user("office"))
    r = c.post(
        reverse("evaluations:create"),
        {"campaign": campaign.pk, "name": "处级干部民主测评", "kind": "assessment", "scale_preset": "competence"},
    )
    ev = Evaluation.objects.get(name="处级干部民主测评")
    assert r.status_code == 302 and r["Location"] == reverse("evaluations:detail", args=[ev.pk])
    assert list(ev.grades.values_list("label", flat=True)) == ["优秀", "称职", "基本称职", "不称职"]
    page = c.get(r["Location"]).content.decode()
    assert "尚未设置评议对象" in page  # why it cannot open yet


def test_it_hides_a_round_from_another_institution_and_refuses_read_only_users(cast, make_round, client_for):
    ev = make_round()
    assert client_for(cast.user("outsider")).get(reverse("evaluations:detail", args=[ev.pk])).status_code == 404
    c = client_for(cast.user("principal"))
    assert c.get(reverse("evaluations:detail", args=[ev.pk])).status_code == 200
    assert c.post(reverse("evaluations:open", args=[ev.pk])).status_code == 403
    assert c.get(reverse("evaluations:paper_batch_new", args=[ev.pk])).status_code == 403


def test_it_shows_why_the_round_cannot_open(cast, make_round, client_for):
    ev = make_round(groups=(("党员", 10, 5, 1),))
    c = client_for(cast.user("office"))
    r = c.post(reverse("evaluations:open", args=[ev.pk]), follow=True)
    assert "评议组“党员”：仅发放 0 票" in r.content.decode()
    ev.refresh_from_db()
    assert ev.status == "draft"


def test_it_issues_codes_as_a_qr_sheet_or_a_list_once_and_keeps_only_their_hashes(
    cast, make_round, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ev = make_round()
    group = ev.groups.first()
    c = client_for(cast.user("office"))
    pdf = c.post(reverse("evaluations:codes_issue", args=[ev.pk]), {"group": group.pk, "count": 7, "fmt": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf["Cache-Control"] == "no-store"
    assert pdf.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True).stdout.decode()
    assert text.count("党员") >= 7 and "2026年度部门民主评议" in text
    xlsx = c.post(reverse("evaluations:codes_issue", args=[ev.pk]), {"group": group.pk, "count": 5, "fmt": "xlsx"})
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    codes = [row[1] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert len(codes) == 5 and all(len(code) == 19 for code in codes)
    links = [row[2] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert all(link.endswith("/v/#" + code) for link, code in zip(links, codes, strict=True))
    # nothing of the codes is kept but their hashes: no file in media/, no code in the database
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    from evaluations.services import code_hash

    assert set(BallotToken.objects.values_list("code_hash", flat=True)) >= {code_hash(x) for x in codes}
    assert CodeBatch.objects.count() == 2
    assert AuditRecord.objects.filter(action="evaluation.codes_issue", changes__codes=7).exists()


def test_it_enters_a_paper_batch_and_lets_only_another_person_check_it(cast, make_round, client_for):
    from evaluations.services import evaluation_open, paper_issue

    ev = make_round(groups=(("群众", 10, 5, 1),))
    office = cast.user("office")
    paper_issue(actor=office, group=ev.groups.get(), count=10)
    evaluation_open(actor=office, evaluation=ev)
    sat = ev.grades.get(label="满意")
    data = {"group": ev.groups.get().pk, "label": "1号票箱", "returned": 6, "invalid": 0}
    for t in ev.targets.all():
        for i in ev.items.filter(applies_to="unit"):
            data[f"c-{t.pk}-{i.pk}-{sat.pk}"] = 6
    c = client_for(office)
    c.post(reverse("evaluations:paper_batch_new", args=[ev.pk]), data)
    batch = PaperBatch.objects.get()
    assert batch.returned == 6 and batch.counts.count() == 6
    c.post(reverse("evaluations:paper_batch_check", args=[batch.pk]), {"approve": "on"})
    batch.refresh_from_db()
    assert batch.status == "entered"
    # the campaign office has a second member in real life; here the superuser-free cast uses a second office login
    from orgs.models import RoleAssignment
    from orgs.services import role_assign

    role_assign(actor=None, person=cast.cadre_a2, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=cast.college)
    client_for(cast.user("cadre_a2")).post(reverse("evaluations:paper_batch_check", args=[batch.pk]), {"approve": "on"})
    batch.refresh_from_db()
    assert batch.status == "checked" and batch.checked_by == cast.user("cadre_a2")


def test_it_voids_the_round_on_over_return_once_the_batch_is_checked_and_says_why(cast, make_round, client_for):
    from evaluations.services import evaluation_open, paper_issue
    from orgs.models import RoleAssignment
    from orgs.services import role_assign

    ev = make_round(groups=(("群众", 5, 0, 1),))
    paper_issue(actor=cast.user("office"), group=ev.groups.get(), count=3)
    evaluation_open(actor=cast.user("office"), evaluation=ev)
    c = client_for(cast.user("office"))
    c.post(
        reverse("evaluations:paper_batch_new", args=[ev.pk]),
        {"group": ev.groups.get().pk, "label": "1", "returned": 4, "invalid": 0},
        follow=True,
    )
    ev.refresh_from_db()
    assert ev.status == "open" and not ev.over_return_reason  # a batch waiting for its check voids nothing
    role_assign(actor=None, person=cast.cadre_a2, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=cast.college)
    batch = ev.paper_batches.get()
    r = client_for(cast.user("cadre_a2")).post(
        reverse("evaluations:paper_batch_check", args=[batch.pk]), {"approve": "on"}, follow=True
    )
    ev.refresh_from_db()
    assert ev.over_return_by == cast.user("cadre_a2") and "只发出3张" in ev.over_return_reason
    assert "收回票数多于发出票数，本次评议无效" in r.content.decode()


def test_it_records_a_symposium_and_turns_an_accepted_opinion_into_a_problem(cast, make_round, client_for):
    from problems.models import Problem

    ev = make_round()
    c = client_for(cast.user("office"))
    r = c.post(
        reverse("evaluations:symposium_new", args=[ev.pk]),
        {
            "unit": cast.dept_a.pk,
            "held_on": "2026-12-01",
            "place": "行政楼第一会议室",
            "host": "陈静",
            "attendees": "李老师*, 机电学院\n王同学, 学生代表\n赵老师*, 基础部",
            "opinions": "李老师：教务处调课审批环节多、时间长\n考试安排通知太晚",
        },
    )
    sym = ev.symposia.get()
    assert r.status_code == 302
    assert sym.attendees.count() == 3 and sym.attendees.filter(spoke=True).count() == 2
    first, second = sym.opinions.order_by("pk")
    assert first.speaker == "李老师" and "调课" in first.content
    c.post(reverse("evaluations:opinion_decide", args=[first.pk]), {"decision": "accept", "severity": "high"})
    first.refresh_from_db()
    assert first.status == SymposiumOpinion.Status.ACCEPTED
    problem = Problem.objects.get(pk=first.problem_id)
    assert problem.channel == "evaluation" and problem.unit == cast.dept_a and problem.severity == "high"
    c.post(reverse("evaluations:opinion_decide", args=[second.pk]), {"decision": "decline", "reason": ""})
    second.refresh_from_db()
    assert second.status == "raised"
    c.post(
        reverse("evaluations:opinion_decide", args=[second.pk]), {"decision": "decline", "reason": "已在期末统一安排"}
    )
    second.refresh_from_db()
    assert second.status == "declined"


def test_it_shows_results_and_exports_them(close_round, cast, open_round, vote, client_for):
    office = cast.user("office")
    ev, codes = open_round()
    a, b = list(ev.targets.all())
    for code in codes["党员"] + codes["群众"]:
        vote(ev, code, {a: "满意", b: "不满意"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    evaluation_publish(actor=office, evaluation=ev)
    c = client_for(cast.user("principal"))
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    assert "data-chart" in page and "100.0%" in page and "不过关" in page
    xlsx = c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"]))
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "评议对象" and rows[2][0] == "教务处" and rows[2][-2] == "通过"  # then 后果
    assert rows[3][0] == "财务处" and rows[3][-2].startswith("不过关")
    docx = Document(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "docx"])).content))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert "不过关：财务处" in text
    assert docx.tables[0].rows[1].cells[0].text == "教务处"


@pytest.mark.parametrize("url", ["evaluations:index"])
def test_it_requires_a_login(client, url):
    r = client.get(reverse(url))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
