"""The site's own log-in and password pages, and bulk account issue with printable log-in slips."""

import re
import subprocess

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditRecord
from orgs.models import User
from orgs.services import login_issue, person_create

pytestmark = pytest.mark.django_db


def issued_login(cast, key="cadre_a") -> tuple[object, str]:
    user, password = login_issue(actor=cast.user("office"), person=cast.people[key])
    return user, password


class TestFirstLogIn:
    def test_it_forces_the_sites_own_password_page_after_an_issued_login(self, cast, client):
        user, password = issued_login(cast)
        response = client.post(reverse("login"), {"username": user.username, "password": password}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("password_change")
        body = response.content.decode()
        assert "修改密码" in body and "治庸办发放" in body
        assert "Django" not in body and "admin" not in response.templates[0].name
        assert response.templates[0].name == "orgs/account/password_change.html"
        # Every other page sends them back here until they change it.
        assert client.get(reverse("reports:index"))["Location"] == reverse("password_change")

    def test_it_refuses_the_issued_password_as_the_new_one(self, cast, client):
        user, password = issued_login(cast)
        client.force_login(user)
        response = client.post(
            reverse("password_change"),
            {"old_password": password, "new_password1": password, "new_password2": password},
        )
        assert response.status_code == 200 and "不能与当前登录所用的密码" in response.content.decode()
        user.refresh_from_db()
        assert user.must_change_password and user.check_password(password)

    def test_it_applies_djangos_validators(self, cast, client):
        user, password = issued_login(cast)
        client.force_login(user)
        response = client.post(
            reverse("password_change"),
            {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"},
        )
        body = response.content.decode()
        assert response.status_code == 200 and ("全部为数字" in body or "太常见" in body), body[-2000:]
        user.refresh_from_db()
        assert user.must_change_password

    def test_it_lands_on_the_home_page_after_the_change(self, cast, client):
        user, password = issued_login(cast)
        client.force_login(user)
        new = "Qing-shan-2026-lu"
        response = client.post(
            reverse("password_change"),
            {"old_password": password, "new_password1": new, "new_password2": new},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse("home")
        assert "密码已修改" in response.content.decode() and "待办" in response.content.decode()
        user.refresh_from_db()
        assert not user.must_change_password and user.check_password(new)
        assert AuditRecord.objects.filter(action="login.password_changed", object_repr=user.username).exists()
        # Still logged in (session hash updated) and free to move on.
        assert client.get(reverse("reports:index")).status_code == 200

    def test_it_shows_the_sites_log_in_page(self, client):
        response = client.get(reverse("login"))
        assert response.templates[0].name == "orgs/account/login.html" and "工号" in response.content.decode()


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


class TestBulkIssue:
    def add_people(self, cast, n=3):
        return [
            person_create(
                actor=None,
                name=f"新教师{i}",
                staff_no=f"N{i:03d}",
                unit=cast.dept_a,
                email=f"n{i}@example.cn" if i else "",
            )
            for i in range(n)
        ]

    def test_it_issues_a_unit_in_one_action_and_prints_the_slips(
        self, cast, client_for, settings, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        new = self.add_people(cast)
        client = client_for(cast.user("office"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("orgs:accounts"), {"unit": cast.dept_a.pk, "send_email": "on"})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "no-store"
        text = pdf_text(response.content)
        for p in new:
            p.refresh_from_db()
            assert p.user is not None and p.user.must_change_password
            assert p.name in text and p.staff_no in text
        assert "江城职业技术学院" in text and "http://testserver/" in text
        # The passwords in the slips are the ones that work; nobody with an account was reset.
        passwords = re.findall(r"一次性密码：\s*(\S+)", text)
        assert len(passwords) == 3
        assert sum(User.objects.get(username=p.staff_no).check_password(pw) for p in new for pw in passwords) == 3
        assert User.objects.get(username=cast.cadre_a.staff_no).check_password("Test-pass-2026")
        # E-mail only where an address is known (2 of the 3).
        assert sorted(m.to[0] for m in mail.outbox) == ["n1@example.cn", "n2@example.cn"]
        assert AuditRecord.objects.filter(action="login.issue", actor=cast.user("office")).count() == 3

    def test_it_includes_reviewers_without_accounts_wherever_they_sit(self, cast, client_for):
        # The supervising leader of 教务处 sits in the college, outside the unit being issued.
        cast.supervisor.user.delete()
        cast.supervisor.refresh_from_db()
        assert cast.supervisor.user is None
        client = client_for(cast.user("office"))
        response = client.post(reverse("orgs:accounts"), {"unit": cast.dept_a.pk})
        assert cast.supervisor.name in pdf_text(response.content)
        cast.supervisor.refresh_from_db()
        assert cast.supervisor.user is not None

    def test_it_says_so_when_everyone_has_an_account(self, cast, client_for):
        response = client_for(cast.user("office")).post(reverse("orgs:accounts"), {"unit": cast.dept_b.pk}, follow=True)
        assert "均已开通账号" in response.content.decode()

    def test_it_resets_existing_accounts_only_when_asked(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.post(reverse("orgs:accounts"), {"unit": cast.dept_b.pk, "reset_existing": "on"})
        assert response["Content-Type"] == "application/pdf" and cast.head_b.name in pdf_text(response.content)
        assert not User.objects.get(username=cast.head_b.staff_no).check_password("Test-pass-2026")

    def test_it_keeps_other_institutions_out(self, cast, client_for):
        client = client_for(cast.user("outsider"))
        response = client.post(reverse("orgs:accounts"), {"unit": cast.dept_a.pk})
        assert response.status_code == 200 and "pdf" not in response["Content-Type"]  # not a choice: form error
        assert client_for(cast.user("staff_a")).get(reverse("orgs:accounts")).status_code == 403

    def test_it_lists_units_with_people_still_without_accounts(self, cast, client_for):
        self.add_people(cast, 2)
        rows = client_for(cast.user("office")).get(reverse("orgs:accounts")).context["rows"]
        assert {r["unit"].name: r["without"] for r in rows}["教务处"] == 2
