"""Bulk triage on the opinions list: many rows handled in one action, all or none, each row checked."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditRecord
from problems.models import Opinion, Problem
from problems.services import opinion_enter

pytestmark = pytest.mark.django_db
BULK = "problems:opinions_bulk"


def enter(cast, campaign, unit, text):
    return opinion_enter(
        actor=cast.user("office"), campaign=campaign, unit=unit, content=text, source=Opinion.Source.SYMPOSIUM
    )


def statuses(ops):
    return [Opinion.objects.get(pk=o.pk).status for o in ops]


def test_it_closes_the_ticked_opinions_with_one_reason(cast, campaign, client_for):
    ops = [enter(cast, campaign, cast.dept_a, f"座谈会意见{i}：办事拖拉") for i in range(3)]
    client = client_for(cast.user("office"))
    page = client.get(reverse("problems:opinions")).content.decode()
    assert 'name="opinions"' in page and "应用到所选" in page and "本页全选" in page
    response = client.post(
        reverse(BULK),
        {"opinions": [ops[0].pk, ops[1].pk], "action": "close", "reason": "已在其他渠道处理"},
        follow=True,
    )
    assert statuses(ops) == ["closed", "closed", "new"]
    assert "已处理 2 条意见" in response.content.decode()
    records = AuditRecord.objects.filter(action="opinion.close")
    assert sorted(int(r.object_id) for r in records) == sorted([ops[0].pk, ops[1].pk])  # one record per row


def test_it_accepts_each_as_a_problem_with_the_chosen_manifestation_and_unit(cast, campaign, client_for, taxonomy):
    ops = [
        enter(cast, campaign, cast.dept_a, "窗口工作人员态度冷淡"),
        enter(cast, campaign, cast.dept_b, "报销手续繁琐复杂"),
    ]
    chosen = next(iter(taxonomy.values()))
    client_for(cast.user("office")).post(
        reverse(BULK),
        {"opinions": [o.pk for o in ops], "action": "accept", "manifestation": chosen.pk, "unit": cast.dept_b.pk},
    )
    assert statuses(ops) == ["accepted", "accepted"]
    for o in ops:
        problem = Opinion.objects.get(pk=o.pk).problems.get()
        assert problem.unit == cast.dept_b and problem.description == o.content
        assert list(problem.manifestations.all()) == [chosen]
    assert Problem.objects.filter(campaign=campaign).count() == 2
    assert AuditRecord.objects.filter(action="opinion.accept").count() == 2


def test_it_marks_the_ticked_ones_as_duplicates_of_an_earlier_opinion(cast, campaign, client_for):
    first = enter(cast, campaign, cast.dept_a, "食堂价格偏高")
    dupes = [enter(cast, campaign, cast.dept_a, "食堂饭菜太贵"), enter(cast, campaign, cast.dept_a, "食堂收费高")]
    client_for(cast.user("office")).post(
        reverse(BULK), {"opinions": [o.pk for o in dupes], "action": "merge", "receipt_code": first.receipt_code}
    )
    assert statuses(dupes) == ["merged", "merged"]
    assert {Opinion.objects.get(pk=o.pk).duplicate_of_id for o in dupes} == {first.pk}
    assert statuses([first]) == ["new"]


def test_it_changes_nothing_when_one_row_is_already_triaged_and_names_it(cast, campaign, client_for):
    ops = [
        enter(cast, campaign, cast.dept_a, "意见甲：接待不热情"),
        enter(cast, campaign, cast.dept_a, "意见乙：回复慢"),
    ]
    client = client_for(cast.user("office"))
    client.post(reverse(BULK), {"opinions": [ops[1].pk], "action": "close", "reason": "重复"})
    response = client.post(
        reverse(BULK), {"opinions": [ops[0].pk, ops[1].pk], "action": "close", "reason": "无关"}, follow=True
    )
    assert statuses(ops) == ["new", "closed"]
    page = response.content.decode()
    assert "未作任何改动" in page and f"{ops[1].receipt_code}：已梳理" in page
    assert AuditRecord.objects.filter(action="opinion.close").count() == 1


def test_it_refuses_the_whole_action_when_a_row_is_another_units(cast, campaign, client_for):
    mine = enter(cast, campaign, cast.dept_a, "教务处意见：排课冲突")
    theirs = enter(cast, campaign, cast.dept_b, "财务处意见：报销慢")
    response = client_for(cast.user("head_a")).post(
        reverse(BULK), {"opinions": [mine.pk, theirs.pk], "action": "close", "reason": "x"}, follow=True
    )
    assert statuses([mine, theirs]) == ["new", "new"]
    page = response.content.decode()
    assert f"编号 {theirs.pk}：不是您处理的意见" in page
    assert theirs.receipt_code not in page  # another unit's receipt code is never shown
    assert not AuditRecord.objects.filter(action__startswith="opinion.close").exists()


def test_it_refuses_to_close_without_a_reason(cast, campaign, client_for):
    op = enter(cast, campaign, cast.dept_a, "意见丙：材料要求反复")
    response = client_for(cast.user("office")).post(
        reverse(BULK), {"opinions": [op.pk], "action": "close"}, follow=True
    )
    assert statuses([op]) == ["new"]
    assert "请填写办结理由" in response.content.decode()


def test_without_javascript_every_field_is_labelled_and_each_is_marked_for_its_decision(cast, campaign, client_for):
    enter(cast, campaign, cast.dept_a, "意见丁：窗口推诿")
    page = client_for(cast.user("office")).get(reverse("problems:opinions")).content.decode()
    bar = page[page.index('<fieldset class="bulkbar') : page.index("</fieldset>")]
    # every field is in the page (app.js hides the ones the chosen decision does not need)
    assert re.search(r'<label data-show-if="action=accept">表现 <select name="manifestation"', bar)
    assert re.search(r'<label data-show-if="action=accept">交由单位 <select name="unit"', bar)
    assert re.search(r'<label data-show-if="action=merge">原意见的回执码 <input type="text" name="receipt_code"', bar)
    assert re.search(
        r'<label class="grow">理由或备注<small data-show-if="action=close">（办结时必填）</small> <input', bar
    )
    assert "placeholder" not in bar  # labels, not placeholders that vanish when typing


def test_it_refuses_to_merge_without_the_earlier_code(cast, campaign, client_for):
    op = enter(cast, campaign, cast.dept_a, "意见戊：材料要求反复")
    response = client_for(cast.user("office")).post(
        reverse(BULK), {"opinions": [op.pk], "action": "merge", "manifestation": "", "reason": ""}, follow=True
    )
    assert statuses([op]) == ["new"]
    assert "请填写原意见的回执码。" in response.content.decode()


def test_with_htmx_it_swaps_the_list_with_the_summary(cast, campaign, client_for):
    ops = [enter(cast, campaign, cast.dept_a, f"意见{i}：态度差") for i in range(3)]
    response = client_for(cast.user("office")).post(
        reverse(BULK),
        {"opinions": [o.pk for o in ops], "action": "close", "reason": "不属于作风问题", "back": "status=new"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.startswith('<div id="opinion-list">')
    assert (
        "已处理 3 条意见" in page and "暂无意见" in page and '已办 <mark class="badge">3</mark>' in page
    )  # nothing left to do on the list
    assert statuses(ops) == ["closed"] * 3


def test_the_done_tab_lists_the_triaged_ones(cast, campaign, client_for):
    ops = [
        enter(cast, campaign, cast.dept_a, "待办意见：值班缺岗"),
        enter(cast, campaign, cast.dept_a, "已办意见：办事慢"),
    ]
    client = client_for(cast.user("office"))
    client.post(reverse(BULK), {"opinions": [ops[1].pk], "action": "close", "reason": "已核实"}, follow=True)
    todo = client.get(reverse("problems:opinions")).content.decode()
    done = client.get(reverse("problems:opinions"), {"status": "done"}).content.decode()
    assert "待办" in todo and "已办" in todo
    assert ops[0].receipt_code in todo and ops[1].receipt_code not in todo
    assert ops[1].receipt_code in done and ops[0].receipt_code not in done and "已核实" in done


def _sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    return list(wb.active.iter_rows(values_only=True))


def test_it_exports_the_ticked_rows_and_the_filtered_list(cast, campaign, client_for):
    ops = [enter(cast, campaign, cast.dept_a, f"导出意见{i}") for i in range(3)]
    enter(cast, campaign, cast.dept_b, "财务处的意见")
    client = client_for(cast.user("office"))
    response = client.post(reverse("problems:opinions_export"), {"opinions": [ops[0].pk, ops[2].pk]})
    assert "filename*=utf-8''%E6%84%8F%E8%A7%81" in response["Content-Disposition"]  # 意见…
    rows = _sheet(response)
    assert rows[0][0] == "回执码" and len(rows) == 3
    assert {r[0] for r in rows[1:]} == {ops[0].receipt_code, ops[2].receipt_code}
    assert rows[1][1].date() == ops[0].received_on  # a date cell, not text
    rows = _sheet(client.get(reverse("problems:opinions_export"), {"status": "new", "unit": cast.dept_a.pk}))
    assert len(rows) == 4 and "财务处的意见" not in {r[4] for r in rows}


def test_the_export_keeps_other_units_out(cast, campaign, client_for):
    theirs = enter(cast, campaign, cast.dept_b, "财务处意见")
    rows = _sheet(client_for(cast.user("head_a")).post(reverse("problems:opinions_export"), {"opinions": [theirs.pk]}))
    assert len(rows) == 1  # the header only
