"""The access matrix: every URL of the site, GET and POST, asked by every role, against a table.

The table is rectify/tests/data/access_matrix.tsv, one line per (URL name, method) with the expected
answer for each role (columns in ROLES order):

  200    any 2xx (the page, a form shown again with its errors, a file)
  302    a redirect elsewhere than a log-in page (usually: done, back to the page)
  login  a redirect to the log-in page (anonymous) or the admin log-in (not staff)
  400 403 404 405 429 …   that status

The URL's path parameters are filled with objects of the college (rectify/tests/world.py), so the
other institution's office asks for objects that are not its own. POSTs are empty (no CSRF token: the
test client does not check it) and every request is rolled back (rectify/tests/sweep.py).

A new URL fails `test_it_has_a_line_for_every_url` with the line to add; a line for a URL that is gone
fails `test_it_has_no_line_for_a_url_that_is_gone`. After a deliberate change of who may do what, set
the line by hand (the message prints what was observed) — or, for many lines at once, rewrite the
table from what the site answers with `REGRESS_WRITE_MATRIX=/tmp/m pytest rectify/tests/test_access_matrix.py`
(server errors go to /tmp/m.errors; a value ending in .tsv writes the table there instead of into the
repository) and read the diff before committing it. Two rules hold whatever the table says: nobody anonymous gets a
2xx from a page that is not public, and the other institution's office never gets a 2xx for an
object of the college.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.test import Client, TestCase
from django.urls import NoReverseMatch

from core.middleware import is_public_path

from .sweep import ask, path_for, status_class, url_patterns
from .world import ROLES, args_for, build_world

TABLE = Path(__file__).parent / "data" / "access_matrix.tsv"
METHODS = ("GET", "POST")
HEADER = ["url", "method", *ROLES]


def read_table() -> dict[tuple[str, str], dict[str, str]]:
    rows = {}
    for n, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if cells == HEADER:
            continue
        assert len(cells) == len(HEADER), f"{TABLE.name} line {n}: {len(cells)} cells, expected {len(HEADER)}"
        assert (cells[0], cells[1]) not in rows, f"{TABLE.name} line {n}: {cells[0]} {cells[1]} twice"
        rows[(cells[0], cells[1])] = dict(zip(ROLES, cells[2:]))
    return rows


def line(name: str, method: str, answers: dict[str, str]) -> str:
    return "\t".join([name, method, *(answers[r] for r in ROLES)])


class AccessMatrixTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls._observed = None

    def observed(self) -> dict[tuple[str, str], dict[str, str]]:
        """What the site answers, asked once per class (each request is rolled back, so the answers do
        not depend on the order)."""
        cls = type(self)
        if cls._observed is not None:
            return cls._observed
        cls._observed = {}  # asked once even when asking fails half-way
        clients = {}
        for role, key in ROLES.items():
            clients[role] = Client(raise_request_exception=True)
            if key:
                clients[role].force_login(self.world.user(key))
        cls.routes, cls.unfilled, cls.errors, out = {}, [], [], {}
        for route in url_patterns():
            kwargs = args_for(route.name, list(route.params), self.world)
            if kwargs is None:
                cls.unfilled.append(route)
                continue
            try:
                path = path_for(route, kwargs)
            except NoReverseMatch:
                cls.unfilled.append(route)
                continue
            cls.routes[route.name] = (route, path)
            for method in METHODS:
                answers = {}
                for role, client in clients.items():
                    response, error = ask(client, method, path)
                    if error is not None:
                        cls.errors.append(f"{method} {path} as {role}: {type(error).__name__}: {error}")
                        answers[role] = "500"
                    else:
                        answers[role] = status_class(response)
                out[(route.name, method)] = answers
        cls._observed = out
        if os.environ.get("REGRESS_WRITE_MATRIX"):
            target = Path(os.environ["REGRESS_WRITE_MATRIX"])
            write_table(out, target if target.suffix == ".tsv" else TABLE)
            target.with_suffix(".errors").write_text("\n".join(cls.errors))
        return out

    def test_it_fills_the_parameters_of_every_url(self):
        self.observed()
        missing = [f"{r.name} ({r.route}): {', '.join(r.params)}" for r in self.unfilled]
        assert not missing, (
            "URLs whose path parameters the access matrix cannot fill; add them to ARGS in "
            "rectify/tests/world.py (and an object to build_world if none fits):\n  " + "\n  ".join(missing)
        )

    def test_it_gets_no_server_error(self):
        self.observed()
        assert not self.errors, "server errors:\n  " + "\n  ".join(self.errors)

    def test_it_has_a_line_for_every_url(self):
        observed, table = self.observed(), read_table()
        missing = [
            line(name, method, answers) for (name, method), answers in observed.items() if (name, method) not in table
        ]
        assert not missing, (
            f"URLs without a line in {TABLE.relative_to(Path.cwd()) if TABLE.is_relative_to(Path.cwd()) else TABLE}; "
            "check who should get what and add (columns: " + " ".join(HEADER) + "), e.g. what the site answers "
            "today:\n" + "\n".join(missing)
        )

    def test_it_has_no_line_for_a_url_that_is_gone(self):
        observed, table = self.observed(), read_table()
        gone = sorted(f"{name} {method}" for (name, method) in table if (name, method) not in observed)
        assert not gone, f"lines of {TABLE.name} for URLs that are gone; remove them:\n  " + "\n  ".join(gone)

    def test_it_answers_every_url_as_the_table_says(self):
        observed, table = self.observed(), read_table()
        wrong = []
        for key, answers in observed.items():
            expected = table.get(key)
            if expected is None:
                continue  # reported by test_it_has_a_line_for_every_url
            diff = [f"{r}: expected {expected[r]}, got {answers[r]}" for r in ROLES if expected[r] != answers[r]]
            if diff:
                wrong.append(f"{key[1]} {self.routes[key[0]][1]} ({key[0]}): " + "; ".join(diff))
        assert not wrong, f"{len(wrong)} answers differ from {TABLE.name}:\n  " + "\n  ".join(wrong)

    def test_it_shows_nothing_to_anonymous_visitors_outside_the_public_pages(self):
        leaks = [
            f"{m} {self.routes[n][1]}"
            for (n, m), answers in self.observed().items()
            if answers["anon"] == "200" and not is_public_path(self.routes[n][1])
        ]
        assert not leaks, "pages answered 2xx to an anonymous visitor:\n  " + "\n  ".join(leaks)

    def test_it_shows_the_other_institution_nothing_of_the_college(self):
        # Only URLs naming an object (path parameters) and not public: lists and dashboards show the
        # outsider its own institution.
        leaks = [
            f"{m} {self.routes[n][1]}"
            for (n, m), answers in self.observed().items()
            if answers["outsider"] == "200"
            and self.routes[n][0].params
            and not is_public_path(self.routes[n][1])
            and not n.startswith("admin:")
        ]
        assert not leaks, "the other institution's office got 2xx for the college's objects:\n  " + "\n  ".join(leaks)

    def test_the_table_is_well_formed(self):
        # 401: an endpoint that takes signed posts only (the city office's anchor receiver) refuses unsigned ones
        allowed = {"200", "302", "login", "400", "401", "403", "404", "405", "409", "410", "429"}
        bad = [f"{k[0]} {k[1]} {r}={v}" for k, row in read_table().items() for r, v in row.items() if v not in allowed]
        assert not bad, f"values outside {sorted(allowed)} (500 is never expected):\n  " + "\n  ".join(bad)


def write_table(observed, path: Path = TABLE):
    lines = [
        "# The access matrix (rectify/tests/test_access_matrix.py explains the columns and values).",
        "\t".join(HEADER),
        *(line(name, method, answers) for (name, method), answers in observed.items()),
    ]
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
