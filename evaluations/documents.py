"""Files for the office: the printable QR sheet and the code list of a batch (made in the response
that issues the codes and never stored: only hashes of the codes are kept)."""

import io

import segno
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from core.documents import pdf_from_template
from core.excel import cell


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").png_data_uri(scale=4, border=2)


def qr_svg(text: str) -> str:
    """An inline SVG QR code (the committee's key sheet)."""
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return buf.getvalue().decode()


def code_sheet_pdf(evaluation, group, slips: list[dict]) -> bytes:
    """A4 sheet, 3 × 4 slips per page with dashed cut lines; one code per slip."""
    rows = [{**s, "qr": qr_data_uri(s["link"])} for s in slips]
    return pdf_from_template(
        "evaluations/pdf/code_sheet.html",
        {
            "evaluation": evaluation,
            "group": group,
            "slips": rows,
            "base": slips[0]["link"].split("#")[0] if slips else "",
        },
    )


def code_list_xlsx(evaluation, group, slips: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Ballot codes")[:31]
    ws.append([cell(ws, evaluation.name)])
    ws.append([cell(ws, _("Group")), cell(ws, group.name)])
    ws.append(
        [
            pgettext("row number", "No."),
            _("Ballot code"),
            _("Link (the code is sent by the page, never in the address)"),
        ]
    )
    for i, s in enumerate(slips, start=1):
        ws.append([i, cell(ws, s["code"]), cell(ws, s["link"])])
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
