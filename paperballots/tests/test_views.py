"""The pages: access (login, another institution 404, view-only 403), print, upload, review with
one-click decisions, submit, the second person's check; the review page's query count."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditRecord
from evaluations.models import PaperBatch
from paperballots import layout as L
from paperballots import services, simulate
from paperballots.models import ScanBatch, SheetAnswer, SheetLayout

from .conftest import pdf_of


def _two_grade_scans(pdf, layout, n, seed=4):
    """n sheets, each ticking 满意 everywhere except two ticks on its first question (doubtful)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        intents = [simulate.Intent("answer", 0, {0}, [(0, "tick")]) for _ in range(6)]
        intents[0] = simulate.Intent("invalid", None, {0, 1}, [(0, "tick"), (1, "tick")])
        img, _ = simulate.fill_page(simulate.rasterise(pdf, k, 200), layout, 0, intents, 200, rng, stray=False)
        out.append(simulate.scan(img, rng))
    return out


@pytest.fixture
def review_batch(paper_round, office, django_capture_on_commit_callbacks):
    ev, group = paper_round
    pdf = services.sheets_print(actor=office, evaluation=ev, group=group, count=3, record_issued=True)
    layout = L.Layout.from_json(SheetLayout.objects.get().spec)
    files = [SimpleUploadedFile("s.pdf", pdf_of(_two_grade_scans(pdf, layout, 3)))]
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.scan_upload(actor=office, evaluation=ev, group=group, label="1号票箱", files=files)
    batch.refresh_from_db()
    return batch


def test_it_requires_login(client, paper_round):
    ev, _ = paper_round
    response = client.get(reverse("paperballots:round", args=[ev.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_institution_gets_404_and_a_viewer_403(client_for, cast, paper_round, review_batch):
    ev, _ = paper_round
    urls = [
        reverse("paperballots:round", args=[ev.pk]),
        reverse("paperballots:batch", args=[review_batch.pk]),
        reverse("paperballots:answer_crop", args=[SheetAnswer.objects.filter(doubtful=True).first().pk]),
    ]
    outsider = client_for(cast.user("outsider"))
    assert [outsider.get(u).status_code for u in urls] == [404, 404, 404]
    viewer = client_for(cast.user("principal"))
    assert [viewer.get(u).status_code for u in urls] == [403, 403, 403]


def test_it_prints_sheets_and_records_them_issued(client_for, office, paper_round):
    ev, group = paper_round
    response = client_for(office).post(
        reverse("paperballots:print", args=[ev.pk]), {"group": group.pk, "count": 3, "record_issued": "on"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    group.refresh_from_db()
    assert group.paper_issued == 3
    import pypdfium2 as pdfium

    assert len(pdfium.PdfDocument(response.content)) == 3


def test_the_round_page_links_to_paper_scanning(client_for, office, paper_round):
    ev, _ = paper_round
    page = client_for(office).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert reverse("paperballots:round", args=[ev.pk]) in page


def test_it_uploads_and_shows_each_doubt_with_its_image_and_one_click_choices(
    client_for, office, paper_round, django_capture_on_commit_callbacks
):
    ev, group = paper_round
    pdf = services.sheets_print(actor=office, evaluation=ev, group=group, count=2, record_issued=True)
    layout = L.Layout.from_json(SheetLayout.objects.get().spec)
    client = client_for(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("paperballots:upload", args=[ev.pk]),
            {
                "group": group.pk,
                "label": "2号票箱",
                "files": [SimpleUploadedFile("IMG_1.jpg", s) for s in _two_grade_scans(pdf, layout, 2)],
            },
        )
    batch = ScanBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("paperballots:batch", args=[batch.pk])
    assert batch.status == ScanBatch.Status.REVIEW and batch.sheets_read == 2
    page = client.get(response["Location"]).content.decode()
    doubts = list(SheetAnswer.objects.filter(doubtful=True))
    assert len(doubts) == 2
    for d in doubts:
        assert reverse("paperballots:answer_crop", args=[d.pk]) in page
    image = client.get(reverse("paperballots:answer_crop", args=[doubts[0].pk]))
    assert image["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG")
    # one click (HTMX): the partial comes back with the decision
    grade = ev.grades.order_by("order").first()
    response = client.post(
        reverse("paperballots:answer_decide", args=[doubts[0].pk]), {"reading": f"g{grade.pk}"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and f'id="d-{doubts[0].pk}"' in response.content.decode()
    doubts[0].refresh_from_db()
    assert (doubts[0].kind, doubts[0].grade_id, doubts[0].decided_by_id) == ("answer", grade.pk, office.pk)
    assert AuditRecord.objects.filter(action="paperballots.answer_decide").count() == 1


def test_the_review_page_query_count_does_not_grow_with_doubts(client_for, office, review_batch, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from paperballots.models import ScannedSheet

    settings.SESSION_TOUCH_SECONDS = 3600  # the session's last-request time is written on the first page only
    client = client_for(office)
    url = reverse("paperballots:batch", args=[review_batch.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    ScannedSheet.objects.filter(pk=ScannedSheet.objects.first().pk).delete()
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    assert SheetAnswer.objects.filter(doubtful=True).count() == 2
    assert len(three) == len(two) <= 40


def test_submit_then_only_a_second_person_may_check(client_for, office, office2, review_batch):
    client = client_for(office)
    for d in SheetAnswer.objects.filter(doubtful=True):
        client.post(reverse("paperballots:answer_decide", args=[d.pk]), {"reading": "invalid"})
    client.post(reverse("paperballots:submit", args=[review_batch.pk]))
    review_batch.refresh_from_db()
    assert review_batch.status == ScanBatch.Status.ENTERED
    # the same person: refused
    client.post(reverse("paperballots:check", args=[review_batch.pk]), {"approve": "on"})
    assert PaperBatch.objects.get().status == PaperBatch.Status.ENTERED
    second = client_for(office2)
    page = second.get(reverse("paperballots:batch", args=[review_batch.pk])).content.decode()
    assert 'id="totals"' in page
    second.post(reverse("paperballots:check", args=[review_batch.pk]), {"approve": "on"})
    review_batch.refresh_from_db()
    assert review_batch.status == ScanBatch.Status.CHECKED
    assert PaperBatch.objects.get().status == PaperBatch.Status.CHECKED
    assert not SheetAnswer.objects.exists()


def test_a_check_made_on_the_rounds_page_is_followed(client_for, office, office2, review_batch):
    for d in SheetAnswer.objects.filter(doubtful=True):
        services.answer_decide(actor=office, answer=d, kind="invalid")
    services.scan_batch_submit(actor=office, batch=review_batch)
    client_for(office2).post(
        reverse("evaluations:paper_batch_check", args=[review_batch.paper_batch_id]), {"approve": "on"}
    )
    client_for(office2).get(reverse("paperballots:round", args=[review_batch.evaluation_id]))
    review_batch.refresh_from_db()
    assert review_batch.status == ScanBatch.Status.CHECKED and not SheetAnswer.objects.exists()


def test_decisions_are_refused_once_the_batch_is_entered(client_for, office, review_batch):
    client = client_for(office)
    for d in SheetAnswer.objects.filter(doubtful=True):
        services.answer_decide(actor=office, answer=d, kind="invalid")
    services.scan_batch_submit(actor=office, batch=review_batch)
    d = SheetAnswer.objects.filter(doubtful=True).first()
    response = client.post(
        reverse("paperballots:answer_decide", args=[d.pk]), {"reading": "blank"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    d.refresh_from_db()
    assert d.kind == "invalid"


def test_the_sheet_number_never_appears_on_the_review_page(client_for, office, paper_round, review_batch):
    import zxingcpp

    from paperballots.models import PrintedSheet

    page = client_for(office).get(reverse("paperballots:batch", args=[review_batch.pk])).content.decode()
    # every printed number's hash is known; none of the pages' text contains a QR payload
    assert "R1." not in page and PrintedSheet.objects.count() == 3
    for d in SheetAnswer.objects.filter(doubtful=True):
        import cv2
        import numpy as np

        crop = cv2.imdecode(np.frombuffer(bytes(d.crop), np.uint8), 0)
        assert zxingcpp.read_barcodes(crop) == []


def test_a_stained_page_of_a_long_form_is_given_to_its_incomplete_sheet_on_the_review_page(
    client_for, long_round, office, django_capture_on_commit_callbacks
):
    """The review offers a page with no readable QR code as a page of the batch's incomplete sheet, or
    to leave out; never as a ballot of its own."""
    from paperballots.models import RejectedPage

    from .conftest import fill_long_sheets

    ev, group = long_round
    pdf = services.sheets_print(actor=office, evaluation=ev, group=group, count=1, record_issued=True)
    layout = L.Layout.from_json(SheetLayout.objects.get().spec)
    n = len(layout.questions(0)) + len(layout.questions(1))
    ((d1, d2),) = fill_long_sheets(pdf, layout, [[1] * n], seed=8, stained={(0, 1)})
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.scan_upload(
            actor=office,
            evaluation=ev,
            group=group,
            label="2号票箱",
            files=[SimpleUploadedFile("s.pdf", pdf_of([d1, d2]))],
        )
    sheet = RejectedPage.objects.get(batch=batch, kind="sheet")
    page = RejectedPage.objects.get(batch=batch, kind="page")
    client = client_for(office)
    html = client.get(reverse("paperballots:batch", args=[batch.pk])).content.decode()
    assert html.count('value="spoilt"') == 1 and html.count('value="part"') == 1  # spoilt: the sheet only
    assert f'<option value="{sheet.pk}"' in html

    decide = reverse("paperballots:rejected_decide", args=[page.pk])
    client.post(decide, {"decision": "spoilt"})
    client.post(decide, {"decision": "part", "sheet": "not-a-key"})
    page.refresh_from_db()
    assert page.decision == ""
    client.post(decide, {"decision": "part", "sheet": str(sheet.pk)})
    client.post(reverse("paperballots:rejected_decide", args=[sheet.pk]), {"decision": "spoilt"})
    page.refresh_from_db()
    assert (page.decision, page.part_of_id) == ("part", sheet.pk)
    assert services.batch_totals(batch)["returned"] == 1
    html = client.get(reverse("paperballots:batch", args=[batch.pk])).content.decode()
    assert "号表的一页，与该表一并计" in html
