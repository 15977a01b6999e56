"""Who reviews each kind of report (domain.md §4)."""

from orgs.models import Post, RoleAssignment, Supervision
from orgs.services import person_create, post_assign, unit_create
from reports.routing import resolve_reviewer


def test_it_routes_the_team_and_principal_to_the_city_office(cast):
    for kind, person in (("team", None), ("principal", cast.principal)):
        route = resolve_reviewer(unit=cast.college, author_kind=kind, person=person)
        assert route.is_city_office and route.user is None and route.problem == ""


def test_it_says_what_to_fix_when_no_city_official_covers_the_institution(cast):
    RoleAssignment.objects.filter(role=RoleAssignment.Role.CITY_OFFICE).delete()
    route = resolve_reviewer(unit=cast.college, author_kind="team", person=None)
    assert route.is_city_office and route.user is None
    assert "江城职业技术学院" in route.problem


def test_it_routes_a_leadership_member_to_the_principal_leader(cast):
    route = resolve_reviewer(unit=cast.college, author_kind="leadership_member", person=cast.supervisor)
    assert route.user == cast.user("principal") and not route.is_city_office and route.problem == ""


def test_it_routes_department_and_department_members_to_the_supervising_leader(cast):
    assert resolve_reviewer(unit=cast.dept_a, author_kind="department", person=cast.head_a).user == cast.user(
        "supervisor"
    )
    assert resolve_reviewer(unit=cast.dept_a, author_kind="department_member", person=cast.member_a).user == (
        cast.user("supervisor")
    )
    assert resolve_reviewer(unit=cast.dept_b, author_kind="department", person=cast.head_b).user == cast.user(
        "principal"
    )


def test_it_routes_a_cadre_to_the_department_head_even_from_a_section(cast):
    assert resolve_reviewer(unit=cast.dept_a, author_kind="cadre", person=cast.cadre_a).user == cast.user("head_a")
    clerk = person_create(actor=None, name="科员甲", staff_no="T900", unit=cast.section_a)
    post_assign(actor=None, person=clerk, unit=cast.section_a, kind=Post.Kind.CADRE)
    assert resolve_reviewer(unit=cast.section_a, author_kind="cadre", person=clerk).user == cast.user("head_a")


def test_it_says_what_to_fix_when_no_supervisor_is_set(cast):
    Supervision.objects.filter(unit=cast.dept_a).delete()
    route = resolve_reviewer(unit=cast.dept_a, author_kind="department_member", person=cast.member_a)
    assert route.user is None and not route.is_city_office
    assert "教务处" in route.problem


def test_it_says_what_to_fix_when_a_department_has_no_head(cast):
    dept = unit_create(actor=None, name="保卫处", kind="department", code="T-C", parent=cast.college)
    cadre = person_create(actor=None, name="干部丙", staff_no="T901", unit=dept)
    route = resolve_reviewer(unit=dept, author_kind="cadre", person=cadre)
    assert route.user is None and "保卫处" in route.problem


def test_it_never_routes_a_report_to_its_author(cast):
    # the principal supervises dept_b; if the principal wrote dept_b's report they may not review it
    route = resolve_reviewer(unit=cast.dept_b, author_kind="department", person=cast.principal)
    assert route.user is None and route.problem
    route = resolve_reviewer(unit=cast.college, author_kind="leadership_member", person=cast.principal)
    assert route.user is None and route.problem


def test_it_says_when_the_reviewer_has_no_login(cast):
    cast.supervisor.user = None
    cast.supervisor.save(update_fields=["user"])
    route = resolve_reviewer(unit=cast.dept_a, author_kind="department", person=cast.head_a)
    assert route.user is None and route.person == cast.supervisor and route.problem
