"""The printable sheet: an A4 PDF (WeasyPrint, the system's Noto CJK font embedded) drawn from a
`Layout`, every position in millimetres from layout.py, so the reader finds each bubble where it
was printed. One QR code per page names the round, the group, the layout, the page and the sheet's
random number, and nothing else."""

import base64
import functools

import segno
from django.template.loader import render_to_string

from . import layout as L


@functools.cache
def marker_svg(marker_id: int) -> str:
    """An ArUco marker (OpenCV's 4×4 dictionary) as a data-URI SVG of black cells: vector, so it prints
    with sharp edges at any resolution."""
    import cv2

    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    bits = cv2.aruco.generateImageMarker(dictionary, marker_id, 6)  # 4×4 cells + one-cell black border
    cells = "".join(
        f'<rect x="{x}" y="{y}" width="1.02" height="1.02"/>' for y in range(6) for x in range(6) if bits[y, x] < 128
    )
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 6 6" shape-rendering="crispEdges">{cells}</svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def page_context(layout: L.Layout, page: int) -> dict:
    rows = []
    labels = dict(zip(layout.text_fields, layout.text_labels))
    for r in layout.pages[page]:
        height = {"q": L.ROW_H, "h": L.HEAD_H, "t": L.TEXT_H}[r.kind]
        boxes = [
            {"label": labels[f], "left": x0, "top": y0, "width": round(x1 - x0, 2), "height": round(y1 - y0, 2)}
            for f, x0, y0, x1, y1 in (layout.text_boxes(r) if r.kind == "t" else [])
        ]
        rows.append(
            {"row": r, "top": r.y - height / 2, "height": height, "bubble_top": r.y - L.BUBBLE_R, "boxes": boxes}
        )
    return {"rows": rows}


def template_pdf(*, layout: L.Layout, title: str, group: str, promise: str, rules: list[str] = ()) -> bytes:
    """One copy of each page of the sheet, without its QR code (WeasyPrint: text, fonts, markers)."""
    from weasyprint import HTML

    n_pages = len(layout.pages)
    columns = [
        {"x": x, "label": label, "left": x - L.BUBBLE_R, "label_left": x - 9}
        for x, label in zip(layout.columns, layout.grade_labels)
    ]
    markers = [{"src": marker_svg(i), "x": x, "y": y} for i, (x, y) in L.MARKERS.items()]
    printed = [{"page": p + 1, **page_context(layout, p)} for p in range(n_pages)]
    html = render_to_string(
        "paperballots/sheet_pdf.html",
        {
            "printed": printed,
            "n_pages": n_pages,
            "columns": columns,
            "markers": markers,
            "title": title,
            "group": group,
            "promise": promise,
            "rules": rules,
            "boxes_asked": bool(layout.text_fields),
            "L": {
                "marker": L.MARKER_SIZE,
                "d": 2 * L.BUBBLE_R,
                "text_x": L.TEXT_X,
                "text_w": L.BUBBLES_X0 - L.TEXT_X - 3,
                "labels_y": L.ROWS_TOP - 6,
                "how_w": L.QR_BOX[0] - 2 - 28,
            },
        },
    )
    return HTML(string=html).write_pdf()


_PT = 72 / 25.4


def _stamp_qr(pdfium, page, payload: str) -> None:
    """Draw the QR code as filled rectangles (vector, sharp on any printer): one per run of dark
    modules in a row."""
    raw = pdfium.raw
    qr = segno.make(payload, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix]
    n = len(matrix)
    x0, y0, size = L.QR_BOX
    module = size / (n + 4)  # two modules of quiet zone each side
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            left = (x0 + (start + 2) * module) * _PT
            top = (y0 + (r + 2) * module) * _PT
            obj = raw.FPDFPageObj_CreateNewRect(
                left, (L.PAGE_H * _PT) - top - module * _PT, (c - start) * module * _PT + 0.05, module * _PT + 0.05
            )
            raw.FPDFPageObj_SetFillColor(obj, 0, 0, 0, 255)
            raw.FPDFPath_SetDrawMode(obj, raw.FPDF_FILLMODE_WINDING, False)
            raw.FPDFPage_InsertObject(page.raw, obj)


def sheets_pdf(
    *, layout: L.Layout, ids: list[list[L.SheetId]], title: str, group: str, promise: str, rules: list[str] = ()
) -> bytes:
    """`ids`: per sheet, the SheetId of each of its pages. The sheet's pages are laid out once and
    shared (a PDF XObject); each printed page gets only its own QR code on top. `rules`: the round's
    rules the voter must know (a cap on the top grade), printed with the instructions. Returns the PDF."""
    import io

    import pypdfium2 as pdfium

    template = pdfium.PdfDocument(template_pdf(layout=layout, title=title, group=group, promise=promise, rules=rules))
    out = pdfium.PdfDocument.new()
    try:
        xobjects = [template.page_as_xobject(p, out) for p in range(len(template))]
        for sheet in ids:
            for p, sid in enumerate(sheet):
                page = out.new_page(L.PAGE_W * _PT, L.PAGE_H * _PT)
                page.insert_obj(xobjects[p].as_pageobject())
                _stamp_qr(pdfium, page, sid.payload())
                page.gen_content()
                page.close()
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()
        template.close()
