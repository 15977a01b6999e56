"""Moving an installation from its SQLite file to another database (PostgreSQL in a city) with
`copy_database`: every row, same keys and timestamps, verified by count and checksum per table."""

import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

from jobs.tests.nodes import child_env

# The move that matters is SQLite → PostgreSQL; making the SQLite source (a migrated file) takes a while.
pytestmark = pytest.mark.postgres

POPULATE = """
import django
django.setup()
from conftest import build_cast
from orgs.services import unit_create
c = build_cast()
unit_create(actor=c.office.user, name="后勤管理处", kind="department", code="T-C", parent=c.college)
"""


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory):
    """An installation's SQLite file, migrated and holding the test cast (made by a child process)."""
    path = tmp_path_factory.mktemp("source") / "db.sqlite3"
    env = child_env(RECTIFY_SQLITE_PATH=path, DJANGO_SETTINGS_MODULE="rectify.settings")
    env.pop("DATABASE_URL")
    for args in (["manage.py", "migrate", "--noinput", "-v0"], ["-c", POPULATE]):
        subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=env, check=True, timeout=300)  # noqa: S603
    return path


def _copy(source, *args):
    """As an operator runs it: DATABASE_URL names the target (here the test database)."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "copy_database", str(source), *args],
        cwd=settings.BASE_DIR,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def _count(path, table):
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 (our table names)


@pytest.mark.django_db(transaction=True)
def test_it_copies_every_row_and_proves_it(sqlite_source):
    from audit.models import AuditRecord
    from orgs.models import Person, Unit
    from orgs.services import unit_create

    out = _copy(sqlite_source)
    assert out.returncode == 0, out.stdout
    assert "verified:" in out.stdout and "counts and checksums equal" in out.stdout
    assert Person.objects.count() == _count(sqlite_source, "orgs_person") > 10
    assert AuditRecord.objects.count() == _count(sqlite_source, "audit_auditrecord") > 10
    call_command("audit_verify")  # the hash chain survived: same rows, same timestamps
    # New rows get new keys (sequences moved past the copied ones).
    college = Unit.objects.get(code="T-COL")
    new = unit_create(actor=None, name="保卫处", kind=Unit.Kind.DEPARTMENT, code="T-D", parent=college)
    assert new.pk > max(u.pk for u in Unit.objects.exclude(pk=new.pk))
    # A changed or missing row is named by the check.
    Unit.objects.filter(code="T-C").update(name="后勤处")
    out = _copy(sqlite_source, "--verify-only")
    assert out.returncode == 1 and "orgs_unit: source" in out.stdout


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_copy_into_a_database_that_holds_data(sqlite_source, cast):
    out = _copy(sqlite_source)
    assert out.returncode == 1 and "already holds data" in out.stdout
