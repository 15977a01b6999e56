"""Nothing private leaks: every private field holds a marker; no public page or export shows it."""

import pytest
from django.db import models
from django.urls import reverse

from disclosure.models import Follow, Publication
from disclosure.services import publication_publish, snapshot_take

from .conftest import MARKER

pytestmark = pytest.mark.django_db

# The only free-text fields that may be public (see disclosure.public's allow-list).
PUBLIC_TEXT = {
    ("problems", "problem", "description"),
    ("rectification", "measure", "content"),
    ("rectification", "measure", "goal"),
}


def fill_private_text(obj) -> list[str]:
    """Put the marker into every free-text field of `obj` that is not allow-listed (including fields
    that other apps add later), so a new private field is covered without changing this test."""
    filled = []
    for f in obj._meta.concrete_fields:
        key = (obj._meta.app_label, obj._meta.model_name, f.name)
        if key in PUBLIC_TEXT or f.choices or not f.editable or f.primary_key:
            continue
        if isinstance(f, models.EmailField):
            setattr(obj, f.name, f"{MARKER.lower()}@example.com")
        elif isinstance(f, models.TextField | models.CharField):
            value = f"{MARKER} {f.name}"
            setattr(obj, f.name, value[: f.max_length] if f.max_length else value)
        else:
            continue
        filled.append(f.name)
    obj.save()
    return filled


def public_pages(client, cast, world, extra=()):
    urls = [
        reverse("disclosure_public:index"),
        reverse("disclosure_public:overview"),
        reverse("disclosure_public:institution", args=[cast.college.public_code]),
        reverse("disclosure_public:institution_json", args=[cast.college.public_code]),
        *extra,
    ]
    for pub in Publication.objects.filter(status="published"):
        urls.append(reverse("disclosure_public:item", args=[pub.code]))
    for snap in world.campaign.snapshots.all():
        code = cast.college.public_code
        urls += [
            reverse("disclosure_public:snapshot", args=[code, snap.code]),
            reverse("disclosure_public:snapshot_json", args=[code, snap.code]),
            reverse("disclosure_public:compare", args=[code, snap.code]),
        ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        yield url, r.content.decode("utf-8")


def test_it_never_shows_a_private_field_on_a_public_page_or_export(cast, world, client, client_for):
    w = world
    # people: names, contacts (every person involved as owner, leader, subject, head…)
    for key in ("cadre_a", "member_a", "head_a", "head_b", "supervisor", "principal", "office", "cadre_a2"):
        person = cast.people[key]
        person.name = f"{MARKER}{key}"
        person.phone = MARKER
        person.email = f"{key}.{MARKER.lower()}@example.com"
        person.save()
    for obj in (w.p1, w.p2, w.p3, w.personal):
        filled = fill_private_text(obj)
        assert {"cause", "benchmark", "fixed_note"} <= set(filled)
    for obj in (w.m1a, w.m1b, w.m2a, w.m3a, w.commitment, w.plan_a, w.plan_b, w.plan_person):
        fill_private_text(obj)
    office = cast.user("office")
    for p in (w.p1, w.p2, w.p3):
        publication_publish(actor=office, campaign=w.campaign, problem=p)
    for m in (w.m1a, w.m1b, w.m2a, w.m3a):
        publication_publish(actor=office, campaign=w.campaign, measure=m)
    # the public follows with an address and leaves an opinion with a contact
    pub = Publication.objects.get(problem=w.p1)
    client.post(reverse("disclosure_public:item_follow", args=[pub.code]), {"email": f"{MARKER.lower()}@example.org"})
    follow = Follow.objects.get()
    extra = [reverse("disclosure_public:follow", args=[follow.code])]
    try:
        from problems.services import opinion_submit  # noqa: F401

        r = client.post(
            reverse("disclosure_public:item_opinion", args=[pub.code]),
            {"content": "排课系统仍然出错", "contact": MARKER},
        )
        assert MARKER not in r.content.decode()
    except ImportError:
        pass
    snapshot_take(actor=office, campaign=w.campaign)

    checked = 0
    for url, body in public_pages(client, cast, w, extra):
        assert MARKER not in body and MARKER.lower() not in body, url
        checked += 1
    assert checked >= 12
    # the preview is what the public will see: the same rule holds
    preview = client_for(office).post(
        reverse("disclosure:campaign", args=[w.campaign.pk]),
        {"action": "preview", "problems": [w.p1.pk, w.p2.pk, w.p3.pk], "measures": [w.m1a.pk, w.m2a.pk]},
    )
    assert preview.status_code == 200
    assert MARKER not in preview.content.decode().split("<main", 1)[1]  # the top bar names the logged-in user
    # the published content itself is there (the test would pass vacuously otherwise)
    body = client.get(reverse("disclosure_public:institution", args=[cast.college.public_code])).content.decode()
    assert w.p1.description in body and w.m1a.content in body and "教务处" in body
