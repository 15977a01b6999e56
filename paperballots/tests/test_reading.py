"""The reader on a generated test set: sheets filled by simulated pens (ticks, crosses, full and
partial fills, light and dark ink, corrections, two grades, stray marks), rendered at 150, 200 and
300 dpi, scanned (rotation up to ±5°, skew, noise, JPEG) or photographed (perspective, a table
around the sheet, uneven light, blur). The set is built once per test session (`scanset`).

Figures: a bubble is read correctly when the machine says "filled" for a bubble the voter marked and
"empty" for one left empty (a "doubtful" bubble counts as not read correctly). Bubbles that a stray
stroke ran through are not the voter's marks: they are left out of that figure, and their lines must
be flagged doubtful. Every question read wrongly must be among those flagged doubtful."""

from collections import Counter

import cv2
import numpy as np
import pytest

from paperballots import layout as L
from paperballots import reader, simulate

PAGES = 48
GRADES = 5


@pytest.fixture(scope="session")
def scanset():
    from paperballots.sheets import sheets_pdf

    questions = [(t, f"处长{t}", [(t * 10 + i, f"第{i}项") for i in range(1, 6)]) for t in range(1, 5)]
    layout = L.layout_build(questions, [(g, f"等级{g}") for g in range(1, GRADES + 1)])
    assert len(layout.pages) == 1
    ids = [[L.SheetId(7, 8, "TEST01", 1, f"S{k:05d}")] for k in range(PAGES)]
    pdf = sheets_pdf(layout=layout, ids=ids, title="测评表", group="群众", promise="本表不记名。")
    rng = np.random.default_rng(20261129)
    pages = []
    for k in range(PAGES):
        dpi = (150, 200, 300)[k % 3]
        photo = k % 4 in (1, 2)
        light = k % 5 == 0
        intents = [simulate.intent_random(rng, GRADES) for _ in layout.questions(0)]
        img, touched = simulate.fill_page(
            simulate.rasterise(pdf, k, dpi), layout, 0, intents, dpi, rng, ink=rng.uniform(95, 135) if light else None
        )
        jpeg = simulate.scan(img, rng, photo=photo)
        pages.append(
            {"k": k, "dpi": dpi, "photo": photo, "light": light, "intents": intents, "touched": touched, "jpeg": jpeg}
        )
    return layout, pages


@pytest.fixture(scope="session")
def readings(scanset):
    layout, pages = scanset
    out = []
    for p in pages:
        page = reader.read_page(next(reader.images_from_upload(p["jpeg"])))
        out.append((page.reject, page.payload, reader.measure(page, layout, 0) if not page.reject else []))
    return out


def test_it_finds_every_page_and_its_sheet_number(scanset, readings):
    _layout, pages = scanset
    assert [r[0] for r in readings] == [""] * len(pages)
    assert [r[1] for r in readings] == [f"R1.7.8.TEST01.1.S{k:05d}" for k in range(len(pages))]


def test_it_reads_at_least_999_marks_in_1000_and_flags_every_misread_question(scanset, readings):
    _layout, pages = scanset
    bubbles = right = questions = doubtful = 0
    wrong_unflagged = []
    styles = Counter()
    for p, (_reject, _payload, lines) in zip(pages, readings):
        for q, (intent, line) in enumerate(zip(p["intents"], lines)):
            questions += 1
            doubtful += line.doubtful
            want_kind = "answer" if intent.kind == "correction" else intent.kind
            read_right = line.kind == want_kind and (want_kind != "answer" or line.grade == intent.grade)
            if not read_right and not line.doubtful:
                wrong_unflagged.append((p["k"], q, intent, line))
            if intent.kind == "correction":
                assert line.doubtful, "a correction is always shown to a person"
            if any((q, b) in p["touched"] for b in range(GRADES)):
                styles["stray"] += 1
                assert line.doubtful, f"page {p['k']} question {q}: a stroke crosses the line, a person must look"
            for b in range(GRADES):
                if (q, b) in p["touched"]:
                    continue
                bubbles += 1
                ok = line.marks[b] == ("filled" if b in intent.marked else "empty")
                right += ok
                if not ok and not line.doubtful:
                    wrong_unflagged.append((p["k"], q, b, intent, line))  # a mark misread, silently
            for _b, style in intent.strokes:
                styles[style + ("-light" if p["light"] else "")] += 1
    print(
        f"\npaper reading: {right}/{bubbles} marks right ({100 * right / bubbles:.3f} %), "
        f"{doubtful}/{questions} questions doubtful ({100 * doubtful / questions:.1f} %), "
        f"{len(wrong_unflagged)} misread and not flagged"
    )
    assert wrong_unflagged == []
    assert bubbles >= 4000
    assert right / bubbles >= 0.999, f"{right}/{bubbles} bubbles read correctly"
    assert doubtful / questions < 0.10  # two grades and corrections (4 %) plus stray strokes
    # the set holds every kind of mark the issue names
    for style in ("tick", "cross", "fill", "partial", "scribble", "tick-light", "cross-light", "stray"):
        assert styles[style] > 0, style
    assert {(p["dpi"], p["photo"]) for p in pages} == {(d, ph) for d in (150, 200, 300) for ph in (False, True)}


def test_it_reads_a_sheet_upside_down(scanset):
    layout, pages = scanset
    img = cv2.rotate(next(reader.images_from_upload(pages[0]["jpeg"])), cv2.ROTATE_180)
    page = reader.read_page(img)
    assert page.payload.endswith("S00000")
    lines = reader.measure(page, layout, 0)
    for intent, line in zip(pages[0]["intents"], lines):
        if not line.doubtful:
            assert (line.kind, line.grade) == (intent.kind, intent.grade)


def test_it_rejects_a_page_without_markers():
    rng = np.random.default_rng(1)
    img = (rng.random((1200, 900)) * 255).astype(np.uint8)
    assert reader.read_page(img).reject == reader.REJECT_NO_MARKERS


def test_it_says_when_the_qr_code_cannot_be_read(scanset):
    _layout, pages = scanset
    img = next(reader.images_from_upload(pages[3]["jpeg"]))
    found = reader.find_markers(img)
    page, _ = reader.straighten(img)
    assert page is not None and len(found) == 4
    # paint the QR code over in the original photo
    x, y, s = L.QR_BOX
    box = np.float32([[x, y], [x + s, y], [x + s, y + s], [x, y + s]]) * reader.PX
    src = np.concatenate([reader._TARGETS[i] for i in sorted(found)])
    dst = np.concatenate([found[i] for i in sorted(found)])
    hom, _ = cv2.findHomography(src, dst)
    poly = cv2.perspectiveTransform(box.reshape(-1, 1, 2), hom).astype(np.int32)
    cv2.fillPoly(img, [poly], 255)
    assert reader.read_page(img).reject == reader.REJECT_NO_QR


def test_images_it_makes_carry_no_metadata(scanset):
    _layout, pages = scanset
    page = reader.read_page(next(reader.images_from_upload(pages[0]["jpeg"])))
    crop = reader.row_crop(page, _layout.questions(0)[0])
    assert crop.startswith(b"\x89PNG") and b"eXIf" not in crop and b"tEXt" not in crop
    jpeg = reader.page_jpeg(reader.blank_qr(page.image))
    assert b"Exif" not in jpeg[:200]
    assert reader.read_qr(cv2.imdecode(np.frombuffer(jpeg, np.uint8), 0)) == ""  # the number is painted over
