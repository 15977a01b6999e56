"""Close-out (销号) lists as Excel: `closeout_rows` collects, `closeouts_xlsx` renders.

Cells keep their type (core.excel.cell): deadlines and the days of request and decision are date cells,
percentages numbers, and text that begins like a formula is stored as typed, never run."""

from django.utils import timezone
from django.utils.translation import gettext as _

from core.excel import table_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def closeout_headers() -> list[str]:
    return [
        _("No."),
        _("Campaign"),
        _("Unit"),
        _("Measure"),
        _("Goal"),
        _("Responsible person"),
        _("Deadline"),
        _("Close-out requested on"),
        _("How the goal was reached"),
        _("Status"),
        _("Percent complete"),
        _("Verified on"),
    ]


def _day(value):
    return timezone.localdate(value) if value else None


def closeout_rows(qs):
    """One list per measure, in the order of `qs`."""
    qs = qs.select_related("plan__unit", "plan__campaign", "owner")
    for m in qs.iterator(chunk_size=2000):
        yield [
            m.pk,
            m.plan.campaign.name,
            m.plan.unit.name,
            m.content,
            m.goal,
            m.owner_display,
            m.deadline,
            _day(m.closeout_requested_at),
            m.closeout_note,
            m.get_status_display(),
            m.percent,
            _day(m.verified_at),
        ]


def closeouts_xlsx(qs) -> bytes:
    return table_xlsx(
        _("Close-outs"), [8, 22, 16, 50, 40, 12, 12, 14, 40, 16, 8, 12], closeout_headers(), closeout_rows(qs)
    )
