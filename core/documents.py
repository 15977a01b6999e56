"""Word documents in the shape of an official document (公文), and PDFs from HTML templates.

Use: doc = official_document(title="…", addressee="市治庸办："); heading(doc, "一、…", 1);
paragraph(doc, "…"); signature(doc, "江城职业技术学院", date); doc.save(stream).
Chinese needs the east-Asian font set on each run (w:eastAsia), done here.
"""

import io
from datetime import date

from django.template.loader import render_to_string
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

TITLE_FONT = "方正小标宋简体"
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312", 3: "仿宋_GB2312"}
BODY_FONT = "仿宋_GB2312"
CN_DIGITS = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (for 一、 and （一） headings)."""
    if n <= 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def official_document(*, title: str, addressee: str = "") -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(title), TITLE_FONT, 22)
    if addressee:
        _font(doc.add_paragraph().add_run(addressee), BODY_FONT, 16)
    return doc


def heading(doc: Document, text: str, level: int = 1):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32)
    _font(p.add_run(text), HEADING_FONTS.get(level, BODY_FONT), 16, bold=level == 3)
    return p


def paragraph(doc: Document, text: str):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.line_spacing = Pt(28)
    _font(p.add_run(text), BODY_FONT, 16)
    return p


def table(doc: Document, header: list[str], rows: list[list]):
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header):
        _font(cell.paragraphs[0].add_run(str(text)), "黑体", 12)
    for row in rows:
        cells = t.add_row().cells
        for cell, value in zip(cells, row):
            _font(cell.paragraphs[0].add_run("" if value is None else str(value)), BODY_FONT, 12)
    return t


def signature(doc: Document, issuer: str, when: date) -> None:
    for text in (issuer, cn_date(when)):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(p.add_run(text), BODY_FONT, 16)


def docx_bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def pdf_from_template(template: str, context: dict, base_url: str | None = None) -> bytes:
    """Render an HTML template to PDF with WeasyPrint (CJK fonts come from the system: fonts-noto-cjk)."""
    from django.conf import settings
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).write_pdf()
