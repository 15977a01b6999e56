"""The ledger's filters (django-filter) and a paginator that never counts past a cap."""

import django_filters
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.models import CampaignUnit, Stage
from core import forms as bounded
from core.textsearch import caseless, contains_q
from orgs.access import Perm, units_where
from orgs.models import Person, Unit

from .models import Channel, Manifestation, Opinion, Problem
from .selectors import in_subtree

SORTS = {
    "-recorded": ("-recorded_at", "-id"),
    "recorded": ("recorded_at", "id"),
    "unit": ("unit__path", "-recorded_at", "-id"),
    "-severity": ("-severity_rank", "-recorded_at", "-id"),
    "status": ("status", "-recorded_at", "-id"),
    "channel": ("channel", "-recorded_at", "-id"),
}
SORT_CHOICES = [
    ("-recorded", _("Newest first")),
    ("recorded", _("Oldest first")),
    ("unit", _("By unit")),
    ("-severity", _("Most serious first")),
    ("status", _("By status")),
    ("channel", _("By channel")),
]


class UnitTreeChoiceField(bounded.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(obj.depth - 2, 0) + obj.name


class UnitTreeFilter(django_filters.ModelChoiceFilter):
    field_class = UnitTreeChoiceField


UNIT_OPTIONS_SHOWN = 300


def trim_unit_options(form) -> None:
    """A city office sees every unit of the city (7,000): as options of one select they were most of the
    ledger's time (seconds of rendering). Beyond UNIT_OPTIONS_SHOWN units the select offers the top two
    levels of the user's tree (the city and its institutions: "and below" reaches the departments) and the
    chosen unit; any unit of the user's may still be asked for (the field validates against all of them)."""
    field = form.fields["unit"]
    units = field.queryset
    if units.count() <= UNIT_OPTIONS_SHOWN:
        return
    top = units.order_by("depth").values_list("depth", flat=True).first()
    chosen = form.data.get(form.add_prefix("unit")) if form.is_bound else None
    shown = units.filter(Q(depth__lte=top + 1) | Q(pk=chosen if str(chosen or "").isdigit() else None))
    field.widget.choices = [("", field.empty_label), *((u.pk, field.label_from_instance(u)) for u in shown)]


class UnitScopedFilterSet(django_filters.FilterSet):
    """A filter set whose `unit` offers the units where the user holds `unit_permission` (the top of a city's
    tree only, `trim_unit_options`) and whose `campaign`, if it has one, offers the campaigns given."""

    unit_permission: str

    def __init__(self, *args, user, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaigns is not None:
            self.filters["campaign"].queryset = campaigns
        units = units_where(user, self.unit_permission)
        self.filters["unit"].queryset = Unit.objects.filter(pk__in=units).order_by("path")

    @property
    def form(self):
        fresh = not hasattr(self, "_form")
        form = super().form
        if fresh:
            trim_unit_options(form)
        return form


# A search naming more people than this (a surname alone) matches them through a sub-query instead of a list.
SEARCH_PEOPLE_LISTED = 500


class ProblemFilter(UnitScopedFilterSet):
    unit_permission = Perm.PROBLEM_VIEW
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=None)
    unit = UnitTreeFilter(label=_("Unit (and below)"), queryset=None, method="filter_unit")
    subject_kind = django_filters.ChoiceFilter(label=_("Subject"), choices=Problem.SubjectKind.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    manifestation = django_filters.ModelChoiceFilter(
        label=_("Manifestation"), queryset=Manifestation.objects.all(), method="filter_manifestation"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Problem.Status.choices)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Problem.Severity.choices)
    stage = django_filters.ChoiceFilter(label=_("Stage of the unit"), choices=Stage.choices, method="filter_stage")
    sort = django_filters.ChoiceFilter(label=_("Sort"), choices=SORT_CHOICES, method="filter_sort", empty_label=None)

    class Meta:
        model = Problem
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        value = value.strip()[:100]
        if not value:
            return qs
        # The people by key, not a join (the join made PostgreSQL hash every person of the city per search),
        # and as a list of ids read once: a sub-query in the OR kept PostgreSQL from combining the trigram
        # indexes of description and cause (problems migration 0005) with the person index, so every search
        # read the whole ledger, and the people were searched again by the count and by the page.
        # A term without letters of two cases (Chinese, digits) is matched as it is: UPPER() of 200,000 names
        # was half of the people's search (93 → 42 ms on the full city), for the same people.
        people = Person.objects.filter(**{"name__contains" if caseless(value) else "name__icontains": value})
        people = people.order_by().values_list("pk", flat=True)  # any order: no join to the units to sort them
        listed = list(people[: SEARCH_PEOPLE_LISTED + 1])
        by_person = Q(subject_person__in=listed if len(listed) <= SEARCH_PEOPLE_LISTED else people)
        # On SQLite the text through its trigram index (core.textsearch; problems migration 0006), same rows.
        return qs.filter(
            contains_q(Problem, value, ["description", "cause"], cap=CappedPaginator.CAP, using=qs.db) | by_person
        )

    def filter_unit(self, qs, name, value):
        return in_subtree(qs, value, self.form.cleaned_data.get("campaign"))

    def filter_manifestation(self, qs, name, value):
        return qs  # applied by `filter_queryset`, after every other filter, in two shapes: `qs` and `qs_to_count`

    def filter_queryset(self, queryset):
        """Every filter; the manifestation last, in the shape that suits each use of the rows.

        `qs` (the page, the export, the grouped counts) tests each problem: EXISTS a link to the manifestation,
        so a page walks the index of its order and stops after the page. `qs_to_count` (the capped count) joins
        the manifestation's links instead, one row per problem (a problem links a manifestation once, by the
        through table's unique pair): SQLite then reads the links in problem order and stops at the cap, where
        the EXISTS made it test problem after problem, about 66,000 of a city's 300,000 for the 10,001 it counts
        (one manifestation in 15%: 70–110 → 11–21 ms). PostgreSQL merges the links, in problem order from their
        index by manifestation (problems migration 0007), with the problems' key: 12 → 7–9 ms on a vacuumed city,
        and before the first vacuum 50–110 → 20–30 ms, where it had hashed all 45,000 links of the manifestation."""
        qs = super().filter_queryset(queryset)
        chosen = self.form.cleaned_data.get("manifestation")
        if chosen is None:
            self._to_count = qs
            return qs
        self._to_count = qs.filter(manifestations=chosen)
        through = Problem.manifestations.through
        return qs.filter(Exists(through.objects.filter(problem_id=OuterRef("pk"), manifestation_id=chosen.pk)))

    @property
    def qs_to_count(self):
        """The rows of `qs`, shaped for counting them (see `filter_queryset`); in no order."""
        qs = self.qs
        return self._to_count if self.is_bound else qs

    def filter_stage(self, qs, name, value):
        return qs.filter(
            Exists(
                CampaignUnit.objects.filter(
                    campaign_id=OuterRef("campaign_id"), unit_id=OuterRef("unit_id"), stage=value
                )
            )
        )

    def filter_sort(self, qs, name, value):
        return qs  # applied by `ordered`, after every filter

    def ordered(self, qs):
        key = self.form.cleaned_data.get("sort") if self.is_bound and self.form.is_valid() else None
        order = SORTS.get(key or "-recorded", SORTS["-recorded"])
        if "-severity_rank" in order:
            from django.db.models import Case, IntegerField, Value, When

            qs = qs.annotate(
                severity_rank=Case(
                    When(severity=Problem.Severity.HIGH, then=Value(3)),
                    When(severity=Problem.Severity.MEDIUM, then=Value(2)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        return qs.order_by(*order)


# 待办 (waiting for triage) and 已办 (every decided one), then each decision apart
OPINION_DONE = "done"
OPINION_TABS = [
    (Opinion.Status.NEW, pgettext_lazy("work list", "To do")),
    (OPINION_DONE, pgettext_lazy("work list", "Done")),
    *[(s, label) for s, label in Opinion.Status.choices if s != Opinion.Status.NEW],
]


class OpinionFilter(UnitScopedFilterSet):
    unit_permission = Perm.OPINION_TRIAGE
    status = django_filters.ChoiceFilter(label=_("Status"), choices=OPINION_TABS, method="filter_status")
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Opinion.Source.choices)
    unit = UnitTreeFilter(label=_("Unit (and below)"), queryset=None, method="filter_unit")
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")

    class Meta:
        model = Opinion
        fields: list[str] = []

    def filter_unit(self, qs, name, value):
        return qs.filter(unit__path__startswith=value.path)

    def filter_status(self, qs, name, value):
        if value == OPINION_DONE:
            return qs.exclude(status=Opinion.Status.NEW)
        return qs.filter(status=value)

    def filter_q(self, qs, name, value):
        value = value.strip()[:100]
        # No trigram index here (unlike the ledger's search, core.textsearch): an office's opinions are its
        # institution's share of the city's, short, and read whole in 8–11 ms at 33,000; the index, which cannot
        # keep to the office's units, handed over every match of the city (a phrase in all: 54–91 ms).
        return qs.filter(Q(content__icontains=value) | Q(receipt_code=value.upper())) if value else qs


class CappedPaginator(Paginator):
    """Counts at most CAP rows (SELECT COUNT(*) FROM (… LIMIT CAP+1)); beyond that it says "CAP+"."""

    CAP = 10_000

    def __init__(self, object_list, per_page, *, counted=None, **kwargs):
        """`counted`: the same rows as `object_list` in a shape cheaper to count (ProblemFilter.qs_to_count)."""
        super().__init__(object_list, per_page, **kwargs)
        self.counted = object_list if counted is None else counted

    @cached_property
    def count(self):
        return self.counted.order_by()[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP
