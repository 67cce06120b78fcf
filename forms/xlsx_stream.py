"""A small streaming xlsx writer for the big exported workbook (研发支出辅助账): rows go straight into the zip as
XML text, so time and memory stay flat with the number of lines (hostile-input R4: 300,000 lines).

openpyxl writes about 12,000 cells a second here (no lxml); this writes well over a million.  It supports exactly
what the 辅助账 needs: inline strings, exact decimal numbers, dates, a fixed set of cell styles, column widths, row
heights, merged cells, frozen panes, print titles, page setup and a footer.  Text goes through the same rules as
:mod:`forms.xlsx_cells`: control characters dropped, text a spreadsheet could take for a formula stored with the
quote prefix (and inline strings are never formulas).
"""
from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from .xlsx_cells import FORMULA_TRIGGERS, XML_ILLEGAL

_EPOCH = dt.date(1899, 12, 30)
_COLS = [get_column_letter(i) for i in range(1, 200)]


def _abandon_zip(z: zipfile.ZipFile, member=None) -> None:
    """Close a zip being written after an error: every step may fail again (disk full); none may raise, and the
    ZipFile must end closed so that its ``__del__`` has nothing left to do."""
    import contextlib
    if member is not None:
        with contextlib.suppress(Exception):
            member.close()
    z._writing = False
    with contextlib.suppress(Exception):
        z.close()
    fp = getattr(z, "fp", None)
    if fp is not None:
        with contextlib.suppress(Exception):
            fp.close()
        z.fp = None


def save_workbook(wb, path) -> None:
    """Save ``wb`` to ``path``.  On a failure the zip is closed here (no ``ZipFile.__del__`` complaint on stderr
    later: hostile-input C4) and the error propagates; a write-only workbook's sheet buffers are removed."""
    import contextlib
    import os

    from openpyxl.writer.excel import ExcelWriter
    now = dt.datetime.now().replace(microsecond=0)
    wb.properties.created = wb.properties.modified = now
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(wb, archive).save()
    except BaseException:
        _abandon_zip(archive)
        for ws in getattr(wb, "_sheets", ()):
            writer = getattr(ws, "_writer", None)
            out = getattr(writer, "out", None)
            if isinstance(out, str):
                with contextlib.suppress(Exception):
                    writer.close()
                with contextlib.suppress(OSError):
                    os.unlink(out)
        raise


@dataclass(frozen=True)
class Style:
    """One cell format: font (name, size, bold), fill colour, border colour, alignment and number format."""
    font: str = "宋体"
    size: float = 10
    bold: bool = False
    fill: str | None = None               # RGB, e.g. "DDEBF7"
    border: str | None = None             # RGB of a thin box, e.g. "A6A6A6"
    horizontal: str | None = None
    vertical: str | None = "center"
    wrap: bool = False
    numfmt: str | None = None             # e.g. "#,##0.00", "yyyy-mm-dd"
    quote: bool = False


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


class StreamBook:
    """``with StreamBook(path) as book: sheet = book.sheet(name, …); sheet.row([...]); sheet.close()``."""

    def __init__(self, path, creator: str = "", title: str = ""):
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=1)
        self._styles: dict[Style, int] = {Style(): 0}
        self._sheets: list[tuple[str, str | None]] = []      # (name, print-title rows)
        self._open: StreamSheet | None = None
        self.creator, self.title = creator, title

    def style(self, st: Style) -> int:
        i = self._styles.get(st)
        if i is None:
            i = self._styles[st] = len(self._styles)
        return i

    def sheet(self, name: str, *, widths=(), freeze: str | None = None, print_rows: str | None = None,
              landscape: bool = True, paper: int = 9, footer_left: str = "", footer_center: str = "",
              margins=(0.4, 0.4, 0.5, 0.6)) -> "StreamSheet":
        if self._open is not None:
            self._open.close()
        index = len(self._sheets) + 1
        self._sheets.append((name, print_rows))
        sheet = StreamSheet(self, self._zip.open(f"xl/worksheets/sheet{index}.xml", "w"),
                            widths, freeze, landscape, paper, footer_left, footer_center, margins)
        self._open = sheet
        return sheet

    # -- the package parts ------------------------------------------------------------------------
    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        z = self._zip
        n = len(self._sheets)
        sheets_ct = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.styles+xml"/>' + sheets_ct +
                   '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
                   'core-properties+xml"/>'
                   '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'extended-properties+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   'officeDocument" Target="xl/workbook.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                   'metadata/core-properties" Target="docProps/core.xml"/>'
                   '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   'extended-properties" Target="docProps/app.xml"/></Relationships>')
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        z.writestr("docProps/core.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
                   ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
                   ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                   f'<dc:creator>{escape(self.creator)}</dc:creator><dc:title>{escape(self.title)}</dc:title>'
                   f'<cp:lastModifiedBy>{escape(self.creator)}</cp:lastModifiedBy>'
                   f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
                   f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')
        z.writestr("docProps/app.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                   f'<Application>{escape(self.creator)}</Application></Properties>')
        rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
        rels += (f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/styles" Target="styles.xml"/>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                   '</Relationships>')
        sheets = "".join(f'<sheet name="{_attr(name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (name, _) in enumerate(self._sheets, 1))
        names = "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                        f"'{_attr(name.replace(chr(39), chr(39) * 2))}'!${rows.replace(':', ':$')}</definedName>"
                        for i, (name, rows) in enumerate(self._sheets) if rows)
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                   ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
                   + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>")
        z.writestr("xl/styles.xml", self._styles_xml())
        z.close()

    def abort(self) -> None:
        """Close after a failure without raising, and so that nothing complains later (ZipFile.__del__ on a full
        disk: hostile-input C4)."""
        _abandon_zip(self._zip, self._open._fh if self._open is not None else None)
        self._open = None

    def _styles_xml(self) -> str:
        fonts, fills, borders, numfmts, xfs = {}, {None: 0}, {None: 0}, {}, []
        fonts[("宋体", 10, False)] = 0
        for st in self._styles:
            fonts.setdefault((st.font, st.size, st.bold), len(fonts))
            fills.setdefault(st.fill, len(fills) + 1)          # 0 none, 1 gray125 (required), then ours
            borders.setdefault(st.border, len(borders))
            if st.numfmt and st.numfmt not in numfmts:
                numfmts[st.numfmt] = 164 + len(numfmts)
        font_xml = "".join(f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><name val="{_attr(name)}"/>'
                           f'<family val="3"/><charset val="134"/></font>' for (name, size, bold) in fonts)
        fill_xml = '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        fill_xml += "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/>'
                            f'</patternFill></fill>' for c in fills if c)
        border_xml = "".join(
            "<border><left/><right/><top/><bottom/><diagonal/></border>" if c is None else
            "<border>" + "".join(f'<{side} style="thin"><color rgb="FF{c}"/></{side}>'
                                 for side in ("left", "right", "top", "bottom")) + "<diagonal/></border>"
            for c in borders)
        fmt_xml = "".join(f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in numfmts.items())
        xf_xml = []
        for st in self._styles:
            attrs = (f'numFmtId="{numfmts.get(st.numfmt, 0)}" fontId="{fonts[(st.font, st.size, st.bold)]}" '
                     f'fillId="{0 if st.fill is None else fills[st.fill]}" borderId="{borders[st.border]}" xfId="0"'
                     ' applyFont="1" applyAlignment="1"'
                     + (' applyNumberFormat="1"' if st.numfmt else "") + (' applyFill="1"' if st.fill else "")
                     + (' applyBorder="1"' if st.border else "") + (' quotePrefix="1"' if st.quote else ""))
            align = "".join(f' {k}="{v}"' for k, v in (("horizontal", st.horizontal), ("vertical", st.vertical))
                            if v) + (' wrapText="1"' if st.wrap else "")
            xf_xml.append(f"<xf {attrs}><alignment{align}/></xf>")
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + (f'<numFmts count="{len(numfmts)}">{fmt_xml}</numFmts>' if numfmts else "")
                + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
                + f'<fills count="{len(fills) + 1}">{fill_xml}</fills>'
                + f'<borders count="{len(borders)}">{border_xml}</borders>'
                + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                + f'<cellXfs count="{len(xf_xml)}">{"".join(xf_xml)}</cellXfs>'
                + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                + "</styleSheet>")


class StreamSheet:
    """Rows are written in order; each cell is None, or (value, style index).  Values: str (inline text), int or
    str-of-decimal via :meth:`number`, ``datetime.date``."""

    def __init__(self, book: StreamBook, fh, widths, freeze, landscape, paper, footer_left, footer_center, margins):
        self._book, self._fh = book, fh
        self._buf: list[str] = []                        # written to the zip in blocks of about 128 K characters
        self._size = 0
        self._r = 0
        self._merges: list[str] = []
        self._footer = (footer_left, footer_center)
        self._setup = (landscape, paper, margins)
        head = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews><sheetView workbookViewId="0"'
                + (' tabSelected="1"' if len(book._sheets) == 1 else "") + ">"]
        if freeze:
            row = int("".join(ch for ch in freeze if ch.isdigit()))
            head.append(f'<pane ySplit="{row - 1}" topLeftCell="{freeze}" activePane="bottomLeft" state="frozen"/>'
                        f'<selection pane="bottomLeft" activeCell="{freeze}" sqref="{freeze}"/>')
        head.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="13.5"/>')
        if widths:
            head.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
                                           for i, w in enumerate(widths, 1)) + "</cols>")
        head.append("<sheetData>")
        self._write("".join(head))

    def _write(self, text: str) -> None:
        self._buf.append(text)
        self._size += len(text)
        if self._size > 1 << 17:
            self._flush()

    def _flush(self) -> None:
        if self._buf:
            self._fh.write("".join(self._buf).encode("utf-8"))
            self._buf, self._size = [], 0

    @staticmethod
    def text(value, style: int, quoted_style: int | None = None):
        """A text cell (control characters dropped; the quote-prefixed style when it looks like a formula)."""
        value = XML_ILLEGAL.sub("", "" if value is None else str(value))
        if quoted_style is not None and value.startswith(FORMULA_TRIGGERS):
            style = quoted_style
        return ("s", value, style)

    @staticmethod
    def number(decimal_text: str, style: int):
        return ("n", decimal_text, style)

    @staticmethod
    def date(day: dt.date, style: int):
        return ("n", str((day - _EPOCH).days), style)

    @staticmethod
    def blank(style: int):
        return ("b", None, style)

    def row(self, cells, height: float | None = None) -> None:
        self._r += 1
        r = self._r
        parts = [f'<row r="{r}"' + (f' ht="{height:g}" customHeight="1"' if height else "") + ">"]
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            kind, value, style = cell
            ref = f"{_COLS[i]}{r}"
            if kind == "s":
                parts.append(f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}'
                             "</t></is></c>")
            elif kind == "n":
                parts.append(f'<c r="{ref}" s="{style}"><v>{value}</v></c>')
            else:
                parts.append(f'<c r="{ref}" s="{style}"/>')
        parts.append("</row>")
        self._write("".join(parts))

    @staticmethod
    def escape_text(value) -> str:
        """Cell text as XML: control characters dropped, & < > escaped."""
        text = XML_ILLEGAL.sub("", "" if value is None else str(value))
        return escape(text) if ("&" in text or "<" in text or ">" in text) else text

    def next_row(self) -> int:
        """Claim the next row number for :meth:`raw` (the caller writes the whole ``<row>`` element)."""
        self._r += 1
        return self._r

    def raw(self, xml: str) -> None:
        self._write(xml)

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self._merges.append(f"{_COLS[c1 - 1]}{r1}:{_COLS[c2 - 1]}{r2}")

    @property
    def current_row(self) -> int:
        return self._r

    def close(self) -> None:
        if self._fh is None:
            return
        tail = ["</sheetData>"]
        if self._merges:
            tail.append(f'<mergeCells count="{len(self._merges)}">'
                        + "".join(f'<mergeCell ref="{m}"/>' for m in self._merges) + "</mergeCells>")
        landscape, paper, (left, right, top, bottom) = self._setup
        tail.append('<printOptions horizontalCentered="1"/>'
                    f'<pageMargins left="{left}" right="{right}" top="{top}" bottom="{bottom}" header="0.3" footer="0.3"/>'
                    f'<pageSetup paperSize="{paper}" orientation="{"landscape" if landscape else "portrait"}"'
                    ' fitToWidth="1" fitToHeight="0"/>')
        fl, fc = self._footer
        footer = ""
        if fl:
            footer += "&amp;L&amp;9 " + escape(fl.replace("&", "&&"))
        if fc:
            footer += "&amp;C&amp;9 " + escape(fc)
        if footer:
            tail.append(f"<headerFooter><oddFooter>{footer}</oddFooter></headerFooter>")
        tail.append("</worksheet>")
        self._write("".join(tail))
        self._flush()
        self._fh.close()
        self._fh = None
        self._book._open = None
