"""Reading a scanned or photographed page: find it, straighten it, read its QR code, measure each
bubble. Pure image work (OpenCV, zxing-cpp, pypdfium2, pillow-heif); no database.

How a page is read:
1. the four ArUco corner markers are found by OpenCV's detector (any rotation, perspective, light);
2. a homography from their 16 corners to where layout.py printed them straightens the page into a
   fixed frame of PX pixels per millimetre (rotation, skew, a phone's perspective all at once);
3. the QR code is read in its printed box (the whole image if that fails);
4. the page is divided by its own background (a dilated, blurred copy), which levels uneven light;
5. each bubble's inner disc (inside the printed ring) is measured: the share of its pixels that
   carry ink. Between the bubbles of a line, ink means a stray stroke crossing the line.
Then each question is decided (`decide`): a bubble is filled, empty or doubtful, and the line is
an answer, an abstention, two grades (invalid), or doubtful — for a person to decide.
"""

import io
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import layout as L

PX = 6.0  # pixels per millimetre of the straightened page (≈152 dpi)
PAGE_SIZE = (round(L.PAGE_W * PX), round(L.PAGE_H * PX))
INK = 0.30  # a pixel this much darker than its background carries ink
# Share of a bubble's inner disc covered by ink. A pen tick covers 10–55 %, a cross 25–65 %, a filled bubble ≥ 85 %;
# an empty one ≤ 2 % (toner specks, JPEG noise). Between the two: doubtful, a person looks.
FILLED = 0.08
EMPTY = 0.03
STRAY = 0.03  # ink share in the gap between two bubbles that marks a stroke crossing the line
INNER = 0.64  # inner disc radius, as a share of the printed ring's radius
MAX_ERROR_MM = 1.2  # a page whose markers disagree by more than this is not trusted

REJECT_NO_MARKERS = "markers"
REJECT_NO_QR = "qr"
REJECT_DISTORTED = "distorted"

_DICT = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
_PARAMS = cv2.aruco.DetectorParameters()
# Markers are searched on a copy at most DETECT_SIZE pixels long (≈ 3.4 px/mm for A4 filling the frame,
# a marker ≈ 40 px): few threshold passes, no tiny candidates. Their corners are then refined on the
# full image.
DETECT_SIZE = 1000
_PARAMS.adaptiveThreshWinSizeMin = 7
_PARAMS.adaptiveThreshWinSizeMax = 27
_PARAMS.adaptiveThreshWinSizeStep = 10
_PARAMS.minMarkerPerimeterRate = 0.05
_PARAMS.maxMarkerPerimeterRate = 0.6
_DETECTOR = cv2.aruco.ArucoDetector(_DICT, _PARAMS)
_SUBPIX = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05)


@dataclass
class Page:
    """One read page. `reject` is empty when the page was read."""

    reject: str = ""
    payload: str = ""
    image: np.ndarray | None = None  # straightened, grey, PX px/mm
    ink: np.ndarray | None = None  # where ink is, in the bubbles' band (bool)
    source: np.ndarray | None = None  # the image as uploaded (for sharp crops of doubtful lines)
    hom: np.ndarray | None = None  # source → straightened page


@dataclass
class Line:
    """One question as read: the fill of each grade's bubble and the decision."""

    fills: list[float]
    stray: bool
    marks: list[str] = field(default_factory=list)  # per bubble: "filled" / "empty" / "doubtful"
    kind: str = ""  # "answer" / "blank" / "invalid"
    grade: int | None = None  # index into the layout's grades when kind == "answer"
    doubtful: bool = False


# -- loading ------------------------------------------------------------------------------------


def images_from_upload(data: bytes, *, dpi: int = 160):
    """Yield each page of an upload as a grey image: a PDF's pages rasterised (pypdfium2), or one
    photo (JPEG/PNG through OpenCV, which applies the EXIF orientation; HEIC through pillow-heif).
    Nothing of the file's metadata goes further than this function."""
    if data[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            for i in range(len(pdf)):
                page = pdf[i]
                img = _scanned_image(pdfium, page)
                if img is None:
                    arr = page.render(scale=dpi / 72, grayscale=True).to_numpy()
                    img = arr[:, :, 0].copy() if arr.ndim == 3 else arr.copy()
                yield img
                page.close()
        finally:
            pdf.close()
        return
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        img = _heic(data)
    if img is None:
        raise ValueError("unreadable image")
    yield img


def _scanned_image(pdfium, page):
    """A scanner's page is one image filling the page: decode that image as it is (faster and sharper
    than rendering the page). None for any other page, which is then rendered."""
    if page.get_rotation():
        return None
    objs = list(page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=1))
    if len(objs) != 1 or len(list(page.get_objects(max_depth=1))) != 1:
        return None
    m = objs[0].get_matrix()
    if m.b or m.c or m.a <= 0 or m.d <= 0:
        return None  # turned or mirrored on the page: let the renderer do it
    try:
        arr = objs[0].get_bitmap(render=False).to_numpy()
    except Exception:
        return None
    if arr.ndim == 2:
        return arr.copy()
    if arr.shape[2] == 1:
        return arr[:, :, 0].copy()
    return cv2.cvtColor(arr[:, :, :3], cv2.COLOR_BGR2GRAY)


def _heic(data: bytes):
    try:
        import pillow_heif
        from PIL import Image, ImageOps
    except ImportError:
        return None
    try:
        pillow_heif.register_heif_opener()
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("L"))
    except Exception:
        return None


# -- finding and straightening ------------------------------------------------------------------


def _marker_targets() -> dict[int, np.ndarray]:
    out = {}
    for mid, (x, y) in L.MARKERS.items():
        s = L.MARKER_SIZE
        out[mid] = np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], np.float32) * PX
    return out


_TARGETS = _marker_targets()


def find_markers(gray: np.ndarray) -> dict[int, np.ndarray]:
    """Corner markers found in the image: id → its 4 corners (image pixels, sub-pixel)."""
    scale = min(1.0, DETECT_SIZE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    corners, ids, _rej = _DETECTOR.detectMarkers(small)
    found = {}
    if ids is None:
        return found
    for c, i in zip(corners, ids.ravel()):
        if int(i) in _TARGETS and int(i) not in found:
            pts = (c.reshape(4, 2) / scale).astype(np.float32)
            side = float(np.linalg.norm(pts[0] - pts[1]))
            win = max(2, min(int(side / 12), 12))
            cv2.cornerSubPix(gray, pts, (win, win), (-1, -1), _SUBPIX)
            found[int(i)] = pts
    return found


def homography(gray: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The homography from the image to the straightened page (PX px/mm), or None and the reason."""
    found = find_markers(gray)
    if len(found) < 3:
        return None, REJECT_NO_MARKERS
    src = np.concatenate([found[i] for i in sorted(found)]).astype(np.float32)
    dst = np.concatenate([_TARGETS[i] for i in sorted(found)]).astype(np.float32)
    hom, _mask = cv2.findHomography(src, dst, 0)
    if hom is None:
        return None, REJECT_DISTORTED
    projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), hom).reshape(-1, 2)
    if float(np.abs(projected - dst).max()) > MAX_ERROR_MM * PX:
        return None, REJECT_DISTORTED
    return hom, ""


def straighten(gray: np.ndarray) -> tuple[np.ndarray | None, str]:
    hom, reason = homography(gray)
    if hom is None:
        return None, reason
    return cv2.warpPerspective(gray, hom, PAGE_SIZE, flags=cv2.INTER_LINEAR, borderValue=255), ""


def read_qr(page: np.ndarray, original: np.ndarray | None = None) -> str:
    import zxingcpp

    x, y, s = L.QR_BOX
    m = 4
    box = page[int((y - m) * PX) : int((y + s + m) * PX), int((x - m) * PX) : int((x + s + m) * PX)]
    for img in (box, cv2.resize(box, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), original):
        if img is None:
            continue
        for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode):
            if r.text.startswith(L.QR_PREFIX + "."):
                return r.text
    return ""


# Only the bubbles' band is measured: the columns and the gaps between them, every question line.
BAND = (int((L.BUBBLES_X0 - 4) * PX), int(L.PAGE_W * PX), int((L.ROWS_TOP - 2) * PX), int((L.ROWS_BOTTOM + 2) * PX))


def ink_map(page: np.ndarray) -> np.ndarray:
    """Where ink is, in the bubbles' band (a boolean image of the whole page, False outside the band):
    each pixel is compared with its background — the page with ink removed (a grey dilation at a
    quarter of the size), smoothed — so shadows and a lamp's gradient divide out."""
    x0, x1, y0, y1 = BAND
    band = page[y0:y1, x0:x1]
    small = cv2.resize(band, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    bg = cv2.GaussianBlur(bg, (0, 0), 3)
    bg = cv2.resize(bg, (band.shape[1], band.shape[0]), interpolation=cv2.INTER_LINEAR)
    level = cv2.divide(band, np.maximum(bg, 40), scale=255)  # 255 = background, darker = ink
    out = np.zeros(page.shape, bool)
    out[y0:y1, x0:x1] = level < int(255 * (1 - INK))
    return out


def read_page(gray: np.ndarray) -> Page:
    hom, reason = homography(gray)
    if hom is None:
        return Page(reject=reason)
    page = cv2.warpPerspective(gray, hom, PAGE_SIZE, flags=cv2.INTER_LINEAR, borderValue=255)
    payload = read_qr(page, gray)
    if not payload:
        return Page(reject=REJECT_NO_QR)
    return Page(payload=payload, image=page, ink=ink_map(page), source=gray, hom=hom)


# -- measuring and deciding ---------------------------------------------------------------------

_R_IN = L.BUBBLE_R * INNER * PX
_HALF = int(np.ceil(_R_IN)) + 1
_yy, _xx = np.mgrid[-_HALF : _HALF + 1, -_HALF : _HALF + 1]
_DISC = (_xx**2 + _yy**2) <= _R_IN**2
_DISC_N = int(_DISC.sum())


def _disc_fill(inked: np.ndarray, cx: float, cy: float) -> float:
    x, y = int(round(cx * PX)), int(round(cy * PX))
    patch = inked[y - _HALF : y + _HALF + 1, x - _HALF : x + _HALF + 1]
    if patch.shape != _DISC.shape:
        return 0.0
    return float(np.count_nonzero(patch & _DISC)) / _DISC_N


def _gap_ink(inked: np.ndarray, x0: float, x1: float, cy: float) -> float:
    """Ink share in the middle of the gap between two bubbles (mm), over the ring's height."""
    mid, half = (x0 + x1) / 2, (x1 - x0 - 2 * L.BUBBLE_R) * 0.25
    if half <= 0.5:
        return 0.0
    patch = inked[
        int((cy - L.BUBBLE_R * 0.8) * PX) : int((cy + L.BUBBLE_R * 0.8) * PX),
        int((mid - half) * PX) : int((mid + half) * PX),
    ]
    return float(np.count_nonzero(patch)) / max(patch.size, 1)


def measure(page: Page, layout: L.Layout, page_no: int) -> list[Line]:
    """Fill of every bubble of every question on page `page_no` (0-based) of `layout`."""
    inked = page.ink
    cols = layout.columns
    edges = [*cols, min(cols[-1] + (cols[-1] - cols[-2] if len(cols) > 1 else 14), 200.0)]
    lines = []
    for row in layout.questions(page_no):
        fills = [_disc_fill(inked, x, row.y) for x in cols]
        stray = any(_gap_ink(inked, edges[k], edges[k + 1], row.y) > STRAY for k in range(len(cols)))
        lines.append(decide(fills, stray))
    return lines


def decide(fills: list[float], stray: bool) -> Line:
    """A bubble is filled, empty or doubtful; the line is doubtful when any bubble is, when a stroke
    crosses it, or when two bubbles are filled (two grades, or a correction: a person says which)."""
    marks = ["filled" if f >= FILLED else "empty" if f <= EMPTY else "doubtful" for f in fills]
    filled = [k for k, m in enumerate(marks) if m == "filled"]
    unsure = [k for k, m in enumerate(marks) if m == "doubtful"]
    line = Line(fills=fills, stray=stray, marks=marks)
    if len(filled) >= 2:
        line.kind, line.doubtful = "invalid", True
    elif len(filled) == 1:
        line.kind, line.grade = "answer", filled[0]
    elif unsure:
        best = max(unsure, key=lambda k: fills[k])
        if fills[best] >= (FILLED + EMPTY) / 2:
            line.kind, line.grade = "answer", best
        else:
            line.kind = "blank"
    else:
        line.kind = "blank"
    if unsure or stray:
        line.doubtful = True
    return line


CROP_PX = 12.0  # px/mm of a doubtful line's image: a bubble ≈ 67 px across, a pen stroke ≈ 6 px wide


def row_crop(page: Page, row: L.Row) -> bytes:
    """A question's bubbles (L.CROP_X0–L.CROP_X1, the line's height and a little more) as a grey PNG
    at CROP_PX px/mm, straightened again from the uploaded image so that it is as sharp as the scan
    allows: the person who decides sees the pen strokes large. No metadata, no sheet number (the QR
    code lies outside the crop)."""
    x0, y0 = L.CROP_X0, row.y - L.ROW_H / 2 - 1.0
    w, h = L.CROP_X1 - L.CROP_X0, L.ROW_H + 2.0
    size = (int(round(w * CROP_PX)), int(round(h * CROP_PX)))
    if page.source is not None and page.hom is not None:
        # page (PX px/mm) → crop (CROP_PX px/mm, origin at x0, y0), after source → page
        to_crop = np.array([[CROP_PX / PX, 0, -x0 * CROP_PX], [0, CROP_PX / PX, -y0 * CROP_PX], [0, 0, 1]])
        img = cv2.warpPerspective(page.source, to_crop @ page.hom, size, flags=cv2.INTER_CUBIC, borderValue=255)
    else:
        patch = page.image[int(y0 * PX) : int((y0 + h) * PX), int(x0 * PX) : int((x0 + w) * PX)]
        img = cv2.resize(patch, size, interpolation=cv2.INTER_CUBIC)
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    return buf.tobytes() if ok else b""


def page_jpeg(img: np.ndarray, *, width: int = 0, quality: int = 80) -> bytes:
    """A grey JPEG of a page (OpenCV writes no EXIF or other metadata)."""
    if width and img.shape[1] > width:
        img = cv2.resize(img, (width, int(img.shape[0] * width / img.shape[1])), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes() if ok else b""


def blank_qr(page: np.ndarray) -> np.ndarray:
    """A straightened page with its QR code (the sheet's number) painted white."""
    out = page.copy()
    x, y, s = L.QR_BOX
    out[int((y - 1) * PX) : int((y + s + 1) * PX), int((x - 1) * PX) : int((x + s + 1) * PX)] = 255
    return out


def thumb(img: np.ndarray, *, straightened: bool = False, width: int = 480) -> bytes:
    """A small JPEG of a page that could not be counted, for the person who decides about it; any QR
    code found on it is painted over, so the sheet's number is never shown."""
    if straightened:
        img = blank_qr(img)
    else:
        import zxingcpp

        img = img.copy()
        for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode):
            p = r.position
            pts = np.array(
                [
                    [p.top_left.x, p.top_left.y],
                    [p.top_right.x, p.top_right.y],
                    [p.bottom_right.x, p.bottom_right.y],
                    [p.bottom_left.x, p.bottom_left.y],
                ],
                np.int32,
            )
            c = pts.mean(axis=0)
            cv2.fillPoly(img, [np.round(c + (pts - c) * 1.4).astype(np.int32)], 255)
    return page_jpeg(img, width=width, quality=70)


TEXT_INK = 0.004  # share of dark pixels inside a free-text box above which something is written
TEXT_CROP_PX = 8.0  # px/mm of a free-text box's image


def text_ink(page: Page, box: tuple[str, float, float, float, float]) -> float:
    """Share of dark pixels inside a free-text box (mm), its border and printed label left out."""
    _f, x0, y0, x1, y1 = box
    m = 1.2
    patch = page.image[int((y0 + L.TEXT_LABEL_H) * PX) : int((y1 - m) * PX), int((x0 + m) * PX) : int((x1 - m) * PX)]
    if patch.size == 0:
        return 0.0
    paper = float(np.percentile(patch, 90))
    return float(np.count_nonzero(patch < paper * 0.6)) / patch.size


def text_crop(page: Page, box: tuple[str, float, float, float, float]) -> bytes:
    """A free-text box as a grey PNG at TEXT_CROP_PX px/mm, straightened from the uploaded image (as
    row_crop): the person who types it reads the handwriting. No metadata, no sheet number."""
    _f, x0, y0, x1, y1 = box
    x0, y0, x1, y1 = x0 - 1.0, y0 - 1.0, x1 + 1.0, y1 + 1.0
    size = (int(round((x1 - x0) * TEXT_CROP_PX)), int(round((y1 - y0) * TEXT_CROP_PX)))
    if page.source is not None and page.hom is not None:
        to_crop = np.array(
            [[TEXT_CROP_PX / PX, 0, -x0 * TEXT_CROP_PX], [0, TEXT_CROP_PX / PX, -y0 * TEXT_CROP_PX], [0, 0, 1]]
        )
        img = cv2.warpPerspective(page.source, to_crop @ page.hom, size, flags=cv2.INTER_AREA, borderValue=255)
    else:
        patch = page.image[int(y0 * PX) : int(y1 * PX), int(x0 * PX) : int(x1 * PX)]
        img = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    return buf.tobytes() if ok else b""


def written_boxes(page: Page, layout: L.Layout, page_no: int) -> dict[tuple[int, str], bytes]:
    """{(target id, field): PNG} of the free-text boxes of page `page_no` in which something is written."""
    out = {}
    for row in layout.text_rows(page_no):
        for box in layout.text_boxes(row):
            if text_ink(page, box) > TEXT_INK:
                out[(row.target, box[0])] = text_crop(page, box)
    return out
