"""Grade scores, score bands and what the score means (issue #13), set through the office's pages.

Satisfaction scale, one item; the office sets 基本满意 to 80 points. Target A: 党员 6 × 满意; 群众 2 × 满意,
2 × 基本满意, 2 × 不满意. Target B: 党员 6 × 满意; 群众 5 × 满意, 1 × 基本满意.
  plain mean A = (8×100 + 2×80 + 2×0) / 12 = 80.00;  B = (11×100 + 80) / 12 = 98.33
  weighted A (党员 3, 群众 1, 服务对象代表 2 without ballots) = (3×100 + 1×(2×100+2×80)/6) / (3+1) = 90.00
Bands: 优秀 score ≥ 90; 良好 80 < score < 90; 一般 60 ≤ score ≤ 80; 较差 score < 60.
"""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import log_in_by_session
from evaluations.models import Evaluation, ScoreBand
from evaluations.services import ballot_cast, codes_issue, evaluation_tally

A_VOTES = {"党员": ["满意"] * 6, "群众": ["满意", "满意", "基本满意", "基本满意", "不满意", "不满意"]}
B_VOTES = {"党员": ["满意"] * 6, "群众": ["满意"] * 5 + ["基本满意"]}
BANDS = [
    {"label": "优秀", "lower": "90", "lower_inclusive": "on", "upper": ""},
    {"label": "良好", "lower": "80", "upper": "90"},
    {"label": "一般", "lower": "60", "lower_inclusive": "on", "upper": "80", "upper_inclusive": "on"},
    {"label": "较差", "lower": "", "upper": "60"},
]


@pytest.fixture
def configure(cast, client_for, make_round, office):
    def do(score_method: str, bands=BANDS):
        ev = make_round(items=["总体评价"], groups=(("党员", 6, 0, 3), ("群众", 6, 0, 1), ("服务对象代表", 6, 0, 2)))
        c = client_for(office)
        basic = ev.grades.get(label="基本满意")
        c.post(
            reverse("evaluations:grade_save", args=[ev.pk, basic.pk]),
            {"label": "基本满意", "score": "80", "is_valid": "on", "is_satisfied": "on"},
        )
        c.post(reverse("evaluations:rule", args=[ev.pk]), {"score_method": score_method, "min_group_size_shown": "5"})
        for rule in ev.rules.all():  # the preset's satisfaction rule goes; the score decides
            c.post(reverse("evaluations:pass_rule_delete", args=[ev.pk, rule.pk]))
        c.post(
            reverse("evaluations:pass_rule_add", args=[ev.pk]),
            {"measure": "score", "comparison": "lt", "threshold": "85", "fails": "on"},
        )
        for band in bands:
            c.post(reverse("evaluations:band_add", args=[ev.pk]), band)
        ev.refresh_from_db()
        return ev, c

    return do


@pytest.fixture
def vote_and_tally(close_round, open_a_round, office):
    def do(ev):
        codes = {g.name: codes_issue(actor=office, evaluation=ev, group=g, count=6)[1] for g in ev.groups.all()}
        ev = open_a_round(ev)
        a, b = ev.targets.order_by("order")
        item = ev.items.get()
        grade = {g.label: g.pk for g in ev.grades.all()}
        for group in ("党员", "群众"):
            for code, ga, gb in zip(codes[group], A_VOTES[group], B_VOTES[group], strict=True):
                ballot_cast(code=code, answers={(a.pk, item.pk): grade[ga], (b.pk, item.pk): grade[gb]})
        close_round(ev)
        evaluation_tally(actor=office, evaluation=ev)
        return ev

    return do


def _row(page: str, target: str) -> str:
    start = page.index(f"<strong>{target}</strong><br>")
    return page[start : page.index("</tr>", start)]


def test_the_office_sets_grade_scores_and_bands_and_the_plain_mean_decides(configure, vote_and_tally):
    ev, c = configure("plain")
    assert ev.score_method == Evaluation.ScoreMethod.PLAIN and ev.grades.get(label="基本满意").score == 80
    assert [b.range_text() for b in ev.score_bands.all()] == [
        "90 ≤ 得分",
        "80 < 得分 < 90",
        "60 ≤ 得分 ≤ 80",
        "得分 < 60",
    ]
    detail = c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "60 ≤ 得分 ≤ 80" in detail and "每张有效票同等计算（简单平均）" in detail

    ev = vote_and_tally(ev)
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    a, b = _row(page, "教务处"), _row(page, "财务处")
    assert '<td class="score-mean">80.00</td>' in a and '<td class="band">一般</td>' in a  # 80 is in 一般, not 良好
    assert '<td class="score-mean">98.33</td>' in b and '<td class="band">优秀</td>' in b
    assert "score-weighted" not in page  # the round does not weigh its groups: no second score
    assert "不过关" in a and "得分 &lt; 85" in a and "通过" in b  # the rule reads the plain mean
    ta, tb = ev.targets.order_by("order")
    assert (ta.score, tb.score) == (Decimal("80.00"), Decimal("98.33"))

    wb = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content))
    ws = wb.worksheets[0]
    header = [cell.value for cell in ws[2]]
    assert "加权得分" not in header
    assert ws[3][header.index("得分（简单平均）")].value == 80 and ws[3][header.index("得分档次")].value == "一般"
    assert ws[4][header.index("得分档次")].value == "优秀"


def test_group_weights_are_explicit_shown_beside_the_plain_mean_and_an_empty_group_does_not_pull(
    configure, vote_and_tally
):
    ev, c = configure("group_weighted", bands=[])
    ev = vote_and_tally(ev)  # 服务对象代表 got codes but cast nothing
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    a = _row(page, "教务处")
    assert '<td class="score-mean">80.00</td>' in a and '<td class="score-weighted">90.00</td>' in a
    assert "通过" in a  # 90 ≥ 85: the weighted score counts in this round
    details = page[page.index("<summary><strong>教务处</strong>") :]
    assert '<td>党员</td><td class="weight">3</td>' in details and '<td>群众</td><td class="weight">1</td>' in details
    assert 'class="band"' not in page
    ws = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content)).worksheets[0]
    header = [cell.value for cell in ws[2]]
    assert ws[3][header.index("得分（简单平均）")].value == 80 and ws[3][header.index("加权得分")].value == 90


def test_overlapping_or_empty_bands_are_refused_with_a_reason(configure):
    ev, c = configure("plain")
    r = c.post(
        reverse("evaluations:band_add", args=[ev.pk]), {"label": "较好", "lower": "85", "upper": "95"}, follow=True
    )
    assert "该档次与优秀、良好重叠" in r.content.decode()
    r = c.post(
        reverse("evaluations:band_add", args=[ev.pk]), {"label": "空", "lower": "70", "upper": "70"}, follow=True
    )
    assert "下限必须低于上限" in r.content.decode()
    assert ScoreBand.objects.filter(evaluation=ev).count() == 4


def test_the_plain_mean_is_shown_with_a_merged_group_and_gives_nothing_beyond_the_shown_counts(
    close_round, make_round, open_a_round, office
):
    """A 2-person group is merged; the round takes the plain mean: the mean stays (it follows from the
    target's counts, which are shown), the weighted score and group figures do not."""
    from evaluations.release import release
    from evaluations.results import collect

    ev = make_round(items=["总体评价"], groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1), ("服务对象代表", 2, 0, 3)))
    votes = {
        "党员": ["满意"] * 4 + ["基本满意"] * 2,
        "群众": ["满意"] * 3 + ["不满意"] * 3,
        "服务对象代表": ["不满意"] * 2,
    }
    codes = {
        g.name: codes_issue(actor=office, evaluation=ev, group=g, count=len(votes[g.name]))[1] for g in ev.groups.all()
    }
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    item = ev.items.get()
    grade = {g.label: g for g in ev.grades.all()}
    for name, labels in votes.items():
        for code, label in zip(codes[name], labels, strict=True):
            ballot_cast(code=code, answers={(a.pk, item.pk): grade[label].pk, (b.pk, item.pk): grade["满意"].pk})
    close_round(ev)
    row = release(collect(ev))["targets"][0]
    assert row["groups"][-1]["merged"] and "服务对象代表" not in [g["name"] for g in row["groups"]]
    # (7×100 + 2×60 + 5×0) / 14 = 58.57, from the shown counts alone
    from_counts = sum(grade[g.label].score * row["counts"].get(g.pk, 0) for g in grade.values()) / 14
    assert row["mean"] == row["score"] == Decimal("58.57") == from_counts.quantize(Decimal("0.01"))
    assert row["weighted"] is None


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_results_page_on_a_laptop(configure, vote_and_tally, office, live_server, page, screenshot_dir):
    ev, _c = configure("group_weighted")
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in_by_session(page, live_server, office)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/")
    assert "60 ≤ 得分 ≤ 80" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "evaluations-score-bands.png"), full_page=True)
    ev = vote_and_tally(ev)
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/results/")
    page.locator("summary", has_text="分项和分组结果").first.click()
    text = page.inner_text("main")
    assert "得分（简单平均）" in text and "加权得分" in text and "得分档次" in text and "66.7%" in text
    page.screenshot(path=str(screenshot_dir / "evaluations-results-shares-bands.png"), full_page=True)
