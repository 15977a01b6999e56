"""The campaign office's organisation pages: units, people, posts, 分管, roles and logins."""

import pytest
from django.urls import reverse

from audit.models import AuditRecord
from orgs.models import Person, Post, RoleAssignment, Supervision, Unit, User
from orgs.services import person_create, post_assign

pytestmark = pytest.mark.django_db


def last_audit(action: str) -> AuditRecord:
    return AuditRecord.objects.filter(action=action).order_by("-seq").first()


class TestUnits:
    def test_it_shows_the_office_its_own_tree_only(self, cast, client_for):
        page = client_for(cast.user("office")).get(reverse("orgs:index")).content.decode()
        assert "教务处" in page and "考务科" in page
        assert "江城市教育考试院" not in page and "考务处" not in page

    def test_it_refuses_the_organisation_pages_to_those_who_do_not_manage(self, cast, client_for):
        for key in ("principal", "head_a", "staff_a"):
            client = client_for(cast.user(key))
            assert client.get(reverse("orgs:index")).status_code == 403
            assert client.get(reverse("orgs:people")).status_code == 403
            assert client.get(reverse("orgs:import")).status_code == 403

    def test_it_requires_a_login(self, client, cast):
        response = client.get(reverse("orgs:index"))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_it_creates_a_unit_under_a_managed_parent(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.post(
            reverse("orgs:unit_create"),
            {"name": "督导科", "code": "T-A2", "kind": Unit.Kind.SECTION, "parent": cast.dept_a.pk, "sort_order": 3},
        )
        unit = Unit.objects.get(code="T-A2")
        assert response.status_code == 302
        assert unit.parent == cast.dept_a and unit.institution == cast.college
        assert unit.path == f"{cast.dept_a.path}{unit.pk}/"
        assert last_audit("unit.create").object_id == str(unit.pk)

    def test_it_refuses_a_duplicate_unit_code_with_a_message(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.post(
            reverse("orgs:unit_create"),
            {"name": "重复", "code": "T-A", "kind": Unit.Kind.SECTION, "parent": cast.dept_a.pk, "sort_order": 0},
        )
        assert response.status_code == 200
        assert Unit.objects.filter(name="重复").count() == 0

    def test_it_does_not_let_the_office_create_under_another_institution(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.get(reverse("orgs:unit_create") + f"?parent={cast.other_dept.pk}")
        assert response.status_code == 404
        response = client.post(
            reverse("orgs:unit_create"),
            {"name": "潜入科", "code": "X-1", "kind": Unit.Kind.SECTION, "parent": cast.other_dept.pk, "sort_order": 0},
        )
        assert response.status_code == 200  # not a valid choice
        assert not Unit.objects.filter(code="X-1").exists()

    def test_it_moves_a_unit_with_its_subtree(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.post(
            reverse("orgs:unit_edit", args=[cast.dept_a.pk]),
            {"name": "教务处", "code": "T-A", "kind": Unit.Kind.DEPARTMENT, "parent": cast.dept_b.pk, "sort_order": 0},
        )
        assert response.status_code == 302
        cast.section_a.refresh_from_db()
        cast.dept_a.refresh_from_db()
        assert cast.dept_a.path == f"{cast.dept_b.path}{cast.dept_a.pk}/"
        assert cast.section_a.path == f"{cast.dept_a.path}{cast.section_a.pk}/"
        assert cast.section_a.depth == 4
        rec = last_audit("unit.update")
        assert rec.changes["parent"] == [str(cast.college.pk), str(cast.dept_b.pk)]

    def test_it_refuses_to_move_a_unit_under_itself(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.post(
            reverse("orgs:unit_edit", args=[cast.dept_a.pk]),
            {
                "name": "教务处",
                "code": "T-A",
                "kind": Unit.Kind.DEPARTMENT,
                "parent": cast.section_a.pk,
                "sort_order": 0,
            },
        )
        assert response.status_code == 200
        cast.dept_a.refresh_from_db()
        assert cast.dept_a.parent == cast.college

    def test_it_gives_404_for_another_institutions_unit_and_403_to_a_reader(self, cast, client_for):
        assert (
            client_for(cast.user("office")).get(reverse("orgs:unit_detail", args=[cast.other_dept.pk])).status_code
            == 404
        )
        assert (
            client_for(cast.user("outsider")).get(reverse("orgs:unit_edit", args=[cast.dept_a.pk])).status_code == 404
        )
        principal = client_for(cast.user("principal"))
        assert principal.get(reverse("orgs:unit_detail", args=[cast.dept_a.pk])).status_code == 200
        assert principal.get(reverse("orgs:unit_edit", args=[cast.dept_a.pk])).status_code == 403
        assert (
            principal.post(reverse("orgs:unit_supervision", args=[cast.dept_a.pk]), {"leader": ""}).status_code == 403
        )

    def test_it_sets_and_clears_the_supervising_leader(self, cast, client_for):
        client = client_for(cast.user("office"))
        url = reverse("orgs:unit_supervision", args=[cast.dept_a.pk])
        client.post(url, {"leader": cast.principal.pk})
        assert Supervision.objects.get(unit=cast.dept_a).leader == cast.principal
        assert last_audit("supervision.set").changes == {"leader": [cast.supervisor.pk, cast.principal.pk]}
        client.post(url, {"leader": ""})
        assert not Supervision.objects.filter(unit=cast.dept_a).exists()
        assert last_audit("supervision.clear") is not None

    def test_it_refuses_a_supervisor_who_is_not_on_the_leadership_team(self, cast, client_for):
        client = client_for(cast.user("office"))
        client.post(reverse("orgs:unit_supervision", args=[cast.dept_a.pk]), {"leader": cast.head_b.pk})
        assert Supervision.objects.get(unit=cast.dept_a).leader == cast.supervisor

    def test_it_lists_the_tree_in_constant_queries(self, cast, client_for, django_assert_max_num_queries):
        client = client_for(cast.user("office"))
        client.get(reverse("orgs:index"))
        with django_assert_max_num_queries(14) as ctx:
            client.get(reverse("orgs:index"))
        before = len(ctx.captured_queries)
        from orgs.services import unit_create

        for i in range(15):
            unit_create(actor=None, name=f"新部门{i}", kind=Unit.Kind.DEPARTMENT, code=f"N{i}", parent=cast.college)
        with django_assert_max_num_queries(before):
            client.get(reverse("orgs:index"))


class TestPeople:
    def test_it_searches_and_paginates_people(self, cast, client_for):
        for i in range(60):
            person_create(actor=None, name=f"测试人员{i:02d}", staff_no=f"P{i:03d}", unit=cast.dept_b)
        client = client_for(cast.user("office"))
        page = client.get(reverse("orgs:people")).content.decode()
        assert "第 1 页，共 2 页" in page or "Page 1 of 2" in page
        page = client.get(reverse("orgs:people"), {"q": "处长张"}).content.decode()
        assert "处长张三" in page and "处长钱五" not in page
        page = client.get(reverse("orgs:people"), {"q": "T00"}).content.decode()
        assert "T001" not in page  # the city official is not in the office's institution
        assert "考试院郑十" not in client.get(reverse("orgs:people"), {"q": "郑十"}).content.decode()
        page = client.get(reverse("orgs:people"), {"unit": cast.dept_a.pk, "post": Post.Kind.CADRE}).content.decode()
        assert "干部孙七" in page and "处长张三" not in page

    def test_it_lists_people_in_constant_queries(self, cast, client_for, django_assert_max_num_queries):
        client = client_for(cast.user("office"))
        client.get(reverse("orgs:people"))
        with django_assert_max_num_queries(16) as ctx:
            client.get(reverse("orgs:people"))
        n = len(ctx.captured_queries)
        for i in range(30):
            p = person_create(actor=None, name=f"人{i}", staff_no=f"Q{i:03d}", unit=cast.dept_a)
            post_assign(actor=None, person=p, unit=cast.dept_a, kind=Post.Kind.STAFF)
        with django_assert_max_num_queries(n):
            client.get(reverse("orgs:people"))

    def test_it_creates_and_edits_a_person(self, cast, client_for):
        client = client_for(cast.user("office"))
        data = {"name": "新人甲", "staff_no": "N001", "unit": cast.dept_a.pk, "gender": "F", "birth_date": "1990-03-04"}
        response = client.post(reverse("orgs:person_create"), {**data, "title": "科员", "is_party_member": "on"})
        person = Person.objects.get(staff_no="N001")
        assert response.status_code == 302 and person.is_party_member and str(person.birth_date) == "1990-03-04"
        response = client.post(
            reverse("orgs:person_edit", args=[person.pk]), {**data, "staff_no": "N002", "unit": cast.dept_b.pk}
        )
        person.refresh_from_db()
        assert response.status_code == 302 and person.unit == cast.dept_b and person.staff_no == "N002"
        assert not person.is_party_member
        rec = last_audit("person.update")
        assert rec.changes["staff_no"] == ["N001", "N002"] and rec.changes["unit"] == [
            str(cast.dept_a.pk),
            str(cast.dept_b.pk),
        ]

    def test_it_refuses_a_duplicate_staff_number(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.post(
            reverse("orgs:person_create"), {"name": "重号", "staff_no": "T005", "unit": cast.dept_a.pk}
        )
        assert response.status_code == 200
        assert "T005" in response.content.decode()
        assert not Person.objects.filter(name="重号").exists()

    def test_it_renames_the_login_with_the_staff_number(self, cast):
        from orgs.services import person_update

        person_update(actor=None, person=cast.cadre_a, staff_no="Z999")
        assert User.objects.get(pk=cast.cadre_a.user_id).username == "Z999"

    def test_it_deactivates_a_person_and_their_login(self, cast, client_for, client):
        office = client_for(cast.user("office"))
        office.post(reverse("orgs:person_active", args=[cast.staff_a.pk]), {"active": "0"})
        cast.staff_a.refresh_from_db()
        assert not cast.staff_a.active and not User.objects.get(pk=cast.staff_a.user_id).is_active
        assert last_audit("person.deactivate").object_id == str(cast.staff_a.pk)
        office.logout()
        from conftest import PASSWORD

        assert not client.login(username=cast.staff_a.staff_no, password=PASSWORD)
        # Twice is refused (the state moved), then reactivation restores the login.
        office = client_for(cast.user("office"))
        office.post(reverse("orgs:person_active", args=[cast.staff_a.pk]), {"active": "0"})
        assert AuditRecord.objects.filter(action="person.deactivate").count() == 1
        office.post(reverse("orgs:person_active", args=[cast.staff_a.pk]), {"active": "1"})
        assert User.objects.get(pk=cast.staff_a.user_id).is_active

    def test_it_gives_404_for_another_institutions_person_and_403_to_a_reader(self, cast, client_for):
        office = client_for(cast.user("office"))
        for name in ("orgs:person_detail", "orgs:person_edit"):
            assert office.get(reverse(name, args=[cast.outsider.pk])).status_code == 404
        assert office.post(reverse("orgs:login_issue", args=[cast.outsider.pk])).status_code == 404
        assert office.get(reverse("orgs:person_detail", args=[cast.city_official.pk])).status_code == 404
        principal = client_for(cast.user("principal"))
        assert principal.get(reverse("orgs:person_detail", args=[cast.cadre_a.pk])).status_code == 200
        assert principal.get(reverse("orgs:person_edit", args=[cast.cadre_a.pk])).status_code == 403
        assert principal.post(reverse("orgs:login_issue", args=[cast.cadre_a.pk])).status_code == 403
        assert principal.post(reverse("orgs:person_active", args=[cast.cadre_a.pk])).status_code == 403


class TestPostsAndRoles:
    def test_it_adds_and_removes_a_post(self, cast, client_for):
        client = client_for(cast.user("office"))
        client.post(
            reverse("orgs:post_add", args=[cast.staff_a.pk]),
            {"unit": cast.dept_a.pk, "kind": Post.Kind.DEPARTMENT_MEMBER},
        )
        post = Post.objects.get(person=cast.staff_a, kind=Post.Kind.DEPARTMENT_MEMBER)
        assert last_audit("post.assign").object_id == str(post.pk)
        client.post(reverse("orgs:post_remove", args=[post.pk]))
        assert not Post.objects.filter(pk=post.pk).exists()

    def test_it_refuses_a_second_department_head_and_leadership_posts_on_a_department(self, cast, client_for):
        client = client_for(cast.user("office"))
        url = reverse("orgs:post_add", args=[cast.cadre_a.pk])
        response = client.post(url, {"unit": cast.dept_a.pk, "kind": Post.Kind.DEPARTMENT_HEAD}, follow=True)
        assert "处长张三" in response.content.decode()
        client.post(url, {"unit": cast.dept_a.pk, "kind": Post.Kind.LEADERSHIP_MEMBER})
        assert not Post.objects.filter(
            person=cast.cadre_a, kind__in=[Post.Kind.DEPARTMENT_HEAD, Post.Kind.LEADERSHIP_MEMBER]
        ).exists()

    def test_it_gives_and_removes_roles_but_never_the_city_offices(self, cast, client_for):
        from orgs.access import Perm, can

        client = client_for(cast.user("office"))
        url = reverse("orgs:role_add", args=[cast.cadre_a.pk])
        client.post(
            url, {"role": RoleAssignment.Role.CAMPAIGN_OFFICE, "unit": cast.college.pk, "include_subunits": "on"}
        )
        ra = RoleAssignment.objects.get(person=cast.cadre_a)
        assert can(User.objects.get(pk=cast.cadre_a.user_id), Perm.ORG_MANAGE, cast.dept_b)
        client.post(url, {"role": RoleAssignment.Role.CITY_OFFICE, "unit": cast.college.pk, "include_subunits": "on"})
        assert not RoleAssignment.objects.filter(person=cast.cadre_a, role=RoleAssignment.Role.CITY_OFFICE).exists()
        assert client.get(reverse("orgs:roles")).status_code == 200
        client.post(reverse("orgs:role_remove", args=[ra.pk]))
        assert not RoleAssignment.objects.filter(pk=ra.pk).exists()
        assert last_audit("role.remove").object_id == str(ra.pk)

    def test_it_keeps_the_outsider_away_from_posts_and_roles(self, cast, client_for):
        post = Post.objects.get(person=cast.head_a, kind=Post.Kind.DEPARTMENT_HEAD)
        outsider = client_for(cast.user("outsider"))
        assert outsider.post(reverse("orgs:post_remove", args=[post.pk])).status_code == 404
        ra = RoleAssignment.objects.get(person=cast.office)
        assert outsider.post(reverse("orgs:role_remove", args=[ra.pk])).status_code == 404
        assert Post.objects.filter(pk=post.pk).exists() and RoleAssignment.objects.filter(pk=ra.pk).exists()


class TestLogins:
    def test_it_issues_a_login_shown_once_and_forces_a_change_at_first_log_in(self, cast, client_for, client):
        newcomer = person_create(actor=None, name="新人乙", staff_no="N100", unit=cast.dept_a)
        office = client_for(cast.user("office"))
        response = office.post(reverse("orgs:login_issue", args=[newcomer.pk]))
        password = response.context["password"]
        assert response.status_code == 200 and password in response.content.decode()
        assert response["Cache-Control"] == "no-store"
        rec = last_audit("login.issue")
        assert password not in str(rec.changes) and rec.object_id == str(newcomer.pk)
        # The person page never shows it again.
        assert password not in office.get(reverse("orgs:person_detail", args=[newcomer.pk])).content.decode()
        office.logout()

        assert client.login(username="N100", password=password)
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
        assert client.get(reverse("notifications:index")).status_code == 302
        response = client.post(
            reverse("password_change"),
            {"old_password": password, "new_password1": "Mein-neues-2026", "new_password2": "Mein-neues-2026"},
        )
        assert response.status_code == 302
        assert not User.objects.get(username="N100").must_change_password
        assert client.get(reverse("home")).status_code == 200
        assert last_audit("login.password_changed") is not None

    def test_it_resets_a_password_so_the_old_one_stops_working(self, cast, client_for, client):
        from conftest import PASSWORD

        office = client_for(cast.user("office"))
        response = office.post(reverse("orgs:login_issue", args=[cast.cadre_a.pk]))
        new = response.context["password"]
        office.logout()
        assert not client.login(username=cast.cadre_a.staff_no, password=PASSWORD)
        assert client.login(username=cast.cadre_a.staff_no, password=new)
        assert last_audit("login.reset").object_id == str(cast.cadre_a.pk)

    def test_it_lets_every_user_change_their_own_password(self, cast, client_for):
        from conftest import PASSWORD

        client = client_for(cast.user("staff_a"))
        assert client.get(reverse("password_change")).status_code == 200
        response = client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": "Anders-2026-x", "new_password2": "Anders-2026-x"},
        )
        assert response.status_code == 302
        assert User.objects.get(pk=cast.staff_a.user_id).check_password("Anders-2026-x")
