from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.models import Campaign
from core import forms as bounded
from orgs.models import Person, Unit

from .fractions_text import fraction_parse, fraction_text
from .models import (
    Evaluation,
    EvaluationItem,
    EvaluationTarget,
    EvaluatorGroup,
    Grade,
    PassRule,
    PublicRating,
    ScalePreset,
    ScoreBand,
)


class EvaluationCreateForm(forms.Form):
    campaign = bounded.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=Evaluation.Kind.choices)
    scale_preset = forms.ChoiceField(label=_("Scale"), choices=ScalePreset.choices)
    include_unknown = forms.BooleanField(label=_("Offer “don't know” (not a valid vote)"), required=False)
    custom_grades = forms.CharField(
        label=_("Custom grades"),
        required=False,
        help_text=_("For a custom scale: one grade per line, best first, e.g. “认可 100”."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opens_on = bounded.DateField(label=_("Opens on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = bounded.DateField(label=_("Closes on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns if campaigns is not None else Campaign.objects.none()

    def clean_custom_grades(self):
        lines = [ln.split() for ln in self.cleaned_data["custom_grades"].splitlines() if ln.strip()]
        grades = []
        for i, parts in enumerate(lines):
            score = None
            if len(parts) > 1:
                try:
                    score = float(parts[-1])
                    parts = parts[:-1]
                except ValueError:
                    score = None
            grades.append(
                {"label": " ".join(parts)[:30], "score": score, "satisfied": i == 0, "low": i == len(lines) - 1}
            )
        return grades

    def clean(self):
        data = super().clean()
        if data.get("scale_preset") == ScalePreset.CUSTOM and len(data.get("custom_grades") or []) < 2:
            self.add_error("custom_grades", _("A custom scale needs at least two grades."))
        return data


class TargetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvaluationTarget.Kind.choices)
    unit = bounded.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    person = bounded.ModelChoiceField(
        label=_("Person (for an individual)"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, *args, institution=None, **kwargs):
        super().__init__(*args, **kwargs)
        if institution is not None:
            self.fields["unit"].queryset = Unit.objects.filter(path__startswith=institution.path, active=True)
            self.fields["person"].queryset = Person.objects.filter(
                unit__path__startswith=institution.path, active=True, posts__isnull=False
            ).distinct()


class ItemForm(forms.ModelForm):
    class Meta:
        model = EvaluationItem
        formfield_callback = bounded.formfield
        fields = ["text", "applies_to", "is_overall"]


class GradeForm(forms.ModelForm):
    class Meta:
        model = Grade
        formfield_callback = bounded.formfield
        fields = ["label", "score", "is_valid", "is_satisfied", "is_low"]


class GroupForm(forms.ModelForm):
    class Meta:
        model = EvaluatorGroup
        formfield_callback = bounded.formfield
        fields = ["kind", "name", "planned", "minimum", "entitled", "weight", "counted_apart"]


class RuleForm(forms.ModelForm):
    """How the round counts: the score, the least participation (an exact fraction), the ranking."""

    participation = forms.CharField(
        label=_("Least participation (share of those entitled)"),
        required=False,
        max_length=20,
        help_text=_("An exact share: 1/2, 2/3, 三分之二 or 80%. Empty: no minimum."),
    )

    class Meta:
        model = Evaluation
        formfield_callback = bounded.formfield
        fields = [
            "score_method",
            "participation_strict",
            "participation_per_group",
            "min_group_size_shown",
            "rank_top",
            "rank_bottom",
            "cap_grade",
            "cap_percent",
            "ask_strengths",
            "ask_weaknesses",
            "ask_suggestions",
            "opens_on",
            "closes_on",
        ]
        widgets = {
            "opens_on": forms.DateInput(attrs={"type": "date"}),
            "closes_on": forms.DateInput(attrs={"type": "date"}),
        }

    field_order = ["score_method", "participation", "participation_strict", "participation_per_group"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("rank_top", "rank_bottom"):
            self.fields[name].required = False
        if self.instance.pk:
            self.fields["cap_grade"].queryset = self.instance.grades.filter(is_valid=True)
        self.fields["cap_percent"].widget.attrs.update(min=1, max=100)
        if not self.is_bound and self.instance.participation is not None:
            self.initial["participation"] = fraction_text(self.instance.participation)

    def clean_rank_top(self):
        return self.cleaned_data["rank_top"] or 0

    def clean_rank_bottom(self):
        return self.cleaned_data["rank_bottom"] or 0

    def clean(self):
        data = super().clean()
        if bool(data.get("cap_grade")) != (data.get("cap_percent") is not None):
            raise forms.ValidationError(_("A cap needs both the grade and the percentage."))
        if data.get("cap_percent") is not None and not 1 <= data["cap_percent"] <= 100:
            self.add_error("cap_percent", _("Give a percentage between 1 and 100."))
        return data

    def clean_participation(self):
        text = self.cleaned_data["participation"].strip()
        if not text:
            return None
        value = fraction_parse(text)
        if value is None or not 0 < value <= 1:
            raise forms.ValidationError(_("Give a share between 0 and 1, e.g. 1/2 or 2/3."))
        return value


class PassRuleForm(forms.Form):
    """One rule on the ballots: a measure compared exactly with a threshold, and its consequence."""

    measure = forms.ChoiceField(label=pgettext_lazy("evaluation rule", "Measure"), choices=PassRule.Measure.choices)
    grades = bounded.ModelMultipleChoiceField(
        label=_("Grades counted"),
        queryset=Grade.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comparison = forms.ChoiceField(
        label=pgettext_lazy("evaluation rule", "Comparison"), choices=PassRule.Comparison.choices
    )
    threshold = forms.CharField(
        label=_("Threshold"), max_length=20, help_text=_("A share (1/3, 三分之一, 60%) or a score (85).")
    )
    outcome = forms.CharField(label=pgettext_lazy("evaluation rule", "Consequence"), max_length=60, required=False)
    fails = forms.BooleanField(label=_("The target does not pass"), required=False)
    proposes_case = forms.BooleanField(label=_("Proposes an accountability case"), required=False)

    def __init__(self, *args, evaluation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if evaluation is not None:
            self.fields["grades"].queryset = evaluation.grades.filter(is_valid=True)

    def clean_threshold(self):
        value = fraction_parse(self.cleaned_data["threshold"])
        if value is None:
            raise forms.ValidationError(_("The threshold must be a number or a fraction."))
        return value


class ScoreBandForm(forms.ModelForm):
    class Meta:
        model = ScoreBand
        formfield_callback = bounded.formfield
        fields = ["label", "lower", "lower_inclusive", "upper", "upper_inclusive"]


class CountForm(forms.Form):
    group = bounded.ModelChoiceField(
        label=_("Group"), queryset=EvaluatorGroup.objects.none(), empty_label=_("Choose a group")
    )
    count = forms.IntegerField(
        label=_("How many"), min_value=1, max_value=2000, widget=forms.NumberInput(attrs={"placeholder": _("How many")})
    )

    def __init__(self, *args, evaluation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if evaluation is not None:
            self.fields["group"].queryset = evaluation.groups.all()


class CodesForm(CountForm):
    fmt = forms.ChoiceField(
        label=_("Download as"),
        choices=[("pdf", _("QR slips to print (PDF)")), ("xlsx", _("List of codes (Excel)"))],
        initial="pdf",
    )


class OpenForm(forms.Form):
    split = forms.ChoiceField(
        label=_("The committee's key"),
        choices=[
            ("whole", _("One key sheet, kept by the committee chair")),
            ("shares", _("Three shares for three members: any two can close the round")),
        ],
        initial="shares",
        widget=forms.RadioSelect,
    )


class CloseForm(forms.Form):
    """The committee's key: typed or pasted, or the text file of the sheet uploaded."""

    key = forms.CharField(
        label=_("The round's key, or two of its three shares (one per line)"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    key_file = forms.FileField(label=_("…or upload the key file"), required=False)

    def clean(self):
        data = super().clean()
        text = data.get("key") or ""
        f = data.get("key_file")
        if f:
            if f.size > 10_000:
                raise forms.ValidationError(_("The key file is too large."))
            text += "\n" + f.read().decode("utf-8", "replace")
        data["text"] = text
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why the round is void"), widget=forms.Textarea(attrs={"rows": 2}))


class CheckForm(forms.Form):
    approve = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Check note"), required=False, max_length=200)


class SymposiumForm(forms.Form):
    unit = bounded.ModelChoiceField(label=_("Unit evaluated"), queryset=Unit.objects.none())
    held_on = bounded.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=120)
    host = forms.CharField(label=_("Chaired by"), max_length=60, required=False)
    attendees = forms.CharField(
        label=_("Attendance"),
        help_text=_("One person per line: name, unit or group; add * after the name of each one who spoke."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    opinions = forms.CharField(
        label=_("Opinions raised"),
        required=False,
        help_text=_("One opinion per line; start with “name:” to record who raised it."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    notes = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, institution=None, **kwargs):
        super().__init__(*args, **kwargs)
        if institution is not None:
            self.fields["unit"].queryset = Unit.objects.filter(path__startswith=institution.path, active=True)

    def clean_attendees(self):
        rows = []
        for line in self.cleaned_data["attendees"].splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if not parts[0]:
                continue
            name = parts[0]
            spoke = name.endswith("*")
            rows.append(
                {"name": name.rstrip("*").strip(), "affiliation": parts[1] if len(parts) > 1 else "", "spoke": spoke}
            )
        if not rows:
            raise forms.ValidationError(_("Record who attended."))
        return rows

    def clean_opinions(self):
        rows = []
        for line in self.cleaned_data["opinions"].splitlines():
            line = line.strip()
            if not line:
                continue
            speaker, sep, content = line.replace("：", ":").partition(":")
            if sep and len(speaker) <= 20:
                rows.append({"speaker": speaker.strip(), "content": content.strip()})
            else:
                rows.append({"speaker": "", "content": line})
        return rows


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Ballot code"), max_length=40)


class PublicRatingForm(forms.Form):
    grade = forms.ChoiceField(label=_("Your rating"), choices=PublicRating.Grade.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    answer = forms.IntegerField(label=_("Human check"))
    challenge = forms.CharField(widget=forms.HiddenInput)


class FinalGradeForm(forms.Form):
    """The deciding body's final grade of one target, and its consequences."""

    grade = forms.ChoiceField(label=_("Final grade"))
    deciding_body = forms.CharField(label=_("Deciding body"), max_length=100)
    decided_on = bounded.DateField(label=_("Decided on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Why it differs from the tally"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    bars_commendation = forms.BooleanField(label=_("Not eligible for commendation"), required=False)
    bars_promotion = forms.BooleanField(label=_("Not eligible for promotion"), required=False)
    period_months = forms.IntegerField(label=_("For (months)"), required=False, min_value=0, max_value=120)

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", _("Choose the final grade"))] + [(o, o) for o in options]

    def clean_period_months(self):
        return self.cleaned_data["period_months"] or 0


def _plain(value) -> str:
    return f"{value.normalize():f}"


class ComponentSchemeForm(forms.Form):
    """The parts of the combined final score, all at once (their weights must add up to 100%): the
    evaluation's own score, then one row per part the office enters (blank rows are ignored)."""

    evaluation_name = forms.CharField(
        label=pgettext_lazy("score component", "Name of the evaluation score"), max_length=40, required=False
    )
    evaluation_weight = forms.DecimalField(
        label=_("Weight (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    evaluation_full_marks = forms.DecimalField(
        label=_("Full marks"), max_digits=7, decimal_places=2, min_value=0, required=False
    )

    def __init__(self, *args, components=(), extra: int = 2, **kwargs):
        super().__init__(*args, **kwargs)
        own = next((c for c in components if c.is_evaluation), None)
        others = [c for c in components if not c.is_evaluation]
        self.fields["evaluation_name"].initial = own.name if own else _("Evaluation score")
        self.fields["evaluation_weight"].initial = _plain(own.weight) if own else None
        self.fields["evaluation_full_marks"].initial = _plain(own.full_marks) if own else 100
        self.rows = []
        for i in range(len(others) + extra):
            c = others[i] if i < len(others) else None
            self.fields[f"id_{i}"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput, initial=c.pk if c else None, min_value=1
            )
            self.fields[f"name_{i}"] = forms.CharField(
                label=pgettext_lazy("score component", "Part"),
                max_length=40,
                required=False,
                initial=c.name if c else "",
            )
            self.fields[f"weight_{i}"] = forms.DecimalField(
                label=_("Weight (%)"),
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=100,
                required=False,
                initial=_plain(c.weight) if c else None,
            )
            self.fields[f"full_marks_{i}"] = forms.DecimalField(
                label=_("Full marks"),
                max_digits=7,
                decimal_places=2,
                min_value=0,
                required=False,
                initial=_plain(c.full_marks) if c else 100,
            )
            self.rows.append([self[f"id_{i}"], self[f"name_{i}"], self[f"weight_{i}"], self[f"full_marks_{i}"]])

    def parts(self) -> list[dict]:
        """The rows filled in (a name or a weight), in order."""
        out = []
        for i in range(len(self.rows)):
            name = (self.cleaned_data.get(f"name_{i}") or "").strip()
            weight = self.cleaned_data.get(f"weight_{i}")
            if not name and weight is None:
                continue
            out.append(
                {
                    "id": self.cleaned_data.get(f"id_{i}"),
                    "name": name,
                    "weight": weight,
                    "full_marks": self.cleaned_data.get(f"full_marks_{i}"),
                }
            )
        return out


class ComponentImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
