"""The hostile-input corpus against every form, every upload and every filter of the site.

The corpus is data: rectify/tests/data/hostile/values.json (strings: very long, NUL bytes, RTL
overrides, HTML and script, SQL, spreadsheet formulas, huge and negative numbers, extreme dates…) and
files.json with files/ (HTML named .png, SVG with script, a zip bomb kept tiny, an XML bomb, invalid
UTF-8, CSV and xlsx with formulas and external links, path-traversal and RTL file names…; made by
make_files.py). Add a case by adding a line there.

The forms are found the way a browser finds them: every page of the site is opened by the campaign
office, a department head, a cadre and an anonymous visitor, and every form on it is kept (HTMX
`hx-post` forms included). Each POST form is then sent once per value of the corpus, field j of
request i holding value (i + j) mod n, so that every field receives every value and every file input
every file. Each request is rolled back (rectify/tests/sweep.py). What must hold:

- no server error;
- nothing half-stored: a refused submission (4xx, or the form shown again with errors) leaves every
  table as it was;
- nothing executed: no HTML page shows a script of the corpus unescaped, neither the answer nor the
  page a successful submission leads to.

The GET forms (filters) and the query parameters that the list pages link to are fuzzed the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase
from django.urls import NoReverseMatch

from .sweep import Form, forms_of, path_for, row_counts, url_patterns
from .world import ROLES, args_for, build_world

DATA = Path(__file__).parent / "data" / "hostile"
VALUES: dict[str, str] = json.loads((DATA / "values.json").read_text(encoding="utf-8"))
FILES: list[dict] = json.loads((DATA / "files.json").read_text(encoding="utf-8"))
# Raw markup of the corpus that must never come back unescaped in an HTML page.
MARKUP = [v for k, v in VALUES.items() if k.startswith("html_")]
DISCOVERERS = ("office", "head", "cadre", "anon")
# The POST-form sweep sends every form once per corpus value (about 80 forms × 60, half an hour of CPU
# time on the shared 2-core build machine). By default it sends every form every SUBSET-th round of
# that: each field still gets a twelfth of the values, the same ones on every run, and every form and
# upload is sent. REGRESS_HOSTILE_FORMS=1 sends them all. REGRESS_HOSTILE_ONLY=/path/ keeps the forms
# whose action starts with that path (to look at one form's failures).
FULL_SWEEP = bool(os.environ.get("REGRESS_HOSTILE_FORMS"))
SUBSET = 1 if FULL_SWEEP else 12
ONLY = os.environ.get("REGRESS_HOSTILE_ONLY", "")
FILES_OUT = (".pdf", ".docx", ".xlsx", ".svg", ".json", ".<str:fmt>", "file/<str:fmt>/", "download/")  # no forms
SKIP = {"logout", "set_language", "login"}  # log-in limits have their own tests (accounts lock)


def upload(case: dict) -> SimpleUploadedFile:
    return SimpleUploadedFile(case["upload_as"], (DATA / "files" / case["file"]).read_bytes())


def is_html(response) -> bool:
    return response.headers.get("Content-Type", "").startswith("text/html")


def unescaped_markup(response) -> list[str]:
    if not is_html(response) or getattr(response, "streaming", False):
        return []
    text = response.content.decode("utf-8", "replace")
    return [m for m in MARKUP if m in text]


class HostileInputTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.working_measure = working_measure(cls.world)
        cls._found = None

    def clients(self) -> dict[str, Client]:
        out = {}
        for role in DISCOVERERS:
            out[role] = Client(raise_request_exception=True)
            if ROLES[role]:
                out[role].force_login(self.world.user(ROLES[role]))
        return out

    def found(self):
        """(POST forms, GET forms with the pages' own query parameters), each with the role that saw it."""
        cls = type(self)
        if cls._found is not None:
            return cls._found
        cls._found = ([], [])
        clients = self.clients()
        seen_post, seen_get = {}, {}
        pages = []
        for route in url_patterns():
            if route.name.startswith("admin:") or route.name in SKIP or route.route.endswith(FILES_OUT):
                continue
            kwargs = args_for(route.name, list(route.params), self.world)
            if kwargs is None:
                continue
            try:
                pages.append(path_for(route, kwargs))
            except NoReverseMatch:
                continue
        # The world's measure is planned under a draft plan; the forms of a measure being carried out
        # (progress, evidence, extension) show on a measure of an approved plan.
        pages.append(f"/rectification/measures/{self.working_measure.pk}/")
        for page in pages:
            for role, client in clients.items():
                with transaction.atomic():
                    response = client.get(page)
                    transaction.set_rollback(True)
                if response.status_code != 200 or not is_html(response):
                    continue
                html = response.content.decode("utf-8", "replace")
                for form in forms_of(page, html):
                    if form.action.rstrip("/").endswith(("/logout", "/i18n/setlang")):
                        continue
                    key = (form.method, form.action, tuple(sorted(form.fields)), tuple(form.files))
                    target = seen_post if form.method == "POST" else seen_get
                    target.setdefault(key, (role, form))
                if role == "office":
                    params = query_params(page, html)
                    if params:
                        seen_get.setdefault(
                            ("GET", page, tuple(sorted(params)), ()),
                            (role, Form(page, "GET", page, dict.fromkeys(params, ""), [], set(params))),
                        )
        cls._found = (list(seen_post.values()), list(seen_get.values()))
        return cls._found

    def send(self, client, form: Form, data: dict, check_stored: bool):
        """One submission, rolled back. Returns a list of problems found (empty when all is well)."""
        from django.core.cache import caches

        for cache in caches.all():
            cache.clear()
        problems = []
        with transaction.atomic():
            before = row_counts() if check_stored else None
            try:
                if form.method == "POST":
                    response = client.post(form.action, data)
                else:
                    response = client.get(form.action, data)
            except Exception as e:  # the view raised: a server error
                transaction.set_rollback(True)
                return [f"server error {type(e).__name__}: {str(e)[:160]}"]
            if response.status_code >= 500:
                problems.append(f"status {response.status_code}")
            problems += [f"unescaped {m!r}" for m in unescaped_markup(response)]
            refused = response.status_code >= 400 or (is_html(response) and b"errorlist" in response.content)
            if check_stored and refused:
                after = row_counts()
                changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
                # An audit record of the refusal or a rate-limit counter is not half-stored data.
                changed.pop("audit_auditrecord", None)
                changed.pop("audit_audithead", None)
                if changed:
                    problems.append(f"refused ({response.status_code}) yet stored rows: {changed}")
            # Follow a successful submission that carried markup, to see the page that shows it.
            carried_markup = any(v in MARKUP for v in data.values() if isinstance(v, str))
            if response.status_code in (301, 302, 303) and form.method == "POST" and carried_markup:
                location = response.headers["Location"]
                if location.startswith("/") and not location.startswith("//"):
                    try:
                        followed = client.get(location)
                        problems += [f"unescaped {m!r} on {location}" for m in unescaped_markup(followed)]
                    except Exception as e:
                        problems.append(f"server error on the next page {location}: {type(e).__name__}: {e}")
            transaction.set_rollback(True)
        return problems

    def sweep(self, forms, check_stored: bool, step: int = 1) -> list[str]:
        clients = self.clients()
        names, values = list(VALUES), list(VALUES.values())
        failures = []
        for role, form in forms:
            if ONLY and not form.action.startswith(ONLY):
                continue
            cookies = {r: c.cookies for r, c in clients.items()}
            fields = sorted(form.fields)
            rounds = max(len(values), len(FILES) if form.files else 0)
            # A subset of the rounds: every step-th, plus the file rounds (each file once).
            picked = sorted(
                set(range(0, rounds, step)) | (set(range(len(FILES))) if form.files and step > 1 else set())
            )
            for i in picked:
                data = dict(form.fields)
                for j, name in enumerate(fields):
                    data[name] = values[(i + j) % len(values)]
                for j, name in enumerate(form.files):
                    data[name] = upload(FILES[(i + j) % len(FILES)])
                for problem in self.send(clients[role], form, data, check_stored):
                    cases = {f: names[(i + j) % len(names)] for j, f in enumerate(fields)}
                    cases.update({f: FILES[(i + j) % len(FILES)]["case"] for j, f in enumerate(form.files)})
                    failures.append(
                        f"{form.method} {form.action} as {role} (form on {form.page}) with {cases}: {problem}"
                    )
                clients[role].cookies = cookies[role]
        return failures

    def test_the_corpus_has_at_least_60_cases(self):
        assert len(VALUES) + len(FILES) >= 60
        assert all((DATA / "files" / c["file"]).exists() for c in FILES)

    def test_it_finds_the_forms_and_the_imports(self):
        posts, gets = self.found()
        actions = {f.action for _, f in posts}
        uploads = {f.action for _, f in posts if f.files}
        # The imports and uploads the issue names: a form of the site that stops being found is a bug
        # of the sweep, not a pass.
        w = self.world
        for must in (
            "/orgs/import/",
            f"/analysis/campaign/{w.campaign.pk}/import/",
            "/servicerating/import/",
            f"/rectification/measures/{self.working_measure.pk}/evidence/",
            "/problems/new/",
        ):
            assert must in uploads | actions, f"{must} not found among the forms: {sorted(actions)}"
        assert len(posts) >= 40 and len(gets) >= 10, (len(posts), len(gets))

    def test_no_form_fails_on_the_corpus(self):
        posts, _ = self.found()
        failures = self.sweep(posts, check_stored=True, step=SUBSET)
        assert not failures, report(failures, "hostile submissions")

    def test_no_filter_fails_on_the_corpus(self):
        _, gets = self.found()
        failures = self.sweep(gets, check_stored=False)
        assert not failures, report(failures, "hostile queries")

    def test_the_known_ones_answer_without_a_server_error(self):
        client = Client(raise_request_exception=True)
        client.force_login(self.world.user("office"))
        assert client.post("/problems/new/", {"manifestations": "99999999999999999999"}).status_code == 200
        assert client.get("/audit/", {"date_from": "0001-01-01", "date_to": "9999-12-31"}).status_code == 200


def report(failures: list[str], what: str) -> str:
    """Every form that went wrong, with how often and its first two failures (all of them would be
    thousands of lines)."""
    by_form: dict[str, list[str]] = {}
    for f in failures:
        by_form.setdefault(f.split(" with ", 1)[0], []).append(f)
    lines = [f"{len(failures)} {what} went wrong, on {len(by_form)} forms:"]
    for form, items in by_form.items():
        lines.append(f"  {form}: {len(items)}")
        lines += [f"      {item[:400]}" for item in items[:2]]
    return "\n".join(lines)


def working_measure(world):
    """A measure being carried out, under an approved plan of dept_a (its owner, cadre_a, reports progress
    and uploads evidence)."""
    from datetime import timedelta

    from django.utils import timezone

    from rectification.models import Measure, RectificationPlan

    today = timezone.localdate()
    plan = RectificationPlan.objects.create(
        campaign=world.campaign,
        unit=world.dept_a,
        title="已审定的整改方案",
        author_kind=world.plan.author_kind,
        status=RectificationPlan.Status.APPROVED,
        approved_at=timezone.now(),
    )
    measure = Measure.objects.create(
        plan=plan,
        content="正在整改",
        goal="解决",
        responsible_unit=world.dept_a,
        owner=world.cadre_a,
        status=Measure.Status.IN_PROGRESS,
        deadline=today + timedelta(days=30),
        original_deadline=today + timedelta(days=30),
    )
    measure.problems.set([world.problem])
    return measure


def query_params(page: str, html: str) -> set[str]:
    """The query parameters that the page's own links put on the page's own address (sort, page,
    filters shown as links)."""
    import re
    from html import unescape
    from urllib.parse import parse_qsl, urlsplit

    params = set()
    for href in re.findall(r'href="([^"]*\?[^"]*)"', html):
        parts = urlsplit(unescape(href))
        if parts.path in ("", page):
            params |= {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return params
