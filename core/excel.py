"""Excel helpers shared by every export.

Cells are written with their real type: a date is a date cell (the office can sort and filter it),
a number a number, a percentage a number with a percent format. Text that a spreadsheet would run as
a formula (= + - @, tab, CR at the start) is stored as text with the quote-prefix style: the cell
shows exactly what was typed, with no visible apostrophe, and nothing runs.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
