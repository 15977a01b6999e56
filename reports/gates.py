"""The finding → meeting gate (domain.md §2, plan §9): a unit's meeting waits for its reports.

Institution: the leadership team's and the principal leader's reports approved by the city office (and
any leadership member's report that was started, approved by the principal leader). Department: the
department's report and each department leadership member's approved by the supervising leader, and
every cadre report that exists approved by the department head. See selectors.requirements_for.
"""

from django.utils.translation import gettext as _

from campaigns.gates import register_gate
from campaigns.models import Stage

from .models import SelfReport
from .selectors import requirements_for_many

K = SelfReport.AuthorKind


def _who(req) -> str:
    name = req.person.name if req.person else "—"
    return {
        K.TEAM: _("The leadership team of %(unit)s") % {"unit": req.unit},
        K.PRINCIPAL: _("Principal leader %(name)s") % {"name": name},
        K.LEADERSHIP_MEMBER: _("Leadership-team member %(name)s") % {"name": name},
        K.DEPARTMENT: _("%(unit)s (department report)") % {"unit": req.unit},
        K.DEPARTMENT_MEMBER: _("Department leadership member %(name)s") % {"name": name},
        K.CADRE: _("Cadre %(name)s") % {"name": name},
    }[req.author_kind]


def _approver(author_kind: str) -> str:
    if author_kind in (K.TEAM, K.PRINCIPAL):
        return _("the city office")
    if author_kind == K.LEADERSHIP_MEMBER:
        return _("the principal leader")
    if author_kind == K.CADRE:
        return _("the department head")
    return _("the supervising leader")


def _state(report) -> str:
    if report is None:
        return _("not started")
    return report.get_display_status_display()


@register_gate(Stage.FINDING)
def reports_approved_many(participants) -> dict[int, list[str]]:
    """The FINDING gate for many participating units: two queries whatever their number
    (selectors.requirements_for_many)."""
    return {pk: _blockers(reqs) for pk, reqs in requirements_for_many(participants).items()}


def reports_approved(participant) -> list[str]:
    """The FINDING gate for one participating unit."""
    return reports_approved_many([participant]).get(participant.pk, [])


def _blockers(requirements) -> list[str]:
    blockers = []
    for req in requirements:
        if req.report is not None and req.report.status == SelfReport.Status.APPROVED:
            continue
        if req.person is None and req.author_kind in (K.TEAM, K.PRINCIPAL, K.DEPARTMENT):
            blockers.append(
                _("%(unit)s has no one to write its self-inspection report (no head or principal leader).")
                % {"unit": req.unit}
            )
            continue
        blockers.append(
            _("The self-inspection report of %(who)s has not been approved by %(approver)s yet (%(state)s).")
            % {"who": _who(req), "approver": _approver(req.author_kind), "state": _state(req.report)}
        )
    return blockers
