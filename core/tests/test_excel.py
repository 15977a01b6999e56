"""core.excel: RowWriter writes exactly the cells that cell() writes, with styles made once."""

from datetime import date
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Side

from core.excel import PERCENT_FORMAT, RowWriter, cell

BORDER = Border(left=Side(style="thin"))
WRAP = Alignment(wrap_text=True)
VALUES = ["=1+1", "+86 138", "plain", date(2026, 11, 29), Decimal("0.25"), 7, None, "", "-5"]


def _write(path, use_writer: bool) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    styles = [
        {"border": BORDER, "alignment": WRAP, "number_format": PERCENT_FORMAT if i == 4 else None}
        for i in range(len(VALUES))
    ]
    writer = RowWriter(ws, styles) if use_writer else None
    ws.append(["a header row of plain values", date(2026, 1, 1)])
    for _ in range(3):
        if writer:
            writer.append(VALUES)
        else:
            ws.append([cell(ws, v, **kw) for v, kw in zip(VALUES, styles, strict=True)])
    wb.save(path)


def test_it_writes_the_same_cells_as_cell(tmp_path):
    _write(tmp_path / "a.xlsx", use_writer=False)
    _write(tmp_path / "b.xlsx", use_writer=True)
    a, b = load_workbook(tmp_path / "a.xlsx")["s"], load_workbook(tmp_path / "b.xlsx")["s"]
    seen = [
        (c.value, c.data_type, c.number_format, c.quotePrefix, c.border.left.style, c.alignment.wrap_text)
        for row in b.iter_rows()
        for c in row
    ]
    assert seen == [
        (c.value, c.data_type, c.number_format, c.quotePrefix, c.border.left.style, c.alignment.wrap_text)
        for row in a.iter_rows()
        for c in row
    ]
    first = b["A2"]
    assert (first.value, first.data_type, first.quotePrefix) == ("=1+1", "s", True)  # text, never a formula
    assert b["D2"].is_date and b["D2"].number_format == "yyyy-mm-dd"
    assert b["E2"].value == 0.25 and b["E2"].number_format == PERCENT_FORMAT
    assert b["B1"].is_date  # the plain row went through openpyxl untouched
