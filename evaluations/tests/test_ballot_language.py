"""The language switch of the public ballot pages. On the ballot page it sends the ballot back to its own
page in the other language with what is chosen so far (a plain language form came back by GET to an address
only a code opens: a blank 405, the ballot lost). The ballot pages carry no CSRF token: the code is what a
forged post would need, and the switch no longer posts to Django's language view."""

import re

from django.conf import settings
from django.test import Client
from django.urls import reverse

from evaluations.models import SealedBallot

from .test_voting import _answers

OPEN = reverse("evaluations_public:open")
SUBMIT = reverse("evaluations_public:submit")


def _fields(body: str) -> dict:
    form = re.search(r'<form id="ballot-form".*?</form>', body, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def _switch(body: str) -> tuple[str, str]:
    button = re.search(r'<button form="ballot-form" formaction="([^"]+)"[^>]*name="language" value="([^"]+)"', body)
    return button.group(1), button.group(2)


def test_it_switches_the_ballot_to_english_keeping_what_is_chosen(open_round):
    ev, codes = open_round()
    voter = Client(enforce_csrf_checks=True)
    page = voter.post(OPEN, {"code": codes["党员"][0]}).content.decode()
    assert "提交评议票" in page and "Submit my ballot" not in page
    action, language = _switch(page)
    assert (action, language) == (OPEN, "en")
    chosen = dict(list(_answers(ev).items())[:2])  # two questions answered so far
    switched = voter.post(action, {**_fields(page), **chosen, "language": language})
    body = switched.content.decode()
    assert switched.status_code == 200 and 'lang="en"' in body and "Submit my ballot" in body
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    for name, grade in chosen.items():
        assert re.search(rf'name="{name}" value="{grade}" required checked', body)
    assert body.count(" checked") == len(chosen)
    assert _switch(body) == (OPEN, "zh-hans")
    # the English page sends the ballot as the Chinese one would
    done = voter.post(SUBMIT, {**_fields(body), **_answers(ev)})
    assert done.status_code == 302 and SealedBallot.objects.filter(evaluation=ev).count() == 1
    assert "Thank" in voter.get(done["Location"]).content.decode()


def test_the_ballot_page_asks_for_no_csrf_token(open_round):
    _ev, codes = open_round()
    opened = Client(enforce_csrf_checks=True).post(OPEN, {"code": codes["群众"][0]})
    assert opened.status_code == 200
    assert "csrfmiddlewaretoken" not in opened.content.decode() and settings.CSRF_COOKIE_NAME not in opened.cookies


def test_the_code_form_after_a_refused_code_switches_language_on_the_code_form(open_round):
    open_round()
    voter = Client()
    refused = voter.post(OPEN, {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert refused.status_code == 400
    form = re.search(r'<form action="([^"]+)" method="post" class="langswitch">(.*?)</form>', refused.content.decode())
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert fields["next"] == reverse("evaluations_public:start")
    landed = voter.post(form.group(1), fields, follow=True)
    assert landed.status_code == 200 and "Enter your ballot code" in landed.content.decode()


def test_a_switch_asking_for_an_unknown_language_leaves_the_page_as_it_was(open_round):
    _ev, codes = open_round()
    voter = Client()
    page = voter.post(OPEN, {"code": codes["党员"][1]}).content.decode()
    again = voter.post(OPEN, {**_fields(page), "language": "xx"})
    assert again.status_code == 200 and 'lang="zh-CN"' in again.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in again.cookies
