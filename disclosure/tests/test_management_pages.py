"""The office's disclosure list in pages: the same rows in the same order as one long list, and ticking on
one page decides only the items that page showed."""

import re

import pytest
from django.urls import reverse

from disclosure import selectors
from disclosure.models import Publication
from disclosure.public import publishable_problems

pytestmark = pytest.mark.django_db


def _shown(body: str, name: str) -> list[int]:
    return [int(v) for v in re.findall(rf'name="shown_{name}" value="(\d+)"', body)]


def test_it_pages_the_same_rows_in_the_same_order(cast, world, client_for, monkeypatch):
    from disclosure.tests.conftest import make_measure

    rule = make_measure(world.plan_a, [], "建立教学运行周例会制度", owner=cast.cadre_a)
    expected = list(
        publishable_problems(world.campaign).order_by("unit__path", "recorded_at", "pk").values_list("pk", flat=True)
    )
    assert len(expected) == 3
    monkeypatch.setattr(selectors, "MANAGEMENT_PAGE_SIZE", 2)
    client = client_for(cast.user("office"))
    url = reverse("disclosure:campaign", args=[world.campaign.pk])
    first, second = (client.get(url, {"page": n}).content.decode() for n in (1, 2))
    assert _shown(first, "problems") + _shown(second, "problems") == expected
    assert "page=2" in first and rule.pk not in _shown(first, "measures")  # loose measures on the last page
    assert _shown(second, "measures")[-1] == rule.pk
    assert set(_shown(first, "measures")) == {world.m1a.pk, world.m1b.pk, world.m2a.pk}


def test_it_withdraws_only_what_the_page_showed(cast, published_world, client_for):
    w = published_world
    client = client_for(cast.user("office"))
    url = reverse("disclosure:campaign", args=[w.campaign.pk]) + f"?unit={cast.dept_a.pk}"
    body = client.get(url).content.decode()
    assert w.p3.description not in body  # another department's
    shown = {"scoped": "1", "shown_problems": _shown(body, "problems"), "shown_measures": _shown(body, "measures")}
    r = client.post(url, {**shown, "action": "publish", "problems": [w.p1.pk], "measures": [w.m1a.pk]})
    assert r.status_code == 302 and r.url == url
    public = set(Publication.objects.filter(status="published").values_list("problem_id", "measure_id"))
    assert public == {(w.p1.pk, None), (None, w.m1a.pk), (w.p3.pk, None), (None, w.m3a.pk)}


def test_it_previews_the_page_as_ticked_and_the_rest_as_it_is(cast, published_world, client_for):
    w = published_world
    client = client_for(cast.user("office"))
    url = reverse("disclosure:campaign", args=[w.campaign.pk]) + f"?unit={cast.dept_a.pk}"
    body = client.get(url).content.decode()
    shown = {"scoped": "1", "shown_problems": _shown(body, "problems"), "shown_measures": _shown(body, "measures")}
    r = client.post(url, {**shown, "action": "preview", "problems": [w.p1.pk]})
    assert "disclosure/public/institution.html" in [t.name for t in r.templates]
    assert set(r.context["selection"]["problems"]) == {w.p1.pk, w.p3.pk}  # p2 unticked here, p3 public elsewhere
    assert set(r.context["selection"]["measures"]) == {w.m3a.pk}
    assert Publication.objects.filter(status="published").count() == 7  # nothing changed
