from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import forms as bounded
from core.formtoken import OneTimeTokenMixin
from orgs.models import Person, Unit
from orgs.selectors import leadership_team_of

from .models import Measure, Rule


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class DateInput(forms.DateInput):
    input_type = "date"


class PlanForm(forms.Form):
    unit = bounded.ModelChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    personal = forms.BooleanField(required=False, label=_("A personal plan (for myself)"))
    title = forms.CharField(max_length=200, label=_("plan title"))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("overview of the plan"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()


class MeasureForm(forms.ModelForm):
    problems = bounded.ModelMultipleChoiceField(queryset=None, required=False, label=_("problems answered"))
    rule_title = forms.CharField(
        max_length=200,
        required=False,
        label=_("rule to make or revise (制度建设)"),
        help_text=_("Only for rule making."),
    )

    class Meta:
        formfield_callback = bounded.formfield
        model = Measure
        fields = [
            "content",
            "goal",
            "time_class",
            "deadline",
            "kind",
            "responsible_leader",
            "responsible_unit",
            "owner",
        ]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3}),
            "goal": forms.Textarea(attrs={"rows": 2}),
            "deadline": DateInput(),
        }

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        from problems.models import Problem

        unit = plan.unit
        inst = unit if unit.is_institution else unit.institution
        self.fields["problems"].queryset = Problem.objects.filter(
            campaign=plan.campaign, unit__path__startswith=unit.path
        )
        self.fields["responsible_unit"].queryset = Unit.objects.filter(path__startswith=unit.path)
        self.fields["owner"].queryset = Person.objects.filter(unit__path__startswith=unit.path, active=True) | (
            Person.objects.filter(pk=plan.person_id) if plan.person_id else Person.objects.none()
        )
        self.fields["responsible_leader"].queryset = leadership_team_of(inst) if inst else Person.objects.none()
        self.fields["goal"].required = True
        if not self.instance.pk:
            self.fields["responsible_unit"].initial = unit.pk  # most measures are the plan's unit's own
        if self.instance.pk:
            self.fields["problems"].initial = list(self.instance.problems.values_list("pk", flat=True))
            rule = getattr(self.instance, "rule", None) if self.instance.kind == Measure.Kind.RULE else None
            if rule:
                self.fields["rule_title"].initial = rule.title


class AddProblemsForm(forms.Form):
    problems = bounded.ModelMultipleChoiceField(queryset=None, label=_("problems of the ledger"))
    owner = bounded.ModelChoiceField(queryset=None, label=_("responsible person"))
    deadline = bounded.DateField(widget=DateInput(), label=_("deadline"))

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        from problems.models import Problem

        self.fields["problems"].queryset = Problem.objects.filter(
            campaign=plan.campaign, unit__path__startswith=plan.unit.path
        ).exclude(measures__plan=plan)
        if plan.person_id:
            self.fields["problems"].queryset = self.fields["problems"].queryset.filter(subject_person=plan.person)
        self.fields["owner"].queryset = Person.objects.filter(unit__path__startswith=plan.unit.path, active=True) | (
            Person.objects.filter(pk=plan.person_id) if plan.person_id else Person.objects.none()
        )
        self.fields["deadline"].initial = plan.campaign.rectification_due


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return"))], label=_("decision"))
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("comments"))


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("reason"))


class ProgressForm(OneTimeTokenMixin, forms.Form):
    content = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("what was done"))
    percent = forms.IntegerField(min_value=0, max_value=100, label=_("percent complete"))
    files = MultipleFileField(required=False, label=_("evidence files (佐证材料)"))


class EvidenceForm(OneTimeTokenMixin, forms.Form):
    files = MultipleFileField(label=_("evidence files (佐证材料)"))


class CloseoutForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("how the goal was reached")
    )


class VerifyForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", _("Verify and close (销号)")), ("return", _("Return"))], label=_("decision")
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("comments / reason for returning")
    )
    new_deadline = bounded.DateField(widget=DateInput(), required=False, label=_("new deadline (when returning)"))


class BulkCloseoutForm(forms.Form):
    """One decision for the close-out requests ticked on the list (the rows are read by the view)."""

    decision = forms.ChoiceField(
        choices=[("verify", _("Verify and close (销号)")), ("return", _("Return"))], label=_("decision")
    )
    comment = forms.CharField(max_length=2000, required=False, label=_("comments / reason for returning"))
    new_deadline = bounded.DateField(widget=DateInput(), required=False, label=_("new deadline (when returning)"))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return":
            if not (data.get("comment") or "").strip():
                self.add_error("comment", _("Say why the close-out is returned."))
            if not data.get("new_deadline"):
                self.add_error("new_deadline", _("Set a new deadline that is not in the past."))
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("how the problem recurred"))
    new_deadline = bounded.DateField(widget=DateInput(), required=False, label=_("new deadline"))


class ExtensionForm(forms.Form):
    new_deadline = bounded.DateField(widget=DateInput(), label=_("new deadline asked"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("reason"))


class ExtensionDecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], label=_("decision"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("decision note"))


class MilestoneForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("milestone"))
    due = bounded.DateField(widget=DateInput(), label=_("due"))


class CaseForm(forms.Form):
    facts = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("facts"))


class RuleForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounded.formfield
        model = Rule
        fields = ["title", "change", "document_no", "issued_on"]
        widgets = {"issued_on": DateInput()}


class PolicyForm(forms.Form):
    green_days = forms.IntegerField(min_value=1, max_value=365, label=_("green notice, days before the deadline"))
    yellow_days = forms.IntegerField(min_value=0, max_value=364, label=_("yellow warning, days before the deadline"))


class CommitmentForm(forms.Form):
    content = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("commitment"))
    item = forms.CharField(max_length=300, label=_("first item"))
    deadline = bounded.DateField(widget=DateInput(), label=_("deadline"))


class UnitCommitmentForm(forms.Form):
    unit = bounded.ModelChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    content = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("commitment"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()


class CommitmentItemForm(forms.Form):
    content = forms.CharField(max_length=300, label=pgettext_lazy("commitment", "item"))
    measures = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=pgettext_lazy("commitment", "measures"),
        help_text=_("One measure a line (一是…, 二是…)."),
    )
    owner = bounded.ModelChoiceField(queryset=Person.objects.none(), required=False, label=_("responsible"))
    deadline = bounded.DateField(widget=DateInput(), label=_("deadline"))

    def __init__(self, *args, commitment=None, **kwargs):
        super().__init__(*args, **kwargs)
        if commitment is not None:
            self.fields["owner"].queryset = Person.objects.filter(
                unit__path__startswith=commitment.unit.path, active=True
            ).order_by("name")
            if commitment.person_id:
                self.fields["owner"].help_text = _("Left empty: the person who commits.")


class CommitmentReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve and show it (示诺)")), ("return", _("Return it for revision"))],
        widget=forms.RadioSelect,
        label=_("decision"),
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("comments / reason"),
        help_text=_("Required when the commitment is returned."),
    )


class CommitmentJudgeForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("fulfilled", _("Fulfilled (兑现)")), ("unfulfilled", _("Not fulfilled (未兑现)"))],
        widget=forms.RadioSelect,
        label=_("outcome"),
    )
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("explanation (objective causes)"),
        help_text=_("Required when the item was not fulfilled."),
    )


class CommitmentProgressForm(forms.Form):
    content = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("what was done"))
    done = forms.BooleanField(required=False, label=_("item fulfilled"))


class AssessmentForm(forms.Form):
    name = forms.CharField(max_length=150, label=_("name of the assessment round"))


class BoardForm(forms.Form):
    title = forms.CharField(max_length=200, required=False, label=_("board title"))
