"""Rates are exact fractions rounded half-up, shown with numerator and denominator; ranks compare the
exact fractions. Hand-computed here, in cases where half-up and half-even (and float round) differ:

  rule set on the settings page: only 满意 counts (基本满意 does not), minimum 4 ratings
  教务处  157 × 5★ + 3 × 3★   → 157/160 = 98.125 %  → 98.13 %  (half-even: 98.12; round(98.125, 2) = 98.12)
  财务处    1 × 5★ + 159 × 3★ →   1/160 =  0.625 %  →  0.63 %  (half-even: 0.62)
  考务科  157 × 5★ + 3 × 3★   → 157/160, exactly 教务处's rate → tied at rank 1
"""

import io
import re
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from servicerating import services

from .test_channel import _cells, _configure, _enable, _figures, _row

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(cast, client):
    client.force_login(cast.user("office"))
    _configure(client, cast, star_3="basic", star_4="basic", rate_counts_basic=None)
    plan = {cast.dept_a: (157, 3), cast.dept_b: (1, 159), cast.section_a: (157, 3)}
    for unit, (five, three) in plan.items():
        point = _enable(client, cast, unit)
        for stars in [5] * five + [3] * three:
            services.rating_submit(point=point, stars=stars, rated_on=date(2026, 10, 12))
    services.ratings_release(today=date(2026, 10, 13))
    return client


def test_it_rounds_half_up_where_half_even_would_not(rated, cast):
    assert round(98.125, 2) == 98.12  # what a float round would have shown
    html = _figures(rated, "2026-10", cast.college.pk).content.decode()
    assert _cells(_row(html, "教务处"))[:5] == ["157", "3", "0", "160", "98.13% (157/160)"]
    assert _cells(_row(html, "财务处"))[:5] == ["1", "159", "0", "160", "0.63% (1/160)"]


def test_it_exports_the_half_up_rates_as_percent_numbers(rated, cast):
    resp = rated.get(
        reverse("servicerating:figures"),
        {"institution": cast.college.pk, "kind": "month", "period": "2026-10", "format": "xlsx"},
    )
    ws = load_workbook(io.BytesIO(resp.content)).active
    rate = {r[1].value: r[7] for r in ws.iter_rows(min_row=3) if r[1].value}
    assert rate["教务处"].value == pytest.approx(0.9813, abs=1e-9) and rate["教务处"].number_format == "0.00%"
    assert rate["财务处"].value == pytest.approx(0.0063, abs=1e-9)


def test_equal_exact_rates_share_a_rank(rated, cast):
    html = rated.get(reverse("servicerating:rankings"), {"period": "2026-10"}).content.decode()
    best = html.split("不满意最多")[0]
    ranks = re.findall(r"<tr><td>(\d+)(?: <span[^>]*>并列</span>)?</td><td>([^<]+)</td>", best)
    assert ranks == [("1", "教务处"), ("1", "考务科"), ("3", "财务处")]
