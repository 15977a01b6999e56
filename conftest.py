"""Test setup shared by every app.

The cast (one per test, built through the services so that it looks like real data):

  city            江城市治庸办 (city office);   city_official: city-office role → sees every institution,
                                                  approves leadership reports, decides accountability
  college         the institution;              office: campaign-office role → manages everything in college
    dept_a          教务处 (supervised by `supervisor`);  head_a: department head; member_a: dept
                    leadership member; cadre_a: cadre; staff_a: staff (party member)
    dept_b          财务处 (supervised by `principal`);   head_b: department head
  principal       principal leader (党委书记) → views the whole college, supervises dept_b
  supervisor      leadership-team member (副院长) → views the college; supervises dept_a
  other           another institution;           outsider: its campaign office → sees nothing of college

Every person has a login (user name = staff number, password = PASSWORD); `cast.user("head_a")`.

Also shared, imported from here: build_campaign (and the `campaign` fixture) for campaigns; log_in,
log_in_by_session and apply_to_ticked for browser tests; run_at_once for race tests.
"""

from datetime import date
from types import SimpleNamespace

# Test-only environment (immediate tasks, plain static files…) is set in settings.py when
# PYTEST_VERSION is present.
import pytest

PASSWORD = "Test-pass-2026"


def build_cast():
    from orgs.models import Post, RoleAssignment, Unit
    from orgs.services import login_issue, person_create, post_assign, role_assign, supervision_set, unit_create

    c = SimpleNamespace()
    c.city = unit_create(actor=None, name="江城市治庸办", kind=Unit.Kind.CITY_OFFICE, code="T-CITY")
    c.college = unit_create(
        actor=None, name="江城职业技术学院", kind=Unit.Kind.INSTITUTION, code="T-COL", parent=c.city
    )
    c.dept_a = unit_create(actor=None, name="教务处", kind=Unit.Kind.DEPARTMENT, code="T-A", parent=c.college)
    c.section_a = unit_create(actor=None, name="考务科", kind=Unit.Kind.SECTION, code="T-A1", parent=c.dept_a)
    c.dept_b = unit_create(actor=None, name="财务处", kind=Unit.Kind.DEPARTMENT, code="T-B", parent=c.college)
    c.other = unit_create(
        actor=None, name="江城市教育考试院", kind=Unit.Kind.INSTITUTION, code="T-OTHER", parent=c.city
    )
    c.other_dept = unit_create(actor=None, name="考务处", kind=Unit.Kind.DEPARTMENT, code="T-O1", parent=c.other)

    def person(key, name, unit, post=None, **kw):
        p = person_create(
            actor=None, name=name, staff_no=f"T{len(c.people) + 1:03d}", unit=unit, email=f"{key}@example.cn", **kw
        )
        if post:
            post_assign(actor=None, person=p, unit=unit, kind=post)
        login_issue(actor=None, person=p, password=PASSWORD, must_change=False)
        c.people[key] = p
        setattr(c, key, p)
        return p

    c.people = {}
    person("city_official", "市办刘明", c.city, is_party_member=True)
    role_assign(actor=None, person=c.city_official, role=RoleAssignment.Role.CITY_OFFICE, unit=c.city)
    person("principal", "书记王强", c.college, Post.Kind.PRINCIPAL_LEADER, is_party_member=True)
    person("supervisor", "副院长李华", c.college, Post.Kind.LEADERSHIP_MEMBER, is_party_member=True)
    person("office", "治庸办陈静", c.college, is_party_member=True)
    role_assign(actor=None, person=c.office, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=c.college)
    person("head_a", "处长张三", c.dept_a, Post.Kind.DEPARTMENT_HEAD, is_party_member=True)
    person("member_a", "副处长赵六", c.dept_a, Post.Kind.DEPARTMENT_MEMBER, is_party_member=True)
    person("cadre_a", "干部孙七", c.dept_a, Post.Kind.CADRE, is_party_member=True)
    person("staff_a", "教师周八", c.dept_a, Post.Kind.STAFF)
    person("cadre_a2", "干部吴九", c.dept_a, Post.Kind.CADRE)
    person("head_b", "处长钱五", c.dept_b, Post.Kind.DEPARTMENT_HEAD, is_party_member=True)
    person("outsider", "考试院郑十", c.other_dept)
    role_assign(actor=None, person=c.outsider, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=c.other)
    supervision_set(actor=None, leader=c.supervisor, unit=c.dept_a)
    supervision_set(actor=None, leader=c.principal, unit=c.dept_b)
    c.user = lambda key: c.people[key].user
    return c


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Every test starts with empty rate-limit counters (they live in the cache, one per process)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


CAMPAIGN_DATES = {
    "start_date": date(2026, 9, 1),
    "finding_due": date(2026, 10, 15),
    "meeting_due": date(2026, 11, 15),
    "evaluation_due": date(2026, 12, 15),
    "rectification_due": date(2027, 3, 1),
    "milestone_3m": date(2026, 12, 1),
    "milestone_6m": date(2027, 3, 1),
}


def build_campaign(cast, *, actor="office", institution=None, units=None, name="2026年自查整改", **dates):
    """An active campaign, created and activated by `actor` (a key of the cast, or None for the system).

    By default the college's, with dept_a and dept_b taking part (all in finding), on CAMPAIGN_DATES;
    `dates` replaces some of those dates."""
    from campaigns.services import campaign_activate, campaign_create

    user = cast.user(actor) if actor else None
    c = campaign_create(
        actor=user,
        institution=cast.college if institution is None else institution,
        units=[cast.college, cast.dept_a, cast.dept_b] if units is None else units,
        name=name,
        **{**CAMPAIGN_DATES, **dates},
    )
    return campaign_activate(actor=user, campaign=c)


@pytest.fixture
def campaign(cast):
    """An active campaign of the college with dept_a and dept_b taking part (both in finding)."""
    return build_campaign(cast)


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


# Browser tests: Debian's Chromium (no browser downloads on these machines).
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture
def screenshot_dir():
    from pathlib import Path

    d = Path(__file__).parent / "test-artifacts" / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d


# Browser tests: the two ways in. Both start from a browser context with no log-in (its cookies cleared).
def log_in(page, live_server, person, password=PASSWORD, *, home=True):
    """Log in as `person` (a Person: staff number and password) through the log-in form; then wait for the
    home page, or (home=False) only for the page the form leads to, e.g. the first log-in's new password."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill(person.staff_no)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if home:
        page.wait_for_url(f"{live_server.url}/")
    else:
        page.wait_for_load_state()


def log_in_by_session(page, live_server, user):
    """Log in as `user` (a User) by handing the browser a session cookie: for tests whose point is not the
    log-in (the form is walked by core/tests/test_e2e_login.py and by log_in above)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def apply_to_ticked(page, done):
    """Apply the bulk bar's action to the ticked rows of a list (the confirmation accepted); wait for the list
    swapped in place with its summary saying `done`."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="应用到所选").click()
    page.get_by_role("status").filter(has_text=done).wait_for()


# Race tests (PostgreSQL, real threads).
def run_at_once(*fns):
    """Call every function at the same moment, each in its own thread (and database connection); their
    results in order, an exception raised standing as the result."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as e:  # noqa: BLE001 - the outcome is what we test
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
