"""Writes for self-inspection reports: start, save (versions), submit (routing), review, re-route.

Rules (domain.md §4): only the author writes; a submitted version is frozen and an edit after a
decision makes a new version that needs a new decision; every decision (ReportReview) signs exactly one
version; nobody reviews their own report; of two reviewers deciding at once one wins (conditional
update on status + current_version, and one decision per version in the database), the other gets a
Conflict. A report nobody can review stays submitted "waiting for routing" and the campaign office is
told what to fix.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accountability.models import AccountabilityCase
from accountability.services import case_open
from audit.services import audit_record
from campaigns.models import Campaign, CampaignUnit
from core.exceptions import Conflict, ServiceError
from notifications.services import notify
from orgs.access import person_of
from orgs.models import Person, RoleAssignment, Unit
from orgs.selectors import head_of, institution_of, principal_leader_of

from .models import ReportReview, SelfReport, SelfReportVersion
from .routing import city_officials_for, department_of, resolve_reviewer
from .selectors import author_for, is_author, may_review, report_title

K = SelfReport.AuthorKind
S = SelfReport.Status
TEXT_MAX = 20000


def role_users(role: str, unit: Unit) -> list:
    """Logins of people holding `role` on `unit` or above it (e.g. the campaign office of an institution)."""
    users = []
    for ra in RoleAssignment.objects.filter(role=role, person__active=True, person__user__isnull=False).select_related(
        "unit", "person__user"
    ):
        covers = unit.path.startswith(ra.unit.path) if ra.include_subunits else ra.unit_id == unit.pk
        if covers:
            users.append(ra.person.user)
    return users


def _url(report: SelfReport) -> str:
    return reverse("reports:detail", args=[report.pk])


def _check_author(actor, report: SelfReport) -> None:
    if not is_author(actor, report):
        raise ServiceError(_("Only the author of the report may change it."))


@transaction.atomic
def report_start(*, actor, participant: CampaignUnit, author_kind: str, unit: Unit) -> SelfReport:
    """Start (or return the already started) report of `author_kind` for `unit` in `participant`'s round.

    The actor writes it: their own personal report, their department's as its head, the leadership
    team's as principal leader.
    """
    person = person_of(actor)
    if person is None:
        raise ServiceError(_("Only a person with a post can write a self-inspection report."))
    if participant.campaign.status != Campaign.Status.ACTIVE:
        raise ServiceError(_("The campaign is not in progress."))
    if author_for(author_kind, unit, person) != person:
        raise ServiceError(_("You are not the one who writes this report."))
    if not (unit.pk == participant.unit_id or unit.path.startswith(participant.unit.path)):
        raise ServiceError(_("%(unit)s does not take part in this campaign.") % {"unit": unit})
    lookup = {"campaign": participant.campaign, "author_kind": author_kind, "round": participant.round}
    lookup.update({"unit": unit} if author_kind in SelfReport.UNIT_KINDS else {"person": person})
    existing = SelfReport.objects.filter(**lookup).first()
    if existing:
        return existing
    report = SelfReport.objects.create(
        **{**lookup, "unit": unit, "person": person, "title": report_title(author_kind, unit, person)}
    )
    SelfReportVersion.objects.create(
        report=report, number=1, method="", problems_and_causes="", measures="", created_by=actor
    )
    audit_record(actor=actor, action="report.start", obj=report, unit=unit, changes={"kind": author_kind})
    return report


@transaction.atomic
def report_save(
    *,
    actor,
    report: SelfReport,
    method: str,
    problems_and_causes: str,
    measures: str,
    problems: Iterable = (),
    revise_approved: bool = False,
) -> SelfReportVersion:
    """Save the author's draft. Editing a version that was already submitted (returned or approved)
    makes a new version and puts the report back to draft: an approval never covers later edits. An
    approved report is reopened only when the author confirms it (`revise_approved`); sending the
    submitted text unchanged changes nothing, and an empty text never replaces a submitted version."""
    _check_author(actor, report)
    # lock the row so a concurrent decision and this edit are serialised
    SelfReport.objects.select_for_update().filter(pk=report.pk).first()
    report.refresh_from_db()
    if report.status == S.SUBMITTED:
        raise ServiceError(_("The report is under review; it can be changed after the decision."))
    texts = {"method": method.strip(), "problems_and_causes": problems_and_causes.strip(), "measures": measures.strip()}
    if any(len(t) > TEXT_MAX for t in texts.values()):
        raise ServiceError(_("A section is too long (at most %(n)s characters).") % {"n": TEXT_MAX})
    problems = list(problems)
    current = report.versions.get(number=report.current_version)
    before = report.status
    if current.submitted_at is not None:
        kept = {f: getattr(current, f) for f in texts}
        if texts == kept and {p.pk for p in problems} == set(current.problems.values_list("pk", flat=True)):
            return current  # nothing changed: the report keeps its status (and its approval)
        if not any(texts.values()):
            raise ServiceError(_("An empty report cannot replace the version that was submitted."))
        if report.status == S.APPROVED and not revise_approved:
            raise Conflict(
                _("This report is approved. Confirm that you revise it: the new draft needs a new approval.")
            )
    if current.submitted_at is None:
        version = current
        for field, value in texts.items():
            setattr(version, field, value)
        version.save(update_fields=list(texts))
    else:
        version = SelfReportVersion.objects.create(report=report, number=current.number + 1, created_by=actor, **texts)
        updated = SelfReport.objects.filter(pk=report.pk, status__in=[S.RETURNED, S.APPROVED, S.DRAFT]).update(
            current_version=version.number, status=S.DRAFT, updated_at=timezone.now()
        )
        if not updated:
            raise Conflict(_("The report was changed by someone else; reload the page."))
    version.problems.set(problems)
    SelfReport.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="report.save",
        obj=report,
        unit=report.unit,
        changes={"version": version.number, "status": [before, S.DRAFT], "problems": [p.pk for p in problems]},
    )
    report.refresh_from_db()
    return version


def _route_fields(report: SelfReport) -> dict:
    route = resolve_reviewer(unit=report.unit, author_kind=report.author_kind, person=report.person)
    return {
        "reviewer": route.user,
        "reviewer_is_city_office": route.is_city_office,
        "routing_problem": route.problem[:300],
    }


def _tell_reviewers(report: SelfReport) -> None:
    if report.routing_problem:
        notify(
            recipients=role_users(RoleAssignment.Role.CAMPAIGN_OFFICE, report.unit),
            title=_("No reviewer for the report “%(title)s”") % {"title": report.title},
            body=report.routing_problem,
            url=_url(report),
            kind="warning",
            email=True,
        )
        return
    reviewers = (
        [p.user for p in city_officials_for(report.unit)] if report.reviewer_is_city_office else [report.reviewer]
    )
    notify(
        recipients=[u for u in reviewers if u and u.pk != getattr(report.person, "user_id", None)],
        title=_("“%(title)s” waits for your review") % {"title": report.title},
        url=_url(report),
        kind="task",
        email=True,
    )


@transaction.atomic
def report_submit(*, actor, report: SelfReport) -> SelfReport:
    """Submit the current draft version for review; it is routed at once (domain.md §4).

    When nobody can review it, it stays submitted and visible as "waiting for routing"; the campaign
    office is notified with what to fix (then `report_reroute`, or the hourly task, routes it)."""
    _check_author(actor, report)
    report.refresh_from_db()
    version = report.versions.get(number=report.current_version)
    missing = [
        label
        for label, text in (
            (_("how the self-check was done"), version.method),
            (_("problems and their causes"), version.problems_and_causes),
            (_("rectification measures"), version.measures),
        )
        if not text.strip()
    ]
    if missing:
        raise ServiceError(_("Fill in every section before submitting."), details=missing)
    now = timezone.now()
    fields = _route_fields(report)
    updated = SelfReport.objects.filter(pk=report.pk, status=S.DRAFT, current_version=version.number).update(
        status=S.SUBMITTED, submitted_at=now, reminded_at=None, updated_at=now, **fields
    )
    if not updated:
        raise Conflict(_("Only a draft can be submitted; reload the page."))
    SelfReportVersion.objects.filter(pk=version.pk).update(submitted_at=now)
    report.refresh_from_db()
    audit_record(
        actor=actor,
        action="report.submit",
        obj=report,
        unit=report.unit,
        changes={
            "version": version.number,
            "status": [S.DRAFT, S.SUBMITTED],
            "reviewer": report.reviewer_id,
            "city_office": report.reviewer_is_city_office,
            "routing_problem": report.routing_problem,
        },
    )
    _tell_reviewers(report)
    return report


@transaction.atomic
def report_reroute(*, actor, report: SelfReport) -> SelfReport:
    """Route a submitted report again (after the office fixed the organisation, or when the reviewer
    changed). Callable by the campaign office and by the reminder task (actor=None)."""
    fields = _route_fields(report)
    updated = SelfReport.objects.filter(pk=report.pk, status=S.SUBMITTED).update(**fields)
    if not updated:
        raise Conflict(_("Only a report under review can be routed."))
    before = (report.reviewer_id, report.routing_problem)
    report.refresh_from_db()
    if before == (report.reviewer_id, report.routing_problem):
        return report
    audit_record(
        actor=actor,
        action="report.reroute",
        obj=report,
        unit=report.unit,
        changes={"reviewer": [before[0], report.reviewer_id], "routing_problem": [before[1], report.routing_problem]},
    )
    _tell_reviewers(report)
    return report


def accountable_leader(report: SelfReport) -> tuple[Person | None, Unit]:
    """The principal leader concerned by a failed report (plan §9): the department head for a
    department's reports and its people's; the institution's principal leader for the leadership
    team's, the principal's own and leadership members' reports (or when a department has no head)."""
    if report.author_kind in (K.TEAM, K.PRINCIPAL, K.LEADERSHIP_MEMBER):
        inst = institution_of(report.unit) or report.unit
        return principal_leader_of(inst), inst
    dept = department_of(report.unit)
    return head_of(dept) or principal_leader_of(dept), dept


@transaction.atomic
def report_review(
    *, actor, report: SelfReport, version: SelfReportVersion, decision: str, comment: str = ""
) -> ReportReview:
    """Approve or return exactly `version`. The reviewer must be the one routed (or a city official for
    the team's and principal's reports) and not the author. A return needs comments, sends the report
    back to its author and proposes an accountability case against the principal leader concerned to the deciding office."""
    if is_author(actor, report):
        raise ServiceError(_("Nobody may review their own report."))
    report.refresh_from_db()
    if not may_review(actor, report):
        if report.status != S.SUBMITTED:
            raise Conflict(_("This report was already decided; reload the page."))
        raise ServiceError(_("You are not the reviewer of this report."))
    if decision not in ReportReview.Decision.values:
        raise ServiceError(_("Choose approve or return."))
    comment = comment.strip()
    if decision == ReportReview.Decision.RETURNED and not comment:
        raise ServiceError(_("Say why the report is returned."))
    if version.report_id != report.pk or version.number != report.current_version:
        raise Conflict(_("The report has a newer version than the one you reviewed; reload the page."))
    now = timezone.now()
    new_status = S.APPROVED if decision == ReportReview.Decision.APPROVED else S.RETURNED
    updated = SelfReport.objects.filter(pk=report.pk, status=S.SUBMITTED, current_version=version.number).update(
        status=new_status, approved_at=now if new_status == S.APPROVED else None, updated_at=now
    )
    if not updated:
        raise Conflict(_("Another reviewer decided on this report first; reload the page."))
    try:
        with transaction.atomic():
            review = ReportReview.objects.create(
                report=report, version=version, reviewer=actor, decision=decision, comment=comment
            )
    except IntegrityError as exc:
        raise Conflict(_("Another reviewer decided on this report first; reload the page.")) from exc
    report.refresh_from_db()
    audit_record(
        actor=actor,
        action=f"report.{'approve' if new_status == S.APPROVED else 'return'}",
        obj=report,
        unit=report.unit,
        changes={"version": version.number, "status": [S.SUBMITTED, new_status], "comment": comment},
    )
    if new_status == S.RETURNED:
        _open_case(actor, report, version, comment)
    notify(
        recipients=[getattr(report.person, "user", None)],
        title=(_("“%(title)s” was approved") if new_status == S.APPROVED else _("“%(title)s” was returned for redo"))
        % {"title": report.title},
        body=comment,
        url=_url(report),
        kind="info" if new_status == S.APPROVED else "warning",
        email=True,
    )
    return review


def _open_case(actor, report: SelfReport, version: SelfReportVersion, comment: str) -> None:
    leader, unit = accountable_leader(report)
    if leader is None:
        return
    facts = _(
        "The self-inspection report “%(title)s” (version %(n)s) failed review by %(reviewer)s on %(date)s "
        "and was returned for redo. Comments: %(comment)s"
    ) % {
        "title": report.title,
        "n": version.number,
        "reviewer": actor,
        "date": timezone.localdate().isoformat(),
        "comment": comment,
    }
    # A proposal to the deciding office (which takes it up or not), never a decision; case_open tells
    # the office and the leader concerned.
    case_open(
        actor=actor,
        person=leader,
        unit=unit,
        trigger=AccountabilityCase.Trigger.REPORT_RETURNED,
        facts=facts,
        trigger_ref=f"reports.selfreport:{report.pk}",
        proposed=True,
    )


def report_approve(*, actor, report: SelfReport, version: SelfReportVersion, comment: str = "") -> ReportReview:
    return report_review(
        actor=actor, report=report, version=version, decision=ReportReview.Decision.APPROVED, comment=comment
    )


def report_return(*, actor, report: SelfReport, version: SelfReportVersion, comment: str) -> ReportReview:
    return report_review(
        actor=actor, report=report, version=version, decision=ReportReview.Decision.RETURNED, comment=comment
    )


@transaction.atomic
def report_problem_add(
    *,
    actor,
    report: SelfReport,
    description: str,
    cause: str = "",
    channel: str = "self_check",
    severity: str = "medium",
    benchmark: str = "",
):
    """The author adds a problem to the ledger (problems.services.problem_create) from the editor; it is
    cited by the current draft at once (or by the next version when the current one is already submitted)."""
    from problems.models import Problem
    from problems.services import problem_create

    _check_author(actor, report)
    if report.status == S.SUBMITTED:
        raise ServiceError(_("The report is under review; it can be changed after the decision."))
    if report.author_kind == K.TEAM:
        subject = {"subject_kind": Problem.SubjectKind.TEAM}
    elif report.author_kind == K.DEPARTMENT:
        subject = {"subject_kind": Problem.SubjectKind.UNIT}
    else:
        subject = {"subject_kind": Problem.SubjectKind.PERSON, "subject_person": report.person}
    problem = problem_create(
        actor=actor,
        campaign=report.campaign,
        unit=report.unit,
        description=description,
        channel=channel,
        severity=severity,
        cause=cause,
        benchmark=benchmark,
        **subject,
    )
    version = report.versions.get(number=report.current_version)
    if version.submitted_at is None:
        version.problems.add(problem)
    audit_record(
        actor=actor,
        action="report.problem_add",
        obj=report,
        unit=report.unit,
        changes={"problem": problem.pk, "version": version.number},
    )
    return problem
