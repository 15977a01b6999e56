import pytest
from django.urls import reverse

from disclosure.models import Publication
from disclosure.services import publication_withdraw

pytestmark = pytest.mark.django_db


def test_it_lists_institutions_with_published_items_only(cast, published_world, client):
    body = client.get(reverse("disclosure_public:index")).content.decode()
    assert cast.college.name in body and cast.other.name not in body


def test_it_shows_the_campaign_stages_milestones_and_grouped_problems(cast, published_world, public_url, client):
    w = published_world
    r = client.get(public_url)
    assert r.status_code == 200
    body = r.content.decode()
    for text in (w.campaign.name, w.p1.description, w.p3.description, w.m1a.content, "工作推进不力", "纪律涣散"):
        assert text in body
    assert w.personal.description not in body and w.commitment.content not in body
    data = r.context["data"]
    assert [g["manifestation"] for g in data["groups"]] == ["工作推进不力", "纪律涣散"]
    assert [u["unit"] for u in data["groups"][0]["units"]] == ["教务处", "财务处"]
    assert {m["key"] for m in data["campaign"]["milestones"]} == {"3m", "6m"}
    p1 = data["groups"][0]["units"][0]["problems"][0]
    assert p1["progress"] == 70 and p1["status"] == "in_progress"
    assert p1["deadline"] == w.m1a.deadline.isoformat()  # the latest deadline of its measures
    assert data["summary"]["measures"] == 4 and data["summary"]["overdue"] == 1


def test_it_shows_a_published_measure_whose_problem_is_not_public(cast, world, public_url, client):
    from disclosure.services import publication_publish

    publication_publish(actor=cast.user("office"), campaign=world.campaign, measure=world.m3a)
    data = client.get(public_url).context["data"]
    assert data["groups"] == [] and [m["content"] for m in data["loose_measures"]] == [world.m3a.content]


def test_it_answers_unpublished_and_nonexistent_items_the_same(cast, published_world, client):
    pub = Publication.objects.get(problem=published_world.p2)
    url = reverse("disclosure_public:item", args=[pub.code])
    assert client.get(url).status_code == 200
    publication_withdraw(actor=cast.user("office"), publication=pub)
    gone = client.get(url)
    missing = client.get(reverse("disclosure_public:item", args=["no-such-code-123"]))
    assert gone.status_code == missing.status_code == 404
    assert gone.content == missing.content
    assert (
        published_world.p2.description
        not in client.get(reverse("disclosure_public:institution", args=[cast.college.public_code])).content.decode()
    )


def test_it_does_not_address_items_or_institutions_by_id(cast, published_world, client):
    assert client.get(f"/public/item/{published_world.p1.pk}/").status_code == 404
    assert client.get(f"/public/i/{cast.college.pk}/").status_code == 404
    # a unit that is not an institution, and an institution without publications
    assert client.get(reverse("disclosure_public:institution", args=[cast.dept_a.public_code])).status_code == 404
    assert client.get(reverse("disclosure_public:institution", args=[cast.other.public_code])).status_code == 404


def test_it_escapes_script_in_published_text(cast, world, public_url, client):
    from disclosure.services import publication_publish

    world.p1.description = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    world.p1.save(update_fields=["description"])
    pub = publication_publish(actor=cast.user("office"), campaign=world.campaign, problem=world.p1)
    for url in (public_url, reverse("disclosure_public:item", args=[pub.code]), reverse("disclosure_public:index")):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert" in client.get(public_url).content.decode()


def test_it_exports_the_public_data_as_json(cast, published_world, client):
    r = client.get(reverse("disclosure_public:institution_json", args=[cast.college.public_code]))
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    assert r.json()["summary"]["problems"] == 3


def test_it_shows_the_city_overview_with_rates(cast, published_world, client):
    r = client.get(reverse("disclosure_public:overview"))
    row = r.context["rows"][0]
    assert row["institution"] == cast.college and row["problems"] == 3 and row["measures"] == 4
    # completed: m1b (verified, on time) of 4 → 25 %; due: m1b and the overdue m2a → on time 1 of 2
    assert row["completion"] == "25.00" and row["on_time_rate"] == "50.00" and row["overdue"] == 1


def test_it_shows_a_timeline_of_public_changes(cast, published_world, public_url, client):
    events = client.get(public_url).context["timeline"]
    assert {e.kind for e in events} == {"published"} and len(events) == 7


@pytest.mark.parametrize("name", ["institution", "overview"])
def test_it_keeps_public_query_counts_flat(cast, world, client, django_assert_max_num_queries, name):
    from disclosure.services import publication_apply
    from disclosure.tests.conftest import make_measure, make_problem

    office = cast.user("office")
    url = (
        reverse("disclosure_public:institution", args=[cast.college.public_code])
        if name == "institution"
        else reverse("disclosure_public:overview")
    )
    publication_apply(actor=office, campaign=world.campaign, problem_ids=[world.p1.pk], measure_ids=[world.m1a.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    problems, measures = [world.p1.pk], [world.m1a.pk]
    for i in range(20):
        p = make_problem(world.campaign, cast.dept_b, f"公开问题{i}", manifestations=[world.m2])
        m = make_measure(world.plan_b, [p], f"公开措施{i}", owner=cast.head_b)
        problems.append(p.pk)
        measures.append(m.pk)
    publication_apply(actor=office, campaign=world.campaign, problem_ids=problems, measure_ids=measures)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
