"""Sealed rounds: the committee's key sheet at open, the close page, nothing for anyone while voting
runs, nothing for the targets until the office publishes, and ballot pages of one size."""

import re

from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import AuditRecord
from evaluations.models import Ballot, Evaluation, EvaluationTarget, SealedBallot
from evaluations.services import ballot_questions, codes_issue, evaluation_publish, evaluation_tally

KEY_OR_SHARE = re.compile(r"\b[KS][123]?-[A-Z2-7]{5}(?:-[A-Z2-7]{1,5})+")


def _answers(ev, label="满意"):
    grade = ev.grades.get(label=label).pk
    return {f"a-{t.pk}-{i.pk}": grade for t, items in ballot_questions(ev) for i in items}


def _ready_round(make_round, office):
    ev = make_round()
    codes = {}
    for g in ev.groups.all():
        _b, codes[g.name] = codes_issue(actor=office, evaluation=ev, group=g, count=6)
    return ev, codes


def _dump_database() -> str:
    """Every value of every table, as text (what an operator copying the database would have)."""
    out = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT * FROM "{table}"')
            out += [repr(row) for row in cur.fetchall()]
    return "\n".join(out)


def test_it_opens_with_a_key_sheet_shown_once_and_closes_with_two_of_three_shares(cast, make_round, office, client_for):
    ev, codes = _ready_round(make_round, office)
    c = client_for(office)
    sheet = c.post(reverse("evaluations:open", args=[ev.pk]), {"split": "shares"})
    assert sheet.status_code == 200 and sheet["Cache-Control"] == "no-store"
    body = sheet.content.decode()
    shares = KEY_OR_SHARE.findall(body)
    assert [s[:2] for s in shares] == ["S1", "S2", "S3"] and body.count("<svg") == 3
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.OPEN and ev.key_fingerprint in body
    # the server keeps the public key only: no share, no key anywhere in the database
    dump = _dump_database()
    assert not any(s in dump for s in shares)
    assert "密钥" in c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    # voters vote; share 1 is lost
    for code in codes["党员"][:5]:
        Client().post(reverse("evaluations_public:submit"), {"code": code, **_answers(ev)})
    assert SealedBallot.objects.count() == 5
    close_url = reverse("evaluations:close", args=[ev.pk])
    page = c.get(close_url).content.decode()
    assert 'name="key"' in page and 'name="key_file"' in page and ev.key_fingerprint in page
    # one share is not enough, a mistyped one is refused: nothing changes
    r = c.post(close_url, {"key": shares[1]})
    assert r.status_code == 400 and "至少提供两份" in r.content.decode()
    # a typing mistake inside the share (the last letter may only carry unused padding bits)
    i = shares[2].index("-") + 1
    mistyped = shares[2][:i] + ("B" if shares[2][i] == "A" else "A") + shares[2][i + 1 :]
    r = c.post(close_url, {"key": shares[1] + "\n" + mistyped})
    assert r.status_code == 400
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.OPEN and SealedBallot.objects.count() == 5
    # shares 2 and 3: one typed, one uploaded as the key file
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = c.post(close_url, {"key": shares[2], "key_file": SimpleUploadedFile("s2.txt", shares[1].encode())})
    assert r.status_code == 302
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.CLOSED and ev.public_key is None
    assert Ballot.objects.count() == 5 and not SealedBallot.objects.exists()
    assert not any(s in str(a.changes) for a in AuditRecord.objects.all() for s in shares)


def test_a_whole_key_sheet_holds_one_key(cast, make_round, office, client_for):
    ev, _codes = _ready_round(make_round, office)
    body = client_for(office).post(reverse("evaluations:open", args=[ev.pk]), {"split": "whole"}).content.decode()
    keys = KEY_OR_SHARE.findall(body)
    assert len(keys) == 1 and keys[0].startswith("K-")


def test_a_round_without_online_ballots_closes_without_a_key(cast, make_round, office, client_for):
    ev, _codes = _ready_round(make_round, office)
    c = client_for(office)
    c.post(reverse("evaluations:open", args=[ev.pk]), {"split": "whole"})
    assert "不需要评议小组的密钥" in c.get(reverse("evaluations:close", args=[ev.pk])).content.decode()
    assert c.post(reverse("evaluations:close", args=[ev.pk]), {"key": ""}).status_code == 302
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.CLOSED


ROLES = [
    "city_official",
    "principal",
    "supervisor",
    "office",
    "head_a",
    "member_a",
    "cadre_a",
    "staff_a",
    "cadre_a2",
    "head_b",
    "outsider",
]
# who may view the college's rounds at all
VIEWERS = {"city_official", "principal", "supervisor", "office"}


def _figures_shown(c, ev) -> dict:
    """What a user gets of the round's figures: page with figures, each export."""
    page = c.get(reverse("evaluations:results", args=[ev.pk]))
    body = page.content.decode() if page.status_code == 200 else ""
    return {
        "page": page.status_code == 200 and ("data-chart" in body or "满意度" in body),
        "turnout": "已用评议码" in body and "参评率" in body,
        "xlsx": c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).status_code == 200,
        "docx": c.get(reverse("evaluations:export", args=[ev.pk, "docx"])).status_code == 200,
        "result_on_detail": "status-failed" in c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode(),
    }


def test_targets_and_everyone_else_get_nothing_until_the_office_publishes(
    cast, make_round, office, client_for, open_a_round, close_round, vote
):
    ev = make_round()
    # the principal is a target (the leadership team), and so is head_a in person
    team = EvaluationTarget.objects.create(evaluation=ev, kind="team", unit=cast.college, order=5)
    person = EvaluationTarget.objects.create(
        evaluation=ev, kind="person", unit=cast.dept_a, person=cast.head_a, order=6
    )
    codes = {g.name: codes_issue(actor=office, evaluation=ev, group=g, count=6)[1] for g in ev.groups.all()}
    ev = open_a_round(ev)
    a, b = ev.targets.filter(kind="unit_work").order_by("order")
    for code in codes["党员"] + codes["群众"]:
        vote(ev, code, {a: "满意", b: "不满意", team: "不满意", person: "满意"})
    nothing = {"page": False, "turnout": False, "xlsx": False, "docx": False, "result_on_detail": False}
    clients = {role: _client(cast.user(role)) for role in ROLES}
    anonymous = Client()
    assert anonymous.get(reverse("evaluations:results", args=[ev.pk])).status_code == 302  # to the log-in
    # open: the office sees turnout only, everyone else nothing
    for role, c in clients.items():
        expected = dict(nothing, turnout=role == "office")
        assert _figures_shown(c, ev) == expected, role
    # closed, then tallied: still nothing but turnout; the results for the office once tallied
    close_round(ev)
    for role, c in clients.items():
        assert _figures_shown(c, ev) == dict(nothing, turnout=role == "office"), role
    evaluation_tally(actor=office, evaluation=ev)
    for role, c in clients.items():
        office_sees = role == "office"
        expected = {k: office_sees for k in nothing} | {"turnout": office_sees}
        assert _figures_shown(c, ev) == expected, role
    # an office member who is a target sees nothing before publication either
    from orgs.models import RoleAssignment
    from orgs.services import role_assign

    role_assign(actor=None, person=cast.head_a, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=cast.college)
    assert _figures_shown(_client(cast.user("head_a")), ev) == nothing
    RoleAssignment.objects.filter(person=cast.head_a).delete()
    # published: everyone who may view the round sees the results, the targets included
    evaluation_publish(actor=office, evaluation=ev)
    for role in ROLES:
        shown = role in VIEWERS
        expected = {k: shown for k in nothing} | {"turnout": shown}
        assert _figures_shown(_client(cast.user(role)), ev) == expected, role


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_ballot_page_has_one_size_whatever_the_group(open_round):
    ev, codes = open_round(groups=(("党员", 10, 5, 1), ("服务对象代表", 10, 5, 1), ("群众", 10, 5, 1)))
    sizes = {}
    for name, group_codes in codes.items():
        for code in group_codes[:2]:
            r = Client().post(reverse("evaluations_public:open"), {"code": code})
            assert r.status_code == 200 and name in r.content.decode()
            sizes[(name, code)] = len(r.content)
    assert len(set(sizes.values())) == 1, sizes
    # typing the code differently does not change the size either
    code = codes["群众"][2]
    r = Client().post(reverse("evaluations_public:open"), {"code": code.lower().replace("-", " ")})
    assert len(r.content) == next(iter(sizes.values()))
