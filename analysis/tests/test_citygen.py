"""`manage.py generate_city`: a small city has what a city has, the same seed gives the same city, and its
audit chain verifies."""

import pytest
from django.db import transaction

from analysis.citygen import CitySize, generate_city

TINY = CitySize(
    units=36, people=400, problems=300, measures=300, opinions=60, ballots=500, ratings=200, audit_records=1500
)


def _fingerprint() -> tuple:
    from evaluations.models import BallotAnswer
    from orgs.models import Person, Unit
    from problems.models import Opinion, Problem
    from servicerating.models import Rating

    return (
        list(Unit.objects.order_by("pk").values_list("pk", "name", "path", "public_code")),
        list(Person.objects.order_by("pk").values_list("name", "staff_no", "unit_id", "user_id")),
        list(Problem.objects.order_by("pk").values_list("unit_id", "status", "severity", "public_code")),
        sorted(Opinion.objects.values_list("pk", "receipt_code")),
        sorted(Rating.objects.values_list("id", "grade")),
        sorted(BallotAnswer.objects.values_list("id", "grade__order")),
    )


@pytest.mark.django_db
def test_a_generated_city_has_every_stage_every_kind_of_record_and_an_intact_audit_chain():
    from audit.verify import trail_verify
    from campaigns.models import STAGE_ORDER, CampaignUnit
    from evaluations.models import Ballot, Evaluation
    from meetings.models import LifeMeeting
    from reports.models import SelfReport
    from servicerating.models import Case

    city = generate_city(TINY, prefix="T")
    c = city.counts
    assert c["units"] == 36 and c["problems"] == 300 and c["measures"] == 300 and c["opinions"] == 60
    assert c["ratings"] == 200 and c["service_cases"] == Case.objects.count() > 0
    stages = set(CampaignUnit.objects.filter(unit_id__in=city.institution_ids).values_list("stage", flat=True))
    assert stages == set(STAGE_ORDER)
    assert set(Evaluation.objects.values_list("status", flat=True)) == {"draft", "closed", "tallied"}
    assert Ballot.objects.count() == c["ballots"] >= 495  # split evenly over the rounds that voted
    assert SelfReport.objects.count() == LifeMeeting.objects.count() == 36 - 1
    report = trail_verify()
    assert report.ok, report.problems
    assert report.records == c["audit_records"] == 1500


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_city():
    with transaction.atomic():
        generate_city(TINY, prefix="T")
        first = _fingerprint()
        transaction.set_rollback(True)
    generate_city(TINY, prefix="T")
    assert _fingerprint() == first


def _schema(*models) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        return {
            m._meta.db_table: sorted(
                (name, tuple(c["columns"]), c["primary_key"], c["unique"], c["foreign_key"], c["index"])
                for name, c in connection.introspection.get_constraints(cur, m._meta.db_table).items()
            )
            for m in models
        }


@pytest.mark.django_db
def test_rounds_hold_every_answer_of_their_ballots_and_tallied_rounds_the_tally_services_figures():
    from audit.models import AuditRecord
    from evaluations.models import Ballot, BallotAnswer, Evaluation, EvaluationTarget
    from evaluations.results import collect
    from evaluations.services import ballot_questions

    before = _schema(Ballot, BallotAnswer)
    city = generate_city(TINY, prefix="T")
    # the indexes and keys dropped while loading are all back, as they were
    assert _schema(Ballot, BallotAnswer) == before
    tallied = 0
    for ev in Evaluation.objects.all():
        ballots = Ballot.objects.filter(evaluation=ev).count()
        questions = sum(len(items) for _, items in ballot_questions(ev))
        assert BallotAnswer.objects.filter(ballot__evaluation=ev).count() == ballots * questions
        if ev.status == "draft":
            assert ballots == 0
            continue
        assert ballots > 0 and sum(ev.groups.values_list("codes_used", flat=True)) == ballots
        targets = EvaluationTarget.objects.filter(evaluation=ev)
        if ev.status == "closed":
            assert set(targets.values_list("result", flat=True)) == {"pending"}
            continue
        tallied += 1
        assert AuditRecord.objects.filter(action="evaluation.tally", object_id=str(ev.pk)).exists()
        data = {row["target"].pk: row for row in collect(ev)["targets"]}
        for t in targets:  # what the service stored is what it counts from the stored answers
            assert t.result == data[t.pk]["outcome"] != "pending"
            assert t.valid_ballots == data[t.pk]["valid_ballots"] > 0
    assert tallied == city.counts["rounds_tallied"] > 0
    assert BallotAnswer.objects.count() == city.counts["ballot_answers"]
    # a smaller city beside it (as bench/run.py adds its baselines' city) is written into the indexes as they are
    small = generate_city(CitySize(units=20, people=200, problems=200, measures=200, ballots=100), prefix="S")
    assert _schema(Ballot, BallotAnswer) == before
    assert Ballot.objects.count() == city.counts["ballots"] + small.counts["ballots"]
    assert BallotAnswer.objects.count() == city.counts["ballot_answers"] + small.counts["ballot_answers"]


@pytest.mark.django_db(transaction=True)
def test_a_city_made_outside_a_transaction_is_vacuumed_on_postgresql_as_autovacuum_would_leave_it():
    """Index-only reads (the warnings board's counts, the tally's non-votes) need the visibility map that only
    VACUUM writes: a city measured straight after its bulk load is vacuumed by generate_city on PostgreSQL,
    where ANALYZE alone would leave every page of its tables not all-visible."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the visibility map is PostgreSQL's")
    generate_city(TINY, prefix="V")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname, relpages, relallvisible FROM pg_class "
            "WHERE relname IN ('problems_problem', 'rectification_measure', 'evaluations_ballotanswer')"
        )
        tables = {name: (pages, visible) for name, pages, visible in cur.fetchall()}
    assert len(tables) == 3 and all(pages > 0 and visible == pages for pages, visible in tables.values()), tables
