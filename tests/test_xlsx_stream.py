"""forms.xlsx_stream: the streamed workbook reads back in openpyxl exactly as written (values, exact amounts,
dates, styles, merges, print titles, frozen panes, page setup) and is safe for any text."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl

from forms.xlsx_stream import Style, StreamBook


def test_stream_book_round_trip(tmp_path):
    path = tmp_path / "s.xlsx"
    book = StreamBook(path, creator="研发惠企测算", title="测试")
    bold = book.style(Style(bold=True, fill="DDEBF7", border="808080", horizontal="center", wrap=True))
    amount = book.style(Style(numfmt="#,##0.00", horizontal="right", border="A6A6A6"))
    date = book.style(Style(numfmt="yyyy-mm-dd"))
    text = book.style(Style(wrap=True))
    quoted = book.style(Style(wrap=True, quote=True))
    ws = book.sheet("RD'01<&>", widths=(12, 30), freeze="A3", print_rows="1:2", landscape=True, paper=9,
                    footer_left="甲&乙", footer_center="第 &P 页")
    ws.row([ws.text("标题 <&> \x01", bold), ws.blank(bold)], 24)
    ws.merge(1, 1, 1, 2)
    ws.row([ws.date(dt.date(2024, 2, 29), date), ws.number("1234567890123.45", amount)])
    ws.row([ws.text("=HYPERLINK(\"x\")", text, quoted), ws.text("普通", text, quoted)])
    r = ws.next_row()
    ws.raw(f'<row r="{r}"><c r="A{r}" s="{amount}"><v>-0.05</v></c></row>')
    ws.close()
    other = book.sheet("第二页")
    other.row([other.text("x", text)])
    book.close()

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["RD'01<&>", "第二页"] and wb.properties.creator == "研发惠企测算"
    s = wb["RD'01<&>"]
    assert s["A1"].value == "标题 <&> " and s["A1"].font.bold and s["A1"].font.name == "宋体"
    assert "A1:B1" in {str(m) for m in s.merged_cells.ranges}
    assert s["A2"].value == dt.datetime(2024, 2, 29) and s["A2"].number_format == "yyyy-mm-dd"
    assert Decimal(str(s["B2"].value)) == Decimal("1234567890123.45") and s["B2"].number_format == "#,##0.00"
    assert s["A3"].data_type == "s" and s["A3"].quotePrefix and not s["B3"].quotePrefix
    assert s["A4"].value == -0.05
    assert s.print_title_rows in ("$1:$2", "1:2") and s.freeze_panes == "A3"
    assert s.page_setup.orientation == "landscape" and s.page_setup.paperSize == 9 and s.page_setup.fitToWidth == 1
    assert s.column_dimensions["B"].width == 30 and s.row_dimensions[1].height == 24
    assert "甲&&乙" in s.oddFooter.left.text or "甲&乙" in s.oddFooter.left.text
