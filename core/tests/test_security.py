"""Security baseline: argon2 (log-in throttling: test_login_throttle.py), session limits, security headers, CSRF, check --deploy."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from orgs.models import User

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_it_hashes_passwords_with_argon2(cast):
    assert User.objects.get(pk=cast.office.user_id).password.startswith("argon2$")


def test_it_ends_a_session_after_30_idle_minutes(cast):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(reverse("login"), {"username": cast.staff_a.staff_no, "password": PASSWORD})
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get(reverse("home"))
        assert response.status_code == 302 and "expired=1" in response["Location"]
        assert client.get(reverse("home")).status_code == 302  # logged out for good


def test_pages_within_a_minute_do_not_write_the_session(cast):
    """The last-request time is written at most once a minute: every other page only reads the session."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(reverse("login"), {"username": cast.staff_a.staff_no, "password": PASSWORD})
        traveller.shift(timedelta(seconds=30))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        assert not [q for q in ctx.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]]
        traveller.shift(timedelta(seconds=61))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        assert [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]


def test_it_ends_a_session_after_12_hours_even_when_active(cast):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(reverse("login"), {"username": cast.staff_a.staff_no, "password": PASSWORD})
        for _ in range(11 * 3 + 2):  # a request every 20 minutes for 11h40
            traveller.shift(timedelta(minutes=20))
            assert client.get(reverse("home")).status_code == 200
        traveller.shift(timedelta(minutes=25))
        response = client.get(reverse("home"))
        assert response.status_code == 302 and "expired=1" in response["Location"]
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_it_sends_csp_and_the_other_security_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert settings.SESSION_COOKIE_HTTPONLY


def test_it_refuses_a_post_without_a_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": cast.staff_a.staff_no, "password": PASSWORD})
    assert response.status_code == 403
    client.force_login(cast.user("office"))
    response = client.post(reverse("orgs:person_active", args=[cast.staff_a.pk]), {"active": "0"})
    assert response.status_code == 403
    cast.staff_a.refresh_from_db()
    assert cast.staff_a.active


def test_it_passes_check_deploy_with_https_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(RECTIFY_HTTPS="1", RECTIFY_VAR_DIR=str(tmp_path), ALLOWED_HOSTS="rectify.example.cn")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_serves_without_debug_and_with_a_generated_secret_key():
    assert settings.DEBUG is False
    assert len(settings.SECRET_KEY) >= 50
    assert not (ROOT / "var" / "secret_key").exists() or "var/" in (ROOT / ".gitignore").read_text()
