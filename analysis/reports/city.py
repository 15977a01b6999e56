"""综合分析报告 of the city: every institution's campaign side by side, with rankings.

collect(city) -> plain data; to_docx / to_pdf render it like the institution report.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audit.selectors import latest_anchor_text

from .. import charts
from ..models import AnalysisReport
from ..selectors import city_dashboard
from . import render


def _pct(value) -> str:
    """A rate as published: 96.15% with what was divided by what (25/26)."""
    if value is None or getattr(value, "value", 0) is None:
        return "—"
    return f"{value}%（{value.fraction}）" if hasattr(value, "fraction") else f"{value}%"


def collect(city, *, report: AnalysisReport | None = None, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    city_data = city_dashboard(city, today)
    rows = sorted(city_data["rows"], key=lambda r: (r["rank"]["completion"] is None, r["rank"]["completion"] or 0))
    t = city_data["totals"]
    data = {
        "kind": "city",
        "title": report.title if report else _("Comprehensive analysis report of %(unit)s") % {"unit": city.name},
        "institution": city.name,
        "issuer": city.name,
        "campaign": _("All institutions"),
        "date": today,
        "totals": t,
        "stages": list(zip(city_data["stage_labels"], t["stages"], strict=True)),
        "institutions": [
            (
                r["institution"].name,
                r["units"],
                r["problems"],
                r["measures"]["total"],
                _pct(r["measures"]["completion_rate"]),
                r["rank"]["completion"] or "—",
                _pct(r["measures"]["on_time_rate"]),
                r["measures"]["overdue"],
                _pct(r["satisfaction"]),
                r["cases"],
            )
            for r in rows
        ],
        "chart_rows": [(r["institution"].short_name or r["institution"].name, r) for r in rows[:30]],
    }
    generated = {
        "organisation": _("%(n)s institutions with %(units)s units took part in the campaign.")
        % {"n": t["institutions"], "units": t["units"]},
        "problems": _("%(n)s problems were found across the city.") % {"n": t["problems"]},
        "rectification": _(
            "%(total)s rectification measures were set; %(verified)s have been verified (completion rate "
            "%(rate)s); %(overdue)s are overdue."
        )
        % {
            "total": t["measures"],
            "verified": t["verified"],
            "rate": _pct(t["completion_rate"]),
            "overdue": t["overdue"],
        },
        "accountability": _("%(n)s accountability cases were opened.") % {"n": t["cases"]},
    }
    written = report.narratives if report else {}
    data["narratives"] = {k: written.get(k) or generated.get(k, "") for k, _label in AnalysisReport.SECTIONS}
    data["typical"] = {"good": [], "bad": []}
    if report is not None:
        cases = list(report.typical_cases.select_related("unit"))
        for kind in ("good", "bad"):
            data["typical"][kind] = [
                (c.title, c.unit.name if c.unit_id else "", c.text) for c in cases if c.kind == kind
            ]
    data["audit_anchor"] = latest_anchor_text()
    return data


def make_charts(data: dict) -> dict[str, bytes]:
    rows = data["chart_rows"]
    if not rows:
        return {}
    names = [n for n, _r in rows]
    return {
        "completion": charts.bar_png(
            _("Completion rate by institution (%)"),
            names,
            [float(r["measures"]["completion_rate"]) for _n, r in rows],
            horizontal=True,
        ),
        "problems": charts.bar_png(
            _("Problems by institution"), names, [r["problems"] for _n, r in rows], horizontal=True
        ),
    }


def sections(data: dict) -> list[dict]:
    from core.documents import cn_number

    header = [
        _("Institution"),
        pgettext("number of", "Units"),
        _("Problems"),
        pgettext("number of", "Measures"),
        _("Completion rate"),
        _("Rank"),
        _("On-time rate"),
        _("Overdue"),
        _("Satisfaction"),
        _("Cases"),
    ]
    out = [
        {"key": "organisation", "tables": [([_("Stage"), pgettext("number of", "Units")], data["stages"])]},
        {"key": "problems", "charts": ["problems"]},
        {"key": "rectification", "charts": ["completion"], "tables": [(header, data["institutions"])]},
        {
            "key": "typical",
            "cases": [(_("Good examples"), data["typical"]["good"]), (_("Bad examples"), data["typical"]["bad"])],
        },
        {"key": "accountability"},
        {"key": "next_steps"},
    ]
    labels = dict(AnalysisReport.SECTIONS)
    for i, s in enumerate(out, start=1):
        s["heading"] = f"{cn_number(i)}、{labels[s['key']]}"
        s["paragraphs"] = [x.strip() for x in data["narratives"].get(s["key"], "").split("\n") if x.strip()]
        s["tables"] = [(h, rows) for h, rows in s.get("tables", []) if rows]
        s.setdefault("charts", [])
        s.setdefault("quotes", [])
        s["cases"] = render.number_cases(s.get("cases", []))
    return out


def to_docx(data: dict, chart_images: dict[str, bytes] | None = None) -> bytes:
    chart_images = make_charts(data) if chart_images is None else chart_images
    return render.docx_from_sections(data, sections(data), chart_images)


def to_pdf(data: dict, chart_images: dict[str, bytes] | None = None) -> bytes:
    chart_images = make_charts(data) if chart_images is None else chart_images
    return render.pdf_from_sections(data, sections(data), chart_images)
