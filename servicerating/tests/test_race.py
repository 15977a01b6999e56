"""Two at once (PostgreSQL, real threads): one decision per case, one release per rating."""

from datetime import date

import pytest

from audit.models import AuditRecord
from conftest import run_at_once
from core.exceptions import Conflict
from servicerating import services
from servicerating.models import Case, Rating


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_handlers_settling_one_case_at_once_record_one_decision(cast):
    point = services.point_enable(actor=cast.user("office"), unit=cast.dept_a)
    services.rating_submit(point=point, stars=1, reason="慢", rated_on=date(2026, 10, 5))
    services.ratings_release(today=date(2026, 10, 6))
    case = Case.objects.get()
    results = run_at_once(
        lambda: services.case_decide(
            actor=cast.user("office"),
            case=Case.objects.get(pk=case.pk),
            status="substantiated",
            finding="a",
            action_taken="甲",
        ),
        lambda: services.case_decide(
            actor=cast.user("city_official"),
            case=Case.objects.get(pk=case.pk),
            status="unsubstantiated",
            finding="b",
            action_taken="乙",
        ),
    )
    assert sum(isinstance(r, Case) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert AuditRecord.objects.filter(action="servicerating.case_decide").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_releases_at_once_release_each_rating_once(cast):
    point = services.point_enable(actor=cast.user("office"), unit=cast.dept_a)
    for stars in (5, 4, 3, 2, 1):
        services.rating_submit(point=point, stars=stars, reason="慢", rated_on=date(2026, 10, 5))
    results = run_at_once(
        lambda: services.ratings_release(today=date(2026, 10, 6)),
        lambda: services.ratings_release(today=date(2026, 10, 6)),
    )
    assert sorted(results) == [0, 5]
    assert Rating.objects.filter(released=True).count() == 5 and Case.objects.filter(released=True).count() == 2
    assert AuditRecord.objects.filter(action="servicerating.ratings_release").count() == 1
