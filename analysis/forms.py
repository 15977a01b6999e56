"""Forms of the analysis pages: parsing and validation only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AnalysisReport, LedgerExport, TypicalCase


class ReportForm(forms.Form):
    """Title and the narrative sections (one text area each; empty = generated from the figures)."""

    title = forms.CharField(label=_("Title"), max_length=200)

    def __init__(self, *args, placeholders: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        placeholders = placeholders or {}
        for key, label in AnalysisReport.SECTIONS:
            self.fields[f"n_{key}"] = forms.CharField(
                label=label,
                required=False,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 4, "placeholder": placeholders.get(key, "")}),
            )

    def narratives(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"n_{key}", "") for key, _label in AnalysisReport.SECTIONS}


class TypicalCaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TypicalCase.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    text = forms.CharField(label=_("Description"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Ledger"), choices=LedgerExport.Kind.choices)
    layout = forms.ChoiceField(label=_("Layout"), choices=LedgerExport.Layout.choices)
    unit = forms.ModelChoiceField(label=_("Units"), queryset=None, empty_label=None)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class ImportStartForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
    default_unit = forms.ModelChoiceField(label=_("Unit for rows that name none"), queryset=None, required=False)
    default_channel = forms.ChoiceField(label=_("Channel for rows that name none"), choices=())
    split_measures = forms.BooleanField(
        label=_("Split 一是/二是/三是 in one cell into separate measures"), required=False
    )
    plans_approved = forms.BooleanField(
        label=_("The ledger is the plan already approved: its measures count on the dashboards at once"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, units=None, **kwargs):
        from problems.models import Channel

        super().__init__(*args, **kwargs)
        self.fields["default_unit"].queryset = units
        self.fields["default_channel"].choices = Channel.choices


class ImportMappingForm(forms.Form):
    """One select per field: which column holds it (or none)."""

    def __init__(self, *args, header=(), sheets=(), units=None, **kwargs):
        from openpyxl.utils import get_column_letter

        from problems.models import Channel

        from .imports import FIELDS

        super().__init__(*args, **kwargs)
        columns = [("", "—")] + [
            (str(i), f"{get_column_letter(i + 1)} · {label}"[:60]) for i, label in enumerate(header)
        ]
        self.fields["sheet"] = forms.ChoiceField(label=_("Sheet"), choices=[(s, s) for s in sheets])
        for key, (label, _synonyms) in FIELDS.items():
            self.fields[f"col_{key}"] = forms.ChoiceField(label=label, choices=columns, required=False)
        self.fields["default_unit"] = forms.ModelChoiceField(
            label=_("Unit for rows that name none"), queryset=units, required=False
        )
        self.fields["default_channel"] = forms.ChoiceField(
            label=_("Channel for rows that name none"), choices=Channel.choices
        )
        self.fields["split_measures"] = forms.BooleanField(
            label=_("Split 一是/二是/三是 in one cell into separate measures"), required=False
        )
        self.fields["plans_approved"] = forms.BooleanField(
            label=_("The ledger is the plan already approved: its measures count on the dashboards at once"),
            required=False,
        )

    def mapping(self) -> dict[str, int]:
        from .imports import FIELDS

        return {
            k: int(self.cleaned_data[f"col_{k}"]) for k in FIELDS if self.cleaned_data.get(f"col_{k}") not in ("", None)
        }


class StatusWordForm(forms.Form):
    word = forms.CharField(label=_("Word as written in the ledger"), max_length=40)
    state = forms.ChoiceField(label=_("Means"), choices=())

    def __init__(self, *args, **kwargs):
        from .models import StatusWord

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = StatusWord.State.choices
