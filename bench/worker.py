"""One database's benchmark run (bench/run.py starts one per database, each in its own process).

Builds a throw-away city with `analysis.citygen` (the big one) and a small one beside it (the baselines
that need the same pages at a small size), starts the site under gunicorn with production settings on a
free loopback port, and measures each figure against its baseline, alternating the two and keeping the
median of the repetitions. Prints one JSON document on the last line of stdout.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(tmp: Path, database_url: str | None, city_var: str = "") -> dict:
    env = {
        "RECTIFY_VAR_DIR": str(tmp),
        "RECTIFY_SQLITE_PATH": str(tmp / "bench.sqlite3"),
        "RECTIFY_MEDIA_ROOT": str(tmp / "media"),
        "RECTIFY_CACHE_DIR": str(tmp / "cache"),
        "RECTIFY_LOGIN_THROTTLE": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # no shared services: the file cache in the temporary directory, anonymous input written at once
        "REDIS_URL": "",
        "RECTIFY_DROPBOX_URL": "",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if city_var:  # a city built beforehand: its audit keyring (the chain is sealed with it) and its files
        env["RECTIFY_AUDIT_KEYS_FILE"] = str(Path(city_var) / "audit_keys")
        env["RECTIFY_MEDIA_ROOT"] = str(Path(city_var) / "media")
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_row (id INTEGER PRIMARY KEY, note VARCHAR(40))")
        if connection.vendor == "postgresql":
            cur.execute("DROP TABLE bench_row")
            cur.execute("CREATE TABLE bench_row (id SERIAL PRIMARY KEY, note VARCHAR(40))")
    return env


def alternate(baseline, subject, reps: int) -> tuple[float, float]:
    """Median seconds of `reps` runs each, baseline and subject taking turns (drift hits both)."""
    b, s = [], []
    for _ in range(reps):
        t = time.perf_counter()
        baseline()
        b.append(time.perf_counter() - t)
        t = time.perf_counter()
        subject()
        s.append(time.perf_counter() - t)
    return statistics.median(b), statistics.median(s)


def figure(key, what, baseline_label, b, s, target, ok, **extra) -> dict:
    return {
        "key": key,
        "what": what,
        "baseline": baseline_label,
        "baseline_value": b,
        "subject_value": s,
        "ratio": (s / b) if b else None,
        "target": target,
        "pass": bool(ok),
        **extra,
    }


def session_cookie(username: str) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"


def http_get_timer(port: int, cookie: str, path: str):
    import http.client

    def get():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", path, headers={"Cookie": cookie})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if resp.status != 200:
            raise SystemExit(f"GET {path} gave {resp.status}: {body[:300]!r}")
        return len(body)

    return get


# ------------------------------------------------------------------------------------------ figures


def p2_dashboards(big, small, port, reps) -> list[dict]:
    """City and institution dashboards at city size against every figure they show from one
    hand-written SQL query each (bench/p2.py), served by the same gunicorn behind the same log-in and
    returned as JSON (bench/urls.py): the ratio is what the page costs beyond reading its figures. The
    number of queries of each page must not grow with the number of units."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    out = []
    inst_campaign = big.campaign_ids[0]

    def queries(username, url):
        from django.contrib.auth import get_user_model
        from django.core.cache import cache
        from django.test import override_settings

        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        # Once first, as a user sees it: the session and the per-user caches (the switcher, 60 s) warm. Filled
        # now, not by the timed requests before (an entry that expires between the two requests, or a session
        # stamp older than SESSION_TOUCH_SECONDS, would count its refill: 18 vs 17 on SQLite at full size).
        cache.clear()
        with override_settings(SESSION_TOUCH_SECONDS=3600):
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for label, user_big, url_big, url_sql, user_small, url_small in [
        (
            "city dashboard",
            big.official_username,
            reverse("analysis:city", args=[big.city_id]),
            f"/_bench/p2/city/{big.city_id}",
            small.official_username,
            reverse("analysis:city", args=[small.city_id]),
        ),
        (
            "institution dashboard (largest campaign)",
            big.office_usernames[0],
            reverse("analysis:campaign", args=[inst_campaign]),
            f"/_bench/p2/institution/{inst_campaign}",
            small.office_usernames[0],
            reverse("analysis:campaign", args=[small.campaign_ids[0]]),
        ),
    ]:
        cookie = session_cookie(user_big)
        page, sql = http_get_timer(port, cookie, url_big), http_get_timer(port, cookie, url_sql)
        page()  # warm the worker's caches and connections
        sql()
        b, s = alternate(sql, page, max(reps, 5))
        q_big, q_small = queries(user_big, url_big), queries(user_small, url_small)
        out.append(
            figure(
                "P2",
                f"{label} at {big.counts['units']:,} units",
                "every figure it shows from one hand-written SQL query, same server and log-in (JSON)",
                b,
                s,
                "≤ 1.5×; queries equal at 10 and 7,000 units",
                s / b <= 1.5 and q_big == q_small,
                queries=f"{q_small} queries at {small.counts['units']} units, {q_big} at {big.counts['units']:,}",
            )
        )
    return out


PORTAL_ITEMS = 200  # problems an institution has made public, in each city (the portal page shows them all)


def ensure_published(city, n: int) -> str:
    """The largest campaign's first `n` publishable problems and their measures made public through the
    disclosure service, as its office would, unless something is public already (so a city measured
    again is not published again). Returns the institution's public code."""
    from campaigns.models import Campaign
    from disclosure.public import publishable_measures, publishable_problems
    from disclosure.selectors import published
    from disclosure.services import publication_apply
    from orgs.models import User

    campaign = Campaign.objects.select_related("institution").get(pk=city.campaign_ids[0])
    if not published(campaign).exists():
        problems = list(publishable_problems(campaign).order_by("pk").values_list("pk", flat=True)[:n])
        measures = publishable_measures(campaign).filter(problems__in=problems).values_list("pk", flat=True)
        actor = User.objects.get(username=city.office_usernames[0])
        publication_apply(actor=actor, campaign=campaign, problem_ids=problems, measure_ids=set(measures))
    return campaign.institution.public_code


def ledger_matches(username: str, query: str) -> int:
    """How many problems the ledger of `username` lists for the query string `query` (the view's own filter
    on the same user's visible problems, counted in full: the page itself stops counting at its cap)."""
    from django.http import QueryDict

    from orgs.models import User
    from problems import selectors
    from problems.filters import ProblemFilter

    user = User.objects.get(username=username)
    f = ProblemFilter(
        QueryDict(query),
        queryset=selectors.problems_visible_to(user),
        user=user,
        campaigns=selectors.campaigns_for(user),
    )
    return f.qs.count()


def deep_filtered_ledger(big, small, depth: int) -> tuple[str, dict[int, str]]:
    """Three ledger filters whose page `depth` is a full page in both cities, and each city's query string.

    A page deep in a filtered ledger is measured against the same page of the same filters at 1,000
    problems: at that size channel + status + severity matches about a dozen problems, so its "page 5" was
    the last, short page (a fifth of the rows) and the ratio compared a full page with a near-empty one.
    The first candidate that has at least `depth` full pages in both cities is used."""
    from problems.views import PAGE_SIZE

    candidates = [
        ("channel + status + severity", lambda c: "channel=self_check&status=rectifying&severity=high"),
        ("campaign + status + severity", lambda c: f"campaign={c.campaign_ids[0]}&status=rectifying&severity=high"),
        ("campaign + unit + status", lambda c: f"campaign={c.campaign_ids[0]}&unit={c.institution_ids[0]}&status=rectifying"),
    ]  # fmt: skip
    need = depth * PAGE_SIZE
    for label, query in candidates:
        if all(ledger_matches(c.official_username, query(c)) >= need for c in (big, small)):
            return label, {id(c): query(c) for c in (big, small)}
    raise SystemExit(f"no ledger filter has {depth} full pages of {PAGE_SIZE} in both cities")


def p3_lists(big, small, port, reps) -> list[dict]:
    """List pages, first and deep pages with filters, at city size against the same pages at 1,000 rows:
    the city office's ledger (every problem of the city), the largest institution's opinions, measures and
    warnings, the office's disclosure list and the public portal (the same number of items published in
    each city)."""
    from django.db import connection
    from django.http import QueryDict
    from django.urls import reverse

    from orgs.models import Unit
    from problems.filters import CappedPaginator
    from problems.models import Manifestation
    from problems.views import PAGE_SIZE

    codes = {id(c): ensure_published(c, PORTAL_ITEMS) for c in (big, small)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # what autovacuum does within minutes of a bulk load: the visibility map, without which the
            # warnings board's index-only counts (rectification measure_unfinished_warnings) read every row;
            # this machine's server runs with autovacuum off
            cur.execute("VACUUM ANALYZE rectification_measure")
    first_dept = {
        id(c): Unit.objects.filter(parent_id=c.institution_ids[0]).order_by("sort_order", "pk")[0] for c in (big, small)
    }
    manifestation = Manifestation.objects.order_by("pk").values_list("pk", flat=True).first()
    ledger, opinions = reverse("problems:ledger"), reverse("problems:opinions")
    deep_label, deep_query = deep_filtered_ledger(big, small, 5)
    # (label, who: city office or the largest institution's campaign office, address in a given city)
    cases = [
        ("ledger, first page", "city", lambda c: ledger),
        ("ledger, page 40", "city", lambda c: f"{ledger}?page=40"),
        ("ledger, page 200 (the last one counted)", "city", lambda c: f"{ledger}?page=200"),
        ("ledger, filtered by channel", "city", lambda c: f"{ledger}?channel=self_check"),
        (f"ledger, 3 filters ({deep_label}), page 5 (full in both cities)", "city",
         lambda c: f"{ledger}?{deep_query[id(c)]}&page=5"),
        ("ledger, filtered by manifestation", "city", lambda c: f"{ledger}?manifestation={manifestation}"),
        ("ledger, one department, sorted by unit", "office", lambda c: f"{ledger}?unit={first_dept[id(c)].pk}&sort=unit"),
        ("ledger, search", "city", lambda c: f"{ledger}?q=%E7%AA%97%E5%8F%A3"),  # 窗口
        # Three characters or more: what the trigram indexes serve (problems migration 0005, PostgreSQL)
        ("ledger, search of four characters", "city", lambda c: f"{ledger}?q=%E6%8E%A8%E8%AF%BF%E6%89%AF%E7%9A%AE"),  # 推诿扯皮
        ("ledger, search matching nothing", "city", lambda c: f"{ledger}?q=%E4%B9%B1%E4%BD%9C%E4%B8%BA"),  # 乱作为
        ("opinions, first page", "office", lambda c: opinions),
        ("opinions, page 30", "office", lambda c: f"{opinions}?page=30"),
        ("opinions, waiting, by source", "office", lambda c: f"{opinions}?status=new&source=public_form"),
        ("measures board", "office", lambda c: reverse("rectification:index")),
        ("warnings board", "office", lambda c: reverse("rectification:warnings")),
        ("disclosure list of the campaign (office)", "office",
         lambda c: reverse("disclosure:campaign", args=[c.campaign_ids[0]]) + f"?unit={first_dept[id(c)].pk}"),
        ("public portal: institution page", "public", lambda c: reverse("disclosure_public:institution", args=[codes[id(c)]])),
        ("public portal: institution page, filtered", "public",
         lambda c: reverse("disclosure_public:institution", args=[codes[id(c)]]) + "?status=in_progress"),
    ]  # fmt: skip
    user = {
        "city": lambda c: c.official_username,
        "office": lambda c: c.office_usernames[0],
        "public": lambda c: None,
    }
    cookies = {}
    for c in (big, small):
        for who in ("city", "office"):
            name = user[who](c)
            cookies[name] = session_cookie(name)
    cookies[None] = ""
    who_label = {"city": "city office", "office": "largest institution", "public": "anonymous"}
    p95 = lambda xs: sorted(xs)[min(len(xs) - 1, int(0.95 * len(xs)))]  # noqa: E731
    out = []
    for label, who, url in cases:
        subject = http_get_timer(port, cookies[user[who](big)], url(big))
        baseline = http_get_timer(port, cookies[user[who](small)], url(small))
        bs, ss = [], []
        try:
            size = {"big": subject(), "small": baseline()}
            for _ in range(reps):
                t = time.perf_counter()
                baseline()
                bs.append(time.perf_counter() - t)
                t = time.perf_counter()
                subject()
                ss.append(time.perf_counter() - t)
        except (SystemExit, OSError) as e:  # a page that fails or times out is a failed figure, not a lost run
            out.append(figure("P3", f"{label} ({who_label[who]})", "same page at 1,000 problems", None, None,
                              "p95 ≤ 2×", False, detail=f"failed: {str(e)[:200]}"))  # fmt: skip
            print(f"    P3 {label}: failed {e}", file=sys.stderr, flush=True)
            continue
        b, s = p95(bs), p95(ss)
        detail = f"page {size['big'] / 1024:,.0f} KB vs {size['small'] / 1024:,.0f} KB"
        if url(big).partition("?")[0] == ledger:  # what each side lists: its matches and the rows of the page shown
            shown = {}
            for side, c in (("big", big), ("small", small)):
                path, _, query = url(c).partition("?")
                n = ledger_matches(user[who](c), query)
                last = max(1, -(-min(n, CappedPaginator.CAP + 1) // PAGE_SIZE))  # a page past the end shows the last
                page = min(int(QueryDict(query).get("page") or 1), last)
                rows = min(PAGE_SIZE, max(0, n - (page - 1) * PAGE_SIZE))
                shown[side] = f"page {page}, {rows} rows, of {n:,} matches"
            detail = f"page of {PAGE_SIZE}: {shown['big']} vs {shown['small']}; {detail}"
        out.append(
            figure(
                "P3",
                f"{label} ({who_label[who]}, {big.counts['problems']:,} problems in the city)",
                f"same page at {small.counts['problems']:,} problems",
                b,
                s,
                "p95 ≤ 2×",
                s / b <= 2,
                detail=detail,
            )
        )
        print(f"    P3 {label}: {s * 1000:.0f} vs {b * 1000:.0f} ms", file=sys.stderr, flush=True)
    return out


def p4_export(big, reps) -> list[dict]:
    """The combined ledger export of the largest campaign against bare openpyxl writing the same values."""
    from openpyxl import Workbook

    from analysis.ledgers import COLUMNS, base_queryset, ledger_rows, to_xlsx
    from campaigns.models import Campaign

    campaign = Campaign.objects.select_related("institution").get(pk=big.campaign_ids[0])
    kind = "combined"
    columns = COLUMNS[kind]
    queryset = base_queryset(kind, campaign, root=campaign.institution)
    # One group per problem (its measure rows); the baseline writes the same cell values, row by row. The
    # rows are tuples of atoms, which the collector stops tracking after one pass (gc.collect below): held
    # as lists, the baseline's 100,000 rows were walked by every full collection the export made while it ran
    # (a quarter of its time), which an export in a worker process does not meet.
    values = [tuple(row.get(c.key, "") for c in columns) for group in ledger_rows(kind, queryset) for row in group]
    rows = len(values)
    tmp = Path(tempfile.mkdtemp(prefix="rectify-p4-"))

    def bare():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("台账")
        for v in values:
            ws.append(v)
        wb.save(tmp / "bare.xlsx")

    def subject():
        to_xlsx(tmp / "x.xlsx", kind=kind, campaign=campaign, root=campaign.institution)

    gc.collect()
    tracemalloc.start()
    subject()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    b, s = alternate(bare, subject, max(1, reps - 1))
    return [
        figure(
            "P4",
            f"Excel 整改台账 export, {rows:,} rows",
            "bare openpyxl write-only, same values",
            b,
            s,
            "≤ 1.5× time; peak memory growth ≤ 150 MB",
            s / b <= 1.5 and peak / 2**20 <= 150,
            memory=f"peak Python allocation {peak / 2**20:.0f} MB",
        )
    ]


def p5_reports(big, reps) -> list[dict]:
    """The comprehensive analysis reports (Word and PDF, institution and city) against rendering the same
    documents from figures collected beforehand: what the figures cost on top of the writing."""
    from analysis.models import AnalysisReport
    from analysis.reports import city as city_report
    from analysis.reports import comprehensive
    from campaigns.models import Campaign
    from orgs.models import Unit

    campaign = Campaign.objects.select_related("institution").get(pk=big.campaign_ids[0])
    city = Unit.objects.get(pk=big.city_id)
    inst_report = AnalysisReport.objects.create(
        scope=AnalysisReport.Scope.INSTITUTION, unit=campaign.institution, campaign=campaign, title="基准报告"
    )
    city_rep = AnalysisReport.objects.create(scope=AnalysisReport.Scope.CITY, unit=city, title="基准报告")
    out = []
    for label, module, collect in [
        (
            "institution (largest campaign)",
            comprehensive,
            lambda: comprehensive.collect(campaign.institution, campaign, report=inst_report),
        ),
        ("city", city_report, lambda: city_report.collect(city, report=city_rep)),
    ]:
        data = collect()

        def render(module=module, data=data):
            images = module.make_charts(data)
            module.to_docx(data, images)
            module.to_pdf(data, images)

        def whole(module=module, collect=collect):
            data = collect()
            images = module.make_charts(data)
            module.to_docx(data, images)
            module.to_pdf(data, images)

        b, s = alternate(render, whole, max(1, reps - 2))
        target = "≤ 2×" + ("; under 60 s" if label == "city" else "")
        ok = s / b <= 2 and (label != "city" or s < 60)
        out.append(
            figure(
                "P5",
                f"analysis report, {label}, Word + PDF",
                "the same documents from precomputed figures",
                b,
                s,
                target,
                ok,
            )
        )
    return out


def ballot_round(city, codes: int, *, include_unknown: bool = False):
    """An open round of the city's largest campaign made through the evaluation services, as an office
    would: 4 units rated on the 3 unit items (12 answers a ballot), one group, `codes` codes, the grade
    不了解 offered when `include_unknown`. Only the codes' hashes are stored, so the plain codes are kept
    here. Returns (round, codes, key)."""
    from campaigns.models import Campaign
    from evaluations.services import evaluation_create, evaluation_open, target_add
    from orgs.models import Unit, User

    actor = User.objects.get(username=city.office_usernames[0])
    campaign = Campaign.objects.select_related("institution").get(pk=city.campaign_ids[0])
    ev = evaluation_create(
        actor=actor,
        campaign=campaign,
        name="基准评议",
        groups=[{"kind": "staff", "name": "干部职工"}],
        include_unknown=include_unknown,
    )
    for unit in Unit.objects.filter(parent=campaign.institution).order_by("pk")[:4]:
        target_add(actor=actor, evaluation=ev, kind="unit_work", unit=unit)
    plain = issue_codes(ev, codes)
    ev, key = evaluation_open(actor=actor, evaluation=ev)
    return ev, plain, key


def issue_codes(ev, n: int) -> list[str]:
    from evaluations.services import codes_issue
    from orgs.models import User

    actor = User.objects.filter(is_active=True).order_by("pk").last()
    group = ev.groups.get()
    plain: list[str] = []
    while len(plain) < n:
        _batch, more = codes_issue(actor=actor, evaluation=ev, group=group, count=min(2000, n - len(plain)))
        plain += more
    return plain


def p1_ballots(city, port, reps, voters: int) -> list[dict]:
    """Casting a ballot over HTTP (open the ballot with the code, submit 12 answers: the code is spent and
    the sealed ballot stored) at 16 and 64 concurrent voters, against the minimal view writing one row in
    a transaction, same gunicorn, same database, taking turns. Counted per request."""
    import re
    from urllib.parse import urlencode

    from bench.load import request, run_load
    from evaluations.models import BallotToken, SealedBallot

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    ev, _codes, _key = ballot_round(city, 1)  # codes for each run are issued as it starts

    def ballot_script(code):
        def run(conn):
            status, body, _h, t1 = request(conn, "POST", "/v/ballot", urlencode({"code": code}).encode(), form)
            if status != 200:
                raise RuntimeError(f"ballot page {status}")
            # what a browser sends: the form's hidden fields (the code, the page's note) and one grade a question
            answers = {
                k.decode(): v.decode() for k, v in re.findall(rb'type="hidden" name="([^"]+)" value="([^"]*)"', body)
            }
            for name, value in re.findall(rb'name="(a-\d+-\d+)" value="(\d+)"', body):
                answers.setdefault(name.decode(), value.decode())  # the first grade of each question
            if sum(name.startswith("a-") for name in answers) != 12 or "admission" not in answers:
                raise RuntimeError(f"{len(answers)} fields on the ballot")
            status, _b, headers, t2 = request(conn, "POST", "/v/submit", urlencode(answers).encode(), form)
            if status not in (302, 303) or "thanks" not in headers.get("Location", ""):
                raise RuntimeError(f"submit {status}")
            return [t1, t2]

        return run

    def row_script(conn):
        status, _b, _h, t = request(conn, "POST", "/v/_bench/row", b"note=x", form)
        if status != 200:
            raise RuntimeError(f"baseline {status}")
        return [t]

    out = []
    for clients in (16, 64):
        runs = {"b": [], "s": []}
        for _ in range(reps):
            base = run_load(port, [row_script] * (2 * voters), clients=clients, time_cap=300)
            codes = issue_codes(ev, voters)
            spent_before = BallotToken.objects.filter(evaluation=ev, used_on__isnull=False).count()
            stored_before = SealedBallot.objects.filter(evaluation=ev).count()
            subj = run_load(port, [ballot_script(c) for c in codes], clients=clients, time_cap=300)
            spent = BallotToken.objects.filter(evaluation=ev, used_on__isnull=False).count() - spent_before
            stored = SealedBallot.objects.filter(evaluation=ev).count() - stored_before
            if spent != subj.done or stored != subj.done:
                subj.errors += abs(spent - subj.done) + abs(stored - subj.done)
            runs["b"].append(base)
            runs["s"].append(subj)
        med = lambda rs, f: statistics.median(f(r) for r in rs)  # noqa: E731
        b_tp = med(runs["b"], lambda r: len(r.latencies) / r.seconds)
        s_tp = med(runs["s"], lambda r: len(r.latencies) / r.seconds)
        b_p95 = med(runs["b"], lambda r: r.p95_ms)
        s_p95 = med(runs["s"], lambda r: r.p95_ms)
        errors = sum(r.errors for rs in runs.values() for r in rs)
        locked = sum(r.locked for rs in runs.values() for r in rs)
        ballots_s = med(runs["s"], lambda r: r.throughput)
        ok = s_tp / b_tp >= 0.6 and s_p95 / b_p95 <= 2.5 and errors == 0 and locked == 0
        out.append(
            figure(
                "P1",
                f"casting a ballot, {clients} concurrent voters, {voters:,} ballots a run",
                "minimal view writing one row in a transaction",
                b_tp,
                s_tp,
                "throughput ≥ 0.6×, p95 ≤ 2.5×, no errors, no 'database is locked'",
                ok,
                unit="req/s",
                detail=(
                    f"{s_tp:,.0f} vs {b_tp:,.0f} requests/s ({ballots_s:,.1f} ballots/s); p95 {s_p95:,.0f} vs "
                    f"{b_p95:,.0f} ms = {s_p95 / b_p95:.2f}×; {errors} errors, {locked} locked"
                ),
            )
        )
    return out


def p6_tally(city, reps, sizes: list[int]) -> list[dict]:
    """Tallying a closed round against one SQL GROUP BY over the answers as stored after closing.

    Ballots are sealed while the round is open; closing opens them with the committee's key and stores
    them in plain rows (Ballot, BallotAnswer) in random order. The tally (`evaluation_tally`: every
    figure of `results.collect`, the targets' results, the audit record) reads those rows, so the
    baseline is the one GROUP BY (target, item, grade, group) over them that any count needs. A round
    of up to 2,000 ballots (the quick run's) is cast through `ballot_cast` (sealed) and closed with its key
    (the closing time is reported beside); a larger one is closed empty and its rows written as closing leaves them
    (`core.bulk`, the same answers). The peak memory of one tally is measured apart from the timed runs."""
    from django.db import connection, transaction

    from evaluations.models import Ballot, BallotAnswer
    from evaluations.services import ballot_cast, ballot_questions, evaluation_close, evaluation_tally
    from orgs.models import User

    actor = User.objects.get(username=city.office_usernames[0])
    table_a, table_b = BallotAnswer._meta.db_table, Ballot._meta.db_table
    out = []
    for n in sizes:
        cast_through_services = n <= 2_000  # 10,000 sealed ballots took 12 minutes to cast and close here
        t = time.perf_counter()
        ev, codes, key = ballot_round(city, n if cast_through_services else 1, include_unknown=True)
        questions = [(t.pk, i.pk) for t, items in ballot_questions(ev) for i in items]
        grades = list(ev.grades.values_list("pk", flat=True))
        if cast_through_services:
            for k, code in enumerate(codes):
                ballot_cast(code=code, answers={q: grades[(k + j) % len(grades)] for j, q in enumerate(questions)})
            t = time.perf_counter()
            evaluation_close(actor=actor, evaluation=ev, key=key.text())
            made = f"closing (opening {n:,} sealed ballots with the key) {time.perf_counter() - t:.1f} s"
        else:
            evaluation_close(actor=actor, evaluation=ev, key=key.text())
            write_closed_ballots(ev, n, questions, grades)
            made = f"answers written as closing stores them, in {time.perf_counter() - t:.0f} s"
        with connection.cursor() as cur:
            # what autovacuum does within minutes of a close (its insert threshold): statistics, and on
            # PostgreSQL the visibility map, without which the tally's index-only reads of the non-votes
            # (results._all_non_votes) fetch every row; this machine's server runs with autovacuum off
            cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"  P6 round of {n:,} ballots ready ({made})", file=sys.stderr, flush=True)

        def group_by(ev=ev):
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT a.target_id, a.item_id, a.grade_id, b.group_id, COUNT(*) FROM {table_a} a "  # nosec B608 (model meta)
                    f"JOIN {table_b} b ON b.id = a.ballot_id WHERE b.evaluation_id = %s "
                    "GROUP BY a.target_id, a.item_id, a.grade_id, b.group_id",
                    [ev.pk],
                )
                cur.fetchall()

        def tally(ev=ev):
            with transaction.atomic():
                evaluation_tally(actor=actor, evaluation=ev)
                transaction.set_rollback(True)  # the next repetition tallies the same closed round
            # nothing read back here (it was a statement in the timed subject): the tally reads the round's
            # state itself and refuses a round that is not closed, so a rollback that failed would show

        peak_py, peak_rss = tally_memory(tally)
        b, s = alternate(group_by, tally, max(1, reps - 2) if n > 100_000 else reps)
        out.append(
            figure(
                "P6",
                f"tally of a round of {n:,} ballots ({n * len(questions):,} answers)",
                "one SQL GROUP BY over the stored answers",
                b,
                s,
                "≤ 1.5×",
                s / b <= 1.5,
                memory=f"one tally: peak Python allocation {peak_py:.1f} MB, resident set grew {peak_rss:.0f} MB",
                detail=f"{made}; load average {os.getloadavg()[0]:.1f}",
            )
        )
    return out


def write_closed_ballots(ev, n: int, questions: list, grades: list) -> None:
    """`n` ballots of the round's one group with the answers the cast rounds get (grade (k + j) mod the
    grades: every grade, 不了解 included, on every item), written as closing stores them: random ballot
    keys, every ballot's answers together (`core.bulk`: COPY on PostgreSQL). Written in chunks, so the
    bench process stays small."""
    import random

    from django.db import transaction

    from core.bulk import Table
    from evaluations.models import Ballot, BallotAnswer

    rng = random.Random(f"p6-{n}")
    group = ev.groups.get().pk
    ballots = Table(Ballot, ["id", "evaluation_id", "group_id"])
    answers = Table(BallotAnswer, ["id", "ballot_id", "target_id", "item_id", "grade_id"])
    # ballot keys random and sorted (each index filled from one end, as analysis.citygen does); answer
    # keys increasing from a random start: no query reads them
    ids = sorted(rng.getrandbits(126) for _ in range(n))
    first_answer = rng.getrandbits(120)
    chunk = 50_000
    for start in range(0, n, chunk):
        part = [f"{ids[k]:032x}" for k in range(start, min(n, start + chunk))]
        with transaction.atomic():
            ballots.insert((b, ev.pk, group) for b in part)
            answers.insert(
                (f"{first_answer + k * len(questions) + j:032x}", b, t, i, grades[(k + j) % len(grades)])
                for k, b in enumerate(part, start=start)
                for j, (t, i) in enumerate(questions)
            )


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def tally_memory(run) -> tuple[float, float]:
    """(peak Python allocation, growth of the resident set's high-water mark) in MB of one call of `run`:
    tracemalloc in one call (it slows the code it traces, so never in a timed run), the kernel's
    high-water mark (reset through /proc/self/clear_refs; it counts the database driver and SQLite's
    page cache too) in another."""
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # high-water mark := current resident set
    except OSError:
        return peak / 2**20, float("nan")
    before = _rss_mb("VmRSS")
    run()
    return peak / 2**20, _rss_mb("VmHWM") - before


def p8_opinions(city, n: int) -> list[dict]:
    """A burst of `n` opinions from the public form, then the similarity work they cause, against the
    same burst with similarity switched off.

    Anonymous opinions get no task at submission (the task table would date them): their similarity
    hints are computed when the day's input is sealed (`anonymous_input_seal`, written with the row), so
    the similarity work is the difference between a seal with hints and one without. Two bursts of
    the same texts, one sealed each way; the queue is the background tasks waiting meanwhile."""
    from unittest import mock

    from django_tasks_db.models import DBTaskResult

    from campaigns.models import Campaign, CampaignUnit
    from problems import services as problem_services
    from problems import similarity
    from problems.models import Opinion

    campaign = Campaign.objects.get(pk=city.campaign_ids[0])
    units = list(CampaignUnit.objects.filter(campaign=campaign).select_related("unit").order_by("unit__path")[1:21])
    texts = [
        f"{t}，{w}" for t in ("窗口办事排长队，工作人员玩手机", "审批材料反复退回，没有一次性告知", "上班时间找不到人，电话无人接听",
                               "对群众反映的问题推来推去", "会议太多，基层疲于应付", "下基层调研走过场")
        for w in ("希望尽快整改", "多次反映没有结果", "请领导重视", "影响很坏")
    ]  # fmt: skip
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    queue = []

    def burst(tag: str) -> float:
        t = time.perf_counter()
        for k in range(n):
            problem_services.opinion_submit(
                campaign=campaign, unit=units[k % len(units)].unit, content=f"{texts[k % len(texts)]}（{tag}{k}）",
                source=Opinion.Source.PUBLIC_FORM,
            )  # fmt: skip
            if k % 50 == 0:
                queue.append(DBTaskResult.objects.filter(status="READY").count())
        return time.perf_counter() - t

    def seal() -> float:
        t = time.perf_counter()
        problem_services.anonymous_input_seal(today=tomorrow)
        return time.perf_counter() - t

    # The city's own unsealed input first, untimed: the first seal of a run seals every earlier day's opinions
    # of the city (30,000 of a full one, with a VACUUM FULL on PostgreSQL), which made the baseline's seal 21–77 s
    # against the subject's 3–5 s and flattered the ratio (0.61–0.71× in the 1 Dec full run).
    backlog = seal()
    post_off = burst("a")
    with mock.patch.object(problem_services, "_similarity_many", lambda opinions: {o.pk: ([], None) for o in opinions}):
        seal_off = seal()
    post_on = burst("b")
    seal_on = seal()
    hinted = Opinion.objects.filter(campaign=campaign, content__contains="（b").exclude(similar=[]).count()
    # before: a TF-IDF fit per opinion, timed on a sample
    sample = list(Opinion.objects.filter(campaign=campaign, content__contains="（b")[:10])
    t = time.perf_counter()
    for o in sample:
        similarity.compute_many([o])
    per_opinion = (time.perf_counter() - t) / max(1, len(sample))
    b, s = post_off + seal_off, post_on + seal_on
    return [
        figure(
            "P8",
            f"{n:,} public opinions in a burst, then their similarity hints",
            "the same burst with similarity switched off",
            b,
            s,
            "similarity work done within 2× the posting time; queue never above a few hundred",
            s / b <= 2 and max(queue) <= 300 and hinted > 0,
            detail=(
                f"posting {post_on:.1f} s, seal with hints {seal_on:.1f} s vs without {seal_off:.1f} s "
                f"(the city's earlier input sealed first, untimed: {backlog:.1f} s); "
                f"{hinted:,} of {n:,} with similar items; tasks queued at most {max(queue)}; "
                f"one fit per opinion (before) {per_opinion * 1000:,.0f} ms each, about {per_opinion * n:,.0f} s for {n:,}"
            ),
        )
    ]


def p7_audit(reps) -> list[dict]:
    """`audit_verify` over the whole trail against hashing the same bytes in a plain loop: the canonical
    bytes of every record (built before the clock starts) through the same HMAC-SHA256 under the same keys."""
    import hmac

    from audit.chain import FIELDS, message
    from audit.keys import keyring
    from audit.models import AuditRecord
    from audit.verify import trail_verify

    n = AuditRecord.objects.count()
    secrets = keyring().keys
    work = [
        (secrets[row[11]], message(row))
        for row in AuditRecord.objects.order_by("seq").values_list(*FIELDS).iterator(chunk_size=10_000)
        if row[11]
    ]
    if len(work) != n:
        raise SystemExit(f"P7 expects a keyed trail: {n - len(work)} of {n} records are unkeyed")
    digest = hmac.digest

    def plain():
        for secret, msg in work:
            digest(secret, msg, "sha256").hex()

    def subject():
        report = trail_verify()
        if not report.ok:
            raise SystemExit(f"audit_verify failed on the generated chain: {report.message()}")

    b, s = alternate(plain, subject, max(1, reps - 1))
    return [
        figure(
            "P7",
            f"audit_verify over {n:,} records",
            "HMAC-SHA256 of the same bytes, plain loop",
            b,
            s,
            "≤ 3×",
            s / b <= 3,
        )
    ]


SMALL_CITY = dict(
    units=10, people=100, problems=1000, measures=1000, opinions=300, ballots=1000, ratings=300, audit_records=1000,
    institutions=1,
)  # fmt: skip
# Figures that add rows to the city as they measure (a ballot round with its codes and ballots, a round of
# up to a million ballots, a thousand opinions): against a city built beforehand (--city-url) they run
# only when asked for by name, since each run would leave the city larger than the last.
# P3's pages take 40-300 ms at city size on a quiet machine; their p95 of 5 requests was the slowest of the five,
# so one pause (a WAL checkpoint, a collector pass) decided a figure and the same code gave 1.4x and 3.1x in two
# runs. The full run takes 40 requests a page, so that the p95 is the second slowest.
P3_REPS = 40
WRITING_FIGURES = {"P1", "P6", "P8"}


def existing_city(prefix: str):
    """The city `analysis.citygen` wrote with this prefix, read back from the database (None if there is
    none): the same `City` that `generate_city` returns, its counts taken from the tables."""
    from analysis.citygen import City
    from campaigns.models import Campaign
    from orgs.models import RoleAssignment, Unit

    city = Unit.objects.filter(code=f"{prefix}-CITY", kind=Unit.Kind.CITY_OFFICE).first()
    if city is None:
        return None
    institutions = list(
        Unit.objects.filter(parent=city, kind=Unit.Kind.INSTITUTION)
        .order_by("sort_order", "pk")
        .values_list("pk", flat=True)
    )
    campaign_of = dict(Campaign.objects.filter(institution_id__in=institutions).values_list("institution_id", "pk"))
    office_of = dict(
        RoleAssignment.objects.filter(role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit_id__in=institutions)
        .exclude(person__user=None)
        .values_list("unit_id", "person__user__username")
    )
    return City(
        city_id=city.pk,
        institution_ids=institutions,
        campaign_ids=[campaign_of[i] for i in institutions],
        official_username=f"{prefix}-CITY-1",
        office_usernames=[office_of[i] for i in institutions],
        counts=_city_counts(city, campaign_of.values()),
    )


def _city_counts(city, campaign_ids) -> dict[str, int]:
    from audit.models import AuditRecord
    from evaluations.models import Ballot
    from orgs.models import Person, Unit
    from problems.models import Opinion, Problem
    from rectification.models import Evidence, Measure, ProgressReport

    campaigns = list(campaign_ids)
    units = Unit.objects.filter(path__startswith=city.path)
    measures = Measure.objects.filter(plan__campaign_id__in=campaigns)
    return {
        "units": units.count(),
        "people": Person.objects.filter(unit__in=units).count(),
        "campaigns": len(campaigns),
        "problems": Problem.objects.filter(campaign_id__in=campaigns).count(),
        "measures": measures.count(),
        "progress_reports": ProgressReport.objects.filter(measure__in=measures).count(),
        "evidence": Evidence.objects.filter(measure__in=measures).count(),
        "opinions": Opinion.objects.filter(campaign_id__in=campaigns).count(),
        "ballots": Ballot.objects.filter(evaluation__campaign_id__in=campaigns).count(),
        "audit_records": AuditRecord.objects.count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--database-url", default="")
    ap.add_argument(
        "--city-url",
        default="",
        help="measure against the city `generate_city` already wrote into this database (migrated first; the "
        "small city is added beside it once if missing) instead of building one",
    )
    ap.add_argument(
        "--city-var",
        default="",
        help="with --city-url: the RECTIFY_VAR_DIR the city was built with (its audit_keys and media)",
    )
    ap.add_argument("--only", default="", help="comma-separated figure keys, e.g. P2,P4")
    ap.add_argument(
        "--p6-sizes",
        default="",
        help="P6's rounds in ballots, e.g. 10000,1000000 (default 1,000 quick, else those two)",
    )
    ap.add_argument("--reps", type=int, default=0, help="repetitions per figure (default 3 quick, 5 full)")
    args = ap.parse_args()
    reps = args.reps or (3 if args.quick else 5)
    only = {k.strip().upper() for k in args.only.split(",") if k.strip()}
    p6_sizes = [int(n) for n in args.p6_sizes.replace("_", "").split(",") if n.strip()] or (
        [1_000] if args.quick else [10_000, 1_000_000]
    )
    want = lambda k: not only or k in only  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="rectify-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.city_url and not args.city_var:
            raise SystemExit("--city-url needs --city-var: the directory with the city's audit_keys and media")
        env = setup(tmp, args.city_url or args.database_url or None, args.city_var)
        from django.db import connection, transaction

        from analysis.citygen import CitySize, generate_city
        from bench.server import Gunicorn

        t = time.monotonic()
        if args.city_url:
            want = lambda k: k in only if k in WRITING_FIGURES else not only or k in only  # noqa: E731
            big = existing_city("GC")
            if big is None:
                raise SystemExit(
                    f"no city in {connection.settings_dict['NAME']}: run `manage.py generate_city` there first"
                )
            small = existing_city("SM")
            if small is None and (want("P2") or want("P3")):
                with transaction.atomic():  # all of it or nothing, so that the next run finds it whole
                    small = generate_city(CitySize(**SMALL_CITY), prefix="SM")
        else:
            full = CitySize()
            if only and only <= {"P6"}:
                # P6 needs one campaign with four units to rate: the smallest city, whatever the round's size
                size = CitySize(
                    units=30,
                    people=200,
                    problems=200,
                    measures=200,
                    opinions=50,
                    ballots=100,
                    ratings=100,
                    audit_records=1000,
                )
            else:
                size = full.scaled(0.01) if args.quick else full
            big = generate_city(size, prefix="GC", out=sys.stderr)
            small = None
            if want("P2") or want("P3"):  # the baselines that are the same page in a small city
                small = generate_city(CitySize(**SMALL_CITY), prefix="SM")
        built = time.monotonic() - t
        load_start = os.getloadavg()[0]
        figures: list[dict] = []

        def run(key, measure):
            if want(key):
                t = time.monotonic()
                figures.extend(measure())
                print(
                    f"  {key} measured in {time.monotonic() - t:.0f} s, load average {os.getloadavg()[0]:.1f}",
                    file=sys.stderr,
                    flush=True,
                )

        if want("P1") or want("P2") or want("P3"):
            with Gunicorn(env) as server:
                run("P1", lambda: p1_ballots(big, server.port, reps, voters=120 if args.quick else 2000))
                run("P2", lambda: p2_dashboards(big, small, server.port, reps))
                run("P3", lambda: p3_lists(big, small, server.port, args.reps or (5 if args.quick else P3_REPS)))
        run("P4", lambda: p4_export(big, reps))
        run("P5", lambda: p5_reports(big, reps))
        run("P6", lambda: p6_tally(big, reps, p6_sizes))
        run("P8", lambda: p8_opinions(big, 80 if args.quick else 1000))
        run("P7", lambda: p7_audit(reps))
        print(
            json.dumps(
                {
                    "database": connection.vendor,
                    "quick": args.quick,
                    "city": big.counts,
                    "built_seconds": built,
                    "existing_city": bool(args.city_url),
                    "load": f"{load_start:.1f} at the start of the figures, {os.getloadavg()[0]:.1f} at the end",
                    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "figures": figures,
                },
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
