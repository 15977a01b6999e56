"""Where everything sits on a printed sheet, in millimetres on A4 portrait (210 × 297).

One `Layout` is computed from a round's questions and grades when sheets are printed and stored as
JSON on `SheetLayout`, so a sheet is read against exactly the geometry it was printed with, even if
the round's items change later (then new sheets get a new layout). Both the PDF (sheets.py) and the
reader (reader.py) take every position from here; nothing else knows a coordinate.
"""

from dataclasses import asdict, dataclass, field

PAGE_W, PAGE_H = 210.0, 297.0
# Four ArUco markers (OpenCV's 4×4 dictionary, ids 0–3) near the corners, 12 mm square, 12 mm from the
# edges: inside the unprintable margin of every office laser printer, outside the area people write on.
MARKER_SIZE = 12.0
MARKERS = {  # id → top-left corner
    0: (12.0, 12.0),
    1: (PAGE_W - 12.0 - MARKER_SIZE, 12.0),
    2: (PAGE_W - 12.0 - MARKER_SIZE, PAGE_H - 12.0 - MARKER_SIZE),
    3: (12.0, PAGE_H - 12.0 - MARKER_SIZE),
}
QR_BOX = (150.0, 10.0, 26.0)  # x, y, size (quiet zone included)
BUBBLE_R = 2.8  # printed ring radius
ROW_H = 9.0  # a question
HEAD_H = 7.0  # a target's name above its questions
ROWS_TOP = 62.0  # first row's top (the grade labels sit just above)
ROWS_BOTTOM = 270.0
BUBBLES_X0, BUBBLES_X1 = 112.0, 194.0  # bubble columns share this span
TEXT_X = 26.0
# What a doubtful line's image shows (reader.row_crop): its bubbles, from a little before the first
# column to the marker-free right margin.
CROP_X0, CROP_X1 = BUBBLES_X0 - 6.0, 200.0
# Free-text boxes (优点/不足/意见建议, when the round asks for them): one row under a target's questions,
# the boxes side by side from TEXT_X to BUBBLES_X1, each labelled in its top-left corner.
TEXT_H = 22.0
TEXT_GAP = 3.0
TEXT_LABEL_H = 4.5  # the printed label's strip at the top of a box (not measured for ink)


@dataclass
class Row:
    kind: str  # "q" (question), "h" (a target's heading) or "t" (its free-text boxes)
    y: float  # centre line, mm
    target: int
    item: int = 0  # 0 for a heading
    text: str = ""


@dataclass
class Layout:
    grades: list[int]
    grade_labels: list[str]
    columns: list[float]  # bubble centre x per grade, mm
    pages: list[list[Row]]
    text_fields: list[str] = field(default_factory=list)  # FreeText.Field values, in order
    text_labels: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        out = {
            "grades": self.grades,
            "grade_labels": self.grade_labels,
            "columns": self.columns,
            "pages": [[asdict(r) for r in page] for page in self.pages],
        }
        if self.text_fields:
            out |= {"text_fields": self.text_fields, "text_labels": self.text_labels}
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Layout":
        return cls(
            grades=list(data["grades"]),
            grade_labels=list(data["grade_labels"]),
            columns=list(data["columns"]),
            pages=[[Row(**r) for r in page] for page in data["pages"]],
            text_fields=list(data.get("text_fields", [])),
            text_labels=list(data.get("text_labels", [])),
        )

    def questions(self, page: int) -> list[Row]:
        return [r for r in self.pages[page] if r.kind == "q"]

    def text_rows(self, page: int) -> list[Row]:
        return [r for r in self.pages[page] if r.kind == "t"]

    def text_boxes(self, row: Row) -> list[tuple[str, float, float, float, float]]:
        """The free-text boxes of a text row: (field, x0, y0, x1, y1) in mm."""
        return text_boxes(self.text_fields, row.y)

    def all_questions(self) -> list[tuple[int, int]]:
        return [(r.target, r.item) for page in self.pages for r in page if r.kind == "q"]


def columns_for(n_grades: int) -> list[float]:
    step = (BUBBLES_X1 - BUBBLES_X0) / n_grades
    return [round(BUBBLES_X0 + step * (k + 0.5), 2) for k in range(n_grades)]


def text_boxes(fields: list[str], y: float) -> list[tuple[str, float, float, float, float]]:
    if not fields:
        return []
    width = (BUBBLES_X1 - TEXT_X - TEXT_GAP * (len(fields) - 1)) / len(fields)
    top, bottom = y - TEXT_H / 2 + 1.0, y + TEXT_H / 2 - 1.0
    return [
        (f, round(TEXT_X + k * (width + TEXT_GAP), 2), top, round(TEXT_X + k * (width + TEXT_GAP) + width, 2), bottom)
        for k, f in enumerate(fields)
    ]


def layout_build(
    questions: list[tuple[int, str, list[tuple[int, str]]]],
    grades: list[tuple[int, str]],
    texts: list[tuple[str, str]] = (),
) -> Layout:
    """`questions`: [(target id, target name, [(item id, item text)])] in ballot order; `grades`:
    [(grade id, label)]; `texts`: the free-text fields asked [(field, label)], a row of boxes under
    each target's questions. A target's heading is never left alone at the foot of a page."""
    if not grades or len(grades) > 7:
        raise ValueError("a sheet holds 1 to 7 grades")
    pages: list[list[Row]] = [[]]
    y = ROWS_TOP
    for target_id, target_name, items in questions:
        if not items:
            continue
        for k, (item_id, item_text) in enumerate(items):
            need = ROW_H + (HEAD_H if k == 0 else 0)
            if y + need > ROWS_BOTTOM:
                pages.append([])
                y = ROWS_TOP
            if k == 0 or not pages[-1]:
                pages[-1].append(Row("h", round(y + HEAD_H / 2, 2), target_id, 0, target_name))
                y += HEAD_H
            pages[-1].append(Row("q", round(y + ROW_H / 2, 2), target_id, item_id, item_text))
            y += ROW_H
        if texts:
            if y + TEXT_H > ROWS_BOTTOM:  # the boxes go on the next page, under the target's name again
                pages.append([Row("h", round(ROWS_TOP + HEAD_H / 2, 2), target_id, 0, target_name)])
                y = ROWS_TOP + HEAD_H
            pages[-1].append(Row("t", round(y + TEXT_H / 2, 2), target_id))
            y += TEXT_H
    return Layout(
        grades=[g for g, _ in grades],
        grade_labels=[label for _, label in grades],
        columns=columns_for(len(grades)),
        pages=pages,
        text_fields=[f for f, _ in texts],
        text_labels=[label for _, label in texts],
    )


# What the QR code says: R1.<round>.<group>.<layout code>.<page (1-based)>.<sheet number>. Upper-case
# letters, digits and dots only, so the code stays small (QR alphanumeric mode). It names no person.
QR_PREFIX = "R1"


@dataclass(frozen=True)
class SheetId:
    evaluation: int
    group: int
    layout: str
    page: int
    number: str

    def payload(self) -> str:
        return f"{QR_PREFIX}.{self.evaluation}.{self.group}.{self.layout}.{self.page}.{self.number}"

    @classmethod
    def parse(cls, text: str) -> "SheetId | None":
        parts = (text or "").strip().split(".")
        if len(parts) != 6 or parts[0] != QR_PREFIX:
            return None
        try:
            return cls(int(parts[1]), int(parts[2]), parts[3], int(parts[4]), parts[5])
        except ValueError:
            return None
