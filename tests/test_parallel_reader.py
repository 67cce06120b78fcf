"""Big worksheets are parsed in chunks of rows on worker threads (forms.xlsx_reader._read_chunked).

The chunks must give exactly the rows of one parse of the whole sheet, or the reader must notice that the sheet
is not plain enough for chunks and read it whole.  Every test here reads a file twice — chunks forced (tiny
threshold and chunk size, two workers) and chunks off — and compares the rows (with their types) or the error
code; the crafted cases also check which way the sheet was read.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import xlsx_reader
from forms.xlsx_reader import WorkbookError, read_workbook
from tests.test_xlsx_reader import _package, _sheet_xml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"


def _read(path: Path, *, chunks: bool, chunk_bytes: int = 256, monkeypatch=None):
    """(rows with types per sheet, or the error code), and how each deferred sheet was read."""
    mp = monkeypatch
    ways: list[str] = []
    real = xlsx_reader._read_chunked

    def spy(*args, **kwargs):
        rows = real(*args, **kwargs)
        ways.append("whole" if rows is None else "chunks")
        return rows

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xlsx_reader, "_PARALLEL_MIN", 0 if chunks else 10**18)
        mp.setattr(xlsx_reader, "_PARALLEL_CHUNK", chunk_bytes)
        mp.setattr(xlsx_reader, "_workers", lambda: 2)
        mp.setattr(xlsx_reader, "_read_chunked", spy)
        try:
            book = read_workbook(path)
        except WorkbookError as exc:
            return exc.code, ways
    return {k: [[(type(v).__name__, v) for v in r] for r in s.rows] for k, s in book.sheets.items()}, ways


def assert_same(path: Path, *, way: str | None = None, chunk_bytes: int = 256):
    whole, _ = _read(path, chunks=False)
    chunked, ways = _read(path, chunks=True, chunk_bytes=chunk_bytes)
    assert chunked == whole
    if way is not None:
        assert ways and set(ways) == {way}, ways
    return whole, ways


# --------------------------------------------------------------------------- real workbooks


def test_sample_enterprise_reads_the_same_in_chunks():
    whole, ways = assert_same(SAMPLE, way="chunks", chunk_bytes=4096)
    assert len(ways) >= 3                                   # the sample's sheets, each in several chunks
    assert len(whole["研发支出"]) > 2000


def test_sample_ledger_is_the_same_in_chunks(monkeypatch):
    from forms.workbook import load_ledger

    plain = load_ledger(SAMPLE)
    monkeypatch.setattr(xlsx_reader, "_PARALLEL_MIN", 0)
    monkeypatch.setattr(xlsx_reader, "_PARALLEL_CHUNK", 2048)
    monkeypatch.setattr(xlsx_reader, "_workers", lambda: 3)
    assert load_ledger(SAMPLE) == plain


def _openpyxl_book(path: Path, sheets: dict[str, list[tuple[str, object]]], *, epoch_1904=False) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if epoch_1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904
        wb.epoch = CALENDAR_MAC_1904
    for name, cells in sheets.items():
        ws = wb.create_sheet(name)
        for ref, value in cells:
            ws[ref] = value
            if isinstance(value, dt.timedelta):
                ws[ref].number_format = "[h]:mm:ss"
    wb.save(path)
    return path


_values = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from("甲乙研发<>&\"' abc</row>sheetData]]>\t"), max_size=12),
    st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(dt.date(1905, 1, 1), dt.date(2099, 12, 31)),
    st.timedeltas(dt.timedelta(0), dt.timedelta(days=3)).map(lambda d: dt.timedelta(seconds=int(d.total_seconds()))),
)


@st.composite
def _sheet_cells(draw):
    rows = draw(st.lists(st.integers(1, 60), min_size=1, max_size=40, unique=True))
    cells = []
    for r in sorted(rows):
        for c in draw(st.lists(st.integers(1, 9), min_size=1, max_size=6, unique=True)):
            value = draw(_values)
            if value is not None:
                cells.append((f"{openpyxl.utils.get_column_letter(c)}{r}", value))
    return cells


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=_sheet_cells(), other=_sheet_cells(), chunk=st.integers(40, 2000), epoch=st.booleans())
def test_any_openpyxl_workbook_reads_the_same_in_chunks(tmp_path_factory, cells, other, chunk, epoch):
    path = _openpyxl_book(tmp_path_factory.mktemp("p") / "w.xlsx", {"数据": cells, "其他": other}, epoch_1904=epoch)
    assert_same(path, chunk_bytes=chunk)


# --------------------------------------------------------------------------- crafted worksheets

def _rows(n: int, *, first: int = 1) -> str:
    return "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>行{r}</t></is></c></row>'
                   for r in range(first, first + n))


CRAFTED = {
    # name: (rows XML, how the sheet must be read)
    "plain": (_rows(40), "chunks"),
    "comment with </row>": (_rows(10) + "<!-- </row> -->" + _rows(10, first=11), "whole"),
    "CDATA with </row>": (_rows(10) + '<row r="11"><c r="A11" t="inlineStr"><is><t><![CDATA[a</row>b]]></t></is></c></row>'
                          + _rows(10, first=12), "whole"),
    "processing instruction": (_rows(10) + "<?pi x?>" + _rows(10, first=11), "whole"),
    "cells without r": (_rows(10) + "".join(f"<row><c><v>{i}</v></c></row>" for i in range(10)), "whole"),
    "rows out of order": (_rows(10, first=20) + _rows(5, first=1), "whole"),
    "prefixed cells": (_rows(10) + '<row r="11"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                       'r="A11"><x:v>1</x:v></x:c></row>' + _rows(10, first=12), "whole"),
    "sheetData in a text": (_rows(10) + '<row r="11"><c r="A11" t="inlineStr"><is><t>sheetData</t></is></c></row>'
                            + _rows(10, first=12), "whole"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_worksheets_read_the_same(tmp_path, case):
    xml, way = CRAFTED[case]
    path = _package(tmp_path / "c.xlsx", _sheet_xml(xml, "A1:B40"))
    whole, ways = assert_same(path, way=way, chunk_bytes=300)
    assert isinstance(whole, dict)


def test_a_row_end_inside_a_cell_is_never_a_chunk_boundary(tmp_path):
    # calamine reads "</row>" inside a cell leniently; a cut there would leave the cell open: the sheet is read whole
    xml = _rows(10) + '<row r="11"><c r="A11"><v>5</v></row><row r="12"></c></row>' + _rows(10, first=13)
    path = _package(tmp_path / "c.xlsx", _sheet_xml(xml))
    assert_same(path, chunk_bytes=len(_rows(10)) + 40)


@pytest.mark.parametrize("case, code", [
    ("dtd", "xml_attack"),
    ("bad crc", "truncated"),
])
def test_broken_big_worksheets_fail_as_before(tmp_path, case, code):
    xml = _sheet_xml(_rows(30))
    if case == "dtd":
        xml = xml.replace('<row r="20">', '<!DOCTYPE x [<!ENTITY a "b">]><row r="20">')
    path = _package(tmp_path / "c.xlsx", xml)
    if case == "bad crc":
        from tests.test_xlsx_reader import _patch_member
        _patch_member(path, "xl/worksheets/sheet1.xml", crc=12345)
    assert _read(path, chunks=False)[0] == code
    assert _read(path, chunks=True)[0] == code


def test_sheet_names_the_reader_and_calamine_see_differently_are_scanned_first(tmp_path):
    # a literal tab in the name: expat normalises it to a space, calamine keeps it; the deferred sheet is then
    # never matched by name, and must be scanned before any sheet is parsed whole
    wb = _WB_TAB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                    '<sheets><sheet name="数\t据" sheetId="1" r:id="rId1"/></sheets></workbook>')
    path = _package(tmp_path / "t.xlsx", _sheet_xml(_rows(30)), overrides={"xl/workbook.xml": wb})
    whole, ways = assert_same(path)
    assert ways == [] and whole
    del _WB_TAB


def test_two_sheets_on_one_member_are_not_chunked(tmp_path):
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
          '<sheets><sheet name="甲" sheetId="1" r:id="rId1"/><sheet name="乙" sheetId="2" r:id="rId1"/></sheets></workbook>')
    path = _package(tmp_path / "t.xlsx", _sheet_xml(_rows(30)), overrides={"xl/workbook.xml": wb})
    whole, ways = assert_same(path)
    assert ways == []


def _codes_in_child(paths: list[Path]) -> list[str]:
    """read_workbook() in a child with chunks forced and the address space capped: a cell that made calamine
    allocate a huge grid would kill the child, not the test runner."""
    script = (
        "import json, sys, resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (6 * 1024**3, 6 * 1024**3))\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from forms import xlsx_reader\n"
        "xlsx_reader._PARALLEL_MIN = 0\n"
        "xlsx_reader._PARALLEL_CHUNK = 200\n"
        "xlsx_reader._workers = lambda: 2\n"
        "out = []\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        xlsx_reader.read_workbook(p)\n"
        "        out.append('ok')\n"
        "    except xlsx_reader.WorkbookError as e:\n"
        "        out.append(e.code)\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"child died (rc={proc.returncode}): {proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_a_far_cell_in_a_late_chunk_is_rejected_before_calamine(tmp_path):
    far = _rows(30) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    wide = _rows(30) + '<row r="31"><c r="A31"><v>1</v></c><c r="XFD31"><v>1</v></c></row>' + _rows(3100, first=32)
    paths = [_package(tmp_path / "far.xlsx", _sheet_xml(far, "A1:B30")),
             _package(tmp_path / "wide.xlsx", _sheet_xml(wide, "A1:B30"))]
    assert _codes_in_child(paths) == ["too_large", "too_large"]


_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')


def _sst(n: int) -> str:
    items = "".join(f"<si><t>共享文字{i}</t></si>" for i in range(n))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">'
            f'{items}</sst>')


@pytest.mark.parametrize("date1904", [False, True])
def test_shared_strings_styles_and_the_1904_flag_reach_every_chunk(tmp_path, monkeypatch, date1904):
    seen = []
    real = xlsx_reader._stored_package

    def spy(parts):
        seen.append({n.lower() for n, _ in parts})
        return real(parts)

    monkeypatch.setattr(xlsx_reader, "_stored_package", spy)
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r % 13}</v></c><c r="B{r}" s="1"><v>{40000 + r}</v></c>'
                   f'<c r="C{r}"><v>{r}.25</v></c></row>' for r in range(1, 400))
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
          + ('<workbookPr date1904="1"/>' if date1904 else "") +
          '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>')
    path = _package(tmp_path / "s.xlsx", _sheet_xml(rows, "A1:C399"),
                    overrides={"xl/workbook.xml": wb},
                    extra={"xl/sharedStrings.xml": _sst(13), "xl/styles.xml": _STYLES})
    whole, ways = assert_same(path, way="chunks", chunk_bytes=600)
    assert len(seen) > 10
    assert all(parts >= {"[content_types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                         "xl/styles.xml", "xl/sharedstrings.xml", "xl/worksheets/sheet1.xml"} for parts in seen)
    first = whole["数据"][0]
    assert first[0] == ("str", "共享文字1")
    assert first[1] == ("date", (dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)) + dt.timedelta(40001))
    assert first[2] == ("float", 1.25)
