"""Warning colours at their boundaries (frozen time), escalation, and reminders through every channel."""

import json
import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.models import AccountabilityCase
from core.exceptions import ServiceError
from notifications.models import Notification
from notifications.webhooks import robot_payload, send_webhook, signed_url
from rectification import services
from rectification.models import Measure, MeasureWarning
from rectification.warnings import colour_of, warning_policy_set, warnings_send

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = date(2026, 12, 20)  # measure_a's deadline; default thresholds 14 / 3 days


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ), tick=False)


@pytest.mark.parametrize(
    "day,colour",
    [
        (date(2026, 12, 5), "none"),  # 15 days before
        (date(2026, 12, 6), "green"),  # 14 days before: green starts
        (date(2026, 12, 16), "green"),  # 4 days before
        (date(2026, 12, 17), "yellow"),  # 3 days before: yellow starts
        (date(2026, 12, 20), "yellow"),  # the deadline itself is not overdue
        (date(2026, 12, 21), "red"),  # one day late
    ],
)
def test_it_colours_a_measure_at_the_boundaries(measure_a, day, colour):
    with at(day):
        assert colour_of(measure_a) == colour


def test_it_has_no_colour_once_verified_or_without_deadline(cast, measure_a):
    Measure.objects.filter(pk=measure_a.pk).update(time_class="long_term", deadline=None)
    measure_a.refresh_from_db()
    with at(date(2027, 6, 1)):
        assert colour_of(measure_a) == "none"


def test_it_uses_the_thresholds_the_office_sets(cast, campaign, measure_a):
    with pytest.raises(PermissionDenied):
        warning_policy_set(actor=cast.user("head_a"), campaign=campaign, green_days=30, yellow_days=10)
    with pytest.raises(ServiceError):
        warning_policy_set(actor=cast.user("office"), campaign=campaign, green_days=5, yellow_days=10)
    warning_policy_set(actor=cast.user("office"), campaign=campaign, green_days=30, yellow_days=10)
    measure_a.refresh_from_db()
    with at(date(2026, 11, 21)):  # 29 days before
        assert colour_of(Measure.objects.select_related("plan__campaign").get(pk=measure_a.pk)) == "green"
    with at(date(2026, 12, 10)):  # 10 days before
        assert colour_of(Measure.objects.select_related("plan__campaign").get(pk=measure_a.pk)) == "yellow"


def _recipients(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_it_escalates_from_owner_to_supervisor_to_unit_head(cast, measure_a, django_capture_on_commit_callbacks):
    owner, sup, head = (cast.user(k).username for k in ("cadre_a", "supervisor", "head_a"))
    with at(date(2026, 12, 10)), django_capture_on_commit_callbacks(execute=True):
        assert warnings_send() == {"green": 1}
    assert _recipients("rectification_green") == {owner}
    with at(date(2026, 12, 18)), django_capture_on_commit_callbacks(execute=True):
        assert warnings_send() == {"yellow": 1}
    assert _recipients("rectification_yellow") == {owner, sup}
    with at(date(2026, 12, 22)), django_capture_on_commit_callbacks(execute=True):
        assert warnings_send() == {"red": 1}
    assert _recipients("rectification_red") == {owner, sup, head}
    # e-mail went out for each warning, to the addresses of the people warned
    red_mail = [m for m in mail.outbox if "head_a@example.cn" in m.to]
    assert red_mail and "cadre_a@example.cn" in red_mail[0].to
    # re-running sends nothing twice
    with at(date(2026, 12, 23)):
        assert warnings_send() == {}
    assert MeasureWarning.objects.filter(measure=measure_a).count() == 3


def test_it_warns_afresh_after_an_extension(cast, measure_a):
    with at(date(2026, 12, 18)):
        warnings_send()
        ext = services.extension_request(
            actor=cast.user("cadre_a"), measure=measure_a, reason="r", new_deadline=date(2027, 1, 5)
        )
        services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=True)
    with at(date(2027, 1, 3)):
        assert warnings_send() == {"yellow": 1}


def test_it_sends_no_warning_for_a_closeout_waiting_for_review(cast, measure_a):
    from .helpers import pdf

    services.evidence_add(actor=cast.user("cadre_a"), measure=measure_a, files=[pdf()])
    services.measure_start(actor=cast.user("cadre_a"), measure=measure_a)
    services.closeout_request(actor=cast.user("cadre_a"), measure=measure_a)
    with at(date(2026, 12, 22)):
        assert warnings_send() == {}


class Receiver:
    """A local stand-in for the 企业微信 / 钉钉 robot: records each POST and answers errcode 0."""

    def __init__(self, answer=None):
        received = self.received = []
        answer = answer or {"errcode": 0, "errmsg": "ok"}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                received.append({"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)})
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_it_posts_the_warnings_to_the_group_robot_webhook(
    cast, measure_a, settings, django_capture_on_commit_callbacks
):
    with Receiver() as robot:
        settings.RECTIFY_WEBHOOK_URLS = [robot.url]
        with at(date(2026, 12, 22)), django_capture_on_commit_callbacks(execute=True):
            warnings_send()
    assert len(robot.received) == 1
    req = robot.received[0]
    assert req["headers"]["Content-Type"].startswith("application/json")
    payload = json.loads(req["body"].decode("utf-8"))
    assert payload["msgtype"] == "text"
    content = payload["text"]["content"]
    assert "规范调停课审批" in content and "2026-12-20" in content and cast.cadre_a.name in content


def test_it_counts_a_robot_that_refuses_as_not_delivered(settings):
    with Receiver(answer={"errcode": 93000, "errmsg": "invalid webhook url"}) as bad, Receiver() as good:
        assert send_webhook.call(text="测试", urls=[bad.url, good.url]) == 1
    assert len(bad.received) == 1 and len(good.received) == 1


def test_it_sends_nothing_and_fails_nothing_without_webhook_urls(cast, measure_a, settings):
    settings.RECTIFY_WEBHOOK_URLS = []
    with at(date(2026, 12, 22)):
        assert warnings_send() == {"red": 1}


def test_it_signs_dingtalk_urls_and_keeps_messages_within_the_robot_limit():
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SEC123", now_ms=1700000000000)
    assert "&timestamp=1700000000000&sign=" in url
    # known value: base64(hmac_sha256("SEC123", "1700000000000\nSEC123")), URL-encoded
    import base64
    import hashlib
    import hmac
    import urllib.parse

    expected = urllib.parse.quote_plus(
        base64.b64encode(hmac.new(b"SEC123", b"1700000000000\nSEC123", hashlib.sha256).digest())
    )
    assert url.endswith(expected)
    long = robot_payload("整" * 3000)["text"]["content"]
    assert len(long.encode("utf-8")) <= 2000


def test_it_opens_an_accountability_case_for_an_overdue_measure_when_the_office_decides(cast, measure_a, client_for):
    with at(date(2026, 12, 10)):
        with pytest.raises(ServiceError):
            services.measure_case_open(actor=cast.user("office"), measure=measure_a, facts="x")
    with at(date(2026, 12, 22)):
        with pytest.raises(PermissionDenied):
            services.measure_case_open(actor=cast.user("head_a"), measure=measure_a, facts="逾期")
        response = client_for(cast.user("office")).post(
            f"/rectification/measures/{measure_a.pk}/case/", {"facts": "整改措施逾期未完成"}
        )
    assert response.status_code == 302
    case = AccountabilityCase.objects.get()
    assert case.person == cast.cadre_a and case.trigger == "measure_overdue"
    assert case.trigger_ref == f"rectification.measure:{measure_a.pk}"


def test_it_registers_the_warning_task_with_the_scheduler():
    from core.registry import periodic_tasks

    assert "rectification.measure_warnings" in {p.name for p in periodic_tasks()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL")
def test_the_warnings_board_reads_the_partial_index_of_unfinished_measures_on_postgresql(cast, campaign, measure_a):
    """Index measure_unfinished_warnings holds only unfinished measures with a deadline: the board's count
    and each colour's page must keep the conditions that let PostgreSQL use it, or the board reads every
    measure of the city again."""
    from rectification import selectors

    window = {"today": date(2026, 12, 18), "green_days": 14, "yellow_days": 3}
    office = cast.user("office")
    queries = [selectors.warning_measures(office, campaign, **window)["red"].values("pk")]
    with CaptureQueriesContext(connection) as counted:
        assert selectors.warning_counts(office, campaign, **window)["yellow"] == 1
    with connection.cursor() as cur:
        # Left to choose from: the primary key's whole length, or the partial index if the conditions imply its
        # own (the other indexes of the table are dropped inside the test's transaction, rolled back after it).
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'rectification_measure' AND indexname NOT IN "
            "('rectification_measure_pkey', 'measure_unfinished_warnings') AND indexdef NOT LIKE '%UNIQUE%'"
        )
        for (index,) in cur.fetchall():
            cur.execute(f'DROP INDEX "{index}"')  # nosec B608 (names read from pg_indexes)
        cur.execute("SET LOCAL enable_seqscan = off")
        (count,) = [q["sql"] for q in counted if 'FROM "rectification_measure"' in q["sql"]]  # (after the plans)
        for sql, params in [q.query.sql_with_params() for q in queries] + [(count, None)]:
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
            assert "measure_unfinished_warnings" in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the plan of SQLite")
def test_the_warnings_board_reads_the_partial_index_alone_on_sqlite(cast, campaign, measure_a):
    """SQLite has no INCLUDE: migration 0007 puts the columns the board's visibility test reads, and the
    status, after the keys of measure_unfinished_warnings, so that the count and each colour's page read the
    index alone (at city size every unfinished measure of a campaign was otherwise read from the table, by
    rowid). The plan is asked for with the index named (INDEXED BY): this small table's own choice would be
    to read it whole, and SQLite says whether the index alone answers the query."""
    from rectification import selectors

    with connection.cursor() as cur:
        cur.execute("SELECT name FROM pragma_index_info('measure_unfinished_warnings') ORDER BY seqno")
        columns = [row[0] for row in cur.fetchall()]
    assert columns == ["plan_id", "deadline", "responsible_unit_id", "owner_id", "responsible_leader_id", "status"]
    window = {"today": date(2026, 12, 18), "green_days": 14, "yellow_days": 3}
    office = cast.user("office")
    with CaptureQueriesContext(connection) as counted:  # as run, with the values in the text
        assert selectors.warning_counts(office, campaign, **window)["yellow"] == 1
        for colour, measures in selectors.warning_measures(office, campaign, **window).items():
            assert len(measures.values_list("pk", flat=True)) == (colour == "yellow")
    table = 'FROM "rectification_measure" '
    with connection.cursor() as cur:
        statements = [q["sql"] for q in counted if table in q["sql"]]
        assert len(statements) == 4  # the count, and each colour's page
        for sql in statements:
            cur.execute("EXPLAIN QUERY PLAN " + sql.replace(table, table + 'INDEXED BY "measure_unfinished_warnings" '))
            plan = "\n".join(str(row[-1]) for row in cur.fetchall())
            assert "USING COVERING INDEX measure_unfinished_warnings" in plan, plan
