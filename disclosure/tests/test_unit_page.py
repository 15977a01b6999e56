"""The public unit page: a short summary first, search and filter, snapshots reachable from the top."""

import pytest

pytestmark = pytest.mark.django_db


def descriptions(response) -> list[str]:
    return [p["description"] for g in response.context["shown_groups"] for u in g["units"] for p in u["problems"]]


def test_it_opens_with_the_summary_and_links_to_snapshots_at_the_top(cast, published_world, client, public_url):
    from disclosure.services import snapshot_take

    snapshot_take(actor=cast.user("office"), campaign=published_world.campaign)
    body = client.get(public_url).content.decode()
    summary, jump, problems = body.index("pub-summary"), body.index("pub-jump"), body.index('id="problems"')
    assert summary < jump < problems
    top = body[:problems]
    assert "快照" in top and "/snapshots/" in top  # the latest snapshot is one tap from the top
    assert "已公开自查发现的 3 个问题" in top  # the one-sentence summary


def test_it_searches_problems_and_their_measures(cast, published_world, client, public_url):
    assert descriptions(client.get(public_url, {"q": "排课"})) == ["排课系统长期不更新，调课流程繁琐"]
    # A word of a measure finds its problem.
    assert descriptions(client.get(public_url, {"q": "限时办结"})) == ["报销审核周期过长"]
    response = client.get(public_url, {"q": "无此内容"})
    assert descriptions(response) == [] and "没有符合条件" in response.content.decode()


def test_it_filters_by_unit_and_status(cast, published_world, client, public_url):
    by_unit = descriptions(client.get(public_url, {"unit": "财务处"}))
    assert by_unit == ["报销审核周期过长"]
    everything = client.get(public_url)
    assert set(everything.context["unit_choices"]) == {"教务处", "财务处"}
    codes = [c for c, _label in everything.context["status_choices"]]
    for code in codes:
        shown = descriptions(client.get(public_url, {"status": code}))
        assert shown and len(shown) < 3 or len(codes) == 1


def test_it_folds_groups_until_the_reader_searches(cast, published_world, client, public_url):
    plain = client.get(public_url).content.decode()
    assert '<details class="pub-fold" open' not in plain
    assert '<details class="pub-fold" open' in client.get(public_url, {"q": "排课"}).content.decode()


def test_the_poster_names_the_institution_and_the_unit(cast, campaign, client_for):
    import subprocess

    from django.urls import reverse

    response = client_for(cast.user("office")).get(reverse("problems:poster", args=[cast.dept_a.pk]))
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout
    text = text.decode()
    assert "江城职业技术学院" in text and "教务处" in text
