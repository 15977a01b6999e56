"""The audit log page: browse and filter the trail the user may see."""

from django.core.paginator import Paginator
from django.shortcuts import render

from .forms import AuditFilterForm
from .selectors import choices_for, filter_records, records_for, sees_everything, type_label
from .services import audit_verify
from .vocabulary import action_label, key_label, value_label


def index(request):
    qs = records_for(request.user)
    actions, types = choices_for(qs)
    form = AuditFilterForm(request.GET or None, actions=actions, object_types=types)
    filters = form.cleaned_data if form.is_valid() else {}
    records = filter_records(qs, **{k: v for k, v in filters.items() if v})
    page = Paginator(records.only(*LIST_FIELDS), 50).get_page(request.GET.get("page"))
    for rec in page:
        rec.change_rows = change_rows(rec.changes, rec.action)
        rec.type_label = type_label(rec.object_type)
        rec.action_label = action_label(rec.action)
    query = request.GET.copy()
    query.pop("page", None)
    chain = None
    if request.GET.get("verify") and sees_everything(request.user):
        chain = audit_verify()
    return render(
        request,
        "audit/index.html",
        {
            "form": form,
            "page": page,
            "querystring": query.urlencode(),
            "may_verify": sees_everything(request.user),
            "chain": chain,
        },
    )


def change_rows(changes, action: str = "") -> list[tuple[str, str, str | None]]:
    """(field, before, after) for a {field: [before, after]} diff; (key, value, None) for other details."""
    if not isinstance(changes, dict):
        return [("", str(changes), None)]
    rows = []
    for k, v in changes.items():
        if isinstance(v, list) and len(v) == 2:
            before, after = ("—" if x in (None, "") else value_label(action, x) for x in v)
            rows.append((key_label(action, k), before, after))
        else:
            rows.append((key_label(action, k), value_label(action, v), None))
    return rows


LIST_FIELDS = [
    "seq",
    "at",
    "actor",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "unit",
    "changes",
]
