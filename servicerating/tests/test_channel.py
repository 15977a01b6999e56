"""The office configures the channel through its pages; the public rates by QR page; staff enter phone
replies and import a gateway export; the figures and rankings pages show what was hand-computed here.

The scenario (October 2026; office mapping 1–2★ 不满意, 3–4★ 基本满意, 5★ 满意; minimum 4 ratings;
基本满意 counts as satisfied):
  教务处 (dept_a)  5 Oct (week 41): 5★ 5★ 4★ 3★ 1★   → 满意 2, 基本满意 2, 不满意 1
                   13 Oct (week 42): 5★ 2★              → 满意 1, 不满意 1
                   October: 满意 3 + 基本满意 2 of 7 → 5/7 = 71.428…% → 71.43%
                   week 41: 4/5 = 80.00%;  week 42: 2 ratings < 4 → no rate
  财务处 (dept_b)  6 Oct: 4★ 4★ 4★ → 基本满意 3; 7 Oct phone reply 1 → 满意 1;
                   9 Oct gateway import "3 …" → 不满意 1
                   October: 4/5 = 80.00%  (satisfied only: 1/5 = 20.00%)
  考务科 (section_a) 8 Oct: 1★ naming head_a → 不满意 1; 1 rating < 4 → no rate
Rankings, October: best satisfaction 财务处 (80.00%) 1, 教务处 (71.43%) 2, 考务科 not ranked;
most 不满意 教务处 2 (rank 1), 财务处 1 and 考务科 1 (both rank 2, tied).
"""

import io
import re
import uuid
from datetime import date

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditRecord
from servicerating import services
from servicerating.models import Case, Rating, ServicePoint

pytestmark = pytest.mark.django_db

RATE_URL = "servicerating_public:rate"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def _configure(client, cast, **overrides):
    data = {
        "institution": cast.college.pk,
        "star_1": "unsatisfied",
        "star_2": "unsatisfied",
        "star_3": "basic",
        "star_4": "basic",
        "star_5": "satisfied",
        "min_ratings": 4,
        "rate_counts_basic": "on",
        "case_due_days": 10,
        "phone_hint": "027-8888 0000",
    }
    data.update(overrides)
    if data.get("rate_counts_basic") is None:
        data.pop("rate_counts_basic")
    return client.post(reverse("servicerating:settings"), data)


def _enable(client, cast, unit):
    client.post(reverse("servicerating:point_enable"), {"institution": cast.college.pk, "unit": unit.pk})
    return ServicePoint.objects.get(unit=unit)


_addr = iter(range(1, 10_000))


def _rate(client, point, stars, reason="", named=""):
    """Rate through the public page from a fresh address; returns the response."""
    client.logout()
    return client.post(
        reverse(RATE_URL, args=[point.code]),
        {"stars": stars, "reason": reason, "named": named},
        REMOTE_ADDR=f"10.0.{next(_addr) // 250}.{next(_addr) % 250}",
    )


def _receipt(response) -> str:
    return re.search(r'class="sr-receipt">([A-Z0-9]+)<', response.content.decode())[1]


@pytest.fixture
def scenario(cast, client):
    """Configure through the office's pages and rate October as in the module docstring."""
    office = cast.user("office")
    client.force_login(office)
    assert _configure(client, cast).status_code == 302
    a, b, s = (_enable(client, cast, u) for u in (cast.dept_a, cast.dept_b, cast.section_a))
    receipts = {}
    with time_machine.travel(date(2026, 10, 5), tick=False):
        for stars in (5, 5, 4, 3):
            assert _rate(client, a, stars).status_code == 200
        r = _rate(client, a, 1, reason="窗口只开一个，排队一个小时。")
        receipts["a1"] = _receipt(r)
    with time_machine.travel(date(2026, 10, 6), tick=False):
        for _ in range(3):
            _rate(client, b, 4)
    with time_machine.travel(date(2026, 10, 8), tick=False):
        r = _rate(client, s, 1, reason="成绩更正要跑三趟。", named=cast.head_a.staff_no)
        receipts["s1"] = _receipt(r)
    with time_machine.travel(date(2026, 10, 13), tick=False):
        _rate(client, a, 5)
        receipts["a2"] = _receipt(_rate(client, a, 2, reason="材料清单前后说法不一。"))
    with time_machine.travel(date(2026, 10, 14), tick=False):
        client.force_login(office)
        resp = client.post(
            reverse("servicerating:entry"),
            {"institution": cast.college.pk, "point": b.pk, "rated_on": "2026-10-07", "reply": "1"},
        )
        assert resp.status_code == 200 and "录入" in resp.content.decode()
        csv_text = f"序号,手机号码,日期,服务代码,回复\n1,13800001111,2026-10-09,{b.short_code},3 报销单据被退回三次\n"
        upload = io.BytesIO(csv_text.encode("utf-8"))
        upload.name = "gateway.csv"
        resp = client.post(reverse("servicerating:import"), {"institution": cast.college.pk, "file": upload})
        assert "13800001111" not in resp.content.decode()  # the phone column is never read
        resp = client.post(reverse("servicerating:import_confirm"), {"institution": cast.college.pk})
        receipts["b1"] = re.search(r"<code>([A-Z0-9]{12})</code>", resp.content.decode())[1]
        services.ratings_release(today=date(2026, 10, 14))
    return {"a": a, "b": b, "s": s, "receipts": receipts}


def _figures(client, period, scope=None, kind="month"):
    params = {"kind": kind, "period": period}
    if scope is not None:
        params["institution"] = scope
    return client.get(reverse("servicerating:figures"), params)


def _row(html: str, unit_name: str) -> str:
    return re.search(rf"<tr>(?:<td>[^<]*</td>)?<td>{unit_name}</td>(.*?)</tr>", html, re.S)[1]


def _cells(row_html: str) -> list[str]:
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def test_it_shows_the_hand_computed_monthly_figures(scenario, cast, client):
    client.force_login(cast.user("office"))
    html = _figures(client, "2026-10", cast.college.pk).content.decode()
    # satisfied, basic, unsatisfied, total, rate (numerator/denominator), open cases
    assert _cells(_row(html, "教务处")) == ["3", "2", "2", "7", "71.43% (5/7)", "2"]
    assert _cells(_row(html, "财务处")) == ["1", "3", "1", "5", "80.00% (4/5)", "1"]
    assert _cells(_row(html, "考务科"))[:4] == ["0", "0", "1", "1"]
    assert "样本不足" in _cells(_row(html, "考务科"))[4]


def test_it_shows_the_hand_computed_weekly_figures(scenario, cast, client):
    client.force_login(cast.user("office"))
    week41 = _figures(client, "2026-W41", cast.college.pk, kind="week").content.decode()
    assert _cells(_row(week41, "教务处"))[:5] == ["2", "2", "1", "5", "80.00% (4/5)"]
    week42 = _figures(client, "2026-W42", cast.college.pk, kind="week").content.decode()
    assert _cells(_row(week42, "教务处"))[:4] == ["1", "0", "1", "2"]
    assert "样本不足" in _cells(_row(week42, "教务处"))[4]


def test_it_follows_the_office_rate_rule_when_it_changes(scenario, cast, client):
    client.force_login(cast.user("office"))
    _configure(client, cast, rate_counts_basic=None)
    html = _figures(client, "2026-10", cast.college.pk).content.decode()
    assert "20.00% (1/5)" in _cells(_row(html, "财务处"))[4]
    assert "42.86% (3/7)" in _cells(_row(html, "教务处"))[4]  # 3/7 = 42.857… → 42.86


def test_it_ranks_as_computed_by_hand_with_ties_shown(scenario, cast, client):
    client.force_login(cast.user("office"))
    resp = client.get(reverse("servicerating:rankings"), {"kind": "month", "period": "2026-10"})
    html = resp.content.decode()
    best, worst = html.split("不满意最多")[0].split("满意度最高")[1], html.split("不满意最多")[1]
    assert [n for n in re.findall(r"<td>(\S+?)</td>", best) if not n.isdigit()][:2] == ["财务处", "教务处"]
    assert "考务科" not in best
    ranks = re.findall(r"<tr><td>(\d+)(?: <span[^>]*>并列</span>)?</td><td>([^<]+)</td>", worst)
    assert ranks == [("1", "教务处"), ("2", "考务科"), ("2", "财务处")]  # ties in the organisation's order
    assert worst.count(">并列</span>") == 2


def test_it_exports_numbers_and_percent_formatted_rates(scenario, cast, client):
    client.force_login(cast.user("office"))
    resp = _figures(client, "2026-10", cast.college.pk)
    resp = client.get(
        reverse("servicerating:figures"),
        {"institution": cast.college.pk, "kind": "month", "period": "2026-10", "format": "xlsx"},
    )
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = {r[1].value: r for r in ws.iter_rows(min_row=3) if r[1].value in ("教务处", "财务处", "考务科")}
    jw = rows["教务处"]
    assert [c.value for c in jw[2:7]] == [3, 2, 2, 7, 5]
    assert jw[7].value == pytest.approx(0.7143) and jw[7].number_format == "0.00%"
    assert rows["考务科"][7].value is None
    ranks = client.get(reverse("servicerating:rankings"), {"kind": "month", "period": "2026-10", "format": "xlsx"})
    wb = load_workbook(io.BytesIO(ranks.content))
    best = wb.worksheets[1]
    assert [
        (r[0].value, r[2].value, r[8].value) for r in best.iter_rows(min_row=3) if r[2].value in ("财务处", "教务处")
    ] == [
        (1, "财务处", pytest.approx(0.8)),
        (2, "教务处", pytest.approx(0.7143)),
    ]


def test_it_refuses_a_mapping_where_more_stars_mean_worse(cast, client):
    client.force_login(cast.user("office"))
    resp = _configure(client, cast, star_4="satisfied", star_5="basic")
    assert resp.status_code == 200 and "星数越多" in resp.content.decode()


def test_it_maps_stars_by_the_office_mapping(cast, client):
    client.force_login(cast.user("office"))
    _configure(client, cast)  # 4★ = 基本满意 here (the default says 满意)
    point = _enable(client, cast, cast.dept_a)
    _rate(client, point, 4)
    assert Rating.objects.get().grade == "basic"


def test_it_needs_a_reason_for_unsatisfied_and_opens_a_case(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    resp = _rate(client, point, 1)
    assert resp.status_code == 400 and "请告诉我们" in resp.content.decode()
    assert not Rating.objects.exists()
    resp = _rate(client, point, 1, reason="态度差")
    case = Case.objects.get()
    assert case.handling_unit == cast.college and case.status == Case.Status.INVESTIGATING
    assert services.receipt_hash(_receipt(resp)) == case.receipt_hash


def test_the_receipt_page_follows_the_case_and_names_the_office_not_a_person(scenario, cast, client):
    code = scenario["receipts"]["a1"]
    resp = client.post(reverse("servicerating_public:receipt"), {"code": code.lower()})
    html = resp.content.decode()
    assert "调查中" in html and "江城职业技术学院" in html and "窗口只开一个" in html
    client.force_login(cast.user("office"))
    case = Case.objects.get(unit=cast.dept_a, reason__startswith="窗口")
    client.post(
        reverse("servicerating:case", args=[case.pk]),
        {"status": "partly", "finding": "高峰时段确有排队。", "action_taken": "已增开一个窗口。"},
    )
    client.logout()
    html = client.post(reverse("servicerating_public:receipt"), {"code": code}).content.decode()
    assert "部分属实" in html and "已增开一个窗口" in html
    assert cast.office.name not in html  # the handler is shown by office, never by name


def test_a_receipt_before_release_says_received(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    code = _receipt(_rate(client, point, 1, reason="慢"))
    html = client.post(reverse("servicerating_public:receipt"), {"code": code}).content.decode()
    assert "已收到" in html


def test_the_unit_rated_and_the_person_named_never_decide(scenario, cast, client_for):
    a_case = Case.objects.get(unit=cast.dept_a, reason__startswith="窗口")
    s_case = Case.objects.get(unit=cast.section_a)
    assert s_case.handling_unit == cast.dept_a and s_case.named_person == cast.head_a
    data = {"status": "substantiated", "finding": "x", "action_taken": "y"}
    # head_a heads 教务处: not for 教务处's own case, nor for 考务科's (head_a is the person named)
    head_a = client_for(cast.user("head_a"))
    assert head_a.post(reverse("servicerating:case", args=[a_case.pk]), data).status_code == 403
    assert head_a.post(reverse("servicerating:case", args=[s_case.pk]), data).status_code == 403
    assert 'name="action_taken"' not in head_a.get(reverse("servicerating:case", args=[s_case.pk])).content.decode()
    assert (
        'name="action_taken"'
        in client_for(cast.user("office")).get(reverse("servicerating:case", args=[s_case.pk])).content.decode()
    )
    head_a = client_for(cast.user("head_a"))
    # the college's office handles 教务处 (its superior) and 考务科
    office = client_for(cast.user("office"))
    resp = office.post(reverse("servicerating:case", args=[s_case.pk]), data)
    assert resp.status_code == 302
    s_case.refresh_from_db()
    assert s_case.status == Case.Status.SUBSTANTIATED and s_case.decided_by == cast.user("office")
    rec = AuditRecord.objects.get(action="servicerating.case_decide")
    assert rec.actor == cast.user("office")
    # a second decision is refused
    resp = office.post(reverse("servicerating:case", args=[s_case.pk]), data)
    assert resp.status_code in (200, 403)
    s_case.refresh_from_db()
    assert s_case.finding == "x"


def test_a_section_case_goes_to_its_department_head(cast, client_for):
    office = client_for(cast.user("office"))
    point = _enable(office, cast, cast.section_a)
    _rate(office, point, 2, reason="没人接电话")
    services.ratings_release(today=date(2099, 1, 1))
    case = Case.objects.get()
    head = client_for(cast.user("head_a"))
    resp = head.post(
        reverse("servicerating:case", args=[case.pk]),
        {"status": "unsubstantiated", "finding": "查无此事", "action_taken": "已回复评价人"},
    )
    assert resp.status_code == 302
    assert Case.objects.get().status == Case.Status.UNSUBSTANTIATED


def test_an_import_with_bad_rows_imports_nothing_and_names_each_row(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_b)
    text = (
        "日期,服务代码,回复,手机号码\n"
        f"2026-10-09,{point.short_code},1,13900000000\n"
        "2026-10-09,999999,2,13900000001\n"
        f"2026-10-10,{point.short_code},3,13900000002\n"
        f"2026-13-40,{point.short_code},2,13900000003\n"
    )
    upload = io.BytesIO(text.encode("gb18030"))
    upload.name = "export.csv"
    with time_machine.travel(date(2026, 10, 20), tick=False):
        resp = client.post(reverse("servicerating:import"), {"institution": cast.college.pk, "file": upload})
    html = resp.content.decode()
    assert "3 行无法导入" in html
    for row, words in ((3, "999999"), (4, "需要说明原因"), (5, "日期无法识别")):
        assert re.search(rf"<td>{row}</td><td>[^<]*{words}", html), row
    assert "导入全部" not in html
    resp = client.post(reverse("servicerating:import_confirm"), {"institution": cast.college.pk})
    assert not Rating.objects.exists()


def test_an_excel_import_is_previewed_then_imported(cast, client):
    from openpyxl import Workbook

    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_b)
    wb = Workbook()
    wb.active.append(["日期", "服务代码", "回复", "原因"])
    wb.active.append([date(2026, 10, 9), int(point.short_code), 2, ""])
    wb.active.append(["2026/10/10", point.short_code, "3", "报销太慢"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "export.xlsx"
    with time_machine.travel(date(2026, 10, 20), tick=False):
        resp = client.post(reverse("servicerating:import"), {"institution": cast.college.pk, "file": buf})
        assert "2 条回复可以导入" in resp.content.decode()
        assert not Rating.objects.exists()  # nothing before confirming
        resp = client.post(reverse("servicerating:import_confirm"), {"institution": cast.college.pk})
    assert sorted(Rating.objects.values_list("grade", flat=True)) == ["basic", "unsatisfied"]
    assert Case.objects.get().reason == "报销太慢"
    assert AuditRecord.objects.filter(action="servicerating.import", actor=cast.user("office")).count() == 1


# ---------------------------------------------------------------- anonymity


def test_a_rating_keeps_the_day_only_and_a_random_key(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    with time_machine.travel(date(2026, 10, 5), tick=False):
        _rate(client, point, 1, reason="慢")
    rating = Rating.objects.get()
    assert isinstance(rating.pk, uuid.UUID) and isinstance(Case.objects.get().pk, uuid.UUID)
    kinds = {f.get_internal_type() for f in Rating._meta.get_fields() if hasattr(f, "get_internal_type")}
    assert "DateTimeField" not in kinds and "GenericIPAddressField" not in kinds
    assert rating.rated_on == date(2026, 10, 5) and rating.entered_by is None
    before = AuditRecord.objects.count()
    assert not AuditRecord.objects.filter(action__startswith="servicerating.rating").exists()
    services.ratings_release(today=date(2026, 10, 6))
    rec = AuditRecord.objects.get(action="servicerating.ratings_release")
    assert AuditRecord.objects.count() == before + 1
    assert rec.actor is None and rec.actor_label == "system"
    assert rec.changes["day"] == "2026-10-05" and rec.changes["unsatisfied"] == 1
    assert str(rating.pk) not in str(rec.changes)


def test_ratings_count_only_after_the_daily_release(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    with time_machine.travel(date(2026, 10, 5), tick=False):
        _rate(client, point, 1, reason="慢")
        client.force_login(cast.user("office"))
        html = _figures(client, "2026-10", cast.college.pk).content.decode()
        assert _cells(_row(html, "教务处"))[:4] == ["0", "0", "0", "0"]
        assert not client.get(reverse("servicerating:cases")).context["cases"]
        assert services.ratings_release() == 0  # today's ratings wait for tomorrow
    services.ratings_release(today=date(2026, 10, 6))
    client.force_login(cast.user("office"))  # a fresh session: the travelled one has expired
    html = _figures(client, "2026-10", cast.college.pk).content.decode()
    assert _cells(_row(html, "教务处"))[:4] == ["0", "0", "1", "1"]


def test_the_release_shuffles_the_order_rows_were_stored_in(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    for stars in [5, 4, 3] * 10:
        services.rating_submit(point=point, stars=stars, rated_on=date(2026, 10, 5))
    physical = "rowid" if connection.vendor == "sqlite" else "ctid"
    order = f"SELECT id FROM servicerating_rating ORDER BY {physical}"
    with connection.cursor() as cur:
        cur.execute(order)
        before = [r[0] for r in cur.fetchall()]
    services.ratings_release(today=date(2026, 10, 6))
    with connection.cursor() as cur:
        cur.execute(order)
        after = [r[0] for r in cur.fetchall()]
    assert sorted(before) == sorted(after) and before != after  # 1 in 30! to fail by chance
    assert Rating.objects.filter(released=True).count() == 30


def test_the_public_form_is_rate_limited(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    client.logout()
    url = reverse(RATE_URL, args=[point.code])
    codes = [client.post(url, {"stars": 5}, REMOTE_ADDR="10.9.9.9").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    assert Rating.objects.count() == 10


def test_a_closed_or_unknown_code_takes_no_rating(cast, client):
    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    client.post(reverse("servicerating:point_disable", args=[point.pk]))
    resp = _rate(client, point, 5)
    assert "已关闭" in resp.content.decode() and not Rating.objects.exists()
    assert client.get(reverse(RATE_URL, args=["nope"])).status_code == 404


# ---------------------------------------------------------------- access


def test_pages_need_a_login_and_the_right_permission(scenario, cast, client, client_for):
    client.logout()
    assert client.get(reverse("servicerating:figures")).status_code == 302
    assert client.get(reverse(RATE_URL, args=[scenario["a"].code])).status_code == 200  # public
    head = client_for(cast.user("head_a"))
    assert head.get(reverse("servicerating:settings")).status_code == 403
    assert head.get(reverse("servicerating:poster", args=[scenario["a"].pk])).status_code == 403
    assert head.post(reverse("servicerating:point_disable", args=[scenario["a"].pk])).status_code == 403
    # the department head sees their own units' figures only
    html = head.get(reverse("servicerating:figures"), {"period": "2026-10"}).content.decode()
    assert "教务处" in html and "财务处" not in html
    outsider = client_for(cast.user("outsider"))
    a_case = Case.objects.filter(unit=cast.dept_a).first()
    assert outsider.get(reverse("servicerating:case", args=[a_case.pk])).status_code == 404
    assert outsider.get(reverse("servicerating:poster", args=[scenario["a"].pk])).status_code == 404


def test_the_city_office_sees_every_institution(scenario, cast, client_for):
    city = client_for(cast.user("city_official"))
    html = city.get(reverse("servicerating:rankings"), {"period": "2026-10"}).content.decode()
    assert "全市各单位" in html and "财务处" in html and "江城职业技术学院" in html


def test_the_figures_page_query_count_does_not_grow_with_units(cast, client, settings):
    settings.SESSION_TOUCH_SECONDS = 3600  # no session write between the two counts
    client.force_login(cast.user("office"))
    _enable(client, cast, cast.dept_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert _figures(client, "2026-10", cast.college.pk).status_code == 200
        return len(ctx)

    count()  # the first page of a log-in also fills the user's campaign switcher and session
    few = count()
    _enable(client, cast, cast.dept_b)
    _enable(client, cast, cast.section_a)
    assert count() == few


def test_the_poster_is_an_a4_pdf_with_the_unit_institution_and_service_code(cast, client):
    import subprocess

    client.force_login(cast.user("office"))
    _configure(client, cast)
    point = _enable(client, cast, cast.dept_a)
    resp = client.get(reverse("servicerating:poster", args=[point.pk]))
    assert resp["Content-Type"] == "application/pdf"
    info = subprocess.run(["pdfinfo", "-"], input=resp.content, capture_output=True, check=True).stdout.decode()
    assert "595.276 x 841.89" in info and re.search(r"Pages:\s+1\n", info)  # one A4 page
    text = subprocess.run(["pdftotext", "-", "-"], input=resp.content, capture_output=True, check=True).stdout.decode()
    for words in ("江城职业技术学院", "教务处", point.short_code, "027-8888 0000", point.code):
        assert words in text, words


def test_handlers_hear_of_new_cases_after_the_release_and_see_them_as_tasks(cast, client):
    from core.registry import tasks_for
    from notifications.models import Notification

    client.force_login(cast.user("office"))
    point = _enable(client, cast, cast.dept_a)
    _rate(client, point, 1, reason="慢")
    assert not Notification.objects.filter(recipient=cast.user("office")).exists()  # nothing at rating time
    services.ratings_release(today=date(2099, 1, 1))
    note = Notification.objects.get(recipient=cast.user("office"))
    assert "教务处" in note.title and str(Case.objects.get().pk) in note.url
    assert not Notification.objects.filter(recipient=cast.user("head_a")).exists()  # the unit rated
    found = [t for t in tasks_for(cast.user("office")) if "不满意" in t.label]
    assert [t.count for t in found] == [1] and found[0].due == Case.objects.get().due_on  # the day to settle by
    assert not [t for t in tasks_for(cast.user("head_a")) if "不满意" in t.label]


def test_the_office_sets_who_handles_a_units_cases_among_its_superiors(cast, client):
    client.force_login(cast.user("office"))
    resp = client.post(
        reverse("servicerating:point_enable"),
        {"institution": cast.college.pk, "unit": cast.section_a.pk, "handling_unit": cast.dept_b.pk},
    )
    assert resp.status_code == 302 and not ServicePoint.objects.exists()  # 财务处 is not 考务科's superior
    client.post(
        reverse("servicerating:point_enable"),
        {"institution": cast.college.pk, "unit": cast.section_a.pk, "handling_unit": cast.college.pk},
    )
    point = ServicePoint.objects.get()
    assert point.handler == cast.college
    rec = AuditRecord.objects.get(action="servicerating.point_enable")
    assert rec.actor == cast.user("office") and rec.unit == cast.section_a


def test_settings_changes_are_audited_with_the_office_as_actor(cast, client):
    client.force_login(cast.user("office"))
    _configure(client, cast, min_ratings=7)
    rec = AuditRecord.objects.get(action="servicerating.config_update")
    assert rec.actor == cast.user("office") and rec.changes["min_ratings"] == [5, 7]
    html = client.get(reverse("servicerating:settings")).content.decode()
    assert 'name="min_ratings" value="7"' in html


def test_the_access_log_keeps_no_address_unit_or_size_of_a_rating():
    """A rating request gets no line of its own in the access log (no address, unit, size or moment):
    gunicorn's filter counts it per day instead (core.unlinkable)."""
    import importlib.util
    import logging
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("gunicorn_conf", Path(__file__).parents[2] / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    args = {"h": "203.0.113.7", "t": "[29/Nov/2026:10:03:00]", "m": "POST", "U": "/s/abc123/", "r": "POST /s/abc123/"}
    args.update({"s": "200", "b": "5120", "M": "41"})
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(h)s", (), None)
    record.args = args
    assert conf._filter().filter(record) is False
    lines = conf._filter().tally.take()
    assert lines and all("abc123" not in line and "203.0.113.7" not in line and "5120" not in line for line in lines)
