"""Excel helpers shared by every export.

Cells are written with their real type: a date is a date cell (the office can sort and filter it),
a number a number, a percentage a number with a percent format. Text that a spreadsheet would run as
a formula (= + - @, tab, CR at the start) is stored as text with the quote-prefix style: the cell
shows exactly what was typed, with no visible apostrophe, and nothing runs.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.00%"


def safe_cell(value):
    """For plain `ws.append` rows (no cell objects): neutralise formula-like text with an apostrophe.

    Prefer `cell()`, which keeps the text as typed (quote-prefix style) and the other types real."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell(ws, value, *, font=None, fill=None, border=None, alignment=None, number_format: str | None = None):
    """A write-only cell of the right type. Style objects are passed in (create them once per
    workbook, not per cell: openpyxl then shares one style record for all cells alike)."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        value = float(value)
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        c.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        c.quotePrefix = True
    elif isinstance(value, (date, datetime)) and not number_format:
        number_format = DATE_FORMAT
    if number_format:
        c.number_format = number_format
    if font is not None:
        c.font = font
    if fill is not None:
        c.fill = fill
    if border is not None:
        c.border = border
    if alignment is not None:
        c.alignment = alignment
    return c


def download_name(name: str, extension: str) -> str:
    """A file name for Content-Disposition that keeps its Chinese characters (FileResponse encodes
    it as RFC 5987 filename*), without characters that file systems refuse."""
    clean = "".join("_" if ch in '\\/:*?"<>|\r\n\t' else ch for ch in name).strip(" .") or "export"
    return f"{clean[:120]}.{extension}"


class RowWriter:
    """Appends many rows to a write-only sheet, each column with its own style made once.

    `cell()` sets the font, border, … of each cell, and openpyxl then hashes those style objects for
    every cell: most of the time of a 100,000-row export. Here each column's styles are made once
    (plain, date, quote-prefixed text) and shared by its cells, and one cell object per column is
    reused, since a write-only sheet writes a row out as soon as it is appended. The cells written
    are the same as `cell()` writes: dates as date cells, formula-like text as quote-prefixed text.
    openpyxl's sheet would also try to re-type each cell object it is given (and fail, by design, with
    an exception per cell); rows made here skip that step, every other row goes through openpyxl as usual.

    `styles`: one dict per column of `cell()`'s keyword arguments (font, fill, border, alignment,
    number_format).
    """

    def __init__(self, ws, styles: list[dict]):
        self.ws = ws
        self.columns = []
        style_ids: dict[int, tuple] = {}
        for kw in styles:
            plain = cell(ws, "", **kw)._style
            dated = cell(ws, date(2000, 1, 1), **kw)._style
            quoted = cell(ws, "=", **kw)._style
            # the style a value is bound with: a date format, so that binding a date changes nothing
            binding = cell(ws, date(2000, 1, 1), **{**kw, "number_format": DATE_FORMAT})._style
            self.columns.append((_styled_cell_class()(style_ids, ws), plain, dated, quoted, binding))
        ws._values_to_row = self._values_to_row  # the sheet's hook for turning a row into cells

    def _values_to_row(self, values, row_idx):
        if type(values) is _TypedRow:
            for col_idx, c in enumerate(values, 1):
                c.column, c.row = col_idx, row_idx
            return values
        return type(self.ws)._values_to_row(self.ws, values, row_idx)

    def append(self, values) -> None:
        cells = _TypedRow()
        for (c, plain, dated, quoted, binding), value in zip(self.columns, values, strict=True):
            if type(value) is str:  # most cells: no style depends on the binding, which types them as text
                c._style = quoted if value.startswith(FORMULA_PREFIXES) else plain
                c.value = value  # openpyxl's string checks
                if c.data_type == "f":
                    c.data_type = "s"  # stored as typed, never run
                cells.append(c)
                continue
            if isinstance(value, Decimal):
                value = float(value)
            c._style = binding
            c.value = value  # openpyxl's own typing and string checks
            if c.data_type == "d":
                c._style = dated
            elif c.data_type == "f" or (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)):
                c.data_type = "s"  # stored as typed, never run
                c._style = quoted
            else:
                c._style = plain
            cells.append(c)
        self.ws.append(cells)


class _TypedRow(list):
    """A row of cells already typed and styled by RowWriter."""


@cache
def _styled_cell_class():
    """Made on first use: openpyxl is imported when a sheet is written, not when the site starts."""
    from openpyxl.cell.cell import Cell

    class StyledCell(Cell):
        """A cell whose few styles were registered with the workbook once: openpyxl would otherwise hash
        the cell's style to find its number for every cell written."""

        __slots__ = ("_style_ids",)

        def __init__(self, style_ids: dict[int, tuple], ws):
            super().__init__(ws, column=1, row=1)
            self._style_ids = style_ids

        @property
        def style_id(self):
            style = self._style
            found = self._style_ids.get(id(style))
            if found is None or found[0] is not style:
                # the first cell of this style: registered as openpyxl does it, in the same order
                found = self._style_ids[id(style)] = (style, super().style_id)
            return found[1]

    return StyledCell


def table_xlsx(title: str, widths: list[int], headers: list[str], rows) -> bytes:
    """One sheet: bold centred headers frozen on top, the given column widths, then the rows (write-only)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    bold, centred = Font(bold=True), Alignment(horizontal="center")
    ws.append([cell(ws, h, font=bold, alignment=centred) for h in headers])
    for row in rows:
        ws.append([cell(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
