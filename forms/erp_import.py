"""Turn ERP voucher / 明细账 exports into R&D ledger lines (研发支出 rows of interfaces.md §1).

Pure functions, no GUI.  The import wizard calls, in order::

    src    = open_source(path)                        # xlsx / xls / csv (GBK, GB18030, UTF-8; comma or tab)
    match  = guess_preset(src)                        # best preset, its sheet, header row and mapping
    header = detect_header(src.sheet(name))           # when the user picks another sheet
    mapping = preset.mapping_for(header)              # or ColumnMapping(...) edited by the user
    problems = check_mapping(mapping, header)         # missing columns, before converting
    rules  = load_rules()                             # resources/params/classification_rules.yaml
    pv     = preview(src, sheet, mapping, rules, known_projects, max_rows=200)
    result = convert(src, sheet, mapping, rules, known_projects)
    rows   = to_workbook_rows(result)                 # for forms.template.write_workbook(lines=rows)
    save_preset(mapping, "我的U8导出")                 # user presets: load_presets() finds them again

Nothing is silently dropped and nothing raises out of :func:`preview` / :func:`convert`: every skipped row
(totals, non-R&D 科目, transfers, empty amounts) gives an info finding, every bad cell an error finding with
sheet / Excel row / source column header / A1 cell, and any unexpected exception becomes a finding too.
Every line carries ``suggested_code``, ``rule_id`` and ``confidence``; the code is only filled in when the
suggestion is confident, otherwise the line is flagged for the user (status ``review``).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from calc import schema as S
from calc import yamlsafe
from calc.model import ERROR, INFO, WARNING, Finding
from calc.money import AmountError, fen_display, fen_to_decimal, parse_amount, parse_ratio, percent_text, to_fraction
from calc.values import ValueProblem, clean_text, is_blank, parse_choice, parse_date, strip_invisible

from .xlsx_reader import RawSheet, WorkbookError, column_letter, read_csv, read_workbook

__all__ = [
    "FIELDS", "FIELD_LABELS", "PRESETS_DIR", "RULES_PATH",
    "Source", "open_source",
    "HeaderGuess", "detect_header", "header_at",
    "RdFilter", "ColumnMapping", "check_mapping", "auto_mapping",
    "Preset", "PresetMatch", "load_presets", "save_preset", "user_preset_dir", "guess_preset", "rank_presets",
    "PresetError",
    "Rule", "RuleSet", "RulesError", "Suggestion", "load_rules", "classify",
    "ImportResult", "Preview", "preview", "convert", "to_workbook_rows", "parse_voucher",
    "WorkbookError",
]

ROOT = Path(__file__).resolve().parent.parent
PRESETS_DIR = ROOT / "resources" / "erp_presets"
RULES_PATH = ROOT / "resources" / "params" / "classification_rules.yaml"
PRESET_FORMAT = "rd-benefit/erp-preset"

# --------------------------------------------------------------------------- fields

FIELDS = ("date", "year", "month", "day", "voucher_kind", "voucher", "summary", "account_code",
          "account_name", "debit", "credit", "amount", "dc", "project", "code", "tax_amount", "funding",
          "share")

FIELD_LABELS = {
    "date": "日期", "year": "年", "month": "月", "day": "日",
    "voucher_kind": "凭证字（种类）", "voucher": "凭证号（或凭证字号）", "summary": "摘要",
    "account_code": "科目编码", "account_name": "科目名称", "debit": "借方金额", "credit": "贷方金额",
    "amount": "金额（单列）", "dc": "借贷方向", "project": "项目（辅助核算）", "code": "费用代码",
    "tax_amount": "税法金额", "funding": "资金来源", "share": "研发工时占比",
}

AMOUNT_MODES = ("auto", "debit_credit", "single", "amount_dc")

# Header words of ERP exports that are not mapped to a field but show that a row is the header row.
_OTHER_HEADER_WORDS = (
    "方向", "余额", "借或贷", "制单人", "制单", "审核人", "审核", "记账人", "记账", "过账", "出纳", "附单据数",
    "附件数", "会计期间", "期间", "分录号", "行号", "币别", "币种", "原币金额", "原币", "汇率", "数量", "单价",
    "本位币", "对方科目", "结算方式", "结算号", "业务编号", "部门", "个人", "客户", "供应商", "序号", "核算维度",
    "会计年度", "凭证状态", "记账日期", "科目全名", "年", "月", "日",
)
# Words of a second header row under a group cell ("借方" over 数量 | 金额).
_SUB_WORDS = ("金额", "数量", "单价", "原币", "本位币", "原币金额", "本位币金额", "外币", "本币")

_TOTAL_RE = re.compile(
    r"^(?:(?:本月|本年|本期|本日|本季|全年|当月|当年|月|年|季)?(?:合计|累计|小计|总计|计)"
    r"|(?:期初|期末|年初|年末|月初|月末)余额|(?:上年|上月|上期)结转|结转下(?:年|月|期)|承前页|过次页)$")
_TOTAL_HINT = re.compile("[计额转页]")
_ACCOUNT_TITLE_RE = re.compile(
    r"^(?:会计)?科目(?:名称)?\s*[:：]\s*(?P<code>\d[\d.]*)?\s*[-_—\s]*(?P<name>.*?)\s*$")
_LEADING_CODE_RE = re.compile(r"^(?P<code>\d{3,}(?:[.\-]\d+)*)\s*[-_—\s]*\s*(?P<name>\D.*)$")
_YEAR_RE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})\s*(?:年|[.\-/]\s*\d{1,2}(?!\d)|\s*$)")
_NOT_PERIOD_WORDS = ("打印", "制表", "导出", "引出", "输出时间", "生成时间")   # title lines whose dates are no period
# Matched against the text with its whitespace removed (see parse_voucher): with no ``\s*`` between the optional
# parts the match is linear (the old pattern's four overlapping ``\s*`` cost O(n⁴) on "记" + 500 spaces, R1).
_VOUCHER_RE = re.compile(
    r"^(?P<kind>[^\d\-_:：#·.,，第号]+?)?字?[-_—:：#·.]?第?(?P<no>\d+)号?$")
_SPLIT_DIGITS_RE = re.compile(r"\d\s+(?=\d)")       # "1 2": not one number (kept whole, as before)
_WS_RE = re.compile(r"\s+")
_VOUCHER_MAX = 200                                     # longer text is no 凭证字号: kept whole
_DEFAULT_PROJECT_PATTERN = r"(?i)(?<![A-Za-z0-9])((?:RD|YF|XM)[-_]?\d{1,6}(?:-\d{1,4})?)(?![A-Za-z0-9])"
_CODE_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[._\-][A-Za-z0-9]+)*")
_PROJECT_LABEL_RE = re.compile(r"^\s*(?:研发项目|项目核算|项目编码|项目编号|项目名称|项目|辅助核算|辅助项|核算项目)\s*[:：/\\\-—_=]*\s*")


def _norm(value: object) -> str:
    """Text for matching: NFKC, no whitespace, lower-case ASCII."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else (clean_text(value) or "")
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


_BRACKET_TAIL = re.compile(r"[（(\[【][^（）()\[\]【】]*[）)\]】]$")


def _norm_header(value: object) -> str:
    text = _norm(value).strip("*:：")
    return text


def _header_keys(value: object) -> list[str]:
    """The forms under which a header cell may match an alias: as is, then without bracket tails."""
    text = _norm_header(value)
    keys = [text] if text else []
    while True:
        stripped = _BRACKET_TAIL.sub("", text).strip("*:：")
        if not stripped or stripped == text:
            break
        keys.append(stripped)
        text = stripped
    return keys


def _text(value: object) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    return unicodedata.normalize("NFKC", text).strip() or None


def _shown(value: object) -> str | None:
    """Cell text as the user sees it (header texts are kept verbatim for display and findings)."""
    text = clean_text(value)
    return text.strip() or None if text is not None else None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _is_dateish(value: object) -> bool:
    return isinstance(value, (dt.date, dt.datetime))


# --------------------------------------------------------------------------- source

@dataclass(frozen=True)
class Source:
    """An opened export: every sheet's raw cell rows (``rows[i]`` is Excel row ``i + 1``)."""
    path: str
    kind: str                         # xlsx | xls | csv
    sheets: dict[str, RawSheet]
    macro_enabled: bool = False
    notes: tuple[str, ...] = ()       # what open_source did (e.g. re-split a tab CSV)

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def sheet(self, name: str | None = None) -> RawSheet:
        if name is None:
            return next(iter(self.sheets.values()))
        return self.sheets[name]

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


_CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def _resplit_tabs(rows: list[list[object]]) -> tuple[list[list[object]], bool]:
    """read_csv chooses the delimiter from the first line only; an ERP text export whose first line is a
    title ("科目明细账") but whose body is tab-separated comes back as comma-split cells holding tabs.
    Put each line back together and split it on tabs."""
    import csv
    import io

    if not any(isinstance(c, str) and "\t" in c for r in rows for c in r):
        return rows, False
    out: list[list[object]] = []
    for r in rows:
        line = ",".join("" if c is None else str(c) for c in r)
        cells = next(csv.reader(io.StringIO(line), delimiter="\t"), [])
        cells = [c if c != "" else None for c in cells]
        while cells and cells[-1] is None:
            cells.pop()
        out.append(cells)
    return out, True


def _workbook_suffix(path: str) -> str | None:
    """".xlsx" / ".xls" when the file starts with a zip / compound-file signature, whatever its extension."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None                         # read_csv reports it
    if head.startswith(b"PK\x03\x04"):
        return ".xlsx"
    return ".xls" if head == bytes.fromhex("d0cf11e0a1b11ae1") else None


def open_source(path: str | os.PathLike) -> Source:
    """Open an ERP export (xlsx/xlsm, legacy xls, or csv/txt in UTF-8 / GBK / GB18030, comma or tab).

    Raises :class:`forms.xlsx_reader.WorkbookError` (one Chinese line for the user) when the file cannot be
    read.  A text file saved with an .xls extension (common for old 用友 exports) is read as CSV."""
    spath = os.fspath(path)
    suffix = os.path.splitext(spath)[1].lower()
    notes: list[str] = []
    if suffix in _CSV_SUFFIXES and _workbook_suffix(spath):
        suffix = _workbook_suffix(spath)    # a workbook saved with a text extension: the bytes decide
        notes.append("文件实为 Excel 工作簿，已按工作簿读取")
    if suffix in _CSV_SUFFIXES:
        raw = read_csv(spath, encodings=("utf-8-sig", "gb18030"))
        kind = "csv"
    else:
        try:
            raw = read_workbook(spath)
            kind = "xls" if suffix == ".xls" else "xlsx"
        except WorkbookError as exc:
            if exc.code != "not_xlsx" or "文本" not in str(exc):
                raise
            raw = read_csv(spath, encodings=("utf-8-sig", "gb18030"))
            kind = "csv"
            notes.append("文件实为文本（CSV/制表符分隔）格式，已按文本读取")
    sheets = dict(raw.sheets)
    if kind == "csv":
        fixed = {}
        for name, sh in sheets.items():
            rows, changed = _resplit_tabs(sh.rows)
            if changed:
                notes.append("按制表符分隔读取")
            fixed[name] = RawSheet(name=name, rows=rows)
        sheets = fixed
    return Source(path=spath, kind=kind, sheets=sheets, macro_enabled=raw.macro_enabled, notes=tuple(notes))


# --------------------------------------------------------------------------- header detection

@dataclass(frozen=True)
class HeaderGuess:
    """Where the header is: ``row`` is the 0-based index of its (first) row, ``None`` when none was found."""
    sheet: str
    row: int | None
    rows: int = 1                              # 1, or 2 for a two-row header (年 over 月 | 日)
    headers: tuple[str | None, ...] = ()       # column index → header text (two-row headers combined)
    confidence: float = 0.0
    matched: int = 0                           # header cells recognised
    year: int | None = None                    # year found in the title / header rows ("2024年")
    account_code: str | None = None            # 科目 named in a title row ("科目：5301 研发支出")
    account_name: str | None = None
    titles: tuple[str, ...] = ()               # texts of the rows above the header

    @property
    def excel_row(self) -> int | None:
        return None if self.row is None else self.row + 1

    @property
    def data_start(self) -> int | None:
        return None if self.row is None else self.row + self.rows

    def column_index(self, header: str) -> int | None:
        """Index of the column whose header is ``header`` (also matching without a bracket tail)."""
        want = _header_keys(header)
        if not want:
            return None
        for keys_first in (True, False):
            for i, h in enumerate(self.headers):
                keys = _header_keys(h)
                if not keys:
                    continue
                if keys_first and keys[0] == want[0]:
                    return i
                if not keys_first and set(keys) & set(want):
                    return i
        return None


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    words: set[str] = set()
    for preset in _builtin_presets():
        for aliases in preset.columns.values():
            words.update(_norm_header(a) for a in aliases)
        words.update(_norm_header(a) for a in preset.signature)
    words.update(_norm_header(c.header) for c in S.LINE_COLUMNS)
    words.update(_norm_header(w) for w in _OTHER_HEADER_WORDS)
    words.discard("")
    return frozenset(words)


def _vocab_hit(value: object) -> bool:
    if not isinstance(value, str):
        return False
    vocab = _vocabulary()
    return any(k in vocab for k in _header_keys(value))


def _row_stats(row: list[object]) -> tuple[int, int, int]:
    """(header-word cells, other non-empty cells, number/date cells)."""
    hits = other = numbers = 0
    seen: set[str] = set()
    for c in row:
        if is_blank(c):
            continue
        if _is_number(c) or _is_dateish(c):
            numbers += 1
            other += 1
        elif _vocab_hit(c):
            key = _header_keys(c)[0]
            if key in seen:
                other += 1
            else:
                seen.add(key)
                hits += 1
        else:
            other += 1
    return hits, other, numbers


def _is_sub_row(parent: list[object], child: list[object]) -> bool:
    """Is ``child`` the second row of a two-row header below ``parent``?"""
    cells = [(j, c) for j, c in enumerate(child) if not is_blank(c)]
    if not cells:
        return False
    sub = {_norm_header(w) for w in _SUB_WORDS}
    fits = 0
    for j, c in cells:
        if not isinstance(c, str):
            return False
        keys = _header_keys(c)
        if not keys:                  # a text with no header key (“*”, punctuation): not a header cell
            return False
        is_sub = keys[0] in sub
        if not (is_sub or _vocab_hit(c)):
            return False
        above = parent[j] if j < len(parent) else None
        if is_sub or is_blank(above) or not _vocab_hit(above):
            fits += 1
    return fits > 0


def _combine(parent: list[object], child: list[object]) -> list[str | None]:
    width = max(len(parent), len(child))
    sub = {_norm_header(w) for w in _SUB_WORDS}
    out: list[str | None] = []
    carried: str | None = None
    for j in range(width):
        p = _shown(parent[j]) if j < len(parent) else None
        c = _shown(child[j]) if j < len(child) else None
        if p is not None:
            carried = p
        elif c is not None and carried is not None and j > 0 and out[-1] is not None:
            p = carried            # a merged group cell spans this column too
        else:
            carried = None
        if c and p:
            if _header_keys(c)[0] in sub and not _norm_header(p).endswith(_norm_header(c)) and not re.search(r"\d{4}", p):
                out.append(f"{p}{c}")
            else:
                out.append(c)
        else:
            out.append(c or p)
    return out


_TITLE_TAIL = re.compile(r"\s{2,}|\s*(?:会计期间|期间|月份|币别|币种|日期|单位)\s*[:：]")


def _account_from_title(text: str) -> tuple[str | None, str | None] | None:
    """"科目：5301.01 研发支出-人工费" → ("5301.01", "研发支出-人工费"); ``None`` for other texts."""
    norm = unicodedata.normalize("NFKC", text).strip()
    m = _ACCOUNT_TITLE_RE.match(norm)
    if not m:
        return None
    code = m.group("code") or None
    name = _TITLE_TAIL.split(m.group("name") or "", maxsplit=1)[0].strip() or None
    if code is None and name:
        lead = _LEADING_CODE_RE.match(name)
        if lead:
            code, name = lead.group("code"), lead.group("name").strip()
    if code is None and name is None:
        return None
    return code, name


def _context(texts: Iterable[str]) -> tuple[int | None, str | None, str | None]:
    """(year, account code, account name) named in title / header texts."""
    years: list[int] = []
    code = name = None
    for t in texts:
        norm = unicodedata.normalize("NFKC", t).strip()
        acct = _account_from_title(norm)
        if acct and code is None and name is None:
            code, name = acct
        for y in _YEAR_RE.findall(norm):
            y = int(y)
            if 2000 <= y <= 2100 and y not in years:
                years.append(y)
    return (years[0] if len(years) == 1 else None), code, name


def header_at(sheet: RawSheet, row: int, rows: int | None = None) -> HeaderGuess:
    """The header guess for a header row chosen by the user (0-based ``row``); ``rows=None`` detects a
    second header row below it."""
    data = sheet.rows
    if row < 0 or row >= len(data):
        raise IndexError(f"row {row} outside the sheet")
    first = list(data[row])
    nxt = list(data[row + 1]) if row + 1 < len(data) else []
    two = _is_sub_row(first, nxt) if rows is None else rows == 2
    headers = _combine(first, nxt) if two else [_shown(c) for c in first]
    hits, other, _ = _row_stats(first)
    if two:
        h2, o2, _ = _row_stats(nxt)
        hits, other = hits + h2, other + o2
    titles = tuple(t for r in data[:row] for c in r if (t := _text(c)))
    header_texts = tuple(str(c) for c in first if isinstance(c, str) and not _vocab_hit(c))
    year, _, _ = _context(header_texts)
    t_year, code, name = _context(t for t in titles if not any(w in t for w in _NOT_PERIOD_WORDS))
    if year is None:
        year = t_year
    conf = _confidence(hits, other, data, row + (2 if two else 1))
    return HeaderGuess(sheet=sheet.name, row=row, rows=2 if two else 1, headers=tuple(headers),
                       confidence=conf, matched=hits, year=year, account_code=code, account_name=name,
                       titles=titles)


def _confidence(hits: int, other: int, data: list[list[object]], start: int) -> float:
    if hits == 0:
        return 0.0
    coverage = hits / max(1, hits + other)
    looks_like_data = 0.0
    for r in data[start:start + 5]:
        if any(_is_number(c) or _is_dateish(c) or (isinstance(c, str) and re.search(r"\d", c)) for c in r):
            looks_like_data = 1.0
            break
    return round(min(1.0, 0.4 * min(hits, 5) / 5 + 0.4 * coverage + 0.2 * looks_like_data), 2)


def detect_header(sheet: RawSheet, *, max_scan: int = 40) -> HeaderGuess:
    """Find the header row of an export below its title rows ("记账凭证列表", company, period, blank and
    merged rows) by scoring the first ``max_scan`` rows against the header vocabulary of every preset and
    the canonical workbook.  ``row is None`` (confidence 0) when no row has two known header words."""
    data = sheet.rows
    best: tuple[float, int] | None = None
    for i, row in enumerate(data[:max_scan]):
        hits, other, numbers = _row_stats(row)
        if hits < 2:
            continue
        score = hits * 2 - numbers * 1.5 - other * 0.25
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        titles = tuple(t for r in data[:max_scan] for c in r if (t := _text(c)))
        return HeaderGuess(sheet=sheet.name, row=None, titles=titles)
    i = best[1]
    guess = header_at(sheet, i)
    # a parent row above (年 over 月 | 日 where 月/日 won the scoring)
    if guess.rows == 1 and i > 0 and _is_sub_row(list(data[i - 1]), list(data[i])):
        parent_hits, parent_other, parent_numbers = _row_stats(data[i - 1])
        if parent_numbers == 0 and parent_hits >= 1 and parent_hits + parent_other >= 2:
            guess = header_at(sheet, i - 1, rows=2)
    return guess


# --------------------------------------------------------------------------- mapping

@dataclass(frozen=True)
class RdFilter:
    """Which 科目 are R&D.  A line is kept when its 科目名称 contains a word of ``name_contains`` or its
    科目编码 starts with a prefix of ``code_prefixes`` (dots and spaces ignored), unless an ``exclude_…``
    entry matches.  Lines without any 科目 information are kept (the export is then taken to be R&D only)."""
    enabled: bool = True
    name_contains: tuple[str, ...] = ("研发",)
    code_prefixes: tuple[str, ...] = ("5301", "4301")     # 研发支出: 企业会计准则 5301, 小企业会计准则 4301
    exclude_name_contains: tuple[str, ...] = ("应付", "应交", "累计折旧", "累计摊销", "银行存款", "库存现金",
                                              "其他应收", "预付", "预收", "应收")
    exclude_code_prefixes: tuple[str, ...] = ("1", "2")   # assets and liabilities

    def is_rd(self, code: str | None, name: str | None) -> bool:
        if not self.enabled:
            return True
        c = re.sub(r"[^0-9A-Za-z]", "", code or "")
        n = _norm(name)
        if c and any(c.startswith(re.sub(r"[^0-9A-Za-z]", "", p)) for p in self.exclude_code_prefixes if p):
            return False
        if n and any(_norm(w) in n for w in self.exclude_name_contains if w):
            return False
        if c and any(c.startswith(re.sub(r"[^0-9A-Za-z]", "", p)) for p in self.code_prefixes if p):
            return True
        return bool(n) and any(_norm(w) in n for w in self.name_contains if w)

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "name_contains": list(self.name_contains),
                "code_prefixes": list(self.code_prefixes),
                "exclude_name_contains": list(self.exclude_name_contains),
                "exclude_code_prefixes": list(self.exclude_code_prefixes)}

    @classmethod
    def from_dict(cls, d: Mapping | None) -> "RdFilter":
        if not d:
            return cls()
        base = cls()
        def tup(key):
            v = d.get(key)
            if v is None:
                return getattr(base, key)
            if isinstance(v, str):
                return (v,)
            return tuple(str(x) for x in v)
        return cls(enabled=bool(d.get("enabled", True)), name_contains=tup("name_contains"),
                   code_prefixes=tup("code_prefixes"), exclude_name_contains=tup("exclude_name_contains"),
                   exclude_code_prefixes=tup("exclude_code_prefixes"))


@dataclass(frozen=True)
class ColumnMapping:
    """Target field → source column (by its header text), plus how to read the values.

    ``columns`` keys are :data:`FIELDS`: ``date`` or ``year``/``month``/``day``; ``voucher`` (joined
    "记-0012" or a bare number) with optional ``voucher_kind``; ``debit``/``credit`` or ``amount`` (with
    ``dc`` for a 借/贷 column); ``project`` (辅助核算 text); ``account_code``/``account_name``; ``code`` when
    the export already has 费用代码; ``tax_amount``/``funding``/``share`` for canonical lists.
    """
    columns: dict = field(default_factory=dict)
    amount_mode: str = "auto"               # auto | debit_credit | single | amount_dc
    year: int | None = None                 # year for 月/日 dates without a 年 column (None: from title)
    fill_down: tuple[str, ...] = ("date", "voucher")   # carry a blank date / voucher down from the row above
    strip_voucher_zeros: bool = False       # True: "记-0012" → 凭证号 "12" (default: kept as exported, "0012")
    voucher_kind_default: str | None = None
    project_sources: tuple[str, ...] = ("column", "account_name", "summary")
    project_pattern: str = _DEFAULT_PROJECT_PATTERN
    rd_filter: RdFilter = field(default_factory=RdFilter)
    account_from_title: bool = True         # "科目：5301.01 研发支出-人工费" title rows give the 科目
    skip_transfers: bool = True             # credit lines whose 摘要 says 结转/转出 are transfers, not reversals
    transfer_keywords: tuple[str, ...] = ("结转", "转出", "转入", "结平", "转至")
    header_row: int | None = None           # 0-based header row chosen by the user (None: detect)
    preset_id: str | None = None

    def effective_amount_mode(self) -> str:
        if self.amount_mode != "auto":
            return self.amount_mode
        if "debit" in self.columns or "credit" in self.columns:
            return "debit_credit"
        if "dc" in self.columns:
            return "amount_dc"
        return "single"

    def to_dict(self) -> dict:
        return {
            "columns": {k: [v] if isinstance(v, str) else list(v) for k, v in self.columns.items()},
            "options": {
                "amount_mode": self.amount_mode, "year": self.year, "fill_down": list(self.fill_down),
                "strip_voucher_zeros": self.strip_voucher_zeros, "voucher_kind_default": self.voucher_kind_default,
                "project_sources": list(self.project_sources), "project_pattern": self.project_pattern,
                "rd_filter": self.rd_filter.to_dict(), "account_from_title": self.account_from_title,
                "skip_transfers": self.skip_transfers, "transfer_keywords": list(self.transfer_keywords),
            },
        }

    @classmethod
    def from_options(cls, columns: Mapping[str, str], options: Mapping | None, preset_id: str | None = None
                     ) -> "ColumnMapping":
        o = dict(options or {})
        kw: dict = {"columns": dict(columns), "preset_id": preset_id}
        if "amount_mode" in o:
            mode = str(o["amount_mode"])
            if mode not in AMOUNT_MODES:
                raise PresetError(f"amount_mode “{mode}”无效（可用 {'/'.join(AMOUNT_MODES)}）")
            kw["amount_mode"] = mode
        if o.get("year") is not None:
            kw["year"] = int(o["year"])
        for key in ("fill_down", "project_sources", "transfer_keywords"):
            if key in o and o[key] is not None:
                kw[key] = tuple(str(x) for x in o[key])
        for key in ("strip_voucher_zeros", "account_from_title", "skip_transfers"):
            if key in o and o[key] is not None:
                kw[key] = bool(o[key])
        if o.get("voucher_kind_default"):
            kw["voucher_kind_default"] = str(o["voucher_kind_default"])
        if o.get("project_pattern"):
            re.compile(str(o["project_pattern"]))
            kw["project_pattern"] = str(o["project_pattern"])
        if "rd_filter" in o:
            kw["rd_filter"] = RdFilter.from_dict(o["rd_filter"])
        return cls(**kw)


def _resolve(aliases: Mapping[str, Iterable[str]], header: HeaderGuess) -> dict[str, str]:
    """field → the header text present in the sheet, first alias that matches; a column serves one field."""
    used: set[int] = set()
    out: dict[str, str] = {}
    # exact matches first over all fields, then bracket-stripped ones
    for exact in (True, False):
        for fld, names in aliases.items():
            if fld in out:
                continue
            for alias in names:
                want = _header_keys(alias)
                if not want:
                    continue
                hit = None
                for j, h in enumerate(header.headers):
                    if j in used or h is None:
                        continue
                    keys = _header_keys(h)
                    if (exact and keys and keys[0] == want[0]) or (not exact and set(keys) & set(want)):
                        hit = j
                        break
                if hit is not None:
                    used.add(hit)
                    out[fld] = header.headers[hit]
                    break
    return out


def auto_mapping(header: HeaderGuess) -> ColumnMapping:
    """A mapping from the header texts alone, using every preset's aliases (builtin presets, generic first)."""
    aliases: dict[str, list[str]] = {}
    presets = sorted(_builtin_presets(), key=lambda p: p.id != "generic")
    for p in presets:
        for fld, names in p.columns.items():
            lst = aliases.setdefault(fld, [])
            lst.extend(n for n in names if n not in lst)
    return ColumnMapping(columns=_resolve(aliases, header))


def check_mapping(mapping: ColumnMapping, header: HeaderGuess) -> list[Finding]:
    """Errors that stop a conversion: no header, a mapped column missing, no date or amount column."""
    out: list[Finding] = []
    sheet = header.sheet
    if header.row is None:
        out.append(Finding(ERROR, "E_ERP_HEADER", "未找到表头行（如“日期、凭证号、摘要、借方金额…”），请指定表头所在行",
                           sheet))
        return out
    for fld, text in mapping.columns.items():
        if fld not in FIELDS:
            out.append(Finding(ERROR, "E_ERP_MAPPING", f"未知的目标字段“{fld}”", sheet, header.excel_row))
            continue
        if header.column_index(text) is None:
            out.append(Finding(ERROR, "E_ERP_MAPPING", f"工作表中没有列“{text}”（{FIELD_LABELS[fld]}）", sheet,
                               header.excel_row, text))
    cols = mapping.columns
    if "date" not in cols and not ("month" in cols and "day" in cols):
        out.append(Finding(ERROR, "E_ERP_MAPPING", "未指定日期列（日期，或 月 + 日 列）", sheet, header.excel_row))
    elif "date" not in cols and "year" not in cols and mapping.year is None and header.year is None:
        out.append(Finding(ERROR, "E_ERP_MAPPING", "只有月、日列而无法确定年度：请指定年度", sheet, header.excel_row))
    mode = mapping.effective_amount_mode()
    if mode == "debit_credit" and "debit" not in cols:
        out.append(Finding(ERROR, "E_ERP_MAPPING", "未指定借方金额列", sheet, header.excel_row))
    if mode in ("single", "amount_dc") and "amount" not in cols:
        out.append(Finding(ERROR, "E_ERP_MAPPING", "未指定金额列", sheet, header.excel_row))
    if mode == "amount_dc" and "dc" not in cols:
        out.append(Finding(ERROR, "E_ERP_MAPPING", "未指定借贷方向列", sheet, header.excel_row))
    if mapping.amount_mode not in AMOUNT_MODES:
        out.append(Finding(ERROR, "E_ERP_MAPPING", f"金额方式“{mapping.amount_mode}”无效", sheet))
    try:
        re.compile(mapping.project_pattern)
    except re.error as exc:
        out.append(Finding(ERROR, "E_ERP_MAPPING", f"项目编号匹配式无效：{exc}", sheet))
    return out


# --------------------------------------------------------------------------- presets

class PresetError(ValueError):
    """A preset file that cannot be used; ``str(e)`` is Chinese."""


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    columns: dict                          # field → tuple of header aliases, in preference order
    options: dict = field(default_factory=dict)
    signature: tuple[str, ...] = ()        # header texts that identify the layout
    vendor: str = ""
    product: str = ""
    layout: str = ""
    description: str = ""
    origin: str = "builtin"                # builtin | user
    path: str | None = None

    def mapping_for(self, header: HeaderGuess) -> ColumnMapping:
        return ColumnMapping.from_options(_resolve(self.columns, header), self.options, preset_id=self.id)

    def to_doc(self) -> dict:
        doc = {"format": PRESET_FORMAT, "version": 1, "id": self.id, "name": self.name}
        for key in ("vendor", "product", "layout", "description"):
            if getattr(self, key):
                doc[key] = getattr(self, key)
        doc["signature"] = list(self.signature)
        doc["columns"] = {k: list(v) for k, v in self.columns.items()}
        doc["options"] = dict(self.options)
        return doc


def _parse_preset(doc: object, where: str, origin: str) -> Preset:
    if not isinstance(doc, dict):
        raise PresetError(f"预设 {where}: 内容不是映射表")
    if doc.get("format", PRESET_FORMAT) != PRESET_FORMAT:
        raise PresetError(f"预设 {where}: format 应为 {PRESET_FORMAT}")
    pid = doc.get("id")
    name = doc.get("name") or pid
    if not pid or not isinstance(pid, str):
        raise PresetError(f"预设 {where}: 缺少 id")
    cols = doc.get("columns")
    if not isinstance(cols, dict) or not cols:
        raise PresetError(f"预设 {where}: 缺少 columns")
    columns: dict[str, tuple[str, ...]] = {}
    for fld, names in cols.items():
        if fld not in FIELDS:
            raise PresetError(f"预设 {where}: columns.{fld} 不是可用字段（{', '.join(FIELDS)}）")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, (str, int)) for n in names):
            raise PresetError(f"预设 {where}: columns.{fld} 应为表头文字列表")
        columns[fld] = tuple(str(n) for n in names)
    options = doc.get("options") or {}
    if not isinstance(options, dict):
        raise PresetError(f"预设 {where}: options 应为映射表")
    try:
        ColumnMapping.from_options({}, options)
    except (TypeError, ValueError, re.error) as exc:
        raise PresetError(f"预设 {where}: options 无效：{exc}") from None
    sig = doc.get("signature") or [n[0] for n in columns.values() if n]
    return Preset(id=pid, name=str(name), columns=columns, options=options,
                  signature=tuple(str(s) for s in sig), vendor=str(doc.get("vendor") or ""),
                  product=str(doc.get("product") or ""), layout=str(doc.get("layout") or ""),
                  description=str(doc.get("description") or ""), origin=origin, path=where)


def _read_preset_file(path: Path, origin: str) -> Preset:
    try:
        text = yamlsafe.read_text(path, encoding="utf-8-sig")
    except yamlsafe.TooLarge as exc:
        raise PresetError(f"预设 {path.name}: {exc.problem}") from None
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yamlsafe.load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PresetError(f"预设 {path.name}: 格式错误：{exc}") from None
    return _parse_preset(doc, str(path), origin)


def _preset_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json"))


@lru_cache(maxsize=1)
def _builtin_presets() -> tuple[Preset, ...]:
    return tuple(_read_preset_file(p, "builtin") for p in _preset_files(PRESETS_DIR))


def user_preset_dir() -> Path:
    """Where saved presets live: ``erp_presets`` in the per-user configuration folder
    (:func:`calc.userdirs.config_dir`), next to the rule packs' folder."""
    from calc.userdirs import config_dir
    return config_dir() / "erp_presets"


def load_presets(user_dir: str | os.PathLike | None = None, *, problems: list[str] | None = None) -> list[Preset]:
    """Builtin presets, then the user's (a user preset with a builtin id replaces it).  A broken user file
    is skipped and its message appended to ``problems``."""
    presets = {p.id: p for p in _builtin_presets()}
    directory = Path(user_dir) if user_dir is not None else user_preset_dir()
    for path in _preset_files(directory):
        try:
            p = _read_preset_file(path, "user")
        except (PresetError, OSError, UnicodeDecodeError) as exc:
            if problems is not None:
                problems.append(str(exc))
            continue
        presets[p.id] = p
    return list(presets.values())


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def save_preset(mapping: ColumnMapping, name: str, *, user_dir: str | os.PathLike | None = None,
                preset_id: str | None = None, signature: Iterable[str] | None = None,
                description: str = "") -> Preset:
    """Save ``mapping`` as a user preset (the same YAML format as the shipped ones) and return it.
    The file is ``<user_preset_dir>/<id>.yaml``; the id defaults to ``user-<name>``."""
    name = (name or "").strip()
    if not name:
        raise PresetError("预设名称不能为空")
    pid = preset_id or ("user-" + _UNSAFE.sub("_", name).strip(". ")[:60])
    if _UNSAFE.search(pid) or pid in (".", ".."):
        raise PresetError(f"预设编号“{pid}”含有不能用于文件名的字符")
    d = mapping.to_dict()
    sig = list(signature) if signature is not None else [v[0] for v in d["columns"].values()]
    preset = Preset(id=pid, name=name, columns={k: tuple(v) for k, v in d["columns"].items()},
                    options=d["options"], signature=tuple(sig), layout="user", description=description,
                    origin="user")
    directory = Path(user_dir) if user_dir is not None else user_preset_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{pid}.yaml"
    text = yaml.safe_dump(preset.to_doc(), allow_unicode=True, sort_keys=False)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return replace(preset, path=str(path))


@dataclass(frozen=True)
class PresetMatch:
    preset: Preset
    sheet: str
    header: HeaderGuess
    mapping: ColumnMapping
    score: float                     # share of the preset's signature headers present, 0…1
    problems: tuple[Finding, ...]    # check_mapping() of the resolved mapping


def rank_presets(source: Source, presets: Iterable[Preset] | None = None, *, sheet: str | None = None
                 ) -> list[PresetMatch]:
    """Every preset scored against every sheet's detected header (or only ``sheet``), best first."""
    presets = list(presets) if presets is not None else load_presets()
    names = [sheet] if sheet is not None else source.sheet_names
    out: list[PresetMatch] = []
    for name in names:
        header = detect_header(source.sheet(name))
        if header.row is None:
            continue
        present = {k for h in header.headers if h for k in _header_keys(h)}
        for p in presets:
            sig = [s for s in p.signature if _header_keys(s)]
            found = sum(1 for s in sig if set(_header_keys(s)) & present)
            score = found / len(sig) if sig else 0.0
            try:
                mapping = p.mapping_for(header)
            except (PresetError, ValueError, re.error):
                continue
            problems = tuple(check_mapping(mapping, header))
            if any(f.severity == ERROR for f in problems):
                score *= 0.5
            # tie-break: more columns mapped, then a confident header
            out.append(PresetMatch(p, name, header, mapping, round(score, 4), problems))
    out.sort(key=lambda m: (-m.score, -len(m.mapping.columns), -m.header.confidence))
    return out


def guess_preset(source: Source, presets: Iterable[Preset] | None = None, *, sheet: str | None = None
                 ) -> PresetMatch | None:
    """The best preset (with its sheet, header and resolved mapping) for ``source``; ``None`` when no sheet
    has a recognisable header."""
    ranked = rank_presets(source, presets, sheet=sheet)
    return ranked[0] if ranked else None


# --------------------------------------------------------------------------- classification rules

class RulesError(ValueError):
    """A malformed classification_rules.yaml; ``str(e)`` names the rule and key."""


@dataclass(frozen=True)
class Rule:
    id: str
    code: str
    confidence: float
    any: tuple[str, ...]
    all: tuple[tuple[str, ...], ...] = ()
    none: tuple[str, ...] = ()
    scope: str = "both"                    # account | summary | both
    code_prefixes: tuple[str, ...] = ()
    source: str = ""
    ref: str = ""
    why: str = ""


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    min_confidence: float = 0.6
    summary_factor: float = 0.9
    ambiguity_margin: float = 0.1
    ambiguity_penalty: float = 0.8
    sources: dict = field(default_factory=dict)
    updated: str | None = None

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True)
class Suggestion:
    code: str | None
    rule_id: str | None
    confidence: float
    where: str | None = None                    # account | summary | column
    keyword: str | None = None
    alternatives: tuple[tuple[str, str, float], ...] = ()   # (code, rule id, score) of other codes
    ambiguous: bool = False


def _words(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RulesError(f"{where}: 应为词语列表")
    out = tuple(_norm(w) for w in value if _norm(w))
    return out


def load_rules(path: str | os.PathLike | None = None) -> RuleSet:
    """Read the classification rules (default ``resources/params/classification_rules.yaml``)."""
    p = Path(path) if path else RULES_PATH
    try:
        doc = yamlsafe.load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"规则文件 {p.name}: 无法读取：{exc}") from None
    return parse_rules(doc, p.name)


def parse_rules(doc: object, file: str = "classification_rules.yaml") -> RuleSet:
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError(f"规则文件 {file}: 缺少 rules 列表")
    codes = _code_table()
    sources = doc.get("sources") or {}
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(doc["rules"]):
        where = f"规则文件 {file}: rules[{i}]"
        if not isinstance(r, dict):
            raise RulesError(f"{where}: 应为映射表")
        rid = r.get("id")
        if not rid or not isinstance(rid, str):
            raise RulesError(f"{where}: 缺少 id")
        where = f"规则文件 {file}: {rid}"
        if rid in seen:
            raise RulesError(f"{where}: id 重复")
        seen.add(rid)
        code = str(r.get("code") or "")
        if code not in codes:
            raise RulesError(f"{where}: code “{code}”不在费用代码表中")
        try:
            conf = float(r.get("confidence"))
        except (TypeError, ValueError):
            raise RulesError(f"{where}: confidence 应为0到1之间的数") from None
        if not 0 < conf <= 1:
            raise RulesError(f"{where}: confidence 应为0到1之间的数")
        scope = str(r.get("scope") or "both")
        if scope not in ("account", "summary", "both"):
            raise RulesError(f"{where}: scope 应为 account/summary/both")
        any_ = _words(r.get("any"), f"{where}: any")
        prefixes = tuple(str(x) for x in (r.get("code_prefixes") or ()))
        if not any_ and not prefixes:
            raise RulesError(f"{where}: any 不能为空")
        groups = r.get("all") or []
        if not isinstance(groups, list):
            raise RulesError(f"{where}: all 应为词语列表的列表")
        all_ = tuple(_words(g, f"{where}: all") for g in groups)
        src = r.get("source")
        if src and sources and src not in sources:
            raise RulesError(f"{where}: source “{src}”未在 sources 中声明")
        rules.append(Rule(rid, code, conf, any_, all_, _words(r.get("none"), f"{where}: none"), scope,
                          prefixes, str(src or ""), str(r.get("ref") or ""), str(r.get("why") or "")))

    def num(key, default):
        v = doc.get(key, default)
        try:
            return float(v)
        except (TypeError, ValueError):
            raise RulesError(f"规则文件 {file}: {key} 应为数") from None

    return RuleSet(version=int(doc.get("version") or 1), rules=tuple(rules),
                   min_confidence=num("min_confidence", 0.6), summary_factor=num("summary_factor", 0.9),
                   ambiguity_margin=num("ambiguity_margin", 0.1), ambiguity_penalty=num("ambiguity_penalty", 0.8),
                   sources=dict(sources), updated=str(doc.get("updated")) if doc.get("updated") else None)


def classify(account_name: str | None, summary: str | None, rules: RuleSet, account_code: str | None = None
             ) -> Suggestion:
    """Suggest a 费用代码 from the words of 科目名称 (the bookkeeper's classification, full weight) and 摘要
    (weight ``summary_factor``); see classification_rules.yaml for the matching rules."""
    acc = _norm(account_name)
    summ = _norm(summary)
    both = f"{acc}|{summ}"
    code_digits = re.sub(r"[^0-9A-Za-z]", "", account_code or "")
    cands: list[tuple[float, int, Rule, str, str]] = []
    for order, rule in enumerate(rules.rules):
        if any(w in both for w in rule.none):
            continue
        if not all(any(w in both for w in group) for group in rule.all):
            continue
        hit = where = None
        if rule.scope in ("account", "both"):
            hit = next((w for w in rule.any if w in acc), None)
            if hit is None and code_digits and rule.code_prefixes:
                hit = next((p for p in rule.code_prefixes if code_digits.startswith(re.sub(r"[^0-9A-Za-z]", "", p))),
                           None)
            if hit is not None:
                where = "account"
        if hit is None and rule.scope in ("summary", "both"):
            hit = next((w for w in rule.any if w in summ), None)
            if hit is not None:
                where = "summary"
        if hit is None:
            continue
        score = rule.confidence if where == "account" else rule.confidence * rules.summary_factor
        if where == "account" and rule.scope in ("summary", "both") and any(w in summ for w in rule.any):
            score = min(1.0, score + 0.05)      # 摘要 confirms the 科目: “燃料动力” + “电费” → 动力 (R10), not 燃料
        cands.append((score, order, rule, where, hit))
    if not cands:
        return Suggestion(None, None, 0.0)
    cands.sort(key=lambda c: (-c[0], c[1]))
    best = cands[0]
    alternatives: list[tuple[str, str, float]] = []
    for score, _, rule, _, _ in cands[1:]:
        if rule.code != best[2].code and all(a[0] != rule.code for a in alternatives):
            alternatives.append((rule.code, rule.id, round(score, 3)))
    conf = best[0]
    ambiguous = bool(alternatives) and alternatives[0][2] >= best[0] - rules.ambiguity_margin
    if ambiguous:
        conf *= rules.ambiguity_penalty
    return Suggestion(best[2].code, best[2].id, round(conf, 3), best[3], best[4], tuple(alternatives), ambiguous)


@lru_cache(maxsize=1)
def _code_table() -> dict[str, dict]:
    from .template import load_code_table

    return {c["code"]: c for c in load_code_table()}


@lru_cache(maxsize=1)
def _code_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, c in _code_table().items():
        index[_norm(code)] = code
        if c.get("row"):
            index[str(c["row"])] = code
            index[f"{int(c['row']):02d}"] = code
        label = _norm(c["label"])
        index.setdefault(label, code)
        index.setdefault(re.sub(r"^[0-9]+\.|^\([一二三]\)", "", label), code)
        if code.startswith("NE"):
            index.setdefault(f"ne{int(code[2:])}", code)
    return index


def _lookup_code(raw: object) -> str | None:
    key = _norm(raw)
    return _code_index().get(key) if key else None


# --------------------------------------------------------------------------- value helpers

def parse_voucher(text: object, *, strip_zeros: bool = True) -> tuple[str | None, str | None]:
    """"记-0012", "记 12", "记字第12号", 12 → (凭证字, 凭证号) = ("记", "12"); text that is not of that
    form is kept whole as the number."""
    t = _text(text)
    if t is None:
        return None, None
    if len(t) > _VOUCHER_MAX or _SPLIT_DIGITS_RE.search(t):
        return None, t
    m = _VOUCHER_RE.match(_WS_RE.sub("", t))
    if not m or (m.group("kind") and not t.startswith(m.group("kind"))):    # no whitespace inside 凭证字
        return None, t
    kind = (m.group("kind") or "").strip() or None
    no = m.group("no")
    if strip_zeros:
        no = no.lstrip("0") or "0"
    return kind, no


_HUGE_NUMBER = re.compile(r"\d{40,}|[eE]\s*[+\-]?\s*\d{4,}")


def _parse_amount(value: object) -> int | None:
    """calc.money.parse_amount, with a number of thousands of digits (Python refuses int() of more than 4,300)
    reported like any other bad amount instead of escaping as ValueError."""
    try:
        return parse_amount(value)
    except AmountError:
        raise
    except (ValueError, OverflowError, ArithmeticError):
        raise AmountError(f"金额“{(_shown(value) or '')[:20]}…”位数过多，无法识别") from None


def _parse_ratio(value: object):
    """calc.money.parse_ratio, refusing first what it cannot handle: text such as “inf” (OverflowError) and numbers
    whose exact value is astronomically large (“1e99999999”, thousands of digits: minutes of CPU)."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value)
        if _HUGE_NUMBER.search(text) or "inf" in text.lower():
            raise AmountError(f"研发工时占比“{text.strip()[:20]}”无法识别（如 40%）")
    try:
        return parse_ratio(value)
    except AmountError:
        raise
    except (ValueError, OverflowError, ArithmeticError):
        raise AmountError(f"研发工时占比“{(_shown(value) or '')[:20]}”无法识别（如 40%）") from None


def _int_part(value: object, what: str, lo: int, hi: int) -> int:
    if _is_number(value):
        # a crafted file can hold NaN / ±inf (a Decimal even sNaN) in a numeric cell: int() of those raises
        try:
            whole = to_fraction(value).denominator == 1       # exact; NaN/±inf raise
        except (AmountError, ValueError, OverflowError, ArithmeticError):
            whole = False
        if not whole:
            raise ValueProblem(f"{what}“{value}”无法识别")
        n = int(value)
    else:
        t = _text(value) or ""
        m = re.fullmatch(r"(\d{1,4})\s*[年月日号]?", t)
        if not m:
            raise ValueProblem(f"{what}“{value}”无法识别")
        n = int(m.group(1))
    if not lo <= n <= hi:
        raise ValueProblem(f"{what}“{value}”超出范围")
    return n


_DEBIT_WORDS = {"借", "借方", "dr", "debit", "1"}        # 1/0: 金蝶 K/3 FDC (1 借, 0 贷)
_CREDIT_WORDS = {"贷", "贷方", "cr", "credit", "0"}


# --------------------------------------------------------------------------- results

@dataclass
class ImportResult:
    """``lines``: one dict per imported line (see :func:`convert`); ``findings``: every problem or note."""
    source: str
    sheet: str
    header: HeaderGuess | None
    mapping: ColumnMapping
    lines: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def lines_with_status(self, *statuses: str) -> list[dict]:
        return [ln for ln in self.lines if ln["status"] in statuses]


@dataclass
class Preview(ImportResult):
    truncated: bool = False                         # more data rows follow than were converted
    columns: list = field(default_factory=list)     # (index, letter, header text, mapped field or None)
    rows: list = field(default_factory=list)        # (Excel row, raw cells) of the rows shown


class _Out:
    def __init__(self, sheet: str):
        self.sheet = sheet
        self.findings: list[Finding] = []
        self.rd_cache: dict = {}           # (科目编码, 科目名称) → is R&D
        self.classify_cache: dict = {}     # (科目名称, 摘要, 科目编码) → Suggestion
        self.letters: dict = {}            # field → column letter
        self.transfer_credits: dict = {}   # (date, 凭证号) → amounts of credit lines skipped as 结转

    def add(self, severity: str, code: str, message: str, row: int | None = None, column: str | None = None,
            col_index: int | None = None) -> None:
        cell = f"{column_letter(col_index)}{row}" if (col_index is not None and row) else None
        self.findings.append(Finding(severity, code, message, self.sheet, row, column, cell))


def _known_index(known_projects) -> tuple[dict[str, str], list[tuple[str, str]]] | None:
    if known_projects is None:
        return None
    codes: dict[str, str] = {}
    names: list[tuple[str, str]] = []
    items = known_projects.items() if isinstance(known_projects, Mapping) else ((p, None) for p in known_projects)
    for code, name in items:
        c = _text(code)
        if not c:
            continue
        codes[_norm(c)] = c
        if name and _norm(name):
            names.append((_norm(name), c))
    names.sort(key=lambda x: -len(x[0]))
    return codes, names


def _find_known(text: str, known: tuple[dict[str, str], list[tuple[str, str]]] | None) -> str | None:
    if not known or not text:
        return None
    codes, names = known
    n = _norm(text)
    if n in codes:
        return codes[n]
    for key in sorted(codes, key=len, reverse=True):
        for m in re.finditer(re.escape(key), n):
            before = n[m.start() - 1] if m.start() > 0 else ""
            after = n[m.end()] if m.end() < len(n) else ""
            if not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum()):
                return codes[key]
    for name, code in names:
        if name in n:
            return code
    return None


def _project_from_column(text: str, known, pattern: re.Pattern) -> str | None:
    text = strip_invisible(text)            # "RD\u200b01" is RD01, not "01" (review M14)
    found = _find_known(text, known)
    if found:
        return found
    parts = [p for p in re.split(r"[;；|\n]+", text) if p.strip()]
    parts.sort(key=lambda p: "项目" not in p)          # the 项目 dimension first
    for part in parts:
        m = pattern.search(part)
        if m:
            return m.group(1) if m.groups() else m.group(0)
        body = _PROJECT_LABEL_RE.sub("", unicodedata.normalize("NFKC", part))
        if re.search(r"[:：]", body):               # "部门:研发部" — another dimension
            label = re.split(r"[:：]", body, maxsplit=1)[0]
            if "项目" not in label:
                continue
            body = re.split(r"[:：]", body, maxsplit=1)[1]
        for tok in _CODE_TOKEN_RE.findall(body):
            if any(ch.isdigit() for ch in tok):
                return tok
    return None


# --------------------------------------------------------------------------- conversion

def _cell(row: list[object], idx: int | None) -> object:
    if idx is None or idx >= len(row):
        return None
    return row[idx]


def convert(source: Source, sheet: str, mapping: ColumnMapping, rules: RuleSet | None = None,
            known_projects: Iterable[str] | Mapping[str, str] | None = None, *,
            header: HeaderGuess | None = None) -> ImportResult:
    """Convert the data rows of ``sheet`` into ledger lines.

    Each line is a dict with the :data:`calc.schema.LINE_COLUMNS` fields (``date`` as ``datetime.date``,
    ``amount`` / ``tax_amount`` as int 分, ``code`` only when confidently suggested or given) plus
    ``amount_yuan`` (Decimal), ``account_code``, ``account_name``, ``suggested_code``, ``code_label``,
    ``rule_id``, ``confidence``, ``alternatives``, ``project_source``, ``status`` (ok | review | error),
    ``issues`` (finding codes of the line) and ``origin`` = {sheet, row, cells: field → A1}.
    ``known_projects``: the workspace's project codes (or code → name); ``None`` skips the unknown-project
    check.  Never raises: problems are findings."""
    return _run(source, sheet, mapping, rules, known_projects, header, None)


def preview(source: Source, sheet: str, mapping: ColumnMapping, rules: RuleSet | None = None,
            known_projects: Iterable[str] | Mapping[str, str] | None = None, max_rows: int = 200, *,
            header: HeaderGuess | None = None) -> Preview:
    """Like :func:`convert` for the first ``max_rows`` data rows, plus the column table and raw rows."""
    result = _run(source, sheet, mapping, rules, known_projects, header, max_rows)
    pv = Preview(**{k: getattr(result, k) for k in ("source", "sheet", "header", "mapping", "lines", "findings",
                                                    "stats")})
    pv.truncated = bool(result.stats.get("truncated"))
    h = result.header
    if h is not None and h.row is not None:
        field_of = {}
        for fld, text in mapping.columns.items():
            idx = h.column_index(text)
            if idx is not None:
                field_of[idx] = fld
        pv.columns = [(j, column_letter(j), text, field_of.get(j)) for j, text in enumerate(h.headers)]
        try:
            rows = source.sheet(sheet).rows
            start = h.data_start
            pv.rows = [(i + 1, list(rows[i])) for i in range(start, min(len(rows), start + max_rows))]
        except Exception:  # noqa: BLE001 - the preview table is a convenience
            pv.rows = []
    return pv


def _run(source, sheet, mapping, rules, known_projects, header, limit) -> ImportResult:
    result = ImportResult(source=getattr(source, "path", ""), sheet=sheet, header=header, mapping=mapping)
    out = _Out(sheet)
    try:
        _convert(source, sheet, mapping, rules, known_projects, header, limit, result, out)
    except Exception as exc:  # noqa: BLE001 - never crash the wizard: report it
        out.add(ERROR, "E_ERP_INTERNAL", f"导入时发生意外错误：{type(exc).__name__}: {exc}")
    result.findings = out.findings
    return result


def _convert(source, sheet, mapping, rules, known_projects, header, limit, result, out) -> None:
    if sheet not in getattr(source, "sheets", {}):
        out.add(ERROR, "E_ERP_SHEET", f"文件中没有工作表“{sheet}”")
        return
    raw = source.sheet(sheet)
    if header is None:
        if mapping.header_row is not None and not 0 <= mapping.header_row < len(raw.rows):
            out.add(ERROR, "E_ERP_HEADER", f"指定的表头行（第{mapping.header_row + 1}行）超出工作表范围")
            return
        header = header_at(raw, mapping.header_row) if mapping.header_row is not None else detect_header(raw)
    result.header = header
    problems = check_mapping(mapping, header)
    out.findings.extend(problems)
    if any(f.severity == ERROR for f in problems):
        return
    if rules is None:
        rules = load_rules()
    known = _known_index(known_projects)
    try:
        pattern = re.compile(mapping.project_pattern)
    except re.error:
        pattern = re.compile(_DEFAULT_PROJECT_PATTERN)

    col = {fld: header.column_index(text) for fld, text in mapping.columns.items()}
    out.letters = {fld: column_letter(i) for fld, i in col.items() if i is not None}
    head_text = {fld: header.headers[i] for fld, i in col.items() if i is not None}
    mode = mapping.effective_amount_mode()
    amount_fields = {"debit_credit": ("debit", "credit"), "single": ("amount",), "amount_dc": ("amount",)}[mode]
    has_account_cols = "account_code" in col or "account_name" in col
    year_ctx = mapping.year if mapping.year is not None else header.year
    if "date" not in col and "year" not in col and mapping.year is None and header.year is not None:
        out.add(INFO, "I_ERP_YEAR_FROM_TITLE", f"日期只有月、日：年度按标题取{header.year}年", header.excel_row)
    acct_ctx = (header.account_code, header.account_name) if mapping.account_from_title else (None, None)
    if acct_ctx != (None, None) and not has_account_cols:
        out.add(INFO, "I_ERP_ACCOUNT_FROM_TITLE",
                f"科目按标题取“{' '.join(x for x in acct_ctx if x)}”", header.excel_row)
    if not has_account_cols and acct_ctx == (None, None) and mapping.rd_filter.enabled:
        out.add(INFO, "I_ERP_NO_ACCOUNT", "未指定科目列：全部行视为研发支出", header.excel_row)

    header_keys = [_shown(h) for h in header.headers]          # verbatim: a repeated header repeats the text
    n_header = sum(1 for k in header_keys if k)
    rows = raw.rows
    start = header.data_start
    stats = {"rows": 0, "lines": 0, "skipped": {}, "filled_down": 0, "total_fen": 0, "truncated": False,
             "unknown_projects": []}
    result.stats = stats
    prev: dict[str, object] = {}
    processed = 0

    def skip(reason: str) -> None:
        stats["skipped"][reason] = stats["skipped"].get(reason, 0) + 1

    for i in range(start, len(rows)):
        row = list(rows[i])
        excel_row = i + 1
        if not any(not is_blank(c) for c in row):
            continue
        if limit is not None and processed >= limit:
            stats["truncated"] = True
            break
        processed += 1
        stats["rows"] += 1
        try:
            _one_row(row, excel_row, mapping, rules, known, pattern, col, head_text, mode, amount_fields,
                     has_account_cols, year_ctx, header_keys, n_header, prev, stats, skip, result, out, acct_ctx,
                     header.headers)
        except _AccountContext as ctx:
            acct_ctx = (ctx.code, ctx.name)
        except Exception as exc:  # noqa: BLE001
            out.add(ERROR, "E_ERP_INTERNAL", f"处理本行时发生意外错误：{type(exc).__name__}: {exc}", excel_row)
            skip("internal")
    if stats["filled_down"]:
        out.add(INFO, "I_ERP_FILLED_DOWN",
                f"{stats['filled_down']}行的日期或凭证号为空，已沿用上一行（凭证的后续分录）", header.excel_row)
    _mark_transfer_pairs(result, out, stats)
    unknown = sorted({ln["project_no"] for ln in result.lines if "W_ERP_PROJECT_UNKNOWN" in ln["issues"]})
    stats["unknown_projects"] = unknown


# 结转 contra accounts: the debit side of a month-end carry-over (借 管理费用-研发费用 / 贷 研发支出, 借 本年利润 …)
_TRANSFER_CONTRA = re.compile(r"管理费用|销售费用|制造费用|本年利润|主营业务成本|无形资产|开发支出")
_TRANSFER_CONTRA_CODES = ("6602", "6601", "5101", "4103", "6401", "1701", "5301")


_MOOT_FOR_TRANSFER = frozenset({"W_ERP_TRANSFER_DEBIT", "W_ERP_NO_CODE", "W_ERP_CODE_UNSURE", "W_ERP_NO_PROJECT",
                                "W_ERP_PROJECT_UNKNOWN", "W_ERP_PROJECT_TEXT"})


def _mark_transfer_pairs(result: ImportResult, out: _Out, stats: dict) -> None:
    """A debit line whose 摘要 says 结转 is the other side of a carry-over when the same voucher carries a
    credit 结转 of the same amount, or when its account is a 费用/损益 account: status ``transfer`` — not
    imported by default (it would count the R&D expense twice), the amount shown (review desktop-app #2)."""
    n = total = 0
    for ln in result.lines:
        if "W_ERP_TRANSFER_DEBIT" not in ln["issues"] or ln["status"] == "error" or not ln.get("amount"):
            continue
        credits = out.transfer_credits.get((ln["date"], ln["voucher_no"])) or []
        paired = ln["amount"] in credits
        code = re.sub(r"[^0-9]", "", ln.get("account_code") or "")
        contra = bool(_TRANSFER_CONTRA.search(ln.get("account_name") or "")) or (
            bool(code) and code.startswith(_TRANSFER_CONTRA_CODES) and not code.startswith("5301"))
        if not (paired or contra):
            continue
        if paired:
            credits.remove(ln["amount"])
        ln["status"] = "transfer"
        ln["issues"] = [x for x in ln["issues"] if x not in _MOOT_FOR_TRANSFER] + ["W_ERP_TRANSFER_PAIR"]
        row = ln["origin"]["row"]        # the line is not imported: its code / project questions are moot
        out.findings[:] = [f for f in out.findings if not (f.row == row and f.code in _MOOT_FOR_TRANSFER)]
        out.add(WARNING, "W_ERP_TRANSFER_PAIR",
                f"借方“{ln.get('account_name') or ln.get('account_code') or ''}”{fen_display(ln['amount'])}元是"
                f"{'与贷方结转同一凭证的' if paired else ''}月末结转，默认不导入（导入会重复计算研发费用）",
                ln["origin"]["row"], None, None)
        n += 1
        total += ln["amount"]
        stats["total_fen"] -= ln["amount"]
    stats["transfer_lines"], stats["transfer_fen"] = n, total


class _AccountContext(Exception):
    def __init__(self, code, name):
        super().__init__(name)
        self.code, self.name = code, name


def _one_row(row, excel_row, mapping, rules, known, pattern, col, head_text, mode, amount_fields,
             has_account_cols, year_ctx, header_keys, n_header, prev, stats, skip, result, out, acct_ctx, headers):
    def add(severity, code, message, fld=None):
        out.add(severity, code, message, excel_row, head_text.get(fld) if fld else None,
                col.get(fld) if fld else None)

    texts = [(j, t) for j, c in enumerate(row) if isinstance(c, str) and (t := c.strip())]
    # a repeated header (page break or a new account section of a ledger export)
    same = sum(1 for j, t in texts if j < len(header_keys) and header_keys[j] and t == header_keys[j])
    if n_header and same >= min(3, n_header):
        add(INFO, "I_ERP_REPEATED_HEADER", "重复的表头行，已跳过")
        skip("header")
        return
    # totals and balances (合计 / 本月合计 / 本年累计 / 期初余额 …)
    for j, t in texts:
        if len(t) <= 16 and _TOTAL_HINT.search(t) and _TOTAL_RE.match(re.sub(r"[\s:：]", "", t)):
            out.add(INFO, "I_ERP_TOTAL_ROW", f"“{t}”行（合计、累计或余额）不是凭证分录，已跳过", excel_row,
                    headers[j] if j < len(headers) else None, j)
            skip("total")
            return
    amount_cells = [col.get(f) for f in amount_fields]
    if all(is_blank(_cell(row, c)) for c in amount_cells):
        # an account title inside the sheet ("科目：5301.02 研发支出-材料费")
        if mapping.account_from_title and len(texts) <= 3 and not any(_is_number(c) for c in row):
            for _, t in texts:
                acct = _account_from_title(t)
                if acct:
                    code, name = acct
                    out.add(INFO, "I_ERP_ACCOUNT_SECTION",
                            f"以下各行的科目为“{' '.join(x for x in (code, name) if x)}”", excel_row)
                    raise _AccountContext(code, name)
        add(INFO, "I_ERP_NO_AMOUNT", "本行没有金额，不是凭证分录，已跳过", amount_fields[0])
        skip("no_amount")
        return

    # --- date and voucher first: a voucher's later 分录 take them from the row above, even when that row
    # is skipped as non-R&D, so the carried values are updated before any filtering.
    pending: list[tuple] = []          # findings reported only if the line is kept
    filled: list[str] = []
    date = None
    date_bad = False
    if "date" in col:
        rawd = _cell(row, col["date"])
        if is_blank(rawd) and "date" in mapping.fill_down and prev.get("date"):
            date = prev["date"]
            filled.append("date")
        else:
            try:
                date = parse_date(rawd)
                if date is None:
                    pending.append((ERROR, "E_ERP_DATE", "日期为空", "date"))
            except ValueProblem as exc:
                pending.append((ERROR, "E_ERP_DATE", str(exc), "date"))
            if date is not None:
                prev["date"] = date
            else:
                date_bad = True
    else:
        parts: dict[str, int] = {}
        for fld, what, lo, hi in (("year", "年度", 1900, 2100), ("month", "月份", 1, 12), ("day", "日", 1, 31)):
            v = _cell(row, col.get(fld))
            if is_blank(v):
                if fld == "year" and "year" not in col and year_ctx is not None:
                    parts[fld] = year_ctx
                elif "date" in mapping.fill_down and prev.get(fld) is not None:
                    parts[fld] = prev[fld]
                    filled.append(fld)
                elif fld == "year":
                    pending.append((ERROR, "E_ERP_DATE", "无法确定年度：请在映射中指定年度",
                                    "year" if "year" in col else "month"))
                else:
                    pending.append((ERROR, "E_ERP_DATE", f"{what}为空", fld))
                continue
            try:
                parts[fld] = _int_part(v, what, lo, hi)
                prev[fld] = parts[fld]
            except ValueProblem as exc:
                pending.append((ERROR, "E_ERP_DATE", str(exc), fld))
        if len(parts) == 3:
            try:
                date = dt.date(parts["year"], parts["month"], parts["day"])
            except ValueError:
                pending.append((ERROR, "E_ERP_DATE",
                                f"日期{parts['year']}年{parts['month']}月{parts['day']}日不存在", "day"))
        date_bad = date is None

    raw_v = _cell(row, col.get("voucher"))
    raw_k = _text(_cell(row, col.get("voucher_kind")))
    if is_blank(raw_v) and raw_k is None and "voucher" in mapping.fill_down and prev.get("voucher"):
        vkind, vno = prev["voucher"]
        filled.append("voucher")
    else:
        vkind, vno = parse_voucher(raw_v, strip_zeros=mapping.strip_voucher_zeros)
        if raw_k:
            vkind = raw_k
        if vkind is None:
            vkind = mapping.voucher_kind_default
        if vno is not None:
            prev["voucher"] = (vkind, vno)

    # --- account and the R&D filter
    acode = _text(_cell(row, col.get("account_code")))
    aname = _text(_cell(row, col.get("account_name")))
    if aname and not acode:
        lead = _LEADING_CODE_RE.match(aname)
        if lead:
            acode, aname = lead.group("code"), lead.group("name").strip()
    if not acode and not aname and not has_account_cols:
        acode, aname = acct_ctx
    key = (acode, aname)
    is_rd = out.rd_cache.get(key)
    if is_rd is None:
        is_rd = out.rd_cache[key] = mapping.rd_filter.is_rd(acode, aname)
    if (acode or aname) and not is_rd:
        add(INFO, "I_ERP_NOT_RD", f"科目“{' '.join(x for x in (acode, aname) if x)}”不是研发支出科目，已跳过",
            "account_name" if "account_name" in col else ("account_code" if "account_code" in col else None))
        skip("not_rd")
        return

    line_issues: list[str] = []
    status_error = False

    # --- amount: debit − credit (a credit on an R&D 科目 is a reversal, 红字冲销 → negative)
    amount = None
    amount_bad = False
    if mode == "debit_credit":
        d = c = None
        try:
            d = _parse_amount(_cell(row, col.get("debit")))
        except AmountError as exc:
            add(ERROR, "E_ERP_AMOUNT", str(exc), "debit")
            amount_bad = True
        if "credit" in col:
            try:
                c = _parse_amount(_cell(row, col.get("credit")))
            except AmountError as exc:
                add(ERROR, "E_ERP_AMOUNT", str(exc), "credit")
                amount_bad = True
        if not amount_bad:
            if d and c:
                add(WARNING, "W_ERP_DEBIT_AND_CREDIT",
                    f"借方（{fen_display(d)}）和贷方（{fen_display(c)}）同时有金额：按借方减贷方计", "credit")
                line_issues.append("W_ERP_DEBIT_AND_CREDIT")
            amount = (d or 0) - (c or 0)
    else:
        try:
            amount = _parse_amount(_cell(row, col.get("amount")))
        except AmountError as exc:
            add(ERROR, "E_ERP_AMOUNT", str(exc), "amount")
            amount_bad = True
        if mode == "amount_dc" and amount is not None:
            dc = _norm(_cell(row, col.get("dc")))
            if dc in _CREDIT_WORDS:
                amount = -amount
            elif dc not in _DEBIT_WORDS:
                add(ERROR, "E_ERP_DC", f"借贷方向“{_text(_cell(row, col.get('dc'))) or ''}”无法识别（应为 借/贷）", "dc")
                amount_bad = True
    if amount_bad:
        amount = None
        status_error = True
        line_issues.append("E_ERP_AMOUNT")
    elif not amount:
        add(INFO, "I_ERP_ZERO", "金额为0，已跳过", amount_fields[0])
        skip("zero")
        return

    summary = _text(_cell(row, col.get("summary")))
    if mapping.skip_transfers and amount is not None and summary:
        kw = next((k for k in mapping.transfer_keywords if k and k in summary), None)
        if kw and amount < 0:
            add(INFO, "I_ERP_TRANSFER", f"贷方“{summary}”是结转（{kw}），不是红字冲销，已跳过", "summary")
            out.transfer_credits.setdefault((date, vno), []).append(-amount)
            skip("transfer")
            return
        if kw:
            add(WARNING, "W_ERP_TRANSFER_DEBIT",
                f"摘要“{summary}”含“{kw}”：可能是从其他科目结转而来，请确认未与研发支出明细重复", "summary")
            line_issues.append("W_ERP_TRANSFER_DEBIT")

    for severity, code, message, fld in pending:
        add(severity, code, message, fld)
    if date_bad:
        status_error = True
        line_issues.append("E_ERP_DATE")
    if vno is None:
        add(WARNING, "W_ERP_NO_VOUCHER", "凭证号为空：标准模板要求填写凭证号", "voucher" if "voucher" in col else None)
        line_issues.append("W_ERP_NO_VOUCHER")
    if filled:
        stats["filled_down"] += 1

    cells = {fld: f"{letter}{excel_row}" for fld, letter in out.letters.items()}

    # --- 费用代码: given in the export, else suggested by the rules
    suggestion = None
    given = _cell(row, col.get("code"))
    if not is_blank(given):
        found = _lookup_code(given)
        if found:
            suggestion = Suggestion(found, "column", 1.0, "column", _text(given))
        else:
            add(WARNING, "W_ERP_CODE_UNKNOWN", f"费用代码“{_text(given)}”不存在，改按规则建议", "code")
            line_issues.append("W_ERP_CODE_UNKNOWN")
    if suggestion is None:
        key = (aname, summary, acode)
        suggestion = out.classify_cache.get(key)
        if suggestion is None:
            suggestion = out.classify_cache[key] = classify(aname, summary, rules, acode)
    table = _code_table()
    code = suggestion.code if suggestion.code and suggestion.confidence >= rules.min_confidence else None
    where_fld = {"account": "account_name", "summary": "summary", "column": "code"}.get(suggestion.where or "")
    if suggestion.code is None:
        add(WARNING, "W_ERP_NO_CODE", "没有可用的费用代码建议，请选择费用代码",
            "summary" if "summary" in col else None)
        line_issues.append("W_ERP_NO_CODE")
    elif code is None or suggestion.ambiguous:
        alt = "、".join(a[0] for a in suggestion.alternatives[:3])
        add(WARNING, "W_ERP_CODE_UNSURE",
            f"费用代码建议 {suggestion.code}（{table[suggestion.code]['label']}，规则 {suggestion.rule_id}，"
            f"可信度{suggestion.confidence:.2f}）不够确定{('，其他可能：' + alt) if alt else ''}，请确认",
            where_fld if where_fld in col else None)
        line_issues.append("W_ERP_CODE_UNSURE")

    # --- 项目编号
    project = None
    project_source = None
    for src_name in mapping.project_sources:
        if src_name == "column" and "project" in col:
            t = _text(_cell(row, col["project"]))
            if t:
                project = _project_from_column(t, known, pattern)
                if project is None:
                    add(WARNING, "W_ERP_PROJECT_TEXT", f"项目“{t}”中找不到项目编号", "project")
                    line_issues.append("W_ERP_PROJECT_TEXT")
        elif src_name in ("account_name", "summary"):
            t = aname if src_name == "account_name" else summary
            if t:
                project = _find_known(t, known)
                if project is None:
                    m = pattern.search(unicodedata.normalize("NFKC", t))
                    if m:
                        project = m.group(1) if m.groups() else m.group(0)
        if project:
            project_source = src_name
            break
    if project is None:
        if "W_ERP_PROJECT_TEXT" not in line_issues:
            add(WARNING, "W_ERP_NO_PROJECT", "未能确定项目编号，请指定项目", "project" if "project" in col else None)
        line_issues.append("W_ERP_NO_PROJECT")
    elif known is not None:
        canon = known[0].get(_norm(project))
        if canon:
            project = canon
        else:
            add(WARNING, "W_ERP_PROJECT_UNKNOWN", f"项目编号“{project}”未在项目表中登记",
                "project" if project_source == "column" else project_source)
            line_issues.append("W_ERP_PROJECT_UNKNOWN")

    # --- canonical extras (generic lists)
    extras: dict[str, object] = {"tax_amount": None, "funding": None, "share": None}
    if "tax_amount" in col:
        try:
            extras["tax_amount"] = _parse_amount(_cell(row, col["tax_amount"]))
        except AmountError as exc:
            add(ERROR, "E_ERP_AMOUNT", str(exc), "tax_amount")
            line_issues.append("E_ERP_AMOUNT")
            status_error = True
    if "funding" in col:
        try:
            extras["funding"] = parse_choice(_cell(row, col["funding"]), S.FUNDING)
        except ValueProblem as exc:
            add(ERROR, "E_ERP_VALUE", str(exc), "funding")
            line_issues.append("E_ERP_VALUE")
            status_error = True
    if "share" in col:
        try:
            extras["share"] = _parse_ratio(_cell(row, col["share"]))
        except AmountError as exc:
            add(ERROR, "E_ERP_VALUE", str(exc), "share")
            line_issues.append("E_ERP_VALUE")
            status_error = True

    if status_error:
        status = "error"
    elif code is None or any(x.startswith("W_") for x in line_issues):
        status = "review"
    else:
        status = "ok"
    result.lines.append({
        "date": date, "voucher_kind": vkind, "voucher_no": vno, "project_no": project, "code": code,
        "summary": summary, "amount": amount, "tax_amount": extras["tax_amount"], "funding": extras["funding"],
        "share": extras["share"], "hnte_category": None,
        "amount_yuan": fen_to_decimal(amount) if amount is not None else None,
        "account_code": acode, "account_name": aname,
        "suggested_code": suggestion.code,
        "code_label": table[suggestion.code]["label"] if suggestion.code else None,
        "rule_id": suggestion.rule_id, "confidence": suggestion.confidence,
        "alternatives": [a[0] for a in suggestion.alternatives], "ambiguous": suggestion.ambiguous,
        "project_source": project_source, "status": status, "issues": line_issues, "filled": filled,
        "origin": {"sheet": out.sheet, "row": excel_row, "cells": cells},
    })
    stats["lines"] += 1
    if amount is not None:
        stats["total_fen"] += amount


# --------------------------------------------------------------------------- output

def to_workbook_rows(result: ImportResult, *, statuses: Iterable[str] = ("ok", "review"),
                     overrides: Mapping[int, Mapping[str, object]] | None = None) -> list[dict]:
    """The lines as dicts for ``forms.template.write_workbook(lines=…)`` (LINE_COLUMNS fields, amounts as
    Decimal 元).  Lines with an ``error`` status are left out by default (their findings say why);
    ``overrides`` maps a line's index in ``result.lines`` to field values the user chose in the wizard
    (e.g. ``{3: {"code": "R08", "project_no": "RD02"}}``)."""
    wanted = set(statuses)
    rows: list[dict] = []
    for i, ln in enumerate(result.lines):
        if ln["status"] not in wanted:
            continue
        v = dict(ln)
        if overrides and i in overrides:
            v.update(overrides[i])
        amount = v.get("amount")
        tax = v.get("tax_amount")
        rows.append({
            "date": v.get("date"), "voucher_kind": v.get("voucher_kind"), "voucher_no": v.get("voucher_no"),
            "project_no": v.get("project_no"), "code": v.get("code"), "summary": v.get("summary"),
            "amount": fen_to_decimal(amount) if isinstance(amount, int) else amount,
            "tax_amount": fen_to_decimal(tax) if isinstance(tax, int) else tax,
            "funding": v.get("funding"),
            "share": percent_text(v.get("share")) if not isinstance(v.get("share"), str) else v.get("share"),
            "hnte_category": v.get("hnte_category"),
        })
    return rows
