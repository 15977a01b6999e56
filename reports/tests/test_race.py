"""Two city officials decide on the same report at the same moment: one decision wins."""

import threading

import pytest
from django.db import connection

from core.exceptions import Conflict
from orgs.models import RoleAssignment
from orgs.services import login_issue, person_create, role_assign
from reports.models import ReportReview, SelfReport
from reports.services import report_approve, report_return


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_simultaneous_decisions_win(cast, campaign, writer):
    second = person_create(actor=None, name="市办赵敏", staff_no="T950", unit=cast.city)
    role_assign(actor=None, person=second, role=RoleAssignment.Role.CITY_OFFICE, unit=cast.city)
    user2, _ = login_issue(actor=None, person=second, password="Race-pass-2026", must_change=False)
    report = writer("principal", "team", cast.college)
    version = report.versions.get()

    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(name, fn, user, **kw):
        try:
            barrier.wait()
            fn(actor=user, report=SelfReport.objects.get(pk=report.pk), version=version, **kw)
            outcomes[name] = "won"
        except Conflict as exc:
            outcomes[name] = f"conflict: {exc.message}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("approve", report_approve, cast.user("city_official"))),
        threading.Thread(target=decide, args=("return", report_return, user2), kwargs={"comment": "不深刻"}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["conflict", "won"], outcomes
    assert ReportReview.objects.filter(version=version).count() == 1
    review = ReportReview.objects.get(version=version)
    report.refresh_from_db()
    assert report.status == review.decision  # the state matches the one decision that was recorded
    winner = "approve" if review.decision == "approved" else "return"
    assert outcomes[winner] == "won"
