import pytest
from django.urls import reverse

from orgs.access import Perm, can, units_where


@pytest.mark.django_db
class TestAccessRules:
    def test_it_lets_the_campaign_office_manage_its_institution_only(self, cast):
        office = cast.user("office")
        assert can(office, Perm.ORG_MANAGE, cast.dept_a)
        assert can(office, Perm.CAMPAIGN_MANAGE, cast.college)
        assert not can(office, Perm.ORG_MANAGE, cast.other_dept)
        assert set(units_where(office, Perm.CAMPAIGN_MANAGE)) == {
            cast.college,
            cast.dept_a,
            cast.section_a,
            cast.dept_b,
        }

    def test_it_lets_the_city_office_see_every_institution(self, cast):
        city = cast.user("city_official")
        assert can(city, Perm.PROBLEM_VIEW, cast.dept_a)
        assert can(city, Perm.PROBLEM_VIEW, cast.other_dept)
        assert can(city, Perm.REPORT_REVIEW_CITY, cast.college)
        assert not can(city, Perm.CAMPAIGN_MANAGE, cast.college)

    def test_it_gives_a_department_head_their_department_and_below(self, cast):
        head = cast.user("head_a")
        assert can(head, Perm.PROBLEM_EDIT, cast.dept_a)
        assert can(head, Perm.PROBLEM_EDIT, cast.section_a)
        assert not can(head, Perm.PROBLEM_VIEW, cast.dept_b)
        assert not can(head, Perm.PROBLEM_VIEW, cast.college)

    def test_it_gives_staff_no_unit_rights(self, cast):
        staff = cast.user("staff_a")
        assert not can(staff, Perm.PROBLEM_VIEW, cast.dept_a)
        assert list(units_where(staff, Perm.PROBLEM_VIEW)) == []

    def test_it_keeps_the_other_institution_out(self, cast):
        outsider = cast.user("outsider")
        assert not can(outsider, Perm.PROBLEM_VIEW, cast.dept_a)
        assert can(outsider, Perm.PROBLEM_VIEW, cast.other_dept)

    def test_it_tracks_the_tree_when_a_unit_moves(self, cast):
        from orgs.services import unit_update

        unit_update(actor=None, unit=cast.section_a, parent=cast.dept_b)
        cast.section_a.refresh_from_db()
        assert cast.section_a.path.startswith(cast.dept_b.path)
        assert not can(cast.user("head_a"), Perm.PROBLEM_VIEW, cast.section_a)
        assert can(cast.user("head_b"), Perm.PROBLEM_VIEW, cast.section_a)


@pytest.mark.django_db
def test_it_requires_a_login_for_the_home_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_it_shows_chinese_by_default_whatever_the_browser_says(client, cast):
    client.force_login(cast.user("office"))
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "待办" in response.content.decode()


@pytest.mark.django_db
def test_it_keeps_accountability_cases_from_department_heads(cast):
    # Cases are for the office, the leaders and the city office; a department head manages rectification.
    head = cast.user("head_a")
    assert can(head, Perm.RECTIFICATION_MANAGE, cast.dept_a)
    assert not can(head, Perm.ACCOUNTABILITY_VIEW, cast.dept_a)
