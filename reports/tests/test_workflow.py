"""The report workflow: drafts, versions, routing at submit, decisions pinned to a version."""

import pytest
from django.core import mail

from accountability.models import AccountabilityCase
from audit.models import AuditRecord
from core.exceptions import Conflict, ServiceError
from notifications.models import Notification
from orgs.models import Supervision
from orgs.services import supervision_set
from reports.models import ReportReview, SelfReport
from reports.services import report_approve, report_reroute, report_return, report_save, report_submit


def current(report):
    report.refresh_from_db()
    return report.versions.get(number=report.current_version)


def test_it_saves_drafts_in_place_until_submitted(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a, submit=False)
    report_save(actor=cast.user("cadre_a"), report=report, method="改", problems_and_causes="x", measures="y")
    report.refresh_from_db()
    assert report.status == "draft" and report.versions.count() == 1 and current(report).method == "改"
    assert AuditRecord.objects.filter(action="report.save", object_id=str(report.pk)).count() == 2


def test_it_routes_a_cadre_report_to_the_department_head_on_submit(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    assert report.status == "submitted" and report.reviewer == cast.user("head_a") and not report.routing_problem
    assert Notification.objects.filter(recipient=cast.user("head_a"), url=f"/reports/{report.pk}/").exists()
    assert AuditRecord.objects.filter(action="report.submit", object_id=str(report.pk)).exists()


def test_it_routes_the_team_report_to_every_city_official(cast, writer):
    report = writer("principal", "team", cast.college)
    assert report.reviewer_is_city_office and report.reviewer is None
    assert Notification.objects.filter(recipient=cast.user("city_official")).exists()


def test_it_keeps_an_unroutable_report_waiting_and_tells_the_office(cast, writer):
    Supervision.objects.filter(unit=cast.dept_a).delete()
    report = writer("member_a", "department_member", cast.dept_a)
    assert report.status == "submitted" and report.waiting_for_routing and "教务处" in report.routing_problem
    note = Notification.objects.get(recipient=cast.user("office"))
    assert "教务处" in note.body
    # the office sets the 分管 leader and routes it again
    supervision_set(actor=None, leader=cast.supervisor, unit=cast.dept_a)
    report = report_reroute(actor=cast.user("office"), report=report)
    assert not report.waiting_for_routing and report.reviewer == cast.user("supervisor")


def test_it_refuses_to_submit_an_empty_section(cast, campaign):
    from reports.services import report_start
    from reports.tests.conftest import participant

    r = report_start(
        actor=cast.user("cadre_a"),
        participant=participant(campaign, cast.dept_a),
        author_kind="cadre",
        unit=cast.dept_a,
    )
    with pytest.raises(ServiceError) as exc:
        report_submit(actor=cast.user("cadre_a"), report=r)
    assert len(exc.value.details) == 3


def test_it_refuses_self_review(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    SelfReport.objects.filter(pk=report.pk).update(reviewer=cast.user("cadre_a"))
    report.refresh_from_db()
    with pytest.raises(ServiceError, match="own report|本人"):
        report_approve(actor=cast.user("cadre_a"), report=report, version=current(report))
    assert not ReportReview.objects.exists()


def test_it_refuses_a_reviewer_who_is_not_routed(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    with pytest.raises(ServiceError):
        report_approve(actor=cast.user("head_b"), report=report, version=current(report))
    report.refresh_from_db()
    assert report.status == "submitted"


def test_it_pins_each_decision_to_a_version_and_needs_a_new_approval_after_an_edit(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    v1 = current(report)
    review = report_approve(actor=cast.user("head_a"), report=report, version=v1, comment="同意")
    report.refresh_from_db()
    assert report.status == "approved" and review.version == v1 and report.approved_at
    assert AuditRecord.objects.filter(action="report.approve", object_id=str(report.pk)).exists()
    with pytest.raises(Conflict):  # an approved report is revised only on purpose
        report_save(actor=cast.user("cadre_a"), report=report, method="补充", problems_and_causes="p", measures="m")
    report_save(
        actor=cast.user("cadre_a"),
        report=report,
        method="补充",
        problems_and_causes="p",
        measures="m",
        revise_approved=True,
    )
    report.refresh_from_db()
    assert report.status == "draft" and report.current_version == 2
    v1.refresh_from_db()
    assert v1.method == "对照十种表现逐条自查"  # the approved version is untouched
    report_submit(actor=cast.user("cadre_a"), report=report)
    with pytest.raises(Conflict):  # a decision on the old version no longer applies
        report_approve(actor=cast.user("head_a"), report=report, version=v1)
    report_approve(actor=cast.user("head_a"), report=report, version=current(report))
    assert list(report.reviews.values_list("version__number", flat=True)) == [1, 2]


def test_it_refuses_editing_while_under_review(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    with pytest.raises(ServiceError):
        report_save(actor=cast.user("cadre_a"), report=report, method="x", problems_and_causes="y", measures="z")


def test_it_refuses_a_second_decision(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    report_approve(actor=cast.user("head_a"), report=report, version=current(report))
    with pytest.raises(Conflict):
        report_return(actor=cast.user("head_a"), report=report, version=current(report), comment="不行")


def test_it_proposes_a_case_against_the_department_head_when_a_report_is_returned(cast, writer, client_for):
    report = writer("member_a", "department_member", cast.dept_a)
    report_return(actor=cast.user("supervisor"), report=report, version=current(report), comment="问题查摆不深刻")
    report.refresh_from_db()
    assert report.status == "returned"
    case = AccountabilityCase.objects.get()
    assert case.person == cast.head_a and case.unit == cast.dept_a and case.trigger == "report_returned"
    assert "问题查摆不深刻" in case.facts and case.trigger_ref == f"reports.selfreport:{report.pk}"
    assert case.status == "proposed" and not case.decided_measures.exists()  # proposed, never decided by itself
    assert Notification.objects.filter(recipient=cast.user("member_a"), kind="warning").exists()
    # the deciding office (the college's campaign office) and the head concerned are told
    assert Notification.objects.filter(recipient=cast.user("office"), url=f"/accountability/{case.pk}/").exists()
    assert Notification.objects.filter(recipient=cast.user("head_a"), url=f"/accountability/{case.pk}/").exists()
    # the author rewriting the report sees the comment beside the text
    page = client_for(cast.user("member_a")).get(f"/reports/{report.pk}/edit/").content.decode()
    aside = page.split('class="return-comment"')[1].split("</aside>")[0]
    assert "问题查摆不深刻" in aside and "副院长李华" in aside
    assert page.index('class="return-comment"') < page.index('name="method"')
    # the author redoes it: a new version, submitted again
    report_save(actor=cast.user("member_a"), report=report, method="重写", problems_and_causes="p", measures="m")
    report = report_submit(actor=cast.user("member_a"), report=report)
    assert report.status == "submitted" and report.current_version == 2


def test_it_proposes_a_case_against_the_principal_when_the_team_report_is_returned(cast, writer):
    report = writer("principal", "team", cast.college)
    report_return(actor=cast.user("city_official"), report=report, version=current(report), comment="不深刻")
    case = AccountabilityCase.objects.get()
    assert case.person == cast.principal and case.unit == cast.college and case.status == "proposed"
    # a case on the institution's principal goes to the city office, not to the college's own office
    assert Notification.objects.filter(recipient=cast.user("city_official"), url__endswith=f"/{case.pk}/").exists()
    assert not Notification.objects.filter(recipient=cast.user("office"), url__endswith=f"/{case.pk}/").exists()


def test_it_needs_comments_to_return(cast, writer):
    report = writer("cadre_a", "cadre", cast.dept_a)
    with pytest.raises(ServiceError):
        report_return(actor=cast.user("head_a"), report=report, version=current(report), comment=" ")


def test_it_reminds_reviewers_of_overdue_reviews(cast, writer, settings, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from reports.tasks import remind_overdue_reviews

    settings.REPORT_REVIEW_OVERDUE_DAYS = 5
    fresh = writer("cadre_a", "cadre", cast.dept_a)
    old = writer("member_a", "department_member", cast.dept_a)
    SelfReport.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=6))
    mail.outbox.clear()
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        result = remind_overdue_reviews.call()
    assert result["reminded"] == 1
    assert Notification.objects.filter(recipient=cast.user("supervisor"), kind="warning").count() == 1
    assert not Notification.objects.filter(recipient=cast.user("head_a")).exists()  # fresh one is not overdue
    assert any("supervisor@example.cn" in m.to for m in mail.outbox)
    assert remind_overdue_reviews.call()["reminded"] == 0  # at most once a day
    assert fresh.status == "submitted"


def test_it_puts_reports_to_write_and_reviews_waiting_on_the_home_page(cast, campaign, writer, client_for):
    home = client_for(cast.user("member_a")).get("/").content.decode()
    assert "待撰写的自查报告：1份" in home
    writer("member_a", "department_member", cast.dept_a)
    home = client_for(cast.user("supervisor")).get("/").content.decode()
    assert "待您审定的自查报告：1份" in home
