"""Parsing and validation of the portal's forms (size limits live here and in the services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core import forms as bounded

from .services import CONTACT_MAX_LENGTH, OPINION_MAX_LENGTH


class OpinionForm(forms.Form):
    content = forms.CharField(
        label=_("Your opinion on this item"),
        max_length=OPINION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": OPINION_MAX_LENGTH}),
    )
    contact = forms.CharField(
        label=_("Contact (optional, seen only by the campaign office)"),
        max_length=CONTACT_MAX_LENGTH,
        required=False,
    )


class FollowForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail (optional: to be told when the status changes)"),
        max_length=254,
        required=False,
    )


class SnapshotForm(forms.Form):
    taken_on = bounded.DateField(
        label=_("Date of the snapshot"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
