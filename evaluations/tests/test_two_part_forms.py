"""Two-part forms (issue #13): one ballot holds an overall grade (总体评价) and item-by-item grades; the
office marks the overall item on the round's page. The target's result, score and rules count the
overall grade alone; the items together are tallied on their own.

Satisfaction scale (满意 100, 基本满意 60, 不满意 0; fails when satisfaction < 3/5). 党员, 6 ballots:
  教务处: 总体评价 满意 ×6; 查摆问题 不满意 ×6; 整改成效 基本满意 ×6.
    result from the overall grade: 6 valid, satisfaction 6/6 = 100.0%, score 100.00 → passes;
    item-by-item part: 基本满意 6, 不满意 6 → satisfaction 6/12 = 50.0%, score (6×60 + 6×0)/12 = 30.00.
    (Counted together, it would have been 12/18 = 66.7% and 53.33.)
  财务处: 总体评价 不满意 ×6; both items 满意 ×6.
    result: satisfaction 0/6 = 0.0%, score 0.00 → does not pass (< 3/5); part: 12/12 = 100.0%, 100.00.
"""

import io

from django.urls import reverse
from openpyxl import load_workbook

from evaluations.services import ballot_cast, codes_issue, evaluation_tally


def test_an_overall_grade_decides_the_result_and_the_items_are_tallied_on_their_own(
    make_round, client_for, office, open_a_round, close_round
):
    ev = make_round(items=["总体评价", "查摆问题", "整改成效"], groups=(("党员", 10, 0, 1),))
    c = client_for(office)
    overall = ev.items.get(text="总体评价")
    r = c.post(
        reverse("evaluations:item_save", args=[ev.pk, overall.pk]),
        {"text": "总体评价", "applies_to": "all", "is_overall": "on"},
        follow=True,
    )
    assert r.status_code == 200
    overall.refresh_from_db()
    assert overall.is_overall
    # a second overall item for the same targets is refused
    other = ev.items.get(text="查摆问题")
    c.post(
        reverse("evaluations:item_save", args=[ev.pk, other.pk]),
        {"text": "查摆问题", "applies_to": "all", "is_overall": "on"},
    )
    other.refresh_from_db()
    assert not other.is_overall

    (codes,) = [codes_issue(actor=office, evaluation=ev, group=g, count=6)[1] for g in ev.groups.all()]
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    grade = {g.label: g.pk for g in ev.grades.all()}
    items = {i.text: i.pk for i in ev.items.all()}
    for code in codes:
        ballot_cast(
            code=code,
            answers={
                (a.pk, items["总体评价"]): grade["满意"],
                (a.pk, items["查摆问题"]): grade["不满意"],
                (a.pk, items["整改成效"]): grade["基本满意"],
                (b.pk, items["总体评价"]): grade["不满意"],
                (b.pk, items["查摆问题"]): grade["满意"],
                (b.pk, items["整改成效"]): grade["满意"],
            },
        )
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.result, a.valid_ballots, str(a.satisfaction), str(a.score)) == ("passed", 6, "1.0000", "100.00")
    assert (b.result, b.valid_ballots, str(b.satisfaction), str(b.score)) == ("failed", 6, "0.0000", "0.00")

    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    parts = page.split('<tr class="items-part">')[1:]
    assert len(parts) == 2
    part_a = parts[0].split("</tr>")[0]
    assert '<td class="grade-cell">6<br><small>50.0%</small></td>' in part_a  # 基本满意 6 of 12
    assert "<td>50.0%</td><td>30.00</td>" in part_a
    part_b = parts[1].split("</tr>")[0]
    assert '<td class="grade-cell">12<br><small>100.0%</small></td>' in part_b
    assert "<td>100.0%</td><td>100.00</td>" in part_b
    assert "本评议对象的结果、得分和规则只计“总体评价”" in page

    wb = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content))
    rows = [r for r in wb["分项结果"].values][1:]
    by = {(r[0], r[1]): r for r in rows}
    part_row = by[("教务处", "分项部分（总体评价以外的各项）")]
    header = list(wb["分项结果"].values)[0]
    assert part_row[header.index("满意率")] == 0.5 and part_row[header.index("得分（简单平均）")] == 30
    assert ("教务处", "总体评价（总体评价）") in by
