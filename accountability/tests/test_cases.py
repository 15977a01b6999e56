"""The accountability register: decide, statement, close; who sees what; the commendation flag."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from accountability.models import AccountabilityCase, MeasureType
from accountability.selectors import ineligible_person_ids, not_eligible_for_commendation
from accountability.services import case_close, case_decide, case_open, case_statement, measure_types_ensure
from audit.models import AuditRecord
from core.exceptions import Conflict, ServiceError


@pytest.fixture
def case(cast):
    measure_types_ensure()
    return case_open(
        actor=cast.user("supervisor"),
        person=cast.head_a,
        unit=cast.dept_a,
        trigger=AccountabilityCase.Trigger.REPORT_RETURNED,
        facts="教务处自查报告审查不过关",
        trigger_ref="reports.selfreport:1",
    )


def measures(*names):
    return MeasureType.objects.filter(name__in=names)


def test_it_decides_a_case_with_measures_body_and_date(cast, case):
    case_decide(
        actor=cast.user("office"),
        case=case,
        measures=measures("通报批评", "责令书面检查"),
        deciding_body="院党委",
        decided_on=date(2026, 11, 20),
    )
    case.refresh_from_db()
    assert case.status == "decided" and case.deciding_body == "院党委" and case.decided_on == date(2026, 11, 20)
    assert set(case.decided_measures.values_list("name", flat=True)) == {"通报批评", "责令书面检查"}
    assert AuditRecord.objects.filter(action="accountability.decide", object_id=str(case.pk)).exists()
    with pytest.raises(Conflict):
        case_decide(
            actor=cast.user("office"),
            case=case,
            measures=measures("辞退"),
            deciding_body="x",
            decided_on=date(2026, 11, 20),
        )


def test_it_refuses_a_decision_without_measures_or_by_the_person_or_an_outsider(cast, case):
    kw = {"deciding_body": "院党委", "decided_on": date(2026, 11, 20)}
    with pytest.raises(ServiceError):
        case_decide(actor=cast.user("office"), case=case, measures=measures(), **kw)
    with pytest.raises(PermissionDenied):
        case_decide(actor=cast.user("head_a"), case=case, measures=measures("通报批评"), **kw)
    with pytest.raises(PermissionDenied):
        case_decide(actor=cast.user("outsider"), case=case, measures=measures("通报批评"), **kw)


def test_it_flags_people_not_eligible_for_commendation_that_year(cast, case):
    assert not not_eligible_for_commendation(cast.head_a, 2026)
    case_decide(
        actor=cast.user("city_official"),
        case=case,
        measures=measures("诫勉谈话"),
        deciding_body="市治庸办",
        decided_on=date(2026, 3, 1),
    )
    assert not_eligible_for_commendation(cast.head_a, 2026)
    assert not not_eligible_for_commendation(cast.head_a, 2027)
    assert ineligible_person_ids([cast.head_a.pk, cast.head_b.pk], 2026) == {cast.head_a.pk}


def test_it_does_not_flag_a_measure_that_does_not_bar_commendation(cast, case):
    case_decide(
        actor=cast.user("office"),
        case=case,
        measures=measures("责令书面检查"),
        deciding_body="院党委",
        decided_on=date(2026, 3, 1),
    )
    assert not not_eligible_for_commendation(cast.head_a, 2026)


def test_it_takes_the_persons_statement_and_closes(cast, case):
    case_statement(actor=cast.user("head_a"), case=case, statement="接受组织处理")
    with pytest.raises(PermissionDenied):
        case_statement(actor=cast.user("cadre_a"), case=case, statement="x")
    with pytest.raises(Conflict):
        case_close(actor=cast.user("office"), case=case)
    case_decide(
        actor=cast.user("office"),
        case=case,
        measures=measures("通报批评"),
        deciding_body="院党委",
        decided_on=date(2026, 3, 1),
    )
    case_close(actor=cast.user("office"), case=case)
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at and case.statement == "接受组织处理"
    with pytest.raises(Conflict):
        case_statement(actor=cast.user("head_a"), case=case, statement="再补充")


def test_it_shows_the_city_office_every_institution_and_an_institution_only_its_own(cast, case, client_for):
    other = case_open(actor=None, person=cast.outsider, unit=cast.other_dept, trigger="other", facts="考试院的案件")
    city = client_for(cast.user("city_official")).get("/accountability/").content.decode()
    assert "处长张三" in city and "考试院郑十" in city
    office = client_for(cast.user("office")).get("/accountability/").content.decode()
    assert "处长张三" in office and "考试院郑十" not in office
    assert client_for(cast.user("office")).get(f"/accountability/{other.pk}/").status_code == 404
    assert client_for(cast.user("outsider")).get(f"/accountability/{case.pk}/").status_code == 404


def test_it_lets_the_person_concerned_read_and_answer_but_not_decide(cast, case, client_for):
    client = client_for(cast.user("head_a"))
    assert client.get(f"/accountability/{case.pk}/").status_code == 200
    assert client.post(f"/accountability/{case.pk}/decide/", {"deciding_body": "x"}).status_code == 403
    client.post(f"/accountability/{case.pk}/statement/", {"statement": "接受批评"})
    case.refresh_from_db()
    assert case.statement == "接受批评"
    assert client_for(cast.user("cadre_a")).get(f"/accountability/{case.pk}/").status_code == 404


def test_it_decides_from_the_page_and_flags_the_person_on_the_list(cast, case, client_for):
    from django.utils import timezone

    client = client_for(cast.user("office"))
    pk = MeasureType.objects.get(name="通报批评").pk
    today = timezone.localdate()
    client.post(
        f"/accountability/{case.pk}/decide/",
        {"measures": [pk], "deciding_body": "院党委", "decided_on": today.isoformat()},
    )
    case.refresh_from_db()
    assert case.status == "decided"
    page = client.get("/accountability/").content.decode()
    assert f"{today.year}年度不得评优评先" in page


def test_it_lists_cases_in_a_constant_number_of_queries(cast, case, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    client.get("/accountability/")
    with django_assert_max_num_queries(20) as first:
        client.get("/accountability/")
    for person in (cast.head_b, cast.member_a, cast.cadre_a):
        c = case_open(actor=None, person=person, unit=cast.dept_a, trigger="other", facts="x")
        case_decide(
            actor=cast.user("office"),
            case=c,
            measures=measures("通报批评"),
            deciding_body="院党委",
            decided_on=date(2026, 3, 1),
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/accountability/")


def test_it_puts_open_cases_and_statements_on_the_home_page(cast, case, client_for):
    assert "待决定的问责案件：1件" in client_for(cast.user("office")).get("/").content.decode()
    assert "请填写本人陈述" in client_for(cast.user("head_a")).get("/").content.decode()
