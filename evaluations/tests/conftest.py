"""Fixtures of the evaluations tests: a round of the `campaign` fixture evaluating dept_a and dept_b."""

import pytest

from evaluations.models import EvaluationTarget, ScalePreset
from evaluations.services import evaluation_create, group_save, target_add


@pytest.fixture
def office(cast):
    return cast.user("office")


@pytest.fixture
def make_round(cast, campaign, office):
    """make_round(preset=…, groups=[(name, planned, minimum, weight)], **kw) -> Evaluation with two unit targets."""

    def make(preset=ScalePreset.SATISFACTION, groups=(("党员", 10, 5, 1), ("群众", 10, 5, 1)), **kw):
        ev = evaluation_create(
            actor=office,
            campaign=campaign,
            name="2026年度部门民主评议",
            kind=kw.pop("kind", "evaluation"),
            scale_preset=preset,
            groups=[{"name": n, "planned": p, "minimum": m, "weight": w} for n, p, m, w in groups],
            **kw,
        )
        target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_a)
        target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_b)
        return ev

    return make


@pytest.fixture
def committee_keys():
    """{round id: RoundKey}: what the evaluation committee holds for each round opened in the test."""
    return {}


@pytest.fixture
def open_a_round(office, committee_keys):
    """open_a_round(evaluation) opens it and keeps its key as the committee would."""
    from evaluations.services import evaluation_open

    def do(ev, actor=None):
        ev, key = evaluation_open(actor=actor or office, evaluation=ev)
        committee_keys[ev.pk] = key
        return ev

    return do


@pytest.fixture
def close_round(office, committee_keys):
    """close_round(evaluation) closes it with the committee's whole key."""
    from evaluations.services import evaluation_close

    def do(ev, actor=None):
        key = committee_keys.get(ev.pk)
        return evaluation_close(actor=actor or office, evaluation=ev, key=key.text() if key else "")

    return do


@pytest.fixture
def open_round(make_round, office, open_a_round):
    """An open round; returns (evaluation, {group name: [codes]})."""
    from evaluations.services import codes_issue

    def make(preset=ScalePreset.SATISFACTION, codes_per_group=6, **kw):
        ev = make_round(preset=preset, **kw)
        codes = {}
        for g in ev.groups.all():
            _batch, codes[g.name] = codes_issue(actor=office, evaluation=ev, group=g, count=codes_per_group)
        return open_a_round(ev), codes

    return make


__all__ = ["group_save"]


@pytest.fixture
def vote():
    """vote(evaluation, code, {target: grade label}) casts a ballot giving each target that grade on every item."""
    from evaluations.services import ballot_cast, ballot_questions

    def cast_one(ev, code, grades_by_target):
        labels = {g.label: g.pk for g in ev.grades.all()}
        answers = {}
        for target, items in ballot_questions(ev):
            for item in items:
                answers[(target.pk, item.pk)] = labels[grades_by_target[target]]
        ballot_cast(code=code, answers=answers)

    return cast_one
