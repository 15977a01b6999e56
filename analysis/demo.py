"""Demo: one comprehensive analysis report of the college, with the office's narratives and two
typical cases, queued for the background worker (generation takes longer than a demo should)."""

from django.conf import settings

from campaigns.models import Campaign
from orgs.models import RoleAssignment, Unit

from .services import report_create, report_update, typical_case_add


def seed(ctx: dict) -> None:
    college = Unit.objects.get(code="JCZY") if "college" not in ctx else ctx["college"]
    campaign = Campaign.objects.filter(institution=college).order_by("-pk").first()
    if campaign is None:
        return
    office = (
        RoleAssignment.objects.filter(unit=college, role=RoleAssignment.Role.CAMPAIGN_OFFICE)
        .select_related("person__user")
        .first()
    )
    actor = office.person.user if office else None
    report = report_create(actor=actor, unit=college, campaign=campaign)
    report_update(
        actor=actor,
        report=report,
        title=f"{college.name}“治庸问责”自查整改阶段综合分析报告",
        narratives={
            "organisation": (
                f"按照市治庸办统一部署，{college.name}成立自查整改工作专班，制定工作方案，"
                "召开动员大会，严格按照先查找问题、再召开民主生活会、进行民主评议和整改落实的顺序推进。"
            ),
            "next_steps": "一是持续抓好整改落实，确保每项措施按期销号。\n"
            "二是对民主评议不合格的单位开展“回头看”。\n"
            "三是把行之有效的做法固化为制度，建立长效机制。",
        },
    )
    dept = Unit.objects.filter(parent=college, name="教务处").first()
    typical_case_add(
        actor=actor,
        report=report,
        kind="good",
        title="教务处边查边改、立行立改",
        text="教务处针对师生反映的调停课审批环节多、时间长的问题，当即简化流程，实行限时办结，群众满意度明显提升。",
        unit=dept,
    )
    logistics = Unit.objects.filter(parent=college, name="后勤管理处").first()
    typical_case_add(
        actor=actor,
        report=report,
        kind="bad",
        title="后勤管理处整改流于形式",
        text="后勤管理处对群众反映的维修响应慢问题整改不实，民主评议不合格，已开展“回头看”并启动问责。",
        unit=logistics,
    )
    _maybe_generate(report, actor, ctx)


def _maybe_generate(report, actor, ctx) -> None:
    """Generating takes 3–9 s here (charts and the PDF), too slow for the demo: the run is queued
    for the background worker that `make run` starts, so the files are there a few seconds later."""
    from .services import report_generate

    if getattr(settings, "TESTING", False):
        return
    report_generate(actor=actor, report=report)
    if "stdout" in ctx:
        ctx["stdout"].write("    analysis: report queued for the worker (Word and PDF in a few seconds)")
