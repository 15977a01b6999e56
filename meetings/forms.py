from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import forms as bounded
from problems.models import Problem

from .models import LifeMeeting, MeetingMember, MemberMaterial


class PersonChoiceField(bounded.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.title or obj.unit}）" if obj.title or obj.unit_id else obj.name


class PeopleField(bounded.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.title}）" if obj.title else obj.name


class ScheduleForm(forms.Form):
    theme = forms.CharField(label=_("Theme"), max_length=200)
    date = bounded.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    place = forms.CharField(label=_("Place"), max_length=120)
    members = PeopleField(label=_("Members"), queryset=None)
    observers = PeopleField(label=_("Observers from the superior body"), queryset=None, required=False)
    secretary = PersonChoiceField(label=_("Secretary (records the meeting)"), queryset=None, required=False)
    quorum_percent = forms.IntegerField(
        label=_("Quorum (percent of members present)"), min_value=50, max_value=100, initial=67
    )
    follow_up_days = forms.IntegerField(
        label=_("Days to report to the superior and inform the staff"), min_value=1, max_value=90, initial=15
    )

    def __init__(self, *args, members_qs, observers_qs, secretary_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members_qs
        self.fields["observers"].queryset = observers_qs
        self.fields["secretary"].queryset = secretary_qs

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value < timezone.now() - timezone.timedelta(days=365):
            raise forms.ValidationError(_("The date is too far in the past."))
        return value


class MeetingEditForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounded.formfield
        model = LifeMeeting
        fields = ["theme", "date", "place", "follow_up_days"]
        widgets = {"date": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}


class TalkForm(forms.Form):
    talker = PersonChoiceField(label=_("Who"), queryset=None)
    talkee = PersonChoiceField(label=_("With whom"), queryset=None)
    talked_on = bounded.DateField(
        label=pgettext_lazy("one-to-one talk", "When"), widget=forms.DateInput(attrs={"type": "date"})
    )
    gist = forms.CharField(label=_("Gist of the talk"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["talker"].queryset = people
        self.fields["talkee"].queryset = people

    def clean(self):
        data = super().clean()
        if data.get("talker") and data.get("talker") == data.get("talkee"):
            raise forms.ValidationError(_("A one-to-one talk needs two different people."))
        return data


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("Material"), choices=MemberMaterial.Kind.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Comparison and self-examination material"),
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
        max_length=20000,
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", pgettext_lazy("material review", "Approve")), ("return", _("Return for revision"))]
    )
    comment = forms.CharField(
        label=_("Comments"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class AttendanceForm(forms.Form):
    attendance = forms.ChoiceField(choices=[("present", _("Present")), ("absent", _("Absent"))])
    reason = forms.CharField(required=False, max_length=200)


class SelfCriticismForm(forms.Form):
    text = forms.CharField(max_length=20000)


class CriticismForm(forms.Form):
    """Who criticises whom: both must be members present at the meeting."""

    from_person = PersonChoiceField(label=pgettext_lazy("meeting criticism", "From"), queryset=None)
    to_person = PersonChoiceField(label=pgettext_lazy("meeting criticism", "To"), queryset=None)
    content = forms.CharField(label=_("Criticism"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)

    def __init__(self, *args, present, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_person"].queryset = present
        self.fields["to_person"].queryset = present


class MeasureForm(forms.Form):
    content = forms.CharField(label=_("Measure agreed"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    person = PersonChoiceField(label=_("Responsible member"), queryset=None, required=False)
    problems = bounded.ModelMultipleChoiceField(
        label=_("Problems it answers"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members, problems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = members
        self.fields["problems"].queryset = problems


class ProblemForm(forms.Form):
    description = forms.CharField(label=_("Problem raised"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    subject_person = PersonChoiceField(label=_("Person concerned (empty: the unit)"), queryset=None, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Problem.Severity.choices, initial="medium")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_person"].queryset = members


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("How it was done"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MemberAddForm(forms.Form):
    person = PersonChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=pgettext_lazy("meeting member", "Role"), choices=MeetingMember.Role.choices)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
