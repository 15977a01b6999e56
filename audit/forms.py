from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import forms as bounded

from .selectors import type_label
from .vocabulary import action_label


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, label=_("action"))
    actor = forms.CharField(required=False, label=_("actor"))
    object_type = forms.ChoiceField(required=False, label=_("object type"))
    date_from = bounded.DateField(
        required=False, label=pgettext_lazy("date filter", "from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = bounded.DateField(
        required=False, label=pgettext_lazy("date filter", "to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actions=(), object_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        groups = sorted({a.split(".")[0] + "." for a in actions})
        self.fields["action"].choices = (
            [("", _("all actions"))] + [(g, g + "*") for g in groups] + [(a, action_label(a)) for a in actions]
        )
        self.fields["object_type"].choices = [("", _("all types"))] + [(t, type_label(t)) for t in object_types]


class AnchorSenderForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("audit anchor", "institution"), max_length=100)
    code = forms.SlugField(
        label=pgettext_lazy("audit anchor", "sender code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; the institution's operator puts it in front of the token."),
    )

    def clean_code(self):
        from .models import AnchorSender

        code = self.cleaned_data["code"].lower()
        if AnchorSender.objects.filter(code=code).exists():
            raise forms.ValidationError(_("This code is taken."))
        return code
