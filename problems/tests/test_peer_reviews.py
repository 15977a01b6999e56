import re

from campaigns.models import Campaign
from problems.models import PeerReview, Problem
from problems.services import peer_review_submit


def test_it_lets_team_members_review_each_other_anonymously(cast, campaign, client_for):
    client = client_for(cast.user("supervisor"))
    page = client.get("/problems/peer-reviews/").content.decode()
    assert "书记王强" in page  # a colleague one may review
    r = client.post(
        "/problems/peer-reviews/",
        {"kind": "team", "subject": cast.principal.pk, "content": "深入基层调研不够，听取教职工意见渠道少"},
    )
    assert r.status_code == 200 and "不会看到" in r.content.decode()
    review = PeerReview.objects.get()
    assert review.reviewer is None and review.subject == cast.principal and review.unit == cast.college
    # The principal leader never sees it (回避): the city office decides, without the reviewer's name.
    seen = client_for(cast.user("principal")).get("/problems/peer-reviews/").content.decode()
    assert "深入基层调研不够" not in seen
    city = client_for(cast.user("city_official")).get("/problems/peer-reviews/").content.decode()
    decided = "".join(re.findall(r'<article class="review">.*?</article>', city, flags=re.S))
    assert "深入基层调研不够" in decided and "副院长李华" not in decided and "回避" in decided


def test_it_names_the_reviewer_when_the_campaign_says_so(cast, campaign, client_for):
    Campaign.objects.filter(pk=campaign.pk).update(peer_review_anonymous=False)
    campaign.refresh_from_db()
    peer_review_submit(
        actor=cast.user("cadre_a"),
        campaign=campaign,
        unit=cast.dept_a,
        kind="branch",
        reviewer=cast.cadre_a,
        subject=cast.staff_a,
        content="上课偶有迟到现象",
    )
    seen = client_for(cast.user("staff_a")).get("/problems/peer-reviews/").content.decode()
    assert "上课偶有迟到现象" not in seen  # the subject sees only the problem it may become
    head = client_for(cast.user("head_a")).get("/problems/peer-reviews/").content.decode()
    decided = "".join(re.findall(r'<article class="review">.*?</article>', head, flags=re.S))
    assert "上课偶有迟到现象" in decided and "干部孙七" in decided


def test_it_refuses_a_review_outside_ones_groups(cast, campaign, client_for):
    client = client_for(cast.user("cadre_a"))
    r = client.post("/problems/peer-reviews/", {"kind": "branch", "subject": cast.head_b.pk, "content": "问题问题"})
    assert r.status_code == 200 and not PeerReview.objects.exists()


def test_it_turns_an_accepted_review_into_the_subjects_problem(cast, campaign, taxonomy, client_for):
    review = peer_review_submit(
        actor=cast.user("head_a"),
        campaign=campaign,
        unit=cast.dept_a,
        kind="leader_comment",
        reviewer=cast.head_a,
        subject=cast.cadre_a,
        content="工作标准不高，满足于过得去",
    )
    other = client_for(cast.user("staff_a"))
    assert other.post(f"/problems/peer-reviews/{review.pk}/answer/", {"decision": "accept"}).status_code == 404
    client = client_for(cast.user("cadre_a"))
    r = client.post(
        f"/problems/peer-reviews/{review.pk}/answer/",
        {"decision": "accept", "cause": "自我要求不严", "manifestations": [taxonomy["得过且过"].pk]},
    )
    assert r.status_code == 302
    review.refresh_from_db()
    p = Problem.objects.get()
    assert review.status == "accepted" and review.problem == p
    assert p.channel == "leader_comment" and p.subject_person == cast.cadre_a and p.cause == "自我要求不严"
    assert client.post(f"/problems/peer-reviews/{review.pk}/answer/", {"decision": "reject"}).status_code == 302
    review.refresh_from_db()
    assert review.status == "accepted"


def test_it_puts_triage_and_reviews_on_the_home_page(cast, campaign, client_for):
    from problems.services import opinion_submit

    opinion_submit(campaign=campaign, unit=cast.dept_a, content="教务处窗口中午无人", source="public_form")
    office_home = client_for(cast.user("office")).get("/").content.decode()
    assert "1 条意见待梳理" in office_home or "1 opinion waits" in office_home
    peer_review_submit(
        actor=cast.user("cadre_a"),
        campaign=campaign,
        unit=cast.dept_a,
        kind="branch",
        reviewer=cast.cadre_a,
        subject=cast.head_a,
        content="布置工作多，检查落实少",
    )
    home = client_for(cast.user("supervisor")).get("/").content.decode()
    assert "1" in home and ("待您决定或答复的互评" in home or "Reviews to decide" in home)
    assert "待您决定或答复的互评" not in client_for(cast.user("head_a")).get("/").content.decode()
