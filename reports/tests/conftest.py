"""Helpers for report tests: start, fill and submit a report as its author."""

import pytest

from campaigns.models import CampaignUnit
from reports.services import report_save, report_start, report_submit


def participant(campaign, unit):
    return CampaignUnit.objects.get(campaign=campaign, unit=unit)


def write(cast, campaign, key, kind, unit, *, submit=True, method="对照十种表现逐条自查", problems=()):
    """Start the report of `kind` for `unit`, written by cast member `key`, fill it and submit it."""
    user = cast.user(key)
    top = unit if unit.parent_id in (None, cast.city.pk, cast.college.pk) else unit.parent
    report = report_start(actor=user, participant=participant(campaign, top), author_kind=kind, unit=unit)
    report_save(
        actor=user,
        report=report,
        method=method,
        problems_and_causes="工作推进不力，原因是责任心不强。",
        measures="一、建立台账；二、限期整改。",
        problems=problems,
    )
    if submit:
        report = report_submit(actor=user, report=report)
    report.refresh_from_db()
    return report


@pytest.fixture
def writer(cast, campaign):
    def make(key, kind, unit, **kw):
        return write(cast, campaign, key, kind, unit, **kw)

    return make
