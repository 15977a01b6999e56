"""Form fields that refuse what the database or the calendar cannot hold, instead of failing with a
server error: ids beyond a 64-bit integer (`manifestations=99999999999999999999`) and dates whose
time-zone conversion leaves Python's range (`date_from=0001-01-01`)."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

# Every date a person of this system may type: a campaign, a deadline, a filter. Outside it the
# conversions to and from UTC overflow, and nothing real happens there.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
MAX_ID = 2**63 - 1


def id_in_range(value) -> bool:
    """True when `value` (a submitted id) is blank or not a number (the field says why), or a number a
    database key can hold."""
    try:
        n = int(str(value).strip())
    except ValueError:
        return True
    return 0 <= n <= MAX_ID


def id_or_none(value) -> int | None:
    """A submitted id as an int, or None when it is blank, not a number or beyond what a key can hold
    (for views that read an id straight from request.POST)."""
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 0 < n <= MAX_ID else None


class DateField(forms.DateField):
    """A date between MIN_DATE and MAX_DATE (or narrower bounds given as min_date/max_date)."""

    def __init__(self, *args, min_date: date = MIN_DATE, max_date: date = MAX_DATE, **kwargs):
        self.min_date, self.max_date = min_date, max_date
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not (self.min_date <= value <= self.max_date):
            raise ValidationError(
                _("Enter a date between %(min)s and %(max)s."),
                code="date_range",
                params={"min": self.min_date.isoformat(), "max": self.max_date.isoformat()},
            )


class ModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose out-of-range ids are an invalid choice, not a database error."""

    def to_python(self, value):
        if value not in self.empty_values and not id_in_range(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose out-of-range ids are an invalid choice, not a database error."""

    def _check_values(self, value):
        for v in value:
            if not id_in_range(v):
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": v})
        return super()._check_values(value)


class DateTimeField(forms.DateTimeField):
    """A date and time whose day lies between MIN_DATE and MAX_DATE."""

    def validate(self, value):
        super().validate(value)
        if value and not (MIN_DATE <= value.date() <= MAX_DATE):
            raise ValidationError(
                _("Enter a date between %(min)s and %(max)s."),
                code="date_range",
                params={"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
            )


def formfield(model_field, **kwargs):
    """`formfield_callback` for ModelForms (Meta.formfield_callback = bounded.formfield): the model's dates,
    foreign keys and many-to-many fields become the bounded fields above, and integers get the bounds of
    a 64-bit column when the model gives none (SQLite does not say)."""
    from django.db import models

    if isinstance(model_field, models.DateTimeField):
        kwargs.setdefault("form_class", DateTimeField)
    elif isinstance(model_field, models.DateField):
        kwargs.setdefault("form_class", DateField)
    elif isinstance(model_field, models.ForeignKey):
        kwargs.setdefault("form_class", ModelChoiceField)
    elif isinstance(model_field, models.ManyToManyField):
        kwargs.setdefault("form_class", ModelMultipleChoiceField)
    field = model_field.formfield(**kwargs)
    if isinstance(field, forms.IntegerField):
        if field.min_value is None:
            field.min_value = -MAX_ID
            field.validators.append(MinValueValidator(-MAX_ID))
        if field.max_value is None:
            field.max_value = MAX_ID
            field.validators.append(MaxValueValidator(MAX_ID))
    return field
