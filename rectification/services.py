"""Writes for rectification plans and measures. Every state change is one function here.

The measure state machine (MEASURE_TRANSITIONS) is the only way a measure changes status:

    planned ──start/progress──▶ in_progress ──closeout_request──▶ closeout_requested
                                    ▲  ▲                                │
                  progress/request  │  └──────────reopen (recurred)─────┤ verify (not the owner)
                                    │                                   ▼
                                returned ◀──return (reason, new deadline)   verified (销号)

Each transition: a conditional update from its allowed source states (0 rows → Conflict), a
MeasureEvent row (the history), and an audit record.
"""

from contextlib import contextmanager
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from campaigns.models import CampaignUnit, LookBack
from core.bounds import check_deadline
from core.exceptions import Conflict, ServiceError
from core.uploads import validate_upload
from notifications.services import notify
from orgs.access import Perm, can
from orgs.models import Post
from orgs.selectors import head_of

from . import selectors
from .models import (
    CloseoutReview,
    Evidence,
    Extension,
    Measure,
    MeasureEvent,
    Milestone,
    PlanReview,
    ProgressReport,
    RectificationPlan,
    Rule,
)

S = Measure.Status
P = RectificationPlan.Status

# action → (allowed source states, target state or None when the state does not change)
MEASURE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "start": ((S.PLANNED,), S.IN_PROGRESS),
    "progress": ((S.PLANNED, S.IN_PROGRESS, S.RETURNED), S.IN_PROGRESS),
    "closeout_request": ((S.IN_PROGRESS, S.RETURNED), S.CLOSEOUT_REQUESTED),
    "verify": ((S.CLOSEOUT_REQUESTED,), S.VERIFIED),
    "return": ((S.CLOSEOUT_REQUESTED,), S.RETURNED),
    "reopen": ((S.VERIFIED,), S.IN_PROGRESS),
    "extension_request": ((S.PLANNED, S.IN_PROGRESS, S.RETURNED), None),
    "evidence_add": ((S.PLANNED, S.IN_PROGRESS, S.RETURNED), None),
    # items marked done by an imported ledger: one recorded decision confirms them (销号)
    "import_confirm": ((S.COMPLETED,), S.VERIFIED),
}
EDITABLE_PLAN = (P.DRAFT, P.RETURNED)


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise PermissionDenied(message)


def _move(*, actor, measure: Measure, action: str, note: str = "", **fields) -> Measure:
    """Apply one transition by conditional update; record the event and the audit row."""
    sources, target = MEASURE_TRANSITIONS[action]
    before = Measure.objects.filter(pk=measure.pk).values_list("status", flat=True).first()
    update = dict(fields)
    if target is not None:
        update["status"] = target
    updated = Measure.objects.filter(pk=measure.pk, status__in=sources).update(**update) if update else 0
    if update and not updated:
        raise Conflict(
            _("This measure is “%(status)s”; that action is not possible now.") % {"status": S(before).label}
            if before
            else _("The measure no longer exists.")
        )
    MeasureEvent.objects.create(
        measure=measure,
        action=action,
        from_status=before or "",
        to_status=target or before or "",
        actor=actor,
        note=note,
    )
    audit_record(
        actor=actor,
        action=f"measure.{action}",
        obj=measure,
        unit=measure.plan.unit,
        changes={
            "status": [before, target or before],
            **{k: v for k, v in fields.items() if k != "verified_by"},
            "note": note,
        },
    )
    measure.refresh_from_db()
    return measure


def _plan_is_approved(measure: Measure) -> None:
    if measure.plan.status != P.APPROVED:
        raise ServiceError(_("The plan of this measure is not approved yet; work on it starts after approval."))


# ---------------------------------------------------------------- plans


def author_kind_for(*, unit, person) -> str:
    """The report-routing kind of a plan: the same chain as self-inspection reports."""
    if person is None:
        return "team" if unit.is_institution else "department"
    kinds = set(Post.objects.filter(person=person).values_list("kind", flat=True))
    if Post.Kind.PRINCIPAL_LEADER in kinds:
        return "principal"
    if Post.Kind.LEADERSHIP_MEMBER in kinds:
        return "leadership_member"
    if kinds & {Post.Kind.DEPARTMENT_HEAD, Post.Kind.DEPARTMENT_MEMBER}:
        return "department_member"
    return "cadre"


@transaction.atomic
def plan_create(
    *, actor, campaign, unit, title: str, person=None, summary: str = "", lookback: LookBack | None = None, meeting=None
) -> RectificationPlan:
    """Draft a plan for a unit (person=None) or a person. Callers: RECTIFICATION_MANAGE on the unit, or the
    person themselves. A look-back plan records the look-back and its round."""
    probe = RectificationPlan(unit=unit, person=person)
    _need(selectors.may_edit_plan(actor, probe), _("You may not draft a plan for %(who)s.") % {"who": person or unit})
    if campaign.institution_id != (unit.institution_id or unit.pk):
        raise ServiceError(_("The unit does not belong to this campaign's institution."))
    if not title.strip():
        raise ServiceError(_("Give the plan a title."))
    participant = CampaignUnit.objects.filter(campaign=campaign, unit=unit).first()
    rnd = lookback.round if lookback else (participant.round if participant else 1)
    plan = RectificationPlan.objects.create(
        campaign=campaign,
        unit=unit,
        person=person,
        title=title.strip(),
        summary=summary,
        lookback=lookback,
        meeting=meeting,
        round=rnd,
        author_kind=author_kind_for(unit=unit, person=person),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="rectification.plan.create",
        obj=plan,
        unit=unit,
        changes={"person": person.pk if person else None, "lookback": lookback.pk if lookback else None, "round": rnd},
    )
    return plan


@transaction.atomic
def plan_from_meeting(*, actor, meeting) -> RectificationPlan:
    """Draft the unit's plan from the measures agreed at its democratic life meeting (one draft measure per
    agreed measure, answering the same problems). Re-running returns the existing plan of that meeting."""
    from meetings.selectors import agreed_measures

    existing = RectificationPlan.objects.filter(meeting=meeting).order_by("pk").first()
    if existing:
        return existing
    unit = meeting.unit
    plan = plan_create(
        actor=actor,
        campaign=meeting.campaign,
        unit=unit,
        meeting=meeting,
        title=_("Rectification plan of %(unit)s") % {"unit": unit},
        summary=_("Drafted from the measures agreed at “%(meeting)s”.") % {"meeting": meeting},
    )
    head = head_of(unit)
    for mm in agreed_measures(meeting):
        owner = mm.person or head
        if owner is None:
            raise ServiceError(_("%(unit)s has no head to own the measures; appoint one first.") % {"unit": unit})
        m = Measure.objects.create(
            plan=plan,
            content=mm.content,
            goal="",
            time_class=Measure.TimeClass.DEADLINE,
            deadline=meeting.campaign.rectification_due,
            original_deadline=meeting.campaign.rectification_due,
            responsible_unit=unit,
            owner=owner,
            meeting_measure=mm,
        )
        m.problems.set(mm.problems.all())
    audit_record(
        actor=actor,
        action="rectification.plan.from_meeting",
        obj=plan,
        unit=unit,
        changes={"meeting": meeting.pk, "measures": plan.measures.count()},
    )
    return plan


@transaction.atomic
def plan_add_problems(*, actor, plan: RectificationPlan, problems, owner, deadline: date) -> list[Measure]:
    """Draft one measure per ledger problem (content and goal to be completed by the drafter)."""
    _need(selectors.may_edit_plan(actor, plan), _("You may not change this plan."))
    if plan.status not in EDITABLE_PLAN:
        raise ServiceError(_("Only a draft or returned plan can be changed."))
    check_deadline(deadline, campaign=plan.campaign, label=_("deadline"))
    created = []
    for p in problems:
        if p.unit_id != plan.unit_id and not p.unit.path.startswith(plan.unit.path):
            raise ServiceError(_("The problem “%(p)s” is not in this plan's unit.") % {"p": p})
        m = Measure.objects.create(
            plan=plan,
            content=_("Rectify: %(problem)s") % {"problem": p.description[:300]},
            goal="",
            deadline=deadline,
            original_deadline=deadline,
            responsible_unit=plan.unit,
            owner=owner,
        )
        m.problems.add(p)
        created.append(m)
    audit_record(
        actor=actor,
        action="rectification.plan.add_problems",
        obj=plan,
        unit=plan.unit,
        changes={"problems": [p.pk for p in problems]},
    )
    return created


def _check_measure_fields(*, time_class: str, deadline, content: str, goal: str) -> None:
    if not content.strip():
        raise ServiceError(_("Say what will be done."))
    if time_class != Measure.TimeClass.LONG_TERM and deadline is None:
        raise ServiceError(_("A measure fixed at once or by a deadline needs a deadline."))


@transaction.atomic
def measure_create(
    *,
    actor,
    plan: RectificationPlan,
    content: str,
    goal: str,
    owner,
    time_class: str = Measure.TimeClass.DEADLINE,
    deadline: date | None = None,
    kind: str = Measure.Kind.WORK,
    responsible_unit=None,
    responsible_leader=None,
    problems=(),
    rule_title: str = "",
) -> Measure:
    """Add a measure to a draft or returned plan. A 制度建设 measure also enters the rules register."""
    _need(selectors.may_edit_plan(actor, plan), _("You may not change this plan."))
    if plan.status not in EDITABLE_PLAN:
        raise ServiceError(_("Only a draft or returned plan can be changed."))
    _check_measure_fields(time_class=time_class, deadline=deadline, content=content, goal=goal)
    check_deadline(deadline, campaign=plan.campaign, label=_("deadline"))
    m = Measure.objects.create(
        plan=plan,
        content=content.strip(),
        goal=goal.strip(),
        time_class=time_class,
        deadline=deadline,
        original_deadline=deadline,
        kind=kind,
        responsible_unit=responsible_unit or plan.unit,
        responsible_leader=responsible_leader,
        owner=owner,
    )
    if problems:
        m.problems.set(problems)
    if kind == Measure.Kind.RULE:
        Rule.objects.create(
            campaign=plan.campaign, unit=m.responsible_unit, measure=m, title=(rule_title or content)[:200]
        )
    audit_record(
        actor=actor,
        action="measure.create",
        obj=m,
        unit=plan.unit,
        changes={"content": m.content, "deadline": deadline, "owner": owner.pk if owner else None, "kind": kind},
    )
    return m


@transaction.atomic
def measure_update(*, actor, measure: Measure, **fields) -> Measure:
    """Edit a measure while its plan is a draft (or returned). After approval the deadline moves only by
    an approved extension or a returned close-out."""
    plan = measure.plan
    _need(selectors.may_edit_plan(actor, plan), _("You may not change this plan."))
    if plan.status not in EDITABLE_PLAN:
        raise ServiceError(_("Only a draft or returned plan can be changed."))
    problems = fields.pop("problems", None)
    rule_title = fields.pop("rule_title", "")
    before = {k: getattr(measure, k) for k in fields}
    for k, v in fields.items():
        setattr(measure, k, v)
    _check_measure_fields(
        time_class=measure.time_class, deadline=measure.deadline, content=measure.content, goal=measure.goal
    )
    check_deadline(measure.deadline, campaign=plan.campaign, label=_("deadline"))
    if "deadline" in fields:
        measure.original_deadline = measure.deadline  # not yet on record: the plan is not approved
    measure.save()
    if problems is not None:
        measure.problems.set(problems)
    if measure.kind == Measure.Kind.RULE:
        Rule.objects.get_or_create(
            measure=measure,
            defaults={
                "campaign": plan.campaign,
                "unit": measure.responsible_unit,
                "title": (rule_title or measure.content)[:200],
            },
        )
    else:
        Rule.objects.filter(measure=measure).delete()
    from audit.services import diff

    audit_record(actor=actor, action="measure.update", obj=measure, unit=plan.unit, changes=diff(before, fields))
    return measure


@transaction.atomic
def measure_delete(*, actor, measure: Measure) -> None:
    plan = measure.plan
    _need(selectors.may_edit_plan(actor, plan), _("You may not change this plan."))
    if plan.status not in EDITABLE_PLAN:
        raise ServiceError(_("Only a draft or returned plan can be changed."))
    audit_record(
        actor=actor, action="measure.delete", obj=measure, unit=plan.unit, changes={"content": measure.content}
    )
    measure.delete()


def _resolve_reviewer(plan: RectificationPlan):
    """The same chain as self-inspection reports (reports.routing, owned by the reports app)."""
    from reports.routing import resolve_reviewer

    return resolve_reviewer(unit=plan.unit, author_kind=plan.author_kind, person=plan.person)


@transaction.atomic
def plan_submit(*, actor, plan: RectificationPlan) -> RectificationPlan:
    """Send a draft or returned plan for approval along the self-inspection report chain."""
    _need(selectors.may_edit_plan(actor, plan), _("You may not submit this plan."))
    measures = list(plan.measures.all())
    missing = [_("“%(m)s” has no goal (整改目标).") % {"m": m} for m in measures if not m.goal.strip()]
    if not measures:
        missing.append(_("The plan has no measures."))
    if missing:
        raise ServiceError(_("The plan is not complete."), details=missing)
    route = _resolve_reviewer(plan)
    if route.problem:
        raise ServiceError(_("Nobody can review this plan yet."), details=[route.problem])
    updated = RectificationPlan.objects.filter(pk=plan.pk, status__in=EDITABLE_PLAN).update(
        status=P.SUBMITTED,
        submitted_at=timezone.now(),
        reviewer=route.user,
        reviewer_is_city_office=route.is_city_office,
        routing_problem="",
    )
    if not updated:
        raise Conflict(_("Only a draft or returned plan can be submitted."))
    audit_record(
        actor=actor,
        action="rectification.plan.submit",
        obj=plan,
        unit=plan.unit,
        changes={"status": [plan.status, P.SUBMITTED], "reviewer": route.user.pk if route.user else "city_office"},
    )
    plan.refresh_from_db()
    if route.user is not None:
        notify(
            recipients=[route.user],
            title=_("A rectification plan waits for your approval: %(t)s") % {"t": plan.title},
            url=f"/rectification/plans/{plan.pk}/",
            kind="rectification",
            email=True,
        )
    return plan


def _review(*, actor, plan: RectificationPlan, decision: str, comment: str) -> RectificationPlan:
    _need(selectors.may_review_plan(actor, plan), _("You are not the reviewer of this plan."))
    target = P.APPROVED if decision == PlanReview.Decision.APPROVED else P.RETURNED
    fields = {"status": target}
    if target == P.APPROVED:
        fields["approved_at"] = timezone.now()
    if not RectificationPlan.objects.filter(pk=plan.pk, status=P.SUBMITTED).update(**fields):
        raise Conflict(_("This plan is not waiting for review (someone may have decided it already)."))
    PlanReview.objects.create(plan=plan, reviewer=actor, decision=decision, comment=comment)
    audit_record(
        actor=actor,
        action=f"rectification.plan.{'approve' if target == P.APPROVED else 'return'}",
        obj=plan,
        unit=plan.unit,
        changes={"status": [P.SUBMITTED, target], "comment": comment},
    )
    plan.refresh_from_db()
    author = plan.person.user if plan.person else (plan.created_by)
    notify(
        recipients=[author],
        title=(
            _("Your rectification plan was approved: %(t)s")
            if target == P.APPROVED
            else _("Your rectification plan was returned: %(t)s")
        )
        % {"t": plan.title},
        body=comment,
        url=f"/rectification/plans/{plan.pk}/",
        kind="rectification",
        email=True,
    )
    return plan


@transaction.atomic
def plan_approve(*, actor, plan: RectificationPlan, comment: str = "") -> RectificationPlan:
    """The routed reviewer (or the city office for team/principal plans) approves; measures may start."""
    plan = _review(actor=actor, plan=plan, decision=PlanReview.Decision.APPROVED, comment=comment)
    owners = {m.owner.user for m in plan.measures.select_related("owner__user") if m.owner and m.owner.user}
    notify(
        recipients=owners,
        title=_("Rectification measures are assigned to you: %(t)s") % {"t": plan.title},
        url="/rectification/",
        kind="rectification",
    )
    return plan


@transaction.atomic
def plan_return(*, actor, plan: RectificationPlan, comment: str) -> RectificationPlan:
    """The reviewer returns the plan with a reason; the drafter revises and submits again."""
    if not comment.strip():
        raise ServiceError(_("Say why the plan is returned."))
    return _review(actor=actor, plan=plan, decision=PlanReview.Decision.RETURNED, comment=comment)


# ---------------------------------------------------------------- measures: the owner's side


@transaction.atomic
def measure_start(*, actor, measure: Measure) -> Measure:
    _need(selectors.is_owner(actor, measure), _("Only the person responsible may start this measure."))
    _plan_is_approved(measure)
    return _move(actor=actor, measure=measure, action="start")


def progress_report(*, actor, measure: Measure, content: str, percent: int, files=()) -> ProgressReport:
    """The owner reports what was done and how far it is (evidence files optional, each checked first)."""
    _need(selectors.is_owner(actor, measure), _("Only the person responsible reports progress."))
    _plan_is_approved(measure)
    if not content.strip():
        raise ServiceError(_("Say what was done."))
    if not 0 <= int(percent) <= 100:
        raise ServiceError(_("The percentage must be between 0 and 100."))
    checked = [(f, validate_upload(f)) for f in files]  # refuse before anything is stored
    stored: list[str] = []
    with _files_removed_on_error(stored):
        _move(actor=actor, measure=measure, action="progress", note=content[:200], percent=int(percent))
        report = ProgressReport.objects.create(measure=measure, content=content, percent=int(percent), author=actor)
        for f, info in checked:
            _store_evidence(actor=actor, measure=measure, f=f, info=info, stored=stored, progress=report)
    return report


def _store_evidence(*, actor, measure: Measure, f, info, stored: list[str], progress=None) -> Evidence:
    ev = Evidence(
        measure=measure,
        progress=progress,
        original_name=f.name[-200:],
        extension=info.extension,
        mime=info.mime,
        sha256=info.sha256,
        size=info.size,
        uploaded_by=actor,
    )
    ev.file.save(f"{info.sha256}.{info.extension}", f, save=False)
    stored.append(ev.file.name)  # removed again if anything below fails
    ev.save()
    audit_record(
        actor=actor,
        action="measure.evidence_add",
        obj=measure,
        unit=measure.plan.unit,
        changes={"file": ev.file.name, "name": ev.original_name, "sha256": info.sha256, "size": info.size},
    )
    return ev


@contextmanager
def _files_removed_on_error(stored: list[str]):
    """Files written to storage inside the block are deleted again if the block fails: nothing half-stored."""
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for name in stored:
            if not Evidence.objects.filter(file=name).exists():
                default_storage.delete(name)
        raise


def evidence_add(*, actor, measure: Measure, files) -> list[Evidence]:
    """The owner attaches evidence (佐证材料). Every file is checked by content first; one refused file
    refuses them all and nothing is stored."""
    _need(selectors.is_owner(actor, measure), _("Only the person responsible adds evidence."))
    _plan_is_approved(measure)
    if measure.status not in MEASURE_TRANSITIONS["evidence_add"][0]:
        raise Conflict(_("Evidence can be added only while the measure is being worked on."))
    if not files:
        raise ServiceError(_("Choose at least one file."))
    checked = [(f, validate_upload(f)) for f in files]
    stored: list[str] = []
    result = []
    with _files_removed_on_error(stored):
        for f, info in checked:
            result.append(_store_evidence(actor=actor, measure=measure, f=f, info=info, stored=stored))
    return result


@transaction.atomic
def milestone_add(*, actor, measure: Measure, title: str, due: date) -> Milestone:
    _need(
        selectors.is_owner(actor, measure) or selectors.may_edit_plan(actor, measure.plan),
        _("You may not plan milestones for this measure."),
    )
    if not title.strip():
        raise ServiceError(_("Name the milestone."))
    check_deadline(due, campaign=measure.plan.campaign, label=_("due"))
    if measure.status == S.VERIFIED:
        raise ServiceError(_("The measure is closed."))
    ms = Milestone.objects.create(measure=measure, title=title.strip(), due=due)
    audit_record(actor=actor, action="measure.milestone_add", obj=measure, changes={"title": title, "due": due})
    return ms


@transaction.atomic
def milestone_done(*, actor, milestone: Milestone) -> Milestone:
    measure = milestone.measure
    _need(selectors.is_owner(actor, measure), _("Only the person responsible marks milestones done."))
    if not Milestone.objects.filter(pk=milestone.pk, done_at__isnull=True).update(done_at=timezone.now()):
        raise Conflict(_("This milestone is already done."))
    audit_record(actor=actor, action="measure.milestone_done", obj=measure, changes={"milestone": milestone.title})
    milestone.refresh_from_db()
    return milestone


@transaction.atomic
def closeout_request(*, actor, measure: Measure, note: str = "") -> Measure:
    """The owner asks for close-out (销号). Needs at least one evidence file."""
    _need(selectors.is_owner(actor, measure), _("Only the person responsible asks for close-out."))
    _plan_is_approved(measure)
    if not selectors.measure_has_evidence(measure):
        raise ServiceError(_("Attach evidence (佐证材料) before asking for close-out."))
    m = _move(
        actor=actor,
        measure=measure,
        action="closeout_request",
        note=note,
        closeout_requested_at=timezone.now(),
        closeout_note=note,
    )
    reviewers = [p.user for p in _reviewers_of(m) if p and p.user_id]
    notify(
        recipients=reviewers,
        title=_("Close-out requested: %(m)s") % {"m": m},
        body=note,
        url=f"/rectification/measures/{m.pk}/",
        kind="rectification",
    )
    return m


def _reviewers_of(measure: Measure):
    from orgs.selectors import supervisor_of

    return [measure.responsible_leader, supervisor_of(measure.plan.unit), head_of(measure.plan.unit)]


# ---------------------------------------------------------------- measures: the reviewer's side


@transaction.atomic
def measure_verify(*, actor, measure: Measure, comment: str = "") -> Measure:
    """A reviewer who is not the owner checks the result against the goal and the evidence, and closes
    the measure (销号)."""
    if selectors.is_owner(actor, measure):
        raise PermissionDenied(_("You cannot verify your own measure."))
    _need(selectors.may_verify(actor, measure), _("You may not verify this measure."))
    now = timezone.now()
    m = _move(
        actor=actor, measure=measure, action="verify", note=comment, verified_at=now, verified_by=actor, percent=100
    )
    CloseoutReview.objects.create(measure=m, reviewer=actor, decision=CloseoutReview.Decision.VERIFIED, comment=comment)
    notify(
        recipients=[m.owner.user] if m.owner else [],
        title=_("Your measure was verified and closed: %(m)s") % {"m": m},
        url=f"/rectification/measures/{m.pk}/",
        kind="rectification",
    )
    return m


@transaction.atomic
def measure_return(*, actor, measure: Measure, reason: str, new_deadline: date) -> Measure:
    """The reviewer returns a close-out request with a reason and a new deadline."""
    if selectors.is_owner(actor, measure):
        raise PermissionDenied(_("You cannot review your own measure."))
    _need(selectors.may_verify(actor, measure), _("You may not review this measure."))
    if not reason.strip():
        raise ServiceError(_("Say why the close-out is returned."))
    if new_deadline is None or new_deadline < timezone.localdate():
        raise ServiceError(_("Set a new deadline that is not in the past."))
    check_deadline(new_deadline, campaign=measure.plan.campaign, label=_("The new deadline"))
    m = _move(actor=actor, measure=measure, action="return", note=reason, deadline=new_deadline)
    CloseoutReview.objects.create(
        measure=m, reviewer=actor, decision=CloseoutReview.Decision.RETURNED, comment=reason, new_deadline=new_deadline
    )
    notify(
        recipients=[m.owner.user] if m.owner else [],
        title=_("Close-out returned: %(m)s") % {"m": m},
        body=reason,
        url=f"/rectification/measures/{m.pk}/",
        kind="rectification",
        email=True,
    )
    return m


BULK_MAX = 200  # rows in one bulk close-out


def _bulk_closeouts(actor, ids) -> list[Measure]:
    """The measures behind `ids`, each checked for this actor: all are close-out requests the actor may
    decide, or a ServiceError names every row refused (nothing is changed). Measures the actor may not
    see are named by the number sent, never by their content."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ServiceError(_("Select at least one measure."))
    if len(ids) > BULK_MAX:
        raise ServiceError(_("Select at most %(n)s rows at once.") % {"n": BULK_MAX})
    # Lock the rows first, in one order: two bulk decisions over the same rows then wait for each other
    # here, before either writes its audit records (whose chain head both would lock: a deadlock).
    list(Measure.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    found = Measure.objects.select_related(
        "plan__unit", "plan__campaign", "responsible_unit", "owner", "responsible_leader"
    ).in_bulk(ids)
    refused = []
    for pk in ids:
        m = found.get(pk)
        if m is None or not selectors.may_view_measure(actor, m):
            refused.append(_("No. %(pk)s: not a measure you handle") % {"pk": pk})
        elif not selectors.may_verify(actor, m):
            refused.append(_("%(m)s: you may not verify it") % {"m": m})
        elif m.status != S.CLOSEOUT_REQUESTED:
            refused.append(_("%(m)s: it is “%(status)s”") % {"m": m, "status": m.get_status_display()})
    if refused:
        raise ServiceError(
            _("%(n)s of the selected rows cannot be handled by you; nothing was changed.") % {"n": len(refused)},
            details=refused,
        )
    return [found[pk] for pk in ids]


@transaction.atomic
def measures_closeout_bulk(
    *, actor, ids, decision: str, comment: str = "", new_deadline: date | None = None
) -> list[Measure]:
    """销号 of many close-out requests in one action, all or none (one transaction).

    Every row is checked first (`_bulk_closeouts`: the actor may verify it, it is waiting for close-out);
    one refused row refuses the whole action, naming each refused row. "verify" closes each with the same
    comment; "return" sends each back with the same reason and new deadline. Each row goes through
    measure_verify / measure_return (one review, one history event, one audit record and one notice to
    its owner each, as when decided one by one). Returns the measures decided, in the order of `ids`."""
    if decision not in ("verify", "return"):
        raise ServiceError(_("Choose a decision."))
    if decision == "return" and not comment.strip():
        raise ServiceError(_("Say why the close-out is returned."))
    measures = _bulk_closeouts(actor, ids)
    for m in measures:
        if decision == "verify":
            measure_verify(actor=actor, measure=m, comment=comment.strip())
        else:
            measure_return(actor=actor, measure=m, reason=comment.strip(), new_deadline=new_deadline)
    return measures


@transaction.atomic
def measure_reopen(*, actor, measure: Measure, reason: str, new_deadline: date | None = None) -> Measure:
    """The problem recurred: a closed measure is reopened (history kept in its events and reviews)."""
    _need(selectors.may_verify(actor, measure), _("You may not reopen this measure."))
    if not reason.strip():
        raise ServiceError(_("Say why the measure is reopened."))
    fields = {"verified_at": None, "verified_by": None, "reopen_count": measure.reopen_count + 1}
    check_deadline(new_deadline, campaign=measure.plan.campaign, label=_("The new deadline"))
    if new_deadline:
        fields["deadline"] = new_deadline
    m = _move(actor=actor, measure=measure, action="reopen", note=reason, **fields)
    notify(
        recipients=[m.owner.user] if m.owner else [],
        title=_("A closed measure was reopened: %(m)s") % {"m": m},
        body=reason,
        url=f"/rectification/measures/{m.pk}/",
        kind="rectification",
        email=True,
    )
    return m


# ---------------------------------------------------------------- extensions


@transaction.atomic
def extension_request(*, actor, measure: Measure, reason: str, new_deadline: date) -> Extension:
    """The owner asks for a later deadline, with a reason. One pending request at a time."""
    _need(selectors.is_owner(actor, measure), _("Only the person responsible asks for an extension."))
    _plan_is_approved(measure)
    if measure.status not in MEASURE_TRANSITIONS["extension_request"][0]:
        raise Conflict(_("An extension can be asked only while the measure is being worked on."))
    if not reason.strip():
        raise ServiceError(_("An extension needs a reason."))
    if measure.deadline is None:
        raise ServiceError(_("A long-term measure has no deadline to extend."))
    if new_deadline is None or new_deadline <= measure.deadline:
        raise ServiceError(_("The new deadline must be later than the current one."))
    check_deadline(new_deadline, campaign=measure.plan.campaign, label=_("The new deadline"))
    if measure.extensions.filter(status=Extension.Status.PENDING).exists():
        raise ServiceError(_("An extension request is already waiting for approval."))
    ext = Extension.objects.create(
        measure=measure,
        reason=reason.strip(),
        old_deadline=measure.deadline,
        new_deadline=new_deadline,
        requested_by=actor,
    )
    MeasureEvent.objects.create(
        measure=measure,
        action="extension_request",
        from_status=measure.status,
        to_status=measure.status,
        actor=actor,
        note=reason,
    )
    audit_record(
        actor=actor,
        action="measure.extension_request",
        obj=measure,
        unit=measure.plan.unit,
        changes={"deadline": [measure.deadline, new_deadline], "reason": reason},
    )
    return ext


@transaction.atomic
def extension_decide(*, actor, extension: Extension, approve: bool, note: str = "") -> Extension:
    """An approver (a reviewer of the measure, not the one who asked) approves or refuses. The original
    deadline stays on record in `Measure.original_deadline` and in the extension row."""
    measure = extension.measure
    if extension.requested_by_id == actor.pk or selectors.is_owner(actor, measure):
        raise PermissionDenied(_("You cannot approve your own extension."))
    _need(selectors.may_verify(actor, measure), _("You may not decide this extension."))
    status = Extension.Status.APPROVED if approve else Extension.Status.REFUSED
    if approve:  # a request made before the bounds existed is checked again
        check_deadline(extension.new_deadline, campaign=measure.plan.campaign, label=_("The new deadline"))
    if not approve and not note.strip():
        raise ServiceError(_("Say why the extension is refused."))
    if not Extension.objects.filter(pk=extension.pk, status=Extension.Status.PENDING).update(
        status=status, decided_by=actor, decided_at=timezone.now(), decision_note=note
    ):
        raise Conflict(_("This extension was already decided."))
    if approve:
        Measure.objects.filter(pk=measure.pk).update(deadline=extension.new_deadline)
    MeasureEvent.objects.create(
        measure=measure,
        action="extension_approve" if approve else "extension_refuse",
        from_status=measure.status,
        to_status=measure.status,
        actor=actor,
        note=note,
    )
    audit_record(
        actor=actor,
        action=f"measure.extension_{'approve' if approve else 'refuse'}",
        obj=measure,
        unit=measure.plan.unit,
        changes={
            "deadline": [extension.old_deadline, extension.new_deadline if approve else extension.old_deadline],
            "note": note,
        },
    )
    extension.refresh_from_db()
    notify(
        recipients=[measure.owner.user] if measure.owner else [],
        title=(_("Extension approved: %(m)s") if approve else _("Extension refused: %(m)s")) % {"m": measure},
        body=note,
        url=f"/rectification/measures/{measure.pk}/",
        kind="rectification",
    )
    return extension


# ---------------------------------------------------------------- rules register, accountability, look-back


@transaction.atomic
def rule_update(
    *, actor, rule: Rule, title: str, change: str, document_no: str = "", issued_on: date | None = None
) -> Rule:
    """Record the rule made or revised by a 制度建设 measure (its number and date once issued)."""
    _need(
        selectors.is_owner(actor, rule.measure) or selectors.may_edit_plan(actor, rule.measure.plan),
        _("You may not change this rule."),
    )
    from audit.services import diff

    before = {"title": rule.title, "change": rule.change, "document_no": rule.document_no, "issued_on": rule.issued_on}
    after = {"title": title.strip() or rule.title, "change": change, "document_no": document_no, "issued_on": issued_on}
    Rule.objects.filter(pk=rule.pk).update(**after)
    audit_record(actor=actor, action="rectification.rule.update", obj=rule, unit=rule.unit, changes=diff(before, after))
    rule.refresh_from_db()
    return rule


@transaction.atomic
def measure_case_open(*, actor, measure: Measure, facts: str):
    """The office decides that an overdue measure opens an accountability case against its owner."""
    from accountability.models import AccountabilityCase
    from accountability.services import case_open

    from .warnings import colour_of

    _need(selectors.may_open_case(actor, measure), _("Only the campaign office decides accountability."))
    if colour_of(measure) != Measure.Colour.RED:
        raise ServiceError(_("Only an overdue measure can open an accountability case."))
    if not facts.strip():
        raise ServiceError(_("State the facts of the case."))
    if measure.owner is None:
        raise ServiceError(_("Link the responsible person (未关联) before opening a case against them."))
    case = case_open(
        actor=actor,
        person=measure.owner,
        unit=measure.plan.unit,
        trigger=AccountabilityCase.Trigger.MEASURE_OVERDUE,
        facts=facts,
        trigger_ref=f"rectification.measure:{measure.pk}",
    )
    MeasureEvent.objects.create(
        measure=measure,
        action="case_open",
        from_status=measure.status,
        to_status=measure.status,
        actor=actor,
        note=facts,
    )
    audit_record(actor=actor, action="measure.case_open", obj=measure, changes={"case": case.pk})
    return case


@transaction.atomic
def plan_not_real(*, actor, plan: RectificationPlan, reason: str) -> LookBack:
    """The office finds a subject's rectification not real: it goes round again (回头看)."""
    from campaigns.services import lookback_open
    from orgs.access import Perm, can

    _need(can(actor, Perm.CAMPAIGN_MANAGE, plan.unit), _("Only the campaign office opens a look-back."))
    if not reason.strip():
        raise ServiceError(_("Say why the rectification was not real."))
    participant = CampaignUnit.objects.filter(campaign=plan.campaign, unit=plan.unit).first()
    if participant is None:
        raise ServiceError(_("%(unit)s does not take part in this campaign.") % {"unit": plan.unit})
    lb = lookback_open(
        actor=actor,
        participant=participant,
        reason=reason,
        person=plan.person,
        source_ref=f"rectification.plan:{plan.pk}",
    )
    audit_record(
        actor=actor,
        action="rectification.plan.not_real",
        obj=plan,
        unit=plan.unit,
        changes={"lookback": lb.pk, "reason": reason},
    )
    subject_user = plan.person.user if plan.person else None
    head = head_of(plan.unit)
    notify(
        recipients=[subject_user, head.user if head else None],
        title=_("Look-back (回头看) opened: %(s)s") % {"s": plan.subject},
        body=reason,
        url="/rectification/lookbacks/",
        kind="rectification",
        email=True,
    )
    return lb


@transaction.atomic
def plan_for_lookback(*, actor, lookback: LookBack) -> RectificationPlan:
    """Start the new round's plan for a look-back; it links to the look-back and to the earlier round.
    The problems recorded for the look-back become its draft measures."""
    if lookback.status != LookBack.Status.OPEN:
        raise ServiceError(_("This look-back is completed."))
    existing = RectificationPlan.objects.filter(lookback=lookback).first()
    if existing:
        return existing
    unit = lookback.participant.unit
    plan = plan_create(
        actor=actor,
        campaign=lookback.participant.campaign,
        unit=unit,
        person=lookback.person,
        lookback=lookback,
        title=_("Look-back rectification plan of %(s)s (round %(n)s)")
        % {"s": lookback.person or unit, "n": lookback.round},
        summary=lookback.reason,
    )
    owner = lookback.person or head_of(unit)
    problems = list(lookback.problems.all()) if hasattr(lookback, "problems") else []
    if problems and owner is not None:
        plan_add_problems(
            actor=actor,
            plan=plan,
            problems=problems,
            owner=owner,
            deadline=lookback.participant.campaign.rectification_due,
        )
    return plan


# ---------------------------------------------------------------- measures from an imported ledger


@transaction.atomic
def plan_import(
    *, actor, campaign, unit, title: str, approved: bool, source: str, record: bool = True
) -> RectificationPlan:
    """A plan that holds the measures of an imported ledger for one unit.

    When the office says the ledger is the plan already approved elsewhere, the plan is recorded as
    approved by the import (a PlanReview by the importer naming the file), so its measures count on
    the dashboards; otherwise it is a draft that goes through the usual review. `record=False` leaves
    the audit record to a caller that writes one summary for the whole import in the same transaction."""
    _need(can(actor, Perm.RECTIFICATION_MANAGE, unit), _("You may not import measures for %(u)s.") % {"u": unit})
    if campaign.institution_id != (unit.institution_id or unit.pk):
        raise ServiceError(_("The unit does not belong to this campaign's institution."))
    now = timezone.now()
    plan = RectificationPlan.objects.create(
        campaign=campaign,
        unit=unit,
        title=title.strip()[:200],
        author_kind=author_kind_for(unit=unit, person=None),
        created_by=actor,
        status=P.APPROVED if approved else P.DRAFT,
        approved_at=now if approved else None,
        summary=source,
    )
    if approved:
        PlanReview.objects.create(
            plan=plan,
            reviewer=actor,
            decision=PlanReview.Decision.APPROVED,
            comment=_("Approved outside the system; recorded by the import of %(f)s.") % {"f": source},
        )
    if record:
        audit_record(
            actor=actor,
            action="rectification.plan.import",
            obj=plan,
            unit=unit,
            changes={"status": plan.status, "source": source},
        )
    return plan


@transaction.atomic
def measures_import(
    *, actor, plan: RectificationPlan, items: list[dict], import_file: str, record: bool = True
) -> list[Measure]:
    """Create the measures of an imported ledger in one go (bulk), with where each came from.

    Each item: content, goal, time_class, deadline, state (done | in_progress | not_started),
    status_text, row, problem, owner/leader/responsible_unit (or None) and the names as written.
    A done item becomes COMPLETED (completed by import: who, which file, which row), never VERIFIED:
    only a person's decision closes it (measures_import_confirm). `problem` may be given as
    `problem_id`. `record=False`: the caller writes one audit record for the whole import."""
    _need(can(actor, Perm.RECTIFICATION_MANAGE, plan.unit), _("You may not change this plan."))
    state_to_status = {"done": S.COMPLETED, "in_progress": S.IN_PROGRESS, "not_started": S.PLANNED}
    now = timezone.now()
    rows = []
    for it in items:
        try:
            _check_measure_fields(
                time_class=it["time_class"], deadline=it["deadline"], content=it["content"], goal=it["goal"]
            )
        except ServiceError as e:
            e.row = it["row"]  # the importer names the row of its file
            raise
        if it["owner"] is None and not it["owner_name"].strip():
            raise ServiceError(_("Row %(row)s: the measure names no responsible person.") % {"row": it["row"]})
        status = state_to_status[it["state"]]
        rows.append(
            Measure(
                plan=plan,
                content=it["content"].strip(),
                goal=(it["goal"] or it["content"]).strip(),
                time_class=it["time_class"],
                deadline=it["deadline"],
                original_deadline=it["deadline"],
                responsible_unit=it["responsible_unit"] or plan.unit,
                responsible_leader=it["leader"],
                owner=it["owner"],
                owner_name="" if it["owner"] else it["owner_name"][:100],
                leader_name="" if it["leader"] or not it["leader_name"] else it["leader_name"][:100],
                responsible_unit_name="" if it["responsible_unit"] else it["responsible_unit_name"][:100],
                status=status,
                percent=100 if status == S.COMPLETED else 0,
                import_file=import_file[:200],
                import_row=it["row"],
                import_status_text=it["status_text"][:100],
                imported_by=actor,
                imported_at=now,
            )
        )
    created = Measure.objects.bulk_create(rows, batch_size=500)
    through = Measure.problems.through
    through.objects.bulk_create(
        [
            through(measure_id=m.pk, problem_id=it["problem_id"] if "problem_id" in it else it["problem"].pk)
            for m, it in zip(created, items, strict=True)
        ],
        batch_size=500,
    )
    MeasureEvent.objects.bulk_create(
        [
            MeasureEvent(
                measure=m,
                action="import",
                from_status="",
                to_status=m.status,
                actor=actor,
                note=f"{import_file} · {it['row']} · {it['status_text']}".strip(" ·"),
            )
            for m, it in zip(created, items, strict=True)
        ],
        batch_size=500,
    )
    if record:
        audit_record(
            actor=actor,
            action="measure.import",
            obj=plan,
            unit=plan.unit,
            changes={"file": import_file, "measures": [m.pk for m in created]},
        )
    return created


@transaction.atomic
def measures_import_confirm(*, actor, campaign, measures, comment: str):
    """销号 in bulk: one recorded decision confirms imported items that the ledger said were done.

    Only the campaign office (RECTIFICATION_MANAGE on the institution) decides; only COMPLETED
    measures move (each by conditional update, so a measure changed meanwhile is left alone), each
    gets a history event and the decision is one ImportCloseout row and one audit record."""
    from .models import ImportCloseout

    _need(
        can(actor, Perm.RECTIFICATION_MANAGE, campaign.institution),
        _("Only the campaign office confirms imported items."),
    )
    if not comment.strip():
        raise ServiceError(_("Say on what basis the imported items are confirmed (for example the ledger checked)."))
    ids = list(
        Measure.objects.filter(
            pk__in=[m.pk for m in measures], plan__campaign=campaign, status=S.COMPLETED
        ).values_list("pk", flat=True)
    )
    if not ids:
        raise Conflict(_("None of the chosen measures is waiting for close-out after an import."))
    now = timezone.now()
    decision = ImportCloseout.objects.create(campaign=campaign, decided_by=actor, comment=comment.strip(), count=0)
    moved = Measure.objects.filter(pk__in=ids, status=S.COMPLETED).update(
        status=S.VERIFIED, verified_at=now, verified_by=actor, percent=100, import_closeout=decision
    )
    moved_ids = list(Measure.objects.filter(import_closeout=decision).values_list("pk", flat=True))
    decision.count = moved
    decision.save(update_fields=["count"])
    MeasureEvent.objects.bulk_create(
        [
            MeasureEvent(
                measure_id=pk,
                action="import_confirm",
                from_status=S.COMPLETED,
                to_status=S.VERIFIED,
                actor=actor,
                note=comment.strip(),
            )
            for pk in moved_ids
        ],
        batch_size=500,
    )
    audit_record(
        actor=actor,
        action="measure.import_confirm",
        obj=decision,
        unit=campaign.institution,
        changes={"measures": moved_ids, "comment": comment.strip()},
    )
    return decision


NAME_FIELDS = {"owner": "owner_name", "leader": "leader_name", "unit": "responsible_unit_name"}


@transaction.atomic
def measures_link_name(*, actor, campaign, kind: str, name: str, target) -> int:
    """未关联 → linked: every measure of the campaign whose owner / leader / responsible unit was kept
    as `name` now points at `target` (a Person, or a Unit for kind "unit"). Returns how many."""
    from orgs.models import Person, Unit

    _need(
        can(actor, Perm.RECTIFICATION_MANAGE, campaign.institution),
        _("Only the campaign office links the names of an imported ledger."),
    )
    if kind not in NAME_FIELDS:
        raise ServiceError(_("Unknown kind of name."))
    expected = Unit if kind == "unit" else Person
    if not isinstance(target, expected):
        raise ServiceError(_("Choose whom or which unit the name means."))
    target_unit = target if kind == "unit" else target.unit
    if not target_unit.path.startswith(campaign.institution.path):
        raise ServiceError(_("That is not part of this campaign's institution."))
    field = NAME_FIELDS[kind]
    qs = Measure.objects.filter(plan__campaign=campaign, **{field: name})
    if kind == "owner":
        qs = qs.filter(owner__isnull=True)
    fk = {"owner": "owner", "leader": "responsible_leader", "unit": "responsible_unit"}[kind]
    ids = list(qs.values_list("pk", flat=True))
    n = Measure.objects.filter(pk__in=ids).update(**{fk: target, field: ""})
    audit_record(
        actor=actor,
        action=f"measure.link_{kind}",
        obj=campaign,
        unit=campaign.institution,
        changes={"name": name, "target": target.pk, "measures": ids},
    )
    return n


@transaction.atomic
def measures_link_post(*, actor, campaign, kind: str, name: str, post: str) -> tuple[int, list[str]]:
    """A post title written where a name belongs (党委书记, 处长 …): every measure of the campaign that
    keeps `name` as its owner or leader is linked to the person holding that post in the measure's
    own responsible unit (post "principal": the principal leader of that unit's institution; "head":
    the unit's head), so 党委书记 of two units becomes two people. Measures whose unit has nobody in
    that post stay 未关联. Returns (how many were linked, the units left without such a person)."""
    from orgs.models import Unit
    from orgs.selectors import head_of, principal_leader_of

    _need(
        can(actor, Perm.RECTIFICATION_MANAGE, campaign.institution),
        _("Only the campaign office links the names of an imported ledger."),
    )
    if kind not in ("owner", "leader") or post not in ("principal", "head"):
        raise ServiceError(_("Only people are linked by post."))
    field = NAME_FIELDS[kind]
    fk = {"owner": "owner", "leader": "responsible_leader"}[kind]
    qs = Measure.objects.filter(plan__campaign=campaign, **{field: name})
    if kind == "owner":
        qs = qs.filter(owner__isnull=True)
    holder = principal_leader_of if post == "principal" else head_of
    linked: dict[int, list[int]] = {}
    missing: list[str] = []
    for unit in Unit.objects.filter(pk__in=qs.values("responsible_unit")).order_by("path"):
        person = holder(unit)
        if person is None:
            missing.append(unit.name)
            continue
        ids = list(qs.filter(responsible_unit=unit).values_list("pk", flat=True))
        Measure.objects.filter(pk__in=ids).update(**{fk: person, field: ""})
        linked[person.pk] = linked.get(person.pk, []) + ids
    n = sum(len(v) for v in linked.values())
    if not n:
        raise ServiceError(
            _("Nobody holds that post in %(units)s: add the post under 组织机构, or link the name to a person.")
            % {"units": "、".join(missing) or "—"}
        )
    audit_record(
        actor=actor,
        action=f"measure.link_{kind}_by_post",
        obj=campaign,
        unit=campaign.institution,
        changes={"name": name, "post": post, "linked": {str(k): v for k, v in linked.items()}, "missing": missing},
    )
    return n, missing
