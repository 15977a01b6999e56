"""Demo campaign of the college; see docs/demo-plan.md for which unit reaches which stage."""

from datetime import date

from .services import campaign_activate, campaign_create


def seed(ctx: dict) -> None:
    college = ctx["college"]
    office_user = ctx["office_people"][0].user
    campaign = campaign_create(
        actor=office_user,
        institution=college,
        units=[college, *ctx["departments"]],
        name="2026年“治庸问责”自查整改阶段工作",
        start_date=date(2026, 9, 1),
        finding_due=date(2026, 10, 20),
        meeting_due=date(2026, 11, 20),
        evaluation_due=date(2026, 12, 10),
        rectification_due=date(2027, 2, 28),
        milestone_3m=date(2026, 12, 1),
        milestone_6m=date(2027, 3, 1),
    )
    ctx["campaign"] = campaign_activate(actor=office_user, campaign=campaign)
    ctx["participants"] = {p.unit.name: p for p in campaign.participants.select_related("unit")}
