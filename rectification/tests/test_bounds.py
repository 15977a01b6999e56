"""Bounds on typed dates (core/bounds.py): deadlines and extensions stay within the campaign, a campaign's
dates within a sane range."""

from datetime import date

import pytest

from campaigns.services import campaign_create, campaign_update
from conftest import CAMPAIGN_DATES
from core.exceptions import ServiceError
from rectification import services
from rectification.models import Extension

FAR = date(9999, 12, 31)


def test_it_refuses_an_extension_to_9999_12_31(cast, measure_a):
    with pytest.raises(ServiceError, match="2031-09-01"):  # the campaign (from 2026-09-01) lasts 5 years
        services.extension_request(actor=cast.user("cadre_a"), measure=measure_a, reason="无限期", new_deadline=FAR)
    assert not Extension.objects.exists()
    measure_a.refresh_from_db()
    assert measure_a.deadline != FAR


def test_it_refuses_to_approve_an_out_of_bounds_extension_asked_earlier(cast, measure_a):
    ext = Extension.objects.create(  # stored before the bounds existed
        measure=measure_a,
        reason="旧请求",
        old_deadline=measure_a.deadline,
        new_deadline=FAR,
        requested_by=cast.user("cadre_a"),
    )
    with pytest.raises(ServiceError):
        services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=True)
    measure_a.refresh_from_db()
    assert measure_a.deadline != FAR
    ext.refresh_from_db()
    assert ext.status == Extension.Status.PENDING
    services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=False, note="超出活动期限")


def test_it_accepts_an_extension_within_the_campaign(cast, measure_a):
    ext = services.extension_request(
        actor=cast.user("cadre_a"), measure=measure_a, reason="供应商延期", new_deadline=date(2031, 9, 1)
    )
    services.extension_decide(actor=cast.user("head_a"), extension=ext, approve=True)
    measure_a.refresh_from_db()
    assert measure_a.deadline == date(2031, 9, 1)


def test_it_keeps_other_deadlines_within_the_campaign(cast, plan_a, measure_a):
    with pytest.raises(ServiceError):
        services.milestone_add(actor=cast.user("cadre_a"), measure=measure_a, title="阶段一", due=FAR)
    with pytest.raises(ServiceError):
        services.milestone_add(actor=cast.user("cadre_a"), measure=measure_a, title="阶段一", due=date(1999, 1, 1))


def _dates(**over):
    return CAMPAIGN_DATES | over


@pytest.mark.parametrize(
    "over",
    [
        {"start_date": date(1, 1, 1)},
        {"rectification_due": FAR},
        {"milestone_6m": date(2040, 1, 1)},  # later than five years after the start
        {
            "start_date": date(2060, 1, 1),
            "finding_due": date(2060, 2, 1),
            "meeting_due": date(2060, 3, 1),
            "evaluation_due": date(2060, 4, 1),
            "rectification_due": date(2060, 5, 1),
            "milestone_3m": date(2060, 4, 1),
            "milestone_6m": date(2060, 7, 1),
        },
    ],
)
def test_it_refuses_campaign_dates_out_of_range(cast, over):
    with pytest.raises(ServiceError):
        campaign_create(
            actor=cast.user("office"), institution=cast.college, units=[cast.college], name="越界", **_dates(**over)
        )


def test_it_refuses_moving_a_campaign_out_of_range(cast, campaign):
    with pytest.raises(ServiceError):
        campaign_update(actor=cast.user("office"), campaign=campaign, rectification_due=FAR)
    campaign.refresh_from_db()
    assert campaign.rectification_due == date(2027, 3, 1)
