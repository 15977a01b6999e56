from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import forms as bounded
from problems.models import Channel, Problem

from .models import ReportReview


class ReportForm(forms.Form):
    method = forms.CharField(
        label=_("How the self-check was done"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Study, self-check against the ten manifestations, opinions gathered, talks held…"),
    )
    problems = bounded.ModelMultipleChoiceField(
        label=_("Problems from the ledger"),
        queryset=Problem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    problems_and_causes = forms.CharField(
        label=_("Problems and their causes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Describe the problems found and analyse their causes (剖析原因)."),
    )
    measures = forms.CharField(
        label=_("Rectification measures"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, problem_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if problem_choices is not None:
            self.fields["problems"].queryset = problem_choices


class ProblemAddForm(forms.Form):
    description = forms.CharField(label=_("Problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    cause = forms.CharField(
        label=_("Cause analysis"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (c, label)
            for c, label in Channel.choices
            if c in ("self_check", "comparison", "fix_as_found", "leader_comment")
        ],
        initial="self_check",
    )
    benchmark = forms.CharField(label=_("Benchmark compared with"), required=False, max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Problem.Severity.choices, initial="medium")


class ReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Review decision"),
        choices=[
            (ReportReview.Decision.APPROVED, pgettext_lazy("report review", "Approve")),
            (ReportReview.Decision.RETURNED, _("Fail the review and return it for redo")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Review comments"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
