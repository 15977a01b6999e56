"""Two reviewers deciding overlapping bulk close-outs at once: one batch goes through whole, the other
changes nothing (PostgreSQL, real threads)."""

from datetime import date

import pytest

from conftest import run_at_once
from core.exceptions import ServiceError
from rectification import services
from rectification.models import Measure

from .test_bulk_closeout import waiting

S = Measure.Status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_applies_one_of_two_overlapping_bulk_decisions_whole(cast, campaign):
    m = waiting(cast, campaign, cast.dept_a, cast.cadre_a, "supervisor", 3)
    results = run_at_once(
        lambda: services.measures_closeout_bulk(actor=cast.user("head_a"), ids=[m[0].pk, m[1].pk], decision="verify"),
        lambda: services.measures_closeout_bulk(
            actor=cast.user("supervisor"),
            ids=[m[1].pk, m[2].pk],
            decision="return",
            comment="佐证不足",
            new_deadline=date(2026, 12, 30),
        ),
    )
    assert sum(isinstance(r, list) for r in results) == 1, results
    assert sum(isinstance(r, ServiceError) for r in results) == 1, results
    assert sum(isinstance(r, ServiceError) for r in results) == 1
    statuses = [Measure.objects.get(pk=x.pk).status for x in m]
    assert statuses in (
        [S.VERIFIED, S.VERIFIED, S.CLOSEOUT_REQUESTED],
        [S.CLOSEOUT_REQUESTED, S.RETURNED, S.RETURNED],
    )
