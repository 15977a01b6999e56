from django.contrib import admin

from .models import MeasureType


@admin.register(MeasureType)
class MeasureTypeAdmin(admin.ModelAdmin):
    """The configurable list of accountability measures (domain.md §7)."""

    list_display = ["name", "blocks_commendation", "sort_order", "active"]
    list_editable = ["blocks_commendation", "sort_order", "active"]
