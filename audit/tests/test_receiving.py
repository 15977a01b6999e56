"""The city office's end of the anchors, end to end with the test client: the city office registers an
institution and hands over its token; the institution's instance POSTs each anchor (audit.anchors.deliver,
its HTTP call routed into this site's test client); the city office's pages list what each institution
sent, newest first; and the institution's `audit_verify --anchors FILE` checks its trail against the
city's copies, which a rewind of the trail with its own anchors erased cannot escape."""

import io
import json
import re
import time
import urllib.request

import pytest
from django.core.management import call_command
from django.test import Client

from audit import anchors
from audit.models import AnchorSender, AuditAnchor, AuditHead, AuditRecord, ReceivedAnchor
from audit.services import audit_anchor, audit_record

pytestmark = pytest.mark.django_db
RECEIVE = "/anchors/receive/"


class _Answer:
    def __init__(self, response):
        self.status = response.status_code
        self.body = response.content

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def wire(monkeypatch, settings):
    """The institution's urlopen, delivered to this site's /anchors/receive/ through the test client."""
    sent = []
    client = Client()

    def urlopen(req, timeout=None):
        headers = {k.title(): v for k, v in req.header_items()}
        response = client.post(
            req.full_url.split("city.example.cn", 1)[1],
            data=req.data,
            content_type="application/json",
            headers={k: v for k, v in headers.items() if k.startswith("X-Rectify")},
        )
        sent.append(response)
        if response.status_code >= 400:
            raise urllib.error.HTTPError(req.full_url, response.status_code, response.content.decode(), {}, None)
        return _Answer(response)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    settings.AUDIT_ANCHOR_URL = "https://city.example.cn" + RECEIVE
    return sent


def register(cast, name="江城职业技术学院", code="zy-college") -> str:
    city = Client()
    city.force_login(cast.user("city_official"))
    page = city.post("/audit/anchors/", {"name": name, "code": code}).content.decode()
    (token,) = re.findall(r'<code class="token">([^<]+)</code>', page)
    assert token.startswith(code + ":")
    assert token not in city.get("/audit/anchors/").content.decode()  # shown once
    return token


def records(n: int, start: int = 0):
    for i in range(start, start + n):
        audit_record(actor=None, action=f"test.{i}", changes={"i": i})


def post(body: bytes, token: str, *, at: float | None = None, signature: str | None = None):
    headers = anchors.signed_headers(token, body, now=at)
    if signature is not None:
        headers[anchors.SIGNATURE_HEADER] = signature
    return Client().post(RECEIVE, data=body, content_type="application/json", headers=headers)


def test_the_city_office_receives_lists_and_the_institution_verifies_against_its_copies(cast, wire, settings, tmp_path):
    settings.AUDIT_ANCHOR_TOKEN = register(cast)
    records(3)
    first = audit_anchor()
    records(2, start=3)
    second = audit_anchor()
    assert [r.status_code for r in wire] == [201, 201]
    assert "201" in AuditAnchor.objects.get(pk=second.pk).delivered

    sender = AnchorSender.objects.get(code="zy-college")
    kept = list(sender.anchors.values_list("n", "seq", "hash", "line"))
    assert kept == [(2, second.seq, second.hash, second.line), (1, first.seq, first.hash, first.line)]

    city = Client()
    city.force_login(cast.user("city_official"))
    listing = city.get("/audit/anchors/").content.decode()
    assert "江城职业技术学院" in listing and f"#{second.seq}" in listing
    page = city.get(f"/audit/anchors/{sender.pk}/").content.decode()
    rows = re.findall(r"<tr[^>]*>\s*<td>(\d+)</td><td>#(\d+)</td>", page)
    assert rows == [("2", str(second.seq)), ("1", str(first.seq))]  # newest first
    download = city.get(f"/audit/anchors/{sender.pk}/download/")
    received = tmp_path / "anchors-zy-college.jsonl"
    received.write_bytes(download.content)
    assert download.content.decode().splitlines() == [first.line, second.line]

    # The institution's trail checks against the city's copies.
    out = io.StringIO()
    call_command("audit_verify", "--anchors", str(received), stdout=out)
    assert "intact" in out.getvalue() and "3 anchors" not in out.getvalue()

    # Someone with the institution's database and files removes the last records, moves the head back and
    # erases the anchors kept here: its own anchors no longer see anything…
    AuditRecord.objects.filter(seq__gt=first.seq).delete()
    last = AuditRecord.objects.get(seq=first.seq)
    AuditHead.objects.filter(pk=1).update(last_seq=last.seq, last_hash=last.hash)
    AuditAnchor.objects.filter(n=2).delete()
    lines = [ln for ln in anchors.path().read_text().splitlines() if json.loads(ln)["n"] != 2]
    anchors.path().write_text("".join(ln + "\n" for ln in lines))
    call_command("audit_verify", stdout=io.StringIO())  # passes: nothing here remembers anchor #2
    # … but the city office's copy of anchor #2 names a record that is gone.
    err = io.StringIO()
    with pytest.raises(SystemExit) as e:
        call_command("audit_verify", "--anchors", str(received), stdout=io.StringIO(), stderr=err)
    assert e.value.code == 1
    assert "anchor #2 (received by the city office" in err.getvalue()
    assert f"names record #{second.seq}, but the trail ends at #{first.seq}" in err.getvalue()

    # The rewound instance anchors again, under number 2: the city office keeps both and marks the new one.
    records(1, start=10)
    audit_anchor()
    assert wire[-1].status_code == 409
    assert list(sender.anchors.order_by("pk").values_list("n", "note")) == [(1, ""), (2, ""), (2, "conflict")]
    page = city.get(f"/audit/anchors/{sender.pk}/").content.decode()
    assert 'class="bad"' in page
    assert "1" in re.findall(r"<strong class=\"bad\">(\d+)</strong>", city.get("/audit/anchors/").content.decode())


def test_it_refuses_what_a_registered_sender_did_not_sign(cast, settings):
    token = register(cast)
    code, secret = token.split(":")
    line = anchors.make_line(
        n=1, at="2026-11-30T01:00:00+00:00", seq=5, hash="a" * 64, key_id="k1", prev="", secret=b"s"
    )
    body = json.dumps({"source": "zy.example.cn", "anchor": json.loads(line)}).encode()
    assert post(body, token, signature="0" * 64).status_code == 401  # forged
    assert post(body, f"{code}:another-secret").status_code == 401  # another secret
    assert post(body, f"nobody:{secret}").status_code == 401  # unknown sender
    assert post(body, token, at=time.time() - 3600).status_code == 401  # an old POST replayed
    assert Client().get(RECEIVE).status_code == 405
    assert not ReceivedAnchor.objects.exists()
    assert post(b'{"anchor": {"n": "x"}}', token).status_code == 400
    assert post(b"\xff\xfe not json", token).status_code == 400
    assert post(b"{" + b" " * 5000 + b"}", token).status_code == 413
    assert not ReceivedAnchor.objects.exists()
    # signed properly: stored once; the same line again is not stored twice; another line under the same
    # number is kept beside the first and marked
    assert post(body, token).status_code == 201
    assert post(body, token).status_code == 200
    other = anchors.make_line(
        n=1, at="2026-11-30T02:00:00+00:00", seq=4, hash="b" * 64, key_id="k1", prev="", secret=b"s"
    )
    assert post(json.dumps({"anchor": json.loads(other)}).encode(), token).status_code == 409
    assert list(ReceivedAnchor.objects.order_by("pk").values_list("n", "note")) == [(1, ""), (1, "conflict")]
    # the next anchor names an earlier record than #1 did: the head moved back; one that does not chain on
    mac1 = json.loads(line)["mac"]
    back = anchors.make_line(
        n=2, at="2026-11-30T03:00:00+00:00", seq=3, hash="c" * 64, key_id="k1", prev=mac1, secret=b"s"
    )
    assert post(json.dumps({"anchor": json.loads(back)}).encode(), token).status_code == 201
    loose = anchors.make_line(
        n=3, at="2026-11-30T04:00:00+00:00", seq=9, hash="d" * 64, key_id="k1", prev="", secret=b"s"
    )
    assert post(json.dumps({"anchor": json.loads(loose)}).encode(), token).status_code == 201
    assert list(ReceivedAnchor.objects.filter(n__gt=1).order_by("n").values_list("note", flat=True)) == [
        "rewound",
        "broken",
    ]
    with pytest.raises(ValueError):
        ReceivedAnchor.objects.first().delete()
    kept = ReceivedAnchor.objects.first()
    kept.seq = 99
    with pytest.raises(ValueError):
        kept.save()


def test_only_the_city_office_sees_and_registers_senders(cast):
    for key in ("office", "cadre_a"):
        c = Client()
        c.force_login(cast.user(key))
        assert c.get("/audit/anchors/").status_code == 403
        assert c.post("/audit/anchors/", {"name": "x", "code": "x"}).status_code == 403
    assert not AnchorSender.objects.exists()
    assert Client().get("/audit/anchors/").status_code == 302  # to the log-in page
