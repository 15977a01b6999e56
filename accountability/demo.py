"""Demo accountability register. Cases arise from returned self-inspection reports, which the reports
demo writes after this app's turn; it then calls `settle` to decide one case and propose on another."""

from django.utils import timezone

from .models import MeasureType
from .services import case_decide, case_propose, case_statement, measure_types_ensure


def seed(ctx: dict) -> None:
    measure_types_ensure()


def settle(ctx: dict, cases: list) -> None:
    """The first case decided (通报批评: not eligible for commendation this year) with the person's
    statement; the second left open with a proposed measure."""
    office = ctx["office_people"][0].user
    if cases:
        case = cases[0]
        case_statement(
            actor=case.person.user,
            case=case,
            statement="本人对部门自查报告把关不严负有责任，诚恳接受组织处理，将督促重新查摆、深刻剖析。",
        )
        case_propose(
            actor=office, case=case, measures=MeasureType.objects.filter(name__in=["责令书面检查", "通报批评"])
        )
        case_decide(
            actor=office,
            case=case,
            measures=MeasureType.objects.filter(name="通报批评"),
            deciding_body="中共江城职业技术学院委员会",
            decided_on=timezone.localdate(),
        )
    if len(cases) > 1:
        case_propose(actor=office, case=cases[1], measures=MeasureType.objects.filter(name="责令书面检查"))
