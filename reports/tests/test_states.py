"""The office's page of reports by state (未开始/草稿/待审定/退回/已审定) per unit."""

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
