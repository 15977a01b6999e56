"""Every write of paper ballots read by machine.

Print sheets (`sheets_print`) → upload scans (`scan_upload`, read in the background by `scan_read`)
→ a person decides every doubt (`answer_decide`, `rejected_decide`) → submit (`scan_batch_submit`:
the counts enter the round through evaluations' `paper_batch_enter`, over-return rule included) →
a second person checks (`scan_batch_check`, through `paper_batch_check`) → images and per-sheet
answers are deleted (`scan_batch_sync`). Only the office of the round (EVALUATION_MANAGE) calls these;
views load every object through selectors.get_*_for_user first.
"""

import hashlib
import logging
import random
import secrets
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError
from evaluations import storage
from evaluations.models import Evaluation, EvaluatorGroup, FreeText, Grade, PaperBatch
from evaluations.services import ballot_questions, paper_batch_check, paper_batch_enter, paper_issue

from . import layout as L
from .models import (
    HeldText,
    KeptImage,
    PrintedSheet,
    PrintRun,
    Reading,
    RejectedPage,
    ScanBatch,
    ScanFile,
    ScannedSheet,
    SheetAnswer,
    SheetLayout,
    SheetText,
)

log = logging.getLogger(__name__)

MAX_PRINT = 2000
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def sheet_digest(layout_code: str, number: str) -> str:
    return hashlib.sha256(f"{layout_code}.{number}".encode()).hexdigest()


def sheet_promise() -> str:
    return _(
        "This sheet carries no name. Its QR code names only the round, the group, the layout and a random "
        "sheet number, so that no sheet is counted twice; sheets are handed out in any order. The scanned "
        "images are deleted once the count has been checked by a second person."
    )


def layout_current(evaluation: Evaluation, group: EvaluatorGroup) -> L.Layout:
    questions = [(t.pk, str(t), [(i.pk, i.text) for i in items]) for t, items in ballot_questions(evaluation) if items]
    grades = [(g.pk, g.label) for g in evaluation.grades.all()]
    if not questions or not grades:
        raise ServiceError(_("The round needs targets, items and grades before sheets can be printed."))
    texts = [(f, str(FreeText.Field(f).label)) for f in evaluation.free_text_fields()]
    return L.layout_build(questions, grades, texts)


def _rated_per_item(evaluation: Evaluation) -> dict[int, int]:
    """Per item, the targets it is asked about on the form (what a cap's share is taken of, as online)."""
    rated: dict[int, int] = defaultdict(int)
    for _target, items in ballot_questions(evaluation):
        for i in items:
            rated[i.pk] += 1
    return dict(rated)


def cap_rules(evaluation: Evaluation) -> list[str]:
    """The round's cap on the top grade as printed in the sheet's instructions (empty: no cap)."""
    if not evaluation.cap_grade_id or evaluation.cap_percent is None:
        return []
    rated = set(_rated_per_item(evaluation).values())
    words = {"grade": evaluation.cap_grade.label, "pct": evaluation.cap_percent}
    if len(rated) == 1:
        (n,) = rated
        return [
            _(
                "On each question, at most %(allowed)s of the %(rated)s targets may be given “%(grade)s” "
                "(%(pct)s%%); a sheet that gives it more often is spoilt as a whole."
            )
            % {**words, "allowed": evaluation.cap_allowed(n), "rated": n}
        ]
    return [
        _(
            "On each question, at most %(pct)s%% of the targets asked about may be given “%(grade)s” (rounded "
            "down); a sheet that gives it more often is spoilt as a whole."
        )
        % words
    ]


def _layout_row(evaluation, group) -> SheetLayout:
    spec = layout_current(evaluation, group).to_json()
    row = SheetLayout.objects.filter(evaluation=evaluation, group=group).order_by("-pk").first()
    if row is None or row.spec != spec:
        row = SheetLayout.objects.create(code=_random(6), evaluation=evaluation, group=group, spec=spec)
    return row


@transaction.atomic
def sheets_print(*, actor, evaluation: Evaluation, group: EvaluatorGroup, count: int, record_issued: bool) -> bytes:
    """Print `count` sheets for `group`: each gets a random number, kept only as a hash. When
    `record_issued`, the sheets are recorded as paper ballots issued (evaluations.paper_issue), which
    the over-return rule counts against. Returns the PDF; the numbers exist nowhere else."""
    from .sheets import sheets_pdf

    if group.evaluation_id != evaluation.pk:
        raise ServiceError(_("The group does not belong to this round."))
    if evaluation.status not in (Evaluation.Status.DRAFT, Evaluation.Status.OPEN):
        raise ServiceError(_("Sheets are printed before or while the round is open."))
    if not 1 <= count <= MAX_PRINT:
        raise ServiceError(_("Print between 1 and %(n)s sheets at a time.") % {"n": MAX_PRINT})
    layout_row = _layout_row(evaluation, group)
    layout = L.Layout.from_json(layout_row.spec)
    numbers = [_random(10) for _ in range(count)]
    PrintedSheet.objects.bulk_create(
        [PrintedSheet(layout=layout_row, digest=sheet_digest(layout_row.code, n)) for n in numbers]
    )
    PrintRun.objects.create(layout=layout_row, count=count, recorded_issued=record_issued, printed_by=actor)
    if record_issued:
        paper_issue(actor=actor, group=group, count=count)
    audit_record(
        actor=actor,
        action="paperballots.sheets_print",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"group": group.name, "sheets": count, "layout": layout_row.code, "recorded_issued": record_issued},
    )
    ids = [
        [L.SheetId(evaluation.pk, group.pk, layout_row.code, p + 1, n) for p in range(len(layout.pages))]
        for n in numbers
    ]
    sheet_word = pgettext("paper sheet title", "Evaluation sheet")
    title = f"{evaluation.name} · {sheet_word}"
    return sheets_pdf(
        layout=layout, ids=ids, title=title, group=group.name, promise=sheet_promise(), rules=cap_rules(evaluation)
    )


@transaction.atomic
def scan_upload(
    *, actor, evaluation: Evaluation, group: EvaluatorGroup, label: str, files: list, keep_images: bool = False
) -> ScanBatch:
    """Keep the uploaded files and ask the background worker to read them (`scan_read`)."""
    from .tasks import scan_read_task

    if group.evaluation_id != evaluation.pk:
        raise ServiceError(_("The group does not belong to this round."))
    if evaluation.status not in (Evaluation.Status.OPEN, Evaluation.Status.CLOSED):
        raise ServiceError(_("Paper ballots are entered while the round is open or after it closed, before tallying."))
    if not files:
        raise ServiceError(_("Choose the scanned PDF or the photos to upload."))
    batch = ScanBatch.objects.create(
        evaluation=evaluation,
        group=group,
        label=(label or "").strip()[:60] or _("Scan of %(day)s") % {"day": timezone.localdate()},
        keep_images=keep_images,
        uploaded_by=actor,
    )
    for k, f in enumerate(files):
        ScanFile.objects.create(batch=batch, file=_anonymous_name(f), order=k)
    audit_record(
        actor=actor,
        action="paperballots.scan_upload",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"group": group.name, "batch": batch.label, "files": len(files), "keep_images": keep_images},
    )
    transaction.on_commit(lambda: scan_read_task.enqueue(batch_id=batch.pk))
    return batch


def _anonymous_name(f):
    """Store an upload under a random name: a phone's file name may carry a date and time."""
    f.name = secrets.token_hex(12) + ".bin"
    return f


# -- reading (the background task) ---------------------------------------------------------------------


@dataclass
class _PageRead:
    number: str
    page: int  # 0-based
    layout: str
    lines: list  # reader.Line per question of the page
    crops: dict = field(default_factory=dict)  # question index → PNG bytes (doubtful ones)
    kept: bytes = b""
    thumb: bytes = b""  # for a rejection found only when the batch is put together
    texts: dict = field(default_factory=dict)  # (target id, free-text field) → PNG of a box written in


def _reason(code: str, **kw) -> str:
    reasons = {
        "markers": _("The corner markers were not found: the page is not one of our sheets, or it is cut off."),
        "qr": _("The QR code could not be read."),
        "distorted": _("The page is too distorted to be read (folded or crumpled?)."),
        "foreign": _("The QR code is not one of this system's sheets."),
        "round": _("The sheet belongs to another round."),
        "group": _("The sheet belongs to another group (%(group)s): upload it in that group's batch."),
        "unknown": _("The sheet number was never printed for this round: a forged or foreign sheet."),
        "page": _("The page number does not exist on this sheet's layout."),
        "incomplete": _(
            "This sheet has %(total)s pages; this batch holds page %(present)s, page %(missing)s is missing. Scan "
            "all the pages of a sheet in one batch; if the sheet was returned incomplete, count it as spoilt."
        ),
        "file": _("The file is neither a PDF nor an image that can be read."),
    }
    return reasons[code] % kw if kw else reasons[code]


# what a rejection can become (models.RejectedPage): a sheet known by its QR code, a page that names no
# sheet, or nothing of this batch
_KIND = {
    "markers": RejectedPage.Kind.PAGE,
    "qr": RejectedPage.Kind.PAGE,
    "distorted": RejectedPage.Kind.PAGE,
    "foreign": RejectedPage.Kind.PAGE,
    "unknown": RejectedPage.Kind.SHEET,
    "incomplete": RejectedPage.Kind.SHEET,
    "round": RejectedPage.Kind.ELSEWHERE,
    "group": RejectedPage.Kind.ELSEWHERE,
    "page": RejectedPage.Kind.ELSEWHERE,
    "file": RejectedPage.Kind.ELSEWHERE,
}


@dataclass
class _Rejected:
    kind: str
    reason: str
    thumb: bytes = b""
    missing: int = 0


def _rejected(code: str, thumb: bytes = b"", pages_missing: int = 0, **kw) -> _Rejected:
    return _Rejected(_KIND[code], _reason(code, **kw), thumb, pages_missing)


def scan_read(*, batch_id: int) -> None:
    """Read every page of the batch's files (called by the background task). Pages are found,
    straightened and measured; sheets whose pages are all present are stored in random order with
    their answers; a sheet counted before (here or in another batch) is counted once; every other page
    is rejected with its reason. The uploaded files are deleted afterwards. Progress is written as
    pages go, for the page that polls it."""
    from . import reader

    if not ScanBatch.objects.filter(pk=batch_id, status=ScanBatch.Status.QUEUED).update(
        status=ScanBatch.Status.READING
    ):
        return
    batch = ScanBatch.objects.select_related("evaluation", "group").get(pk=batch_id)
    files = list(batch.files.order_by("order"))
    images = []  # (file index, image) streamed file by file to bound memory
    rejected: list[_Rejected] = []
    pages: list[_PageRead] = []
    layouts: dict[str, L.Layout | None] = {}
    total = 0
    done = 0
    for f in files:
        with f.file.open("rb") as fh:
            data = fh.read()
        try:
            images = list(reader.images_from_upload(data))
        except Exception:
            rejected.append(_rejected("file"))
            continue
        total += len(images)
        ScanBatch.objects.filter(pk=batch_id).update(pages_total=max(total, 1))
        for img in images:
            outcome = _read_one(batch, img, layouts)
            if isinstance(outcome, _PageRead):
                pages.append(outcome)
            else:
                rejected.append(outcome)
            done += 1
            if done % 5 == 0 or done == total:
                ScanBatch.objects.filter(pk=batch_id).update(pages_done=done)
        del images
    _store(batch, pages, rejected, layouts)
    for f in files:
        f.file.delete(save=False)
    ScanFile.objects.filter(batch=batch).delete()


def _read_one(batch: ScanBatch, img, layouts: dict):
    from . import reader

    page = reader.read_page(img)
    if page.reject:
        return _rejected(page.reject, reader.thumb(img))
    sid = L.SheetId.parse(page.payload)
    thumb = reader.thumb(page.image, straightened=True)
    if sid is None:
        return _rejected("foreign", thumb)
    if sid.evaluation != batch.evaluation_id:
        return _rejected("round", thumb)
    if sid.group != batch.group_id:
        other = EvaluatorGroup.objects.filter(pk=sid.group, evaluation=batch.evaluation).first()
        return _rejected("group", thumb, group=other.name if other else "?")
    if sid.layout not in layouts:
        row = SheetLayout.objects.filter(code=sid.layout, evaluation=batch.evaluation, group=batch.group).first()
        layouts[sid.layout] = L.Layout.from_json(row.spec) if row else None
    layout = layouts[sid.layout]
    if layout is None:
        return _rejected("unknown", thumb)
    if not 1 <= sid.page <= len(layout.pages):
        return _rejected("page", thumb)
    lines = reader.measure(page, layout, sid.page - 1)
    rows = layout.questions(sid.page - 1)
    crops = {k: reader.row_crop(page, rows[k]) for k, line in enumerate(lines) if line.doubtful}
    kept = reader.page_jpeg(reader.blank_qr(page.image)) if batch.keep_images else b""
    texts = reader.written_boxes(page, layout, sid.page - 1)
    return _PageRead(sid.number, sid.page - 1, sid.layout, lines, crops, kept, thumb, texts=texts)


@transaction.atomic
def _store(batch: ScanBatch, pages: list[_PageRead], rejected: list, layouts: dict) -> None:
    by_sheet: dict[tuple[str, str], dict[int, _PageRead]] = defaultdict(dict)
    duplicates = differing = 0
    for p in pages:
        key = (p.layout, p.number)
        if p.page in by_sheet[key]:
            duplicates += 1
            if [ln.kind for ln in by_sheet[key][p.page].lines] != [ln.kind for ln in p.lines] or [
                ln.grade for ln in by_sheet[key][p.page].lines
            ] != [ln.grade for ln in p.lines]:
                differing += 1
            continue
        by_sheet[key][p.page] = p
    digests = {key: sheet_digest(*key) for key in by_sheet}
    printed = {
        ps.digest: ps for ps in PrintedSheet.objects.select_for_update().filter(digest__in=list(digests.values()))
    }
    grades = {}
    sheets, answers, counted, texts = [], [], [], []
    keys = list(by_sheet)
    random.SystemRandom().shuffle(keys)  # stored in no order: not the order of the scan
    for key in keys:
        got = by_sheet[key]
        layout = layouts[key[0]]
        ps = printed.get(digests[key])
        # a sheet that cannot be counted is one rejected ballot, however many of its pages are here
        # (shown by its first page): the person decides once whether it was a returned, spoilt ballot
        first = got[min(got)]
        if ps is None:
            rejected.append(_rejected("unknown", first.thumb))
            continue
        if ps.batch_id is not None and ps.batch_id != batch.pk:
            duplicates += len(got)
            continue
        missing = [n + 1 for n in range(len(layout.pages)) if n not in got]
        if missing:
            rejected.append(
                _rejected(
                    "incomplete",
                    first.thumb,
                    len(missing),
                    missing=", ".join(map(str, missing)),
                    present=", ".join(str(n + 1) for n in sorted(got)),
                    total=len(layout.pages),
                )
            )
            continue
        if not grades:
            grades = {g.pk: g for g in Grade.objects.filter(evaluation=batch.evaluation)}
        sheet = ScannedSheet(batch=batch)
        sheets.append(sheet)
        counted.append(ps.pk)
        for n in range(len(layout.pages)):
            p = got[n]
            texts += [SheetText(sheet=sheet, target_id=t, field=f, crop=png) for (t, f), png in p.texts.items()]
            for k, (row, line) in enumerate(zip(layout.questions(n), p.lines)):
                grade_id = layout.grades[line.grade] if line.kind == "answer" else None
                answers.append(
                    SheetAnswer(
                        sheet=sheet,
                        target_id=row.target,
                        item_id=row.item,
                        machine_kind=line.kind,
                        machine_grade_id=grade_id,
                        kind=line.kind,
                        grade_id=grade_id,
                        doubtful=line.doubtful,
                        crop=p.crops.get(k),
                    )
                )
    ScannedSheet.objects.bulk_create(sheets)
    random.SystemRandom().shuffle(answers)
    SheetAnswer.objects.bulk_create(answers, batch_size=500)
    random.SystemRandom().shuffle(texts)
    SheetText.objects.bulk_create(texts, batch_size=200)
    PrintedSheet.objects.filter(pk__in=counted).update(batch=batch)
    random.SystemRandom().shuffle(rejected)
    RejectedPage.objects.bulk_create(
        [
            RejectedPage(batch=batch, kind=r.kind, reason=r.reason[:200], missing=r.missing, thumb=r.thumb or None)
            for r in rejected
        ]
    )
    kept = [p.kept for got in by_sheet.values() for p in got.values() if p.kept]
    random.SystemRandom().shuffle(kept)
    KeptImage.objects.bulk_create([KeptImage(batch=batch, jpeg=j) for j in kept])
    ScanBatch.objects.filter(pk=batch.pk).update(
        status=ScanBatch.Status.REVIEW,
        sheets_read=len(sheets),
        duplicates=duplicates,
        duplicates_differing=differing,
    )


def scan_failed(*, batch_id: int, reason: str) -> None:
    """The worker gave up: say so on the batch (its files stay, so it can be discarded or retried)."""
    ScanBatch.objects.filter(pk=batch_id, status__in=[ScanBatch.Status.QUEUED, ScanBatch.Status.READING]).update(
        status=ScanBatch.Status.FAILED, error=reason[:2000]
    )


def scan_requeued(*, batch_id: int) -> None:
    ScanBatch.objects.filter(pk=batch_id, status=ScanBatch.Status.READING).update(
        status=ScanBatch.Status.QUEUED, pages_done=0
    )


# -- a person decides ------------------------------------------------------------------------------------


def _in_review(batch: ScanBatch) -> None:
    batch.refresh_from_db(fields=["status"])
    if batch.status != ScanBatch.Status.REVIEW:
        raise Conflict(_("This batch is no longer under review."))


@transaction.atomic
def answer_decide(*, actor, answer: SheetAnswer, kind: str, grade: Grade | None = None) -> SheetAnswer:
    """A person confirms or corrects the machine's reading of one doubtful answer."""
    batch = answer.sheet.batch
    _in_review(batch)
    if not answer.doubtful:
        raise ServiceError(_("Only doubtful answers are decided here."))
    if kind not in Reading.values or (kind == Reading.ANSWER) != (grade is not None):
        raise ServiceError(_("Choose a grade, no mark, or two grades."))
    if grade is not None and grade.evaluation_id != batch.evaluation_id:
        raise ServiceError(_("The grade does not belong to this round."))
    before = (answer.kind, answer.grade_id, answer.decided_by_id)
    SheetAnswer.objects.filter(pk=answer.pk).update(kind=kind, grade=grade, decided_by=actor)
    answer.refresh_from_db()
    audit_record(
        actor=actor,
        action="paperballots.answer_decide",
        obj=batch.evaluation,
        unit=batch.evaluation.unit,
        changes={
            "batch": batch.label,
            "machine": _reading_text(answer.machine_kind, answer.machine_grade),
            "decided": _reading_text(kind, grade),
            "changed": before[:2] != (kind, grade.pk if grade else None),
        },
    )
    return answer


def _reading_text(kind: str, grade) -> str:
    return grade.label if kind == Reading.ANSWER and grade else str(Reading(kind).label)


def form_has_one_page(batch: ScanBatch) -> bool:
    """Whether every sheet printed for the batch's group has one page (then a page is a whole sheet)."""
    rows = SheetLayout.objects.filter(evaluation_id=batch.evaluation_id, group_id=batch.group_id)
    specs = list(rows.filter(sheets__isnull=False).distinct().values_list("spec", flat=True)) or list(
        rows.values_list("spec", flat=True)
    )
    return bool(specs) and all(len(L.Layout.from_json(spec).pages) == 1 for spec in specs)


def _decision_refused(page: RejectedPage, decision: str, sheet: RejectedPage | None) -> str:
    """Why `decision` cannot be taken on `page`, or "". A sheet is counted at most once: only a sheet
    known by its QR code, or a page that is a whole sheet (the form has one page), is a ballot; a page
    whose QR code cannot be read is otherwise never one, it only joins an incomplete sheet."""
    D, K = RejectedPage.Decision, RejectedPage.Kind
    if decision not in (D.SPOILT, D.PART, D.IGNORED):
        return _("Choose what this page is.")
    if decision == D.IGNORED:
        return ""
    if page.kind == K.ELSEWHERE:
        return _("This is not a ballot of this batch: it can only be left out.")
    if decision == D.PART:
        if page.kind != K.PAGE:
            return _("A sheet whose QR code was read is not a page of another sheet.")
        if sheet is None or sheet.batch_id != page.batch_id or sheet.kind != K.SHEET or not sheet.missing:
            return _("Choose an incomplete sheet of this batch.")
        if sheet.parts.exclude(pk=page.pk).filter(decision=D.PART).count() >= sheet.missing:
            return _("Every missing page of that sheet is already given: this page belongs to another sheet.")
        return ""
    if page.kind == K.PAGE and not form_has_one_page(page.batch):
        return _(
            "A page whose QR code cannot be read is not a ballot on its own: the form has several pages. Say "
            "which incomplete sheet it belongs to, or leave it out and scan the sheet again (or count it by hand)."
        )
    return ""


@transaction.atomic
def rejected_decide(*, actor, page: RejectedPage, decision: str, sheet: RejectedPage | None = None) -> RejectedPage:
    """A person says what a rejected item is (models.RejectedPage, by its kind): a spoilt ballot (it
    was returned, it counts as returned and spoilt), a page of one of the batch's incomplete sheets
    (`sheet`: it adds nothing to that sheet's one ballot), or not a ballot of this batch (a page scanned
    by mistake, a sheet to scan again in its own batch or to count by hand)."""
    _in_review(page.batch)
    refused = _decision_refused(page, decision, sheet)
    if refused:
        raise ServiceError(refused)
    page.decision = decision
    page.part_of = sheet if decision == RejectedPage.Decision.PART else None
    page.decided_by = actor
    page.save(update_fields=["decision", "part_of", "decided_by"])
    audit_record(
        actor=actor,
        action="paperballots.rejected_decide",
        obj=page.batch.evaluation,
        unit=page.batch.evaluation.unit,
        changes={"batch": page.batch.label, "reason": page.reason, "decision": page.decision},
    )
    return page


def batch_totals(batch: ScanBatch) -> dict:
    """What the batch will enter: returned, spoilt, and per (target, item, grade) the sheets that gave
    it. A sheet with no mark that counts (every line empty or with two grades) is spoilt; a rejected
    item decided as spoilt is a spoilt ballot too (one per sheet: a page given to an incomplete sheet
    adds nothing to it, a page with no readable QR code is a ballot only when the form has one page)."""
    per_sheet = defaultdict(list)
    for sheet_id, kind, t, i, g in SheetAnswer.objects.filter(sheet__batch=batch).values_list(
        "sheet_id", "kind", "target_id", "item_id", "grade_id"
    ):
        per_sheet[sheet_id].append((kind, t, i, g))
    counts: Counter = Counter()
    spoilt_ids, over_cap = set(), []
    cap = _cap(batch.evaluation)
    for sheet_id, rows in per_sheet.items():
        marked = [(t, i, g) for kind, t, i, g in rows if kind == Reading.ANSWER]
        if not marked:
            spoilt_ids.add(sheet_id)
            continue
        reasons = cap(marked)
        if reasons:
            spoilt_ids.add(sheet_id)
            over_cap.append("；".join(reasons))
            continue
        counts.update(marked)
    spoilt_pages = batch.rejected.filter(decision=RejectedPage.Decision.SPOILT).count()
    sheets = ScannedSheet.objects.filter(batch=batch).count()
    return {
        "returned": sheets + spoilt_pages,
        "invalid": len(spoilt_ids) + spoilt_pages,
        "counts": dict(counts),
        "sheets": sheets,
        "over_cap": sorted(over_cap),  # one reason per spoilt sheet, sorted: no sheet's place in the batch
        "spoilt_ids": spoilt_ids,
    }


def _cap(evaluation: Evaluation):
    """A function giving why a sheet's marks [(target, item, grade)] break the round's cap on the top
    grade (empty: they do not). As on the online ballot (evaluations' cap_refusals), per question: the
    targets given the capped grade must be at most cap % of the targets the question asks about on
    the form (exact: n × 100 ≤ % × rated). On paper the sheet cannot be refused: it is spoilt as a
    whole (超过规定比例的选票无效), the usual rule of 民主评议 ballots."""
    if not evaluation.cap_grade_id or evaluation.cap_percent is None:
        return lambda marked: []
    rated = _rated_per_item(evaluation)
    items = dict(evaluation.items.values_list("pk", "text"))
    grade, pct = evaluation.cap_grade.label, evaluation.cap_percent

    def reasons(marked):
        given = Counter(i for _t, i, g in marked if g == evaluation.cap_grade_id)
        return [
            _(
                "Over the cap, the whole sheet is spoilt: “%(item)s” gives “%(grade)s” %(n)s times, at most "
                "%(allowed)s allowed (%(pct)s%% of %(rated)s)."
            )
            % {
                "item": items[i],
                "grade": grade,
                "n": n,
                "allowed": pct * rated[i] // 100,
                "pct": pct,
                "rated": rated[i],
            }
            for i, n in sorted(given.items())
            if n * 100 > pct * rated.get(i, 0)
        ]

    return reasons


@transaction.atomic
def scan_batch_submit(*, actor, batch: ScanBatch) -> ScanBatch:
    """Enter the batch's counts into the round (evaluations.paper_batch_enter: checks, the
    over-return rule) once every doubt and every rejected page is decided. A second person then checks."""
    _in_review(batch)
    if SheetAnswer.objects.filter(sheet__batch=batch, doubtful=True, decided_by__isnull=True).exists():
        raise ServiceError(_("Decide every doubtful answer first."))
    if batch.rejected.filter(decision="").exists():
        raise ServiceError(_("Decide every rejected page first."))
    for page in batch.rejected.exclude(decision__in=["", RejectedPage.Decision.IGNORED]).select_related("part_of"):
        refused = _decision_refused(page, page.decision, page.part_of)  # the form may have changed since
        if refused:
            raise ServiceError(_("Decide again: %(reason)s") % {"reason": page.reason}, details=[refused])
    totals = batch_totals(batch)
    if totals["returned"] < 1:
        raise ServiceError(_("The batch holds no ballot to count."))
    paper = paper_batch_enter(
        actor=actor,
        evaluation=batch.evaluation,
        group=batch.group,
        label=batch.label,
        returned=totals["returned"],
        invalid=totals["invalid"],
        counts=totals["counts"],
    )
    if not ScanBatch.objects.filter(pk=batch.pk, status=ScanBatch.Status.REVIEW).update(
        status=ScanBatch.Status.ENTERED, paper_batch=paper, submitted_by=actor, check_note=""
    ):
        raise Conflict(_("This batch is no longer under review."))
    audit_record(
        actor=actor,
        action="paperballots.scan_batch_submit",
        obj=batch.evaluation,
        unit=batch.evaluation.unit,
        changes={"batch": batch.label, "returned": totals["returned"], "spoilt": totals["invalid"]},
    )
    batch.refresh_from_db()
    return batch


@transaction.atomic
def scan_batch_check(*, actor, batch: ScanBatch, approve: bool, note: str = "") -> ScanBatch:
    """The second person's check, through evaluations.paper_batch_check (not the one who submitted).
    Approved: the counts count and the images and per-sheet answers are deleted. Sent back: the batch
    returns to review with the note."""
    batch.refresh_from_db()
    if batch.status != ScanBatch.Status.ENTERED or batch.paper_batch is None:
        raise Conflict(_("This batch is not awaiting a check."))
    paper_batch_check(actor=actor, batch=batch.paper_batch, approve=approve, note=note)
    return scan_batch_sync(batch=batch)


@transaction.atomic
def scan_batch_sync(*, batch: ScanBatch) -> ScanBatch:
    """Follow the typed batch's check, wherever it was done (here or on the round's page): checked →
    delete what was read; sent back → review again. Idempotent."""
    batch = ScanBatch.objects.select_for_update(of=("self",)).select_related("paper_batch").get(pk=batch.pk)
    if batch.status != ScanBatch.Status.ENTERED or batch.paper_batch is None:
        return batch
    paper = batch.paper_batch
    if paper.status == PaperBatch.Status.CHECKED:
        _texts_hold(batch, paper)
        ScannedSheet.objects.filter(batch=batch).delete()
        RejectedPage.objects.filter(batch=batch).delete()
        if not batch.keep_images or batch.evaluation.status not in (Evaluation.Status.DRAFT, Evaluation.Status.OPEN):
            KeptImage.objects.filter(batch=batch).delete()
        batch.status, batch.checked_at = ScanBatch.Status.CHECKED, timezone.now()
        batch.save(update_fields=["status", "checked_at"])
    elif paper.status == PaperBatch.Status.REJECTED:
        batch.status, batch.paper_batch, batch.check_note = ScanBatch.Status.REVIEW, None, paper.check_note
        batch.save(update_fields=["status", "paper_batch", "check_note"])
        SheetAnswer.objects.filter(sheet__batch=batch, doubtful=True).update(decided_by=None)
    return batch


@transaction.atomic
def scan_batch_discard(*, actor, batch: ScanBatch) -> ScanBatch:
    """Throw a batch away before it is entered (a wrong upload): its sheets may be scanned again."""
    batch.refresh_from_db()
    allowed = [ScanBatch.Status.REVIEW, ScanBatch.Status.FAILED, ScanBatch.Status.QUEUED]
    if not ScanBatch.objects.filter(pk=batch.pk, status__in=allowed).update(status=ScanBatch.Status.DISCARDED):
        raise Conflict(_("Only a batch not yet entered can be discarded."))
    PrintedSheet.objects.filter(batch=batch).update(batch=None)
    ScannedSheet.objects.filter(batch=batch).delete()
    RejectedPage.objects.filter(batch=batch).delete()
    KeptImage.objects.filter(batch=batch).delete()
    for f in batch.files.all():
        f.file.delete(save=False)
    batch.files.all().delete()
    audit_record(
        actor=actor,
        action="paperballots.scan_batch_discard",
        obj=batch.evaluation,
        unit=batch.evaluation.unit,
        changes={"batch": batch.label},
    )
    batch.refresh_from_db()
    return batch


def images_purge() -> int:
    """Delete kept images of rounds no longer open, and follow checks made on the round's page.
    Run hourly by the scheduler and whenever the round's paper page is opened. Returns images deleted."""
    for batch in ScanBatch.objects.filter(
        status=ScanBatch.Status.ENTERED, paper_batch__status__in=["checked", "rejected"]
    ):
        scan_batch_sync(batch=batch)
    paper_texts_release()
    closed = KeptImage.objects.exclude(
        batch__evaluation__status__in=[Evaluation.Status.DRAFT, Evaluation.Status.OPEN]
    ).filter(batch__status=ScanBatch.Status.CHECKED)
    return closed.delete()[0]


# -- free texts written on the sheets ----------------------------------------------------------------------


@transaction.atomic
def text_type(*, actor, box: SheetText, text: str) -> SheetText:
    """The person reviewing the batch types what is written in a free-text box (empty: nothing to
    keep). Checked by the second person with the counts. The audit record says that a box was typed,
    never what it says (the trail is kept for good and would pair the text with the batch and the time)."""
    batch = box.sheet.batch
    _in_review(batch)
    text = " ".join((text or "").split())
    if len(text) > FreeText.MAX_LENGTH:
        raise ServiceError(_("Each comment may have at most %(n)s characters.") % {"n": FreeText.MAX_LENGTH})
    SheetText.objects.filter(pk=box.pk).update(text=text, typed_by=actor)
    box.refresh_from_db(fields=["text", "typed_by"])
    audit_record(
        actor=actor,
        action="paperballots.text_type",
        obj=batch.evaluation,
        unit=batch.evaluation.unit,
        changes={"batch": batch.label, "typed": bool(text)},
    )
    return box


def _texts_hold(batch: ScanBatch, paper: PaperBatch) -> None:
    """At the check: the typed texts of the batch's counted sheets (a spoilt sheet's texts count no more
    than its marks) are held for the tally, under new random keys, shuffled, with no sheet."""
    spoilt = batch_totals(batch)["spoilt_ids"]
    rows = [
        HeldText(id=uuid.uuid4(), paper_batch=paper, target_id=t, field=f, text=x)
        for t, f, x in SheetText.objects.filter(sheet__batch=batch)
        .exclude(text="")
        .exclude(sheet_id__in=spoilt)
        .values_list("target_id", "field", "text")
    ]
    random.SystemRandom().shuffle(rows)
    HeldText.objects.bulk_create(rows)


def paper_texts_release(*, evaluation: Evaluation | None = None) -> int:
    """Once a round is tallied (no batch can be sent back any more), every held text of its checked
    batches enters the round's free texts (evaluations.FreeText: shown only grouped, from the smallest
    group shown on) in one statement, shuffled, under new random keys: no text is linkable to a batch,
    let alone a sheet. Held texts of batches sent back, and of void rounds, are deleted. Run when a
    round is tallied (apps.py), hourly and on the paper page. Returns the texts released."""
    rounds = Evaluation.objects.filter(
        status__in=[Evaluation.Status.TALLIED, Evaluation.Status.VOID],
        pk__in=HeldText.objects.values("paper_batch__evaluation"),
    )
    if evaluation is not None:
        rounds = rounds.filter(pk=evaluation.pk)
    released = 0
    for ev in rounds:
        with transaction.atomic():
            ev = Evaluation.objects.select_for_update().get(pk=ev.pk)
            held = HeldText.objects.filter(paper_batch__evaluation=ev)
            rows = []
            if ev.status == Evaluation.Status.TALLIED:
                rows = [
                    FreeText(id=uuid.uuid4(), evaluation=ev, target_id=t, group_id=g, field=f, text=x)
                    for t, g, f, x in held.filter(paper_batch__status=PaperBatch.Status.CHECKED).values_list(
                        "target_id", "paper_batch__group_id", "field", "text"
                    )
                ]
            random.SystemRandom().shuffle(rows)
            storage.secure_delete(True)
            try:
                FreeText.objects.bulk_create(rows)
                dropped = held.delete()[0] - len(rows)
            finally:
                storage.secure_delete(False)
            audit_record(
                actor=None,
                action="paperballots.paper_texts_release",
                obj=ev,
                unit=ev.unit,
                changes={"released": len(rows), "dropped": dropped},
            )
            released += len(rows)
    return released
