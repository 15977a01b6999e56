"""Writes for democratic life meetings. Every function: keyword-only, `actor=` first, one transaction,
an audit record; status changes by conditional update (0 rows → Conflict)."""

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from campaigns.models import Campaign, CampaignUnit
from core.exceptions import Conflict, ServiceError
from notifications.services import notify
from orgs.access import Perm, can, person_of
from orgs.models import Person, Unit
from orgs.selectors import head_of

from . import selectors
from .models import (
    Criticism,
    HeartTalk,
    LifeMeeting,
    MaterialReview,
    MeetingFollowUp,
    MeetingMeasure,
    MeetingMember,
    MemberMaterial,
    RoutedOpinion,
)

TEXT_LIMIT = 20000


def _url(meeting: LifeMeeting, name: str = "meetings:detail") -> str:
    return reverse(name, args=[meeting.pk])


def _clean(text: str, label: str, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ServiceError(_("%(field)s must not be empty.") % {"field": label})
    if len(text) > limit:
        raise ServiceError(_("%(field)s is too long (at most %(n)d characters).") % {"field": label, "n": limit})
    return text


def _require_manage(actor, meeting: LifeMeeting) -> None:
    if not selectors.may_manage(actor, meeting):
        raise PermissionDenied


def _require_record(actor, meeting: LifeMeeting) -> None:
    if not selectors.may_record(actor, meeting):
        raise PermissionDenied


def _require_status(meeting: LifeMeeting, *allowed: str) -> None:
    current = LifeMeeting.objects.filter(pk=meeting.pk).values_list("status", flat=True).first()
    if current is not None:
        meeting.status = current
    if current not in allowed:
        raise Conflict(
            _("This cannot be done now: the meeting is “%(status)s”.")
            % {"status": LifeMeeting.Status(current).label if current else "?"}
        )


def organisers(meeting: LifeMeeting) -> list:
    """Users to remind about the meeting: who scheduled it, the unit's head, the secretary."""
    users = [meeting.created_by]
    head = head_of(meeting.unit)
    users.append(head.user if head else None)
    users.append(meeting.secretary.user if meeting.secretary else None)
    return [u for u in users if u is not None]


# ---------------------------------------------------------------- scheduling
@transaction.atomic
def meeting_schedule(
    *,
    actor,
    campaign: Campaign,
    unit: Unit,
    theme: str,
    date: datetime,
    place: str,
    members: list[Person] | None = None,
    observers: list[Person] = (),
    chair: Person | None = None,
    secretary: Person | None = None,
    quorum_ratio: Decimal | None = None,
    follow_up_days: int = 15,
) -> LifeMeeting:
    """Schedule the meeting of a participating unit (campaign office anywhere in the institution, a
    department head for their own department). Members default to the unit's leadership."""
    if not can(actor, Perm.MEETING_MANAGE, unit):
        raise PermissionDenied
    if campaign.status != Campaign.Status.ACTIVE:
        raise ServiceError(_("The campaign is not in progress."))
    participant = CampaignUnit.objects.filter(campaign=campaign, unit=unit).first()
    if participant is None:
        raise ServiceError(_("%(unit)s does not take part in this campaign.") % {"unit": unit})
    if LifeMeeting.objects.filter(campaign=campaign, unit=unit, round=participant.round).exists():
        raise ServiceError(_("%(unit)s already has a democratic life meeting in this campaign.") % {"unit": unit})
    members = list(members) if members is not None else selectors.default_members(unit)
    observers = [p for p in observers if p.pk not in {m.pk for m in members}]
    if not members:
        raise ServiceError(_("A democratic life meeting needs at least one member."))
    if not 1 <= int(follow_up_days) <= 90:
        raise ServiceError(_("The follow-up deadline must be between 1 and 90 days."))
    ratio = Decimal("0.667") if quorum_ratio is None else Decimal(quorum_ratio).quantize(Decimal("0.001"))
    if not Decimal("0.5") <= ratio <= 1:
        raise ServiceError(_("The quorum must be between one half and all members."))
    meeting = LifeMeeting.objects.create(
        campaign=campaign,
        unit=unit,
        round=participant.round,
        theme=_clean(theme, _("Theme"), limit=200),
        date=date,
        place=_clean(place, _("Place"), limit=120),
        chair=chair or (members[0] if members else None),
        secretary=secretary,
        quorum_ratio=ratio,
        follow_up_days=follow_up_days,
        created_by=actor,
    )
    MeetingMember.objects.bulk_create(
        [
            MeetingMember(meeting=meeting, person=p, role=MeetingMember.Role.MEMBER, sort_order=i)
            for i, p in enumerate(members)
        ]
        + [
            MeetingMember(meeting=meeting, person=p, role=MeetingMember.Role.OBSERVER, sort_order=i)
            for i, p in enumerate(observers)
        ]
    )
    audit_record(
        actor=actor,
        action="meeting.schedule",
        obj=meeting,
        unit=unit,
        changes={
            "theme": meeting.theme,
            "date": date,
            "place": meeting.place,
            "members": [p.pk for p in members],
            "observers": [p.pk for p in observers],
        },
    )
    notify(
        recipients=[p.user for p in members],
        title=_("You are a member of the democratic life meeting of %(unit)s") % {"unit": unit},
        body=_("%(theme)s, %(when)s, %(place)s. Please hand in your comparison and self-examination material.")
        % {"theme": meeting.theme, "when": timezone.localtime(date).strftime("%Y-%m-%d %H:%M"), "place": meeting.place},
        url=_url(meeting),
        kind="meeting",
        email=True,
    )
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: LifeMeeting, **fields) -> LifeMeeting:
    """Change theme, date, place, chair, secretary, quorum or follow-up days while in preparation."""
    _require_manage(actor, meeting)
    _require_status(meeting, LifeMeeting.Status.PLANNED)
    allowed = {"theme", "date", "place", "chair", "secretary", "quorum_ratio", "follow_up_days", "summary"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {unknown}")
    before = {k: getattr(meeting, k) for k in fields}
    for k, v in fields.items():
        setattr(meeting, k, v)
    meeting.save(update_fields=list(fields))
    from audit.services import diff

    audit_record(actor=actor, action="meeting.update", obj=meeting, unit=meeting.unit, changes=diff(before, fields))
    return meeting


@transaction.atomic
def member_add(*, actor, meeting: LifeMeeting, person: Person, role: str = MeetingMember.Role.MEMBER) -> MeetingMember:
    _require_manage(actor, meeting)
    _require_status(meeting, LifeMeeting.Status.PLANNED)
    if meeting.members.filter(person=person).exists():
        raise ServiceError(_("%(name)s already takes part in this meeting.") % {"name": person.name})
    member = MeetingMember.objects.create(meeting=meeting, person=person, role=role, sort_order=meeting.members.count())
    audit_record(
        actor=actor,
        action="meeting.member_add",
        obj=meeting,
        unit=meeting.unit,
        changes={"person": person.pk, "role": role},
    )
    return member


@transaction.atomic
def member_remove(*, actor, member: MeetingMember) -> None:
    meeting = member.meeting
    _require_manage(actor, meeting)
    _require_status(meeting, LifeMeeting.Status.PLANNED)
    person_pk = member.person_id
    member.delete()
    audit_record(
        actor=actor, action="meeting.member_remove", obj=meeting, unit=meeting.unit, changes={"person": person_pk}
    )


# ---------------------------------------------------------------- preparation
@transaction.atomic
def opinions_route(*, actor, meeting: LifeMeeting) -> int:
    """Pass each opinion gathered for the unit to the member it concerns (to every member when it
    concerns the unit as a whole). Safe to repeat: only new opinions are routed. Returns the count."""
    _require_manage(actor, meeting)
    _require_status(meeting, LifeMeeting.Status.PLANNED)
    members = [m for m in meeting.members.select_related("person__user") if m.is_member]
    by_person = {m.person_id: m for m in members}
    already = set(RoutedOpinion.objects.filter(meeting=meeting).values_list("opinion_id", "member_id"))
    rows = []
    for opinion in selectors.relevant_opinions(meeting, members).only("pk", "concerns_person_id"):
        targets = [by_person[opinion.concerns_person_id]] if opinion.concerns_person_id else members
        rows += [
            RoutedOpinion(meeting=meeting, opinion=opinion, member=m)
            for m in targets
            if (opinion.pk, m.pk) not in already
        ]
    RoutedOpinion.objects.bulk_create(rows)
    LifeMeeting.objects.filter(pk=meeting.pk).update(opinions_routed_at=timezone.now())
    meeting.refresh_from_db(fields=["opinions_routed_at"])
    audit_record(
        actor=actor, action="meeting.opinions_route", obj=meeting, unit=meeting.unit, changes={"routed": len(rows)}
    )
    per_member: dict[int, int] = {}
    for r in rows:
        per_member[r.member.pk] = per_member.get(r.member.pk, 0) + 1
    for m in members:
        if per_member.get(m.pk) and m.person.user:
            notify(
                recipients=[m.person.user],
                title=_("%(n)d opinions have been passed to you for the democratic life meeting")
                % {"n": per_member[m.pk]},
                body=_("Answer them in your comparison and self-examination material."),
                url=reverse("meetings:material", args=[m.pk]),
                kind="meeting",
            )
    return len(rows)


@transaction.atomic
def talk_record(
    *, actor, meeting: LifeMeeting, talker: Person, talkee: Person, talked_on: date, gist: str
) -> HeartTalk:
    """Record a one-to-one talk (谈心谈话) between two people of the meeting; by a manager or by one of
    the two."""
    me = person_of(actor)
    if not (selectors.may_manage(actor, meeting) or (me is not None and me.pk in (talker.pk, talkee.pk))):
        raise PermissionDenied
    _require_status(meeting, LifeMeeting.Status.PLANNED)
    if talker.pk == talkee.pk:
        raise ServiceError(_("A one-to-one talk needs two different people."))
    taking_part = set(meeting.members.values_list("person_id", flat=True))
    for p in (talker, talkee):
        if p.pk not in taking_part:
            raise ServiceError(_("%(name)s does not take part in this meeting.") % {"name": p.name})
    if talked_on > timezone.localdate():
        raise ServiceError(_("A talk cannot be recorded before it has taken place."))
    talk = HeartTalk.objects.create(
        meeting=meeting,
        talker=talker,
        talkee=talkee,
        talked_on=talked_on,
        gist=_clean(gist, _("Gist")),
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="meeting.talk_record",
        obj=meeting,
        unit=meeting.unit,
        changes={"talk": talk.pk, "talker": talker.pk, "talkee": talkee.pk, "on": talked_on},
    )
    return talk


@transaction.atomic
def material_save(*, actor, member: MeetingMember, kind: str, text: str = "") -> MemberMaterial:
    """The member hands in (or revises) their comparison and self-examination material: their approved
    self-inspection report (its approval stands as the review) or a separate text, which then awaits
    review. Nobody writes another member's material."""
    if not selectors.may_write_material(actor, member):
        raise PermissionDenied
    meeting = member.meeting
    _require_status(meeting, LifeMeeting.Status.PLANNED)
    if not member.is_member:
        raise ServiceError(_("Observers do not hand in material."))
    report = None
    if kind == MemberMaterial.Kind.REPORT:
        report = selectors.approved_report_of(meeting.campaign, member.person)
        if report is None:
            raise ServiceError(
                _("You have no approved self-inspection report in this campaign; write a separate text.")
            )
        status, text = MemberMaterial.Status.APPROVED, ""
    elif kind == MemberMaterial.Kind.TEXT:
        text = _clean(text, _("Material"))
        status = MemberMaterial.Status.SUBMITTED
    else:
        raise ServiceError(_("Unknown kind of material."))
    material = MemberMaterial.objects.select_for_update().filter(member=member).first()
    if material is None:
        material = MemberMaterial.objects.create(member=member, kind=kind, self_report=report, text=text, status=status)
    else:
        material.kind, material.self_report, material.text, material.status = kind, report, text, status
        material.version += 1
        material.save(update_fields=["kind", "self_report", "text", "status", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="meeting.material_save",
        obj=meeting,
        unit=meeting.unit,
        changes={
            "member": member.person_id,
            "kind": kind,
            "version": material.version,
            "report": report.pk if report else None,
        },
    )
    if status == MemberMaterial.Status.SUBMITTED:
        notify(
            recipients=[u for u in organisers(meeting) if u.pk != actor.pk],
            title=_("Material of %(name)s awaits your review") % {"name": member.person.name},
            url=reverse("meetings:material", args=[member.pk]),
            kind="meeting",
        )
    return material


@transaction.atomic
def material_review(*, actor, material: MemberMaterial, approve: bool, comment: str = "") -> MaterialReview:
    """Approve or return a submitted text (a manager of the meeting or the supervising leader; never
    the member themselves). Returning needs a comment."""
    member = material.member
    if not selectors.may_review_material(actor, member):
        raise PermissionDenied
    _require_status(member.meeting, LifeMeeting.Status.PLANNED)
    comment = _clean(comment, _("Comments"), required=not approve)
    target = MemberMaterial.Status.APPROVED if approve else MemberMaterial.Status.RETURNED
    updated = MemberMaterial.objects.filter(
        pk=material.pk, status=MemberMaterial.Status.SUBMITTED, version=material.version
    ).update(status=target)
    if not updated:
        raise Conflict(_("The material was changed or reviewed by someone else; reload the page."))
    review = MaterialReview.objects.create(
        material=material,
        version=material.version,
        text_reviewed=material.text,
        reviewer=actor,
        decision=MaterialReview.Decision.APPROVED if approve else MaterialReview.Decision.RETURNED,
        comment=comment,
    )
    audit_record(
        actor=actor,
        action="meeting.material_approve" if approve else "meeting.material_return",
        obj=member.meeting,
        unit=member.meeting.unit,
        changes={"member": member.person_id, "version": material.version, "status": ["submitted", target]},
    )
    notify(
        recipients=[member.person.user],
        title=(
            _("Your material for the democratic life meeting was approved")
            if approve
            else _("Your material for the democratic life meeting was returned for revision")
        ),
        body=comment,
        url=reverse("meetings:material", args=[member.pk]),
        kind="meeting",
    )
    material.refresh_from_db()
    return review


# ---------------------------------------------------------------- recording
def _require_recordable(actor, meeting: LifeMeeting) -> None:
    """The secretary records while the meeting is prepared enough to be held, or right after it."""
    _require_record(actor, meeting)
    _require_status(meeting, LifeMeeting.Status.PLANNED, LifeMeeting.Status.HELD)
    if meeting.status == LifeMeeting.Status.PLANNED:
        blockers = selectors.hold_blockers(meeting)
        if blockers:
            raise ServiceError(_("The meeting cannot be held yet."), details=blockers)


@transaction.atomic
def attendance_record(*, actor, member: MeetingMember, attendance: str, reason: str = "") -> MeetingMember:
    meeting = member.meeting
    _require_recordable(actor, meeting)
    if attendance not in (MeetingMember.Attendance.PRESENT, MeetingMember.Attendance.ABSENT):
        raise ServiceError(_("Attendance must be present or absent."))
    reason = _clean(reason, _("Reason for absence"), required=attendance == "absent", limit=200)
    before = [member.attendance, member.absence_reason]
    member.attendance, member.absence_reason = attendance, reason if attendance == "absent" else ""
    member.save(update_fields=["attendance", "absence_reason"])
    audit_record(
        actor=actor,
        action="meeting.attendance",
        obj=meeting,
        unit=meeting.unit,
        changes={"member": member.person_id, "attendance": [before[0], attendance], "reason": member.absence_reason},
    )
    return member


@transaction.atomic
def self_criticism_record(*, actor, member: MeetingMember, text: str) -> MeetingMember:
    meeting = member.meeting
    _require_recordable(actor, meeting)
    if not member.is_member:
        raise ServiceError(_("Only members make a self-criticism."))
    member.self_criticism = _clean(text, _("Self-criticism"))
    member.save(update_fields=["self_criticism"])
    audit_record(
        actor=actor,
        action="meeting.self_criticism",
        obj=meeting,
        unit=meeting.unit,
        changes={"member": member.person_id},
    )
    return member


@transaction.atomic
def criticism_add(*, actor, meeting: LifeMeeting, from_person: Person, to_person: Person, content: str) -> Criticism:
    """A criticism one member makes of another at the meeting; both must be members recorded present."""
    _require_recordable(actor, meeting)
    if from_person.pk == to_person.pk:
        raise ServiceError(_("Self-criticism is recorded with each member, not as a criticism."))
    taking_part = {m.person_id: m for m in meeting.members.only("person_id", "role", "attendance", "meeting_id", "pk")}
    for person in (from_person, to_person):
        m = taking_part.get(person.pk)
        if m is None or not m.is_member:
            raise ServiceError(_("%(name)s is not a member of this meeting.") % {"name": person.name})
        if m.attendance != MeetingMember.Attendance.PRESENT:
            raise ServiceError(
                _("%(name)s is not recorded as present: only members present criticise or are criticised.")
                % {"name": person.name}
            )
    criticism = Criticism.objects.create(
        meeting=meeting, from_person=from_person, to_person=to_person, content=_clean(content, _("Criticism"))
    )
    audit_record(
        actor=actor,
        action="meeting.criticism_add",
        obj=meeting,
        unit=meeting.unit,
        changes={"criticism": criticism.pk, "from": from_person.pk, "to": to_person.pk},
    )
    return criticism


@transaction.atomic
def criticism_delete(*, actor, criticism: Criticism) -> None:
    meeting = criticism.meeting
    _require_recordable(actor, meeting)
    pk, content = criticism.pk, criticism.content
    criticism.delete()
    audit_record(
        actor=actor,
        action="meeting.criticism_delete",
        obj=meeting,
        unit=meeting.unit,
        changes={"criticism": pk, "content": content},
    )


@transaction.atomic
def measure_add(
    *, actor, meeting: LifeMeeting, content: str, person: Person | None = None, problems=()
) -> MeetingMeasure:
    """A measure agreed at the meeting (the rectification plan starts from these)."""
    _require_recordable(actor, meeting)
    if person is not None and not meeting.members.filter(person=person, role=MeetingMember.Role.MEMBER).exists():
        raise ServiceError(_("%(name)s is not a member of this meeting.") % {"name": person.name})
    measure = MeetingMeasure.objects.create(meeting=meeting, content=_clean(content, _("Measure")), person=person)
    problems = [p for p in problems if meeting.problems.filter(pk=p.pk).exists()]
    if problems:
        measure.problems.set(problems)
    audit_record(
        actor=actor,
        action="meeting.measure_add",
        obj=meeting,
        unit=meeting.unit,
        changes={"measure": measure.pk, "person": person.pk if person else None, "problems": [p.pk for p in problems]},
    )
    return measure


@transaction.atomic
def measure_delete(*, actor, measure: MeetingMeasure) -> None:
    meeting = measure.meeting
    _require_recordable(actor, meeting)
    pk, content = measure.pk, measure.content
    measure.delete()
    audit_record(
        actor=actor,
        action="meeting.measure_delete",
        obj=meeting,
        unit=meeting.unit,
        changes={"measure": pk, "content": content},
    )


@transaction.atomic
def meeting_problem_raise(
    *, actor, meeting: LifeMeeting, description: str, subject_person: Person | None = None, severity: str = "medium"
):
    """A problem raised at the meeting goes into the ledger (channel 民主生活会), linked to the meeting."""
    from problems.services import problem_create

    _require_recordable(actor, meeting)
    if subject_person is not None and not meeting.members.filter(person=subject_person).exists():
        raise ServiceError(_("%(name)s does not take part in this meeting.") % {"name": subject_person.name})
    if subject_person is not None:
        subject_kind = "person"
    else:
        subject_kind = "team" if meeting.unit.kind == Unit.Kind.INSTITUTION else "unit"
    problem = problem_create(
        actor=actor,
        campaign=meeting.campaign,
        unit=meeting.unit,
        description=_clean(description, _("Problem")),
        channel="life_meeting",
        subject_kind=subject_kind,
        subject_person=subject_person,
        severity=severity,
    )
    meeting.problems.add(problem)
    audit_record(
        actor=actor, action="meeting.problem_raise", obj=meeting, unit=meeting.unit, changes={"problem": problem.pk}
    )
    return problem


@transaction.atomic
def meeting_hold(*, actor, meeting: LifeMeeting) -> LifeMeeting:
    """Record that the meeting took place: preparation complete, every member's attendance recorded and
    the quorum met. Starts the follow-up deadlines (report to the superior, notice to staff)."""
    _require_record(actor, meeting)
    _require_status(meeting, LifeMeeting.Status.PLANNED)
    blockers = list(selectors.hold_blockers(meeting))
    members = list(meeting.members.select_related("person"))
    unknown = [m.person.name for m in members if m.is_member and m.attendance == MeetingMember.Attendance.UNKNOWN]
    if unknown:
        blockers.append(_("Attendance has not been recorded for: %(names)s.") % {"names": "、".join(unknown)})
    q = selectors.quorum(meeting, members)
    if not unknown and not q.met:
        blockers.append(
            _("Only %(present)d of %(total)d members are present; the quorum is %(required)d.")
            % {"present": q.present, "total": q.total, "required": q.required}
        )
    if blockers:
        raise ServiceError(_("The meeting cannot be recorded as held."), details=blockers)
    now = timezone.now()
    updated = LifeMeeting.objects.filter(pk=meeting.pk, status=LifeMeeting.Status.PLANNED).update(
        status=LifeMeeting.Status.HELD, held_at=now
    )
    if not updated:
        raise Conflict(_("The meeting was changed by someone else; reload the page."))
    meeting.refresh_from_db()
    due = timezone.localtime(meeting.date).date() + timedelta(days=meeting.follow_up_days)
    MeetingFollowUp.objects.bulk_create(
        [MeetingFollowUp(meeting=meeting, kind=k, due_on=due) for k in MeetingFollowUp.Kind]
    )
    audit_record(
        actor=actor,
        action="meeting.hold",
        obj=meeting,
        unit=meeting.unit,
        changes={"status": ["planned", "held"], "present": q.present, "members": q.total, "follow_up_due": due},
    )
    return meeting


@transaction.atomic
def minutes_file(*, actor, meeting: LifeMeeting) -> LifeMeeting:
    """File the minutes: the record is complete, the Word minutes are frozen and the MEETING gate opens."""
    from .minutes import minutes_docx

    _require_record(actor, meeting)
    _require_status(meeting, LifeMeeting.Status.HELD)
    blockers = selectors.minutes_blockers(meeting)
    if blockers:
        raise ServiceError(_("The minutes cannot be filed yet."), details=blockers)
    content = minutes_docx(meeting)
    now = timezone.now()
    updated = LifeMeeting.objects.filter(pk=meeting.pk, status=LifeMeeting.Status.HELD).update(
        status=LifeMeeting.Status.FILED, filed_at=now
    )
    if not updated:
        raise Conflict(_("The meeting was changed by someone else; reload the page."))
    meeting.refresh_from_db()
    meeting.minutes_sha256 = hashlib.sha256(content).hexdigest()
    meeting.minutes_file.save(f"minutes-{meeting.pk}.docx", ContentFile(content), save=False)
    meeting.save(update_fields=["minutes_file", "minutes_sha256"])
    audit_record(
        actor=actor,
        action="meeting.minutes_file",
        obj=meeting,
        unit=meeting.unit,
        changes={"status": ["held", "filed"], "sha256": meeting.minutes_sha256},
    )
    return meeting


# ---------------------------------------------------------------- follow-up
@transaction.atomic
def follow_up_complete(*, actor, follow_up: MeetingFollowUp, note: str) -> MeetingFollowUp:
    """Mark the report to the superior or the notice to staff as done (with how and when)."""
    meeting = follow_up.meeting
    _require_manage(actor, meeting)
    note = _clean(note, _("How it was done"), limit=2000)
    now = timezone.now()
    updated = MeetingFollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
        done_at=now, done_by=actor, note=note
    )
    if not updated:
        raise Conflict(_("This follow-up has already been done."))
    field = "report_sent_at" if follow_up.kind == MeetingFollowUp.Kind.REPORT else "notice_sent_at"
    LifeMeeting.objects.filter(pk=meeting.pk).update(**{field: now})
    follow_up.refresh_from_db()
    audit_record(
        actor=actor,
        action=f"meeting.follow_up_{follow_up.kind}",
        obj=meeting,
        unit=meeting.unit,
        changes={"due_on": follow_up.due_on, "late": timezone.localdate() > follow_up.due_on, "note": note},
    )
    return follow_up


REMIND_DAYS_BEFORE = 3


def follow_up_remind(*, today: date | None = None) -> int:
    """Remind organisers (in-app and e-mail) of follow-ups due within three days or overdue; at most once
    a day per follow-up. Returns the number of follow-ups reminded. Called by the periodic task."""
    today = today or timezone.localdate()
    due = (
        MeetingFollowUp.objects.filter(done_at__isnull=True, due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE))
        .exclude(last_reminded_on=today)
        .select_related("meeting__unit", "meeting__created_by", "meeting__secretary__user")
    )
    count = 0
    for follow_up in due:
        with transaction.atomic():
            if (
                not MeetingFollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True)
                .exclude(last_reminded_on=today)
                .update(last_reminded_on=today)
            ):
                continue
            meeting = follow_up.meeting
            overdue = follow_up.due_on < today
            title = (
                _("Overdue: %(task)s (%(unit)s, was due %(due)s)")
                if overdue
                else _("Due soon: %(task)s (%(unit)s, due %(due)s)")
            ) % {"task": follow_up.get_kind_display(), "unit": meeting.unit, "due": follow_up.due_on.isoformat()}
            notify(
                recipients=organisers(meeting),
                title=title,
                body=_("Democratic life meeting: %(theme)s") % {"theme": meeting.theme},
                url=_url(meeting),
                kind="meeting_follow_up",
                email=True,
            )
            audit_record(
                actor=None,
                action="meeting.follow_up_remind",
                obj=meeting,
                unit=meeting.unit,
                changes={"kind": follow_up.kind, "due_on": follow_up.due_on, "overdue": overdue},
            )
            count += 1
    return count
