"""The site shell: each role's home (待办 with deadlines, one click from the page that does it), the
navigation grouped by stage, the campaign switcher and its one rule, the error pages."""

from datetime import date

import pytest
from django.urls import reverse

from campaigns.current import SESSION_KEY
from conftest import build_campaign

pytestmark = pytest.mark.django_db


def tasks(client) -> dict[str, object]:
    """label → TaskItem of the home page."""
    return {t.label: t for t in client.get(reverse("home")).context["tasks"]}


def second_campaign(cast, *, units=None):
    """The college's campaign of the year after build_campaign's."""
    return build_campaign(
        cast,
        units=units,
        name="2027年自查整改",
        start_date=date(2027, 9, 1),
        finding_due=date(2027, 10, 15),
        meeting_due=date(2027, 11, 15),
        evaluation_due=date(2027, 12, 15),
        rectification_due=date(2028, 3, 1),
        milestone_3m=date(2027, 12, 1),
        milestone_6m=date(2028, 3, 1),
    )


def test_it_gives_a_cadre_the_self_check_with_its_deadline_one_click_away(cast, campaign, client_for):
    client = client_for(cast.user("cadre_a"))
    found = [t for t in tasks(client).values() if t.url == reverse("problems:self_check")]
    assert len(found) == 1 and found[0].due == campaign.finding_due
    page = client.get(reverse("home")).content.decode()
    assert "对照自查" in page and "截止 10-15" in page
    assert client.get(found[0].url).status_code == 200  # the click lands on the self-check form
    nav = [i["url"] for i in client.get(reverse("home")).context["nav_items"]]
    assert reverse("problems:self_check") in nav


def test_it_drops_the_self_check_task_once_done(cast, campaign, client_for):
    from problems.services import self_check_submit

    # Nothing found: every manifestation recorded as not applicable; the check is still done.
    self_check_submit(actor=cast.user("cadre_a"), campaign=campaign, unit=cast.dept_a, person=cast.cadre_a, entries=[])
    urls = [t.url for t in tasks(client_for(cast.user("cadre_a"))).values()]
    assert reverse("problems:self_check") not in urls


def test_it_lists_report_tasks_with_the_finding_deadline(cast, campaign, client_for):
    found = [t for t in tasks(client_for(cast.user("head_a"))).values() if t.url == reverse("reports:index")]
    assert found and all(t.due == campaign.finding_due for t in found)


def test_it_gives_the_office_ballot_codes_to_issue(cast, campaign, client_for):
    from evaluations.models import Evaluation, EvaluatorGroup

    ev = Evaluation.objects.create(campaign=campaign, name="2026年民主评议")
    EvaluatorGroup.objects.create(evaluation=ev, name="教职工")
    found = [t for t in tasks(client_for(cast.user("office"))).values() if "评议码" in t.label]
    assert len(found) == 1 and found[0].url.startswith(reverse("evaluations:detail", args=[ev.pk]))
    assert found[0].due == campaign.evaluation_due
    assert not [t for t in tasks(client_for(cast.user("cadre_a"))).values() if "评议码" in t.label]


def test_it_shows_what_the_user_did_lately_as_done(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    client.post(
        reverse("orgs:person_edit", args=[cast.staff_a.pk]),
        {"name": "教师周八八", "staff_no": cast.staff_a.staff_no, "unit": cast.dept_a.pk},
    )
    done = client.get(reverse("home")).context["done"]
    assert any("周八" in d["object"] for d in done), done


def test_it_groups_the_office_navigation_by_stage(cast, client_for):
    groups = client_for(cast.user("office")).get(reverse("home")).context["nav_groups"]
    labels = [str(g["label"]) for g in groups]
    assert labels == ["工作台", "集中排查问题", "民主生活会", "民主评议", "整改落实", "公开与统计", "系统管理"]
    assert all(len(g["items"]) <= 5 for g in groups)
    staff = client_for(cast.user("staff_a")).get(reverse("home")).context["nav_groups"]
    assert "系统管理" not in [str(g["label"]) for g in staff]


def test_it_marks_the_longest_matching_entry_active(cast, client_for):
    items = client_for(cast.user("office")).get(reverse("problems:opinions")).context["nav_items"]
    assert [i["url"] for i in items if i["active"]] == [reverse("problems:opinions")]


def test_it_marks_the_entry_a_page_belongs_to_active(cast, client_for):
    """The posters page sits under /problems/ (the ledger) but belongs to the opinions."""
    items = client_for(cast.user("office")).get(reverse("problems:posters")).context["nav_items"]
    assert [i["url"] for i in items if i["active"]] == [reverse("problems:opinions")]


def test_it_shows_the_newest_own_campaign_and_keeps_the_switchers_choice(cast, campaign, client_for):
    newer = second_campaign(cast)
    client = client_for(cast.user("office"))
    page = client.get(reverse("home"))
    assert page.context["current_campaign"] == newer
    assert {c.pk for c in page.context["campaign_choices"]} == {campaign.pk, newer.pk}
    response = client.post(reverse("campaigns:switch"), {"campaign": campaign.pk, "next": "/problems/posters/"})
    assert response.status_code == 302 and response["Location"] == "/problems/posters/"
    assert client.session[SESSION_KEY] == campaign.pk
    assert client.get(reverse("problems:posters")).context["campaign"] == campaign
    assert client.get(reverse("rectification:index")).context["campaign"] == campaign
    dash = client.get(reverse("analysis:dashboard"))
    assert dash.status_code == 302 and dash["Location"].startswith(reverse("analysis:campaign", args=[campaign.pk]))


def test_it_refuses_to_switch_to_a_campaign_the_user_cannot_see(cast, campaign, client_for):
    other = build_campaign(cast, actor="outsider", institution=cast.other, units=[cast.other], name="考试院活动")
    client = client_for(cast.user("office"))
    assert client.post(reverse("campaigns:switch"), {"campaign": other.pk}).status_code == 404
    # A stale choice in the session (e.g. access withdrawn) falls back to the rule.
    session = client.session
    session[SESSION_KEY] = other.pk
    session.save()
    assert client.get(reverse("home")).context["current_campaign"] == campaign


def _switcher_queries(client, url) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries if '"is_own"' in q["sql"]]


def test_it_reads_the_switchers_list_once_a_minute_not_on_every_page(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    assert len(_switcher_queries(client, reverse("home"))) == 1
    assert _switcher_queries(client, reverse("home")) == []
    assert _switcher_queries(client, reverse("notifications:index")) == []
    assert [c.pk for c in client.get(reverse("home")).context["campaign_choices"]] == [campaign.pk]


def test_the_switcher_shows_a_campaign_change_at_once(cast, campaign, client_for):
    from campaigns.services import campaign_update

    client = client_for(cast.user("cadre_a"))
    assert [c.pk for c in client.get(reverse("home")).context["campaign_choices"]] == [campaign.pk]
    newer = second_campaign(cast, units=[cast.dept_b])
    choices = client.get(reverse("home")).context["campaign_choices"]
    assert [(c.pk, c.is_own) for c in choices] == [(newer.pk, False), (campaign.pk, True)]
    campaign_update(actor=cast.user("office"), campaign=newer, units=[cast.dept_a], name="2027年专项整治")
    choices = client.get(reverse("home")).context["campaign_choices"]
    assert [(c.name, c.is_own) for c in choices] == [("2027年专项整治", True), (campaign.name, True)]


def test_the_switcher_follows_a_role_given_and_withdrawn_at_once(cast, campaign, client_for):
    """The outsider sees nothing of the college; given its campaign office role they see its campaign
    on the next page, and no longer once the role is withdrawn (the cached list is keyed by the grants)."""
    from orgs.models import RoleAssignment
    from orgs.services import role_assign, role_remove

    client = client_for(cast.user("outsider"))
    assert client.get(reverse("home")).context["campaign_choices"] == []
    role = role_assign(actor=None, person=cast.outsider, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=cast.college)
    assert [c.pk for c in client.get(reverse("home")).context["campaign_choices"]] == [campaign.pk]
    role_remove(actor=None, assignment=role)
    assert client.get(reverse("home")).context["campaign_choices"] == []
    assert client.get(reverse("home")).context["current_campaign"] is None


def test_it_never_redirects_the_switcher_off_site(cast, campaign, client_for):
    response = client_for(cast.user("office")).post(
        reverse("campaigns:switch"), {"campaign": campaign.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_opening_statistics_makes_their_campaign_current(cast, campaign, client_for):
    second_campaign(cast)
    client = client_for(cast.user("office"))
    client.get(reverse("analysis:campaign", args=[campaign.pk]))
    assert client.get(reverse("home")).context["current_campaign"] == campaign


@pytest.mark.parametrize(
    ("code", "words"),
    [(403, "您无权进行此操作"), (404, "该页面不存在")],
)
def test_it_shows_error_pages_in_chinese_in_the_sites_style(cast, client_for, code, words):
    client = client_for(cast.user("staff_a"))
    url = reverse("orgs:index") if code == 403 else "/no-such-page/"
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == code and words in body and "返回我的首页" in body and "app.css" in body


def test_it_renders_the_400_429_and_500_pages_in_chinese(rf):
    from django.template.loader import render_to_string

    from rectify import views

    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert "请求有误" in views.error_400(request).content.decode()
    assert "请求过于频繁" in views.error_429(request).content.decode()
    assert "系统出现了错误" in render_to_string("500.html")


def test_it_answers_a_csrf_failure_with_the_sites_403(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.user("office"))
    response = client.post(reverse("campaigns:switch"), {"campaign": 1})
    assert response.status_code == 403 and "无权" in response.content.decode()
