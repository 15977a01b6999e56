"""Word and PDF from a report's list of sections (shared by the institution and the city report).

A section: {"heading", "paragraphs": [str], "charts": [chart key], "tables": [(header, rows)],
"quotes": [str], "cases": [(numbered label, [(title, unit, text)])]}.
"""

import base64
import io

from django.utils.translation import gettext as _

from core import documents as d


def number_cases(groups: list[tuple[str, list]]) -> list[tuple[str, list]]:
    """（一）好的典型 … numbering only the groups that have cases."""
    kept = [(label, cases) for label, cases in groups if cases]
    return [(f"（{d.cn_number(i)}）{label}", cases) for i, (label, cases) in enumerate(kept, start=1)]


def docx_from_sections(data: dict, sections: list[dict], images: dict[str, bytes]) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc = d.official_document(title=data["title"])
    sub = d.paragraph(
        doc, _("(%(campaign)s, as of %(date)s)") % {"campaign": data["campaign"], "date": d.cn_date(data["date"])}
    )
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.paragraph_format.first_line_indent = 0
    for s in sections:
        d.heading(doc, s["heading"], 1)
        for text in s["paragraphs"]:
            d.paragraph(doc, text)
        for key in s["charts"]:
            if key in images:
                doc.add_picture(io.BytesIO(images[key]), width=Cm(15))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for header, rows in s["tables"]:
            d.table(doc, header, rows)
            doc.add_paragraph()
        for quote in s["quotes"]:
            d.paragraph(doc, quote)
        for label, cases in s["cases"]:
            d.heading(doc, label, 2)
            for title, unit, text in cases:
                d.heading(doc, f"{title}（{unit}）" if unit else title, 3)
                for line in text.split("\n"):
                    if line.strip():
                        d.paragraph(doc, line.strip())
    d.signature(doc, data["issuer"], data["date"])
    if data.get("audit_anchor"):  # the trail's latest anchor, so that the paper copy pins its head
        from docx.shared import Pt

        note = d.paragraph(doc, data["audit_anchor"])
        note.paragraph_format.first_line_indent = 0
        note.paragraph_format.line_spacing = Pt(14)
        for run in note.runs:
            run.font.size = Pt(9)
    return d.docx_bytes(doc)


def pdf_from_sections(data: dict, sections: list[dict], images: dict[str, bytes]) -> bytes:
    uris = {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in images.items()}
    for s in sections:
        s["images"] = [uris[k] for k in s["charts"] if k in uris]
    return d.pdf_from_template(
        "analysis/pdf/comprehensive.html", {"data": data, "sections": sections, "date": d.cn_date(data["date"])}
    )
