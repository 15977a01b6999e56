"""The plans list's filters (django-filter), as the problem ledger's: campaign, unit (and below), status."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orgs.access import Perm, units_where
from orgs.models import Unit
from problems.filters import UnitTreeFilter, trim_unit_options

from .models import RectificationPlan

# The board's order: by campaign, then down the unit tree, a unit's rounds in turn.
PLAN_ORDER = ("campaign_id", "unit__path", "round", "pk")


class PlanFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=None)
    unit = UnitTreeFilter(label=_("Unit (and below)"), queryset=None, method="filter_unit")
    # not "status": the dashboards link here with a measure's status (analysis.links.measures_url)
    plan_status = django_filters.ChoiceFilter(
        field_name="status",
        label=pgettext_lazy("rectification plan", "Status"),
        choices=RectificationPlan.Status.choices,
    )

    class Meta:
        model = RectificationPlan
        fields: list[str] = []

    def __init__(self, *args, user, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["campaign"].queryset = campaigns
        self.filters["unit"].queryset = Unit.objects.filter(pk__in=units_where(user, Perm.RECTIFICATION_VIEW)).order_by(
            "path"
        )

    @property
    def form(self):
        fresh = not hasattr(self, "_form")
        form = super().form
        if fresh:
            trim_unit_options(form)  # a city office views 7,000 units: the top two levels are offered
        return form

    def filter_unit(self, qs, name, value):
        # The subtree's units by key (a sub-query), as the ledger's unit filter, not a join to every plan's unit.
        return qs.filter(unit__in=Unit.objects.filter(path__startswith=value.path).values("pk"))
