"""One figure, every place it is published: 1 of 32 measures done is 3.125%, which half-up makes 3.13
(half-even, Python's round(), would make 3.12). The dashboard, the analysis report, the city view, the
ranking, the public portal, the city overview of the portal and the Excel ledger all say 3.13; the
measures of a plan still in draft are counted nowhere."""

from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def _plan(campaign, unit, status):
    from rectification.models import RectificationPlan

    return RectificationPlan.objects.create(
        campaign=campaign,
        unit=unit,
        title=f"{unit.name}整改方案",
        status=status,
        approved_at=timezone.now() if status == "approved" else None,
    )


def _measures(plan, owner, n_done, n_open, problem):
    from rectification.models import Measure

    today = timezone.localdate()
    made = []
    for i in range(n_done + n_open):
        done = i < n_done
        made.append(
            Measure(
                plan=plan,
                content=f"{plan.unit.name}措施{i + 1}",
                deadline=today + timedelta(days=30),
                responsible_unit=plan.unit,
                owner=owner,
                status="verified" if done else "planned",
                verified_at=timezone.now() if done else None,
            )
        )
    made = Measure.objects.bulk_create(made)
    for m in made:
        m.problems.add(problem)
    return made


def test_the_same_rate_is_published_alike_everywhere(cast, campaign, tmp_path):
    from analysis.ledgers import to_xlsx
    from analysis.reports.comprehensive import collect
    from analysis.selectors import Scope, city_dashboard, institution_dashboard
    from disclosure.models import Publication
    from disclosure.selectors import city_overview, public_data_now
    from problems.models import Problem
    from rectification.rankings import ranking_rows

    assert round(100 * 1 / 32, 2) == 3.12  # what half-to-even would publish
    problem = Problem.objects.create(
        campaign=campaign, unit=cast.dept_a, description="调停课审批慢", channel="self_check"
    )
    approved = _measures(_plan(campaign, cast.dept_a, "approved"), cast.cadre_a, 1, 31, problem)
    draft_problem = Problem.objects.create(
        campaign=campaign, unit=cast.dept_b, description="报销慢", channel="self_check"
    )
    _measures(_plan(campaign, cast.dept_b, "draft"), cast.head_b, 5, 0, draft_problem)  # counted nowhere
    Publication.objects.create(campaign=campaign, problem=problem, published_at=timezone.now())
    for m in approved:
        Publication.objects.create(campaign=campaign, measure=m, published_at=timezone.now())
    today = timezone.localdate()

    dash = institution_dashboard(Scope(campaign, cast.college), today).rectification
    assert (dash["total"], dash["verified"]) == (32, 1)
    assert str(dash["completion_rate"]) == str(dash["closeout_rate"]) == "3.13"
    assert dash["completion_rate"].fraction == "1/32"

    report = collect(cast.college, campaign, today=today)["rectification"]
    assert str(report["completion_rate"]) == "3.13"

    city = city_dashboard(cast.city, today)
    row = next(r for r in city["rows"] if r["campaign"] == campaign)
    assert str(row["measures"]["completion_rate"]) == str(city["totals"]["completion_rate"]) == "3.13"

    ranking = ranking_rows(campaign)
    assert [(r["unit"], r["completion"], r["completion_pct"]) for r in ranking] == [("教务处", "3.13", "3.13%")]

    summary = public_data_now(campaign)["summary"]
    assert (summary["completion"], summary["completion_of"]) == ("3.13", "1/32")
    overview = next(r for r in city_overview() if r["campaign"] == campaign)
    assert overview["completion"] == "3.13"

    path = tmp_path / "ledger.xlsx"
    to_xlsx(path, kind="rectification", campaign=campaign, root=cast.college)
    ws = load_workbook(path).worksheets[0]
    rates = {r[0].value: r[1] for r in ws.iter_rows() if r[0].value in ("完成率", "销号率（销号率）", "销号率")}
    assert rates and all(c.value == pytest.approx(0.0313) and c.number_format == "0.00%" for c in rates.values())
