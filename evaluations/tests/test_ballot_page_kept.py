"""The fresh ballot page of an open round is rendered once per process, group and language
(public_views._pages): each voter still gets their own code and admission note (no CSRF token: the page's
language switch posts the ballot form), and the same page as one rendered anew."""

import re

from django.test import Client, RequestFactory
from django.urls import reverse

from evaluations import public_views
from evaluations.services import token_for_code


def _display(code: str) -> str:
    return public_views._code_display(code)


def _value(body: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def test_it_gives_each_voter_their_own_code_and_note_on_the_kept_page(open_round):
    ev, codes = open_round()
    a, b = codes["党员"][:2]
    public_views._pages.clear()
    pages = [Client().post(reverse("evaluations_public:open"), {"code": c}) for c in (a, b)]
    assert len(public_views._pages) == 1  # the second voter got the page kept from the first
    (body_a, body_b) = (p.content.decode() for p in pages)
    assert _value(body_a, "code") == _display(a) and _value(body_b, "code") == _display(b)
    assert _display(a) not in body_b and "\x00" not in body_a + body_b
    assert _value(body_a, "admission") != _value(body_b, "admission")
    assert "csrfmiddlewaretoken" not in body_a + body_b and not any("csrftoken" in p.cookies for p in pages)
    # the note on each page admits that page's code only
    data = {f"a-{t.pk}-{i.pk}": ev.grades.first().pk for t, items in public_views.ballot_questions(ev) for i in items}
    note_a = _value(body_a, "admission")
    submit = reverse("evaluations_public:submit")
    assert public_views._admitted(RequestFactory().post(submit, {"code": a, "admission": note_a}))
    assert not public_views._admitted(RequestFactory().post(submit, {"code": b, "admission": note_a}))
    done = Client().post(reverse("evaluations_public:submit"), {"code": a, "admission": note_a, **data})
    assert done.status_code == 302


def test_it_serves_the_page_a_fresh_render_gives(open_round):
    ev, codes = open_round()
    code = codes["群众"][0]
    public_views._pages.clear()
    token = token_for_code(code)
    request = RequestFactory().post(reverse("evaluations_public:open"))
    kept = public_views._ballot_page(request, token, _display(code)).content.decode()
    again = public_views._ballot_page(request, token, _display(code)).content.decode()
    token.evaluation.key_fingerprint = ""  # not an open round's kept page: rendered anew
    fresh = public_views._ballot_page(request, token, _display(code)).content.decode()

    def same(html):
        return re.sub(r'name="admission" value="[^"]*"', "", html)

    assert same(kept) == same(again) == same(fresh) and len(kept) == len(fresh)
