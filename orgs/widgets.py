"""The person picker: type a name, staff number, unit or post and pick from the hits (HTMX search on
orgs:person_search). Use PersonPickerField in place of a ModelChoiceField over Person; the field's
queryset still decides what may be chosen, the search only helps to find it."""

from django import forms
from django.urls import reverse

from core import forms as bounded

from .models import Person, Post


class PersonPickerWidget(forms.Widget):
    template_name = "orgs/widgets/person_picker.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        person = None
        if value not in (None, "") and str(value).strip().isdigit() and bounded.id_in_range(value):
            person = Person.objects.select_related("unit").filter(pk=value).first()
        context["widget"].update(
            {
                "search_url": reverse("orgs:person_search"),
                "chosen": person_label(person, list(person.posts.all())) if person else "",
                "value": person.pk if person else "",
            }
        )
        return context


class PersonPickerField(bounded.ModelChoiceField):
    widget = PersonPickerWidget

    def label_from_instance(self, obj: Person) -> str:
        return person_label(obj)


def person_label(person: Person, posts: list[Post] | None = None) -> str:
    """姓名（工号）· 单位 · 职务: enough to tell two 张伟 apart."""
    post = posts[0] if posts else None
    role = (post.title or post.get_kind_display()) if post else person.title
    return " · ".join(part for part in (f"{person.name}（{person.staff_no}）", person.unit.name, role) if part)
