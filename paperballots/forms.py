from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evaluations.models import EvaluatorGroup

ACCEPTED = ".pdf,.jpg,.jpeg,.png,.heic,.heif,application/pdf,image/*"
MAX_FILES = 500


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(n)s files at a time.") % {"n": MAX_FILES})
        return [single(f, initial) for f in files]


class PrintForm(forms.Form):
    group = forms.ModelChoiceField(queryset=EvaluatorGroup.objects.none(), label=_("Voter group"))
    count = forms.IntegerField(label=pgettext_lazy("paper sheets", "Sheets"), min_value=1, max_value=2000)
    record_issued = forms.BooleanField(
        label=_("Record these sheets as paper ballots issued"), required=False, initial=True
    )

    def __init__(self, *args, evaluation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = evaluation.groups.all()


class UploadForm(forms.Form):
    group = forms.ModelChoiceField(queryset=EvaluatorGroup.objects.none(), label=_("Voter group"))
    label = forms.CharField(label=pgettext_lazy("paper", "Batch"), max_length=60, required=False)
    files = MultipleFileField(label=_("Scanned PDF or photos"))
    keep_images = forms.BooleanField(
        label=_("Keep the page images sealed until the round closes (otherwise they are deleted once checked)"),
        required=False,
    )

    def __init__(self, *args, evaluation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = evaluation.groups.all()
