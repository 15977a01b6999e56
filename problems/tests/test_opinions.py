import re
from datetime import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from audit.models import AuditRecord
from core import humancheck
from problems.models import Opinion, Problem
from problems.services import opinion_submit


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def public_post(client, unit, content, answer_ok=True, **extra):
    page = client.get(f"/o/{unit.public_code}/")
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    s = humancheck.answer_for_tests(token)
    data = {
        "content": content,
        "submitter_kind": "service_user",
        "contact": "",
        "answer": s if answer_ok else s + 1,
        "token": token,
        **extra,
    }
    return client.post(f"/o/{unit.public_code}/", data)


def test_it_takes_a_public_opinion_and_gives_a_receipt(cast, campaign, client):
    response = public_post(client, cast.dept_a, "到教务处开证明，工作人员态度冷淡，让我跑了三趟")
    assert response.status_code == 200
    o = Opinion.objects.get()
    assert o.receipt_code in response.content.decode()
    assert o.source == "public_form" and o.submitter is None and o.unit == cast.dept_a
    # No audit record of its own (its place in the chain would date it): the day's total, sealed later.
    assert not AuditRecord.objects.filter(action__startswith="opinion.").exists()
    from datetime import timedelta

    from problems.services import anonymous_input_seal

    assert anonymous_input_seal(today=o.received_on + timedelta(days=1)) == 1
    day = AuditRecord.objects.get(action="opinion.receive_day")
    assert day.actor is None and day.actor_label == "" and day.changes["count"] == 1
    assert timezone.localtime(day.at).time() == time(0, 0)  # the day only


def test_it_refuses_a_wrong_answer_and_oversized_text_storing_nothing(cast, campaign, client):
    r1 = public_post(client, cast.dept_a, "窗口服务态度需要改进", answer_ok=False)
    r2 = public_post(client, cast.dept_a, "长" * 2001)
    r3 = public_post(client, cast.dept_a, "短")
    assert (r1.status_code, r2.status_code, r3.status_code) == (400, 400, 400)
    assert "答案不正确" in r1.content.decode()
    assert "2000" in r2.content.decode()
    assert not Opinion.objects.exists()


def test_it_refuses_a_replayed_human_check(cast, campaign, client):
    page = client.get(f"/o/{cast.dept_a.public_code}/")
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    s = humancheck.answer_for_tests(token)
    data = {"content": "食堂卫生状况较差，建议加强管理", "submitter_kind": "masses", "answer": s, "token": token}
    assert client.post(f"/o/{cast.dept_a.public_code}/", data).status_code == 200
    assert client.post(f"/o/{cast.dept_a.public_code}/", data).status_code == 400
    assert Opinion.objects.count() == 1


def test_it_stores_script_tags_as_harmless_text_and_escapes_them(cast, campaign, client, client_for):
    public_post(client, cast.dept_a, '<script>alert("x")</script>办事效率低<img src=x onerror=alert(1)>')
    o = Opinion.objects.get()
    assert "<script" not in o.content and "<img" not in o.content and "办事效率低" in o.content
    opinion_submit(campaign=campaign, unit=cast.dept_a, content="a &lt;b&gt; 不等于 <b", source="paper")
    body = client_for(cast.user("office")).get("/problems/opinions/").content.decode()
    assert "<script>alert" not in body and "onerror" not in body


def test_it_limits_the_rate_per_address(cast, campaign, client):
    codes = [public_post(client, cast.dept_a, f"第{i}条意见：窗口排队时间太长").status_code for i in range(6)]
    assert codes == [200] * 5 + [429]
    assert Opinion.objects.count() == 5
    other = client.get(f"/o/{cast.dept_a.public_code}/", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200


def test_it_rejects_the_honeypot(cast, campaign, client):
    assert public_post(client, cast.dept_a, "窗口排队时间太长了", website="http://spam").status_code == 400
    assert not Opinion.objects.exists()


def test_it_answers_unknown_units_with_404(db, client):
    assert client.get("/o/nope-nope-nope/").status_code == 404


def test_it_looks_up_a_receipt_code(cast, campaign, client):
    from problems.services import opinion_accept, opinion_close, opinion_merge

    a = opinion_submit(campaign=campaign, unit=cast.dept_a, content="考试成绩录入经常出错", source="public_form")
    b = opinion_submit(campaign=campaign, unit=cast.dept_a, content="成绩录入出错多次", source="public_form")
    c = opinion_submit(campaign=campaign, unit=cast.dept_a, content="建议延长图书馆开放时间", source="public_form")
    opinion_accept(
        actor=cast.user("office"), opinion=a, problems=[{"unit": cast.dept_a, "description": "成绩录入差错率高"}]
    )
    opinion_merge(actor=cast.user("office"), opinion=b, duplicate_of=a)
    opinion_close(actor=cast.user("office"), opinion=c, reason="已转图书馆研究办理")
    body = client.post("/o/receipt/", {"code": a.receipt_code.lower()}).content.decode()
    assert "成绩录入差错率高" in body and "已转为问题" in body
    body = client.post("/o/receipt/", {"code": b.receipt_code}).content.decode()
    assert "成绩录入差错率高" in body and "已合并" in body
    body = client.post("/o/receipt/", {"code": c.receipt_code}).content.decode()
    assert "已转图书馆研究办理" in body
    body = client.post("/o/receipt/", {"code": "ZZZZZZZZZZZZ"}).content.decode()
    assert "没有" in body or "No opinion" in body


def test_it_lets_staff_give_an_anonymous_opinion_the_office_cannot_trace(cast, campaign, client_for):
    client = client_for(cast.user("staff_a"))
    response = client.post(
        "/problems/opinions/new/", {"unit": cast.dept_a.pk, "content": "处里评优评先不公开透明", "anonymous": "on"}
    )
    assert response.status_code == 200
    o = Opinion.objects.get()
    assert o.source == "staff_anonymous" and o.submitter is None and o.contact == ""
    assert not AuditRecord.objects.filter(actor=cast.user("staff_a")).filter(action__startswith="opinion").exists()
    body = client_for(cast.user("office")).get(f"/problems/opinions/{o.pk}/").content.decode()
    body = re.sub(r"<select.*?</select>", "", body, flags=re.S)  # the pickers list every colleague
    assert cast.staff_a.name not in body and cast.staff_a.staff_no not in body
    assert "匿名" in body


def test_it_names_the_author_of_a_signed_staff_opinion(cast, campaign, client_for):
    client_for(cast.user("staff_a")).post(
        "/problems/opinions/new/", {"unit": cast.dept_a.pk, "content": "建议公开评优评先结果"}
    )
    o = Opinion.objects.get()
    assert o.source == "staff_signed" and o.submitter == cast.staff_a
    assert cast.staff_a.name in client_for(cast.user("office")).get(f"/problems/opinions/{o.pk}/").content.decode()


def test_the_opinion_page_shows_a_footer_only_with_something_in_it(cast, campaign, client_for):
    from problems.services import opinion_enter

    office = client_for(cast.user("office"))
    entered = opinion_enter(
        actor=cast.user("office"), campaign=campaign, unit=cast.dept_a, content="座谈会：办事慢", source="symposium"
    )
    page = office.get(f"/problems/opinions/{entered.pk}/").content.decode()
    assert "<footer>" not in page[page.index('class="prewrap opinion-text"') : page.index('class="hint"')]
    public = opinion_submit(
        campaign=campaign, unit=cast.dept_a, content="网上意见：推诿", source="public_form", contact="13800000000"
    )
    page = office.get(f"/problems/opinions/{public.pk}/").content.decode()
    assert re.search(r'<footer><small class="opinion-meta">\s*<span>联系方式：13800000000</span>', page)


def test_the_recusal_note_reads_as_one_chinese_sentence(cast, campaign, client_for):
    o = opinion_submit(
        campaign=campaign,
        unit=cast.dept_a,
        content="建议公开评优评先结果",
        source="staff_signed",
        submitter=cast.staff_a,
        concerns_person=cast.cadre_a,
    )
    assert o.recusal_route == ""  # a cadre leads nobody: the usual handlers decide
    page = client_for(cast.user("office")).get(f"/problems/opinions/{o.pk}/").content.decode()
    assert "：干部孙七。本人及其下属看不到此件，按常规渠道办理。" in page and "办理办理" not in page
    assert "署名：教师周八" in page and "涉及人员：干部孙七" in page


def test_it_enters_symposium_opinions_for_the_office(cast, campaign, client_for):
    client = client_for(cast.user("office"))
    r = client.post(
        "/problems/opinions/enter/",
        {
            "source": "symposium",
            "unit": cast.dept_b.pk,
            "submitter_kind": "grassroots",
            "content": "报销流程繁琐，签字环节多",
        },
    )
    assert r.status_code == 302
    o = Opinion.objects.get()
    assert o.source == "symposium" and o.submitter_kind == "grassroots"
    assert AuditRecord.objects.filter(action="opinion.enter", actor=cast.user("office")).exists()
    assert client_for(cast.user("staff_a")).get("/problems/opinions/enter/").status_code == 403


def test_it_triages_from_the_page(cast, campaign, taxonomy, client_for):
    o = opinion_submit(campaign=campaign, unit=cast.dept_a, content="教务处和财务处都推诿扯皮", source="public_form")
    client = client_for(cast.user("office"))
    page = client.get(f"/problems/opinions/{o.pk}/?n=2")
    assert page.status_code == 200
    data = {
        "p-TOTAL_FORMS": "2",
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "1",
        "p-MAX_NUM_FORMS": "5",
        "p-0-unit": cast.dept_a.pk,
        "p-0-subject_kind": "unit",
        "p-0-description": "教务处推诿学生诉求",
        "p-0-severity": "medium",
        "p-0-manifestations": [taxonomy["不作为、慢作为、乱作为"].pk],
        "p-1-unit": cast.dept_b.pk,
        "p-1-subject_kind": "person",
        "p-1-subject_person": cast.head_b.pk,
        "p-1-description": "财务处负责人对报销咨询推诿",
        "p-1-severity": "high",
    }
    assert client.post(f"/problems/opinions/{o.pk}/accept/", data).status_code == 302
    o.refresh_from_db()
    assert o.status == "accepted"
    assert set(Problem.objects.values_list("unit", "subject_person")) == {
        (cast.dept_a.pk, None),
        (cast.dept_b.pk, cast.head_b.pk),
    }


def test_it_closes_and_merges_from_the_page_and_guards_access(cast, campaign, client_for):
    a = opinion_submit(campaign=campaign, unit=cast.dept_a, content="办事流程不透明", source="public_form")
    b = opinion_submit(campaign=campaign, unit=cast.dept_a, content="办事流程很不透明", source="public_form")
    office = client_for(cast.user("office"))
    office.post(f"/problems/opinions/{b.pk}/merge/", {"receipt_code": a.receipt_code})
    office.post(f"/problems/opinions/{a.pk}/close/", {"reason": "已在办事大厅公开流程"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status, b.duplicate_of_id) == ("closed", "merged", a.pk)
    assert client_for(cast.user("outsider")).get(f"/problems/opinions/{a.pk}/").status_code == 404
    assert client_for(cast.user("principal")).get(f"/problems/opinions/{a.pk}/").status_code == 404
    assert client_for(cast.user("head_b")).post(f"/problems/opinions/{a.pk}/close/", {"reason": "x"}).status_code == 404


def test_it_lists_opinions_with_constant_queries(cast, campaign, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("office"))
    opinion_submit(campaign=campaign, unit=cast.dept_a, content="意见一二三四五", source="public_form")
    client.get("/problems/opinions/")
    with django_assert_max_num_queries(22) as few:  # 20, and the bulk form's manifestations and units
        client.get("/problems/opinions/")
    for i in range(25):
        opinion_submit(campaign=campaign, unit=cast.dept_b, content=f"意见{i}号：报销慢", source="paper")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/problems/opinions/").status_code == 200


def test_it_prints_a_qr_poster(cast, campaign, client_for):
    response = client_for(cast.user("office")).get(f"/problems/posters/{cast.dept_a.pk}.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = pdftotext(response.content)
    assert "教务处" in text and f"/o/{cast.dept_a.public_code}/" in text
    assert client_for(cast.user("head_b")).get(f"/problems/posters/{cast.dept_a.pk}.pdf").status_code == 404


def pdftotext(data: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
