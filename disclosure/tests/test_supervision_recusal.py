"""A public supervision opinion that names a department head goes to the supervising leader (回避)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from disclosure.models import Publication

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_it_keeps_a_supervision_opinion_about_the_head_away_from_him(cast, published_world, client):
    from problems.models import Opinion

    pub = Publication.objects.get(problem=published_world.p1)
    r = client.post(
        reverse("disclosure_public:item_opinion", args=[pub.code]),
        {"content": "整改走过场，处长张三只是开了个会", "contact": ""},
    )
    assert r.status_code == 200
    page = r.content.decode()
    # what the page says, without the random values of its attributes (a CSRF token may hold the letters "IP")
    words = re.sub(r'="[^"]*"', "", page)
    assert "教务处的分管领导（回避）" in page and "副院长李华" not in page and "IP" not in words
    o = Opinion.objects.get()
    assert o.source == "public_supervision" and o.recusal_handler == cast.supervisor
    head = logged_in(cast.user("head_a"))
    assert f"/problems/opinions/{o.pk}/" not in head.get("/problems/opinions/").content.decode()
    assert head.get(f"/problems/opinions/{o.pk}/").status_code == 404
    listing = logged_in(cast.user("supervisor")).get("/problems/opinions/").content.decode()
    assert f"/problems/opinions/{o.pk}/" in listing and "回避" in listing


def test_it_promises_on_the_item_page_what_the_system_keeps(cast, published_world, client):
    pub = Publication.objects.get(problem=published_world.p1)
    page = client.get(reverse("disclosure_public:item", args=[pub.code])).content.decode()
    assert "不保存您的姓名、账号、IP地址" in page and "由其上一级办理" in page
