"""The office's page of reports by state (未开始/草稿/待审定/退回/已审定) per unit."""

from conftest import build_campaign
from reports.services import report_return


def _rows(html: str, unit: str) -> str:
    return html.split(f"<h2>{unit}")[1].split("</table>")[0]


def test_it_lists_every_report_by_state_including_those_not_started(cast, campaign, writer, client_for):
    writer("head_a", "department", cast.dept_a, submit=False)  # 草稿
    member = writer("member_a", "department_member", cast.dept_a)  # 待审定
    cadre = writer("cadre_a", "cadre", cast.dept_a)
    report_return(actor=cast.user("head_a"), report=cadre, version=cadre.versions.get(), comment="原因剖析不深")
    page = client_for(cast.user("office")).get("/reports/states/")
    assert page.status_code == 200
    html = page.content.decode()
    dept_a = _rows(html, "教务处")
    assert "草稿" in dept_a and "待审定" not in dept_a  # a submitted report shows its own status label
    assert "副处长赵六" in dept_a and "审定中" in dept_a and "副院长李华" in dept_a  # with its approver
    assert "干部孙七" in dept_a and "退回重写" in dept_a
    assert "干部吴九" in dept_a and "未开始" in dept_a  # a cadre who never started
    college = _rows(html, "江城职业技术学院")
    assert college.count("未开始") == 3  # team, principal, and the leadership member who never started
    assert "副院长李华" in college

    not_started = client_for(cast.user("office")).get("/reports/states/", {"state": "not_started"}).content.decode()
    assert "干部吴九" in not_started and "副处长赵六" not in not_started and "干部孙七" not in not_started
    returned = client_for(cast.user("office")).get("/reports/states/", {"state": "returned"}).content.decode()
    assert "干部孙七" in returned and "财务处" not in returned
    assert f"/reports/{member.pk}/" in html


def test_it_shows_a_department_head_only_their_department_and_refuses_cadres(cast, campaign, client_for):
    html = client_for(cast.user("head_a")).get("/reports/states/").content.decode()
    assert "<h2>教务处" in html and "<h2>财务处" not in html and "<h2>江城职业技术学院" not in html
    assert client_for(cast.user("cadre_a")).get("/reports/states/").status_code == 403
    assert client_for(cast.user("outsider")).get(f"/reports/states/?campaign={campaign.pk}").status_code == 404


def test_it_asks_the_same_number_of_queries_whatever_the_number_of_reports(
    cast, campaign, writer, client_for, django_assert_max_num_queries
):
    client = client_for(cast.user("office"))
    with django_assert_max_num_queries(60) as few:
        client.get("/reports/states/")
    writer("head_a", "department", cast.dept_a)
    writer("member_a", "department_member", cast.dept_a)
    writer("cadre_a", "cadre", cast.dept_a)
    writer("cadre_a2", "cadre", cast.dept_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/reports/states/")


def _departments_campaign(cast, n):
    """An active campaign of the college and n new departments, each with a head, a member, a cadre who
    started a report and one who did not."""

    from orgs.models import Post, Unit
    from orgs.services import person_create, post_assign, unit_create
    from reports.models import SelfReport

    global _seq
    units, started = [], []
    for _ in range(n):
        _seq += 1
        unit = unit_create(
            actor=None, name=f"部门{_seq}", kind=Unit.Kind.DEPARTMENT, code=f"RS{_seq}", parent=cast.college
        )
        people = {}
        for kind, name in [
            ("department_head", "处长"),
            ("department_member", "副处长"),
            ("cadre", "干部甲"),
            ("cadre", "干部乙"),
        ]:
            _seq += 1
            p = person_create(
                actor=None, name=f"{name}{_seq}", staff_no=f"RS{_seq:04d}", unit=unit, email=f"rs{_seq}@example.cn"
            )
            post_assign(actor=None, person=p, unit=unit, kind=getattr(Post.Kind, kind.upper()))
            people.setdefault(kind, []).append(p)
        units.append(unit)
        started.append((unit, people["cadre"][0], people["cadre"][1]))
    c = build_campaign(cast, units=[cast.college, *units], name=f"专项整治{_seq}")
    for unit, cadre, _idle in started:
        SelfReport.objects.create(campaign=c, unit=unit, person=cadre, author_kind="cadre", title="干部自查")
    return c, started


_seq = 0


def test_report_states_asks_the_same_number_of_queries_whatever_the_number_of_units(cast, settings, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import report_states

    settings.SESSION_TOUCH_SECONDS = 3600
    office = cast.user("office")
    small, small_units = _departments_campaign(cast, 2)
    big, big_units = _departments_campaign(cast, 9)
    counts = {}
    report_states(small, office)  # the user's grants, read once per user object
    for c, units in ((small, small_units), (big, big_units)):
        with CaptureQueriesContext(connection) as ctx:
            states = report_states(c, office)
        counts[c.pk] = len(ctx.captured_queries)
        assert len(states) == len(units) + 1  # the college and every department
        by_unit = {s.participant.unit_id: s for s in states}
        for unit, cadre, idle in units:
            rows = by_unit[unit.pk].rows
            cadre_rows = [(r.person.pk, r.required, r.state) for r in rows if r.author_kind == "cadre"]
            # the started cadre report is required and in draft; the idle cadre is listed once, not started
            assert sorted(cadre_rows) == sorted([(cadre.pk, True, "draft"), (idle.pk, False, "not_started")])
            assert [r.author_kind for r in rows][:2] == ["department", "department_member"]
    assert counts[small.pk] == counts[big.pk]

    client = client_for(office)
    pages = {}
    for c in (small, big):
        client.get(f"/reports/states/?campaign={c.pk}")
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(f"/reports/states/?campaign={c.pk}")
        assert page.status_code == 200
        pages[c.pk] = len(ctx.captured_queries)
    assert pages[small.pk] == pages[big.pk]
