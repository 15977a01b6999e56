"""Free text, a cap on the top grade and groups counted apart (issue #13), each configured through the
office's pages, cast through the public ballot pages, and compared with figures worked out here.

Free text. Strengths (优点) and suggestions (意见建议) asked; smallest group shown 5. Ballots: 党员 6,
群众 7, 服务对象 2, each writing one strength for 教务处. Release for 教务处 (valid ballots 6, 7, 2):
服务对象 2 < 5 is merged; the merge (2) is below 5, so the smallest shown group (党员 6, before 群众 7)
joins it: shown 群众 (7 texts), “other groups” = 党员 + 服务对象 (8 texts), each list sorted.

Cap. Competence scale, at most 50% 优秀 per voter and question; two targets: 优秀 to both (2 × 100 >
50 × 2) is refused, nothing stored, the code still usable; 优秀 to one (1 × 100 ≤ 50 × 2) is taken.

Counted apart. Satisfaction scale (满意 100, 基本满意 60, 不满意 0; fails when satisfaction < 3/5).
党员 6 ballots: 教务处 满意 ×6, 财务处 满意 ×4 + 基本满意 ×2. 预备党员 (counted apart) 5 ballots: 不满意
to both. Main figures: 教务处 6 valid, satisfaction 6/6 = 100.0%, score 100.00, passes; 财务处 6 valid,
satisfaction 100.0%, score (4×100 + 2×60)/6 = 86.67, passes. Had 预备党员 counted, 教务处 would be
6/11 = 54.5% < 3/5 and fail. Apart line: 预备党员 5 valid, 不满意 5 (100.0%), satisfaction 0.0%, score 0.00.
"""

import io

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from evaluations import storage
from evaluations.models import BallotToken, FreeText, SealedBallot
from evaluations.services import codes_issue, evaluation_tally


def docx_text(content: bytes) -> dict:
    """The Word document's top headings (一、… in the official style: plain paragraphs) and tables as text."""
    doc = Document(io.BytesIO(content))
    return {
        "headings": [p.text for p in doc.paragraphs if p.text[:1] in "一二三四五六七八九十" and "、" in p.text[:3]],
        "tables": [[[cell.text for cell in row.cells] for row in t.rows] for t in doc.tables],
    }


SUBMIT = reverse("evaluations_public:submit")


def _counting(c, ev, **fields):
    data = {"score_method": "plain", "min_group_size_shown": "5", **fields}
    r = c.post(reverse("evaluations:rule", args=[ev.pk]), data, follow=True)
    assert r.status_code == 200
    ev.refresh_from_db()


def _answers(ev, grades_by_target: dict) -> dict:
    """POST fields of a ballot giving each target its grade (label) on every item."""
    labels = {g.label: g.pk for g in ev.grades.all()}
    return {
        f"a-{t.pk}-{i.pk}": labels[grades_by_target[t]]
        for t in ev.targets.all()
        for i in ev.items.all()
        if i.applies(t.kind)
    }


def _submit(ev, code, grades_by_target, **texts):
    return Client().post(SUBMIT, {"code": code, **_answers(ev, grades_by_target), **texts})


@pytest.fixture
def three_groups(make_round, client_for, office):
    ev = make_round(items=["总体评价"], groups=(("党员", 10, 0, 1), ("群众", 10, 0, 1), ("服务对象", 10, 0, 1)))
    return ev, client_for(office)


def test_free_text_is_asked_on_the_ballot_and_shown_only_grouped_sorted_from_the_minimum(
    three_groups, office, open_a_round, close_round
):
    ev, c = three_groups
    _counting(c, ev, ask_strengths="on", ask_suggestions="on")
    assert ev.free_text_fields() == ["strengths", "suggestions"]
    detail = c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "评议票上的意见: 优点、意见建议" in detail

    codes = {g.name: codes_issue(actor=office, evaluation=ev, group=g, count=8)[1] for g in ev.groups.all()}
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    page = Client().post(reverse("evaluations_public:open"), {"code": codes["党员"][0]}).content.decode()
    assert f'name="t-{a.pk}-strengths"' in page and f'name="t-{b.pk}-suggestions"' in page
    assert f'name="t-{a.pk}-weaknesses"' not in page  # not asked

    written = {"党员": [], "群众": [], "服务对象": []}
    for group, n in (("党员", 6), ("群众", 7), ("服务对象", 2)):
        for k in range(n):
            text = f"{group}说{'九八七六五四三'[k]}"  # written in an order that sorting changes
            written[group].append(text)
            r = _submit(ev, codes[group][k], {a: "满意", b: "满意"}, **{f"t-{a.pk}-strengths": text})
            assert r.status_code == 302, r.content.decode()[:300]
    # a too-long comment is refused and nothing is stored
    r = _submit(ev, codes["党员"][7], {a: "满意", b: "满意"}, **{f"t-{a.pk}-strengths": "长" * 201})
    assert r.status_code == 400 and "每条意见最多200个字" in r.content.decode()
    assert SealedBallot.objects.filter(evaluation=ev).count() == 15
    assert not FreeText.objects.exists()  # while open the texts exist only sealed

    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    assert FreeText.objects.filter(evaluation=ev).count() == 15
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    start = page.index('<details class="comments">')
    block = page[start : page.index("</details>", start)]
    assert "教务处" in block
    groups = block.split('<h3 class="comment-group">')[1:]
    assert [g.split("</h3>")[0] for g in groups] == ["群众", "其他评议组（合并显示：票数过少，不单独显示）"]
    shown = [[li.split("</li>")[0] for li in g.split("<li>")[1:]] for g in groups]
    assert shown[0] == sorted(written["群众"])
    assert shown[1] == sorted(written["党员"] + written["服务对象"])
    assert shown[0] != written["群众"]  # not in the order written
    assert "<h4>优点</h4>" in block and "意见建议" not in block  # no suggestion was written
    wb = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content))
    rows = list(wb["意见"].values)
    assert rows[0] == ("评议对象", "评议组", "栏目", "意见")
    assert [r[3] for r in rows[1:]] == sorted(written["群众"]) + sorted(written["党员"] + written["服务对象"])
    doc = docx_text(c.get(reverse("evaluations:export", args=[ev.pk, "docx"])).content)
    assert doc["headings"][-2:] == ["五、意见建议（分组列出，不按填写顺序）", "六、参评情况"]
    assert [row[3] for row in doc["tables"][-2][1:]] == [r[3] for r in rows[1:]]  # the same texts, same order


@pytest.mark.django_db(transaction=True)
def test_an_operator_reading_the_free_text_table_cannot_order_the_texts_by_submission(
    make_round, office, open_a_round, close_round, client_for
):
    """What the operator has: the table's rows in stored order and by key, and its columns. None gives
    the order in which the texts were written or the ballot a text came from."""
    ev = make_round(items=["总体评价"], groups=(("党员", 30, 0, 1),))
    _counting(client_for(office), ev, ask_weaknesses="on")
    (codes,) = [codes_issue(actor=office, evaluation=ev, group=g, count=20)[1] for g in ev.groups.all()]
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    order = [f"意见{k:02d}" for k in range(20)]
    for code, text in zip(codes, order, strict=True):
        assert _submit(ev, code, {a: "满意", b: "基本满意"}, **{f"t-{a.pk}-weaknesses": text}).status_code == 302
    boxes = {len(bytes(x)) for x in SealedBallot.objects.values_list("box", flat=True)}
    assert len(boxes) == 1  # every sealed ballot of the round has one size, whatever was written
    raw = b"".join(bytes(x) for x in SealedBallot.objects.values_list("box", flat=True))
    assert "意见07".encode() not in raw
    close_round(ev)

    with connection.cursor() as cur:
        cur.execute("SELECT * FROM evaluations_freetext WHERE 1 = 0")
        columns = {d[0] for d in cur.description}
        cur.execute("SELECT text FROM evaluations_freetext")
        stored = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT text FROM evaluations_freetext ORDER BY id")
        by_key = [r[0] for r in cur.fetchall()]
    assert columns == {"id", "evaluation_id", "target_id", "group_id", "field", "text"}  # no ballot, no day
    assert sorted(stored) == order
    assert stored not in (order, order[::-1]) and by_key not in (order, order[::-1])
    if connection.vendor == "sqlite":
        assert storage.is_without_rowid("evaluations_freetext")  # no hidden insertion counter
    else:
        with connection.cursor() as cur:  # PostgreSQL: one transaction wrote them all, in shuffled order
            cur.execute("SELECT DISTINCT xmin::text FROM evaluations_freetext")
            assert len(cur.fetchall()) == 1
    # and the texts' positions do not follow the ballots' positions either
    assert not BallotToken.objects.filter(evaluation=ev).exists()


def test_a_ballot_over_the_cap_on_the_top_grade_is_refused_with_a_clear_message_and_nothing_stored(
    make_round, client_for, office, open_a_round
):
    ev = make_round(preset="competence", items=["总体评价"], groups=(("党员", 10, 0, 1),))
    c = client_for(office)
    top = ev.grades.get(label="优秀")
    _counting(c, ev, cap_grade=top.pk, cap_percent="50")
    assert (ev.cap_grade, ev.cap_percent) == (top, 50)
    assert "每名评议人每一题最多50% 优秀" in c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    # the page refuses a cap without its grade (the cap set stays)
    c.post(
        reverse("evaluations:rule", args=[ev.pk]),
        {"score_method": "plain", "min_group_size_shown": "5", "cap_percent": "30"},
    )
    ev.refresh_from_db()
    assert (ev.cap_grade, ev.cap_percent) == (top, 50)
    (codes,) = [codes_issue(actor=office, evaluation=ev, group=g, count=2)[1] for g in ev.groups.all()]
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")

    r = _submit(ev, codes[0], {a: "优秀", b: "优秀"})
    assert r.status_code == 400
    page = r.content.decode()
    assert "“优秀”在“总体评价”上最多只能给50%的评议对象（共2个，最多1个）；您给了2个。" in page
    assert page.count("checked") == 2  # the voter's choices are kept on the page
    assert not SealedBallot.objects.exists()
    assert not BallotToken.objects.filter(used_on__isnull=False).exists()  # the code is still good

    assert _submit(ev, codes[0], {a: "优秀", b: "称职"}).status_code == 302
    assert SealedBallot.objects.count() == 1


def test_a_group_counted_apart_is_tallied_and_shown_on_its_own_never_in_the_main_figures(
    make_round, client_for, office, open_a_round, close_round
):
    ev = make_round(items=["总体评价"], groups=(("党员", 10, 0, 1), ("预备党员", 10, 0, 1)))
    c = client_for(office)
    g = ev.groups.get(name="预备党员")
    c.post(
        reverse("evaluations:group_save", args=[ev.pk, g.pk]),
        {"kind": g.kind, "name": g.name, "planned": 10, "minimum": 0, "weight": "1", "counted_apart": "on"},
    )
    g.refresh_from_db()
    assert g.counted_apart
    assert 'name="counted_apart" checked' in c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    codes = {x.name: codes_issue(actor=office, evaluation=ev, group=x, count=6)[1] for x in ev.groups.all()}
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    for k in range(6):
        _submit(ev, codes["党员"][k], {a: "满意", b: "满意" if k < 4 else "基本满意"})
    for k in range(5):
        _submit(ev, codes["预备党员"][k], {a: "不满意", b: "不满意"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.result, a.valid_ballots, str(a.satisfaction), str(a.score)) == ("passed", 6, "1.0000", "100.00")
    assert (b.result, b.valid_ballots, str(b.score)) == ("passed", 6, "86.67")

    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    assert '<div class="figure">6</div>' in page  # the main ballots only
    start = page.index('<table class="compact apart">')
    apart = page[start : page.index("</table>", start)]
    rows = apart.split("<tr>")[2:]
    assert len(rows) == 2 and all("预备党员" in r for r in rows)
    first = rows[0]
    assert "<td>教务处</td><td>预备党员</td><td>5</td>" in first
    assert '<td class="grade-cell">5<br><small>100.0%</small></td>' in first  # 不满意 5 of 5
    assert "<td>0.0%</td><td>0.00</td>" in first
    wb = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content))
    sheet = list(wb["单独统计"].values)
    assert sheet[1][:3] == ("教务处", "预备党员", 5) and sheet[1][-2:] == (0, 0)
    doc = docx_text(c.get(reverse("evaluations:export", args=[ev.pk, "docx"])).content)
    assert "五、单独统计的评议组" in doc["headings"]
    apart_table = doc["tables"][-2]
    assert apart_table[1][:3] == ["教务处", "预备党员", "5"] and apart_table[1][-2:] == ["0.0%", "0.00"]
