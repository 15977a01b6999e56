"""The combined final score (综合得分, issue #13), configured, entered and imported through the office's pages.

Satisfaction scale (满意 100, 基本满意 60, 不满意 0), one item, 12 ballots (党员 6, 群众 6).
Targets: 教务处 10 × 满意, 2 × 基本满意 → score 1120/12 = 280/3 = 93.333…  (shown 93.33)
         财务处 12 × 满意 → 100
         处长张三 (a person) 9 × 满意, 3 × 不满意 → 75
Parts: 民主评议得分 60% (of 100), 年度考核 30% (of 100), 考勤 10% (of 10).
  combined = 60% × E + 30% × 年度考核 + 10% × (考勤 ÷ 10 × 100) = 0.6 E + 0.3 Y + T
  教务处: Y 90.35, T 8.4 → 0.6 × 280/3 = 56 exactly; 56 + 27.105 + 8.4 = 91.505 → 91.51 (half up);
          half even would give 91.50, and rounding E first (93.33) would give 91.503 → 91.50.
  财务处: Y 88.55, T 9 → 60 + 26.565 + 9 = 95.565 → 95.57 (half up; half even 95.56).
  处长张三: Y 80, no 考勤 → no combined score: 缺少分项：考勤 (never counted as 0).
Combined ranking: 财务处 1, 教务处 2; 处长张三 not ranked.
"""

import io
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document
from openpyxl import Workbook, load_workbook

from audit.models import AuditRecord
from evaluations.models import ComponentValue, ScoreComponent
from evaluations.services import ballot_cast, codes_issue, evaluation_tally

Q2 = Decimal("0.01")
VOTES = {
    "教务处": ["满意"] * 10 + ["基本满意"] * 2,
    "财务处": ["满意"] * 12,
    "处长张三": ["满意"] * 9 + ["不满意"] * 3,
}
SCHEME = {
    "action": "scheme",
    "evaluation_name": "民主评议得分",
    "evaluation_weight": "60",
    "evaluation_full_marks": "100",
    "name_0": "年度考核",
    "weight_0": "30",
    "full_marks_0": "100",
    "name_1": "考勤",
    "weight_1": "10",
    "full_marks_1": "10",
}


def test_the_hand_computed_values_round_half_up_where_half_even_differs():
    assert Decimal("91.505").quantize(Q2, ROUND_HALF_UP) == Decimal("91.51")
    assert Decimal("91.505").quantize(Q2, ROUND_HALF_EVEN) == Decimal("91.50")
    assert Decimal("95.565").quantize(Q2, ROUND_HALF_EVEN) == Decimal("95.56")


@pytest.fixture
def tallied(cast, client_for, make_round, office, open_a_round, close_round):
    ev = make_round(items=["总体评价"], groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1)))
    c = client_for(office)
    c.post(
        reverse("evaluations:target_add", args=[ev.pk]),
        {"kind": "person", "unit": cast.dept_a.pk, "person": cast.head_a.pk},
    )
    codes = {g.name: codes_issue(actor=office, evaluation=ev, group=g, count=6)[1] for g in ev.groups.all()}
    ev = open_a_round(ev)
    targets = {str(t): t for t in ev.targets.all()}
    item = ev.items.get()
    grade = {g.label: g.pk for g in ev.grades.all()}
    for k, code in enumerate(codes["党员"] + codes["群众"]):
        ballot_cast(code=code, answers={(t.pk, item.pk): grade[VOTES[name][k]] for name, t in targets.items()})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    return ev, c, targets


def _xlsx(rows) -> SimpleUploadedFile:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("scores.xlsx", buf.getvalue())


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_office_combines_the_evaluation_score_with_entered_and_imported_scores(tallied, cast, office):
    ev, c, t = tallied
    url = reverse("evaluations:components", args=[ev.pk])
    a, b, head = t["教务处"], t["财务处"], t["处长张三"]

    # weights that do not add up to 100% are refused, and nothing is stored
    r = c.post(url, {**SCHEME, "weight_1": "5"}, follow=True)
    assert "各项权重合计为95%，不是100%" in _messages(r) and not ScoreComponent.objects.exists()
    r = c.post(url, SCHEME, follow=True)
    assert "民主评议得分 60% + 年度考核 30% + 考勤 10%（满分10）" in r.content.decode()
    own, annual, attendance = ScoreComponent.objects.filter(evaluation=ev)
    assert own.is_evaluation and (annual.name, annual.weight, attendance.full_marks) == ("年度考核", 30, 10)

    # values typed on the page: a value above the full marks is refused, nothing stored
    body = {"action": "values", f"v{a.pk}_{annual.pk}": "90.35", f"v{a.pk}_{attendance.pk}": "8.4"}
    r = c.post(url, {**body, f"v{b.pk}_{attendance.pk}": "11"}, follow=True)
    assert "财务处 · 考勤：应在0至10之间" in _messages(r) and not ComponentValue.objects.exists()
    c.post(url, {**body, f"v{b.pk}_{attendance.pk}": "9"})
    assert ComponentValue.objects.count() == 3

    # the template lists every target with the values so far
    sheet = load_workbook(io.BytesIO(c.get(reverse("evaluations:components_template", args=[ev.pk])).content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["对象", "工号", "年度考核", "考勤"]
    assert ["教务处", None, 90.35, 8.4] in rows and ["处长张三", cast.head_a.staff_no, None, None] in rows

    # an import with errors stores nothing and names each error by row and column
    imp = reverse("evaluations:components_import", args=[ev.pk])
    bad = _xlsx(
        [
            ["对象", "工号", "年度考核", "考勤"],
            ["财务处", None, "88.55", None],
            ["处长张三", cast.head_a.staff_no, "八十", None],
            ["后勤处", None, 70, None],
            [None, "T999", 70, None],
        ]
    )
    msg = _messages(c.post(imp, {"file": bad}, follow=True))
    assert "第3行C列（年度考核）：不是数字" in msg
    assert "第4行A列：“后勤处”不是本轮的评议对象" in msg and "第5行B列：本轮没有工号为“T999”的评议对象" in msg
    assert ComponentValue.objects.count() == 3
    good = _xlsx(
        [["对象", "工号", "年度考核", "考勤"], ["财务处", None, 88.55, None], [None, cast.head_a.staff_no, 80, None]]
    )
    assert "已导入：2项" in _messages(c.post(imp, {"file": good}, follow=True))
    assert ComponentValue.objects.get(target=b, component=attendance).value == 9  # a blank cell changes nothing

    c.post(reverse("evaluations:publish", args=[ev.pk]))
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    section = page[page.index('id="combined"') :]
    section = section[: section.index("</table>")]
    assert "综合得分 = 民主评议得分 60% + 年度考核 30% + 考勤 10%（满分10）" in page
    row = {name: section[section.index(f"<td>{name}</td>") :].split("</tr>")[0] for name in t}
    assert "<td>93.33</td><td>90.35</td><td>8.4</td>" in row["教务处"] and "<strong>91.51</strong>" in row["教务处"]
    assert "<strong>95.57</strong>" in row["财务处"] and '<td class="combined-rank">1<br>' in row["财务处"]
    assert '<td class="combined-rank">2<br>' in row["教务处"]
    assert "缺少分项：考勤" in row["处长张三"] and '<td class="combined-rank">—</td>' in row["处长张三"]

    wb = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content))
    combined = [list(r) for r in wb["综合得分"].iter_rows(values_only=True)]
    assert combined[1][:7] == [
        "评议对象",
        "类型",
        "民主评议得分（60%）",
        "年度考核（30%）",
        "考勤（10%）",
        "综合得分",
        "综合排名",
    ]
    by_target = {r[0]: r for r in combined[2:]}
    assert by_target["教务处"][2:6] == [93.33, 90.35, 8.4, 91.51] and by_target["财务处"][5:7] == [95.57, 1]
    assert by_target["处长张三"][4:6] == ["—", "缺少分项：考勤"]
    main = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    col = main[1].index("综合得分")
    assert {r[0]: r[col] for r in main[2:]} == {"教务处": 91.51, "财务处": 95.57, "处长张三": "缺少分项：考勤"}

    doc = Document(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "docx"])).content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "五、综合得分" in text and "民主评议得分 60% + 年度考核 30% + 考勤 10%（满分10）" in text
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    assert "91.51" in cells and "95.57" in cells

    # locked once the results are published
    r = c.post(url, {**SCHEME, "weight_0": "25", "weight_1": "15"}, follow=True)
    assert "结果已公布，综合得分不能再修改" in _messages(r)
    r = c.post(url, {"action": "values", f"v{head.pk}_{attendance.pk}": "10"}, follow=True)
    assert (
        "结果已公布" in _messages(r) and not ComponentValue.objects.filter(target=head, component=attendance).exists()
    )
    assert not c.post(imp, {"file": good}, follow=True).content.decode().count("已导入")
    assert list(
        AuditRecord.objects.filter(action__startswith="evaluation.component")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "evaluation.components_save",
        "evaluation.component_values",
        "evaluation.component_values",
    ]


def test_only_the_office_configures_the_combined_score(tallied, cast, client_for):
    ev, c, _t = tallied
    url = reverse("evaluations:components", args=[ev.pk])
    other = client_for(cast.user("head_a"))
    assert other.post(url, SCHEME).status_code in (403, 404) and not ScoreComponent.objects.exists()


def test_a_withheld_evaluation_score_withholds_the_combined_score(tallied):
    """When the round shows no target's figures (here: at least 13 ballots needed, 12 cast), the combined
    score is withheld too: less the other parts it would give the withheld evaluation score back."""
    ev, c, t = tallied
    url = reverse("evaluations:components", args=[ev.pk])
    c.post(url, SCHEME)
    _own, annual, attendance = ScoreComponent.objects.filter(evaluation=ev)
    values = {"action": "values"}
    for target in t.values():
        values.update({f"v{target.pk}_{annual.pk}": "80", f"v{target.pk}_{attendance.pk}": "10"})
    c.post(url, values)
    from evaluations.release import release
    from evaluations.results import collect

    data = collect(ev)
    b = next(r for r in data["targets"] if r["target"] == t["财务处"])
    assert b["combined"] == Decimal("94.00")  # 60 + 24 + 10
    ev.min_group_size_shown = 13
    shown = release(data)
    assert all(r["combined"] is None and r["parts"][0] is None for r in shown["targets"])
    assert all(r["parts"][1:] == [Decimal("80"), Decimal("10")] for r in shown["targets"])
    assert not any(r["combined_rank"] for r in shown["targets"])
