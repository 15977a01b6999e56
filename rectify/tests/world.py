"""The world of the regression suites: the shared cast (conftest.build_cast) with one object of every kind
that a URL can name, all inside the college (dept_a where a unit matters), so that each URL of the site
can be filled with a real object and asked for by every role.

Rows are written with the ORM where a workflow would only slow the suite down: these suites test who gets
what answer and what a hostile input does, not the workflows (each app's own tests walk those).
`ARGS` maps each URL name that takes path parameters to the values it is filled with.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

# Who plays each role of the access matrix (keys of the cast; "anonymous" is no login at all).
ROLES = {
    "city": "city_official",  # city office: sees every institution
    "office": "office",  # the college's campaign office
    "principal": "principal",  # principal leader (党委书记)
    "leader": "supervisor",  # leadership-team member, supervises dept_a
    "head": "head_a",  # head of dept_a
    "cadre": "cadre_a",  # cadre of dept_a
    "staff": "staff_a",  # staff member of dept_a
    "anon": None,  # nobody logged in
    "outsider": "outsider",  # the campaign office of ANOTHER institution
}


def build_world():
    """The cast, an active campaign and one object of every kind (see the module docstring)."""
    from accountability.models import AccountabilityCase
    from analysis.models import AnalysisReport, LedgerExport, LedgerImport, ReportRun, TypicalCase
    from audit.models import AnchorSender
    from campaigns.models import CampaignUnit, LookBack
    from conftest import build_campaign, build_cast
    from disclosure.models import Follow, Publication
    from disclosure.services import snapshot_take
    from evaluations.models import (
        BallotToken,
        CodeBatch,
        Evaluation,
        EvaluationItem,
        EvaluationTarget,
        EvaluatorGroup,
        Grade,
        PaperBatch,
        PassRule,
        ScoreBand,
        Symposium,
        SymposiumOpinion,
    )
    from meetings.models import Criticism, LifeMeeting, MeetingFollowUp, MeetingMeasure, MeetingMember
    from notifications.models import Notification
    from orgs.models import Post, RoleAssignment
    from paperballots.models import RejectedPage, ScanBatch, ScannedSheet, SheetAnswer, SheetText
    from problems.models import Manifestation, Opinion, PeerReview, Problem, ProblemEvidence
    from rectification.models import (
        Commitment,
        CommitmentItem,
        Evidence,
        Extension,
        Measure,
        Milestone,
        RectificationPlan,
        Rule,
    )
    from rectification.services import author_kind_for
    from reports.models import SelfReport
    from servicerating.models import Case, ServicePoint

    w = build_cast()
    c = build_campaign(w)
    w.campaign = c
    today = timezone.localdate()
    now = timezone.now()
    w.participant = CampaignUnit.objects.get(campaign=c, unit=w.dept_a)
    w.manifestation = Manifestation.objects.get_or_create(name="工作推进不力", defaults={"group": "lan"})[0]
    w.problem = Problem.objects.create(campaign=c, unit=w.dept_a, description="排课随意", channel="self_check")
    w.problem_evidence = ProblemEvidence.objects.create(
        problem=w.problem,
        file=ContentFile(b"%PDF-1.4\n", name="e.pdf"),
        original_name="e.pdf",
        sha256="0" * 64,
        size=9,
    )
    w.opinion = Opinion.objects.create(
        campaign=c, unit=w.dept_a, content="办事拖拉", source=Opinion.Source.values[0], received_on=today
    )
    w.peer_review = PeerReview.objects.create(
        campaign=c, unit=w.dept_a, kind=PeerReview.Kind.values[0], subject=w.head_a, content="", reviewer=w.cadre_a
    )
    w.case = AccountabilityCase.objects.create(
        institution=w.college, unit=w.dept_a, person=w.cadre_a, trigger="measure_overdue", facts="整改逾期"
    )
    w.report = SelfReport.objects.create(campaign=c, unit=w.dept_a, author_kind="cadre", title="自查报告")
    w.meeting = LifeMeeting.objects.create(campaign=c, unit=w.dept_a, theme="专题民主生活会", date=now, place="会议室")
    w.member = MeetingMember.objects.create(meeting=w.meeting, person=w.head_a)
    w.criticism = Criticism.objects.create(meeting=w.meeting, from_person=w.head_a, to_person=w.cadre_a, content="批评")
    w.meeting_measure = MeetingMeasure.objects.create(meeting=w.meeting, content="整改")
    w.follow_up = MeetingFollowUp.objects.create(
        meeting=w.meeting, kind=MeetingFollowUp._meta.get_field("kind").choices[0][0], due_on=today
    )
    ev = w.evaluation = Evaluation.objects.create(campaign=c, name="民主评议")
    w.ev_item = EvaluationItem.objects.create(evaluation=ev, text="工作作风")
    w.grade = Grade.objects.create(evaluation=ev, label="满意")
    w.band = ScoreBand.objects.create(evaluation=ev, label="优秀")
    # As the round's workflow leaves them: codes and paper ballots issued to the group, one of each.
    w.group = EvaluatorGroup.objects.create(evaluation=ev, name="教职工", paper_issued=1)
    w.target = EvaluationTarget.objects.create(evaluation=ev, kind="unit_work", unit=w.dept_a)
    w.code_batch = CodeBatch.objects.create(evaluation=ev, group=w.group, count=1, issued_on=today)
    BallotToken.objects.create(evaluation=ev, group=w.group, batch=w.code_batch, code_hash="1" * 64)
    w.paper_batch = PaperBatch.objects.create(
        evaluation=ev, group=w.group, label="第一批", returned=1, entered_on=today
    )
    w.symposium = Symposium.objects.create(evaluation=ev, unit=w.dept_a, held_on=today, place="会议室")
    w.sym_opinion = SymposiumOpinion.objects.create(symposium=w.symposium, content="意见")
    w.plan = RectificationPlan.objects.create(
        campaign=c, unit=w.dept_a, title="整改方案", author_kind=author_kind_for(unit=w.dept_a, person=None)
    )
    w.measure = Measure.objects.create(
        plan=w.plan,
        content="限期整改",
        goal="解决",
        responsible_unit=w.dept_a,
        owner=w.cadre_a,
        deadline=today + timedelta(days=30),
        original_deadline=today + timedelta(days=30),
    )
    w.measure.problems.set([w.problem])
    w.milestone = Milestone.objects.create(measure=w.measure, title="第一步", due=today + timedelta(days=10))
    w.evidence = Evidence.objects.create(
        measure=w.measure,
        file=ContentFile(b"%PDF-1.4\n", name="m.pdf"),
        original_name="m.pdf",
        extension="pdf",
        mime="application/pdf",
        sha256="0" * 64,
        size=9,
    )
    w.extension = Extension.objects.create(
        measure=w.measure, reason="客观原因", old_deadline=w.measure.deadline, new_deadline=today + timedelta(days=40)
    )
    w.rule = Rule.objects.create(campaign=c, unit=w.dept_a, measure=w.measure, title="考务制度")
    w.commitment = Commitment.objects.create(campaign=c, unit=w.dept_a, content="承诺", person=w.cadre_a)
    w.commitment_item = CommitmentItem.objects.create(commitment=w.commitment, content="每周一次", deadline=today)
    w.lookback = LookBack.objects.create(participant=w.participant, reason="评议不合格", round=1)
    w.analysis_report = AnalysisReport.objects.create(unit=w.college, title="综合分析报告", campaign=c)
    w.typical_case = TypicalCase.objects.create(report=w.analysis_report, kind="positive", title="典型", text="案例")
    w.run = ReportRun.objects.create(report=w.analysis_report)
    w.export = LedgerExport.objects.create(campaign=c, unit=w.college, kind=LedgerExport.Kind.values[0])
    w.ledger_import = LedgerImport.objects.create(
        campaign=c, file=ContentFile(small_xlsx(), name="l.xlsx"), original_name="l.xlsx", sha256="0" * 64
    )
    w.publication = Publication.objects.create(campaign=c, problem=w.problem, published_at=now)
    w.follow = Follow.objects.create(publication=w.publication, notified_status="not_started", email="f@example.cn")
    w.snapshot = snapshot_take(actor=w.user("office"), campaign=c)
    w.service_point = ServicePoint.objects.create(unit=w.dept_a)
    w.rating_case = Case.objects.create(
        unit=w.dept_a, handling_unit=w.dept_a, reason="态度差", opened_on=today, due_on=today, receipt_hash="0" * 64
    )
    w.notification = Notification.objects.create(recipient=w.user("head_a"), title="提醒")
    w.post = Post.objects.filter(person=w.cadre_a).first()
    w.role = RoleAssignment.objects.filter(person=w.office).first()
    w.pass_rule = PassRule.objects.create(
        evaluation=ev, comparison="gt", threshold_num=1, threshold_den=3, outcome="不过关"
    )
    w.scan_batch = ScanBatch.objects.create(evaluation=ev, group=w.group, label="第1批")
    sheet = ScannedSheet.objects.create(batch=w.scan_batch)
    w.sheet_answer = SheetAnswer.objects.create(
        sheet=sheet, target=w.target, item=w.ev_item, machine_kind="answer", kind="answer", grade=w.grade
    )
    w.rejected_page = RejectedPage.objects.create(batch=w.scan_batch, reason="无法识别")
    w.sheet_text = SheetText.objects.create(sheet=sheet, target=w.sheet_answer.target, field="strengths", crop=b"x")
    w.anchor_sender = AnchorSender.objects.create(code="t-col", name="江城职业技术学院", secret="0" * 64)
    return w


def small_xlsx(rows=(("序号", "问题"), (1, "排课随意"))) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _pk(attr):
    return lambda w: getattr(w, attr).pk


# URL name -> {path parameter: world -> value}. A URL whose parameters are all listed here can be
# asked for; a new URL with parameters needs a line here (the access-matrix test says which).
ARGS: dict[str, dict] = {
    "accountability:*": {"pk": _pk("case")},
    "accountability:person": {"person_pk": _pk("cadre_a")},
    "audit:anchor_sender": {"pk": _pk("anchor_sender")},
    "audit:anchor_download": {"pk": _pk("anchor_sender")},
    "evaluations:pass_rule_delete": {"pk": _pk("evaluation"), "rule_pk": _pk("pass_rule")},
    "paperballots:*": {"pk": _pk("scan_batch")},
    "paperballots:round": {"pk": _pk("evaluation")},
    "paperballots:print": {"pk": _pk("evaluation")},
    "paperballots:upload": {"pk": _pk("evaluation")},
    "paperballots:answer_decide": {"pk": _pk("sheet_answer")},
    "paperballots:answer_crop": {"pk": _pk("sheet_answer")},
    "paperballots:rejected_decide": {"pk": _pk("rejected_page")},
    "paperballots:rejected_thumb": {"pk": _pk("rejected_page")},
    "paperballots:text_type": {"pk": _pk("sheet_text")},
    "paperballots:text_crop": {"pk": _pk("sheet_text")},
    "analysis:campaign": {"pk": _pk("campaign")},
    "analysis:campaign_stages": {"pk": _pk("campaign")},
    "analysis:reports": {"pk": _pk("campaign")},
    "analysis:report_new": {"pk": _pk("campaign")},
    "analysis:ledgers": {"pk": _pk("campaign")},
    "analysis:import_upload": {"pk": _pk("campaign")},
    "analysis:status_words": {"pk": _pk("campaign")},
    "analysis:names": {"pk": _pk("campaign")},
    "analysis:closeout": {"pk": _pk("campaign")},
    "analysis:import_preview": {"pk": _pk("ledger_import")},
    "analysis:city": {"pk": _pk("city")},
    "analysis:city_reports": {"pk": _pk("city")},
    "analysis:city_report_new": {"pk": _pk("city")},
    "analysis:report": {"pk": _pk("analysis_report")},
    "analysis:report_generate": {"pk": _pk("analysis_report")},
    "analysis:case_add": {"pk": _pk("analysis_report")},
    "analysis:case_remove": {"pk": _pk("typical_case")},
    "analysis:run_progress": {"pk": _pk("run")},
    "analysis:run_file": {"pk": _pk("run"), "fmt": lambda w: "docx"},
    "analysis:export_progress": {"pk": _pk("export")},
    "analysis:export_file": {"pk": _pk("export")},
    "campaigns:detail": {"pk": _pk("campaign")},
    "campaigns:edit": {"pk": _pk("campaign")},
    "campaigns:activate": {"pk": _pk("campaign")},
    "campaigns:participant": {"pk": _pk("participant")},
    "campaigns:advance": {"pk": _pk("participant")},
    "disclosure:*": {"pk": _pk("campaign")},
    "evaluations:*": {
        "pk": _pk("evaluation"),
        "target_pk": _pk("target"),
        "item_pk": _pk("ev_item"),
        "grade_pk": _pk("grade"),
        "group_pk": _pk("group"),
        "band_pk": _pk("band"),
        "batch_pk": _pk("paper_batch"),
        "sym_pk": _pk("symposium"),
        "opinion_pk": _pk("sym_opinion"),
        "campaign_pk": _pk("campaign"),
        "unit_pk": _pk("dept_a"),
        "fmt": lambda w: "xlsx",
    },
    "meetings:*": {"pk": _pk("meeting"), "participant_pk": _pk("participant"), "member_pk": _pk("member")},
    "meetings:criticism_delete": {"pk": _pk("meeting"), "item_pk": _pk("criticism")},
    "meetings:measure_delete": {"pk": _pk("meeting"), "item_pk": _pk("meeting_measure")},
    "meetings:follow_up_done": {"pk": _pk("follow_up")},
    "notifications:*": {"pk": _pk("notification")},
    "orgs:*": {"pk": _pk("dept_a")},
    "orgs:person_detail": {"pk": _pk("cadre_a")},
    "orgs:person_edit": {"pk": _pk("cadre_a")},
    "orgs:person_active": {"pk": _pk("cadre_a")},
    "orgs:post_add": {"pk": _pk("cadre_a")},
    "orgs:role_add": {"pk": _pk("cadre_a")},
    "orgs:login_issue": {"pk": _pk("cadre_a")},
    "orgs:post_remove": {"pk": _pk("post")},
    "orgs:role_remove": {"pk": _pk("role")},
    "problems:*": {"pk": _pk("problem"), "unit_pk": _pk("dept_a")},
    "problems:evidence": {"pk": _pk("problem_evidence")},
    "problems:opinion": {"pk": _pk("opinion")},
    "problems:opinion_accept": {"pk": _pk("opinion")},
    "problems:opinion_merge": {"pk": _pk("opinion")},
    "problems:opinion_close": {"pk": _pk("opinion")},
    "problems:peer_review_answer": {"pk": _pk("peer_review")},
    "rectification:*": {"pk": _pk("measure"), "plan_pk": _pk("plan"), "meeting_pk": _pk("meeting")},
    "rectification:plan": {"pk": _pk("plan")},
    "rectification:plan_add_problems": {"pk": _pk("plan")},
    "rectification:plan_submit": {"pk": _pk("plan")},
    "rectification:plan_review": {"pk": _pk("plan")},
    "rectification:plan_not_real": {"pk": _pk("plan")},
    "rectification:milestone_done": {"pk": _pk("milestone")},
    "rectification:extension_decide": {"pk": _pk("extension")},
    "rectification:evidence_download": {"pk": _pk("evidence")},
    "rectification:rule_edit": {"pk": _pk("rule")},
    "rectification:commitment": {"pk": _pk("commitment")},
    "rectification:commitment_item_add": {"pk": _pk("commitment")},
    "rectification:commitment_progress": {"pk": _pk("commitment_item")},
    "rectification:commitment_submit": {"pk": _pk("commitment")},
    "rectification:commitment_review": {"pk": _pk("commitment")},
    "rectification:commitment_item_remove": {"pk": _pk("commitment_item")},
    "rectification:commitment_item_judge": {"pk": _pk("commitment_item")},
    "rectification:lookback_plan": {"pk": _pk("lookback")},
    "reports:*": {"pk": _pk("report")},
    "servicerating:*": {"pk": _pk("dept_a")},
    "servicerating:case": {"pk": _pk("rating_case")},
    "disclosure_public:*": {
        "code": lambda w: w.publication.code,
        "public_code": lambda w: w.college.public_code,
    },
    "disclosure_public:follow": {"code": lambda w: w.follow.code},
    "disclosure_public:follow_stop": {"code": lambda w: w.follow.code},
    "disclosure_public:snapshot": {"public_code": lambda w: w.college.public_code, "code": lambda w: w.snapshot.code},
    "disclosure_public:snapshot_json": {
        "public_code": lambda w: w.college.public_code,
        "code": lambda w: w.snapshot.code,
    },
    "disclosure_public:compare": {"public_code": lambda w: w.college.public_code, "code": lambda w: w.snapshot.code},
    "evaluations_public:rate": {"public_code": lambda w: w.dept_a.public_code},
    "problems_public:form": {"code": lambda w: w.dept_a.public_code},
    "servicerating_public:rate": {"code": lambda w: w.service_point.code},
    "admin:*": {
        "app_label": lambda w: "accountability",
        "object_id": lambda w: str(w.dept_a.pk),
        "content_type_id": lambda w: "1",
        "url": lambda w: "orgs/",
    },
}


def args_for(name: str, params: list[str], w) -> dict | None:
    """The path parameters of URL `name` filled from the world, or None when ARGS has no line for one."""
    namespace = name.split(":")[0] + ":*"
    table = {**ARGS.get(namespace, {}), **ARGS.get(name, {})}
    if not all(p in table for p in params):
        return None
    return {p: table[p](w) for p in params}
