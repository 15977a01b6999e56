"""Every write of the service rating channel.

Anonymous ratings are the one place where the audit record is not written in the rating's own
transaction: an audit row carries the exact time and its place in the hash chain, which would date a
rating to the second. Instead `ratings_release` (run by the scheduler, and safe to re-run) takes each
past day's unreleased ratings and cases, re-inserts them in random order (so neither row order nor
row versions show the order they came in), writes one audit record per unit and day with no actor,
and only then lets them count in figures and show in case lists. Everything the office does (settings,
units, entries, imports, case decisions) is audited at once, with its actor.
"""

import hashlib
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record, diff
from core.exceptions import Conflict, ServiceError
from notifications.services import notify
from orgs.access import Perm, can
from orgs.models import Person, Unit

from .models import GRADE_ORDER, REPLY_CODES, Case, ChannelConfig, Grade, Rating, ServicePoint
from .selectors import case_deciders, config_for

REASON_MAX = 500
OLDEST_DAYS = 92  # phone and gateway replies older than this are not taken
NAMED_MAX = 40
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def receipt_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))


def _require(actor, perm: str, unit: Unit) -> None:
    if not can(actor, perm, unit):
        raise ServiceError(_("You may not do this for %(unit)s.") % {"unit": unit})


# ---------------------------------------------------------------- settings and units


def config_update(
    *,
    actor,
    institution: Unit,
    star_grades: dict[str, str],
    min_ratings: int,
    rate_counts_basic: bool,
    case_due_days: int,
    phone_hint: str = "",
) -> ChannelConfig:
    """The campaign office sets its institution's star mapping and rules. The mapping applies to
    ratings given from now on; stored ratings keep the grade they were given."""
    _require(actor, Perm.SERVICE_RATING_MANAGE, institution)
    grades = [star_grades.get(str(s)) for s in range(1, 6)]
    if any(g not in Grade.values for g in grades):
        raise ServiceError(_("Give every number of stars a grade."))
    if any(GRADE_ORDER[a] > GRADE_ORDER[b] for a, b in zip(grades, grades[1:])):
        raise ServiceError(_("More stars can never mean a worse grade."))
    if not 1 <= min_ratings <= 1000 or not 1 <= case_due_days <= 365:
        raise ServiceError(_("The minimum and the number of days must be positive."))
    with transaction.atomic():
        config, _created = ChannelConfig.objects.select_for_update().get_or_create(institution=institution)
        before = {
            f: getattr(config, f)
            for f in ("star_grades", "min_ratings", "rate_counts_basic", "case_due_days", "phone_hint")
        }
        config.star_grades = {str(s): g for s, g in zip(range(1, 6), grades)}
        config.min_ratings, config.rate_counts_basic = min_ratings, rate_counts_basic
        config.case_due_days, config.phone_hint = case_due_days, phone_hint.strip()
        config.save()
        after = {f: getattr(config, f) for f in before}
        audit_record(
            actor=actor, action="servicerating.config_update", obj=config, unit=institution, changes=diff(before, after)
        )
    return config


def _check_handler(unit: Unit, handling_unit: Unit | None) -> None:
    if handling_unit is not None and (handling_unit == unit or not unit.path.startswith(handling_unit.path)):
        raise ServiceError(_("A unit's cases are handled by one of its superior units."))


def point_enable(*, actor, unit: Unit, handling_unit: Unit | None = None) -> ServicePoint:
    """Open the channel for a unit (or re-open it); its QR code and service code stay the same."""
    _require(actor, Perm.SERVICE_RATING_MANAGE, unit)
    if unit.kind == Unit.Kind.CITY_OFFICE or unit.parent_id is None:
        raise ServiceError(_("The city office itself cannot be rated here."))
    _check_handler(unit, handling_unit)
    with transaction.atomic():
        point, created = ServicePoint.objects.select_for_update().get_or_create(
            unit=unit, defaults={"handling_unit": handling_unit}
        )
        if not created:
            if point.enabled and point.handling_unit == handling_unit:
                return point
            point.enabled, point.handling_unit = True, handling_unit
            point.save(update_fields=["enabled", "handling_unit"])
        audit_record(
            actor=actor,
            action="servicerating.point_enable",
            obj=point,
            unit=unit,
            changes={"enabled": True, "handled_by": str(point.handler)},
        )
    return point


def point_disable(*, actor, point: ServicePoint) -> ServicePoint:
    """Close the channel for a unit: its QR page says so; stored ratings and cases stay."""
    _require(actor, Perm.SERVICE_RATING_MANAGE, point.unit)
    with transaction.atomic():
        if not ServicePoint.objects.filter(pk=point.pk, enabled=True).update(enabled=False):
            raise Conflict(_("Rating is already closed for this unit."))
        point.enabled = False
        audit_record(
            actor=actor,
            action="servicerating.point_disable",
            obj=point,
            unit=point.unit,
            changes={"enabled": [True, False]},
        )
    return point


# ---------------------------------------------------------------- ratings


@dataclass
class Given:
    rating: Rating
    receipt: str | None  # the receipt code of the case a 不满意 rating opened (shown once)


def _named_person(institution: Unit | None, named: str) -> Person | None:
    if not named or institution is None:
        return None
    matches = list(
        Person.objects.filter(Q(staff_no=named) | Q(name=named), unit__path__startswith=institution.path)[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _rating_create(
    *,
    point: ServicePoint,
    grade: str,
    source: str,
    rated_on: date,
    reason: str,
    named: str,
    stars: int | None = None,
    reply: str = "",
    entered_by=None,
    released: bool = False,
) -> Given:
    reason, named = (reason or "").strip(), (named or "").strip()
    if len(reason) > REASON_MAX:
        raise ServiceError(_("The reason is too long (at most %(n)s characters).") % {"n": REASON_MAX})
    if len(named) > NAMED_MAX:
        raise ServiceError(_("The staff member's name or number is too long."))
    if grade == Grade.UNSATISFIED and not reason:
        raise ServiceError(_("Please tell us why you are not satisfied."))
    unit = point.unit
    institution = unit.institution
    rating = Rating.objects.create(
        unit=unit,
        institution=institution,
        rated_on=rated_on,
        source=source,
        stars=stars,
        reply=reply,
        grade=grade,
        reason=reason,
        entered_by=entered_by,
        released=released,
    )
    receipt = None
    if grade == Grade.UNSATISFIED:
        receipt = _new_receipt()
        Case.objects.create(
            unit=unit,
            handling_unit=point.handler,
            reason=reason,
            named_text=named,
            named_person=_named_person(institution, named),
            opened_on=rated_on,
            due_on=rated_on + timedelta(days=config_for(institution).case_due_days),
            receipt_hash=receipt_hash(receipt),
            released=released,
        )
    return Given(rating, receipt)


def rating_submit(
    *, point: ServicePoint, stars: int, reason: str = "", named: str = "", rated_on: date | None = None
) -> Given:
    """A member of the public rates a unit by its QR page. Anonymous: no actor, no audit record now
    (see the module docstring), the day only. A 不满意 rating needs a reason and opens a case.
    `rated_on` is for the demo loader only; the public page never passes it (the day is today)."""
    if not point.enabled:
        raise ServiceError(_("Rating is closed for this unit."))
    if stars not in range(1, 6):
        raise ServiceError(_("Choose from one to five stars."))
    grade = config_for(point.unit.institution).grade_for_stars(stars)
    with transaction.atomic():
        return _rating_create(
            point=point,
            grade=grade,
            source=Rating.Source.QR,
            rated_on=rated_on or timezone.localdate(),
            stars=stars,
            reason=reason,
            named=named,
        )


def _check_day(rated_on: date) -> None:
    today = timezone.localdate()
    if rated_on > today:
        raise ServiceError(_("The day cannot be in the future."))
    if rated_on < today - timedelta(days=OLDEST_DAYS):
        raise ServiceError(_("Replies older than three months cannot be entered."))


def rating_enter(*, actor, point: ServicePoint, reply: str, rated_on: date, reason: str = "", named: str = "") -> Given:
    """Staff type in a reply (1 满意, 2 基本满意, 3 不满意) taken by phone or text message. The rater
    stays anonymous; the entry is released and audited (with the staff member) by the daily roll-up."""
    _require(actor, Perm.SERVICE_RATING_MANAGE, point.unit)
    if not point.enabled:
        raise ServiceError(_("Rating is closed for this unit."))
    if reply not in REPLY_CODES:
        raise ServiceError(_("The reply code must be 1, 2 or 3."))
    _check_day(rated_on)
    with transaction.atomic():
        return _rating_create(
            point=point,
            grade=REPLY_CODES[reply],
            source=Rating.Source.REPLY,
            rated_on=rated_on,
            reply=reply,
            reason=reason,
            named=named,
            entered_by=actor,
        )


@dataclass
class ImportRow:
    row: int  # the row number in the file, for messages and for replying to the sender
    point_id: int
    rated_on: date
    reply: str
    reason: str


def ratings_import(*, actor, institution: Unit, rows: list[ImportRow]) -> list[tuple[int, str]]:
    """Import a text-message gateway export: every row or none. Returns (row, receipt code) of the
    不满意 rows, so the gateway operator can send each sender their code. One audit record."""
    _require(actor, Perm.SERVICE_RATING_MANAGE, institution)
    if not rows:
        raise ServiceError(_("The file has no ratings."))
    points = {
        p.pk: p
        for p in ServicePoint.objects.select_related("unit", "unit__parent", "handling_unit").filter(
            pk__in={r.point_id for r in rows}, enabled=True, unit__institution=institution
        )
    }
    receipts: list[tuple[int, str]] = []
    with transaction.atomic():
        for r in rows:
            point = points.get(r.point_id)
            if point is None:
                raise ServiceError(_("Row %(row)s: rating is closed for this unit.") % {"row": r.row})
            if r.reply not in REPLY_CODES:
                raise ServiceError(_("Row %(row)s: the reply code must be 1, 2 or 3.") % {"row": r.row})
            try:
                _check_day(r.rated_on)
                given = _rating_create(
                    point=point,
                    grade=REPLY_CODES[r.reply],
                    source=Rating.Source.IMPORT,
                    rated_on=r.rated_on,
                    reply=r.reply,
                    reason=r.reason,
                    named="",
                    entered_by=actor,
                )
            except ServiceError as e:
                raise ServiceError(_("Row %(row)s: %(error)s") % {"row": r.row, "error": e.message}) from e
            if given.receipt:
                receipts.append((r.row, given.receipt))
        counts = {g: sum(1 for r in rows if REPLY_CODES[r.reply] == g) for g in Grade.values}
        audit_record(
            actor=actor,
            action="servicerating.import",
            unit=institution,
            object_repr=_("Gateway import of %(n)s replies") % {"n": len(rows)},
            changes={"rows": len(rows), **counts, "days": sorted({r.rated_on.isoformat() for r in rows})},
        )
    return receipts


# ---------------------------------------------------------------- the daily release


def _reinsert_shuffled(model, rows: list) -> None:
    model.objects.filter(pk__in=[r.pk for r in rows]).delete()
    random.SystemRandom().shuffle(rows)
    for r in rows:
        r.released = True
    model.objects.bulk_create(rows)


def ratings_release(*, today: date | None = None) -> int:
    """Release every unreleased rating and case of a day before `today`: re-insert them in random
    order, write one audit record per unit and day (no actor, the day only), notify the handlers of
    new cases. Returns how many ratings were released. Safe to re-run; run by the scheduler."""
    today = today or timezone.localdate()
    released = 0
    days = sorted(set(Rating.objects.filter(released=False, rated_on__lt=today).values_list("rated_on", flat=True)))
    for day in days:
        with transaction.atomic():
            ratings = list(Rating.objects.select_for_update().filter(released=False, rated_on=day))
            cases = list(Case.objects.select_for_update().filter(released=False, opened_on=day))
            if not ratings:
                continue
            _reinsert_shuffled(Rating, ratings)
            _reinsert_shuffled(Case, cases)
            for unit_id in sorted({r.unit_id for r in ratings}):
                _audit_day(
                    day,
                    unit_id,
                    [r for r in ratings if r.unit_id == unit_id],
                    [c for c in cases if c.unit_id == unit_id],
                )
            released += len(ratings)
        for case in Case.objects.filter(pk__in=[c.pk for c in cases]).select_related("unit", "handling_unit"):
            _notify_new_case(case)
    return released


def _audit_day(day: date, unit_id: int, ratings: list[Rating], cases: list[Case]) -> None:
    unit = Unit.objects.get(pk=unit_id)
    entered: dict[str, int] = {}
    for r in ratings:
        if r.entered_by_id and r.source == Rating.Source.REPLY:
            entered[str(r.entered_by_id)] = entered.get(str(r.entered_by_id), 0) + 1
    audit_record(
        actor=None,
        action="servicerating.ratings_release",
        unit=unit,
        object_repr=_("Service ratings of %(unit)s on %(day)s") % {"unit": unit, "day": day.isoformat()},
        changes={
            "day": day.isoformat(),
            **{g: sum(1 for r in ratings if r.grade == g) for g in Grade.values},
            **{f"source_{s}": sum(1 for r in ratings if r.source == s) for s in Rating.Source.values},
            "entered_by_user": entered,
            "cases_opened": sorted(str(c.pk) for c in cases),
        },
    )


def _notify_new_case(case: Case) -> None:
    from django.urls import reverse

    notify(
        recipients=case_deciders(case),
        title=_("A 不满意 service rating of %(unit)s needs looking into") % {"unit": case.unit},
        body=_("Settle it by %(due)s.") % {"due": case.due_on.isoformat()},
        url=reverse("servicerating:case", args=[case.pk]),
        kind="task",
    )


# ---------------------------------------------------------------- cases


def case_decide(*, actor, case: Case, status: str, finding: str, action_taken: str) -> Case:
    """The handling unit settles a case: 属实 / 部分属实 / 不属实, with the findings and the action
    taken (what the rater reads on the receipt page). Never someone of the rated unit or the person
    named in the rating (selectors.may_decide_case)."""
    from .selectors import may_decide_case

    if not may_decide_case(actor, case):
        raise ServiceError(_("You may not decide this case (it concerns your own unit or you)."))
    if status not in (Case.Status.SUBSTANTIATED, Case.Status.PARTLY, Case.Status.UNSUBSTANTIATED):
        raise ServiceError(_("Choose an outcome."))
    finding, action_taken = (finding or "").strip(), (action_taken or "").strip()
    if not action_taken:
        raise ServiceError(_("Say what was done (the rater reads it with the receipt code)."))
    now = timezone.now()
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status=Case.Status.INVESTIGATING, released=True).update(
            status=status, finding=finding, action_taken=action_taken, decided_at=now, decided_by=actor
        )
        if not updated:
            raise Conflict(_("This case has already been decided."))
        case.refresh_from_db()
        audit_record(
            actor=actor,
            action="servicerating.case_decide",
            obj=case,
            unit=case.unit,
            changes={"status": [Case.Status.INVESTIGATING, status], "action_taken": action_taken},
        )
    return case
