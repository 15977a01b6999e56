from django import forms
from django.utils.translation import gettext_lazy as _

from core import forms as bounded
from orgs.access import Perm, units_where
from orgs.models import Unit

from .models import Campaign

DATE_FIELDS = (
    "start_date",
    "finding_due",
    "meeting_due",
    "evaluation_due",
    "rectification_due",
    "milestone_3m",
    "milestone_6m",
)


class UnitChoiceField(bounded.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(obj.depth - 2, 0) + obj.name


class CampaignForm(forms.ModelForm):
    units = UnitChoiceField(
        label=_("Participating units"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        formfield_callback = bounded.formfield
        model = Campaign
        fields = ("name", "institution", *DATE_FIELDS, "peer_review_anonymous")
        widgets = {f: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") for f in DATE_FIELDS}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        institutions = units_where(user, Perm.CAMPAIGN_MANAGE).filter(kind=Unit.Kind.INSTITUTION)
        if self.instance.pk:
            del self.fields["institution"]
            scope = Unit.objects.filter(pk=self.instance.institution_id) | Unit.objects.filter(
                institution_id=self.instance.institution_id
            )
            self.initial.setdefault("units", list(self.instance.participants.values_list("unit_id", flat=True)))
        else:
            self.fields["institution"].queryset = institutions
            if institutions.count() == 1:
                self.initial.setdefault("institution", institutions.first().pk)
            scope = Unit.objects.filter(pk__in=institutions) | Unit.objects.filter(institution__in=institutions)
        self.fields["units"].queryset = scope.filter(active=True).order_by("path")

    def clean(self):
        data = super().clean()
        institution = data.get("institution") or getattr(self.instance, "institution", None)
        units = data.get("units") or []
        if institution is not None:
            outside = [u.name for u in units if u.pk != institution.pk and u.institution_id != institution.pk]
            if outside:
                raise forms.ValidationError(
                    _("These units do not belong to the institution: %(units)s") % {"units": "、".join(outside)}
                )
        return data
