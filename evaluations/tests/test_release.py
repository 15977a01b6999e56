"""The release gate: an attacker who reads every figure shown (page, Excel, Word) tries to work out how
a hidden two-person group voted, and cannot; with the weighted score that the gate withholds, the same
attack succeeds (so the test can fail)."""

import io
import itertools
from copy import deepcopy

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from evaluations.release import public_release, release
from evaluations.results import collect, weighted_score
from evaluations.services import (
    codes_issue,
    evaluation_create,
    evaluation_publish,
    evaluation_tally,
    target_add,
)

VOTES = {"党员": ["满意"] * 4 + ["基本满意"] * 2, "群众": ["满意"] * 3 + ["不满意"] * 3, "服务对象代表": ["不满意"] * 2}


@pytest.fixture
def small_group_round(cast, campaign, office, open_a_round, close_round, vote):
    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="小群体测试",
        items=["整体评价"],
        groups=[
            {"name": "党员", "planned": 6, "minimum": 0, "weight": 1},
            {"name": "群众", "planned": 6, "minimum": 0, "weight": 1},
            {"name": "服务对象代表", "planned": 2, "minimum": 0, "weight": 3},
        ],
        pass_min_satisfaction=None,
        pass_min_score=None,
        score_method="group_weighted",  # the attack needs the groups weighted
    )
    target = target_add(actor=office, evaluation=ev, kind="unit_work", unit=cast.dept_a)
    codes = {
        g.name: codes_issue(actor=office, evaluation=ev, group=g, count=len(VOTES[g.name]))[1] for g in ev.groups.all()
    }
    ev = open_a_round(ev)
    for name, grades in VOTES.items():
        for code, grade in zip(codes[name], grades, strict=True):
            vote(ev, code, {target: grade})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    evaluation_publish(actor=office, evaluation=ev)
    return ev


def _hypothesis(data: dict, group_id: int, counts: dict[int, int], merged_ids: set[int]) -> dict:
    """The raw figures had the hidden group voted `counts` (its partner in the merge absorbing the
    difference, so every total stays as observed)."""
    h = deepcopy(data)
    row = h["targets"][0]
    partner = next(g for g in merged_ids if g != group_id)
    merged_total = {k: row["by_group"][group_id].get(k, 0) + row["by_group"][partner].get(k, 0) for k in row["counts"]}
    if any(counts.get(k, 0) > merged_total.get(k, 0) for k in counts):
        return None
    row["by_group"][group_id] = {k: n for k, n in counts.items() if n}
    row["by_group"][partner] = {
        k: merged_total[k] - counts.get(k, 0) for k in merged_total if merged_total[k] - counts.get(k, 0)
    }
    grades = {g.pk: g for g in h["grades"]}
    row["score"] = weighted_score(row["by_group"], grades, h["groups"])
    for it in row["items"]:
        it["score"] = row["score"]
    return h


def _visible(released: dict) -> list:
    row = released["targets"][0]
    return [
        row["counts"],
        row["satisfaction"],
        row["low_share"],
        row["score"],
        row["valid_ballots"],
        [(g["name"], g["valid"], g["counts"]) for g in row["groups"]],
        [(it["counts"], it["satisfaction"], it["score"]) for it in row["items"]],
        [(t["name"], t["codes_used"], t["returned"]) for t in released["turnout"]["rows"]],
    ]


def _candidates(data: dict, shown) -> list[dict]:
    """Every vote of the hidden group (2 voters) that gives the same figures as those `shown`."""
    hidden = data["groups"]
    b = next(g for g in hidden.values() if g.name == "服务对象代表")
    merged = {gid for gid, n in data["targets"][0]["valid_by_group"].items() if n} - {
        next(g for g in hidden.values() if g.name == "群众").pk
    }
    grade_ids = [g.pk for g in data["grades"]]
    observed = shown(data)
    found = []
    for combo in itertools.combinations_with_replacement(grade_ids, 2):
        counts = {k: combo.count(k) for k in grade_ids}
        h = _hypothesis(data, b.pk, counts, merged)
        if h is not None and shown(h) == observed:
            found.append(counts)
    return found


def test_no_figure_shown_gives_away_how_a_small_group_voted(small_group_round):
    ev = small_group_round
    data = collect(ev)
    released = release(data)
    # the hidden group is not shown alone anywhere, and the weighted score is withheld
    row = released["targets"][0]
    assert [g["name"] for g in row["groups"]][0] == "群众" and row["groups"][-1]["merged"]
    assert row["score"] is None and row["items"][0]["score"] is None
    assert "服务对象代表" not in [t["name"] for t in released["turnout"]["rows"]]
    # every vote the group could have cast is consistent with what is shown …
    candidates = _candidates(data, lambda d: _visible(release(d)))
    assert len(candidates) >= 3
    truth = {g.pk: 0 for g in data["grades"]} | {ev.grades.get(label="不满意").pk: 2}
    assert truth in candidates
    # … whereas with the weighted score the group's vote comes out exactly (the attack of issue 12)
    with_score = _candidates(data, lambda d: [_visible(release(d)), d["targets"][0]["score"]])
    assert with_score == [truth]


def test_the_pages_and_exports_show_only_released_figures(small_group_round, cast, client_for):
    ev = small_group_round
    c = client_for(cast.user("principal"))
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    assert "其他评议组（合并" in page or "合并" in page
    wb = load_workbook(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "xlsx"])).content))
    cells = [str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v is not None]
    doc = Document(io.BytesIO(c.get(reverse("evaluations:export", args=[ev.pk, "docx"])).content))
    doc_text = "\n".join(cell.text for t in doc.tables for r in t.rows for cell in r.cells)
    for shown in (page, " ".join(cells), doc_text):
        assert "服务对象代表" not in shown
    # the turnout sheet: 群众 alone, the merge, the total; no row with the hidden group's 2 ballots
    turnout = wb.worksheets[-1]
    names = [r[0] for r in turnout.iter_rows(min_row=2, values_only=True)]
    assert names[0] == "群众" and len(names) == 3
    assert [r[2] for r in turnout.iter_rows(min_row=2, values_only=True)] == [6, 8, 14]


def test_a_target_with_too_few_ballots_shows_its_result_only(cast, campaign, office, open_a_round, close_round, vote):
    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="少数票",
        items=["整体评价"],
        groups=[{"name": "党员", "planned": 4, "minimum": 0}],
        min_group_size_shown=5,
    )
    target = target_add(actor=office, evaluation=ev, kind="unit_work", unit=cast.dept_b)
    codes = codes_issue(actor=office, evaluation=ev, group=ev.groups.get(), count=4)[1]
    ev = open_a_round(ev)
    for code in codes:
        vote(ev, code, {target: "不满意"})
    close_round(ev)
    evaluation_tally(actor=office, evaluation=ev)
    row = release(collect(ev))["targets"][0]
    assert row["counts"] is None and row["satisfaction"] is None and not row["groups"]
    assert row["passed"] is False and "少于 5 张" in row["fail_reasons"][0]
    target.refresh_from_db()
    assert "%" not in target.fail_reasons  # the stored reason (sent in notices) names no figure either


def test_open_public_ratings_show_a_unit_only_from_five_ratings():
    rows = [{"unit": "图书馆", "counts": {"satisfied": 3}, "total": 3, "satisfaction": 1}]
    assert public_release(rows)[0]["counts"] == {} and public_release(rows)[0]["satisfaction"] is None
    rows[0].update(total=5, counts={"satisfied": 5})
    assert public_release(rows)[0]["counts"] == {"satisfied": 5}


def test_it_never_shows_a_cell_of_fewer_than_three_ballots_whatever_the_round_says():
    from evaluations.models import Evaluation
    from evaluations.release import cell_minimum

    assert cell_minimum(Evaluation(min_group_size_shown=1)) == 3
