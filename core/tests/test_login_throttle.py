"""Log-in throttling (core/auth.py): exponential delays per account and per address, never a lock; password
spraying across user names limited per address; exact under bursts; the address behind our proxies."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from core import auth

from .test_ratelimit import _burst

pytestmark = pytest.mark.django_db
URL = "/accounts/login/"
T0 = 1_900_000_000  # a fixed moment, so a window boundary never falls inside a test


def _login(client, username, password="wrong-password"):
    return client.post(URL, {"username": username, "password": password})


def test_it_slows_guessing_one_account_down_exponentially_and_never_locks_it(cast):
    username = cast.cadre_a.staff_no
    client = Client(REMOTE_ADDR="198.51.100.1")
    with time_machine.travel(T0, tick=False) as t:
        for _ in range(5):  # five free checks
            assert _login(client, username).status_code == 200
        assert _login(client, username).status_code == 200  # the sixth is let through the gate …
        refused = _login(client, username)  # … and the next one must wait 2 s
        assert refused.status_code == 429 and int(refused["Retry-After"]) <= 3
        assert "秒" in refused.content.decode()
        # even the right password waits (nothing tells a guesser it was right) …
        assert _login(client, username, PASSWORD).status_code == 429
        waits = []
        for _ in range(4):  # 2, 4, 8, 16 s: each wrong check doubles the wait
            t.shift(int(_login(client, username)["Retry-After"] or 0) + 1)
            assert _login(client, username).status_code == 200
            waits.append(int(_login(client, username)["Retry-After"]))
        assert all(b - 1 == 2 * (a - 1) for a, b in zip(waits, waits[1:])), waits  # Retry-After rounds up
        # … and once the wait is over the right password works: no lock
        t.shift(waits[-1] + 1)
        response = _login(client, username, PASSWORD)
        assert response.status_code == 302 and "_auth_user_id" in client.session
        # and the account starts again from zero
        for _ in range(5):
            assert _login(Client(REMOTE_ADDR="198.51.100.1"), username).status_code == 200


def test_it_does_not_slow_the_owner_down_for_an_attacker_elsewhere(cast):
    username = cast.cadre_a.staff_no
    with time_machine.travel(T0, tick=False):
        attacker = Client(REMOTE_ADDR="203.0.113.66")
        for _ in range(8):
            _login(attacker, username)
        assert _login(attacker, username).status_code == 429
        owner = Client(REMOTE_ADDR="198.51.100.2")
        assert _login(owner, username, PASSWORD).status_code == 302


def test_it_caps_what_many_addresses_together_get_on_one_account(cast):
    username = cast.cadre_a.staff_no
    with time_machine.travel(T0, tick=False):
        checked = sum(_login(Client(REMOTE_ADDR=f"203.0.113.{i}"), username).status_code == 200 for i in range(1, 41))
    assert checked == 21  # 20 free checks for the account, then one through its gate


def test_it_limits_password_spraying_across_user_names_from_one_address(cast):
    client = Client(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(T0, tick=False):
        checked = sum(_login(client, f"guess{i:03d}").status_code == 200 for i in range(40))
        assert checked == 21  # 20 free for the address, then one per growing wait
        # people behind the same address who know their password still log in once the short wait is over
    with time_machine.travel(T0 + 3, tick=False):
        assert _login(Client(REMOTE_ADDR="203.0.113.9"), cast.staff_a.staff_no, PASSWORD).status_code == 302


def test_it_counts_a_burst_of_64_attempts_exactly(cast, settings):
    settings.LOGIN_FREE_PER_ACCOUNT_ADDRESS = 10
    with time_machine.travel(T0, tick=False):
        waits = _burst(64, lambda: auth.login_admit("cadre", "198.51.100.7"))
    assert sum(w == 0 for w in waits) == 11  # ten free and one through the gate; 53 told to wait


def test_it_tells_clients_apart_behind_our_proxy_only(cast, settings):
    username = cast.cadre_a.staff_no

    def from_(client_addr):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_addr)

    with time_machine.travel(T0, tick=False):
        settings.RECTIFY_PROXY_COUNT = 1
        for _ in range(7):
            _login(from_("203.0.113.20"), username)
        assert _login(from_("203.0.113.20"), username).status_code == 429
        assert _login(from_("198.51.100.21"), username, PASSWORD).status_code == 302
        # without the setting the header is not believed: forging it does not reset a counter
        settings.RECTIFY_PROXY_COUNT = 0
        attacker = "203.0.113.30"
        for i in range(7):
            _login(Client(REMOTE_ADDR=attacker, HTTP_X_FORWARDED_FOR=f"1.1.1.{i}"), username)
        assert _login(Client(REMOTE_ADDR=attacker, HTTP_X_FORWARDED_FOR="9.9.9.9"), username).status_code == 429


def test_it_shows_the_wait_in_english_too(cast):
    client = Client(REMOTE_ADDR="198.51.100.3", HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["rectify_language"] = "en"
    with time_machine.travel(T0, tick=False):
        for _ in range(6):
            _login(client, cast.cadre_a.staff_no)
        body = _login(client, cast.cadre_a.staff_no).content.decode()
    assert "Too many failed log-ins" in body and "second" in body
    assert reverse("login") == URL
