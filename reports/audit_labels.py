"""How the audit log names this app's actions, change keys and stored values (see audit.vocabulary)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.vocabulary import register_audit_labels

from .models import SelfReport


def register() -> None:
    register_audit_labels(
        prefix="report",
        actions={
            "report.start": _("Report started"),
            "report.save": _("Report saved"),
            "report.submit": _("Report submitted for review"),
            "report.approve": _("Report approved"),
            "report.return": _("Report returned for redo"),
            "report.reroute": _("Report routed again"),
            "report.problem_add": _("Problem added from the report"),
        },
        keys={
            "version": _("Version"),
            "kind": _("Report of"),
            "reviewer": pgettext_lazy("report approver", "Reviewer"),
            "routing_problem": _("Waiting for routing"),
            "comment": pgettext_lazy("report review", "comments"),
        },
        values={
            **{s.value: s.label for s in SelfReport.Status},
            **{k.value: k.label for k in SelfReport.AuthorKind},
        },
    )
