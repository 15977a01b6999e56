"""回避: an opinion or peer review about a person is never shown to that person nor decided by them or
by anyone they lead; it goes one level up, with a mark saying why; the receipt names the office.

The cast: head_a heads dept_a (supervised by `supervisor`); head_b heads dept_b (supervised by the
principal); the office sits directly in the college (so the principal leads it).
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from analysis.selectors import Scope, activity_figures
from problems.models import Opinion, PeerReview, Recusal
from problems.services import opinion_submit, peer_review_submit

from .test_opinions import public_post


@pytest.fixture
def client_for(db):
    """A fresh client per user (the shared fixture re-logs one client in)."""

    def login(user):
        c = Client()
        c.force_login(user)
        return c

    return login


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def staff_opinion(client, cast, content, concerns=None, unit=None):
    data = {"unit": (unit or cast.dept_a).pk, "content": content, "anonymous": "on"}
    if concerns is not None:
        data["concerns_person"] = concerns.pk
    r = client.post("/problems/opinions/new/", data)
    assert r.status_code == 200, r.content.decode()[:2000]
    return r, Opinion.objects.get(content=content)


def sees(client, opinion) -> bool:
    """Does the user find the opinion anywhere: triage lists (every status), search, detail."""
    pages = [client.get("/problems/opinions/", {"status": s}).content.decode() for s in Opinion.Status.values]
    pages.append(client.get("/problems/opinions/", {"status": "", "q": opinion.receipt_code}).content.decode())
    listed = any(f"/problems/opinions/{opinion.pk}/" in p or opinion.content[:12] in p for p in pages)
    detail = client.get(f"/problems/opinions/{opinion.pk}/").status_code
    assert detail in (200, 403, 404)
    return listed or detail == 200


def test_it_sends_an_opinion_about_a_department_head_to_the_supervising_leader(cast, campaign, client_for):
    r, o = staff_opinion(client_for(cast.user("staff_a")), cast, "处长经常不在办公室，师生办事找不到人", cast.head_a)
    assert (o.recusal_route, o.recusal_handler, o.recusal_reason) == (Recusal.SUPERVISOR, cast.supervisor, "chosen")
    # the receipt names the office that handles it, never the person
    page = r.content.decode()
    assert "教务处的分管领导（回避）" in page and "副院长李华" not in page

    assert not sees(client_for(cast.user("head_a")), o)
    assert "待梳理" not in client_for(cast.user("head_a")).get("/").content.decode()
    supervisor = client_for(cast.user("supervisor"))
    listing = supervisor.get("/problems/opinions/").content.decode()
    assert o.receipt_code in listing and "回避" in listing and "处长张三" in listing
    assert "1 条意见待梳理" in supervisor.get("/").content.decode()
    assert sees(client_for(cast.user("office")), o)

    r = supervisor.post(f"/problems/opinions/{o.pk}/close/", {"reason": "经核实，已批评教育"})
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.status == Opinion.Status.CLOSED and o.triaged_by == cast.user("supervisor")
    receipt = client_for(cast.user("staff_a")).post("/o/receipt/", {"code": o.receipt_code}).content.decode()
    assert "教务处的分管领导（回避）" in receipt and "副院长李华" not in receipt and "已批评教育" in receipt


def test_it_finds_a_person_named_in_the_text_of_a_public_opinion(cast, campaign, client):
    public_post(client, cast.dept_a, "教务处处长张三态度恶劣，推诿扯皮")
    o = Opinion.objects.get()
    assert list(o.recused_people.all()) == [cast.head_a] and o.recusal_reason == "named"
    assert o.recusal_route == Recusal.SUPERVISOR and o.recusal_handler == cast.supervisor


def test_it_keeps_an_opinion_away_from_everyone_the_person_leads(cast, campaign, client_for):
    # about the supervising leader: the campaign office decides; head_a (whose department the
    # supervisor leads) never sees it even though it is filed under dept_a
    _, o = staff_opinion(client_for(cast.user("staff_a")), cast, "副院长李华分管工作抓得不实", cast.supervisor)
    assert o.recusal_route == Recusal.OFFICE
    for key in ("supervisor", "head_a"):
        assert not sees(client_for(cast.user(key)), o), key
    assert sees(client_for(cast.user("office")), o)


def test_it_sends_an_opinion_about_the_principal_leader_to_the_city_office(cast, campaign, client_for):
    _, o = staff_opinion(client_for(cast.user("staff_a")), cast, "书记王强搞一言堂，听不进意见", cast.principal)
    assert o.recusal_route == Recusal.CITY
    # the campaign office sits in the college the principal leads: it is left out too
    for key in ("principal", "office", "head_a", "head_b", "supervisor"):
        assert not sees(client_for(cast.user(key)), o), key
    city = client_for(cast.user("city_official"))
    assert sees(city, o)
    assert city.post(f"/problems/opinions/{o.pk}/close/", {"reason": "已转市纪委"}).status_code == 302
    o.refresh_from_db()
    assert o.status == Opinion.Status.CLOSED


def test_it_leaves_usual_opinions_with_the_department_head(cast, campaign, client_for):
    _, o = staff_opinion(client_for(cast.user("staff_a")), cast, "教务处网站通知更新不及时")
    assert o.recusal_route == Recusal.NONE and not o.recused_people.exists()
    assert sees(client_for(cast.user("head_a")), o)
    assert not sees(client_for(cast.user("supervisor")), o)


def test_it_leaves_the_opinion_out_of_the_department_dashboard(cast, campaign):
    opinion_submit(campaign=campaign, unit=cast.dept_a, content="处长张三迟到早退", source="staff_anonymous")
    opinion_submit(campaign=campaign, unit=cast.dept_a, content="教务处窗口中午无人", source="staff_anonymous")

    def new_count(root):
        rows = activity_figures(Scope(campaign=campaign, root=root))["opinions"]
        return next(r["count"] for r in rows if r["key"] == "new")

    assert new_count(cast.dept_a) == 1  # what head_a sees of his department: not the one about him
    assert new_count(cast.college) == 2


def test_it_refuses_the_detail_and_the_decision_to_the_person_named(cast, campaign, client_for):
    o = opinion_submit(
        campaign=campaign, unit=cast.dept_a, content="考务科工作人员推诿", source="paper", concerns_person=cast.head_a
    )
    head = client_for(cast.user("head_a"))
    assert head.get(f"/problems/opinions/{o.pk}/").status_code == 404
    assert head.post(f"/problems/opinions/{o.pk}/close/", {"reason": "查无此事"}).status_code == 404
    o.refresh_from_db()
    assert o.status == Opinion.Status.NEW


# ---------------------------------------------------------------- peer reviews


def test_it_has_a_review_about_a_department_head_decided_by_the_supervising_leader(cast, campaign, client_for):
    review = peer_review_submit(
        actor=cast.user("cadre_a"),
        campaign=campaign,
        unit=cast.dept_a,
        kind="branch",
        reviewer=cast.cadre_a,
        subject=cast.head_a,
        content="处长布置工作多，检查落实少",
    )
    assert review.reviewer is None and review.recusal_route == Recusal.SUPERVISOR
    head = client_for(cast.user("head_a"))
    assert "检查落实少" not in head.get("/problems/peer-reviews/").content.decode()
    assert head.post(f"/problems/peer-reviews/{review.pk}/answer/", {"decision": "reject"}).status_code == 404
    for key in ("staff_a", "member_a"):  # led by head_a
        assert "检查落实少" not in client_for(cast.user(key)).get("/problems/peer-reviews/").content.decode()
    supervisor = client_for(cast.user("supervisor"))
    page = supervisor.get("/problems/peer-reviews/").content.decode()
    decided = "".join(re.findall(r'<article class="review">.*?</article>', page, flags=re.S))
    assert "检查落实少" in decided and "回避" in decided and "干部孙七" not in decided
    r = supervisor.post(f"/problems/peer-reviews/{review.pk}/answer/", {"decision": "accept", "cause": "抓落实不够"})
    assert r.status_code == 302
    review.refresh_from_db()
    assert review.status == PeerReview.Status.ACCEPTED and review.problem.subject_person == cast.head_a
    # head_a now sees the problem to rectify, not the review
    mine = head.get("/problems/peer-reviews/").content.decode()
    assert f"/problems/{review.problem_id}/" in mine


def test_it_has_a_review_about_a_colleague_decided_by_the_department_head(cast, campaign, client_for):
    review = peer_review_submit(
        actor=cast.user("cadre_a"),
        campaign=campaign,
        unit=cast.dept_a,
        kind="branch",
        reviewer=cast.cadre_a,
        subject=cast.staff_a,
        content="上课偶有迟到",
    )
    assert review.recusal_route == Recusal.NONE
    assert "上课偶有迟到" not in client_for(cast.user("staff_a")).get("/problems/peer-reviews/").content.decode()
    assert "上课偶有迟到" in client_for(cast.user("head_a")).get("/problems/peer-reviews/").content.decode()
