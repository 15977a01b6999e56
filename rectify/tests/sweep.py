"""Helpers of the regression suites: every URL pattern of the site, and one request with nothing kept.

`url_patterns()` walks the URL configuration (names with their namespace, the path parameters each
needs); `ask()` sends one request as one client inside a savepoint that is rolled back, with the caches
emptied and the client's cookies restored, so that a thousand requests in a row do not change what the
next one sees (an empty POST to "activate" really activates, a log-out really logs out).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from django.core.cache import caches
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name" as reverse() takes it
    route: str  # the pattern, for messages
    params: tuple[str, ...]


def url_patterns() -> list[Route]:
    """Every named URL pattern of the site, in URLconf order."""
    out: list[Route] = []

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                out.append(Route(name, prefix + str(p.pattern), tuple(p.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "/", None)
    return out


def path_for(route: Route, kwargs: dict) -> str:
    return reverse(route.name, kwargs=kwargs or None)


def status_class(response) -> str:
    """200 for any 2xx; "login" for a redirect to a log-in page; the status code otherwise."""
    code = response.status_code
    if 200 <= code < 300:
        return "200"
    if code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if location.startswith((reverse("login"), reverse("admin:login"))):
            return "login"
        return "302"
    return str(code)


def ask(client, method: str, path: str, data=None, **extra):
    """One request with nothing kept: database rolled back, caches emptied, cookies as they were.
    Returns (response or None, exception or None)."""
    for cache in caches.all():
        cache.clear()
    cookies = copy.deepcopy(client.cookies)
    response = error = None
    try:
        with transaction.atomic():
            try:
                if method == "GET":
                    response = client.get(path, data or {}, **extra)
                else:
                    response = client.post(path, data or {}, **extra)
            finally:
                transaction.set_rollback(True)
    except Exception as e:  # a server error: the test client re-raises what the view raised
        error = e
    client.cookies = cookies
    return response, error


@dataclass
class Form:
    """A form as a browser sees it: where it posts, its fields with what the page filled in."""

    page: str
    method: str
    action: str
    fields: dict[str, str]  # name -> value the page gives (first option, checked box, hidden value)
    files: list[str]  # names of the file inputs
    texts: set[str]  # names of the fields a person types into or picks from (not hidden)


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self.form, self.select = page, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = a.get("hx-post") or a.get("action") or self.page
            method = "POST" if (a.get("hx-post") or (a.get("method") or "get").lower() == "post") else "GET"
            self.form = Form(self.page, method, action.split("#")[0] or self.page, {}, [], set())
            self.forms.append(self.form)
            return
        if self.form is None or not a.get("name"):
            return
        name, kind = a["name"], (a.get("type") or "text").lower()
        if tag == "input":
            if kind == "file":
                self.form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a or name not in self.form.fields:
                    self.form.fields[name] = a.get("value", "on")
                self.form.texts.add(name)
            elif kind not in ("submit", "button", "image", "reset"):
                self.form.fields.setdefault(name, a.get("value", ""))
                if kind != "hidden":
                    self.form.texts.add(name)
        elif tag == "textarea":
            self.form.fields.setdefault(name, "")
            self.form.texts.add(name)
        elif tag == "select":
            self.select = name
            self.form.fields.setdefault(name, "")
            self.form.texts.add(name)
        elif tag == "option" and self.select and not self.form.fields.get(self.select):
            self.form.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def forms_of(page: str, html: str) -> list[Form]:
    """The forms of an HTML page (action resolved against the page; hx-post counts as a POST form)."""
    parser = _FormParser(page)
    parser.feed(html)
    for f in parser.forms:
        f.action = urljoin(page, f.action)
        if "://" in f.action:
            f.action = "/" + f.action.split("://", 1)[1].split("/", 1)[-1]
    return parser.forms


def row_counts() -> dict[str, int]:
    """Rows of every table of ours (sessions left out: a request may renew its own)."""
    from django.apps import apps

    tables = sorted(
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and m._meta.db_table != "django_session"
    )
    sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)
    with connection.cursor() as cur:
        cur.execute(sql)
        return dict(zip(tables, cur.fetchone()))
