"""Reads for democratic life meetings: access, the preparation checklist, quorum, measures, tasks.

Access rules (all through orgs.access):
- see a meeting: MEETING_VIEW on its unit, or being one of its members, observers or its secretary;
  otherwise 404 (another institution's meeting does not exist for you);
- change it (schedule, prepare, review material, file): MEETING_MANAGE on its unit (the campaign
  office anywhere in the institution, a department head in their department), else 403;
- record it: MEETING_MANAGE, or being its designated secretary;
- write material: only the member themselves (or, for a member without a login, whoever manages the
  meeting types it in from paper); review it: a manager of the meeting or the unit's supervising
  leader, never the member themselves.
"""

from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import CampaignUnit, Stage
from orgs.access import Perm, can, person_of, units_where
from orgs.models import Person, Post, Unit
from orgs.selectors import institution_of, leadership_team_of, supervisor_of

from .models import HeartTalk, LifeMeeting, MeetingFollowUp, MeetingMeasure, MeetingMember, MemberMaterial


# ---------------------------------------------------------------- access
def meetings_visible_to(user) -> QuerySet[LifeMeeting]:
    """Meetings the user may see: by unit (MEETING_VIEW) or by taking part in them."""
    person = person_of(user)
    q = Q(unit__in=units_where(user, Perm.MEETING_VIEW))
    if person is not None:
        q |= Q(members__person=person) | Q(secretary=person)
    return LifeMeeting.objects.filter(pk__in=LifeMeeting.objects.filter(q).values("pk"))


def _takes_part(user, meeting: LifeMeeting) -> bool:
    person = person_of(user)
    if person is None:
        return False
    return meeting.secretary_id == person.pk or meeting.members.filter(person=person).exists()


def may_manage(user, meeting: LifeMeeting) -> bool:
    return can(user, Perm.MEETING_MANAGE, meeting.unit)


def may_record(user, meeting: LifeMeeting) -> bool:
    """The secretary (or anyone who manages the meeting) records it."""
    person = person_of(user)
    return may_manage(user, meeting) or (person is not None and meeting.secretary_id == person.pk)


def get_meeting_for_user(user, pk: int, write: bool = False, record: bool = False) -> LifeMeeting:
    """A meeting the user may see (404 otherwise); 403 if `write`/`record` and they may not."""
    meeting = LifeMeeting.objects.select_related("unit", "campaign", "chair", "secretary").filter(pk=pk).first()
    if meeting is None or not (can(user, Perm.MEETING_VIEW, meeting.unit) or _takes_part(user, meeting)):
        raise Http404
    if write and not may_manage(user, meeting):
        raise PermissionDenied
    if record and not may_record(user, meeting):
        raise PermissionDenied
    return meeting


def may_write_material(user, member: MeetingMember) -> bool:
    """Only the member writes their own material; a member without a login has it typed in by a manager."""
    person = person_of(user)
    if person is not None and person.pk == member.person_id:
        return True
    return member.person.user_id is None and may_manage(user, member.meeting)


def may_review_material(user, member: MeetingMember) -> bool:
    """A manager of the meeting or the unit's supervising leader; nobody reviews their own material."""
    person = person_of(user)
    if person is not None and person.pk == member.person_id:
        return False
    if may_manage(user, member.meeting):
        return True
    supervisor = supervisor_of(member.meeting.unit)
    return person is not None and supervisor is not None and supervisor.pk == person.pk


def get_member_for_user(user, pk: int, write: bool = False, review: bool = False) -> MeetingMember:
    """A meeting member (with their material) whose meeting the user may see; 403 for writing another
    member's material or reviewing without the right."""
    member = (
        MeetingMember.objects.select_related("meeting__unit", "meeting__campaign", "person__user").filter(pk=pk).first()
    )
    if member is None:
        raise Http404
    get_meeting_for_user(user, member.meeting_id)
    if write and not may_write_material(user, member):
        raise PermissionDenied
    if review and not may_review_material(user, member):
        raise PermissionDenied
    return member


def get_follow_up_for_user(user, pk: int) -> MeetingFollowUp:
    follow_up = MeetingFollowUp.objects.filter(pk=pk).first()
    if follow_up is None:
        raise Http404
    get_meeting_for_user(user, follow_up.meeting_id, write=True)
    return follow_up


# ---------------------------------------------------------------- who takes part
def participant_of(meeting: LifeMeeting) -> CampaignUnit | None:
    return CampaignUnit.objects.filter(campaign_id=meeting.campaign_id, unit_id=meeting.unit_id).first()


def default_members(unit: Unit) -> list[Person]:
    """The institution's leadership team, or the department's leadership (head and members)."""
    if unit.kind == Unit.Kind.INSTITUTION:
        people = leadership_team_of(unit)
    else:
        people = Person.objects.filter(
            posts__unit=unit,
            posts__kind__in=[Post.Kind.DEPARTMENT_HEAD, Post.Kind.DEPARTMENT_MEMBER],
            active=True,
        ).distinct()
    return sorted(people, key=_leadership_rank(unit))


def _leadership_rank(unit: Unit):
    first = {Post.Kind.PRINCIPAL_LEADER, Post.Kind.DEPARTMENT_HEAD}
    heads = set(Post.objects.filter(unit=unit, kind__in=list(first)).values_list("person_id", flat=True))
    return lambda p: (p.pk not in heads, p.staff_no)


def member_candidates(unit: Unit) -> QuerySet[Person]:
    """People who may sit as members: anyone of the unit (and, for an institution, its leadership)."""
    inst = institution_of(unit)
    q = Q(unit__path__startswith=unit.path)
    if inst is not None and unit.pk == inst.pk:
        q = Q(posts__unit=unit)
    return Person.objects.filter(q, active=True).distinct().order_by("unit__path", "staff_no")


def observer_candidates(unit: Unit) -> QuerySet[Person]:
    """The superior body: for a department its institution's leadership team and campaign office,
    for an institution the city office."""
    inst = institution_of(unit)
    if inst is not None and unit.pk != inst.pk:
        team = leadership_team_of(inst).values("pk")
        office = Person.objects.filter(roles__unit=inst, roles__role="campaign_office").values("pk")
        return Person.objects.filter(Q(pk__in=team) | Q(pk__in=office)).order_by("staff_no")
    parent = unit.parent
    if parent is None:
        return Person.objects.none()
    return Person.objects.filter(unit=parent, active=True).order_by("staff_no")


def default_observers(unit: Unit) -> list[Person]:
    inst = institution_of(unit)
    if inst is not None and unit.pk != inst.pk:
        sup = supervisor_of(unit)
        return [sup] if sup else []
    return []


def approved_report_of(campaign, person: Person):
    """The person's approved self-inspection report in this campaign, if any (reports app)."""
    from reports.models import SelfReport

    return (
        SelfReport.objects.filter(campaign=campaign, person=person, status=SelfReport.Status.APPROVED)
        .order_by("-approved_at")
        .first()
    )


# ---------------------------------------------------------------- checklist
@dataclass
class ChecklistItem:
    key: str
    label: str
    done: bool
    progress: tuple[int, int]  # (done, total)
    missing: list[str] = field(default_factory=list)


@dataclass
class Checklist:
    items: list[ChecklistItem]
    stage_blockers: list[str]

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.done) + (0 if self.stage_blockers else 1)

    @property
    def total(self) -> int:
        return len(self.items) + 1

    @property
    def blockers(self) -> list[str]:
        out = list(self.stage_blockers)
        for item in self.items:
            out.extend(item.missing)
        return out

    @property
    def ready(self) -> bool:
        return not self.blockers


def _members(meeting: LifeMeeting) -> list[MeetingMember]:
    return list(meeting.members.select_related("person", "material__self_report").order_by("role", "sort_order", "pk"))


def relevant_opinions(meeting: LifeMeeting, members: list[MeetingMember] | None = None):
    """Opinions gathered for the unit that concern the unit as a whole or one of its members."""
    from problems.models import Opinion

    members = members if members is not None else _members(meeting)
    member_people = [m.person_id for m in members if m.is_member]
    return (
        Opinion.objects.filter(campaign_id=meeting.campaign_id, unit_id=meeting.unit_id)
        .exclude(status=Opinion.Status.MERGED)
        .filter(Q(concerns_person__isnull=True) | Q(concerns_person_id__in=member_people))
    )


def material_ok(material: MemberMaterial | None) -> bool:
    if material is None:
        return False
    if material.kind == MemberMaterial.Kind.REPORT:
        return material.self_report is not None and material.self_report.status == "approved"
    return material.status == MemberMaterial.Status.APPROVED


def _material(member: MeetingMember) -> MemberMaterial | None:
    try:
        return member.material
    except MemberMaterial.DoesNotExist:
        return None


def stage_blockers(meeting: LifeMeeting) -> list[str]:
    """The FINDING gate: the unit must have reached the meeting stage (its reports approved)."""
    from campaigns.gates import gate_blockers

    participant = participant_of(meeting)
    if participant is None:
        return [_("%(unit)s does not take part in this campaign.") % {"unit": meeting.unit}]
    if participant.stage == Stage.MEETING:
        return []
    if participant.stage == Stage.FINDING:
        why = [
            _("%(unit)s is still finding problems: its self-inspection reports are not all approved.")
            % {"unit": meeting.unit}
        ]
        return why + gate_blockers(participant)
    return [
        _("%(unit)s is not in the meeting stage (it is in “%(stage)s”).")
        % {
            "unit": meeting.unit,
            "stage": Stage(participant.stage).label,
        }
    ]


def checklist(meeting: LifeMeeting) -> Checklist:
    """Where preparation stands, item by item, naming who or what is missing (a handful of queries)."""
    members = _members(meeting)
    voting = [m for m in members if m.is_member]
    everyone = {m.person_id for m in members}
    names = {m.person_id: m.person.name for m in members}

    # 1. opinions routed
    opinions = list(relevant_opinions(meeting, members).values_list("pk", flat=True))
    routed = set(meeting.routed_opinions.values_list("opinion_id", flat=True).distinct())
    unrouted = [pk for pk in opinions if pk not in routed]
    missing = []
    if meeting.opinions_routed_at is None:
        missing.append(
            _("The opinions gathered for %(unit)s have not been routed to the members yet.") % {"unit": meeting.unit}
        )
    elif unrouted:
        missing.append(_("%(n)d new opinions have not been routed to the members yet.") % {"n": len(unrouted)})
    item_opinions = ChecklistItem(
        "opinions",
        _("Opinions gathered and routed to the members they concern"),
        not missing,
        (len(opinions) - len(unrouted), len(opinions)),
        missing,
    )

    # 2. talks: every member in at least one talk with another participant of the meeting
    talked = set()
    for talker, talkee in HeartTalk.objects.filter(meeting=meeting).values_list("talker_id", "talkee_id"):
        if talker in everyone and talkee in everyone:
            talked.update((talker, talkee))
    no_talk = [m for m in voting if m.person_id not in talked]
    item_talks = ChecklistItem(
        "talks",
        _("One-to-one talks held and recorded"),
        not no_talk and bool(voting),
        (len(voting) - len(no_talk), len(voting)),
        [_("No one-to-one talk with %(name)s has been recorded.") % {"name": names[m.person_id]} for m in no_talk],
    )

    # 3. material in place and reviewed
    missing = []
    for m in voting:
        mat = _material(m)
        if mat is None:
            missing.append(
                _("%(name)s has not handed in their comparison and self-examination material.")
                % {"name": m.person.name}
            )
        elif not material_ok(mat):
            missing.append(_("The material of %(name)s has not been reviewed and approved.") % {"name": m.person.name})
    item_material = ChecklistItem(
        "material",
        _("Each member's comparison and self-examination material in place and reviewed"),
        not missing and bool(voting),
        (len(voting) - len(missing), len(voting)),
        missing,
    )
    if not voting:
        item_material.missing.append(_("The meeting has no members."))
    return Checklist([item_opinions, item_talks, item_material], stage_blockers(meeting))


def hold_blockers(meeting: LifeMeeting) -> list[str]:
    """Why the meeting cannot be held (recorded) now: status, the FINDING gate, the checklist."""
    if meeting.status != LifeMeeting.Status.PLANNED:
        return []
    return date_blockers(meeting) + checklist(meeting).blockers


def date_blockers(meeting: LifeMeeting) -> list[str]:
    """A meeting is recorded (and then filed) on or after the day it is scheduled for, never before."""
    day = timezone.localtime(meeting.date).date()
    if timezone.localdate() < day:
        return [
            _("The meeting is scheduled for %(date)s: it can be recorded and held from that day on.")
            % {"date": day.isoformat()}
        ]
    return []


# ---------------------------------------------------------------- during and after
@dataclass
class Quorum:
    total: int
    present: int
    absent: int
    unknown: int
    required: int

    @property
    def met(self) -> bool:
        return self.total > 0 and self.present >= self.required


def quorum_fraction(meeting: LifeMeeting) -> Fraction:
    # The ratio is stored with 3 decimals (0.667): read it back as the simple fraction it stands for.
    return Fraction(str(meeting.quorum_ratio)).limit_denominator(20)


def quorum(meeting: LifeMeeting, members: list[MeetingMember] | None = None) -> Quorum:
    """Attendance of the members (observers do not count) against the quorum."""
    members = members if members is not None else list(meeting.members.all())
    voting = [m for m in members if m.is_member]
    present = sum(1 for m in voting if m.attendance == MeetingMember.Attendance.PRESENT)
    absent = sum(1 for m in voting if m.attendance == MeetingMember.Attendance.ABSENT)
    required = ceil(len(voting) * quorum_fraction(meeting))
    return Quorum(len(voting), present, absent, len(voting) - present - absent, required)


def agreed_measures(meeting: LifeMeeting) -> QuerySet[MeetingMeasure]:
    """The measures agreed at the meeting, for the rectification plan: content, responsible person,
    problems they answer. This is the contract the rectification app reads."""
    return meeting.agreed_measures.select_related("person").prefetch_related("problems").order_by("pk")


def minutes_blockers(meeting: LifeMeeting) -> list[str]:
    """What the record still lacks before its minutes can be filed."""
    if meeting.status != LifeMeeting.Status.HELD:
        return [_("Only a meeting that has been held can have its minutes filed.")]
    out = []
    for m in meeting.members.filter(role=MeetingMember.Role.MEMBER).select_related("person"):
        if m.attendance == MeetingMember.Attendance.PRESENT and not m.self_criticism.strip():
            out.append(_("The self-criticism of %(name)s has not been recorded.") % {"name": m.person.name})
    if not meeting.agreed_measures.exists():
        out.append(_("No measure agreed at the meeting has been recorded."))
    return out


def meeting_list(user, campaign=None) -> QuerySet[LifeMeeting]:
    qs = meetings_visible_to(user).select_related("unit", "campaign")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.annotate(
        n_members=Count("members", filter=Q(members__role=MeetingMember.Role.MEMBER), distinct=True),
        n_open_follow_ups=Count("follow_ups", filter=Q(follow_ups__done_at__isnull=True), distinct=True),
    ).order_by("-date")


def units_waiting_for_meeting(user) -> QuerySet[CampaignUnit]:
    """Participants (finding or meeting stage) without a meeting this round that the user may schedule."""
    have = LifeMeeting.objects.filter(
        campaign_id=OuterRef("campaign_id"), unit_id=OuterRef("unit_id"), round=OuterRef("round")
    )
    return (
        CampaignUnit.objects.filter(
            unit__in=units_where(user, Perm.MEETING_MANAGE),
            stage__in=[Stage.FINDING, Stage.MEETING],
            campaign__status="active",
        )
        .exclude(Exists(have))
        .select_related("unit", "campaign")
        .order_by("-stage", "unit__path")
    )


def meeting_detail_members(meeting: LifeMeeting):
    """Members with their material, routed-opinion counts and talk counts for the detail page."""
    return (
        meeting.members.select_related("person", "material__self_report")
        .annotate(n_opinions=Count("routed_opinions", distinct=True))
        .order_by("role", "sort_order", "pk")
    )


def routed_to(member: MeetingMember):
    return member.routed_opinions.select_related("opinion").order_by("opinion__received_on")


def talks_of(meeting: LifeMeeting):
    return meeting.talks.select_related("talker", "talkee").order_by("talked_on", "pk")


def criticisms_of(meeting: LifeMeeting):
    return meeting.criticisms.select_related("from_person", "to_person").order_by("created_at", "pk")


def problems_of(meeting: LifeMeeting):
    return meeting.problems.select_related("subject_person").order_by("pk")


def prefetch_members():
    return Prefetch("members", queryset=MeetingMember.objects.select_related("person"))


def materials_to_review(user) -> QuerySet[MemberMaterial]:
    """Submitted material the user may review: meetings they manage, or units they supervise (分管)."""
    person = person_of(user)
    if person is None:
        return MemberMaterial.objects.none()
    managed = units_where(user, Perm.MEETING_MANAGE)
    return (
        MemberMaterial.objects.filter(status=MemberMaterial.Status.SUBMITTED, member__meeting__status="planned")
        .filter(Q(member__meeting__unit__in=managed) | Q(member__meeting__unit__supervisors__leader=person))
        .exclude(member__person=person)
        .select_related("member__person", "member__meeting__unit")
        .distinct()
        .order_by("member__meeting__date", "pk")
    )


# ---------------------------------------------------------------- home page tasks
def home_tasks(user) -> list:
    """My tasks: material to write or revise, material to review, talks still to record, follow-ups due."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from core.registry import TaskItem

    person = person_of(user)
    if person is None:
        return []
    items: list[TaskItem] = []
    mine = (
        MeetingMember.objects.filter(person=person, role=MeetingMember.Role.MEMBER, meeting__status="planned")
        .filter(Q(material__isnull=True) | Q(material__status=MemberMaterial.Status.RETURNED))
        .select_related("meeting__unit")
    )
    for m in mine:
        items.append(
            TaskItem(
                label=_("Write your comparison and self-examination material for the meeting of %(unit)s")
                % {"unit": m.meeting.unit},
                url=reverse("meetings:material", args=[m.pk]),
                urgent=m.meeting.date - timezone.now() < timedelta(days=3),
                due=timezone.localdate(m.meeting.date),
            )
        )
    managed = units_where(user, Perm.MEETING_MANAGE)
    review_dates = list(materials_to_review(user).values_list("member__meeting__date", flat=True))
    if review_dates:
        items.append(
            TaskItem(
                label=_("Material for democratic life meetings awaits your review"),
                url=reverse("meetings:index"),
                count=len(review_dates),
                due=timezone.localdate(min(review_dates)),
            )
        )
    soon = timezone.now() + timedelta(days=1)
    for meeting in LifeMeeting.objects.filter(
        secretary=person, status__in=["planned", "held"], date__lte=soon
    ).select_related("unit"):
        items.append(
            TaskItem(
                label=_("Record the democratic life meeting of %(unit)s") % {"unit": meeting.unit},
                url=reverse("meetings:record", args=[meeting.pk]),
                urgent=meeting.status == "held",
                due=timezone.localdate(meeting.date),
            )
        )
    planned_dates = dict(LifeMeeting.objects.filter(unit__in=managed, status="planned").values_list("pk", "date"))
    planned = list(planned_dates)
    talked = set()
    for meeting_id, a, b in HeartTalk.objects.filter(meeting_id__in=planned).values_list(
        "meeting_id", "talker_id", "talkee_id"
    ):
        talked.update({(meeting_id, a), (meeting_id, b)})
    lacking = {
        meeting_id
        for meeting_id, person_id in MeetingMember.objects.filter(
            meeting_id__in=planned, role=MeetingMember.Role.MEMBER
        ).values_list("meeting_id", "person_id")
        if (meeting_id, person_id) not in talked
    }
    if lacking:
        items.append(
            TaskItem(
                label=_("Democratic life meetings with one-to-one talks still to record"),
                url=reverse("meetings:index"),
                count=len(lacking),
                due=timezone.localdate(min(planned_dates[pk] for pk in lacking)),
            )
        )
    today = timezone.localdate()
    due = MeetingFollowUp.objects.filter(
        done_at__isnull=True, meeting__unit__in=managed, due_on__lte=today + timedelta(days=7)
    ).select_related("meeting__unit")
    for f in due:
        items.append(
            TaskItem(
                label=_("%(task)s: %(unit)s, due %(due)s")
                % {"task": f.get_kind_display(), "unit": f.meeting.unit, "due": f.due_on},
                url=reverse("meetings:detail", args=[f.meeting_id]),
                urgent=f.due_on < today,
                due=f.due_on,
            )
        )
    return items
