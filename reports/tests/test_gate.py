"""The finding → meeting gate: a unit's meeting waits for the reports it depends on."""

import pytest

from campaigns.gates import gate_blockers
from campaigns.models import Stage
from campaigns.services import participant_advance
from core.exceptions import ServiceError
from reports.services import report_approve
from reports.tests.conftest import participant


def approve(report, user):
    report_approve(actor=user, report=report, version=report.versions.get(number=report.current_version))


def test_it_blocks_the_institution_until_the_city_office_approves_team_and_principal(cast, campaign, writer):
    college = participant(campaign, cast.college)
    blockers = gate_blockers(college)
    assert len(blockers) == 3
    assert any("领导班子" in b and "市治庸办" in b for b in blockers)
    assert any("主要负责人书记王强" in b for b in blockers)
    # a leadership member who never started a report is named too
    assert "班子成员副院长李华的自查报告尚未经主要负责人审定（尚未撰写）。" in blockers
    approve(writer("supervisor", "leadership_member", cast.college), cast.user("principal"))
    team = writer("principal", "team", cast.college)
    own = writer("principal", "principal", cast.college)
    approve(team, cast.user("city_official"))
    assert gate_blockers(college) == [gate_blockers(college)[0]] and "书记王强" in gate_blockers(college)[0]
    with pytest.raises(ServiceError) as exc:
        participant_advance(actor=cast.user("office"), participant=college)
    assert "书记王强" in exc.value.details[0]
    approve(own, cast.user("city_official"))
    assert gate_blockers(college) == []
    assert participant_advance(actor=cast.user("office"), participant=college).stage == Stage.MEETING


def test_it_blocks_on_a_started_leadership_member_report(cast, campaign, writer):
    college = participant(campaign, cast.college)
    approve(writer("principal", "team", cast.college), cast.user("city_official"))
    approve(writer("principal", "principal", cast.college), cast.user("city_official"))
    member = writer("supervisor", "leadership_member", cast.college)
    assert gate_blockers(college) == ["班子成员副院长李华的自查报告尚未经主要负责人审定（审定中）。"]
    approve(member, cast.user("principal"))
    assert gate_blockers(college) == []


def test_it_names_each_missing_department_approval(cast, campaign, writer):
    dept = participant(campaign, cast.dept_a)
    blockers = gate_blockers(dept)
    assert "教务处（部门）的自查报告尚未经分管领导审定（尚未撰写）。" in blockers
    assert "部门班子成员副处长赵六的自查报告尚未经分管领导审定（尚未撰写）。" in blockers
    assert len(blockers) == 2  # cadre reports are required only once they exist
    cadre = writer("cadre_a", "cadre", cast.dept_a, submit=False)
    assert "干部干部孙七的自查报告尚未经部门负责人审定（草稿）。" in gate_blockers(dept)
    approve(writer("head_a", "department", cast.dept_a), cast.user("supervisor"))
    approve(writer("member_a", "department_member", cast.dept_a), cast.user("supervisor"))
    assert len(gate_blockers(dept)) == 1
    from reports.services import report_submit

    approve(report_submit(actor=cast.user("cadre_a"), report=cadre), cast.user("head_a"))
    assert gate_blockers(dept) == []
    assert participant_advance(actor=cast.user("office"), participant=dept).stage == Stage.MEETING


def test_it_reopens_the_gate_question_when_an_approved_report_is_edited(cast, campaign, writer):
    from reports.services import report_save

    dept = participant(campaign, cast.dept_b)
    report = writer("head_b", "department", cast.dept_b)
    approve(report, cast.user("principal"))
    assert gate_blockers(dept) == []
    report_save(
        actor=cast.user("head_b"),
        report=report,
        method="改",
        problems_and_causes="p",
        measures="m",
        revise_approved=True,
    )
    assert gate_blockers(dept) == ["财务处（部门）的自查报告尚未经分管领导审定（草稿）。"]
