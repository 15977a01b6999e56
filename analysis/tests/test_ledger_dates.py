"""Dates in the ledger are the office's (Beijing) dates, not UTC: an entry at 07:00 Beijing time is that day's."""

from datetime import UTC, datetime

from analysis.ledgers import Labels, _measure_cells, problem_row


def test_an_entry_before_eight_in_the_morning_beijing_time_shows_that_day(db):
    early = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 2026-06-02 07:30 in Beijing
    labels = Labels()
    problem = {
        "unit__name": "教务处",
        "subject_kind": "unit",
        "subject_person_id": None,
        "description": "d",
        "channel": "self_check",
        "severity": "general",
        "cause": "",
        "recorded_at": early,
        "status": "open",
    }
    assert problem_row(problem, [], labels)["recorded"] == "2026年6月2日"
    measure = {
        "status": "verified",
        "verified_at": early,
        "content": "m",
        "goal": "",
        "leader_person_name": None,
        "leader_name": "",
        "responsible_unit_name": "",
        "unit_record_name": "教务处",
        "owner_person_name": None,
        "owner_name": "",
        "deadline": None,
        "time_class": "long_term",
        "percent": 100,
    }
    assert "2026年6月2日" in _measure_cells(measure, labels)["closeout"]
