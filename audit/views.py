"""The audit log page: browse and filter the trail the user may see. The city office's end of the anchors:
the signed POSTs of institutions' instances, and the pages listing what each sent."""

import hmac
import json
import time

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from core import ratelimit

from . import anchors
from .forms import AnchorSenderForm, AuditFilterForm
from .models import AnchorSender, ReceivedAnchor
from .selectors import choices_for, filter_records, records_for, sees_everything, type_label
from .services import anchor_receive as receive_service
from .services import anchor_sender_create, audit_verify
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


# ---------------------------------------------------------------- anchors received by the city office

MAX_ANCHOR_BODY = 4096
AUTH_FAILURES = {"limit": 30, "window": 3600}  # wrong signatures per address before 429


def _city_office(request):
    if not sees_everything(request.user):
        raise PermissionDenied
    return request.user


@csrf_exempt
@require_POST
def anchor_receive(request):
    """POST /anchors/receive/ from an institution's instance (audit.anchors.deliver): JSON
    {"source", "anchor"} signed with the sender's secret. 201 stored, 200 already received, 409 stored
    but marked as a conflict, 400 not an anchor, 401 not signed by a known sender, 413 too large."""
    who = ratelimit.client_ip(request)
    if not ratelimit.peek("anchor-auth", who, **AUTH_FAILURES).allowed:
        return JsonResponse({"error": "too many failed attempts"}, status=429)
    if len(request.body) > MAX_ANCHOR_BODY:
        return JsonResponse({"error": "too large"}, status=413)
    code = request.headers.get(anchors.SENDER_HEADER, "")[:40]
    stamp = request.headers.get(anchors.TIME_HEADER, "")[:20]
    given = request.headers.get(anchors.SIGNATURE_HEADER, "")[:128]
    sender = AnchorSender.objects.filter(code=code, active=True).first()
    fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= anchors.MAX_SKEW
    expected = anchors.signature(sender.secret if sender else "-", stamp, request.body)
    if sender is None or not fresh or not hmac.compare_digest(expected, given):
        ratelimit.hit("anchor-auth", who, **AUTH_FAILURES)
        return JsonResponse({"error": "not signed by a registered sender, or too old"}, status=401)
    try:
        data = json.loads(request.body)
        received, note = receive_service(sender=sender, anchor=data.get("anchor"), source=str(data.get("source", "")))
    except (ValueError, AttributeError, TypeError, IntegrityError):
        return JsonResponse({"error": "not an anchor line"}, status=400)
    status = {"duplicate": 200, ReceivedAnchor.Note.CONFLICT: 409}.get(note, 201)
    return JsonResponse({"n": received.n, "note": note}, status=status)


def anchor_senders(request):
    """The institutions that send anchors here, with their latest; the form that registers one (its token
    is shown once, on the answer to that form)."""
    actor = _city_office(request)
    token = None
    form = AnchorSenderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sender, token = anchor_sender_create(actor=actor, **form.cleaned_data)
        form = AnchorSenderForm()
    senders = list(AnchorSender.objects.order_by("name"))
    for s in senders:
        s.latest = s.anchors.order_by("-received_at", "-pk").first()
        s.count = s.anchors.count()
        s.marked = s.anchors.exclude(note__in=["", ReceivedAnchor.Note.FIRST]).count()
    return render(request, "audit/anchor_senders.html", {"form": form, "senders": senders, "token": token})


@require_safe
def anchor_sender(request, pk: int):
    """What one institution sent, newest first."""
    _city_office(request)
    sender = get_object_or_404(AnchorSender, pk=pk)
    page = Paginator(sender.anchors.order_by("-received_at", "-pk"), 100).get_page(request.GET.get("page"))
    return render(request, "audit/anchor_sender.html", {"sender": sender, "page": page, "querystring": ""})


@require_safe
def anchor_download(request, pk: int):
    """The lines one institution sent, first received per number, oldest first: the file its operator
    gives to `manage.py audit_verify --anchors FILE`."""
    _city_office(request)
    sender = get_object_or_404(AnchorSender, pk=pk)
    first: dict[int, str] = {}
    for n, line in sender.anchors.order_by("pk").values_list("n", "line"):
        first.setdefault(n, line)
    text = "".join(first[n] + "\n" for n in sorted(first))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="anchors-{sender.code}.jsonl"'
    return response
