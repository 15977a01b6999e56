"""P2's baselines: every figure of the institution and the city dashboards from one hand-written SQL
query each (bench/urls.py serves them beside the real pages, so both go through the same server,
middleware and log-in).

The queries compute what the pages show, with the same rules (see analysis/selectors.py): the scope is
the campaign and the units under the dashboard's root (`path LIKE 'root/%'`); measures count only in
approved plans (drafts apart: measures and plans); done = verified or completed by import; on time =
verified on or before the deadline (local date); overdue = not done and past the deadline; the warning
colours by the campaign's thresholds; the 3- and 6-month marks; evaluation results only of published
rounds; accountability cases of the institution opened since the campaign started; a department's
opinions without those about a person (回避). Figures by unit are grouped by the unit that holds the row
(the page adds sub-units into the participating unit above them: done on the few grouped rows).

Each figure family is one GROUP BY; the families are joined with UNION ALL into rows of the same shape
(part, key, label, n1 … n10), so the database makes one round trip. The view returns them as JSON: the
least any page showing these figures must do.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

N = 10  # numeric columns of a row
PROBLEM_FILTERS = ("status = 'fixed_at_once'", "severity = 'high'", "status IN ('resolved', 'fixed_at_once')")


def _row(part: str, key: str = "NULL", label: str = "NULL", *values: str) -> str:
    """One SELECT list of the common shape; `part` a literal, key and label SQL text expressions."""
    cols = [*values, *["NULL"] * (N - len(values))]
    return f"'{part}', CAST({key} AS TEXT), CAST({label} AS TEXT), " + ", ".join(
        f"CAST({c} AS NUMERIC)" if c != "NULL" else "CAST(NULL AS NUMERIC)" for c in cols
    )


def local_date(vendor: str, column: str) -> str:
    """The local calendar date of a stored (UTC) timestamp, with the database's own functions."""
    if vendor == "postgresql":
        return f"CAST(({column} AT TIME ZONE '{settings.TIME_ZONE}') AS DATE)"
    # SQLite keeps UTC text; the zone's offset (Asia/Shanghai has no summer time).
    offset = ZoneInfo(settings.TIME_ZONE).utcoffset(datetime(2026, 1, 1)).total_seconds() // 60
    return f"date({column}, '{int(offset):+d} minutes')"


def institution_sql(vendor: str) -> str:
    vd = local_date(vendor, "m.verified_at")
    od = local_date(vendor, "a.opened_at")
    done = "m.status IN ('verified', 'completed')"
    ver = "m.status = 'verified'"
    on_time = f"{ver} AND (m.deadline IS NULL OR m.verified_on <= m.deadline)"
    overdue = f"NOT ({done}) AND m.deadline < %(today)s"
    fixed_at_once, serious, resolved = PROBLEM_FILTERS
    f = lambda cond: f"COUNT(*) FILTER (WHERE {cond})"  # noqa: E731
    parts = [
        # the participating units in scope, and each stage
        f"SELECT {_row('unit', 'unit_id', 'name')} FROM cu",
        f"SELECT {_row('stage', 'stage', 'NULL', 'COUNT(*)')} FROM cu GROUP BY stage",
        # problems: totals, channel, severity, status, unit
        f"SELECT {_row('problems', 'NULL', 'NULL', 'COUNT(*)', f(fixed_at_once), f(resolved))} FROM pr",
        f"SELECT {_row('channel', 'channel', 'NULL', 'COUNT(*)')} FROM pr GROUP BY channel",
        f"SELECT {_row('severity', 'severity', 'NULL', 'COUNT(*)')} FROM pr GROUP BY severity",
        f"SELECT {_row('problem_status', 'status', 'NULL', 'COUNT(*)')} FROM pr GROUP BY status",
        f"SELECT {_row('problem_unit', 'unit_id', 'NULL', 'COUNT(*)', f(serious), f(resolved))} FROM pr GROUP BY unit_id",
        # manifestations (a problem may have several): per manifestation, per 庸/懒/散, classified at all
        f"SELECT {_row('manifestation', 'mf.id', 'mf.name', 'COUNT(mp.problem_id)')} FROM problems_manifestation mf "
        "LEFT JOIN mp ON mp.mid = mf.id WHERE mf.active OR mp.mid IS NOT NULL GROUP BY mf.id, mf.name",
        f"SELECT {_row('group', 'grp', 'NULL', 'COUNT(DISTINCT problem_id)')} FROM mp GROUP BY grp",
        f"SELECT {_row('classified', 'NULL', 'NULL', 'COUNT(DISTINCT problem_id)')} FROM mp",
        # measures of approved plans
        "SELECT "
        + _row(
            "measures",
            "NULL",
            "NULL",
            "COUNT(*)",
            f(ver),
            f(done),
            f("m.status = 'completed'"),
            f(on_time),
            f(overdue),
            f("m.status = 'closeout_requested'"),
            f("m.status IN ('in_progress', 'returned')"),
            f("m.status = 'planned'"),
            f("m.kind = 'rule'"),
        )
        + " FROM ma m",
        "SELECT "
        + _row(
            "measures2",
            "NULL",
            "NULL",
            f(f"m.kind = 'rule' AND {ver}"),
            f(f"NOT ({done}) AND m.deadline >= %(today)s AND m.deadline <= %(yellow)s"),
            f(f"NOT ({done}) AND m.deadline > %(yellow)s AND m.deadline <= %(green)s"),
            f("m.deadline <= %(m3)s"),
            f(f"m.deadline <= %(m3)s AND {ver} AND m.verified_on <= %(m3)s"),
            f("m.deadline <= %(m6)s"),
            f(f"m.deadline <= %(m6)s AND {ver} AND m.verified_on <= %(m6)s"),
        )
        + " FROM ma m",
        f"SELECT {_row('measure_status', 'm.status', 'NULL', 'COUNT(*)')} FROM ma m GROUP BY m.status",
        f"SELECT {_row('measure_unit', 'm.unit_id', 'NULL', 'COUNT(*)', f(ver), f(done), f(on_time), f(overdue))} "
        "FROM ma m GROUP BY m.unit_id",
        f"SELECT {_row('drafts', 'NULL', 'NULL', 'COUNT(*)', 'COUNT(DISTINCT m.plan_id)')} FROM me m WHERE NOT m.approved",
        # evaluations: by kind (results of published rounds only), the failed, the rounds
        "SELECT "
        + _row(
            "evaluation_kind",
            "kind",
            "NULL",
            "COUNT(*)",
            f("pub AND result = 'passed'"),
            f("pub AND result = 'failed'"),
            f("NOT pub OR result = 'pending'"),
            "AVG(satisfaction) FILTER (WHERE pub)",
        )
        + " FROM et GROUP BY kind",
        f"SELECT * FROM (SELECT {_row('failed', 'et.id', 'COALESCE(pe.name, eu.name)', 'NULL')} FROM et "
        "JOIN orgs_unit eu ON eu.id = et.unit_id LEFT JOIN orgs_person pe ON pe.id = et.person_id "
        "WHERE pub AND result = 'failed' ORDER BY eu.path, et.id LIMIT 20) failed",
        f"SELECT {_row('rounds', 'status', 'NULL', 'COUNT(*)')} FROM evaluations_evaluation "
        "WHERE campaign_id = %(c)s GROUP BY status",
        # accountability
        f"SELECT {_row('trigger', 'trigger', 'NULL', 'COUNT(*)')} FROM ac GROUP BY trigger",
        f"SELECT {_row('case_status', 'status', 'NULL', 'COUNT(*)')} FROM ac GROUP BY status",
        f"SELECT {_row('decided', 'mt.name', 'NULL', 'COUNT(*)')} FROM accountability_accountabilitycase_decided_measures d "
        "JOIN ac ON ac.id = d.accountabilitycase_id JOIN accountability_measuretype mt ON mt.id = d.measuretype_id "
        "GROUP BY mt.name",
        # opinions, self-inspection reports, meetings, look-backs
        f"SELECT {_row('opinion', 'o.status', 'NULL', 'COUNT(*)')} FROM problems_opinion o JOIN orgs_unit u "
        "ON u.id = o.unit_id WHERE o.campaign_id = %(c)s AND u.path LIKE %(path)s "
        "AND (%(whole)s OR o.recusal_reason = '') GROUP BY o.status",
        f"SELECT {_row('report', 'r.status', 'NULL', 'COUNT(*)')} FROM reports_selfreport r JOIN orgs_unit u "
        "ON u.id = r.unit_id WHERE r.campaign_id = %(c)s AND u.path LIKE %(path)s GROUP BY r.status",
        f"SELECT {_row('meeting', 'l.status', 'NULL', 'COUNT(*)')} FROM meetings_lifemeeting l JOIN orgs_unit u "
        "ON u.id = l.unit_id WHERE l.campaign_id = %(c)s AND u.path LIKE %(path)s GROUP BY l.status",
        f"SELECT {_row('lookbacks', 'NULL', 'NULL', 'COUNT(*)')} FROM campaigns_lookback lb "
        "JOIN cu ON cu.id = lb.participant_id WHERE lb.status = 'open'",
    ]
    ctes = f"""
        WITH cu AS (
          SELECT cu.id, cu.stage, u.id AS unit_id, u.name FROM campaigns_campaignunit cu
          JOIN orgs_unit u ON u.id = cu.unit_id WHERE cu.campaign_id = %(c)s AND u.path LIKE %(path)s),
        pr AS (
          SELECT p.id, p.unit_id, p.channel, p.severity, p.status FROM problems_problem p
          JOIN orgs_unit u ON u.id = p.unit_id WHERE p.campaign_id = %(c)s AND u.path LIKE %(path)s),
        mp AS (
          SELECT pm.problem_id, mf.id AS mid, mf."group" AS grp FROM problems_problem_manifestations pm
          JOIN pr ON pr.id = pm.problem_id JOIN problems_manifestation mf ON mf.id = pm.manifestation_id),
        me AS (
          SELECT m.id, m.plan_id, m.responsible_unit_id AS unit_id, m.status, m.kind, m.deadline,
                 {vd} AS verified_on, r.status = 'approved' AS approved
          FROM rectification_measure m JOIN rectification_rectificationplan r ON r.id = m.plan_id
          JOIN orgs_unit u ON u.id = m.responsible_unit_id WHERE r.campaign_id = %(c)s AND u.path LIKE %(path)s),
        ma AS (SELECT * FROM me WHERE approved),
        et AS (
          SELECT t.id, t.kind, t.result, t.satisfaction, t.unit_id, t.person_id,
                 (e.published_on IS NOT NULL AND e.status = 'tallied') AS pub
          FROM evaluations_evaluationtarget t JOIN evaluations_evaluation e ON e.id = t.evaluation_id
          JOIN orgs_unit u ON u.id = t.unit_id
          WHERE e.campaign_id = %(c)s AND e.status <> 'void' AND u.path LIKE %(path)s),
        ac AS (
          SELECT a.id, a.trigger, a.status FROM accountability_accountabilitycase a JOIN orgs_unit u ON u.id = a.unit_id
          WHERE a.institution_id = %(institution)s AND u.path LIKE %(path)s AND {od} >= %(start)s)
    """
    return ctes + "\nUNION ALL\n".join(parts)


def institution_params(campaign, root, today: date, green_days: int, yellow_days: int) -> dict:
    return {
        "c": campaign.pk,
        "institution": campaign.institution_id,
        "path": root.path + "%",
        "whole": root.pk == campaign.institution_id,
        "today": today,
        "yellow": today + timedelta(days=yellow_days),
        "green": today + timedelta(days=green_days),
        "m3": campaign.milestone_3m,
        "m6": campaign.milestone_6m,
        "start": campaign.start_date,
    }


def city_sql(vendor: str) -> str:
    vd = local_date(vendor, "m.verified_at")
    done = "m.status IN ('verified', 'completed')"
    ver = "m.status = 'verified'"
    _fixed, serious, resolved = PROBLEM_FILTERS
    f = lambda cond: f"COUNT(*) FILTER (WHERE {cond})"  # noqa: E731
    parts = [
        # each institution's current campaign: active first, then the latest
        f"SELECT {_row('campaign', 'cur.id', 'cur.name', 'cur.institution_id')} FROM cur",
        f"SELECT {_row('institution', 'i.id', 'i.name')} FROM cur JOIN orgs_unit i ON i.id = cur.institution_id",
        f"SELECT {_row('stage', 'cu.campaign_id', 'cu.stage', 'COUNT(*)')} FROM campaigns_campaignunit cu "
        "JOIN cur ON cur.id = cu.campaign_id GROUP BY cu.campaign_id, cu.stage",
        f"SELECT {_row('problems', 'p.campaign_id', 'NULL', 'COUNT(*)', f(serious), f(resolved))} "
        "FROM problems_problem p JOIN cur ON cur.id = p.campaign_id GROUP BY p.campaign_id",
        "SELECT "
        + _row(
            "measures",
            "r.campaign_id",
            "NULL",
            "COUNT(*)",
            f(ver),
            f(done),
            f(f"{ver} AND (m.deadline IS NULL OR {vd} <= m.deadline)"),
            f(f"NOT ({done}) AND m.deadline < %(today)s"),
        )
        + " FROM rectification_measure m JOIN rectification_rectificationplan r ON r.id = m.plan_id "
        "JOIN cur ON cur.id = r.campaign_id WHERE r.status = 'approved' GROUP BY r.campaign_id",
        "SELECT "
        + _row(
            "evaluations",
            "e.campaign_id",
            "NULL",
            "COUNT(*) FILTER (WHERE t.result = 'passed')",
            "COUNT(*) FILTER (WHERE t.result = 'failed')",
            "AVG(t.satisfaction)",
        )
        + " FROM evaluations_evaluationtarget t JOIN evaluations_evaluation e ON e.id = t.evaluation_id "
        "JOIN cur ON cur.id = e.campaign_id WHERE e.published_on IS NOT NULL AND e.status = 'tallied' "
        "GROUP BY e.campaign_id",
        f"SELECT {_row('cases', 'a.institution_id', 'NULL', 'COUNT(*)')} FROM accountability_accountabilitycase a "
        "JOIN cur ON cur.institution_id = a.institution_id GROUP BY a.institution_id",
    ]
    ctes = """
        WITH ranked AS (
          SELECT c.id, c.name, c.institution_id,
                 ROW_NUMBER() OVER (PARTITION BY c.institution_id
                                    ORDER BY c.status = 'active' DESC, c.start_date DESC, c.id DESC) AS n
          FROM campaigns_campaign c JOIN orgs_unit i ON i.id = c.institution_id
          WHERE i.path LIKE %(path)s AND i.kind = 'institution' AND c.status <> 'draft'),
        cur AS (SELECT id, name, institution_id FROM ranked WHERE n = 1)
    """
    return ctes + "\nUNION ALL\n".join(parts)


def city_params(city, today: date) -> dict:
    return {"path": city.path + "%", "today": today}


def run(connection, sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()
