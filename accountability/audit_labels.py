"""How the audit log names this app's actions, change keys and stored values (see audit.vocabulary)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.vocabulary import register_audit_labels

from .models import AccountabilityCase


def register() -> None:
    register_audit_labels(
        prefix="accountability",
        actions={
            "accountability.open": _("Accountability case opened"),
            "accountability.accept": _("Case taken up"),
            "accountability.dismiss": _("Case not pursued"),
            "accountability.propose": _("Measures proposed"),
            "accountability.decide": _("Case decided"),
            "accountability.statement": _("Statement recorded"),
            "accountability.close": _("Case closed"),
        },
        keys={
            "status": _("status"),
            "person": _("person held accountable"),
            "trigger": _("trigger"),
            "proposed": _("proposed measures"),
            "measures": _("decided measures"),
            "deciding_body": _("deciding body"),
            "decided_on": _("decided on"),
            "statement": _("statement of the person"),
            "ref": pgettext_lazy("accountability case", "concerns"),
        },
        values={
            **{s.value: s.label for s in AccountabilityCase.Status},
            **{t.value: t.label for t in AccountabilityCase.Trigger},
        },
    )
