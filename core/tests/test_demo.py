"""`manage.py demo` loads a realistic college under a city office, once, and prints the log-ins."""

import io

import pytest
from django.core.management import call_command

from audit.services import audit_verify
from orgs.models import Person, Post, Supervision, Unit
from orgs.selectors import head_of, supervisor_of


@pytest.mark.django_db(transaction=True)
def test_it_loads_the_demo_once_and_prints_the_log_ins(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", stdout=out)
    college = Unit.objects.get(code="JCZY")
    departments = Unit.objects.filter(parent=college)
    assert departments.count() >= 20
    assert Person.objects.filter(unit__path__startswith=college.path).count() >= 300
    assert Post.objects.filter(unit=college, kind=Post.Kind.PRINCIPAL_LEADER).count() == 1
    assert Post.objects.filter(unit=college, kind=Post.Kind.LEADERSHIP_MEMBER).count() >= 4
    assert all(head_of(d) is not None and supervisor_of(d) is not None for d in departments)
    assert Supervision.objects.filter(unit__institution=college).count() >= 20
    assert Unit.objects.filter(kind=Unit.Kind.INSTITUTION).exclude(pk=college.pk).exists()
    assert "JC0009" in out.getvalue() and "Rectify-2026" in out.getvalue()
    assert audit_verify()[0]

    again = io.StringIO()
    people = Person.objects.count()
    call_command("demo", stdout=again)
    assert Person.objects.count() == people
    assert "already loaded" in again.getvalue() and "JC0009" in again.getvalue()
    logins = io.StringIO()
    call_command("demo", "--logins", stdout=logins)
    assert "JC0009" in logins.getvalue() and "already loaded" not in logins.getvalue()
