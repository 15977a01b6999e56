"""The audit log page: browse and filter the trail the user may see."""

from django.core.paginator import Paginator
from django.shortcuts import render

from .forms import AuditFilterForm
from .selectors import choices_for, filter_records, records_for, sees_everything, type_label
from .services import audit_verify


def index(request):
    qs = records_for(request.user)
    actions, types = choices_for(qs)
    form = AuditFilterForm(request.GET or None, actions=actions, object_types=types)
    filters = form.cleaned_data if form.is_valid() else {}
    records = filter_records(qs, **{k: v for k, v in filters.items() if v})
    page = Paginator(records.only(*LIST_FIELDS), 50).get_page(request.GET.get("page"))
    for rec in page:
        rec.change_rows = change_rows(rec.changes)
        rec.type_label = type_label(rec.object_type)
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


def change_rows(changes) -> list[tuple[str, str, str | None]]:
    """(field, before, after) for a {field: [before, after]} diff; (key, value, None) for other details."""
    if not isinstance(changes, dict):
        return [("", str(changes), None)]
    rows = []
    for k, v in changes.items():
        if isinstance(v, list) and len(v) == 2:
            rows.append((k, "—" if v[0] in (None, "") else str(v[0]), "—" if v[1] in (None, "") else str(v[1])))
        else:
            rows.append((k, str(v), None))
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
