"""Turns the dashboard figures into what the page shows: a link behind every figure and the charts.

Kept apart from views.py so the views stay short; no queries here.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import links
from .charts import COLOURS, chart_json, grouped_bar_json
from .selectors import Dashboard


def decorate(dash: Dashboard) -> dict:
    """Attach list links to every row of figures and build the Chart.js configs."""
    c, root = dash.scope.campaign, dash.scope.root
    unit = None if dash.scope.is_institution else root
    p, r, e = dash.problems, dash.rectification, dash.evaluations
    p["url"] = links.ledger_url(c, unit)
    for row in p["groups"]:
        row["url"] = ""  # the ledger filters by manifestation, not by 庸/懒/散 group
    for row in p["manifestations"]:
        row["url"] = links.ledger_url(c, unit, manifestation=row["pk"])
    for row in p["channels"]:
        row["url"] = links.ledger_url(c, unit, channel=row["key"])
    for row in p["severities"]:
        row["url"] = links.ledger_url(c, unit, severity=row["key"])
    for row in p["statuses"]:
        row["url"] = links.ledger_url(c, unit, status=row["key"])
    for row in p["by_unit"]:
        row["url"] = links.ledger_url(c, row["unit"])
        row["dashboard_url"] = links.dashboard_url(c, row["unit"])
    r["url"] = links.measures_url(c, unit)
    r["verified_url"] = links.measures_url(c, unit, status="verified")
    r["overdue_url"] = links.measures_url(c, unit, warning="red")
    for row in r["warnings"]:
        row["url"] = links.measures_url(c, unit, warning=row["key"])
    for row in r["statuses"]:
        row["url"] = links.measures_url(c, unit, status=row["key"])
    for row in r["milestones"]:
        row["url"] = links.measures_url(c, unit, due_before=row["date"].isoformat())
    for row in r["by_unit"]:
        row["url"] = links.measures_url(c, row["unit"])
    r["rules_url"] = links.measures_url(c, unit, kind="rule")
    e["url"] = links.evaluations_url(c)
    for row in dash.stages:
        row["url"] = links.campaign_url(c)
    if dash.accountability is not None:
        dash.accountability["url"] = links.accountability_url(unit)
        for row in dash.accountability["triggers"]:
            row["url"] = links.accountability_url(unit, trigger=row["key"])
        for row in dash.accountability["statuses"]:
            row["url"] = links.accountability_url(unit, status=row["key"])
    for key, fn in (("opinions", links.opinions_url), ("reports", links.reports_url), ("meetings", links.meetings_url)):
        for row in dash.activity[key]:
            row["url"] = fn(c, status=row["key"])
    return {"dash": dash, "charts": charts(dash)}


def charts(dash: Dashboard) -> dict:
    p, r, e = dash.problems, dash.rectification, dash.evaluations
    by_unit = [row for row in p["by_unit"] if row["count"]] or p["by_unit"]
    return {
        "groups": chart_json(
            "doughnut", [g["label"] for g in p["groups"]], [g["count"] for g in p["groups"]], label=_("Problems")
        ),
        "manifestations": chart_json(
            "bar",
            [m["name"] for m in p["manifestations"]],
            [m["count"] for m in p["manifestations"]],
            label=_("Problems"),
            horizontal=True,
        ),
        "channels": chart_json(
            "bar",
            [ch["label"] for ch in p["channels"] if ch["count"]],
            [ch["count"] for ch in p["channels"] if ch["count"]],
            label=_("Problems"),
            horizontal=True,
        ),
        "severities": chart_json(
            "doughnut",
            [s["label"] for s in p["severities"]],
            [s["count"] for s in p["severities"]],
            colours=[COLOURS["green"], COLOURS["yellow"], COLOURS["red"]],
        ),
        "units": chart_json(
            "bar",
            [row["unit"].short_name or row["unit"].name for row in by_unit],
            [row["count"] for row in by_unit],
            label=_("Problems"),
        ),
        "warnings": chart_json(
            "doughnut",
            [w["label"] for w in r["warnings"]] + [_("Verified"), _("No warning")],
            [w["count"] for w in r["warnings"]] + [r["verified"], r["no_warning"]],
            colours=[COLOURS["red"], COLOURS["yellow"], COLOURS["green"], "#3b6ea5", COLOURS["grey"]],
        ),
        "unit_rates": grouped_bar_json(
            [row["unit"].short_name or row["unit"].name for row in r["by_unit"] if row["total"]],
            [
                (
                    _("Completion rate %"),
                    [float(row["completion_rate"]) for row in r["by_unit"] if row["total"]],
                    "#3b6ea5",
                ),
                (_("On-time rate %"), [float(row["on_time_rate"]) for row in r["by_unit"] if row["total"]], "#5b8e7d"),
            ],
            percent=True,
        ),
        "stages": chart_json(
            "bar",
            [s["label"] for s in dash.stages],
            [s["count"] for s in dash.stages],
            label=pgettext("number of", "Units"),
        ),
        "evaluations": grouped_bar_json(
            [k["label"] for k in e["kinds"]],
            [
                (_("Passed"), [k["passed"] for k in e["kinds"]], COLOURS["green"]),
                (_("Failed"), [k["failed"] for k in e["kinds"]], COLOURS["red"]),
                (_("Not tallied"), [k["pending"] for k in e["kinds"]], COLOURS["grey"]),
            ],
        ),
    }


def decorate_city(data: dict) -> dict:
    rows = data["rows"]
    for row in rows:
        row["url"] = links.dashboard_url(row["campaign"])
        row["ledger_url"] = links.ledger_url(row["campaign"])
        row["measures_url"] = links.measures_url(row["campaign"])
    rows = rows[:30]  # a chart of hundreds of bars helps nobody; the table below has them all
    names = [row["institution"].short_name or row["institution"].name for row in rows]
    data["charts"] = {
        "rates": grouped_bar_json(
            names,
            [
                (_("Completion rate %"), [float(row["measures"]["completion_rate"]) for row in rows], "#3b6ea5"),
                (_("On-time rate %"), [float(row["measures"]["on_time_rate"]) for row in rows], "#5b8e7d"),
            ],
            percent=True,
        ),
        "problems": chart_json("bar", names, [row["problems"] for row in rows], label=_("Problems")),
        "stages": chart_json(
            "bar", data["stage_labels"], data["totals"]["stages"], label=pgettext("number of", "Units")
        ),
    }
    return data
