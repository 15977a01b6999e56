"""The person picker: search by name, staff number, unit or post; hits show unit and post; only people
the user may pick."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def hits(client, q):
    return client.get(reverse("orgs:person_search"), {"q": q})


def test_it_finds_people_by_name_unit_or_post_and_shows_both(cast, client_for):
    client = client_for(cast.user("office"))
    body = hits(client, "张三").content.decode()
    assert "处长张三" in body and "教务处" in body and "部门负责人" in body and cast.head_a.staff_no in body
    by_unit = hits(client, "财务处").content.decode()
    assert "处长钱五" in by_unit and "处长张三" not in by_unit
    by_post = hits(client, cast.cadre_a.staff_no).content.decode()
    assert "干部孙七" in by_post


def test_it_never_offers_people_of_another_institution(cast, client_for):
    assert "考试院郑十" not in hits(client_for(cast.user("office")), "郑十").content.decode()
    assert "处长张三" not in hits(client_for(cast.user("outsider")), "张三").content.decode()


def test_it_lets_a_cadre_name_a_colleague_of_the_institution(cast, client_for):
    assert "处长钱五" in hits(client_for(cast.user("cadre_a")), "钱五").content.decode()


def test_it_needs_a_login(client):
    assert hits(client, "张三").status_code == 302


def test_the_opinion_form_uses_the_picker_and_accepts_its_choice(cast, campaign, client_for):
    from problems.models import Opinion

    client = client_for(cast.user("staff_a"))
    page = client.get(reverse("problems:opinion_new")).content.decode()
    assert 'class="person-picker"' in page and reverse("orgs:person_search") in page
    assert page.count("<option") < 10  # no more 400-name drop-down
    client.post(
        reverse("problems:opinion_new"),
        {
            "unit": cast.dept_b.pk,
            "content": "报销审核时间太长，反复退件",
            "concerns_person": cast.head_b.pk,
            "anonymous": "",
        },
    )
    assert Opinion.objects.get(content__startswith="报销审核").concerns_person == cast.head_b
