"""Two offices triaging overlapping opinions in bulk at once (PostgreSQL, real threads): the campaign office
closes some, the 教务处 head accepts others, the shared ones ticked in opposite orders. One batch goes through whole, the
other changes nothing; nobody waits forever (no deadlock); no opinion is decided twice; every decided opinion
has exactly one triage audit record and the trail still verifies."""

import pytest

from audit.models import AuditRecord
from audit.services import audit_verify
from conftest import run_at_once
from core.exceptions import ServiceError
from problems.models import Opinion, Problem
from problems.services import opinions_triage_bulk, taxonomy_ensure

from .conftest import opinions_entered

TRIAGE_ACTIONS = ("opinion.accept", "opinion.close", "opinion.merge")


def triage_records(opinion) -> int:
    return AuditRecord.objects.filter(action__in=TRIAGE_ACTIONS, object_id=str(opinion.pk)).count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_applies_one_of_two_overlapping_bulk_triages_whole(cast, campaign):
    taxonomy_ensure()
    ops = opinions_entered(cast, campaign, [f"座谈会意见{i}：窗口办事需要反复提交材料" for i in range(6)])
    # The office closes rows 1–4 then 0; the head of 教务处 accepts rows 4–1 (the other way round) then 5.
    # Each row is decided by a conditional UPDATE (the row's lock) and then an audit record (the chain's
    # lock): unless all rows are locked first in one order, each holds its first row, one gets the chain
    # and then waits for the row the other holds, which waits for the chain: a deadlock.
    closing = [o.pk for o in ops[1:5]] + [ops[0].pk]
    accepting = [o.pk for o in reversed(ops[1:5])] + [ops[5].pk]
    results = run_at_once(
        lambda: opinions_triage_bulk(actor=cast.user("office"), ids=closing, action="close", reason="已另行处理"),
        lambda: opinions_triage_bulk(actor=cast.user("head_a"), ids=accepting, action="accept"),
    )
    assert sum(isinstance(r, list) for r in results) == 1, results  # neither deadlocked nor failed otherwise
    assert sum(isinstance(r, ServiceError) for r in results) == 1, results
    closed_won = isinstance(results[0], list)
    expected = ["closed"] * 5 + ["new"] if closed_won else ["new"] + ["accepted"] * 5
    assert [Opinion.objects.get(pk=o.pk).status for o in ops] == expected
    assert [triage_records(o) for o in ops] == [0 if s == "new" else 1 for s in expected]
    assert Problem.objects.filter(opinions__in=ops).count() == (0 if closed_won else 5)
    ok, message = audit_verify()
    assert ok, message
