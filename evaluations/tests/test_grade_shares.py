"""Per-grade shares (issue #13): each grade's answers and share per target, per item and per evaluator
group, on the results page and in the Excel and Word exports, as the office reads them.

The round: competence scale with 不了解, two items, three groups. Expected figures are worked out by
hand below; shares are answers / valid answers, 不了解 answers / all answers."""

import io

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from evaluations.services import ballot_cast, evaluation_tally

# item 1 (工作作风) of target A, per voter; item 2 (服务质量) is 称职 from everyone but the 不了解 voter
PARTY = ["优秀", "优秀", "优秀", "称职", "称职", "不称职"]
MASSES = ["优秀", "称职", "称职", "称职", "基本称职", "不了解"]
SERVICE_USERS = ["不称职", "不称职", "不称职"]  # 3 ballots: below the minimum of 5, never shown alone

# Target A over both items: 优秀 4, 称职 5+14=19, 基本称职 1, 不称职 4 → 28 valid answers; 不了解 2 of 30.
TARGET_A = {"优秀": "4<br><small>14.3%", "称职": "19<br><small>67.9%", "基本称职": "1<br><small>3.6%",
            "不称职": "4<br><small>14.3%", "不了解": "2<br><small>6.7%"}  # fmt: skip
# Item 1 of A: 优秀 4/14, 称职 5/14, 基本称职 1/14, 不称职 4/14; 不了解 1/15.
ITEM_1 = {"优秀": "28.6%", "称职": "35.7%", "基本称职": "7.1%", "不称职": "28.6%", "不了解": "6.7%"}
# 党员 (6 valid ballots, shown): 优秀 3/12, 称职 8/12, 基本称职 0, 不称职 1/12.
PARTY_SHARES = {"优秀": "25.0%", "称职": "66.7%", "基本称职": "0.0%", "不称职": "8.3%", "不了解": "0.0%"}
# 服务对象代表 (3) is too small; 群众 (5 valid, the smallest shown) joins it: 8 valid ballots merged.
# 优秀 1/16, 称职 (3+5+3)/16, 基本称职 1/16, 不称职 3/16; 不了解 2/18.
MERGED_SHARES = {"优秀": "6.3%", "称职": "68.8%", "基本称职": "6.3%", "不称职": "18.8%", "不了解": "11.1%"}


@pytest.fixture
def tallied(cast, close_round, open_round, office):
    ev, codes = open_round(
        preset="competence",
        include_unknown=True,
        items=["工作作风", "服务质量"],
        groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1), ("服务对象代表", 6, 0, 1)),
    )
    a, b = ev.targets.order_by("order")
    work, service = ev.items.order_by("order")
    grade = {g.label: g.pk for g in ev.grades.all()}
    ballots = [
        *zip(codes["党员"], PARTY, strict=True),
        *zip(codes["群众"], MASSES, strict=True),
        *zip(codes["服务对象代表"], SERVICE_USERS, strict=False),
    ]
    for code, first in ballots:
        second = "不了解" if first == "不了解" else "称职"
        ballot_cast(
            code=code,
            answers={
                (a.pk, work.pk): grade[first],
                (a.pk, service.pk): grade[second],
                (b.pk, work.pk): grade["称职"],
                (b.pk, service.pk): grade["称职"],
            },
        )
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    return ev


def _cells(html: str, after: str, until: str) -> str:
    start = html.index(after)
    return html[start : html.index(until, start)]


def test_the_results_page_shows_each_grade_with_its_share(tallied, cast, client_for):
    page = client_for(cast.user("office")).get(reverse("evaluations:results", args=[tallied.pk])).content.decode()
    labels = [g.label for g in tallied.grades.all()]
    assert labels == ["优秀", "称职", "基本称职", "不称职", "不了解"]

    target_row = _cells(page, "<strong>教务处</strong><br>", "</tr>")
    assert [f'<td class="grade-cell">{TARGET_A[g]}</small></td>' in target_row for g in labels] == [True] * 5

    details = _cells(page, "<summary><strong>教务处</strong>", "</details>")
    item_row = _cells(details, "<td>工作作风</td>", "</tr>")
    assert [f"<small>{ITEM_1[g]}</small>" in item_row for g in labels] == [True] * 5
    item_2 = _cells(details, "<td>服务质量</td>", "</tr>")
    assert '<td class="grade-cell">14<br><small>100.0%</small></td>' in item_2  # 称职 14 of 14 valid

    party = _cells(details, "<td>党员</td>", "</tr>")
    assert [f"<small>{PARTY_SHARES[g]}</small>" in party for g in labels] == [True] * 5
    merged = _cells(details, "<td>其他评议组", "</tr>")
    assert [f"<small>{MERGED_SHARES[g]}</small>" in merged for g in labels] == [True] * 5
    assert "<td>服务对象代表</td>" not in details and "<td>群众</td>" not in details


def test_the_excel_export_has_shares_as_numbers_with_a_percent_format(tallied, cast, client_for):
    c = client_for(cast.user("office"))
    wb = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[tallied.pk, "xlsx"])).content))
    ws = wb.worksheets[0]
    header = [cell.value for cell in ws[2]]
    a = ws[3]
    assert a[0].value == "教务处"
    share = a[header.index("优秀占比")]
    assert share.value == pytest.approx(4 / 28, abs=0.00005) and share.number_format == "0.0%"
    assert a[header.index("优秀")].value == 4
    assert a[header.index("不了解占比")].value == pytest.approx(2 / 30, abs=0.00005)
    sat = a[header.index("满意率")]
    assert sat.value == pytest.approx(23 / 28, abs=0.00005) and sat.number_format == "0.0%"

    by_item = wb.worksheets[1]
    header = [cell.value for cell in by_item[1]]
    rows = {(r[0].value, r[1].value): r for r in by_item.iter_rows(min_row=2)}
    work = rows[("教务处", "工作作风")]
    assert work[header.index("不称职")].value == 4
    assert work[header.index("不称职占比")].value == pytest.approx(4 / 14, abs=0.00005)

    by_group = wb.worksheets[2]
    header = [cell.value for cell in by_group[1]]
    groups = {r[1].value: r for r in by_group.iter_rows(min_row=2) if r[0].value == "教务处"}
    assert set(groups) == {"党员", "其他评议组（合并显示：票数过少，不单独显示）"}
    assert groups["党员"][header.index("称职占比")].value == pytest.approx(8 / 12, abs=0.00005)
    merged = groups["其他评议组（合并显示：票数过少，不单独显示）"]
    assert merged[header.index("有效票")].value == 8
    assert merged[header.index("不称职占比")].value == pytest.approx(3 / 16, abs=0.00005)
    assert merged[header.index("不称职占比")].number_format == "0.0%"


def test_the_word_report_gives_each_grade_with_its_share(tallied, cast, client_for):
    c = client_for(cast.user("office"))
    doc = Document(io.BytesIO(c.get(reverse("evaluations:export", args=[tallied.pk, "docx"])).content))
    by_target, by_item, by_group = doc.tables[0], doc.tables[1], doc.tables[2]
    header = [cell.text for cell in by_target.rows[0].cells]
    a = [cell.text for cell in by_target.rows[1].cells]
    assert a[0] == "教务处" and a[header.index("优秀")] == "4（14.3%）" and a[header.index("不了解")] == "2（6.7%）"
    item_rows = {(r.cells[0].text, r.cells[1].text): [c.text for c in r.cells] for r in by_item.rows[1:]}
    header = [cell.text for cell in by_item.rows[0].cells]
    assert item_rows[("教务处", "工作作风")][header.index("基本称职")] == "1（7.1%）"
    header = [cell.text for cell in by_group.rows[0].cells]
    party = next([c.text for c in r.cells] for r in by_group.rows[1:] if r.cells[1].text == "党员")
    assert party[header.index("称职")] == "8（66.7%）"
