"""The latest anchor is printed in every comprehensive analysis report (institution and city, Word and PDF)."""

import io
from datetime import date

import pytest
from django.template.loader import render_to_string

from analysis.reports import city, render
from audit.selectors import latest_anchor_text
from audit.services import audit_anchor, audit_record

pytestmark = pytest.mark.django_db


def test_it_says_there_is_no_anchor_yet():
    assert "none yet" in latest_anchor_text() or "尚无" in latest_anchor_text()


def test_the_city_report_prints_the_latest_anchor_in_word_and_pdf(cast):
    from docx import Document

    audit_record(actor=None, action="test.one")
    audit_anchor()
    anchor = audit_anchor()
    data = city.collect(cast.city, today=date(2026, 11, 29))
    assert anchor.n == 2 and " 2 " in data["audit_anchor"] or "#2 " in data["audit_anchor"]
    assert anchor.hash in data["audit_anchor"]
    assert anchor.key_id in data["audit_anchor"] and f"#{anchor.seq}" in data["audit_anchor"]
    doc = Document(io.BytesIO(render.docx_from_sections(data, [], {})))
    assert any(anchor.hash in p.text for p in doc.paragraphs)
    html = render_to_string("analysis/pdf/comprehensive.html", {"data": data, "sections": [], "date": "x"})
    assert anchor.hash in html


def test_the_institution_report_collects_the_latest_anchor(cast, campaign):
    from analysis.reports import comprehensive

    anchor = audit_anchor()
    data = comprehensive.collect(cast.college, campaign, today=date(2026, 11, 29))
    assert data["audit_anchor"] == latest_anchor_text() and anchor.hash in data["audit_anchor"]
