"""Reads of the audit trail: who may see which records."""

from datetime import date, datetime, time

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.access import Perm, grants_for, has_any
from orgs.models import Unit

from .models import AuditRecord


def sees_everything(user) -> bool:
    """Superusers and those holding audit rights on a city office (root of the tree) see every record."""
    if user.is_superuser:
        return True
    roots = [g.unit_id for g in grants_for(user) if Perm.AUDIT_VIEW in g.perms and g.include_subunits]
    return Unit.objects.filter(pk__in=roots, kind=Unit.Kind.CITY_OFFICE, parent__isnull=True).exists()


def records_for(user) -> QuerySet[AuditRecord]:
    """The records a user may read: PermissionDenied without audit rights; an institution's office sees the
    records of its own institution; the city office sees all."""
    if not has_any(user, Perm.AUDIT_VIEW):
        raise PermissionDenied
    qs = AuditRecord.objects.all()
    if sees_everything(user):
        return qs
    from orgs.access import units_where

    units = units_where(user, Perm.AUDIT_VIEW)
    return qs.filter(Q(institution__in=units) | Q(unit__in=units))


def filter_records(
    qs: QuerySet[AuditRecord],
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditRecord]:
    """Filters of the audit page; dates are whole days in the local time zone (Asia/Shanghai)."""
    if action:
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if actor:
        qs = qs.filter(Q(actor_label__icontains=actor) | Q(actor__username=actor))
    if object_type:
        qs = qs.filter(object_type=object_type)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(at__lte=datetime.combine(date_to, time.max, tzinfo=tz))
    return qs.order_by("-seq")


def choices_for(qs: QuerySet[AuditRecord]) -> tuple[list[str], list[str]]:
    """The distinct actions and object types present (for the filter menus)."""
    actions = sorted(set(qs.order_by().values_list("action", flat=True).distinct()))
    types = sorted(set(qs.order_by().values_list("object_type", flat=True).distinct()) - {""})
    return actions, types


def type_label(object_type: str) -> str:
    """orgs.person → 人员 (the model's verbose name), or the code itself for a model that is gone."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def latest_anchor_text() -> str:
    """One sentence naming the latest anchor of the audit trail (number, time, record, seal, key), printed
    in every comprehensive analysis report so that a paper copy pins the trail's head; or saying there
    is none yet. For report code (no access check: it names no record's content)."""
    from .models import AuditAnchor

    anchor = AuditAnchor.objects.order_by("-n").first()
    if anchor is None:
        return _("Audit trail anchor: none yet (the scheduler writes one every hour the trail changes).")
    return _(
        "Audit trail anchor #%(n)s of %(at)s: record #%(seq)s, seal %(hash)s, key %(key)s. "
        "`manage.py audit_verify` checks the trail against it."
    ) % {
        "n": anchor.n,
        "at": timezone.localtime(anchor.at).strftime("%Y-%m-%d %H:%M"),
        "seq": anchor.seq,
        "hash": anchor.hash,
        "key": anchor.key_id,
    }
