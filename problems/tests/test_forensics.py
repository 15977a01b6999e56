"""The operator's view: can anything on the server link an anonymous opinion to its author?

A real gunicorn (gunicorn.conf.py, Django's LOGGING) serves a fresh SQLite database in WAL mode.
Staff members log in and leave anonymous opinions, and members of the public post the opinion form,
each from their own address and in a known order. Then, with the database file, its -wal file, the
access and application logs, the audit trail and the task table, the test tries every link it can:
content in a commit next to the author's session, row order, log lines, times. It must link nothing
better than chance. The PostgreSQL test does the same for ctid and xmin.
"""

import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import uuid
from contextlib import closing
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from core import humancheck

ROOT = Path(settings.BASE_DIR)
PASSWORD = "Test-pass-2026"
STAFF = ["staff_a", "cadre_a", "cadre_a2", "member_a", "head_b", "supervisor", "office", "principal"]
REDIS_URL = "redis://127.0.0.1:6379/2"


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not redis_up(), reason="Redis is not running at 127.0.0.1:6379")


def fixed_points(order: list[int]) -> int:
    """How many items an attacker places right by assuming the stored order is the order of arrival."""
    return sum(1 for position, item in enumerate(order) if position == item)


# With 16 items, a random order puts 6 or more in place with probability about 0.0006.
CHANCE_BOUND = 5


class Browser:
    """A minimal HTTP client with cookies, speaking from its own loopback address."""

    def __init__(self, port: int, address: str):
        self.port, self.address, self.cookies = port, address, SimpleCookie()

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
        headers = {"Cookie": "; ".join(f"{k}={v.value}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(value)
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, text, dict(response.headers)

    def csrf(self, path: str) -> tuple[str, str]:
        status, page, _ = self.request("GET", path)
        assert status == 200, (path, status, page[:500])
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1), page

    def login(self, username: str) -> None:
        token, _ = self.csrf("/accounts/login/")
        status, page, _ = self.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        )
        assert status == 302, page[:800]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SEED = """
import json
from datetime import date
from conftest import build_cast
from campaigns.services import campaign_activate, campaign_create
from problems.services import taxonomy_ensure
taxonomy_ensure()
c = build_cast()
camp = campaign_create(actor=c.user("office"), institution=c.college, units=[c.college, c.dept_a, c.dept_b],
    name="2026年自查整改", start_date=date(2026, 9, 1), finding_due=date(2026, 10, 15),
    meeting_due=date(2026, 11, 15), evaluation_due=date(2026, 12, 15), rectification_due=date(2027, 3, 1),
    milestone_3m=date(2026, 12, 1), milestone_6m=date(2027, 3, 1))
campaign_activate(actor=c.user("office"), campaign=camp)
print(json.dumps({"users": {k: p.staff_no for k, p in c.people.items()}, "dept_a": c.dept_a.pk,
                  "form": c.dept_a.public_code}))
"""


def copy_of(path: Path) -> bytes:
    """The file's bytes, read by another process as an operator would copy them (closing a file in
    this process would drop the SQLite locks the test's own connection holds: POSIX locks)."""
    if not path.exists():
        return b""
    return subprocess.run(["cat", str(path)], check=True, capture_output=True).stdout


def wal_commits(path: Path) -> list[bytes]:
    """The committed transactions of a SQLite -wal file, each as the bytes of its page images."""
    data = copy_of(path)
    if len(data) < 32:
        return []
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    commits, current, offset = [], [], 32
    while offset + 24 + page_size <= len(data):
        header = data[offset : offset + 24]
        if header[8:16] != salts:
            break  # a frame left over from before the last checkpoint
        current.append(data[offset + 24 : offset + 24 + page_size])
        if struct.unpack(">I", header[4:8])[0]:  # commit frame: database size after the commit
            commits.append(b"".join(current))
            current = []
        offset += 24 + page_size
    return commits


@pytest.fixture
def server(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env.update(
        RECTIFY_VAR_DIR=str(var),
        RECTIFY_SQLITE_PATH=str(var / "db.sqlite3"),
        RECTIFY_MEDIA_ROOT=str(var / "media"),
        RECTIFY_CACHE_DIR=str(var / "cache"),
        RECTIFY_PLAIN_STATIC="1",
        RECTIFY_DROPBOX_URL=REDIS_URL,
        RECTIFY_DROPBOX_KEY=f"test:{uuid.uuid4().hex}",
        RECTIFY_LOGIN_THROTTLE="0",
    )
    python = sys.executable

    def manage(*args: str, code: str | None = None) -> str:
        cmd = [python, "manage.py", *args] + (["-c", code] if code else [])
        return subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout

    manage("migrate", "-v0")
    seeded = json.loads(manage("shell", code=SEED).strip().splitlines()[-1])
    port = free_port()
    access, app_log = tmp_path / "access.log", tmp_path / "app.log"
    gunicorn = Path(python).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "rectify.wsgi:application", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "1", "--access-logfile", str(access), "--error-logfile", str(app_log),
         "--capture-output"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                if Browser(port, "127.0.0.1").request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start")
        yield {
            "port": port, "var": var, "access": access, "app_log": app_log, "proc": proc, "manage": manage,
            "secret": (var / "secret_key").read_text().strip(), **seeded,
        }  # fmt: skip
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.delete(env["RECTIFY_DROPBOX_KEY"], env["RECTIFY_DROPBOX_KEY"] + ":flushing")


def leave_opinions(server) -> list[dict]:
    """Staff and public opinions, alternating, in a known order; returns who sent what, from where."""
    sent = []
    for i, key in enumerate(STAFF):
        address = f"127.0.0.{10 + i}"
        staff = Browser(server["port"], address)
        staff.login(server["users"][key])
        assert staff.request("GET", "/")[0] == 200
        token, _ = staff.csrf("/problems/opinions/new/")
        marker = f"匿名意见第{i}号：窗口服务需改进"
        status, page, _ = staff.request(
            "POST",
            "/problems/opinions/new/",
            {"csrfmiddlewaretoken": token, "unit": server["dept_a"], "content": marker, "anonymous": "on"},
        )
        assert status == 200 and "回执码" in page, page[:1500]
        assert staff.request("GET", "/reports/")[0] == 200  # the author carries on working
        sent.append({"marker": marker, "author": key, "address": address, "at": time.time()})

        address = f"127.0.0.{100 + i}"
        public = Browser(server["port"], address)
        token, page = public.csrf(f"/o/{server['form']}/")
        captcha = re.search(r'name="token" value="([^"]+)"', page).group(1)
        answer = humancheck.answer_for_tests(captcha, secret_key=server["secret"])
        marker = f"群众意见第{i}号：办事要跑好几趟"
        status, page, _ = public.request(
            "POST",
            f"/o/{server['form']}/",
            {"csrfmiddlewaretoken": token, "content": marker, "submitter_kind": "masses", "contact": "",
             "answer": answer, "token": captcha},
        )  # fmt: skip
        assert status == 200 and "回执码" in page, page[:1500]
        sent.append({"marker": marker, "author": "public", "address": address, "at": time.time()})
    return sent


@needs_redis
def test_the_server_files_link_no_opinion_to_its_author(server):
    db, wal = server["var"] / "db.sqlite3", server["var"] / "db.sqlite3-wal"
    # Another open connection (a second worker, the operator's own) keeps the -wal file from being
    # removed when a request's connection closes: the worst case for the author.
    keeper = sqlite3.connect(db)
    keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()
    started = time.time()
    sent = leave_opinions(server)
    markers = [s["marker"].encode() for s in sent]

    # 1. During the day: the opinions are nowhere in the database files, so no commit of theirs can
    #    sit next to the author's log-in or session in the write-ahead log.
    files = copy_of(db) + copy_of(wal)
    assert not [m for m in markers if m in files]

    # 2. The day's batch: one transaction, in random order.
    before = wal.exists()
    out = server["manage"]("seal_anonymous_input", "--flush")
    assert f"{len(sent)} written" in out and wal.exists(), (out, before, wal.exists())
    commits = wal_commits(wal)
    holding = {m: {i for i, c in enumerate(commits) if m in c} for m in markers}
    assert all(holding.values()), "every opinion is in the WAL after the flush"
    assert len(set().union(*holding.values())) == 1, "all opinions were committed together"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT rowid, id, content FROM problems_opinion ORDER BY rowid").fetchall()
        assert all(rowid == pk for rowid, pk, _ in rows)  # the random key is the physical order
        stored = [next(i for i, s in enumerate(sent) if s["marker"] == content) for _, _, content in rows]
        assert sorted(stored) == list(range(len(sent)))
        assert fixed_points(stored) <= CHANCE_BOUND
        columns = [r[1] for r in conn.execute("PRAGMA table_info(problems_opinion)")]
        assert not {"created_at", "submitted_at", "ip", "address", "user_agent"} & set(columns)
        assert conn.execute("SELECT count(*) FROM problems_opinion WHERE submitter_id IS NOT NULL").fetchone() == (0,)

        # 3. The audit trail (shown to the office): nothing per opinion, no actor, no time of day.
        audit = conn.execute("SELECT seq, at, actor_id, action, object_id, changes FROM audit_auditrecord").fetchall()
        ids = {str(pk) for _, pk, _ in rows}
        assert not [a for a in audit if a[4] in ids or "opinion" in a[3]]

        # 4. The task table: nothing was queued by a submission.
        tasks = conn.execute(
            "SELECT enqueued_at, args_kwargs, task_path FROM django_tasks_database_dbtaskresult"
        ).fetchall()
        assert not [t for t in tasks if "opinion" in t[2] or any(i in t[1] for i in ids)]

    # 5. The next day: the day's total enters the audit trail, dated by the day alone.
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    server["manage"](
        "shell",
        code=f"from datetime import date; from problems.services import anonymous_input_seal; "
        f"anonymous_input_seal(today=date.fromisoformat('{tomorrow}'))",
    )
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        totals = conn.execute(
            "SELECT at, actor_id, actor_label, changes FROM audit_auditrecord WHERE action = 'opinion.receive_day'"
        ).fetchall()
    assert sum(json.loads(t[3])["count"] for t in totals) == len(sent)
    assert all(t[1] is None and t[2] == "" and t[0].endswith(("16:00:00", "00:00:00")) for t in totals)
    assert wal_commits(wal) == []  # checkpointed and truncated

    # 6. Logs: stop the server (its workers write the day's counts), then look for any line that
    #    pairs an anonymous request with an address or a time.
    server["proc"].send_signal(signal.SIGTERM)
    server["proc"].wait(timeout=30)
    access = server["access"].read_text()
    app_log = server["app_log"].read_text()
    anonymous = re.compile(r"/o/|/problems/opinions/new")
    for line in (access + app_log).splitlines():
        if anonymous.search(line):
            assert not re.search(r"127\.0\.0\.\d+|\d\d:\d\d:\d\d", line), line
    assert re.search(r"POST /o/… 200 ×8", access)  # the day's count, one line
    assert re.search(r"POST /problems/opinions/new/ 200 ×8", access)
    for s in sent:
        assert s["address"] not in app_log
        if s["author"] == "public":
            assert s["address"] not in access  # the public sender's address appears nowhere
    assert time.time() - started < 600
    keeper.close()


@pytest.fixture
def dropbox_on(settings):
    settings.RECTIFY_DROPBOX_URL = REDIS_URL
    settings.RECTIFY_DROPBOX_KEY = f"test:{uuid.uuid4().hex}"
    settings.RECTIFY_DROPBOX_BATCH = 10
    yield
    import redis

    redis.Redis.from_url(REDIS_URL).delete(settings.RECTIFY_DROPBOX_KEY, settings.RECTIFY_DROPBOX_KEY + ":flushing")


def post_public(cast, i: int) -> str:
    from core.ratelimit import store

    from .test_opinions import public_post

    store().clear()
    marker = f"群众意见第{i}号：办事要跑好几趟"
    r = public_post(Client(REMOTE_ADDR=f"10.0.{i}.1"), cast.dept_a, marker)
    assert r.status_code == 200 and "回执码" in r.content.decode()
    return re.search(r"<code>([A-Z0-9]{12})</code>", r.content.decode()).group(1), marker


@needs_redis
def test_it_keeps_opinions_in_the_drop_box_until_the_day_is_over(cast, campaign, dropbox_on, client):
    from problems.models import Opinion
    from problems.services import anonymous_input_flush

    code, _ = post_public(cast, 0)
    assert not Opinion.objects.exists()
    page = client.post("/o/receipt/", {"code": code}).content.decode()
    assert "您的意见已收到" in page and "没有" not in page
    assert anonymous_input_flush() == 0  # one item, the day not over: it waits
    assert anonymous_input_flush(today=date.today() + timedelta(days=2)) == 1
    assert Opinion.objects.get().receipt_code == code
    page = client.post("/o/receipt/", {"code": code}).content.decode()
    assert "办理单位" in page and "您的意见已收到" not in page


@needs_redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_keeps_no_order_in_ctid_or_xmin(cast, campaign, dropbox_on):
    from django.db import connection

    from problems.services import anonymous_input_flush, anonymous_input_seal

    sent = [post_public(cast, i)[1] for i in range(16)]
    assert anonymous_input_flush(force=True) == 16

    def physical():
        with connection.cursor() as cursor:
            cursor.execute("SELECT xmin::text, content FROM problems_opinion ORDER BY ctid")
            return cursor.fetchall()

    rows = physical()
    assert len({x for x, _ in rows}) == 1  # one transaction: xmin tells nothing apart
    assert fixed_points([sent.index(c) for _, c in rows]) <= CHANCE_BOUND
    anonymous_input_seal(today=date.today() + timedelta(days=2))  # rewritten in random order, VACUUM FULL
    rows = physical()
    assert len({x for x, _ in rows}) == 1
    assert fixed_points([sent.index(c) for _, c in rows]) <= CHANCE_BOUND
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM problems_opinion WHERE NOT sealed")
        assert cursor.fetchone() == (0,)
