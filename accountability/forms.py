from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import forms as bounded

from .models import MeasureType


def _measures():
    return MeasureType.objects.filter(active=True)


class ProposeForm(forms.Form):
    measures = bounded.ModelMultipleChoiceField(
        label=_("Proposed measures"), queryset=_measures(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measures"].queryset = _measures()


class DecideForm(forms.Form):
    measures = bounded.ModelMultipleChoiceField(
        label=_("Decided measures"), queryset=_measures(), widget=forms.CheckboxSelectMultiple
    )
    deciding_body = forms.CharField(label=_("Deciding body"), max_length=100)
    decided_on = bounded.DateField(label=_("Decided on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measures"].queryset = _measures()
        self.fields["decided_on"].initial = timezone.localdate()


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=_("Statement of the person"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the case is not pursued"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
