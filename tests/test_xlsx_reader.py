"""Tests for forms.xlsx_reader: every hostile or broken file becomes a WorkbookError code.

All files are built in tmp_path: openpyxl for normal workbooks, zipfile for crafted
packages, msoffcrypto-tool for real encryption, and a tiny compound-file writer below
for legacy .xls files.  Cases whose failure mode would be a native *abort* (calamine
allocating a dense grid it cannot get) run in a child process so a regression shows up
as a failed test instead of a dead test runner.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import xlsx_reader
from forms.xlsx_reader import (
    RawSheet,
    RawWorkbook,
    WorkbookError,
    column_letter,
    read_csv,
    read_workbook,
)

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------- builders


def _xlsx(path: Path, rows: dict[str, list[list[object]]] | None = None, **cells) -> Path:
    """A normal workbook written by openpyxl.  rows: {sheet: [[...], ...]}."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, data in (rows or {"Sheet1": [["a", 1]]}).items():
        ws = wb.create_sheet(sheet)
        for r in data:
            ws.append(r)
    ws = wb.worksheets[0]
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
         '</Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '</Relationships>')


def _sheet_xml(cells: str, dimension: str | None = None, prolog: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + prolog +
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'{dim}<sheetData>{cells}</sheetData></worksheet>')


def _package(path: Path, sheet_xml: str, *, extra: dict[str, bytes | str] | None = None,
             overrides: dict[str, bytes | str] | None = None,
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A minimal hand-made .xlsx with one sheet called 数据."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": _CT,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WB,
        "xl/_rels/workbook.xml.rels": _WB_RELS,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    members.update(overrides or {})
    members.update(extra or {})
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _patch_member(path: Path, member: str, *, file_size: int | None = None,
                  crc: int | None = None) -> None:
    """Overwrite the declared uncompressed size / CRC of one member (local + central)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(member)
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    pos = data.find(b"PK\x01\x02")
    central = None
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + name_len].decode() == member:
            central = pos
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    assert central is not None
    if file_size is not None:
        struct.pack_into("<I", data, local + 22, file_size)
        struct.pack_into("<I", data, central + 24, file_size)
    if crc is not None:
        struct.pack_into("<I", data, local + 14, crc)
        struct.pack_into("<I", data, central + 16, crc)
    path.write_bytes(bytes(data))


# ---- a minimal compound file (CFB v3) holding a BIFF8 workbook stream

_ENDOFCHAIN, _FREESECT, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _dirent(name: str, typ: int, start: int, size: int, child: int = _NOSTREAM) -> bytes:
    raw = (name + "\0").encode("utf-16-le")
    entry = raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), typ, 1)
    entry += struct.pack("<III", _NOSTREAM, _NOSTREAM, child) + b"\0" * 16
    entry += struct.pack("<I", 0) + b"\0" * 16 + struct.pack("<IQ", start, size)
    return entry


def _cfb(stream_name: str, data: bytes) -> bytes:
    data = data.ljust(4096, b"\0")            # >= 4096 bytes: regular sectors only
    nsec = (len(data) + 511) // 512
    fat = [_FATSECT, _ENDOFCHAIN] + [3 + i for i in range(nsec - 1)] + [_ENDOFCHAIN]
    fat += [_FREESECT] * (128 - len(fat))
    header = _OLE + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", _FREESECT) * 108
    dirs = (_dirent("Root Entry", 5, _ENDOFCHAIN, 0, child=1)
            + _dirent(stream_name, 2, 2, len(data))).ljust(512, b"\0")
    return header + struct.pack("<128I", *fat) + dirs + data.ljust(nsec * 512, b"\0")


_OLE = bytes.fromhex("d0cf11e0a1b11ae1")


def _rec(typ: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", typ, len(body)) + body


def _biff8(cells, dims=None, sheet="Sheet1") -> bytes:
    """cells: [(row0, col0, float | str)]; dims: (rwMic, rwMac, colMic, colMac) override."""
    bof_globals = _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 1997, 0, 0x0600))
    name = sheet.encode("utf-16-le")
    globals_len = len(bof_globals) + 4 + 8 + len(name) + 4
    bound = _rec(0x0085, struct.pack("<IBBBB", globals_len, 0, 0, len(sheet), 1) + name)
    stream = bof_globals + bound + _rec(0x000A)
    assert len(stream) == globals_len
    stream += _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 1997, 0, 0x0600))
    if dims is None and cells:
        dims = (min(c[0] for c in cells), max(c[0] for c in cells) + 1,
                min(c[1] for c in cells), max(c[1] for c in cells) + 1)
    if dims:
        stream += _rec(0x0200, struct.pack("<IIHHH", *dims, 0))
    for r, c, v in cells:
        if isinstance(v, str):
            stream += _rec(0x0204, struct.pack("<HHHHB", r, c, 0, len(v), 1) + v.encode("utf-16-le"))
        else:
            stream += _rec(0x0203, struct.pack("<HHHd", r, c, 0, v))
    return stream + _rec(0x000A)


def _xls(path: Path, cells, dims=None) -> Path:
    path.write_bytes(_cfb("Workbook", _biff8(cells, dims)))
    return path


def _codes_in_child(paths: list[Path], **kwargs) -> list[str]:
    """read_workbook() each path in a child process (address space capped); return codes."""
    script = (
        "import json, sys\n"
        "try:\n"
        "    import resource\n"
        "    resource.setrlimit(resource.RLIMIT_AS, (6 * 1024**3, 6 * 1024**3))\n"
        "except Exception:\n"
        "    pass\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from forms.xlsx_reader import read_workbook, WorkbookError\n"
        f"kwargs = {kwargs!r}\n"
        "out = []\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        read_workbook(p, **kwargs)\n"
        "        out.append('ok')\n"
        "    except WorkbookError as e:\n"
        "        out.append(e.code)\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, *map(str, paths)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"child died (rc={proc.returncode}): {proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _error(path, **kwargs) -> WorkbookError:
    with pytest.raises(WorkbookError) as info:
        read_workbook(path, **kwargs)
    err = info.value
    msg = str(err)
    assert "\n" not in msg and "\r" not in msg, msg
    assert CJK.search(msg), msg
    assert os.path.basename(str(path)) in msg, msg
    assert err.code in xlsx_reader.CODES
    return err


# --------------------------------------------------------------------------- basics


def test_column_letter():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702, 16383)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
    with pytest.raises(ValueError):
        column_letter(-1)


def test_normal_workbook_types_and_order(tmp_path):
    path = _xlsx(tmp_path / "台账.xlsx", {"研发项目": [["项目编号", "金额"], ["RD01", 1234.5]],
                                          "空表": [], "研发支出": [["x", True]]})
    wb = read_workbook(path)
    assert isinstance(wb, RawWorkbook)
    assert wb.path == str(path)
    assert list(wb.sheets) == ["研发项目", "空表", "研发支出"]
    assert all(isinstance(s, RawSheet) for s in wb.sheets.values())
    assert wb.sheets["研发项目"].rows == [["项目编号", "金额"], ["RD01", 1234.5]]
    assert wb.sheets["空表"].rows == []
    assert wb.sheets["研发支出"].rows == [["x", True]]
    assert wb.macro_enabled is False


def test_leading_empty_row_and_column_keep_excel_positions(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["B2"] = "项目名称"
    ws["C2"] = "金额"
    ws["B3"] = "RD01"
    ws["C3"] = 100
    ws["E5"] = "尾"
    wb.save(tmp_path / "pos.xlsx")
    rows = read_workbook(tmp_path / "pos.xlsx").sheets["S"].rows
    assert rows[0] == []                         # Excel row 1 is empty but kept
    assert rows[1] == [None, "项目名称", "金额"]   # column A kept as None
    assert rows[2][1] == "RD01" and rows[2][2] == 100
    assert rows[3] == []
    assert rows[4] == [None, None, None, None, "尾"]
    assert len(rows) == 5


def test_far_single_cell_is_padded(tmp_path):
    path = _package(tmp_path / "far.xlsx",
                    _sheet_xml('<row r="1000"><c r="Z1000"><v>7</v></c></row>'))
    rows = read_workbook(path).sheets["数据"].rows
    assert len(rows) == 1000
    assert rows[999][25] == 7 and len(rows[999]) == 26
    assert all(r == [] for r in rows[:999])


def test_dates_come_back_as_date_objects(tmp_path):
    path = _xlsx(tmp_path / "dates.xlsx", A1=dt.date(2024, 3, 31), B1=dt.datetime(2024, 1, 2, 3, 4, 5),
                 C1=dt.time(8, 30))
    row = read_workbook(path).sheets["Sheet1"].rows[0]
    assert type(row[0]) is dt.date and row[0] == dt.date(2024, 3, 31)
    assert type(row[1]) is dt.datetime and row[1] == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert row[2] == dt.time(8, 30)


def test_text_that_looks_numeric_stays_text(tmp_path):
    path = _xlsx(tmp_path / "codes.xlsx", {"S": [["001234", "1e5", "3.50", 42]]})
    row = read_workbook(path).sheets["S"].rows[0]
    assert row[:3] == ["001234", "1e5", "3.50"]
    assert all(isinstance(v, str) for v in row[:3])
    assert row[3] == 42


def test_cells_without_references_are_placed_like_excel(tmp_path):
    path = _package(tmp_path / "norefs.xlsx",
                    _sheet_xml("<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>"))
    assert read_workbook(path).sheets["数据"].rows == [[1, 2], [3]]


def test_macro_enabled_flag(tmp_path):
    src = _xlsx(tmp_path / "plain.xlsx", {"S": [["v", 1]]})
    assert read_workbook(src).macro_enabled is False
    macro = tmp_path / "宏.xlsm"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(macro, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item))
        zout.writestr("xl/vbaProject.bin", b"\xcc" * 64)
    wb = read_workbook(macro)
    assert wb.macro_enabled is True
    assert wb.sheets["S"].rows == [["v", 1]]
    # the extension alone also counts
    renamed = tmp_path / "renamed.xlsm"
    renamed.write_bytes(src.read_bytes())
    assert read_workbook(renamed).macro_enabled is True


# --------------------------------------------------------------------------- error codes


def test_not_found(tmp_path):
    err = _error(tmp_path / "缺失.xlsx")
    assert err.code == "not_found"
    assert _error(tmp_path).code == "not_found"       # a directory


def test_empty_file(tmp_path):
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    assert _error(path).code == "empty"


@pytest.mark.parametrize("content", [
    "项目,金额\nRD01,100\n".encode("utf-8"),
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    b"<html><body><table><tr><td>1</td></tr></table></body></html>",
])
def test_not_xlsx_content_with_xlsx_extension(tmp_path, content):
    path = tmp_path / "伪装.xlsx"
    path.write_bytes(content)
    err = _error(path)
    assert err.code == "not_xlsx"
    assert "不是 Excel 工作簿" in str(err)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert _error(path).code == "not_xlsx"


def test_encrypted_with_real_password(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _xlsx(tmp_path / "plain.xlsx")
    locked = tmp_path / "加密.xlsx"
    with open(plain, "rb") as fin, open(locked, "wb") as fout:
        OOXMLFile(fin).encrypt("密码123", fout)
    assert locked.read_bytes()[:8] == _OLE
    err = _error(locked)
    assert err.code == "encrypted"
    assert str(err) == '文件"加密.xlsx"已加密，请先在 Excel 中取消密码后再导入'


def test_truncated_download(tmp_path):
    data = _xlsx(tmp_path / "full.xlsx", {"S": [[i, str(i)] for i in range(500)]}).read_bytes()
    cut = tmp_path / "半截.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    err = _error(cut)
    assert err.code == "truncated"
    assert "不完整或已损坏" in str(err)


def test_truncated_crc_mismatch(tmp_path):
    path = _package(tmp_path / "crc.xlsx",
                    _sheet_xml('<row r="1"><c r="A1"><v>12345</v></c></row>', "A1"),
                    compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    i = data.find(b"<v>12345</v>")
    data[i + 3] = ord("9")                       # same length, different bytes
    path.write_bytes(bytes(data))
    assert _error(path).code == "truncated"


def test_zip_bomb_by_ratio_is_rejected_before_decompressing(tmp_path):
    path = _package(tmp_path / "bomb.xlsx", _sheet_xml("", "A1"),
                    extra={"xl/media/zeros.bin": b"\0" * 1024**2})
    _patch_member(path, "xl/media/zeros.bin", file_size=300 * 1024**2)   # claims 300 MB
    assert path.stat().st_size < 20_000
    start = time.perf_counter()
    err = _error(path)
    assert time.perf_counter() - start < 0.5
    assert err.code == "zip_bomb"


def test_zip_bomb_honest_member_over_ratio(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_reader, "_BOMB_MIN_SIZE", 1024**2)
    path = _package(tmp_path / "honest_bomb.xlsx", _sheet_xml("", "A1"),
                    extra={"xl/media/zeros.bin": b"\0" * (4 * 1024**2)})
    assert _error(path).code == "zip_bomb"


def test_zip_bomb_total_declared_size(tmp_path):
    path = _xlsx(tmp_path / "total.xlsx")
    assert _error(path, max_uncompressed=1000).code == "zip_bomb"


def test_member_inflating_past_its_declared_size(tmp_path):
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 2000))
    path = _package(tmp_path / "liar.xlsx", _sheet_xml(rows, "A1:A1999"))
    _patch_member(path, "xl/worksheets/sheet1.xml", file_size=300)
    assert _error(path).code == "zip_bomb"


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "[Content_Types].xml",
                                    "xl/sharedStrings.xml"])
def test_xml_with_dtd_or_entities_is_rejected(tmp_path, member):
    attack = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
              '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    if member == "xl/worksheets/sheet1.xml":
        content = _sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>',
                             "A1", prolog=attack)
        path = _package(tmp_path / "xxe.xlsx", content)
    elif member == "[Content_Types].xml":
        path = _package(tmp_path / "xxe.xlsx", _sheet_xml("", "A1"),
                        overrides={member: _CT.replace("?>", "?>" + attack, 1)})
    else:
        sst = ('<?xml version="1.0"?>' + attack +
               '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
        path = _package(tmp_path / "xxe.xlsx", _sheet_xml("", "A1"), extra={member: sst})
    err = _error(path)
    assert err.code == "xml_attack"
    assert "不安全的 XML 声明（DTD/实体），已拒绝" in str(err)


def test_too_large_declared_dimension(tmp_path):
    path = _package(tmp_path / "dim.xlsx",
                    _sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:XFD1048576"))
    err = _error(path)
    assert err.code == "too_large"
    assert "数据" in str(err)                    # names the sheet


def test_too_large_by_max_cells(tmp_path):
    path = _xlsx(tmp_path / "grid.xlsx", {"S": [[1] * 10 for _ in range(10)]})
    assert _error(path, max_cells=50).code == "too_large"
    assert len(read_workbook(path, max_cells=100).sheets["S"].rows) == 10


def test_sparse_hostile_sheets_are_rejected_without_crashing(tmp_path):
    """calamine would abort the process on these (dense grid of ~17 billion cells)."""
    far = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
    no_dim = _package(tmp_path / "no_dim.xlsx", _sheet_xml(far))
    lying_dim = _package(tmp_path / "lying_dim.xlsx", _sheet_xml(far, "A1:B2"))
    prefixed = _package(tmp_path / "prefixed.xlsx", _sheet_xml(far.replace("<c ", "<x:c ").replace(
        "</c>", "</x:c>"), "A1").replace("<worksheet ", '<worksheet xmlns:x="urn:x" '))
    no_ref_cells = "<row><c><v>1</v></c></row>" + '<row r="1048576">' + "<c><v>1</v></c>" * 20 + "</row>"
    wide_rows = _package(tmp_path / "wide.xlsx", _sheet_xml(no_ref_cells, "A1"))
    beyond = _package(tmp_path / "beyond.xlsx",
                      _sheet_xml('<row r="1"><c r="A1"><v>1</v></c><c r="A99999999999"><v>1</v></c></row>'))
    hostile_xls = _xls(tmp_path / "dims.xls", [(0, 0, 1.0)], dims=(0, 0xFFFFFFFF, 0, 0xFFFF))
    far_xls = _xls(tmp_path / "far.xls", [(0, 0, 1.0), (65535, 65535, 2.0)], dims=(0, 1, 0, 1))
    codes = _codes_in_child([no_dim, lying_dim, prefixed, wide_rows, beyond, hostile_xls, far_xls],
                            max_cells=10_000_000)
    assert codes == ["too_large"] * 7


def test_legacy_xls_is_read(tmp_path):
    path = _xls(tmp_path / "旧版.xls", [(0, 0, "001234"), (1, 1, 3.5), (2, 2, "中文")])
    wb = read_workbook(path)
    assert wb.sheets["Sheet1"].rows == [["001234"], [None, 3.5], [None, None, "中文"]]
    assert wb.macro_enabled is False
    # an .xls saved with the wrong extension is still recognised from its bytes
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_bytes(path.read_bytes())
    assert read_workbook(renamed).sheets["Sheet1"].rows[1] == [None, 3.5]


def test_legacy_xls_too_large_names_the_sheet(tmp_path):
    path = _xls(tmp_path / "旧表.xls", [(0, 0, 1.0), (9, 9, 2.0)])
    err = _error(path, max_cells=50)
    assert err.code == "too_large"
    assert "Sheet1" in str(err)
    assert read_workbook(path, max_cells=100).sheets["Sheet1"].rows[9][9] == 2.0


def test_ole_garbage_is_unreadable(tmp_path):
    path = tmp_path / "坏.xls"
    path.write_bytes(_OLE + b"\0" * 504 + b"garbage" * 200)
    assert _error(path).code == "unreadable"
    cfb_without_workbook = tmp_path / "other.xls"
    cfb_without_workbook.write_bytes(_cfb("Contents", b"\x01" * 5000))
    assert _error(cfb_without_workbook).code == "unreadable"
    word = tmp_path / "doc.xls"
    word.write_bytes(_cfb("WordDocument", b"\x01" * 5000))
    assert _error(word).code == "not_xlsx"


def test_workbook_error_is_picklable_and_single_line():
    import pickle

    err = WorkbookError("第一行\n第二行", code="unreadable", detail="x")
    assert str(err) == "第一行 第二行"
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.code, again.detail) == (str(err), "unreadable", "x")
    with pytest.raises(ValueError):
        WorkbookError("x", code="nonsense")


# --------------------------------------------------------------------------- CSV


def test_csv_gbk(tmp_path):
    path = tmp_path / "研发支出.csv"
    path.write_bytes("项目编号,费用类别,金额\r\nRD01,人员人工费用,001234\r\nRD02,,\r\n".encode("gbk"))
    wb = read_csv(path)
    assert list(wb.sheets) == ["研发支出"]
    assert wb.sheets["研发支出"].rows == [["项目编号", "费用类别", "金额"],
                                       ["RD01", "人员人工费用", "001234"], ["RD02"]]
    assert wb.macro_enabled is False


def test_csv_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff名称,备注\n\"含,逗号\",\"多\n行\"\n".encode("utf-8"))
    rows = read_csv(path).sheets["bom"].rows
    assert rows == [["名称", "备注"], ["含,逗号", "多\n行"]]


def test_csv_binary_garbage_is_unreadable(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(WorkbookError) as info:
        read_csv(path)
    assert info.value.code == "unreadable"
    assert "garbage.csv" in str(info.value) and "\n" not in str(info.value)
    # decodes (all ASCII) but contains NUL characters
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"a,b\n\x00\x00\x00,c\n")
    with pytest.raises(WorkbookError) as info:
        read_csv(nul)
    assert info.value.code == "unreadable"


def test_csv_undecodable_and_missing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\xfa,\x80\n")
    with pytest.raises(WorkbookError) as info:
        read_csv(bad, encodings=("utf-8-sig", "gb18030"))
    assert info.value.code == "unreadable"
    assert "编码" in str(info.value)
    with pytest.raises(WorkbookError) as info:
        read_csv(tmp_path / "none.csv")
    assert info.value.code == "not_found"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(WorkbookError) as info:
        read_csv(empty)
    assert info.value.code == "empty"


# --------------------------------------------------------------------------- fuzz


_SEED_XLSX = None


def _seed_xlsx() -> bytes:
    global _SEED_XLSX
    if _SEED_XLSX is None:
        with tempfile.TemporaryDirectory() as d:
            _SEED_XLSX = _xlsx(Path(d) / "seed.xlsx", {"S": [["a", 1, dt.date(2024, 1, 1)],
                                                              ["001", 2.5, True]]}).read_bytes()
    return _SEED_XLSX


_SEED_XLS = _cfb("Workbook", _biff8([(0, 0, "x"), (1, 1, 2.0), (3, 2, "y")]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(["xlsx", "xls"]),
       edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      min_size=1, max_size=6),
       cut=st.none() | st.floats(0.05, 1))
def test_fuzzed_files_never_raise_raw_exceptions(which, edits, cut):
    data = bytearray(_seed_xlsx() if which == "xlsx" else _SEED_XLS)
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: max(1, int(cut * len(data)))]
    fd, name = tempfile.mkstemp(suffix="." + which)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(data))
        try:
            result = read_workbook(name)
        except WorkbookError as err:
            assert err.code in xlsx_reader.CODES
            assert "\n" not in str(err) and CJK.search(str(err))
        else:
            assert isinstance(result, RawWorkbook)
    finally:
        os.unlink(name)
