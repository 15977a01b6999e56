"""Pages of paper ballots read by machine, for the office of the round: print sheets, upload scans,
decide doubts, submit, and the second person's check. Every object is loaded through selectors."""

import uuid
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ServiceError
from evaluations.models import Evaluation, FreeText
from evaluations.selectors import get_evaluation_for_user

from . import layout as L
from . import selectors, services
from .forms import PrintForm, UploadForm
from .models import Reading, RejectedPage, ScanBatch


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _refused(request, e: ServiceError) -> None:
    messages.error(request, " ".join([e.message, *e.details]))


def round_page(request, pk):
    ev = get_evaluation_for_user(request.user, pk, write=True)
    services.images_purge()  # also releases the held texts of tallied rounds
    return render(
        request,
        "paperballots/round.html",
        {
            "ev": ev,
            "batches": selectors.batches_for_round(ev),
            "print_form": PrintForm(evaluation=ev),
            "upload_form": UploadForm(evaluation=ev),
            "can_print": ev.status in (Evaluation.Status.DRAFT, Evaluation.Status.OPEN),
            "can_upload": ev.status in (Evaluation.Status.OPEN, Evaluation.Status.CLOSED),
        },
    )


@require_POST
def print_sheets(request, pk):
    ev = get_evaluation_for_user(request.user, pk, write=True)
    form = PrintForm(request.POST, evaluation=ev)
    if not form.is_valid():
        messages.error(request, _("Choose a group and how many sheets (1 to 2000)."))
        return redirect("paperballots:round", pk=ev.pk)
    d = form.cleaned_data
    try:
        pdf = services.sheets_print(
            actor=request.user, evaluation=ev, group=d["group"], count=d["count"], record_issued=d["record_issued"]
        )
    except ServiceError as e:
        _refused(request, e)
        return redirect("paperballots:round", pk=ev.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{ev.name}-{d['group'].name}-{d['count']}.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return _no_store(response)


@require_POST
def upload(request, pk):
    ev = get_evaluation_for_user(request.user, pk, write=True)
    form = UploadForm(request.POST, request.FILES, evaluation=ev)
    if not form.is_valid():
        messages.error(request, _("Choose the group and the files to upload."))
        return redirect("paperballots:round", pk=ev.pk)
    d = form.cleaned_data
    try:
        batch = services.scan_upload(
            actor=request.user,
            evaluation=ev,
            group=d["group"],
            label=d["label"],
            files=d["files"],
            keep_images=d["keep_images"],
        )
    except ServiceError as e:
        _refused(request, e)
        return redirect("paperballots:round", pk=ev.pk)
    return redirect("paperballots:batch", pk=batch.pk)


def _columns(grades) -> list[dict]:
    """Each grade's label and where its bubble sits across a doubtful line's image (per cent)."""
    span = L.CROP_X1 - L.CROP_X0
    return [
        {"label": g.label, "left": round((x - L.CROP_X0) / span * 100, 2)}
        for g, x in zip(grades, L.columns_for(len(grades)))
    ]


def _batch_context(request, batch: ScanBatch) -> dict:
    grades = list(batch.evaluation.grades.all())
    ctx = {
        "batch": batch,
        "ev": batch.evaluation,
        "grades": grades,
        "columns": _columns(grades),
        "text_max": FreeText.MAX_LENGTH,
    }
    if batch.status in (ScanBatch.Status.REVIEW, ScanBatch.Status.ENTERED):
        ctx["state"] = selectors.review_state(batch)
        ctx["doubts"] = selectors.doubts(batch)
        rejected = list(batch.rejected.order_by("id"))
        numbers = {r.pk: n for n, r in enumerate(rejected, 1)}
        for r in rejected:
            r.number, r.part_of_number = numbers[r.pk], numbers.get(r.part_of_id)
        ctx["rejected"] = rejected
        ctx["incomplete"] = [r for r in rejected if r.kind == RejectedPage.Kind.SHEET and r.missing]
        ctx["one_page"] = services.form_has_one_page(batch)
        totals = services.batch_totals(batch)
        ctx["totals"] = totals
        ctx["table"] = selectors.totals_table(batch, totals)
        ctx["texts"] = selectors.text_boxes(batch, totals["spoilt_ids"])
        ctx["may_check"] = batch.status == ScanBatch.Status.ENTERED and batch.submitted_by_id != request.user.pk
    return ctx


def batch_page(request, pk):
    batch = selectors.get_scan_batch_for_user(request.user, pk)
    batch = services.scan_batch_sync(batch=batch)
    batch = selectors.get_scan_batch_for_user(request.user, pk)
    return render(request, "paperballots/batch.html", _batch_context(request, batch))


def batch_progress(request, pk):
    batch = selectors.get_scan_batch_for_user(request.user, pk)
    if batch.status not in (ScanBatch.Status.QUEUED, ScanBatch.Status.READING):
        response = HttpResponse("")
        response["HX-Refresh"] = "true"  # reading is over: show the review
        return response
    return render(request, "paperballots/_progress.html", {"batch": batch})


@require_POST
def answer_decide(request, pk):
    answer = selectors.get_answer_for_user(request.user, pk)
    choice = request.POST.get("reading", "")
    grade = None
    kind = choice
    if choice.startswith("g"):
        kind = Reading.ANSWER
        grade = get_object_or_404(answer.sheet.batch.evaluation.grades, pk=choice[1:] or 0)
    try:
        answer = services.answer_decide(actor=request.user, answer=answer, kind=kind, grade=grade)
    except ServiceError as e:
        if request.headers.get("HX-Request"):
            return HttpResponse(e.message, status=409)
        _refused(request, e)
        return redirect("paperballots:batch", pk=answer.sheet.batch_id)
    if request.headers.get("HX-Request"):
        answer = selectors.doubts(answer.sheet.batch).get(pk=answer.pk)
        grades = list(answer.sheet.batch.evaluation.grades.all())
        return render(
            request,
            "paperballots/_doubt.html",
            {"d": answer, "grades": grades, "columns": _columns(grades), "batch": answer.sheet.batch},
        )
    return redirect("paperballots:batch", pk=answer.sheet.batch_id)


def _uuid(text):
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


@require_POST
def rejected_decide(request, pk):
    page = selectors.get_rejected_for_user(request.user, pk)
    try:
        decision, sheet = request.POST.get("decision", ""), None
        if decision == RejectedPage.Decision.PART:
            sheet = page.batch.rejected.filter(pk=_uuid(request.POST.get("sheet"))).first()
        services.rejected_decide(actor=request.user, page=page, decision=decision, sheet=sheet)
    except ServiceError as e:
        _refused(request, e)
    return redirect(reverse("paperballots:batch", args=[page.batch_id]) + "#rejected")


@require_POST
def submit(request, pk):
    batch = selectors.get_scan_batch_for_user(request.user, pk)
    try:
        batch = services.scan_batch_submit(actor=request.user, batch=batch)
    except ServiceError as e:
        _refused(request, e)
        return redirect("paperballots:batch", pk=batch.pk)
    batch.evaluation.refresh_from_db()
    if batch.evaluation.status == Evaluation.Status.VOID:
        messages.error(request, batch.evaluation.void_reason)
    else:
        messages.success(request, _("The batch was entered; a second person must now check it."))
    return redirect("paperballots:batch", pk=batch.pk)


@require_POST
def check(request, pk):
    batch = selectors.get_scan_batch_for_user(request.user, pk)
    approve = request.POST.get("approve") == "on"
    try:
        services.scan_batch_check(actor=request.user, batch=batch, approve=approve, note=request.POST.get("note", ""))
    except ServiceError as e:
        _refused(request, e)
        return redirect("paperballots:batch", pk=batch.pk)
    if approve:
        messages.success(request, _("Checked: the batch counts, and its images have been deleted."))
    else:
        messages.info(request, _("Sent back for correction."))
    return redirect("paperballots:batch", pk=batch.pk)


@require_POST
def discard(request, pk):
    batch = selectors.get_scan_batch_for_user(request.user, pk)
    try:
        services.scan_batch_discard(actor=request.user, batch=batch)
    except ServiceError as e:
        _refused(request, e)
        return redirect("paperballots:batch", pk=batch.pk)
    messages.info(request, _("The batch was discarded; its sheets may be scanned again."))
    return redirect("paperballots:round", pk=batch.evaluation_id)


@require_POST
def text_type(request, pk):
    box = selectors.get_text_for_user(request.user, pk)
    try:
        services.text_type(actor=request.user, box=box, text=request.POST.get("text", ""))
    except ServiceError as e:
        _refused(request, e)
    return redirect(reverse("paperballots:batch", args=[box.sheet.batch_id]) + "#texts")


def text_crop(request, pk):
    box = selectors.get_text_for_user(request.user, pk)
    if not box.crop:
        return HttpResponse(status=404)
    return _no_store(HttpResponse(bytes(box.crop), content_type="image/png"))


def answer_crop(request, pk):
    answer = selectors.get_answer_for_user(request.user, pk)
    if not answer.crop:
        return HttpResponse(status=404)
    return _no_store(HttpResponse(bytes(answer.crop), content_type="image/png"))


def rejected_thumb(request, pk):
    page = selectors.get_rejected_for_user(request.user, pk)
    if not page.thumb:
        return HttpResponse(status=404)
    return _no_store(HttpResponse(bytes(page.thumb), content_type="image/jpeg"))
