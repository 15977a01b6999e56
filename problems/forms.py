"""Parsing and validation for the problems pages (no saving, no permissions)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import forms as bounded
from core import humancheck
from core.formtoken import OneTimeTokenMixin
from core.uploads import validate_form_files
from orgs.models import Person, Unit
from orgs.widgets import PersonPickerField

from .filters import UnitTreeChoiceField
from .models import Aspect, Channel, FocusArea, Manifestation, Opinion, PeerReview, Problem
from .services import CONTACT_MAX_CHARS, OPINION_MAX_CHARS, OPINION_MIN_CHARS


class PersonChoiceField(bounded.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.unit.name}）"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            files = [single(d, initial) for d in data]
        else:
            files = [single(data, initial)] if data else []
        return validate_form_files(files)  # refused here, before the view stores anything


RECORD_CHANNELS = [
    (Channel.SELF_CHECK, Channel.SELF_CHECK.label),
    (Channel.COMPARISON, Channel.COMPARISON.label),
    (Channel.FIX_AS_FOUND, Channel.FIX_AS_FOUND.label),
    (Channel.SUPERIOR_FEEDBACK, Channel.SUPERIOR_FEEDBACK.label),
]


class ProblemForm(OneTimeTokenMixin, forms.Form):
    """A problem recorded directly (self-check, comparison, fix-as-found, superior's feedback)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=RECORD_CHANNELS)
    unit = UnitTreeChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    subject_kind = forms.ChoiceField(label=_("Subject"), choices=Problem.SubjectKind.choices)
    subject_person = PersonChoiceField(label=_("Person concerned"), queryset=Person.objects.none(), required=False)
    benchmark = forms.CharField(
        label=_("Benchmark compared with"),
        max_length=200,
        required=False,
        help_text=_("An advanced person or department, or a requirement of superiors or the masses."),
    )
    description = forms.CharField(label=_("Problem"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    cause = forms.CharField(
        label=_("Cause analysis"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )
    manifestations = bounded.ModelMultipleChoiceField(
        label=_("Manifestations"),
        queryset=Manifestation.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    focus_area = bounded.ModelChoiceField(
        label=_("Focus area"), queryset=FocusArea.objects.filter(active=True), required=False
    )
    aspect = bounded.ModelChoiceField(label=_("Aspect"), queryset=Aspect.objects.filter(active=True), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Problem.Severity.choices, initial="medium")
    fixed_note = forms.CharField(
        label=_("Already fixed: what was done (fix at once)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )
    files = MultipleFileField(label=_("Evidence files"), required=False)

    def __init__(self, *args, units, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["subject_person"].queryset = people.select_related("unit")

    def clean(self):
        data = super().clean()
        if data.get("subject_kind") == Problem.SubjectKind.PERSON and not data.get("subject_person"):
            self.add_error("subject_person", _("Name the person the problem concerns."))
        if data.get("channel") == Channel.COMPARISON and not data.get("benchmark"):
            self.add_error("benchmark", _("Name the benchmark (an advanced person or department, or a requirement)."))
        if data.get("files") and not data.get("fixed_note"):
            self.add_error("fixed_note", _("Say what was done to fix the problem."))
        return data


class FixAtOnceForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    files = MultipleFileField(label=_("Evidence files"), required=False)


class SelfCheckForm(forms.Form):
    """One block per manifestation: does it apply, and if so what and why."""

    def __init__(self, *args, manifestations, **kwargs):
        super().__init__(*args, **kwargs)
        self.manifestations = list(manifestations)
        for m in self.manifestations:
            self.fields[f"d_{m.pk}"] = forms.CharField(
                label=_("What applies"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"c_{m.pk}"] = forms.CharField(
                label=_("Cause"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"s_{m.pk}"] = forms.ChoiceField(
                label=_("Severity"), choices=Problem.Severity.choices, initial="medium", required=False
            )

    def rows(self):
        return [(m, self[f"d_{m.pk}"], self[f"c_{m.pk}"], self[f"s_{m.pk}"]) for m in self.manifestations]

    def entries(self) -> list[dict]:
        out = []
        for m in self.manifestations:
            text = self.cleaned_data.get(f"d_{m.pk}", "").strip()
            if text:
                out.append(
                    {
                        "manifestation": m,
                        "description": text,
                        "cause": self.cleaned_data.get(f"c_{m.pk}", ""),
                        "severity": self.cleaned_data.get(f"s_{m.pk}") or "medium",
                    }
                )
        return out


# ---------------------------------------------------------------- opinions


def captcha_new() -> tuple[str, str]:
    """(question, token): a small sum; the answer travels sealed (core.humancheck), never readable."""
    question, token = humancheck.challenge()
    return f"{question} = ?", token


class PublicOpinionForm(forms.Form):
    content = forms.CharField(
        label=_("Your opinion or suggestion"),
        min_length=OPINION_MIN_CHARS,
        max_length=OPINION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": OPINION_MAX_CHARS}),
    )
    submitter_kind = forms.ChoiceField(
        label=_("You are"), choices=Opinion.SubmitterKind.choices, initial=Opinion.SubmitterKind.SERVICE_USER
    )
    contact = forms.CharField(
        label=_("Contact (optional)"),
        required=False,
        max_length=CONTACT_MAX_CHARS,
        help_text=_("Leave it empty to stay anonymous; the receipt code is enough to follow your opinion."),
    )
    answer = forms.IntegerField(label=_("Human check"), min_value=0, max_value=99)
    token = forms.CharField(widget=forms.HiddenInput)
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def clean_website(self):
        if self.cleaned_data.get("website"):  # a field people never see: filled only by robots
            raise forms.ValidationError(_("Please try again."))
        return ""

    def clean(self):
        data = super().clean()
        token, answer = data.get("token"), data.get("answer")
        if token is None or answer is None:
            return data
        outcome = humancheck.verify(token, answer)
        if outcome == "expired":
            raise forms.ValidationError(_("The check has expired; please answer the new question."))
        if outcome == "wrong":
            self.add_error("answer", _("That is not the right answer."))
        elif outcome == "used":
            raise forms.ValidationError(_("This form was already sent; please answer the new question."))
        return data


class StaffOpinionForm(forms.Form):
    unit = UnitTreeChoiceField(label=_("Unit the opinion is about"), queryset=Unit.objects.none())
    content = forms.CharField(
        label=_("Your opinion or suggestion"),
        min_length=OPINION_MIN_CHARS,
        max_length=OPINION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    concerns_person = PersonPickerField(
        label=_("Person concerned (optional)"), queryset=Person.objects.none(), required=False
    )
    anonymous = forms.BooleanField(
        label=_("Submit anonymously (your name is not stored)"), required=False, initial=True
    )

    def __init__(self, *args, units, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["concerns_person"].queryset = people.select_related("unit")


class OfficeOpinionForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            (Opinion.Source.SYMPOSIUM, Opinion.Source.SYMPOSIUM.label),
            (Opinion.Source.PAPER, Opinion.Source.PAPER.label),
        ],
    )
    unit = UnitTreeChoiceField(label=_("Unit the opinion is about"), queryset=Unit.objects.none())
    submitter_kind = forms.ChoiceField(label=_("Given by"), choices=Opinion.SubmitterKind.choices)
    content = forms.CharField(
        label=_("Opinion"),
        min_length=OPINION_MIN_CHARS,
        max_length=OPINION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    concerns_person = PersonPickerField(
        label=_("Person concerned (optional)"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, *args, units, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["concerns_person"].queryset = people.select_related("unit")


class ReceiptForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=20)


class TriageProblemForm(forms.Form):
    unit = UnitTreeChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    subject_kind = forms.ChoiceField(label=_("Subject"), choices=Problem.SubjectKind.choices)
    subject_person = PersonChoiceField(label=_("Person concerned"), queryset=Person.objects.none(), required=False)
    description = forms.CharField(label=_("Problem"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    manifestations = bounded.ModelMultipleChoiceField(
        label=_("Manifestations"),
        queryset=Manifestation.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Problem.Severity.choices, initial="medium")

    def __init__(self, *args, units, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["subject_person"].queryset = people.select_related("unit")

    def clean(self):
        data = super().clean()
        if data.get("subject_kind") == Problem.SubjectKind.PERSON and not data.get("subject_person"):
            self.add_error("subject_person", _("Name the person the problem concerns."))
        return data


class BaseTriageFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if not any(f.cleaned_data and not f.cleaned_data.get("DELETE") for f in self.forms):
            raise forms.ValidationError(_("Describe at least one problem."))


TriageFormSet = forms.formset_factory(TriageProblemForm, formset=BaseTriageFormSet, extra=0, min_num=1, max_num=5)


class MergeForm(forms.Form):
    receipt_code = forms.CharField(label=_("Receipt code of the earlier opinion"), max_length=20)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the person who gave the opinion)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class BulkTriageForm(forms.Form):
    """One decision for the rows ticked on the opinions list (the rows are read by the view)."""

    action = forms.ChoiceField(
        label=pgettext_lazy("bulk action", "Decision"),
        choices=[
            ("accept", _("Accept each as a problem")),
            ("merge", _("Mark as duplicates of an earlier opinion")),
            ("close", _("Close with a reason (not a problem)")),
        ],
    )
    manifestation = bounded.ModelChoiceField(
        label=_("Manifestation"),
        queryset=Manifestation.objects.filter(active=True),
        required=False,
        empty_label=_("each one's suggested manifestation"),
    )
    unit = UnitTreeChoiceField(
        label=_("Assign to unit"), queryset=Unit.objects.none(), required=False, empty_label=_("each one's own unit")
    )
    receipt_code = forms.CharField(label=_("Receipt code of the earlier opinion"), max_length=20, required=False)
    reason = forms.CharField(label=_("Reason or note"), max_length=2000, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        if data.get("action") == "close" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for closing the opinion."))
        if data.get("action") == "merge" and not (data.get("receipt_code") or "").strip():
            self.add_error("receipt_code", _("Give the receipt code of the earlier opinion."))
        return data


# ---------------------------------------------------------------- peer reviews


class PeerReviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PeerReview.Kind.choices)
    subject = PersonChoiceField(label=_("About"), queryset=Person.objects.none())
    content = forms.CharField(
        label=_("Problems you see"), widget=forms.Textarea(attrs={"rows": 4}), max_length=OPINION_MAX_CHARS
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        self.fields["kind"].choices = [(k, PeerReview.Kind(k).label) for k in groups]
        ids = set()
        for qs in groups.values():
            ids.update(qs.values_list("pk", flat=True))
        self.fields["subject"].queryset = Person.objects.filter(pk__in=ids).select_related("unit").order_by("staff_no")

    def clean(self):
        data = super().clean()
        kind, subject = data.get("kind"), data.get("subject")
        if kind and subject and not self.groups[kind].filter(pk=subject.pk).exists():
            self.add_error("subject", _("You cannot review this person in this kind of review."))
        return data


class AnswerForm(forms.Form):
    cause = forms.CharField(
        label=_("Cause analysis"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    manifestations = bounded.ModelMultipleChoiceField(
        label=_("Manifestations"),
        queryset=Manifestation.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(label=_("Answer"), required=False, max_length=2000)
