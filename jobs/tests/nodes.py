"""Starting real processes (workers, schedulers, gunicorn) against the test database, for the
PostgreSQL tests of several nodes."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def database_url() -> str:
    """The test database (pytest-django's test_… name) as a DATABASE_URL for a child process."""
    s = connection.settings_dict
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def child_env(**extra) -> dict:
    """The environment of a real deployment: no pytest defaults (immediate tasks, no throttling)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "PYTEST_XDIST_WORKER")}
    for key in ("RECTIFY_TASK_BACKEND", "RECTIFY_PLAIN_STATIC", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(key, None)
    env.update(DATABASE_URL=database_url(), PYTHONUNBUFFERED="1", RECTIFY_DEMO_LOGINS="0")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(*args, env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(port: int, env: dict) -> subprocess.Popen:
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(  # noqa: S603
        [str(gunicorn_bin), "rectify.wsgi:application", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env | {"GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_http(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=10)  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return  # it answers (healthz may say 503 while no worker has started yet)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(*processes: subprocess.Popen) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
