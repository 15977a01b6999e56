import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from disclosure.models import Follow, Publication, PublicEvent
from disclosure.services import publications_refresh

pytestmark = pytest.mark.django_db

try:
    from problems.services import opinion_submit  # noqa: F401  (finding issue)

    HAS_OPINIONS = True
except ImportError:
    HAS_OPINIONS = False
needs_opinions = pytest.mark.skipif(not HAS_OPINIONS, reason="problems.services.opinion_submit not landed yet")


@needs_opinions
def test_it_sends_a_public_opinion_into_triage_with_a_receipt(cast, published_world, client):
    from problems.models import Opinion

    pub = Publication.objects.get(problem=published_world.p1)
    r = client.post(
        reverse("disclosure_public:item_opinion", args=[pub.code]),
        {"content": "排课系统仍然经常出错", "contact": "13800000000"},
    )
    assert r.status_code == 200
    opinion = Opinion.objects.get()
    assert opinion.source == "public_supervision" and opinion.about_problem == published_world.p1
    assert opinion.status == "new" and opinion.unit == cast.dept_a
    assert opinion.receipt_code in r.content.decode()
    assert "13800000000" not in r.content.decode()


@needs_opinions
def test_it_rate_limits_opinions_per_address(cast, published_world, client):
    pub = Publication.objects.get(problem=published_world.p1)
    url = reverse("disclosure_public:item_opinion", args=[pub.code])
    codes = [client.post(url, {"content": f"第{i}条监督意见内容"}).status_code for i in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    other = client.post(url, {"content": "另一个地址的监督意见"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_it_refuses_oversized_opinions(cast, published_world, client):
    pub = Publication.objects.get(problem=published_world.p1)
    r = client.post(reverse("disclosure_public:item_opinion", args=[pub.code]), {"content": "长" * 2001})
    assert r.status_code == 400


def test_it_refuses_opinions_on_unpublished_items(cast, world, client):
    assert client.post(reverse("disclosure_public:item_opinion", args=["abc"]), {"content": "x"}).status_code == 404


def test_it_lets_the_public_follow_an_item_and_tells_them_when_its_status_changes(
    cast, published_world, client, django_capture_on_commit_callbacks
):
    w = published_world
    pub = Publication.objects.get(problem=w.p1)
    r = client.post(reverse("disclosure_public:item_follow", args=[pub.code]), {"email": "Watcher@Example.com"})
    follow = Follow.objects.get()
    assert r.status_code == 302 and r.url == reverse("disclosure_public:follow", args=[follow.code])
    page = client.get(r.url).content.decode()
    assert follow.code in page and "watcher@example.com" not in page.lower()
    client.post(reverse("disclosure_public:item_follow", args=[pub.code]), {"email": "second@example.com"})

    # nothing changed: nobody is told
    assert publications_refresh() == 0 and mail.outbox == []
    for m in (w.m1a,):
        m.status, m.percent, m.verified_at = "verified", 100, timezone.now()
        m.save(update_fields=["status", "percent", "verified_at"])
    with django_capture_on_commit_callbacks(execute=True):
        changed = publications_refresh()
    assert changed == 2  # the measure and the problem it completes
    assert sorted(m.to[0] for m in mail.outbox) == ["second@example.com", "watcher@example.com"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # followers never see each other's address
    assert PublicEvent.objects.filter(publication=pub, kind="status_changed", after="completed").exists()
    pub.refresh_from_db()
    assert pub.public_status == "completed"
    # told once only
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert publications_refresh() == 0
    assert mail.outbox == []


def test_it_stops_following(cast, published_world, client):
    pub = Publication.objects.get(problem=published_world.p1)
    client.post(reverse("disclosure_public:item_follow", args=[pub.code]), {"email": "a@example.com"})
    follow = Follow.objects.get()
    client.post(reverse("disclosure_public:follow_stop", args=[follow.code]))
    follow.refresh_from_db()
    assert not follow.active and follow.stopped_at is not None


def test_it_rate_limits_follows_and_checks_the_address(cast, published_world, client):
    pub = Publication.objects.get(problem=published_world.p1)
    url = reverse("disclosure_public:item_follow", args=[pub.code])
    assert client.post(url, {"email": "not-an-address"}).status_code == 400
    codes = [client.post(url, {"email": ""}).status_code for _ in range(10)]
    assert codes[-1] == 429 and Follow.objects.count() == 9
