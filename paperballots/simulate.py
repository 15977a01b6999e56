"""Sheets filled by simulated pens, then scanned or photographed badly: the test set of the reader
(tests/test_reading.py) and of bench/paper_scan.py. Not used by the running site.

A voter's intention per question (`Intent`) is drawn at random, drawn on the clean rasterised sheet
as pen strokes (ticks, crosses, full and partial fills, light and dark ink, corrections, stray marks),
and the page is then rotated, skewed, put in perspective, lit unevenly, blurred, noised and
JPEG-compressed."""

from dataclasses import dataclass, field

import cv2
import numpy as np

from . import layout as L


@dataclass
class Intent:
    kind: str  # "answer" / "blank" / "invalid" (two grades) / "correction" (old crossed out, new marked)
    grade: int | None = None  # the answer's grade index (the new one for a correction)
    marked: set[int] = field(default_factory=set)  # bubbles that carry a mark (truth per bubble)
    strokes: list[tuple[int, str]] = field(default_factory=list)  # (bubble, mark style)


STYLES = ["tick", "tick", "tick", "cross", "cross", "fill", "partial"]


def intent_random(rng: np.random.Generator, n_grades: int) -> Intent:
    roll = rng.random()
    if roll < 0.06:
        return Intent("blank")
    if roll < 0.08:
        a, b = rng.choice(n_grades, 2, replace=False)
        return Intent("invalid", None, {int(a), int(b)}, [(int(a), "tick"), (int(b), "tick")])
    if roll < 0.10:
        old, new = rng.choice(n_grades, 2, replace=False)
        return Intent("correction", int(new), {int(old), int(new)}, [(int(old), "scribble"), (int(new), "tick")])
    g = int(rng.integers(n_grades))
    return Intent("answer", g, {g}, [(g, str(rng.choice(STYLES)))])


def _stroke(mask, pts, width):
    cv2.polylines(mask, [np.round(pts * 16).astype(np.int32)], False, 255, max(1, int(round(width))), cv2.LINE_AA, 4)


def draw_mark(mask: np.ndarray, cx: float, cy: float, pxmm: float, style: str, rng: np.random.Generator) -> None:
    """Draw one pen mark centred near (cx, cy) (pixels) on `mask` (ink coverage 0..255)."""
    r = L.BUBBLE_R * pxmm
    width = rng.uniform(0.35, 0.7) * pxmm
    jit = lambda s: rng.normal(0, s * r)  # noqa: E731
    ox, oy = cx + jit(0.12), cy + jit(0.12)
    size = rng.uniform(0.8, 1.3)
    if style == "tick":
        pts = np.array(
            [[-0.6 + jit(0.1) / r, 0.0], [-0.1, 0.6 + jit(0.1) / r], [0.9 + jit(0.15) / r, -0.9 + jit(0.15) / r]]
        )
        _stroke(mask, np.array([ox, oy]) + pts * r * size, width)
    elif style == "cross":
        a = 0.75 * size
        _stroke(mask, np.array([[ox - a * r, oy - a * r], [ox + a * r + jit(0.1), oy + a * r + jit(0.1)]]), width)
        _stroke(mask, np.array([[ox + a * r, oy - a * r], [ox - a * r + jit(0.1), oy + a * r + jit(0.1)]]), width)
    elif style == "fill":
        cv2.circle(mask, (int(ox), int(oy)), int(r * rng.uniform(0.85, 1.05)), 255, -1, cv2.LINE_AA)
    elif style in ("partial", "scribble"):
        # zig-zag strokes across the bubble: a hasty partial fill, or (scribble) a wrong answer blacked out
        n = int(rng.integers(3, 5)) if style == "partial" else int(rng.integers(7, 10))
        span = rng.uniform(0.5, 0.8) if style == "partial" else 1.0
        ys = np.linspace(-span, span, n) * r
        pts = np.array([[ox + (-0.8 if k % 2 else 0.8) * r + jit(0.1), oy + y] for k, y in enumerate(ys)])
        _stroke(mask, pts, max(width, 0.6 * pxmm) if style == "scribble" else width)
    elif style == "dot":
        cv2.circle(mask, (int(ox), int(oy)), max(1, int(0.35 * pxmm)), 255, -1, cv2.LINE_AA)


def draw_stray(mask: np.ndarray, layout: L.Layout, page: int, pxmm: float, rng: np.random.Generator) -> None:
    """A stray mark: a pen line across a question's line, or a doodle in the margin."""
    rows = layout.questions(page)
    if rng.random() < 0.5 and rows:
        row = rows[int(rng.integers(len(rows)))]
        x0 = rng.uniform(L.TEXT_X, L.BUBBLES_X0)
        x1 = rng.uniform(L.BUBBLES_X0 + 20, 198)
        y = row.y + rng.uniform(-1.5, 1.5)
        _stroke(mask, np.array([[x0, y], [x1, y + rng.uniform(-2, 2)]]) * pxmm, 0.5 * pxmm)
    else:
        x, y = rng.uniform(30, 100), rng.uniform(45, 268)
        pts = np.array([[x + 3 * np.cos(t), y + 2 * np.sin(2 * t)] for t in np.linspace(0, 6, 14)]) * pxmm
        _stroke(mask, pts, 0.5 * pxmm)


def fill_page(
    clean: np.ndarray,
    layout: L.Layout,
    page: int,
    intents: list[Intent],
    dpi: int,
    rng: np.random.Generator,
    *,
    stray: bool = True,
    ink: float | None = None,
) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Apply the voter's pen to a clean grey page rasterised at `dpi`. Returns the page and the
    (question, bubble) pairs that a stray mark touched (their truth is not the voter's intent)."""
    pxmm = dpi / 25.4
    if ink is None:  # a dark pen, or a light one (a fading ballpoint, a pencil)
        ink = rng.uniform(10, 60) if rng.random() < 0.8 else rng.uniform(95, 135)
    mask = np.zeros(clean.shape, np.uint8)
    for row, intent in zip(layout.questions(page), intents):
        for bubble, style in intent.strokes:
            draw_mark(mask, layout.columns[bubble] * pxmm, row.y * pxmm, pxmm, style, rng)
    touched = set()
    if stray and rng.random() < 0.3:
        smask = np.zeros(clean.shape, np.uint8)
        draw_stray(smask, layout, page, pxmm, rng)
        r = int(L.BUBBLE_R * pxmm)
        for q, row in enumerate(layout.questions(page)):
            for b, x in enumerate(layout.columns):
                cx, cy = int(x * pxmm), int(row.y * pxmm)
                if smask[cy - r : cy + r + 1, cx - r : cx + r + 1].any():
                    touched.add((q, b))
        mask = np.maximum(mask, smask)
    out = clean.copy()
    where = mask > 0
    a = mask[where].astype(np.float32) / 255
    out[where] = np.clip(clean[where] * (1 - a * (1 - ink / 255)), 0, 255).astype(np.uint8)
    return out, touched


def scan(img: np.ndarray, rng: np.random.Generator, *, photo: bool = False) -> bytes:
    """The page as an office scanner (rotation, skew, noise, JPEG) or a phone (perspective, a table
    around the sheet, uneven light, blur) would give it. Returns JPEG bytes."""
    if photo and max(img.shape) > 2400:  # a phone photo holds about this much of the sheet
        img = cv2.resize(img, None, fx=0.65, fy=0.65, interpolation=cv2.INTER_AREA)
    h, w = img.shape
    angle = rng.uniform(-5, 5)
    shear = rng.uniform(-0.02, 0.02)
    if photo:
        pad = int(0.08 * max(h, w))
        canvas = np.full((h + 2 * pad, w + 2 * pad), rng.uniform(60, 120), np.float32)
        canvas[pad : pad + h, pad : pad + w] = img
        src = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]])
        dst = src + rng.uniform(-0.05, 0.05, (4, 2)).astype(np.float32) * np.float32([w, h])
        rot = cv2.getRotationMatrix2D((canvas.shape[1] / 2, canvas.shape[0] / 2), angle, 1.0)
        dst = (np.hstack([dst, np.ones((4, 1), np.float32)]) @ rot.T).astype(np.float32)
        hom = cv2.getPerspectiveTransform(src, dst)
        out = cv2.warpPerspective(canvas, hom, (canvas.shape[1], canvas.shape[0]), borderValue=90)
        # a lamp to one side: light falls from 1 to about 0.55 across the sheet
        gx, gy = rng.uniform(-1, 1, 2)
        xs = np.linspace(-0.5, 0.5, out.shape[1], dtype=np.float32)[None, :]
        ys = np.linspace(-0.5, 0.5, out.shape[0], dtype=np.float32)[:, None]
        out *= np.clip(0.78 - 0.45 * (gx * xs + gy * ys), 0.5, 1.0)
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.6, 1.3))
        noise, quality = rng.uniform(4, 8), int(rng.integers(55, 85))
    else:
        # the scanner's glass is a little larger than the sheet, its lid white
        pad = int(0.05 * max(h, w))
        bed = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
        rot = cv2.getRotationMatrix2D((bed.shape[1] / 2, bed.shape[0] / 2), angle, 1.0)
        rot[0, 1] += shear
        out = cv2.warpAffine(bed, rot, (bed.shape[1], bed.shape[0]), borderValue=250).astype(np.float32)
        out *= rng.uniform(0.9, 1.0)
        noise, quality = rng.uniform(2, 5), int(rng.integers(60, 90))
    grain = np.empty(out.shape, np.float32)
    cv2.randn(grain, 0, noise)
    out += grain
    ok, buf = cv2.imencode(".jpg", np.clip(out, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes()


def rasterise(pdf: bytes, index: int, dpi: int) -> np.ndarray:
    """Page `index` of a PDF as a clean grey image at `dpi` (what a perfect printer and scanner give)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        arr = doc[index].render(scale=dpi / 72, grayscale=True).to_numpy()
        return (arr[:, :, 0] if arr.ndim == 3 else arr).copy()
    finally:
        doc.close()
