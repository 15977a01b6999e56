"""The ledger (问题清单) as an Excel workbook: `collect` rows, `ledger_xlsx` renders them.

Cells keep their type (core.excel.cell): the number a number, the time recorded a real date-time cell
the office can sort and filter, and text that begins like a formula (= + - @) stored as text with the
quote-prefix style, shown exactly as typed with no apostrophe."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from core.excel import cell, table_xlsx

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers() -> list[str]:
    return [
        _("No."),
        _("Campaign"),
        _("Unit"),
        _("Subject"),
        _("Person concerned"),
        _("Problem"),
        _("Channel"),
        _("Manifestations"),
        _("Focus area"),
        _("Aspect"),
        _("Severity"),
        _("Cause analysis"),
        _("Benchmark compared with"),
        _("Status"),
        _("How it was fixed"),
        _("Recorded by"),
        _("Recorded at"),
    ]


def collect(qs):
    """One list per problem, in the order of `qs` (streamed in chunks; manifestations prefetched)."""
    qs = qs.select_related("campaign", "unit", "subject_person", "focus_area", "aspect", "recorded_by")
    for p in qs.prefetch_related("manifestations").iterator(chunk_size=2000):
        yield [
            p.pk,
            p.campaign.name,
            p.unit.name,
            p.get_subject_kind_display(),
            p.subject_person.name if p.subject_person else "",
            p.description,
            p.get_channel_display(),
            "、".join(m.name for m in p.manifestations.all()),
            p.focus_area.name if p.focus_area else "",
            p.aspect.name if p.aspect else "",
            p.get_severity_display(),
            p.cause,
            p.benchmark,
            p.get_status_display(),
            p.fixed_note,
            str(p.recorded_by) if p.recorded_by else "",
            timezone.localtime(p.recorded_at).replace(tzinfo=None),
        ]


def ledger_xlsx(qs) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Problem ledger"))
    widths = [8, 24, 16, 10, 10, 50, 20, 22, 22, 10, 8, 40, 20, 10, 30, 10, 18]
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    centred = Alignment(horizontal="center")
    ws.append([cell(ws, h, font=bold, alignment=centred) for h in headers()])
    for row in collect(qs):
        *values, recorded_at = row
        ws.append([*(cell(ws, v) for v in values), cell(ws, recorded_at, number_format=DATETIME_FORMAT)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- opinions (意见梳理)


def opinion_headers() -> list[str]:
    return [
        _("Receipt code"),
        _("Received"),
        _("Unit"),
        _("Source"),
        _("Opinion"),
        _("Suggested manifestation"),
        _("Status"),
        _("Reply or reason"),
        _("Triaged at"),
    ]


def opinion_rows(qs):
    """One list per opinion, in the order of `qs`; the day received and the day triaged as dates.
    Nothing that names who gave an anonymous opinion (no submitter, no contact)."""
    qs = qs.select_related("unit", "suggested_manifestation")
    for o in qs.iterator(chunk_size=2000):
        yield [
            o.receipt_code,
            o.received_on,
            o.unit.name,
            o.get_source_display(),
            o.content,
            o.suggested_manifestation.name if o.suggested_manifestation else "",
            o.get_status_display(),
            o.triage_note,
            timezone.localdate(o.triaged_at) if o.triaged_at else None,
        ]


def opinions_xlsx(qs) -> bytes:
    return table_xlsx(_("Opinions"), [14, 12, 18, 16, 60, 22, 14, 40, 12], opinion_headers(), opinion_rows(qs))
