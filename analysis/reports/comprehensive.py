"""综合分析报告 of one institution's campaign.

collect(institution, campaign) -> plain data (strings, numbers, lists; no model objects), then
to_docx(data) (official-document style, tables, charts as images) and to_pdf(data) (WeasyPrint).
The office's own text for a section replaces the sentence generated from the figures.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audit.selectors import latest_anchor_text
from core import documents as d

from .. import charts
from ..models import AnalysisReport
from ..selectors import Scope, institution_dashboard, rate
from . import render


def _pct(value) -> str:
    """A rate as published: 96.15% with what was divided by what (25/26)."""
    if value is None or getattr(value, "value", 0) is None:
        return "—"
    return f"{value}%（{value.fraction}）" if hasattr(value, "fraction") else f"{value}%"


def collect(institution, campaign, *, report: AnalysisReport | None = None, today: date | None = None) -> dict:
    """Every figure, table and text of the report, as plain data."""
    today = today or timezone.localdate()
    dash = institution_dashboard(Scope(campaign, institution), today)
    p, r, e, a = dash.problems, dash.rectification, dash.evaluations, dash.accountability
    data = {
        "kind": "institution",
        "title": report.title if report else _("Comprehensive analysis report of %(name)s") % {"name": campaign.name},
        "institution": institution.name,
        "issuer": institution.name,
        "campaign": campaign.name,
        "date": today,
        "period": (campaign.start_date, campaign.rectification_due),
        "organisation": _organisation(campaign, dash),
        "problems": {
            "total": p["total"],
            "fixed_at_once": p["fixed_at_once"],
            "resolved": p["resolved"],
            "unclassified": p["unclassified"],
            "groups": [(g["label"], g["count"]) for g in p["groups"]],
            "manifestations": [(m["name"], m["count"]) for m in p["manifestations"]],
            "channels": [(c["label"], c["count"]) for c in p["channels"] if c["count"]],
            "severities": [(s["label"], s["count"]) for s in p["severities"]],
            "units": [(u["unit"].name, u["count"], u["serious"], u["resolved"]) for u in p["by_unit"]],
        },
        "causes": _causes(campaign, institution),
        "meeting": _meetings(campaign, institution),
        "evaluation": {
            "kinds": [(k["label"], k["total"], k["passed"], k["failed"], _pct(k["satisfaction"])) for k in e["kinds"]],
            "passed": e["passed"],
            "failed": e["failed"],
            "pass_rate": e["pass_rate"],
            "failed_targets": [
                f"{t.person.name if t.person_id else t.unit.name}（{t.get_kind_display()}）"
                for t in e["failed_targets"]
            ],
        },
        "rectification": {
            "total": r["total"],
            "verified": r["verified"],
            "overdue": r["overdue"],
            "completion_rate": r["completion_rate"],
            "on_time_rate": r["on_time_rate"],
            "warnings": [(w["label"], w["count"]) for w in r["warnings"]],
            "milestones": [
                (m["label"], d.cn_date(m["date"]), m["due"], m["done"], _pct(m["rate"])) for m in r["milestones"]
            ],
            "units": [
                (u["unit"].name, u["total"], u["verified"], u["overdue"], _pct(u["completion_rate"]))
                for u in r["by_unit"]
                if u["total"]
            ],
        },
        "rules": _rules(campaign, institution),
        "typical": _typical(report),
        "accountability": {
            "total": a["total"],
            "triggers": [(t["label"], t["count"]) for t in a["triggers"] if t["count"]],
            "measures": [(m["label"], m["count"]) for m in a["measures"]],
        },
    }
    data["narratives"] = _narratives(data, report)
    data["audit_anchor"] = latest_anchor_text()
    return data


def _organisation(campaign, dash) -> dict:
    reports = {row["label"]: row["count"] for row in dash.activity["reports"]}
    opinions = sum(row["count"] for row in dash.activity["opinions"])
    return {
        "units": len(dash.units),
        "stages": [(s["label"], s["count"]) for s in dash.stages],
        "reports": list(reports.items()),
        "opinions": opinions,
        "schedule": [
            (_("Finding problems"), d.cn_date(campaign.start_date), d.cn_date(campaign.finding_due)),
            (_("Democratic life meeting"), d.cn_date(campaign.finding_due), d.cn_date(campaign.meeting_due)),
            (_("Democratic evaluation"), d.cn_date(campaign.meeting_due), d.cn_date(campaign.evaluation_due)),
            (_("Rectification"), d.cn_date(campaign.evaluation_due), d.cn_date(campaign.rectification_due)),
        ],
    }


def _causes(campaign, institution) -> dict:
    """Problems by aspect (工作机制/纪律/作风/效能) and focus area, with a few causes in the units' words."""
    from problems.models import Problem

    problems = Problem.objects.filter(campaign=campaign, unit__path__startswith=institution.path)
    aspects = list(problems.values_list("aspect__name").annotate(n=Count("pk")).order_by("-n"))
    focus = list(problems.values_list("focus_area__name").annotate(n=Count("pk")).order_by("-n"))
    samples = list(
        problems.exclude(cause="")
        .filter(severity=Problem.Severity.HIGH)
        .values_list("unit__name", "cause")
        .order_by("unit__path", "pk")[:6]
    )
    other = _("Not stated")
    return {
        "aspects": [(name or other, n) for name, n in aspects],
        "focus_areas": [(name or other, n) for name, n in focus],
        "samples": [(unit, cause[:200]) for unit, cause in samples],
        "with_cause": problems.exclude(cause="").count(),
    }


def _meetings(campaign, institution) -> dict:
    from meetings.models import Criticism, LifeMeeting, MeetingMeasure, MeetingMember

    meetings = LifeMeeting.objects.filter(campaign=campaign, unit__path__startswith=institution.path)
    counts = meetings.aggregate(
        total=Count("pk"),
        held=Count("pk", filter=Q(status__in=[LifeMeeting.Status.HELD, LifeMeeting.Status.FILED])),
        filed=Count("pk", filter=Q(status=LifeMeeting.Status.FILED)),
    )
    members = MeetingMember.objects.filter(meeting__in=meetings).aggregate(
        members=Count("pk"), present=Count("pk", filter=Q(attendance=MeetingMember.Attendance.PRESENT))
    )
    return {
        **counts,
        **members,
        "criticisms": Criticism.objects.filter(meeting__in=meetings).count(),
        "measures": MeetingMeasure.objects.filter(meeting__in=meetings).count(),
        "list": [
            (m.unit.name, d.cn_date(timezone.localtime(m.date).date()), m.get_status_display())
            for m in meetings.select_related("unit").order_by("date")[:30]
        ],
    }


def _rules(campaign, institution) -> list[tuple[str, str, str]]:
    from rectification.models import Measure

    rules = Measure.objects.filter(
        plan__campaign=campaign, kind=Measure.Kind.RULE, responsible_unit__path__startswith=institution.path
    ).select_related("responsible_unit")
    return [(m.responsible_unit.name, m.content, m.get_status_display()) for m in rules.order_by("pk")[:50]]


def _typical(report) -> dict:
    if report is None:
        return {"good": [], "bad": []}
    cases = list(report.typical_cases.select_related("unit"))
    pack = lambda kind: [  # noqa: E731
        (c.title, c.unit.name if c.unit_id else "", c.text) for c in cases if c.kind == kind
    ]
    return {"good": pack("good"), "bad": pack("bad")}


def _narratives(data: dict, report) -> dict[str, str]:
    """The office's text where it wrote one, otherwise a sentence made from the figures."""
    p, r, e, a, o = (
        data["problems"],
        data["rectification"],
        data["evaluation"],
        data["accountability"],
        data["organisation"],
    )
    m = data["meeting"]
    groups = dict(p["groups"])
    top = sorted(p["manifestations"], key=lambda x: -x[1])[:3]
    generated = {
        "organisation": _(
            "%(inst)s organised the campaign “%(campaign)s” in %(units)s units, following the order of finding "
            "problems first, then holding the democratic life meeting, the democratic evaluation and "
            "rectification. %(opinions)s opinions and suggestions were gathered."
        )
        % {"inst": data["institution"], "campaign": data["campaign"], "units": o["units"], "opinions": o["opinions"]},
        "problems": _(
            "%(total)s problems were found: %(yong)s of mediocrity (庸), %(lan)s of sloth (懒) and %(san)s of "
            "laxity (散); %(fixed)s were fixed at once. The most frequent manifestations were %(top)s."
        )
        % {
            "total": p["total"],
            "yong": list(groups.values())[0] if groups else 0,
            "lan": list(groups.values())[1] if len(groups) > 1 else 0,
            "san": list(groups.values())[2] if len(groups) > 2 else 0,
            "fixed": p["fixed_at_once"],
            "top": "、".join(f"“{name}”（{n}）" for name, n in top if n) or "—",
        },
        "causes": _(
            "The causes were analysed for %(n)s problems. They lie mainly in weak awareness of responsibility, "
            "imperfect working mechanisms and lax discipline."
        )
        % {"n": data["causes"]["with_cause"]},
        "meeting": _(
            "%(held)s of %(total)s democratic life meetings were held, %(filed)s with their minutes filed; "
            "%(criticisms)s criticisms were recorded and %(measures)s measures agreed."
        )
        % m,
        "evaluation": _("%(passed)s evaluated subjects passed and %(failed)s failed (pass rate %(rate)s).")
        % {"passed": e["passed"], "failed": e["failed"], "rate": _pct(e["pass_rate"])},
        "rectification": _(
            "%(total)s rectification measures were set; %(verified)s have been verified and closed (completion "
            "rate %(completion)s, on-time rate %(ontime)s); %(overdue)s are overdue."
        )
        % {
            "total": r["total"],
            "verified": r["verified"],
            "completion": _pct(r["completion_rate"]),
            "ontime": _pct(r["on_time_rate"]),
            "overdue": r["overdue"],
        },
        "rules": _("%(n)s rules were made or revised as part of the rectification.") % {"n": len(data["rules"])},
        "typical": "",
        "accountability": _("%(n)s accountability cases were opened.") % {"n": a["total"]},
        "next_steps": _(
            "Keep rectifying until every measure is verified, look back at the units and people that failed, "
            "turn effective practice into rules, and keep the public informed."
        ),
    }
    written = report.narratives if report else {}
    return {k: (written.get(k) or generated.get(k, "")) for k, _label in AnalysisReport.SECTIONS}


# --------------------------------------------------------------------------------------- rendering


def make_charts(data: dict) -> dict[str, bytes]:
    p, r = data["problems"], data["rectification"]
    out = {
        "groups": charts.pie_png(_("Problems by 庸 / 懒 / 散"), *zip(*p["groups"], strict=True))
        if _has_data(p["groups"])
        else None,
        "manifestations": charts.bar_png(
            _("Problems by manifestation"), *zip(*p["manifestations"], strict=True), horizontal=True
        )
        if _has_data(p["manifestations"])
        else None,
        "channels": charts.bar_png(_("Problems by channel"), *zip(*p["channels"], strict=True), horizontal=True)
        if p["channels"]
        else None,
        "units": charts.bar_png(
            _("Problems by unit"), [u[0] for u in p["units"]], [u[1] for u in p["units"]], horizontal=True
        )
        if p["units"]
        else None,
        "rectification": charts.bar_png(
            _("Measures verified by unit"),
            [u[0] for u in r["units"]],
            [u[2] for u in r["units"]],
            horizontal=True,
        )
        if r["units"]
        else None,
    }
    return {k: v for k, v in out.items() if v}


def _has_data(pairs) -> bool:
    return any(n for *_rest, n in pairs)


def sections(data: dict) -> list[dict]:
    """The report as an ordered list of sections: heading, paragraphs, tables and charts.
    Both renderers walk this list, so Word and PDF say the same thing."""
    p, r, e, a, o = (
        data["problems"],
        data["rectification"],
        data["evaluation"],
        data["accountability"],
        data["organisation"],
    )
    n = data["narratives"]
    t = data["typical"]
    out = [
        {
            "key": "organisation",
            "tables": [
                ([_("Stage"), pgettext("schedule", "From"), pgettext("schedule", "To")], o["schedule"]),
                ([_("Stage"), pgettext("number of", "Units")], o["stages"]),
            ],
        },
        {
            "key": "problems",
            "charts": ["groups", "manifestations", "channels", "units"],
            "tables": [
                ([_("Manifestation"), _("Problems")], p["manifestations"]),
                ([_("Channel"), _("Problems")], p["channels"]),
                ([_("Unit"), _("Problems"), _("Serious"), _("Resolved")], p["units"]),
            ],
        },
        {
            "key": "causes",
            "tables": [([_("Aspect"), _("Problems")], data["causes"]["aspects"])],
            "quotes": [f"{u}：{c}" for u, c in data["causes"]["samples"]],
        },
        {"key": "meeting", "tables": [([_("Unit"), _("Date"), _("Status")], data["meeting"]["list"])]},
        {
            "key": "evaluation",
            "tables": [([_("Evaluated"), _("Total"), _("Passed"), _("Failed"), _("Satisfaction")], e["kinds"])],
            "quotes": [_("Failed: %(list)s") % {"list": "、".join(e["failed_targets"])}] if e["failed_targets"] else [],
        },
        {
            "key": "rectification",
            "charts": ["rectification"],
            "tables": [
                ([_("Mark"), _("Date"), _("Due by then"), _("Verified"), _("Rate")], r["milestones"]),
                ([_("Warning"), pgettext("number of", "Measures")], r["warnings"]),
                (
                    [_("Unit"), pgettext("number of", "Measures"), _("Verified"), _("Overdue"), _("Completion rate")],
                    r["units"],
                ),
            ],
        },
        {
            "key": "rules",
            "tables": [([_("Unit"), pgettext("rectification rule", "Rule"), _("Status")], data["rules"])]
            if data["rules"]
            else [],
        },
        {
            "key": "typical",
            "cases": [(_("Good examples"), t["good"]), (_("Bad examples"), t["bad"])],
        },
        {
            "key": "accountability",
            "tables": [
                ([_("Trigger"), _("Cases")], a["triggers"]),
                ([pgettext("accountability measure", "Measure"), _("Cases")], a["measures"]),
            ],
        },
        {"key": "next_steps"},
    ]
    labels = dict(AnalysisReport.SECTIONS)
    for i, s in enumerate(out, start=1):
        s["heading"] = f"{d.cn_number(i)}、{labels[s['key']]}"
        s["paragraphs"] = [line.strip() for line in n.get(s["key"], "").split("\n") if line.strip()]
        s["tables"] = [(h, rows) for h, rows in s.get("tables", []) if rows]
        s.setdefault("charts", [])
        s.setdefault("quotes", [])
        s["cases"] = render.number_cases(s.get("cases", []))
    return out


def to_docx(data: dict, chart_images: dict[str, bytes] | None = None) -> bytes:
    """The report as an editable Word document in official-document style."""
    chart_images = make_charts(data) if chart_images is None else chart_images
    return render.docx_from_sections(data, sections(data), chart_images)


def to_pdf(data: dict, chart_images: dict[str, bytes] | None = None) -> bytes:
    """The same report as a PDF (WeasyPrint; the CJK fonts are embedded)."""
    chart_images = make_charts(data) if chart_images is None else chart_images
    return render.pdf_from_sections(data, sections(data), chart_images)


__all__ = ["collect", "to_docx", "to_pdf", "make_charts", "sections", "rate"]
