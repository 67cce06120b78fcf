"""Hostile files through the user's entry points (issue 8, item 3), where tests/test_xlsx_reader.py and
tests/test_cli.py do not already cover them.

Each file goes through ``main.main(["compute", path, "--year", "2024"])``: a file that cannot be imported
gives exit status 2 and ONE Chinese line on stderr naming the file, with no traceback and nothing on stdout;
a file that can be imported (a macro-enabled workbook, a workbook with a wrong extension, a far column, a
50 MB cell) gives the same figures as the plain workbook.  The cases whose cost could run away — a sheet
1,000,000 columns wide, XFD-wide data, a 50 MB cell and a 60 MiB one — run in a child process that
measures wall time and peak memory (``resource.getrusage`` maximum RSS, which includes the native reader,
and ``tracemalloc`` for Python objects) under an address-space limit: each must finish in < 30 s and
< 1 GB.  The ERP import wizard's entry (:func:`forms.erp_import.open_source`) gets the text-file cases:
UTF-16 with and without a byte-order mark, bytes in no encoding, a workbook named .csv.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

import main
from forms import erp_import as E
from forms.workbook import load_ledger
from forms.xlsx_reader import WorkbookError, read_csv, read_workbook
from tests.builders import build, line, other_year, project

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = "摘要占位"
TIME_LIMIT = 30.0                       # seconds, per hostile file
MEMORY_LIMIT = 1024**3                  # bytes of peak resident memory, per hostile file
ADDRESS_SPACE = 4 * 1024**3             # hard cap for the child (a runaway allocation fails, not the machine)


# =============================================================================== builders

@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A small valid workbook written by the app's own template writer: computes 2024 with exit status 0."""
    d = tmp_path_factory.mktemp("hostile")
    return build(d, years=[other_year(2024)], projects=[project("P1"), project("P2")],
                 lines=[line("2024-03-01", "P1", "R04", 100000, summary=PLACEHOLDER),
                        line("2024-06-30", "P2", "R08", "2500.50", summary="材料")],
                 name="base.xlsx")


def run_cli(capsys, path) -> tuple[int, str, str]:
    code = main.main(["compute", str(path), "--year", "2024"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def base_output(base) -> str:
    buf, errbuf = io.StringIO(), io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(errbuf):
        assert main.main(["compute", str(base), "--year", "2024"]) == 0, errbuf.getvalue()
    assert "研发费用加计扣除" in buf.getvalue()
    return buf.getvalue()


def assert_same_figures(out: str, base_output: str, extra: str) -> None:
    """The summary of the base workbook, plus only lines about ``extra`` and a changed findings count."""
    import difflib

    count = re.compile(r"^\s*错误 \d+ 项|警告 \d+ 项|提示 \d+ 项")
    for d in difflib.ndiff(base_output.splitlines(), out.splitlines()):
        if d.startswith("- "):
            assert count.search(d), d
        elif d.startswith("+ "):
            assert extra in d or count.search(d), d


def assert_rejected(code: int, out: str, err: str, path: Path, *words: str) -> str:
    """Exit 2, one Chinese line on stderr naming the file, nothing on stdout, no traceback."""
    assert code == 2, (code, err)
    assert "Traceback" not in out + err
    assert out.strip() == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert CJK.search(lines[0]) and path.name in lines[0], lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_zip(path: Path, parts: dict[str, bytes], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def sheet_member(parts: dict[str, bytes], sheet: str) -> str:
    """The zip member holding worksheet ``sheet`` (workbook.xml → its relationship → the target)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    wb = ElementTree.fromstring(parts["xl/workbook.xml"])
    rid = next(s.get(f"{{{ns['r']}}}id") for s in wb.iterfind("m:sheets/m:sheet", ns) if s.get("name") == sheet)
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    target = next(r.get("Target") for r in rels.iterfind("p:Relationship", ns) if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def edit_lines_sheet(base: Path, target: Path, edit) -> Path:
    parts = members(base)
    name = sheet_member(parts, "研发支出")
    parts[name] = edit(parts[name])
    return write_zip(target, parts)


def add_cells_to_row(xml: bytes, row: int, cells: bytes) -> bytes:
    """Append raw <c> elements at the end of row ``row`` (creating the row after the last one if missing)."""
    m = re.search(rb'<row r="%d"[^>]*>.*?</row>' % row, xml, re.S)
    if m:
        return xml[:m.end() - len(b"</row>")] + cells + xml[m.end() - len(b"</row>"):]
    return xml.replace(b"</sheetData>", b'<row r="%d">' % row + cells + b"</row></sheetData>", 1)


def set_dimension(xml: bytes, ref: str) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="%s"/>' % ref.encode(), xml, count=1)


def with_big_shared_string(base: Path, target: Path, n_bytes: int, unit: bytes = "研发支出辅助账ABC123,;".encode(),
                           level: int = 1) -> Path:
    """The base workbook with a shared-string table whose one string, ``n_bytes`` long, is the 摘要 of the
    first line (the template writer uses inline strings: the cell is rewritten to point at the table)."""
    parts = members(base)
    name = sheet_member(parts, "研发支出")
    cell = re.compile(rb'<c r="([A-Z]+2)"([^>]*?) t="inlineStr"><is><t>' + PLACEHOLDER.encode() + rb"</t></is></c>")
    assert cell.search(parts[name])
    parts[name] = cell.sub(rb'<c r="\1"\2 t="s"><v>0</v></c>', parts[name], count=1)
    big = unit * (n_bytes // len(unit))                   # valid UTF-8, just under n_bytes
    parts["xl/sharedStrings.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                                     b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                     b'count="1" uniqueCount="1"><si><t>' + big + b"</t></si></sst>")
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return write_zip(target, parts, level=level)


# =============================================================================== measuring child

_CHILD = textwrap.dedent(r"""
    import contextlib, io, json, resource, sys, time, tracemalloc
    limit = int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, sys.argv[1])
    import main                                   # imports done before measuring
    import calc.evaluate, forms.workbook, forms.report  # noqa: F401
    def peak():
        # VmHWM: the peak of this process's own memory. ru_maxrss keeps the parent's peak across fork + exec,
        # so under a big pytest process (a full run) it reported the parent, not the import (1.27 GB).
        try:
            with open("/proc/self/status") as fh:
                return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    before = peak()
    tracemalloc.start()
    out, err = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main.main(["compute", sys.argv[2], "--year", "2024"])
    seconds = time.perf_counter() - t
    py_peak = tracemalloc.get_traced_memory()[1]
    rss = peak()
    print(json.dumps({"rc": rc, "stdout": out.getvalue()[-20000:], "stderr": err.getvalue()[-4000:],
                      "seconds": seconds, "rss": rss, "rss_before": before, "py_peak": py_peak}))
""")


def measure(path: Path) -> dict:
    if os.name != "posix":
        pytest.skip("measured in a child with resource.getrusage / RLIMIT_AS (POSIX)")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(path), str(ADDRESS_SPACE)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, f"child died (rc={proc.returncode}): {proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["seconds"] < TIME_LIMIT, result
    assert result["rss"] < MEMORY_LIMIT, result
    assert result["py_peak"] < MEMORY_LIMIT, result
    assert "Traceback" not in result["stdout"] + result["stderr"]
    return result


def assert_measured_rejection(result: dict, path: Path, *words: str) -> str:
    return assert_rejected(result["rc"], result["stdout"], result["stderr"], path, *words)


# =============================================================================== 1,000,000 columns, XFD

def test_cell_in_column_one_million_is_rejected(base, tmp_path):
    """<c r="BDWGN2">: column 1,000,000, far past Excel's XFD (16,384)."""
    path = edit_lines_sheet(base, tmp_path / "百万列.xlsx",
                            lambda x: add_cells_to_row(x, 2, b'<c r="BDWGN2"><v>1</v></c>'))
    res = measure(path)
    assert_measured_rejection(res, path, "数据范围过大", "研发支出")


def test_row_of_one_million_cells_is_rejected(base, tmp_path):
    """A row of 1,000,000 <c> elements without references: they run to column 1,000,000."""
    row = b"<c><v>1</v></c>" * 1_000_000
    path = edit_lines_sheet(base, tmp_path / "百万格.xlsx", lambda x: add_cells_to_row(x, 4, row))
    assert path.stat().st_size < 2 * 1024**2                     # 15 MB of XML, deflated
    res = measure(path)
    assert_measured_rejection(res, path, "数据范围过大", "研发支出")


def test_xfd_wide_dimension_with_a_real_far_cell_imports(base, base_output, tmp_path):
    """Dimension A1:XFD3 and a real cell in XFD1 (an extra header): a 3 × 16,384 grid, imported as usual."""
    def edit(xml):
        xml = set_dimension(xml, "A1:XFD3")
        return add_cells_to_row(xml, 1, b'<c r="XFD1" t="inlineStr"><is><t>\xe8\xbf\x9c\xe7\xab\xaf\xe5\xa4\x87\xe6\xb3\xa8'
                                        b'</t></is></c>')                       # 远端备注
    path = edit_lines_sheet(base, tmp_path / "XFD.xlsx", edit)
    rows = read_workbook(path).sheets["研发支出"].rows
    assert len(rows[0]) == 16_384 and rows[0][-1] == "远端备注"
    ledger = load_ledger(path)
    assert [f.code for f in ledger.findings if f.cell == "XFD1"] == ["I_EXTRA_COLUMN"]
    res = measure(path)
    assert res["rc"] == 0, res["stderr"]
    assert_same_figures(res["stdout"], base_output, extra="远端备注")


def test_xfd_wide_dimension_over_all_rows_is_rejected_quickly(base, tmp_path):
    """A1:XFD1048576 declared, with the far corner really filled: 17 billion cells, refused before reading."""
    def edit(xml):
        return add_cells_to_row(set_dimension(xml, "A1:XFD1048576"), 1048576, b'<c r="XFD1048576"><v>1</v></c>')
    path = edit_lines_sheet(base, tmp_path / "全表.xlsx", edit)
    res = measure(path)
    assert_measured_rejection(res, path, "数据范围过大")
    assert res["seconds"] < 5


# =============================================================================== a 50 MB cell

def test_fifty_megabyte_shared_string_is_handled_in_bounded_memory(base, base_output, tmp_path):
    """A 50,000,000-byte shared string as a line's 摘要 (Excel itself stops at 32,767 characters): under the
    zip-bomb threshold, so it is read — in well under the limits — and the figures are those of the base."""
    path = with_big_shared_string(base, tmp_path / "大单元格.xlsx", 50_000_000)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
        assert info.file_size >= 49_000_000 and info.compress_size < 2_000_000
    res = measure(path)
    assert res["rc"] == 0, res["stderr"]
    assert res["stdout"] == base_output[-20000:]
    assert res["rss"] - res["rss_before"] < 500 * 1024**2, res      # a few times the cell, not unbounded
    assert res["py_peak"] < 500 * 1024**2, res


def test_sixty_mebibyte_shared_string_is_rejected_as_a_bomb(base, tmp_path):
    """60 MiB of one letter deflates ~1000:1: over the 50 MiB / 200:1 zip-bomb rule, refused before reading."""
    path = with_big_shared_string(base, tmp_path / "超大单元格.xlsx", 60 * 1024**2, unit=b"A", level=9)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
        assert info.file_size > 60 * 1024**2 - 100 and info.file_size > 200 * info.compress_size
    res = measure(path)
    assert_measured_rejection(res, path, "疑似恶意构造的压缩文件")
    assert res["seconds"] < 5


# =============================================================================== xlsm, encrypted

def _xlsm(base: Path, target: Path) -> Path:
    parts = members(base)
    # an auto-run macro project: its bytes are only ever copied, never interpreted
    parts["xl/vbaProject.bin"] = bytes.fromhex("d0cf11e0a1b11ae1") + b"Attribute VB_Name = \"Auto_Open\"" * 64
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    return write_zip(target, parts)


def test_macro_enabled_workbook_imports_without_running_anything(base, base_output, tmp_path, capsys):
    path = _xlsm(base, tmp_path / "带宏.xlsm")
    assert read_workbook(path).macro_enabled is True          # flagged by the reader
    code, out, err = run_cli(capsys, path)
    assert code == 0, err
    assert "Traceback" not in err                              # the same figures; one more 提示 (the macro note)
    assert out == re.sub(r"提示 (\d+) 项", lambda m: f"提示 {int(m.group(1)) + 1} 项", base_output)
    macro, plain = load_ledger(path), load_ledger(base)
    assert macro.lines == plain.lines and macro.projects == plain.projects   # macros change nothing …
    assert [f.code for f in macro.findings] == ["I_MACROS_IGNORED"] + [f.code for f in plain.findings]


def test_macro_enabled_workbook_is_reported_to_the_user(base, tmp_path, capsys):
    """G1 (fixed): the reader's macro flag reaches the user as a finding (CLI and app)."""
    path = _xlsm(base, tmp_path / "带宏.xlsm")
    ledger = load_ledger(path)
    notes = [f for f in ledger.findings if f.code == "I_MACROS_IGNORED"]
    assert len(notes) == 1 and "宏未运行" in notes[0].message and notes[0].severity == "info"
    main.main(["compute", str(path), "--year", "2024", "--json"])
    assert "I_MACROS_IGNORED" in capsys.readouterr().out


def test_encrypted_workbook_is_rejected_with_one_line(base, tmp_path, capsys):
    from msoffcrypto.format.ooxml import OOXMLFile

    path = tmp_path / "加密台账.xlsx"
    with open(base, "rb") as fin, open(path, "wb") as fout:
        OOXMLFile(fin).encrypt("密码123", fout)
    assert_rejected(*run_cli(capsys, path), path, "已加密", "取消密码")


# =============================================================================== wrong extension, empty

@pytest.mark.parametrize("suffix", [".csv", ".pdf", ".xls", ".txt", ""])
def test_real_workbook_with_a_wrong_extension_imports(base, base_output, tmp_path, capsys, suffix):
    path = tmp_path / f"台账{suffix}"
    path.write_bytes(base.read_bytes())
    code, out, err = run_cli(capsys, path)
    assert code == 0, err
    assert out == base_output


def _canonical_csv(encoding: str = "gbk") -> bytes:
    text = "日期,凭证号,项目编号,费用代码,会计金额\r\n2024-03-01,记-1,P1,R04,1000.00\r\n"
    return text.encode(encoding)


@pytest.mark.parametrize("name, data, words", [
    ("研发支出.xlsx", _canonical_csv(), ("不是 Excel 工作簿", "CSV")),
    ("研发支出.csv", _canonical_csv("utf-8"), ("不是 Excel 工作簿", "CSV", "另存为")),
    ("utf16.csv", "日期,金额\r\n2024-03-01,1000\r\n".encode("utf-16-le"), ("不是 Excel 工作簿", "CSV")),
    ("乱码.csv", bytes(range(256)) * 64, ("不是 Excel 工作簿",)),
    ("报告.xlsx", b"%PDF-1.7\n" + b"\x00" * 100, ("不是 Excel 工作簿", "PDF")),
    ("空.xlsx", b"", ("空文件",)),
    ("空.csv", b"", ("空文件",)),
])
def test_not_a_workbook_gets_one_clear_line(tmp_path, capsys, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    assert_rejected(*run_cli(capsys, path), path, *words)


# =============================================================================== the ERP wizard's text files

_ERP_TEXT = ("日期\t凭证号\t摘要\t项目\t金额\r\n2024-01-02\t记-1\t第一批研发材料\tRD01\t1,000.00\r\n"
             "2024-02-03\t记-2\t研发人员工资\tRD02\t500\r\n")


@pytest.mark.parametrize("name, data", [
    ("unicode文本.txt", "\ufeff".encode("utf-16-le") + _ERP_TEXT.encode("utf-16-le")),   # Excel “Unicode 文本”
    ("unicode文本.xls", "\ufeff".encode("utf-16-le") + _ERP_TEXT.encode("utf-16-le")),   # … saved as .xls
    ("无BOM.csv", _ERP_TEXT.encode("utf-16-le")),
    ("大端.csv", _ERP_TEXT.encode("utf-16-be")),
    ("gbk.csv", _ERP_TEXT.encode("gbk")),
])
def test_erp_text_exports_in_utf16_are_read(tmp_path, name, data):
    """UTF-16 text used to be refused (“无法识别文字编码” / “含二进制内容”); the bytes now decide."""
    path = tmp_path / name
    path.write_bytes(data)
    src = E.open_source(path)
    assert src.kind == "csv"
    match = E.guess_preset(src)
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), {"RD01": "a", "RD02": "b"})
    assert [(ln["amount"], ln["project_no"], ln["summary"]) for ln in res.lines] == [
        (100000, "RD01", "第一批研发材料"), (50000, "RD02", "研发人员工资")]


def test_utf16_detection_is_not_fooled_by_binary(tmp_path):
    """Bytes with a UTF-16 byte-order mark or NUL pattern that are not text stay refused, with the reason."""
    for name, data in (("bom垃圾.csv", b"\xff\xfe\xfa,\x80\n"), ("随机.csv", os.urandom(4096)),
                       ("nul.csv", b"a\x00b\x00" + b"\x00\x01\x02\x03" * 100)):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(WorkbookError) as info:
            read_csv(path)
        assert info.value.code == "unreadable" and name in str(info.value) and "\n" not in str(info.value)


def test_erp_workbook_named_csv_is_read_as_a_workbook(tmp_path):
    from tests.test_erp_import import make_u8_voucher

    real = make_u8_voucher(tmp_path / "u8.xlsx")
    renamed = tmp_path / "u8凭证.csv"
    renamed.write_bytes(real.read_bytes())
    src = E.open_source(renamed)
    assert src.kind == "xlsx" and src.sheet_names == ["凭证列表"]
    assert E.guess_preset(src).preset.id == "yonyou-u8-voucher"


@pytest.mark.parametrize("name, data, code", [
    ("空.csv", b"", "empty"),
    ("随机.csv", bytes(range(256)) * 64, "unreadable"),
    ("半截.xlsx", b"PK\x03\x04" + b"\x00" * 200, "truncated"),
])
def test_erp_unreadable_files_raise_one_line(tmp_path, name, data, code):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(WorkbookError) as info:
        E.open_source(path)
    assert info.value.code == code
    assert "\n" not in str(info.value) and CJK.search(str(info.value)) and name in str(info.value)


# =============================================================================== crafted sheet names

def test_sheet_without_a_name_is_named_for_the_messages(base, tmp_path, capsys):
    """Found by the whole-file fuzzer: a sheet whose name is empty gave findings with an empty sheet."""
    parts = members(base)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace('name="填写说明"'.encode(), b'name=""', 1)
    path = write_zip(tmp_path / "无名表.xlsx", parts)
    assert list(read_workbook(path).sheets)[0] == "（未命名工作表1）"
    ledger = load_ledger(path)
    assert all(f.sheet for f in ledger.findings)
    assert [f.sheet for f in ledger.findings if f.code == "I_EXTRA_SHEET"] == ["（未命名工作表1）"]
    code, out, err = run_cli(capsys, path)
    assert code == 0, err


# =============================================================================== control characters

def test_control_character_in_a_cell_imports_exports_and_prints(base, tmp_path, capsys):
    """An xlsx cell may hold a control character (<t>摘要_x001B_占位</t>): the importer keeps it, `main.py export`
    used to end with 内部错误 (openpyxl's IllegalCharacterError) and now drops it, the statement shows 〓."""
    parts = members(base)
    name = sheet_member(parts, "研发支出")
    parts[name] = parts[name].replace(PLACEHOLDER.encode(), "摘要_x001B_占位".encode(), 1)
    path = write_zip(tmp_path / "控制字符.xlsx", parts)
    assert load_ledger(path).lines[0].summary == "摘要\x1b占位"
    out_dir = tmp_path / "导出"
    assert main.main(["export", str(path), "--year", "2024", "--out", str(out_dir)]) == 0, capsys.readouterr().err
    wb = openpyxl.load_workbook(next(out_dir.glob("*_研发支出辅助账.xlsx")))
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "摘要占位" in texts
    pdf = tmp_path / "报告.pdf"
    assert main.main(["statement", str(path), "--year", "2024", "-o", str(pdf)]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_control_character_is_dropped_when_the_ledger_is_written_back(base, tmp_path):
    """X1 (fixed): forms/xlsx_cells.put_text — used by every writer — drops the control characters an xlsx cannot
    hold, so writing a ledger back (save_ledger, the ERP wizard's write_workbook) never raises
    IllegalCharacterError."""
    from forms.workbook import save_ledger

    parts = members(base)
    name = sheet_member(parts, "研发支出")
    parts[name] = parts[name].replace(PLACEHOLDER.encode(), "摘要_x001B_占位".encode(), 1)
    ledger = load_ledger(write_zip(tmp_path / "控制字符.xlsx", parts))
    assert any(ln.summary == "摘要\x1b占位" for ln in ledger.lines)
    save_ledger(ledger, tmp_path / "写回.xlsx")
    back = load_ledger(tmp_path / "写回.xlsx")
    assert any(ln.summary == "摘要占位" for ln in back.lines)
    assert len(back.lines) == len(ledger.lines)


# =============================================================================== ERP cells found by the fuzzer

def test_erp_hostile_cells_become_findings():
    """Cells that used to escape as E_ERP_INTERNAL (“意外错误”) — a NaN / infinite / signalling-NaN 月 or 日,
    an amount of 5,000 digits — or to hang the wizard (a 研发工时占比 of “1e99999999”): each is now an
    ordinary error finding on its cell."""
    import time
    from decimal import Decimal

    from forms.xlsx_reader import RawSheet

    head = ["年", "月", "日", "凭证号", "摘要", "项目", "金额", "研发工时占比"]
    rows = [head,
            [2024, float("nan"), 5, "记-1", "材料", "RD01", "100", "40%"],
            [2024, 3, float("inf"), "记-2", "材料", "RD01", "100", "40%"],
            [2024, 3, Decimal("sNaN"), "记-3", "材料", "RD01", "100", "40%"],
            [2024, 3, 5, "记-4", "材料", "RD01", "1" * 5000, "40%"],
            [2024, 3, 5, "记-5", "材料", "RD01", "100", "inf"],
            [2024, 3, 5, "记-6", "材料", "RD01", "100", "1e99999999"],
            [2024, 3, 5, "记-7", "材料", "RD01", "100", "1" * 100_000],
            [2024, 3, 5, "记-8", "材料", "RD01", "100", "40%"]]
    src = E.Source("凭证.xlsx", "xlsx", {"凭证": RawSheet(name="凭证", rows=rows)})
    mapping = E.ColumnMapping(columns={"year": "年", "month": "月", "day": "日", "voucher": "凭证号", "summary": "摘要",
                                       "project": "项目", "amount": "金额", "share": "研发工时占比"})
    started = time.perf_counter()
    res = E.convert(src, "凭证", mapping, E.load_rules(), ["RD01"])
    assert time.perf_counter() - started < 5
    assert not [f for f in res.findings if f.code == "E_ERP_INTERNAL"], res.findings
    errors = {f.row: f for f in res.findings if f.severity == "error"}
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8]
    assert [errors[r].cell for r in (2, 3, 4, 5, 6, 7, 8)] == ["B2", "C3", "C4", "G5", "H6", "H7", "H8"]
    assert [errors[r].code for r in (2, 3, 4, 5, 6, 7, 8)] == ["E_ERP_DATE"] * 3 + ["E_ERP_AMOUNT"] + ["E_ERP_VALUE"] * 3
    assert [ln["status"] for ln in res.lines if ln["origin"]["row"] == 9] == ["ok"]


# =============================================================================== the workspace file replaced underneath

def test_workspace_file_replaced_underneath_is_not_silently_overwritten(tmp_path):
    """G2 (fixed): save compares the file's (uuid, revision) with what this window opened or last saved."""
    import shutil

    from forms.workspace import SaveError, Workspace

    mine, other = tmp_path / "企业.rdw", tmp_path / "别的.rdw"
    Workspace.create(mine).close()
    ws = Workspace.create(other)
    ws.set_profile("name", "别处保存的内容")
    ws.save()
    ws.close()
    ws = Workspace.open(mine)
    try:
        ws.set_profile("name", "本窗口的修改")
        shutil.copyfile(other, tmp_path / "x.tmp")
        os.replace(tmp_path / "x.tmp", mine)                     # replaced underneath, as a sync client does
        with pytest.raises(SaveError):                           # the user must be told …
            ws.save()
        assert ws.profile()["name"] == "本窗口的修改"             # … and keep the edits
    finally:
        ws.close()
    assert Workspace.open(mine, readonly=True).profile()["name"] == "别处保存的内容"   # nothing lost on disk


def test_workspace_rewritten_by_another_copy_is_detected_and_save_as_keeps_the_edits(tmp_path):
    """G2: the same workspace saved elsewhere (a copy with the same uuid and a newer revision, synced back over the
    file) is detected too; “另存为” still saves the window's edits."""
    import shutil

    from forms.workspace import SaveError, Workspace

    mine = tmp_path / "企业.rdw"
    Workspace.create(mine).close()
    copy = tmp_path / "副本" / "企业.rdw"
    copy.parent.mkdir()
    shutil.copyfile(mine, copy)
    ws = Workspace.open(mine)
    try:
        other = Workspace.open(copy)
        other.set_profile("name", "同步回来的版本")
        other.save()
        other.close()
        shutil.copyfile(copy, tmp_path / "x.tmp")
        os.replace(tmp_path / "x.tmp", mine)
        ws.set_profile("name", "本窗口")
        with pytest.raises(SaveError, match="另存为"):
            ws.save()
        ws.save_as(tmp_path / "本窗口.rdw")
        ws.set_profile("name", "本窗口2")
        ws.save()                                                # the new file is ours: saves normally
    finally:
        ws.close()
    assert Workspace.open(tmp_path / "本窗口.rdw", readonly=True).profile()["name"] == "本窗口2"
    assert Workspace.open(mine, readonly=True).profile()["name"] == "同步回来的版本"
