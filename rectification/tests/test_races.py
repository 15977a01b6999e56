"""Two people acting on one measure at once: exactly one gets through (PostgreSQL, real threads)."""

from datetime import date

import pytest

from conftest import run_at_once
from core.exceptions import Conflict
from rectification import services
from rectification.models import CloseoutReview, Extension, Measure

from .helpers import pdf


def fresh(m):
    return Measure.objects.select_related("plan__unit", "plan__campaign", "owner").get(pk=m.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_takes_one_decision_when_two_reviewers_decide_a_closeout_at_once(cast, measure_a):
    services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=[pdf()])
    services.measure_start(actor=cast.user("cadre_a"), measure=measure_a)
    services.closeout_request(actor=cast.user("cadre_a"), measure=measure_a)
    results = run_at_once(
        lambda: services.measure_verify(actor=cast.user("head_a"), measure=fresh(measure_a)),
        lambda: services.measure_return(
            actor=cast.user("supervisor"), measure=fresh(measure_a), reason="不实", new_deadline=date(2030, 1, 1)
        ),
    )
    assert sum(isinstance(r, Measure) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert CloseoutReview.objects.filter(measure=measure_a).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_decides_an_extension_once_when_two_approvers_click_at_once(cast, measure_a):
    ext = services.extension_request(
        actor=cast.user("cadre_a"), measure=measure_a, reason="r", new_deadline=date(2027, 1, 31)
    )
    results = run_at_once(
        lambda: services.extension_decide(
            actor=cast.user("head_a"), extension=Extension.objects.get(pk=ext.pk), approve=True
        ),
        lambda: services.extension_decide(
            actor=cast.user("supervisor"), extension=Extension.objects.get(pk=ext.pk), approve=False, note="不同意"
        ),
    )
    assert sum(isinstance(r, Extension) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    ext.refresh_from_db()
    measure_a.refresh_from_db()
    assert (ext.status == "approved") == (measure_a.deadline == date(2027, 1, 31))
