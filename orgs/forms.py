"""Forms of the organisation pages: parsing and validation only (saving is in services)."""

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import forms as bounded

from .models import Person, Post, RoleAssignment, Unit


class UnitChoiceField(bounded.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return "　" * obj.depth + obj.name


class UnitForm(forms.ModelForm):
    parent = UnitChoiceField(queryset=Unit.objects.none(), required=False, label=_("parent unit"))

    class Meta:
        formfield_callback = bounded.formfield
        model = Unit
        fields = ["name", "short_name", "code", "kind", "parent", "sort_order"]

    def __init__(self, *args, managed=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = managed if managed is not None else Unit.objects.none()
        inst = self.instance
        if inst.pk:
            # A unit cannot move under itself; its current parent stays selectable even if not managed.
            qs = qs.exclude(path__startswith=inst.path)
            if inst.parent_id:
                qs = (qs | Unit.objects.filter(pk=inst.parent_id)).distinct()
        self.fields["parent"].queryset = qs.order_by("path")
        self.fields["code"].help_text = _("A unique code, e.g. the unit's number in the staff system.")


class PersonForm(forms.ModelForm):
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))

    class Meta:
        formfield_callback = bounded.formfield
        model = Person
        fields = ["name", "staff_no", "unit", "gender", "birth_date", "title", "is_party_member", "phone", "email"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {"name": _("Full name")}

    def __init__(self, *args, managed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (managed if managed is not None else Unit.objects.none()).order_by("path")

    def validate_unique(self):
        # Uniqueness of the staff number is checked by the service (with a clear message).
        pass


class PostForm(forms.Form):
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    kind = forms.ChoiceField(choices=Post.Kind.choices, label=_("post"))
    title = forms.CharField(max_length=60, required=False, label=pgettext_lazy("job title", "title"))
    start_date = bounded.DateField(required=False, label=_("since"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, managed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (managed if managed is not None else Unit.objects.none()).order_by("path")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=RoleAssignment.Role.choices, label=_("role"))
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    include_subunits = forms.BooleanField(required=False, initial=True, label=_("includes sub-units"))

    def __init__(self, *args, managed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (managed if managed is not None else Unit.objects.none()).order_by("path")


class SupervisionForm(forms.Form):
    leader = bounded.ModelChoiceField(queryset=Person.objects.none(), required=False, label=_("supervising leader"))

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = candidates if candidates is not None else Person.objects.none()
        self.fields["leader"].empty_label = _("— none (falls back to the unit above) —")


class PeopleFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    unit = UnitChoiceField(queryset=Unit.objects.none(), required=False, label=_("unit"))
    post = forms.ChoiceField(choices=[("", _("any post"))] + list(Post.Kind.choices), required=False, label=_("post"))
    active = forms.ChoiceField(
        choices=[("1", _("Active people")), ("0", _("Deactivated people")), ("all", _("Everyone"))],
        required=False,
        label=_("status"),
    )

    def __init__(self, *args, managed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (managed if managed is not None else Unit.objects.none()).order_by("path")
        self.fields["unit"].empty_label = _("all units")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


class SitePasswordChangeForm(PasswordChangeForm):
    """Django's password change (old password checked, AUTH_PASSWORD_VALIDATORS applied) that also
    refuses the current password as the new one: an issued password must not survive the first log-in."""

    def clean(self):
        cleaned = super().clean()
        new = cleaned.get("new_password2")
        if new and self.user.check_password(new):
            self.add_error(
                "new_password2",
                forms.ValidationError(
                    _("The new password must differ from the one you log in with now (the issued password)."),
                    code="password_unchanged",
                ),
            )
        return cleaned


class BulkLoginForm(forms.Form):
    """Bulk account issue: which unit (and below), and whether to reset logins that already exist."""

    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    reset_existing = forms.BooleanField(
        label=_("Also reset the passwords of people who already have an account"), required=False
    )
    send_email = forms.BooleanField(
        label=_("Also e-mail each person their log-in where an e-mail address is known"), required=False, initial=True
    )

    def __init__(self, *args, managed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = managed if managed is not None else Unit.objects.none()
