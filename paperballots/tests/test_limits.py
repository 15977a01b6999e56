"""The round's cap on the top grade and its free-text fields on paper (issue #13), configured and used
through the office's pages, with figures worked out here.

The round: competence scale (优秀 / 称职 / 基本称职 / 不称职 …), one question (总体评价) on two targets,
教务处 (A) and 财务处 (B); one voter group 群众. Set on the round's counting form: at most 50% 优秀 per
question (50% of 2 targets: at most 1 优秀 per sheet), strengths (优点) asked, smallest group shown 3.

Five sheets come back in one batch:

    sheet  A     B       written in the boxes
    s0     优秀  称职    A: “工作扎实”  B: “服务热情”
    s1     优秀  优秀    A: “不应计入”      ← 2 优秀 > 1 allowed: the whole sheet is spoilt
    s2     称职  (none)  A: “作风务实”
    s3     优秀  (none)  A: “敢于担当”
    s4     称职  称职    —

Batch: returned 5, spoilt 1 (s1, with its reason), valid 4. Counts: A 优秀 2 (s0, s3), 称职 2 (s2, s4);
B 称职 2 (s0, s4), 优秀 0 (s1 does not count). Free texts after the tally: A has 4 valid ballots
(≥ 3): its three texts of counted sheets shown, sorted, under 群众; B has 2 valid ballots (< 3): its
text is withheld; s1's text nowhere (a spoilt ballot's texts count no more than its marks)."""

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import log_in_by_session
from evaluations.models import EvaluationTarget, FreeText, PaperBatch, PaperCount, ScalePreset
from paperballots import layout as L
from paperballots import simulate
from paperballots.models import HeldText, ScanBatch, SheetAnswer, SheetLayout, SheetText

from .conftest import pdf_of

DPI = 200
SHEETS = [  # (A grade, B grade, {target: text})
    ("优秀", "称职", {"A": "工作扎实", "B": "服务热情"}),
    ("优秀", "优秀", {"A": "不应计入"}),
    ("称职", None, {"A": "作风务实"}),
    ("优秀", None, {"A": "敢于担当"}),
    ("称职", "称职", {}),
]


def write_in_box(img: np.ndarray, box, rng) -> None:
    """A few lines of handwriting (pen strokes) in a free-text box, below its printed label."""
    pxmm = DPI / 25.4
    _f, x0, y0, x1, y1 = box
    for line in range(2):
        y = y0 + L.TEXT_LABEL_H + 4 + line * 6
        x = x0 + 4
        while x < min(x1 - 8, x0 + 70):
            pts = np.array([[x + rng.uniform(0, 4), y + rng.uniform(-2, 2)] for _ in range(5)]) * pxmm
            cv2.polylines(img, [pts.astype(np.int32)], False, 40, max(1, int(0.5 * pxmm)), cv2.LINE_AA)
            x += 6


def fill(pdf: bytes, layout: L.Layout, grades: dict, targets: dict) -> list[bytes]:
    rng = np.random.default_rng(7)
    text_rows = {r.target: r for r in layout.text_rows(0)}
    scans = []
    for k, (a, b, texts) in enumerate(SHEETS):
        intents = [
            simulate.Intent("blank")
            if g is None
            else simulate.Intent("answer", grades[g], {grades[g]}, [(grades[g], "tick")])
            for g in (a, b)
        ]
        img, _ = simulate.fill_page(simulate.rasterise(pdf, k, DPI), layout, 0, intents, DPI, rng, stray=False, ink=30)
        for who in texts:
            (box,) = layout.text_boxes(text_rows[targets[who].pk])
            write_in_box(img, box, rng)
        scans.append(simulate.scan(img, rng))
    return scans


@pytest.fixture
def limits_round(cast, campaign, office, client_for):
    """The round, set through the office's counting form while in preparation, then opened."""
    from evaluations.services import codes_issue, evaluation_create, target_add

    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="2026年度中层干部民主评议",
        scale_preset=ScalePreset.COMPETENCE,
        items=["总体评价"],
        groups=[{"name": "群众", "planned": 10, "minimum": 0, "weight": 1}],
    )
    target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_a)
    target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_b)
    top = ev.grades.get(label="优秀")
    c = client_for(office)
    r = c.post(
        reverse("evaluations:rule", args=[ev.pk]),
        {
            "score_method": "plain",
            "min_group_size_shown": "3",
            "cap_grade": top.pk,
            "cap_percent": "50",
            "ask_strengths": "on",
        },
    )
    assert r.status_code == 302
    ev.refresh_from_db()
    assert (ev.cap_grade, ev.cap_percent, ev.free_text_fields()) == (top, 50, ["strengths"])
    codes_issue(actor=office, evaluation=ev, group=ev.groups.get(), count=1)
    return ev


def _pdf_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return "".join(doc[k].get_textpage().get_text_range() for k in range(len(doc)))
    finally:
        doc.close()


def test_a_sheet_over_the_cap_is_spoilt_and_its_free_texts_join_the_results_only_grouped_from_the_minimum(
    limits_round, office, office2, client_for, django_capture_on_commit_callbacks, settings
):
    from evaluations.services import evaluation_open

    ev = limits_round
    group = ev.groups.get()
    c = client_for(office)
    # printed before opening: the cap is stated in the instructions, a box for 优点 under each target
    r = c.post(reverse("paperballots:print", args=[ev.pk]), {"group": group.pk, "count": 5, "record_issued": "on"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pdf = r.content
    printed = "".join(_pdf_text(pdf).split())
    assert "每一项中，2个评议对象最多可评1个“优秀”（50%），超过的整张评议表无效。" in printed
    assert printed.count("优点") >= 2  # the box's label, once per target
    layout = L.Layout.from_json(SheetLayout.objects.get().spec)
    assert layout.text_fields == ["strengths"] and len(layout.text_rows(0)) == 2
    ev, key = evaluation_open(actor=office, evaluation=ev)

    a, b = ev.targets.order_by("order")
    grades = {g.label: k for k, g in enumerate(ev.grades.all())}
    scans = fill(pdf, layout, grades, {"A": a, "B": b})
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            reverse("paperballots:upload", args=[ev.pk]),
            {"group": group.pk, "label": "1号票箱", "files": [SimpleUploadedFile("s.pdf", pdf_of(scans))]},
        )
    batch = ScanBatch.objects.get()
    assert r.status_code == 302 and batch.status == ScanBatch.Status.REVIEW and batch.sheets_read == 5
    assert not SheetAnswer.objects.filter(doubtful=True).exists()  # clean ticks: nothing to decide

    page = c.get(reverse("paperballots:batch", args=[batch.pk])).content.decode()
    summary = page[page.index('class="summary"') : page.index("</div>\n</div>", page.index('class="summary"'))]
    assert "收回票数<strong>5</strong>" in summary and "废票<strong>1</strong>" in summary
    assert "1张超过比例" in summary
    reason = "超过规定比例，整张票无效：“总体评价”评了2个“优秀”，最多可评1个（2个的50%）。"
    assert page.count(reason) == 1

    # the boxes written in (five, one per text written), each typed from its image on the review page
    boxes = list(SheetText.objects.select_related("target"))
    assert len(boxes) == 5
    for box in boxes:
        assert reverse("paperballots:text_crop", args=[box.pk]) in page
    image = c.get(reverse("paperballots:text_crop", args=[boxes[0].pk]))
    assert image["Content-Type"] == "image/png" and image["Cache-Control"] == "no-store"

    def written(box):  # the test knows each sheet by its marks; the page never pairs them
        marks = {(x.target_id, x.grade.label if x.grade else None) for x in SheetAnswer.objects.filter(sheet=box.sheet)}
        for ga, gb, texts in SHEETS:
            if marks == {(a.pk, ga), (b.pk, gb)}:
                return texts["A" if box.target_id == a.pk else "B"]
        raise AssertionError(marks)

    for box in boxes:
        r = c.post(reverse("paperballots:text_type", args=[box.pk]), {"text": f"  {written(box)} "})
        assert r.status_code == 302
    assert sorted(SheetText.objects.values_list("text", flat=True)) == sorted(
        t for _a, _b, texts in SHEETS for t in texts.values()
    )
    page = c.get(reverse("paperballots:batch", args=[batch.pk])).content.decode()
    assert page.count("这张票无效：此条意见不计入。") == 1  # s1's box

    # submitted: the counts exclude the spoilt sheet
    c.post(reverse("paperballots:submit", args=[batch.pk]))
    paper = PaperBatch.objects.get()
    assert (paper.returned, paper.invalid) == (5, 1)
    counts = {(x.target_id, x.grade.label): x.count for x in PaperCount.objects.filter(batch=paper)}
    assert counts == {(a.pk, "优秀"): 2, (a.pk, "称职"): 2, (b.pk, "称职"): 2}
    # the second person sees the typed texts beside the images, and approves
    second = client_for(office2)
    page = second.get(reverse("paperballots:batch", args=[batch.pk])).content.decode()
    assert page.count('class="typed"') == 5 and "敢于担当" in page
    assert page.count(reason) == 1
    second.post(reverse("paperballots:check", args=[batch.pk]), {"approve": "on"})
    batch.refresh_from_db()
    assert batch.status == ScanBatch.Status.CHECKED
    assert not SheetText.objects.exists()  # the sheets, their boxes and images are gone
    assert sorted(HeldText.objects.values_list("text", flat=True)) == ["作风务实", "工作扎实", "敢于担当", "服务热情"]
    assert not FreeText.objects.exists()  # held until the tally (a checked batch may still be sent back)

    c = client_for(office)
    r = c.post(reverse("evaluations:close", args=[ev.pk]), {"key": key.text()})
    assert r.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("evaluations:tally", args=[ev.pk]))
    assert r.status_code == 302
    assert not HeldText.objects.exists()
    stored = {(t, f, x) for t, f, x in FreeText.objects.values_list("target_id", "field", "text")}
    assert stored == {
        (a.pk, "strengths", "工作扎实"),
        (a.pk, "strengths", "作风务实"),
        (a.pk, "strengths", "敢于担当"),
        (b.pk, "strengths", "服务热情"),
    }
    page = c.get(reverse("evaluations:results", args=[ev.pk])).content.decode()
    shown = []
    at = 0
    while (at := page.find('<details class="comments">', at)) >= 0:
        block = page[at : page.index("</details>", at)]
        shown.append([li.split("</li>")[0] for li in block.split("<li>")[1:]])
        at += 1
    assert sorted(["工作扎实", "作风务实", "敢于担当"]) in shown  # A: 4 valid ballots ≥ 3, sorted
    assert "服务热情" not in page  # B: 2 valid ballots < 3, withheld
    assert "不应计入" not in page  # the spoilt sheet's text


def test_a_batch_sent_back_after_its_check_takes_its_held_texts_with_it(limits_round, office, office2):
    """A checked batch sent back on the round's page (evaluations.paper_batch_send_back) stops counting:
    its held texts are dropped at the tally, never released."""
    from evaluations.models import Evaluation
    from evaluations.services import evaluation_open, paper_batch_send_back
    from paperballots.services import paper_texts_release

    ev, _key = evaluation_open(actor=office, evaluation=limits_round)
    group = ev.groups.get()
    paper = PaperBatch.objects.create(
        evaluation=ev,
        group=group,
        label="1",
        returned=1,
        entered_by=office,
        entered_on="2026-11-30",
        status="checked",
        checked_by=office2,
        checked_on="2026-11-30",
    )
    HeldText.objects.create(paper_batch=paper, target=ev.targets.first(), field="strengths", text="退回的批次")
    paper_batch_send_back(actor=office2, batch=paper, note="重新核对")
    Evaluation.objects.filter(pk=ev.pk).update(status=Evaluation.Status.TALLIED, tallied_at=timezone.now())
    assert paper_texts_release() == 0
    assert not HeldText.objects.exists() and not FreeText.objects.exists()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_printed_form_and_the_review_page(limits_round, office, live_server, page):
    """The printed form (its first page, rasterised by pdftoppm) and the review page in a browser, where
    a text is typed from its box's image; saved in test-artifacts/paper/ to be looked at."""
    import subprocess
    from pathlib import Path

    from playwright.sync_api import expect

    from evaluations.services import evaluation_open
    from paperballots import services

    shots = Path(__file__).resolve().parents[2] / "test-artifacts" / "paper"
    shots.mkdir(parents=True, exist_ok=True)
    ev = limits_round
    group = ev.groups.get()
    pdf = services.sheets_print(actor=office, evaluation=ev, group=group, count=5, record_issued=True)
    (shots / "limits-sheet.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(shots / "limits-sheet.pdf"),
            str(shots / "limits-sheet"),
        ],
        check=True,
    )
    assert (shots / "limits-sheet.png").stat().st_size > 10_000
    ev, _key = evaluation_open(actor=office, evaluation=ev)
    layout = L.Layout.from_json(SheetLayout.objects.get().spec)
    a, b = ev.targets.order_by("order")
    scans = fill(pdf, layout, {g.label: k for k, g in enumerate(ev.grades.all())}, {"A": a, "B": b})
    batch = services.scan_upload(
        actor=office, evaluation=ev, group=group, label="1号票箱", files=[SimpleUploadedFile("s.pdf", pdf_of(scans))]
    )
    services.scan_read(batch_id=batch.pk)

    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_by_session(page, live_server, office)
    page.goto(live_server.url + reverse("paperballots:batch", args=[batch.pk]))
    expect(page.locator("#over-cap")).to_be_visible()
    first = page.locator("article.text-box").first
    first.locator("input[name=text]").fill("工作扎实")
    first.get_by_role("button", name="保存").click()
    expect(page.locator("article.text-box").filter(has_text="录入人")).to_have_count(1)
    page.screenshot(path=str(shots / "limits-review.png"), full_page=True)
    assert SheetText.objects.exclude(text="").count() == 1
