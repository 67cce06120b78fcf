"""The one place that opens a user's workbook file and returns its raw cell values.

Everything a user hands us is treated as hostile until checked:

* the container is sniffed from its bytes, never trusted from the extension;
* encrypted packages, zip bombs, DTD/entity declarations and absurd sheet sizes are
  rejected *before* the native reader (python-calamine) touches the file;
* every member of the zip is decompressed once by us, streaming, with the real output
  size and CRC checked against the declared ones (so a member that lies about its size
  cannot smuggle data past the checks);
* a big worksheet is parsed by calamine in chunks of whole rows on worker threads (see
  "big worksheets, in parallel chunks" below): each chunk passes the same checks before
  calamine sees it, the member's size is checked as it is decompressed and its CRC at the
  end (a mismatch discards everything read), and anything unusual sends the sheet back to
  the one-piece path;
* the cell positions of every worksheet are bounded before calamine builds its dense
  grid.  This matters: calamine allocates ``height * width`` cells up front and a failed
  allocation *aborts the process* (it is not a Python exception).  A sheet with one cell
  in A1 and one in XFD1048576 would kill the application, whatever its ``<dimension>``
  says, so the real ``<c r="...">`` references are checked, not only the dimension.
  The same holds for legacy .xls files (BIFF ``DIMENSIONS`` and cell records).

Every failure becomes a :class:`WorkbookError` with a stable ``code`` and a one-line
Chinese message naming the file and saying what to do.  Values are passed through raw:
no arithmetic is done on them here.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import io
import itertools
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

__all__ = [
    "WorkbookError",
    "RawSheet",
    "RawWorkbook",
    "read_workbook",
    "read_csv",
    "column_letter",
]

# --------------------------------------------------------------------------- limits

_BOMB_RATIO = 200                 # compression ratio above which a big member is a bomb
_BOMB_MIN_SIZE = 50 * 1024**2     # ... if it also declares more than this many bytes
_XML_HEAD = 4096                  # bytes of each XML member scanned for DTD/ENTITY
_SHEET_HEAD = 64 * 1024           # bytes of each worksheet searched for <dimension>
_CHUNK = 1024**2                  # streaming granularity
_SHARE_CELLS = 2_000_000          # sheets above this many cells share equal strings/dates (memory)
_CARRY_LIMIT = 1024**2            # longest markup-free run tolerated by the fast scan
_META_MAX = 32 * 1024**2          # largest workbook.xml / .rels we parse for structure
# Largest CSV we load: its rows are held in memory as cells (about 15× the file size at peak with the ERP
# conversion), so 100 MB stays under about 2 GB (hostile-input review R6: 300 MB took 5.4 GB).  A year of
# R&D vouchers is a few MB; a bigger export is refused with a message saying to split it.
_CSV_MAX = 100 * 1024**2
_CSV_FIELD_MAX = 131072           # Python's csv field limit: a longer cell is no ERP field (review M8)
_EXCEL_ROWS = 1_048_576
_EXCEL_COLS = 16_384

_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

CODES = frozenset(
    {"not_found", "empty", "not_xlsx", "encrypted", "truncated", "zip_bomb",
     "too_large", "xml_attack", "unreadable"}
)


# --------------------------------------------------------------------------- public types


class WorkbookError(Exception):
    """A file that cannot be read as a workbook.

    ``str(e)`` is ONE Chinese line for the user, e.g.
    ``'文件"x.xlsx"已加密，请先在 Excel 中取消密码后再导入'``.
    ``code`` is a stable machine code, one of: not_found, empty, not_xlsx, encrypted,
    truncated, zip_bomb, too_large, xml_attack, unreadable.
    ``detail`` is technical context for logs (may be English, never shown to users).
    """

    code: str

    def __init__(self, message: str, *, code: str, detail: str = "") -> None:
        if code not in CODES:
            raise ValueError(f"unknown WorkbookError code: {code!r}")
        message = " ".join(str(message).split())  # always exactly one line
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail

    def __reduce__(self):  # keep it picklable despite the keyword-only code
        return (_rebuild_error, (self.message, self.code, self.detail))


def _rebuild_error(message: str, code: str, detail: str) -> WorkbookError:
    return WorkbookError(message, code=code, detail=detail)


@dataclass(frozen=True)
class RawSheet:
    name: str
    # rows[i] is the i-th sheet row (0-based; Excel row number = i+1).  Cells are None,
    # str, int, float, bool, datetime.date, datetime.datetime or datetime.time.
    # Leading empty rows/columns are kept, so rows[i][j] is Excel cell (i+1, j+1).
    # Trailing empty cells are trimmed: an empty row is [] and no row ends with None.
    rows: list[list[object]]
    # True when the rows went to a consumer instead (read_workbook(consumers=...)): then ``rows`` is empty.
    consumed: bool = False


@dataclass(frozen=True)
class RawWorkbook:
    path: str
    sheets: dict[str, RawSheet]   # in workbook order
    macro_enabled: bool           # .xlsm / vbaProject.bin present (macros are never run)


def column_letter(index0: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    if not isinstance(index0, int) or isinstance(index0, bool) or index0 < 0:
        raise ValueError(f"column index must be a non-negative int, got {index0!r}")
    n = index0 + 1
    out = []
    while n:
        n, rem = divmod(n - 1, 26)
        out.append(chr(65 + rem))
    return "".join(reversed(out))


# --------------------------------------------------------------------------- messages

_REDO = "请在 Excel 中打开该文件，确认内容无误后另存为新的 .xlsx 文件再导入"


def _display_name(path: str) -> str:
    name = os.path.basename(os.path.normpath(path)) or str(path)
    return " ".join(name.split()) or "?"


def _fmt_bytes(n: int) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    return f"{max(n, 0) // 1024**2} MB"


class _Fail:
    """Builders for the user-facing errors (one line, names the file, says what to do)."""

    @staticmethod
    def not_found(name: str, detail: str = "") -> WorkbookError:
        return WorkbookError(f'找不到文件"{name}"，请确认文件仍在原位置、路径正确后重新选择',
                             code="not_found", detail=detail)

    @staticmethod
    def is_directory(name: str) -> WorkbookError:
        return WorkbookError(f'"{name}"是文件夹而不是文件，请选择其中的 Excel 工作簿文件',
                             code="not_found")

    @staticmethod
    def empty(name: str) -> WorkbookError:
        return WorkbookError(f'文件"{name}"是空文件（0 字节），请确认选择了正确的文件，或重新导出后再导入',
                             code="empty")

    @staticmethod
    def not_xlsx(name: str, what: str = "") -> WorkbookError:
        seems = f"（看起来是{what}）" if what else ""
        return WorkbookError(
            f'文件"{name}"不是 Excel 工作簿（.xlsx）{seems}，请在 Excel 中打开后另存为“Excel 工作簿(*.xlsx)”再导入',
            code="not_xlsx", detail=what)

    @staticmethod
    def encrypted(name: str, detail: str = "") -> WorkbookError:
        return WorkbookError(f'文件"{name}"已加密，请先在 Excel 中取消密码后再导入',
                             code="encrypted", detail=detail)

    @staticmethod
    def truncated(name: str, detail: str = "") -> WorkbookError:
        return WorkbookError(
            f'文件"{name}"不完整或已损坏，请重新下载或从原始位置重新复制该文件；若仍无法导入，{_REDO}',
            code="truncated", detail=detail)

    @staticmethod
    def zip_bomb(name: str, why: str, detail: str = "") -> WorkbookError:
        return WorkbookError(
            f'文件"{name}"{why}，疑似恶意构造的压缩文件，已拒绝导入；如确为正常文件，请删除多余内容后另存为新的 .xlsx 再导入',
            code="zip_bomb", detail=detail)

    @staticmethod
    def too_large(name: str, sheet: str | None, cells: int | None, limit: int,
                  detail: str = "") -> WorkbookError:
        where = f'中的工作表"{sheet}"' if sheet else "中的工作表"
        size = f"约 {cells:,} 个单元格" if cells is not None else "超出处理能力"
        return WorkbookError(
            f'文件"{name}"{where}数据范围过大（{size}，上限 {limit:,} 个），请删除多余的空行、空列或拆分为多个文件后再导入',
            code="too_large", detail=detail)

    @staticmethod
    def xml_attack(name: str, detail: str = "") -> WorkbookError:
        return WorkbookError(
            f'文件"{name}"包含不安全的 XML 声明（DTD/实体），已拒绝；{_REDO}',
            code="xml_attack", detail=detail)

    @staticmethod
    def unreadable(name: str, why: str = "内容无法识别", detail: str = "") -> WorkbookError:
        return WorkbookError(f'无法读取文件"{name}"：{why}；{_REDO}',
                             code="unreadable", detail=detail)


class _Truncated(Exception):
    """Internal: a zip member whose data is incomplete or fails its CRC."""


class _Oversize(Exception):
    """Internal: a zip member that decompresses to more than it declares."""


# --------------------------------------------------------------------------- entry point


def read_workbook(path: str | os.PathLike, *, max_cells: int = 50_000_000,
                  max_uncompressed: int = 2 * 1024**3, consumers: dict | None = None) -> RawWorkbook:
    """Read every sheet of an .xlsx/.xlsm (or legacy .xls) file as raw cell values.

    Raises WorkbookError for anything that is not a readable, safe workbook.
    ``max_cells`` bounds each sheet's extent counted from A1 (rows x columns);
    ``max_uncompressed`` bounds the total declared uncompressed size of the package.
    ``consumers``: ``{sheet name: consumer}`` for sheets whose rows go to a consumer instead of the result
    (``RawSheet.consumed``): ``consumer.feed(rows)`` gets consecutive blocks of rows from the sheet's first row
    on, in this thread, while a big sheet's next blocks are being parsed; ``consumer.reset()`` means start
    over (the reader falls back to reading the sheet whole).  See ``calc.ingest.TableIntake``.
    """
    try:
        spath = os.fspath(path)
    except TypeError as exc:
        raise _Fail.not_found(str(path), detail=repr(exc)) from None
    if isinstance(spath, bytes):
        spath = os.fsdecode(spath)
    name = _display_name(spath)

    _check_regular_file(spath, name)
    try:
        fh = open(spath, "rb")
    except FileNotFoundError as exc:
        raise _Fail.not_found(name, detail=repr(exc)) from None
    except OSError as exc:
        raise WorkbookError(
            f'无法打开文件"{name}"，该文件可能正被其他程序（如 Excel）占用或没有读取权限，请关闭占用程序后重试',
            code="unreadable", detail=repr(exc)) from None
    try:
        with fh:
            return _read_open_workbook(fh, spath, name, max_cells, max_uncompressed, consumers or {})
    except WorkbookError:
        raise
    except MemoryError as exc:
        raise _Fail.too_large(name, None, None, max_cells, detail=repr(exc)) from None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - native panics derive from BaseException
        raise _Fail.unreadable(name, detail=f"{type(exc).__name__}: {exc}") from None


def _check_regular_file(spath: str, name: str) -> None:
    if not os.path.exists(spath):
        raise _Fail.not_found(name)
    if os.path.isdir(spath):
        raise _Fail.is_directory(name)
    if not os.path.isfile(spath):
        raise _Fail.unreadable(name, "这不是一个普通文件", detail="not a regular file")


def _read_open_workbook(fh, spath: str, name: str, max_cells: int,
                        max_uncompressed: int, consumers: dict) -> RawWorkbook:
    try:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(8)
    except OSError as exc:
        raise _Fail.unreadable(name, "读取文件时出错", detail=repr(exc)) from None
    if size == 0 or not head:
        raise _Fail.empty(name)

    deferred: dict[str, _Deferred] = {}
    if head.startswith(_OLE_MAGIC):
        macro = _check_ole(fh, name, max_cells)
    elif head.startswith(_ZIP_MAGICS):
        macro, deferred = _check_zip(fh, name, max_cells, max_uncompressed)
        macro = macro or os.path.splitext(spath)[1].lower() in (".xlsm", ".xltm", ".xlam")
    else:
        raise _Fail.not_xlsx(name, _sniff_other(head, fh))

    sheets = _read_with_calamine(fh, name, max_cells, deferred, consumers)
    return RawWorkbook(path=spath, sheets=sheets, macro_enabled=macro)


def _sniff_other(head: bytes, fh) -> str:
    try:
        fh.seek(0)
        start = fh.read(2048)
    except OSError:
        start = head
    if start.startswith(b"%PDF"):
        return " PDF 文件"
    if start.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "图片文件"
    if start.startswith((b"Rar!", b"7z\xbc\xaf")):
        return "压缩包"
    if _utf16_encoding(start, whole=False):           # Excel's “Unicode 文本” (UTF-16) export
        return "文本或 CSV 文件"
    low = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith((b"<html", b"<!doctype html", b"<table")):
        return "网页（HTML）文件"
    if low.startswith(b"<?xml"):
        return " XML 文件"
    if b"\x00" not in start:
        return "文本或 CSV 文件"
    return ""


# --------------------------------------------------------------------------- calamine


def _timedelta_value(td: _dt.timedelta) -> object:
    """Durations ([h]:mm formats) are not in the cell contract: map them to time / text."""
    if _dt.timedelta(0) <= td < _dt.timedelta(days=1):
        return (_dt.datetime.min + td).time()
    total = int(td.total_seconds())
    sign = "-" if total < 0 else ""
    h, rem = divmod(abs(total), 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}"


def _clean_row(row: list, pad: int) -> list:
    out = [None if v == "" else (_timedelta_value(v) if type(v) is _dt.timedelta else v)
           for v in row]
    while out and out[-1] is None:
        out.pop()
    if out and pad:
        out = [None] * pad + out
    return out


def _shared_row(r: list, s_get, d_get, pad: list | None) -> list:
    """One calamine row cleaned as :func:`_clean_row` cleans it, with equal strings and dates shared through
    ``s_get``/``d_get`` (``dict.setdefault`` of the look-up tables), ``pad`` None cells in front."""
    date_t, td_t, str_t = _dt.date, _dt.timedelta, str
    out = [(None if v == "" else s_get(v, v)) if type(v) is str_t
           else (d_get(v, v) if type(v) is date_t else (_timedelta_value(v) if type(v) is td_t else v))
           for v in r]
    while out and out[-1] is None:
        out.pop()
    if out and pad:
        out[0:0] = pad
    return out


def _sheet_rows(sh, r0: int, c0: int, height: int, width: int) -> list[list] | None:
    """The rows of a calamine sheet as ``_clean_row`` makes them (``""`` → None, durations mapped,
    trailing None trimmed, ``r0`` empty rows and ``c0`` None cells in front), converted one row at a
    time while calamine iterates (no second full copy of the grid), with equal strings and dates
    shared: a ledger repeats a few hundred dates and project/code/摘要 texts, and one object per
    distinct value instead of one per cell more than halves the memory of a 1M-line sheet.
    None if calamine's rows do not have the documented layout (``height`` rows of ``width`` cells)."""
    strs: dict = {}
    dates: dict = {}
    s_get = strs.setdefault
    d_get = dates.setdefault
    td_t, str_t = _dt.timedelta, str
    pad = [None] * c0 if c0 else None
    rows: list[list] = [[] for _ in range(r0)]
    append = rows.append
    n = 0
    share = height * width > _SHARE_CELLS       # a small sheet's memory does not matter: skip the look-ups
    for r in sh.iter_rows():
        if len(r) != width:
            return None
        n += 1
        if share:
            append(_shared_row(r, s_get, d_get, pad))
            if len(strs) > 65_536:     # many distinct texts (摘要): start afresh, keep the look-ups cheap
                strs.clear()
            continue
        out = [(None if v == "" else v) if type(v) is str_t else (_timedelta_value(v) if type(v) is td_t else v)
               for v in r]
        while out and out[-1] is None:
            out.pop()
        if out and pad:
            out[0:0] = pad
        append(out)
    if n == height + r0 and r0 and not any(rows[r0:2 * r0]):
        del rows[r0:2 * r0]     # this calamine's iter_rows() also yields the empty rows above the data
    elif n != height:
        return None
    return rows


def _read_with_calamine(fh, name: str, max_cells: int, deferred: dict[str, _Deferred] | None = None,
                        consumers: dict | None = None) -> dict[str, RawSheet]:
    from python_calamine import CalamineWorkbook, PasswordError

    fh.seek(0)
    try:
        wb = CalamineWorkbook.from_filelike(fh)
    except PasswordError as exc:
        raise _Fail.encrypted(name, detail=repr(exc)) from None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except MemoryError:
        raise
    except BaseException as exc:  # noqa: BLE001 - pyo3 panics derive from BaseException
        raise _Fail.unreadable(name, detail=f"{type(exc).__name__}: {exc}") from None

    deferred = dict(deferred or {})
    consumers = consumers or {}
    read: dict[int, tuple[str, list, bool]] = {}
    try:
        names = list(wb.sheet_names)
        if not names:
            raise _Fail.unreadable(name, "工作簿中没有任何工作表")
        display = [str(n) if str(n).strip() else f"（未命名工作表{i + 1}）"   # Excel never writes a blank name;
                   for i, n in enumerate(names)]                              # a crafted file may: name it
        first = {}
        for index, sheet_name in enumerate(display):      # of sheets with one name, the first is read
            first.setdefault(sheet_name, index)
        # the big worksheets first, in chunks; a whole sheet is parsed only when no worksheet is left unscanned
        # (so that no mapping of sheet names to members, however crafted, hands calamine an unscanned member)
        order = sorted(range(len(names)), key=lambda i: str(names[i]) not in deferred)
        for index in order:
            raw_name, sheet_name = str(names[index]), display[index]
            consumer = consumers.get(sheet_name) if first[sheet_name] == index else None
            rows = None
            job = deferred.pop(raw_name, None)
            if job is not None:
                with _member_errors(name):
                    rows = _read_chunked(fh, job, index, name, sheet_name, max_cells, consumer)
                    if rows is None:            # not a plain sheet: the ordinary way
                        _scan_sheet(fh, job.info, job.dim, name, job.sheet, max_cells)
            if rows is None:
                with _member_errors(name):
                    for other in list(deferred.values()):
                        _scan_sheet(fh, other.info, other.dim, name, other.sheet, max_cells)
                deferred.clear()
                rows = _read_sheet(wb, index, name, sheet_name, max_cells)
                if consumer is not None:
                    consumer.reset()
                    consumer.feed(rows)
                    rows = []
            while rows and not rows[-1]:
                rows.pop()
            read[index] = (sheet_name, rows, consumer is not None)
    except WorkbookError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except MemoryError:
        raise
    except BaseException as exc:  # noqa: BLE001
        raise _Fail.unreadable(name, detail=f"{type(exc).__name__}: {exc}") from None
    finally:
        try:
            wb.close()
        except BaseException:  # noqa: BLE001 - closing twice etc. is harmless
            pass
    sheets: dict[str, RawSheet] = {}
    for index in sorted(read):
        sheet_name, rows, consumed = read[index]
        if sheet_name not in sheets:
            sheets[sheet_name] = RawSheet(name=sheet_name, rows=rows, consumed=consumed)
    return sheets


def _read_sheet(wb, index: int, name: str, sheet_name: str, max_cells: int) -> list[list]:
    """One whole sheet, parsed by calamine in one piece (its member has been scanned)."""
    sh = wb.get_sheet_by_index(index)
    start = sh.start
    if start is None:
        return []
    r0, c0 = int(start[0]), int(start[1])
    height, width = int(sh.height), int(sh.width)
    extent = (r0 + height) * (c0 + width)
    if extent > max_cells:
        raise _Fail.too_large(name, sheet_name, extent, max_cells)
    rows = _sheet_rows(sh, r0, c0, height, width)
    if rows is None:  # defensive: layout differs from what this version documents
        data = sh.to_python(skip_empty_area=False)
        rows = [_clean_row(r, 0) for r in data]
    return rows


# --------------------------------------------------------------------------- big worksheets, in parallel chunks
#
# A big worksheet is parsed by calamine in chunks of whole rows on worker threads (calamine releases the GIL
# while it parses), while this thread decompresses and checks the next chunk and converts the finished ones.
# Each chunk is a small stored package: the workbook's structural parts (content types, workbook,
# relationships, styles, shared strings) and the worksheet's head, the chunk's rows and
# ``</sheetData></worksheet>``.
#
# Why the rows are exactly those of one parse of the whole sheet: calamine reads <sheetData> as a flat stream
# of events; a cell's position comes from its ``r`` attribute when it has one, and its value only from its own
# ``<c>…</c>`` element, the styles, the shared strings and the 1904 flag, which every chunk carries.  So the
# chunks are used only when every cell tag is the canonical ``<c r="REF"`` (the fast scan requires it anyway),
# the rows hold no comment, CDATA section, processing instruction or DTD (a ``</row>`` inside one is not a row
# boundary), the first "sheetData" of the member is a plain ``<sheetData>`` start tag and the next one its
# plain end tag, and each chunk's cells lie below the previous chunk's.  A cut at a ``</row>`` that is not
# between cells (inside a cell) leaves that cell open at the end of its chunk, which calamine reports as an
# error.  Anything unusual or any calamine error: the sheet is read the ordinary way (full scan, one parse).
# Every chunk passes the same bound check as the full scan before calamine sees it.

_PARALLEL_MIN = 8 * 1024**2       # worksheets from this many bytes (uncompressed) are parsed in chunks
_PARALLEL_CHUNK = 4 * 1024**2     # bytes of rows per chunk (at least; more when the shared strings are big)
_PARALLEL_SST_MAX = 64 * 1024**2  # shared strings above this: no chunks (every chunk parses them again)
_PARALLEL_MAX_ROW_BYTES = 64 * 1024**2  # a row longer than this: no chunks
_PARALLEL_QUEUE = 128 * 1024**2   # bytes of rows waiting for (or in) the workers: reading pauses above this
_STRUCTURE = ("[content_types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
              "xl/styles.xml", "xl/sharedstrings.xml")
_CHUNK_TAIL = b"</sheetData></worksheet>"


@dataclass(frozen=True)
class _Deferred:
    info: zipfile.ZipInfo
    dim: tuple[int, int] | None
    sheet: str                           # its name in workbook.xml
    structure: tuple[zipfile.ZipInfo, ...]
    chunk_bytes: int


def _workers() -> int:
    return min(3, os.cpu_count() or 1)


def _deferrable(infos, by_norm, single: set[str], sheet_names: dict[str, str],
                dims: dict) -> dict[str, _Deferred]:
    """The big worksheets to read in parallel chunks: only with two processors or more, only worksheets that one
    relationship and one uniquely named <sheet> element point to, in a package whose structural parts are each
    one member."""
    if _workers() < 2 or any(len(by_norm.get(n, ())) > 1 for n in _STRUCTURE):
        return {}
    structure = tuple(by_norm[n][0] for n in _STRUCTURE if n in by_norm)
    sst = sum(i.file_size for i in structure if _norm(i.filename) == "xl/sharedstrings.xml")
    if sst > _PARALLEL_SST_MAX:
        return {}
    out: dict[str, _Deferred] = {}
    for info in infos:
        if (info.filename in single and info.file_size >= _PARALLEL_MIN
                and "/worksheets/" in "/" + _norm(info.filename)):
            sheet = sheet_names[info.filename]
            out[sheet] = _Deferred(info, dims.get(info.filename), sheet, structure,
                                   max(_PARALLEL_CHUNK, 2 * sst))
    return out


def _stored_package(parts: list[tuple[str, list]]) -> bytes:
    """A zip of stored members, each given as a list of byte pieces, joined once (no copy per member)."""
    out: list = []
    central: list[bytes] = []
    offset = 0
    for member, pieces in parts:
        name = member.encode("utf-8")
        crc, size = 0, 0
        for piece in pieces:
            crc = zlib.crc32(piece, crc)
            size += len(piece)
        if size >= 0xFFFFFFFF or offset >= 0xFFFFFFFF:
            raise _NotPlain("chunk package beyond zip32")
        flags = 0x800                                               # UTF-8 names
        local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, flags, 0, 0, 0x21, crc, size, size, len(name), 0)
        central.append(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, flags, 0, 0, 0x21, crc, size, size,
                                   len(name), 0, 0, 0, 0, 0, offset) + name)
        out += (local, name, *pieces)
        offset += len(local) + len(name) + size
    directory = b"".join(central)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join([*out, directory, end])


def _unusual_markup(xml: bytes, start: int = 0, stop: int | None = None) -> bool:
    """A comment, CDATA section, DTD or processing instruction in ``xml[start:stop]``.  (C-speed scans; "!" and
    "?" are rare in a worksheet and found with memchr, the two-byte searches run only when one is there.)"""
    stop = len(xml) if stop is None else stop
    return ((xml.find(b"!", start, stop) >= 0 and xml.find(b"<!", start, stop) >= 0)
            or (xml.find(b"?", start, stop) >= 0 and xml.find(b"<?", start, stop) >= 0))


def _after_declaration(head: bytes) -> bytes:
    """A worksheet's head without its byte-order mark and XML declaration."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    head = head.lstrip()
    if head.startswith(b"<?xml"):
        end = head.find(b"?>")
        head = head[end + 2:] if end >= 0 else head
    return head


class _NotPlain(Exception):
    """Internal: the worksheet cannot be read in chunks; read it the ordinary way."""


def _read_chunked(fh, job: _Deferred, index: int, name: str, sheet: str, max_cells: int,
                  consumer=None) -> list[list] | None:
    """The rows of one big worksheet, parsed in chunks on worker threads; None when the sheet is not plain
    enough for chunks (the caller then scans it and parses it whole).  Raises WorkbookError as the scan does.

    This thread decompresses and checks; a worker packages a checked chunk, parses it and converts its rows
    (the conversion holds the GIL, but it runs while this thread waits or decompresses)."""
    from concurrent.futures import ThreadPoolExecutor

    structure = [(i.filename, [_read_all(fh, i)]) for i in job.structure]
    info = job.info
    checker = _ChunkChecker(job.dim, info, name, sheet, max_cells)
    rows = _ChunkRows(share=info.file_size > _SHARE_CELLS * 32, consumer=consumer)
    workers = _workers()
    pending: list = []
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xlsx-chunk")
    gen = _member_chunks(fh, info, out_chunk=4 * _CHUNK)
    try:
        def collect() -> int:
            try:
                size, part = pending.pop(0).result()
            except _NotPlain:
                raise
            except (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
                raise
            except BaseException as exc:  # noqa: BLE001 - a calamine error on a chunk: read the sheet whole
                raise _NotPlain(f"{type(exc).__name__}: {exc}") from None
            rows.add(part)
            return size

        queued = 0                                      # bytes of XML submitted and not collected

        def submit(rows_xml: memoryview) -> None:
            nonlocal queued
            package = [*structure, (info.filename, [checker.head, rows_xml, _CHUNK_TAIL])]
            pending.append(pool.submit(_parse_chunk, package, index, rows))
            queued += len(rows_xml)
            while pending and (queued > _PARALLEL_QUEUE or pending[0].done()):   # in order; bounded memory
                queued -= collect()

        for data in gen:
            for rows_xml in checker.feed(data, job.chunk_bytes):
                submit(rows_xml)
        for rows_xml in checker.finish(job.chunk_bytes):
            submit(rows_xml)
        while pending:
            collect()
        return rows.rows
    except _NotPlain:
        if consumer is not None:
            consumer.reset()
        return None
    finally:
        gen.close()
        pool.shutdown(wait=True, cancel_futures=True)


def _parse_chunk(package: list[tuple[str, list]], index: int, rows: _ChunkRows):
    """On a worker: one chunk's package → calamine → its cleaned rows, as ``(first row, rows)``."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(_stored_package(package)))
    try:
        return len(package[-1][1][1]), rows.convert(wb.get_sheet_by_index(index))
    finally:
        wb.close()


# One bound for every ledger-shaped sheet, simpler (twice as fast) than the sheet's own: every cell tag is
# `<c r="REF"` with a one-letter column and a row below 1,050,000, so the grid is at most 26 × 1,049,999 cells.
_COARSE_VIOLATION = re.compile(rb'<c(?! r="[A-Z](?:[1-9][0-9]{0,5}|10[0-4][0-9]{4})"[\s/>])[\s/>]')
_COARSE_EXTENT = 26 * 1_049_999


class _ChunkChecker:
    """Splits a worksheet's decompressed XML into its head and chunks of whole rows, checking each chunk as
    :func:`_scan_sheet`'s fast path does (raises _NotPlain where that would fall back to expat).  The chunks are
    memoryviews of one joined buffer per ``size`` bytes (no copy per chunk)."""

    def __init__(self, dim, info: zipfile.ZipInfo, name: str, sheet: str, max_cells: int):
        self.bound = dim if dim is not None else (0, 0)
        self.violation = _violation_re(self.bound)
        self.info, self.name, self.sheet, self.max_cells = info, name, sheet, max_cells
        self.count_cells = info.file_size > 3 * max_cells      # every "<c " is 3 bytes: a smaller member cannot exceed
        self.coarse = _COARSE_EXTENT <= max_cells
        self.count = 0
        self.head: bytes | None = None
        self.carry = b""                    # the head, until <sheetData> is in it
        self.pieces: list[bytes] = []       # the rows' bytes not yet cut into chunks
        self.size = 0
        self.done = False                   # </sheetData> seen: the rest is the tail (only decompressed)

    def feed(self, data: bytes, size: int):
        if self.done:
            return
        if self.head is None:
            buf = self.carry + data
            at = buf.find(b"sheetData")
            if at < 0:
                if len(buf) > _SHEET_HEAD:
                    raise _NotPlain("no <sheetData> in the head")
                self.carry = buf
                return
            if buf[at - 1:at] != b"<" or buf[at + 9:at + 10] != b">":
                raise _NotPlain("the first sheetData is not a plain start tag")
            head = buf[:at + 10]
            if not _fast_path_possible(head[:_XML_HEAD]) or _unusual_markup(_after_declaration(head)):
                raise _NotPlain("unusual worksheet head")
            self.head, self.carry, data = head, b"", buf[at + 10:]
        self.pieces.append(data)
        self.size += len(data)
        if self.size >= size:
            yield from self._drain(size)

    def finish(self, size: int):
        if not self.done:
            yield from self._drain(size)
        if not self.done:
            raise _NotPlain("no </sheetData>")

    def _drain(self, size: int):
        buf = self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)
        self.pieces, self.size = [], 0
        end = buf.find(b"sheetData")
        if end >= 0:
            if buf[end - 2:end] != b"</" or buf[end + 9:end + 10] != b">":
                raise _NotPlain("sheetData inside the rows")
            self.done = True
            stop = end - 2
        else:
            stop = len(buf)
        start = 0
        while stop - start >= size:
            cut = buf.find(b"</row>", start + size - 6, stop)
            if cut < 0:
                if stop - start > _PARALLEL_MAX_ROW_BYTES:
                    raise _NotPlain("a very long row")
                break
            cut += 6
            yield self._checked(buf, start, cut)
            start = cut
        if self.done:
            if buf[start:stop].strip():
                yield self._checked(buf, start, stop)
        elif start < stop:
            self.pieces, self.size = [buf[start:stop]], stop - start

    def _checked(self, buf: bytes, start: int, stop: int) -> memoryview:
        if _unusual_markup(buf, start, stop) or _PREFIXED_C.search(buf, start, stop):
            raise _NotPlain("comment, CDATA, processing instruction or prefixed cell in the rows")
        if self.coarse:
            if _COARSE_VIOLATION.search(buf, start, stop):
                raise _NotPlain("a cell tag that is not <c r=\"REF\"> inside A1:Z1049999: the exact scan decides")
            pos = stop
        else:
            pos = start
        while pos < stop:
            m = self.violation.search(buf, pos, stop)
            if m is None:
                break
            canon = _CANONICAL_C.match(buf, m.start(), stop)
            if canon is None:
                raise _NotPlain("a cell tag that is not <c r=\"REF\"")
            row = int(canon.group(2)) - 1
            col = _column_index(canon.group(1))
            if row >= _EXCEL_ROWS or col >= _EXCEL_COLS:
                raise _NotPlain("a cell beyond the grid")
            self.bound = _grow(self.bound, row, col)
            if (self.bound[0] + 1) * (self.bound[1] + 1) > self.max_cells:
                raise _NotPlain("extent over the limit: the exact scan decides")
            self.violation = _violation_re(self.bound)
            if self.violation.match(buf, m.start(), stop):  # cannot happen; never loop forever
                raise _NotPlain("bound")
            pos = m.start()
        if self.count_cells:
            self.count += buf.count(b"<c ", start, stop)
            if self.count > self.max_cells:
                raise _Fail.too_large(self.name, self.sheet, self.count, self.max_cells,
                                      detail=f"cell count of {self.info.filename!r}")
        return memoryview(buf)[start:stop]


class _ChunkRows:
    """The sheet's rows from the chunks' parses, cleaned as :func:`_sheet_rows` cleans them: :meth:`convert` on
    the workers, :meth:`add` in order on the reading thread."""

    def __init__(self, share: bool, consumer=None):
        self.rows: list[list] = []          # with a consumer: stays empty (the rows went to it)
        self.consumer = consumer
        self.n = 0                          # rows so far (= the first row the next chunk may start at)
        self.share = share
        self.strs: dict = {}                # equal strings and dates shared (big sheets: memory); setdefault is
        self.dates: dict = {}               # atomic, so the workers may share these

    def convert(self, sh) -> tuple[int, int, list[list]] | None:
        start = sh.start
        if start is None:
            return None
        r0, c0 = int(start[0]), int(start[1])
        height, width = int(sh.height), int(sh.width)
        data = sh.to_python()
        if len(data) != height or (data and len(data[0]) != width):
            raise _NotPlain("unexpected layout")
        pad = [None] * c0 if c0 else None
        td_t, str_t = _dt.timedelta, str
        out: list[list] = []
        append = out.append
        if self.share:
            s_get, d_get = self.strs.setdefault, self.dates.setdefault
            for r in data:
                append(_shared_row(r, s_get, d_get, pad))
            if len(self.strs) > 65_536:
                self.strs.clear()
        else:
            has_td = td_t in set(map(type, itertools.chain.from_iterable(data)))
            for r in data:
                while r and r[-1] == "":
                    r.pop()
                if has_td:
                    r = [(None if v == "" else v) if type(v) is str_t
                         else (_timedelta_value(v) if type(v) is td_t else v) for v in r]
                elif "" in r:                   # the empty cells inside the row, in place
                    i = r.index("")
                    try:
                        while True:
                            r[i] = None
                            i = r.index("", i + 1)
                    except ValueError:
                        pass
                if r and pad:
                    r[0:0] = pad
                append(r)
        return r0, height, out

    def add(self, part: tuple[int, int, list[list]] | None) -> None:
        if part is None:
            return
        r0, height, out = part
        if r0 < self.n:
            raise _NotPlain("a chunk's cells lie above the previous chunk's")
        if r0 > self.n:                     # the empty rows between the chunks
            out[0:0] = [[] for _ in range(r0 - self.n)]
        if self.consumer is not None:
            self.consumer.feed(out)
        else:
            self.rows.extend(out)
        self.n = r0 + height


def _check_ole(fh, name: str, max_cells: int) -> bool:
    """Encrypted package / legacy .xls checks.  Returns macro_enabled."""
    encrypted = None
    try:
        import msoffcrypto

        fh.seek(0)
        office = msoffcrypto.OfficeFile(fh)
        kind = type(office).__name__
        if kind == "OOXMLFile":            # an EncryptedPackage stream: a locked .xlsx
            encrypted = True
        elif kind == "Doc97File":
            raise _Fail.not_xlsx(name, " Word 文档")
        elif kind == "Ppt97File":
            raise _Fail.not_xlsx(name, " PowerPoint 演示文稿")
        else:
            encrypted = bool(office.is_encrypted())
    except WorkbookError:
        raise
    except Exception:  # noqa: BLE001 - fall back to a raw look for the stream name
        encrypted = None
    if encrypted is None:
        fh.seek(0)
        raw = fh.read(256 * 1024**2)
        encrypted = "EncryptedPackage".encode("utf-16-le") in raw
    if encrypted:
        raise _Fail.encrypted(name)

    try:
        import olefile

        fh.seek(0)
        ole = olefile.OleFileIO(fh)
    except Exception as exc:  # noqa: BLE001 - we cannot vouch for what we cannot parse
        raise _Fail.unreadable(name, "文件内部结构损坏，无法识别为 Excel 97-2003 工作簿",
                               detail=f"olefile: {exc!r}") from None
    try:
        entries = ole.listdir(streams=True, storages=True)
        macro = any(e and e[0].lower() == "_vba_project_cur" for e in entries)
        for entry in entries:
            if len(entry) == 1 and entry[0].lower() in ("workbook", "book"):
                try:
                    data = ole.openstream(entry).read()
                except Exception as exc:  # noqa: BLE001
                    raise _Fail.unreadable(name, "文件内部结构损坏", detail=repr(exc)) from None
                _scan_biff(data, name, max_cells)
        return macro
    finally:
        try:
            ole.close()
        except Exception:  # noqa: BLE001
            pass


# BIFF record types calamine turns into cells (row u16 at 0, col u16 at 2).
_BIFF_CELL = frozenset({0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006})
_BIFF_MULRK = 0x00BD
_BIFF_DIMENSIONS = 0x0200
_BIFF_BOUNDSHEET = 0x0085
_BIFF_SST = 0x00FC
_BIFF_EOF = 0x000A


def _biff_records(data: bytes, pos: int):
    n = len(data)
    while pos + 4 <= n:
        typ, length = struct.unpack_from("<HH", data, pos)
        start = pos + 4
        if start + length > n:
            return
        yield typ, start, length
        if typ == _BIFF_EOF:
            return
        pos = start + length


def _biff_sheet_name(body: bytes) -> str | None:
    """Sheet name of a BIFF8 BoundSheet8 record (best effort, for messages only)."""
    try:
        cch, flags = body[6], body[7]
        raw = body[8:8 + cch * (2 if flags & 1 else 1)]
        text = raw.decode("utf-16-le" if flags & 1 else "latin-1")
        return text if len(text) == cch else None
    except (IndexError, UnicodeDecodeError):
        return None


def _scan_biff(data: bytes, name: str, max_cells: int) -> None:
    """Bound what calamine will allocate for each sheet of a BIFF workbook stream."""
    positions: list[tuple[int, str | None]] = []
    for typ, start, length in _biff_records(data, 0):
        if typ == _BIFF_BOUNDSHEET and length >= 4:
            positions.append((struct.unpack_from("<I", data, start)[0],
                              _biff_sheet_name(data[start:start + length])))
        elif typ == _BIFF_SST and length >= 8:
            count = struct.unpack_from("<i", data, start + 4)[0]
            if count < 0 or count > len(data) // 3 + 1:
                raise _Fail.unreadable(name, "文件内部结构异常（共享字符串表）",
                                       detail=f"SST count {count}")
    for pos, sheet in positions:
        if pos >= len(data):
            raise _Fail.unreadable(name, "文件内部结构损坏（工作表位置无效）", detail=f"sheet at {pos}")
        max_row = max_col = -1
        count = 0
        for typ, start, length in _biff_records(data, pos):
            if typ == _BIFF_DIMENSIONS and length in (10, 14):
                if length == 10:
                    rf, rl, cf, cl = struct.unpack_from("<HHHH", data, start)
                else:
                    rf, rl, cf, cl = struct.unpack_from("<IIHH", data, start)
                end_r, end_c = (rl - 1, cl - 1) if rl >= 1 and cl >= 1 else (rf, cf)
                rows = (end_r - rf + 1) % 2**32
                cols = (end_c - cf + 1) % 2**32
                if rows * cols > max_cells:
                    raise _Fail.too_large(name, sheet, rows * cols, max_cells,
                                          detail=f"BIFF DIMENSIONS {rf}:{rl} x {cf}:{cl}")
            elif typ in _BIFF_CELL and length >= 4:
                r, c = struct.unpack_from("<HH", data, start)
                count += 1
                max_row, max_col = max(max_row, r), max(max_col, c)
            elif typ == _BIFF_MULRK and length >= 6:
                r, first = struct.unpack_from("<HH", data, start)
                last_field = struct.unpack_from("<H", data, start + length - 2)[0]
                n = max((length - 6) // 6, 1)
                count += n
                max_row = max(max_row, r)
                max_col = max(max_col, first + n - 1, last_field)
            else:
                continue
            if count > max_cells or (max_row + 1) * (max_col + 1) > max_cells:
                raise _Fail.too_large(name, sheet, max(count, (max_row + 1) * (max_col + 1)),
                                      max_cells, detail="BIFF cell extent")


# --------------------------------------------------------------------------- zip / .xlsx


def _norm(member: str) -> str:
    return member.replace("\\", "/").lower()


def _member_chunks(fp, info: zipfile.ZipInfo, out_chunk: int = _CHUNK, in_chunk: int = _CHUNK):
    """Yield the decompressed data of one member, verifying real size and CRC at the end.

    Raises _Truncated (incomplete/corrupt data, CRC mismatch) or _Oversize (the member
    produces more bytes than it declares).  A consumer that stops early skips the checks.
    """
    fp.seek(info.header_offset)
    local = fp.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise _Truncated(f"bad local header for {info.filename!r}")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    produced = 0
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        while remaining > 0:
            data = fp.read(min(in_chunk, remaining))
            if not data:
                raise _Truncated(f"stored member {info.filename!r} cut short")
            remaining -= len(data)
            produced += len(data)
            if produced > info.file_size:
                raise _Oversize(info.filename)
            crc = zlib.crc32(data, crc)
            yield data
    else:  # ZIP_DEFLATED (others are rejected before we get here)
        dec = zlib.decompressobj(-15)
        while True:
            if dec.unconsumed_tail:
                data = dec.unconsumed_tail
            elif remaining > 0:
                data = fp.read(min(in_chunk, remaining))
                if not data:
                    raise _Truncated(f"deflated member {info.filename!r} cut short")
                remaining -= len(data)
            else:
                data = b""
            try:
                out = dec.decompress(data, out_chunk)
            except zlib.error as exc:
                raise _Truncated(f"{info.filename!r}: {exc}") from None
            if out:
                produced += len(out)
                if produced > info.file_size:
                    raise _Oversize(info.filename)
                crc = zlib.crc32(out, crc)
                yield out
            if dec.eof:
                break
            if not out and not data:
                raise _Truncated(f"deflate stream of {info.filename!r} ends early")
    if produced != info.file_size:
        raise _Truncated(f"{info.filename!r}: {produced} bytes, declared {info.file_size}")
    if (crc & 0xFFFFFFFF) != info.CRC:
        raise _Truncated(f"{info.filename!r}: bad CRC")


def _read_head(fp, info: zipfile.ZipInfo, n: int) -> bytes:
    """First n decompressed bytes of a member (decompressing only about that much)."""
    parts = []
    got = 0
    gen = _member_chunks(fp, info, out_chunk=n, in_chunk=min(n, 64 * 1024))
    try:
        for part in gen:
            parts.append(part)
            got += len(part)
            if got >= n:
                break
    finally:
        gen.close()
    return b"".join(parts)[:n]


def _read_all(fp, info: zipfile.ZipInfo) -> bytes:
    return b"".join(_member_chunks(fp, info))


_DTD_MARKERS = tuple(
    m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")
)


_DTD_RE = re.compile(b"|".join(re.escape(m) for m in _DTD_MARKERS))


def _has_dtd(data: bytes) -> bool:
    # Every marker holds "<!" (ASCII) or a NUL byte (UTF-16); both tests are C-speed scans, and
    # the regex runs only when one of them hits (comments, CDATA, UTF-16 text).
    if b"<!" not in data and b"\x00" not in data:
        return False
    return _DTD_RE.search(data) is not None


def _check_zip(fh, name: str, max_cells: int, max_uncompressed: int) -> tuple[bool, dict[str, _Deferred]]:
    """All package-level checks, before calamine.  Returns macro_enabled and the worksheets whose scan is
    left to the parallel chunk reader (by sheet name; see :func:`_read_chunked`)."""
    try:
        try:
            zf = zipfile.ZipFile(fh)
        except zipfile.LargeZipFile as exc:
            raise _Fail.zip_bomb(name, "超出可处理的大小", detail=repr(exc)) from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error,
                IndexError, KeyError, NotImplementedError) as exc:
            raise _Fail.truncated(name, detail=repr(exc)) from None
        with zf:
            infos = zf.infolist()
            with _member_errors(name):
                return _check_package(fh, zf, infos, name, max_cells, max_uncompressed)
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error, struct.error) as exc:
        raise _Fail.truncated(name, detail=repr(exc)) from None


@contextlib.contextmanager
def _member_errors(name: str):
    """Reading a member: a member that inflates past its size is a bomb, a broken one is truncated."""
    try:
        yield
    except _Oversize as exc:
        raise _Fail.zip_bomb(name, "中的数据解压后超过其声明的大小",
                             detail=f"member {exc} inflates past its declared size") from None
    except (_Truncated, zipfile.BadZipFile, EOFError, zlib.error, struct.error) as exc:
        raise _Fail.truncated(name, detail=repr(exc)) from None


def _check_package(fh, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str,
                   max_cells: int, max_uncompressed: int) -> tuple[bool, dict[str, _Deferred]]:
    if not infos:
        raise _Fail.not_xlsx(name, "空的压缩包")

    # 1. member table sanity (no decompression yet)
    seen: set[str] = set()
    by_norm: dict[str, list[zipfile.ZipInfo]] = {}
    for info in infos:
        if info.filename in seen:
            raise _Fail.unreadable(name, "文件内部结构异常（重复的组成部分）",
                                   detail=f"duplicate member {info.filename!r}")
        seen.add(info.filename)
        by_norm.setdefault(_norm(info.filename), []).append(info)
        if info.flag_bits & 0x1:
            raise _Fail.unreadable(name, "文件被 ZIP 密码保护，无法读取",
                                   detail=f"encrypted zip member {info.filename!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Fail.unreadable(name, "使用了不支持的压缩方式",
                                   detail=f"compression {info.compress_type} in {info.filename!r}")

    # 2. zip bomb, from the declared sizes only
    total = sum(i.file_size for i in infos)
    if total > max_uncompressed:
        raise _Fail.zip_bomb(
            name, f"解压后总大小约 {_fmt_bytes(total)}，超过上限 {_fmt_bytes(max_uncompressed)}",
            detail=f"declared total {total} > {max_uncompressed}")
    for i in infos:
        if i.file_size > _BOMB_MIN_SIZE and i.file_size > _BOMB_RATIO * max(i.compress_size, 1):
            raise _Fail.zip_bomb(
                name, f"中的组成部分压缩比异常（{_fmt_bytes(i.file_size)} 压缩为 {i.compress_size:,} 字节）",
                detail=f"{i.filename!r}: {i.file_size} / {i.compress_size}")

    # 3. what kind of package is this?
    if "xl/workbook.xml" not in by_norm:
        if "xl/workbook.bin" in by_norm:
            raise _Fail.not_xlsx(name, " .xlsb 二进制工作簿")
        if "content.xml" in by_norm or "mimetype" in by_norm:
            raise _Fail.not_xlsx(name, " OpenDocument（.ods）表格")
        if "word/document.xml" in by_norm:
            raise _Fail.not_xlsx(name, " Word 文档")
        if "ppt/presentation.xml" in by_norm:
            raise _Fail.not_xlsx(name, " PowerPoint 演示文稿")
        raise _Fail.not_xlsx(name, "普通压缩包")
    if "xl/workbook.bin" in by_norm or "content.xml" in by_norm:
        raise _Fail.not_xlsx(name, "格式混杂的文件")
    macro = "xl/vbaproject.bin" in by_norm

    # 4. DTD / entity declarations in the head of every XML member
    xmlish = (".xml", ".rels", ".vml")
    for info in infos:
        if _norm(info.filename).endswith(xmlish) and _has_dtd(_read_head(fh, info, _XML_HEAD)):
            raise _Fail.xml_attack(name, detail=f"DTD/ENTITY in {info.filename!r}")

    # 5. which members can calamine read as sheets, and under what names
    sheet_members, sheet_names, single = _sheet_members(fh, by_norm, name)

    # 6. declared dimensions (cheap early rejection)
    dims: dict[str, tuple[int, int] | None] = {}
    for info in infos:
        if info.filename not in sheet_members:
            continue
        head = _read_head(fh, info, _SHEET_HEAD)
        if _has_dtd(head):
            raise _Fail.xml_attack(name, detail=f"DTD/ENTITY in {info.filename!r}")
        dim = _parse_dimension(head)
        dims[info.filename] = dim
        if dim is not None:
            extent = (dim[0] + 1) * (dim[1] + 1)
            if extent > max_cells:
                raise _Fail.too_large(name, sheet_names.get(info.filename), extent, max_cells,
                                      detail=f"dimension of {info.filename!r}")

    # 7. big worksheets are scanned chunk by chunk as they are parsed (see _read_chunked)
    deferred = _deferrable(infos, by_norm, single, sheet_names, dims)

    # 8. one streaming pass over everything else: real size + CRC (testzip), and the real cell
    #    extent of every sheet
    later = {d.info.filename for d in deferred.values()}
    for info in infos:
        if info.filename in later:
            continue
        if info.filename in sheet_members:
            _scan_sheet(fh, info, dims.get(info.filename), name,
                        sheet_names.get(info.filename), max_cells)
        else:
            for _ in _member_chunks(fh, info):
                pass
    return macro, deferred


def _sheet_members(fh, by_norm: dict[str, list[zipfile.ZipInfo]],
                   name: str) -> tuple[set[str], dict[str, str], set[str]]:
    """Members calamine may parse as worksheets (over-inclusive), their sheet names, and the members that
    exactly one relationship and one <sheet> element point to, under a name no other sheet has."""
    members: set[str] = set()
    for norm, infos in by_norm.items():
        parts = norm.split("/")
        if any(p in ("worksheets", "chartsheets", "dialogsheets", "macrosheets") for p in parts[:-1]):
            members.update(i.filename for i in infos)

    targets: dict[str, str] = {}   # rId -> resolved normalised path
    refs: dict[str, int] = {}      # normalised path -> relationships pointing at it
    for info in by_norm.get("xl/_rels/workbook.xml.rels", []):
        elements = _meta_elements(fh, info, name)
        if elements is None:
            raise _Fail.unreadable(name, "工作簿结构文件无法解析",
                                   detail=f"cannot parse {info.filename!r}")
        for local, attrs in elements:
            target = attrs.get("Target") or ""
            if local != "Relationship" or not target:
                continue
            if target.startswith("/xl/"):
                path = target[1:]
            elif target.startswith("xl/"):
                path = target
            else:
                path = "xl/" + target
            for cand in {_norm(path), _norm(target.lstrip("/"))}:
                refs[cand] = refs.get(cand, 0) + 1
                for i in by_norm.get(cand, []):
                    members.add(i.filename)
            if attrs.get("Id"):
                targets[attrs["Id"]] = _norm(path)

    names: dict[str, str] = {}
    uses: dict[str, int] = {}       # normalised path -> <sheet> elements using it
    name_count: dict[str, int] = {}
    for info in by_norm.get("xl/workbook.xml", []):
        for local, attrs in _meta_elements(fh, info, name) or ():
            if local != "sheet":
                continue
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            path = targets.get(rid, "")
            uses[path] = uses.get(path, 0) + 1
            sheet = attrs.get("name") or ""
            name_count[sheet] = name_count.get(sheet, 0) + 1
            for i in by_norm.get(path, []):
                names.setdefault(i.filename, sheet)
    single = {infos[0].filename for norm, infos in by_norm.items()
              if len(infos) == 1 and refs.get(norm) == 1 and uses.get(norm) == 1 and "\\" not in infos[0].filename
              and name_count.get(names.get(infos[0].filename, ""), 0) == 1 and names[infos[0].filename].strip()}
    return members, names, single


def _meta_elements(fh, info: zipfile.ZipInfo, name: str) -> list[tuple[str, dict]] | None:
    """(local name, attributes) of every element of a small structural XML part.

    Parsed with expat, refusing any DTD or entity declaration; None if it is not XML.
    """
    if info.file_size > _META_MAX:
        raise _Fail.unreadable(name, "工作簿结构文件过大", detail=f"{info.filename!r} {info.file_size}")
    data = _read_all(fh, info)
    if _has_dtd(data):
        raise _Fail.xml_attack(name, detail=f"DTD/ENTITY in {info.filename!r}")
    elements: list[tuple[str, dict]] = []

    def start(qname: str, attrs: dict) -> None:
        elements.append((_local(qname), attrs))

    def dtd(*_args) -> None:
        raise _Fail.xml_attack(name, detail=f"DTD/ENTITY in {info.filename!r}")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return None
    return elements


# ---- cell references, calamine-compatible


class _BadRef(Exception):
    pass


def _parse_ref(ref: str) -> tuple[int, int | None]:
    """'XFD1048576' -> (1048575, 16383); '12' -> (11, None).  Mirrors calamine's parser."""
    row = col = 0
    pow_ = 1
    reading_row = True
    for ch in reversed(ref):
        if "0" <= ch <= "9":
            if not reading_row:
                raise _BadRef(ref)
            row += (ord(ch) - 48) * pow_
            pow_ *= 10
        elif "A" <= ch <= "Z" or "a" <= ch <= "z":
            if reading_row:
                if row == 0:
                    raise _BadRef(ref)
                pow_ = 1
                reading_row = False
            col += (ord(ch.upper()) - 64) * pow_
            pow_ *= 26
        else:
            raise _BadRef(ref)
    if row == 0:
        raise _BadRef(ref)
    return row - 1, (col - 1 if col else None)


_DIMENSION_RE = re.compile(rb"""<(?:[^\s<>/:]*:)?dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""")


def _parse_dimension(head: bytes) -> tuple[int, int] | None:
    """(last row, last col), 0-based, from the <dimension ref> of a sheet head, or None."""
    m = _DIMENSION_RE.search(head)
    if not m:
        return None
    try:
        parts = [_parse_ref(p) for p in m.group(1).decode("ascii").split(":")]
    except (UnicodeDecodeError, _BadRef):
        return None
    if not 1 <= len(parts) <= 2 or any(c is None for _, c in parts):
        return None
    return max(r for r, _ in parts), max(c for _, c in parts)  # type: ignore[type-var]


def _upto_regex(limit: str, first_lo: str, lo: str) -> str:
    """Regex for the strings (no leading 'zero') that are <= limit in the same-length order."""
    hi = "9" if lo == "0" else "Z"
    n = len(limit)
    alts = []
    for length in range(1, n):
        alts.append(f"[{first_lo}-{hi}]" + (f"[{lo}-{hi}]{{{length - 1}}}" if length > 1 else ""))
    for i, ch in enumerate(limit):
        floor = first_lo if i == 0 else lo
        if ch > floor:
            rest = n - i - 1
            alts.append(re.escape(limit[:i]) + f"[{floor}-{chr(ord(ch) - 1)}]"
                        + (f"[{lo}-{hi}]{{{rest}}}" if rest else ""))
    alts.append(re.escape(limit))
    return "(?:" + "|".join(alts) + ")"


_VIOLATION_CACHE: dict[tuple[int, int] | None, re.Pattern] = {}


def _violation_re(dim: tuple[int, int] | None) -> re.Pattern:
    """Matches any <c> start tag that is NOT `<c r="REF"` with REF inside `dim`."""
    pat = _VIOLATION_CACHE.get(dim)
    if pat is None:
        if dim is None:
            src = rb"<c(?=[\s/>])"
        else:
            cols = _upto_regex(column_letter(dim[1]), "A", "A")
            rows = _upto_regex(str(dim[0] + 1), "1", "0")
            src = rb'<c(?=[\s/>])(?! r="' + (cols + rows).encode("ascii") + rb'"[\s/>])'
        pat = re.compile(src)
        if len(_VIOLATION_CACHE) > 64:
            _VIOLATION_CACHE.clear()
        _VIOLATION_CACHE[dim] = pat
    return pat


_PREFIXED_C = re.compile(rb":c[\s/>]")
_XML_DECL_ENC = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _fast_path_possible(head: bytes) -> bool:
    """Only plain UTF-8 XML is byte-scanned; anything else goes through expat."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if b"\x00" in head[:_XML_HEAD] or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    m = _XML_DECL_ENC.match(head.lstrip())
    return m is None or m.group(1).strip().lower() in (b"utf-8", b"utf8")


_CANONICAL_C = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"[\s/>]')
_COLUMN_CACHE: dict[bytes, int] = {}


def _column_index(letters: bytes) -> int:
    idx = _COLUMN_CACHE.get(letters)
    if idx is None:
        idx = 0
        for ch in letters:
            idx = idx * 26 + (ch - 64)
        idx -= 1
        if len(_COLUMN_CACHE) < 20_000:
            _COLUMN_CACHE[letters] = idx
    return idx


def _grow(bound: tuple[int, int], row: int, col: int) -> tuple[int, int]:
    """Enlarge the scan bound past (row, col) with slack, so it is enlarged O(log n) times."""
    new_row = max(bound[0], min(row + row // 8 + 64, _EXCEL_ROWS - 1), row)
    new_col = max(bound[1], min(col + col // 8 + 4, _EXCEL_COLS - 1), col)
    return new_row, new_col


def _scan_sheet(fh, info: zipfile.ZipInfo, dim: tuple[int, int] | None, name: str,
                sheet: str | None, max_cells: int) -> None:
    """Bound the cells calamine will place for one worksheet member; verify size and CRC.

    Fast path (C-speed regex): every <c> start tag must be the canonical `<c r="REF"`
    with REF inside the current bound, which starts as the sheet's <dimension> and is
    enlarged (with slack) whenever a cell lies outside it.  Since the bound only grows,
    every cell ends up inside the final bound, so the final bound's extent is an upper
    bound on the grid calamine will allocate.  If that upper bound is over the limit, or
    anything is unusual (cells without r, namespace prefixes, other encodings, markup we
    cannot tokenise safely), the member is re-read with expat, which emulates calamine's
    row/column bookkeeping exactly and decides precisely.
    """
    bound = dim if dim is not None else (0, 0)
    violation = _violation_re(bound)
    carry = b""
    count = 0
    first = True
    fast = True
    gen = _member_chunks(fh, info)
    try:
        for chunk in gen:
            if first:
                first = False
                if not _fast_path_possible(chunk[:_XML_HEAD]):
                    fast = False
                    break
            buf = carry + chunk
            cut = buf.rfind(b"<")
            if cut < 0:
                body, carry = buf, b""
            else:
                body, carry = buf[:cut], buf[cut:]
            if len(carry) > _CARRY_LIMIT:
                fast = False
                break
            if _has_dtd(body):
                raise _Fail.xml_attack(name, detail=f"DTD/ENTITY in {info.filename!r}")
            if _PREFIXED_C.search(body):
                fast = False
                break
            pos = 0
            while fast:
                m = violation.search(body, pos)
                if m is None:
                    break
                canon = _CANONICAL_C.match(body, m.start())
                if canon is None:
                    fast = False
                    break
                row = int(canon.group(2)) - 1
                col = _column_index(canon.group(1))
                if row >= _EXCEL_ROWS or col >= _EXCEL_COLS:
                    fast = False
                    break
                bound = _grow(bound, row, col)
                violation = _violation_re(bound)
                if violation.match(body, m.start()):  # cannot happen; never loop forever
                    fast = False
                    break
                pos = m.start()
            if not fast:
                break
            count += body.count(b"<c ")
            if count > max_cells:
                raise _Fail.too_large(name, sheet, count, max_cells,
                                      detail=f"cell count of {info.filename!r}")
        else:
            if _has_dtd(carry):
                raise _Fail.xml_attack(name, detail=f"DTD/ENTITY in {info.filename!r}")
            if _PREFIXED_C.search(carry) or violation.search(carry):
                fast = False
    finally:
        gen.close()
    if fast and (bound[0] + 1) * (bound[1] + 1) <= max_cells:
        return
    _scan_sheet_exact(fh, info, name, sheet, max_cells)


_CANONICAL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})\Z")


def _local(qname: str) -> str:
    # quick-xml's local_name(): everything after the FIRST colon
    return qname.split(":", 1)[1] if ":" in qname else qname


def _scan_sheet_exact(fh, info: zipfile.ZipInfo, name: str, sheet: str | None,
                      max_cells: int) -> None:
    state = {"row": 0, "col": 0, "pending": None, "started": False,
             "max_row": -1, "max_col": -1, "count": 0}
    failure: list[WorkbookError] = []

    def fail(err: WorkbookError):
        failure.append(err)
        raise err

    def place(pos: tuple[int, int]) -> None:
        r, c = pos
        if r >= _EXCEL_ROWS or c >= _EXCEL_COLS:
            fail(_Fail.too_large(name, sheet, None, max_cells,
                                 detail=f"cell ({r}, {c}) beyond Excel's grid in {info.filename!r}"))
        state["count"] += 1
        if r > state["max_row"]:
            state["max_row"] = r
        if c > state["max_col"]:
            state["max_col"] = c
        extent = (state["max_row"] + 1) * (state["max_col"] + 1)
        if extent > max_cells or state["count"] > max_cells:
            fail(_Fail.too_large(name, sheet, max(extent, state["count"]), max_cells,
                                 detail=f"cells of {info.filename!r}"))

    def ref(value: str, need_col: bool) -> tuple[int, int | None]:
        m = _CANONICAL_REF.match(value)
        if m is not None:
            return int(m.group(2)) - 1, _column_index(m.group(1).encode("ascii"))
        try:
            r, c = _parse_ref(value)
        except _BadRef:
            fail(_Fail.unreadable(name, "工作表中的单元格位置无效",
                                  detail=f"bad reference {value!r} in {info.filename!r}"))
        if need_col and c is None:
            fail(_Fail.unreadable(name, "工作表中的单元格位置无效",
                                  detail=f"bad reference {value!r} in {info.filename!r}"))
        return r, c

    def start(qname: str, attrs: dict) -> None:
        local = _local(qname)
        if state["pending"] is not None:          # first child of a <c>: it has content
            place(state["pending"])
            state["pending"] = None
        if not state["started"]:
            state["started"] = local == "sheetData"
            return
        if local == "row":
            r = attrs.get("r")
            if r is not None:
                state["row"] = ref(r, False)[0]
        elif local == "c":
            r = attrs.get("r")
            if r is not None:
                row, col = ref(r, True)
                state["col"] = col
                state["pending"] = (row, col)
            else:
                state["pending"] = (state["row"], state["col"])

    def end(qname: str) -> None:
        if not state["started"]:
            return
        local = _local(qname)
        if local == "c":
            state["pending"] = None
            state["col"] += 1
        elif local == "row":
            state["row"] += 1
            state["col"] = 0

    def dtd(*_args) -> None:
        fail(_Fail.xml_attack(name, detail=f"DTD/ENTITY in {info.filename!r}"))

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        for chunk in _member_chunks(fh, info):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except WorkbookError:
        raise
    except expat.ExpatError as exc:
        if failure:
            raise failure[0] from None
        raise _Fail.unreadable(name, "工作表内容格式有误（XML 无法解析）",
                               detail=f"{info.filename!r}: {exc}") from None
    if failure:  # an error raised inside a handler and swallowed by expat
        raise failure[0]


# --------------------------------------------------------------------------- CSV


def _utf16_encoding(raw: bytes, *, whole: bool = True) -> str | None:
    """The codec of UTF-16 text: "utf-16" with a byte-order mark (Excel's “Unicode 文本”), "utf-16-le"/"-be"
    without one when the NUL bytes of the ASCII characters (digits, delimiters) all sit on one side of the
    byte pairs; None for anything else.  ``whole``: ``raw`` is the whole file (so its length must be even)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = raw[:4096]
    head = head[:len(head) - len(head) % 2]
    if len(head) < 8 or (whole and len(raw) % 2):
        return None
    pairs = len(head) // 2
    first, second = head[0::2].count(0), head[1::2].count(0)
    if second >= pairs // 4 and first <= pairs // 50:
        return "utf-16-le"
    if first >= pairs // 4 and second <= pairs // 50:
        return "utf-16-be"
    return None


def _plausible_text(text: str, limit: int = 65536) -> bool:
    """No control (other than tab and line breaks), unassigned, private-use or surrogate characters: bytes
    that merely decode as UTF-16 (any even-length run does) are not taken for text."""
    return not any(unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and ch not in "\t\r\n"
                   for ch in text[:limit])


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _csv_lines(text: str):
    """The lines of ``text`` with their ends, split as ``io.StringIO(text, newline="")`` splits them (\\r\\n, \\r
    or \\n), one at a time: no second copy of a big file in memory (StringIO holds 4 bytes a character)."""
    for m in _LINE.finditer(text):
        yield m.group()


def read_csv(path, *, encodings=("utf-8-sig", "gb18030")) -> RawWorkbook:
    """Read a CSV file as a one-sheet workbook (sheet named after the file stem).

    All cells are str, or None for empty.  The encoding is found by trying ``encodings``
    in order, after UTF-16 when the bytes are UTF-16 (with or without a byte-order mark);
    text containing NUL characters is rejected as not being a CSV.
    """
    try:
        spath = os.fspath(path)
    except TypeError as exc:
        raise _Fail.not_found(str(path), detail=repr(exc)) from None
    if isinstance(spath, bytes):
        spath = os.fsdecode(spath)
    name = _display_name(spath)
    _check_regular_file(spath, name)
    try:
        with open(spath, "rb") as f:
            raw = f.read(_CSV_MAX + 1)
    except OSError as exc:
        raise WorkbookError(
            f'无法打开文件"{name}"，该文件可能正被其他程序（如 Excel）占用或没有读取权限，请关闭占用程序后重试',
            code="unreadable", detail=repr(exc)) from None
    if not raw:
        raise _Fail.empty(name)
    if len(raw) > _CSV_MAX:
        raise WorkbookError(
            f'文件"{name}"超过 {_fmt_bytes(_CSV_MAX)}，过大无法导入，请拆分为多个文件后再导入',
            code="too_large", detail=f"csv larger than {_CSV_MAX}")

    text = None
    utf16 = _utf16_encoding(raw)
    for enc in ((utf16,) if utf16 else ()) + tuple(encodings):
        try:
            text = raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc == utf16 and not _plausible_text(text):     # not UTF-16 after all: try the others
            text = None
            continue
        break
    if text is None:
        raise WorkbookError(
            f'无法识别文件"{name}"的文字编码（已尝试 UTF-8 和 GB18030），请在 Excel 中另存为“CSV UTF-8(逗号分隔)”或 .xlsx 后再导入',
            code="unreadable", detail=f"no encoding of {encodings!r} decodes")
    if "\x00" in text:
        raise WorkbookError(
            f'文件"{name}"不是文本格式的 CSV 文件（含二进制内容），请确认选择了正确的文件，或另存为 .xlsx 后再导入',
            code="unreadable", detail="NUL character in decoded text")

    del raw
    first_line = text[:text.find("\n") if "\n" in text[:1 << 20] else 1 << 20]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    rows: list[list[object]] = []
    try:
        for record in csv.reader(_csv_lines(text), delimiter=delimiter):
            out: list[object] = [cell if cell != "" else None for cell in record]
            while out and out[-1] is None:
                out.pop()
            rows.append(out)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise WorkbookError(
                f'文件"{name}"第 {len(rows) + 1} 行附近有一个单元格超过 {_CSV_FIELD_MAX:,} 个字符（字段过长），'
                f'不是正常的凭证或明细账导出：请在 Excel 中检查该行（如摘要中粘贴了大段文字），删改后再导入',
                code="unreadable", detail=repr(exc)) from None
        raise WorkbookError(
            f'文件"{name}"的 CSV 格式有误（第 {len(rows) + 1} 行附近），请在 Excel 中打开检查后另存为 .xlsx 再导入',
            code="unreadable", detail=repr(exc)) from None
    while rows and not rows[-1]:
        rows.pop()
    stem = os.path.splitext(os.path.basename(spath))[0] or name
    return RawWorkbook(path=spath, sheets={stem: RawSheet(name=stem, rows=rows)},
                       macro_enabled=False)
