"""The plans list's filters (django-filter), as the problem ledger's: campaign, unit (and below), status."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orgs.access import Perm
from orgs.models import Unit
from problems.filters import UnitScopedFilterSet, UnitTreeFilter

from .models import RectificationPlan

# The board's order: by campaign, then down the unit tree, a unit's rounds in turn.
PLAN_ORDER = ("campaign_id", "unit__path", "round", "pk")


class PlanFilter(UnitScopedFilterSet):
    unit_permission = Perm.RECTIFICATION_VIEW
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

    def filter_unit(self, qs, name, value):
        # The subtree's units by key (a sub-query), as the ledger's unit filter, not a join to every plan's unit.
        return qs.filter(unit__in=Unit.objects.filter(path__startswith=value.path).values("pk"))
