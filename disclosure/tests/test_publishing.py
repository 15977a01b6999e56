import pytest
from django.urls import reverse

from audit.models import AuditRecord
from core.exceptions import ServiceError
from disclosure.models import Publication, PublicEvent, PublicStatus
from disclosure.services import publication_apply, publication_publish, publication_withdraw

pytestmark = pytest.mark.django_db


def test_it_publishes_a_problem_with_a_random_code_and_an_audit_record(cast, world):
    pub = publication_publish(actor=cast.user("office"), campaign=world.campaign, problem=world.p1)
    pub.refresh_from_db()
    assert pub.status == Publication.Status.PUBLISHED
    assert len(pub.code) >= 16 and str(world.p1.pk) != pub.code
    assert AuditRecord.objects.filter(action="publication.publish", object_id=str(pub.pk)).exists()
    assert PublicEvent.objects.filter(publication=pub, kind="published").count() == 1


def test_it_refuses_problems_about_one_person_and_personal_plan_measures(cast, world):
    with pytest.raises(ServiceError):
        publication_publish(actor=cast.user("office"), campaign=world.campaign, problem=world.personal)
    with pytest.raises(ServiceError):
        publication_publish(actor=cast.user("office"), campaign=world.campaign, measure=world.commitment)
    assert not Publication.objects.exists()


def test_it_applies_exactly_the_ticked_items(cast, world):
    office = cast.user("office")
    counts = publication_apply(
        actor=office, campaign=world.campaign, problem_ids=[world.p1.pk, world.p2.pk], measure_ids=[world.m1a.pk]
    )
    assert counts == {"published": 3, "withdrawn": 0}
    counts = publication_apply(actor=office, campaign=world.campaign, problem_ids=[world.p1.pk], measure_ids=[])
    assert counts == {"published": 0, "withdrawn": 2}
    assert set(Publication.objects.filter(status="published").values_list("problem_id", flat=True)) == {world.p1.pk}
    withdrawn = Publication.objects.get(problem=world.p2)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_at is not None


def test_it_keeps_the_code_when_an_item_is_published_again(cast, world):
    office = cast.user("office")
    pub = publication_publish(actor=office, campaign=world.campaign, problem=world.p1)
    publication_withdraw(actor=office, publication=pub)
    again = publication_publish(actor=office, campaign=world.campaign, problem=world.p1)
    assert again.pk == pub.pk and again.code == pub.code and again.status == "published"


def test_it_refuses_to_withdraw_twice(cast, world):
    from core.exceptions import Conflict

    office = cast.user("office")
    pub = publication_publish(actor=office, campaign=world.campaign, problem=world.p1)
    publication_withdraw(actor=office, publication=pub)
    with pytest.raises(Conflict):
        publication_withdraw(actor=office, publication=pub)


def test_it_records_the_rolled_up_status_when_publishing(cast, published_world):
    w = published_world
    p1 = Publication.objects.get(problem=w.p1)
    # m1a in progress at 40 %, m1b verified (100 %) → (40 + 100) / 2 = 70, in progress
    assert (p1.public_status, p1.public_progress) == (PublicStatus.IN_PROGRESS, 70)
    assert Publication.objects.get(measure=w.m2a).public_status == PublicStatus.OVERDUE
    assert Publication.objects.get(measure=w.m1b).public_status == PublicStatus.COMPLETED


def test_it_lets_the_office_publish_from_the_management_page(cast, world, client_for):
    client = client_for(cast.user("office"))
    url = reverse("disclosure:campaign", args=[world.campaign.pk])
    page = client.get(url)
    assert page.status_code == 200 and world.p1.description in page.content.decode()
    assert world.personal.description not in page.content.decode()
    r = client.post(url, {"action": "publish", "problems": [world.p1.pk], "measures": [world.m1a.pk]})
    assert r.status_code == 302
    assert Publication.objects.filter(status="published").count() == 2


def test_it_lets_the_office_publish_a_measure_that_answers_no_problem(cast, world, client_for):
    """A measure agreed at the meeting as a new rule answers no problem: the office can still tick it,
    and the public page lists it on its own."""
    from disclosure.tests.conftest import make_measure

    rule = make_measure(world.plan_a, [], "建立教学运行周例会制度", owner=cast.cadre_a)
    client = client_for(cast.user("office"))
    url = reverse("disclosure:campaign", args=[world.campaign.pk])
    body = client.get(url).content.decode()
    assert f'name="measures" value="{rule.pk}"' in body and "不对应具体问题的措施" in body
    assert f'name="measures" value="{world.commitment.pk}"' not in body  # a personal plan's measure stays internal
    r = client.post(url, {"action": "publish", "measures": [rule.pk]})
    assert r.status_code == 302 and Publication.objects.get(status="published").measure == rule
    public = client.get(reverse("disclosure_public:institution", args=[cast.college.public_code]))
    assert [m["content"] for m in public.context["data"]["loose_measures"]] == ["建立教学运行周例会制度"]


def test_it_previews_without_publishing_using_the_public_template(cast, world, client_for):
    client = client_for(cast.user("office"))
    url = reverse("disclosure:campaign", args=[world.campaign.pk])
    r = client.post(url, {"action": "preview", "problems": [world.p1.pk], "measures": [world.m1a.pk]})
    assert r.status_code == 200
    assert "disclosure/public/institution.html" in [t.name for t in r.templates]
    body = r.content.decode()
    assert world.p1.description in body and world.m1a.content in body
    assert world.p2.description not in body
    assert not Publication.objects.exists()


def test_it_lets_only_the_campaign_office_manage(cast, world, client_for, client):
    url = reverse("disclosure:campaign", args=[world.campaign.pk])
    assert client.get(url).status_code == 302  # login required
    assert client_for(cast.user("principal")).get(url).status_code == 403  # sees the campaign, may not publish
    assert client_for(cast.user("outsider")).get(url).status_code == 404  # another institution
    assert client_for(cast.user("staff_a")).get(reverse("disclosure:manage")).status_code == 403


def test_it_sends_the_office_straight_to_its_campaign(cast, world, client_for):
    r = client_for(cast.user("office")).get(reverse("disclosure:manage"))
    assert r.status_code == 302 and r.url == reverse("disclosure:campaign", args=[world.campaign.pk])


def test_it_shows_personal_commitments_to_logged_in_staff(cast, world, client_for, client):
    url = reverse("disclosure:internal")
    assert client.get(url).status_code == 302
    body = client_for(cast.user("staff_a")).get(url).content.decode()
    assert world.commitment.content in body and cast.cadre_a.name in body
    assert world.m1a.content not in body  # unit measures belong to the public page
    assert world.commitment.content not in client_for(cast.user("outsider")).get(url).content.decode()


def test_it_keeps_management_query_count_flat(cast, world, client_for, django_assert_max_num_queries):
    from disclosure.tests.conftest import make_measure, make_problem

    client = client_for(cast.user("office"))
    url = reverse("disclosure:campaign", args=[world.campaign.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    for i in range(15):
        p = make_problem(world.campaign, cast.dept_b, f"问题{i}", manifestations=[world.m1])
        make_measure(world.plan_b, [p], f"措施{i}", owner=cast.head_b)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_it_shows_published_commitments_and_their_progress_internally(cast, world, client_for):
    from rectification.commitments import commitment_create, commitment_progress, commitment_review, commitment_submit

    from .conftest import days_ago

    cadre = cast.user("cadre_a")
    c = commitment_create(
        actor=cadre,
        campaign=world.campaign,
        person=cast.cadre_a,
        content="带头改进工作作风",
        items=[("每月走访基层两次", days_ago(-30)), ("按时答复群众来信", days_ago(-60))],
    )
    draft_body = client_for(cast.user("staff_a")).get(reverse("disclosure:internal")).content.decode()
    assert "带头改进工作作风" not in draft_body  # a draft is not disclosed yet
    commitment_submit(actor=cadre, commitment=c)
    submitted_body = client_for(cast.user("staff_a")).get(reverse("disclosure:internal")).content.decode()
    assert "带头改进工作作风" not in submitted_body  # nor while the office reviews it
    commitment_review(actor=cast.user("office"), commitment=c, approve=True)
    commitment_progress(actor=cadre, item=c.items.first(), content="已走访两次", done=True)
    r = client_for(cast.user("staff_a")).get(reverse("disclosure:internal"))
    row = r.context["commitments"][0]
    assert row["commitment"] == c and row["progress"] == 50
    assert "带头改进工作作风" in r.content.decode() and "每月走访基层两次" in r.content.decode()
    outsider = client_for(cast.user("outsider")).get(reverse("disclosure:internal")).content.decode()
    assert "带头改进工作作风" not in outsider
