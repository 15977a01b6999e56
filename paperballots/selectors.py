"""Reads of paper ballots read by machine, and the access functions: every object is loaded through
the round it belongs to (evaluations.selectors.get_evaluation_for_user: 404 outside the user's
institution, 403 for those who may view but not manage the round)."""

from django.http import Http404

from evaluations.selectors import get_evaluation_for_user

from .models import RejectedPage, ScanBatch, SheetAnswer, SheetText


def get_scan_batch_for_user(user, pk: int, write: bool = True) -> ScanBatch:
    batch = ScanBatch.objects.select_related("evaluation", "group", "paper_batch", "submitted_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    get_evaluation_for_user(user, batch.evaluation_id, write=write)
    return batch


def get_answer_for_user(user, pk) -> SheetAnswer:
    answer = SheetAnswer.objects.select_related("sheet__batch__evaluation").filter(pk=pk).first()
    if answer is None:
        raise Http404
    get_evaluation_for_user(user, answer.sheet.batch.evaluation_id, write=True)
    return answer


def get_rejected_for_user(user, pk) -> RejectedPage:
    page = RejectedPage.objects.select_related("batch__evaluation").filter(pk=pk).first()
    if page is None:
        raise Http404
    get_evaluation_for_user(user, page.batch.evaluation_id, write=True)
    return page


def get_text_for_user(user, pk) -> SheetText:
    box = SheetText.objects.select_related("sheet__batch__evaluation").filter(pk=pk).first()
    if box is None:
        raise Http404
    get_evaluation_for_user(user, box.sheet.batch.evaluation_id, write=True)
    return box


def text_boxes(batch: ScanBatch, spoilt_ids: set) -> list[SheetText]:
    """The free-text boxes written in, in the order of their random keys (not the scan's, not by sheet),
    each marked `spoilt` when its sheet is spoilt (its texts will not count)."""
    from evaluations.models import FreeText

    labels = dict(FreeText.Field.choices)
    boxes = list(
        SheetText.objects.filter(sheet__batch=batch)
        .select_related("target__unit", "target__person", "typed_by")
        .defer("crop")
        .order_by("id")
    )
    for b in boxes:
        b.spoilt, b.label = b.sheet_id in spoilt_ids, labels.get(b.field, b.field)
    return boxes


def batches_for_round(evaluation) -> list[ScanBatch]:
    return list(
        ScanBatch.objects.filter(evaluation=evaluation)
        .exclude(status=ScanBatch.Status.DISCARDED)
        .select_related("group", "uploaded_by", "submitted_by", "paper_batch")
    )


def doubts(batch: ScanBatch):
    """The doubtful answers of a batch, in the order of their random keys (not the scan's order); no
    sheet number anywhere."""
    return (
        SheetAnswer.objects.filter(sheet__batch=batch, doubtful=True)
        .select_related("target__unit", "target__person", "item", "grade", "machine_grade", "decided_by")
        .defer("crop")
        .order_by("id")
    )


def review_state(batch: ScanBatch) -> dict:
    answers = SheetAnswer.objects.filter(sheet__batch=batch)
    return {
        "doubtful": answers.filter(doubtful=True).count(),
        "undecided": answers.filter(doubtful=True, decided_by__isnull=True).count(),
        "corrected": sum(
            1
            for kind, grade, mkind, mgrade in answers.filter(doubtful=True, decided_by__isnull=False).values_list(
                "kind", "grade_id", "machine_kind", "machine_grade_id"
            )
            if (kind, grade) != (mkind, mgrade)
        ),
        "rejected": batch.rejected.count(),
        "rejected_undecided": batch.rejected.filter(decision="").count(),
    }


def totals_table(batch: ScanBatch, totals: dict) -> list[dict]:
    """The batch's counts as rows (target, item, count per grade) for the second person's check."""
    from evaluations.services import ballot_questions

    grades = list(batch.evaluation.grades.all())
    rows = []
    for target, items in ballot_questions(batch.evaluation):
        for item in items:
            rows.append(
                {
                    "target": target,
                    "item": item,
                    "counts": [totals["counts"].get((target.pk, item.pk, g.pk), 0) for g in grades],
                }
            )
    return rows
