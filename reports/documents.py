"""A report version as an official document (公文): collect() gives plain data; to_docx / to_pdf render it.

Shape: title; 主送 (the city office for the leadership team's and principal's reports, the campaign
office of the institution otherwise); 一、自查开展情况 / 二、存在的问题及原因剖析 (with （一）per ledger
problem and 1./2. for its manifestation and cause) / 三、整改措施; the issuer and the date.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from core.documents import (
    cn_date,
    cn_number,
    docx_bytes,
    heading,
    official_document,
    paragraph,
    pdf_from_template,
    signature,
)
from orgs.selectors import institution_of

from .models import SelfReport, SelfReportVersion


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _addressee(report: SelfReport) -> str:
    inst = institution_of(report.unit) or report.unit
    if report.reviewer_is_city_office or report.author_kind in (
        SelfReport.AuthorKind.TEAM,
        SelfReport.AuthorKind.PRINCIPAL,
    ):
        city = inst.parent
        return f"{(city.short_name or city.name) if city else _('the city office')}："
    return _("%(inst)s campaign office:") % {"inst": inst.short_name or inst.name}


def collect(report: SelfReport, version: SelfReportVersion) -> dict:
    """Plain data of one version, in document order."""
    problems = []
    for i, p in enumerate(version.problems.order_by("recorded_at", "pk").prefetch_related("manifestations"), start=1):
        items = []
        shown = "、".join(m.name for m in p.manifestations.all())
        if shown:
            items.append(_("Manifestation: %(m)s") % {"m": shown})
        if p.cause:
            items.append(_("Cause: %(c)s") % {"c": p.cause})
        problems.append(
            {
                "heading": f"（{cn_number(i)}）{p.description}",
                "items": [f"{j}. {text}" for j, text in enumerate(items, start=1)],
            }
        )
    issued = timezone.localdate(report.approved_at or version.submitted_at or timezone.now())
    issuer = report.unit.name if report.author_kind in SelfReport.UNIT_KINDS else f"{report.person}"
    return {
        "title": report.title,
        "addressee": _addressee(report),
        "version": version.number,
        "sections": [
            {
                "heading": _("%(n)s. How the self-check was done") % {"n": cn_number(1)},
                "paragraphs": _paragraphs(version.method),
            },
            {
                "heading": _("%(n)s. Problems found and their causes") % {"n": cn_number(2)},
                "paragraphs": _paragraphs(version.problems_and_causes),
                "problems": problems,
            },
            {
                "heading": _("%(n)s. Rectification measures") % {"n": cn_number(3)},
                "paragraphs": _paragraphs(version.measures),
            },
        ],
        "issuer": issuer,
        "date": issued,
        "date_cn": cn_date(issued),
    }


def to_docx(data: dict) -> bytes:
    doc = official_document(title=data["title"], addressee=data["addressee"])
    for section in data["sections"]:
        heading(doc, section["heading"], 1)
        for text in section["paragraphs"]:
            paragraph(doc, text)
        for problem in section.get("problems", []):
            heading(doc, problem["heading"], 2)
            for item in problem["items"]:
                paragraph(doc, item)
    signature(doc, data["issuer"], data["date"])
    return docx_bytes(doc)


def to_pdf(data: dict) -> bytes:
    return pdf_from_template("reports/pdf_report.html", {"d": data})
