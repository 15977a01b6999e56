"""Rectification fixtures on top of the shared cast (see the root conftest.py).

plan_a: an approved plan of 教务处 (dept_a), drafted by the office, approved by `supervisor` (分管),
with one 限期整改 measure owned by cadre_a (deadline 2026-12-20) and answered by no problem yet.
"""

from datetime import date

import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def draft_a(cast, campaign):
    from rectification.services import measure_create, plan_create

    plan = plan_create(actor=cast.user("office"), campaign=campaign, unit=cast.dept_a, title="教务处整改方案")
    measure_create(
        actor=cast.user("office"),
        plan=plan,
        content="规范调停课审批",
        goal="调停课全部线上审批",
        owner=cast.cadre_a,
        deadline=date(2026, 12, 20),
    )
    return plan


@pytest.fixture
def plan_a(cast, draft_a):
    from rectification.services import plan_approve, plan_submit

    plan_submit(actor=cast.user("office"), plan=draft_a)
    draft_a.refresh_from_db()
    return plan_approve(actor=cast.user("supervisor"), plan=draft_a, comment="同意")


@pytest.fixture
def measure_a(plan_a):
    return plan_a.measures.get()
