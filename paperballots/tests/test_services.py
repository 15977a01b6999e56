"""Print → fill → scan → read → decide → submit → second person's check, through the services."""

from collections import Counter

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from audit.models import AuditRecord
from core.exceptions import ServiceError
from evaluations.models import Evaluation, PaperBatch, PaperCount
from evaluations.services import paper_issue
from paperballots import layout as L
from paperballots import services, simulate
from paperballots.models import (
    KeptImage,
    PrintedSheet,
    RejectedPage,
    ScanBatch,
    ScanFile,
    ScannedSheet,
    SheetAnswer,
    SheetLayout,
)

from .conftest import fill_long_sheets, fill_sheets, pdf_of

# Six questions (dept_a, dept_b × three unit items), three grades (满意, 基本满意, 不满意). Per sheet, per
# question: the grade index the voter ticked, or None.
ANSWERS = [
    [0, 1, 2, 0, 1, 2],
    [0, 0, 0, 0, 0, 0],
    [2, 2, 1, None, 0, 0],
    [1, 1, 1, 1, 1, 1],
    [None] * 6,  # a blank sheet: spoilt
]


def _upload(office, ev, group, files, *, capture, keep_images=False, label="1号票箱"):
    uploads = [SimpleUploadedFile(name, data) for name, data in files]
    with capture(execute=True):
        batch = services.scan_upload(
            actor=office, evaluation=ev, group=group, label=label, files=uploads, keep_images=keep_images
        )
    batch.refresh_from_db()
    return batch


def _printed(office, ev, group, count, record_issued=True):
    pdf = services.sheets_print(actor=office, evaluation=ev, group=group, count=count, record_issued=record_issued)
    layout = L.Layout.from_json(SheetLayout.objects.filter(evaluation=ev, group=group).latest("pk").spec)
    return pdf, layout


def _expected(ev, layout, answers):
    grades = layout.grades
    counts = Counter()
    for sheet in answers:
        for (t, i), g in zip(layout.all_questions(), sheet):
            if g is not None:
                counts[(t, i, grades[g])] += 1
    return dict(counts)


def _entered(batch):
    paper = PaperBatch.objects.get(pk=batch.paper_batch_id)
    return paper, {(c.target_id, c.item_id, c.grade_id): c.count for c in PaperCount.objects.filter(batch=paper)}


def test_it_counts_scanned_sheets_only_after_the_doubts_and_a_second_persons_check(
    paper_round, office, office2, django_capture_on_commit_callbacks
):
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 7)
    group.refresh_from_db()
    assert group.paper_issued == 7
    scans = fill_sheets(pdf, layout, ANSWERS, seed=3)
    # sheet 2, question 4 (dept_b, second item) also got a second tick: two grades, which does not count
    rng = np.random.default_rng(5)
    page = simulate.rasterise(pdf, 2, 200)
    intents = [
        simulate.Intent("answer", g, {g}, [(g, "cross")]) if g is not None else simulate.Intent("blank")
        for g in ANSWERS[2]
    ]
    intents[4] = simulate.Intent("invalid", None, {0, 2}, [(0, "tick"), (2, "tick")])
    img, _ = simulate.fill_page(page, layout, 0, intents, 200, rng, stray=False)
    scans[2] = simulate.scan(img, rng, photo=True)
    truth = [list(a) for a in ANSWERS]
    truth[2][4] = None
    files = [
        ("扫描件.pdf", pdf_of([scans[0], scans[1], scans[3]])),
        ("IMG_20261129_101500.jpg", scans[2]),
        ("IMG_20261129_101501.jpg", scans[4]),
        ("IMG_20261129_101502.jpg", scans[0]),  # the first sheet photographed again: counts once
    ]
    batch = _upload(office, ev, group, files, capture=django_capture_on_commit_callbacks)

    assert batch.status == ScanBatch.Status.REVIEW
    assert (batch.sheets_read, batch.duplicates, batch.pages_done, batch.pages_total) == (5, 1, 6, 6)
    assert not ScanFile.objects.filter(batch=batch).exists()  # the uploads are gone once read
    doubts = list(SheetAnswer.objects.filter(sheet__batch=batch, doubtful=True))
    assert [(d.machine_kind, d.item_id) for d in doubts] == [("invalid", layout.all_questions()[4][1])]
    with pytest.raises(ServiceError):
        services.scan_batch_submit(actor=office, batch=batch)  # a doubt is not decided yet
    services.answer_decide(actor=office, answer=doubts[0], kind="invalid")

    batch = services.scan_batch_submit(actor=office, batch=batch)
    paper, counts = _entered(batch)
    assert (paper.returned, paper.invalid, paper.status) == (5, 1, PaperBatch.Status.ENTERED)
    assert counts == _expected(ev, layout, truth)

    with pytest.raises(ServiceError):
        services.scan_batch_check(actor=office, batch=batch, approve=True)  # not the same person
    batch = services.scan_batch_check(actor=office2, batch=batch, approve=True)
    assert batch.status == ScanBatch.Status.CHECKED
    assert PaperBatch.objects.get(pk=paper.pk).status == PaperBatch.Status.CHECKED
    # nothing per sheet, no image is left
    assert not ScannedSheet.objects.exists() and not SheetAnswer.objects.exists()
    assert not RejectedPage.objects.exists() and not KeptImage.objects.exists()
    actions = set(AuditRecord.objects.filter(action__startswith="paperballots.").values_list("action", flat=True))
    assert actions == {
        "paperballots.sheets_print",
        "paperballots.scan_upload",
        "paperballots.answer_decide",
        "paperballots.scan_batch_submit",
    }


def test_a_correction_goes_to_a_person_who_may_correct_the_reading(
    paper_round, office, django_capture_on_commit_callbacks
):
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 1)
    rng = np.random.default_rng(8)
    intents = [simulate.Intent("answer", 1, {1}, [(1, "tick")]) for _ in range(6)]
    intents[0] = simulate.Intent("correction", 0, {0, 2}, [(2, "scribble"), (0, "tick")])
    img, _ = simulate.fill_page(simulate.rasterise(pdf, 0, 200), layout, 0, intents, 200, rng, stray=False)
    batch = _upload(office, ev, group, [("a.jpg", simulate.scan(img, rng))], capture=django_capture_on_commit_callbacks)
    (doubt,) = SheetAnswer.objects.filter(sheet__batch=batch, doubtful=True)
    assert doubt.machine_kind == "invalid" and doubt.crop  # the line's image, for the person who decides
    grade = ev.grades.get(pk=layout.grades[0])
    services.answer_decide(actor=office, answer=doubt, kind="answer", grade=grade)
    batch = services.scan_batch_submit(actor=office, batch=batch)
    _paper, counts = _entered(batch)
    t, i = layout.all_questions()[0]
    assert counts[(t, i, grade.pk)] == 1


def test_more_sheets_returned_than_issued_voids_the_round(
    paper_round, office, office2, django_capture_on_commit_callbacks
):
    """As for typed batches, the over-return rule runs on checked batches: entering the sheets does not
    void the round (a typing or scanning slip can still be sent back); the second person's check does,
    with the reason recorded."""
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 3, record_issued=False)
    paper_issue(actor=office, group=group, count=2)
    scans = fill_sheets(pdf, layout, [[0] * 6, [1] * 6, [2] * 6])
    batch = _upload(office, ev, group, [("s.pdf", pdf_of(scans))], capture=django_capture_on_commit_callbacks)
    assert batch.sheets_read == 3
    batch = services.scan_batch_submit(actor=office, batch=batch)
    ev.refresh_from_db()
    assert not ev.over_return_reason
    services.scan_batch_check(actor=office2, batch=batch, approve=True)
    ev.refresh_from_db()
    assert "3" in ev.over_return_reason and "2" in ev.over_return_reason and ev.over_return_by == office2


def test_a_sheet_counted_in_one_batch_is_a_duplicate_in_the_next(
    paper_round, office, office2, django_capture_on_commit_callbacks
):
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 2)
    scans = fill_sheets(pdf, layout, [[0] * 6, [1] * 6])
    first = _upload(office, ev, group, [("1.jpg", scans[0])], capture=django_capture_on_commit_callbacks)
    services.scan_batch_submit(actor=office, batch=first)
    services.scan_batch_check(actor=office2, batch=first, approve=True)
    second = _upload(
        office, ev, group, [("2.pdf", pdf_of([scans[0], scans[1]]))], capture=django_capture_on_commit_callbacks
    )
    assert (second.sheets_read, second.duplicates) == (1, 1)


def test_a_page_that_cannot_be_counted_is_rejected_with_its_reason_and_a_person_decides(
    paper_round, office, django_capture_on_commit_callbacks
):
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 1)
    scans = fill_sheets(pdf, layout, [[0] * 6])
    noise = simulate.scan(
        (np.random.default_rng(1).random((900, 700)) * 255).astype(np.uint8), np.random.default_rng(2)
    )
    forged = fill_sheets(pdf, layout, [[1] * 6])[0]
    PrintedSheet.objects.all().delete()  # as if the sheet had never been printed here
    with translation.override("en"):  # the reasons are stored in the reader's language
        batch = _upload(
            office,
            ev,
            group,
            [("a.jpg", noise), ("b.jpg", forged), ("c.txt", b"not an image")],
            capture=django_capture_on_commit_callbacks,
        )
    pages = {p.reason: p for p in RejectedPage.objects.filter(batch=batch)}
    assert len(pages) == 3 and batch.sheets_read == 0
    markers = next(p for r, p in pages.items() if "markers" in r)
    forged_page = next(p for r, p in pages.items() if "never printed" in r)
    not_image = next(p for r, p in pages.items() if "neither a PDF" in r)
    assert markers.thumb and forged_page.thumb and not_image.thumb is None
    with pytest.raises(ServiceError):
        services.scan_batch_submit(actor=office, batch=batch)  # every rejected page needs a decision
    services.rejected_decide(actor=office, page=markers, decision="ignored")
    services.rejected_decide(actor=office, page=not_image, decision="ignored")
    services.rejected_decide(actor=office, page=forged_page, decision="spoilt")
    batch = services.scan_batch_submit(actor=office, batch=batch)
    paper, counts = _entered(batch)
    assert (paper.returned, paper.invalid, counts) == (1, 1, {})
    del scans


def test_a_sheet_of_another_group_is_rejected(paper_round, office, django_capture_on_commit_callbacks):
    from evaluations.services import group_save

    ev, group = paper_round
    Evaluation.objects.filter(pk=ev.pk).update(status="draft")
    other = group_save(actor=office, evaluation=ev, name="党员", planned=5, minimum=1, weight=1)
    Evaluation.objects.filter(pk=ev.pk).update(status="open")
    pdf, layout = _printed(office, ev, other, 1)
    scans = fill_sheets(pdf, layout, [[0] * 6])
    batch = _upload(office, ev, group, [("a.jpg", scans[0])], capture=django_capture_on_commit_callbacks)
    (page,) = RejectedPage.objects.filter(batch=batch)
    assert "党员" in page.reason


def test_kept_images_stay_sealed_until_the_round_closes(
    paper_round, office, office2, django_capture_on_commit_callbacks
):
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 2)
    scans = fill_sheets(pdf, layout, [[0] * 6, [2] * 6])
    batch = _upload(
        office, ev, group, [("s.pdf", pdf_of(scans))], capture=django_capture_on_commit_callbacks, keep_images=True
    )
    assert KeptImage.objects.filter(batch=batch).count() == 2
    services.scan_batch_submit(actor=office, batch=batch)
    services.scan_batch_check(actor=office2, batch=batch, approve=True)
    assert KeptImage.objects.count() == 2 and not SheetAnswer.objects.exists()
    assert services.images_purge() == 0  # the round is still open
    Evaluation.objects.filter(pk=ev.pk).update(status=Evaluation.Status.CLOSED)
    assert services.images_purge() == 2
    assert not KeptImage.objects.exists()


def test_sent_back_the_batch_returns_to_review_and_can_be_entered_again(
    paper_round, office, office2, django_capture_on_commit_callbacks
):
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 1)
    batch = _upload(
        office,
        ev,
        group,
        [("a.jpg", fill_sheets(pdf, layout, [[0] * 6])[0])],
        capture=django_capture_on_commit_callbacks,
    )
    services.scan_batch_submit(actor=office, batch=batch)
    with pytest.raises(ServiceError):
        services.scan_batch_check(actor=office2, batch=batch, approve=False)  # say what to correct
    batch = services.scan_batch_check(actor=office2, batch=batch, approve=False, note="第3项看不清")
    assert batch.status == ScanBatch.Status.REVIEW and batch.check_note == "第3项看不清"
    batch = services.scan_batch_submit(actor=office, batch=batch)
    assert batch.status == ScanBatch.Status.ENTERED
    assert PaperBatch.objects.filter(status=PaperBatch.Status.REJECTED).count() == 1


def test_the_sheet_number_is_kept_nowhere_but_as_a_hash(paper_round, office, django_capture_on_commit_callbacks):
    import zxingcpp

    from paperballots import reader

    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 1)
    qr = zxingcpp.read_barcodes(simulate.rasterise(pdf, 0, 200))[0].text
    sid = L.SheetId.parse(qr)
    assert (sid.evaluation, sid.group) == (ev.pk, group.pk) and len(sid.number) == 10
    batch = _upload(
        office,
        ev,
        group,
        [("a.jpg", fill_sheets(pdf, layout, [[0] * 6])[0])],
        capture=django_capture_on_commit_callbacks,
    )
    assert batch.sheets_read == 1
    digest = services.sheet_digest(sid.layout, sid.number)
    assert PrintedSheet.objects.get().digest == digest
    from django.db import connection

    with connection.cursor() as cur:
        for model in (ScanBatch, ScannedSheet, SheetAnswer, RejectedPage, PrintedSheet, AuditRecord):
            cur.execute(f"SELECT * FROM {model._meta.db_table}")
            assert sid.number not in repr(cur.fetchall())
    del reader


def test_a_long_form_is_counted_sheet_by_sheet_whatever_order_its_pages_come_in(
    long_round, office, office2, django_capture_on_commit_callbacks
):
    """A sheet of two pages: each page names its sheet and its page in its QR code, so the pages of a
    sheet are put together wherever they are in the upload; a sheet with a page missing is one
    rejected ballot (counted as spoilt if a person says so), and can be counted later once all its
    pages are scanned together."""
    ev, group = long_round
    pdf, layout = _printed(office, ev, group, 4)
    assert len(layout.pages) == 2
    n1, n2 = len(layout.questions(0)), len(layout.questions(1))
    assert n1 + n2 == 28
    rng = np.random.default_rng(12)
    answers = [
        [0] * n1 + [None] * n2,  # A: page 1 only ticked
        [None] * n1 + [2] * n2,  # B: page 2 only ticked
        [int(g) for g in rng.integers(0, 3, n1 + n2)],  # C
        [1] * (n1 + n2),  # D: its second page is not in the first batch
    ]
    (a1, a2), (b1, b2), (c1, c2), (d1, d2) = fill_long_sheets(pdf, layout, answers, seed=21)
    with translation.override("en"):
        batch = _upload(
            office,
            ev,
            group,
            [
                ("scan.pdf", pdf_of([b2, a1, c2, d1])),
                ("IMG_1.jpg", c1),
                ("IMG_2.jpg", b1),
                ("IMG_3.jpg", a2),
                ("IMG_4.jpg", a1),  # page 1 of A scanned twice: counted once
            ],
            capture=django_capture_on_commit_callbacks,
        )
    assert (batch.sheets_read, batch.duplicates, batch.pages_total) == (3, 1, 8)
    assert not SheetAnswer.objects.filter(sheet__batch=batch, doubtful=True).exists()
    for sheet in ScannedSheet.objects.filter(batch=batch):
        got = sorted(sheet.answers.values_list("target_id", "item_id"))
        assert got == sorted(layout.all_questions())  # both pages of the sheet, each question once
    (rejected,) = RejectedPage.objects.filter(batch=batch)  # D: one ballot, not one per page
    assert "holds page 1, page 2 is missing" in rejected.reason and rejected.thumb
    totals = services.batch_totals(batch)
    assert (totals["returned"], totals["invalid"]) == (3, 0)  # A and B each have marks: no page of one joined another

    services.rejected_decide(actor=office, page=rejected, decision="ignored")
    batch = services.scan_batch_submit(actor=office, batch=batch)
    _paper, counts = _entered(batch)
    assert counts == _expected(ev, layout, answers[:3])
    services.scan_batch_check(actor=office2, batch=batch, approve=True)

    # D scanned again with both its pages, second page first: counted, and only D
    later = _upload(
        office, ev, group, [("d.pdf", pdf_of([d2, d1, a2]))], capture=django_capture_on_commit_callbacks, label="补扫"
    )
    assert (later.sheets_read, later.duplicates) == (1, 1)
    assert not RejectedPage.objects.filter(batch=later).exists()
    later = services.scan_batch_submit(actor=office, batch=later)
    _paper, counts = _entered(later)
    assert counts == _expected(ev, layout, answers[3:])


def test_the_demo_scans_checks_one_batch_and_leaves_one_for_review(paper_round, office, office2):
    import io

    from paperballots import demo

    ev, group = paper_round
    out = io.StringIO()
    demo.scanned_batches({"stdout": out}, ev, group, office, office2)
    checked, waiting = ScanBatch.objects.order_by("uploaded_at", "pk")
    assert checked.status == ScanBatch.Status.CHECKED and checked.paper_batch.status == PaperBatch.Status.CHECKED
    assert (checked.paper_batch.returned, checked.paper_batch.invalid) == (3, 0)
    assert waiting.status == ScanBatch.Status.REVIEW and waiting.sheets_read == 1
    assert SheetAnswer.objects.filter(sheet__batch=waiting, doubtful=True).count() >= 1
    group.refresh_from_db()
    assert group.paper_issued == 4
    assert f"/paperballots/round/{ev.pk}/" in out.getvalue()


def _decide_at_random(office, batch, rng, steps):
    """A person clicking every button in any order: each decision the service takes must leave the
    batch with no more ballots than sheets of paper."""
    items = list(RejectedPage.objects.filter(batch=batch))
    for _ in range(steps):
        page = items[int(rng.integers(len(items)))]
        decision = ["spoilt", "ignored", "part"][int(rng.integers(3))]
        sheet = items[int(rng.integers(len(items)))] if decision == "part" else None
        try:
            services.rejected_decide(actor=office, page=page, decision=decision, sheet=sheet)
        except ServiceError:
            pass
        yield services.batch_totals(batch)


def test_a_long_forms_page_with_no_readable_qr_code_never_makes_a_second_ballot(
    long_round, office, office2, django_capture_on_commit_callbacks
):
    """Three sheets of two pages: A whole; D's second page stained over its QR code; E stained on both
    pages. The stained pages name no sheet: none is a ballot on its own. D2 is given to D (D is then one
    rejected ballot), E's pages are left out to be scanned again or counted by hand. Whatever a person
    clicks, the batch never holds more ballots than the three sheets of paper."""
    ev, group = long_round
    pdf, layout = _printed(office, ev, group, 3, record_issued=False)
    paper_issue(actor=office, group=group, count=3)
    n = len(layout.questions(0)) + len(layout.questions(1))
    answers = [[0] * n, [1] * n, [2] * n]
    (a1, a2), (d1, d2), (e1, e2) = fill_long_sheets(pdf, layout, answers, seed=5, stained={(1, 1), (2, 0), (2, 1)})
    with translation.override("en"):
        batch = _upload(
            office,
            ev,
            group,
            [("scan.pdf", pdf_of([e2, a1, d2, d1, e1, a2]))],
            capture=django_capture_on_commit_callbacks,
        )
    assert batch.sheets_read == 1
    items = list(RejectedPage.objects.filter(batch=batch))
    (d,) = [r for r in items if r.kind == RejectedPage.Kind.SHEET]
    assert "holds page 1, page 2 is missing" in d.reason and d.missing == 1
    pages = [r for r in items if r.kind == RejectedPage.Kind.PAGE]
    assert len(pages) == 3 and all(p.thumb for p in pages)

    # the gap: D and a stained page both counted as spoilt would be two ballots for one sheet
    services.rejected_decide(actor=office, page=d, decision="spoilt")
    for p in pages:
        with pytest.raises(ServiceError, match="本身不算一张票"):
            services.rejected_decide(actor=office, page=p, decision="spoilt")
    assert services.batch_totals(batch)["returned"] == 2  # A and D

    # a sheet read by its QR code is no page of another; D has one page missing, so one page joins it
    with pytest.raises(ServiceError):
        services.rejected_decide(actor=office, page=d, decision="part", sheet=d)
    services.rejected_decide(actor=office, page=pages[0], decision="part", sheet=d)
    with pytest.raises(ServiceError, match="都已指定"):
        services.rejected_decide(actor=office, page=pages[1], decision="part", sheet=d)
    with pytest.raises(ServiceError, match="不完整的表"):
        services.rejected_decide(actor=office, page=pages[1], decision="part", sheet=pages[2])

    for totals in _decide_at_random(office, batch, np.random.default_rng(3), 60):
        assert totals["returned"] <= 3 and totals["returned"] - totals["sheets"] <= 1  # D alone was not read
    assert not RejectedPage.objects.filter(batch=batch, kind="page", decision="spoilt").exists()

    # what the two counters decide, looking at the paper: one stained page is D's page 2 (the count does
    # not depend on which), E's two pages are left out to be scanned again or counted by hand
    for p in pages:
        services.rejected_decide(actor=office, page=p, decision="ignored")
    services.rejected_decide(actor=office, page=pages[0], decision="part", sheet=d)
    services.rejected_decide(actor=office, page=d, decision="spoilt")
    batch = services.scan_batch_submit(actor=office, batch=batch)
    paper, counts = _entered(batch)
    assert (paper.returned, paper.invalid) == (2, 1) and counts == _expected(ev, layout, answers[:1])
    services.scan_batch_check(actor=office2, batch=batch, approve=True)
    ev.refresh_from_db()
    assert ev.status != Evaluation.Status.VOID and not ev.over_return_reason  # 2 returned of 3 issued


def test_a_one_page_sheet_with_no_readable_qr_code_is_one_ballot_and_the_over_return_rule_holds(
    paper_round, office, office2, django_capture_on_commit_callbacks
):
    """On a one-page form a page is a whole sheet: a stained one becomes a spoilt ballot only when a
    person confirms it, and counts once; a file that is no image is never a ballot. Three sheets came
    back where two were issued: the second person's check voids the round."""
    ev, group = paper_round
    pdf, layout = _printed(office, ev, group, 3, record_issued=False)
    paper_issue(actor=office, group=group, count=2)
    scans = fill_sheets(pdf, layout, [[0] * 6, [1] * 6, [2] * 6], stained={2})
    batch = _upload(
        office,
        ev,
        group,
        [("s.pdf", pdf_of(scans)), ("x.txt", b"not an image")],
        capture=django_capture_on_commit_callbacks,
    )
    assert batch.sheets_read == 2
    (stained,) = RejectedPage.objects.filter(batch=batch, kind=RejectedPage.Kind.PAGE)
    (not_image,) = RejectedPage.objects.filter(batch=batch, kind=RejectedPage.Kind.ELSEWHERE)
    with pytest.raises(ServiceError):
        services.rejected_decide(actor=office, page=not_image, decision="spoilt")
    with pytest.raises(ServiceError):
        services.rejected_decide(actor=office, page=stained, decision="part", sheet=not_image)
    for totals in _decide_at_random(office, batch, np.random.default_rng(4), 30):
        assert totals["returned"] <= 3
    services.rejected_decide(actor=office, page=stained, decision="spoilt")
    services.rejected_decide(actor=office, page=not_image, decision="ignored")
    assert services.batch_totals(batch)["returned"] == 3
    batch = services.scan_batch_submit(actor=office, batch=batch)
    paper, counts = _entered(batch)
    assert (paper.returned, paper.invalid) == (3, 1) and counts == _expected(ev, layout, [[0] * 6, [1] * 6])
    ev.refresh_from_db()
    assert not ev.over_return_reason
    services.scan_batch_check(actor=office2, batch=batch, approve=True)
    ev.refresh_from_db()
    assert "3" in ev.over_return_reason and "2" in ev.over_return_reason
