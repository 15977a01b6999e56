"""Validity, several rules on the same ballots, ranking (issue #13), configured through the office's pages
and compared with figures worked out by hand here.

Validity. Entitled (应参评人数): 党员 10, 群众 10 (only 8 codes issued to 群众: the entitled count, not the
codes, is the base). Returned: 党员 6, 群众 5.
  “more than 1/2”: 党员 6/10 > 1/2; 群众 5/10 = 1/2 is not more → the round is void (in all 11/20 > 1/2).
  “at least 1/2”: 5/10 ≥ 1/2 → the round counts. Target 财务处: 3 of 群众's 5 say 不了解, so 2/10 valid
  < 1/2, and in all 8/20 < 1/2 → void for that target (not 不过关); 教务处: 6/10, 5/10, 11/20 → judged
  (passes).

Rules (competence scale with 不了解; 12 ballots: 党员 6, 群众 6). R1: 基本称职+不称职 share > 1/3 → fails.
R2: 不称职 share ≥ 1/4 → 诫勉谈话, proposes accountability, does not fail by itself.
  教务处: 8 称职, 2 基本称职, 2 不称职 → low 4/12 = 1/3 exactly, not more → passes; 不称职 2/12 < 1/4.
  财务处: 7 称职, 2 基本称职, 3 不称职 → low 5/12 > 1/3 → fails; 不称职 3/12 = 1/4 ≥ 1/4 → 诫勉谈话.
  考务科 (a third unit): every ballot 不了解 → no valid ballots (无有效票), never 不过关.

Ranking (satisfaction: 满意 100, 基本满意 60, 不满意 0; 12 ballots each; first 1 and last 1 marked):
  教务处 12 × 满意 = 100 → 1st (first 1);  财务处 6 满意 + 6 基本满意 = 80 → 2nd, tied;
  学院领导班子 6 + 6 = 80 → 2nd, tied;  处长张三 12 × 基本满意 = 60 → 4th (last 1).
  Within their kinds: 教务处 1, 财务处 2 (unit work); the team 1; 处长张三 1.
"""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accountability.models import AccountabilityCase
from conftest import log_in_by_session
from evaluations.models import Evaluation, EvaluationTarget, PassRule
from evaluations.services import ballot_cast, codes_issue, evaluation_publish, evaluation_tally


def _group_page(c, ev, name, entitled, planned=10):
    g = ev.groups.get(name=name)
    c.post(
        reverse("evaluations:group_save", args=[ev.pk, g.pk]),
        {"kind": g.kind, "name": name, "planned": planned, "minimum": 0, "entitled": entitled, "weight": "1"},
    )


def _counting_page(c, ev, **fields):
    data = {"score_method": "plain", "min_group_size_shown": "5", **fields}
    r = c.post(reverse("evaluations:rule", args=[ev.pk]), data, follow=True)
    assert r.status_code == 200


def _cast(ev, codes, votes):
    """votes: {group: [{target: grade label}, …]} one dict per ballot."""
    item = ev.items.get()
    grade = {g.label: g.pk for g in ev.grades.all()}
    for group, ballots in votes.items():
        for code, ballot in zip(codes[group], ballots, strict=False):
            ballot_cast(code=code, answers={(t.pk, item.pk): grade[label] for t, label in ballot.items()})


def _issue(office, ev, counts):
    return {g.name: codes_issue(actor=office, evaluation=ev, group=g, count=counts[g.name])[1] for g in ev.groups.all()}


def _row(page: str, target: str) -> str:
    start = page.index(f"<strong>{target}</strong><br>")
    return page[start : page.index("</tr>", start)]


@pytest.fixture
def participation_round(client_for, make_round, office):
    def make(participation: str, strict: bool):
        ev = make_round(items=["总体评价"], include_unknown=True, groups=(("党员", 10, 0, 1), ("群众", 10, 0, 1)))
        c = client_for(office)
        _group_page(c, ev, "党员", 10)
        _group_page(c, ev, "群众", 10)
        fields = {"participation": participation, "participation_per_group": "on"}
        if strict:
            fields["participation_strict"] = "on"
        _counting_page(c, ev, **fields)
        ev.refresh_from_db()
        return ev, c

    return make


def test_a_round_below_more_than_half_in_a_group_is_void_with_its_reason_never_failed(
    participation_round, open_a_round, close_round, office
):
    ev, c = participation_round("1/2", strict=True)
    assert (ev.participation_num, ev.participation_den, ev.participation_strict) == (1, 2, True)
    assert ev.groups.get(name="群众").entitled == 10
    detail = c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert '<span class="participation">超过1/2</span>' in detail and "各组及合计均须达到" in detail

    codes = _issue(office, ev, {"党员": 10, "群众": 8})
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    _cast(ev, codes, {"党员": [{a: "满意", b: "不满意"}] * 6, "群众": [{a: "满意", b: "不满意"}] * 5})
    close_round(ev)
    r = c.post(reverse("evaluations:tally", args=[ev.pk]), follow=True)
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.VOID
    assert ev.void_reason == "参评人数不足：“群众”组：收回选票须超过应参评人数的1/2。"  # 5/10 is not more than 1/2
    assert set(ev.targets.values_list("result", flat=True)) == {EvaluationTarget.Result.VOID}
    page = r.content.decode()
    assert "本次评议无效" in page and "收回选票须超过应参评人数的1/2" in page
    assert "status-failed" not in page and page.count("status status-void") >= 3  # void, not a failure
    assert "参评率" in c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()  # the office sees why
    assert not AccountabilityCase.objects.exists()


def test_at_least_half_counts_the_round_and_voids_only_the_target_short_of_valid_ballots(
    participation_round, open_a_round, close_round, office
):
    ev, c = participation_round("二分之一", strict=False)
    assert ev.participation_text() == "不少于1/2"
    codes = _issue(office, ev, {"党员": 10, "群众": 8})
    ev = open_a_round(ev)
    a, b = ev.targets.order_by("order")
    _cast(
        ev,
        codes,
        {
            "党员": [{a: "满意", b: "满意"}] * 6,
            "群众": [{a: "满意", b: "满意"}] * 2 + [{a: "满意", b: "不了解"}] * 3,
        },
    )
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    ev.refresh_from_db()
    assert ev.status == Evaluation.Status.TALLIED  # 5/10 is at least 1/2
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.result == EvaluationTarget.Result.PASSED
    assert b.result == EvaluationTarget.Result.VOID and b.valid_ballots == 8
    # 群众 2/10 valid, and in all 8/20: both short of 1/2
    assert b.fail_reasons == "“群众”组：有效票须不少于应参评人数的1/2；全部组合计：有效票须不少于应参评人数的1/2"
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    row_b = _row(page, "财务处")
    assert "无效" in row_b and "有效票须不少于应参评人数的1/2" in row_b and "不过关" not in row_b


@pytest.fixture
def two_rules_round(cast, client_for, make_round, office):
    ev = make_round(
        preset="competence", items=["总体评价"], include_unknown=True, groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1))
    )
    c = client_for(office)
    c.post(reverse("evaluations:target_add", args=[ev.pk]), {"kind": "unit_work", "unit": cast.section_a.pk})
    for rule in ev.rules.all():
        c.post(reverse("evaluations:pass_rule_delete", args=[ev.pk, rule.pk]))
    grade = {g.label: g.pk for g in ev.grades.all()}
    c.post(
        reverse("evaluations:pass_rule_add", args=[ev.pk]),
        {
            "measure": "share",
            "grades": [grade["基本称职"], grade["不称职"]],
            "comparison": "gt",
            "threshold": "1/3",
            "fails": "on",
        },
    )
    c.post(
        reverse("evaluations:pass_rule_add", args=[ev.pk]),
        {
            "measure": "share",
            "grades": [grade["不称职"]],
            "comparison": "gte",
            "threshold": "25%",
            "outcome": "诫勉谈话",
            "proposes_case": "on",
        },
    )
    return ev, c


def _voted_and_tallied(office, ev, open_a_round, close_round):
    """The two-rule round opened, voted by 6 党员 and 6 群众 (A: 8 称职, 2 基本称职, 2 不称职; B: 7, 2, 3; the
    third target 不了解 on every ballot), closed and tallied."""
    codes = _issue(office, ev, {"党员": 6, "群众": 6})
    ev = open_a_round(ev)
    a, b, s = ev.targets.order_by("order")
    a_votes = ["称职"] * 8 + ["基本称职"] * 2 + ["不称职"] * 2
    b_votes = ["称职"] * 7 + ["基本称职"] * 2 + ["不称职"] * 3
    ballots = [{a: x, b: y, s: "不了解"} for x, y in zip(a_votes, b_votes, strict=True)]
    _cast(ev, codes, {"党员": ballots[:6], "群众": ballots[6:]})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    return ev


def test_two_rules_on_the_same_ballots_each_with_its_own_consequence_compared_exactly(
    two_rules_round, open_a_round, close_round, office, cast
):
    ev, c = two_rules_round
    r1, r2 = ev.rules.all()
    assert r1.text() == "基本称职+不称职票占比 > 1/3" and r1.consequence() == "不过关"
    assert r2.text() == "不称职票占比 ≥ 25%" and (r2.fails, r2.proposes_case, r2.outcome) == (False, True, "诫勉谈话")
    detail = c.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "基本称职+不称职票占比 &gt; 1/3" in detail and "诫勉谈话" in detail

    ev = _voted_and_tallied(office, ev, open_a_round, close_round)
    a, b, s = ev.targets.order_by("order")
    assert a.result == "passed"  # 4/12 is exactly one third: not more than 1/3
    assert b.result == "failed" and b.fail_reasons == "基本称职+不称职票占比 > 1/3"
    assert s.result == EvaluationTarget.Result.NO_BALLOTS
    assert list(b.triggered_rules.all()) == [r1, r2] and list(a.triggered_rules.all()) == []

    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    row_a, row_b, row_s = _row(page, "教务处"), _row(page, "财务处"), _row(page, "考务科")
    assert "通过" in row_a and "后果" not in row_a
    assert "不过关" in row_b and "后果: 诫勉谈话（提出问责建议）" in row_b
    assert "无有效票" in row_s and "不过关" not in row_s

    ws = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content)).worksheets[0]
    header = [cell.value for cell in ws[2]]
    result, consequences = header.index("结果"), header.index("后果")
    assert ws[4][result].value == "不过关：基本称职+不称职票占比 > 1/3"
    assert ws[4][consequences].value == "诫勉谈话（提出问责建议）" and ws[3][consequences].value is None
    assert ws[5][result].value == "无有效票"

    assert not AccountabilityCase.objects.exists()
    evaluation_publish(actor=office, evaluation=ev)
    case = AccountabilityCase.objects.get()  # only 财务处's 诫勉谈话 rule proposes one
    assert case.person == cast.head_b and case.status == AccountabilityCase.Status.PROPOSED
    assert "不称职票占比 ≥ 25% → 诫勉谈话" in case.facts


def test_a_rule_is_refused_without_grades_or_with_a_share_above_one(two_rules_round):
    ev, c = two_rules_round
    r = c.post(
        reverse("evaluations:pass_rule_add", args=[ev.pk]),
        {"measure": "share", "comparison": "gt", "threshold": "1/3", "fails": "on"},
        follow=True,
    )
    assert "请选择规则计入的等次" in r.content.decode()
    grade = ev.grades.get(label="不称职").pk
    r = c.post(
        reverse("evaluations:pass_rule_add", args=[ev.pk]),
        {"measure": "share", "grades": [grade], "comparison": "gt", "threshold": "4/3", "fails": "on"},
        follow=True,
    )
    assert "比例须在0到1之间" in r.content.decode()
    assert PassRule.objects.filter(evaluation=ev).count() == 2


def test_targets_are_ranked_in_the_round_and_in_their_kind_with_ties_and_marks(
    cast, client_for, make_round, office, open_a_round, close_round
):
    ev = make_round(items=["总体评价"], groups=(("党员", 6, 0, 1), ("群众", 6, 0, 1)))
    c = client_for(office)
    c.post(reverse("evaluations:target_add", args=[ev.pk]), {"kind": "team", "unit": cast.college.pk})
    c.post(
        reverse("evaluations:target_add", args=[ev.pk]),
        {"kind": "person", "unit": cast.dept_a.pk, "person": cast.head_a.pk},
    )
    _counting_page(c, ev, rank_top="1", rank_bottom="1")
    codes = _issue(office, ev, {"党员": 6, "群众": 6})
    ev = open_a_round(ev)
    a, b, team, head = ev.targets.order_by("order")
    ballot_1 = {a: "满意", b: "满意", team: "满意", head: "基本满意"}
    ballot_2 = {a: "满意", b: "基本满意", team: "基本满意", head: "基本满意"}
    _cast(ev, codes, {"党员": [ballot_1] * 6, "群众": [ballot_2] * 6})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)

    from evaluations.release import release
    from evaluations.results import collect

    rows = {str(r["target"]): r for r in release(collect(ev))["targets"]}
    got = {
        name: (str(r["score"]), r["rank"], r["tied"], r["rank_in_kind"], r["top"], r["bottom"])
        for name, r in rows.items()
    }
    assert got == {
        "教务处": ("100.00", 1, False, 1, True, False),
        "财务处": ("80.00", 2, True, 2, False, False),
        "江城职业技术学院领导班子": ("80.00", 2, True, 1, False, False),
        "处长张三": ("60.00", 4, False, 1, False, True),
    }
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    ranking = page[page.index('<table class="compact ranking">') :]
    ranking = ranking[: ranking.index("</table>")]
    assert ranking.index("教务处") < ranking.index("财务处") < ranking.index("处长张三")
    assert ranking.count("并列") == 2 and "前1名" in ranking and "后1名" in ranking
    ws = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content)).worksheets[0]
    header = [cell.value for cell in ws[2]]
    assert [ws[n][header.index("排名")].value for n in (3, 4, 5, 6)] == ["1 前1名", "2（并列）", "2（并列）", "4 后1名"]


def test_thresholds_are_read_as_exact_fractions():
    from decimal import Decimal
    from fractions import Fraction

    from evaluations.fractions_text import fraction_from_decimal, fraction_parse, fraction_text

    assert [fraction_parse(t) for t in ("1/3", "三分之一", "三分之二", "60%", "0.6", "85.5", "二分之一")] == [
        Fraction(1, 3),
        Fraction(1, 3),
        Fraction(2, 3),
        Fraction(3, 5),
        Fraction(3, 5),
        Fraction(171, 2),
        Fraction(1, 2),
    ]
    assert fraction_parse("一半") is None and fraction_parse("1/0") is None
    assert [fraction_text(Fraction(*f)) for f in ((1, 2), (1, 3), (3, 5), (1, 4), (85, 1))] == [
        "1/2",
        "1/3",
        "60%",
        "25%",
        "85",
    ]
    # the shares stored before (4 places) are read as the fraction meant: 0.3333 was one third
    assert fraction_from_decimal(Decimal("0.3333")) == Fraction(1, 3)
    assert fraction_from_decimal(Decimal("0.6667")) == Fraction(2, 3)
    assert fraction_from_decimal(Decimal("0.6500")) == Fraction(13, 20)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_rules_ranking_and_final_grades_on_a_laptop_and_a_phone(
    two_rules_round, open_a_round, close_round, office, live_server, page, screenshot_dir
):
    """The results of the two-rule round, its final-grade page and the round's page, looked at."""
    ev, c = two_rules_round
    c.post(
        reverse("evaluations:rule", args=[ev.pk]),
        {
            "score_method": "plain",
            "min_group_size_shown": "5",
            "rank_top": "1",
            "rank_bottom": "1",
            "participation": "1/2",
            "participation_strict": "on",
            "participation_per_group": "on",
        },
    )
    ev = _voted_and_tallied(office, ev, open_a_round, close_round)
    evaluation_publish(actor=office, evaluation=ev)
    log_in_by_session(page, live_server, office)
    for width, name in ((1366, "laptop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/evaluations/{ev.pk}/results/")
        text = page.inner_text("main")
        assert "诫勉谈话（提出问责建议）" in text and "无有效票" in text and "排名" in text
        page.screenshot(path=str(screenshot_dir / f"evaluations-rules-results-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/evaluations/{ev.pk}/")
        page.screenshot(path=str(screenshot_dir / f"evaluations-rules-round-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/evaluations/{ev.pk}/final/")
        page.screenshot(path=str(screenshot_dir / f"evaluations-final-grades-{name}.png"), full_page=True)
